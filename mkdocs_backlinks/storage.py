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
from pathlib import Path
from typing import Any


def dump_json(document: Any) -> str:
    """Stable JSON text: sorted keys and fixed indentation, so diffs and builds are readable
    and two builds of the same input give the same bytes."""
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def write_text_atomic(path: Path, text: str) -> None:
    """Replace `path` with `text` atomically (temp file, fsync, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
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
