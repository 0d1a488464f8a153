"""An append-only scratch file that holds the link rows of one build outside the process.

Why a file: MkDocs keeps every page's HTML in memory until the build ends, so whatever the
plugin holds from the end of conversion on adds straight to the build's peak memory. Kept as
Python tuples, the rows (every link, each with its sentence) were the largest part of what
the plugin added to that peak; written here they cost a few bytes of offsets per link. Each
row is read back when a section, the export or the ledger needs it, which costs little next
to what it saves (the README's performance section has the figures).

The file is a `tempfile.TemporaryFile`: in `TMPDIR`, unlinked as soon as it is made on POSIX
systems (so nothing is left behind, even by a killed build) and deleted on close elsewhere.
When no temporary file can be made or written (a read-only or full temporary folder), the
spool moves what it holds into memory and goes on there: slower to nobody, larger in memory,
and the build still succeeds.
"""

from __future__ import annotations

import io
import os
import tempfile
from typing import BinaryIO, Final

from mkdocs.plugins import get_plugin_logger

log = get_plugin_logger(__name__)

_PREAD: Final = getattr(os, "pread", None)
"""`os.pread` where the system has it (not on Windows): a read at an offset in one call."""


_PWRITEV: Final = getattr(os, "pwritev", None)
"""`os.pwritev` where the system has it: a batch's appends written in one call, as they are."""

_BATCH: Final = 256 * 1024
"""Appends are gathered up to this many bytes before they go to the file: one write call per
page was a measurable share of the build's time, and a bigger batch would only add to peak
memory."""

_PIECES: Final = 256
"""Appends a batch holds at most: `pwritev` takes a bounded number of pieces in one call
(1,024 on Linux and macOS)."""


class Spool:
    """Bytes appended once and read back by offset; the file is made at the first write."""

    def __init__(self) -> None:
        self._file: BinaryIO | None = None
        self._size = 0
        self._written = 0
        """Bytes in the file; the rest of `_size` waits in `_batch`."""
        self._batch: list[bytes] = []
        self._in_memory = False

    @property
    def size(self) -> int:
        """Bytes appended so far, which is also the offset the next append gets."""
        return self._size

    @property
    def in_memory(self) -> bool:
        """Whether the spool fell back to memory (no temporary file could be made or written)."""
        return self._in_memory

    def append(self, data: bytes) -> int:
        """Store `data`; return the offset to read it back from."""
        offset = self._size
        if len(data) >= _BATCH:
            # A long page's rows go to the file as they are: joined into a batch they would
            # be held twice at the moment the page's own tree is still in memory.
            self._flush()
            self._batch.append(data)
            self._size += len(data)
            self._flush()
        elif data:
            self._batch.append(data)
            self._size += len(data)
            if self._size - self._written >= _BATCH or len(self._batch) >= _PIECES:
                self._flush()
        return offset

    def read(self, offset: int, length: int) -> bytes:
        """The `length` bytes stored at `offset`."""
        if length <= 0:
            return b""
        if offset + length > self._written:
            self._flush()
        file = self._file
        if file is None:
            data = b""
        elif _PREAD is not None and not self._in_memory:
            data = _PREAD(file.fileno(), length, offset)
        else:
            file.seek(offset)
            data = file.read(length)
        if len(data) != length:
            raise OSError(f"the link spool returned {len(data)} of {length} bytes at {offset}")
        return data

    def close(self) -> None:
        """Drop the file (and with it, on POSIX, its last trace on disk)."""
        if self._file is not None:
            self._file.close()
            self._file = None
        self._size = self._written = 0
        self._batch = []
        self._in_memory = False

    def _flush(self) -> None:
        if not self._batch:
            return
        batch, self._batch = self._batch, []
        size = self._size - self._written
        file = self._file if self._file is not None else self._open()
        try:
            self._write_at_end(file, batch, size)
        except OSError as exc:
            self._write_at_end(self._to_memory(exc), batch, size)
        self._written += size

    def _write_at_end(self, file: BinaryIO, pieces: list[bytes], size: int) -> None:
        """Write `pieces` (`size` bytes in all) after the last byte written.

        With `pwritev` they go as they are; joined first, every byte of the rows would be
        copied once more, by then out of the processor's caches (docs/performance.md).
        """
        if _PWRITEV is not None and not self._in_memory and len(pieces) > 1:
            written = _PWRITEV(file.fileno(), pieces, self._written)
        else:
            # Where `read` seeks (no `pread`, or in memory) the position is wherever the last
            # read left it, so every write says where it goes.
            file.seek(self._written)
            written = file.write(pieces[0] if len(pieces) == 1 else b"".join(pieces))
        if written != size:  # a raw file may take part of it: a disk nearly full
            raise OSError(f"wrote {written} of {size} bytes")

    def _open(self) -> BinaryIO:
        try:
            # Unbuffered: the batches are the buffer, and a full disk is seen at the write
            # that can recover, not at a later flush.
            self._file = tempfile.TemporaryFile(buffering=0)  # noqa: SIM115 (closed by close)
        except OSError as exc:
            log.debug("No temporary file for the link rows (%s); keeping them in memory.", exc)
            self._file = io.BytesIO()
            self._in_memory = True
        return self._file

    def _to_memory(self, error: OSError) -> BinaryIO:
        """Move what the file holds into memory after a failed write, and carry on there."""
        assert self._file is not None
        log.debug("Writing the link rows failed (%s); keeping them in memory.", error)
        held = self.read(0, self._written)  # all in the file: `read` does not flush
        self._file.close()
        memory = io.BytesIO(held)
        self._file = memory
        self._in_memory = True
        return memory
