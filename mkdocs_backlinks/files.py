"""Files the plugin writes: always whole or not at all.

A crash or a full disk in the middle of a write must never leave a half-written file where a
good one was, so every write goes to a temporary file in the same folder, is flushed to disk,
and then atomically replaces the old file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from mkdocs.plugins import get_plugin_logger

log = get_plugin_logger(__name__)


def dump_json(document: Any) -> str:
    """Stable JSON text: sorted keys and fixed indentation, so diffs and builds are readable
    and two builds of the same input give the same bytes."""
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def dump_json_lines(
    head: Mapping[str, Any], sections: Mapping[str, Iterable[tuple[str, Any]]]
) -> Iterator[str]:
    """A JSON object as text chunks, each section an object with one entry per line.

    For large machine-written files (the graph export, the ledger): compact entries use the C
    encoder (an indented dump falls back to the pure-Python one, several times slower), one
    line per entry still diffs well, and chunks are written as made instead of held at once.
    Keys are sorted within entries and head; sections follow the head in the order given.
    """
    text = json.dumps(dict(head), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    yield text[:-1]
    comma = "," if head else ""
    for key, entries in sections.items():
        yield comma + "\n" + json.dumps(key) + ":{"
        separator = "\n"
        for name, value in entries:
            yield separator + json.dumps(name, ensure_ascii=False) + ":"
            yield json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
            separator = ",\n"
        yield "\n}"
        comma = ","
    yield "\n}\n"


def write_text_atomic(path: Path, text: str | Iterable[str]) -> None:
    """Replace `path` with `text` (a string or chunks of one), UTF-8, atomically.

    Chunks let a large file (the outreach page, the graph export) be written as it is made,
    without its whole text and encoded copy in memory at once at the end of a build.
    """
    if isinstance(text, str):
        write_bytes_atomic(path, text.encode("utf-8"))
    else:
        write_bytes_atomic(path, _encoded_batches(text))


_BATCH = 1 << 16


def _encoded_batches(chunks: Iterable[str]) -> Iterator[bytes]:
    """`chunks` joined into pieces of about 64 KiB and encoded: a template yields hundreds of
    thousands of tiny strings, and one encode and write call for each would cost more than
    the template does."""
    batch: list[str] = []
    size = 0
    for chunk in chunks:
        if len(chunk) >= _BATCH:  # a large piece is encoded in slices, never copied whole
            if batch:
                yield "".join(batch).encode("utf-8")
                batch.clear()
                size = 0
            for start in range(0, len(chunk), _BATCH):
                yield chunk[start : start + _BATCH].encode("utf-8")
            continue
        batch.append(chunk)
        size += len(chunk)
        if size >= _BATCH:
            yield "".join(batch).encode("utf-8")
            batch.clear()
            size = 0
    if batch:
        yield "".join(batch).encode("utf-8")


class FileRange(NamedTuple):
    """`length` bytes at `offset` of the open file `source`: a piece of what
    `write_bytes_atomic` writes that the system copies from file to file (the entries of a
    graph export that a build copies from the one it kept)."""

    source: BinaryIO
    offset: int
    length: int


def write_bytes_atomic(path: Path, data: bytes | Iterable[bytes | FileRange]) -> None:
    """Replace `path` with `data` (bytes, or pieces: bytes or ranges of other files)
    atomically.

    Temp file in the same folder, fsync, then rename: readers see the old file or the new one.
    The folder is locked meanwhile (`locked`), so two processes never interleave their writes
    and a temporary file left by a killed one is removed by the next writer.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with locked(path.parent):
        _write_locked(path, data)


def copy_file_atomic(source: Path, path: Path) -> None:
    """Replace `path` with a copy of `source`, atomically as `write_bytes_atomic` does.

    The system copies the bytes (`os.sendfile` where it copies between files), so a large file
    (a graph export kept in the cache folder) never passes through this process's memory.
    """
    with source.open("rb") as origin:
        write_bytes_atomic(path, [FileRange(origin, 0, os.fstat(origin.fileno()).st_size)])


def _write_locked(path: Path, data: bytes | Iterable[bytes | FileRange]) -> None:
    def fill(handle: BinaryIO) -> None:
        if isinstance(data, bytes):
            handle.write(data)
            return
        write = handle.write
        for piece in data:
            if isinstance(piece, FileRange):
                handle.flush()
                _copy_range(piece, handle)
            else:
                write(piece)

    _replace_locked(path, fill)


