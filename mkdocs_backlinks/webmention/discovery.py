"""Find a target's Webmention endpoint, as the W3C Webmention Recommendation says.

Section 3.1.2, "Sender discovers receiver Webmention endpoint", is the whole rule book:

    The sender MUST fetch the target URL (and follow redirects [FETCH]) and check for an HTTP
    Link header [RFC5988] with a rel value of webmention. If the content type of the document
    is HTML, then the sender MUST look for an HTML <link> and <a> element with a rel value of
    webmention. If more than one of these is present, the first HTTP Link header takes
    precedence, followed by the first <link> or <a> element in document order.

    The endpoint MAY be a relative URL, in which case the sender MUST resolve it relative to
    the target URL according to [URL].

    The endpoint MAY contain query string parameters, which MUST be preserved as query string
    parameters [...]

How this module reads it, and why:

- **Link headers** are parsed by `mkdocs_backlinks.http.link_header`, the algorithm of RFC 8288
  (which obsoletes RFC 5988), Appendix B: every header line, every comma-separated
  link-value, `<...>` taken whole (so commas and semicolons inside the brackets belong to
  the URL), quoted or bare parameters, only the first `rel` of a link-value, relation types
  split on whitespace and compared case-insensitively. A relative reference resolves against
  the URL the response came from. A link-value that breaks the grammar ends its line.
- **HTML** is parsed by html5lib, the WHATWG parsing algorithm that browsers implement, so
  "document order" is the order of the tree a browser builds: comments, escaped text, the
  raw text of `<script>`/`<style>`, the RCDATA of `<title>`/`<textarea>` and the inert
  contents of `<template>` hold no elements. Only `<link>` and `<a>` in the HTML namespace
  count: the spec names exactly those two (no `<area>`, no SVG `<a>`).
- **"The first ... takes precedence"** is read strictly: the first advertisement decides. An
  element without `href` advertises nothing and is skipped (webmention.rocks test 20); but if
  the first advertised URL is unusable (not http or https, e.g. `javascript:`), the target has
  no usable endpoint and later candidates are not tried, because the receiver did not name
  them first.
- **"Relative to the target URL"** means the URL the document was fetched from after
  redirects (webmention.rocks test 23 requires it), that is the document's URL; in HTML a
  `<base href>` changes what every relative `href` in the document means, so it is honoured
  there (as in Zegnat's php-webmention-endpoint-discovery); it never applies to Link headers.
  `href=""` is the document itself, without its fragment, as the URL Standard resolves it.
- **What is not found**: a 4xx/5xx target or a failed fetch reports the fetch status, even if
  its response carried a Link header; a non-HTML document is only searched in its headers.

An endpoint may name a loopback or private address; discovery does not care, because
`HttpClient`'s address guard refuses such hosts when the webmention is sent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from bs4 import BeautifulSoup, Tag
from mkdocs.plugins import get_plugin_logger

from mkdocs_backlinks.http.client import HttpClient
from mkdocs_backlinks.http.link_header import ASCII_LOWER, first_with_rel, resolve
from mkdocs_backlinks.http.result import DEFAULT_ACCEPT, Status
from mkdocs_backlinks.links.urls import is_web_url

__all__ = [
    "Discovery",
    "DiscoveryStatus",
    "discover",
    "endpoint_from_headers",
    "endpoint_from_html",
]

log = get_plugin_logger(__name__)

DiscoveryStatus = Literal[
    "found",
    "none",
    "broken",
    "gone",
    "rate-limited",
    "server-error",
    "unreachable",
    "refused",
    "too-large",
    "too-many-redirects",
]

# Fetch outcomes after which the target has no endpoint to offer; the response's headers, if
# any, belong to an error and are not an advertisement.
_FAILED: dict[Status, DiscoveryStatus] = {
    "broken": "broken",
    "gone": "gone",
    "rate-limited": "rate-limited",
    "server-error": "server-error",
    "unreachable": "unreachable",
    "refused": "refused",
    "too-many-redirects": "too-many-redirects",
}

_HTML_NAMESPACE = "http://www.w3.org/1999/xhtml"
# XHTML is the XML syntax of the same HTML; both are "the content type of the document is HTML".
_HTML_TYPES = frozenset(DEFAULT_ACCEPT)
_WEBMENTION = "webmention"

# HTML splits rel on ASCII whitespace only: a no-break space is part of a token.
_ASCII_WHITESPACE = re.compile(r"[\t\n\f\r ]+")


@dataclass(frozen=True)
class Discovery:
    """What discovery found for one target.

    `status` is "found" (then `endpoint` is an absolute http(s) URL), "none" (the target was
    fetched and advertises no usable endpoint), or the fetch's own status when the target
    could not be read ("broken" for a 4xx, "gone", "unreachable", "refused", "too-large"...).
    `error` says why for anything but "found", for the author's log.
    """

    target: str
    """The URL as the caller passed it."""
    endpoint: str | None
    """The absolute endpoint URL, query string as advertised; None unless "found"."""
    final_url: str
    """The URL after redirects, against which relative endpoints were resolved."""
    status: DiscoveryStatus
    error: str = ""

    @property
    def found(self) -> bool:
        return self.endpoint is not None


def endpoint_from_headers(link_headers: Sequence[str], base_url: str) -> str | None:
    """The endpoint advertised by the first Link with rel webmention, or None.

    `link_headers` holds each Link header line as received (`Result.link_headers`): lines are
    searched in order, then link-values in order within a line. `base_url` is the URL the
    response came from (after redirects). None also when the first such link is not an
    http(s) URL: it takes precedence, and the next one is not what the receiver chose first.
    """
    return _usable(_header_candidate(link_headers, base_url))


def endpoint_from_html(html: str, base_url: str) -> str | None:
    """The endpoint advertised by the first HTML `<link>` or `<a>` with rel webmention, or None.

    `base_url` is the document's URL (after redirects); a `<base href>` in the document
    overrides it, as HTML defines. Elements without `href` are skipped; None also when the
    first advertised URL is not http(s) (see `endpoint_from_headers`).
    """
    return _usable(_html_candidate(html, base_url))


def discover(client: HttpClient, target: str) -> Discovery:
    """Fetch `target` (GET, following redirects) and find its Webmention endpoint.

    The Link headers are checked first; the body only when they name no endpoint and the
    document is HTML. Never raises for a remote problem: the outcome is in the status.
    """
    result = client.fetch(
        target,
        # Only an HTML body can be searched; any other type stops before its body is read,
        # with its headers (and so its Link header) still in the result.
        accept=DEFAULT_ACCEPT,
        # The spec recommends naming Webmention in the User-Agent of a discovery request, so a
        # site owner can find out why it was made.
        headers={"User-Agent": f"{client.options.user_agent} Webmention-discovery"},
    )
    base = result.final_url
    failed = _FAILED.get(result.status)
    if failed is not None:
        return _outcome(target, None, base, failed, result.error)

    header = _header_candidate(result.link_headers, base)
    if header is not None:
        return _decide(target, header, base, "Link header")
    if result.status == "too-large":
        return _outcome(
            target,
            None,
            base,
            "too-large",
            f"no Link header, and the body was not read: {result.error}",
        )
    media_type = result.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
    if result.status == "wrong-type" or media_type not in _HTML_TYPES:
        shown = media_type or "missing"
        return _outcome(
            target, None, base, "none", f"no Link header, and Content-Type {shown} is not HTML"
        )
    element = _html_candidate(result.text, base)
    if element is not None:
        return _decide(target, element, base, "HTML")
    return _outcome(target, None, base, "none", "no Link header, <link> or <a> with rel webmention")


def _decide(target: str, candidate: str, base: str, where: str) -> Discovery:
    """The first advertised URL, found if usable, otherwise none (it still took precedence)."""
    endpoint = _usable(candidate)
    if endpoint is not None:
        return _outcome(target, endpoint, base, "found", "")
    try:
        scheme = urlsplit(candidate).scheme.lower() if candidate else ""
    except ValueError:
        scheme = ""
    if scheme in ("http", "https"):
        reason = "has no host"
    elif scheme:
        reason = f"has the scheme {scheme!r}, not http or https"
    else:
        reason = "is not a valid URL"
    return _outcome(target, None, base, "none", f"the endpoint in the {where} {reason}")


def _outcome(
    target: str, endpoint: str | None, base: str, status: DiscoveryStatus, error: str
) -> Discovery:
    log.debug("webmention discovery for %s: %s %s", target, status, endpoint or error)
    return Discovery(target=target, endpoint=endpoint, final_url=base, status=status, error=error)


# --- URLs -----------------------------------------------------------------------------------


def _usable(url: str | None) -> str | None:
    """`url` if a webmention can be POSTed to it: http or https with a host."""
    return url if url is not None and is_web_url(url) else None


# --- Link headers ---------------------------------------------------------------------------


def _header_candidate(link_headers: Iterable[str], base: str) -> str | None:
    """The resolved target of the first link-value with rel webmention, whatever its scheme."""
    link = first_with_rel(link_headers, _WEBMENTION, base)
    return None if link is None else link.url


# --- HTML -------------------------------------------------------------------------------------


def _html_candidate(html: str, base: str) -> str | None:
    """The resolved `href` of the first `<link>`/`<a>` with rel webmention, whatever its scheme.

    html5lib rather than `html.parser`: the standard library's parser is not the HTML
    parsing algorithm (it treats only script and style as raw text, so a `<link>` written
    inside `<title>` or `<textarea>` would count, and it knows no namespaces), and the tree a
    browser would build is what "document order" and "element" mean. It is slower, but a
    target page is parsed once and `HttpClient` caps its size.
    """
    # multi_valued_attributes=None keeps rel as written, so it is split by HTML's rules.
    soup = BeautifulSoup(html, "html5lib", multi_valued_attributes=None)
    for element in _html_elements(soup, ("link", "a")):
        href = element.get("href")
        if not isinstance(href, str):
            continue  # no href: advertises nothing (webmention.rocks test 20)
        rel = element.get("rel")
        if isinstance(rel, str) and _WEBMENTION in _link_types(rel):
            return resolve(href, _document_base(soup, base))
    return None


def _html_elements(soup: BeautifulSoup, names: tuple[str, ...]) -> list[Tag]:
    """HTML-namespace elements called `names`, in tree order, outside `<template>` contents.

    A template's contents are parsed but inert, outside the document, as a browser keeps
    them; html5lib puts them in the tree as children, so they are left out here.
    """
    return [
        element
        for element in soup.find_all(list(names))
        if isinstance(element, Tag)
        and element.namespace == _HTML_NAMESPACE
        and not any(
            parent.name == "template" and parent.namespace == _HTML_NAMESPACE
            for parent in element.parents
        )
    ]


def _document_base(soup: BeautifulSoup, fallback: str) -> str:
    """The document base URL: the first `<base>` with an href, resolved against the
    document's URL, or that URL itself (HTML, "document base URL")."""
    for element in _html_elements(soup, ("base",)):
        href = element.get("href")
        if isinstance(href, str):
            return resolve(href, fallback) or fallback  # HTML: failure means the fallback
    return fallback


def _link_types(rel: str) -> frozenset[str]:
    return frozenset(t.translate(ASCII_LOWER) for t in _ASCII_WHITESPACE.split(rel) if t)
