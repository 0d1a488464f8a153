"""Sending webmentions after deploy: what to send, checking the live site, and delivery.

`mkdocs-backlinks send` runs after the site is built and published. The W3C Webmention
Recommendation (section 3.1) is the rule book for the sender: discover the target's endpoint
(`discovery.discover`), POST `source` and `target` form-encoded, treat any 2xx as success (202
queued, 201 with a status `Location`), and send again when the source page changes or goes
away, "including links the page no longer has", so the receiver can update or drop the mention.
The Recommendation says nothing of an endpoint that answers the POST with a redirect; HTTP
does (RFC 9110, 15.4): a 307 or 308 asks for the same request elsewhere, so the form is
posted again there, through the same address guard and within the client's redirect limit;
301, 302 and 303 turn a POST into a GET, which would deliver nothing, so they are reported as
`redirected` (not delivered, tried again next run), never as the receiver's refusal.

The module has two halves:

- **Planning** (`plan_sends`, `apply_outcome`) is pure: the ledger's citations, the built
  pages' content digests and the earlier send records in, steps and an updated ledger out. It
  decides what is new, what changed, what must be told that a link is gone, and what to leave
  alone, and is tested without a network or MkDocs.
- **Delivery** (`Sender`) uses `HttpClient` only: it fetches each live page to see that it
  really shows what the build shows (a receiver checks the same thing, and a webmention sent
  before the deploy finished would be verified against the old page), discovers endpoints
  concurrently, then POSTs one at a time with a minimum interval per endpoint host.

Each target's record carries the digest of the page it was sent for, so a run interrupted
half-way leaves a ledger that is right as far as it goes: the next run sends only what is left.

A page whose URL changed (a new `site_url`, `use_directory_urls` toggled; a renamed file is a
deleted page and a new one) leaves its old address behind: receivers hold mentions whose
source is that URL, and sending from the new one does not drop them. The targets the old
address was sent for move to a record of their own in `ledger.sends`, keyed by the old URL
(`split_moves`), and are told from there once the old URL answers 404 or 410, as for a
deleted page, or redirects: a receiver re-checks a source following its redirects (section
3.2.2), so it then sees where the page went, or that the link is gone (see `live_check`).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import hashlib
import json
import re
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Literal
from urllib.parse import urldefrag, urljoin, urlsplit

from bs4 import BeautifulSoup

from mkdocs_backlinks.http.client import HttpClient, Result
from mkdocs_backlinks.http.link_header import header_text
from mkdocs_backlinks.ledger.ledger import Ledger, PageSends, SentTarget, mark
from mkdocs_backlinks.links.urls import normalise_url
from mkdocs_backlinks.webmention.discovery import Discovery, discover

__all__ = [
    "DELIVERED",
    "FINAL",
    "RETRY",
    "BuiltSite",
    "Delivery",
    "LivePage",
    "Plan",
    "Sender",
    "Step",
    "apply_outcome",
    "cited_targets",
    "content_digest",
    "deliver",
    "is_old_address",
    "live_links",
    "plan_sends",
    "printable",
    "read_built_site",
    "short_reason",
    "split_moves",
    "valid_web_url",
]


DELIVERED = frozenset({"accepted", "created"})
"""Outcomes where the receiver took the webmention."""
RETRY = frozenset({"server-error", "unreachable", "not-live", "redirected"})
"""Outcomes worth trying again on the next run even when the page has not changed: the
failure was on the way, not the receiver's answer. `redirected` is an endpoint that answered
with a redirect this sender does not follow (or one that loops, or leads where the address
guard refuses): the webmention did not arrive, and the target may advertise a fixed endpoint
by the next run."""
FINAL = frozenset({"accepted", "created", "rejected", "no-endpoint"})
"""Outcomes that stand until the page changes."""

Action = Literal["send", "unlink", "skip"]

REASON_LENGTH = 160
"""Longest receiver explanation kept: enough to understand a refusal, too little to matter
when the receiver is hostile."""

# Controls (terminal escapes among them) in remote text never reach the terminal or the ledger.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


def printable(text: str) -> str:
    """`text` safe for a terminal: URLs and reasons come from remote pages, and a control
    character (an escape sequence) in them must not reach the author's terminal as one."""
    return _CONTROLS.sub("\N{REPLACEMENT CHARACTER}", text)


