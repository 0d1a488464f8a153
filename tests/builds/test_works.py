"""Cited works' metadata during real builds, against real servers on 127.0.0.1.

Each site cites pages of a local server (`allow_networks: [127.0.0.0/8]`); the server records
every request, so "no request" is counted, not assumed.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import socket
import time
from collections.abc import Iterator
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.exceptions import Abort

from mkdocs_backlinks.ledger.file import load_ledger, metadata_in, save_ledger
from mkdocs_backlinks.ledger.format import dumps
from mkdocs_backlinks.ledger.gather import Observed, merge_build, observed_digest
from mkdocs_backlinks.ledger.model import Ledger
from mkdocs_backlinks.works.cache import CACHE_FILE, CacheEntry, MetadataCache
from mkdocs_backlinks.works.model import Routes, WorkMeta, meta_from_record
from tests.conftest import MakeSite, Site
from tests.http_servers import Handler, HttpServer, RawServer, Resolver

POST = """<!doctype html><html><head><title>Ignored document title</title>
<meta property="og:site_name" content="Ada's Notebook"></head><body>
<article class="h-entry"><h1 class="p-name">On Citing Well</h1>
<a class="p-author h-card" href="/about">Ada Lovelace</a>
<div class="e-content">Credit people.</div></article>
<a rel="me" href="https://social.example/@ada">me elsewhere</a>
<a rel="me" href="mailto:ada@example.org">mail</a>
</body></html>"""

CANONICAL = """<!doctype html><html><head><title>Moved Post</title>
<link rel="canonical" href="/canonical-home"><meta name="author" content="Grace Hopper">
</head><body><p>Moved.</p></body></html>"""

MOVED_AWAY = """<!doctype html><html><head><title>Moved Away</title>
<link rel="canonical" href="http://localhost/new-home"></head><body><p>Moved.</p></body></html>"""

HOSTILE = (
    "<!doctype html><html><head><title>"
    + "&lt;script&gt;alert(1)&lt;/script&gt; "
    + "x" * 5000
    + '</title></head><body><article class="h-entry"><span class="p-name">'
    "<script>alert(2)</script>Evil <img src=x onerror=alert(3)> title</span>"
    '<a class="p-author h-card" href="javascript:alert(4)">'
    "<b onmouseover=alert(5)>Mallory</b></a></article></body></html>"
)


@pytest.fixture
def server() -> Iterator[HttpServer]:
    with HttpServer() as srv:

        @srv.route("/post")
        def post(h: Handler) -> None:
            if h.headers.get("If-None-Match") == '"v1"':
                h.reply(304, b"", content_type="")
                return
            h.reply(
                200,
                POST.encode(),
                headers=[("ETag", '"v1"'), ("Link", '</webmention>; rel="webmention"')],
            )

        @srv.route("/removed")
        def removed(h: Handler) -> None:
            h.reply(410, b"gone")

        @srv.route("/old")
        def old(h: Handler) -> None:
            h.redirect("/moved", 301)

        @srv.route("/moved")
        def moved(h: Handler) -> None:
            h.reply(200, CANONICAL.encode())

        @srv.route("/moved-away")
        def moved_away(h: Handler) -> None:
            h.reply(200, MOVED_AWAY.encode())

        @srv.route("/hostile")
        def hostile(h: Handler) -> None:
            h.reply(200, HOSTILE.encode())

        yield srv


def options(**extra: Any) -> dict[str, Any]:
    return {
        "allow_networks": ["127.0.0.0/8"],
        "metadata": {"timeout": 2, "deadline": 10, **extra.pop("metadata", {})},
        **extra,
    }


def citing(*urls: str) -> dict[str, str]:
    links = " ".join(f"See [link {i}]({url})." for i, url in enumerate(urls))
    return {"index.md": f"# Home\n\n{links}\n", "other.md": f"# Other\n\nAlso [it]({urls[0]}).\n"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # nothing listens there once the socket is closed


class Credits(HTMLParser):
    """The credits section as data: each work's classes, links, text, and any raw markup."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.depth = 0
        self.items: list[dict[str, Any]] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "section" and "backlinks-credits" in (found.get("class") or ""):
            self.inside = True
        if not self.inside:
            return
        self.tags.append((tag, found))
        if tag == "li" and self.depth >= 1:
            self.items.append({"class": found.get("class") or "", "links": [], "text": ""})
        if tag == "ul":
            self.depth += 1
        if tag == "a" and self.items:
            self.items[-1]["links"].append(found.get("href"))

    def handle_endtag(self, tag: str) -> None:
        if self.inside and tag == "section":
            self.inside = False
        if self.inside and tag == "ul":
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.inside and self.items:
            self.items[-1]["text"] += data


def credits(site: Site, page: str = "index.html") -> Credits:
    parser = Credits()
    parser.feed(site.html(page))
    return parser


def work_items(parsed: Credits) -> list[dict[str, Any]]:
    return [item for item in parsed.items if item["links"]]


def ledger_meta(site: Site) -> dict[str, Any]:
    ledger = load_ledger(site.root / "backlinks" / "ledger.json")
    return {url: work.meta for url, work in ledger.works.items()}


