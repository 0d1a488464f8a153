"""Merging mentions: fetched ones into the store, and two writers' stores into one."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from mkdocs_backlinks.links.urls import url_identity
from mkdocs_backlinks.mentions.model import (
    Mention,
    MentionsStore,
    SourceState,
    decimal_id,
    instant,
    store_order,
)

__all__ = ["later_since_id", "merge", "rebase", "recency", "update_store"]


def _natural_key(mention: Mention) -> tuple[str, str, str]:
    return url_identity(mention.source), url_identity(mention.target), mention.kind


def recency(mention: Mention) -> tuple[str, str, tuple[int, int, str]]:
    """How new a copy of a mention is: by when the receiver got it (`wm-received`), then
    when it was published, then its id (a receiver's number, larger being later, over our
    digest). An undated copy is older than any dated one."""
    number = decimal_id(mention.id)
    rank = (1, int(number), mention.id) if number is not None else (0, 0, mention.id)
    received = instant(mention.received) if mention.received else ""
    published = instant(mention.published) if mention.published else ""
    return received, published, rank


def merge(stored: Sequence[Mention], incoming: Sequence[Mention]) -> list[Mention]:
    """`stored` updated with `incoming`, one record per mention, in a fixed order.

    Two records are the same mention when they share an id, or when they share source,
    target and kind (a receiver that re-issues an id, or a mention once stored under a
    digest id). Of two copies the newer one is kept (`recency`), whatever order the feed gave
    them in, so a stale copy never replaces a fresh one. When both are as new, an incoming
    copy replaces a stored one (how a reply edited without a new date reaches the site), and
    between two incoming copies the record's own text decides. The order (target, date, id)
    does not depend on the order of the input, so the same mentions always make the same file.
    """
    by_id: dict[str, tuple[Mention, bool]] = {}
    id_of_key: dict[tuple[str, str, str], str] = {}
    for mention, fresh in (*((m, False) for m in stored), *((m, True) for m in incoming)):
        key = _natural_key(mention)
        rivals = []
        for old_id in {mention.id, id_of_key.get(key, mention.id)}:
            old = by_id.pop(old_id, None)
            if old is not None:
                id_of_key.pop(_natural_key(old[0]), None)
                rivals.append(old)
        kept = max([(mention, fresh), *rivals], key=_preference)
        by_id[kept[0].id] = kept
        id_of_key[_natural_key(kept[0])] = kept[0].id
    return sorted((m for m, _ in by_id.values()), key=store_order)


def _preference(copy: tuple[Mention, bool]) -> tuple[object, ...]:
    mention, fresh = copy
    return recency(mention), fresh, repr(sorted(mention.record().items()))


def update_store(
    store: MentionsStore, source: str, incoming: Iterable[Mention], fetched_at: str = ""
) -> MentionsStore:
    """The store after a fetch from the receiver named `source` brought `incoming`.

    `since_id` only grows: it is the largest numeric id seen from that receiver, which is
    what webmention.io's `since_id` parameter expects (see `later_since_id`). Other ids are
    our digests of mentions that came without one, and no receiver knows them.
    """
    incoming = list(incoming)
    old = store.sources.get(source, SourceState())
    numeric = (m.id for m in incoming if decimal_id(m.id) is not None)
    state = SourceState(
        since_id=later_since_id(old.since_id, *numeric),
        last_fetched=fetched_at or old.last_fetched,
    )
    sources = dict(store.sources)
    sources[source] = state
    return MentionsStore(tuple(merge(store.mentions, incoming)), dict(sorted(sources.items())))


def rebase(base: MentionsStore, ours: MentionsStore, theirs: MentionsStore) -> MentionsStore:
    """Our changes to the store (from `base`, as we loaded it, to `ours`) made on top of
    `theirs`, the store as another writer left it meanwhile.

    A build and `mkdocs-backlinks fetch` can overlap: each loads the store, changes it and
    saves it. Saving `ours` as it is would drop what the other saved in between; instead the
    mentions we added or changed are merged into theirs, those we removed (`--prune`) are
    removed from theirs, and each receiver's `since_id` is the later of the two
    (`later_since_id`, the rule a fetch moves it by).
    """
    before = {m.id: m for m in base.mentions}
    kept = {m.id for m in ours.mentions}
    removed = set(before) - kept
    changed = [m for m in ours.mentions if before.get(m.id) != m]
    mentions = merge([m for m in theirs.mentions if m.id not in removed], changed)
    sources = dict(theirs.sources)
    for name, state in ours.sources.items():
        other = sources.get(name)
        if other is None or state == base.sources.get(name):
            sources.setdefault(name, state)
            continue
        sources[name] = SourceState(
            since_id=later_since_id(state.since_id, other.since_id),
            last_fetched=max(state.last_fetched, other.last_fetched),
        )
    return MentionsStore(tuple(mentions), dict(sorted(sources.items())))


def later_since_id(*since_ids: str) -> str:
    """The latest of `since_ids`: the one to ask a receiver for what came after.

    The one rule for every place that moves a `since_id` (a fetch, two writers' stores), so
    that "later" means the same everywhere:

    - A numeric id (ASCII digits) is later than anything else: webmention.io's ids are
      numbers, and a receiver that has given one has shown what its ids look like. Between
      numbers the larger value wins (1000 is later than 900), written without leading zeros, so
      "007" and "7" are one id and the store holds a single spelling.
    - With no number among them, the largest text wins, so the answer does not depend on the
      order of the arguments; "" (never fetched) is earlier than any id.

    Numbers are compared as digit strings, never converted: a stored id of thousands of
    digits is no reason to fail (Python refuses to parse integers that long).
    """
    numbers = [number for number in map(decimal_id, since_ids) if number is not None]
    if numbers:
        return max(numbers, key=lambda digits: (len(digits), digits))
    return max(since_ids, default="")
