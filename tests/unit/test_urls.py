"""Unit tests for `links.urls`: URL normalisation, domain matching, link resolution."""

from __future__ import annotations

import itertools
import posixpath
from ipaddress import ip_network

import pytest

from mkdocs_backlinks.links import urls
from mkdocs_backlinks.links.urls import (
    SiteMap,
    Target,
    _join,
    domain_matches,
    host_of,
    normalise_url,
    site_of,
    url_identity,
    url_key,
)

SITE_URL = "https://example.com/sub/"

# The same five pages under both of MkDocs' URL layouts.
DIRECTORY_PAGES = [
    ("index.md", ""),
    ("a.md", "a/"),
    ("dir/b.md", "dir/b/"),
    ("dir/index.md", "dir/"),
    ("notes café/c.md", "notes%20caf%C3%A9/c/"),
]
HTML_PAGES = [
    ("index.md", "index.html"),
    ("a.md", "a.html"),
    ("dir/b.md", "dir/b.html"),
    ("dir/index.md", "dir/index.html"),
    ("notes café/c.md", "notes%20caf%C3%A9/c.html"),
]


def internal(src: str, anchor: str = "") -> Target:
    return Target(True, src, anchor)


def external(url: str) -> Target:
    return Target(False, url)


# --------------------------------------------------------------------------- normalise_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # scheme and host are case-insensitive, the path is not
        ("HTTPS://Example.COM/Path", "https://example.com/Path"),
        ("HtTp://WWW.Example.org/A/b", "http://www.example.org/A/b"),
        # default ports dropped, others kept
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("http://example.com:8080/a", "http://example.com:8080/a"),
        ("https://example.com:80/a", "https://example.com:80/a"),
        ("http://example.com:443/a", "http://example.com:443/a"),
        # fragment dropped
        ("https://example.com/a#section-2", "https://example.com/a"),
        ("https://example.com/a?x=1#frag", "https://example.com/a?x=1"),
        # empty path becomes "/"
        ("https://example.com", "https://example.com/"),
        ("https://example.com?q=1", "https://example.com/?q=1"),
        ("http://example.com:80", "http://example.com/"),
        # trailing dot of a fully qualified host name
        ("https://example.com./a", "https://example.com/a"),
        # user info dropped
        ("https://user:secret@example.com/a", "https://example.com/a"),
        ("https://user@Example.com:8443/a", "https://example.com:8443/a"),
        # surrounding white space
        ("  https://example.com/a  ", "https://example.com/a"),
    ],
)
def test_normalise_url(url: str, expected: str) -> None:
    assert normalise_url(url) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://x.org/p?utm_source=news&id=42", "https://x.org/p?id=42"),
        ("https://x.org/p?id=42&utm_medium=email&utm_campaign=c", "https://x.org/p?id=42"),
        ("https://x.org/p?fbclid=abc", "https://x.org/p"),
        ("https://x.org/p?gclid=abc&b=2&a=1", "https://x.org/p?b=2&a=1"),
        ("https://x.org/p?z=1&msclkid=abc&a=2", "https://x.org/p?z=1&a=2"),
        # tracking names are matched case-insensitively
        ("https://x.org/p?UTM_Source=x&FBCLID=y&k=v", "https://x.org/p?k=v"),
        # a tracking parameter without a value
        ("https://x.org/p?utm_source&k=v", "https://x.org/p?k=v"),
        # everything tracked away: no dangling "?"
        ("https://x.org/p?utm_source=a&gclid=b", "https://x.org/p"),
        # empty items are dropped
        ("https://x.org/p?a=1&&b=2", "https://x.org/p?a=1&b=2"),
    ],
)
def test_normalise_url_drops_tracking_parameters(url: str, expected: str) -> None:
    assert normalise_url(url) == expected


def test_normalise_url_keeps_other_parameters_byte_for_byte_and_in_order() -> None:
    url = "https://x.org/s?q=caf%C3%A9+au+lait&b=%2F&a=1&utm_source=x&A=2&q2=a%20b"
    assert normalise_url(url) == "https://x.org/s?q=caf%C3%A9+au+lait&b=%2F&a=1&A=2&q2=a%20b"


