"""The outreach report: whom the site cites, what to tell them, and how, made from the ledger.

Pure: a ledger and the settings in, a `Report` out (the content of `outreach.json`); the
Markdown, CSV and HTML lists are views of it (`formats`), so they always agree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import replace
from urllib.parse import urlsplit

from mkdocs_backlinks.ledger.model import STATUSES, Contact, Ledger, Work
from mkdocs_backlinks.ledger.people import home_of, is_reference, name_from_key
from mkdocs_backlinks.links.urls import domain_matches, normalise_url, site_or_none
from mkdocs_backlinks.outreach.addressee import Addressee, addressee
from mkdocs_backlinks.outreach.notes import NoteWriter, ThanksWriter, mark_command, thanks_writer
from mkdocs_backlinks.outreach.places import Place, best_places
from mkdocs_backlinks.outreach.records import (
    BrokenRow,
    ContactRow,
    Note,
    RelationshipRow,
    Report,
    ReportSite,
    Route,
    Summary,
    WorkRow,
)
from mkdocs_backlinks.outreach.settings import Settings, setup_warnings
from mkdocs_backlinks.outreach.thanks import public_post
from mkdocs_backlinks.works.identity import work_key

REPORT_SCHEMA = "mkdocs-backlinks/outreach"
REPORT_VERSION = 1

# A site cited from this many pages and never told deserves a nudge.
MANY_PAGES = 3

NOTE_WORKS = 5
"""Works a note lists; the rest are counted ("and N more")."""


def build_report(ledger: Ledger, settings: Settings, writer: NoteWriter) -> Report:
    """The outreach document: contacts sorted new first, each with its note and routes.

    Reference sites (`settings.reference_sites`) are credited but not written to: their
    contacts join the relationships only, unless the author acted on one (marked it)."""
    works_of: dict[str, list[Work]] = {}
    for work in ledger.works.values():
        works_of.setdefault(work.contact, []).append(work)
    me = {"name": settings.author, "url": settings.author_url, "site_name": settings.site_name}
    thanks = thanks_writer(settings.thanks_template, settings.template_cache)
    rows: list[ContactRow] = []
    relationships: list[RelationshipRow] = []
    broken: list[BrokenRow] = []
    citation_count = 0
    mention_counts = {site: count for site, count, _ in settings.mentions}
    for contact in _contacts_in_order(ledger, settings):
        works = one_per_work(works_of.get(contact.id, []))
        mentions = mention_counts.pop(contact.id, 0)
        if _reference_only(contact, settings):
            relationships.append(_relationship(contact, works, (REFERENCE_NOTE,), mentions))
            continue
        row = _contact_row(contact, works, settings, (writer, thanks), me)
        rows.append(row)
        citation_count += _cited_count(works)
        broken += _broken_of(contact, works)
        relationships.append(_relationship(contact, works, row.suggestions, mentions))
    # Sites that mention us without being cited: relationships that started from their side.
    relationships += _mentioned_only(mention_counts)
    return Report(
        schema=REPORT_SCHEMA,
        version=REPORT_VERSION,
        generated=settings.today,
        site=ReportSite(settings.site_name, settings.site_url),
        config_file=settings.config_file,
        statuses=STATUSES,
        summary=_summary(rows, citation_count, len(broken)),
        contacts=tuple(rows),
        broken=tuple(sorted(broken, key=lambda b: b.url)),
        relationships=tuple(sorted(relationships, key=lambda r: (-r.pages, -r.mentions, r.site))),
        setup_warnings=setup_warnings(settings) if rows else (),
    )


REFERENCE_NOTE = "reference site: credited, not suggested for outreach"


def is_listed(contact: Contact, settings: Settings) -> bool:
    """Whether the lists show the contact (and count it): not an excluded site, not a
    reference site's the author never acted on. Every count of contacts uses this."""
    return not domain_matches(contact.site, settings.exclude_sites) and not _reference_only(
        contact, settings
    )


def _reference_only(contact: Contact, settings: Settings) -> bool:
    """Whether the contact is a reference site's that the author never acted on (a status
    other than the build's own `new` and `pending`)."""
    return contact.status in ("new", "pending") and is_reference(
        contact.id, settings.reference_sites, settings.people_hosts
    )


