"""The outreach list: whom the site cites, what to tell them, and how.

`build_report` turns the ledger into one plain document (the content of `outreach.json`); the
Markdown, CSV and HTML lists are views of that document, so they always agree. Notes come from
a Jinja template the author can replace; they say who wrote what, where it was cited and why,
and ask for nothing, because a note that asks for a link back reads as link building.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import itertools
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.utils import get_build_datetime

from mkdocs_backlinks import __version__
from mkdocs_backlinks.config import BacklinksConfig
from mkdocs_backlinks.files import locked, write_text_atomic
from mkdocs_backlinks.graph.linkgraph import LinkGraph
from mkdocs_backlinks.ledger.ledger import (
    DEAD,
    STATUSES,
    Contact,
    Ledger,
    LedgerFile,
    ListsState,
    Observed,
    Work,
    WorkMeta,
    gather,
    head_line,
    linked_back,
    merge_gathered,
    metadata_in,
    observed_digest,
    parse_ledger,
    read_head,
    read_ledger_lines,
    read_ledger_text,
    records_chunks,
    with_head,
)
from mkdocs_backlinks.links.urls import domain_matches, site_of

REPORT_SCHEMA = "mkdocs-backlinks/outreach"
REPORT_VERSION = 1
# Not in the theme's template folder: MkDocs copies the non-HTML files found there into the
# site, and these are private.
OUTREACH_TEMPLATES = Path(__file__).parent / "templates"
NOTE_TEMPLATE = "note.txt"
REVIEW_TEMPLATE = "review.html"
LIST_FILES = ("outreach.md", "outreach.csv", "outreach.json", "outreach.html")
LEDGER_FILE = "ledger.json"

# A site cited from this many pages and never told deserves a nudge.
MANY_PAGES = 3


@dataclass(frozen=True, slots=True)
class Settings:
    """What the outreach list needs from the configuration."""

    site_name: str
    site_url: str
    author: str
    author_url: str
    sign_off: str
    tone: str
    done_statuses: tuple[str, ...]
    exclude_sites: tuple[str, ...]
    note_template: Path | None
    config_file: str
    today: str
    mentions: tuple[tuple[str, int, str], ...] = ()
    """Sites that mention this site: (site, visible mentions, date of the latest)."""


class NoteWriter:
    """Renders notes from the shipped template or the author's own file."""

    def __init__(self, template_file: Path | None) -> None:
        if template_file is not None:
            loader: jinja2.BaseLoader = jinja2.FileSystemLoader(str(template_file.parent))
            name = template_file.name
        else:
            loader = jinja2.FileSystemLoader(str(OUTREACH_TEMPLATES))
            name = NOTE_TEMPLATE
        # Notes are plain text (.txt): nothing to escape. Every view that shows a note in HTML
        # escapes it there. A template named .html would be escaped.
        env = jinja2.Environment(
            loader=loader,
            autoescape=jinja2.select_autoescape(("html", "htm", "xml"), default=False),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            undefined=jinja2.StrictUndefined,
        )
        try:
            self._template = env.get_template(name)
        except jinja2.TemplateError as exc:
            raise ValueError(f"Cannot load the note template {template_file}: {exc}") from exc
        source = self._template.filename
        self.source = Path(source).read_text(encoding="utf-8") if source else ""
        self.origin = str(template_file) if template_file else "the shipped note template"
        self.write(_SAMPLE_NOTE)  # a template that cannot render fails now, not mid-build

    def write(self, variables: dict[str, Any]) -> tuple[str, str]:
        """`(subject, body)` of one note."""
        try:
            text = self._template.render(**variables).strip("\n")
        except jinja2.TemplateError as exc:
            raise ValueError(f"Cannot render the note template {self.origin}: {exc}") from exc
        # The author's template runs Python operations on real data, which fail with Python's
        # own errors ('{{ "%d" % contact.site }}' a TypeError, a division by a count that is
        # zero for one contact): the same clear message, naming the template, not a traceback.
        except Exception as exc:
            what = f"{type(exc).__name__}: {exc}"
            raise ValueError(f"Cannot render the note template {self.origin}: {what}") from exc
        subject = ""
        first, _, rest = text.partition("\n")
        if first.lower().startswith("subject:"):
            subject, text = first[len("subject:") :].strip(), rest.lstrip("\n")
        return subject, _tidy(text)


