"""A build's citations into the ledger: gathered by cited work, then merged.

Pure functions of plain data (the plugin hands over `Observed` tuples), so the merge is tested
without MkDocs. The digest of what a build observed goes into the ledger's first line, so the
next build that sees the same knows, from that line alone, that nothing changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import NamedTuple, Protocol

from mkdocs_backlinks.ledger.contacts import with_status
from mkdocs_backlinks.ledger.model import Citation, Contact, Event, Ledger, Work
from mkdocs_backlinks.links.urls import normalise_url, site_of
from mkdocs_backlinks.works.model import Routes, WorkMeta, meta_record


class Observed(NamedTuple):
    """A citation seen in this build (the plain data the plugin hands over).

    A named tuple: a build makes one per citation of the site after every page is rendered,
    and a frozen dataclass costs several times as much to make.
    """

    url: str
    page: str
    page_title: str
    page_url: str
    text: str
    context: str


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
    # raised that peak. The bytes are those ledgers were written with.
    update = digest.update
    for item in observed:
        update(_observed_bytes(item))
    return _with_metadata(digest, metadata)


def _observed_bytes(item: Observed) -> bytes:
    return ("\x1f".join(item) + "\x1e").encode()


class _Digest(Protocol):
    """What `_with_metadata` needs of a `hashlib` object."""

    def update(self, data: bytes, /) -> None: ...

    def hexdigest(self) -> str: ...


def _with_metadata(digest: _Digest, metadata: Mapping[str, WorkMeta] | None) -> str:
    """`observed_digest` from the digest of the citations: what it adds for `metadata`."""
    if metadata:
        digest.update(b"\x1dmeta")
        for url in sorted(metadata):
            record = json.dumps(meta_record(metadata[url]), sort_keys=True, ensure_ascii=False)
            digest.update(f"{url}\x1f{record}\x1e".encode())
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class Gathered:
    """A build's citations grouped by the normalised URL of the work they cite, each work's
    without repeats and in the ledger's order (page, text, context), with the digest of what
    was observed (`observed_digest`).

    In the ledger's order so that the old ledger, read after this, can take a work's tuple in
    place of its own copy when the two are equal (`ledger.file.LedgerReader.lines`): after an
    edit most works are cited as before, and each citation's strings are then held once."""

    by_url: dict[str, tuple[Citation, ...]]
    digest: str


def gather(
    observed: Iterable[Observed],
    metadata: Mapping[str, WorkMeta] | None = None,
    digest: str | None = None,
) -> Gathered:
    """Group a build's citations for `merge_gathered`, reading them once.

    Separate from the merge so a build can let its link graph go before it reads the old
    ledger: both are large, and together they made the peak of a build after an edit.
    `digest` is `observed_digest(observed, metadata)` when the caller already has it;
    otherwise it is taken in the same pass.
    """
    hashing = hashlib.sha256() if digest is None else None
    # A dict per work, not a list: a work cited from many places would otherwise be scanned
    # whole for each of its citations, and a site's most cited works grow with the site.
    buckets: dict[str, dict[Citation, None]] = {}
    normalised: dict[str, str] = {}
    for item in observed:
        if hashing is not None:
            hashing.update(_observed_bytes(item))
        url = normalised.get(item.url)
        if url is None:
            url = normalised[item.url] = normalise_url(item.url)
        citation = Citation(item.page, item.page_title, item.page_url, item.text, item.context)
        bucket = buckets.get(url)
        if bucket is None:
            bucket = buckets[url] = {}
        bucket[citation] = None
    by_url = {url: tuple(sorted(bucket, key=_citation_order)) for url, bucket in buckets.items()}
    if hashing is not None:
        digest = _with_metadata(hashing, metadata)
    assert digest is not None  # the caller's, or taken above
    return Gathered(by_url, digest)


def _citation_order(citation: Citation) -> tuple[str, str, str]:
    """The order of a work's citations in the ledger."""
    return citation.page, citation.text, citation.context


