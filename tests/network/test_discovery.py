"""Tests for `webmention.discovery`, the W3C Webmention endpoint discovery (section 3.1.2).

The 23 discovery cases of webmention.rocks (the spec's test suite) are checked with our own
small pages, served with the headers and markup each case is about by a real server on
127.0.0.1, and so are the failure cases; the two parsers also get unit tests with tricky
input. Markup here is written raw on purpose: hostile and odd HTML is the input under test.
"""

from __future__ import annotations

import functools
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from ipaddress import ip_network
from pathlib import Path
from typing import Any

import pytest
from http_servers import Handler, HttpServer, make_certificates, tls_context

from mkdocs_backlinks.http.client import HttpClient
from mkdocs_backlinks.http.options import HttpOptions
from mkdocs_backlinks.webmention.discovery import (
    Discovery,
    discover,
    endpoint_from_headers,
    endpoint_from_html,
)

# Absolute URLs in the pages below name the test server as "{origin}" until it has a port.
ORIGIN = "{origin}"


@dataclass(frozen=True)
class Page:
    """One response of the test server."""

    body: str = ""
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    content_type: str = "text/html; charset=utf-8"


def html(head: str = "", body: str = "") -> str:
    """A small complete document around `head` and `body` markup."""
    return (
        "<!doctype html>\n<html>\n<head>\n<meta charset='utf-8'>\n<title>Test</title>\n"
        + head
        + "\n</head>\n<body>\n<div class='h-entry'><p class='e-content'>"
        + body
        + "</p></div>\n</body>\n</html>\n"
    )


def link(value: str, name: str = "Link") -> tuple[tuple[str, str], ...]:
    return ((name, value),)


@dataclass(frozen=True)
class Case:
    """A discovery rule: what the server serves, where discovery starts, what it must find."""

    pages: dict[str, Page]
    start: str
    expected: str | None
    status: str = "found"


def rocks(number: int, page: Page, expected: str | None) -> Case:
    return Case({f"/test/{number}": page}, f"/test/{number}", expected)