_SAMPLE_NOTE: dict[str, Any] = {
    "contact": {"id": "example.org", "site": "example.org", "name": ""},
    "works": [
        {
            "url": "https://example.org/post/",
            "title": "A post",
            "home": False,
            "cited": True,
            "citations": [],
        }
    ],
    "pages": [{"title": "My page", "url": "https://example.com/page/", "context": "A sentence."}],
    "me": {"name": "Me", "url": "https://example.com/", "site_name": "My site"},
    "sign_off": "Thanks,",
    "tone": "friendly",
}


def _tidy(text: str) -> str:
    """At most one blank line in a row, no trailing spaces, one final newline."""
    lines: list[str] = []
    for line in text.splitlines():
        line = line.rstrip()
        if line or (lines and lines[-1]):
            lines.append(line)
    return "\n".join(lines).strip("\n") + "\n"


def mark_command(contact_id: str, config_file: str) -> str:
    """The command that records the note as sent, ready to paste."""
    flag = "" if config_file in ("", "mkdocs.yml") else f" -f {_quote(config_file)}"
    return f"mkdocs-backlinks mark {_quote(contact_id)} --status sent{flag}"


def _quote(word: str) -> str:
    safe = all(ch.isalnum() or ch in "-._/:@" for ch in word)
    return word if safe and word else "'" + word.replace("'", "'\\''") + "'"


def _suggestions(contact: Contact, works: list[Work]) -> list[str]:
    out: list[str] = []
    pages = {c.page for work in works if work.cited for c in work.citations}
    never_told = contact.status in ("new", "pending") and not contact.last_told
    if never_told and len(pages) >= MANY_PAGES:
        out.append(f"cited in {len(pages)} pages, never contacted")
    if not contact.cited:
        out.append("no longer cited")
    dead = sum(1 for work in works if work.cited and work.meta.dead)
    if dead:
        out.append(f"{dead} cited work{'s' if dead > 1 else ''} broken or gone: fix the link")
    return out


