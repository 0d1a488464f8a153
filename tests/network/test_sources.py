"""Mention sources read from real HTTP servers on 127.0.0.1 (`mkdocs_backlinks.mentions.fetch`).

A small stand-in for webmention.io's API (`MentionsApi`) serves JF2 pages the way the real one
does (`page`, `per-page`, `since_id`, a token that must match); each test changes one thing
about it: a page that fails, a body that is not JSON, a wrong shape, a refused token, a server
that hangs or sends too much. Limits are small so a failing test ends quickly.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from ipaddress import ip_network
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from http_servers import Handler, HttpServer, RawServer, read_request

from mkdocs_backlinks.config import BacklinksConfig
from mkdocs_backlinks.http.client import HttpClient
from mkdocs_backlinks.http.options import HttpOptions
from mkdocs_backlinks.mentions.fetch import apply, fetch_source, prune_gone
from mkdocs_backlinks.mentions.model import MentionsStore, SourceState
from mkdocs_backlinks.mentions.source_types import Jf2Feed, LocalFile, WebmentionIo, parse_source

TOKEN = "s3cr3t-token-value-42"
POST = "https://example.org/blog/posts/hello/"
LOOPBACK = (ip_network("127.0.0.0/8"),)


def entry(wid: int, target: str = POST, kind: str = "like-of", **extra: Any) -> dict[str, Any]:
    source = f"https://fan{wid}.example.net/post/{wid}"
    return {
        "type": "entry",
        "wm-id": wid,
        "wm-source": source,
        "wm-target": target,
        "wm-property": kind,
        "url": source,
        "author": {"type": "card", "name": f"Fan {wid}", "url": f"https://fan{wid}.example.net/"},
        "published": f"2024-01-{1 + wid % 28:02d}T10:00:00Z",
        **extra,
    }


class MentionsApi:
    """webmention.io's /api/mentions.jf2 for one domain: ids ascending, pages of `per-page`."""

    def __init__(self, server: HttpServer, entries: list[dict[str, Any]]) -> None:
        self.entries = entries
        self.broken: dict[int, Callable[[Handler], None]] = {}
        self.queries: list[dict[str, str]] = []
        server.route("/api/mentions.jf2")(self.handle)
        self.url = server.url("/api/mentions.jf2")

    def handle(self, handler: Handler) -> None:
        query = {k: v[0] for k, v in parse_qs(urlsplit(handler.path).query).items()}
        self.queries.append(query)
        if query.get("token") != TOKEN:
            handler.reply(401, b'{"error":"forbidden"}', "application/json")
            return
        page = int(query.get("page", "0"))
        if page in self.broken:
            self.broken[page](handler)
            return
        per_page = int(query.get("per-page", "20"))
        since = int(query.get("since_id", "0"))
        chosen = [e for e in self.entries if e["wm-id"] > since]
        body = {"type": "feed", "children": chosen[page * per_page : (page + 1) * per_page]}
        handler.reply(200, json.dumps(body).encode(), "application/json")


@pytest.fixture
def client() -> Iterator[HttpClient]:
    options = HttpOptions(
        connect_timeout=1.0,
        read_timeout=0.5,
        deadline=2.0,
        allow_networks=LOOPBACK,
        retries=0,
        max_bytes=200_000,
    )
    with HttpClient(options) as running:
        yield running


