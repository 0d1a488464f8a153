"""What a cited page says about itself: its title, its site, who wrote it and how to reach them.

The "Works cited" section shows a title and an author for each outside work, and the "I mentioned
you" notes need somebody to address and a route to reach them. This module reads those facts out
of HTML that `http.client` already fetched; it never opens a connection itself. mf2py is
handed our own parsed tree, never a URL to fetch.

Every remote byte is hostile. Each field is read on its own, so markup that defeats one reader
(mf2py recurses per element and gives up on deeply nested pages) costs that field, not the page.
Every URL that comes out is absolute http(s); e-mail routes come out as bare addresses; every
text is plain, folded and bounded. The templates escape again on output: this is the first line,
not the only one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeGuard, TypeVar
from urllib.parse import quote, unquote, urljoin, urlsplit

import mf2py
from bs4 import BeautifulSoup, Tag
from mkdocs.plugins import get_plugin_logger

from mkdocs_backlinks.http.link_header import parse_link_headers
from mkdocs_backlinks.links.urls import url_identity

log = get_plugin_logger(__name__)

TITLE_LIMIT = 300
"""Longest title kept, in characters; a longer one is cut at a word and ends with an ellipsis."""
DESCRIPTION_LIMIT = 500
NAME_LIMIT = 200
"""Longest author or site name kept."""
URL_LIMIT = 2048
"""Longer URLs are dropped rather than cut: half a URL leads somewhere else."""
EMAIL_LIMIT = 254  # RFC 5321's limit on a forward path, less the angle brackets

# Work bounds: a title attribute of megabytes is cut before any regular expression sees it,
# and a crafted mf2 structure (or a page of ten thousand h-cards) stops being walked.
_TEXT_WORK_LIMIT = 64 * 1024
_MAX_ITEMS = 2000
_MAX_VALUES = 50
# A name longer than this that opens the content is the note's first words, not a headline.
_HEADLINE = 100

_XHTML = "http://www.w3.org/1999/xhtml"
_HTTP_SCHEMES = frozenset({"http", "https"})
_ELLIPSIS = "\u2026"

# Text that looks like markup: an element whose content is never text, a comment, or a tag.
_RAW_OPEN = re.compile(r"<(script|style)\b|<!--", re.IGNORECASE)
_RAW_CLOSE = {
    "script": re.compile(r"</script[^>]*>?", re.IGNORECASE),
    "style": re.compile(r"</style[^>]*>?", re.IGNORECASE),
    None: re.compile("-->"),
}
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
# C0/C1 controls and the bidirectional overrides that could make a title render backwards;
# tab, newline and carriage return are white space and are folded later instead.
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_URL_NOISE = re.compile("[\t\n\r]")  # the WHATWG URL parser drops these anywhere in a URL
_URL_CONTROL = re.compile("[\x00-\x1f\x7f]")
# Characters a browser percent-encodes when it follows a link; escaped, they are safe to store.
_URL_ESCAPE = re.compile('[ "<>\\\\^`{|}]')
_EMAIL = re.compile(r"[^\s@<>()\[\],;:\"\\]{1,64}@[^\s@<>()\[\],;:\"\\]+\.[^\s@<>()\[\],;:\"\\]+")
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")

_T = TypeVar("_T")
_Links = list[tuple[frozenset[str], str]]
"""Link relations and their resolved targets, in document order."""


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
class Contacts:
    """Ways to reach whoever is behind a page, in the order the page offers them.

    Webmention endpoints are not here: discovery follows its own rules (W3C Webmention 3.1.2)
    and belongs to the module that sends.
    """

    emails: tuple[str, ...] = ()
    """Bare addresses: the author's h-card `u-email`s, then `mailto:` links marked `rel=author`
    or `rel=me`."""
    profiles: tuple[str, ...] = ()
    """`rel=me` http(s) URLs from the HTML, then from `Link` headers."""


@dataclass(frozen=True, slots=True)
class PageMetadata:
    """What a cited page says about itself; every field is optional."""

    canonical_url: str | None = None
    """The page's preferred URL. It may name another site (syndicated copies point home): it is
    the page's claim, for display and grouping; whoever acts on it decides whether to trust it."""
    title: str | None = None
    site_name: str | None = None
    author: Author | None = None
    contacts: Contacts = field(default_factory=Contacts)
    description: str | None = None
    lang: str | None = None
    """The `<html lang>` language tag, when it is shaped like one (BCP 47)."""