def build_report(ledger: Ledger, settings: Settings, writer: NoteWriter) -> dict[str, Any]:
    """The outreach document: contacts sorted new first, each with its note and routes."""
    works_of: dict[str, list[Work]] = {}
    for work in ledger.works.values():
        works_of.setdefault(work.contact, []).append(work)
    order = {status: index for index, status in enumerate(STATUSES)}
    contacts = sorted(
        (c for c in ledger.contacts.values() if not domain_matches(c.site, settings.exclude_sites)),
        key=lambda c: (order[c.status], not c.cited, c.id),
    )
    me = {"name": settings.author, "url": settings.author_url, "site_name": settings.site_name}
    rows = []
    relationships = []
    broken: list[dict[str, Any]] = []
    citation_count = 0
    mention_counts = {site: count for site, count, _ in settings.mentions}
    for contact in contacts:
        works = sorted(works_of.get(contact.id, []), key=lambda w: (not w.cited, w.url))
        shown = [w for w in works if w.cited] or works
        pages: dict[str, dict[str, str]] = {}
        for work in shown:
            for citation in work.citations:
                pages.setdefault(
                    citation.page,
                    {
                        "title": citation.page_title,
                        "url": citation.page_url,
                        "context": citation.context,
                    },
                )
        work_rows = [
            {
                "url": work.url,
                # The work's own title when the build learned it; else the anchor text.
                "title": work.meta.title or (work.citations[0].text if work.citations else ""),
                "author": work.meta.author or None,
                "link_status": work.meta.status or None,
                "final_url": work.meta.final_url or None,
                "checked": work.meta.checked or None,
                "home": urlsplit(work.url).path in ("", "/"),
                "cited": work.cited,
                "citations": [c.record() for c in work.citations],
            }
            for work in works
        ]
        citation_count += sum(len(w.citations) for w in works if w.cited)
        name = contact.name or _author_of(works)
        subject, body = writer.write(
            {
                "contact": {"id": contact.id, "site": contact.site, "name": name},
                "works": [w for w in work_rows if w["cited"]] or work_rows,
                "pages": [pages[key] for key in sorted(pages)],
                "me": me,
                "sign_off": settings.sign_off,
                "tone": settings.tone,
            }
        )
        suggestions = _suggestions(contact, works)
        broken += [
            {
                "url": work.url,
                "status": work.meta.status,
                "contact": contact.id,
                "pages": sorted({c.page for c in work.citations}),
            }
            for work in works
            if work.cited and work.meta.dead
        ]
        routes = _routes(contact)
        email = contact.email or next(iter(contact.routes.emails), "")
        rows.append(
            {
                "id": contact.id,
                "site": contact.site,
                "name": name or None,
                "status": contact.status,
                "done": contact.status in settings.done_statuses,
                "reason": contact.reason,
                "cited": contact.cited,
                "first_seen": contact.first_seen,
                "last_seen": contact.last_seen,
                "last_told": contact.last_told or None,
                "email": email or None,
                "routes": routes,
                "best_route": routes[0],
                "works": work_rows,
                "note": {"subject": subject, "body": body},
                "mark_command": mark_command(contact.id, settings.config_file),
                "suggestions": suggestions,
            }
        )
        relationships.append(
            {
                "site": contact.site,
                "citations": sum(len(w.citations) for w in works if w.cited),
                "pages": len({c.page for w in works if w.cited for c in w.citations}),
                "last_told": contact.last_told or None,
                "mentions": mention_counts.pop(contact.site, 0),
                "status": contact.status,
                "suggestions": suggestions,
            }
        )
    # Sites that mention us without being cited: relationships that started from their side.
    for site, count in mention_counts.items():
        relationships.append(
            {
                "site": site,
                "citations": 0,
                "pages": 0,
                "last_told": None,
                "mentions": count,
                "status": None,
                "suggestions": ["mentions you; you have not cited them"],
            }
        )
    by_status = Counter(row["status"] for row in rows)
    return {
        "schema": REPORT_SCHEMA,
        "version": REPORT_VERSION,
        "generated": settings.today,
        "site": {"name": settings.site_name, "url": settings.site_url},
        "config_file": settings.config_file,
        "statuses": list(STATUSES),
        "summary": {
            "contacts": len(rows),
            "citations": citation_count,
            "by_status": {status: by_status.get(status, 0) for status in STATUSES},
            "to_do": sum(1 for row in rows if not row["done"] and row["cited"]),
            "broken": len(broken),
        },
        "contacts": rows,
        "broken": sorted(broken, key=lambda b: b["url"]),
        "relationships": sorted(
            relationships, key=lambda r: (-r["pages"], -r["mentions"], r["site"])
        ),
    }


def _author_of(works: list[Work]) -> str:
    """The one author the contact's cited works name, '' when none or several: a note to a
    site where many people write says "Hi there" rather than guess."""
    authors = {work.meta.author for work in works if work.cited and work.meta.author}
    return authors.pop() if len(authors) == 1 else ""


def _routes(contact: Contact) -> list[dict[str, str]]:
    """Ways to reach a contact, best first: the address the author chose, then the work's
    webmention endpoint, e-mail addresses, rel=me profiles, and the site itself."""
    routes: list[dict[str, str]] = []
    if contact.email:
        routes.append({"kind": "email", "url": f"mailto:{contact.email}"})
    found = contact.routes
    if found.webmention:
        routes.append({"kind": "webmention", "url": found.webmention})
    for address in found.emails:
        if address != contact.email:
            routes.append({"kind": "email", "url": f"mailto:{address}"})
    routes += [{"kind": "profile", "url": url} for url in found.profiles]
    routes.append({"kind": "site", "url": f"https://{contact.site}/"})
    return routes