def test_normalise_url_does_not_drop_lookalike_parameters() -> None:
    # Only exact names or the known prefixes count as tracking.
    url = "https://x.org/p?utm=1&my_utm_source=2&gclidx=3&ref=4"
    assert normalise_url(url) == url


def test_normalise_url_keeps_path_case_and_encoding() -> None:
    assert normalise_url("https://X.org/A%2Fb/C%20d") == "https://x.org/A%2Fb/C%20d"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://[2001:DB8::1]/a", "https://[2001:db8::1]/a"),
        ("https://[2001:db8::1]:443/a", "https://[2001:db8::1]/a"),
        ("https://[2001:db8::1]:8443/a#x", "https://[2001:db8::1]:8443/a"),
        ("http://[::1]", "http://[::1]/"),
    ],
)
def test_normalise_url_ipv6_host_keeps_brackets(url: str, expected: str) -> None:
    assert normalise_url(url) == expected


@pytest.mark.parametrize(
    "url",
    ["https://x.org:abc/p#frag", "https://x.org:99999/p#frag", "https://x.org:-1/p"],
)
def test_normalise_url_bad_port_does_not_raise(url: str) -> None:
    result = normalise_url(url)
    assert "#" not in result
    assert result.startswith("https://x.org:")
    assert result.endswith("/p")


def test_normalise_url_is_idempotent() -> None:
    for url in [
        "HTTPS://Example.COM:443/a?utm_source=x&b=1#f",
        "http://[2001:DB8::1]:8080",
        "https://user@x.org/p?q=%2F",
    ]:
        once = normalise_url(url)
        assert normalise_url(once) == once


# --------------------------------------------------------------------------- hosts and sites


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.example.com/a", "example.com"),
        ("https://WWW.Example.COM/a", "example.com"),
        ("https://example.com/a", "example.com"),
        ("https://docs.example.com/a", "docs.example.com"),
        ("https://www.docs.example.com/", "docs.example.com"),
        ("https://wwwexample.com/", "wwwexample.com"),
        ("https://www2.example.com/", "www2.example.com"),
        ("https://www.example.com:8443/", "example.com"),
        ("https://www.example.com./", "example.com"),
        ("/relative/path", ""),
    ],
)
def test_site_of(url: str, expected: str) -> None:
    assert site_of(url) == expected


def test_host_of() -> None:
    assert host_of("https://User@Sub.Example.com:8080/x") == "sub.example.com"
    assert host_of("mailto:a@b.c") == ""
    assert host_of("https://[2001:DB8::1]/") == "2001:db8::1"


@pytest.mark.parametrize(
    ("host", "patterns", "expected"),
    [
        ("example.com", ["example.com"], True),
        ("docs.example.com", ["example.com"], True),
        ("a.b.example.com", ["example.com"], True),
        ("notexample.com", ["example.com"], False),
        ("example.com.evil.org", ["example.com"], False),
        ("example.co", ["example.com"], False),
        ("example.com", ["docs.example.com"], False),
        # "*.x" covers subdomains only, never x itself
        ("example.com", ["*.example.com"], False),
        ("docs.example.com", ["*.example.com"], True),
        ("a.b.example.com", ["*.example.com"], True),
        ("notexample.com", ["*.example.com"], False),
        # several patterns, first or later one matching
        ("x.org", ["example.com", "x.org"], True),
        ("y.org", ["example.com", "x.org"], False),
        ("example.com", [], False),
    ],
)
def test_domain_matches(host: str, patterns: list[str], expected: bool) -> None:
    assert domain_matches(host, patterns) is expected


def test_domain_matches_accepts_any_iterable() -> None:
    assert domain_matches("a.x.org", (p for p in ["x.org"]))
    assert domain_matches("a.x.org", ("x.org",))


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("a/b/", "a/b"),
        ("/a/b/", "a/b"),
        ("a/b", "a/b"),
        ("a/b/index.html", "a/b"),
        ("index.html", ""),
        ("", ""),
        ("/", ""),
        ("a.html", "a.html"),
        # a page whose name ends in "index" is not its folder's index page
        ("reindex.html", "reindex.html"),
        ("re/reindex.html", "re/reindex.html"),
        ("re/index.html", "re"),
    ],
)
def test_url_key(path: str, expected: str) -> None:
    assert url_key(path) == expected


