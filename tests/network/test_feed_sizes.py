"""Feeds of real size, pages over the cap and hostile nesting, from real servers on 127.0.0.1
(`mkdocs_backlinks.mentions.fetch` and the desk that runs it in a build)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from ipaddress import ip_network
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from http_servers import Handler, HttpServer

from mkdocs_backlinks.http.options import HttpOptions
from mkdocs_backlinks.mentions.desk import MentionsDesk, Settings
from mkdocs_backlinks.mentions.source_types import Jf2Feed, LocalFile, WebmentionIo

POST = "https://example.org/blog/posts/hello/"
TOKEN = "t0ken-for-tests"
OPTIONS = HttpOptions(
    connect_timeout=2.0, read_timeout=5.0, deadline=20.0,
    allow_networks=(ip_network("127.0.0.0/8"),), retries=0,
)  # fmt: skip


def entry(wid: int, padding: int = 0) -> dict[str, Any]:
    source = f"https://fan{wid}.example.net/post/{wid}"
    return {
        "wm-id": wid,
        "wm-source": source,
        "wm-target": POST,
        "wm-property": "in-reply-to",
        "wm-received": "2024-01-01T00:00:00Z",
        "url": source,
        "author": {"name": f"Fan {wid}", "url": f"https://fan{wid}.example.net/"},
        "content": {"text": "x" * padding or f"reply {wid}"},
    }


def desk(tmp_path: Path, *sources: Any, page_limit: int = 20_000_000) -> MentionsDesk:
    settings = Settings(
        folder=tmp_path / "data", base=tmp_path, site_url="https://example.org/blog/",
        sources=sources, timeout=60.0, page_limit=page_limit,
    )  # fmt: skip
    running = MentionsDesk(settings, OPTIONS)
    running.load()
    return running


def collect(running: MentionsDesk) -> list[str]:
    running.start()
    return running.collect([], save=False)


@pytest.fixture
def api(server: HttpServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """webmention.io's API: ids ascending after since_id, `page`/`per-page` pages."""
    monkeypatch.setenv("WEBMENTION_IO_TOKEN", TOKEN)
    state: dict[str, Any] = {"entries": [], "asked": []}

    def handle(handler: Handler) -> None:
        query = {k: v[0] for k, v in parse_qs(urlsplit(handler.path).query).items()}
        state["asked"].append(query)
        page, per_page = int(query["page"]), int(query["per-page"])
        since = int(query.get("since_id", "0"))
        chosen = [e for e in state["entries"] if e["wm-id"] > since]
        body = {"type": "feed", "children": chosen[page * per_page : (page + 1) * per_page]}
        handler.reply(200, json.dumps(body).encode(), "application/json")

    server.route("/api/mentions.jf2")(handle)
    state["url"] = server.url("/api/mentions.jf2")
    yield state


@pytest.mark.slow
def test_a_five_megabyte_feed_is_read_whole(server: HttpServer, tmp_path: Path) -> None:
    body = json.dumps({"children": [entry(i, padding=1_000) for i in range(1, 5_001)]}).encode()
    assert len(body) > 5_000_000
    server.route("/feed")(lambda h: h.reply(200, body, "application/json"))
    running = desk(tmp_path, Jf2Feed(server.url("/feed")))
    assert collect(running) == []
    assert len(running.store.mentions) == 5_000


@pytest.mark.slow
def test_an_oversized_page_costs_only_the_entry_too_large(
    api: dict[str, Any], tmp_path: Path
) -> None:
    api["entries"] = [entry(i) for i in range(1, 251)]
    api["entries"][150] = entry(151, padding=3_000_000)  # page 1 is over 3 MB
    source = WebmentionIo("example.org", api=api["url"])
    running = desk(tmp_path, source, page_limit=2_000_000)
    warnings = collect(running)
    assert len(warnings) == 1 and "larger than mentions.max_page_mb" in warnings[0]
    ids = {m.id for m in running.store.mentions}
    assert ids == {str(i) for i in range(1, 251)} - {"151"}  # its neighbours all arrived
    # The source moved past it: the next fetch asks only for what is newer.
    assert running.store.sources[source.name].since_id == "250"
    api["asked"].clear()
    collect(running)
    assert api["asked"][0]["since_id"] == "250"


def test_deep_nesting_from_a_url_and_a_file_is_a_warning(
    server: HttpServer, tmp_path: Path
) -> None:
    deep = ("[" * 100_000 + "]" * 100_000).encode()
    server.route("/deep")(lambda h: h.reply(200, deep, "application/json"))
    good = json.dumps({"children": [entry(1)]}).encode()
    server.route("/good")(lambda h: h.reply(200, good, "application/json"))
    (tmp_path / "deep.json").write_bytes(deep)
    (tmp_path / "good.json").write_text(json.dumps({"children": [entry(2)]}), encoding="utf-8")
    running = desk(
        tmp_path,
        LocalFile("deep.json"),
        LocalFile("good.json"),
        Jf2Feed(server.url("/deep")),
        Jf2Feed(server.url("/good")),
    )
    warnings = collect(running)
    assert len(warnings) == 2
    assert all("nests deeper than 100 levels" in w for w in warnings)
    assert {m.id for m in running.store.mentions} == {"1", "2"}


def test_a_thread_that_meets_a_bug_reports_it_and_goes_on(
    server: HttpServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mkdocs_backlinks.mentions import desk as desk_module

    real = desk_module.fetch_source
    calls = threading.Event()

    def first_fails(*args: Any, **kwargs: Any) -> Any:
        if not calls.is_set():
            calls.set()
            raise RecursionError("boom")
        return real(*args, **kwargs)

    monkeypatch.setattr(desk_module, "fetch_source", first_fails)
    good = json.dumps({"children": [entry(3)]}).encode()
    server.route("/good")(lambda h: h.reply(200, good, "application/json"))
    running = desk(tmp_path, Jf2Feed(server.url("/one")), Jf2Feed(server.url("/good")))
    warnings = collect(running)
    assert warnings == [
        f"Mentions from jf2:{server.url('/one')}: failed unexpectedly (RecursionError)"
    ]
    assert [m.id for m in running.store.mentions] == ["3"]