@pytest.fixture
def token(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("WEBMENTION_IO_TOKEN", TOKEN)
    return TOKEN


def source_for(api: MentionsApi) -> WebmentionIo:
    return WebmentionIo("example.org", api=api.url)


def test_all_pages_then_only_what_is_new(
    server: HttpServer, client: HttpClient, token: str, tmp_path: Path
) -> None:
    api = MentionsApi(server, [entry(i) for i in range(1, 251)])
    source = source_for(api)
    first = fetch_source(client, source, SourceState(), tmp_path)
    assert first.error == "" and first.pages == 3
    assert len(first.mentions) == 250
    assert [q["page"] for q in api.queries] == ["0", "1", "2"]
    assert all(q["sort-dir"] == "up" and q["domain"] == "example.org" for q in api.queries)
    store = apply(MentionsStore(), [first], "2024-05-01T00:00:00Z")
    assert store.sources[source.name].since_id == "250"

    api.entries.append(entry(251, kind="in-reply-to", content={"text": "Nice"}))
    api.queries.clear()
    second = fetch_source(client, source, store.sources[source.name], tmp_path)
    assert [m.id for m in second.mentions] == ["251"]
    assert api.queries[0]["since_id"] == "250"
    store = apply(store, [second], "2024-05-02T00:00:00Z")
    assert len(store.mentions) == 251
    assert store.sources[source.name].since_id == "251"


def test_a_failing_page_keeps_the_pages_read_before(
    server: HttpServer, client: HttpClient, token: str, tmp_path: Path
) -> None:
    api = MentionsApi(server, [entry(i) for i in range(1, 251)])
    api.broken[1] = lambda h: h.reply(500, b"oops", "text/plain")
    source = source_for(api)
    fetched = fetch_source(client, source, SourceState(), tmp_path)
    assert fetched.error.startswith("page 1: HTTP 500")
    assert len(fetched.mentions) == 100
    store = apply(MentionsStore(), [fetched], "t")
    assert len(store.mentions) == 100
    # Oldest first: the unread mentions are all newer than since_id, so they come next time.
    assert store.sources[source.name].since_id == "100"
    del api.broken[1]
    again = fetch_source(client, source, store.sources[source.name], tmp_path)
    assert again.error == ""
    assert len(apply(store, [again], "t").mentions) == 250


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (b"{not json", "application/json", "page 1: the answer is not valid JSON"),
        (b'{"children": "no"}', "application/json", "page 1: not a mentions feed"),
        (b'"a string"', "application/json", "page 1: not a mentions feed"),
        (b"<html>oops</html>", "text/html", "page 1: the answer is not valid JSON"),
    ],
)
def test_bad_page_bodies(
    server: HttpServer,
    client: HttpClient,
    token: str,
    tmp_path: Path,
    body: bytes,
    content_type: str,
    expected: str,
) -> None:
    api = MentionsApi(server, [entry(i) for i in range(1, 151)])
    api.broken[1] = lambda h: h.reply(200, body, content_type)
    fetched = fetch_source(client, source_for(api), SourceState(), tmp_path)
    assert fetched.error.startswith(expected)
    assert len(fetched.mentions) == 100


def test_wrong_entries_are_skipped_and_counted(
    server: HttpServer, client: HttpClient, token: str, tmp_path: Path
) -> None:
    api = MentionsApi(server, [entry(1), entry(2, target="javascript:alert(1)"), entry(3)])
    api.entries.append({"wm-id": 4, "wm-source": 7, "wm-target": POST})
    fetched = fetch_source(client, source_for(api), SourceState(), tmp_path)
    assert fetched.error == ""
    assert [m.id for m in fetched.mentions] == ["1", "3"]
    assert fetched.skipped == 2