# --------------------------------------------------------------------------- SiteMap.resolve

# Cases that hold in both layouts.
COMMON_CASES = [
    # relative links to source files, as MkDocs rewrites them
    ("a.md", "index.md", internal("a.md")),
    ("a.md#part", "index.md", internal("a.md", "part")),
    ("a.md#caf%C3%A9", "index.md", internal("a.md", "café")),
    ("../a.md", "dir/b.md", internal("a.md")),
    ("../a.md#x", "dir/b.md", internal("a.md", "x")),
    ("b.md", "dir/index.md", internal("dir/b.md")),
    ("./b.md", "dir/b.md", internal("dir/b.md")),
    ("index.md", "dir/b.md", internal("dir/index.md")),
    ("../index.md", "dir/b.md", internal("index.md")),
    ("dir/index.md", "index.md", internal("dir/index.md")),
    ("dir/b.md", "a.md", internal("dir/b.md")),
    # a folder: its index.md
    ("dir/", "index.md", internal("dir/index.md")),
    ("dir/#top", "index.md", internal("dir/index.md", "top")),
    # non-ASCII and space: percent-encoded or raw
    ("notes%20caf%C3%A9/c.md", "index.md", internal("notes café/c.md")),
    ("notes café/c.md", "index.md", internal("notes café/c.md")),
    ("../notes%20caf%C3%A9/c.md", "dir/b.md", internal("notes café/c.md")),
    # MkDocs 1.6 treats "/x.md" as relative to docs_dir
    ("/a.md", "index.md", internal("a.md")),
    ("/dir/b.md#s", "a.md", internal("dir/b.md", "s")),
    # site-absolute path under site_url's sub-path
    ("/sub/", "a.md", internal("index.md")),
    ("/sub", "a.md", internal("index.md")),
    # outside works
    ("https://x.org/a#b", "index.md", external("https://x.org/a")),
    ("HTTP://X.org/A?utm_source=z", "index.md", external("http://x.org/A")),
    ("//other.org/x", "index.md", external("https://other.org/x")),
    ("https://example.com:8443/sub/a/", "index.md", external("https://example.com:8443/sub/a/")),
    ("https://example.org/sub/a/", "index.md", external("https://example.org/sub/a/")),
    ("https://notexample.com/sub/a/", "index.md", external("https://notexample.com/sub/a/")),
    # neither a page nor a work
    ("mailto:someone@example.com", "index.md", None),
    ("MAILTO:someone@example.com", "index.md", None),
    ("tel:+123456", "index.md", None),
    ("javascript:alert(1)", "index.md", None),
    ("data:text/html,<p>x</p>", "index.md", None),
    ("ftp://x.org/file", "index.md", None),
    ("#frag", "index.md", None),
    ("#", "index.md", None),
    ("", "index.md", None),
    ("   ", "index.md", None),
    ("?q=1", "index.md", None),
    # assets and missing pages
    ("img/logo.png", "index.md", None),
    ("../img/logo.png", "dir/b.md", None),
    ("files/report.pdf", "index.md", None),
    ("missing.md", "index.md", None),
    ("missing/", "index.md", None),
    # same site, but no page there
    ("https://example.com/sub/nothing/", "index.md", None),
    ("https://example.com/elsewhere/a/", "index.md", None),
    ("/a/", "index.md", None),  # outside site_url's /sub/ path
    ("/elsewhere", "index.md", None),
    # unusable
    ("https://x.org:abc/", "index.md", None),
    ("https:///x", "index.md", None),
]