# The webmention.rocks discovery cases, numbered as there; the pages are our own.
ROCKS: dict[str, Case] = {
    "01 Link header, unquoted rel, relative URL": rocks(
        1, Page(html(), headers=link("</test/1/webmention>; rel=webmention")), "/test/1/webmention"
    ),
    "02 Link header, unquoted rel, absolute URL": rocks(
        2,
        Page(html(), headers=link(f"<{ORIGIN}/test/2/webmention>; rel=webmention")),
        "/test/2/webmention",
    ),
    "03 <link>, relative URL": rocks(
        3, Page(html('<link rel="webmention" href="/test/3/webmention">')), "/test/3/webmention"
    ),
    "04 <link>, absolute URL": rocks(
        4,
        Page(html(f'<link href="{ORIGIN}/test/4/webmention" rel="webmention">')),
        "/test/4/webmention",
    ),
    "05 <a>, relative URL": rocks(
        5,
        Page(
            html(
                body='Send mentions <a rel="webmention" href="/test/5/webmention">'
                "here</a>, says this &lt;a&gt; element."
            )
        ),
        "/test/5/webmention",
    ),
    "06 <a>, absolute URL": rocks(
        6,
        Page(html(body=f'Its <a href="{ORIGIN}/test/6/webmention" rel="webmention">endpoint</a>.')),
        "/test/6/webmention",
    ),
    "07 Link header with strange casing": rocks(
        7,
        Page(html(), headers=link(f"<{ORIGIN}/test/7/webmention>; rel=webmention", name="LinK")),
        "/test/7/webmention",
    ),
    "08 Link header, quoted rel": rocks(
        8,
        Page(html(), headers=link(f'<{ORIGIN}/test/8/webmention>; rel="webmention"')),
        "/test/8/webmention",
    ),
    "09 multiple rel values on a <link>": rocks(
        9,
        Page(html(f'<link rel="webmention somethingelse" href="{ORIGIN}/test/9/webmention">')),
        "/test/9/webmention",
    ),
    "10 multiple rel values on a Link header": rocks(
        10,
        Page(
            html(), headers=link(f'<{ORIGIN}/test/10/webmention>; rel="webmention somethingelse"')
        ),
        "/test/10/webmention",
    ),
    "11 Link header before <link> before <a>": rocks(
        11,
        Page(
            html(
                '<link rel="webmention" href="/test/11/webmention/error">',
                'An <a href="/test/11/webmention/error" rel="webmention">&lt;a&gt; tag</a>.',
            ),
            headers=link('</test/11/webmention>; rel="webmention"'),
        ),
        "/test/11/webmention",
    ),
    "12 rel=not-webmention is not rel=webmention": rocks(
        12,
        Page(
            html(
                '<link rel="not-webmention" href="/test/12/webmention/error">',
                'A <a href="/test/12/webmention" rel="webmention">correct endpoint</a>.',
            )
        ),
        "/test/12/webmention",
    ),
    "13 false endpoint inside an HTML comment": rocks(
        13,
        Page(
            html(
                body='A comment <!-- <a href="/test/13/webmention/error" rel="webmention"></a> '
                '--> and a <a href="/test/13/webmention" rel="webmention">correct one</a>.'
            )
        ),
        "/test/13/webmention",
    ),
    "14 false endpoint in escaped HTML": rocks(
        14,
        Page(
            html(
                body='<code>&lt;a href="/test/14/webmention/error" rel="webmention"&gt;&lt;/a&gt;'
                '</code> and <a href="/test/14/webmention" rel="webmention">this one</a>.'
            )
        ),
        "/test/14/webmention",
    ),
    "15 empty href is the page itself": rocks(
        15, Page(html('<link rel="webmention" href="">')), "/test/15"
    ),
    "16 <a> before <link> in document order": rocks(
        16,
        Page(
            html(
                body='An <a href="/test/16/webmention" rel="webmention">&lt;a&gt; tag</a>, then '
                '<link rel="webmention" href="/test/16/webmention/error">'
            )
        ),
        "/test/16/webmention",
    ),
    "17 <link> before <a> in document order": rocks(
        17,
        Page(
            html(
                body='A &lt;link&gt; <link rel="webmention" href="/test/17/webmention"> then an '
                '<a href="/test/17/webmention/error" rel="webmention">&lt;a&gt; tag</a>.'
            )
        ),
        "/test/17/webmention",
    ),
    "18 multiple Link header lines": rocks(
        18,
        Page(
            html(),
            headers=(
                ("Link", f'<{ORIGIN}/test/18/webmention/error>; rel="other"'),
                ("Link", f'<{ORIGIN}/test/18/webmention>; rel="webmention"'),
            ),
        ),
        "/test/18/webmention",
    ),
    "19 one Link header with several comma-separated values": rocks(
        19,
        Page(
            html(),
            headers=link(
                f'<{ORIGIN}/test/19/webmention/error>; rel="other", '
                f'<{ORIGIN}/test/19/webmention>; rel="webmention"'
            ),
        ),
        "/test/19/webmention",
    ),
    "20 <link> without href is skipped": rocks(
        20,
        Page(
            html(
                body='A &lt;link&gt; tag <link rel="webmention"> without href; use '
                '<a href="/test/20/webmention" rel="webmention">this endpoint</a>.'
            )
        ),
        "/test/20/webmention",
    ),
    "21 query string kept": rocks(
        21,
        Page(html('<link rel="webmention" href="/test/21/webmention?query=yes">')),
        "/test/21/webmention?query=yes",
    ),
    "22 URL relative to the path": rocks(
        22, Page(html('<link rel="webmention" href="22/webmention">')), "/test/22/webmention"
    ),
    "23 redirect, then an endpoint relative to the final URL": Case(
        {
            "/test/23/page": Page(status=302, headers=(("Location", "/test/23/page/aBc9"),)),
            "/test/23/page/aBc9": Page(
                html(body='<a rel="webmention" href="webmention-endpoint/aBc9">endpoint</a>')
            ),
        },
        "/test/23/page",
        "/test/23/page/webmention-endpoint/aBc9",
    ),
}

