"""The graph export written into the site, kept in the cache folder for the next build.

The export holds every link and backlink of the site, so writing it means reading every row
back from the spool and formatting it as JSON: a noticeable part of what a build with every
feature costs (docs/performance.md). Most builds write the same export as the build before
(a build of an unchanged branch, a rebuild of `mkdocs serve` after a prose edit away from any
link, a build with only a theme change). The export's bytes depend only on what
`LinkGraph.export_key` digests, so the file is kept in the cache folder under that key, and a
build whose key is already there copies the kept file instead of writing it again.

A build after an edit has a new key, but most of its export is still what the kept one holds:
a page's entry shows the page (its URL, title and links) and the links to it, so an edit
changes the entries of the pages it touched and of the pages they link to, in this build or
the last, and no other. Beside the kept export is its index (`.pages`): where each page's
entry is in the file, and the digest of what the entry shows of the page itself
(`LinkGraph.export_inputs`). A build with a new key formats the entries that may have
changed and copies every other one from the kept file.

The cache is disposable like the rest of `cache_dir`: a folder that cannot be made or written,
a kept file that is not whole, or an index that does not match its file only means writing
the export as before. A kept file is named by its key and its size, and put in place by an
atomic rename: a file under a name always holds that key's export, and one that lost bytes
since is not used.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from json.encoder import encode_basestring
from pathlib import Path
from typing import BinaryIO, NamedTuple

from mkdocs.plugins import get_plugin_logger

from mkdocs_backlinks.files import (
    FileRange,
    copy_file_atomic,
    read_at,
    write_bytes_atomic,
    write_text_atomic,
)
from mkdocs_backlinks.graph.linkgraph import (
    ENTRY_SEPARATOR,
    EXPORT_TAIL,
    LinkGraph,
    export_base,
    export_basis,
)

__all__ = ["write_export"]

log = get_plugin_logger(__name__)

INDEX_SUFFIX = ".pages"
"""The suffix of a kept export's index, which is otherwise named as the export is."""


class _Entry(NamedTuple):
    """Where a page's entry is in a kept export, and the digest of what it shows of the page."""

    inputs: bytes
    offset: int
    length: int


class _Unusable(Exception):
    """A kept entry is not where its index says: the export is written whole instead."""


