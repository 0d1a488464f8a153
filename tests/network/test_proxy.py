"""A proxy, used only when asked: the `proxy` option, or `proxy: env` for HTTPS_PROXY.

A tiny forwarding proxy on loopback (`ForwardProxy`) carries every request to one local
server whatever name it asks for, and counts them; the sites cited have names no resolver
knows, so a request that arrives at all came through the proxy.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from ipaddress import ip_network
from pathlib import Path
from typing import Any

import pytest
from mkdocs.config import load_config
from mkdocs.exceptions import Abort

from mkdocs_backlinks.http.client import HttpClient
from mkdocs_backlinks.http.options import PROXY_ENV, HttpOptions
from tests.conftest import MakeSite, Site
from tests.http_servers import (
    ForwardProxy,
    Handler,
    HttpServer,
    Resolver,
    make_certificates,
    tls_context,
)

POST = b"<!doctype html><title>Through the proxy</title><p>Hello.</p>"


def serve_post(srv: HttpServer) -> None:
    @srv.route("/post")
    def post(h: Handler) -> None:
        h.reply(200, POST)


@pytest.fixture
def server() -> Iterator[HttpServer]:
    with HttpServer() as srv:
        serve_post(srv)
        yield srv


@pytest.fixture
def proxy(server: HttpServer) -> Iterator[ForwardProxy]:
    with ForwardProxy((server.host, server.port)) as running:
        yield running


@pytest.fixture(autouse=True)
def no_resolver_and_no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> Resolver:
    """No name resolves here (only the proxy can reach `*.test`), and the machine's own proxy
    variables are cleared; each test sets what it means."""
    from mkdocs_backlinks.http import dns

    for name in PROXY_ENV:
        monkeypatch.delenv(name, raising=False)
    resolver = Resolver({"": socket.EAI_NONAME})
    monkeypatch.setattr(dns, "resolver", resolver)
    return resolver


def client(**overrides: Any) -> HttpClient:
    settings: dict[str, Any] = {"connect_timeout": 1.0, "read_timeout": 1.0, "deadline": 3.0}
    return HttpClient(HttpOptions(**{**settings, **overrides}))


def test_the_proxy_carries_the_request_and_resolves_the_name(
    server: HttpServer, proxy: ForwardProxy, no_resolver_and_no_proxy_env: Resolver
) -> None:
    url = f"http://works.test:{server.port}/post"
    with client(proxy=proxy.url) as http:
        result = http.fetch(url)
    assert result.status == "ok", result.error
    assert proxy.requests == [f"GET {url}"]
    assert server.requests[0].headers["host"] == f"works.test:{server.port}"
    assert no_resolver_and_no_proxy_env.asked == []  # the proxy resolved it, not us


def test_https_goes_through_a_tunnel_and_still_verifies(tmp_path: Path) -> None:
    ca, leaf, key = make_certificates(tmp_path, "staging.test")
    with HttpServer(tls=tls_context(leaf, key)) as tls_server:
        serve_post(tls_server)
        with ForwardProxy((tls_server.host, tls_server.port)) as tunnel:
            url = tls_server.url("/post", scheme="https", host="staging.test")
            with client(proxy=tunnel.url, ca_bundle=str(ca)) as http:
                trusted = http.fetch(url)
            with client(proxy=tunnel.url) as http:
                untrusted = http.fetch(url)
    assert trusted.status == "ok", trusted.error
    assert tunnel.requests == [f"CONNECT staging.test:{tls_server.port}"] * 2
    assert untrusted.status == "unreachable"
    assert "TLS certificate not valid" in untrusted.error


@pytest.mark.parametrize(
    ("host", "allowed"),
    [("127.0.0.1", ()), ("localhost", ()), ("10.1.2.3", ()), ("127.0.0.1", ("127.0.0.0/8",))],
)
def test_the_guard_still_checks_what_the_url_says(
    server: HttpServer, proxy: ForwardProxy, host: str, allowed: tuple[str, ...]
) -> None:
    networks = tuple(ip_network(n) for n in allowed)
    with client(proxy=proxy.url, allow_networks=networks) as http:
        result = http.fetch(f"http://{host}:{server.port}/post")
    if allowed:
        assert result.status == "ok", result.error
        assert len(proxy.requests) == 1
    else:
        assert result.status == "refused"
        assert proxy.requests == []


def site_citing(make_site: MakeSite, url: str, **options: Any) -> Site:
    return make_site(
        {"index.md": f"# Home\n\nSee [the post]({url}).\n"},
        {"metadata": {"timeout": 2, "deadline": 10}, **options},
    )


def test_a_build_uses_the_proxy_option(
    make_site: MakeSite, server: HttpServer, proxy: ForwardProxy
) -> None:
    site = site_citing(make_site, f"http://works.test:{server.port}/post", proxy=proxy.url)
    site.build()
    assert len(proxy.requests) == 1
    assert "Through the proxy" in site.html("index.html")


def test_proxy_env_uses_the_environment(
    make_site: MakeSite,
    server: HttpServer,
    proxy: ForwardProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    site = site_citing(make_site, f"http://works.test:{server.port}/post", proxy="env")
    site.build()
    assert len(proxy.requests) == 1
    assert "Through the proxy" in site.html("index.html")


def test_the_environment_is_ignored_unless_asked(
    make_site: MakeSite,
    server: HttpServer,
    proxy: ForwardProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "http_proxy"):
        monkeypatch.setenv(name, proxy.url)
    site = site_citing(make_site, server.url("/post"), allow_networks=["127.0.0.0/8"])
    site.build()
    assert proxy.requests == []
    assert [r.path for r in server.requests] == ["/post"]  # straight to the server
    assert "Through the proxy" in site.html("index.html")


@pytest.mark.parametrize("value", ["socks5://proxy:1080", "proxy:3128", "http://", 3128])
def test_a_bad_proxy_fails_validation_naming_the_option(
    make_site: MakeSite, caplog: pytest.LogCaptureFixture, value: object
) -> None:
    site = make_site({"index.md": "# Home\n"}, {"proxy": value})
    with caplog.at_level(logging.ERROR), pytest.raises(Abort):
        load_config(str(site.config_file))
    assert "'proxy'" in caplog.text


def test_a_bad_proxy_in_the_environment_is_said_and_not_used(
    make_site: MakeSite,
    server: HttpServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "not a proxy")
    site = site_citing(make_site, server.url("/post"), proxy="env", allow_networks=["127.0.0.0/8"])
    with caplog.at_level(logging.WARNING):
        site.build()
    assert any("proxy: env" in r.getMessage() for r in caplog.records)
    assert [r.path for r in server.requests] == ["/post"]