def test_a_refused_token_is_named_but_never_shown(
    server: HttpServer, client: HttpClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MY_TOKEN", "wrong-" + TOKEN)
    api = MentionsApi(server, [entry(1)])
    source = WebmentionIo("example.org", token_env="MY_TOKEN", api=api.url)
    fetched = fetch_source(client, source, SourceState(), tmp_path)
    assert "refused the token in $MY_TOKEN (HTTP 401)" in fetched.error
    assert TOKEN not in fetched.error and "wrong-" not in fetched.error
    assert fetched.mentions == []


def test_a_missing_token_variable_is_explained(
    server: HttpServer, client: HttpClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("WEBMENTION_IO_TOKEN", raising=False)
    api = MentionsApi(server, [entry(1)])
    fetched = fetch_source(client, source_for(api), SourceState(), tmp_path)
    assert "WEBMENTION_IO_TOKEN is not set" in fetched.error
    assert api.queries == []  # nothing sent without a token


def test_jf2_feed_follows_next_links_and_stops_on_a_loop(
    server: HttpServer, client: HttpClient, tmp_path: Path
) -> None:
    @server.route("/feed")
    def first(h: Handler) -> None:
        body = {"type": "feed", "children": [entry(1)]}
        h.reply(200, json.dumps(body).encode(), "application/jf2feed+json",
                headers=[("Link", '</feed-2>; rel="next"')])  # fmt: skip

    @server.route("/feed-2")
    def second(h: Handler) -> None:
        body = {"type": "feed", "children": [entry(2)], "next_url": "/feed-3"}
        h.reply(200, json.dumps(body).encode(), "application/json")

    @server.route("/feed-3")
    def third(h: Handler) -> None:
        h.reply(200, json.dumps({"children": [entry(3)]}).encode(), "application/json")

    fetched = fetch_source(client, Jf2Feed(server.url("/feed")), SourceState(), tmp_path)
    assert fetched.error == ""
    assert [m.id for m in fetched.mentions] == ["1", "2", "3"]

    @server.route("/loop")
    def loop(h: Handler) -> None:
        body = {"children": [entry(9)], "next": "/loop"}
        h.reply(200, json.dumps(body).encode(), "application/json")

    looped = fetch_source(client, Jf2Feed(server.url("/loop")), SourceState(), tmp_path)
    assert "loop" in looped.error
    assert [m.id for m in looped.mentions] == ["9"]


@pytest.mark.parametrize(
    "link",
    [
        "</page-2>; rel=next",  # a token needs no quotes (RFC 8288)
        '</page-0>; rel="prev", </page-2>; rel=next',
        '</page-2>; rel=NEXT; title="more"',
        '</page-2>; rel="prev next"',
    ],
)
def test_jf2_next_link_header_in_any_valid_form(
    server: HttpServer, client: HttpClient, tmp_path: Path, link: str
) -> None:
    @server.route("/page-1")
    def first(h: Handler) -> None:
        body = json.dumps({"children": [entry(1)]}).encode()
        h.reply(200, body, "application/json", headers=[("Link", link)])

    @server.route("/page-2")
    def second(h: Handler) -> None:
        h.reply(200, json.dumps({"children": [entry(2)]}).encode(), "application/json")

    fetched = fetch_source(client, Jf2Feed(server.url("/page-1")), SourceState(), tmp_path)
    assert fetched.error == ""
    assert [m.id for m in fetched.mentions] == ["1", "2"]


def test_jf2_other_relations_are_not_next(
    server: HttpServer, client: HttpClient, tmp_path: Path
) -> None:
    @server.route("/only")
    def only(h: Handler) -> None:
        body = json.dumps({"children": [entry(1)]}).encode()
        h.reply(200, body, "application/json", headers=[("Link", '</x>; rel="nextish"')])

    fetched = fetch_source(client, Jf2Feed(server.url("/only")), SourceState(), tmp_path)
    assert fetched.error == "" and [m.id for m in fetched.mentions] == ["1"]
    assert [r.path for r in server.requests] == ["/only"]


def hang(sock: socket.socket, stopping: threading.Event) -> None:
    read_request(sock)
    stopping.wait(30)


@pytest.mark.slow
def test_a_hanging_server_is_bounded(client: HttpClient, tmp_path: Path) -> None:
    with RawServer(hang) as raw:
        started = time.monotonic()
        fetched = fetch_source(client, Jf2Feed(raw.url("/feed")), SourceState(), tmp_path)
        assert time.monotonic() - started < 10
    assert fetched.error.startswith("page 0:")
    assert fetched.mentions == []


def test_a_huge_answer_is_refused(server: HttpServer, client: HttpClient, tmp_path: Path) -> None:
    @server.route("/huge")
    def huge(h: Handler) -> None:
        body = {"children": [entry(1, content={"text": "x" * 400_000})]}
        h.reply(200, json.dumps(body).encode(), "application/json")

    fetched = fetch_source(client, Jf2Feed(server.url("/huge")), SourceState(), tmp_path)
    assert "too-large" in fetched.error
    assert fetched.mentions == []


def test_local_files(tmp_path: Path, client: HttpClient) -> None:
    (tmp_path / "good.json").write_text(json.dumps({"children": [entry(1), entry(2)]}))
    (tmp_path / "bad.json").write_text("{nope")
    good = fetch_source(client, LocalFile("good.json"), SourceState(), tmp_path)
    assert [m.id for m in good.mentions] == ["1", "2"] and good.error == ""
    bad = fetch_source(client, LocalFile("bad.json"), SourceState(), tmp_path)
    assert "bad.json is not valid JSON" in bad.error
    missing = fetch_source(client, LocalFile("gone.json"), SourceState(), tmp_path)
    assert "gone.json does not exist" in missing.error
    # A file keeps no fetch state, and its mentions are merged like any others.
    store = apply(MentionsStore(), [good, bad, missing], "t")
    assert len(store.mentions) == 2 and store.sources == {}


def test_prune_drops_only_sources_that_are_gone(server: HttpServer, client: HttpClient) -> None:
    server.route("/alive")(lambda h: h.reply(200, b"<p>hi</p>"))
    server.route("/gone")(lambda h: h.reply(410, b"gone"))
    server.route("/down")(lambda h: h.reply(503, b"later"))
    feed = [
        dict(entry(1), **{"wm-source": server.url("/alive")}),
        dict(entry(2), **{"wm-source": server.url("/gone")}),
        dict(entry(3), **{"wm-source": server.url("/down")}),
    ]
    from mkdocs_backlinks.mentions.feed import parse_feed

    mentions, _ = parse_feed(feed)
    pruned, removed = prune_gone(client, MentionsStore(tuple(mentions)))
    assert [m.id for m in removed] == ["2"]
    assert sorted(m.id for m in pruned.mentions) == ["1", "3"]


# ----------------------------------------------------------------------------- config


@pytest.mark.parametrize(
    ("sources", "expected"),
    [
        ("https://x.example/", "Expected a list of sources"),
        ([{"jf2": "ftp://x.example/feed"}], "item 1 (jf2) must be an http(s) URL"),
        ([{"rss": "https://x.example/"}], "item 1 has unknown kind 'rss'"),
        ([{"file": ""}], "item 1 (file) must be a path"),
        ([{"webmention_io": "example.org"}], "must be a mapping with domain and token_env"),
        ([{"webmention_io": {"domain": "https://example.org/"}}], "domain must be a domain"),
        ([{"webmention_io": {"domain": "example.org", "token": "abc"}}], "unknown key(s) token"),
        ([{"webmention_io": {"domain": "example.org", "token_env": "a b"}}], "token_env must"),
        ([{"jf2": "https://x.example/feed?token=abc"}], "must not carry a token"),
        (
            [{"webmention_io": {"domain": "example.org", "api": "http://wm.example/api"}}],
            "item 1 (webmention_io) api must use https",
        ),
        ([{"file": "a.json"}, {"file": "a.json"}], "Source listed twice: file:a.json"),
        ([{"file": "a.json", "jf2": "https://x.example/"}], "item 1 must be one of"),
    ],
)
def test_bad_sources_name_the_option(sources: object, expected: str) -> None:
    config = BacklinksConfig()
    config.load_dict({"mentions": {"sources": sources}})
    failed, _ = config.validate()
    assert [key for key, _ in failed] == ["mentions"]
    assert expected in str(failed[0][1])


@pytest.mark.parametrize("host", ["127.0.0.1:8123", "localhost", "[::1]:9"])
def test_a_webmention_io_api_may_use_plain_http_only_on_this_machine(host: str) -> None:
    """The token travels in the query string, so plain http is accepted only where it never
    leaves the machine: a receiver run locally, or a test server."""
    config = BacklinksConfig()
    api = f"http://{host}/api/mentions.jf2"
    config.load_dict(
        {"mentions": {"sources": [{"webmention_io": {"domain": "a.org", "api": api}}]}}
    )
    failed, _ = config.validate()
    assert failed == []


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"avatars": "inline"}, "avatars"),
        ({"aliases": ["not a domain"]}, "aliases"),
        ({"timeout": 0}, "timeout"),
        ({"timeout": "soon"}, "timeout"),
        ({"timeout": float("inf")}, "finite"),
        ({"timeout": float("nan")}, "timeout"),
        ({"sourcse": []}, "Did you mean 'sources'?"),
    ],
)
def test_bad_mentions_options(options: dict[str, Any], expected: str) -> None:
    config = BacklinksConfig()
    config.load_dict({"mentions": options})
    failed, _ = config.validate()
    assert [key for key, _ in failed] == ["mentions"]
    assert expected in str(failed[0][1])