# Further rules of section 3.1.2 and of this module, on the same server.
RULES: dict[str, Case] = {
    "Link header relative to the final URL after a redirect": Case(
        {
            "/moved": Page(status=301, headers=(("Location", "/posts/one"),)),
            "/posts/one": Page(html(), headers=link("<webmention>; rel=webmention")),
        },
        "/moved",
        "/posts/webmention",
    ),
    "rel=webmention not the first relation in the Link header": Case(
        {"/rel-second": Page(html(), headers=link('</wm>; rel="me webmention"'))},
        "/rel-second",
        "/wm",
    ),
    "rel value casing: REL=WebMention": Case(
        {
            "/rel-case": Page(
                html('<link REL="WebMention" href="/wm-html">'),
                headers=link("</wm-header>; REL=WebMention"),
            )
        },
        "/rel-case",
        "/wm-header",
    ),
    "nowebmention and webmentionx are other relations": Case(
        {
            "/near-misses": Page(
                html(
                    '<link rel="nowebmention" href="/error/1"><link rel="webmentionx" '
                    'href="/error/2"><link rel="web-mention" href="/error/3">'
                ),
                headers=link('</error/4>; rel="nowebmention webmentionx"'),
            )
        },
        "/near-misses",
        None,
        "none",
    ),
    "non-HTML with a Link header": Case(
        {
            "/image.png": Page(
                "\x89PNG", content_type="image/png", headers=link("</wm-image>; rel=webmention")
            )
        },
        "/image.png",
        "/wm-image",
    ),
    "non-HTML without a Link header": Case(
        {"/data.json": Page('{"a": 1}', content_type="application/json")},
        "/data.json",
        None,
        "none",
    ),
    "text/plain markup is not searched": Case(
        {"/notes.txt": Page('<link rel="webmention" href="/error">', content_type="text/plain")},
        "/notes.txt",
        None,
        "none",
    ),
    "no Content-Type: not known to be HTML": Case(
        {"/untyped": Page('<link rel="webmention" href="/error">', content_type="")},
        "/untyped",
        None,
        "none",
    ),
    "XHTML is HTML": Case(
        {
            "/page.xhtml": Page(
                html('<link rel="webmention" href="/wm-xhtml" />'),
                content_type="application/xhtml+xml",
            )
        },
        "/page.xhtml",
        "/wm-xhtml",
    ),
    "HTML without any endpoint": Case(
        {"/plain": Page(html(body='<a href="/elsewhere">a link</a>'))}, "/plain", None, "none"
    ),
    "404 with a Link header is broken, not found": Case(
        {"/missing": Page("gone", status=404, headers=link("</wm>; rel=webmention"))},
        "/missing",
        None,
        "broken",
    ),
    "410 is gone": Case({"/deleted": Page("deleted", status=410)}, "/deleted", None, "gone"),
    "500 is a server error": Case(
        {"/crash": Page(html('<link rel="webmention" href="/wm">'), status=500)},
        "/crash",
        None,
        "server-error",
    ),
    "redirect loop": Case(
        {"/loop": Page(status=302, headers=(("Location", "/loop"),))},
        "/loop",
        None,
        "too-many-redirects",
    ),
    "<base href> changes what a relative href means": Case(
        {
            "/based/page": Page(
                html('<link rel="webmention" href="endpoint"><base href="/folder/">')
            )
        },
        "/based/page",
        "/folder/endpoint",
    ),
    "javascript: endpoint first: none, later ones not tried": Case(
        {
            "/script-endpoint": Page(
                html(
                    '<link rel="webmention" href="javascript:alert(1)">',
                    '<a rel="webmention" href="/error">x</a>',
                )
            )
        },
        "/script-endpoint",
        None,
        "none",
    ),
    "mailto: endpoint in the Link header: none, the HTML is not consulted": Case(
        {
            "/mail-endpoint": Page(
                html('<link rel="webmention" href="/error">'),
                headers=link("<mailto:someone@example.com>; rel=webmention"),
            )
        },
        "/mail-endpoint",
        None,
        "none",
    ),
    "query string and fragment kept as advertised": Case(
        {"/query": Page(html('<link rel="webmention" href="/wm?b=2&amp;a=%2F&amp;c#top">'))},
        "/query",
        "/wm?b=2&a=%2F&c#top",
    ),
}


