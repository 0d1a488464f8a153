"""The network-down breaker where the resolver says "no such host" to every name.

Sandboxes, CI runners without DNS and offline laptops answer every name that way, which on
its own proves only that a resolver answered. Real builds against a `Resolver` (the seam in
`mkdocs_backlinks.http.dns`) that fails as `getaddrinfo` does, and a real server on 127.0.0.1.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from mkdocs_backlinks.works.cache import MetadataCache
from mkdocs_backlinks.works.resolver import NO_SUCH_HOST_DOWN_AFTER
from tests.conftest import MakeSite
from tests.http_servers import Handler, HttpServer, Resolver

POST = b"<!doctype html><title>A live post</title><p>Hello.</p>"


@pytest.fixture
def server() -> Iterator[HttpServer]:
    with HttpServer() as srv:

        @srv.route("/post")
        def post(h: Handler) -> None:
            h.reply(200, POST)

        yield srv


def options(**metadata: Any) -> dict[str, Any]:
    return {
        "allow_networks": ["127.0.0.0/8"],
        "metadata": {"timeout": 2, "deadline": 10, **metadata},
    }


def citing(*urls: str) -> dict[str, str]:
    links = " ".join(f"See [work {i}]({url})." for i, url in enumerate(urls))
    return {"index.md": f"# Home\n\n{links}\n"}


def named_works(count: int, domain: str = "example.test") -> list[str]:
    """Works on `count` distinct host names."""
    return [f"https://site-{i}.{domain}/work" for i in range(count)]


def warnings_in(caplog: pytest.LogCaptureFixture) -> list[str]:
    # Not the outreach notes' own (these sites set no site_url nor author: `test_notes`).
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and "Outreach notes" not in r.getMessage()
    ]


def install(monkeypatch: pytest.MonkeyPatch, resolver: Resolver) -> Resolver:
    from mkdocs_backlinks.http import dns

    monkeypatch.setattr(dns, "resolver", resolver)
    return resolver


def test_a_resolver_that_denies_every_name_trips_the_breaker(
    make_site: MakeSite,
    server: HttpServer,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every name "does not exist" (a live server reached by its address says nothing about
    DNS): the build stops asking, says so in one short line, and the next build rests."""
    resolver = install(monkeypatch, Resolver({"": socket.EAI_NONAME}))
    works = named_works(80)
    site = make_site(citing(server.url("/post"), *works), options(concurrency=1))
    with caplog.at_level(logging.WARNING):
        site.build()
    (warning,) = warnings_in(caplog)
    assert 'the resolver said "no such host" to all' in warning
    assert "no work on another host name answered to confirm it" not in warning
    assert len(warning) < 400
    assert NO_SUCH_HOST_DOWN_AFTER <= len(resolver.asked) < len(works)
    assert "--broken" not in site.html("index.html")  # nothing believed, nothing flagged
    cache = MetadataCache(site.root / ".cache" / "backlinks").load()
    assert cache.network_down > 0  # the verdict is kept, as for a network that is down

    asked = len(resolver.asked)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        site.build()
    assert len(resolver.asked) == asked  # resting: nothing looked up
    assert warnings_in(caplog) == []


def test_dead_names_on_a_working_network_are_still_broken(
    make_site: MakeSite,
    server: HttpServer,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """More dead names than the breaker counts, after one work on a name that answers: the
    resolver works, so each is a broken link and the network is not down."""
    install(
        monkeypatch,
        Resolver({".gone.test": socket.EAI_NONAME}, names={"live.test": "127.0.0.1"}),
    )
    gone = [url.replace("https:", "http:") for url in named_works(30, "gone.test")]
    site = make_site(citing(server.url("/post", host="live.test"), *gone), options(concurrency=1))
    with caplog.at_level(logging.WARNING):
        site.build()
    warnings = warnings_in(caplog)
    assert len(warnings) == len(gone), warnings[:3]
    assert all("is broken (no such host)" in warning for warning in warnings)
    assert MetadataCache(site.root / ".cache" / "backlinks").load().network_down == 0


def test_one_dead_name_among_answering_servers_is_broken(
    make_site: MakeSite,
    server: HttpServer,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    install(
        monkeypatch,
        Resolver(
            {"dead.gone.test": socket.EAI_NONAME},
            names={f"live-{i}.test": "127.0.0.1" for i in range(3)},
        ),
    )
    live = [server.url("/post", host=f"live-{i}.test") for i in range(3)]
    site = make_site(citing("http://dead.gone.test/page", *live), options())
    with caplog.at_level(logging.WARNING):
        site.build()
    assert warnings_in(caplog) == [
        "mkdocs_backlinks: Cited work http://dead.gone.test/page is broken (no such host); "
        "cited in index.md"
    ]