def _replace_locked(path: Path, fill: Callable[[BinaryIO], object]) -> None:
    """Give `fill` a new temporary file beside `path`, then put it in `path`'s place."""
    mode = _mode_for(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    try:
        Path(tmp).chmod(mode)
        with os.fdopen(fd, "wb") as handle:
            fill(handle)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            Path(tmp).unlink()
        raise


def _copy_range(piece: FileRange, target: BinaryIO) -> None:
    """Append `piece` to `target` (a file being written front to back, nothing buffered): by
    `os.sendfile` on Linux, in the kernel; elsewhere, or where the file system refuses it, a
    mebibyte at a time. A source shorter than the range is an OSError."""
    end = piece.offset + piece.length
    at = piece.offset
    if sys.platform.startswith("linux"):
        try:
            while at < end:
                sent = os.sendfile(target.fileno(), piece.source.fileno(), at, end - at)
                if not sent:
                    break
                at += sent
        except OSError as exc:
            log.debug("Copying in the kernel failed (%s); copying through memory.", exc)
        target.seek(0, os.SEEK_END)  # the system moved the file's position, not the buffer's
    while at < end:
        block = read_at(piece.source, at, min(end - at, 1 << 20))
        if not block:
            raise OSError(f"{piece.source.name} ends at byte {at}, before byte {end}")
        target.write(block)
        at += len(block)


def read_at(handle: BinaryIO, offset: int, length: int) -> bytes:
    """Up to `length` bytes at `offset` of the open file `handle`: one `os.pread` where the
    system has it (not on Windows, where the file's position moves instead)."""
    if hasattr(os, "pread"):
        return os.pread(handle.fileno(), length, offset)
    handle.seek(offset)
    return handle.read(length)


TEMP_SUFFIX = ".tmp"
# What `tempfile.mkstemp(prefix=f".{name}.", suffix=TEMP_SUFFIX)` names a file: a dot, the
# name, a dot, eight random characters. Nothing else in a data folder looks like this.
_TEMP_NAME = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp")

LOCK_FILE = ".mkdocs-backlinks.lock"
"""Where Windows keeps the folder lock (POSIX systems lock the folder itself, leaving no file)."""

LOCK_TIMEOUT = 120.0
"""Longest wait for another process's write, in seconds: a build records its ledger in far
less; a lock held longer belongs to a process that hangs, and saying so beats waiting."""

# Locks this process holds, by folder: [file descriptor, depth]. A folder is locked once per
# process however deeply calls nest (a build's record holds it while each file is written):
# POSIX `flock` locks conflict between two descriptors even in one process.
_held: dict[str, list[int]] = {}
_held_guard = threading.Lock()
_swept: set[str] = set()


@contextlib.contextmanager
def locked(folder: Path, timeout: float | None = None) -> Iterator[None]:
    """Hold an exclusive advisory lock on `folder` while the block runs.

    A build and `mkdocs-backlinks mark` (or two builds: `mkdocs serve` and a CI build) may work
    on one data folder at once. Each reads a file, changes it and writes it back; without a
    lock, what one wrote between the other's read and write is lost. The lock is the kernel's
    (`flock` on the folder; `msvcrt.locking` on a lock file on Windows), so a process that is
    killed lets go of it at once and nothing stale is left to clean up.

    The first time a process takes it, temporary files that a killed writer left behind (they
    are only ever there while a writer holds the lock) are removed, so `git add .` never picks
    them up.
    TimeoutError (an OSError) when another process holds it longer than `timeout` seconds.
    """
    folder.mkdir(parents=True, exist_ok=True)
    key = str(folder.resolve())
    with _held_guard:
        entry = _held.get(key)
        if entry is not None:
            entry[1] += 1
    if entry is None:
        fd = _acquire(folder, LOCK_TIMEOUT if timeout is None else timeout)
        # -1: this file system cannot lock (some network and FUSE mounts). Writes are still
        # atomic; only the guard against a second writer is missing, as it was before locks.
        with _held_guard:
            entry = _held[key] = [fd, 1]
        if key not in _swept:  # once per process: a folder of many avatars is not listed often
            _swept.add(key)
            _remove_stale_temps(folder)
    try:
        yield
    finally:
        with _held_guard:
            entry[1] -= 1
            last = entry[1] == 0
            if last:
                del _held[key]
        if last and entry[0] >= 0:
            _release(entry[0])


def _acquire(folder: Path, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    if sys.platform == "win32":  # pragma: no cover - no Windows runner
        import msvcrt

        fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o666)
        while True:
            try:
                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
                return fd
            except OSError:
                if time.monotonic() > deadline:
                    os.close(fd)
                    raise TimeoutError(_busy(folder, timeout)) from None
                time.sleep(0.05)
    import fcntl

    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError as exc:  # a folder we may write but not list
        log.debug("Not locking %s: %s", folder, exc)
        return -1
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(_busy(folder, timeout)) from None
                time.sleep(0.05)
            except OSError as exc:  # ENOLCK, EOPNOTSUPP: a file system without locks
                log.debug("Not locking %s: %s", folder, exc)
                os.close(fd)
                return -1
    except BaseException:
        os.close(fd)
        raise


def _busy(folder: Path, timeout: float) -> str:
    return (
        f"{folder} is locked by another process (a build or an mkdocs-backlinks command) "
        f"for over {timeout:g} s; nothing was written. Try again when it has finished."
    )


def _release(fd: int) -> None:
    # Closing the descriptor releases the lock, on both systems.
    os.close(fd)


def _remove_stale_temps(folder: Path) -> None:
    try:
        names = [entry.name for entry in os.scandir(folder) if entry.is_file()]
    except OSError:
        return
    for name in names:
        if _TEMP_NAME.fullmatch(name):
            with contextlib.suppress(OSError):
                (folder / name).unlink()


def _mode_for(path: Path) -> int:
    """The permissions the file should end with: its current ones, or what a plain `open`
    would give under the umask. (mkstemp's private 0600 would hide a published file from the
    web server.)"""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_json_atomic(path: Path, document: Any) -> None:
    """Write `document` as stable JSON, atomically."""
    write_text_atomic(path, dump_json(document))


def check_schema(data: Mapping[str, Any], schema: str, latest: int) -> None:
    """ValueError unless `data` is a document of `schema` that this version can read.

    Shared by the ledger and the mentions files, so a file written by a newer plugin (or by
    another tool) is refused with the same words everywhere.
    """
    if data.get("schema") != schema:
        raise ValueError(f"'schema' is {data.get('schema')!r}, expected {schema!r}")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ValueError("'version' must be a whole number")
    if version < 1:
        raise ValueError(f"'version' is {version}; versions start at 1")
    if version > latest:
        raise ValueError(
            f"it was written by a newer version of the plugin (schema version {version}, this "
            f"one reads up to {latest}); upgrade mkdocs-backlinks-plugin"
        )


# Type checks for documents read back from disk, shared by the ledger and the mentions store:
# `what` names the field, so a hand-edited file is refused with a message that points at it.


def expect_str(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a string, not {type(value).__name__}")
    return value


def expect_dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(f"{what} must be an object, not {type(value).__name__}")
    return value


def expect_list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError(f"{what} must be a list, not {type(value).__name__}")
    return value


_CONFLICT = re.compile(r"^(?:<{7}|>{7})(?: |$)|^={7}$|^\|{7}(?: |$)", re.MULTILINE)


def conflict_marker(text: str) -> tuple[int, str] | None:
    """`(line number, line)` of the first git conflict marker in `text`, None when there is
    none: what a merge leaves in a data file both branches changed. Said as such, it is an
    ordinary step of working with git; said as "invalid JSON at line 412", it is a mystery."""
    found = _CONFLICT.search(text)
    if found is None:
        return None
    start = found.start()
    end = text.find("\n", start)
    return text.count("\n", 0, start) + 1, text[start : end if end >= 0 else len(text)]


def spool_text(pieces: Iterable[str], into: BinaryIO) -> str:
    """Write the text `pieces` make, UTF-8, to `into` and return its `text_digest`.

    For a file whose first line names the digest of what follows (the ledger): the rest is
    encoded once, held on disk rather than in memory until that line is known, and then
    copied after it (`FileRange`)."""
    digest = hashlib.sha256()
    for batch in _encoded_batches(pieces):
        digest.update(batch)
        into.write(batch)
    into.flush()
    return digest.hexdigest()


def text_digest(pieces: Iterable[str]) -> str:
    """sha256 of the text `pieces` make when joined, as hex; never joins them.

    The one digest behind every "this is the text we wrote" check: the ledger's records, which
    the outreach lists are made from, and the mentions store found clean. A text whose digest
    matches is used without the work it would otherwise cost (parsing, sanitising again).
    """
    digest = hashlib.sha256()
    for piece in pieces:
        digest.update(piece.encode())
    return digest.hexdigest()
