"""The views of the outreach report: Markdown, CSV, JSON, the HTML review page, and the
terminal table.

Each list file is also given as pieces (`*_chunks`), made a contact at a time, so a build can
write it as it is made rather than hold the whole text.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import shlex
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from mkdocs_backlinks.outreach.notes import OUTREACH_TEMPLATES
from mkdocs_backlinks.outreach.records import ContactRow, Note, Record, Report
from mkdocs_backlinks.template_cache import template_cache
from mkdocs_backlinks.works.model import DEAD

REVIEW_TEMPLATE = "review.html"

# ----------------------------------------------------------------------------- Markdown


def render_markdown(report: Report) -> str:
    """The list as Markdown: grouped by status, new first, each note ready to copy."""
    return "".join(markdown_chunks(report))


def markdown_chunks(report: Report) -> Iterator[str]:
    """`render_markdown`'s text in pieces, a contact at a time, for writing as it is made."""
    blocks = _markdown_blocks(report)
    return ends_in_one_newline("".join(line + "\n" for line in block) for block in blocks)


def ends_in_one_newline(pieces: Iterable[str]) -> Iterator[str]:
    """`pieces`, with the newlines that end their joined text cut to exactly one.

    What has text is held back until more text follows, so that newlines at the end of the
    last pieces (however many pieces they are spread over) can be cut.
    """
    held = ""
    for piece in pieces:
        if piece.strip("\n"):
            if held:
                yield held
            held = piece
        else:
            held += piece
    yield held.rstrip("\n") + "\n"


def _markdown_blocks(report: Report) -> Iterator[list[str]]:
    lines = [
        f"# Outreach for {report.site.name or 'this site'}",
        "",
        f"Generated {report.generated} by mkdocs-backlinks. {report.summary.to_do} "
        f"notes to send, {report.summary.contacts} contacts in all.",
        "",
    ]
    for status in report.statuses:
        group = [row for row in report.contacts if row.status == status]
        if not group:
            continue
        lines += [f"## {status.capitalize()} ({len(group)})", ""]
        for row in group:
            yield lines
            lines = _markdown_contact(row)
    yield lines + _markdown_broken(report) + _markdown_relationships(report)


LISTED_WORKS = 10
"""Works the Markdown list shows per contact; `outreach.json` and the ledger keep them all."""
LISTED_PAGES = 3
"""Citing pages it shows per work; the rest are counted."""


def _markdown_contact(row: ContactRow) -> list[str]:
    lines = [f"### {row.id}", ""]
    if row.reason:
        lines += [f"Reason: {row.reason}", ""]
    if not row.cited:
        lines += ["No longer cited.", ""]
    for work in row.works[:LISTED_WORKS]:
        title = work.title or work.url
        by = f" by {_md_text(work.author)}" if work.author else ""
        dead = work.link_status in DEAD
        flag = f" **({work.link_status} at the last check)**" if dead else ""
        lines.append(f"- [{_md_text(title)}]({work.url}){by}{flag}")
        pages = list({c.page: c for c in work.citations}.values())
        for c in pages[:LISTED_PAGES]:
            lines.append(f"    - cited in [{_md_text(c.page_title)}]({c.page_url})")
        if len(pages) > LISTED_PAGES:
            lines.append(f"    - and on {len(pages) - LISTED_PAGES} more pages")
    if len(row.works) > LISTED_WORKS:
        lines.append(f"- and {len(row.works) - LISTED_WORKS} more works (outreach.json lists all)")
    lines.append("")
    for suggestion in row.suggestions:
        lines.append(f"*Suggestion: {suggestion}.*")
    if row.suggestions:
        lines.append("")
    if row.email:
        lines += [f"Email: <{row.email}>", ""]
    best = row.best_route
    lines += [f"Best route: {best.kind} <{best.url}>", ""]
    lines += ["```text", f"Subject: {row.note.subject}", ""]
    lines += [*row.note.body.rstrip("\n").split("\n"), "```", ""]
    if row.public_post:
        lines += ["Public thank-you:", "", "```text", row.public_post, "```", ""]
    lines += [f"Done? `{row.mark_command}`", ""]
    return lines