def extract_metadata(html: str, url: str, link_headers: Sequence[str] = ()) -> PageMetadata:
    """Read a fetched page's metadata; never raises and never touches the network.

    `url` is the URL after redirects: relative links resolve against it (or against the page's
    `<base>`), and it decides which h-entry is the page's own. `link_headers` are the response's
    `Link` header lines; they can name the canonical URL, `rel=me` profiles and `rel=author`.
    """
    soup = _safely("HTML", url, None, lambda: _soup(html))
    if soup is None:
        return PageMetadata()
    base = _safely("<base>", url, url, lambda: _base_url(soup, url))
    metas: dict[str, list[str]] = _safely("<meta> tags", url, {}, lambda: _metas(soup))
    rels: _Links = _safely("rel links", url, [], lambda: _rel_links(soup, base))
    headers: _Links = _safely("Link headers", url, [], lambda: _header_links(link_headers, url))
    # mf2py runs last: it only reads the tree, but nothing else depends on what it leaves.
    mf2: Mapping[str, object] = _safely("microformats", url, {}, lambda: _microformats(soup, url))

    canonical = _safely("canonical URL", url, None, lambda: _canonical(rels, headers))
    page_keys = _page_keys(url, canonical)
    entry = _safely("h-entry", url, None, lambda: _page_entry(mf2, base, page_keys))
    rel_me = [href for rel, href in [*rels, *headers] if "me" in rel]
    rel_author = [href for rel, href in [*rels, *headers] if "author" in rel]
    found = _safely(
        "microformats author",
        url,
        None,
        lambda: _authorship(mf2, entry, base, page_keys, rel_author, rel_me),
    )
    site_names = ("og:site_name", "application-name")
    return PageMetadata(
        canonical_url=canonical,
        title=_safely("title", url, None, lambda: _title(entry, metas, soup)),
        site_name=_safely(
            "site name", url, None, lambda: _first_text(metas, site_names, NAME_LIMIT)
        ),
        author=_safely(
            "author",
            url,
            found.author if found else None,
            lambda: _complete(found.author if found else None, metas, base, rel_author),
        ),
        contacts=_safely(
            "contacts",
            url,
            Contacts(),
            lambda: _contacts(found.emails if found else (), rels, headers),
        ),
        description=_safely(
            "description",
            url,
            None,
            lambda: _first_text(metas, ("og:description", "description"), DESCRIPTION_LIMIT),
        ),
        lang=_safely("language", url, None, lambda: _lang(soup)),
    )


def find_author(mf2: object, page_url: str, canonical_url: str | None = None) -> Author | None:
    """The author of a page from its mf2 JSON alone, by the IndieWeb authorship algorithm.

    See `extract_metadata` for the whole page; this is the same reading of plain mf2 data
    (`rels` included), exposed so the algorithm can be tested and reused on stored parses.
    """
    parsed = mf2 if isinstance(mf2, Mapping) else {}
    rels = parsed.get("rels")
    rels = rels if isinstance(rels, Mapping) else {}
    page_keys = _page_keys(page_url, canonical_url)

    def urls(rel: str) -> list[str]:
        found = (_http_url(_text(value), page_url) for value in _list(rels.get(rel)))
        return [url for url in found if url]

    entry = _page_entry(parsed, page_url, page_keys)
    found = _authorship(parsed, entry, page_url, page_keys, urls("author"), urls("me"))
    return found.author if found else None


# --------------------------------------------------------------------------- reading the tree


def _safely(what: str, url: str, default: _T, read: Callable[[], _T]) -> _T:
    """Run one reader; a failure costs its field, never the others."""
    try:
        return read()
    except Exception as error:  # hostile input can break a parser in any way; the field is lost
        # Bounded: the message of an error about remote text can quote megabytes of it.
        log.debug(
            "Metadata of %s: could not read the %s: %s: %.200s",
            url,
            what,
            type(error).__name__,
            error,
        )
        return default


def _soup(html: str) -> BeautifulSoup:
    # html5lib builds the tree a browser would from broken markup, and is mf2py's own default,
    # so both readers agree on what the page contains.
    return BeautifulSoup(html, "html5lib")


def _microformats(soup: BeautifulSoup, url: str) -> Mapping[str, object]:
    """mf2py's parse of our tree, typed as plain data to be checked value by value.

    mf2py fetches `url` itself whenever `doc` is None; passing the tree it would build anyway
    means it never does, and saves a second html5lib parse. It only reads the tree: `e-*`
    values are copied before it strips their templates. Metaformats stay off (mf2py's default):
    they would add a made-up h-entry from the Open Graph tags, which we read in their own place.
    """
    parsed: object = mf2py.parse(doc=soup, url=url)
    return parsed if isinstance(parsed, Mapping) else {}