def _serve(page: Page, handler: Handler) -> None:
    handler.reply(page.status, page.body.encode(), page.content_type, list(page.headers))


def _with_origin(page: Page, origin: str) -> Page:
    return Page(
        page.body.replace(ORIGIN, origin),
        page.status,
        tuple((name, value.replace(ORIGIN, origin)) for name, value in page.headers),
        page.content_type,
    )


@pytest.fixture(scope="module")
def server() -> Iterator[HttpServer]:
    with HttpServer() as running:
        origin = running.url("")
        for case in (*ROCKS.values(), *RULES.values()):
            for path, page in case.pages.items():
                assert path not in running.routes, f"two cases serve {path}"
                running.routes[path] = functools.partial(_serve, _with_origin(page, origin))
        yield running


def _options(**overrides: Any) -> HttpOptions:
    settings: dict[str, Any] = {
        "connect_timeout": 1.0,
        "read_timeout": 1.0,
        "deadline": 3.0,
        "allow_networks": (ip_network("127.0.0.0/8"),),
        "retries": 0,
    }
    settings.update(overrides)
    return HttpOptions(**settings)


@pytest.fixture(scope="module")
def client() -> Iterator[HttpClient]:
    with HttpClient(_options()) as http:
        yield http


def _check(server: HttpServer, client: HttpClient, case: Case) -> Discovery:
    result = discover(client, server.url(case.start))
    expected = None if case.expected is None else server.url(case.expected)
    assert (result.status, result.endpoint) == (case.status, expected), result.error
    assert result.target == server.url(case.start)
    assert result.found is (expected is not None)
    assert (result.error == "") is (case.status == "found")
    return result


@pytest.mark.parametrize("case", list(ROCKS.values()), ids=list(ROCKS))
def test_webmention_rocks(server: HttpServer, client: HttpClient, case: Case) -> None:
    _check(server, client, case)


@pytest.mark.parametrize("case", list(RULES.values()), ids=list(RULES))
def test_discovery_rule(server: HttpServer, client: HttpClient, case: Case) -> None:
    _check(server, client, case)


def test_relative_endpoints_resolve_against_the_final_url(
    server: HttpServer, client: HttpClient
) -> None:
    result = _check(
        server, client, ROCKS["23 redirect, then an endpoint relative to the final URL"]
    )
    assert result.final_url == server.url("/test/23/page/aBc9")


def test_discovery_is_one_get_asking_for_html_and_naming_webmention(
    server: HttpServer, client: HttpClient
) -> None:
    before = len(server.requests)
    discover(client, server.url("/test/3"))
    (request,) = server.requests[before:]
    assert (request.method, request.path) == ("GET", "/test/3")
    assert "text/html" in request.headers["accept"]
    assert "Webmention" in request.headers["user-agent"]
    assert request.headers["user-agent"].startswith(client.options.user_agent)


def test_only_an_html_body_is_searched(server: HttpServer, client: HttpClient) -> None:
    result = discover(client, server.url("/notes.txt"))
    assert (result.status, result.endpoint) == ("none", None)
    assert "text/plain is not HTML" in result.error


def test_a_body_too_large_to_read_still_has_its_link_header(server: HttpServer) -> None:
    big = html(body="x" * 5000 + '<a rel="webmention" href="/wm-big">x</a>')
    server.routes["/big-with-header"] = functools.partial(
        _serve, Page(big, headers=link("</wm-header>; rel=webmention"))
    )
    server.routes["/big"] = functools.partial(_serve, Page(big))
    with HttpClient(_options(max_bytes=1000)) as small:
        found = discover(small, server.url("/big-with-header"))
        too_large = discover(small, server.url("/big"))
    assert (found.status, found.endpoint) == ("found", server.url("/wm-header"))
    assert (too_large.status, too_large.endpoint) == ("too-large", None)
    assert "Content-Length" in too_large.error


