"""The relationship ledger: every work the site has cited, and where each contact stands.

It lives in the data folder beside `mkdocs.yml`, under version control, and outlives builds:
a citation that disappears is kept and marked as no longer cited, and the statuses the author
sets (`sent`, `skipped`, ...) are never touched by a build. Merging a build into the ledger is
a pure function, so it is tested without MkDocs; loading validates everything, and a file that
is damaged or from a newer version stops the build and is never overwritten.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any, NamedTuple

from mkdocs_backlinks.files import (
    check_schema,
    conflict_marker,
    dump_json_lines,
    locked,
    write_text_atomic,
)
from mkdocs_backlinks.files import expect_dict as _dict
from mkdocs_backlinks.files import expect_list as _list
from mkdocs_backlinks.files import expect_str as _str
from mkdocs_backlinks.links.urls import normalise_url, site_of

LEDGER_SCHEMA = "mkdocs-backlinks/ledger"
LEDGER_VERSION = 1

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


LINK_STATUSES = ("ok", "redirected", "broken", "gone", "unreachable")
"""What a work's last check found: it answers (a 401 or 403 counts: readers get past the
login or the bot wall), it moved, it is missing (another 4xx, or its host name does not exist),
it was removed (410), or it never answered. `broken` and `gone` are the ones an author should
fix."""

DEAD = frozenset({"broken", "gone"})
"""Link statuses that flag a citation in the credits and warn in the build log."""

# Remote strings are bounded again when read back: the ledger and the cache are files anyone
# can edit, and a title of megabytes must not reach every page that cites the work.
_TEXT_LIMIT = 300
_URL_LIMIT = 2048
_MAX_ROUTES = 10


@dataclass(frozen=True, slots=True)
class Routes:
    """Ways to reach whoever is behind a work, as their pages offer them."""

    emails: tuple[str, ...] = ()
    """Bare addresses (h-card `u-email`, `mailto:` links marked rel=me or rel=author)."""
    profiles: tuple[str, ...] = ()
    """`rel=me` profile URLs."""
    webmention: str = ""
    """The work's Webmention endpoint, from its Link header or HTML."""

    def __bool__(self) -> bool:
        return bool(self.emails or self.profiles or self.webmention)

    def best(self) -> tuple[str, str] | None:
        """`(kind, address)` of the route to try first, None when there is none.

        A webmention endpoint first (it is meant for exactly this, and a machine reads it), then
        an e-mail address (a person reads it), then a profile (a person may read it).
        """
        if self.webmention:
            return ("webmention", self.webmention)
        if self.emails:
            return ("email", self.emails[0])
        if self.profiles:
            return ("profile", self.profiles[0])
        return None

    def merged(self, other: Routes) -> Routes:
        """These routes, then the other's new ones, bounded."""
        return Routes(
            tuple(dict.fromkeys((*self.emails, *other.emails)))[:_MAX_ROUTES],
            tuple(dict.fromkeys((*self.profiles, *other.profiles)))[:_MAX_ROUTES],
            self.webmention or other.webmention,
        )


@dataclass(frozen=True, slots=True)
class WorkMeta:
    """What the build learned about a cited work from the work itself. All optional.

    Stored in the ledger (committed), so that a build without network, on any machine, still
    shows titles and authors; the disposable cache only saves requests. `checked` is the date
    these values were fetched; a later check that finds the same values leaves it alone, so a
    work's line changes in the ledger only when the work does.
    """

    status: str = ""
    """One of `LINK_STATUSES`, '' when never checked."""
    title: str = ""
    author: str = ""
    author_url: str = ""
    site_name: str = ""
    final_url: str = ""
    """Where the work lives now: after redirects, or its rel=canonical when it names one."""
    checked: str = ""
    routes: Routes = Routes()

    def __bool__(self) -> bool:
        return bool(self.status or self.title or self.author or self.site_name or self.routes)

    @property
    def dead(self) -> bool:
        return self.status in DEAD

    def same_values(self, other: WorkMeta) -> bool:
        """Whether `other` says the same as this, whatever the dates."""
        return replace(self, checked="") == replace(other, checked="")


def meta_record(meta: WorkMeta) -> dict[str, Any]:
    """The stored form of `meta`: empty values left out, so a line only grows with facts."""
    record: dict[str, Any] = {
        "status": meta.status,
        "title": meta.title,
        "author": meta.author,
        "author_url": meta.author_url,
        "site_name": meta.site_name,
        "final_url": meta.final_url,
        "checked": meta.checked,
        "emails": list(meta.routes.emails),
        "profiles": list(meta.routes.profiles),
        "webmention": meta.routes.webmention,
    }
    return {key: value for key, value in record.items() if value}


def routes_record(routes: Routes) -> dict[str, Any]:
    record: dict[str, Any] = {
        "emails": list(routes.emails),
        "profiles": list(routes.profiles),
        "webmention": routes.webmention,
    }
    return {key: value for key, value in record.items() if value}