def _attr(tag: Tag, name: str) -> str | None:
    value = tag.get(name)
    if value is None:
        return None
    return value if isinstance(value, str) else " ".join(value)


def _base_url(soup: BeautifulSoup, url: str) -> str:
    """The document's base URL: the first `<base href>` resolved against `url`, if http(s).

    A `javascript:` or `data:` base is ignored rather than followed: relative links then stay
    on the page's own site.
    """
    tag = soup.find("base", href=True)
    href = _attr(tag, "href") if isinstance(tag, Tag) else None
    return (_http_url(href, url) if href is not None else None) or url


def _metas(soup: BeautifulSoup) -> dict[str, list[str]]:
    """`<meta>` contents by lower-cased `property` or `name`, in document order.

    Both attributes are read for every key: many sites write `name="og:title"`.
    """
    found: dict[str, list[str]] = {}
    for tag in soup.find_all("meta"):
        content = _attr(tag, "content")
        if not content:
            continue
        for attribute in ("property", "name"):
            key = (_attr(tag, attribute) or "").strip().lower()
            if key:
                values = found.setdefault(key, [])
                if len(values) < _MAX_VALUES:
                    values.append(content)
    return found


def _rel_links(soup: BeautifulSoup, base: str) -> _Links:
    """`rel` and resolved http(s) `href` of every link element, in document order."""
    links = []
    for tag in soup.find_all(["a", "area", "link"], rel=True, href=True):
        rel = frozenset((_attr(tag, "rel") or "").lower().split())
        href = _http_url(_attr(tag, "href"), base, allow_mailto=True)
        if rel and href:
            # `canonical` only counts on <link>: on an <a> it is not a claim about this page.
            links.append((rel if tag.name == "link" else rel - {"canonical"}, href))
    return links


def _header_links(lines: Iterable[str], url: str) -> _Links:
    """The links of `Link` header lines (the parser discovery uses too), targets resolved
    against the response URL and kept when they are http(s) or `mailto:`."""
    links = []
    for link in parse_link_headers(lines, url):
        href = _http_url(link.url, url, allow_mailto=True)
        if href and link.rels:
            links.append((link.rels, href))
    return links


def _lang(soup: BeautifulSoup) -> str | None:
    root = soup.find("html")
    lang = _attr(root, "lang") if isinstance(root, Tag) else None
    if lang is None:
        return None
    lang = lang.strip().replace("_", "-")  # "en_US" is a common misspelling of "en-US"
    return lang if len(lang) <= 35 and _LANGUAGE_TAG.fullmatch(lang) else None


def _document_title(soup: BeautifulSoup) -> str | None:
    # An SVG drawing has <title>s of its own; the document's is the first HTML one.
    for tag in soup.find_all("title"):
        if isinstance(tag, Tag) and tag.namespace in (None, _XHTML):
            return tag.get_text()
    return None


# --------------------------------------------------------------------------- the fields


def _canonical(rels: _Links, headers: _Links) -> str | None:
    """The page's `<link rel=canonical>`, else a `Link: rel=canonical` header."""
    for rel, href in [*rels, *headers]:
        if "canonical" in rel and not href.startswith("mailto:"):
            return href
    return None


def _title(
    entry: Mapping[str, object] | None, metas: Mapping[str, list[str]], soup: BeautifulSoup
) -> str | None:
    """The h-entry's name, then `og:title`, then `twitter:title`, then `<title>`."""
    if entry is not None:
        name = _entry_name(entry)
        if name:
            return name
    return _first_text(metas, ("og:title", "twitter:title"), TITLE_LIMIT) or _clean(
        _document_title(soup), TITLE_LIMIT
    )


def _entry_name(entry: Mapping[str, object]) -> str | None:
    """The h-entry's `name`, unless it is really the post's text.

    mf2 implies a name from the whole text of an entry with no `p-`/`e-` property, and a note
    has a name equal to its content, or its content's opening words; none is a title. A name
    longer than a title can be is taken for the first kind and left for the page's other
    titles to replace. A short name the content starts with is kept: themes often put the
    heading inside `e-content`.
    """
    name = next(filter(None, map(_text, _values(entry, "name"))), None)
    if name is None:
        return None
    folded = _fold(name[:_TEXT_WORK_LIMIT])
    if not folded or len(folded) > TITLE_LIMIT:
        return None
    content = next(filter(None, map(_text, _values(entry, "content"))), None)
    if content is not None:
        text = _fold(content[:_TEXT_WORK_LIMIT])
        if text == folded or (len(folded) > _HEADLINE and text.startswith(folded)):
            return None
    return _clean(name, TITLE_LIMIT)