def valid_web_url(url: str) -> str | None:
    """Why `url` is not an absolute http(s) URL with a host, or None when it is."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return f"'{url}' is not a valid URL"
    if parts.scheme.lower() not in ("http", "https"):
        return f"'{url}' is not an http or https URL"
    if not parts.hostname:
        return f"'{url}' has no host name"
    return None


# ----------------------------------------------------------------------------- page content


# Elements whose text and links are not the page's content: theme chrome, code, and our own
# sections: incoming links change when other pages link here, and credits when a cited work's
# title or status is refreshed from the network or a string option changes.
_OUR_SECTIONS = frozenset({"backlinks-incoming", "backlinks-credits"})
_CHROME = frozenset({"nav", "header", "footer", "script", "style", "template", "noscript"})
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
     "track", "wbr"}
)  # fmt: skip
# Where the main content is, best first: themes put it in one of these; the body is the rest.
_REGIONS = ("article", "main", "role=main", "body")


class _Done(Exception):
    """The region a reader was started on has closed: nothing after it counts."""


class _PageReader(HTMLParser):
    """One pass over a page: its title, `<base href>`, every `<a href>`, and the text and
    links of each candidate main-content region, without building a tree.

    A tree (BeautifulSoup) costs several times more on the large pages a theme's navigation
    makes, and a send run reads every built page. Elements left open are closed when an
    ancestor closes, as MkDocs' output and a browser's parse agree on. With `one_element`, the
    text fed starts with the element wanted and reading stops where it ends.
    """

    def __init__(self, one_element: bool = False) -> None:
        super().__init__(convert_charrefs=True)
        self._one_element = one_element
        self.title: list[str] = []
        self.base: str | None = None
        self.hrefs: list[str] = []
        self.text: dict[str, list[str]] = {}
        self.links: dict[str, set[str]] = {}
        self._stack: list[tuple[str, str | None, bool]] = []  # (tag, region, chrome)
        self._open: dict[str, int] = {}  # region -> depth where it opened
        self._in_title = self._title_seen = False
        self._chrome = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href") is not None:
            href = (values["href"] or "").strip()
            self.hrefs.append(href)
            if not self._chrome:
                for name in self._open:
                    self.links[name].add(href)
        elif tag == "base" and self.base is None and values.get("href") is not None:
            self.base = (values["href"] or "").strip()
        elif tag == "title" and not self._title_seen:  # not an inline SVG's <title>
            self._in_title = True
        if tag in _VOID:
            return
        region: str | None = None
        if tag in ("article", "main", "body"):
            region = tag
        elif values.get("role") == "main":
            region = "role=main"
        if region is not None and (region in self._open or region in self.text):
            region = None  # only the first of each kind counts
        chrome = tag in _CHROME or (
            tag == "section" and not _OUR_SECTIONS.isdisjoint((values.get("class") or "").split())
        )
        self._stack.append((tag, region, chrome))
        if region is not None:
            self._open[region] = len(self._stack)
            self.text[region] = []
            self.links[region] = set()
        if chrome:
            self._chrome += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self._in_title:
            self._in_title, self._title_seen = False, True
        if not any(item[0] == tag for item in self._stack):
            return
        while self._stack:
            name, region, chrome = self._stack.pop()
            if region is not None:
                del self._open[region]
            if chrome:
                self._chrome -= 1
            if name == tag:
                break
        if self._one_element and not self._stack:
            raise _Done

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title.append(data)
        elif not self._chrome:
            for region in self._open:
                self.text[region].append(data)


def _read_page(html: str, one_element: bool = False) -> _PageReader:
    reader = _PageReader(one_element)
    try:
        reader.feed(html)
        reader.close()
    except _Done:
        pass
    return reader


# Where a theme's main content starts. Found by a quick search so that the navigation before
# it, often most of a built page, is never parsed. The earliest of these is the theme's: a
# page's own content may hold an `<article>` (raw HTML in Markdown) inside a theme's
# `role="main"`, and taking that for the content would miss every citation outside it.
_REGION_STARTS = (
    re.compile(r"<article\b", re.IGNORECASE),
    re.compile(r"<main\b", re.IGNORECASE),
    re.compile(r"<[a-z][a-z0-9]*\s[^>]*\brole\s*=\s*[\"']?main\b", re.IGNORECASE),
)
_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_BASE = re.compile(r"<base\s[^>]*\bhref\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))", re.IGNORECASE)


def _region_start(html: str) -> int | None:
    """Where the main content's element starts (the earliest candidate), or None."""
    starts = [m.start() for m in (r.search(html) for r in _REGION_STARTS) if m]
    return min(starts) if starts else None


def _region(page: _PageReader, one_element: bool) -> str | None:
    """The region whose text and links count: read from a candidate's start, the outermost
    one (the first opened: the theme's element, not one nested in the page's content); read
    whole, the best kind found."""
    if one_element:
        return next(iter(page.text), None)
    return next((name for name in _REGIONS if name in page.text), None)


