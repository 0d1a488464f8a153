"""The four list files (`outreach.md`, `.csv`, `.json`, `.html`) and what says they are current.

The ledger's first line keeps a fingerprint of what the lists were made from (the records, the
settings, the note template, the plugin version): a build that finds it unchanged leaves the
lists alone.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from mkdocs_backlinks import __version__
from mkdocs_backlinks.files import text_digest, write_text_atomic
from mkdocs_backlinks.ledger.file import save_ledger
from mkdocs_backlinks.ledger.format import records_chunks
from mkdocs_backlinks.ledger.model import Ledger, ListsState
from mkdocs_backlinks.outreach.notes import NoteWriter, thanks_writer
from mkdocs_backlinks.outreach.settings import Settings

if TYPE_CHECKING:
    # The report and its formats are imported where the lists are made: a build that changes
    # nothing only compares fingerprints, and never loads them.
    from mkdocs_backlinks.outreach.records import Report

LIST_FILES = ("outreach.md", "outreach.csv", "outreach.json", "outreach.html")


def write_lists(folder: Path, report: Report, cache: Path | None = None) -> None:
    """Write the four views of the list, each atomically; `cache` is the plugin's cache
    folder, where the review page's template is kept compiled."""
    from mkdocs_backlinks.outreach.formats import (
        csv_chunks,
        html_chunks,
        json_chunks,
        markdown_chunks,
    )

    # Each written as it is made: this runs at the end of a build, when memory peaks, and the
    # review page alone is megabytes of text on a large site (its pieces, joined, twice that).
    write_text_atomic(folder / "outreach.md", markdown_chunks(report))
    write_text_atomic(folder / "outreach.csv", csv_chunks(report))
    # Compact: it is for tools, and the indented encoder is slow on a large site.
    write_text_atomic(folder / "outreach.json", json_chunks(report))
    write_text_atomic(folder / "outreach.html", html_chunks(report, cache=cache))


def lists_fingerprint(body_hash: str, settings: Settings, writer: NoteWriter) -> str:
    """What the lists are made from: the ledger's records, the settings, the templates and
    the plugin version.

    Not where the build ran from: today's date, the path of mkdocs.yml as given (`-f`) and
    the templates' paths (their text counts) are left out, because the fingerprint lives in
    the committed ledger, and a build of the same site from another folder or machine must not
    rewrite it (the commands the lists show keep the `-f` of the build that wrote them)."""
    digest = hashlib.sha256()
    digest.update(body_hash.encode())
    anywhere = replace(settings, today="", config_file="", note_template=None, thanks_template=None)
    digest.update(repr(anywhere).encode())
    digest.update(writer.source.encode())
    if settings.thanks_template is not None:
        digest.update(
            thanks_writer(settings.thanks_template, settings.template_cache).source.encode()
        )
    digest.update(__version__.encode())
    return digest.hexdigest()


def with_lists(
    ledger: Ledger, fingerprint: str, settings: Settings, writer: NoteWriter
) -> tuple[Ledger, Report]:
    """The report for `ledger`, and the ledger with its list state set to `fingerprint` and
    the report's counts."""
    from mkdocs_backlinks.outreach.report import build_report

    report = build_report(ledger, settings, writer)
    summary = report.summary
    state = ListsState(fingerprint, summary.contacts, summary.to_do, summary.by_status["new"])
    return replace(ledger, lists=state), report


def lists_for(ledger: Ledger, settings: Settings, writer: NoteWriter) -> tuple[Ledger, Report]:
    """The report for `ledger`, and the ledger with its list state updated to match (for
    commands such as `mark` that change the ledger outside a build)."""
    fingerprint = lists_fingerprint(text_digest(records_chunks(ledger)), settings, writer)
    return with_lists(ledger, fingerprint, settings, writer)


def save_with_lists(
    path: Path, ledger: Ledger, settings: Settings, writer: NoteWriter | None = None
) -> Ledger:
    """Save `ledger` at `path` and rewrite the lists beside it, so that a command that
    changes the ledger outside a build (`mark`, `send`, the review page) keeps them in step;
    the ledger as saved, its list state updated to match.

    The change is saved first, with the list state the ledger had: if the lists then cannot
    be written (a full disk), the change is kept, and the ledger's first line still names
    older lists, so the next build or command writes them. Saved after the lists only, a
    failure between the two lost the change and left lists showing it, which no later build
    would correct (their fingerprint matched the ledger's).
    """
    writer = writer or NoteWriter(settings.note_template, settings.template_cache)
    updated, report = lists_for(ledger, settings, writer)
    save_ledger(path, ledger)
    try:
        write_lists(path.parent, report, settings.template_cache)
    except OSError as exc:
        raise OSError(
            f"the change is saved in {path}, but the lists beside it could not be written "
            f"({exc}); the next build writes them"
        ) from exc
    save_ledger(path, updated)
    return updated