def _first_text(metas: Mapping[str, list[str]], keys: Iterable[str], limit: int) -> str | None:
    for key in keys:
        for value in metas.get(key, ()):
            text = _clean(value, limit)
            if text:
                return text
    return None


def _contacts(
    card_emails: Sequence[str],
    rels: _Links,
    headers: _Links,
) -> Contacts:
    emails = list(card_emails)
    profiles = []
    for rel, href in [*rels, *headers]:
        if not rel & {"me", "author"}:
            continue
        if href.startswith("mailto:"):
            emails.extend(_emails(href))
        elif "me" in rel:
            profiles.append(href)
    return Contacts(
        emails=_dedupe(emails, str.lower), profiles=_dedupe(profiles, lambda u: _page_key(u) or u)
    )


# --------------------------------------------------------------------------- authorship


@dataclass(frozen=True, slots=True)
class _Found:
    author: Author
    emails: tuple[str, ...] = ()
    """Every address on the author's h-card, for `Contacts.emails`."""


def _page_entry(
    mf2: Mapping[str, object], base: str, page_keys: tuple[str, ...]
) -> Mapping[str, object] | None:
    """The page's own h-entry: one whose `url` or `uid` is the page, else the first top-level one.

    Entries of a top-level h-feed are considered only when they name the page: on a feed page
    the first entry is one post among many, not the page.
    """
    candidates: list[tuple[Mapping[str, object], Mapping[str, object] | None]] = []
    for item in _items(mf2.get("items")):
        if "h-entry" in _types(item):
            candidates.append((item, None))
        elif "h-feed" in _types(item):
            candidates.extend(
                (child, item)
                for child in _items(item.get("children"))
                if "h-entry" in _types(child)
            )
    for entry, feed in candidates:
        names = [*_values(entry, "url"), *_values(entry, "uid")]
        if _keys(names, base).intersection(page_keys):
            return _with_feed_author(entry, feed)
    return next((entry for entry, feed in candidates if feed is None), None)


def _with_feed_author(
    entry: Mapping[str, object], feed: Mapping[str, object] | None
) -> Mapping[str, object]:
    """The entry, inheriting its h-feed's `author` when it has none (authorship step 3)."""
    if feed is None or _values(entry, "author") or not _values(feed, "author"):
        return entry
    properties = {**_properties(entry), "author": _values(feed, "author")}
    return {**entry, "properties": properties}


def _authorship(
    mf2: Mapping[str, object],
    entry: Mapping[str, object] | None,
    base: str,
    page_keys: tuple[str, ...],
    rel_author: Sequence[str],
    rel_me: Sequence[str],
) -> _Found | None:
    """The authorship algorithm (indieweb.org/authorship-spec), without fetching.

    The author property of the entry is read first: an h-card is the answer; an http(s) URL
    names the author's page; other text is the author's name. With no author property the
    page's `rel=author` link names the author's page. The spec would fetch that page; instead
    the h-cards on this page are searched for it (url and uid, then the representative h-card
    when it is this page, then url alone), which is where sites put a footer or sidebar card.
    A page with no author at all falls back to its representative h-card: whoever the page
    says it belongs to.
    """
    cards = _cards(mf2)
    author_page = None
    for value in _values(entry, "author") if entry is not None else ():
        if _is_card(value):
            found = _from_card(value, base, cards)
            if found is not None:
                return found
            continue
        text = _text(value)
        if text is None:
            continue
        if _is_absolute_http(text):
            author_page = _http_url(text, base)
            if author_page:
                break
            continue
        name = _clean(text, NAME_LIMIT)
        if name:
            return _Found(Author(name=name))
    if author_page is None:
        author_page = next((url for url in rel_author if not url.startswith("mailto:")), None)
    if author_page is not None:
        key = _page_key(author_page)
        card = (
            _first_card(cards, base, url=key, uid=key)
            or (_representative(cards, base, page_keys, rel_me) if key in page_keys else None)
            or _first_card(cards, base, url=key)
        )
        found = _from_card(card, base, cards) if card is not None else None
        return found or _Found(Author(url=author_page))
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
    me_keys = _keys(rel_me, base)
    for card in cards:
        if me_keys & _keys(_values(card, "url"), base):
            return card
    if len(cards) == 1 and _keys(_values(cards[0], "url"), base).intersection(page_keys):
        return cards[0]
    return None