def content_digest(html: str) -> str:
    """A digest of what a receiver of this page's webmentions sees: title, main text, links.

    Not the whole file: a theme's navigation, header and footer change whenever a page is
    added anywhere on the site (and some themes print the build date), and the *Pages that link
    here* section changes when another page links here. Hashing those would resend every
    webmention of the site after any edit, and receivers would see a flood of updates for
    pages whose mention of them did not change. What a receiver shows of a mention is the
    page's title and the text around the link, and what it checks is the link itself, so the
    digest covers the title, the text of the main content (the theme's `article`, `main` or
    `role=main` element, whichever starts first, else the body, without `nav`, `header`,
    `footer`, scripts and our credits and incoming-links sections) and the sorted set of its
    link targets.
    """
    start = _region_start(html)
    if start is None:
        page = _read_page(html)
        title = "".join(page.title)
    else:
        page = _read_page(html[start:], one_element=True)
        found = _TITLE.search(html, 0, start)
        title = unescape(found.group(1)) if found else ""
    title = " ".join(title.split())
    region = _region(page, start is not None)
    text = " ".join(" ".join(page.text[region]).split()) if region else ""
    links = page.links[region] if region else set()
    digest = hashlib.sha256()
    for part in (title, text, *sorted(links)):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\x1e")
    return digest.hexdigest()


def live_links(html: str, page_url: str) -> dict[str, str]:
    """The `<a href>` links of a live page's main content, keyed by normalised absolute URL:
    the href resolved against the page's URL (or its `<base href>`), without its fragment, as
    written otherwise.

    The href as written is what a webmention names as its target: a receiver that compares
    strings finds exactly that in the source, and the normalised key only matches it to the
    ledger's work (which has tracking parameters and the fragment removed). Only the main
    content is read when the page has one (as for the digest): the citations the ledger knows
    come from there, and a theme's navigation can be most of a page (25 ms a page with a
    thousand-page nav, against about 1 ms).
    """
    start = _region_start(html)
    if start is None:
        page = _read_page(html)
        base_href = page.base
    else:
        page = _read_page(html[start:], one_element=True)
        found_base = _BASE.search(html, 0, start)
        base_href = (
            unescape(next(g for g in found_base.groups() if g is not None)) if found_base else None
        )
    base = page_url
    if base_href is not None:
        with contextlib.suppress(ValueError):
            base = urljoin(page_url, base_href.strip())
    found: dict[str, str] = {}
    for href in page.hrefs:
        try:
            url = urldefrag(urljoin(base, href)).url
        except ValueError:
            continue
        if valid_web_url(url) is None:
            found.setdefault(normalise_url(url), url)
    return found


def short_reason(result: Result) -> str:
    """A receiver's explanation of its answer, short, on one line, with no control characters.

    Receivers explain refusals in JSON (`error_description`, `error`, as webmention.io does)
    or in an HTML or text page; the text is untrusted, so it is flattened and cut.
    """
    text = ""
    body = result.text.strip()
    if body.startswith("{"):
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if isinstance(data, dict):
            for key in ("error_description", "summary", "error", "message"):
                value = data.get(key)
                if isinstance(value, str) and value.strip():
                    text = value
                    break
    if not text and body:
        text = BeautifulSoup(body, "html.parser").get_text(" ")
    text = " ".join(_CONTROLS.sub(" ", text).split())
    if not text:
        text = result.error
    return text if len(text) <= REASON_LENGTH else text[: REASON_LENGTH - 1].rstrip() + "…"


# ----------------------------------------------------------------------------- planning


@dataclass(frozen=True, slots=True)
class Step:
    """One thing to do (or not) about one page and one target.

    `send`: the page links to the target and the receiver has not heard of this version.
    `unlink`: the page no longer links to it (or is gone, or moved away from `source`), and
    the receiver was told it did.
    `skip`: nothing to do, `reason` says why.

    For a moved page's old address, `page` is that address (see `is_old_address`).
    """

    page: str
    source: str
    key: str
    target: str
    action: Action
    reason: str
    digest: str
    """The page's digest now ("" for a deleted page)."""


@dataclass(frozen=True, slots=True)
class Plan:
    steps: tuple[Step, ...]
    deleted: tuple[str, ...]
    """Pages gone from the site whose targets are still to be told."""
    old_addresses: tuple[str, ...] = ()
    """Old URLs of moved pages whose targets are still to be told."""
    moved: Mapping[str, str] = field(default_factory=dict)
    """Pages whose record names another URL than the built site's, and their new URL: the
    ledger is split (`split_moves`) before outcomes are recorded on it."""

    @property
    def to_do(self) -> tuple[Step, ...]:
        return tuple(step for step in self.steps if step.action != "skip")


def cited_targets(ledger: Ledger) -> dict[str, set[str]]:
    """Each page's cited works (normalised URLs), from the works the latest build cited."""
    by_page: dict[str, set[str]] = {}
    for work in ledger.works.values():
        if work.cited:
            for citation in work.citations:
                by_page.setdefault(citation.page, set()).add(work.url)
    return by_page


def is_old_address(key: str) -> bool:
    """Whether a key of `ledger.sends` is a moved page's old URL rather than a page.

    A page's key is its source path under `docs_dir` (`guide/index.md`), which never holds
    "://"; the old address's record is keyed by the URL itself. No new field: a version that
    knows nothing of moves loads such a ledger, and takes the record for a deleted page
    whose targets are told from that URL once it answers 404 or 410, which is what it is.
    """
    return "://" in key