def warnings_in(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The build's warnings about cited works (these test sites set no site_url nor author,
    which the outreach notes warn about on their own: `test_notes`)."""
    prefix = "mkdocs_backlinks: "
    return [
        r.getMessage().removeprefix(prefix)
        for r in caplog.records
        if r.levelno == logging.WARNING and "Outreach notes" not in r.getMessage()
    ]


def page_requests(server: HttpServer) -> list[str]:
    return [r.path for r in server.requests if r.path != "/webmention"]


# ----------------------------------------------------------------------------- what is shown


def test_titles_authors_and_routes_from_the_cited_pages(
    make_site: MakeSite, server: HttpServer
) -> None:
    post = server.url("/post")
    site = make_site(citing(post), options())
    site.build()
    items = work_items(credits(site))
    assert len(items) == 1
    text = " ".join(items[0]["text"].split())
    assert text == "On Citing Well by Ada Lovelace"
    assert items[0]["links"] == [post, server.url("/about")]
    meta = ledger_meta(site)[post]
    assert (meta.status, meta.title, meta.author, meta.site_name) == (
        "ok",
        "On Citing Well",
        "Ada Lovelace",
        "Ada's Notebook",
    )
    assert meta.routes.webmention == server.url("/webmention")
    assert meta.routes.profiles == ("https://social.example/@ada",)
    assert meta.routes.emails == ("ada@example.org",)
    report = json.loads((site.root / "backlinks" / "outreach.json").read_text())
    (row,) = report["contacts"]
    assert row["best_route"] == {"kind": "webmention", "url": server.url("/webmention")}
    assert [r["kind"] for r in row["routes"]] == ["webmention", "email", "profile", "site"]
    assert row["email"] == "ada@example.org"
    assert row["works"][0]["title"] == "On Citing Well"
    assert '"On Citing Well"' in row["note"]["body"]
    assert row["name"] == "Ada Lovelace"
    assert row["note"]["body"].startswith("Hi Ada,")  # the name she goes by (#15)
    assert "Best route: webmention" in (site.root / "backlinks" / "outreach.md").read_text()
    assert page_requests(server) == ["/post"]  # one request, although two pages cite it


@pytest.mark.slow
def test_broken_and_gone_are_flagged_warned_and_listed(
    make_site: MakeSite, server: HttpServer, caplog: pytest.LogCaptureFixture
) -> None:
    missing, removed = server.url("/missing"), server.url("/removed")
    site = make_site(
        citing(missing, removed),
        options(strings={"broken_label": "dead link", "gone_label": "removed"}),
    )
    with caplog.at_level(logging.WARNING):
        site.build()
    items = work_items(credits(site))
    by_href = {item["links"][0]: item for item in items}
    assert "backlinks-credits__work--broken" in by_href[missing]["class"]
    # The label is a badge of its own after the title (styled by the stylesheet).
    assert by_href[missing]["text"].split() == ["link", "0", "dead", "link"]
    assert "backlinks-credits__work--gone" in by_href[removed]["class"]
    assert by_href[removed]["text"].split()[-1] == "removed"
    warnings = warnings_in(caplog)
    assert warnings == [
        f"Cited work {missing} is broken; cited in index.md, other.md",
        f"Cited work {removed} is gone (HTTP 410); cited in index.md",
    ]
    report = json.loads((site.root / "backlinks" / "outreach.json").read_text())
    assert [(b["url"], b["status"]) for b in report["broken"]] == [
        (missing, "broken"),
        (removed, "gone"),
    ]
    assert report["summary"]["broken"] == 2
    assert "## Broken citations" in (site.root / "backlinks" / "outreach.md").read_text()
    # Known dead from the cache, the next build warns again: --strict keeps failing until fixed.
    requests_before = len(server.requests)
    result = site.run_cli("--strict")
    assert result.returncode == 1
    assert f"Cited work {missing} is broken" in result.stderr
    assert len(server.requests) == requests_before  # within failure_ttl: from the cache


def test_redirect_and_canonical(make_site: MakeSite, server: HttpServer) -> None:
    old = server.url("/old")
    site = make_site(citing(old), options())
    site.build()
    meta = ledger_meta(site)[old]
    assert meta.status == "redirected"
    assert meta.final_url == server.url("/canonical-home")
    assert meta.author == "Grace Hopper"
    item = work_items(credits(site))[0]
    assert "Moved Post" in item["text"] and "Grace Hopper" in item["text"]
    assert item["links"] == [old]  # the author's href stays
    assert "--" not in item["class"]


def test_an_address_and_its_new_home_on_another_site_are_one_credit(
    make_site: MakeSite, server: HttpServer
) -> None:
    """The check learns that the cited page now lives on another host (its canonical URL);
    the page also cites that new address: one work, under the site cited first."""
    old, new = server.url("/moved-away"), "http://localhost/new-home"
    pages = {"index.md": f"# Home\n\nSee [the old]({old}), then [the new]({new}).\n"}
    site = make_site(pages, options(allow_networks=["127.0.0.0/8", "::1/128"]))
    site.build()
    assert ledger_meta(site)[old].final_url == new
    (item,) = work_items(credits(site))
    assert item["links"] == [old]
    assert "Moved Away" in item["text"] and "(cited 2 times)" in item["text"]


@pytest.mark.slow
def test_unreachable_is_one_warning_and_the_build_goes_on(
    make_site: MakeSite, caplog: pytest.LogCaptureFixture
) -> None:
    dead = [f"http://127.0.0.1:{free_port()}/a", f"http://127.0.0.1:{free_port()}/b"]
    site = make_site(citing(*dead), options())
    with caplog.at_level(logging.WARNING):
        site.build()
    warnings = warnings_in(caplog)
    assert len(warnings) == 1
    assert warnings[0].startswith("Could not check 2 cited works:")
    assert [" ".join(i["text"].split()) for i in work_items(credits(site))] == ["link 0", "link 1"]
    assert not (site.root / ".cache" / "backlinks" / CACHE_FILE).exists()  # nothing to keep
    assert site.run_cli("--strict").returncode == 1


@pytest.mark.slow
def test_a_work_that_fails_later_keeps_what_was_learned(
    make_site: MakeSite, server: HttpServer, caplog: pytest.LogCaptureFixture
) -> None:
    answer = {"status": 200}

    @server.route("/flaky")
    def flaky(h: Handler) -> None:
        h.reply(answer["status"], POST.encode() if answer["status"] == 200 else b"no")

    url = server.url("/flaky")
    site = make_site(citing(url), options(metadata={"ttl": 0, "failure_ttl": 0}))
    site.build()
    answer["status"] = 500  # a bad moment: says nothing about the work
    with caplog.at_level(logging.WARNING):
        site.build()
    assert warnings_in(caplog) == [
        f"Could not check 1 cited work: {url} (server-error). The build used stored metadata; "
        "check the network, or build with offline: true (or MKDOCS_BACKLINKS_OFFLINE=1)."
    ]
    assert ledger_meta(site)[url].status == "ok"
    assert "On Citing Well" in site.html("index.html")
    answer["status"] = 404  # now it is gone for real: flagged, the title stays
    site.build()
    meta = ledger_meta(site)[url]
    assert (meta.status, meta.title) == ("broken", "On Citing Well")
    item = work_items(credits(site))[0]
    assert "backlinks-credits__work--broken" in item["class"]
    assert "On Citing Well" in item["text"]
    answer["status"] = 200  # fixed on their side: the flag goes
    site.build()
    assert ledger_meta(site)[url].status == "ok"
    assert "--broken" not in work_items(credits(site))[0]["class"]


@pytest.mark.slow
def test_private_addresses_are_not_checked_and_not_a_warning(
    make_site: MakeSite, server: HttpServer, caplog: pytest.LogCaptureFixture
) -> None:
    site = make_site(  # sendable notes, so the only warnings would be the works'
        citing(server.url("/post"), "https://192.168.1.1/"),
        {"metadata": {}},
        site_url="https://me.example/",
        site_author="Pat",
    )
    with caplog.at_level(logging.INFO):
        site.build()
    assert warnings_in(caplog) == []
    # A link to this machine or a private network is no one's work: not a citation at all,
    # so there is nothing to check.
    assert work_items(credits(site)) == []
    assert site.graph()["pages"]["index.md"]["citations"] == []
    assert server.requests == []
    assert site.run_cli("--strict").returncode == 0


@pytest.mark.slow
def test_hanging_server_does_not_hang_the_build(
    make_site: MakeSite, caplog: pytest.LogCaptureFixture
) -> None:
    def hang(sock: socket.socket, stopping: Any) -> None:
        sock.recv(4096)
        stopping.wait(30)

    with RawServer(hang) as raw:
        site = make_site(citing(raw.url("/slow")), options(metadata={"timeout": 5, "deadline": 1}))
        started = time.monotonic()
        with caplog.at_level(logging.WARNING):
            site.build()
        assert time.monotonic() - started < 10
        assert "no answer within metadata.deadline" in caplog.text
        assert work_items(credits(site))  # the page was still built, with the anchor text
        # The whole process, too, ends soon after: a fetch still running at the deadline is
        # cut off by its own `timeout`.
        config = yaml.safe_load(site.config_file.read_text())
        config["plugins"][0]["backlinks"]["metadata"]["timeout"] = 2
        site.config_file.write_text(yaml.safe_dump(config))
        started = time.monotonic()
        result = site.run_cli()
        assert time.monotonic() - started < 20
        assert result.returncode == 0 and "no answer within metadata.deadline" in result.stderr


def test_hostile_metadata_never_becomes_markup(make_site: MakeSite, server: HttpServer) -> None:
    site = make_site(citing(server.url("/hostile")), options())
    site.build()
    parsed = credits(site)
    assert {tag for tag, _ in parsed.tags} <= {"section", "h2", "ul", "li", "span", "a", "small"}
    for _tag, attrs in parsed.tags:
        assert not any(name.startswith("on") for name in attrs)
        href = attrs.get("href") or ""
        assert not href.lower().startswith("javascript")
    item = work_items(parsed)[0]
    assert "Evil" in item["text"] and "alert(2)" not in item["text"]
    assert "Mallory" in item["text"]
    assert len(item["text"]) < 1000  # a 5,000-character title is bounded
    assert item["links"] == [server.url("/hostile")]  # no author link: it was javascript:


# ----------------------------------------------------------------------------- requests


def test_warm_rebuild_makes_no_request_and_writes_nothing(
    make_site: MakeSite, server: HttpServer
) -> None:
    site = make_site(citing(server.url("/post"), server.url("/missing")), options())
    site.build()
    assert len(page_requests(server)) == 2
    cache = site.root / ".cache" / "backlinks" / CACHE_FILE
    ledger = site.root / "backlinks" / "ledger.json"
    before = {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in (cache, ledger)}
    site.build()
    assert len(page_requests(server)) == 2
    after = {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in (cache, ledger)}
    assert after == before
    assert "On Citing Well" in site.html("index.html")


def test_expired_ttl_asks_conditionally_and_304_keeps_the_data(
    make_site: MakeSite, server: HttpServer
) -> None:
    post = server.url("/post")
    site = make_site(citing(post), options(metadata={"ttl": 0}))
    site.build()
    ledger = site.root / "backlinks" / "ledger.json"
    first = ledger.read_bytes()
    site.build()
    posts = [r for r in server.requests if r.path == "/post"]
    assert len(posts) == 2
    assert "if-none-match" not in posts[0].headers
    assert posts[1].headers["if-none-match"] == '"v1"'
    assert ledger.read_bytes() == first  # same values, same date: the ledger is untouched
    assert ledger_meta(site)[post].title == "On Citing Well"
    assert "On Citing Well" in site.html("index.html")


def test_refresh_env_asks_again_within_the_ttl(
    make_site: MakeSite, server: HttpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = make_site(citing(server.url("/post")), options())
    site.build()
    monkeypatch.setenv("MKDOCS_BACKLINKS_REFRESH", "1")
    site.build()
    assert page_requests(server) == ["/post", "/post"]


@pytest.mark.parametrize("how", ["option", "env"])
def test_offline_makes_no_request_and_uses_the_ledger(
    make_site: MakeSite,
    server: HttpServer,
    monkeypatch: pytest.MonkeyPatch,
    how: str,
) -> None:
    site = make_site(citing(server.url("/post")), options())
    site.build()
    (site.root / ".cache").rename(site.root / "old-cache")  # a fresh clone: ledger only
    if how == "env":
        monkeypatch.setenv("MKDOCS_BACKLINKS_OFFLINE", "1")
    else:
        config = yaml.safe_load(site.config_file.read_text())
        config["plugins"][0]["backlinks"]["offline"] = True
        site.config_file.write_text(yaml.safe_dump(config))
    site.build()
    assert page_requests(server) == ["/post"]
    assert "On Citing Well" in site.html("index.html")


def test_offline_option_in_mkdocs_yml(make_site: MakeSite, server: HttpServer) -> None:
    site = make_site(citing(server.url("/post")), options(offline=True))
    site.build()
    assert server.requests == []
    assert "On Citing Well" not in site.html("index.html")  # nothing stored yet: anchor text


def serve_build(site: Site) -> None:
    config = load_config(str(site.config_file))
    config.plugins.on_startup(command="serve", dirty=False)
    try:
        build(config, serve_url="http://127.0.0.1:8000/")
    finally:
        config.plugins.on_shutdown()


def test_serve_makes_no_request_unless_asked(make_site: MakeSite, server: HttpServer) -> None:
    site = make_site(citing(server.url("/post")), options())
    serve_build(site)
    assert server.requests == []
    asked = make_site(citing(server.url("/post")), options(metadata={"on_serve": True}))
    serve_build(asked)
    assert page_requests(server) == ["/post"]
    assert "On Citing Well" in asked.html("index.html")


def test_metadata_disabled_makes_no_request(make_site: MakeSite, server: HttpServer) -> None:
    site = make_site(citing(server.url("/post")), options(metadata={"enabled": False}))
    site.build()
    assert server.requests == []


# ----------------------------------------------------------------------------- storage


def test_corrupt_cache_is_dropped_and_rebuilt(
    make_site: MakeSite, server: HttpServer, caplog: pytest.LogCaptureFixture
) -> None:
    site = make_site(citing(server.url("/post")), options())
    cache = site.root / ".cache" / "backlinks" / CACHE_FILE
    cache.parent.mkdir(parents=True)
    cache.write_text('{"schema": "mkdocs-backlinks/metadata-cache", "version": 1, "entr')
    with caplog.at_level(logging.INFO):
        site.build()
    assert "Ignoring the metadata cache" in caplog.text
    assert json.loads(cache.read_text())["entries"][server.url("/post")]["outcome"] == "ok"
    assert "On Citing Well" in site.html("index.html")


def test_cache_forgets_works_no_longer_cited_once_stale(
    make_site: MakeSite, server: HttpServer
) -> None:
    site = make_site(citing(server.url("/post")), options(metadata={"ttl": 0}))
    site.build()
    site.write("index.md", f"# Home\n\nNow [this]({server.url('/moved')}).\n")
    site.write("other.md", "# Other\n")
    site.build()
    cache = json.loads((site.root / ".cache" / "backlinks" / CACHE_FILE).read_text())
    assert list(cache["entries"]) == [server.url("/moved")]


def test_without_outreach_titles_come_from_the_cache(
    make_site: MakeSite, server: HttpServer
) -> None:
    site = make_site(citing(server.url("/post")), options(outreach={"enabled": False}))
    site.build()
    site.build()
    assert page_requests(server) == ["/post"]
    assert "On Citing Well" in site.html("index.html")
    assert not (site.root / "backlinks").exists()  # the ledger belongs to outreach


def test_sections_of_a_cited_work_that_is_not_html(make_site: MakeSite, server: HttpServer) -> None:
    @server.route("/paper.pdf")
    def pdf(h: Handler) -> None:
        h.reply(200, b"%PDF-1.4", content_type="application/pdf")

    site = make_site(citing(server.url("/paper.pdf")), options())
    site.build()
    assert ledger_meta(site)[server.url("/paper.pdf")].status == "ok"
    item = work_items(credits(site))[0]
    assert " ".join(item["text"].split()) == "link 0"  # anchor text, not flagged


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ({"ttl": -1}, "metadata"),
        ({"ttl": "week"}, "metadata"),
        ({"deadline": 0}, "metadata"),
        ({"concurrency": 0}, "metadata"),
        ({"tll": 3}, "Did you mean 'ttl'?"),
        # An endless timeout would let one hanging server keep the process alive for ever,
        # an endless deadline made the build end in a traceback (OverflowError).
        ({"timeout": float("inf")}, "'timeout'"),
        ({"deadline": float("inf")}, "'deadline'"),
        ({"ttl": float("nan")}, "'ttl'"),
        ({"concurrency": True}, "'concurrency'"),
        ({"per_host": True}, "'per_host'"),
    ],
)
@pytest.mark.slow
def test_bad_metadata_options_name_the_option(
    make_site: MakeSite, metadata: dict[str, Any], message: str
) -> None:
    site = make_site({"index.md": "# Home\n"}, {"metadata": metadata})
    result = site.run_cli()
    assert result.returncode != 0
    assert message in result.stderr
    assert "metadata" in result.stderr


def test_cache_lives_beside_mkdocs_yml(make_site: MakeSite, server: HttpServer) -> None:
    site = make_site(citing(server.url("/post")), options(cache_dir="cache-here"))
    site.build()
    assert (site.root / "cache-here" / CACHE_FILE).exists()
    assert not Path(site.site_dir / "cache-here").exists()


# ----------------------------------------------------------------------------- units

SEEN = [Observed("https://ada.example/post", "index.md", "Home", "https://me.example/", "t", "c")]
META = WorkMeta(
    status="ok",
    title="On Citing Well",
    author="Ada",
    author_url="https://ada.example/",
    site_name="Notebook",
    checked="2024-03-01",
    routes=Routes(("ada@ada.example",), ("https://social.example/@ada",), "https://wm.example/"),
)


def test_ledger_round_trips_metadata_and_routes(tmp_path: Path) -> None:
    ledger = merge_build(Ledger(), SEEN, "2024-03-01", metadata={SEEN[0].url: META})
    path = tmp_path / "ledger.json"
    save_ledger(path, ledger)
    loaded = load_ledger(path)
    assert loaded.works[SEEN[0].url].meta == META
    assert loaded.contacts["ada.example"].routes == META.routes
    assert dumps(loaded) == path.read_text()


def test_old_ledgers_load_and_keep_their_bytes(tmp_path: Path) -> None:
    old = merge_build(Ledger(), SEEN, "2024-03-01")
    text = dumps(old)
    assert '"meta"' not in text and '"routes"' not in text
    path = tmp_path / "ledger.json"
    path.write_text(text)
    loaded = load_ledger(path)
    assert loaded.works[SEEN[0].url].meta == WorkMeta()
    assert dumps(loaded) == text
    # The fast path's digest is the same as before metadata existed.
    assert observed_digest(SEEN) == observed_digest(SEEN, {})
    assert observed_digest(SEEN) != observed_digest(SEEN, {SEEN[0].url: META})


def test_stored_metadata_is_read_leniently_and_bounded() -> None:
    meta = meta_from_record(
        {
            "status": "exploded",
            "title": "T" * 10_000,
            "author": ["not", "text"],
            "author_url": "javascript:alert(1)",
            "final_url": 'https://ok.example/"><script>',
            "emails": ["mailto:x@y.z", "a@b.c", 3],
            "profiles": ["data:text/html,hi", "https://p.example/"],
            "webmention": "ftp://w.example/",
        }
    )
    assert meta.status == "" and meta.author == "" and meta.author_url == ""
    assert len(meta.title) == 300 and meta.title.endswith("\u2026")
    assert meta.final_url == ""
    assert meta.routes == Routes(("a@b.c",), ("https://p.example/",), "")


def test_merge_keeps_the_date_when_values_are_the_same() -> None:
    first = merge_build(Ledger(), SEEN, "2024-03-01", metadata={SEEN[0].url: META})
    again = replace(META, checked="2024-04-01")
    second = merge_build(first, SEEN, "2024-04-01", metadata={SEEN[0].url: again})
    assert second.works[SEEN[0].url].meta.checked == "2024-03-01"
    changed = replace(again, title="New title")
    third = merge_build(second, SEEN, "2024-04-01", metadata={SEEN[0].url: changed})
    assert third.works[SEEN[0].url].meta == changed
    # A build that learned nothing keeps what the ledger knew.
    assert merge_build(third, SEEN, "2024-04-02").works[SEEN[0].url].meta == changed


def test_best_route_order() -> None:
    assert META.routes.best() == ("webmention", "https://wm.example/")
    assert Routes(("a@b.c",), ("https://p.example/",)).best() == ("email", "a@b.c")
    assert Routes((), ("https://p.example/",)).best() == ("profile", "https://p.example/")
    assert Routes().best() is None


def test_cache_freshness() -> None:
    good = CacheEntry("https://x.example/", 1000.0, "ok", META)
    bad = CacheEntry("https://x.example/", 1000.0, "broken", META)
    assert good.fresh(1000.0 + 99, ttl=100, failure_ttl=10)
    assert not good.fresh(1000.0 + 100, ttl=100, failure_ttl=10)
    assert not bad.fresh(1000.0 + 11, ttl=100, failure_ttl=10)
    assert not good.fresh(999.0, ttl=100, failure_ttl=10)  # a clock set back: ask again


@pytest.mark.parametrize(
    "text",
    ["", "[]", '{"schema": "other"}', '{"schema": "mkdocs-backlinks/metadata-cache", "version": 9}',
     '{"schema": "mkdocs-backlinks/metadata-cache", "version": 1, "entries": {"u": {}}}',
     "\xff\xfe not utf-8"],
)  # fmt: skip
def test_damaged_cache_files_load_empty(tmp_path: Path, text: str) -> None:
    (tmp_path / CACHE_FILE).write_bytes(text.encode("latin-1"))
    assert MetadataCache(tmp_path).load().entries == {}


def test_offline_switch_is_the_http_layers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The variable the settings read is the one the client obeys."""
    from mkdocs_backlinks.http.client import HttpClient
    from mkdocs_backlinks.http.options import OFFLINE_ENV, HttpOptions

    assert OFFLINE_ENV == "MKDOCS_BACKLINKS_OFFLINE"
    client = HttpClient(HttpOptions())
    try:
        monkeypatch.delenv(OFFLINE_ENV, raising=False)
        assert not client.offline
        monkeypatch.setenv(OFFLINE_ENV, "1")
        assert client.offline
    finally:
        client.close()


