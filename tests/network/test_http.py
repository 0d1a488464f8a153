"""Tests for `mkdocs_backlinks.http.client` against real servers on 127.0.0.x.

No mocks of requests: every test runs a server in this process (see `http_servers`) and
measures what it saw. Limits are small (2 s deadline, 0.5 s read timeout) so that a test
that fails does so in bounded time rather than hanging.
"""

from __future__ import annotations

import functools
import gzip
import logging
import socket
import ssl
import struct
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from email.utils import formatdate
from ipaddress import ip_address, ip_network
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from http_servers import (
    Handler,
    HttpServer,
    Meter,
    RawServer,
    make_certificates,
    read_request,
)

from mkdocs_backlinks import __version__
from mkdocs_backlinks.http.client import HttpClient
from mkdocs_backlinks.http.guard import address_problem
from mkdocs_backlinks.http.options import OFFLINE_ENV, HttpOptions
from mkdocs_backlinks.http.result import Result, Validators, decode_text, retry_after_seconds

LOOPBACK = (ip_network("127.0.0.0/8"),)
DEADLINE = 2.0
# How much later than the deadline a stopped request may return: the watchdog's wake-up
# and a loaded CI machine.
SLACK = 1.5


def options(**overrides: Any) -> HttpOptions:
    settings: dict[str, Any] = {
        "connect_timeout": 1.0,
        "read_timeout": 0.5,
        "deadline": DEADLINE,
        "allow_networks": LOOPBACK,
        "backoff": 0.05,
    }
    settings.update(overrides)
    return HttpOptions(**settings)


@pytest.fixture
def make_client() -> Iterator[Callable[..., HttpClient]]:
    clients: list[HttpClient] = []

    def make(**overrides: Any) -> HttpClient:
        client = HttpClient(options(**overrides))
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client: Callable[..., HttpClient]) -> HttpClient:
    return make_client()


@pytest.fixture(autouse=True)
def _online(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(OFFLINE_ENV, raising=False)


def html(handler: Handler) -> None:
    handler.reply(200, "<title>Café</title>".encode())


# --- plain responses ---------------------------------------------------------------------


def test_ok_html(client: HttpClient, server: HttpServer) -> None:
    server.routes["/page"] = html
    result = client.fetch(server.url("/page"))
    assert result.status == "ok"
    assert result.ok
    assert result.http_status == 200
    assert result.final_url == server.url("/page")
    assert result.text == "<title>Café</title>"
    assert result.headers["content-type"] == "text/html; charset=utf-8"
    assert result.error == ""
    assert 0 < result.elapsed < DEADLINE
    (seen,) = server.requests
    assert seen.headers["user-agent"] == (
        f"mkdocs-backlinks-plugin/{__version__} (+https://pypi.org/project/mkdocs-backlinks-plugin/)"
    )
    assert seen.headers["accept"] == "text/html, application/xhtml+xml"
    assert seen.headers["host"] == f"127.0.0.1:{server.port}"
    assert "gzip" in seen.headers["accept-encoding"]


def test_link_headers_keep_each_line(client: HttpClient, server: HttpServer) -> None:
    server.routes["/"] = lambda h: h.reply(
        200,
        b"x",
        headers=[
            ("Link", '<https://a.example/webmention>; rel="webmention"'),
            ("Link", '<https://a.example/feed>; rel="alternate", </x>; rel="other"'),
        ],
    )
    result = client.fetch(server.url())
    assert result.link_headers == (
        '<https://a.example/webmention>; rel="webmention"',
        '<https://a.example/feed>; rel="alternate", </x>; rel="other"',
    )


def test_gzip_body_is_decoded(client: HttpClient, server: HttpServer) -> None:
    page = b"<p>" + b"hello " * 1000 + b"</p>"
    server.routes["/"] = lambda h: h.reply(
        200, gzip.compress(page), headers=[("Content-Encoding", "gzip")]
    )
    result = client.fetch(server.url())
    assert result.status == "ok"
    assert result.body == page


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (400, "broken"),
        (403, "broken"),
        (404, "broken"),
        (410, "gone"),
        (500, "server-error"),
        (502, "server-error"),
    ],
)
def test_error_statuses(client: HttpClient, server: HttpServer, code: int, status: str) -> None:
    server.routes["/"] = lambda h: h.reply(code, b"explanation")
    result = client.fetch(server.url())
    assert result.status == status
    assert result.http_status == code
    assert result.error == f"HTTP {code}"
    assert result.body == b"explanation"  # error pages are kept (capped) for diagnostics
    assert not result.ok
    assert len(server.requests) == 1  # only 429 and 503 are retried


def test_error_page_is_capped(client: HttpClient, server: HttpServer) -> None:
    server.routes["/"] = lambda h: h.reply(404, b"x" * 100_000)
    result = client.fetch(server.url())
    assert result.status == "broken"
    assert len(result.body) == 16 * 1024
    assert result.truncated


# --- retries -----------------------------------------------------------------------------


@pytest.mark.slow
def test_429_with_retry_after_then_ok(client: HttpClient, server: HttpServer) -> None:
    def limited_once(handler: Handler) -> None:
        if len(server.requests) == 1:
            handler.reply(429, b"slow down", headers=[("Retry-After", "1")])
        else:
            html(handler)

    server.routes["/"] = limited_once
    started = time.monotonic()
    result = client.fetch(server.url())
    assert result.status == "ok"
    assert len(server.requests) == 2
    assert time.monotonic() - started >= 0.9  # Retry-After was honoured


def test_429_forever_is_rate_limited(client: HttpClient, server: HttpServer) -> None:
    server.routes["/"] = lambda h: h.reply(429, b"", headers=[("Retry-After", "0")])
    result = client.fetch(server.url())
    assert result.status == "rate-limited"
    assert result.http_status == 429
    assert len(server.requests) == 3  # the first attempt and 2 retries