def _markdown_broken(report: Report) -> list[str]:
    if not report.broken:
        return []
    lines = ["## Broken citations", ""]
    for item in report.broken:
        pages = ", ".join(item.pages)
        lines.append(f"- <{item.url}> is {item.status}; cited in {pages}")
    lines.append("")
    return lines


def _markdown_relationships(report: Report) -> list[str]:
    if not report.relationships:
        return []
    lines = ["## Relationships", "", "| site | citations | pages | last told | mentions |"]
    lines.append("| --- | ---: | ---: | --- | ---: |")
    for rel in report.relationships:
        lines.append(
            f"| {rel.site} | {rel.citations} | {rel.pages} | "
            f"{rel.last_told or 'never'} | {rel.mentions} |"
        )
    lines.append("")
    return lines


def _md_text(text: str) -> str:
    return text.replace("[", "\\[").replace("]", "\\]").replace("\n", " ")


# ----------------------------------------------------------------------------- CSV

CSV_COLUMNS = (
    "id", "site", "name", "email", "status", "reason", "cited", "first_seen", "last_seen",
    "last_told", "works", "pages", "suggestions", "subject", "note", "mark_command",
    "best_route", "broken_works", "public_post",
)  # fmt: skip

LISTED_URLS = 20
"""URLs a cell of `works` or `pages` holds; past them a last word says how many more."""


def _urls(urls: list[str]) -> str:
    """`urls` joined by spaces, at most `LISTED_URLS` of them and a count of the rest."""
    shown = " ".join(urls[:LISTED_URLS])
    rest = len(urls) - LISTED_URLS
    return f"{shown} (and {rest} more)" if rest > 0 else shown


# A spreadsheet evaluates a cell that starts with one of these (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    """`value` as a cell a spreadsheet shows as text: names, titles and notes hold what cited
    pages say about themselves, so a formula there would run on the author's machine. The
    leading quote is the usual defence; it only marks the cell as text."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def render_csv(report: Report) -> str:
    """One row per contact, for spreadsheets and scripts."""
    return "".join(csv_chunks(report))


def csv_chunks(report: Report) -> Iterator[str]:
    """`render_csv`'s text, a row at a time."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in report.contacts:
        yield out.getvalue()
        out.seek(0)
        out.truncate()
        writer.writerow(_cell(cell) for cell in _csv_cells(row))
    yield out.getvalue()


def _csv_cells(row: ContactRow) -> list[str]:
    """The row's cells, in the order of `CSV_COLUMNS`."""
    return [
        row.id,
        row.site,
        row.name or "",
        row.email or "",
        row.status,
        row.reason,
        "yes" if row.cited else "no",
        row.first_seen,
        row.last_seen,
        row.last_told or "",
        _urls([w.url for w in row.works]),
        _urls(sorted({c.page_url for w in row.works for c in w.citations})),
        "; ".join(row.suggestions),
        row.note.subject,
        row.note.body,
        row.mark_command,
        row.best_route.url,
        " ".join(w.url for w in row.works if w.link_status in DEAD),
        row.public_post,
    ]


# ----------------------------------------------------------------------------- JSON


def _compact(document: Any) -> str:
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def json_chunks(report: Report) -> Iterator[str]:
    """`outreach.json`: the report as compact JSON, keys sorted, a contact at a time.

    The same bytes as one `json.dumps` of the whole report (the C encoder does each piece),
    without the whole text in memory at once.
    """
    head = report.as_dict(contacts=False)
    separator = "{"
    for key in sorted([*head, "contacts"]):
        yield separator + _compact(key) + ":"
        if key == "contacts":
            yield "["
            yield from _joined(_compact(row.as_dict()) for row in report.contacts)
            yield "]"
        else:
            yield _compact(head[key])
        separator = ","
    yield "}\n"


def _joined(pieces: Iterable[str]) -> Iterator[str]:
    separator = ""
    for piece in pieces:
        yield separator + piece
        separator = ","


# ----------------------------------------------------------------------------- HTML

FULL_CARDS = 100
"""Contacts the static review page shows in full (works, quotes, note); the rest get a line
each, so the page stays a few megabytes on a site that cites thousands of others. The review
server shows every contact in full, a page of them at a time."""

