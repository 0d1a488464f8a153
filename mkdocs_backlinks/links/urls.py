"""Decide what a link points at: a page of this site, an outside work, or neither.

Pure functions over plain data, so every rule is unit-tested without MkDocs. Resolution follows
MkDocs itself: a relative path is first tried as a source file next to the citing page (how
MkDocs rewrites `other.md`), then as a URL relative to the citing page's URL. URLs are handled
with `posixpath` and `urllib.parse` only; `os.path` would break on Windows and on `%2F`.
"""

from __future__ import annotations

import functools
import posixpath
import re
from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple
from urllib.parse import unquote, urlsplit, urlunsplit

from mkdocs_backlinks.http.addresses import local_host_problem
from mkdocs_backlinks.http.options import IPNetwork

_DEFAULT_PORTS = {"http": 80, "https": 443}

# Query parameters that only track the click; dropping them groups the same work together.
_TRACKING_PREFIXES = ("utm_", "mtm_", "pk_", "hsa_")
_TRACKING_NAMES = frozenset(
    {
        "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid",
        "twclid", "ttclid", "li_fat_id", "igshid", "mc_cid", "mc_eid", "_hsenc", "_hsmi",
        "mkt_tok", "oly_anon_id", "oly_enc_id", "vero_id", "ref_src", "s_cid",
    }
)  # fmt: skip


class Target(NamedTuple):
    """Where a link goes: `target` is a page's source path or a normalised outside URL.

    A named tuple: one is made for every link of the site, several times faster than a
    frozen dataclass.
    """

    internal: bool
    target: str
    anchor: str = ""


_internal: Callable[[tuple[bool, str, str]], Target] = functools.partial(tuple.__new__, Target)
"""`Target(True, ...)` without the named tuple's Python-level `__new__`: made for every
relative link of the site."""


def url_key(path: str) -> str:
    """Reduce a site-relative URL path to the form under which its page is indexed.

    `a/b/`, `a/b`, `a/b/index.html` and `/a/b/` all name the same page.
    """
    path = path.lstrip("/")
    if path == "index.html" or path.endswith("/index.html"):  # not `reindex.html`
        path = path[: -len("index.html")]
    path = path.rstrip("/")
    return "" if path == "." else path  # MkDocs gives the home page the URL './'


def _netloc(scheme: str, host: str, port: int | None) -> str:
    if ":" in host:  # an IPv6 literal loses its brackets in .hostname
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        return f"{host}:{port}"
    return host


def _is_tracking(name: str) -> bool:
    name = unquote(name).lower()
    return name.startswith(_TRACKING_PREFIXES) or name in _TRACKING_NAMES


def normalise_url(url: str) -> str:
    """The key under which citations of the same work are grouped.

    Lower-case scheme and host, no default port, no user info, no fragment, no click-tracking
    parameters; the rest of the query is kept byte for byte, because it often selects the work
    (`?id=42`). A URL whose port is not a number is returned stripped of its fragment only.
    """
    parts = urlsplit(url.strip())
    scheme = (parts.scheme or "https").lower()
    host = (parts.hostname or "").lower().rstrip(".")
    try:
        port = parts.port
    except ValueError:
        return urlunsplit((scheme, parts.netloc.lower(), parts.path or "/", parts.query, ""))
    query = "&".join(
        item for item in parts.query.split("&") if item and not _is_tracking(item.split("=", 1)[0])
    )
    return urlunsplit((scheme, _netloc(scheme, host, port), parts.path or "/", query, ""))


# A URL that `normalise_url` would leave as it is: lower-case http(s), a plain lower-case host
# without port or user, no query or fragment. Most stored URLs are like this, and a store of
# tens of thousands of mentions computes the identity of each on every build.
_PLAIN_URL = re.compile(r"https?://([a-z0-9-]+(?:\.[a-z0-9-]+)*)(/[^?#]*)?")


def url_identity(url: str) -> str:
    """One key for the variants of a page's URL: no scheme, no `www.`, no trailing slash,
    otherwise `normalise_url`'s form. A bare `example.org/x` is read as https.

    For "is this the same page?": a site that writes `http://` in its markup and serves
    `https://` still means itself. Mentions key their stored ids and moderation entries by
    it, so it must not change; its own output gives itself back, so a key can be stored and
    normalised again on load. Raises ValueError for what `urlsplit` cannot split.
    """
    url = url.strip()
    plain = _PLAIN_URL.fullmatch(url)
    if plain:
        normal = plain.group(1) + (plain.group(2) or "/")
    else:
        normal = normalise_url(url if "://" in url else "https://" + url).partition("://")[2]
    if normal.startswith("www."):
        normal = normal[4:]
    return normal.rstrip("/")


