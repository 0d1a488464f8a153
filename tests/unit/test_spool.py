"""The link spool: rows written once to a temporary file and read back by offset, and what
happens when no temporary file can be made or written."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from mkdocs_backlinks.graph import spool as spool_module
from mkdocs_backlinks.graph.spool import Spool


def test_appends_are_read_back_by_offset() -> None:
    spool = Spool()
    chunks = [b"first", b"", "sentence \u2014 \u00e9t\u00e9".encode(), bytes(range(256)) * 40]
    offsets = [spool.append(chunk) for chunk in chunks]
    assert offsets == [0, 5, 5, 5 + len(chunks[2])]
    assert spool.size == sum(map(len, chunks))
    assert not spool.in_memory
    # Out of order, as the sections read them.
    for offset, chunk in reversed(list(zip(offsets, chunks, strict=True))):
        assert spool.read(offset, len(chunk)) == chunk
    spool.close()
    assert spool.size == 0
    with pytest.raises(OSError, match="returned 0 of 5 bytes"):
        spool.read(0, 5)


def test_the_file_is_gone_from_the_temporary_folder_while_in_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if os.name != "posix":
        pytest.skip("only POSIX unlinks an open file")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    spool = Spool()
    spool.append(b"x" * 10_000)
    assert spool.read(9_990, 10) == b"x" * 10  # written to the file by now
    assert not spool.in_memory
    assert list(tmp_path.iterdir()) == []
    spool.close()


def test_no_temporary_folder_keeps_the_rows_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "missing"))
    spool = Spool()
    assert spool.append(b"abc") == 0
    assert spool.append(b"defg") == 3
    assert spool.read(3, 4) == b"defg"
    assert spool.in_memory
    assert spool.read(0, 3) == b"abc"


def test_reads_see_appends_not_yet_written_to_the_file() -> None:
    spool = Spool()
    small = spool.append(b"small")
    assert spool.read(small, 5) == b"small"
    big = spool.append(b"y" * 300_000)  # more than a batch: written at once
    last = spool.append(b"tail")
    assert spool.read(last, 4) == b"tail"
    assert spool.read(big + 299_990, 10) == b"y" * 10
    assert spool.read(0, 5) == b"small"


def test_without_pread_a_read_does_not_move_where_the_next_batch_goes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Windows has no `os.pread`: reads seek the file, and the next batch must still go at
    # the end, not where the last read stopped.
    monkeypatch.setattr(spool_module, "_PREAD", None)
    spool = Spool()
    first, second = spool.append(b"aaaaa"), spool.append(b"bbbbb")
    assert spool.read(first, 5) == b"aaaaa"
    third = spool.append(b"ccccc")
    assert spool.read(third, 5) == b"ccccc"
    assert spool.read(second, 5) == b"bbbbb"
    assert not spool.in_memory


@pytest.mark.parametrize("pwritev", [True, False], ids=["pwritev", "joined"])
def test_batches_of_many_appends_are_written_whole_and_in_order(
    pwritev: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Many small appends (more than a batch holds) and a few large ones, read back after the
    # batches went to the file, with the pieces written as they are or joined first (Windows
    # has no `os.pwritev`).
    if not pwritev:
        monkeypatch.setattr(spool_module, "_PWRITEV", None)
    elif spool_module._PWRITEV is None:
        pytest.skip("no os.pwritev here")
    spool = Spool()
    # More small pieces than one `pwritev` call takes (1,024 on Linux), were they one batch,
    # then one large piece, more small ones, and one more than a batch.
    small = [bytes([n % 251]) * (n % 7 + 1) for n in range(5 * spool_module._PIECES)]
    pieces = [*small, b"L" * 100_000, *small[:10], b"M" * 300_000, b"tail"]
    offsets = [spool.append(piece) for piece in pieces]
    assert offsets[-1] + len(pieces[-1]) == spool.size == sum(map(len, pieces))
    assert spool.read(0, spool.size) == b"".join(pieces)
    for offset, piece in zip(offsets, pieces, strict=True):
        assert spool.read(offset, len(piece)) == piece
    assert not spool.in_memory


def test_a_read_past_the_end_is_an_error_not_short_data() -> None:
    spool = Spool()
    spool.append(b"abc")
    with pytest.raises(OSError, match="returned 2 of 5 bytes"):
        spool.read(1, 5)


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_FSIZE and SIGXFSZ as on Linux")
def test_a_full_disk_mid_build_moves_what_was_written_into_memory(tmp_path: Path) -> None:
    # A real short write and then a real EFBIG, from a file size limit in a child process:
    # the spool must keep every byte written before, during and after the failure.
    script = textwrap.dedent(
        """
        import resource, signal, tempfile, sys
        from mkdocs_backlinks.graph.spool import Spool
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        tempfile.tempdir = sys.argv[1]
        resource.setrlimit(resource.RLIMIT_FSIZE, (1_000_000, 1_000_000))
        spool = Spool()
        chunks = [bytes([n]) * 200_000 for n in range(1, 9)]
        offsets = [spool.append(chunk) for chunk in chunks]
        assert spool.in_memory, "the limit was never reached"
        for offset, chunk in zip(offsets, chunks):
            assert spool.read(offset, len(chunk)) == chunk, offset
        print("ok", offsets)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    offsets = ", ".join(str(n * 200_000) for n in range(8))
    assert done.stdout.strip() == f"ok [{offsets}]"