# ----------------------------------------------------------------------------- views


def render_markdown(report: dict[str, Any]) -> str:
    """The list as Markdown: grouped by status, new first, each note ready to copy."""
    return "".join(markdown_chunks(report))


def markdown_chunks(report: dict[str, Any]) -> Iterator[str]:
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


def _markdown_blocks(report: dict[str, Any]) -> Iterator[list[str]]:
    lines = [
        f"# Outreach for {report['site']['name'] or 'this site'}",
        "",
        f"Generated {report['generated']} by mkdocs-backlinks. {report['summary']['to_do']} "
        f"notes to send, {report['summary']['contacts']} contacts in all.",
        "",
    ]
    for status in report["statuses"]:
        group = [row for row in report["contacts"] if row["status"] == status]
        if not group:
            continue
        lines += [f"## {status.capitalize()} ({len(group)})", ""]
        for row in group:
            yield lines
            lines = [f"### {row['site']}", ""]
            if row["reason"]:
                lines += [f"Reason: {row['reason']}", ""]
            if not row["cited"]:
                lines += ["No longer cited.", ""]
            for work in row["works"]:
                title = work["title"] or work["url"]
                by = f" by {_md_text(work['author'])}" if work.get("author") else ""
                dead = work.get("link_status") in DEAD
                flag = f" **({work['link_status']} at the last check)**" if dead else ""
                lines.append(f"- [{_md_text(title)}]({work['url']}){by}{flag}")
                for c in work["citations"]:
                    lines.append(f"    - cited in [{_md_text(c['page_title'])}]({c['page_url']})")
            lines.append("")
            for suggestion in row["suggestions"]:
                lines.append(f"*Suggestion: {suggestion}.*")
            if row["suggestions"]:
                lines.append("")
            if row["email"]:
                lines += [f"Email: <{row['email']}>", ""]
            best = row["best_route"]
            lines += [f"Best route: {best['kind']} <{best['url']}>", ""]
            lines += ["```text", f"Subject: {row['note']['subject']}", ""]
            lines += [*row["note"]["body"].rstrip("\n").split("\n"), "```", ""]
            lines += [f"Done? `{row['mark_command']}`", ""]
    if report.get("broken"):
        lines += ["## Broken citations", ""]
        for item in report["broken"]:
            pages = ", ".join(item["pages"])
            lines.append(f"- <{item['url']}> is {item['status']}; cited in {pages}")
        lines.append("")
    if report["relationships"]:
        lines += ["## Relationships", "", "| site | citations | pages | last told | mentions |"]
        lines.append("| --- | ---: | ---: | --- | ---: |")
        for rel in report["relationships"]:
            lines.append(
                f"| {rel['site']} | {rel['citations']} | {rel['pages']} | "
                f"{rel['last_told'] or 'never'} | {rel['mentions']} |"
            )
        lines.append("")
    yield lines


def _md_text(text: str) -> str:
    return text.replace("[", "\\[").replace("]", "\\]").replace("\n", " ")


CSV_COLUMNS = (
    "id", "site", "name", "email", "status", "reason", "cited", "first_seen", "last_seen",
    "last_told", "works", "pages", "suggestions", "subject", "note", "mark_command",
    "best_route", "broken_works",
)  # fmt: skip


# A spreadsheet evaluates a cell that starts with one of these (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    """`value` as a cell a spreadsheet shows as text: names, titles and notes hold what cited
    pages say about themselves, so a formula there would run on the author's machine. The
    leading quote is the usual defence; it only marks the cell as text."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def render_csv(report: dict[str, Any]) -> str:
    """One row per contact, for spreadsheets and scripts."""
    return "".join(csv_chunks(report))


