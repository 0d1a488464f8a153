"""Incoming mentions in real `mkdocs build`s, fetched from a real server on 127.0.0.1.

Each site has `site_url: https://example.org/blog/` and a JF2 feed served locally (option
`allow_networks: [127.0.0.0/8]`). The built HTML is parsed, not searched, wherever safety is
the point.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from conftest import MakeSite, Site
from http_servers import Handler, HttpServer
from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.exceptions import Abort

from mkdocs_backlinks.mentions.desk import MentionsDesk
from mkdocs_backlinks.mentions.model import Mention, MentionsStore, SourceState
from mkdocs_backlinks.mentions.store import load_store

SITE_URL = "https://example.org/blog/"
POST = SITE_URL + "posts/hello/"
TOKEN = "tok-0123456789-never-print-me"
PAGES = {
    "index.md": "# Home\n\nSee [hello](posts/hello.md).\n",
    "posts/hello.md": "# Hello\n\nA post.\n",
    "posts/other.md": "# Other\n\nAnother post.\n",
}


def entry(wid: int, target: str = POST, kind: str = "in-reply-to", **extra: Any) -> dict[str, Any]:
    source = extra.pop("source", f"https://friend{wid}.example.net/notes/{wid}")
    return {
        "type": "entry",
        "wm-id": wid,
        "wm-source": source,
        "wm-target": target,
        "wm-property": kind,
        "url": source,
        "author": {
            "type": "card",
            "name": f"Friend {wid}",
            "url": f"https://friend{wid}.example.net/",
            "photo": f"https://friend{wid}.example.net/me.jpg",
        },
        "published": f"2024-02-{wid % 28 + 1:02d}T09:00:00Z",
        "content": {"text": f"Reply number {wid}"},
        **extra,
    }


class Feed:
    """A JF2 feed whose entries a test can change between builds."""

    def __init__(self, server: HttpServer) -> None:
        self.entries: list[Any] = []
        self.status = 200
        self.server = server
        server.route("/feed.jf2")(self.handle)
        server.route("/api/mentions.jf2")(self.handle_api)
        self.url = server.url("/feed.jf2")
        self.api = server.url("/api/mentions.jf2")

    def handle(self, handler: Handler) -> None:
        body = json.dumps({"type": "feed", "children": self.entries}).encode()
        handler.reply(self.status, body, "application/json")

    def handle_api(self, handler: Handler) -> None:
        if f"token={TOKEN}" not in handler.path:
            handler.reply(403, b'{"error":"forbidden"}', "application/json")
            return
        self.handle(handler)


@pytest.fixture
def feed() -> Iterator[Feed]:
    with HttpServer() as server:
        yield Feed(server)


def site_with(
    make_site: MakeSite, feed: Feed, pages: dict[str, str] | None = None, **mentions: Any
) -> Site:
    options: dict[str, Any] = {"sources": [{"jf2": feed.url}], "timeout": 5}
    options.update(mentions)
    return make_site(
        pages or PAGES,
        {"allow_networks": ["127.0.0.0/8"], "mentions": options},
        site_url=SITE_URL,
    )


def store_of(site: Site) -> dict[str, Any]:
    text = (site.root / "backlinks" / "mentions.json").read_text(encoding="utf-8")
    return json.loads(text)


def test_build_fetches_stores_and_shows(make_site: MakeSite, feed: Feed) -> None:
    feed.entries = [
        entry(1),
        entry(2, kind="like-of"),
        entry(3, kind="repost-of"),
        entry(4, kind="like-of"),
        entry(5, target=SITE_URL + "posts/other/", kind="mention-of", name="A post about it"),
    ]
    site = site_with(make_site, feed)
    site.build()
    page = site.html("posts/hello/index.html")
    assert "Reply number 1" in page
    assert "2 likes" in page and "1 repost" in page
    assert 'href="https://friend1.example.net/notes/1" rel="nofollow ugc noopener"' in page
    assert 'src="https://friend2.example.net/me.jpg"' in page  # avatars: remote
    other = site.html("posts/other/index.html")
    assert "A post about it" in other and "mentioned this" in other
    assert "Elsewhere on the web" not in site.html("index.html")
    assert sorted(store_of(site)["mentions"]) == ["1", "2", "3", "4", "5"]
    assert len(feed.server.requests) == 1


@pytest.mark.slow
def test_offline_build_uses_the_store_and_sends_nothing(
    make_site: MakeSite, feed: Feed, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed.entries = [entry(1), entry(2, kind="like-of")]
    site = site_with(make_site, feed)
    site.build()
    assert len(feed.server.requests) == 1
    stored = (site.root / "backlinks" / "mentions.json").read_bytes()
    feed.entries = []
    monkeypatch.setenv("MKDOCS_BACKLINKS_OFFLINE", "1")
    site.build()
    monkeypatch.delenv("MKDOCS_BACKLINKS_OFFLINE")
    assert len(feed.server.requests) == 1  # none from the offline build
    assert "Reply number 1" in site.html("posts/hello/index.html")
    assert (site.root / "backlinks" / "mentions.json").read_bytes() == stored

    offline = make_site(
        PAGES,
        {"offline": True, "mentions": {"sources": [{"jf2": feed.url}]}},
        site_url=SITE_URL,
    )
    (offline.root / "backlinks").mkdir()
    (offline.root / "backlinks" / "mentions.json").write_bytes(stored)
    offline.build()
    assert len(feed.server.requests) == 1
    assert "1 like" in offline.html("posts/hello/index.html")


def serve_build(site: Site) -> None:
    """One build as `mkdocs serve` runs it (the plugin learns the command in on_startup)."""
    config = load_config(str(site.config_file))
    config.plugins.on_startup(command="serve", dirty=False)
    try:
        build(config, serve_url="http://127.0.0.1:8000/")
    finally:
        config.plugins.on_shutdown()


def test_serve_does_not_fetch_unless_asked(make_site: MakeSite, feed: Feed) -> None:
    feed.entries = [entry(1)]
    site = site_with(make_site, feed)
    serve_build(site)
    assert feed.server.requests == []
    assert not (site.root / "backlinks" / "mentions.json").exists()
    asked = site_with(make_site, feed, on_serve=True)
    serve_build(asked)
    assert len(feed.server.requests) == 1
    assert (asked.root / "backlinks" / "mentions.json").exists()


def test_duplicates_and_url_variants_land_on_one_page(make_site: MakeSite, feed: Feed) -> None:
    feed.entries = [
        entry(1),
        entry(1),  # the same wm-id twice
        entry(2, target="http://www.example.org/blog/posts/hello/index.html#comments"),
        entry(3, target="https://example.org/blog/posts/hello?utm_source=x"),
        entry(4, target="https://old.example.com/posts/hello/"),  # alias, served at its root
        # The same source, target (another variant of it) and kind under another id.
        entry(
            5,
            source="https://friend2.example.net/notes/2/",
            target="https://example.org/blog/posts/hello/index.html",
        ),
        entry(6, target="https://example.org/blog/drafts/secret/"),  # not a page
        entry(7, target="https://elsewhere.example.com/blog/posts/hello/"),  # not this site
    ]
    site = site_with(make_site, feed, aliases=["old.example.com"])
    site.build()
    page = site.html("posts/hello/index.html")
    for wid in (1, 3, 4):
        assert page.count(f"Reply number {wid}<") == 1
    # 2 and 5 are one mention; the later one (5) won.
    assert "Reply number 5" in page and "Reply number 2<" not in page
    assert "Reply number 6" not in page and "Reply number 7" not in page
    assert sorted(store_of(site)["mentions"]) == ["1", "3", "4", "5", "6", "7"]


@pytest.mark.parametrize("directory_urls", [True, False])
def test_pages_with_non_ascii_or_spaces_in_their_path_show_their_mentions(
    make_site: MakeSite, feed: Feed, directory_urls: bool
) -> None:
    """MkDocs percent-encodes page URLs (`caf%C3%A9/`); receivers send either form."""
    suffix = "/" if directory_urls else ".html"
    feed.entries = [
        entry(1, target=SITE_URL + "posts/café" + suffix),
        entry(2, target=SITE_URL + "posts/caf%C3%A9" + suffix),
        entry(3, target=SITE_URL + "posts/two%20words" + suffix),
    ]
    pages = {**PAGES, "posts/café.md": "# Café\n", "posts/two words.md": "# Two words\n"}
    site = make_site(
        pages,
        {"allow_networks": ["127.0.0.0/8"], "mentions": {"sources": [{"jf2": feed.url}]}},
        site_url=SITE_URL,
        use_directory_urls=directory_urls,
    )
    site.build()
    cafe = site.html("posts/café/index.html" if directory_urls else "posts/café.html")
    assert "Reply number 1<" in cafe and "Reply number 2<" in cafe
    words = site.html("posts/two words/index.html" if directory_urls else "posts/two words.html")
    assert "Reply number 3<" in words


@pytest.mark.slow
def test_moderation_survives_a_refetch(make_site: MakeSite, feed: Feed) -> None:
    feed.entries = [entry(1), entry(2), entry(3), entry(4, source="https://spam.example.biz/x")]
    site = site_with(make_site, feed)
    (site.root / "backlinks").mkdir()
    (site.root / "backlinks" / "moderation.json").write_text(
        json.dumps(
            {
                "schema": "mkdocs-backlinks/moderation",
                "version": 1,
                "hidden": ["http://www.friend1.example.net/notes/1/"],  # a variant of its URL
                "blocked_domains": ["example.biz"],
                "blocked_authors": ["https://friend3.example.net"],
            }
        )
    )
    for _ in range(2):  # the second build fetches them all again
        site.build()
        page = site.html("posts/hello/index.html")
        assert "Reply number 2" in page
        for hidden in (1, 3, 4):
            assert f"Reply number {hidden}<" not in page
    assert len(feed.server.requests) == 2
    assert "1" in store_of(site)["mentions"]  # hidden is not deleted


@pytest.mark.slow
def test_network_failure_warns_and_keeps_the_store(
    make_site: MakeSite, feed: Feed, caplog: pytest.LogCaptureFixture
) -> None:
    feed.entries = [entry(1)]
    site = site_with(make_site, feed)
    site.build()
    before = (site.root / "backlinks" / "mentions.json").read_bytes()
    feed.status = 500  # not retried, unlike 503
    with caplog.at_level(logging.WARNING):
        site.build()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("Mentions from jf2:" in w and "HTTP 500" in w for w in warnings)
    assert "Reply number 1" in site.html("posts/hello/index.html")
    assert (site.root / "backlinks" / "mentions.json").read_bytes() == before
    result = site.run_cli("--strict")
    assert result.returncode != 0
    assert "HTTP 500" in result.stderr


@pytest.mark.slow
def test_a_hanging_receiver_does_not_hold_the_build(
    make_site: MakeSite, feed: Feed, caplog: pytest.LogCaptureFixture
) -> None:
    @feed.server.route("/slow")
    def slow(handler: Handler) -> None:
        feed.server.stopping.wait(20)

    site = make_site(
        PAGES,
        {
            "allow_networks": ["127.0.0.0/8"],
            "mentions": {"sources": [{"jf2": feed.server.url("/slow")}], "timeout": 1},
        },
        site_url=SITE_URL,
    )
    started = time.monotonic()
    with caplog.at_level(logging.WARNING):
        site.build()
    assert time.monotonic() - started < 10
    assert any("took longer than 1 s" in r.getMessage() for r in caplog.records)


@pytest.mark.slow
def test_a_refused_token_never_reaches_logs_files_or_pages(
    make_site: MakeSite, feed: Feed, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed.entries = [entry(1)]
    monkeypatch.setenv("WM_TOKEN", "wrong-" + TOKEN)
    site = make_site(
        PAGES,
        {
            "allow_networks": ["127.0.0.0/8"],
            "mentions": {
                "sources": [
                    {
                        "webmention_io": {
                            "domain": "example.org",
                            "token_env": "WM_TOKEN",
                            "api": feed.api,
                        }
                    }
                ]
            },
        },
        site_url=SITE_URL,
    )
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-v", "-f", str(site.config_file)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=os.environ.copy(),
    )
    assert result.returncode == 0, result.stderr
    assert "refused the token in $WM_TOKEN (HTTP 403)" in result.stderr
    assert TOKEN not in result.stderr + result.stdout
    for path in site.root.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path
    # With the right token the same source works.
    monkeypatch.setenv("WM_TOKEN", TOKEN)
    site.build()
    assert "Reply number 1" in site.html("posts/hello/index.html")
    for path in site.root.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path


def test_a_damaged_store_stops_the_build_untouched(
    make_site: MakeSite, feed: Feed, caplog: pytest.LogCaptureFixture
) -> None:
    site = site_with(make_site, feed)
    store = site.root / "backlinks" / "mentions.json"
    store.parent.mkdir()
    store.write_text('{"schema": "mkdocs-backlinks/mentions", "version": 1, "mentions": [', "utf-8")
    before = store.read_bytes()
    with pytest.raises(Abort):
        site.build()
    assert "mentions.json is not valid JSON" in caplog.text
    assert store.read_bytes() == before
    assert feed.server.requests == []


def test_mentions_can_be_turned_off(make_site: MakeSite, feed: Feed) -> None:
    feed.entries = [entry(1)]
    site = site_with(make_site, feed, enabled=False)
    site.build()
    assert feed.server.requests == []
    assert "Reply number" not in site.html("posts/hello/index.html")


def test_a_page_with_backlinks_off_shows_no_mentions(make_site: MakeSite, feed: Feed) -> None:
    feed.entries = [entry(1)]
    pages = dict(PAGES)
    pages["posts/hello.md"] = "---\nbacklinks:\n  backlinks: false\n---\n# Hello\n\nA post.\n"
    site = site_with(make_site, feed, pages)
    site.build()
    assert "Reply number" not in site.html("posts/hello/index.html")


# ----------------------------------------------------------------------------- hostile content

PAYLOADS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(2)">',
    '<a href="javascript:alert(3)">click</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCg0KTwvc2NyaXB0Pg==">d</a>',
    '<svg><script>alert(5)</script><a xlink:href="javascript:alert(6)">s</a></svg>',
    '<p style="position:fixed;top:0;left:0;width:100%;height:100%">overlay</p>',
    "<style>body{display:none}</style>",
    "{{ 7*7 }} {% for x in range(3) %}loop{% endfor %} {# c #}",
    '"><script>alert(7)</script>',
    "<iframe src=https://evil.example/></iframe>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(8)>",
]


def hostile_entry(wid: int, payload: str) -> dict[str, Any]:
    return {
        "type": "entry",
        "wm-id": wid,
        "wm-source": f"https://evil{wid}.example.net/p",
        "wm-target": POST,
        "wm-property": "in-reply-to" if wid % 2 else "mention-of",
        "url": "javascript:alert(9)",
        "name": f"Title {payload}",
        "published": payload,
        "author": {
            "type": "card",
            "name": f"Name {payload}",
            "url": "javascript:alert(10)",
            "photo": "data:image/svg+xml,<svg onload=alert(11)>",
        },
        "content": {"html": f"Before {payload} after", "text": f"Text {payload}"},
    }


def hostile_like(wid: int, payload: str) -> dict[str, Any]:
    like = hostile_entry(wid, payload)
    like["wm-property"] = "like-of"
    like["author"]["url"] = f'https://evil{wid}.example.net/" onmouseover="alert(12)'
    like["author"]["photo"] = f'https://evil{wid}.example.net/a.png" onerror="alert(13)'
    return like


class Audit(HTMLParser):
    """Everything in a page that could run: script elements, handlers, styles, bad URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.problems: list[str] = []
        self.in_section = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = dict(attrs).get("class") or ""
        if tag == "section" and "backlinks-incoming" in classes:
            self.in_section += 1
        if not self.in_section:
            return
        if tag in ("script", "style", "iframe", "svg", "math", "object", "embed"):
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            lowered = (value or "").strip().lower()
            if name.startswith("on"):
                self.problems.append(f"{tag} {name}={value}")
            if name == "style":
                self.problems.append(f"{tag} style={value}")
            if name in ("href", "src", "xlink:href", "action", "formaction") and not (
                lowered.startswith(("https://", "http://")) or lowered.startswith(("../", "#"))
            ):
                self.problems.append(f"{tag} {name}={value}")

    def handle_endtag(self, tag: str) -> None:
        if tag == "section" and self.in_section:
            self.in_section -= 1