def split_moves(ledger: Ledger, moved: Mapping[str, str]) -> Ledger:
    """The ledger with each page in `moved` (page -> its URL now) moved to its new URL.

    The targets that the page's old URL told it links to (`linked`) go to the old URL's own
    record, where they wait to be told the old address is gone; the page's record starts
    afresh at the new URL, as nothing was sent from there yet. A page that moves back to an
    address it left takes that address's record back: those receivers know it by that URL.
    Idempotent, and the same object when nothing moves, so it can be applied to any ledger
    read from disk before outcomes are recorded on it.
    """
    sends = dict(ledger.sends)
    changed = False
    for page, new in moved.items():
        record = sends.get(page)
        if is_old_address(page) or record is None or not new or record.source in ("", new):
            continue
        old = record.source
        held = {key: sent for key, sent in record.targets.items() if sent.linked}
        if held and is_old_address(old):
            before = sends.get(old)
            targets = {**(before.targets if before else {}), **held}
            sends[old] = PageSends(old, old, dict(sorted(targets.items())))
        back = sends.pop(new, None) if is_old_address(new) else None
        sends[page] = PageSends(page, new, dict(back.targets) if back else {})
        changed = True
    return replace(ledger, sends=dict(sorted(sends.items()))) if changed else ledger


def _moved_pages(
    ledger: Ledger, digests: Mapping[str, str | None], sources: Mapping[str, str]
) -> dict[str, str]:
    """Built pages whose send record names another URL than the one they have now."""
    moved: dict[str, str] = {}
    for page, record in ledger.sends.items():
        new = sources.get(page)
        if is_old_address(page) or digests.get(page) is None or not new or not record.source:
            continue
        if record.source != new:
            moved[page] = new
    return moved


IN_USE = "the old address is a page of the site again"


def _old_address_steps(
    record: PageSends, in_use: bool, origin: tuple[str, str] | None
) -> list[Step]:
    """Telling the receivers that a moved page's old URL is gone (or skipping it, when a page
    of the site lives there again: its mention is true once more, or when a hand-edited key
    is no web URL to post from)."""
    source = record.source or record.page
    problem = valid_web_url(source)
    action: Action = "skip" if in_use or problem else "unlink"
    if problem:
        why = printable(problem)
    elif in_use:
        why = IN_USE
    elif origin:
        why = f"old address of {origin[0]}, now {origin[1]}"
    else:
        why = "old address, page moved"
    return [
        Step(record.page, source, key, sent.target, action, why, "")
        for key, sent in sorted(record.targets.items())
        if sent.linked
    ]


def plan_sends(
    ledger: Ledger,
    digests: Mapping[str, str | None],
    sources: Mapping[str, str],
    excluded: Callable[[str], bool] = lambda url: False,
) -> Plan:
    """What a send run would do.

    `digests` holds, for every page the ledger cites from or has sent from, the digest of its
    built HTML, or None when it is not built (deleted). `sources` maps each page to its live
    URL. `excluded(url)` is true for targets never to contact. A page built at another URL
    than its record's is planned on the split ledger (`split_moves`): sent again from the new
    URL, and its old URL's targets told that it is gone.
    """
    moved = _moved_pages(ledger, digests, sources)
    was = {page: ledger.sends[page].source for page in moved}
    origins = {old: (page, moved[page]) for page, old in was.items()}
    ledger = split_moves(ledger, moved)
    built_urls = {
        url for page, url in sources.items() if not is_old_address(page) and digests.get(page)
    }
    cited = cited_targets(ledger)
    steps: list[Step] = []
    deleted: list[str] = []
    old_addresses: list[str] = []
    for page in sorted(set(cited) | set(ledger.sends)):
        if is_old_address(page):
            in_use = page in built_urls
            told = _old_address_steps(ledger.sends[page], in_use, origins.get(page))
            if any(step.action == "unlink" for step in told):
                old_addresses.append(page)
            steps.extend(told)
            continue
        digest = digests.get(page)
        record = ledger.sends.get(page)
        previous = record.targets if record else {}
        source = sources.get(page) or (record.source if record else "")
        # A receiver knows the page by the URL it was sent from: a removal is told from there.
        known_as = record.source if record and record.source else source
        linked_now = cited.get(page, set()) if digest is not None else set()
        for key in sorted(linked_now):
            before = previous.get(key)
            target = before.target if before else key
            action: Action = "send"
            if excluded(key):
                action, reason = "skip", "site excluded by outreach.exclude_sites"
            elif before is None:
                reason = f"page moved from {was[page]}" if page in was else "new link"
            elif before.digest != digest:
                reason = f"page changed since {before.outcome} on {before.date}"
            elif before.outcome in RETRY:
                reason = f"trying again after {before.outcome} on {before.date}"
            else:
                action, reason = "skip", f"unchanged since {before.outcome} on {before.date}"
            steps.append(Step(page, source, key, target, action, reason, digest or ""))
        gone = sorted(key for key in previous if key not in linked_now and previous[key].linked)
        if digest is None and gone:
            deleted.append(page)
        for key in gone:
            why = "page deleted" if digest is None else "link removed"
            target = previous[key].target
            steps.append(Step(page, known_as, key, target, "unlink", why, digest or ""))
    return Plan(tuple(steps), tuple(deleted), tuple(old_addresses), moved)