def test_metadata_in_reads_a_vouched_ledger_without_building_it() -> None:
    ledger = merge_build(Ledger(), SEEN, "2024-03-01", metadata={SEEN[0].url: META})
    assert metadata_in(dumps(ledger)) == {SEEN[0].url: META}
    assert metadata_in(dumps(merge_build(Ledger(), SEEN, "2024-03-01"))) == {}


# ----------------------------------------------------------------------------- network down


def dead_works(count: int) -> list[str]:
    """Works on many hosts (127.0.0.0/8 is all loopback) where nothing listens: every
    connection is refused at once, as when the network is down."""
    port = free_port()  # free on 127.0.0.1, so on the other loopback addresses too
    return [f"http://127.0.0.{1 + i % 40}:{port}/work-{i}" for i in range(count)]


@pytest.mark.slow
def test_a_network_that_is_down_stops_the_checks_early_and_rests(
    make_site: MakeSite,
    server: HttpServer,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from mkdocs_backlinks.works.resolver import NETWORK_DOWN_AFTER

    dead = dead_works(60)
    # One at a time: refused connections on loopback fail in a millisecond, and with eight
    # threads they could all be tried before the breaker has anything left to stop.
    site = make_site(citing(*dead), options(metadata={"concurrency": 1}))
    with caplog.at_level(logging.INFO):
        site.build()
    warnings = warnings_in(caplog)
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith("The network seems to be down: none of the first ")
    tried = int(warnings[0].split("none of the first ")[1].split()[0])
    untried = int(warnings[0].split("so the other ")[1].split()[0])
    assert NETWORK_DOWN_AFTER <= tried < 60
    assert tried + untried == 60
    cache = MetadataCache(site.root / ".cache" / "backlinks").load()
    assert cache.network_down > 0

    # The next build rests: no attempt, no warning, an info line; the page still builds.
    caplog.clear()
    site.write("index.md", "# Home\n\n" + f"See [the post]({server.url('/post')}).\n")
    with caplog.at_level(logging.INFO):
        site.build()
    assert warnings_in(caplog) == []
    assert any("the network was unreachable" in r.getMessage() for r in caplog.records)
    assert page_requests(server) == []

    # Asked to, a build tries again; a work that answers ends the rest.
    monkeypatch.setenv("MKDOCS_BACKLINKS_REFRESH", "1")
    caplog.clear()
    site.build()
    assert "/post" in page_requests(server)
    assert MetadataCache(site.root / ".cache" / "backlinks").load().network_down == 0


def test_one_answer_means_the_network_is_up(
    make_site: MakeSite, server: HttpServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Dead works among live ones are each reported; the breaker is for no answer at all."""
    site = make_site(citing(server.url("/post"), *dead_works(3)), options())
    with caplog.at_level(logging.WARNING):
        site.build()
    warnings = warnings_in(caplog)
    assert len(warnings) == 1 and warnings[0].startswith("Could not check 3 cited works:")
    assert MetadataCache(site.root / ".cache" / "backlinks").load().network_down == 0


# ----------------------------------------------------------------------------- review fixes

FORMULA = """<!doctype html><html><head><title>=HYPERLINK("https://evil.example/","open")</title>
<meta name="author" content="@SUM(1+1)*cmd|' /C calc'!A0"></head><body><p>x</p></body></html>"""


def test_remote_strings_never_start_a_formula_in_the_csv(
    make_site: MakeSite, server: HttpServer
) -> None:
    """A spreadsheet runs a cell that starts with = + - @ (or a tab or CR before one): the
    title and author come from the cited page, so they must reach the CSV as text."""

    @server.route("/formula")
    def formula(h: Handler) -> None:
        h.reply(200, FORMULA.encode())

    site = make_site(citing(server.url("/formula")), options())
    site.build()
    text = (site.root / "backlinks" / "outreach.csv").read_text(encoding="utf-8")
    (row,) = list(csv.DictReader(io.StringIO(text)))
    assert row["name"] == "'@SUM(1+1)*cmd|' /C calc'!A0"  # shown as text, nothing lost
    for column, cell in row.items():
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (column, cell)
    assert "HYPERLINK" in row["note"]  # still in the note, where it cannot start a cell


def test_a_cited_url_with_non_ascii_characters_is_not_redirected(
    make_site: MakeSite, server: HttpServer
) -> None:
    """The HTTP layer sends /café as /caf%C3%A9 (and a Unicode host as xn--...): the same
    address, so the work is `ok`, not `redirected` to a spelling of itself."""

    @server.route("/caf%C3%A9")
    def cafe(h: Handler) -> None:
        h.reply(200, POST.encode())

    url = server.url("/café")
    site = make_site(citing(url), options())
    site.build()
    assert page_requests(server) == ["/caf%C3%A9"]
    meta = ledger_meta(site)[url]
    assert (meta.status, meta.final_url, meta.title) == ("ok", "", "On Citing Well")


def test_same_address_knows_the_spellings_the_http_layer_sends() -> None:
    from mkdocs_backlinks.works.check import same_address

    cited = "https://Bücher.example/Straße?q=ü"
    assert same_address("https://xn--bcher-kva.example/Stra%C3%9Fe?q=%C3%BC", cited)
    assert not same_address("https://xn--bcher-kva.example/other", cited)
    assert not same_address("https://b\u00fccher.example/Stra%C3%9Fe?q=other", cited)


@pytest.mark.slow
def test_one_dead_host_cited_often_is_not_a_network_that_is_down(
    make_site: MakeSite, server: HttpServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Many citations of one site that is gone fail at once, before a live site has time to
    answer: that is one dead host, not a dead network, and must not stop the checks (nor make
    the builds of the next 10 minutes skip every work)."""

    @server.route("/slow")
    def slow(h: Handler) -> None:
        h.stopping.wait(1.0)
        h.reply(200, POST.encode())

    port = free_port()
    dead = [f"http://127.0.0.1:{port}/work-{i}" for i in range(12)]
    site = make_site(citing(server.url("/slow"), *dead), options())
    with caplog.at_level(logging.WARNING):
        site.build()
    warnings = warnings_in(caplog)
    assert len(warnings) == 1 and warnings[0].startswith("Could not check 12 cited works:")
    assert "On Citing Well" in site.html("index.html")
    assert MetadataCache(site.root / ".cache" / "backlinks").load().network_down == 0


def test_stored_text_loses_control_characters() -> None:
    """The ledger is a file people edit and merge: a title or address in it must not carry a
    terminal escape (ESC, or the C1 CSI U+009B) or a bidirectional override to the list, the
    terminal or the page."""
    meta = meta_from_record(
        {
            "title": "Fine\x1b]0;pwned\x07 title\u202e",
            "author": "A\x00da\x9b2J",
            "site_name": "Site\x7f",
            "emails": ["ada\x1b[2J@example.org"],
            "profiles": ["https://p.example/\x1b[2J", "https://q.example/\x9b2J"],
            "webmention": "https://w.example/\x00",
        }
    )
    assert meta.routes.profiles == () and meta.routes.webmention == ""
    assert (meta.title, meta.author, meta.site_name) == ("Fine]0;pwned title", "Ada2J", "Site")
    assert meta.routes.emails == ("ada[2J@example.org",)


@pytest.mark.slow
def test_serve_rebuilds_in_one_process_learn_only_what_is_new(
    make_site: MakeSite, server: HttpServer
) -> None:
    """`mkdocs serve` keeps the plugin across rebuilds: each rebuild asks only about the works
    it has not learned yet, shows what the edit cites now, and leaves no fetching thread."""
    import threading

    site = make_site(citing(server.url("/post")), options(metadata={"on_serve": True}))
    seen = []
    for step, edit in enumerate([None, "/old", "/missing"]):
        if edit:
            site.write("other.md", f"# Other\n\nNow [it]({server.url(edit)}).\n")
        config = load_config(str(site.config_file))
        if step == 0:
            config.plugins.on_startup(command="serve", dirty=False)
        build(config, serve_url="http://127.0.0.1:8000/")
        seen.append(config.plugins["backlinks"])
    config.plugins.on_shutdown()
    assert seen[0] is seen[1] is seen[2]  # one plugin instance, as under serve
    assert page_requests(server) == ["/post", "/old", "/moved", "/missing"]
    (item,) = work_items(credits(site, "other/index.html"))
    assert "backlinks-credits__work--broken" in item["class"]
    assert "Moved Post" not in site.html("other/index.html")  # the old citation is gone
    ends = time.monotonic() + 5
    while time.monotonic() < ends and any(
        t.name.startswith("backlinks-works") for t in threading.enumerate()
    ):
        time.sleep(0.05)
    assert not [t.name for t in threading.enumerate() if t.name.startswith("backlinks-works")]


@pytest.mark.slow
def test_works_waiting_for_their_host_are_not_timed_out_in_the_queue(
    make_site: MakeSite, server: HttpServer, caplog: pytest.LogCaptureFixture
) -> None:
    """`metadata.timeout` is what one work may take: eight works on one host, two at a time
    (`per_host`), answered in 0.5 s each, all fit in a 1.5 s timeout. Time spent waiting
    behind the same host's other works must not count, or they end 'unreachable' and warn."""

    @server.route("/slowish")
    def slowish(h: Handler) -> None:
        h.stopping.wait(0.5)
        h.reply(200, POST.encode())

    urls = [server.url(f"/slowish?n={i}") for i in range(8)]
    site = make_site(citing(*urls), options(metadata={"timeout": 1.5, "deadline": 20}))
    with caplog.at_level(logging.WARNING):
        site.build()
    assert warnings_in(caplog) == []
    assert {url: meta.status for url, meta in ledger_meta(site).items()} == dict.fromkeys(
        urls, "ok"
    )
    assert server.meter.peak <= 2  # still polite


# ----------------------------------------------------------------------------- link health


def gone_hosts(count: int) -> list[str]:
    """Works on hosts the resolver (a `Resolver`) says do not exist."""
    return [f"http://site-{i}.gone.test/work" for i in range(count)]


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> Resolver:
    """NXDOMAIN for `*.gone.test`, EAI_AGAIN for `*.flaky.test`, as getaddrinfo fails."""
    from mkdocs_backlinks.http import dns

    fake = Resolver(
        {".gone.test": socket.EAI_NONAME, ".flaky.test": socket.EAI_AGAIN},
        names={"live.test": "127.0.0.1"},
    )
    monkeypatch.setattr(dns, "resolver", fake)
    return fake


def test_a_cited_name_on_a_private_address_is_not_checked_and_not_a_warning(
    make_site: MakeSite,
    server: HttpServer,
    resolver: Resolver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A name is a citation whatever it resolves to; the address guard refuses to connect
    # when it resolves to this machine (an intranet name, say), which is news, not a fault.
    post = server.url("/post", host="live.test")
    site = make_site(
        citing(post), {"metadata": {}}, site_url="https://me.example/", site_author="Pat"
    )
    with caplog.at_level(logging.INFO):
        site.build()
    assert warnings_in(caplog) == []
    assert "Not checked, private or local address" in caplog.text
    assert post in caplog.text
    assert server.requests == []
    assert work_items(credits(site))  # still credited, with its anchor text
    site.build(strict=True)


@pytest.mark.slow
def test_names_that_do_not_exist_are_broken_and_not_a_network_that_is_down(
    make_site: MakeSite,
    server: HttpServer,
    resolver: Resolver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Ten hosts that no longer exist, cited first: the resolver answered, so the network
    works; each is a broken link, and the live work after them is still checked."""
    gone = gone_hosts(10)
    post = server.url("/post", host="live.test")  # a name the resolver answers
    # One at a time, in citation order: every NXDOMAIN is in before the live work is asked.
    site = make_site(citing(*gone, post), options(metadata={"concurrency": 1}))
    with caplog.at_level(logging.WARNING):
        site.build()
    assert sorted(warnings_in(caplog)) == sorted(
        f"Cited work {url} is broken (no such host); cited in "
        + ("index.md, other.md" if url == gone[0] else "index.md")
        for url in gone
    )
    assert len(resolver.asked) == 11
    assert "/post" in page_requests(server)
    assert "On Citing Well" in site.html("index.html")
    by_href = {item["links"][0]: item for item in work_items(credits(site))}
    assert all("backlinks-credits__work--broken" in by_href[url]["class"] for url in gone)
    assert {
        url: meta.status for url, meta in ledger_meta(site).items() if url in gone
    } == dict.fromkeys(gone, "broken")
    report = json.loads((site.root / "backlinks" / "outreach.json").read_text())
    assert sorted(b["url"] for b in report["broken"]) == sorted(gone)
    assert MetadataCache(site.root / ".cache" / "backlinks").load().network_down == 0
    with pytest.raises(Abort):  # the author's to fix: --strict fails on it
        site.build(strict=True)


def test_a_resolver_that_cannot_answer_still_trips_the_breaker(
    make_site: MakeSite,
    server: HttpServer,
    resolver: Resolver,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """EAI_AGAIN (no DNS server reached) is what the breaker is for; --strict fails on it."""
    from mkdocs_backlinks.works.resolver import NETWORK_DOWN_AFTER

    flaky = [f"http://site-{i}.flaky.test/work" for i in range(30)]
    site = make_site(citing(*flaky), options(metadata={"concurrency": 1}))
    with caplog.at_level(logging.WARNING):
        site.build()
    warnings = warnings_in(caplog)
    assert len(warnings) == 1 and warnings[0].startswith("The network seems to be down")
    assert NETWORK_DOWN_AFTER <= len(resolver.asked) < 30
    assert "--broken" not in site.html("index.html")
    assert not any(meta.dead for meta in ledger_meta(site).values())
    monkeypatch.setenv("MKDOCS_BACKLINKS_REFRESH", "1")  # no rest: try again, and fail
    with pytest.raises(Abort):
        site.build(strict=True)


def test_no_such_host_is_not_believed_when_nothing_else_answers(
    make_site: MakeSite, resolver: Resolver, caplog: pytest.LogCaptureFixture
) -> None:
    """Offline, macOS (and a sandbox whose DNS knows a few names) says "no such name" to
    every name: with no other work answering, nothing is flagged or stored."""
    gone = gone_hosts(3)
    site = make_site(citing(*gone), options())
    with caplog.at_level(logging.WARNING):
        site.build()
    warnings = warnings_in(caplog)
    assert len(warnings) == 1
    assert warnings[0].startswith("Could not check 3 cited works: ")
    assert "no such host, and no work on another host name answered to confirm it" in warnings[0]
    assert "--broken" not in site.html("index.html")
    assert all(not meta.dead for meta in ledger_meta(site).values())
    assert not (site.root / ".cache" / "backlinks" / CACHE_FILE).exists()


def test_no_such_host_is_confirmed_by_asking_a_work_the_cache_answered_for(
    make_site: MakeSite,
    server: HttpServer,
    resolver: Resolver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A link mistyped on a site whose other works are all fresh in the cache: nothing else
    is asked, so one of them is asked again (conditionally) to show that DNS works, and the
    link is called broken at once rather than "could not check" on every build for a week."""
    post = server.url("/post", host="live.test")
    site = make_site(citing(post), options())
    site.build()
    before = len(page_requests(server))
    gone = gone_hosts(1)
    site.write("other.md", f"# Other\n\nSee [this]({gone[0]}).\n")
    with caplog.at_level(logging.WARNING):
        site.build()
    assert warnings_in(caplog) == [
        f"Cited work {gone[0]} is broken (no such host); cited in other.md"
    ]
    assert len(page_requests(server)) == before + 1  # the fresh work, asked once more
    assert ledger_meta(site)[gone[0]].status == "broken"
    assert ledger_meta(site)[post].title == "On Citing Well"


@pytest.mark.parametrize("live_host", ["127.0.0.1", "localhost"])
def test_no_such_host_is_not_believed_when_only_a_server_by_address_answers(
    make_site: MakeSite,
    server: HttpServer,
    resolver: Resolver,
    caplog: pytest.LogCaptureFixture,
    live_host: str,
) -> None:
    """A sandbox whose DNS says "no such name" to everything still reaches a local server by
    its address (or `localhost`): that answer says nothing about DNS, so the names it denied
    are not called broken, nor stored as such in the ledger."""
    gone = gone_hosts(3)
    post = server.url("/post", host=live_host)
    site = make_site(citing(*gone, post), options(metadata={"concurrency": 1}))
    with caplog.at_level(logging.WARNING):
        site.build()
    assert "/post" in page_requests(server)
    warnings = warnings_in(caplog)
    assert len(warnings) == 1, warnings
    assert "no such host, and no work on another host name answered to confirm it" in warnings[0]
    assert not any(meta.dead for meta in ledger_meta(site).values())
    assert "--broken" not in site.html("index.html")


@pytest.mark.slow
def test_401_and_403_are_not_broken(
    make_site: MakeSite, server: HttpServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A work behind a login, or a site that turns bots away, exists for its readers: not
    flagged, not warned about, not listed to fix; what was learned before stays."""
    answer = {"status": 200}

    @server.route("/members")
    def members(h: Handler) -> None:
        h.reply(401, b"log in", headers=[("WWW-Authenticate", 'Basic realm="members"')])

    @server.route("/walled")
    def walled(h: Handler) -> None:
        h.reply(answer["status"], POST.encode() if answer["status"] == 200 else b"bots not")

    members_url, walled_url = server.url("/members"), server.url("/walled")
    site = make_site(
        citing(members_url, walled_url),
        options(metadata={"ttl": 0, "failure_ttl": 0}),
        site_url="https://me.example/",  # sendable notes: the only warnings are the works'
        site_author="Pat",
    )
    site.build()
    assert ledger_meta(site)[walled_url].title == "On Citing Well"
    for status in (404, 403):  # a ledger from before knows it as broken: 403 lifts that
        answer["status"] = status
        caplog.clear()
        with caplog.at_level(logging.INFO):
            site.build()
    assert warnings_in(caplog) == []
    assert any(
        "behind a login or turning checkers away (HTTP 401/403)" in r.getMessage()
        and members_url in r.getMessage()
        and walled_url in r.getMessage()
        for r in caplog.records
    )
    meta = ledger_meta(site)
    assert (meta[walled_url].status, meta[walled_url].title) == ("ok", "On Citing Well")
    assert meta[members_url].status == "ok"
    items = work_items(credits(site))
    assert not any("--broken" in item["class"] or "--gone" in item["class"] for item in items)
    assert "On Citing Well" in site.html("index.html")
    report = json.loads((site.root / "backlinks" / "outreach.json").read_text())
    assert report["broken"] == []
    site.build(strict=True)  # nothing for the author to fix


@pytest.mark.slow
@pytest.mark.parametrize("fault", [500, 503, 429, "reset"])
def test_a_failed_revalidation_keeps_the_validators_and_the_metadata(
    make_site: MakeSite, server: HttpServer, fault: int | str
) -> None:
    """A 5xx, a 429 or a dropped connection while revalidating: the next build still asks
    conditionally (a 304 costs nothing), and the credits keep their titles meanwhile."""
    answer: dict[str, int | str] = {"status": 200}
    modified = "Tue, 01 Oct 2024 10:00:00 GMT"

    @server.route("/page")
    def page(h: Handler) -> None:
        if answer["status"] == "reset":
            h.close_connection = True  # no reply at all: the connection just closes
            return
        status = int(answer["status"])
        if status != 200:  # whatever the request asked
            retry = [("Retry-After", "3600")] if status in (429, 503) else []
            h.reply(status, b"try later", headers=retry)
        elif h.headers.get("If-None-Match") == '"v1"':
            h.reply(304, b"", content_type="")
        else:
            h.reply(200, POST.encode(), headers=[("ETag", '"v1"'), ("Last-Modified", modified)])

    url = server.url("/page")
    site = make_site(citing(url), options(metadata={"ttl": 0, "failure_ttl": 0}))
    site.build()
    answer["status"] = fault
    site.build()
    entry = MetadataCache(site.root / ".cache" / "backlinks").load().get(url)
    assert entry is not None
    assert (entry.etag, entry.last_modified) == ('"v1"', modified)
    assert entry.meta.title == "On Citing Well"
    assert "On Citing Well" in site.html("index.html")
    answer["status"] = 200
    server.requests.clear()
    site.build()
    asked = [r for r in server.requests if r.path == "/page"]
    assert [r.headers.get("if-none-match") for r in asked] == ['"v1"']
    assert asked[0].headers.get("if-modified-since") == modified
    assert "On Citing Well" in site.html("index.html")
    assert ledger_meta(site)[url].status == "ok"


@pytest.mark.slow
def test_a_strict_build_never_rests_after_the_network_was_down(
    make_site: MakeSite,
    server: HttpServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The rest period is a memo for quick rebuilds; a --strict build is a verdict, so it
    looks again: still down, it fails like the build that found it down (it used to pass
    with an info line); back, it checks the works and ends the rest."""
    dead = dead_works(30)
    site = make_site(
        citing(*dead),
        options(metadata={"concurrency": 1}),
        site_url="https://me.example/",  # sendable notes: the only warnings are the works'
        site_author="Pat",
    )
    site.build()  # finds the network down, and remembers it
    cache_file = site.root / ".cache" / "backlinks"
    assert MetadataCache(cache_file).load().network_down > 0

    # A plain build in the rest period rests: no warning, so it would pass --strict...
    caplog.clear()
    with caplog.at_level(logging.INFO):
        site.build()
    assert warnings_in(caplog) == []
    assert any("--strict checks now" in r.getMessage() for r in caplog.records)

    # ...but a strict one tries again, finds the same state, and fails the same way: through
    # load_config's strict (what `mkdocs build --strict` passes), `strict: true` in
    # mkdocs.yml, and the real command line.
    caplog.clear()
    with caplog.at_level(logging.WARNING), pytest.raises(Abort):
        site.build(strict=True)
    assert warnings_in(caplog)[0].startswith("The network seems to be down")
    config = yaml.safe_load(site.config_file.read_text(encoding="utf-8"))
    site.config_file.write_text(yaml.safe_dump({**config, "strict": True}), encoding="utf-8")
    from_yml = load_config(str(site.config_file))  # Site.build would override it with False
    assert from_yml.strict is True
    from_yml.plugins.on_startup(command="build", dirty=False)
    try:
        with pytest.raises(Abort):
            build(from_yml)
    finally:
        from_yml.plugins.on_shutdown()
    site.config_file.write_text(yaml.safe_dump(config), encoding="utf-8")
    result = site.run_cli("--strict")
    assert result.returncode == 1
    assert "The network seems to be down" in result.stderr

    # The network is back (a work answers): the strict build checks it, passes, and a
    # plain build after it no longer rests.
    site.write("index.md", f"# Home\n\nSee [the post]({server.url('/post')}).\n")
    site.write("other.md", "# Other\n\nNothing cited.\n")
    site.build(strict=True)
    assert page_requests(server) == ["/post"]
    assert MetadataCache(cache_file).load().network_down == 0
    assert ledger_meta(site)[server.url("/post")].title == "On Citing Well"


def test_a_build_without_outreach_does_not_keep_the_ledger_it_read(
    make_site: MakeSite, server: HttpServer
) -> None:
    # With outreach off, the committed ledger is read once for its titles. `load_ledger` keeps
    # what it read as the base of a later `save_ledger`, which a build never makes: the build
    # must not hold the whole ledger until it ends (nor `mkdocs serve` until it stops).
    from mkdocs_backlinks.ledger import file as ledger_module

    site = make_site(citing(server.url("/post")), options())
    site.build()  # outreach on: the ledger now stores the work's title
    config = yaml.safe_load(site.config_file.read_text(encoding="utf-8"))
    config["plugins"][0]["backlinks"].update(outreach={"enabled": False}, offline=True)
    site.config_file.write_text(yaml.safe_dump(config), encoding="utf-8")
    ledger_module._read.clear()
    site.build()
    assert "On Citing Well" in site.html("index.html")  # from the stored metadata
    assert ledger_module._read == {}


# ----------------------------------------------------------------------------- issue 17


def test_a_redirect_into_a_private_address_warns_naming_the_address(
    make_site: MakeSite, server: HttpServer, caplog: pytest.LogCaptureFixture
) -> None:
    """The cited site chose the private address, not the author: a warning naming the
    address refused, where a cited intranet address is an info line."""

    @server.route("/to-metadata")
    def to_metadata(h: Handler) -> None:
        h.redirect("http://169.254.169.254/latest/meta-data/")

    url = server.url("/to-metadata")
    site = make_site(citing(url), options())
    with caplog.at_level(logging.INFO):
        site.build()
    (warning,) = warnings_in(caplog)
    assert warning.startswith(f"Cited work {url} redirects to an address the plugin")
    assert "169.254.169.254 is link-local" in warning
    assert "index.md, other.md" in warning
    assert not any(
        "private or local address" in r.getMessage() and url in r.getMessage()
        for r in caplog.records
    )


def test_a_page_over_the_size_cap_is_reported(
    make_site: MakeSite, server: HttpServer, caplog: pytest.LogCaptureFixture
) -> None:
    @server.route("/huge")
    def huge(h: Handler) -> None:
        h.reply(200, b"<title>Huge</title>" + b"<p>x</p>" * 200_000)

    url = server.url("/huge")
    site = make_site(citing(url), options())
    with caplog.at_level(logging.INFO):
        site.build()
    assert warnings_in(caplog) == []
    (line,) = [r.getMessage() for r in caplog.records if "over the size cap" in r.getMessage()]
    assert url in line
    assert ledger_meta(site)[url].status == "ok"  # alive, just not read


XHTML = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.1//EN" "http://www.w3.org/TR/xhtml11/DTD/xhtml11.dtd">
<!-- {padding} -->
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>An XHTML page</title></head>
<body><p>Served as application/xhtml+xml.</p></body></html>"""


def test_remote_xhtml_prints_no_library_warning(
    make_site: MakeSite, server: HttpServer, capfd: pytest.CaptureFixture[str]
) -> None:
    import warnings

    @server.route("/xhtml")
    def xhtml(h: Handler) -> None:
        h.reply(200, XHTML.format(padding="x" * 600).encode(), "application/xhtml+xml")

    site = make_site(citing(server.url("/xhtml")), options())
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        site.build()
    assert [str(w.message)[:60] for w in seen if "XML" in str(w.message)] == []
    assert "XMLParsedAsHTMLWarning" not in capfd.readouterr().err
    assert "An XHTML page" in site.html("index.html")