DIRECTORY_CASES = [
    # URLs relative to the citing page's URL
    ("../dir/", "a.md", internal("dir/index.md")),  # a.md is served at a/
    ("../dir/b/", "a.md", internal("dir/b.md")),
    ("../a/", "dir/index.md", internal("a.md")),  # dir/index.md is served at dir/
    ("../../a/", "dir/b.md", internal("a.md")),  # dir/b.md is served at dir/b/
    ("../../a/#x", "dir/b.md", internal("a.md", "x")),
    ("../", "a.md", internal("index.md")),
    ("..", "a.md", internal("index.md")),
    ("dir/b/", "index.md", internal("dir/b.md")),
    ("b/", "dir/index.md", internal("dir/b.md")),
    ("../b/", "dir/b.md", internal("dir/b.md")),  # itself, by URL
    # from dir/b/, ../a/ is dir/a/: not a page
    ("../a/", "dir/b.md", None),
    ("notes%20caf%C3%A9/c/", "index.md", internal("notes café/c.md")),
    ("notes café/c/", "index.md", internal("notes café/c.md")),
    ("../notes%20caf%C3%A9/c/#h", "a.md", internal("notes café/c.md", "h")),
    # .html URLs do not exist in this layout
    ("a.html", "index.md", None),
    # site-absolute with site_url's sub-path
    ("/sub/a/", "index.md", internal("a.md")),
    ("/sub/a", "index.md", internal("a.md")),
    ("/sub/dir/b/#s", "index.md", internal("dir/b.md", "s")),
    ("/sub/notes%20caf%C3%A9/c/", "index.md", internal("notes café/c.md")),
    # absolute URLs into site_url: http and https are the same site
    ("https://example.com/sub/a/", "index.md", internal("a.md")),
    ("http://example.com/sub/a/", "index.md", internal("a.md")),
    ("https://EXAMPLE.com/sub/a/#k", "index.md", internal("a.md", "k")),
    ("https://example.com:443/sub/dir/", "index.md", internal("dir/index.md")),
    ("https://example.com/sub/", "a.md", internal("index.md")),
    ("https://example.com/sub", "a.md", internal("index.md")),
    ("//example.com/sub/a/", "index.md", internal("a.md")),
]

HTML_CASES = [
    ("../a.html", "dir/b.md", internal("a.md")),  # dir/b.md is served at dir/b.html
    ("../a.html#x", "dir/b.md", internal("a.md", "x")),
    ("a.html", "index.md", internal("a.md")),
    ("b.html", "dir/index.md", internal("dir/b.md")),
    ("index.html", "dir/b.md", internal("dir/index.md")),
    ("../index.html", "dir/b.md", internal("index.md")),
    ("dir/", "a.md", internal("dir/index.md")),  # a.md is served at a.html, in the root
    ("../dir/", "a.md", None),  # climbs out of the site's /sub/ path
    ("notes%20caf%C3%A9/c.html", "index.md", internal("notes café/c.md")),
    ("notes café/c.html", "index.md", internal("notes café/c.md")),
    # directory URLs do not exist in this layout (except for index pages)
    ("../a/", "dir/b.md", None),
    ("dir/b/", "index.md", None),
    ("/sub/a.html", "index.md", internal("a.md")),
    ("/sub/dir/index.html", "index.md", internal("dir/index.md")),
    ("/sub/dir/", "index.md", internal("dir/index.md")),
    ("/a.html", "index.md", None),
    ("https://example.com/sub/a.html", "index.md", internal("a.md")),
    ("http://example.com/sub/a.html#k", "index.md", internal("a.md", "k")),
    ("https://example.com/sub/index.html", "a.md", internal("index.md")),
]


@pytest.mark.parametrize(("href", "src", "expected"), COMMON_CASES + DIRECTORY_CASES)
def test_resolve_directory_urls(href: str, src: str, expected: Target | None) -> None:
    site = SiteMap(DIRECTORY_PAGES, SITE_URL)
    assert site.resolve(href, src) == expected


@pytest.mark.parametrize(("href", "src", "expected"), COMMON_CASES + HTML_CASES)
def test_resolve_html_urls(href: str, src: str, expected: Target | None) -> None:
    site = SiteMap(HTML_PAGES, SITE_URL)
    assert site.resolve(href, src) == expected