def test_unreachable_target() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago has no listener now
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    target = f"http://127.0.0.1:{port}/post"
    started = time.monotonic()
    with HttpClient(_options()) as http:
        result = discover(http, target)
    assert (result.status, result.endpoint, result.target) == ("unreachable", None, target)
    assert result.error
    assert time.monotonic() - started < 3


def test_a_private_target_is_refused_before_any_connection() -> None:
    with HttpClient(_options()) as http:
        result = discover(http, "http://10.255.255.1/post")
    assert (result.status, result.endpoint) == ("refused", None)


# --- endpoint_from_headers -------------------------------------------------------------------

BASE = "https://example.com/blog/post?id=7#comments"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        pytest.param(["</wm>; rel=webmention"], "https://example.com/wm", id="unquoted"),
        pytest.param(["</wm>; rel=other webmention"], "https://example.com/wm", id="unquoted-list"),
        pytest.param(['</wm>; rel="webmention"'], "https://example.com/wm", id="quoted"),
        pytest.param(["<wm>;rel=webmention"], "https://example.com/blog/wm", id="path-relative"),
        pytest.param(
            ["<https://other.example/wm>; rel=webmention"],
            "https://other.example/wm",
            id="absolute",
        ),
        pytest.param(["</wm>; REL=WebMention"], "https://example.com/wm", id="casing"),
        pytest.param(['</wm>; rel="other webmention"'], "https://example.com/wm", id="second-rel"),
        pytest.param(['</wm>; rel="webmention other"'], "https://example.com/wm", id="first-rel"),
        pytest.param(['</wm>; rel = "webmention"'], "https://example.com/wm", id="spaces-around-="),
        pytest.param(['</wm>;\trel="\twebmention\t"'], "https://example.com/wm", id="tabs"),
        pytest.param(["</a,b;c=d>; rel=webmention"], "https://example.com/a,b;c=d", id="url-punct"),
        pytest.param(
            ['</x>; title="a, b; rel=webmention", </wm>; rel=webmention'],
            "https://example.com/wm",
            id="rel-inside-a-quoted-title",
        ),
        pytest.param(
            ['</x>; title="say \\"hi\\", </y>; rel=webmention"; rel=other, </wm>; rel=webmention'],
            "https://example.com/wm",
            id="escaped-quotes",
        ),
        pytest.param(
            ["</x>; rel=other, </wm>; rel=webmention, </late>; rel=webmention"],
            "https://example.com/wm",
            id="first-value-in-a-line",
        ),
        pytest.param(
            ["</x>; rel=other", "</wm>; rel=webmention", "</late>; rel=webmention"],
            "https://example.com/wm",
            id="first-line",
        ),
        pytest.param(["</x>, </wm>; rel=webmention"], "https://example.com/wm", id="no-params"),
        pytest.param([", ,</wm>; rel=webmention"], "https://example.com/wm", id="empty-elements"),
        pytest.param(
            ["garbage; rel=webmention", "</wm>; rel=webmention"],
            "https://example.com/wm",
            id="malformed-line-then-good",
        ),
        pytest.param(
            ["</wm?b=2&a=%2F&c>; rel=webmention"], "https://example.com/wm?b=2&a=%2F&c", id="query"
        ),
        pytest.param(["<>; rel=webmention"], "https://example.com/blog/post?id=7", id="empty"),
        pytest.param(
            ["</wm>; rel=webmention; title*=UTF-8''%E2%82%AC"],
            "https://example.com/wm",
            id="star-param",
        ),
    ],
)
def test_link_header_parsing(headers: list[str], expected: str) -> None:
    assert endpoint_from_headers(headers, BASE) == expected


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param([], id="no-headers"),
        pytest.param(["</wm>; rel=other"], id="other-rel"),
        pytest.param(['</wm>; rel="nowebmention webmentionx web-mention"'], id="near-misses"),
        pytest.param(["</wm>; rel=other; rel=webmention"], id="only-the-first-rel-counts"),
        pytest.param(["</wm>; rev=webmention"], id="rev"),
        pytest.param(["</wm>; title=webmention"], id="title"),
        pytest.param(["/wm; rel=webmention"], id="no-brackets"),
        pytest.param(["</wm; rel=webmention"], id="unclosed-bracket"),
        pytest.param(["</x>; rel=other garbage </wm>; rel=webmention"], id="garbage-stops-a-line"),
        pytest.param(
            ["<javascript:alert(1)>; rel=webmention", "</wm>; rel=webmention"],
            id="first-is-not-http",
        ),
        pytest.param(["<mailto:a@example.com>; rel=webmention"], id="mailto"),
        pytest.param(['</wm>; rel="webmention'], id="unterminated-quote"),
        pytest.param(['</wm>; rel=webmention; title="cut'], id="unterminated-quote-after-rel"),
        pytest.param(["<http://[::1/wm>; rel=webmention"], id="invalid-url"),
    ],
)
def test_link_headers_without_a_usable_endpoint(headers: list[str]) -> None:
    assert endpoint_from_headers(headers, BASE) is None