def is_web_url(url: str) -> bool:
    """Whether `url` is an absolute http(s) URL with a host: the only kind of address the
    plugin fetches, links to from a page it writes, or sends a webmention about. `urlsplit`
    gives the scheme in lower case; a URL it cannot split (a broken IPv6 literal) is not one."""
    try:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return False


def host_of(url: str) -> str:
    """Lower-case host of a URL, '' when it has none."""
    return (urlsplit(url).hostname or "").lower().rstrip(".")


@functools.lru_cache(maxsize=16384)
def site_of(url: str) -> str:
    """The site a work belongs to, for grouping credits: its host without a leading `www.`.

    Cached: every page's credits ask it for each work, and works repeat across pages.
    """
    host = host_of(url)
    return host[4:] if host.startswith("www.") else host


def site_or_none(url: str) -> str | None:
    """`site_of(url)`, or None for what `urlsplit` cannot split (`https://a[` reads as a
    broken IPv6 literal): for a reference a person typed, which may be no address."""
    try:
        return site_of(url)
    except ValueError:
        return None


def domain_matches(host: str, patterns: Iterable[str]) -> bool:
    """True when `host` is one of the domains or (for plain names) a subdomain of one."""
    for pattern in patterns:
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]):
                return True
        elif host == pattern or host.endswith("." + pattern):
            return True
    return False


_EXTERNAL_CACHE = 4096
"""Outside URLs whose resolution `SiteMap` keeps: the same URLs recur across pages (a
project's repository, its issue tracker), while one long page of one-off URLs would
otherwise keep every one of them until the build ends."""
_FOLDER_CACHE = 4096
"""Relative hrefs whose resolution `SiteMap.resolver` keeps for one folder: a folder of
thousands of pages of one-off links then never holds an entry per link."""