CARD_WORKS = 8
"""Works shown on a contact's card; the rest are counted (outreach.json has them all)."""

CARD_CITATIONS = 3
"""Places shown under each work on a card; the rest are counted."""

NEXT_STEPS: dict[str, tuple[str, ...]] = {
    "new": ("sent", "skipped"),
    "pending": ("sent", "skipped"),
    "sent": ("replied", "linked-back"),
    "replied": ("linked-back",),
    "linked-back": (),
    "skipped": ("pending",),
}
"""What a card offers to record next, by the contact's status: a note sent is not "sent"
again, a skipped contact is taken back to pending rather than marked sent."""


@dataclass(frozen=True, slots=True)
class ServedPage:
    """What the review server adds to the page: the contacts of this page of it, the notes
    the author edited, and the token its links carry."""

    token: str
    offset: int
    page_size: int
    edits: Mapping[str, Note] = field(default_factory=dict)


def render_html(report: Report, served: ServedPage | None = None, cache: Path | None = None) -> str:
    """The self-contained review page (works from the file system, no server), or with
    `served`, the review server's page of it; `cache` as for `review_template`."""
    return "".join(html_chunks(report, served, cache))


def html_chunks(
    report: Report, served: ServedPage | None = None, cache: Path | None = None
) -> Iterator[str]:
    """`render_html`'s text as the template makes it."""
    if served is None:
        cards, brief = report.contacts[:FULL_CARDS], report.contacts[FULL_CARDS:]
        offset = 0
    else:
        offset = max(0, min(served.offset, len(report.contacts)))
        cards, brief = report.contacts[offset : offset + served.page_size], ()
    return review_template(cache).generate(
        report=report, cards=cards, brief=brief, offset=offset, served=served
    )


def mark_command_for(contact_id: str, status: str, config_file: str) -> str:
    """`mkdocs-backlinks mark` setting `status`, with the `-f` the build was run with, as
    the static page shows it for the author to paste."""
    words = ["mkdocs-backlinks", "mark", contact_id, "--status", status]
    if status == "skipped":
        words += ["--reason", "why"]
    if config_file not in ("", "mkdocs.yml"):
        words += ["-f", config_file]
    return shlex.join(words)


class _ReportEnvironment(jinja2.Environment):
    """Looks a name up on a report record as an attribute first, also as `row["key"]`.

    Jinja's `row.site` already tries the attribute first; but `row["site"]`, and filters such
    as `selectattr("status")`, try the key first, which raises and catches an error on every
    record (they are not subscriptable).
    """

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(obj, Record) and isinstance(argument, str):
            return self.getattr(obj, argument)
        return super().getitem(obj, argument)


@functools.cache
def review_template(cache: Path | None = None) -> jinja2.Template:
    """The shipped review page, loaded once per process (`mkdocs serve` rebuilds and the
    commands reuse it): it is part of the package, not something the author edits. With
    `cache` (the plugin's cache folder) it is compiled once and kept there, as the sections'
    and the notes' templates are (`template_cache`)."""
    env = _ReportEnvironment(
        loader=jinja2.FileSystemLoader(str(OUTREACH_TEMPLATES)),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        bytecode_cache=template_cache(cache, "review"),
    )
    env.globals.update(
        mark_command_for=mark_command_for,
        next_steps=NEXT_STEPS,
        card_works=CARD_WORKS,
        card_citations=CARD_CITATIONS,
    )
    return env.get_template(REVIEW_TEMPLATE)


# ----------------------------------------------------------------------------- terminal


def render_table(rows: Iterable[ContactRow]) -> str:
    """A plain-text table for the terminal."""
    header = ("ID", "STATUS", "CITED", "PAGES", "EMAIL", "SUGGESTION")
    body = [
        (
            row.id,
            row.status,
            "yes" if row.cited else "no",
            str(len({c.page for w in row.works for c in w.citations})),
            row.email or "-",
            "; ".join(row.suggestions) or "-",
        )
        for row in rows
    ]
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *body, strict=True)]
    return (
        "\n".join(
            "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
            for line in (header, *body)
        )
        + "\n"
    )