def merge_build(
    ledger: Ledger,
    observed: Iterable[Observed],
    today: str,
    contact_of: Callable[[str], str] = site_of,
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
    contact_of: Callable[[str], str] = site_of,
    metadata: Mapping[str, WorkMeta] | None = None,
) -> Ledger:
    """`merge_build` of citations already gathered."""
    # `last_build` is the date of the last build that changed the records: every build since
    # saw the same citations, so it is also the last date known to have seen what is gone now.
    # A build that changes nothing leaves it, and the file, as they were: a committed ledger
    # is not rewritten for a date alone.
    previous = ledger.last_build or today
    works = _merged_works(ledger, gathered.by_url, today, previous, contact_of, metadata or {})
    contacts = _merged_contacts(ledger, works, today, previous)
    works = dict(sorted(works.items()))
    contacts = dict(sorted(contacts.items()))
    same = ledger.last_build and works == ledger.works and contacts == ledger.contacts
    return Ledger(
        contacts,
        works,
        ledger.last_build if same else today,
        gathered.digest,
        ledger.lists,
        sends=ledger.sends,  # only `mkdocs-backlinks send` changes them
    )


def _merged_works(
    ledger: Ledger,
    by_url: Mapping[str, tuple[Citation, ...]],
    today: str,
    previous: str,
    contact_of: Callable[[str], str],
    metadata: Mapping[str, WorkMeta],
) -> dict[str, Work]:
    """The ledger's works no longer cited, marked so, then every work cited now."""
    works: dict[str, Work] = {}
    for url, old in ledger.works.items():
        if url not in by_url:
            works[url] = old if not old.cited else replace(old, cited=False, last_seen=previous)
    for url, citations in by_url.items():
        old_work = ledger.works.get(url)
        contact_id = contact_of(url)
        if old_work and old_work.contact != contact_id:
            contact_id = _kept_contact(ledger, old_work, contact_id)
        works[url] = Work(
            url=url,
            site=site_of(url),
            contact=contact_id,
            first_seen=old_work.first_seen if old_work else today,
            last_seen="",
            cited=True,
            citations=citations,  # already in the ledger's order (`gather`)
            meta=_newer_meta(old_work.meta if old_work else WorkMeta(), metadata.get(url)),
        )
    return works


def _kept_contact(ledger: Ledger, work: Work, now: str) -> str:
    """The contact a work cited before keeps: the one the ledger gave it, unless that was its
    whole site on a host where the work now has an owner (`ledger.people`) and the author never
    acted on that site (it is still `new` or `pending`). Then the work goes to its owner; the
    site's contact stays in the ledger, as every contact does."""
    old = ledger.contacts.get(work.contact)
    moves = (
        old is not None
        and old.id == work.site
        and now.startswith(work.site + "/")
        and old.status in ("new", "pending")
    )
    return now if moves else work.contact


def _routes_by_contact(works: Mapping[str, Work]) -> dict[str, Routes]:
    """Each contact's routes, gathered from its works: those cited first, then by URL."""
    routes_of: dict[str, Routes] = {}
    for work in sorted(works.values(), key=lambda w: (not w.cited, w.url)):
        if work.meta.routes:
            routes_of[work.contact] = routes_of.get(work.contact, Routes()).merged(work.meta.routes)
    return routes_of


def _merged_contacts(
    ledger: Ledger, works: Mapping[str, Work], today: str, previous: str
) -> dict[str, Contact]:
    """The ledger's contacts brought up to date with `works`, then the ones seen first now."""
    routes_of = _routes_by_contact(works)
    cited_contacts = {work.contact for work in works.values() if work.cited}
    seen_contacts = {work.contact for work in works.values()}
    fresh = sorted(seen_contacts - set(ledger.contacts))
    contacts: dict[str, Contact] = {}
    for cid, contact in ledger.contacts.items():
        if fresh and contact.status == "new":
            contact = with_status(contact, "pending", today)
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
    return contacts


def _newer_meta(old: WorkMeta, new: WorkMeta | None) -> WorkMeta:
    """The build's metadata for a work, keeping the old date when nothing changed."""
    if new is None:
        return old
    if old.checked and new.same_values(old):
        return old
    return new