@dataclass(frozen=True, slots=True)
class Delivery:
    """What happened to one step."""

    outcome: str
    target: str
    http_status: int | None = None
    endpoint: str = ""
    location: str = ""
    reason: str = ""

    @property
    def failed(self) -> bool:
        return self.outcome in RETRY or self.outcome == "rejected"


def apply_outcome(ledger: Ledger, step: Step, delivery: Delivery, today: str) -> Ledger:
    """The ledger with one step's outcome recorded, and the channel triage done.

    `linked` says whether the receiver may hold a mention from this page: set when it accepts
    a webmention, kept through later failures, cleared once it is told the link is gone. A
    removed link counts as told once the receiver answered anything final (a receiver that no
    longer finds the link often answers 400 after dropping the mention). A contact whose
    endpoint accepted a webmention for a page that cites them becomes `sent`, reason
    `webmention`, with a history event; a contact the author already moved on (sent, replied,
    skipped...) keeps its status.

    A page's step from another URL than its record's is a move: the ledger is split first
    (`split_moves`), so what the old URL told receivers is kept to be told it is gone.
    """
    if step.source and not is_old_address(step.page):
        ledger = split_moves(ledger, {step.page: step.source})
    record = ledger.sends.get(step.page) or PageSends(step.page, step.source)
    before = record.targets.get(step.key)
    was_linked = before.linked if before else False
    if step.action == "send":
        # Only a receiver that took a webmention may hold a mention to be told about later.
        still_linked = delivery.outcome in DELIVERED or was_linked
    else:
        still_linked = was_linked and delivery.outcome not in FINAL
    entry = SentTarget(
        target=delivery.target,
        digest=step.digest,
        outcome=delivery.outcome,
        date=today,
        linked=still_linked,
        http_status=delivery.http_status,
        endpoint=delivery.endpoint,
        location=delivery.location,
        reason=delivery.reason,
    )
    targets = dict(record.targets)
    targets[step.key] = entry
    gone = step.reason == "page deleted" or is_old_address(step.page)
    deleted = gone and not any(t.linked for t in targets.values())
    sends = dict(ledger.sends)
    sends[step.page] = replace(
        record,
        source=step.source or record.source,
        targets=dict(sorted(targets.items())),
        deleted=deleted,
    )
    updated = replace(ledger, sends=sends)  # sorted when written
    if step.action == "send" and delivery.outcome in DELIVERED:
        work = ledger.works.get(step.key)
        contact = ledger.contacts.get(work.contact) if work else None
        if contact is not None and contact.status in ("new", "pending"):
            updated = mark(updated, contact.id, "sent", today, "webmention")
    return updated


# ----------------------------------------------------------------------------- delivery


@dataclass(frozen=True, slots=True)
class LivePage:
    """A live page as fetched: its links, or why it could not be read."""

    status: str
    links: Mapping[str, str]
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status in ("ok", "redirected")