EVERY_LAYOUT = pytest.mark.parametrize(
    ("pages", "cases"),
    [(DIRECTORY_PAGES, COMMON_CASES + DIRECTORY_CASES), (HTML_PAGES, COMMON_CASES + HTML_CASES)],
    ids=["directory", "html"],
)
"""Each URL layout's pages with every resolution case that holds for it."""


@EVERY_LAYOUT
def test_resolver_answers_as_resolve_and_again_from_memory(
    pages: list[tuple[str, str]], cases: list[tuple[str, str, Target | None]]
) -> None:
    site = SiteMap(pages, SITE_URL)
    resolvers = {src: site.resolver(src) for _href, src, _expected in cases}
    for _ in range(2):  # the second time, what the folder's first page resolved is reused
        for href, src, expected in cases:
            assert resolvers[src](href.strip()) == expected, (href, src)


def test_resolver_shares_only_what_every_page_of_a_folder_resolves_alike() -> None:
    site = SiteMap(DIRECTORY_PAGES, SITE_URL)
    # One folder, two URLs: dir/index.md is served at dir/, dir/b.md at dir/b/.
    index, page = site.resolver("dir/index.md"), site.resolver("dir/b.md")
    assert index("b.md#s") == internal("dir/b.md", "s")
    assert page("b.md#s") == internal("dir/b.md", "s")
    # Against the page's own URL, the same href names different pages (or none).
    assert index("../a/") == internal("a.md")
    assert page("../a/") is None
    assert index("b/") == internal("dir/b.md")
    assert page("b/") is None  # dir/b/b/
    # Another folder resolves the same href against itself.
    assert site.resolver("index.md")("b.md") is None
    assert site.resolver("a.md")("dir/b.md") == internal("dir/b.md")


def test_resolver_memory_is_bounded_and_kept_for_one_folder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(urls, "_FOLDER_CACHE", 2)
    site = SiteMap(DIRECTORY_PAGES, SITE_URL)
    hrefs = ["b.md", "index.md", "../a.md", "../index.md#top", "b.md", "../a.md#x"]
    for src in ("dir/b.md", "dir/index.md", "index.md", "dir/b.md"):
        resolve = site.resolver(src)
        for _ in range(2):
            assert [resolve(href) for href in hrefs] == [site.resolve(href, src) for href in hrefs]
            assert len(site._known) <= 2
            assert site._folder == src.rpartition("/")[0]


@EVERY_LAYOUT
def test_forget_resolved_lets_go_and_answers_alike(
    pages: list[tuple[str, str]], cases: list[tuple[str, str, Target | None]]
) -> None:
    """Once the pages are converted the remembered hrefs go (the memory they held is what
    the rendering reuses), and resolving afterwards gives the same answers."""
    site = SiteMap(pages, SITE_URL)
    for href, src, _expected in cases:
        site.resolver(src)(href.strip())
        site.resolve(href, src)
    site.resolver("dir/b.md")("index.md")  # a folder's remembered source path
    assert site._external and site._known  # there was something to forget
    site.forget_resolved()
    assert not site._external and not site._known and site._folder == ""
    for href, src, expected in cases:
        assert site.resolve(href, src) == expected, (href, src)
        assert site.resolver(src)(href.strip()) == expected, (href, src)


@pytest.mark.parametrize("pages", [DIRECTORY_PAGES, HTML_PAGES], ids=["directory", "html"])
@pytest.mark.parametrize(
    ("href", "src"),
    [
        ("../../a.md", "dir/b.md"),
        ("../../../a.md", "dir/b.md"),
        ("../a.md", "index.md"),
        ("../index.md", "index.md"),
    ],
)
def test_resolve_source_path_escaping_docs_dir_is_none(
    pages: list[tuple[str, str]], href: str, src: str
) -> None:
    assert SiteMap(pages, SITE_URL).resolve(href, src) is None


