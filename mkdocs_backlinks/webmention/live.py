"""The built and the live page: what a receiver sees of a page, and whether it is deployed.

A send run reads every built page for its content digest, and fetches each live page to see
that it really shows what the build shows (a receiver checks the same thing, and a webmention
sent before the deploy finished would be verified against the old page).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urljoin

from mkdocs_backlinks.links.urls import normalise_url
from mkdocs_backlinks.webmention.outcomes import Delivery, reason_text, valid_web_url
from mkdocs_backlinks.webmention.plan import Step, is_old_address

__all__ = [
    "BuiltSite",
    "LivePage",
    "content_digest",
    "live_check",
    "live_links",
    "read_built_site",
]


# Elements whose text and links are not the page's content: theme chrome, code, and our own
# sections: incoming links change when other pages link here, and credits when a cited work's
# title or status is refreshed from the network or a string option changes.
_OUR_SECTIONS = frozenset({"backlinks-incoming", "backlinks-credits"})
_CHROME = frozenset({"nav", "header", "footer", "script", "style", "template", "noscript"})
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
     "track", "wbr"}
)  # fmt: skip
# Where the main content is, best first: themes put it in one of these; the body is the rest.
_REGIONS = ("article", "main", "role=main", "body")


class _Done(Exception):
    """The region a reader was started on has closed: nothing after it counts."""


class _PageReader(HTMLParser):
    """One pass over a page: its title, `<base href>`, every `<a href>`, and the text and
    links of each candidate main-content region, without building a tree.

    A tree (BeautifulSoup) costs several times more on the large pages a theme's navigation
    makes, and a send run reads every built page. Elements left open are closed when an
    ancestor closes, as MkDocs' output and a browser's parse agree on. With `one_element`, the
    text fed starts with the element wanted and reading stops where it ends.
    """

    def __init__(self, one_element: bool = False) -> None:
        super().__init__(convert_charrefs=True)
        self._one_element = one_element
        self.title: list[str] = []
        self.base: str | None = None
        self.hrefs: list[str] = []
        self.text: dict[str, list[str]] = {}
        self.links: dict[str, set[str]] = {}
        self._stack: list[tuple[str, str | None, bool]] = []  # (tag, region, chrome)
        self._open: dict[str, int] = {}  # region -> depth where it opened
        self._in_title = self._title_seen = False
        self._chrome = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href") is not None:
            href = (values["href"] or "").strip()
            self.hrefs.append(href)
            if not self._chrome:
                for name in self._open:
                    self.links[name].add(href)
        elif tag == "base" and self.base is None and values.get("href") is not None:
            self.base = (values["href"] or "").strip()
        elif tag == "title" and not self._title_seen:  # not an inline SVG's <title>
            self._in_title = True
        if tag in _VOID:
            return
        region: str | None = None
        if tag in ("article", "main", "body"):
            region = tag
        elif values.get("role") == "main":
            region = "role=main"
        if region is not None and (region in self._open or region in self.text):
            region = None  # only the first of each kind counts
        chrome = tag in _CHROME or (
            tag == "section" and not _OUR_SECTIONS.isdisjoint((values.get("class") or "").split())
        )
        self._stack.append((tag, region, chrome))
        if region is not None:
            self._open[region] = len(self._stack)
            self.text[region] = []
            self.links[region] = set()
        if chrome:
            self._chrome += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self._in_title:
            self._in_title, self._title_seen = False, True
        if not any(item[0] == tag for item in self._stack):
            return
        while self._stack:
            name, region, chrome = self._stack.pop()
            if region is not None:
                del self._open[region]
            if chrome:
                self._chrome -= 1
            if name == tag:
                break
        if self._one_element and not self._stack:
            raise _Done

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title.append(data)
        elif not self._chrome:
            for region in self._open:
                self.text[region].append(data)


def _read_page(html: str, one_element: bool = False) -> _PageReader:
    reader = _PageReader(one_element)
    try:
        reader.feed(html)
        reader.close()
    except _Done:
        pass
    return reader


# Where a theme's main content starts. Found by a quick search so that the navigation before
# it, often most of a built page, is never parsed. The earliest of these is the theme's: a
# page's own content may hold an `<article>` (raw HTML in Markdown) inside a theme's
# `role="main"`, and taking that for the content would miss every citation outside it.
_REGION_STARTS = (
    re.compile(r"<article\b", re.IGNORECASE),
    re.compile(r"<main\b", re.IGNORECASE),
    re.compile(r"<[a-z][a-z0-9]*\s[^>]*\brole\s*=\s*[\"']?main\b", re.IGNORECASE),
)
_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_BASE = re.compile(r"<base\s[^>]*\bhref\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))", re.IGNORECASE)


def _region_start(html: str) -> int | None:
    """Where the main content's element starts (the earliest candidate), or None."""
    starts = [m.start() for m in (r.search(html) for r in _REGION_STARTS) if m]
    return min(starts) if starts else None


def _region(page: _PageReader, one_element: bool) -> str | None:
    """The region whose text and links count: read from a candidate's start, the outermost
    one (the first opened: the theme's element, not one nested in the page's content); read
    whole, the best kind found."""
    if one_element:
        return next(iter(page.text), None)
    return next((name for name in _REGIONS if name in page.text), None)