class Sender:
    """Checks live pages, discovers endpoints and posts webmentions through one `HttpClient`.

    POSTs go one at a time, and two POSTs to the same endpoint host are at least `interval`
    seconds apart (the next job for another host goes first meanwhile): receivers are often
    small personal sites, and a site that cites one author on many pages must not hit them
    with a burst.
    """

    def __init__(
        self,
        client: HttpClient,
        *,
        interval: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.interval = interval
        self.clock = clock
        self._sleep = sleep
        self._last_post: dict[str, float] = {}

    def live_pages(self, sources: Iterable[str]) -> dict[str, LivePage]:
        """Fetch each live page once (concurrently) and read its links."""
        results = self.client.fetch_many(sources)
        pages: dict[str, LivePage] = {}
        for url, result in results.items():
            if result.ok:
                pages[url] = LivePage(result.status, live_links(result.text, result.final_url))
            else:
                code = result.http_status
                detail = result.error or (f"HTTP {code}" if code else "")
                pages[url] = LivePage(result.status, {}, detail)
        return pages

    def discover_all(self, targets: Iterable[str]) -> dict[str, Discovery]:
        """Discover the endpoint of each target once, concurrently within the client's limits."""
        unique = list(dict.fromkeys(targets))
        if not unique:
            return {}
        workers = min(self.client.options.concurrency, len(unique))
        pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="backlinks-discover"
        )
        try:
            futures = [pool.submit(discover, self.client, target) for target in unique]
            return {target: future.result() for target, future in zip(unique, futures, strict=True)}
        finally:
            # On Ctrl-C, queued discoveries are dropped; running ones end by their deadline.
            pool.shutdown(wait=False, cancel_futures=True)

    def post(self, source: str, target: str, endpoint: str) -> Delivery:
        """POST one webmention, after waiting out the endpoint host's interval, and again
        wherever a 307 or 308 sends it (see `_post_following`)."""
        host = _host(endpoint)
        posted: set[str] = set()
        try:
            return self._post_following(source, target, endpoint, posted)
        finally:
            now = self.clock()
            for name in posted | {host}:
                self._last_post[name] = now

    def _wait_for(self, host: str) -> None:
        """Wait out `host`'s interval since the last webmention posted to it."""
        last = self._last_post.get(host)
        if last is not None:
            wait = last + self.interval - self.clock()
            if wait > 0:
                self._sleep(wait)

    def _post_following(
        self, source: str, target: str, endpoint: str, posted: set[str]
    ) -> Delivery:
        """POST to `endpoint`, then to each 307/308 `Location` in turn, by hand.

        `HttpClient.post_form` never follows a redirect (a generic client would turn a 301 or
        302 into a GET and report the GET's 200 as a success). Each hop is a new `post_form`,
        so every address is checked by the guard like the first; the chain ends at the
        client's `max_redirects`, at a URL already posted to, or at any other redirect. The
        outcome records the endpoint that answered last, and a 201's `Location` is resolved
        against it.
        """
        form = {"source": source, "target": target}
        limit = self.client.options.max_redirects
        chain = [endpoint]  # every URL posted to, in order
        code: int | None = None  # the redirect that led to the current URL
        while True:
            current = chain[-1]
            # Every hop's host is paced, not just the first: a 307 to another receiver must
            # not reach it sooner than a webmention sent there directly would.
            self._wait_for(_host(current))
            posted.add(_host(current))
            result = self.client.post_form(current, form)
            if code is not None and result.status == "refused":
                # The address guard stopped the hop before any connection.
                reason = f"HTTP {code} to {_shown(current)}, refused: {result.error}"
                return Delivery("redirected", target, code, chain[-2], reason=_cut(reason))
            if result.http_status not in _REPOST_CODES:
                delivery = delivery_of(result, target, current)
                if code is not None and delivery.outcome in DELIVERED:
                    via = f"re-sent after HTTP {code} from {_shown(endpoint)}"
                    delivery = replace(delivery, reason=_cut(via))
                return delivery
            code = result.http_status
            where = _location(result, current)
            problem = ""
            if where is None:
                problem = "without a usable http(s) Location"
            elif where in chain:
                problem = f"to {_shown(where)}, a redirect loop"
            elif len(chain) > limit:
                problem = f"to {_shown(where)}: more than {limit} redirects"
            if where is None or problem:
                reason = _cut(f"HTTP {code} {problem}")
                return Delivery("redirected", target, code, current, reason=reason)
            chain.append(where)

    def ready_at(self, endpoint: str) -> float:
        """When a POST to `endpoint` may go, by the pacing rule."""
        return self._ready_at(_host(endpoint))

    def paced(self, endpoints: list[str]) -> Iterator[int]:
        """Indexes of `endpoints` in the order to post to them: as given, except that one
        whose host must still wait lets a ready one of another host go first; `post` waits
        only when none is ready."""
        queues: dict[str, deque[int]] = {}
        for index, endpoint in enumerate(endpoints):
            queues.setdefault(_host(endpoint), deque()).append(index)
        while queues:
            now = self.clock()
            heads = [(queue[0], host) for host, queue in queues.items()]
            ready = [head for head in heads if self._ready_at(head[1]) <= now]
            index, host = min(ready) if ready else min(heads, key=lambda h: self._ready_at(h[1]))
            queue = queues[host]
            queue.popleft()
            if not queue:
                del queues[host]
            yield index

    def _ready_at(self, host: str) -> float:
        last = self._last_post.get(host)
        return 0.0 if last is None else last + self.interval


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def delivery_of(result: Result, target: str, endpoint: str) -> Delivery:
    """A receiver's answer as an outcome (spec 3.1.3: any 2xx is success)."""
    code = result.http_status
    if code is None:
        return Delivery("unreachable", target, None, endpoint, "", result.error)
    if 200 <= code < 300:
        location = ""
        if code == 201 and result.headers.get("Location"):
            location = urljoin(endpoint, result.headers["Location"].strip())
            if valid_web_url(location) is not None or _CONTROLS.search(location):
                location = ""
        outcome = "created" if code == 201 else "accepted"
        return Delivery(outcome, target, code, endpoint, location, "")
    if code == 429 or code >= 500:
        return Delivery("server-error", target, code, endpoint, "", short_reason(result))
    if 300 <= code < 400:
        # Not the receiver's refusal: it did not take the webmention here, and may elsewhere.
        where = _location(result, endpoint)
        if where is None:
            reason = f"HTTP {code} without a usable http(s) Location"
        elif code in _REPOST_CODES:
            reason = f"HTTP {code} to {_shown(where)} (not followed)"
        else:
            # RFC 9110 lets a client turn a 301 or 302 POST into a GET, and 303 means "GET
            # this instead": a receiver that moved must answer 307 or 308, or advertise the
            # new endpoint (the W3C working group's reading, w3c/webmention#89).
            reason = f"HTTP {code} to {_shown(where)}: not re-sent, only a 307 or 308 is"
        return Delivery("redirected", target, code, endpoint, "", _cut(reason))
    return Delivery("rejected", target, code, endpoint, "", short_reason(result))