def write_export(
    graph: LinkGraph, path: Path, site_url: str | None, *, cache: Path, name: str
) -> None:
    """Write the export of `graph` to `path`: copied whole from the one kept in `cache` for
    its key, or written with the entries that did not change copied from an earlier one.

    `name` tells this export's kept file from another's in the same folder (a site built
    once per language writes one export per language): the export's path in the site.
    """
    digest = hashlib.blake2b(name.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
    stem = f"export-{digest}-"
    inputs = graph.export_inputs()
    prefix = f"{stem}{graph.export_key(site_url, inputs)}-"
    kept = _find(cache, prefix)
    if kept is not None:
        try:
            copy_file_atomic(kept, path)
        except OSError as exc:
            log.debug("The kept graph export %s could not be copied (%s).", kept, exc)
        else:
            log.debug("The graph export shows what the last one did: copied from %s.", kept)
            return
    basis = hashlib.blake2b(export_basis(site_url), digest_size=20).hexdigest()
    index: list[tuple[str, str, int, int]] = []
    earlier = _earlier(cache, stem, basis)
    if earlier is not None:
        try:
            _write_from(graph, path, site_url, inputs, earlier, index)
        except (_Unusable, OSError) as exc:
            log.debug("The kept graph export %s was not used (%s).", earlier[0], exc)
            index.clear()
            earlier = None
    if earlier is None:
        write_bytes_atomic(path, _export_pieces(graph, site_url, inputs, {}, None, index))
    _keep(cache, path, stem, prefix, {"basis": basis, "pages": index})


def _write_from(
    graph: LinkGraph,
    path: Path,
    site_url: str | None,
    inputs: Mapping[str, bytes],
    earlier: tuple[Path, dict[str, _Entry]],
    index: list[tuple[str, str, int, int]],
) -> None:
    """Write the export, copying from the earlier kept export each entry it holds as this
    build would write it."""
    kept, entries = earlier
    with kept.open("rb") as handle:
        same = _unchanged(graph, inputs, entries, handle)
        log.debug("Graph export: %d of %d entries copied from %s.", len(same), len(inputs), kept)
        write_bytes_atomic(path, _export_pieces(graph, site_url, inputs, same, handle, index))


def _unchanged(
    graph: LinkGraph, inputs: Mapping[str, bytes], entries: Mapping[str, _Entry], kept: BinaryIO
) -> dict[str, _Entry]:
    """The entries of the kept export that this build would write the same: the pages whose
    inputs did not change, unless a page whose inputs did change links to them now or did
    when the kept export was written (its links there say which)."""
    changed = [src for src, digest in inputs.items() if _inputs_of(entries, src) != digest]
    changed += [src for src in entries if src not in inputs]
    if len(changed) * 2 > len(inputs):
        # Most pages changed (a new release of every page, say): formatting every entry
        # costs less than reading what each changed page linked to.
        return {}
    stale = set(changed)
    for src in changed:
        if src in inputs:
            stale |= graph.linked_pages(src)
        entry = entries.get(src)
        if entry is not None:
            stale |= _linked_from(kept, src, entry)
    return {src: entries[src] for src in inputs if src not in stale}


def _inputs_of(entries: Mapping[str, _Entry], src: str) -> bytes | None:
    entry = entries.get(src)
    return None if entry is None else entry.inputs


def _linked_from(kept: BinaryIO, src: str, entry: _Entry) -> set[str]:
    """The pages the kept entry of `src` links to."""
    data = _read_entry(kept, src, entry)
    try:
        (page,) = json.loads(b"{" + data + b"}").values()
        return {str(link["target"]) for link in page["links"]}
    except (ValueError, TypeError, KeyError) as exc:
        raise _Unusable(f"the entry of {src} cannot be read: {exc}") from exc


def _read_entry(kept: BinaryIO, src: str, entry: _Entry) -> bytes:
    """The bytes of a kept entry, checked to be the entry of `src` and whole."""
    _check_entry(kept, src, entry)
    return read_at(kept, entry.offset, entry.length)


def _check_entry(kept: BinaryIO, src: str, entry: _Entry) -> None:
    """Check that `entry` is where the kept export holds the entry of `src`, whole, reading
    only its two ends (most entries are copied by the system, never read here): its key
    first, and after its last `}` the separator or the export's end. An entry is one line
    (JSON strings hold no raw line break), so no `}` inside one is followed by either."""
    start = _entry_start(src)
    end = entry.offset + entry.length
    if not (
        entry.length > len(start)
        and read_at(kept, entry.offset, len(start)) == start
        and read_at(kept, end - 1, 1) == b"}"
        and read_at(kept, end, 2) in _AFTER_ENTRY
    ):
        raise _Unusable(f"the index does not point at the entry of {src}")


def _entry_start(src: str) -> bytes:
    return encode_basestring(src).encode("utf-8", "surrogatepass") + b':{"absolute_url":'


_SEPARATOR = ENTRY_SEPARATOR.encode()
_AFTER_ENTRY = (_SEPARATOR[:2], EXPORT_TAIL.encode()[:2])
"""What follows a whole entry: the separator before the next one, or the export's end."""


def _export_pieces(
    graph: LinkGraph,
    site_url: str | None,
    inputs: Mapping[str, bytes],
    same: Mapping[str, _Entry],
    kept: BinaryIO | None,
    index: list[tuple[str, str, int, int]],
) -> Iterator[bytes | FileRange]:
    """The export, a piece at a time: each page's entry formatted, or copied from `kept` when
    `same` holds it (entries that follow each other there, as one range). `index` gets each
    entry's place in the new file."""
    base = export_base(site_url)
    data = graph.export_head(site_url).encode("utf-8")
    yield data
    offset = len(data)
    separator = b"\n"
    run: FileRange | None = None  # kept entries not yet yielded
    for src, digest in inputs.items():
        entry = same.get(src)
        if entry is not None and kept is not None:
            _check_entry(kept, src, entry)
            length = entry.length
            if run is not None and run.offset + run.length + len(_SEPARATOR) == entry.offset:
                # Next to the run's last entry in the kept file: the separator is copied too.
                run = run._replace(length=entry.offset + length - run.offset)
                offset += len(_SEPARATOR)
            else:
                if run is not None:
                    yield run
                yield separator
                offset += len(separator)
                run = FileRange(kept, entry.offset, length)
        else:
            if run is not None:
                yield run
                run = None
            yield separator
            offset += len(separator)
            data = graph.export_entry(src, base).encode("utf-8")
            length = len(data)
            yield data
        index.append((src, digest.hex(), offset, length))
        offset += length
        separator = _SEPARATOR
    if run is not None:
        yield run
    yield EXPORT_TAIL.encode()


def _find(cache: Path, prefix: str) -> Path | None:
    """The kept export whose name starts with `prefix` (its key), when whole: its size is the
    one in its name."""
    try:
        entries = [entry for entry in os.scandir(cache) if entry.name.startswith(prefix)]
    except OSError:
        return None
    for entry in entries:
        if entry.name.endswith(".json") and _whole(Path(entry.path), prefix):
            return Path(entry.path)
    return None


def _whole(kept: Path, prefix: str) -> bool:
    """Whether the kept export `kept`, named `prefix` and a size, has that size, and the
    export's two ends (what it says in between is trusted as the cache folder is)."""
    size = kept.name[len(prefix) :].removesuffix(".json")
    tail = EXPORT_TAIL.encode()
    try:
        if not (size.isdigit() and kept.stat().st_size == int(size) > len(tail)):
            return False
        with kept.open("rb") as handle:
            return (
                read_at(handle, 0, 2) == b'{"'
                and read_at(handle, int(size) - len(tail), len(tail)) == tail
            )
    except OSError:
        return False


def _earlier(cache: Path, stem: str, basis: str) -> tuple[Path, dict[str, _Entry]] | None:
    """A kept export of `stem` (this export path) with its index, made for `basis` (the same
    format and site URL), when both are whole and agree."""
    try:
        names = sorted(
            entry.name
            for entry in os.scandir(cache)
            if entry.name.startswith(stem) and entry.name.endswith(INDEX_SUFFIX)
        )
    except OSError:
        return None
    for name in names:
        kept = cache / (name.removesuffix(INDEX_SUFFIX) + ".json")
        prefix = kept.name[: kept.name.rfind("-") + 1]
        entries = _read_index(cache / name, basis) if _whole(kept, prefix) else None
        if entries is not None:
            return kept, entries
    return None


def _read_index(path: Path, basis: str) -> dict[str, _Entry] | None:
    """The entries an index names, when it was made for `basis`; None for anything else.
    Whether each entry is where the index says is checked as it is used (`_check_entry`)."""
    try:
        document = json.loads(path.read_bytes())
        if not isinstance(document, dict) or document.get("basis") != basis:
            return None
        entries: dict[str, _Entry] = {}
        for src, inputs, offset, length in document["pages"]:
            if not (
                isinstance(src, str)
                and isinstance(inputs, str)
                and type(offset) is int
                and type(length) is int
            ):
                return None
            entries[src] = _Entry(bytes.fromhex(inputs), offset, length)
    except (OSError, ValueError, TypeError, KeyError):
        return None
    return entries


def _keep(cache: Path, export: Path, stem: str, prefix: str, index: Mapping[str, object]) -> None:
    """Copy the export just written into the cache under `prefix` (its key) and its size,
    with its `index`, and remove the other files of `stem` (earlier keys of the same export);
    quietly, as the cache is disposable."""
    try:
        kept = cache / f"{prefix}{export.stat().st_size}.json"
        copy_file_atomic(export, kept)
        pages = kept.with_suffix(INDEX_SUFFIX)
        # ASCII: a source path the file system gave with undecodable bytes stays readable.
        write_text_atomic(pages, json.dumps(index, separators=(",", ":")))
        for entry in os.scandir(cache):
            if entry.name.startswith(stem) and entry.name not in (kept.name, pages.name):
                with contextlib.suppress(OSError):
                    Path(entry.path).unlink()
    except OSError as exc:
        log.debug("The graph export was not kept in %s (%s).", cache, exc)