def content_digest(html: str) -> str:
    """A digest of what a receiver of this page's webmentions sees: title, main text, links.

    Not the whole file: a theme's navigation, header and footer change whenever a page is
    added anywhere on the site (and some themes print the build date), and the *Pages that link
    here* section changes when another page links here. Hashing those would resend every
    webmention of the site after any edit, and receivers would see a flood of updates for
    pages whose mention of them did not change. What a receiver shows of a mention is the
    page's title and the text around the link, and what it checks is the link itself, so the
    digest covers the title, the text of the main content (the theme's `article`, `main` or
    `role=main` element, whichever starts first, else the body, without `nav`, `header`,
    `footer`, scripts and our credits and incoming-links sections) and the sorted set of its
    link targets.
    """
    start = _region_start(html)
    if start is None:
        page = _read_page(html)
        title = "".join(page.title)
    else:
        page = _read_page(html[start:], one_element=True)
        found = _TITLE.search(html, 0, start)
        title = unescape(found.group(1)) if found else ""
    title = " ".join(title.split())
    region = _region(page, start is not None)
    text = " ".join(" ".join(page.text[region]).split()) if region else ""
    links = page.links[region] if region else set()
    digest = hashlib.sha256()
    for part in (title, text, *sorted(links)):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\x1e")
    return digest.hexdigest()


def live_links(html: str, page_url: str) -> dict[str, str]:
    """The `<a href>` links of a live page's main content, keyed by normalised absolute URL:
    the href resolved against the page's URL (or its `<base href>`), without its fragment, as
    written otherwise.

    The href as written is what a webmention names as its target: a receiver that compares
    strings finds exactly that in the source, and the normalised key only matches it to the
    ledger's work (which has tracking parameters and the fragment removed). Only the main
    content is read when the page has one (as for the digest): the citations the ledger knows
    come from there, and a theme's navigation can be most of a page.
    """
    start = _region_start(html)
    if start is None:
        page = _read_page(html)
        base_href = page.base
    else:
        page = _read_page(html[start:], one_element=True)
        found_base = _BASE.search(html, 0, start)
        base_href = (
            unescape(next(g for g in found_base.groups() if g is not None)) if found_base else None
        )
    base = page_url
    if base_href is not None:
        with contextlib.suppress(ValueError):
            base = urljoin(page_url, base_href.strip())
    found: dict[str, str] = {}
    for href in page.hrefs:
        try:
            url = urldefrag(urljoin(base, href)).url
        except ValueError:
            continue
        if valid_web_url(url) is None:
            found.setdefault(normalise_url(url), url)
    return found


@dataclass(frozen=True, slots=True)
class LivePage:
    """A live page as fetched: its links, or why it could not be read."""

    status: str
    links: Mapping[str, str]
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status in ("ok", "redirected")


def live_check(step: Step, live: LivePage | None) -> Delivery | str:
    """The exact target URL to send when the live page agrees with the build, else the
    not-live outcome.

    A link to send must be on the live page (and is sent as written there); a removed link
    must be gone from it; a deleted page must answer 404 or 410. A moved page's old address
    must answer 404 or 410, or redirect: a receiver verifies a source following its redirects
    (Webmention, 3.2.2), so it finds the page where it went and can keep its mention under the
    new URL (w3c/webmention#102), or finds the link gone and drops it; either way it learns
    what the old URL is now. Only an old address that still serves a page of its own waits.
    """
    if live is None:
        return Delivery("not-live", step.target, reason="the live page was not fetched")
    if is_old_address(step.page) and step.action == "unlink":
        if live.status in ("broken", "gone", "redirected"):
            return step.target
        if live.ok:
            reason = "the old address still serves a page: remove it or redirect it, then deploy"
            return Delivery("not-live", step.target, reason=reason)
        detail = f"old address {live.status}: {live.error}"
        return Delivery("not-live", step.target, reason=reason_text(detail))
    if step.reason == "page deleted":
        if live.status in ("broken", "gone"):
            return step.target
        if live.ok:
            reason = "the page is still online: deploy first"
            return Delivery("not-live", step.target, reason=reason)
        return Delivery("not-live", step.target, reason=f"live page {live.status}: {live.error}")
    if not live.ok:
        return Delivery("not-live", step.target, reason=f"live page {live.status}: {live.error}")
    if step.action == "unlink":
        if step.key in live.links:
            return Delivery(
                "not-live", step.target, reason="the live page still links to it: deploy first"
            )
        return step.target
    href = live.links.get(step.key)
    if href is None:
        return Delivery(
            "not-live", step.target, reason="the live page does not link to it: deploy first"
        )
    return href


@dataclass(frozen=True, slots=True)
class BuiltSite:
    """Where each page of the plan lives: its live URL and its built content's digest."""

    sources: Mapping[str, str]
    digests: Mapping[str, str | None]


def read_built_site(
    pages: Iterable[str], site_url: str, docs_dir: str, site_dir: str, use_directory_urls: bool
) -> BuiltSite:
    """Each page's live URL and the digest of its built HTML (None when it is not built).

    URLs and output paths come from MkDocs' own `File`, so they follow `use_directory_urls`
    exactly as the build did, also for a page whose source is gone. A moved page's old
    address is its own URL, never built.
    """
    from mkdocs.structure.files import File

    base = site_url.rstrip("/") + "/"
    sources: dict[str, str] = {}
    digests: dict[str, str | None] = {}
    for page in pages:
        if is_old_address(page):
            sources[page], digests[page] = page, None
            continue
        file = File(page, docs_dir, site_dir, use_directory_urls)
        # MkDocs gives the home page the URL "./"; joining resolves it as a browser would.
        sources[page] = urljoin(base, file.url)
        try:
            html = Path(file.abs_dest_path).read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            digests[page] = None
        else:
            digests[page] = content_digest(html)
    return BuiltSite(sources, digests)
