"""The graph export written into the site, kept in the cache folder for the next build.

The export holds every link and backlink of the site, so writing it means reading every row
back from the spool and formatting it as JSON: a noticeable part of what a build with every
feature costs (docs/performance.md). Most builds write the same export as the build before
(a build of an unchanged branch, a rebuild of `mkdocs serve` after a prose edit away from any
link, a build with only a theme change). The export's bytes depend only on what
`LinkGraph.export_key` digests, so the file is kept in the cache folder under that key, and a
build whose key is already there copies the kept file instead of writing it again.

The cache is disposable like the rest of `cache_dir`: a folder that cannot be made or written,
or a kept file that is not whole, only means writing the export as before. A kept file is
named by its key and its size, and put in place by an atomic rename: a file under a name
always holds that key's export, and one that lost bytes since is not used.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

from mkdocs.plugins import get_plugin_logger

from mkdocs_backlinks.files import copy_file_atomic, write_text_atomic
from mkdocs_backlinks.graph.linkgraph import LinkGraph

__all__ = ["write_export"]

log = get_plugin_logger(__name__)


def write_export(
    graph: LinkGraph, path: Path, site_url: str | None, *, cache: Path, name: str
) -> None:
    """Write the export of `graph` to `path`, or copy the one kept in `cache` for its key.

    `name` tells this export's kept file from another's in the same folder (a site built
    once per language writes one export per language): the export's path in the site.
    """
    digest = hashlib.blake2b(name.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
    stem = f"export-{digest}-"
    prefix = f"{stem}{graph.export_key(site_url)}-"
    kept = _find(cache, prefix)
    if kept is not None:
        try:
            copy_file_atomic(kept, path)
        except OSError as exc:
            log.debug("The kept graph export %s could not be copied (%s).", kept, exc)
        else:
            log.debug("The graph export shows what the last one did: copied from %s.", kept)
            return
    write_text_atomic(path, graph.export_text(site_url))
    _keep(cache, path, stem, prefix)


def _find(cache: Path, prefix: str) -> Path | None:
    """The kept export whose name starts with `prefix` (its key), when whole: its size is the
    one in its name."""
    try:
        entries = [entry for entry in os.scandir(cache) if entry.name.startswith(prefix)]
    except OSError:
        return None
    for entry in entries:
        size = entry.name[len(prefix) :].removesuffix(".json")
        with contextlib.suppress(OSError):
            if size.isdigit() and entry.stat().st_size == int(size):
                return Path(entry.path)
    return None


def _keep(cache: Path, export: Path, stem: str, prefix: str) -> None:
    """Copy the export just written into the cache under `prefix` (its key) and its size, and
    remove the other files of `stem` (earlier keys of the same export); quietly, as the cache
    is disposable."""
    try:
        kept = cache / f"{prefix}{export.stat().st_size}.json"
        copy_file_atomic(export, kept)
        for entry in os.scandir(cache):
            if entry.name.startswith(stem) and entry.name != kept.name:
                with contextlib.suppress(OSError):
                    Path(entry.path).unlink()
    except OSError as exc:
        log.debug("The graph export was not kept in %s (%s).", cache, exc)