def test_hostile_mentions_render_as_text_only(make_site: MakeSite, feed: Feed) -> None:
    feed.entries = [hostile_entry(i + 1, p) for i, p in enumerate(PAYLOADS)]
    feed.entries += [hostile_like(100 + i, p) for i, p in enumerate(PAYLOADS)]
    site = site_with(make_site, feed)
    site.build()
    page = site.html("posts/hello/index.html")
    section = page[page.index('class="backlinks backlinks-incoming"') :]
    section = section[: section.index("</section>")]
    audit = Audit()
    audit.feed(page)
    assert audit.problems == []
    assert "<script" not in section.lower()
    assert "49" not in section and "looplooploop" not in section
    # Still shown, as text: names, titles, the words around the payloads.
    assert section.count("Before") >= len(PAYLOADS) // 2
    assert "Name &lt;script&gt;alert(1)&lt;/script&gt;" in section
    assert "{{ 7*7 }}" in section or "&#123;&#123; 7*7 &#125;&#125;" in section
    assert f"{len(PAYLOADS)} likes" in section


def test_a_user_template_override_is_used(make_site: MakeSite, feed: Feed) -> None:
    feed.entries = [entry(1), entry(2, kind="like-of")]
    site = make_site(
        PAGES,
        {"allow_networks": ["127.0.0.0/8"], "mentions": {"sources": [{"jf2": feed.url}]}},
        site_url=SITE_URL,
        theme={"name": "mkdocs", "custom_dir": "overrides"},
    )
    override = site.root / "overrides" / "backlinks" / "backlinks.html"
    override.parent.mkdir(parents=True)
    override.write_text(
        '<section class="mine">{% for r in mentions.reactions %}{{ r.count }} {{ r.kind }}'
        "{% endfor %}{% for m in mentions.items %}[{{ m.author }}]{% endfor %}</section>",
        encoding="utf-8",
    )
    site.build()
    page = site.html("posts/hello/index.html")
    assert '<section class="mine">1 like[Friend 1]</section>' in page