def one_per_work(works: Iterable[Work]) -> list[Work]:
    """The contact's works with the URLs of one work (`work_key`: the same final URL, or the
    same but for scheme, `www.` or a trailing slash) made one: cited if any is, with the
    citations of all, under the URL the check ended at when one is among them, else the https
    one, else the most cited. Sorted cited first, then by URL."""
    groups: dict[str, list[Work]] = {}
    for work in works:
        groups.setdefault(work_key(work.url, work.meta.final_url), []).append(work)
    merged = [_one_work(group) if len(group) > 1 else group[0] for group in groups.values()]
    return sorted(merged, key=lambda w: (not w.cited, w.url))


def _one_work(group: list[Work]) -> Work:
    finals = {normalise_url(w.meta.final_url) for w in group if w.meta.final_url}
    best = min(
        group,
        key=lambda w: (
            not w.cited,
            w.url not in finals,
            not w.url.startswith("https:"),
            -len(w.citations),
            w.url,
        ),
    )
    citations = {(c.page, c.text, c.context): c for w in group if w.cited for c in w.citations}
    if not citations:  # none cited now: the last known places of all
        citations = {(c.page, c.text, c.context): c for w in group for c in w.citations}
    title = best.meta.title or next((w.meta.title for w in group if w.meta.title), "")
    author = best.meta.author or next((w.meta.author for w in group if w.meta.author), "")
    return replace(
        best,
        cited=any(w.cited for w in group),
        citations=tuple(citations[key] for key in sorted(citations)),
        meta=replace(best.meta, title=title, author=author),
    )


def _contacts_in_order(ledger: Ledger, settings: Settings) -> list[Contact]:
    """The contacts to list, by status (new first), cited before uncited, then by id."""
    order = {status: index for index, status in enumerate(STATUSES)}
    return sorted(
        (c for c in ledger.contacts.values() if not domain_matches(c.site, settings.exclude_sites)),
        key=lambda c: (order[c.status], not c.cited, c.id),
    )


def _contact_row(
    contact: Contact,
    works: list[Work],
    settings: Settings,
    writers: tuple[NoteWriter, ThanksWriter],
    me: dict[str, str],
) -> ContactRow:
    """The contact's row: its works, the note about them, the routes and the suggestions."""
    work_rows = tuple(_work_row(work) for work in works)
    name = contact.name or _author_of(works) or name_from_key(contact.id)
    routes = _routes(contact)
    email = contact.email or next(iter(contact.routes.emails), "")
    shown = [w for w in works if w.cited] or works
    site_names = [w.meta.site_name for w in shown]
    who = addressee(contact.id, contact.site, name, email, site_names)
    shown_rows = [row for row in work_rows if row.cited] or list(work_rows)
    note, places = _note(contact, who, shown, shown_rows, settings, writers[0], me)
    profiles = [*contact.routes.profiles, home_of(contact.id)]
    post = public_post(
        writers[1],
        profiles,
        who.as_dict(contact.id, contact.site),
        [row.as_dict() for row in shown_rows[:NOTE_WORKS]],
        places,
        me,
    )
    return ContactRow(
        id=contact.id,
        site=contact.site,
        name=name or None,
        status=contact.status,
        done=contact.status in settings.done_statuses,
        reason=contact.reason,
        cited=contact.cited,
        first_seen=contact.first_seen,
        last_seen=contact.last_seen,
        last_told=contact.last_told or None,
        email=email or None,
        routes=routes,
        best_route=routes[0],
        works=work_rows,
        note=note,
        mark_command=mark_command(contact.id, settings.config_file),
        suggestions=_suggestions(contact, works),
        public_post=post,
    )


def _work_row(work: Work) -> WorkRow:
    """A work as the report shows it; what the build never learned is None, not ''."""
    return WorkRow(
        url=work.url,
        # The work's own title when the build learned it; else the anchor text.
        title=work.meta.title or (work.citations[0].text if work.citations else ""),
        author=work.meta.author or None,
        link_status=work.meta.status or None,
        final_url=work.meta.final_url or None,
        checked=work.meta.checked or None,
        home=urlsplit(work.url).path in ("", "/"),
        cited=work.cited,
        citations=tuple(work.citations),
    )