class SiteMap:
    """The pages of one build and the URLs under which the site is served.

    Built once per build from the file list; `resolve` is then called for every link.
    """

    def __init__(
        self,
        pages: Iterable[tuple[str, str]],
        site_url: str | None,
        aliases: Mapping[str, str] | None = None,
        allow_networks: Iterable[IPNetwork] = (),
    ) -> None:
        """`pages` holds `(src_uri, url)` pairs as MkDocs' `File` objects give them.

        `aliases` maps other source paths to a page's: a link to one counts for that page
        (a redirected old path; in a translated build, the untranslated name of a page).
        A name that is a page itself is never an alias.

        A link to `localhost` or to an address that is not globally routable (a dev server
        at `http://127.0.0.1:8000/`, a router at 192.168.1.1) is no one's work to credit or
        tell, and resolves to nothing, unless the address is in `allow_networks` (the
        plugin's option of that name, which lets the HTTP layer reach it too).
        """
        self._allow_networks = tuple(allow_networks)
        self.pages: dict[str, str] = {}
        self._by_key: dict[str, str] = {}
        self._canonical: dict[str, str] = {}
        for src_uri, url in pages:
            self.pages[src_uri] = url
            self._canonical[src_uri] = src_uri
            self._by_key.setdefault(url_key(unquote(url)), src_uri)
        for alias, src_uri in (aliases or {}).items():
            if src_uri in self.pages:
                self._canonical.setdefault(alias, src_uri)
        # Outside links repeat across pages; their resolution does not depend on the page.
        self._external: dict[str, Target | None] = {}
        # Relative hrefs found as a source file: the same for every page of one folder.
        self._folder = ""
        self._known: dict[str, str] = {}
        site = urlsplit(site_url or "")
        self._site_host = (site.hostname or "").lower()
        try:
            self._site_port = site.port
        except ValueError:
            self._site_port = None
        self._site_scheme = site.scheme.lower()
        path = unquote(site.path or "/")
        self.site_path = path if path.endswith("/") else path + "/"

    def forget_resolved(self) -> None:
        """Let go of the hrefs `resolve` and `resolver` remember, once no more pages convert.

        They save resolving a URL again while thousands of pages convert, and would then
        only hold memory until the build ends; the pages' rendering reuses it instead, and a
        build's memory peaks at its end. Resolving still works afterwards, uncached until
        the same hrefs come again.
        """
        self._external = {}
        self._folder, self._known = "", {}

    def page_for_url_path(self, path: str) -> str | None:
        """The page served at a site-relative URL path, if any."""
        return self._by_key.get(url_key(path))

    def _is_site_host(self, scheme: str, host: str, port: int | None) -> bool:
        if not self._site_host or host != self._site_host:
            return False
        # http and https of the same host are the same site; other ports are not.
        ours = self._site_port or _DEFAULT_PORTS.get(self._site_scheme)
        theirs = port or _DEFAULT_PORTS.get(scheme)
        return ours == theirs or (port is None and self._site_port is None)

    def _under_site_path(self, path: str) -> str | None:
        if path == self.site_path.rstrip("/"):
            return ""
        if path.startswith(self.site_path):
            return path[len(self.site_path) :]
        return None

    def resolve(self, href: str, src_uri: str) -> Target | None:
        """Classify one href written on page `src_uri`.

        Returns None for what is neither a page of the site nor an outside work: fragments,
        `mailto:` and other schemes, assets, and same-site URLs that match no page.
        """
        href = href.strip()
        if not href or href.startswith("#"):
            return None
        if "\\" in href:
            href = _as_browsers_read(href)
        if _is_address(href):
            try:
                return self._external[href]
            except KeyError:
                if len(self._external) >= _EXTERNAL_CACHE:
                    self._external.clear()  # a changelog's thousands of one-off URLs
                found = self._external[href] = self._resolve_url(href)
                return found
        if ":" not in href and not href.startswith("/"):
            # The common case, a relative path: split it by hand, urlsplit is slow.
            path, _, fragment = href.partition("#")
            if "?" in path:
                path = path.partition("?")[0]
            if "%" in path:
                path = unquote(path)
            return self._resolve_local(path, unquote(fragment) if fragment else "", src_uri)
        return self._resolve_url(href, src_uri)

    def resolver(self, src_uri: str) -> Callable[[str], Target | None]:
        """`resolve(href, src_uri)` for the links of page `src_uri`, href stripped.

        A relative path that names a source file (`../guide/install.md`, whatever its
        `#fragment`) names the same one from every page of the folder, so each distinct one
        is resolved once per folder and then looked up. MkDocs converts a folder's pages one
        after another (its file list is sorted), so only the current folder's answers are
        kept, as plain strings: they go when the next folder starts and never pile up for the
        rest of the build, where each object kept makes every full garbage collection longer.
        What resolves against the page's own URL instead (`../other/`) differs between pages
        of one folder, and goes to `resolve` every time.
        """
        folder = src_uri.rpartition("/")[0]
        if folder != self._folder or len(self._known) >= _FOLDER_CACHE:
            self._folder, self._known = folder, {}
        known = self._known
        canonical = self._canonical
        resolve = self.resolve

        def resolve_here(href: str) -> Target | None:
            if not href or href[0] in "#/" or ":" in href or "?" in href or "%" in href:
                return resolve(href, src_uri)  # not a plain relative path: the general rules
            path, _, fragment = href.partition("#")
            page = known.get(path)
            if page is None:
                joined = _join(folder, path)
                page = canonical.get(joined) if joined is not None else None
                if page is None:
                    return resolve(href, src_uri)
                if len(known) < _FOLDER_CACHE:
                    # Strings only: the garbage collector does not even look at the dict.
                    known[path] = page
            return _internal((True, page, unquote(fragment) if fragment else ""))

        return resolve_here

    def _resolve_url(self, href: str, src_uri: str = "") -> Target | None:
        try:
            parts = urlsplit(href)
            port = parts.port
        except ValueError:
            return None
        scheme = parts.scheme.lower()
        if scheme and scheme not in _DEFAULT_PORTS:
            return None  # mailto:, tel:, javascript:, data:, ftp: ... are not citations
        anchor = unquote(parts.fragment)
        if scheme and not parts.netloc:
            return None  # 'http:page' names no host: not a usable link
        if parts.netloc:
            host = (parts.hostname or "").lower().rstrip(".")
            if not host:
                return None
            if self._is_site_host(scheme or self._site_scheme, host, port):
                rest = self._under_site_path(unquote(parts.path or "/"))
                page = None if rest is None else self.page_for_url_path(rest)
                return Target(True, page, anchor) if page else None
            if local_host_problem(host, self._allow_networks):
                return None
            return Target(False, normalise_url(href if scheme else "https:" + href))
        return self._resolve_local(unquote(parts.path), anchor, src_uri)

    def _resolve_local(self, path: str, anchor: str, src_uri: str) -> Target | None:
        if not path:
            return None  # '?query' alone points back at the same page
        if path.startswith("/"):
            # MkDocs 1.6 can treat '/x.md' as relative to docs_dir (validation.absolute_links).
            if path.endswith(".md") and path[1:] in self.pages:
                return Target(True, path[1:], anchor)
            rest = self._under_site_path(path)
            page = None if rest is None else self.page_for_url_path(rest)
            return Target(True, page, anchor) if page else None
        # First as a source file beside the citing page: how MkDocs rewrites 'other.md'.
        src = _join(src_uri.rpartition("/")[0], path)
        canonical = self._canonical.get(src) if src is not None else None
        if canonical is not None:
            # The page's own key string, so thousands of links share one object.
            return _internal((True, canonical, anchor))
        # Then as a URL relative to the citing page's own URL ('../other/').
        page_url = unquote(self.pages.get(src_uri, ""))
        base = page_url if page_url.endswith("/") or not page_url else posixpath.dirname(page_url)
        # Normalised without a leading slash, so a path climbing above the root keeps its '..'.
        joined = posixpath.normpath(posixpath.join(base or ".", path))
        if joined == ".." or joined.startswith("../"):
            return None
        if joined == ".":
            joined = ""
        page = self.page_for_url_path(joined)
        return Target(True, page, anchor) if page else None


