"""Finding a contact and changing its status: the author's `mark`, and a contact that linked
back once told.

Each change is a history event, so the author can see when a contact was told; the build's own
moves (`new`, then `pending`) go through the same `with_status`.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import replace

from mkdocs_backlinks.ledger.model import MARKABLE, Contact, Event, Ledger, LedgerError
from mkdocs_backlinks.links.urls import normalise_url, site_or_none


def with_status(contact: Contact, status: str, today: str, reason: str = "") -> Contact:
    """`contact` with `status` set and the change added to its history."""
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
    # A reference that is no address (`a[`) names no site: it can only be an id, not found.
    as_site = site_or_none(lowered if "://" in lowered else "https://" + lowered)
    for contact in ledger.contacts.values():
        if contact.site == lowered or contact.site == as_site:
            return contact
    site = site_or_none(ref) if "://" in ref else None
    if site is not None:
        work = ledger.works.get(normalise_url(ref))
        if work:
            return ledger.contacts[work.contact]
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
    """The ledger with one contact's outreach status set by the author.

    The very ledger given back (`is` it) when the contact already has that status: a second
    history entry would make it look told twice, and its last-told date would move.
    """
    if status not in MARKABLE:
        raise LedgerError(f"Unknown status '{status}'. Use one of: {', '.join(MARKABLE)}")
    contact = find_contact(ledger, ref)
    if contact.status == status:
        return ledger
    contacts = dict(ledger.contacts)
    contacts[contact.id] = with_status(contact, status, today, reason)
    return replace(ledger, contacts=contacts)


def undo(ledger: Ledger, ref: str) -> Ledger:
    """The ledger with one contact's last status change taken back: its latest history
    event goes, and the status and reason become those of the event before it.

    The very ledger given back when there is nothing to take back (only the build's `new`):
    the first event is how the contact came to be, not something the author did.
    """
    contact = find_contact(ledger, ref)
    if len(contact.history) < 2:
        return ledger
    history = contact.history[:-1]
    previous = history[-1]
    contacts = dict(ledger.contacts)
    contacts[contact.id] = replace(
        contact, status=previous.status, reason=previous.reason, history=history
    )
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
        # By id: a person on a shared host (`github.com/octocat`) has not answered because
        # some other page of that host mentions us; a site's contact id is its site.
        when = latest_mention.get(contact.id, "")
        told = contact.last_told
        if contact.status in LINKED_BACK_FROM and when and told and when[:10] >= told:
            contacts[contact.id] = with_status(contact, "linked-back", today, "mentioned us")
    if contacts == ledger.contacts:
        return ledger
    return replace(ledger, contacts=contacts)