def meta_from_record(raw: Any) -> WorkMeta:
    """Read stored metadata leniently: a missing or mistyped field is unknown, not an error.

    It is derived data that the next check fetches again, so a hand edit gone wrong must not
    stop a build; the text is still bounded and URLs must be http(s).
    """
    if not isinstance(raw, dict):
        return WorkMeta()
    status = _loose_text(raw.get("status"), 20)
    return WorkMeta(
        status=status if status in LINK_STATUSES else "",
        title=_loose_text(raw.get("title"), _TEXT_LIMIT),
        author=_loose_text(raw.get("author"), _TEXT_LIMIT),
        author_url=_loose_url(raw.get("author_url")),
        site_name=_loose_text(raw.get("site_name"), _TEXT_LIMIT),
        final_url=_loose_url(raw.get("final_url")),
        checked=_loose_text(raw.get("checked"), 10),
        routes=routes_from_record(raw),
    )


def routes_from_record(raw: Any) -> Routes:
    """Read stored routes leniently (see `meta_from_record`)."""
    if not isinstance(raw, dict):
        return Routes()
    emails = raw.get("emails")
    profiles = raw.get("profiles")
    return Routes(
        tuple(
            text
            for text in (_loose_text(e, 254) for e in (emails if isinstance(emails, list) else []))
            if "@" in text and not text.lower().startswith("mailto:")
        )[:_MAX_ROUTES],
        tuple(
            url for url in map(_loose_url, profiles if isinstance(profiles, list) else []) if url
        )[:_MAX_ROUTES],
        _loose_url(raw.get("webmention")),
    )


