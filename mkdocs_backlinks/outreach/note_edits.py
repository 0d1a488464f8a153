"""Notes the author edited on the review page, kept beside the ledger until they are sent.

A generated note is made again on every build, so an edit cannot live in it: the edit is kept
in its own file in the data folder (`note-edits.json`), keyed by contact id, and the review
page shows it in place of the generated note. It stays private, like the ledger, and is written
whole or not at all with the data folder locked, as `mark` writes the ledger.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from mkdocs_backlinks.files import (
    check_schema,
    dump_json,
    expect_dict,
    expect_str,
    locked,
    write_text_atomic,
)
from mkdocs_backlinks.outreach.records import Note

EDITS_FILE = "note-edits.json"
EDITS_SCHEMA = "mkdocs-backlinks/note-edits"
EDITS_VERSION = 1

MAX_SUBJECT = 998
"""Longest subject kept: the line length limit of an e-mail header (RFC 5322)."""

MAX_BODY = 200_000
"""Longest note kept, in characters: a note is an e-mail, and the page posts it whole."""


class NoteEditsError(ValueError):
    """The edits file cannot be used as it is; the message names the file and the problem."""


@dataclass(frozen=True, slots=True)
class NoteEdit:
    """The author's own version of one contact's note, and the day it was saved."""

    subject: str
    body: str
    date: str

    @property
    def note(self) -> Note:
        return Note(self.subject, self.body)


def load_edits(folder: Path) -> dict[str, NoteEdit]:
    """The saved edits in the data folder `folder`; none when there is no file yet.

    A damaged or newer file raises `NoteEditsError` and is left as it is: starting afresh
    would drop the author's words on the next save.
    """
    path = folder / EDITS_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise NoteEditsError(f"Cannot read {path}: {exc}") from exc
    try:
        data = expect_dict(json.loads(text), "the file")
        check_schema(data, EDITS_SCHEMA, EDITS_VERSION)
        notes = expect_dict(data.get("notes", {}), "'notes'")
        return {
            expect_str(key, "a contact id"): _edit(expect_dict(value, f"'notes.{key}'"), key)
            for key, value in notes.items()
        }
    except (TypeError, ValueError) as exc:
        raise NoteEditsError(f"{path} is damaged: {exc}. Fix or remove it.") from exc


def _edit(value: Mapping[str, object], key: str) -> NoteEdit:
    return NoteEdit(
        subject=expect_str(value.get("subject", ""), f"'notes.{key}.subject'"),
        body=expect_str(value.get("body", ""), f"'notes.{key}.body'"),
        date=expect_str(value.get("date", ""), f"'notes.{key}.date'"),
    )


def check_edit(subject: str, body: str) -> None:
    """ValueError, saying what is wrong, for a note no one could send as it is."""
    if "\n" in subject or "\r" in subject:
        raise ValueError("the subject must be one line")
    if len(subject) > MAX_SUBJECT:
        raise ValueError(f"the subject is longer than {MAX_SUBJECT} characters")
    if len(body) > MAX_BODY:
        raise ValueError(f"the note is longer than {MAX_BODY} characters")
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in subject + body):
        raise ValueError("the note holds control characters")


def save_edit(folder: Path, contact_id: str, edit: NoteEdit | None) -> dict[str, NoteEdit]:
    """Keep `edit` as the note of `contact_id` (None: back to the generated note), re-reading
    the file under the lock so an edit saved meanwhile by another page is kept; all edits."""
    with locked(folder):
        edits = load_edits(folder)
        if edit is None:
            edits.pop(contact_id, None)
        else:
            check_edit(edit.subject, edit.body)
            edits[contact_id] = edit
        document = {
            "schema": EDITS_SCHEMA,
            "version": EDITS_VERSION,
            "notes": {
                key: {"subject": e.subject, "body": e.body, "date": e.date}
                for key, e in edits.items()
            },
        }
        write_text_atomic(folder / EDITS_FILE, dump_json(document))
    return edits