@pytest.mark.parametrize(
    ("href", "src"),
    [
        # dir/b.md is served at /sub/dir/b/: three levels up leaves the site
        ("../../..", "dir/b.md"),
        ("../../../a/", "dir/b.md"),
        # a.md is served at /sub/a/: two levels up leaves the site
        ("../..", "a.md"),
    ],
)
def test_resolve_url_escaping_site_root_is_none_directory_urls(href: str, src: str) -> None:
    assert SiteMap(DIRECTORY_PAGES, SITE_URL).resolve(href, src) is None


@pytest.mark.parametrize(
    ("href", "src"),
    [
        # dir/b.md is served at /sub/dir/b.html: two levels up leaves the site
        ("../../a.html", "dir/b.md"),
        # index.md is served at /sub/index.html: one level up leaves the site
        ("../a.html", "index.md"),
    ],
)
def test_resolve_url_escaping_site_root_is_none_html_urls(href: str, src: str) -> None:
    assert SiteMap(HTML_PAGES, SITE_URL).resolve(href, src) is None


def test_resolve_without_site_url() -> None:
    site = SiteMap(DIRECTORY_PAGES, None)
    assert site.site_path == "/"
    assert site.resolve("/a/", "index.md") == internal("a.md")
    assert site.resolve("/dir/b/#s", "index.md") == internal("dir/b.md", "s")
    assert site.resolve("a.md", "index.md") == internal("a.md")
    # without site_url, no absolute URL can be recognised as ours
    assert site.resolve("https://example.com/a/", "index.md") == external("https://example.com/a/")
    assert site.resolve("/nothing/", "index.md") is None


def test_resolve_site_url_without_trailing_slash() -> None:
    site = SiteMap(DIRECTORY_PAGES, "https://example.com/sub")
    assert site.site_path == "/sub/"
    assert site.resolve("/sub/a/", "index.md") == internal("a.md")
    assert site.resolve("https://example.com/sub/a/", "index.md") == internal("a.md")
    assert site.resolve("/subway/a/", "index.md") is None


def test_resolve_site_url_at_domain_root() -> None:
    site = SiteMap(DIRECTORY_PAGES, "https://www.example.com/")
    assert site.resolve("/a/", "index.md") == internal("a.md")
    assert site.resolve("https://www.example.com/a/", "index.md") == internal("a.md")
    assert site.resolve("https://www.example.com/", "a.md") == internal("index.md")
    assert site.resolve("https://www.example.com", "a.md") == internal("index.md")
    # a different host, even the bare domain, is another site
    assert site.resolve("https://example.com/a/", "index.md") == external("https://example.com/a/")


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("http://localhost:8000/a/", internal("a.md")),
        ("https://localhost:8000/a/", internal("a.md")),
        # Another port of this machine is not this site, nor anyone's to credit.
        ("http://localhost/a/", None),
        ("http://localhost:8001/a/", None),
    ],
)
def test_resolve_site_url_with_port(href: str, expected: Target | None) -> None:
    site = SiteMap(DIRECTORY_PAGES, "http://localhost:8000/")
    assert site.resolve(href, "index.md") == expected


@pytest.mark.parametrize(
    "href",
    [
        "http://127.0.0.1:8000/",
        "http://localhost:8000/getting-started/",
        "HTTP://LOCALHOST/",
        "http://app.localhost/",
        "http://[::1]:8000/",
        "http://192.168.1.1/admin",
        "https://10.0.0.5/wiki/",
        "http://169.254.169.254/latest/meta-data/",
        "http://0.0.0.0:8000/",
        "//127.0.0.1/x",
        "http://[::ffff:127.0.0.1]/",
    ],
)
def test_links_to_this_machine_or_a_private_address_are_no_citation(href: str) -> None:
    site = SiteMap(DIRECTORY_PAGES, SITE_URL)
    assert site.resolve(href, "index.md") is None


def test_allowed_networks_make_their_addresses_citations_again() -> None:
    site = SiteMap(DIRECTORY_PAGES, SITE_URL, allow_networks=[ip_network("127.0.0.0/8")])
    assert site.resolve("http://127.0.0.1:8000/a", "index.md") == external(
        "http://127.0.0.1:8000/a"
    )
    assert site.resolve("http://localhost:8000/", "index.md") == external("http://localhost:8000/")
    assert site.resolve("http://192.168.1.1/", "index.md") is None