# C0/C1 controls and bidirectional overrides, as metadata.py drops them from fetched pages:
# a hand-edited or merged file must not bring a terminal escape back in.
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _loose_text(value: Any, limit: int) -> str:
    if not isinstance(value, str):
        return ""
    text = " ".join(_INVISIBLE.sub("", value).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def _loose_url(value: Any) -> str:
    if not isinstance(value, str) or len(value) > _URL_LIMIT:
        return ""
    url = value.strip()
    if not url.lower().startswith(("http://", "https://")) or any(ch in url for ch in ' <>"'):
        return ""
    if _INVISIBLE.search(url) or any(ch in url for ch in "\t\n\r"):
        return ""
    return url


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
    meta: WorkMeta = WorkMeta()
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
    routes: Routes = Routes()
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
answered with a redirect that was not followed: a 301, 302 or 303, a loop, too many hops; try
again)."""


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


class Observed(NamedTuple):
    """A citation seen in this build (the plain data the plugin hands over).

    A named tuple: a build makes one per citation of the site (15,000 at 3,000 pages) after
    every page is rendered, and a frozen dataclass costs three times as much to make.
    """

    url: str
    page: str
    page_title: str
    page_url: str
    text: str
    context: str


# ----------------------------------------------------------------------------- merge


def observed_digest(
    observed: Iterable[Observed], metadata: Mapping[str, WorkMeta] | None = None
) -> str:
    """A digest of a build's citations, in the order given, and of what it learned about the
    cited works: a build that found a new title must not take the "nothing changed" path.

    Without metadata the digest is the same as before metadata existed, so a ledger written
    by a build that had none still matches.
    """
    digest = hashlib.sha256()
    # One update per citation, never the whole text at once: this runs at the end of the
    # build, when memory peaks, and a joined text of every citation (with its encoded copy)
    # added 6 MB to the peak at 3,000 pages. The bytes are those ledgers were written with.
    update = digest.update
    for item in observed:
        update(("\x1f".join(item) + "\x1e").encode())
    if metadata:
        digest.update(b"\x1dmeta")
        for url in sorted(metadata):
            record = json.dumps(meta_record(metadata[url]), sort_keys=True, ensure_ascii=False)
            digest.update(f"{url}\x1f{record}\x1e".encode())
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class Gathered:
    """A build's citations grouped by the normalised URL of the work they cite, with the
    digest of what was observed (`observed_digest`)."""

    by_url: dict[str, list[Citation]]
    digest: str


def gather(
    observed: Iterable[Observed],
    metadata: Mapping[str, WorkMeta] | None = None,
    digest: str | None = None,
) -> Gathered:
    """Group a build's citations for `merge_gathered`, reading them once.

    Separate from the merge so a build can let its link graph go before it reads the old
    ledger: both are large, and together they made the peak of a build after an edit.
    `digest` is `observed_digest(observed, metadata)` when the caller already has it.
    """
    if digest is None:
        observed = list(observed)
        digest = observed_digest(observed, metadata)
    by_url: dict[str, list[Citation]] = {}
    normalised: dict[str, str] = {}
    for item in observed:
        url = normalised.get(item.url)
        if url is None:
            url = normalised[item.url] = normalise_url(item.url)
        citation = Citation(item.page, item.page_title, item.page_url, item.text, item.context)
        bucket = by_url.setdefault(url, [])
        if citation not in bucket:
            bucket.append(citation)
    return Gathered(by_url, digest)


def merge_build(
    ledger: Ledger,
    observed: Iterable[Observed],
    today: str,
    contact_of: Any = site_of,
    metadata: Mapping[str, WorkMeta] | None = None,
) -> Ledger:
    """The ledger after a build that saw `observed` citations on date `today`.

    `metadata` holds what the build knows about cited works (by normalised URL); a work it
    does not name keeps what the ledger knew. A contact's routes are gathered from its works.

    - A work seen now is cited, with this build's citations.
    - A work not seen now is kept, marked no longer cited, with its last known citations and
      the date of the last build that saw it.
    - A contact seen for the first time is `new`. When a build brings new contacts, the ones
      that were `new` before become `pending`; a build that brings none changes no status, so
      rebuilding the same site gives the same file.
    - Statuses the author set are never changed here.
    """
    return merge_gathered(ledger, gather(observed, metadata), today, contact_of, metadata)


def merge_gathered(
    ledger: Ledger,
    gathered: Gathered,
    today: str,
    contact_of: Any = site_of,
    metadata: Mapping[str, WorkMeta] | None = None,
) -> Ledger:
    """`merge_build` of citations already gathered."""
    by_url = gathered.by_url
    previous = ledger.last_build or today  # the last build that saw what is gone now
    works: dict[str, Work] = {}
    for url, old in ledger.works.items():
        if url not in by_url:
            works[url] = old if not old.cited else replace(old, cited=False, last_seen=previous)
    for url, citations in by_url.items():
        old_work = ledger.works.get(url)
        contact_id = old_work.contact if old_work else contact_of(url)
        works[url] = Work(
            url=url,
            site=site_of(url),
            contact=contact_id,
            first_seen=old_work.first_seen if old_work else today,
            last_seen="",
            cited=True,
            citations=tuple(sorted(citations, key=lambda c: (c.page, c.text, c.context))),
            meta=_newer_meta(old_work.meta if old_work else WorkMeta(), (metadata or {}).get(url)),
        )
    routes_of: dict[str, Routes] = {}
    for work in sorted(works.values(), key=lambda w: (not w.cited, w.url)):
        if work.meta.routes:
            routes_of[work.contact] = routes_of.get(work.contact, Routes()).merged(work.meta.routes)

    cited_contacts = {work.contact for work in works.values() if work.cited}
    seen_contacts = {work.contact for work in works.values()}
    fresh = sorted(seen_contacts - set(ledger.contacts))
    contacts: dict[str, Contact] = {}
    for cid, contact in ledger.contacts.items():
        if fresh and contact.status == "new":
            contact = _with_status(contact, "pending", today)
        cited = cid in cited_contacts
        if cited:
            last_seen = ""
        elif contact.cited:
            last_seen = previous
        else:
            last_seen = contact.last_seen
        routes = routes_of.get(cid, contact.routes)
        contacts[cid] = replace(contact, cited=cited, last_seen=last_seen, routes=routes)
    for cid in fresh:
        site = next(work.site for work in works.values() if work.contact == cid)
        contacts[cid] = Contact(
            id=cid,
            site=site,
            status="new",
            first_seen=today,
            last_seen="",
            cited=cid in cited_contacts,
            history=(Event(today, "new"),),
            routes=routes_of.get(cid, Routes()),
        )
    return Ledger(
        dict(sorted(contacts.items())),
        dict(sorted(works.items())),
        today,
        gathered.digest,
        ledger.lists,
        sends=ledger.sends,  # only `mkdocs-backlinks send` changes them
    )


def _newer_meta(old: WorkMeta, new: WorkMeta | None) -> WorkMeta:
    """The build's metadata for a work, keeping the old date when nothing changed."""
    if new is None:
        return old
    if old.checked and new.same_values(old):
        return old
    return new


def _with_status(contact: Contact, status: str, today: str, reason: str = "") -> Contact:
    return replace(
        contact,
        status=status,
        reason=reason,
        history=(*contact.history, Event(today, status, reason)),
    )


def find_contact(ledger: Ledger, ref: str) -> Contact:
    """The contact named by its id, its site, or the URL of one of its works or its site."""
    ref = ref.strip()
    if ref in ledger.contacts:
        return ledger.contacts[ref]
    lowered = ref.lower()
    for contact in ledger.contacts.values():
        if contact.site == lowered or contact.site == site_of("https://" + lowered):
            return contact
    if "://" in ref:
        work = ledger.works.get(normalise_url(ref))
        if work:
            return ledger.contacts[work.contact]
        site = site_of(ref)
        for contact in ledger.contacts.values():
            if contact.site == site:
                return contact
    raise LedgerError(f"No contact '{ref}' in the ledger. {_known_contacts(ledger, ref)}")


_LISTED_CONTACTS = 10
"""Up to this many contacts, a failed lookup lists them all; past it, the near misses."""


