"""What a mention is: its kinds, the records kept of it, and the order they are kept in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from mkdocs_backlinks.mentions.fields import utc_moment

__all__ = [
    "KINDS",
    "KIND_NAMES",
    "RELAYS",
    "Kind",
    "Mention",
    "MentionsError",
    "MentionsStore",
    "SourceState",
    "Store",
    "chronological",
    "decimal_id",
    "id_order",
    "instant",
    "store_order",
]

Kind = Literal["reply", "like", "repost", "bookmark", "mention", "rsvp"]
KINDS: tuple[Kind, ...] = ("reply", "like", "repost", "bookmark", "mention", "rsvp")
"""What a mention does to its target, in the order a page lists them."""

RELAYS: tuple[str, ...] = ("brid-gy.appspot.com", "brid.gy")
"""Hosts (and their subdomains) that publish other people's posts as webmention sources:
Bridgy's backfeed pages (`brid.gy`, formerly `brid-gy.appspot.com`, and Bridgy Fed under
`fed.brid.gy`, `ap.brid.gy`, ...). A receiver verifies only that a source links to the target,
so a source's claimed author is believed only when the source is one of these (the default of
the `mentions.relays` option; see `sites.mentioning_sites`)."""

KIND_NAMES: dict[str, Kind] = {kind: kind for kind in KINDS}
"""Narrows a checked string to `Kind` for the type checker."""


class MentionsError(Exception):
    """A mentions or moderation file cannot be used; the message names the file and the fix."""


@dataclass(frozen=True, slots=True)
class Mention:
    """One verified mention of a page of the site, every field already made safe.

    `id` is the receiver's id (`wm-id`), or a digest of source, target and kind for a receiver
    that gives none, so the same mention fetched twice has the same id. URLs are absolute
    http(s) or None; `content_html` has been through `sanitize_html`; the other texts are plain
    text, to be escaped by whatever shows them.
    """

    id: str
    kind: Kind
    source: str
    target: str
    url: str
    author_name: str = ""
    author_url: str | None = None
    author_photo: str | None = None
    published: str = ""
    received: str = ""
    title: str = ""
    content_html: str = ""
    content_text: str = ""
    rsvp: str = ""

    def record(self) -> dict[str, Any]:
        """As stored on disk (the id is the record's key)."""
        return {
            "kind": self.kind,
            "source": self.source,
            "target": self.target,
            "url": self.url,
            "author_name": self.author_name,
            "author_url": self.author_url,
            "author_photo": self.author_photo,
            "published": self.published,
            "received": self.received,
            "title": self.title,
            "content_html": self.content_html,
            "content_text": self.content_text,
            "rsvp": self.rsvp,
        }


@dataclass(frozen=True, slots=True)
class SourceState:
    """Where fetching from one configured receiver got to, so the next fetch asks only for
    what is new (webmention.io's `since_id`)."""

    since_id: str = ""
    last_fetched: str = ""


@dataclass(frozen=True, slots=True)
class MentionsStore:
    """Every mention received so far, sorted, and the fetch state of each receiver."""

    mentions: tuple[Mention, ...] = ()
    sources: Mapping[str, SourceState] = field(default_factory=dict)


Store = MentionsStore
"""Short name for callers that already say `mentions.`."""


def instant(value: str) -> str:
    """A sortable UTC form of an ISO date; unparsable dates sort after all real ones."""
    if not value:
        return "~"
    moment = utc_moment(value)
    if moment is None:
        return "~" + value
    return moment.isoformat()


def chronological(mention: Mention) -> tuple[str, tuple[int, int, str]]:
    """A sort key that puts mentions in the order they were made (published, else received),
    whatever time zones they were written in; undated ones last."""
    return instant(mention.published or mention.received), id_order(mention.id)


def id_order(wid: str) -> tuple[int, int, str]:
    """Numeric ids in number order (900 before 1000), then the others by text.

    `int` is safe here: a stored or parsed id is at most `fields.ID_LIMIT` characters."""
    number = decimal_id(wid)
    if number is not None:
        return 0, int(number), wid
    return 1, 0, wid


def store_order(mention: Mention) -> tuple[str, str, tuple[int, int, str]]:
    """The store's order: by target, then date, then id (see `merge.merge`)."""
    return (
        mention.target,
        instant(mention.published or mention.received),
        id_order(mention.id),
    )


def decimal_id(text: str) -> str | None:
    """`text` without leading zeros when it is a decimal number in ASCII digits, else None."""
    if text.isascii() and text.isdigit():
        return text.lstrip("0") or "0"
    return None