def csv_chunks(report: dict[str, Any]) -> Iterator[str]:
    """`render_csv`'s text, a row at a time."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in report["contacts"]:
        yield out.getvalue()
        out.seek(0)
        out.truncate()
        writer.writerow(
            _cell(cell)
            for cell in [
                row["id"],
                row["site"],
                row["name"] or "",
                row["email"] or "",
                row["status"],
                row["reason"],
                "yes" if row["cited"] else "no",
                row["first_seen"],
                row["last_seen"],
                row["last_told"] or "",
                " ".join(w["url"] for w in row["works"]),
                " ".join(sorted({c["page_url"] for w in row["works"] for c in w["citations"]})),
                "; ".join(row["suggestions"]),
                row["note"]["subject"],
                row["note"]["body"],
                row["mark_command"],
                row["best_route"]["url"],
                " ".join(w["url"] for w in row["works"] if w.get("link_status") in DEAD),
            ]
        )
    yield out.getvalue()


def _compact(document: Any) -> str:
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def json_chunks(report: dict[str, Any]) -> Iterator[str]:
    """`outreach.json`: the report as compact JSON, keys sorted, a contact at a time.

    The same bytes as one `json.dumps` of the whole report (the C encoder does each piece),
    without the whole text in memory at once.
    """
    separator = "{"
    for key in sorted(report):
        yield separator + _compact(key) + ":"
        value = report[key]
        if key == "contacts" and isinstance(value, list):
            yield "["
            yield from _joined(_compact(row) for row in value)
            yield "]"
        else:
            yield _compact(value)
        separator = ","
    yield ("}" if report else "{}") + "\n"


def _joined(pieces: Iterable[str]) -> Iterator[str]:
    separator = ""
    for piece in pieces:
        yield separator + piece
        separator = ","


def render_html(report: dict[str, Any]) -> str:
    """The self-contained review page (works from the file system, no server)."""
    return "".join(html_chunks(report))


def html_chunks(report: dict[str, Any]) -> Iterator[str]:
    """`render_html`'s text as the template makes it."""
    return _review_template().generate(report=report)


class _ReportEnvironment(jinja2.Environment):
    """Looks a name up as a key first, since the report is made of dicts.

    Jinja's `row.site` tries the attribute first and only then the key, so in a report of
    dicts every lookup raised and caught an AttributeError: half the page's rendering time on
    a large site. A key that names a dict method (`items`) would shadow it; the template uses
    none.
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


@functools.cache
def _review_template() -> jinja2.Template:
    """The shipped review page, compiled once per process (`mkdocs serve` rebuilds and the
    commands reuse it): it is part of the package, not something the author edits."""
    env = _ReportEnvironment(
        loader=jinja2.FileSystemLoader(str(OUTREACH_TEMPLATES)),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template(REVIEW_TEMPLATE)


def render_table(rows: Iterable[dict[str, Any]]) -> str:
    """A plain-text table for the terminal."""
    header = ("ID", "STATUS", "CITED", "PAGES", "EMAIL", "SUGGESTION")
    body = [
        (
            row["id"],
            row["status"],
            "yes" if row["cited"] else "no",
            str(len({c["page"] for w in row["works"] for c in w["citations"]})),
            row["email"] or "-",
            "; ".join(row["suggestions"]) or "-",
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


def write_lists(folder: Path, report: dict[str, Any]) -> None:
    """Write the four views of the list, each atomically."""
    # Each written as it is made: this runs at the end of a build, when memory peaks, and the
    # review page alone is 11 MB of text at 3,000 pages (its pieces, joined, twice that).
    write_text_atomic(folder / "outreach.md", markdown_chunks(report))
    write_text_atomic(folder / "outreach.csv", csv_chunks(report))
    # Compact: it is for tools, and the indented encoder is slow on a large site.
    write_text_atomic(folder / "outreach.json", json_chunks(report))
    write_text_atomic(folder / "outreach.html", html_chunks(report))


def filter_rows(
    report: dict[str, Any], statuses: Iterable[str] = (), site: str = ""
) -> dict[str, Any]:
    """The report with only the contacts of the given statuses and site."""
    wanted = set(statuses)
    site_name = site_of("https://" + site.strip()) if site else ""
    rows = [
        row
        for row in report["contacts"]
        if (not wanted or row["status"] in wanted)
        and (not site or row["site"] == site_name or row["id"] == site)
    ]
    return {**report, "contacts": rows}


# ----------------------------------------------------------------------------- wiring


def build_date() -> str:
    """Today as the build sees it: `SOURCE_DATE_EPOCH` pins it, as it pins MkDocs' own date."""
    return get_build_datetime().date().isoformat()