def test_retry_after_http_date_is_honoured(client: HttpClient, server: HttpServer) -> None:
    past = formatdate(time.time() - 60, usegmt=True)

    def limited_once(handler: Handler) -> None:
        if len(server.requests) == 1:
            handler.reply(503, b"", headers=[("Retry-After", past)])
        else:
            html(handler)

    server.routes["/"] = limited_once
    assert client.fetch(server.url()).status == "ok"
    assert len(server.requests) == 2


def test_retry_after_beyond_deadline_gives_up_at_once(
    client: HttpClient, server: HttpServer
) -> None:
    server.routes["/"] = lambda h: h.reply(429, b"", headers=[("Retry-After", "5")])
    started = time.monotonic()
    result = client.fetch(server.url())
    assert result.status == "rate-limited"
    assert len(server.requests) == 1
    assert time.monotonic() - started < 1.0  # no sleep that could only end past the deadline


def test_retry_after_beyond_cap_gives_up_at_once(
    make_client: Callable[..., HttpClient], server: HttpServer
) -> None:
    client = make_client(deadline=60.0, max_retry_wait=1.0)
    server.routes["/"] = lambda h: h.reply(503, b"", headers=[("Retry-After", "3600")])
    started = time.monotonic()
    assert client.fetch(server.url()).status == "server-error"
    assert len(server.requests) == 1
    assert time.monotonic() - started < 1.0


@pytest.mark.slow
def test_503_is_retried_then_server_error(client: HttpClient, server: HttpServer) -> None:
    server.routes["/"] = lambda h: h.reply(503, b"down")
    result = client.fetch(server.url())
    assert result.status == "server-error"
    assert result.http_status == 503
    assert len(server.requests) == 3


# --- time limits -------------------------------------------------------------------------


@pytest.mark.slow
def test_slow_headers_hit_the_read_timeout(client: HttpClient, server: HttpServer) -> None:
    def slow(handler: Handler) -> None:
        handler.stopping.wait(3)
        html(handler)

    server.routes["/"] = slow
    started = time.monotonic()
    result = client.fetch(server.url())
    assert result.status == "unreachable"
    assert "read timeout" in result.error
    assert time.monotonic() - started < 1.5


# Servers that misbehave "forever" give up after this long, so that a broken client fails
# the test instead of hanging it.
FOREVER = 8.0


def drip(sock: socket.socket, stopping: threading.Event) -> None:
    """One byte every 0.3 s: never trips the 0.5 s read timeout."""
    end = time.monotonic() + FOREVER
    while not stopping.wait(0.3) and time.monotonic() < end:
        sock.sendall(b"a")


def trickle_body(sock: socket.socket, stopping: threading.Event) -> None:
    read_request(sock)
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n")
    drip(sock, stopping)


def trickle_headers(sock: socket.socket, stopping: threading.Event) -> None:
    read_request(sock)
    sock.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
    drip(sock, stopping)


@pytest.mark.slow
@pytest.mark.parametrize("behaviour", [trickle_body, trickle_headers])
def test_trickling_server_is_stopped_by_the_deadline(
    client: HttpClient, behaviour: Callable[[socket.socket, threading.Event], None]
) -> None:
    # One byte every 0.3 s never trips the 0.5 s read timeout; only the deadline can end it.
    with RawServer(behaviour) as raw:
        started = time.monotonic()
        result = client.fetch(raw.url())
        elapsed = time.monotonic() - started
    assert result.status == "unreachable"
    assert "deadline" in result.error
    assert DEADLINE - 0.2 < elapsed < DEADLINE + SLACK


@pytest.mark.slow
def test_trickling_tls_handshake_ends_in_time(client: HttpClient) -> None:
    # CPython bounds a whole handshake by the socket timeout (the connect timeout here); the
    # watchdog would end it at the deadline otherwise.
    def slow_handshake(sock: socket.socket, stopping: threading.Event) -> None:
        sock.recv(65536)  # the ClientHello
        sock.sendall(b"\x16\x03\x03\x40\x00")  # a 16 KiB handshake record is coming ...
        drip(sock, stopping)  # ... one byte at a time

    with RawServer(slow_handshake) as raw:
        started = time.monotonic()
        result = client.fetch(raw.url().replace("http://", "https://"))
        elapsed = time.monotonic() - started
    assert result.status == "unreachable"
    assert elapsed < DEADLINE + SLACK


@pytest.mark.slow
def test_deadline_covers_the_whole_redirect_chain(
    make_client: Callable[..., HttpClient], server: HttpServer
) -> None:
    client = make_client(read_timeout=1.0, deadline=1.5)

    def slow_redirect(handler: Handler) -> None:
        handler.stopping.wait(0.6)
        handler.redirect(f"/hop?n={len(server.requests)}")

    server.routes["/hop"] = slow_redirect
    started = time.monotonic()
    result = client.fetch(server.url("/hop"))
    assert result.status == "unreachable"
    assert time.monotonic() - started < 1.5 + SLACK
    assert len(server.requests) <= 3


# --- size limits -------------------------------------------------------------------------