def _as_browsers_read(href: str) -> str:
    """An absolute http(s) or scheme-relative `href` with its backslashes read as slashes, as
    browsers read them before the query: `https://good.example\\@evil.example/` opens
    good.example, so the work is good.example's, not the site named after the `@`. A relative
    path is left as written (MkDocs does not find `a\\b.md` either)."""
    if not (_is_address(href) or href[:2] in _BACKSLASHED):
        return href
    end = len(href)
    for mark in "?#":
        found = href.find(mark)
        if 0 <= found < end:
            end = found
    return href[:end].replace("\\", "/") + href[end:]


_BACKSLASHED = frozenset(("\\\\", "\\/", "/\\"))
"""How a scheme-relative URL may start besides `//`, to a browser."""


def _is_address(href: str) -> bool:
    """Whether `href` is an http(s) address (its scheme in any case) or a scheme-relative
    one, not a relative path that merely starts with the letters (`HTTP%20status.md`,
    `https-guide/`), which the citing page's folder resolves."""
    return href[:6].lower().startswith(("http:", "https:")) or href.startswith("//")


def _join(folder: str, path: str) -> str | None:
    """`folder/path` normalised like `posixpath.normpath`, or None when it climbs out.

    Written out because it runs for every relative link of every page, and the general
    `normpath(join(dirname(...)))` costs three times as much.
    """
    if "/." not in path and "//" not in path:
        if not path.startswith("."):
            joined = f"{folder}/{path}" if folder else path
            return joined.rstrip("/")
        if path.startswith("../") and not path.startswith("../."):
            # `../x.md`, the other common form: one folder up, nothing else to normalise.
            if not folder:
                return None
            parent = folder.rpartition("/")[0]
            rest = path[3:]
            return (f"{parent}/{rest}" if parent else rest).rstrip("/")
    parts = folder.split("/") if folder else []
    for segment in path.split("/"):
        if segment == "..":
            if not parts:
                return None
            parts.pop()
        elif segment and segment != ".":
            parts.append(segment)
    return "/".join(parts)


def relative_url(url: str, from_page_url: str) -> str:
    """A site-relative `url` (with optional `#fragment`) as seen from another page's URL.

    Both are MkDocs page URLs (`a/b/`, `a/b.html`, `''` for the home page), so a split on '/'
    is enough; MkDocs' general `get_relative_url` normalises paths and costs several times
    more, once per backlink of every page.
    """
    path, hash_, fragment = url.partition("#")
    path = "" if path == "./" else path
    base = from_page_url.split("/")[:-1]  # the folder the citing page is served from
    if base == ["."]:
        base = []
    target = path.split("/")
    common = 0
    while common < len(base) and common < len(target) - 1 and base[common] == target[common]:
        common += 1
    rel = "../" * (len(base) - common) + "/".join(target[common:])
    return (rel or "./") + hash_ + fragment


def relative_urls_from(from_page_url: str) -> Callable[[str], str]:
    """`relative_url(url, from_page_url)` for many `url`s seen from one page.

    A page's backlinks section turns every citing page's URL relative to that page. The page's
    folders are split once here, and each URL then costs a few `startswith` tests: the longest
    folder prefix of the page that also starts the URL is what the two have in common, exactly
    the components `relative_url` compares one by one.
    """
    base = from_page_url.split("/")[:-1]
    if base == ["."]:
        base = []
    depth = len(base)
    # (prefix, what replaces it), deepest first; a URL sharing no folder climbs all the way up.
    prefixes = [
        ("/".join(base[:common]) + "/", "../" * (depth - common)) for common in range(depth, 0, -1)
    ]
    climb = "../" * depth

    def relative(url: str) -> str:
        path, hash_, fragment = url.partition("#")
        if path == "./":
            path = ""
        for prefix, up in prefixes:
            if path.startswith(prefix):
                rel = up + path[len(prefix) :]
                break
        else:
            rel = climb + path
        return (rel or "./") + hash_ + fragment

    return relative