def data_folder(options: BacklinksConfig, config: MkDocsConfig) -> Path:
    """The data folder, beside mkdocs.yml."""
    base = Path(config.config_file_path or ".").resolve().parent
    return base / options.data_dir


def settings_for(options: BacklinksConfig, config: MkDocsConfig) -> Settings:
    """Outreach settings from the plugin options, defaulting to the site's own details."""
    out = options.outreach
    config_file = Path(config.config_file_path or "mkdocs.yml").name
    return Settings(
        site_name=config.site_name or "",
        site_url=config.site_url or "",
        author=out.author or config.site_author or "",
        author_url=out.author_url or config.site_url or "",
        sign_off=out.sign_off,
        tone=out.tone,
        done_statuses=tuple(out.done_statuses),
        exclude_sites=out.exclude_sites,
        note_template=Path(out.note_template) if out.note_template else None,
        config_file=config_file,
        today=build_date(),
    )


class ObservedCitations:
    """This build's citations, with the public URL of each citing page, made afresh on every
    iteration.

    Not a list, because the common case, a rebuild that changes nothing, only reads them once
    for a digest: holding all of them (15,000 at 3,000 pages) just for that was enough to set
    off a full garbage collection of the whole build's objects at its very end.
    """

    def __init__(self, graph: LinkGraph, site_url: str | None) -> None:
        self.graph = graph
        self.base = site_url.rstrip("/") + "/" if site_url else ""

    def __iter__(self) -> Iterator[Observed]:
        graph = self.graph
        for src in sorted(graph.pages):
            info = graph.pages[src]
            page_url = self.base + info.url  # one string for all the page's citations
            for link in graph.citations(src):
                yield Observed(link.target, src, info.title, page_url, link.text, link.context)

    def release(self) -> None:
        """Let the graph go once its citations are gathered (`ledger.gather`), before the old
        ledger is read: what it still holds in memory (every page's title and the titles of
        its linking sections) the merge and the outreach lists do not need. Iterating
        afterwards gives nothing.

        Only this object's reference goes: the graph itself is not emptied, so the lazy
        section data a theme or another plugin kept (`PageSections`) still reads from it."""
        self.graph = LinkGraph()