def _known_contacts(ledger: Ledger, ref: str) -> str:
    """What to say of the contacts after a failed lookup: all of them on a small site; on a
    large one (thousands of cited sites), the closest few and where to see the rest, rather
    than a screenful of names."""
    names = sorted(ledger.contacts)
    if not names:
        return "Known contacts: none yet: run mkdocs build first"
    if len(names) <= _LISTED_CONTACTS:
        return f"Known contacts: {', '.join(names)}"
    close = difflib.get_close_matches(ref.lower(), names, n=5, cutoff=0.6)
    hint = f"Did you mean {', '.join(close)}? " if close else ""
    return f"{hint}{len(names)} contacts in all: 'mkdocs-backlinks outreach' lists them."


def mark(ledger: Ledger, ref: str, status: str, today: str, reason: str = "") -> Ledger:
    """The ledger with one contact's outreach status set by the author."""
    if status not in MARKABLE:
        raise LedgerError(f"Unknown status '{status}'. Use one of: {', '.join(MARKABLE)}")
    contact = find_contact(ledger, ref)
    contacts = dict(ledger.contacts)
    contacts[contact.id] = _with_status(contact, status, today, reason)
    return replace(ledger, contacts=contacts)


LINKED_BACK_FROM = ("sent", "replied")
"""Statuses a mention can turn into `linked-back`: the contact was told."""


def linked_back(ledger: Ledger, latest_mention: Mapping[str, str], today: str) -> Ledger:
    """The ledger with told contacts whose site has mentioned us since marked `linked-back`.

    `latest_mention` maps a site (host without `www.`) to the date of its latest mention of
    this site. Only a mention on or after the day the contact was last told counts: one made
    before is not an answer to the note. Each change is a history event, like a `mark`.
    """
    contacts = dict(ledger.contacts)
    for contact in ledger.contacts.values():
        when = latest_mention.get(contact.site, "")
        told = contact.last_told
        if contact.status in LINKED_BACK_FROM and when and told and when[:10] >= told:
            contacts[contact.id] = _with_status(contact, "linked-back", today, "mentioned us")
    if contacts == ledger.contacts:
        return ledger
    return replace(ledger, contacts=contacts)


# ----------------------------------------------------------------------------- disk


# ----------------------------------------------------------------------------- three-way merge


def merge3(base: Ledger, ours: Ledger, theirs: Ledger) -> Ledger:
    """Both sides' changes to `base`, in one ledger: what two branches recorded (a git merge),
    or what two processes saved from the same file (a `mark` during a build).

    Each contact, work and page of sends is taken whole from the side that changed it. When both
    changed one contact, its history is the union of both histories in date order, and its
    status the last event's: a `sent` on one branch and a build's `new` -> `pending` on the other
    both stay (on one day the author's status is the later). A work both changed is the one
    cited, else ours, with the earliest first date and the newest metadata. A send both changed
    is the later one. Nothing either side recorded is dropped, and records neither changed stay
    as they were.

    The digests in the first line describe neither side, so they are cleared when the sides
    differ: the next build records its citations again and rewrites the outreach lists.
    """
    if ours == theirs or theirs == base:
        return ours
    if ours == base:
        return theirs
    contacts = _merge_maps(base.contacts, ours.contacts, theirs.contacts, _both_contact)
    works = _merge_maps(base.works, ours.works, theirs.works, _both_work)
    sends = _merge_maps(base.sends, ours.sends, theirs.sends, _both_sends)
    for work in works.values():  # a contact a work names is kept by whichever side has it
        if work.contact not in contacts:
            found = ours.contacts.get(work.contact) or theirs.contacts.get(work.contact)
            if found is not None:
                contacts[work.contact] = found
    return Ledger(
        dict(sorted(contacts.items())),
        dict(sorted(works.items())),
        max(ours.last_build, theirs.last_build),
        "",
        ListsState(),
        sends=dict(sorted(sends.items())),
    )


def _merge_maps(
    base: Mapping[str, Any], ours: Mapping[str, Any], theirs: Mapping[str, Any], both: Any
) -> dict[str, Any]:
    """Each key's record from the side that changed it; `both(ours, theirs)` when both did.
    A record one side removed (only a hand edit removes one) stays removed unless the other
    side changed it."""
    merged: dict[str, Any] = {}
    for key in dict.fromkeys((*base, *ours, *theirs)):
        mine, other, old = ours.get(key), theirs.get(key), base.get(key)
        if mine == other or other == old:
            value = mine
        elif mine == old:
            value = other
        elif mine is None or other is None:
            value = mine if other is None else other
        else:
            value = both(mine, other)
        if value is not None:
            merged[key] = value
    return merged


def _both_contact(mine: Contact, other: Contact) -> Contact:
    history = list(mine.history)
    history += [event for event in other.history if event not in history]
    # By date; on one day the build's own moves (`new`, then `pending` when newer contacts
    # come) go before the author's: a `mark` made while a build ran is not undone by it.
    history.sort(key=lambda event: (event.date, event.status not in ("new", "pending")))
    last = history[-1] if history else None
    cited = mine.cited or other.cited
    return replace(
        mine,
        status=last.status if last else mine.status,
        reason=last.reason if last else mine.reason,
        first_seen=min(mine.first_seen, other.first_seen),
        last_seen="" if cited else max(mine.last_seen, other.last_seen),
        cited=cited,
        name=mine.name or other.name,
        email=mine.email or other.email,
        history=tuple(history),
        routes=mine.routes.merged(other.routes),
    )