def _first_card(
    cards: Iterable[Mapping[str, object]], base: str, url: str | None, uid: str | None = None
) -> Mapping[str, object] | None:
    if url is None:
        return None
    for card in cards:
        if url in _keys(_values(card, "url"), base) and (
            uid is None or uid in _keys(_values(card, "uid"), base)
        ):
            return card
    return None


def _from_card(
    card: Mapping[str, object], base: str, cards: Sequence[Mapping[str, object]]
) -> _Found | None:
    """The author an h-card describes, gaps filled from the page's fuller card for the same URL.

    A post often marks its author with a bare name and link, while the footer card for that
    link carries the photo and address; both describe one person.
    """
    found = _read_card(card, base)
    if found.author.url and not all((found.author.name, found.author.photo, found.author.email)):
        fuller = _first_card((c for c in cards if c is not card), base, _page_key(found.author.url))
        if fuller is not None:
            other = _read_card(fuller, base)
            found = _Found(
                Author(
                    name=found.author.name or other.author.name,
                    url=found.author.url,
                    photo=found.author.photo or other.author.photo,
                    email=found.author.email or other.author.email,
                ),
                _dedupe([*found.emails, *other.emails], str.lower),
            )
    return found if found.author else None


def _read_card(card: Mapping[str, object], base: str) -> _Found:
    name = next(filter(None, (_clean(_text(v), NAME_LIMIT) for v in _values(card, "name"))), None)
    url = next(filter(None, (_http_url(_text(v), base) for v in _values(card, "url"))), None)
    photo = next(filter(None, (_http_url(_text(v), base) for v in _values(card, "photo"))), None)
    emails = _dedupe([e for v in _values(card, "email") for e in _emails(_text(v))], str.lower)
    return _Found(Author(name, url, photo, emails[0] if emails else None), emails)


def _complete(
    author: Author | None, metas: Mapping[str, list[str]], base: str, rel_author: Sequence[str]
) -> Author | None:
    """Fill what microformats left unknown from `<meta name=author>` and `article:author`.

    `article:author` is meant to be a profile URL but is often a name, so it is read as
    whichever it is. A `mailto:` link marked `rel=author` is the author's address by definition.
    """
    author = author or Author()
    name = _first_text(metas, ("author",), NAME_LIMIT)
    url = None
    for value in metas.get("article:author", ()):
        if _is_absolute_http(value.strip()):
            url = url or _http_url(value, base)
        else:
            name = name or _clean(value, NAME_LIMIT)
    email = next(
        (e for href in rel_author if href.startswith("mailto:") for e in _emails(href)), None
    )
    author = Author(
        name=author.name or name,
        url=author.url or url,
        photo=author.photo,
        email=author.email or email,
    )
    return author or None


# --------------------------------------------------------------------------- mf2 JSON, checked


def _list(value: object) -> list[object]:
    """A property's values: mf2 JSON says a list; a bare value is read as a list of one."""
    if isinstance(value, list):
        return value[:_MAX_VALUES]
    return [] if value is None else [value]


def _items(value: object) -> list[Mapping[str, object]]:
    return [item for item in _list(value) if isinstance(item, Mapping)]


def _types(item: Mapping[str, object]) -> list[str]:
    return [kind for kind in _list(item.get("type")) if isinstance(kind, str)]


def _properties(item: Mapping[str, object]) -> Mapping[str, object]:
    properties = item.get("properties")
    return properties if isinstance(properties, Mapping) else {}


def _values(item: Mapping[str, object], name: str) -> list[object]:
    return _list(_properties(item).get(name))


def _is_card(value: object) -> TypeGuard[Mapping[str, object]]:
    return (
        isinstance(value, Mapping)
        and "h-card" in _types(value)
        and isinstance(value.get("properties"), Mapping)
    )


