"""Who wrote a cited page, by the IndieWeb authorship algorithm, without fetching anything.

The author comes from the page's own h-entry, its `rel=author` link and the h-cards on the
page (microformats), then from `<meta name=author>` and `article:author` for what those leave
unknown. The spec would fetch the author's page; here the cards on this page stand in for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from mkdocs_backlinks.works.clean import (
    author_name,
    clean_text,
    dedupe,
    emails_in,
    http_url,
    is_absolute_http,
    page_key,
)
from mkdocs_backlinks.works.mf2json import (
    all_cards,
    is_card,
    mf2_items,
    mf2_properties,
    mf2_text,
    mf2_types,
    mf2_values,
    url_keys,
)

__all__ = ["Author", "Found", "authorship", "complete", "first_text", "page_entry"]


@dataclass(frozen=True, slots=True)
class Author:
    """Who wrote a page, as far as the page says. Any field may be unknown."""

    name: str | None = None
    url: str | None = None
    """Their home page or profile: absolute http(s)."""
    photo: str | None = None
    """An absolute http(s) image URL; `data:` images are dropped, they can be megabytes."""
    email: str | None = None
    """A bare address, without `mailto:` or query."""

    def __bool__(self) -> bool:
        return any((self.name, self.url, self.photo, self.email))


@dataclass(frozen=True, slots=True)
class Found:
    author: Author
    emails: tuple[str, ...] = ()
    """Every address on the author's h-card, for `Contacts.emails`."""


def first_text(metas: Mapping[str, list[str]], keys: Iterable[str], limit: int) -> str | None:
    for key in keys:
        for value in metas.get(key, ()):
            text = clean_text(value, limit)
            if text:
                return text
    return None


def page_entry(
    mf2: Mapping[str, object], base: str, page_keys: tuple[str, ...]
) -> Mapping[str, object] | None:
    """The page's own h-entry: one whose `url` or `uid` is the page, else the first top-level one.

    Entries of a top-level h-feed are considered only when they name the page: on a feed page
    the first entry is one post among many, not the page.
    """
    candidates: list[tuple[Mapping[str, object], Mapping[str, object] | None]] = []
    for item in mf2_items(mf2.get("items")):
        if "h-entry" in mf2_types(item):
            candidates.append((item, None))
        elif "h-feed" in mf2_types(item):
            candidates.extend(
                (child, item)
                for child in mf2_items(item.get("children"))
                if "h-entry" in mf2_types(child)
            )
    for entry, feed in candidates:
        names = [*mf2_values(entry, "url"), *mf2_values(entry, "uid")]
        if url_keys(names, base).intersection(page_keys):
            return _with_feed_author(entry, feed)
    return next((entry for entry, feed in candidates if feed is None), None)


def _with_feed_author(
    entry: Mapping[str, object], feed: Mapping[str, object] | None
) -> Mapping[str, object]:
    """The entry, inheriting its h-feed's `author` when it has none (authorship step 3)."""
    if feed is None or mf2_values(entry, "author") or not mf2_values(feed, "author"):
        return entry
    properties = {**mf2_properties(entry), "author": mf2_values(feed, "author")}
    return {**entry, "properties": properties}


def authorship(
    mf2: Mapping[str, object],
    entry: Mapping[str, object] | None,
    base: str,
    page_keys: tuple[str, ...],
    rel_author: Sequence[str],
    rel_me: Sequence[str],
) -> Found | None:
    """The authorship algorithm (indieweb.org/authorship-spec), without fetching.

    The author property of the entry is read first: an h-card is the answer; an http(s) URL
    names the author's page; other text is the author's name. With no author property the
    page's `rel=author` link names the author's page. The spec would fetch that page; instead
    the h-cards on this page are searched for it (url and uid, then the representative h-card
    when it is this page, then url alone), which is where sites put a footer or sidebar card.
    A page with no author at all falls back to its representative h-card: whoever the page
    says it belongs to.
    """
    cards = all_cards(mf2)
    author_page = None
    for value in mf2_values(entry, "author") if entry is not None else ():
        if is_card(value):
            found = _from_card(value, base, cards)
            if found is not None:
                return found
            continue
        text = mf2_text(value)
        if text is None:
            continue
        if is_absolute_http(text):
            author_page = http_url(text, base)
            if author_page:
                break
            continue
        name = author_name(text)
        if name:
            return Found(Author(name=name))
    if author_page is None:
        author_page = next((url for url in rel_author if not url.startswith("mailto:")), None)
    if author_page is not None:
        key = page_key(author_page)
        card = (
            _first_card(cards, base, url=key, uid=key)
            or (_representative(cards, base, page_keys, rel_me) if key in page_keys else None)
            or _first_card(cards, base, url=key)
        )
        found = _from_card(card, base, cards) if card is not None else None
        return found or Found(Author(url=author_page))
    card = _representative(cards, base, page_keys, rel_me)
    return _from_card(card, base, cards) if card is not None else None


