"""Planning a send run: what to send, what to tell that a link is gone, what to leave alone.

Pure: the ledger's citations, the built pages' content digests and the earlier send records
in, steps out. It decides what is new, what changed, what must be told that a link is gone,
and what to leave alone, and is tested without a network or MkDocs. The W3C Webmention
Recommendation (section 3.1) asks a sender to send again when the source page changes or goes
away, "including links the page no longer has", so the receiver can update or drop the
mention.


A page whose URL changed (a new `site_url`, `use_directory_urls` toggled; a renamed file is a
deleted page and a new one) leaves its old address behind: receivers hold mentions whose
source is that URL, and sending from the new one does not drop them. The targets the old
address was sent for move to a record of their own in `ledger.sends`, keyed by the old URL
(`split_moves`), and are told from there once the old URL answers 404 or 410, as for a
deleted page, or redirects: a receiver re-checks a source following its redirects (section
3.2.2), so it then sees where the page went, or that the link is gone (see
`live.live_check`).

A receiver that answered a 429 or 503 with `Retry-After` is not sent to before that time, by
this run or a later one: each step whose last answer came from that endpoint host waits
(`wait`), and the plan says until when (`held_hosts`). A new link to that host is held back
once discovery shows its endpoint (`deliver.Sender.held_until`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Set
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Literal
from urllib.parse import urlsplit

from mkdocs_backlinks.ledger.model import Ledger, PageSends, SentTarget
from mkdocs_backlinks.webmention.outcomes import (
    RETRY,
    format_instant,
    printable,
    valid_web_url,
)

__all__ = [
    "IN_USE",
    "SKIPPED_CONTACT",
    "Action",
    "Plan",
    "Step",
    "cited_targets",
    "held_hosts",
    "is_old_address",
    "plan_sends",
    "split_moves",
]

Action = Literal["send", "unlink", "skip", "wait"]


@dataclass(frozen=True, slots=True)
class Step:
    """One thing to do (or not) about one page and one target.

    `send`: the page links to the target and the receiver has not heard of this version.
    `unlink`: the page no longer links to it (or is gone, or moved away from `source`), and
    the receiver was told it did.
    `skip`: nothing to do, `reason` says why.
    `wait`: a send or unlink held back until the time in `reason`, which the receiver asked
    for (`Retry-After`).

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
        return tuple(step for step in self.steps if step.action in ("send", "unlink"))


SKIPPED_CONTACT = "contact marked skipped (send --include-skipped sends to it)"
"""Why a link to a contact the author skipped is left alone: `skipped` means "do not contact"
in the lists, the review page and here alike."""


def cited_targets(ledger: Ledger) -> dict[str, set[str]]:
    """Each page's cited works (normalised URLs), from the works the latest build cited."""
    by_page: dict[str, set[str]] = {}
    for work in ledger.works.values():
        if work.cited:
            for citation in work.citations:
                by_page.setdefault(citation.page, set()).add(work.url)
    return by_page


def held_hosts(ledger: Ledger, now: str) -> dict[str, str]:
    """Endpoint hosts that asked (`Retry-After`) not to be sent to before a time still to come
    at `now`, and that time (the latest one asked); both as `format_instant` writes them."""
    held: dict[str, str] = {}
    for record in ledger.sends.values():
        for sent in record.targets.values():
            if sent.not_before > now:
                host = endpoint_host(sent.endpoint)
                held[host] = max(held.get(host, ""), sent.not_before)
    return held


def endpoint_host(url: str) -> str:
    """The host name an endpoint URL posts to, lower case ("" when there is none)."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


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
    now: datetime | None = None,
    skipped: Callable[[str], bool] = lambda url: False,
) -> Plan:
    """What a send run would do.

    `digests` holds, for every page the ledger cites from or has sent from, the digest of its
    built HTML, or None when it is not built (deleted). `sources` maps each page to its live
    URL. `excluded(url)` is true for targets never to contact; `skipped(url)` for those
    whose contact the author marked `skipped`, which `send` leaves out like them. A page
    built at another URL than its record's is planned on the split ledger (`split_moves`):
    sent again from the new URL, and its old URL's targets told that it is gone. A step
    whose receiver asked to be left alone until after `now` (the current time by default)
    waits.
    """
    held = held_hosts(ledger, format_instant(now or datetime.now(timezone.utc)))
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
        source = sources.get(page) or (record.source if record else "")
        linked_now = cited.get(page, set()) if digest is not None else set()
        previous = record.targets if record else {}
        for key in sorted(linked_now):
            before = previous.get(key)
            target = before.target if before else key
            decision: tuple[Action, str] = (
                ("skip", SKIPPED_CONTACT)
                if skipped(key) and not excluded(key)
                else _send_decision(key, before, digest, excluded, was.get(page))
            )
            action, reason = decision
            steps.append(Step(page, source, key, target, action, reason, digest or ""))
        gone = _gone_steps(page, source, digest, record, linked_now)
        if digest is None and gone:
            deleted.append(page)
        steps.extend(gone)
    if held:
        steps = [_held_back(step, ledger, held) for step in steps]
    return Plan(tuple(steps), tuple(deleted), tuple(old_addresses), moved)


def _held_back(step: Step, ledger: Ledger, held: Mapping[str, str]) -> Step:
    """`step` as a `wait` when it would post to an endpoint host that asked to be left alone
    for now (known from the target's last answer; a new link's endpoint is not known yet)."""
    if step.action not in ("send", "unlink"):
        return step
    record = ledger.sends.get(step.page)
    before = record.targets.get(step.key) if record else None
    until = held.get(endpoint_host(before.endpoint)) if before and before.endpoint else None
    if until is None:
        return step
    return replace(step, action="wait", reason=f"the receiver asked to wait until {until}")


def _send_decision(
    key: str,
    before: SentTarget | None,
    digest: str | None,
    excluded: Callable[[str], bool],
    moved_from: str | None,
) -> tuple[Action, str]:
    """Whether a link the page has now is sent, and why: new, changed, worth a retry, or
    unchanged since the receiver's answer (or excluded, whatever the record says)."""
    if excluded(key):
        return "skip", "site excluded by outreach.exclude_sites"
    if before is None:
        return "send", f"page moved from {moved_from}" if moved_from is not None else "new link"
    if before.digest != digest:
        return "send", f"page changed since {before.outcome} on {before.date}"
    if before.outcome in RETRY:
        return "send", f"trying again after {before.outcome} on {before.date}"
    return "skip", f"unchanged since {before.outcome} on {before.date}"


def _gone_steps(
    page: str, source: str, digest: str | None, record: PageSends | None, linked_now: Set[str]
) -> list[Step]:
    """Telling the receivers of the links the page had and no longer has (all of them when
    it is deleted)."""
    previous = record.targets if record else {}
    # A receiver knows the page by the URL it was sent from: a removal is told from there.
    known_as = record.source if record and record.source else source
    why = "page deleted" if digest is None else "link removed"
    return [
        Step(page, known_as, key, previous[key].target, "unlink", why, digest or "")
        for key in sorted(key for key in previous if key not in linked_now and previous[key].linked)
    ]