def _text(value: object) -> str | None:
    """A value's text: a string, or the `value` of an embedded item, image or markup."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        inner = value.get("value")
        return inner if isinstance(inner, str) else None
    return None


def _cards(mf2: Mapping[str, object]) -> list[Mapping[str, object]]:
    """Every h-card in the parse, nested ones included, in document order (bounded)."""
    cards = []
    stack = list(reversed(_items(mf2.get("items"))))
    seen = 0
    while stack and seen < _MAX_ITEMS:
        item = stack.pop()
        seen += 1
        if _is_card(item):
            cards.append(item)
        nested = [v for values in _properties(item).values() for v in _items(values) if "type" in v]
        nested.extend(_items(item.get("children")))
        stack.extend(reversed(nested))
    return cards


def _keys(values: Iterable[object], base: str) -> set[str]:
    keys = (_page_key(_http_url(_text(value), base)) for value in values)
    return {key for key in keys if key}


# --------------------------------------------------------------------------- values, cleaned


def _http_url(value: str | None, base: str, *, allow_mailto: bool = False) -> str | None:
    """`value` resolved against `base`, if the result is an absolute http(s) URL.

    With `allow_mailto`, a `mailto:` URL passes too (lower-cased scheme), for contact routes.
    Anything else (`javascript:`, `data:`, a relative URL left by a broken base) is dropped.
    """
    if value is None or len(value) > URL_LIMIT:
        return None
    value = _URL_NOISE.sub("", value.strip(" \t\n\r\f"))
    if not value:
        return None
    try:
        url = urljoin(base, value)
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == "mailto" and allow_mailto:
            return "mailto:" + url.split(":", 1)[1]
        if scheme not in _HTTP_SCHEMES or not parts.hostname:
            return None
        _ = parts.port  # a port that is not a number is no URL we can use
    except ValueError:
        return None
    url = _URL_ESCAPE.sub(lambda match: quote(match.group()), url)
    if _URL_CONTROL.search(url) or len(url) > URL_LIMIT:
        return None
    return url


def _is_absolute_http(value: str) -> bool:
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in _HTTP_SCHEMES and bool(parts.netloc)


def _emails(value: str | None) -> list[str]:
    """The addresses in a `mailto:` URL or a bare address: query and `mailto:` stripped."""
    if value is None or len(value) > URL_LIMIT:
        return []
    value = value.strip()
    if value[:7].lower() == "mailto:":
        value = value[7:].split("?", 1)[0].split("#", 1)[0]
    addresses = (unquote(part).strip() for part in value.split(","))
    return [a for a in addresses if len(a) <= EMAIL_LIMIT and _EMAIL.fullmatch(a)]


def _page_keys(*urls: str | None) -> tuple[str, ...]:
    """The distinct page keys of `urls`, in order, so the first URL's matches win."""
    return _dedupe(filter(None, map(_page_key, urls)), str)


def _page_key(url: str | None) -> str | None:
    """What two URLs of the same page share (`url_identity`), None for no http(s) URL.

    Used only to decide whether an h-entry or an h-card is about a given page.
    """
    if not url or url.startswith("mailto:"):
        return None
    try:
        return url_identity(url)
    except ValueError:
        return None


def _clean(value: str | None, limit: int) -> str | None:
    """Plain text: markup removed, controls dropped, white space folded, at most `limit` long.

    Remote text reaches us as attribute values and `<title>` contents, where a tag is just
    characters; a site that put one there meant markup, not the characters. A title that
    merely mentions a tag (`"Why <div> is bad"`) loses it: the price of never showing markup.
    """
    if value is None:
        return None
    text = _fold(_INVISIBLE.sub("", _TAG.sub(" ", _drop_raw(value[:_TEXT_WORK_LIMIT]))))
    if len(text) <= limit:
        return text or None
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 2 // 3:  # cut at a word unless that throws away a third
        cut = cut[:space]
    return cut.rstrip() + _ELLIPSIS


def _drop_raw(text: str) -> str:
    """`text` without comments and `<script>`/`<style>` elements, in one pass.

    A regular expression with `.*?` would rescan to the end for every unclosed opening.
    """
    kept = []
    position = 0
    while opening := _RAW_OPEN.search(text, position):
        kept.append(text[position : opening.start()])
        element = opening.group(1)
        closing = _RAW_CLOSE[element.lower() if element else None].search(text, opening.end())
        if closing is None:  # never closed: the rest is script, as a browser would read it
            return " ".join(kept)
        position = closing.end()
        kept.append(" ")
    kept.append(text[position:])
    return "".join(kept)


def _fold(text: str) -> str:
    return " ".join(text.split())


def _dedupe(values: Iterable[str], key: Callable[[str], str]) -> tuple[str, ...]:
    seen: set[str] = set()
    kept = []
    for value in values:
        marker = key(value)
        if marker not in seen:
            seen.add(marker)
            kept.append(value)
    return tuple(kept)
