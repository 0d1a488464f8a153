"""The outreach report as typed records: what `outreach.json` holds, one class per part.

Every view (Markdown, CSV, JSON, the review page, the terminal table) reads these records, so
the views always agree. `as_dict` gives each record as `outreach.json` has always written it
(same keys, same order): the file is for tools, and its shape must not move with the code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mkdocs_backlinks.ledger.model import Citation


class Record:
    """A part of the report: the review page's template reads its fields as attributes."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class ReportSite(Record):
    """The site the report is for."""

    name: str
    url: str

    def as_dict(self) -> dict[str, Any]:
        """As in `outreach.json`."""
        return {"name": self.name, "url": self.url}


@dataclass(frozen=True, slots=True)
class Route(Record):
    """One way to reach a contact: `kind` is email, webmention, profile or site."""

    kind: str
    url: str

    def as_dict(self) -> dict[str, Any]:
        """As in `outreach.json`."""
        return {"kind": self.kind, "url": self.url}


@dataclass(frozen=True, slots=True)
class Note(Record):
    """A note ready to send."""

    subject: str
    body: str

    def as_dict(self) -> dict[str, Any]:
        """As in `outreach.json`."""
        return {"subject": self.subject, "body": self.body}


@dataclass(frozen=True, slots=True)
class WorkRow(Record):
    """One work of a contact's site that the site cites (or cited), with where."""

    url: str
    title: str
    author: str | None
    link_status: str | None
    final_url: str | None
    checked: str | None
    home: bool
    cited: bool
    citations: tuple[Citation, ...]

    def as_dict(self) -> dict[str, Any]:
        """As in `outreach.json`, and as the note template gets it."""
        return {
            "url": self.url,
            "title": self.title,
            "author": self.author,
            "link_status": self.link_status,
            "final_url": self.final_url,
            "checked": self.checked,
            "home": self.home,
            "cited": self.cited,
            "citations": [c.record() for c in self.citations],
        }


@dataclass(frozen=True, slots=True)
class ContactRow(Record):
    """One contact: whom to tell, about which works, by which route, with which note."""

    id: str
    site: str
    name: str | None
    status: str
    done: bool
    reason: str
    cited: bool
    first_seen: str
    last_seen: str
    last_told: str | None
    email: str | None
    routes: tuple[Route, ...]
    best_route: Route
    works: tuple[WorkRow, ...]
    note: Note
    mark_command: str
    suggestions: tuple[str, ...]
    public_post: str = ""
    """A short public thank-you for the social or fediverse profile among the routes ("" when
    the contact has none)."""

    def as_dict(self) -> dict[str, Any]:
        """As in `outreach.json`."""
        return {
            "id": self.id,
            "site": self.site,
            "name": self.name,
            "status": self.status,
            "done": self.done,
            "reason": self.reason,
            "cited": self.cited,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "last_told": self.last_told,
            "email": self.email,
            "routes": [route.as_dict() for route in self.routes],
            "best_route": self.best_route.as_dict(),
            "works": [work.as_dict() for work in self.works],
            "note": self.note.as_dict(),
            "mark_command": self.mark_command,
            "suggestions": list(self.suggestions),
            "public_post": self.public_post,
        }


@dataclass(frozen=True, slots=True)
class BrokenRow(Record):
    """A cited work whose last check found it broken or gone."""

    url: str
    status: str
    contact: str
    pages: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """As in `outreach.json`."""
        return {
            "url": self.url,
            "status": self.status,
            "contact": self.contact,
            "pages": list(self.pages),
        }


@dataclass(frozen=True, slots=True)
class RelationshipRow(Record):
    """A site the site cites, mentions, or both: how much, and what to do about it.

    `status` is None for a site that only mentions this one (never cited, so no contact).
    """

    site: str
    citations: int
    pages: int
    last_told: str | None
    mentions: int
    status: str | None
    suggestions: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """As in `outreach.json`."""
        return {
            "site": self.site,
            "citations": self.citations,
            "pages": self.pages,
            "last_told": self.last_told,
            "mentions": self.mentions,
            "status": self.status,
            "suggestions": list(self.suggestions),
        }


@dataclass(frozen=True, slots=True)
class Summary(Record):
    """The counts at the top of every view."""

    contacts: int
    citations: int
    by_status: Mapping[str, int]
    to_do: int
    broken: int

    def as_dict(self) -> dict[str, Any]:
        """As in `outreach.json`."""
        return {
            "contacts": self.contacts,
            "citations": self.citations,
            "by_status": dict(self.by_status),
            "to_do": self.to_do,
            "broken": self.broken,
        }


@dataclass(frozen=True, slots=True)
class Report(Record):
    """The outreach document: contacts sorted new first, each with its note and routes."""

    schema: str
    version: int
    generated: str
    site: ReportSite
    config_file: str
    statuses: tuple[str, ...]
    summary: Summary
    contacts: tuple[ContactRow, ...]
    broken: tuple[BrokenRow, ...]
    relationships: tuple[RelationshipRow, ...]
    setup_warnings: tuple[str, ...] = ()
    """What makes notes unsendable as configured (no `site_url`, no author name): the build
    warns with the same words and the review page shows them as a banner."""

    def as_dict(self, *, contacts: bool = True) -> dict[str, Any]:
        """The content of `outreach.json`; without the contacts (the bulk of it) for a writer
        that writes them one at a time."""
        head = {
            "schema": self.schema,
            "version": self.version,
            "generated": self.generated,
            "site": self.site.as_dict(),
            "config_file": self.config_file,
            "statuses": list(self.statuses),
            "summary": self.summary.as_dict(),
            "setup_warnings": list(self.setup_warnings),
        }
        rows = {"contacts": [row.as_dict() for row in self.contacts]} if contacts else {}
        return {
            **head,
            **rows,
            "broken": [item.as_dict() for item in self.broken],
            "relationships": [rel.as_dict() for rel in self.relationships],
        }