class OutreachDesk:
    """Checks the ledger before the build and records the build into it afterwards.

    Built for the common case, a rebuild that changes nothing: the ledger is validated before
    the build (while memory is still low) and then let go; after the build, a digest of the
    build's citations is compared with the one in the ledger's first line, and when they match
    and the lists are up to date, at most that one line is rewritten (and only over the records
    that were validated). Only a build that changes something, or finds the file changed since
    it was validated, reads the whole ledger again (checking it), merges, and rewrites what
    changed.
    """

    def __init__(self, folder: Path, settings: Settings) -> None:
        self.folder = folder
        self.path = folder / LEDGER_FILE
        self.settings = settings
        self.writer = NoteWriter(settings.note_template)
        self._body_hash = ""
        self.stored: dict[str, WorkMeta] = {}
        """Metadata of cited works the ledger holds, read by `load` for the build to show."""

    @classmethod
    def for_config(cls, options: BacklinksConfig, config: MkDocsConfig) -> OutreachDesk:
        """The desk for a build; ValueError (starting with the option's name) when the data
        folder would be published or the note template does not load."""
        folder = data_folder(options, config)
        if folder.is_relative_to(Path(config.docs_dir).resolve()):
            raise ValueError(
                f"'data_dir': {folder} is inside docs_dir, where the private ledger and "
                "outreach list would be published. Choose a folder beside mkdocs.yml."
            )
        try:
            return cls(folder, settings_for(options, config))
        except ValueError as exc:
            raise ValueError(f"'outreach.note_template': {exc}") from exc

    def load(self, metadata: bool = False) -> None:
        """Validate the ledger now, so a damaged one stops the build before any work.

        With `metadata`, also keep what it knows about cited works in `stored`, for the
        sections to show.
        """
        self.stored = {}
        text = read_ledger_text(self.path)
        if text is None:
            self._body_hash = ""
            self.stored = {}
            return
        body_hash = _body_hash(text)
        # The first line records the digest of the records it was written with (inside the
        # lists fingerprint). When they still match, the records are byte for byte what a
        # previous build or command validated and wrote, and parsing them again would only
        # cost time; any other text, a hand edit included, is parsed and checked in full.
        head = read_head(self.path)
        if head is None or head.lists.fingerprint != self._fingerprint(body_hash):
            ledger = parse_ledger(text, self.path)
            if metadata:
                self.stored = {u: w.meta for u, w in ledger.works.items() if w.meta}
        elif metadata:
            self.stored = metadata_in(text)
        self._body_hash = body_hash

    def record(
        self, observed: Iterable[Observed], metadata: Mapping[str, WorkMeta] | None = None
    ) -> dict[str, Any]:
        """Record this build; return the summary for the build's log line.

        `observed` is read once for the digest and, when something changed, once more for
        the merge: a list or a re-iterable such as `ObservedCitations` (a one-pass iterator is
        read into a list first). `metadata` is what the build knows about the cited works
        (None when it learned nothing, and then the ledger keeps what it had).

        The data folder is locked from reading the ledger to writing it (`storage.locked`): a
        `mkdocs-backlinks mark`, or another build, saving in between would otherwise be
        overwritten by this build's merge of what it read before.
        """
        with locked(self.folder):
            return self._record(observed, metadata)

    def _record(
        self, observed: Iterable[Observed], metadata: Mapping[str, WorkMeta] | None
    ) -> dict[str, Any]:
        self.stored = {}  # let it go: the merge reads the ledger again if it must
        if iter(observed) is observed:
            # A one-pass iterator (a generator): the digest would spend it, and the merge
            # would then record no citation and mark every work no longer cited.
            observed = list(observed)
        digest = observed_digest(observed, metadata)
        head = read_head(self.path) if self._body_hash else None
        lists_ok = all((self.folder / name).exists() for name in LIST_FILES)
        if (
            head is not None
            and head.observed == digest
            and lists_ok
            and head.lists.fingerprint == self._fingerprint(self._body_hash)
        ):
            if head.last_build == self.settings.today:
                return self._unchanged(head)
            text = read_ledger_text(self.path)
            # Only the records `load` checked get a new first line: a file that was edited
            # or damaged since (by hand, a checkout, another command) is read and checked
            # whole, and a damaged one stops the build untouched.
            if text is not None and _body_hash(text) == self._body_hash:
                write_text_atomic(
                    self.path, with_head(text, replace(head, last_build=self.settings.today))
                )
                return self._unchanged(head)
        return self._record_changes(observed, digest, lists_ok, metadata)

    @staticmethod
    def _unchanged(head: Ledger) -> dict[str, Any]:
        return {"contacts": head.lists.contacts, "to_do": head.lists.to_do, "new_contacts": 0}

    def _record_changes(
        self,
        observed: Iterable[Observed],
        digest: str,
        lists_ok: bool,
        metadata: Mapping[str, WorkMeta] | None,
    ) -> dict[str, Any]:
        # This runs at the end of a build, when memory peaks, so what is no longer needed is
        # let go as soon as it is not: the old ledger's text once parsed, the old ledger once
        # merged, the build's graph once its citations are read (see ObservedCitations).
        gathered = gather(observed, metadata, digest)
        if isinstance(observed, ObservedCitations):
            observed.release()
        old, old_head, old_hash = read_ledger_lines(self.path) or self._read_whole()
        merged = merge_gathered(old, gathered, self.settings.today, metadata=metadata)
        del gathered
        latest = {site: when for site, _, when in self.settings.mentions}
        merged = linked_back(merged, latest, self.settings.today)
        new_contacts = len(merged.contacts.keys() - old.contacts.keys())
        old_lists = old.lists
        del old
        records = records_chunks(merged)
        body_hash = _chunks_hash(records)
        fingerprint = self._fingerprint(body_hash)
        report = None
        if not lists_ok or fingerprint != old_lists.fingerprint:
            # Made before anything is written: if a note fails, nothing is.
            report = build_report(merged, self.settings, self.writer)
            summary = report["summary"]
            merged = replace(
                merged, lists=ListsState(fingerprint, summary["contacts"], summary["to_do"])
            )
        head = head_line(merged)  # the list state lives in the first line only
        # The lists first, the ledger last: its first line says which records the lists were
        # made from, so a build killed between the two leaves a ledger that still names the
        # old ones, and the next build makes the lists again. (The other way round, the
        # ledger would vouch for lists that were never written.)
        if report is not None:
            write_lists(self.folder, report)
        if head != old_head or body_hash != old_hash:
            write_text_atomic(self.path, itertools.chain((head,), records))
        del records
        self._body_hash = body_hash
        return {
            "contacts": merged.lists.contacts,
            "to_do": merged.lists.to_do,
            "new_contacts": new_contacts,
        }

    def _read_whole(self) -> LedgerFile:
        """The ledger read as one document: for a file not laid out as this plugin writes it
        (a hand edit), or damaged, which raises LedgerError naming the problem."""
        text = read_ledger_text(self.path)
        if text is None:
            return LedgerFile(Ledger(), "", "")
        head = text.partition("\n")[0] + "\n"
        return LedgerFile(parse_ledger(text, self.path), head, _body_hash(text))

    def _fingerprint(self, body_hash: str) -> str:
        return lists_fingerprint(body_hash, self.settings, self.writer)