def _both_work(mine: Work, other: Work) -> Work:
    chosen = other if other.cited and not mine.cited else mine
    meta = other.meta if other.meta.checked > mine.meta.checked else mine.meta
    return replace(chosen, first_seen=min(mine.first_seen, other.first_seen), meta=meta)


def _both_sends(mine: PageSends, other: PageSends) -> PageSends:
    targets = dict(mine.targets)
    for key, sent in other.targets.items():
        if key not in targets or sent.date > targets[key].date:
            targets[key] = sent
    return replace(
        mine, targets=dict(sorted(targets.items())), deleted=mine.deleted and other.deleted
    )


# ----------------------------------------------------------------------------- disk

# What this process last read from or wrote to each ledger file: the base `save_ledger` merges
# against when another process wrote the file in between. Only the commands read it (a build
# records through `outreach.OutreachDesk`, which re-reads under the lock instead).
_read: dict[str, tuple[str, Ledger]] = {}


def load_ledger(path: Path) -> Ledger:
    """Read and validate the ledger; a missing file is an empty ledger."""
    text = read_ledger_text(path)
    ledger = Ledger() if text is None else parse_ledger(text, path)
    _read[str(path.absolute())] = (text or "", ledger)
    return ledger


def read_ledger_text(path: Path) -> str | None:
    """The ledger file's text, None when there is none; LedgerError when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError as exc:
        raise LedgerError(
            f"The ledger {path} is not UTF-8 text ({exc.reason} at byte {exc.start}). It was "
            "left untouched: fix it or restore it from version control."
        ) from exc
    except OSError as exc:
        what = "is a folder, not a file" if path.is_dir() else f"cannot be read: {exc}"
        raise LedgerError(
            f"The ledger {path} {what}. Nothing was written: move it aside or restore the "
            "file from version control."
        ) from exc


def parse_ledger(text: str, path: Path) -> Ledger:
    """Validate ledger `text` read from `path` (named in errors)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        reason = _unreadable(text, path, exc)
        if reason is not None:
            raise LedgerError(reason) from exc
        raise LedgerError(
            f"The ledger {path} is not valid JSON (line {exc.lineno}, column {exc.colno}: "
            f"{exc.msg}). It was left untouched: fix it or restore it from version control."
        ) from exc
    except RecursionError as exc:  # the decoder gives up on arrays or objects nested this deep
        raise LedgerError(
            f"The ledger {path} is damaged: its JSON is nested too deeply to read. It was left "
            "untouched: fix it or restore it from version control."
        ) from exc
    try:
        return _decode(data)
    except KeyError as exc:
        raise LedgerError(
            f"The ledger {path} is damaged: a required field {exc} is missing. It was left "
            "untouched: fix it or restore it from version control."
        ) from exc
    except (TypeError, ValueError) as exc:
        raise LedgerError(
            f"The ledger {path} is damaged: {exc}. It was left untouched: fix it or restore it "
            "from version control."
        ) from exc


MERGE_HELP = "see 'The ledger in git' in the README"


def _unreadable(text: str, path: Path, error: json.JSONDecodeError) -> str | None:
    """What is wrong, in plain words, for the common ways a ledger stops being JSON: a git
    merge that left its conflict markers, an empty file, a file cut short. None otherwise."""
    marker = conflict_marker(text)
    if marker is not None:
        number, line = marker
        return (
            f"The ledger {path} holds an unresolved git merge conflict (line {number}: "
            f"{line[:40]!r}). It was left untouched. Resolve it with the ledger's merge "
            f"driver: 'git checkout -m -- {path.name}' in its folder once the driver is set "
            f"up ({MERGE_HELP}), or keep one side ('git checkout --ours -- {path.name}' or "
            "'--theirs') and build again; then 'git add' it."
        )
    where = f"The ledger {path} is not valid JSON (line {error.lineno}, column {error.colno}: "
    if not text.strip():
        return (
            f"{where}{error.msg}): it is empty. It was left untouched: restore it from version "
            f"control ('git checkout -- {path.name}' in its folder), or delete it to start a "
            "new ledger (the statuses you set are then lost)."
        )
    # The parser ran out of text mid-document, or stopped on a last line that does not close
    # it (a word or a string cut in two): the ledger always ends with its closing brace.
    stripped = text.rstrip()
    last_line = stripped.count("\n") + 1
    if error.pos >= len(stripped) or (error.lineno == last_line and not stripped.endswith("}")):
        return (
            f"{where}{error.msg}): it is cut short, ending at line {len(text.splitlines())} "
            "before its document closes. It was left untouched: restore it from version "
            "control."
        )
    return None


class LedgerFile(NamedTuple):
    """A ledger read from its file, with what a build compares its own result with."""

    ledger: Ledger
    head: str
    """The first line, newline included."""
    records_hash: str
    """sha256 of everything after the first line."""


_SECTIONS = ("contacts", "works", "sends")


