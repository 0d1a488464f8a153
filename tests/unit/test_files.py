"""Unit tests for `mkdocs_backlinks.files`: whole-or-nothing writes."""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mkdocs_backlinks import files as storage
from mkdocs_backlinks.files import (
    FileRange,
    copy_file_atomic,
    dump_json,
    write_bytes_atomic,
    write_json_atomic,
    write_text_atomic,
)


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_dump_json_is_sorted_and_stable() -> None:
    first = {"b": 1, "a": {"z": [3, 2, 1], "y": "café"}, "c": None}
    second = {"c": None, "a": {"y": "café", "z": [3, 2, 1]}, "b": 1}
    text = dump_json(first)
    assert text == dump_json(second)
    assert text == (
        "{\n"
        '  "a": {\n'
        '    "y": "café",\n'
        '    "z": [\n'
        "      3,\n"
        "      2,\n"
        "      1\n"
        "    ]\n"
        "  },\n"
        '  "b": 1,\n'
        '  "c": null\n'
        "}\n"
    )
    assert json.loads(text) == first


def test_write_json_atomic_writes_stable_json(tmp_path: Path) -> None:
    path = tmp_path / "graph.json"
    document = {"version": 1, "pages": {"b.md": {"title": "B"}, "a.md": {"title": "Ä"}}}
    write_json_atomic(path, document)
    raw = path.read_bytes()
    assert raw == dump_json(document).encode("utf-8")
    assert b"\r\n" not in raw
    assert raw.endswith(b"}\n")
    assert json.loads(raw.decode("utf-8")) == document
    # keys sorted at every level
    text = raw.decode("utf-8")
    assert text.index('"pages"') < text.index('"version"')
    assert text.index('"a.md"') < text.index('"b.md"')
    assert "Ä" in text  # not \u-escaped
    assert listing(tmp_path) == ["graph.json"]


def test_write_json_atomic_same_input_same_bytes(tmp_path: Path) -> None:
    write_json_atomic(tmp_path / "one.json", {"x": [1, 2], "a": "b"})
    write_json_atomic(tmp_path / "two.json", {"a": "b", "x": [1, 2]})
    assert (tmp_path / "one.json").read_bytes() == (tmp_path / "two.json").read_bytes()


def test_write_json_atomic_replaces_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "graph.json"
    path.write_text("old content that is longer than the new one\n" * 10, encoding="utf-8")
    write_json_atomic(path, {"new": True})
    assert json.loads(path.read_text(encoding="utf-8")) == {"new": True}
    assert listing(tmp_path) == ["graph.json"]


