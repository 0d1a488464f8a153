"""Tests for `mkdocs_backlinks.http.link_header`, the one RFC 8288 `Link` header parser.

Discovery, the metadata of cited works and JF2 paging all read headers through it; the last
tests check that the first two, given the same hostile headers, see the same links. Inputs are
written raw on purpose: odd and malformed headers are what is under test.
"""

from __future__ import annotations

import pytest

from mkdocs_backlinks.http.link_header import (
    HeaderLink,
    first_with_rel,
    header_text,
    parse_link_headers,
    resolve,
)
from mkdocs_backlinks.webmention.discovery import endpoint_from_headers
from mkdocs_backlinks.works.extract import extract_metadata

BASE = "https://example.com/blog/post?id=7#comments"


def links(*lines: str) -> list[tuple[str, set[str]]]:
    return [(link.target, set(link.rels)) for link in parse_link_headers(lines, BASE)]


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        pytest.param(("</a>; rel=me",), [("/a", {"me"})], id="bare-token"),
        pytest.param(('</a>; rel="me author"',), [("/a", {"me", "author"})], id="quoted-list"),
        pytest.param(
            ("</a>; rel=me author",), [("/a", {"me", "author"})], id="bare-value-runs-to-semicolon"
        ),
        pytest.param(("</a>; REL=ME",), [("/a", {"me"})], id="ascii-case-folded"),
        pytest.param(("</a>; rel=\u212a",), [("/a", {"\u212a"})], id="kelvin-sign-is-not-a-k"),
        pytest.param(
            ("</a>; rel=\u00a0me",), [("/a", {"\u00a0me"})], id="no-break-space-is-no-split"
        ),
        pytest.param(
            ('</a,b;c>; title="x, <y>; rel=me"; rel=next, </z>',),
            [("/a,b;c", {"next"}), ("/z", set())],
            id="commas-and-semicolons-inside-brackets-and-quotes",
        ),
        pytest.param(('</a>; title="say \\"hi\\""; rel=me',), [("/a", {"me"})], id="escaped-quote"),
        pytest.param(("</a>; rel=me; rel=next",), [("/a", {"me"})], id="first-rel-only"),
        pytest.param(("</a>; =x; rel=me",), [("/a", {"me"})], id="empty-parameter-name"),
        pytest.param(("</a>;; rel=me",), [("/a", {"me"})], id="empty-parameter"),
        pytest.param(("</a>, , </b>; rel=me",), [("/a", set()), ("/b", {"me"})], id="empties"),
        pytest.param(
            ("</a>; rel=me", "</b>; rel=next"),
            [("/a", {"me"}), ("/b", {"next"})],
            id="several-lines-in-order",
        ),
        # Stricter than RFC 8288 Appendix B, on purpose (see the module docstring).
        pytest.param(
            ("</a>; rel=me, garbage, </b>; rel=me",), [("/a", {"me"})], id="garbage-ends-a-line"
        ),
        pytest.param(
            ("garbage; rel=x, </me>; rel=me", "</b>; rel=next"),
            [("/b", {"next"})],
            id="a-bad-line-costs-only-itself",
        ),
        pytest.param(('</a>; rel="me',), [], id="unterminated-quote-drops-the-link"),
        pytest.param(
            ('</a>; rel=me, </b>; rel=me; title="cut',),
            [("/a", {"me"})],
            id="unterminated-quote-in-another-parameter",
        ),
        pytest.param(('</a>; rel="me\\',), [], id="backslash-at-the-end"),
        pytest.param(("<" * 50_000,), [], id="unclosed-brackets"),
        pytest.param(("",), [], id="empty-line"),
    ],
)
def test_parse_link_headers(lines: tuple[str, ...], expected: list[tuple[str, set[str]]]) -> None:
    assert links(*lines) == expected


def test_targets_resolve_against_the_response_url() -> None:
    parsed = parse_link_headers(
        ["<wm>; rel=a, </x?q=1>; rel=b, <>; rel=c, <https://o.example/>; rel=d, <http://[::1>"],
        BASE,
    )
    assert [link.url for link in parsed] == [
        "https://example.com/blog/wm",
        "https://example.com/x?q=1",
        "https://example.com/blog/post?id=7",  # "" is the document, without its fragment
        "https://o.example/",
        "",  # no valid URL, but still a link that was advertised
    ]
    assert parsed[0] == HeaderLink("wm", "https://example.com/blog/wm", frozenset({"a"}))


def test_header_lines_are_read_as_the_utf8_servers_send() -> None:
    sent = "</caf\u00e9>; rel=me".encode().decode("latin-1")  # as http.client hands it over
    assert header_text(sent) == "</caf\u00e9>; rel=me"
    assert links(sent) == [("/caf\u00e9", {"me"})]
    assert header_text("\u20ac") == "\u20ac"  # already text: unchanged


def test_first_with_rel() -> None:
    lines = ["</x>; rel=other", '</a>; rel="prev next", </b>; rel=next']
    found = first_with_rel(lines, "next", BASE)
    assert found is not None and found.url == "https://example.com/a"
    assert first_with_rel(lines, "nex", BASE) is None


def test_resolve_follows_the_url_standard_for_spaces() -> None:
    assert resolve("  /wm\n", BASE) == "https://example.com/wm"
    assert resolve("/w\tm", BASE) == "https://example.com/wm"


# --- the readers agree ------------------------------------------------------------------------

HOSTILE = [
    "</a>; rel=me author",
    "</a>; rel=me, garbage, </b>; rel=me",
    "garbage; rel=x, </b>; rel=me",
    '</a>; rel="me',
    '</x>; title="a, </b>; rel=me"; rel=other, </a>; REL=ME',
    "</a>; rel=other; rel=me",
    "</a>; rel=\u00a0me",
]


@pytest.mark.parametrize("header", HOSTILE)
def test_discovery_and_metadata_read_a_header_alike(header: str) -> None:
    """The same header, with `me` swapped for `webmention`, names the same first link to
    discovery as `rel=me` profiles to the metadata reader (they had two parsers that did not
    agree on half of these)."""
    page = "https://example.com/page"
    profiles = extract_metadata("<title>T</title>", page, [header]).contacts.profiles
    parsed = parse_link_headers([header], page)
    assert list(profiles) == list(dict.fromkeys(link.url for link in parsed if "me" in link.rels))
    endpoint = endpoint_from_headers(
        [header.replace("me", "webmention").replace("ME", "WEBMENTION")], page
    )
    assert endpoint == (profiles[0] if profiles else None)