def test_good_sources_are_typed() -> None:
    config = BacklinksConfig()
    config.load_dict(
        {
            "mentions": {
                "sources": [
                    {"webmention_io": {"domain": "Example.org"}},
                    {"jf2": "https://x.example/feed"},
                    {"file": "mentions/export.json"},
                ],
                "aliases": ["old.example.org", "https://example.net/blog/"],
                "timeout": 5,
            }
        }
    )
    failed, _ = config.validate()
    assert failed == []
    assert config.mentions.sources == (
        WebmentionIo("example.org"),
        Jf2Feed("https://x.example/feed"),
        LocalFile("mentions/export.json"),
    )
    assert config.mentions.aliases == ("https://old.example.org", "https://example.net/blog/")
    assert config.mentions.timeout == 5.0
    parsed = parse_source({"webmention_io": {"domain": "a.example"}})
    assert parsed.name == "webmention.io:a.example"


@pytest.mark.parametrize(
    ("header", "body"),
    [
        pytest.param("<http://[::1/feed-2>; rel=next", {}, id="link-header"),
        pytest.param("", {"next_url": "http://[::1/feed-2"}, id="next_url"),
        pytest.param("<mailto:feed@example.org>; rel=next", {}, id="not-http"),
    ],
)
def test_jf2_next_link_that_is_no_usable_url_ends_with_an_error(
    server: HttpServer, client: HttpClient, tmp_path: Path, header: str, body: dict[str, Any]
) -> None:
    """A next link naming no valid URL (an unclosed IPv6 bracket) is an error for this source,
    with the page read kept; it used to escape `fetch_source` as a ValueError."""

    @server.route("/bad-next")
    def page(h: Handler) -> None:
        data = json.dumps({"children": [entry(1)], **body}).encode()
        h.reply(200, data, "application/json", headers=[("Link", header)] if header else [])

    fetched = fetch_source(client, Jf2Feed(server.url("/bad-next")), SourceState(), tmp_path)
    assert "the next link is not an http(s) URL" in fetched.error
    assert [m.id for m in fetched.mentions] == ["1"]
    assert [r.path for r in server.requests] == ["/bad-next"]