def endless(handler: Handler, content_type: str = "text/html") -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", content_type)
    handler.end_headers()
    chunk = b"\0" * 65536
    for _ in range(20_000_000 // len(chunk)):  # "endless": 20 times max_bytes
        if handler.stopping.is_set():
            break
        handler.wfile.write(chunk)


def test_endless_body_is_too_large(client: HttpClient, server: HttpServer) -> None:
    server.routes["/"] = endless
    result = client.fetch(server.url())
    assert result.status == "too-large"
    assert result.body == b""
    assert result.http_status == 200


def test_huge_content_length_is_too_large_without_reading(client: HttpClient) -> None:
    def huge(sock: socket.socket, stopping: threading.Event) -> None:
        read_request(sock)
        sock.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1000000000000\r\n\r\n"
        )
        sock.sendall(b"a" * 1000)
        stopping.wait(5)  # the rest never comes: reading would run into the deadline

    with RawServer(huge) as raw:
        started = time.monotonic()
        result = client.fetch(raw.url())
        assert time.monotonic() - started < 1.0
    assert result.status == "too-large"
    assert "Content-Length" in result.error
    assert result.body == b""


def test_max_bytes_exactly_is_accepted(
    make_client: Callable[..., HttpClient], server: HttpServer
) -> None:
    client = make_client(max_bytes=1000)
    server.routes["/fits"] = lambda h: h.reply(200, b"x" * 1000)
    server.routes["/over"] = lambda h: h.reply(200, b"x" * 1001)
    assert client.fetch(server.url("/fits")).body == b"x" * 1000
    assert client.fetch(server.url("/over")).status == "too-large"


GZIP_BOMB = gzip.compress(b"\0" * 10_000_000, compresslevel=9)


def test_gzip_bomb_stops_at_max_bytes_of_output(client: HttpClient, server: HttpServer) -> None:
    assert len(GZIP_BOMB) < 20_000
    server.routes["/"] = lambda h: h.reply(200, GZIP_BOMB, headers=[("Content-Encoding", "gzip")])
    tracemalloc.start()
    try:
        result = client.fetch(server.url())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.status == "too-large"
    assert result.body == b""
    # The full output is 10 MB; reading stops a little past max_bytes (1 MB).
    assert peak < 8_000_000


# --- redirects ---------------------------------------------------------------------------


def test_redirect_is_followed_and_reported(client: HttpClient, server: HttpServer) -> None:
    server.routes["/old"] = lambda h: h.redirect("/new", 301)
    server.routes["/new"] = html
    result = client.fetch(server.url("/old"))
    assert result.status == "redirected"
    assert result.ok
    assert result.url == server.url("/old")
    assert result.final_url == server.url("/new")
    assert result.text == "<title>Café</title>"


def test_redirect_body_is_not_read(make_client: Callable[..., HttpClient]) -> None:
    client = make_client(read_timeout=1.5)

    def redirect_then_stall(sock: socket.socket, stopping: threading.Event) -> None:
        request = read_request(sock)
        if request.startswith(b"GET /new "):
            sock.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 2\r\n\r\nok"
            )
            return
        # A body is announced and never sent: reading it would wait for the read timeout.
        sock.sendall(b"HTTP/1.1 302 Found\r\nLocation: /new\r\nContent-Length: 100000\r\n\r\n")
        stopping.wait(FOREVER)

    with RawServer(redirect_then_stall) as raw:
        started = time.monotonic()
        result = client.fetch(raw.url("/old"))
        elapsed = time.monotonic() - started
    assert result.status == "redirected"
    assert result.body == b"ok"
    assert elapsed < 1.0


def test_redirect_loop(client: HttpClient, server: HttpServer) -> None:
    server.routes["/a"] = lambda h: h.redirect("/b")
    server.routes["/b"] = lambda h: h.redirect("/a")
    result = client.fetch(server.url("/a"))
    assert result.status == "too-many-redirects"
    assert result.http_status == 302
    assert len(server.requests) == 6  # the first request and 5 followed redirects


def chain(server: HttpServer, hops: int) -> str:
    for n in range(1, hops + 1):
        server.routes[f"/r{n}"] = functools.partial(
            Handler.redirect, location=f"/r{n - 1}" if n > 1 else "/end"
        )
    server.routes["/end"] = html
    return server.url(f"/r{hops}")


def test_six_redirects_are_too_many(client: HttpClient, server: HttpServer) -> None:
    result = client.fetch(chain(server, 6))
    assert result.status == "too-many-redirects"
    assert "/end" not in [r.path for r in server.requests]


def test_five_redirects_are_followed(client: HttpClient, server: HttpServer) -> None:
    result = client.fetch(chain(server, 5))
    assert result.status == "redirected"
    assert result.final_url == server.url("/end")


def test_303_after_post_becomes_get(client: HttpClient, server: HttpServer) -> None:
    server.routes["/form"] = lambda h: h.redirect("/done", 303)
    server.routes["/done"] = html
    result = client.fetch(server.url("/form"), method="POST", data={"a": "b"}, accept=None)
    assert result.status == "broken"  # POST redirects are not followed by default
    result = client.fetch(
        server.url("/form"), method="POST", data={"a": "b"}, follow_redirects=True
    )
    assert result.status == "redirected"
    assert [(r.method, r.path) for r in server.requests[-2:]] == [
        ("POST", "/form"),
        ("GET", "/done"),
    ]


# --- the address guard -------------------------------------------------------------------


def test_default_client_refuses_loopback(server: HttpServer) -> None:
    server.routes["/"] = html
    with HttpClient(HttpOptions(deadline=DEADLINE)) as client:
        for url in (
            server.url(),
            server.url(host="localhost"),
            server.url(host="2130706433"),  # 127.0.0.1 as one decimal number
            server.url(host="0x7f.1"),
            server.url(host="[::1]"),
            server.url(host="[::ffff:127.0.0.1]"),
            server.url(host="[::ffff:7f00:1]"),
        ):
            result = client.fetch(url)
            assert result.status == "refused", url
            assert result.http_status is None
    assert server.requests == []


