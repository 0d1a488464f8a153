"""What a cited page says about itself: its title, its site, who wrote it and how to reach them.

The "Works cited" section shows a title and an author for each outside work, and the "I mentioned
you" notes need somebody to address and a route to reach them. This module reads those facts out
of HTML that the HTTP layer already fetched; it never opens a connection itself. mf2py is
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
from typing import TypeVar

import mf2py
from bs4 import BeautifulSoup, Tag
from mkdocs.plugins import get_plugin_logger

from mkdocs_backlinks.http.link_header import parse_link_headers
from mkdocs_backlinks.works.authorship import Author, authorship, complete, first_text, page_entry
from mkdocs_backlinks.works.clean import (
    DESCRIPTION_LIMIT,
    NAME_LIMIT,
    TEXT_WORK_LIMIT,
    TITLE_LIMIT,
    clean_text,
    dedupe,
    emails_in,
    fold,
    http_url,
    page_key,
    page_keys_of,
)
from mkdocs_backlinks.works.mf2json import MAX_VALUES, mf2_list, mf2_text, mf2_values

__all__ = ["Contacts", "PageMetadata", "extract_metadata", "find_author"]

log = get_plugin_logger(__name__)

# A name longer than this that opens the content is the note's first words, not a headline.
_HEADLINE = 100

_XHTML = "http://www.w3.org/1999/xhtml"
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")

_T = TypeVar("_T")
_Links = list[tuple[frozenset[str], str]]
"""Link relations and their resolved targets, in document order."""


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
    page_keys = page_keys_of(url, canonical)
    entry = _safely("h-entry", url, None, lambda: page_entry(mf2, base, page_keys))
    rel_me = [href for rel, href in [*rels, *headers] if "me" in rel]
    rel_author = [href for rel, href in [*rels, *headers] if "author" in rel]
    found = _safely(
        "microformats author",
        url,
        None,
        lambda: authorship(mf2, entry, base, page_keys, rel_author, rel_me),
    )
    site_names = ("og:site_name", "application-name")
    return PageMetadata(
        canonical_url=canonical,
        title=_safely("title", url, None, lambda: _title(entry, metas, soup)),
        site_name=_safely(
            "site name", url, None, lambda: first_text(metas, site_names, NAME_LIMIT)
        ),
        author=_safely(
            "author",
            url,
            found.author if found else None,
            lambda: complete(found.author if found else None, metas, base, rel_author),
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
            lambda: first_text(metas, ("og:description", "description"), DESCRIPTION_LIMIT),
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
    page_keys = page_keys_of(page_url, canonical_url)

    def urls(rel: str) -> list[str]:
        found = (http_url(mf2_text(value), page_url) for value in mf2_list(rels.get(rel)))
        return [url for url in found if url]

    entry = page_entry(parsed, page_url, page_keys)
    found = authorship(parsed, entry, page_url, page_keys, urls("author"), urls("me"))
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
    return BeautifulSoup(without_xml_declaration(html), "html5lib")


_XML_DECLARATION = re.compile(r"\A\ufeff?\s*<\?xml[^>]*\?>")


def without_xml_declaration(html: str) -> str:
    """The page without a leading `<?xml ...?>`, which XHTML pages start with.

    An HTML parser reads the declaration as a bogus comment, so it changes nothing in the
    tree; but BeautifulSoup sees it and prints a fifteen-line warning that reads like a
    traceback, once per such page. Removing it is local and thread-safe, where filtering the
    warning would change the process's warning filters for every thread."""
    return _XML_DECLARATION.sub("", html, count=1)


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
    return (http_url(href, url) if href is not None else None) or url


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
                if len(values) < MAX_VALUES:
                    values.append(content)
    return found


def _rel_links(soup: BeautifulSoup, base: str) -> _Links:
    """`rel` and resolved http(s) `href` of every link element, in document order."""
    links = []
    for tag in soup.find_all(["a", "area", "link"], rel=True, href=True):
        rel = frozenset((_attr(tag, "rel") or "").lower().split())
        href = http_url(_attr(tag, "href"), base, allow_mailto=True)
        if rel and href:
            # `canonical` only counts on <link>: on an <a> it is not a claim about this page.
            links.append((rel if tag.name == "link" else rel - {"canonical"}, href))
    return links


def _header_links(lines: Iterable[str], url: str) -> _Links:
    """The links of `Link` header lines (the parser discovery uses too), targets resolved
    against the response URL and kept when they are http(s) or `mailto:`."""
    links = []
    for link in parse_link_headers(lines, url):
        href = http_url(link.url, url, allow_mailto=True)
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
    return first_text(metas, ("og:title", "twitter:title"), TITLE_LIMIT) or clean_text(
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
    name = next(filter(None, map(mf2_text, mf2_values(entry, "name"))), None)
    if name is None:
        return None
    folded = fold(name[:TEXT_WORK_LIMIT])
    if not folded or len(folded) > TITLE_LIMIT:
        return None
    content = next(filter(None, map(mf2_text, mf2_values(entry, "content"))), None)
    if content is not None:
        text = fold(content[:TEXT_WORK_LIMIT])
        if text == folded or (len(folded) > _HEADLINE and text.startswith(folded)):
            return None
    return clean_text(name, TITLE_LIMIT)


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
            emails.extend(emails_in(href))
        elif "me" in rel:
            profiles.append(href)
    return Contacts(
        emails=dedupe(emails, str.lower), profiles=dedupe(profiles, lambda u: page_key(u) or u)
    )