def test_strings_are_configurable(make_site: MakeSite, feed: Feed) -> None:
    feed.entries = [entry(1), entry(2, kind="like-of"), entry(3, kind="like-of")]
    site = make_site(
        PAGES,
        {
            "allow_networks": ["127.0.0.0/8"],
            "mentions": {"sources": [{"jf2": feed.url}], "avatars": "none"},
            "strings": {
                "mentions_title": "Ailleurs",
                "likes": "{count} j'aime",
                "replied": "a répondu",
            },
        },
        site_url=SITE_URL,
    )
    site.build()
    page = site.html("posts/hello/index.html")
    assert "Ailleurs" in page and "2 j&#39;aime" in page and "a répondu" in page
    assert "<img" not in page[page.index("Ailleurs") :].split("</section>")[0]


# ----------------------------------------------------------------------------- avatars

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.mark.slow
def test_downloaded_avatars_are_served_from_the_site(
    make_site: MakeSite, feed: Feed, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = feed.server
    server.route("/a.png")(lambda h: h.reply(200, PNG, "image/png"))
    server.route("/b.svg")(lambda h: h.reply(200, b"<svg onload='x()'/>", "image/svg+xml"))
    server.route("/big.png")(lambda h: h.reply(200, PNG * 5000, "image/png"))

    def with_photo(wid: int, kind: str, path: str) -> dict[str, Any]:
        mention = entry(wid, kind=kind)
        mention["author"]["photo"] = server.url(path)
        return mention

    feed.entries = [
        with_photo(1, "in-reply-to", "/a.png"),
        with_photo(2, "like-of", "/a.png"),
        with_photo(3, "like-of", "/b.svg"),
        with_photo(4, "like-of", "/big.png"),
    ]
    site = site_with(make_site, feed, avatars="download")
    site.build()
    folder = site.site_dir / "assets" / "backlinks" / "avatars"
    files = sorted(folder.iterdir())
    assert len(files) == 1 and files[0].read_bytes() == PNG
    page = site.html("posts/hello/index.html")
    src = f'src="../../assets/backlinks/avatars/{files[0].name}"'
    assert page.count(src) == 2  # the reply and the like share one file
    assert server.url("/a.png") not in page and "b.svg" not in page and "big.png" not in page
    assert "3 likes" in page  # likes without a usable avatar still count

    # Offline, the cached avatars are used: no request at all.
    before = len(server.requests)
    monkeypatch.setenv("MKDOCS_BACKLINKS_OFFLINE", "1")
    site.build()
    assert len(server.requests) == before
    assert site.html("posts/hello/index.html").count(src) == 2
    assert (folder / files[0].name).read_bytes() == PNG


def test_a_hand_edited_store_is_cleaned_although_the_cache_trusts_the_old_one(
    make_site: MakeSite, feed: Feed, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed.entries = [entry(1)]
    site = site_with(make_site, feed)
    site.build()
    digests = list((site.root / ".cache" / "backlinks" / "mentions").glob("*.sha256"))
    assert len(digests) == 1  # the store the build wrote is trusted from now on
    store = site.root / "backlinks" / "mentions.json"
    text = store.read_text(encoding="utf-8")
    store.write_text(
        text.replace('"content_html":""', '"content_html":"<script>alert(1)</script><b>bold</b>"'),
        encoding="utf-8",
    )
    monkeypatch.setenv("MKDOCS_BACKLINKS_OFFLINE", "1")
    site.build()
    page = site.html("posts/hello/index.html")
    assert "<b>bold</b>" in page and "alert(1)" not in page


def test_the_links_format_from_a_local_file(make_site: MakeSite) -> None:
    site = make_site(
        PAGES,
        {"mentions": {"sources": [{"file": "export.json"}]}},
        site_url=SITE_URL,
    )
    links = {
        "links": [
            {
                "id": 77,
                "source": "https://blog.example.net/post",
                "target": POST,
                "verified_date": "2024-05-01T10:00:00+00:00",
                "activity": {"type": "reply"},
                "data": {
                    "author": {"name": "Lin", "url": "https://blog.example.net/"},
                    "url": "https://blog.example.net/post",
                    "content": "<p>From the <strong>links</strong> API</p>",
                },
            }
        ]
    }
    (site.root / "export.json").write_text(json.dumps(links), encoding="utf-8")
    site.build()
    assert "From the <strong>links</strong> API" in site.html("posts/hello/index.html")


def test_a_hostile_feed_file_leaves_no_control_character_and_no_traceback(
    make_site: MakeSite,
) -> None:
    """A feed file naming control characters and direction overrides (by reference too), an
    id of 150 digits, and a second file with a number Python cannot convert: the page shows
    the reply without them, the other file is a warning, and the next build (from the store
    it wrote, without the cache that trusts it) still builds."""
    site = make_site(
        PAGES,
        {
            "mentions": {
                "sources": [{"file": "feed.json"}, {"file": "huge.json"}],
                "avatars": "none",
            }
        },
        site_url=SITE_URL,
    )
    hostile = entry(
        int("1" * 150),
        author={"name": "A", "url": "https://a.example/\u009f\u202egnp.exe"},
        content={"html": "<p>x \u0002wzxhzdk:0\u0003 &#x2;wzxhzdk:1&#x3; \u202eevil\u0001</p>"},
    )
    (site.root / "feed.json").write_text(json.dumps({"children": [hostile]}), encoding="utf-8")
    (site.root / "huge.json").write_text('{"children": [{"x": ' + "9" * 5000 + "}]}", "utf-8")
    for _ in range(2):
        result = site.run_cli()
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
        assert "huge.json" in result.stderr  # the unreadable file, said
        page = site.html("posts/hello/index.html")
        assert "evil" in page
        for char in ("\x01", "\x02", "\x03", "\x9f", "\u202e"):
            assert char not in page, repr(char)
        shutil.rmtree(site.root / ".cache", ignore_errors=True)


@pytest.mark.slow
def test_a_data_folder_inside_docs_is_refused_for_mentions(make_site: MakeSite) -> None:
    site = make_site(
        PAGES, {"data_dir": "docs/data", "outreach": {"enabled": False}}, site_url=SITE_URL
    )
    result = site.run_cli()
    assert result.returncode != 0
    assert "option 'data_dir'" in result.stderr and "mentions store" in result.stderr


def test_a_fetch_saved_during_the_build_is_kept(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build and `mkdocs-backlinks fetch` overlap: the fetch saves new mentions after the
    build loaded the store and before the build saves its own. Both sets end up stored."""
    site = make_site(PAGES, {"mentions": {"sources": [{"file": "export.json"}]}}, site_url=SITE_URL)
    (site.root / "export.json").write_text(json.dumps([entry(77)]), encoding="utf-8")
    fetched = Mention(
        id="41", kind="like", source="https://fan.example/like", target=POST,
        url="https://fan.example/like", received="2024-06-01T00:00:00Z",
    )  # fmt: skip
    original = MentionsDesk.collect

    def collect_after_a_fetch(self: MentionsDesk, *args: Any, **kwargs: Any) -> list[str]:
        other = MentionsDesk(self.settings, self.http)  # what `fetch` does meanwhile
        other.load()
        other.store = MentionsStore(
            (*other.store.mentions, fetched), {"webmention.io:example.org": SourceState("41")}
        )
        assert other.save()
        return original(self, *args, **kwargs)

    monkeypatch.setattr(MentionsDesk, "collect", collect_after_a_fetch)
    site.build()
    store = load_store(site.root / "backlinks" / "mentions.json")
    assert {m.id for m in store.mentions} == {"77", "41"}
    assert store.sources["webmention.io:example.org"].since_id == "41"
    assert "fan.example" in site.html("posts/hello/index.html")