def read_ledger_lines(path: Path) -> LedgerFile | None:
    """The ledger at `path`, read a line at a time; None unless it is laid out as `dumps`
    writes it (then `load_ledger` reads it, and reports any damage).

    For the build that records a change, at its end, when memory peaks: reading the file as
    one text and parsing it as one JSON document held the text, the whole parsed tree and the
    ledger at once (25 MB at 3,000 pages, where the ledger alone is under 10). Here one record
    is parsed and decoded at a time. The result is the one `parse_ledger` gives for the file:
    each line of that layout is one complete member of the document, and anything else (a
    hand-formatted file, a record that fails to decode) sends the caller to the
    whole-document path.
    """
    try:
        with path.open("rb") as handle:
            return _read_lines(handle)
    # What a damaged or hand-made file raises on the way (UnicodeDecodeError and
    # JSONDecodeError are ValueErrors; RecursionError is JSON nested too deep): the whole
    # parser reads the file again and names the problem, or reads what this layout cannot.
    except (OSError, ValueError, TypeError, KeyError, RecursionError):
        return None


def _read_lines(handle: IO[bytes]) -> LedgerFile | None:
    first = handle.readline()
    if not first.endswith(b",\n"):
        return None
    # Decoded here, strictly, as `read_ledger_text` does: `json.loads` of bytes would skip a
    # UTF-8 byte order mark and let encoded surrogates through, both of which the whole
    # parser refuses.
    head = json.loads(first[:-2].decode("utf-8") + "}")
    if not isinstance(head, dict) or any(name in head for name in _SECTIONS):
        return None
    check_schema(head, LEDGER_SCHEMA, LEDGER_VERSION)
    digest = hashlib.sha256()
    contacts: dict[str, Contact] = {}
    works: dict[str, Work] = {}
    sends: dict[str, Any] = {}
    order = iter(_SECTIONS)  # sections come in this order, each at most once
    section = ""  # the section being read; "" between sections
    # What the last line ended with, so that commas are where JSON wants them: "," (the
    # head line ends with one), "{" (a section opened), "}" (a member or section ended).
    after = ","
    for raw in handle:
        digest.update(raw)
        if not raw.endswith(b"\n"):
            return None
        line = raw[:-1].decode("utf-8")
        if not section:
            if line == "}" and after == "}":  # the end of the document; nothing may follow
                if handle.read(1):
                    return None
                return LedgerFile(
                    _ledger_from(head, contacts, works, sends),
                    first.decode("utf-8"),
                    digest.hexdigest(),
                )
            name = line.removesuffix(":{")[1:-1]
            if after != "," or line != f'"{name}":{{' or name not in order:
                return None
            section, after = name, "{"
        elif line in ("}", "},"):  # the end of the section
            if after == ",":
                return None
            section, after = "", line[-1]
        else:  # one member of the section: '"key":{...}' and a comma unless it is the last
            if after == "}":
                return None
            after = "," if line.endswith(",") else "}"
            member = json.loads("{" + (line[:-1] if after == "," else line) + "}")
            # ValueError (caught above) unless the line held exactly one member. A repeated
            # key is assigned again, in its first place, as the whole-document parser does.
            ((key, value),) = member.items()
            if section == "contacts":
                contacts[key] = _decode_contact(key, value)
            elif section == "works":
                works[key] = _decode_work(key, value, contacts)
            else:
                sends[key] = value
    return None  # the file ended inside the document


def metadata_in(text: str) -> dict[str, WorkMeta]:
    """The metadata of each work in ledger `text` that was already validated, without
    building the whole ledger: the build needs titles, not contacts and citations."""
    # A key can only appear unescaped outside strings: without one, there is nothing to read.
    if '"meta":' not in text:
        return {}
    data = json.loads(text)
    works = data.get("works") if isinstance(data, dict) else None
    if not isinstance(works, dict):
        return {}
    found = {}
    for url, record in works.items():
        meta = meta_from_record(record.get("meta") if isinstance(record, dict) else None)
        if meta:
            found[url] = meta
    return found


def _head(ledger: Ledger) -> dict[str, Any]:
    lists = ledger.lists
    return {
        "schema": LEDGER_SCHEMA,
        "version": LEDGER_VERSION,
        "last_build": ledger.last_build,
        "observed": ledger.observed,
        "lists": {
            "fingerprint": lists.fingerprint,
            "contacts": lists.contacts,
            "to_do": lists.to_do,
        },
    }


def read_head(path: Path) -> Ledger | None:
    """The ledger's first line only (dates, digests, list state), without its records.

    None when the file is missing or the line is not what this version writes; the caller
    then reads the whole file, which reports any damage properly.
    """
    try:
        with path.open(encoding="utf-8") as handle:
            line = handle.readline()
        data = json.loads(line.rstrip().rstrip(",") + "}")
        lists = data.get("lists", {})
        return Ledger(
            last_build=_date(data.get("last_build"), "'last_build'"),
            observed=_str(data.get("observed", ""), "'observed'"),
            lists=ListsState(
                _str(lists.get("fingerprint", ""), "fingerprint"),
                int(lists.get("contacts", 0)),
                int(lists.get("to_do", 0)),
            ),
        )
    except (OSError, ValueError, TypeError, AttributeError, RecursionError):
        return None