def lists_fingerprint(body_hash: str, settings: Settings, writer: NoteWriter) -> str:
    """What the lists are made from: the ledger's records, the settings (less today's date),
    the note template and the plugin version."""
    digest = hashlib.sha256()
    digest.update(body_hash.encode())
    digest.update(repr(replace(settings, today="")).encode())
    digest.update(writer.source.encode())
    digest.update(__version__.encode())
    return digest.hexdigest()


def _body_hash(ledger_text: str) -> str:
    """A digest of the ledger's records: everything after its first line."""
    # Encoded a slice at a time: the records are megabytes on a large site, and a build does
    # this when its memory peaks.
    step = 1 << 20
    newline = ledger_text.find("\n")
    start = len(ledger_text) if newline < 0 else newline + 1  # no first line ends: no records
    return _chunks_hash(ledger_text[at : at + step] for at in range(start, len(ledger_text), step))


def _chunks_hash(chunks: Iterable[str]) -> str:
    """`_body_hash` of records given as pieces (`records_chunks`)."""
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk.encode())
    return digest.hexdigest()


def lists_for(
    ledger: Ledger, settings: Settings, writer: NoteWriter
) -> tuple[Ledger, dict[str, Any]]:
    """The report for `ledger`, and the ledger with its list state updated to match (for
    commands such as `mark` that change the ledger outside a build)."""
    report = build_report(ledger, settings, writer)
    fingerprint = lists_fingerprint(_chunks_hash(records_chunks(ledger)), settings, writer)
    summary = report["summary"]
    state = ListsState(fingerprint, summary["contacts"], summary["to_do"])
    return replace(ledger, lists=state), report