def test_write_creates_parent_folders(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "graph.json"
    write_json_atomic(path, [1])
    assert json.loads(path.read_text(encoding="utf-8")) == [1]
    assert listing(path.parent) == ["graph.json"]


@pytest.mark.parametrize(
    "document",
    [
        {"bad": object()},
        {"bad": {1, 2}},
        {"ok": 1, "nested": [1, {"bad": b"bytes"}]},
        {1: "int key", "str": "key"},  # mixed key types cannot be sorted
    ],
)
def test_unserialisable_document_leaves_old_file(tmp_path: Path, document: Any) -> None:
    path = tmp_path / "graph.json"
    path.write_text('{"old": true}\n', encoding="utf-8")
    before = path.read_bytes()
    with pytest.raises(TypeError):
        write_json_atomic(path, document)
    assert path.read_bytes() == before
    assert listing(tmp_path) == ["graph.json"]


def test_unserialisable_document_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "graph.json"
    with pytest.raises(TypeError):
        write_json_atomic(path, {"bad": object()})
    assert listing(tmp_path) == []


@pytest.fixture
def full_disk(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Every fsync fails as on a full disk, until the test undoes the returned patch."""

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(storage.os, "fsync", broken_fsync)
    return monkeypatch


def test_failure_during_write_leaves_old_file_and_no_temp(
    tmp_path: Path, full_disk: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "graph.json"
    path.write_text("old\n", encoding="utf-8")
    with pytest.raises(OSError, match="No space left"):
        write_text_atomic(path, "new\n")
    assert path.read_text(encoding="utf-8") == "old\n"
    assert listing(tmp_path) == ["graph.json"]


def test_failure_during_replace_leaves_old_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "graph.json"
    path.write_text("old\n", encoding="utf-8")

    def broken_replace(self: Path, target: Any) -> Path:
        raise PermissionError("denied")

    monkeypatch.setattr(Path, "replace", broken_replace)
    with pytest.raises(PermissionError):
        write_text_atomic(path, "new\n")
    monkeypatch.undo()
    assert path.read_text(encoding="utf-8") == "old\n"
    assert listing(tmp_path) == ["graph.json"]


def test_keyboard_interrupt_also_cleans_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "graph.json"

    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(storage.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_text_atomic(path, "new\n")
    assert listing(tmp_path) == []


def test_write_text_atomic_keeps_newlines_and_encoding(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    write_text_atomic(path, "line one\nligne deux \u2013 é\n")
    assert path.read_bytes() == "line one\nligne deux \u2013 é\n".encode()


def test_written_file_is_complete_before_rename(tmp_path: Path) -> None:
    # The temporary file sits in the same folder (so the rename is atomic) and is hidden.
    seen: list[str] = []
    original = Path.replace

    def spy(self: Path, target: Any) -> Path:
        seen.append(self.name)
        assert self.parent == tmp_path
        assert self.read_text(encoding="utf-8") == '{\n  "a": 1\n}\n'
        return original(self, target)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Path, "replace", spy)
        write_json_atomic(tmp_path / "graph.json", {"a": 1})
    assert len(seen) == 1
    assert seen[0].startswith(".graph.json.")
    assert seen[0].endswith(".tmp")


def test_write_bytes_atomic_failure_keeps_the_old_file(
    tmp_path: Path, full_disk: pytest.MonkeyPatch
) -> None:
    """What the avatar cache relies on: an interrupted download never leaves a short file
    that later builds would take for the cached image."""
    path = tmp_path / "avatar.png"
    path.write_bytes(b"old image")
    with pytest.raises(OSError, match="No space left"):
        write_bytes_atomic(path, b"\x89PNG new image")
    assert path.read_bytes() == b"old image"
    assert listing(tmp_path) == ["avatar.png"]
    full_disk.undo()
    write_bytes_atomic(path, [b"\x89PNG", b" new"])
    assert path.read_bytes() == b"\x89PNG new"


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(5))
def test_text_written_in_chunks_is_the_joined_text(tmp_path: Path, seed: int) -> None:
    # Small pieces are batched and large ones sliced before encoding; the bytes must be those
    # of the whole text, non-ASCII characters on every boundary included.
    import random

    rng = random.Random(seed)
    alphabet = "ab\nü€😀\"'<>"
    chunks = [
        "".join(rng.choice(alphabet) for _ in range(rng.choice((0, 1, 7, 900, 70_000, 140_001))))
        for _ in range(rng.randint(1, 60))
    ]
    path = tmp_path / "out.txt"
    write_text_atomic(path, iter(chunks))
    assert path.read_bytes() == "".join(chunks).encode("utf-8")


def test_chunks_that_fail_midway_leave_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "list.md"
    path.write_text("old\n", encoding="utf-8")

    def pieces() -> Iterator[str]:
        yield "x" * 200_000  # enough to have been written to the temporary file already
        raise ValueError("a note failed")

    with pytest.raises(ValueError, match="a note failed"):
        write_text_atomic(path, pieces())
    assert path.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["list.md"]


@pytest.fixture
def large(tmp_path: Path) -> Path:
    """A file of 3 MiB and a bit, of bytes that repeat nowhere, to copy."""
    source = tmp_path / "kept" / "export.json"
    source.parent.mkdir()
    source.write_bytes(os.urandom(3 * 1024 * 1024 + 17))
    return source


def test_copy_file_atomic_copies_every_byte_and_keeps_the_mode(tmp_path: Path, large: Path) -> None:
    path = tmp_path / "site" / "backlinks.json"
    path.parent.mkdir()
    path.write_text("old\n", encoding="utf-8")
    path.chmod(0o640)
    copy_file_atomic(large, path)
    assert path.read_bytes() == large.read_bytes()
    assert path.stat().st_mode & 0o777 == 0o640
    assert listing(path.parent) == ["backlinks.json"]
    copy_file_atomic(large, tmp_path / "new" / "graph.json")  # a folder made on the way
    assert (tmp_path / "new" / "graph.json").read_bytes() == large.read_bytes()


@pytest.mark.parametrize("after", [0, 1 << 20], ids=["refused", "refused midway"])
def test_copy_file_atomic_without_the_kernel_copy(
    tmp_path: Path, large: Path, monkeypatch: pytest.MonkeyPatch, after: int
) -> None:
    """Where the system refuses to copy between two files (an old kernel, some file
    systems), at once or after a part, the rest is copied through memory."""
    sendfile = os.sendfile

    def refusing(out_fd: int, in_fd: int, offset: int | None, count: int) -> int:
        if offset is not None and offset + count > after:
            if offset < after:
                return sendfile(out_fd, in_fd, offset, after - offset)
            raise OSError(errno.EINVAL, "Invalid argument")
        return sendfile(out_fd, in_fd, offset, count)

    monkeypatch.setattr(storage.os, "sendfile", refusing, raising=False)
    path = tmp_path / "backlinks.json"
    copy_file_atomic(large, path)
    assert path.read_bytes() == large.read_bytes()


@pytest.mark.parametrize("system", ["linux", "no kernel copy", "no pread"])
def test_ranges_of_a_file_are_written_between_bytes(
    tmp_path: Path, large: Path, monkeypatch: pytest.MonkeyPatch, system: str
) -> None:
    """Pieces of another file (kept export entries) between bytes made now, in order, each
    where the last left off; copied in the kernel, or read (by `pread`, or by seeking where
    the system has no `pread`) where it is not."""
    if system != "linux":

        def refusing(out_fd: int, in_fd: int, offset: int | None, count: int) -> int:
            raise OSError(errno.EINVAL, "Invalid argument")

        monkeypatch.setattr(storage.os, "sendfile", refusing, raising=False)
    if system == "no pread":
        monkeypatch.delattr(storage.os, "pread")
    data = large.read_bytes()
    path = tmp_path / "backlinks.json"
    with large.open("rb") as kept:
        pieces = [
            b"head ",
            FileRange(kept, 5, 3 << 20),
            b" middle ",
            FileRange(kept, 0, 10),
            FileRange(kept, len(data) - 7, 7),
            b" tail",
        ]
        storage.write_bytes_atomic(path, pieces)
    expected = b"head " + data[5 : 5 + (3 << 20)] + b" middle " + data[:10] + data[-7:] + b" tail"
    assert path.read_bytes() == expected


def test_a_range_past_the_end_of_its_file_keeps_the_old_file(tmp_path: Path, large: Path) -> None:
    path = tmp_path / "backlinks.json"
    path.write_text("old\n", encoding="utf-8")
    size = large.stat().st_size
    with large.open("rb") as kept, pytest.raises(OSError, match="before byte"):
        storage.write_bytes_atomic(path, [b"head", FileRange(kept, size - 4, 8)])
    assert path.read_text(encoding="utf-8") == "old\n"
    assert listing(tmp_path) == ["backlinks.json", "kept"]


def test_copy_file_atomic_failure_keeps_the_old_file(
    tmp_path: Path, large: Path, full_disk: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "backlinks.json"
    path.write_text("old\n", encoding="utf-8")
    with pytest.raises(OSError, match="No space left"):
        copy_file_atomic(large, path)
    assert path.read_text(encoding="utf-8") == "old\n"
    assert listing(tmp_path) == ["backlinks.json", "kept"]
    with pytest.raises(FileNotFoundError):
        copy_file_atomic(tmp_path / "missing.json", path)
    assert path.read_text(encoding="utf-8") == "old\n"
    assert listing(tmp_path) == ["backlinks.json", "kept"]