def with_head(text: str, ledger: Ledger) -> str:
    """The ledger file `text` with its first line replaced by `ledger`'s head."""
    return head_line(ledger) + text.partition("\n")[2]


def save_ledger(path: Path, ledger: Ledger) -> None:
    """Write the ledger atomically, with the data folder locked.

    When the file is no longer what this process last read (`load_ledger`) or saved, another
    process (a build, another command) saved it in between: the two are merged (`merge3`), so
    neither loses what it recorded. A file damaged meanwhile raises LedgerError and is left
    alone; so does a failed write (a read-only folder), with the reason.
    """
    key = str(path.absolute())
    try:
        with locked(path.parent):
            base = _read.get(key)
            current = read_ledger_text(path)
            written = ledger
            if base is not None and (current or "") != base[0]:
                theirs = Ledger() if current is None else parse_ledger(current, path)
                written = merge3(base[1], ledger, theirs)
            text = dumps(written)
            if text != current:
                write_text_atomic(path, text)
    except OSError as exc:
        raise LedgerError(
            f"Cannot write the ledger {path}: {exc}. The file was left as it was."
        ) from exc
    # The caller goes on from `ledger`, not from the merge: its next save is merged with the
    # file again (the texts differ), so what the other process recorded is kept then too.
    _read[key] = (text if written is ledger else dumps(ledger), ledger)


def dumps(ledger: Ledger) -> str:
    """The ledger file's text: keys sorted, one line per contact and per work.

    One record a line keeps a review diff to the records that changed, and lets the fast C
    JSON encoder do the work (an indented dump is several times slower on a large site).
    """
    return "".join(_chunks(ledger))