def test_redirect_to_private_address_is_refused(client: HttpClient, server: HttpServer) -> None:
    server.routes["/"] = lambda h: h.redirect("http://10.0.0.1/admin")
    started = time.monotonic()
    result = client.fetch(server.url())
    assert result.status == "refused"
    assert "10.0.0.1" in result.error and "private" in result.error
    assert result.final_url == "http://10.0.0.1/admin"
    assert time.monotonic() - started < 0.5  # refused before any connect attempt


@pytest.mark.parametrize("target_host", ["localhost", "127.0.0.1", "[::ffff:127.0.0.1]"])
def test_redirect_out_of_the_allowed_network_never_connects(
    make_client: Callable[..., HttpClient], target_host: str
) -> None:
    client = make_client(allow_networks=(ip_network("127.0.0.2/32"),))
    with HttpServer("127.0.0.1") as inside, HttpServer("127.0.0.2") as allowed:
        inside.routes["/secret"] = html
        allowed.routes["/"] = lambda h: h.redirect(inside.url("/secret", host=target_host))
        result = client.fetch(allowed.url())
    assert result.status == "refused"
    assert len(allowed.requests) == 1
    assert inside.requests == []


def test_dns_rebinding_cannot_switch_the_address_after_the_check(
    make_client: Callable[..., HttpClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A name that resolves to an allowed address for the check and to a forbidden one for
    the connect must still reach the checked address: the connection is made to it."""
    client = make_client(allow_networks=(ip_network("127.0.0.2/32"),))
    real_getaddrinfo = socket.getaddrinfo
    answers = iter(["127.0.0.2"])

    def rebinding(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "rebind.test":
            return real_getaddrinfo(host, port, *args, **kwargs)
        address = next(answers, "127.0.0.1")  # first answer allowed, every later one not
        return real_getaddrinfo(address, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    with HttpServer("127.0.0.2") as allowed, HttpServer("127.0.0.1", port=allowed.port) as inside:
        allowed.routes["/"] = html
        inside.routes["/"] = html
        result = client.fetch(allowed.url(host="rebind.test"))
    assert result.status == "ok"
    assert len(allowed.requests) == 1
    assert allowed.requests[0].headers["host"] == f"rebind.test:{allowed.port}"
    assert inside.requests == []


def test_cross_host_redirect_drops_credentials(client: HttpClient) -> None:
    secret = "s3cr3t-t0ken"
    with HttpServer("127.0.0.1") as first, HttpServer("127.0.0.2") as second:
        first.routes["/same"] = lambda h: h.redirect(f"/start?token={secret}&page=2")
        first.routes["/start"] = lambda h: h.redirect(second.url(f"/landing?token={secret}&page=2"))
        second.routes["/landing"] = html
        result = client.fetch(
            first.url(f"/same?token={secret}"),
            headers={"Authorization": f"Bearer {secret}", "X-Other": "kept"},
            secret_params=("token",),
        )
    assert result.status == "redirected"
    assert [r.path for r in first.requests] == [
        f"/same?token={secret}",
        f"/start?token={secret}&page=2",
    ]
    # Within the origin the credentials go along ...
    assert all(r.headers["authorization"] == f"Bearer {secret}" for r in first.requests)
    # ... to another host they do not.
    (landing,) = second.requests
    assert landing.path == "/landing?page=2"
    assert "authorization" not in landing.headers
    assert landing.headers["x-other"] == "kept"
    assert secret not in str(landing)
    assert secret not in result.final_url
    assert landing.headers["host"] == f"127.0.0.2:{second.port}"


@pytest.mark.slow
def test_error_messages_and_logs_never_contain_secrets(
    client: HttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "tok-9f8e7d6c"
    closed_port = socket.create_server(("127.0.0.1", 0))
    port = closed_port.getsockname()[1]
    closed_port.close()

    def reset(sock: socket.socket, stopping: threading.Event) -> None:
        read_request(sock)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    # Our own log lines; urllib3's DEBUG lines (off unless the root logger is) are its own.
    caplog.set_level(logging.DEBUG, logger="mkdocs.plugins.mkdocs_backlinks.http.client")
    with HttpServer() as server, RawServer(reset) as raw:
        server.routes["/private"] = lambda h: h.redirect(f"http://10.0.0.1/?token={secret}")
        server.routes["/slow"] = lambda h: h.stopping.wait(3)
        server.routes["/404"] = lambda h: h.reply(404, b"")
        results = [
            client.fetch(f"http://127.0.0.1:{port}/?token={secret}", secret_params=["token"]),
            client.fetch(server.url(f"/private?token={secret}"), secret_params=["token"]),
            client.fetch(server.url(f"/slow?token={secret}"), secret_params=["token"]),
            client.fetch(server.url(f"/404?token={secret}"), secret_params=["token"]),
            client.fetch(raw.url(f"/?token={secret}"), secret_params=["token"]),
            client.fetch(f"ftp://127.0.0.1/?token={secret}", secret_params=["token"]),
            client.fetch(
                f"http://127.0.0.1:{port}/", headers={"Authorization": f"Bearer {secret}"}
            ),
        ]
    assert [r.status for r in results] == [
        "unreachable",
        "refused",
        "unreachable",
        "broken",
        "unreachable",
        "refused",
        "unreachable",
    ]
    for result in results:
        assert result.error
        assert secret not in result.error
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("mkdocs.plugins"))
    assert "token=REDACTED" in ours
    assert secret not in ours


# --- content type and charset ------------------------------------------------------------


def test_wrong_type_is_not_read(client: HttpClient, server: HttpServer) -> None:
    server.routes["/image"] = lambda h: endless(h, "image/png")
    started = time.monotonic()
    result = client.fetch(server.url("/image"))
    assert result.status == "wrong-type"
    assert "image/png" in result.error
    assert result.body == b""
    assert time.monotonic() - started < 1.0
    # The same response is fine for a caller that accepts images; then the cap applies.
    assert client.fetch(server.url("/image"), accept=("image/*",)).status == "too-large"


def test_missing_content_type_is_wrong_type(client: HttpClient, server: HttpServer) -> None:
    server.routes["/"] = lambda h: h.reply(200, b"?", content_type="")
    assert client.fetch(server.url()).status == "wrong-type"
    assert client.fetch(server.url(), accept=None).status == "ok"


def test_content_type_parameters_and_case_are_ignored(
    client: HttpClient, server: HttpServer
) -> None:
    server.routes["/"] = lambda h: h.reply(200, b"<p>", "Application/XHTML+XML ; charset=UTF-8")
    assert client.fetch(server.url()).status == "ok"


@pytest.mark.parametrize(
    ("content_type", "body", "text"),
    [
        ("text/html; charset=foo", b"caf\xe9 \xff ok", "caf\ufffd \ufffd ok"),
        ("text/html; charset=zlib", b"caf\xc3\xa9", "café"),  # not a text codec
        ("text/html; charset=rot13", b"abc", "abc"),
        ("text/html; charset=utf-8", b"caf\xe9", "caf\ufffd"),
        ('text/html; charset="ISO-8859-1"', b"caf\xe9", "café"),
        ("text/html", b"\xef\xbb\xbfcaf\xc3\xa9", "café"),
        (None, b"\x80", "\ufffd"),
    ],
)
def test_bad_charsets_decode_with_replacement(
    content_type: str | None, body: bytes, text: str
) -> None:
    assert decode_text(body, content_type) == text


def test_bad_charset_through_the_client(client: HttpClient, server: HttpServer) -> None:
    server.routes["/"] = lambda h: h.reply(200, b"caf\xe9 \xff ok", "text/html; charset=foo")
    result = client.fetch(server.url())
    assert result.status == "ok"
    assert result.text == "caf\ufffd \ufffd ok"


# --- broken connections ------------------------------------------------------------------


@pytest.mark.slow
def test_connection_reset_mid_body(client: HttpClient) -> None:
    def reset(sock: socket.socket, stopping: threading.Event) -> None:
        read_request(sock)
        sock.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n"
        )
        sock.sendall(b"a" * 5000)
        stopping.wait(0.2)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    with RawServer(reset) as raw:
        result = client.fetch(raw.url())
    assert result.status == "unreachable"
    assert "reset" in result.error or "before the body was complete" in result.error
    assert result.body == b""


def test_server_closing_without_response(client: HttpClient) -> None:
    with RawServer(lambda sock, stopping: read_request(sock) and None) as raw:
        result = client.fetch(raw.url())
    assert result.status == "unreachable"
    assert "without a response" in result.error


def test_garbage_instead_of_http(client: HttpClient) -> None:
    def garbage(sock: socket.socket, stopping: threading.Event) -> None:
        read_request(sock)
        sock.sendall(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")

    with RawServer(garbage) as raw:
        result = client.fetch(raw.url())
    assert result.status == "unreachable"
    assert "malformed" in result.error


def test_connection_refused(client: HttpClient) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()
    result = client.fetch(f"http://127.0.0.1:{port}/")
    assert result.status == "unreachable"
    assert "refused" in result.error


def test_unresolvable_host_ends_within_the_deadline(client: HttpClient) -> None:
    started = time.monotonic()
    result = client.fetch("http://no-such-host.invalid/")
    assert result.status == "unreachable"
    assert "DNS" in result.error
    assert time.monotonic() - started < DEADLINE + SLACK


@pytest.mark.slow
def test_hung_dns_lookup_ends_at_the_deadline(
    client: HttpClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_getaddrinfo = socket.getaddrinfo
    release = threading.Event()

    def hung(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "hung-dns.test":
            release.wait(10)
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", hung)
    started = time.monotonic()
    try:
        result = client.fetch("http://hung-dns.test/")
    finally:
        release.set()
    assert result.status == "unreachable"
    assert result.error == "hung-dns.test: DNS lookup timed out"
    assert DEADLINE - 0.2 < time.monotonic() - started < DEADLINE + SLACK


@pytest.mark.parametrize(
    "url",
    [
        "ftp://127.0.0.1/file",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "gopher://127.0.0.1:25/",
        "//127.0.0.1/",
        "http://",
        "http://127.0.0.1:99999/",
        "",
    ],
)
def test_non_http_urls_are_refused(client: HttpClient, url: str) -> None:
    result = client.fetch(url)
    assert result.status == "refused"
    assert result.error


def test_redirect_to_another_scheme_is_refused(client: HttpClient, server: HttpServer) -> None:
    server.routes["/"] = lambda h: h.redirect("file:///etc/passwd")
    result = client.fetch(server.url())
    assert result.status == "refused"
    assert "file" in result.error


def test_userinfo_is_never_sent(client: HttpClient, server: HttpServer) -> None:
    server.routes["/"] = html
    result = client.fetch(server.url().replace("http://", "http://user:pass@"))
    assert result.status == "ok"
    assert "authorization" not in server.requests[0].headers


# --- conditional requests ----------------------------------------------------------------


def test_304_with_etag_and_last_modified(client: HttpClient, server: HttpServer) -> None:
    stamp = "Wed, 21 Oct 2015 07:28:00 GMT"

    def conditional(handler: Handler) -> None:
        if handler.headers.get("If-None-Match") == '"v1"':
            handler.send_response(304)
            handler.send_header("ETag", '"v1"')
            handler.end_headers()
        else:
            handler.reply(200, b"<p>v1", headers=[("ETag", '"v1"'), ("Last-Modified", stamp)])

    server.routes["/"] = conditional
    fresh = client.fetch(server.url())
    assert fresh.status == "ok"
    assert fresh.validators == Validators('"v1"', stamp)
    again = client.fetch(server.url(), etag='"v1"', last_modified=stamp)
    assert again.status == "not-modified"
    assert again.ok
    assert again.http_status == 304
    assert again.body == b""
    assert server.requests[1].headers["if-none-match"] == '"v1"'
    assert server.requests[1].headers["if-modified-since"] == stamp


# --- concurrency -------------------------------------------------------------------------


@pytest.mark.slow
def test_fetch_many_respects_total_and_per_host_limits(
    make_client: Callable[..., HttpClient],
) -> None:
    client = make_client(concurrency=8, per_host=2, deadline=10.0)
    total = Meter()
    servers = [HttpServer(f"127.0.0.{n}", meters=(total,)) for n in range(1, 6)]

    def slow(handler: Handler) -> None:
        meters = handler.server.owner.meters
        for meter in meters:
            meter.enter()
        handler.stopping.wait(0.2)
        # Leave before answering: the client frees its slot only after the answer.
        for meter in meters:
            meter.leave()
        html(handler)

    for running in servers:
        running.routes["/slow"] = slow
        running.__enter__()
    try:
        urls = [s.url(f"/slow?n={n}") for s in servers for n in range(4)]
        started = time.monotonic()
        results = client.fetch_many(urls)
        elapsed = time.monotonic() - started
    finally:
        for running in servers:
            running.__exit__()
    assert list(results) == urls
    assert {r.status for r in results.values()} == {"ok"}
    assert total.peak <= 8
    assert all(s.meter.peak <= 2 for s in servers)
    assert total.peak > 2  # it did run concurrently
    assert elapsed < 20 * 0.2


@pytest.mark.slow
def test_total_limit_holds_for_direct_calls_from_many_threads(
    make_client: Callable[..., HttpClient],
) -> None:
    client = make_client(concurrency=3, per_host=2, deadline=10.0)
    total = Meter()
    servers = [HttpServer(f"127.0.0.{n}", meters=(total,)) for n in range(1, 4)]

    def slow(handler: Handler) -> None:
        total.enter()
        handler.stopping.wait(0.2)
        total.leave()
        html(handler)

    for running in servers:
        running.routes["/slow"] = slow
        running.__enter__()
    try:
        urls = [s.url(f"/slow?n={n}") for s in servers for n in range(3)]
        with ThreadPoolExecutor(max_workers=len(urls)) as pool:
            results = list(pool.map(client.fetch, urls))
    finally:
        for running in servers:
            running.__exit__()
    assert {r.status for r in results} == {"ok"}
    assert 1 < total.peak <= 3


def test_fetch_many_failures_are_results(client: HttpClient, server: HttpServer) -> None:
    server.routes["/ok"] = html
    results = client.fetch_many(
        [server.url("/ok"), server.url("/missing"), "ftp://x/", server.url("/ok")]
    )
    assert [r.status for r in results.values()] == ["ok", "broken", "refused"]


def test_fetch_many_passes_validators(client: HttpClient, server: HttpServer) -> None:
    server.routes["/"] = lambda h: h.reply(304 if h.headers.get("If-None-Match") else 200, b"")
    url = server.url()
    results = client.fetch_many([url], validators={url: Validators(etag='"x"')})
    assert results[url].status == "not-modified"


@pytest.mark.slow
def test_fetch_many_batch_deadline(make_client: Callable[..., HttpClient]) -> None:
    client = make_client(concurrency=2, read_timeout=5.0, deadline=5.0)
    with HttpServer() as server:
        server.routes["/slow"] = lambda h: h.stopping.wait(5)
        urls = [server.url(f"/slow?n={n}") for n in range(6)]
        started = time.monotonic()
        results = client.fetch_many(urls, deadline=0.5)
        elapsed = time.monotonic() - started
    assert {r.status for r in results.values()} == {"unreachable"}
    assert elapsed < 0.5 + SLACK
    assert len(server.requests) <= 2  # the queued ones never started


# --- offline and lifecycle ---------------------------------------------------------------


def test_offline_env_var(
    client: HttpClient, server: HttpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.routes["/"] = html
    monkeypatch.setenv(OFFLINE_ENV, "1")
    result = client.fetch(server.url())
    assert (result.status, result.error) == ("unreachable", "offline")
    many = client.fetch_many([server.url("/a"), server.url("/b")])
    assert {r.error for r in many.values()} == {"offline"}
    assert client.post_form(server.url(), {"source": "a", "target": "b"}).error == "offline"
    assert server.requests == []


def test_offline_option(make_client: Callable[..., HttpClient], server: HttpServer) -> None:
    result = make_client(offline=True).fetch(server.url())
    assert (result.status, result.error) == ("unreachable", "offline")
    assert server.requests == []


def test_closed_client_returns_results(server: HttpServer) -> None:
    server.routes["/"] = html
    with HttpClient(options()) as client:
        assert client.fetch(server.url()).status == "ok"
    result = client.fetch(server.url())
    assert result.status == "unreachable"
    assert "closed" in result.error
    assert len(server.requests) == 1


def test_options_are_validated() -> None:
    with pytest.raises(ValueError, match="deadline"):
        HttpOptions(deadline=0)
    with pytest.raises(ValueError, match="per_host"):
        HttpOptions(per_host=0)
    with pytest.raises(ValueError, match="allow_networks"):
        HttpOptions(allow_networks=("127.0.0.0/8",))  # type: ignore[arg-type]


# --- webmention sending ------------------------------------------------------------------


def test_post_form_sends_form_and_keeps_location(client: HttpClient, server: HttpServer) -> None:
    server.routes["/webmention"] = lambda h: h.reply(
        201, b"", content_type="", headers=[("Location", "/status/42")]
    )
    result = client.post_form(
        server.url("/webmention"),
        {"source": "https://me.example/post/", "target": "https://you.example/a?b=c&d"},
    )
    assert result.status == "ok"
    assert result.http_status == 201
    assert result.headers["Location"] == "/status/42"
    (seen,) = server.requests
    assert seen.method == "POST"
    assert seen.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qs(seen.body.decode()) == {
        "source": ["https://me.example/post/"],
        "target": ["https://you.example/a?b=c&d"],
    }


def test_post_form_does_not_follow_redirects(client: HttpClient, server: HttpServer) -> None:
    server.routes["/webmention"] = lambda h: h.redirect("/elsewhere", 307)
    result = client.post_form(server.url("/webmention"), {"source": "a", "target": "b"})
    assert result.status == "broken"
    assert result.http_status == 307
    assert result.headers["Location"] == "/elsewhere"
    assert [r.path for r in server.requests] == ["/webmention"]


# --- TLS through the pinned address ------------------------------------------------------


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A throwaway CA and a certificate for "localhost" only (no IP address) signed by it."""
    return make_certificates(tmp_path_factory.mktemp("tls"), with_ip=False)


def test_https_connects_to_the_checked_address_but_verifies_the_name(
    make_client: Callable[..., HttpClient], certificates: tuple[Path, Path, Path]
) -> None:
    ca, leaf, key = certificates
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(leaf, key)
    server_names: list[str | None] = []
    context.sni_callback = lambda sock, name, ctx: server_names.append(name)
    client = make_client(ca_bundle=str(ca), allow_networks=(*LOOPBACK, ip_network("::1/128")))
    with HttpServer(tls=context) as server:
        server.routes["/"] = html
        by_name = client.fetch(server.url(scheme="https", host="localhost"))
        by_ip = client.fetch(server.url(scheme="https"))
    assert by_name.status == "ok", by_name.error
    assert by_name.text == "<title>Café</title>"
    assert server_names[0] == "localhost"  # SNI carries the name, not the pinned IP
    assert server.requests[0].headers["host"] == f"localhost:{server.port}"
    # The certificate names localhost only: verification uses the name in the URL.
    assert by_ip.status == "unreachable"
    assert "certificate" in by_ip.error


def test_https_rejects_an_unknown_ca(
    client: HttpClient, certificates: tuple[Path, Path, Path]
) -> None:
    _ca, leaf, key = certificates
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(leaf, key)
    with HttpServer(tls=context) as server:
        server.routes["/"] = html
        result = client.fetch(server.url(scheme="https", host="localhost"))
    assert result.status in ("unreachable", "refused")
    assert server.requests == []


# --- pure helpers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "192.0.2.1",
        "198.18.0.1",
        "::",
        "::1",
        "fe80::1",
        "fc00::1",
        "fec0::1",
        "ff02::1",
        "ff0e::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "::127.0.0.1",
        "64:ff9b::a00:1",
        "64:ff9b:1::7f00:1",
        "2002:a00:1::",
        "2001:db8::1",
    ],
)
def test_address_guard_refuses(address: str) -> None:
    assert address_problem(ip_address(address)) is not None