# --- endpoint_from_html ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        pytest.param('<link rel="webmention" href="/wm">', "https://example.com/wm", id="link"),
        pytest.param('<a rel="webmention" href="wm">x</a>', "https://example.com/blog/wm", id="a"),
        pytest.param(
            '<link rel="webmention" href="">',
            "https://example.com/blog/post?id=7",
            id="empty-href-is-the-page-without-fragment",
        ),
        pytest.param(
            '<link rel="webmention" href="  /wm\n">',
            "https://example.com/wm",
            id="spaces-around-href",
        ),
        pytest.param(
            '<link rel=" Other\tWEBMENTION " href="/wm">',
            "https://example.com/wm",
            id="token-casing-and-whitespace",
        ),
        pytest.param(
            '<LINK REL="webmention" HREF="/wm">', "https://example.com/wm", id="uppercase-markup"
        ),
        pytest.param(
            '<link rel="webmention"><a rel="webmention" href="/wm">x</a>',
            "https://example.com/wm",
            id="no-href-skipped",
        ),
        pytest.param(
            '<a rel="webmention" href="/first">x</a><link rel="webmention" href="/late">',
            "https://example.com/first",
            id="a-before-link",
        ),
        pytest.param(
            '<link rel="webmention" href="/wm?a=1&amp;b=%2F&amp;c">',
            "https://example.com/wm?a=1&b=%2F&c",
            id="query-with-entities",
        ),
        pytest.param(
            '<link rel="webmention" href="/wm#frag">',
            "https://example.com/wm#frag",
            id="fragment-of-the-endpoint-kept",
        ),
        pytest.param(
            '<base href="https://cdn.example/docs/"><link rel="webmention" href="wm">',
            "https://cdn.example/docs/wm",
            id="base",
        ),
        pytest.param(
            '<link rel="webmention" href="wm"><base href="/folder/">',
            "https://example.com/folder/wm",
            id="base-after-the-link",
        ),
        pytest.param(
            '<base target="_top"><base href="/first/"><base href="/second/">'
            '<link rel="webmention" href="wm">',
            "https://example.com/first/wm",
            id="first-base-with-href",
        ),
        pytest.param(
            '<base href="/x/"><link rel="webmention" href="">',
            "https://example.com/x/",
            id="empty-href-with-base",
        ),
        pytest.param(
            '<template><base href="/tpl/"></template><link rel="webmention" href="wm">',
            "https://example.com/blog/wm",
            id="base-in-template-ignored",
        ),
        pytest.param(
            '<a rel="x" rel="webmention" href="/error">x</a><a rel="webmention" href="/wm">y</a>',
            "https://example.com/wm",
            id="duplicate-attribute-first-wins",
        ),
        pytest.param(
            '<title><link rel="webmention" href="/error"></title>'
            '<link rel="webmention" href="/wm">',
            "https://example.com/wm",
            id="title-is-text",
        ),
        pytest.param(
            '<script>document.write(\'<link rel="webmention" href="/error">\')</script>'
            '<a rel="webmention" href="/wm">x</a>',
            "https://example.com/wm",
            id="script-is-text",
        ),
        pytest.param(
            '<textarea><a rel="webmention" href="/error"></a></textarea>'
            '<a rel="webmention" href="/wm">x</a>',
            "https://example.com/wm",
            id="textarea-is-text",
        ),
        pytest.param(
            '<template><a rel="webmention" href="/error">x</a></template>'
            '<a rel="webmention" href="/wm">y</a>',
            "https://example.com/wm",
            id="template-contents-are-inert",
        ),
        pytest.param(
            '<svg><a rel="webmention" href="/error">x</a></svg>'
            '<a rel="webmention" href="/wm">y</a>',
            "https://example.com/wm",
            id="svg-a-is-not-html",
        ),
        pytest.param(
            '<map><area rel="webmention" href="/error"></map><a rel="webmention" href="/wm">y</a>',
            "https://example.com/wm",
            id="area-does-not-count",
        ),
        pytest.param(
            '<!--> <a rel="webmention" href="/wm">x</a>',
            "https://example.com/wm",
            id="abruptly-closed-empty-comment",
        ),
        pytest.param(
            '<!-- <a rel="webmention" href="/error"> --!> <a rel="webmention" href="/wm">',
            "https://example.com/wm",
            id="comment-closed-by-bang",
        ),
    ],
)
def test_html_parsing(markup: str, expected: str) -> None:
    assert endpoint_from_html(markup, BASE) == expected


