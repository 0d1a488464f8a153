"""Real servers on loopback for tests of `mkdocs_backlinks.http.client`.

`HttpServer` is the standard library's threading server with a route table and a record of
every request it saw; `RawServer` hands each accepted socket to a function, for behaviour no
well-behaved server produces (trickling, resets, lies about lengths). Both stop promptly:
handlers that would wait forever wait on `stopping` instead.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Meter:
    """Counts requests in progress; `peak` is the most seen at once."""

    current: int = 0
    peak: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def enter(self) -> None:
        with self.lock:
            self.current += 1
            self.peak = max(self.peak, self.current)

    def leave(self) -> None:
        with self.lock:
            self.current -= 1


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


Route = Callable[["Handler"], object]


class Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _dispatch(self) -> None:
        owner = self.server.owner
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        owner.record(
            Recorded(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        )
        route = owner.routes.get(self.path.split("?", 1)[0])
        if route is None:
            self.reply(404, b"not found")
        else:
            route(self)

    do_GET = do_POST = do_HEAD = _dispatch

    @property
    def stopping(self) -> threading.Event:
        return self.server.owner.stopping

    def reply(
        self,
        status: int,
        body: bytes = b"",
        content_type: str = "text/html; charset=utf-8",
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in headers or []:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def redirect(self, location: str, status: int = 302) -> None:
        self.reply(status, b"", headers=[("Location", location)])


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: HttpServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients hanging up on endless bodies is the point of several tests


class HttpServer:
    """A threading HTTP server on `host`, on `port` or one the system chooses."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        *,
        port: int = 0,
        meters: tuple[Meter, ...] = (),
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Recorded] = []
        self.stopping = threading.Event()
        self.meter = Meter()
        self.meters = (self.meter, *meters)
        self._lock = threading.Lock()
        self._httpd = _Server((host, port), Handler)
        self._httpd.owner = self
        if tls is not None:
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True)
        self.host = host
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def route(self, path: str) -> Callable[[Route], Route]:
        def register(function: Route) -> Route:
            self.routes[path] = function
            return function

        return register

    def record(self, request: Recorded) -> None:
        with self._lock:
            self.requests.append(request)

    def url(self, path: str = "/", scheme: str = "http", host: str | None = None) -> str:
        return f"{scheme}://{host or self.host}:{self.port}{path}"

    def __enter__(self) -> HttpServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


def read_request(sock: socket.socket, limit: int = 65536) -> bytes:
    """Read one request head (no body); b"" if the client went away first."""
    data = b""
    sock.settimeout(5)
    with contextlib.suppress(OSError):
        while b"\r\n\r\n" not in data and len(data) < limit:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    return data


class RawServer:
    """Accepts connections on `host` and runs `handler(sock, stopping)` for each."""

    def __init__(
        self, handler: Callable[[socket.socket, threading.Event], object], host: str = "127.0.0.1"
    ) -> None:
        self.handler = handler
        self.stopping = threading.Event()
        self.connections = 0
        self._listener = socket.create_server((host, 0))
        self._listener.settimeout(0.05)
        self.host = host
        self.port = self._listener.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._accepter = threading.Thread(target=self._accept, daemon=True)

    def url(self, path: str = "/") -> str:
        return f"http://{self.host}:{self.port}{path}"

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, sock: socket.socket) -> None:
        with sock, contextlib.suppress(OSError):
            self.handler(sock, self.stopping)

    def __enter__(self) -> RawServer:
        self._accepter.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stopping.set()
        self._accepter.join(timeout=5)
        self._listener.close()
        for thread in self._threads:
            thread.join(timeout=5)


class Resolver:
    """Stands in for the system resolver (`mkdocs_backlinks.http.client.resolver`).

    A host ending in one of `faults`' suffixes fails the way `socket.getaddrinfo` fails, with
    `socket.gaierror` and the errno given (EAI_NONAME for NXDOMAIN, EAI_AGAIN for a resolver
    that cannot be reached); any other host goes to the system's resolver. A machine without
    internet cannot be relied on for either answer, so tests choose it here. `asked` records
    every name looked up.
    """

    MESSAGES = {
        socket.EAI_NONAME: "Name or service not known",
        socket.EAI_AGAIN: "Temporary failure in name resolution",
    }

    def __init__(self, faults: dict[str, int], names: dict[str, str] | None = None) -> None:
        self.faults = faults
        self.names = names or {}
        """Host names answered with the given IPv4 address (a name for a local server)."""
        self.asked: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, host: str, port: int) -> list[Any]:
        from mkdocs_backlinks.http.dns import system_resolver

        with self._lock:
            self.asked.append(host)
        for suffix, errno in self.faults.items():
            if host.endswith(suffix):
                raise socket.gaierror(errno, self.MESSAGES.get(errno, "resolver error"))
        if host in self.names:
            address = self.names[host]
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))]
        return system_resolver(host, port)
