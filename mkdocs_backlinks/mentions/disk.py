"""Reading the mentions store and the moderation file: the checks both files share.

A file that cannot be used raises `MentionsError` naming the file and the fix, and is left
as it is.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mkdocs_backlinks.files import check_schema, conflict_marker
from mkdocs_backlinks.files import expect_dict as _dict
from mkdocs_backlinks.mentions.model import MentionsError

__all__ = ["damaged", "decode_file", "read_text"]


def read_text(path: Path, what: str) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError as exc:
        raise MentionsError(
            f"The {what} {path} is not UTF-8 text ({exc.reason} at byte {exc.start}). It was "
            "left untouched: fix it or restore it from version control."
        ) from exc
    except OSError as exc:
        raise MentionsError(f"Cannot read the {what} {path}: {exc}") from exc


def decode_file(text: str, path: Path, what: str, schema: str, version: int) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        marker = conflict_marker(text)
        if marker is not None:
            raise MentionsError(
                f"The {what} {path} holds an unresolved git merge conflict (line {marker[0]}: "
                f"{marker[1][:40]!r}). It was left untouched. Resolve it with the merge driver: "
                f"'git checkout -m -- {path.name}' in its folder once the driver is set up "
                "(see 'The ledger in git' in the README), or keep one side ('git checkout "
                f"--ours -- {path.name}' or '--theirs'); then 'git add' it."
            ) from exc
        raise MentionsError(
            f"The {what} {path} is not valid JSON (line {exc.lineno}, column {exc.colno}: "
            f"{exc.msg}). It was left untouched: fix it or restore it from version control."
        ) from exc
    try:
        data = _dict(data, "the document")
        check_schema(data, schema, version)
    except (TypeError, ValueError) as exc:
        raise damaged(path, what, exc) from exc
    return data


def damaged(path: Path, what: str, exc: Exception) -> MentionsError:
    detail = f"a required field {exc} is missing" if isinstance(exc, KeyError) else str(exc)
    return MentionsError(
        f"The {what} {path} is damaged: {detail}. It was left untouched: fix it or restore it "
        "from version control."
    )