def _representative(
    cards: Sequence[Mapping[str, object]],
    base: str,
    page_keys: tuple[str, ...],
    rel_me: Sequence[str],
) -> Mapping[str, object] | None:
    """The representative h-card (microformats.org/wiki/representative-h-card-parsing)."""
    for key in page_keys:
        card = _first_card(cards, base, url=key, uid=key)
        if card is not None:
            return card
    me_keys = url_keys(rel_me, base)
    for card in cards:
        if me_keys & url_keys(mf2_values(card, "url"), base):
            return card
    if len(cards) == 1 and url_keys(mf2_values(cards[0], "url"), base).intersection(page_keys):
        return cards[0]
    return None


def _first_card(
    cards: Iterable[Mapping[str, object]], base: str, url: str | None, uid: str | None = None
) -> Mapping[str, object] | None:
    if url is None:
        return None
    for card in cards:
        if url in url_keys(mf2_values(card, "url"), base) and (
            uid is None or uid in url_keys(mf2_values(card, "uid"), base)
        ):
            return card
    return None


def _from_card(
    card: Mapping[str, object], base: str, cards: Sequence[Mapping[str, object]]
) -> Found | None:
    """The author an h-card describes, gaps filled from the page's fuller card for the same URL.

    A post often marks its author with a bare name and link, while the footer card for that
    link carries the photo and address; both describe one person.
    """
    found = _read_card(card, base)
    if found.author.url and not all((found.author.name, found.author.photo, found.author.email)):
        fuller = _first_card((c for c in cards if c is not card), base, page_key(found.author.url))
        if fuller is not None:
            other = _read_card(fuller, base)
            found = Found(
                Author(
                    name=found.author.name or other.author.name,
                    url=found.author.url,
                    photo=found.author.photo or other.author.photo,
                    email=found.author.email or other.author.email,
                ),
                dedupe([*found.emails, *other.emails], str.lower),
            )
    return found if found.author else None


def _read_card(card: Mapping[str, object], base: str) -> Found:
    name = next(filter(None, (author_name(mf2_text(v)) for v in mf2_values(card, "name"))), None)
    url = next(filter(None, (http_url(mf2_text(v), base) for v in mf2_values(card, "url"))), None)
    photo = next(
        filter(None, (http_url(mf2_text(v), base) for v in mf2_values(card, "photo"))), None
    )
    emails = dedupe(
        [e for v in mf2_values(card, "email") for e in emails_in(mf2_text(v))], str.lower
    )
    return Found(Author(name, url, photo, emails[0] if emails else None), emails)


def complete(
    author: Author | None, metas: Mapping[str, list[str]], base: str, rel_author: Sequence[str]
) -> Author | None:
    """Fill what microformats left unknown from `<meta name=author>` and `article:author`.

    `article:author` is meant to be a profile URL but is often a name, so it is read as
    whichever it is. A `mailto:` link marked `rel=author` is the author's address by definition.
    """
    author = author or Author()
    name = next(filter(None, map(author_name, metas.get("author", ()))), None)
    url = None
    for value in metas.get("article:author", ()):
        if is_absolute_http(value.strip()):
            url = url or http_url(value, base)
        else:
            name = name or author_name(value)
    email = next(
        (e for href in rel_author if href.startswith("mailto:") for e in emails_in(href)), None
    )
    author = Author(
        name=author.name or name,
        url=author.url or url,
        photo=author.photo,
        email=author.email or email,
    )
    return author or None
