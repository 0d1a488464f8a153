"""Merging the data folder's files for git, record by record.

The ledger, the mentions store and the moderation file live under version control. When two
branches both build (each records its citations, its dates, its `mark`s), git's line merge
sees two edits of the same first line and of neighbouring records, and leaves conflict
markers that no build can read. These files are sets of keyed records, so they merge exactly:
each record from the side that changed it, and both sides' changes to one record combined by
the rules of `ledger.merge3`, `mentions.rebase` and `mentions.merge_moderation`.

`merge_files` is what `mkdocs-backlinks merge-data`, a git merge driver, runs (see the README,
"The ledger in git"): git gives it the common ancestor, our version and theirs as three files,
and takes our file back as the result.
"""

from __future__ import annotations

import json
from pathlib import Path

from mkdocs_backlinks.files import conflict_marker, write_text_atomic
from mkdocs_backlinks.ledger.file import parse_ledger
from mkdocs_backlinks.ledger.format import LEDGER_SCHEMA, dumps
from mkdocs_backlinks.ledger.merge import merge3
from mkdocs_backlinks.ledger.model import Ledger
from mkdocs_backlinks.mentions.merge import rebase
from mkdocs_backlinks.mentions.model import MentionsStore
from mkdocs_backlinks.mentions.moderation import (
    MODERATION_SCHEMA,
    Moderation,
    dumps_moderation,
    load_moderation,
    merge_moderation,
)
from mkdocs_backlinks.mentions.store import STORE_SCHEMA, dumps_store, load_store


class MergeError(Exception):
    """The three versions cannot be merged; git then leaves the file in conflict."""


def merge_files(base: Path, ours: Path, theirs: Path, name: str = "") -> str:
    """Merge `theirs` into `ours` (both changed from `base`) and write the result to `ours`.

    `name` is the file's path in the repository, for messages. The kind of file is read from
    its `schema`. `base` may be empty: both branches created the file. Returns the kind merged;
    MergeError, with `ours` untouched, when a version is damaged or of another kind.
    """
    label = name or str(ours)
    texts = {side: _read(path, label) for side, path in (("base", base), ("ours", ours))}
    texts["theirs"] = _read(theirs, label)
    schemas = {_schema(text) for text in texts.values() if text.strip()}
    if len(schemas) != 1:
        raise MergeError(f"{label}: the versions are not all the same kind of data file")
    schema = schemas.pop()
    if schema == LEDGER_SCHEMA:
        ledgers = [
            parse_ledger(texts[side], Path(label)) if texts[side].strip() else Ledger()
            for side in ("base", "ours", "theirs")
        ]
        result = dumps(merge3(*ledgers))
    elif schema == STORE_SCHEMA:
        stores = [
            load_store(path) if texts[side].strip() else MentionsStore()
            for side, path in (("base", base), ("ours", ours), ("theirs", theirs))
        ]
        result = dumps_store(rebase(stores[0], stores[2], stores[1]))
    elif schema == MODERATION_SCHEMA:
        sets = [
            load_moderation(path) if texts[side].strip() else Moderation()
            for side, path in (("base", base), ("ours", ours), ("theirs", theirs))
        ]
        result = dumps_moderation(merge_moderation(*sets))
    else:
        raise MergeError(f"{label}: not a data file of mkdocs-backlinks (schema {schema!r})")
    write_text_atomic(ours, result)
    return str(schema)


def _read(path: Path, label: str) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MergeError(f"{label}: cannot read {path}: {exc}") from exc
    marker = conflict_marker(text)
    if marker is not None:  # a version that is itself an unresolved merge
        raise MergeError(f"{label}: a version holds conflict markers (line {marker[0]})")
    return text


def _schema(text: str) -> str | None:
    """The `schema` a data file names, read from its first line (the ledger and the store
    write it there) or, for the indented moderation file, from the whole document; one that
    is not text (a list) as written, so it is told apart and named in the error."""
    first = text.partition("\n")[0].rstrip().rstrip(",")
    for candidate in (first + "}", text):
        try:
            data = json.loads(candidate)
        except (ValueError, RecursionError):
            continue
        if isinstance(data, dict) and "schema" in data:
            schema = data["schema"]
            return schema if isinstance(schema, str) else json.dumps(schema)
    return None
