"""The ledger's records: the works the site cites, the contacts behind them, what was sent.

Frozen records and nothing else: the build's merge (`ledger.gather`), the author's marks
(`ledger.contacts`), the three-way merge (`ledger.merge`) and the file (`ledger.file`) all
work on these, and none of them needs the others to describe a ledger.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from mkdocs_backlinks.works.model import Routes, WorkMeta

STATUSES = ("new", "pending", "sent", "replied", "linked-back", "skipped")
"""Outreach statuses, in the order the list shows them."""

MARKABLE = ("pending", "sent", "replied", "linked-back", "skipped")
"""Statuses an author can set with `mkdocs-backlinks mark` (`new` is the build's to give)."""


class LedgerError(Exception):
    """The ledger cannot be used as it is; the message names the file and the problem."""


@dataclass(frozen=True, slots=True)
class Citation:
    """One place on the site that cites a work."""

    page: str
    page_title: str
    page_url: str
    text: str
    context: str

    def record(self) -> dict[str, str]:
        """As stored in the ledger and shown in the outreach report."""
        return {
            "page": self.page,
            "page_title": self.page_title,
            "page_url": self.page_url,
            "text": self.text,
            "context": self.context,
        }


@dataclass(frozen=True, slots=True)
class Work:
    """A cited work, under its normalised URL.

    `last_seen` is the date of the last build that cited it, and stays empty while it is still
    cited: a date refreshed by every build would rewrite every line of the file each day and
    bury the real changes in the diff. The ledger's `last_build` says when "now" was.
    """

    url: str
    site: str
    contact: str
    first_seen: str
    last_seen: str
    cited: bool
    citations: tuple[Citation, ...]
    meta: WorkMeta = WorkMeta()  # noqa: RUF009 (a frozen record, shared safely)
    """What the work's page says about itself and whether it still answers."""


@dataclass(frozen=True, slots=True)
class Event:
    """A status change, kept so the author can see when a contact was told."""

    date: str
    status: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Contact:
    """Someone to tell: by default one per site."""

    id: str
    site: str
    status: str
    first_seen: str
    last_seen: str
    cited: bool
    reason: str = ""
    name: str = ""
    email: str = ""
    history: tuple[Event, ...] = ()
    routes: Routes = Routes()  # noqa: RUF009 (a frozen record, shared safely)
    """Routes the contact's cited works offer, gathered by the build (`email` is the author's
    own choice and comes first)."""

    @property
    def last_told(self) -> str:
        """Date the contact was last marked as told (`sent`), '' if never."""
        dates = [event.date for event in self.history if event.status == "sent"]
        return dates[-1] if dates else ""


@dataclass(frozen=True, slots=True)
class ListsState:
    """What made the outreach lists on disk, so an unchanged build can leave them alone."""

    fingerprint: str = ""
    contacts: int = 0
    to_do: int = 0
    new: int = 0
    """Contacts the lists show as `new`: what the build log's "N new contacts" says."""


SEND_OUTCOMES = (
    "accepted",
    "created",
    "rejected",
    "server-error",
    "no-endpoint",
    "unreachable",
    "not-live",
    "redirected",
)
"""What became of a webmention: accepted (2xx, usually 202), created (201, with a status
Location), rejected (another answer, usually 4xx), server-error (5xx or 429: try again),
no-endpoint (the target advertises none), unreachable (the target or the endpoint could not be
reached), not-live (the live page did not show what the build shows), redirected (the endpoint
answered the POST with a redirect, which is never followed; try again)."""


@dataclass(frozen=True, slots=True)
class SentTarget:
    """The last webmention sent (or tried) from one page to one target.

    `digest` is the page's content digest when it was tried, so a later run knows whether the
    page changed since. `linked` says whether the receiver may hold a mention from the page (it
    accepted a webmention, and was not told since that the link is gone): only then is a
    removed link or a deleted page worth telling, once.
    """

    target: str
    digest: str
    outcome: str
    date: str
    linked: bool = True
    http_status: int | None = None
    endpoint: str = ""
    location: str = ""
    reason: str = ""
    not_before: str = ""
    """When the receiver asked to be left alone until (its `Retry-After` with a 429 or 503),
    UTC as `2026-01-02T03:04:05Z`; "" when it asked nothing. Written only when set."""


@dataclass(frozen=True, slots=True)
class PageSends:
    """The webmentions sent from one page of the site, keyed by the target's normalised URL.

    `deleted` is set once the page has gone from the site and its targets have been told.
    """

    page: str
    source: str
    targets: Mapping[str, SentTarget] = field(default_factory=dict)
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class Ledger:
    """The whole ledger: contacts and works, keyed by id and URL.

    `observed` is a digest of the citations of the build that last changed it: a build that
    sees the same citations knows, from the file's first line alone, that nothing changed.
    """

    contacts: Mapping[str, Contact] = field(default_factory=dict)
    works: Mapping[str, Work] = field(default_factory=dict)
    last_build: str = ""
    observed: str = ""
    lists: ListsState = ListsState()
    sends: Mapping[str, PageSends] = field(default_factory=dict)
    """Webmentions sent by `mkdocs-backlinks send`, keyed by the citing page's source path."""