@pytest.mark.parametrize(
    "href",
    [
        "https://93.184.216.34/paper",  # a public address
        "https://[2606:4700::1111]/",
        "https://localhost.example.org/",  # names are not looked up
        "https://10.example.com/",
        "https://my-localhost.dev/",
    ],
)
def test_public_addresses_and_names_stay_citations(href: str) -> None:
    site = SiteMap(DIRECTORY_PAGES, SITE_URL)
    found = site.resolve(href, "index.md")
    assert found is not None and not found.internal


def test_resolve_strips_surrounding_white_space() -> None:
    site = SiteMap(DIRECTORY_PAGES, SITE_URL)
    assert site.resolve("  a.md  ", "index.md") == internal("a.md")
    assert site.resolve("\thttps://x.org/\n", "index.md") == external("https://x.org/")


def test_page_for_url_path() -> None:
    site = SiteMap(DIRECTORY_PAGES, SITE_URL)
    assert site.page_for_url_path("a/") == "a.md"
    assert site.page_for_url_path("/a") == "a.md"
    assert site.page_for_url_path("") == "index.md"
    assert site.page_for_url_path("notes café/c/") == "notes café/c.md"
    assert site.page_for_url_path("nothing/") is None


def test_sitemap_records_pages() -> None:
    site = SiteMap(HTML_PAGES, SITE_URL)
    assert site.pages == dict(HTML_PAGES)
    empty = SiteMap((), None)
    assert empty.pages == {}
    assert empty.resolve("a.md", "index.md") is None
    assert empty.resolve("https://x.org", "index.md") == external("https://x.org/")


JOIN_FOLDERS = ["", "a", "a/b", "a/b/c", "caf\u00e9", "d e"]
JOIN_SEGMENTS = ["..", ".", "", "x.md", "y", "..x", "x.", "...", ".x", "caf\u00e9", "d e"]


def reference_join(folder: str, path: str) -> str | None:
    """`folder/path` normalised the general way, None when it climbs above the docs root."""
    joined = posixpath.normpath(posixpath.join(folder or ".", path))
    if joined == ".." or joined.startswith("../"):
        return None
    return "" if joined == "." else joined


def test_join_matches_the_general_normalisation() -> None:
    """`_join`'s shortcuts (plain paths, `../x.md`) give what the general code gives, for
    every folder depth and every path of up to three segments, `..` above the root included."""
    paths = {
        "/".join(combo)
        for length in (1, 2, 3)
        for combo in itertools.product(JOIN_SEGMENTS, repeat=length)
    }
    paths.discard("")
    for folder in JOIN_FOLDERS:
        for path in sorted(paths):
            if path.startswith("/"):
                continue  # absolute paths never reach `_join`
            assert _join(folder, path) == reference_join(folder, path), (folder, path)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/blog/post/",
        "http://example.org/blog/post",
        "https://www.example.org/blog/post/",
        "HTTPS://WWW.Example.ORG:443/blog/post/#comments",
        "https://example.org/blog/post/?utm_source=feed",
        "https://user@example.org/blog/post",
        "example.org/blog/post",
        "  https://example.org/blog/post  ",
    ],
)
def test_url_identity_is_one_key_for_the_variants_of_a_page(url: str) -> None:
    """The key mentions store (ids, moderation) and metadata matches h-cards by: what a site
    writes in its markup and what it serves are one page."""
    assert url_identity(url) == "example.org/blog/post"
    assert url_identity(url_identity(url)) == url_identity(url)  # a stored key reads back


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://example.org:8443/x/", "example.org:8443/x"),  # another port, another site
        ("https://example.org/x?id=2", "example.org/x?id=2"),  # the query can name the page
        ("https://example.org", "example.org"),
        ("https://example.org/X", "example.org/X"),  # paths are case-sensitive
    ],
)
def test_url_identity_keeps_what_names_another_page(url: str, key: str) -> None:
    assert url_identity(url) == key