_REPOST_CODES = frozenset({307, 308})
"""Redirects that keep the method and the body (RFC 9110, 15.4.8 and 15.4.9)."""


def _location(result: Result, base: str) -> str | None:
    """A redirect's `Location` as an absolute http(s) URL without its fragment, or None.

    The header is remote text: one that is not a web URL (`javascript:`, `file:`), or holds
    control characters, leads nowhere. Servers send UTF-8 that `http.client` decodes as
    Latin-1; it is decoded back (`link_header.header_text`), as for the redirects the HTTP
    layer follows.
    """
    raw = header_text(result.headers.get("Location", "").strip())
    if not raw or _CONTROLS.search(raw):
        return None
    try:
        where = urldefrag(urljoin(base, raw)).url
    except ValueError:
        return None
    return where if valid_web_url(where) is None else None


def _shown(url: str) -> str:
    """A remote URL for a reason: at most 100 characters, so the reason keeps its point."""
    return url if len(url) <= 100 else url[:99] + "…"


def _cut(reason: str) -> str:
    """A reason of ours that quotes remote text, cut to `REASON_LENGTH` like a receiver's."""
    reason = _CONTROLS.sub(" ", reason)
    return reason if len(reason) <= REASON_LENGTH else reason[: REASON_LENGTH - 1] + "…"


def delivery_from_discovery(found: Discovery, target: str) -> Delivery | None:
    """The outcome when discovery already decides it (no endpoint, target unreadable), else
    None: there is an endpoint to post to."""
    if found.endpoint is not None:
        return None
    if found.status in ("none", "broken", "gone"):
        return Delivery("no-endpoint", target, None, "", "", found.error)
    return Delivery("unreachable", target, None, "", "", f"target {found.status}: {found.error}")


def live_check(step: Step, live: LivePage | None) -> Delivery | str:
    """The exact target URL to send when the live page agrees with the build, else the
    not-live outcome.

    A link to send must be on the live page (and is sent as written there); a removed link
    must be gone from it; a deleted page must answer 404 or 410. A moved page's old address
    must answer 404 or 410, or redirect: a receiver verifies a source following its redirects
    (Webmention, 3.2.2), so it finds the page where it went and can keep its mention under the
    new URL (w3c/webmention#102), or finds the link gone and drops it; either way it learns
    what the old URL is now. Only an old address that still serves a page of its own waits.
    """
    if live is None:
        return Delivery("not-live", step.target, reason="the live page was not fetched")
    if is_old_address(step.page) and step.action == "unlink":
        if live.status in ("broken", "gone", "redirected"):
            return step.target
        if live.ok:
            reason = "the old address still serves a page: remove it or redirect it, then deploy"
            return Delivery("not-live", step.target, reason=reason)
        detail = f"old address {live.status}: {live.error}"
        return Delivery("not-live", step.target, reason=_cut(detail))
    if step.reason == "page deleted":
        if live.status in ("broken", "gone"):
            return step.target
        if live.ok:
            reason = "the page is still online: deploy first"
            return Delivery("not-live", step.target, reason=reason)
        return Delivery("not-live", step.target, reason=f"live page {live.status}: {live.error}")
    if not live.ok:
        return Delivery("not-live", step.target, reason=f"live page {live.status}: {live.error}")
    if step.action == "unlink":
        if step.key in live.links:
            return Delivery(
                "not-live", step.target, reason="the live page still links to it: deploy first"
            )
        return step.target
    href = live.links.get(step.key)
    if href is None:
        return Delivery(
            "not-live", step.target, reason="the live page does not link to it: deploy first"
        )
    return href


# ----------------------------------------------------------------------------- a whole run

Report = Callable[[Step, Delivery], None]


