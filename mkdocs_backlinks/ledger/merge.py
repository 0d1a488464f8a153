"""The three-way merge of ledgers: what two branches, or two processes, recorded from one base.

Used by `save_ledger` when another process saved the file in between, and by git's merge
driver (`ledger.gitmerge`). Record by record, so nothing either side recorded is lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from mkdocs_backlinks.ledger.model import Contact, Ledger, ListsState, PageSends, Work


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