def test_outside_urls_resolve_the_same_past_the_cache() -> None:
    """A page of thousands of one-off URLs (a changelog) overflows the resolution cache, which
    then starts again: every URL still resolves as it did the first time."""
    site = SiteMap([("index.md", "")], "https://example.org/")
    urls = [f"https://Forge.example.com/pr/{n}?utm_source=x" for n in range(5000)]
    first = [site.resolve(url, "index.md") for url in urls]
    assert first[0] == (False, "https://forge.example.com/pr/0", "")
    assert [site.resolve(url, "index.md") for url in urls] == first


@pytest.mark.parametrize("use_directory_urls", [True, False])
def test_a_folder_index_and_a_page_named_like_it_stay_apart(use_directory_urls: bool) -> None:
    """`reindex.md` is served at `reindex.html` beside `re/index.md` at `re/index.html`:
    reduced to one key, a link to the folder went to the other page."""
    suffix = "/" if use_directory_urls else ".html"
    pages = [
        ("index.md", "" if use_directory_urls else "index.html"),
        ("re/index.md", "re/" if use_directory_urls else "re/index.html"),
        ("reindex.md", "reindex" + suffix),
    ]
    site = SiteMap(pages, None)
    folder = "re/" if use_directory_urls else "re/index.html"
    assert site.resolve(folder, "index.md") == internal("re/index.md")
    assert site.resolve("/re/", "index.md") == internal("re/index.md")
    assert site.resolve("reindex" + suffix, "index.md") == internal("reindex.md")
    assert site.page_for_url_path("reindex" + suffix) == "reindex.md"


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("HTTP%20status.md", "net/HTTP status.md"),
        ("HTTP status.md", "net/HTTP status.md"),
        ("HTTP%20status.md#codes", "net/HTTP status.md"),
        ("https-guide/", "net/https-guide.md"),
        ("Http-Guide.md?x=1", "net/Http-Guide.md"),
        ("../net/HTTP%20status.md", "net/HTTP status.md"),
    ],
)
def test_a_relative_path_starting_with_http_is_not_an_address(href: str, expected: str) -> None:
    """Only a scheme (`http:`, `HTTPS:`) makes an address: a file whose name starts with
    the letters is resolved from the citing page's folder, as MkDocs resolves it."""
    pages = [
        ("index.md", ""),
        ("HTTP status.md", "HTTP%20status/"),  # a page of the same name at the root
        ("net/index.md", "net/"),
        ("net/HTTP status.md", "net/HTTP%20status/"),
        ("net/https-guide.md", "net/https-guide/"),
        ("net/Http-Guide.md", "net/Http-Guide/"),
    ]
    site = SiteMap(pages, None)
    for resolve in (lambda h: site.resolve(h, "net/index.md"), site.resolver("net/index.md")):
        found = resolve(href)
        assert found is not None and found.internal and found.target == expected, href
    # and the answer is not remembered for another folder's page
    assert site.resolve("HTTP%20status.md", "index.md") == internal("HTTP status.md")
    assert site.resolve("HTTP://x.org/A", "net/index.md") == external("http://x.org/A")


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        # a browser reads a backslash before the query as a slash: these open good.example
        ("https://good.example\\@evil.example/x", external("https://good.example/@evil.example/x")),
        ("https://good.example\\evil.example/y", external("https://good.example/evil.example/y")),
        ("HTTP://good.example\\a\\b", external("http://good.example/a/b")),
        ("\\\\good.example\\x", external("https://good.example/x")),
        ("/\\good.example/x", external("https://good.example/x")),
        # after the query or fragment it is the query's own character
        ("https://good.example/a?b=c\\d", external("https://good.example/a?b=c\\d")),
        # a relative path is left as written: no page `a\b.md`
        ("a\\b.md", None),
    ],
)
def test_backslashes_in_an_address_are_read_as_browsers_read_them(
    href: str, expected: Target | None
) -> None:
    site = SiteMap(DIRECTORY_PAGES, SITE_URL)
    assert site.resolve(href, "index.md") == expected
    assert site.resolver("index.md")(href) == expected