@pytest.mark.parametrize(
    "address",
    ["8.8.8.8", "1.1.1.1", "93.184.216.34", "2606:4700:4700::1111", "::ffff:8.8.8.8"],
)
def test_address_guard_allows_public_addresses(address: str) -> None:
    assert address_problem(ip_address(address)) is None


def test_allow_networks_open_only_themselves() -> None:
    allowed = (ip_network("10.0.0.0/8"),)
    assert address_problem(ip_address("10.9.9.9"), allowed) is None
    assert address_problem(ip_address("::ffff:10.9.9.9"), allowed) is None
    assert address_problem(ip_address("192.168.0.1"), allowed) == "private"
    assert address_problem(ip_address("127.0.0.1"), allowed) == "loopback"


def test_retry_after_parsing() -> None:
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds(" 0 ") == 0.0
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds("-5") is None
    assert retry_after_seconds(formatdate(time.time() - 100, usegmt=True)) == 0.0
    ahead = retry_after_seconds(formatdate(time.time() + 100, usegmt=True))
    assert ahead is not None and 95 <= ahead <= 101


def test_result_is_immutable() -> None:
    result = Result("http://a/", "http://a/", "ok")
    with pytest.raises(AttributeError):
        result.status = "broken"  # type: ignore[misc]