def _note(
    contact: Contact,
    who: Addressee,
    works: list[Work],
    rows: list[WorkRow],
    settings: Settings,
    writer: NoteWriter,
    me: dict[str, str],
) -> tuple[Note, list[Place]]:
    """The note about the cited works (all of them when none is cited any more), and the
    places it quotes.

    The template gets plain dicts, as it always has: an author's template may use them as
    such (`work.items()`, `work | tojson`). It gets at most `NOTE_WORKS` works and the best
    `places.QUOTED` pages, with counts of the rest."""
    keyed = ((work.url, c) for work in works for c in work.citations)
    places, more_pages = best_places(keyed)
    subject, body = writer.write(
        {
            "contact": who.as_dict(contact.id, contact.site),
            "works": [row.as_dict() for row in rows[:NOTE_WORKS]],
            "more_works": max(len(rows) - NOTE_WORKS, 0),
            "pages": [place.as_dict() for place in places],
            "more_pages": more_pages,
            "me": me,
            "sign_off": settings.sign_off,
            "tone": settings.tone,
        }
    )
    return Note(subject, body), places


def _cited_count(works: Iterable[Work]) -> int:
    return sum(len(w.citations) for w in works if w.cited)


def _suggestions(contact: Contact, works: list[Work]) -> tuple[str, ...]:
    """What the author might do about this contact, beyond sending the note."""
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
    return tuple(out)


def _author_of(works: list[Work]) -> str:
    """The one author the contact's cited works name, '' when none or several: a note to a
    site where many people write says "Hi there" rather than guess."""
    authors = {work.meta.author for work in works if work.cited and work.meta.author}
    return authors.pop() if len(authors) == 1 else ""


def _routes(contact: Contact) -> tuple[Route, ...]:
    """Ways to reach a contact, best first: the address the author chose, then the work's
    webmention endpoint, e-mail addresses, rel=me profiles, and the site itself."""
    routes: list[Route] = []
    if contact.email:
        routes.append(Route("email", f"mailto:{contact.email}"))
    found = contact.routes
    if found.webmention:
        routes.append(Route("webmention", found.webmention))
    for address in found.emails:
        if address != contact.email:
            routes.append(Route("email", f"mailto:{address}"))
    routes += [Route("profile", url) for url in found.profiles]
    routes.append(Route("site", home_of(contact.id)))
    return tuple(routes)


def _broken_of(contact: Contact, works: list[Work]) -> list[BrokenRow]:
    """The contact's cited works that the last check found broken or gone."""
    return [
        BrokenRow(
            url=work.url,
            status=work.meta.status,
            contact=contact.id,
            pages=tuple(sorted({c.page for c in work.citations})),
        )
        for work in works
        if work.cited and work.meta.dead
    ]


def _relationship(
    contact: Contact, works: list[Work], suggestions: tuple[str, ...], mentions: int
) -> RelationshipRow:
    return RelationshipRow(
        site=contact.site,
        citations=_cited_count(works),
        pages=len({c.page for w in works if w.cited for c in w.citations}),
        last_told=contact.last_told or None,
        mentions=mentions,
        status=contact.status,
        suggestions=suggestions,
    )


def _mentioned_only(mention_counts: dict[str, int]) -> Iterator[RelationshipRow]:
    """Relationships with the sites that mention this one and that it does not cite."""
    for site, count in mention_counts.items():
        yield RelationshipRow(
            site=site,
            citations=0,
            pages=0,
            last_told=None,
            mentions=count,
            status=None,
            suggestions=("mentions you; you have not cited them",),
        )


def _summary(rows: list[ContactRow], citations: int, broken: int) -> Summary:
    by_status = Counter(row.status for row in rows)
    return Summary(
        contacts=len(rows),
        citations=citations,
        by_status={status: by_status.get(status, 0) for status in STATUSES},
        to_do=sum(1 for row in rows if not row.done and row.cited),
        broken=broken,
    )


def filter_rows(report: Report, statuses: Iterable[str] = (), site: str = "") -> Report:
    """The report with only the contacts of the given statuses and site."""
    wanted = set(statuses)
    # No host name (`a[`): only a contact of that id matches.
    site_name = (site_or_none("https://" + site.strip()) or "") if site else ""
    rows = tuple(
        row
        for row in report.contacts
        if (not wanted or row.status in wanted)
        and (not site or (site_name and row.site == site_name) or row.id == site)
    )
    return replace(report, contacts=rows)