@pytest.mark.parametrize(
    "markup",
    [
        pytest.param("", id="empty"),
        pytest.param('<a href="/wm">x</a>', id="no-rel"),
        pytest.param('<link rel="webmention">', id="no-href"),
        pytest.param('<link rel="nowebmention webmentionx not-webmention" href="/e">', id="near"),
        pytest.param('<link rel="webmention\u00a0x" href="/e">', id="no-break-space-is-no-split"),
        pytest.param('<!-- <link rel="webmention" href="/e"> -->', id="comment"),
        pytest.param('&lt;link rel="webmention" href="/e"&gt;', id="escaped"),
        pytest.param('<div rel="webmention" href="/e"></div>', id="other-element"),
        pytest.param(
            '<link rel="webmention" href="javascript:alert(1)"><a rel="webmention" href="/e">',
            id="javascript-first",
        ),
        pytest.param('<a rel="webmention" href="mailto:a@example.com">x</a>', id="mailto"),
        pytest.param('<a rel="webmention" href="http:///no-host">x</a>', id="no-host"),
    ],
)
def test_html_without_a_usable_endpoint(markup: str) -> None:
    assert endpoint_from_html(markup, BASE) is None


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HttpServer, Path]]:
    """The same cases over https, from a server whose certificate a local CA signed."""
    ca, leaf, key = make_certificates(tmp_path_factory.mktemp("tls"))
    with HttpServer(tls=tls_context(leaf, key)) as running:
        origin = running.url("", scheme="https", host="localhost")
        for case in ROCKS.values():
            for path, page in case.pages.items():
                running.routes[path] = functools.partial(_serve, _with_origin(page, origin))
        yield running, ca


@pytest.mark.parametrize("trusted", [True, False], ids=["ca-trusted", "ca-unknown"])
def test_webmention_rocks_over_https(tls_server: tuple[HttpServer, Path], trusted: bool) -> None:
    """All 23 cases are found over https once the local CA is trusted (`ca_bundle`); without
    it, every one fails as a certificate error, not a traceback."""
    server, ca = tls_server
    options = _options(ca_bundle=str(ca)) if trusted else _options()
    found = 0
    with HttpClient(options) as https:
        for case in ROCKS.values():
            url = server.url(case.start, scheme="https", host="localhost")
            result = discover(https, url)
            expected = server.url(case.expected, scheme="https", host="localhost")
            if (result.status, result.endpoint) == ("found", expected):
                found += 1
            elif trusted:
                pytest.fail(f"{case.start}: {result.status} {result.endpoint} {result.error}")
            else:
                assert "certificate" in result.error.lower(), result.error
    assert found == (len(ROCKS) if trusted else 0)