# --- what the resolver says ----------------------------------------------------------------


def test_a_name_that_does_not_exist_is_told_apart_from_a_resolver_that_cannot_answer(
    client: HttpClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NXDOMAIN is an answer about the URL; EAI_AGAIN is the lack of one (the network)."""
    from http_servers import Resolver

    from mkdocs_backlinks.http import dns

    resolver = Resolver({".gone.test": socket.EAI_NONAME, ".flaky.test": socket.EAI_AGAIN})
    monkeypatch.setattr(dns, "resolver", resolver)
    missing = client.fetch("http://site.gone.test/page")
    assert (missing.status, missing.no_such_host) == ("unreachable", True)
    assert missing.error == "site.gone.test: no such host (DNS)"
    unsure = client.fetch("http://site.flaky.test/page")
    assert (unsure.status, unsure.no_such_host) == ("unreachable", False)
    assert unsure.error == (
        "site.flaky.test: DNS lookup failed: Temporary failure in name resolution"
    )
    assert resolver.asked == ["site.gone.test", "site.flaky.test"]


def test_a_redirect_to_a_name_that_does_not_exist_says_so(
    client: HttpClient, server: HttpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from http_servers import Resolver

    from mkdocs_backlinks.http import dns

    monkeypatch.setattr(dns, "resolver", Resolver({".gone.test": socket.EAI_NONAME}))
    server.routes["/"] = lambda h: h.redirect("http://moved.gone.test/here")
    result = client.fetch(server.url())
    assert (result.status, result.no_such_host) == ("unreachable", True)
    assert result.final_url == "http://moved.gone.test/here"


@pytest.mark.parametrize("host", ["a..b.example", "x" * 64 + ".example"])
def test_a_name_no_dns_can_hold_is_final_too(client: HttpClient, host: str) -> None:
    """An empty label, or one over 63 characters, fails in the IDNA codec before any query."""
    result = client.fetch(f"http://{host}/")
    assert (result.status, result.no_such_host) == ("unreachable", True)
    assert result.error == f"{host}: invalid host name"


def test_the_system_resolver_on_an_invalid_name(client: HttpClient) -> None:
    """RFC 6761 reserves `.invalid`; what this machine's resolver answers for it decides
    what the client must report (no other name is asked, and nothing is mocked)."""
    name = "no-such-host.invalid"
    try:
        socket.getaddrinfo(name, 80, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        expected = error.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", None))
    else:
        pytest.skip("this machine's resolver gives an address to a .invalid name")
    result = client.fetch(f"http://{name}/")
    assert result.status == "unreachable"
    assert result.no_such_host is expected


# --- URLs that are no URLs -----------------------------------------------------------------


def test_a_url_that_is_no_url_is_a_result_not_an_exception(
    client: HttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    """`urlsplit` raises ValueError for an unclosed IPv6 bracket. The secrets and log
    helpers split the URL before `_follow` could refuse it, so fetch, fetch_many and
    post_form raised instead of answering "refused" (a cited `http://[::1/` was then a
    crashed check, and a discovered endpoint one a crashed send)."""
    secret = "tok-1a2b3c"
    caplog.set_level(logging.DEBUG, logger="mkdocs.plugins.mkdocs_backlinks.http.client")
    url = f"http://[::1/?token={secret}"
    results = [
        client.fetch(url, secret_params=["token"]),
        client.post_form("http://[::1/", {"source": "a", "target": "b"}),
        *client.fetch_many(["http://[fe80::1/"]).values(),
    ]
    assert [(r.status, r.error) for r in results] == [("refused", "invalid URL")] * 3
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("mkdocs.plugins"))
    assert "http://[::1/?REDACTED" in ours
    assert secret not in ours


def test_a_redirect_to_a_url_that_is_no_url_is_refused(
    client: HttpClient, server: HttpServer
) -> None:
    """Before, the ValueError from joining the Location was caught as an unexpected failure:
    'unreachable', error 'ValueError', which the link checker counts as a host that did not
    answer (towards deciding that the network is down)."""
    server.routes["/"] = lambda h: h.redirect("http://[::1/elsewhere")
    result = client.fetch(server.url())
    assert (result.status, result.error) == ("refused", "redirect to an invalid URL")
    assert result.final_url == server.url()


# --- Turns with a host ---------------------------------------------------------------------


def test_host_turns_keep_the_limit_and_the_order_of_arrival() -> None:
    """What waits for a host starts in the order it came, and a start that no longer wants
    its turn (a cancelled work) hands it on at once."""
    from mkdocs_backlinks.http.hosts import HostTurns

    turns = HostTurns(per_host=2)
    started: list[str] = []

    def start(name: str, *, wanted: bool = True) -> Callable[[], bool]:
        def begin() -> bool:
            if wanted:
                started.append(name)
            return wanted

        return begin

    for name in ("a1", "a2", "a3"):
        turns.queue("a.example", start(name))
    turns.queue("a.example", start("cancelled", wanted=False))
    turns.queue("a.example", start("a4"))
    turns.queue("b.example", start("b1"))
    assert started == ["a1", "a2", "b1"]
    turns.release("a.example")
    assert started == ["a1", "a2", "b1", "a3"]
    turns.release("a.example")  # the cancelled one is skipped
    assert started == ["a1", "a2", "b1", "a3", "a4"]


def test_a_host_turn_not_free_by_the_deadline_is_not_taken() -> None:
    from mkdocs_backlinks.http.hosts import HostTurns

    turns = HostTurns(per_host=1)
    with (
        turns.hold("a.example", time.monotonic() + 1.0) as first,
        turns.hold("a.example", time.monotonic() + 0.05) as second,
    ):
        assert (first, second) == (True, False)
    # The one that gave up left no turn taken behind it.
    with turns.hold("a.example", time.monotonic()) as again:
        assert again


# --- a host that asked us to slow down ---------------------------------------------------


def test_a_host_that_answered_429_gets_no_more_requests(
    client: HttpClient, server: HttpServer
) -> None:
    """Given up on after a 429, a host is not asked again by the same client (one build, one
    command run): every later request would only add to the load it asked us to shed."""
    server.routes["/busy"] = lambda h: h.reply(429, b"", headers=[("Retry-After", "3600")])
    server.routes["/other"] = html
    assert client.fetch(server.url("/busy")).status == "rate-limited"
    later = client.fetch_many([server.url(f"/other?n={i}") for i in range(18)])
    assert {result.status for result in later.values()} == {"rate-limited"}
    assert all("429 earlier" in result.error for result in later.values())
    assert [r.path for r in server.requests] == ["/busy"]


def test_a_429_that_was_retried_away_stops_nothing(
    make_client: Callable[..., HttpClient], server: HttpServer
) -> None:
    client = make_client(backoff=0.0)

    def limited_once(handler: Handler) -> None:
        if len(server.requests) == 1:
            handler.reply(429, b"", headers=[("Retry-After", "0")])
        else:
            html(handler)

    server.routes["/"] = limited_once
    assert client.fetch(server.url()).status == "ok"
    assert client.fetch(server.url()).status == "ok"
    assert len(server.requests) == 3