def head_line(ledger: Ledger) -> str:
    """The ledger file's first line, newline included: what `dumps` starts with."""
    head = json.dumps(_head(ledger), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return head[:-1] + ",\n"


def records_chunks(ledger: Ledger) -> list[str]:
    """What `dumps` writes after the first line, in pieces: the records, which the first
    line's digests describe. `head_line(ledger) + "".join(records_chunks(ledger))` is
    `dumps(ledger)`; the pieces let a build hash and write them without joining megabytes."""
    chunks = _chunks(ledger)
    next(chunks)  # the head, less its closing brace
    # The next piece opens the first section on the second line: ',\n"contacts":{'.
    first = next(chunks).removeprefix(",\n")
    return [first, *chunks]


def _chunks(ledger: Ledger) -> Iterator[str]:
    head = _head(ledger)
    contacts = (
        (
            cid,
            {
                "site": c.site,
                "status": c.status,
                "reason": c.reason,
                "name": c.name,
                "email": c.email,
                "first_seen": c.first_seen,
                "last_seen": c.last_seen or None,
                "cited": c.cited,
                "history": [
                    {"date": e.date, "status": e.status, "reason": e.reason} for e in c.history
                ],
                # Only when known, so ledgers of sites never checked keep their bytes.
                **({"routes": routes_record(c.routes)} if c.routes else {}),
            },
        )
        for cid, c in ledger.contacts.items()
    )
    works = (
        (
            url,
            {
                "site": w.site,
                "contact": w.contact,
                "first_seen": w.first_seen,
                "last_seen": w.last_seen or None,
                "cited": w.cited,
                "citations": [c.record() for c in w.citations],
                **({"meta": meta_record(w.meta)} if w.meta else {}),
            },
        )
        for url, w in ledger.works.items()
    )
    sections: dict[str, Iterable[tuple[str, Any]]] = {"contacts": contacts, "works": works}
    if ledger.sends:
        # Only once something was sent, so a ledger that never sent reads as before.
        sends = sorted(ledger.sends.items())
        sections["sends"] = ((page, _send_record(record)) for page, record in sends)
    return dump_json_lines(head, sections)


def _send_record(sends: PageSends) -> dict[str, Any]:
    return {
        "source": sends.source,
        "deleted": sends.deleted,
        "targets": {
            key: {
                "target": t.target,
                "digest": t.digest,
                "outcome": t.outcome,
                "date": t.date,
                "linked": t.linked,
                "http_status": t.http_status,
                "endpoint": t.endpoint,
                "location": t.location,
                "reason": t.reason,
            }
            for key, t in sorted(sends.targets.items())
        },
    }


def _status(value: Any, where: str) -> str:
    status = _str(value, f"a status in {where}")
    if status not in STATUSES:
        raise ValueError(f"{where} has unknown status {status!r}")
    return status


def _int(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{what} must be a whole number, not {type(value).__name__}")
    return value


def _date(value: Any, what: str) -> str:
    return "" if value is None else _str(value, what)


def _bool(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{what} must be true or false, not {type(value).__name__}")
    return value


def _decode(data: Any) -> Ledger:
    data = _dict(data, "the document")
    check_schema(data, LEDGER_SCHEMA, LEDGER_VERSION)
    contacts: dict[str, Contact] = {}
    for cid, raw in _dict(data.get("contacts", {}), "'contacts'").items():
        contacts[cid] = _decode_contact(cid, raw)
    works: dict[str, Work] = {}
    for url, raw in _dict(data.get("works", {}), "'works'").items():
        works[url] = _decode_work(url, raw, contacts)
    return _ledger_from(data, contacts, works, _dict(data.get("sends", {}), "'sends'"))


def _decode_contact(cid: str, raw: Any) -> Contact:
    raw = _dict(raw, f"contact {cid!r}")
    status = _status(raw["status"], f"contact {cid!r}")
    history = tuple(
        Event(
            _str(_dict(e, "history entry")["date"], "history date"),
            _status(e["status"], f"history of {cid!r}"),
            _str(e.get("reason", ""), "history reason"),
        )
        for e in _list(raw.get("history", []), f"history of {cid!r}")
    )
    return Contact(
        id=cid,
        site=_str(raw["site"], f"site of {cid!r}"),
        status=status,
        reason=_str(raw.get("reason", ""), f"reason of {cid!r}"),
        name=_str(raw.get("name", ""), f"name of {cid!r}"),
        email=_str(raw.get("email", ""), f"email of {cid!r}"),
        first_seen=_str(raw["first_seen"], f"first_seen of {cid!r}"),
        last_seen=_date(raw["last_seen"], f"last_seen of {cid!r}"),
        cited=_bool(raw["cited"], f"cited of {cid!r}"),
        history=history,
        routes=routes_from_record(raw.get("routes")),
    )


def _decode_work(url: str, raw: Any, contacts: Mapping[str, Contact]) -> Work:
    raw = _dict(raw, f"work {url!r}")
    contact = _str(raw["contact"], f"contact of {url!r}")
    if contact not in contacts:
        raise ValueError(f"work {url!r} belongs to unknown contact {contact!r}")
    citations = tuple(
        Citation(
            _str(c["page"], "citation page"),
            _str(c["page_title"], "citation page_title"),
            _str(c["page_url"], "citation page_url"),
            _str(c["text"], "citation text"),
            _str(c["context"], "citation context"),
        )
        for c in (
            _dict(item, "citation") for item in _list(raw["citations"], f"citations of {url!r}")
        )
    )
    return Work(
        url=url,
        site=_str(raw["site"], f"site of {url!r}"),
        contact=contact,
        first_seen=_str(raw["first_seen"], f"first_seen of {url!r}"),
        last_seen=_date(raw["last_seen"], f"last_seen of {url!r}"),
        cited=_bool(raw["cited"], f"cited of {url!r}"),
        citations=citations,
        meta=meta_from_record(raw.get("meta")),
    )


def _ledger_from(
    head: Mapping[str, Any],
    contacts: dict[str, Contact],
    works: dict[str, Work],
    sends_raw: Mapping[str, Any],
) -> Ledger:
    lists = _dict(head.get("lists", {}), "'lists'")
    sends = {page: _decode_sends(page, raw) for page, raw in sends_raw.items()}
    return Ledger(
        contacts,
        works,
        _date(head.get("last_build"), "'last_build'"),
        _str(head.get("observed", ""), "'observed'"),
        ListsState(
            _str(lists.get("fingerprint", ""), "'lists.fingerprint'"),
            _int(lists.get("contacts", 0), "'lists.contacts'"),
            _int(lists.get("to_do", 0), "'lists.to_do'"),
        ),
        sends=dict(sorted(sends.items())),
    )


def _decode_sends(page: str, raw: Any) -> PageSends:
    """One page's send records. Optional fields may be missing (older or hand-edited files);
    an outcome this version does not know is kept as written, so nothing is lost."""
    raw = _dict(raw, f"sends of {page!r}")
    targets: dict[str, SentTarget] = {}
    for key, item in _dict(raw.get("targets", {}), f"targets sent from {page!r}").items():
        where = f"the send from {page!r} to {key!r}"
        item = _dict(item, where)
        status = item.get("http_status")
        targets[key] = SentTarget(
            target=_str(item.get("target", key), f"target of {where}"),
            digest=_str(item.get("digest", ""), f"digest of {where}"),
            outcome=_str(item["outcome"], f"outcome of {where}"),
            date=_str(item.get("date", ""), f"date of {where}"),
            linked=_bool(item.get("linked", True), f"linked of {where}"),
            http_status=None if status is None else _int(status, f"http_status of {where}"),
            endpoint=_str(item.get("endpoint", ""), f"endpoint of {where}"),
            location=_str(item.get("location", ""), f"location of {where}"),
            reason=_str(item.get("reason", ""), f"reason of {where}"),
        )
    return PageSends(
        page=page,
        source=_str(raw.get("source", ""), f"source of {page!r}"),
        targets=dict(sorted(targets.items())),
        deleted=_bool(raw.get("deleted", False), f"deleted of {page!r}"),
    )
