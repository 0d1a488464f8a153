"""Files the plugin writes: always whole or not at all.

A crash or a full disk in the middle of a write must never leave a half-written file where a
good one was, so every write goes to a temporary file in the same folder, is flushed to disk,
and then atomically replaces the old file.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any


def dump_json(document: Any) -> str:
    """Stable JSON text: sorted keys and fixed indentation, so diffs and builds are readable
    and two builds of the same input give the same bytes."""
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def dump_json_lines(
    head: dict[str, Any], key: str, entries: Iterable[tuple[str, Any]]
) -> Iterator[str]:
    """A JSON object as text chunks, with `key` holding one entry per line.

    For large machine-written files such as the graph export: compact entries use the C
    encoder (an indented dump falls back to the pure-Python one, several times slower), one
    line per entry still diffs well, and chunks are written as made instead of held at once.
    """
    opening = json.dumps(head, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    yield opening[:-1] + ("," if head else "") + json.dumps(key) + ":{"
    separator = "\n"
    for name, value in entries:
        yield separator + json.dumps(name, ensure_ascii=False) + ":"
        yield json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        separator = ",\n"
    yield "\n}}\n"


def write_text_atomic(path: Path, text: str | Iterable[str]) -> None:
    """Replace `path` with `text` (a string or chunks of one) atomically.

    Temp file in the same folder, fsync, then rename: readers see the old file or the new one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            if isinstance(text, str):
                handle.write(text)
            else:
                handle.writelines(text)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            Path(tmp).unlink()
        raise


def write_json_atomic(path: Path, document: Any) -> None:
    """Write `document` as stable JSON, atomically."""
    write_text_atomic(path, dump_json(document))
