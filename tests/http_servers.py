"""Real servers on loopback for tests of `mkdocs_backlinks.http.client`.

`HttpServer` is the standard library's threading server with a route table and a record of
every request it saw; `RawServer` hands each accepted socket to a function, for behaviour no
well-behaved server produces (trickling, resets, lies about lengths). Both stop promptly:
handlers that would wait forever wait on `stopping` instead.
"""

from __future__ import annotations

import contextlib
import functools
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar


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


_Served = TypeVar("_Served", bound="FolderServer")


class QuietFiles(SimpleHTTPRequestHandler):
    """Python's static file handler, without a log line per request."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


class FolderServer:
    """A static file server over `folder` on 127.0.0.1: a deployed site, for tests that run
    `send` (the live page is fetched before any webmention goes). `files` may be a subclass
    of `QuietFiles` that records or redirects requests."""

    def __init__(
        self, folder: Path, host: str = "127.0.0.1", files: type[QuietFiles] = QuietFiles
    ) -> None:
        handler = functools.partial(files, directory=str(folder))
        self._httpd = ThreadingHTTPServer((host, 0), handler)
        self._httpd.daemon_threads = True
        self.url = f"http://{host}:{self._httpd.server_address[1]}/"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self: _Served) -> _Served:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


def make_certificates(
    folder: Path, name: str = "localhost", *, with_ip: bool = True
) -> tuple[Path, Path, Path]:
    """A throwaway CA and a certificate for `name` (and 127.0.0.1 unless `with_ip` is off)
    signed by it, written to `folder`: `(ca.pem, leaf.pem, leaf.key)`. With the
    `cryptography` package when it is installed, else the `openssl` command; a test skips
    when neither is there."""
    try:
        return _certificates_with_cryptography(folder, name, with_ip)
    except ImportError:
        pass
    if shutil.which("openssl") is None:
        import pytest

        pytest.skip("neither cryptography nor openssl is installed")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    openssl(
        "req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/CN=backlinks test CA",
    )  # fmt: skip
    openssl("req", *ec, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", f"/CN={name}")
    (folder / "leaf.ext").write_text(
        f"subjectAltName=DNS:{name}{',IP:127.0.0.1' if with_ip else ''}\n"
        "basicConstraints=CA:FALSE\n"
        "keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n"
    )
    openssl(
        "x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "leaf.pem", "-days", "2", "-extfile", "leaf.ext",
    )  # fmt: skip
    return folder / "ca.pem", folder / "leaf.pem", folder / "leaf.key"


def _certificates_with_cryptography(
    folder: Path, name: str, with_ip: bool
) -> tuple[Path, Path, Path]:
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)

    def build(subject: str, issuer: str, key: Any, signer: Any, ca: bool) -> Any:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            builder = builder.add_extension(
                x509.SubjectAlternativeName(
                    [x509.DNSName(name)]
                    + ([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))] if with_ip else [])
                ),
                critical=False,
            ).add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
            )
        return builder.sign(signer, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    ca = build("backlinks test CA", "backlinks test CA", ca_key, ca_key, ca=True)
    leaf = build(name, "backlinks test CA", leaf_key, ca_key, ca=False)
    pem = serialization.Encoding.PEM
    (folder / "ca.pem").write_bytes(ca.public_bytes(pem))
    (folder / "leaf.pem").write_bytes(leaf.public_bytes(pem))
    (folder / "leaf.key").write_bytes(
        leaf_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return folder / "ca.pem", folder / "leaf.pem", folder / "leaf.key"


def tls_context(leaf: Path, key: Path) -> ssl.SSLContext:
    """A server-side TLS context presenting `leaf`."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(leaf, key)
    return context


class ForwardProxy:
    """A tiny forwarding proxy on loopback that counts what it carries.

    `CONNECT host:port` opens a tunnel, and an absolute-form request (`GET http://host/...`) is
    forwarded, both to `upstream` (host, port) whatever the host asked for: the tests' sites
    have names no resolver knows, and the proxy is what resolves them. `requests` records each
    request line (CONNECT's authority, or the absolute URL)."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.requests: list[str] = []
        self._lock = threading.Lock()
        self._server = RawServer(self._handle)
        self.port = self._server.port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ForwardProxy:
        self._server.__enter__()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.__exit__(*exc_info)

    def _handle(self, client: socket.socket, stopping: threading.Event) -> None:
        head = read_request(client)
        if not head:
            return
        line = head.split(b"\r\n", 1)[0].decode("latin-1")
        method, target, _version = [*line.split(" "), "", ""][:3]
        with self._lock:
            self.requests.append(f"{method} {target}")
        with socket.create_connection(self.upstream, timeout=5) as upstream:
            if method == "CONNECT":
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            else:
                path = "/" + target.split("://", 1)[-1].partition("/")[2]
                upstream.sendall(head.replace(target.encode("latin-1"), path.encode(), 1))
            _pipe(client, upstream, stopping)


def _pipe(a: socket.socket, b: socket.socket, stopping: threading.Event) -> None:
    """Copy bytes both ways until either side closes."""
    import selectors

    with selectors.DefaultSelector() as selector:
        selector.register(a, selectors.EVENT_READ, b)
        selector.register(b, selectors.EVENT_READ, a)
        while not stopping.is_set():
            for key, _ in selector.select(timeout=0.1):
                source = key.fileobj
                assert isinstance(source, socket.socket)
                data = source.recv(65536)
                if not data:
                    return
                key.data.sendall(data)