class _Recorder:
    """Records outcomes into the ledger and saves it now and then (see `deliver`)."""

    def __init__(
        self,
        ledger: Ledger,
        today: str,
        save: Callable[[Ledger], None],
        clock: Callable[[], float],
        checkpoint: float,
        reload: Callable[[], Ledger | None] | None = None,
        prepare: Callable[[Ledger], Ledger] = lambda ledger: ledger,
    ) -> None:
        self.ledger = ledger
        self.today = today
        self._save = save
        self._reload = reload
        self._prepare = prepare
        self.clock = clock
        self._checkpoint = checkpoint
        self._saved = ledger
        self._saved_at = clock()
        # The ledger as last read or written, and the outcomes recorded since: a run lasts
        # minutes (pacing, slow receivers), and a build or `mark` may write the file meanwhile.
        self._base = ledger
        self._pending: list[tuple[Step, Delivery]] = []

    def add(self, step: Step, delivery: Delivery) -> None:
        self.ledger = apply_outcome(self.ledger, step, delivery, self.today)
        self._pending.append((step, delivery))
        if self.clock() - self._saved_at >= self._checkpoint:
            self.flush()

    def flush(self) -> None:
        if self.ledger is self._saved:
            return
        if self._reload is not None:
            on_disk = self._reload()  # None: no file (removed meanwhile), ours is all there is
            if on_disk is not None and on_disk != self._base:
                # Someone else wrote the ledger: our outcomes go on top of their version,
                # rather than their change being overwritten with the one read at the start.
                ledger = self._prepare(on_disk)
                for step, delivery in self._pending:
                    ledger = apply_outcome(ledger, step, delivery, self.today)
                self.ledger = ledger
        self._save(self.ledger)
        self._saved = self._base = self.ledger
        self._saved_at = self.clock()
        self._pending.clear()


def deliver(
    plan: Plan,
    sender: Sender,
    ledger: Ledger,
    today: str,
    *,
    post: bool,
    report: Report,
    save: Callable[[Ledger], None],
    checkpoint: float = 10.0,
    reload: Callable[[], Ledger | None] | None = None,
) -> Ledger:
    """Carry out `plan`: check the live pages, discover endpoints, and POST when `post`.

    Every outcome goes to `report` as soon as it is known. With `post`, each one is also
    recorded in the ledger, which is saved every `checkpoint` seconds and, whatever happens (a
    receiver that hangs until the deadline, Ctrl-C), once more on the way out: what was sent
    is never forgotten, and each record is complete on its own. With `reload`, a save starts
    from the ledger on disk when it changed since the last read or save, so what a build or
    `mark` wrote during the run is kept. Without `post` nothing is
    recorded, and a step that would be posted reports the outcome "ready" with its endpoint.
    Outcomes are recorded on the ledger split by the plan's moves, the one read again
    included: an old address's record must exist before its first outcome lands on it.
    """
    steps = plan.to_do

    def prepare(current: Ledger) -> Ledger:
        return split_moves(current, plan.moved)

    start = prepare(ledger) if post else ledger
    recorder = _Recorder(start, today, save, sender.clock, checkpoint, reload, prepare)

    def record(step: Step, delivery: Delivery) -> None:
        report(step, delivery)
        if post:
            recorder.add(step, delivery)

    try:
        live = sender.live_pages(dict.fromkeys(step.source for step in steps))
        ready: list[tuple[Step, str]] = []
        for step in steps:
            checked = live_check(step, live.get(step.source))
            if isinstance(checked, Delivery):
                record(step, checked)
            else:
                ready.append((step, checked))
        found = sender.discover_all(target for _, target in ready)
        jobs: list[tuple[Step, str, str]] = []
        for step, target in ready:
            endpoint = found[target].endpoint
            decided = delivery_from_discovery(found[target], target)
            if decided is not None or endpoint is None:
                record(step, decided or Delivery("no-endpoint", target))
            elif post:
                jobs.append((step, target, endpoint))
            else:
                record(step, Delivery("ready", target, endpoint=endpoint))
        for index in sender.paced([endpoint for _, _, endpoint in jobs]):
            step, target, endpoint = jobs[index]
            record(step, sender.post(step.source, target, endpoint))
    finally:
        if post:
            recorder.flush()
    return recorder.ledger


# ----------------------------------------------------------------------------- the built site


@dataclass(frozen=True, slots=True)
class BuiltSite:
    """Where each page of the plan lives: its live URL and its built content's digest."""

    sources: Mapping[str, str]
    digests: Mapping[str, str | None]


def read_built_site(
    pages: Iterable[str], site_url: str, docs_dir: str, site_dir: str, use_directory_urls: bool
) -> BuiltSite:
    """Each page's live URL and the digest of its built HTML (None when it is not built).

    URLs and output paths come from MkDocs' own `File`, so they follow `use_directory_urls`
    exactly as the build did, also for a page whose source is gone. A moved page's old
    address is its own URL, never built.
    """
    from mkdocs.structure.files import File

    base = site_url.rstrip("/") + "/"
    sources: dict[str, str] = {}
    digests: dict[str, str | None] = {}
    for page in pages:
        if is_old_address(page):
            sources[page], digests[page] = page, None
            continue
        file = File(page, docs_dir, site_dir, use_directory_urls)
        # MkDocs gives the home page the URL "./"; joining resolves it as a browser would.
        sources[page] = urljoin(base, file.url)
        try:
            html = Path(file.abs_dest_path).read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            digests[page] = None
        else:
            digests[page] = content_digest(html)
    return BuiltSite(sources, digests)
