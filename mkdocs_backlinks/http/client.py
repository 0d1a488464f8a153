"""The one place where the plugin touches the network.

Everything remote (metadata of cited pages, webmention discovery and sending, incoming
mentions) goes through `HttpClient`, so the rules that keep a documentation build safe and
bounded live here once:

- **Address guard.** A cited URL is chosen by whoever wrote the page, and every redirect by
  whoever runs the server, so any of them may point at the build machine's own network
  (cloud metadata at 169.254.169.254, a router, a database on localhost). Each hop's host is
  resolved here, every address is checked, and the connection goes to the checked address
  itself (the request URL is rewritten to the IP; Host header, SNI and certificate checks keep
  the name), so DNS cannot answer differently between the check and the connect.
- **Bounded cost.** A timeout per connect and per read, one wall-clock deadline per request
  covering redirects, retries, slow handshakes, trickling headers and bodies, a byte cap on the
  decoded body (so a compression bomb stops after `max_bytes` of output), and a limit on
  concurrent requests per host and in total.
- **No secrets leak.** Credentials (Authorization, Cookie and query parameters the caller
  marks secret) never follow a redirect to another origin, and error messages are built from
  our own words, never from exception text that may quote a URL.
- **Failures are values.** Every call returns a `Result` with a status a caller can act on;
  nothing raises for a remote problem.

Requests are sent through the session's adapter rather than `Session.send`: with redirects
off, `Session.send` still reads the whole body of a redirect response (to offer
`Response.next`), which a hostile server could make endless.
"""

from __future__ import annotations

import codecs
import concurrent.futures
import contextlib
import email.utils
import http.client
import http.cookiejar
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Literal, cast
from urllib.parse import unquote_plus, urljoin, urlsplit, urlunsplit

import requests
import urllib3
from mkdocs.plugins import get_plugin_logger
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from mkdocs_backlinks.http.link_header import header_text
from mkdocs_backlinks.http.options import (
    OFFLINE_ENV,
    USER_AGENT,
    HttpOptions,
    IPNetwork,
    offline_from_env,
)

__all__ = [
    "DEFAULT_ACCEPT",
    "OFFLINE_ENV",
    "USER_AGENT",
    "HttpClient",
    "HttpOptions",
    "IPNetwork",
    "Result",
    "Status",
    "Validators",
    "address_problem",
    "decode_text",
    "retry_after_seconds",
]

log = get_plugin_logger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

Status = Literal[
    "ok",
    "redirected",
    "not-modified",
    "broken",
    "gone",
    "rate-limited",
    "server-error",
    "unreachable",
    "refused",
    "too-large",
    "wrong-type",
    "too-many-redirects",
]

DEFAULT_ACCEPT = ("text/html", "application/xhtml+xml")

_REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
_RETRY_CODES = frozenset({429, 503})
# Error pages are read only this far: enough for a receiver's explanation of a refused
# webmention, too little to matter when the page is hostile.
_ERROR_BODY_BYTES = 16 * 1024
# Raw bytes per read. With urllib3 >= 2.6 the decoded output of one read is also capped at this
# size; older versions decode a whole raw chunk, so a small chunk bounds a bomb's expansion.
_CHUNK = 16 * 1024
_CREDENTIAL_HEADERS = ("Authorization", "Proxy-Authorization", "Cookie")
_DEFAULT_PORTS = {"http": 80, "https": 443}

# IPv6 prefixes that carry an IPv4 address a gateway will connect to (NAT64, RFC 6052/8215).
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
# Deprecated IPv4-compatible addresses (::a.b.c.d): `ipaddress` calls them global.
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


@dataclass(frozen=True)
class Validators:
    """What a stored copy of a page needs to ask "has it changed?" (a conditional GET)."""

    etag: str | None = None
    last_modified: str | None = None


def _no_headers() -> CaseInsensitiveDict[str]:
    return CaseInsensitiveDict()


@dataclass(frozen=True)
class Result:
    """The outcome of one request, success or not.

    `status` is what callers branch on; `http_status` and `error` are for messages to the
    author. `body` is complete for "ok"/"redirected"; for error statuses it holds at most the
    first 16 KiB of the error page (`truncated` says whether more was left unread).
    """

    url: str
    """The URL as the caller passed it."""
    final_url: str
    """The URL of the last hop (secret query parameters removed if it is on another origin)."""
    status: Status
    http_status: int | None = None
    headers: CaseInsensitiveDict[str] = field(default_factory=_no_headers, hash=False)
    """The final response's headers (repeated headers joined with ", ")."""
    link_headers: tuple[str, ...] = ()
    """Each Link header line of the final response, unmerged, for webmention discovery."""
    body: bytes = b""
    truncated: bool = False
    elapsed: float = 0.0
    error: str = ""
    """Human-readable reason for a failure; never contains a secret the caller passed."""
    no_such_host: bool = False
    """With "unreachable": the resolver answered that a hop's host name does not exist
    (NXDOMAIN, or a name without addresses), rather than failing to answer. That is news about
    the URL, not about the network, and a link checker may call the work broken; the status
    stays "unreachable" because some systems (macOS offline, a sandbox whose DNS knows only a
    few names) give the same answer for every name when the network is down, so only a caller
    that has seen the network work can believe it."""

    @property
    def ok(self) -> bool:
        """Whether the resource is usable: fetched, or unchanged since the validators."""
        return self.status in ("ok", "redirected", "not-modified")

    @property
    def text(self) -> str:
        """The body decoded with the declared charset, or UTF-8; undecodable bytes replaced."""
        return decode_text(self.body, self.headers.get("Content-Type"))

    @property
    def validators(self) -> Validators:
        """The ETag and Last-Modified to send with the next conditional request."""
        return Validators(self.headers.get("ETag"), self.headers.get("Last-Modified"))


def decode_text(body: bytes, content_type: str | None) -> str:
    """Decode a body the way a lenient browser would, never raising.

    Remote pages declare charsets that do not exist ("foo"), that are not text codecs
    ("zlib", "rot13", "base64") or that lie about the bytes; all fall back to UTF-8 with
    replacement characters, so one bad page cannot stop a build.
    """
    charset = _param(content_type, "charset")
    if charset:
        try:
            codecs.lookup(charset)
            return body.decode(charset, errors="replace")
        except (LookupError, ValueError, TypeError):
            pass
    return body.decode("utf-8-sig" if body.startswith(codecs.BOM_UTF8) else "utf-8", "replace")


def _param(header: str | None, name: str) -> str | None:
    """A parameter of a header such as Content-Type, unquoted; None if absent."""
    if not header:
        return None
    for part in header.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == name:
            return value.strip().strip('"').strip() or None
    return None


def _media_type(header: str | None) -> str:
    return (header or "").split(";", 1)[0].strip().lower()


def _accepts(accept: tuple[str, ...], media_type: str) -> bool:
    for wanted in (item.strip().lower() for item in accept):
        if wanted in (media_type, "*/*"):
            return True
        if wanted.endswith("/*") and media_type.startswith(wanted[:-1]):
            return True
    return False


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a Retry-After header asks to wait (delta-seconds or an HTTP date), or None.

    A date in the past means "now" (0); anything unparseable is None, so the caller falls back
    to its own backoff instead of trusting garbage.
    """
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    current = now or datetime.now(timezone.utc)
    return max(0.0, (when - current).total_seconds())


# --- The address guard --------------------------------------------------------------------


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for, if a stack or gateway would reach it.

    `::ffff:10.0.0.1` is 10.0.0.1 on a dual-stack socket; 6to4 and NAT64 addresses are relayed
    to the IPv4 address inside them. Checking only the IPv6 form would let those through.
    """
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if any(address in network for network in _NAT64):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_problem(address: IPAddress, allow_networks: Iterable[IPNetwork] = ()) -> str | None:
    """Why the plugin must not connect to `address`, or None when it may.

    Only globally routable unicast addresses pass: loopback, private, link-local (cloud
    metadata), shared (100.64/10), unspecified, multicast, reserved, documentation and other
    special-purpose ranges are refused, also when wrapped in an IPv6 form. An address inside
    one of `allow_networks` always passes (or whose embedded IPv4 address is inside one).
    """
    allowed = tuple(allow_networks)
    embedded = _embedded_ipv4(address) if isinstance(address, ipaddress.IPv6Address) else None
    for candidate in (address, embedded):
        if candidate is not None and any(
            candidate.version == network.version and candidate in network for network in allowed
        ):
            return None
    if address.is_loopback:
        return "loopback"
    if address.is_unspecified:
        return "unspecified"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if isinstance(address, ipaddress.IPv6Address):
        if address.is_site_local:
            return "site-local"
        if address in _IPV4_COMPATIBLE:
            return "IPv4-compatible (deprecated)"
        if embedded is not None:
            inner = address_problem(embedded)
            return None if inner is None else f"embeds {embedded}, which is {inner}"
    if address.is_private:
        return "private"
    if address.is_reserved:
        return "reserved"
    if not address.is_global:
        return "not globally routable"
    return None


# --- Deadline watchdog and pinned connections --------------------------------------------


class _AddressRefused(Exception):
    """The socket reached an address other than the one checked (should never happen)."""


class _DeadlineExceeded(Exception):
    """The request's wall-clock deadline passed while reading."""


# One lock for all watchdogs: it orders "who owns this connection now" against shutdowns.
_WATCH_LOCK = threading.Lock()


class _Watchdog:
    """Ends a request at its deadline, whatever the socket is doing.

    Socket timeouts bound each read, not their sum: a server sending one byte just inside the
    read timeout keeps a blocking read alive for hours, e.g. while http.client reads a header
    line, where our code never regains control to look at the clock. At the deadline this
    shuts the connection down, which wakes the blocked read with end-of-file.

    It shuts down a duplicate of the socket's descriptor that it owns, so a descriptor that
    urllib3 closed meanwhile and the system reused is never touched; and only while its
    request still owns the connection, so a kept-alive connection that has moved on to another
    request in the pool is left alone.
    """

    def __init__(self, deadline: float) -> None:
        self.fired = False
        self._done = False
        self._conn: _Watched | None = None
        self._dup: socket.socket | None = None
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, conn: _Watched, sock: socket.socket) -> None:
        try:
            dup = socket.fromfd(sock.fileno(), sock.family, sock.type)
        except OSError:
            return
        old: socket.socket | None
        with _WATCH_LOCK:
            if self._done:
                old = dup
            else:
                old, self._dup, self._conn = self._dup, dup, conn
                conn.backlinks_watchdog = self
                if self.fired:
                    with contextlib.suppress(OSError):
                        dup.shutdown(socket.SHUT_RDWR)
        if old is not None:
            old.close()

    def _fire(self) -> None:
        with _WATCH_LOCK:
            if self._done:
                return
            self.fired = True
            conn, dup = self._conn, self._dup
            if dup is not None and conn is not None and conn.backlinks_watchdog is self:
                with contextlib.suppress(OSError):
                    dup.shutdown(socket.SHUT_RDWR)

    def finish(self) -> None:
        self._timer.cancel()
        with _WATCH_LOCK:
            self._done = True
            conn, dup = self._conn, self._dup
            self._conn = self._dup = None
            if conn is not None and conn.backlinks_watchdog is self:
                conn.backlinks_watchdog = None
        if dup is not None:
            dup.close()


@dataclass(frozen=True)
class _Attempt:
    """What the connection classes need to know about the request this thread is sending.

    urllib3 creates connections deep inside `urlopen`, in the calling thread, so a thread-local
    is how the checked address and the watchdog reach them.
    """

    address: IPAddress
    server_hostname: str | None
    watchdog: _Watchdog


_LOCAL = threading.local()


def _current_attempt() -> _Attempt | None:
    return cast("_Attempt | None", getattr(_LOCAL, "attempt", None))


class _WatchedConnection(HTTPConnection):
    """A urllib3 connection that checks where it connected and arms the watchdog.

    The URL already names the checked IP, so the peer check is defence in depth; the watch on
    a new socket covers the TLS handshake, the one on `request` covers a reused connection.
    """

    backlinks_watchdog: _Watchdog | None = None

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _on_new_socket(self, sock)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        attempt = _current_attempt()
        if attempt is not None and self.sock is not None:
            attempt.watchdog.watch(self, self.sock)
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(_WatchedConnection, HTTPSConnection):
    """The same for HTTPS: the checks above run before urllib3's TLS connection code."""


def _on_new_socket(conn: _Watched, sock: socket.socket) -> None:
    attempt = _current_attempt()
    if attempt is None:
        return
    try:
        peer = ipaddress.ip_address(str(sock.getpeername()[0]).split("%", 1)[0])
    except (OSError, ValueError, IndexError):
        peer = None
    if peer != ipaddress.ip_address(str(attempt.address).split("%", 1)[0]):
        sock.close()
        raise _AddressRefused(f"connected to {peer}, not to the checked address")
    attempt.watchdog.watch(conn, sock)


_Watched = _WatchedConnection | _WatchedHTTPSConnection


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _PinnedAdapter(HTTPAdapter):
    """Sends to the pre-checked IP in the URL while TLS still verifies the host name.

    The URL's host is the checked IP, so urllib3 never resolves anything; `server_hostname`
    (part of urllib3's pool key) restores SNI and certificate verification for the name.
    """

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _WatchedHTTPPool,
            "https": _WatchedHTTPSPool,
        }

    def build_connection_pool_key_attributes(
        self,
        request: requests.PreparedRequest,
        verify: bool | str,
        cert: str | tuple[str, str] | None = None,
    ) -> tuple[Any, Any]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(
            request, verify, cert
        )
        attempt = _current_attempt()
        if attempt is None or attempt.server_hostname is None or host_params["scheme"] != "https":
            return host_params, pool_kwargs
        extended: dict[str, Any] = dict(pool_kwargs)
        extended["server_hostname"] = attempt.server_hostname
        return host_params, extended


# --- URLs, secrets and error messages -----------------------------------------------------


@dataclass(frozen=True)
class _Target:
    """One hop's URL, validated and normalised (IDNA host, default port made explicit)."""

    url: str
    scheme: str
    host: str
    port: int

    def same_origin(self, other: _Target) -> bool:
        """Whether credentials for `self` may go to `other`: same host and port, or the
        plain http://host upgraded to https://host on the default ports."""
        if self.host != other.host:
            return False
        if (self.scheme, self.port) == (other.scheme, other.port):
            return True
        return (self.scheme, self.port, other.scheme, other.port) == ("http", 80, "https", 443)

    @property
    def host_is_ip(self) -> bool:
        try:
            ipaddress.ip_address(self.host)
        except ValueError:
            return False
        return True

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if _DEFAULT_PORTS[self.scheme] == self.port else f"{host}:{self.port}"

    def pinned_url(self, address: IPAddress) -> str:
        """This URL with the host replaced by `address`, so nothing resolves it again."""
        if isinstance(address, ipaddress.IPv6Address):
            text = str(address).replace("%", "%25")
            netloc = f"[{text}]:{self.port}"
        else:
            netloc = f"{address}:{self.port}"
        parts = urlsplit(self.url)
        return urlunsplit((self.scheme, netloc, parts.path or "/", parts.query, ""))


class _Refused(Exception):
    """A URL the client will not request; the message says why."""


def _parse_target(url: str) -> _Target:
    """Validate one hop's URL: only http(s), a host, a valid port; drop userinfo and fragment.

    Userinfo is dropped because requests would turn it into a Basic Authorization header,
    which a redirect could then aim at any host.
    """
    try:
        parts = urlsplit(url.strip())
    except ValueError as error:
        raise _Refused("invalid URL") from error
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise _Refused(f"scheme {scheme or '(none)'!r} is not allowed; only http and https")
    netloc = parts.netloc.rpartition("@")[2]
    cleaned = urlunsplit((scheme, netloc, parts.path, parts.query, ""))
    prepared = requests.PreparedRequest()
    try:
        prepared.prepare_url(cleaned, None)
        normal = urlsplit(prepared.url or "")
        port = normal.port or _DEFAULT_PORTS[scheme]
    except (requests.RequestException, ValueError) as error:
        raise _Refused("invalid URL") from error
    host = normal.hostname
    if not host:
        raise _Refused("URL has no host")
    return _Target(url=normal.geturl(), scheme=scheme, host=host, port=port)


def _query_key(piece: str) -> str:
    return unquote_plus(piece.partition("=")[0])


def _strip_params(url: str, names: frozenset[str]) -> str:
    """`url` without the query parameters in `names`; the others keep their exact bytes."""
    if not names:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:  # no URL (an unclosed IPv6 bracket): its whole query goes
        return url.partition("?")[0]
    if not parts.query:
        return url
    kept = [piece for piece in parts.query.split("&") if _query_key(piece) not in names]
    return urlunsplit(parts._replace(query="&".join(kept)))


def _redact(url: str, names: frozenset[str]) -> str:
    """`url` for a log line: secret parameters keep their name, lose their value."""
    if not names:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:  # no URL (an unclosed IPv6 bracket): its whole query is hidden
        base, question, _ = url.partition("?")
        return base + ("?REDACTED" if question else "")
    if not parts.query:
        return url
    pieces = [
        f"{piece.partition('=')[0]}=REDACTED" if _query_key(piece) in names else piece
        for piece in parts.query.split("&")
    ]
    return urlunsplit(parts._replace(query="&".join(pieces)))


def _secret_values(url: str, names: frozenset[str], headers: Mapping[str, str]) -> tuple[str, ...]:
    """Every secret the caller handed us, in the forms it may appear in text."""
    values: set[str] = set()
    try:
        query = urlsplit(url).query
    except ValueError:  # not a URL (an unclosed IPv6 bracket): `_follow` refuses it as such
        query = url.partition("?")[2].partition("#")[0]
    for piece in query.split("&"):
        if names and _query_key(piece) in names:
            raw = piece.partition("=")[2]
            values.update({raw, unquote_plus(raw)})
    for name, value in headers.items():
        if name.lower() in {h.lower() for h in _CREDENTIAL_HEADERS}:
            values.add(value)
            values.add(value.partition(" ")[2])
    return tuple(sorted((v for v in values if v), key=len, reverse=True))


def _scrub(message: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        message = message.replace(secret, "***")
    return message


def _causes(error: BaseException) -> Iterator[BaseException]:
    """The error and everything it wraps (requests and urllib3 nest three or four deep)."""
    seen: set[int] = set()
    stack = [error]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        linked = [getattr(current, "reason", None), current.__cause__, current.__context__]
        linked.extend(arg for arg in current.args if isinstance(arg, BaseException))
        stack.extend(item for item in linked if isinstance(item, BaseException))


def _is_connect_failure(error: BaseException) -> bool:
    """Whether the request never reached the server, so another address may be tried
    without sending it twice."""
    return isinstance(error, requests.ConnectTimeout) or any(
        isinstance(cause, urllib3.exceptions.NewConnectionError) for cause in _causes(error)
    )


def _describe(error: BaseException, host: str) -> str:
    """A short, secret-free description of a transport error.

    Written from the error types, not from their text: urllib3's messages quote the request
    path, and with it any token in the query.
    """
    causes = list(_causes(error))

    def has(kind: type[BaseException]) -> BaseException | None:
        return next((cause for cause in causes if isinstance(cause, kind)), None)

    if isinstance(error, requests.ConnectTimeout):
        return f"{host}: connection timed out"
    if (verify := has(ssl.SSLCertVerificationError)) is not None:
        reason = getattr(verify, "verify_message", "") or "verification failed"
        return f"{host}: TLS certificate not valid: {reason}"
    if (tls := has(ssl.SSLError)) is not None:
        return f"{host}: TLS error: {getattr(tls, 'reason', None) or type(tls).__name__}"
    if isinstance(error, requests.ReadTimeout) or has(urllib3.exceptions.ReadTimeoutError):
        return f"{host}: no response within the read timeout"
    if has(urllib3.exceptions.DecodeError) is not None:
        return f"{host}: the body could not be decoded (bad Content-Encoding)"
    if has(http.client.RemoteDisconnected) is not None:
        return f"{host}: the server closed the connection without a response"
    if has(ConnectionRefusedError) is not None:
        return f"{host}: connection refused"
    if has(ConnectionResetError) is not None:
        return f"{host}: connection reset by the server"
    if has(http.client.IncompleteRead) or has(urllib3.exceptions.IncompleteRead):
        return f"{host}: the connection closed before the body was complete"
    if (bad := has(http.client.HTTPException)) is not None:
        return f"{host}: malformed response ({type(bad).__name__})"
    if has(TimeoutError) is not None:
        return f"{host}: timed out"
    oserror = next((c for c in causes if isinstance(c, OSError) and c.strerror), None)
    if oserror is not None:
        return f"{host}: {oserror.strerror}"
    return f"{host}: {type(causes[-1]).__name__}"


# --- The client ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Reply:
    """One HTTP exchange, already read and closed."""

    http_status: int
    headers: CaseInsensitiveDict[str]
    link_headers: tuple[str, ...]
    body: bytes = b""
    truncated: bool = False
    problem: tuple[Status, str] | None = None


@dataclass(frozen=True)
class _Failure:
    status: Status
    error: str
    no_such_host: bool = False


def _status_for(code: int) -> Status:
    if 200 <= code < 300:
        return "ok"
    if code == 304:
        return "not-modified"
    if code == 410:
        return "gone"
    if code == 429:
        return "rate-limited"
    if 500 <= code < 600:
        return "server-error"
    return "broken"


class HttpClient:
    """Guarded, bounded HTTP for the plugin; one per build, closed when the build ends.

    Thread-safe: `fetch_many` calls `fetch` from a pool, and callers may too.
    """

    def __init__(self, options: HttpOptions | None = None) -> None:
        self.options = options or HttpOptions()
        self._closed = threading.Event()
        self._session = requests.Session()
        # No proxies, .netrc or REQUESTS_CA_BUNDLE from the environment: a proxy would make the
        # address guard meaningless, and .netrc would add credentials we never chose to send.
        self._session.trust_env = False
        # Cookies are a tracking vector and nothing here needs them.
        self._session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        self._adapter = _PinnedAdapter(
            pool_connections=max(10, self.options.concurrency),
            pool_maxsize=self.options.per_host,
            max_retries=0,
        )
        self._session.mount("http://", self._adapter)
        self._session.mount("https://", self._adapter)
        self._verify: bool | str = self.options.ca_bundle or True
        self._total_slots = threading.BoundedSemaphore(self.options.concurrency)
        self._host_slots: dict[str, threading.BoundedSemaphore] = {}
        self._host_slots_lock = threading.Lock()
        self._accept_encoding = urllib3.util.make_headers(accept_encoding=True)["accept-encoding"]

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Release connections and threads; later calls return "unreachable". Idempotent."""
        self._closed.set()
        self._session.close()

    @property
    def offline(self) -> bool:
        return self.options.offline or offline_from_env()

    # --- public calls ---

    def fetch(
        self,
        url: str,
        *,
        method: str = "GET",
        accept: tuple[str, ...] | None = DEFAULT_ACCEPT,
        data: Mapping[str, str] | bytes | None = None,
        headers: Mapping[str, str] | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        secret_params: Iterable[str] = (),
        follow_redirects: bool | None = None,
    ) -> Result:
        """Request `url` and return what happened; never raises for a remote problem.

        `accept`: media types the caller can use; another Content-Type gives "wrong-type"
        without reading the body (None accepts anything). `etag`/`last_modified` make the
        request conditional. `secret_params` names query parameters that, like Authorization
        and Cookie headers, are dropped when a redirect leaves the origin. Redirects are
        followed for GET and HEAD unless `follow_redirects` says otherwise.
        """
        return self._fetch_until(
            url,
            time.monotonic() + self.options.deadline,
            method=method.upper(),
            accept=tuple(accept) if accept else None,
            data=data,
            headers=dict(headers or {}),
            validators=Validators(etag, last_modified),
            secret_params=frozenset(secret_params),
            follow_redirects=follow_redirects,
        )

    def post_form(
        self,
        url: str,
        data: Mapping[str, str],
        *,
        headers: Mapping[str, str] | None = None,
        secret_params: Iterable[str] = (),
    ) -> Result:
        """POST `data` form-encoded (a webmention's source and target), without following
        redirects: a redirected POST was not accepted, and re-sending it elsewhere is not ours
        to decide. A 201's Location stays in `Result.headers`."""
        return self.fetch(
            url,
            method="POST",
            accept=None,
            data=dict(data),
            headers=headers,
            secret_params=secret_params,
            follow_redirects=False,
        )

    def fetch_many(
        self,
        urls: Iterable[str],
        *,
        method: str = "GET",
        accept: tuple[str, ...] | None = DEFAULT_ACCEPT,
        headers: Mapping[str, str] | None = None,
        secret_params: Iterable[str] = (),
        validators: Mapping[str, Validators] | None = None,
        deadline: float | None = None,
    ) -> dict[str, Result]:
        """Fetch many URLs concurrently; a `Result` for every distinct URL, in input order.

        At most `concurrency` requests run at once, at most `per_host` per host name. The
        whole batch ends by `deadline` seconds (default `batch_deadline`): a URL not done by
        then is "unreachable" and its thread is left to finish on its own deadline.
        """
        unique = list(dict.fromkeys(urls))
        if not unique:
            return {}
        batch_end = time.monotonic() + (
            self.options.batch_deadline if deadline is None else deadline
        )
        known = validators or {}
        common: dict[str, Any] = {
            "method": method.upper(),
            "accept": tuple(accept) if accept else None,
            "data": None,
            "headers": dict(headers or {}),
            "secret_params": frozenset(secret_params),
            "follow_redirects": None,
        }
        results: dict[str, Result] = {}
        executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=min(self.options.concurrency, len(unique)),
            thread_name_prefix="backlinks-http",
        )
        try:
            futures = {
                executor.submit(
                    self._fetch_until,
                    url,
                    batch_end,
                    validators=known.get(url, Validators()),
                    batch_end=batch_end,
                    **common,
                ): url
                for url in unique
            }
            # Each fetch keeps its own deadline; the grace covers the watchdog's wake-up.
            done, pending = concurrent.futures.wait(
                futures, timeout=max(0.0, batch_end - time.monotonic()) + 1.0
            )
            for future in done:
                results[futures[future]] = future.result()
            for future in pending:
                future.cancel()
                url = futures[future]
                results[url] = Result(
                    url, url, "unreachable", error="the batch deadline passed first"
                )
                log.debug(
                    "%s: unreachable (the batch deadline passed first)",
                    _redact(url, common["secret_params"]),
                )
        finally:
            executor.shutdown(wait=False, cancel_futures=True)
        return {url: results[url] for url in unique}

    # --- internals ---

    def _fetch_until(
        self,
        url: str,
        deadline: float,
        *,
        method: str,
        accept: tuple[str, ...] | None,
        data: Mapping[str, str] | bytes | None,
        headers: dict[str, str],
        validators: Validators,
        secret_params: frozenset[str],
        follow_redirects: bool | None,
        batch_end: float | None = None,
    ) -> Result:
        started = time.monotonic()
        if batch_end is not None:
            # A queued URL gets its own deadline from when it starts, within the batch's.
            deadline = min(batch_end, started + self.options.deadline)
        secrets = _secret_values(url, secret_params, headers)
        if self.offline:
            result = Result(url, url, "unreachable", error="offline")
        elif self._closed.is_set():
            result = Result(url, url, "unreachable", error="the HTTP client is closed")
        elif batch_end is not None and started >= batch_end:
            result = Result(url, url, "unreachable", error="the batch deadline passed first")
        else:
            try:
                result = self._follow(
                    url,
                    deadline,
                    method=method,
                    accept=accept,
                    data=data,
                    headers=headers,
                    validators=validators,
                    secret_params=secret_params,
                    follow=method in ("GET", "HEAD")
                    if follow_redirects is None
                    else follow_redirects,
                )
            except Exception as error:
                # A remote failure must never stop the build, and a hostile response that
                # trips an unexpected exception deep in the HTTP stack is a remote failure.
                # No traceback: exception text from the HTTP stack may quote the URL.
                log.debug(
                    "unexpected %s fetching %s: %s",
                    type(error).__name__,
                    _redact(url, secret_params),
                    _scrub(str(error), secrets),
                )
                result = Result(url, url, "unreachable", error=type(error).__name__)
        result = replace(
            result, elapsed=time.monotonic() - started, error=_scrub(result.error, secrets)
        )
        if not result.ok:
            log.debug(
                "%s %s: %s%s",
                method,
                _redact(url, secret_params),
                result.status,
                f" ({result.error})" if result.error else "",
            )
        return result

    def _follow(
        self,
        url: str,
        deadline: float,
        *,
        method: str,
        accept: tuple[str, ...] | None,
        data: Mapping[str, str] | bytes | None,
        headers: dict[str, str],
        validators: Validators,
        secret_params: frozenset[str],
        follow: bool,
    ) -> Result:
        """Walk the redirect chain by hand, checking every hop like the first."""
        current = url
        origin: _Target | None = None
        first: _Target | None = None
        credentials = True
        redirects = 0
        while True:
            try:
                target = _parse_target(current)
            except _Refused as refusal:
                shown = current if origin is None else _strip_params(current, secret_params)
                return Result(url, shown, "refused", error=str(refusal))
            if origin is None:
                origin = first = target
            elif credentials and not origin.same_origin(target):
                credentials = False
            if not credentials:
                target = replace(target, url=_strip_params(target.url, secret_params))
                headers = {
                    name: value
                    for name, value in headers.items()
                    if name.lower() not in {h.lower() for h in _CREDENTIAL_HEADERS}
                }
            outcome = self._exchange_with_retries(
                target,
                deadline,
                method=method,
                accept=accept,
                data=data,
                headers=headers,
                validators=validators,
            )
            if isinstance(outcome, _Failure):
                return Result(
                    url,
                    target.url,
                    outcome.status,
                    error=outcome.error,
                    no_such_host=outcome.no_such_host,
                )
            location = outcome.headers.get("Location")
            if outcome.http_status in _REDIRECT_CODES and location:
                if not follow:
                    error = f"HTTP {outcome.http_status}: redirect not followed for {method}"
                    return self._result(url, target.url, outcome, "broken", error)
                if redirects >= self.options.max_redirects:
                    return self._result(
                        url,
                        target.url,
                        outcome,
                        "too-many-redirects",
                        f"more than {self.options.max_redirects} redirects",
                    )
                redirects += 1
                try:
                    current = urljoin(target.url, header_text(location))
                except ValueError:  # 'http://[::1/': refused like any other invalid hop
                    return Result(url, target.url, "refused", error="redirect to an invalid URL")
                if outcome.http_status == 303 or (
                    outcome.http_status in (301, 302) and method == "POST"
                ):
                    method = "HEAD" if method == "HEAD" else "GET"
                    data = None
                    headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
                continue
            if outcome.problem is not None:
                return self._result(url, target.url, outcome, *outcome.problem)
            status = _status_for(outcome.http_status)
            if status == "ok" and first is not None and target.url != first.url:
                status = "redirected"
            ok = status in ("ok", "redirected", "not-modified")
            return self._result(
                url, target.url, outcome, status, "" if ok else f"HTTP {outcome.http_status}"
            )

    @staticmethod
    def _result(url: str, final_url: str, reply: _Reply, status: Status, error: str) -> Result:
        keep_body = status not in ("too-large", "wrong-type", "too-many-redirects")
        return Result(
            url=url,
            final_url=final_url,
            status=status,
            http_status=reply.http_status,
            headers=reply.headers,
            link_headers=reply.link_headers,
            body=reply.body if keep_body else b"",
            truncated=reply.truncated and keep_body,
            error=error,
        )

    def _exchange_with_retries(
        self,
        target: _Target,
        deadline: float,
        *,
        method: str,
        accept: tuple[str, ...] | None,
        data: Mapping[str, str] | bytes | None,
        headers: dict[str, str],
        validators: Validators,
    ) -> _Reply | _Failure:
        """One hop: resolve and check, then send, retrying a 429 or 503 as the server asks."""
        addresses = self._resolve(target, deadline)
        if isinstance(addresses, _Failure):
            return addresses
        request_headers = {
            "User-Agent": self.options.user_agent,
            "Accept": ", ".join(accept) if accept else "*/*",
            "Accept-Encoding": self._accept_encoding,
            # One request per connection keeps the watchdog's socket this request's own.
            "Connection": "close",
        }
        if validators.etag:
            request_headers["If-None-Match"] = validators.etag
        if validators.last_modified:
            request_headers["If-Modified-Since"] = validators.last_modified
        request_headers.update({k: v for k, v in headers.items() if k.lower() != "host"})
        try:
            prepared = requests.Request(
                method, target.url, headers=request_headers, data=data
            ).prepare()
        except (requests.RequestException, ValueError) as error:
            return _Failure("refused", f"invalid request ({type(error).__name__})")
        prepared.headers["Host"] = target.host_header
        attempt = 0
        while True:
            reply = self._exchange(target, prepared, addresses, deadline, accept)
            if (
                isinstance(reply, _Failure)
                or reply.http_status not in _RETRY_CODES
                or attempt >= self.options.retries
            ):
                return reply
            wait = self._retry_wait(reply.headers.get("Retry-After"), attempt)
            if wait is None or time.monotonic() + wait >= deadline:
                return reply
            if self._closed.wait(wait):
                return _Failure("unreachable", "the HTTP client is closed")
            attempt += 1

    def _retry_wait(self, retry_after: str | None, attempt: int) -> float | None:
        """Seconds to wait before retrying, or None to give up now (the server asked for
        longer than `max_retry_wait`: retrying sooner would only be refused again)."""
        asked = retry_after_seconds(retry_after)
        if asked is not None:
            return asked if asked <= self.options.max_retry_wait else None
        return min(self.options.backoff * 2.0**attempt, self.options.max_retry_wait)

    def _resolve(self, target: _Target, deadline: float) -> list[IPAddress] | _Failure:
        """Every address of the hop's host, each checked by the address guard.

        One refused address refuses the host: a name that mixes public and private records
        is either misconfigured or a rebinding attempt, and connect fallback must not end up
        on the private one.
        """
        try:
            addresses: list[IPAddress] = [ipaddress.ip_address(target.host)]
        except ValueError:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return _Failure("unreachable", f"{target.host}: the deadline passed")
            try:
                infos = _getaddrinfo_within(target.host, target.port, remaining)
            except TimeoutError:
                return _Failure("unreachable", f"{target.host}: DNS lookup timed out")
            except socket.gaierror as error:
                if error.errno in _NO_SUCH_NAME:
                    return _Failure(
                        "unreachable", f"{target.host}: no such host (DNS)", no_such_host=True
                    )
                # EAI_AGAIN (no DNS server answered), EAI_FAIL, EAI_SYSTEM...: the resolver
                # could not find out, which is what a network that is down looks like.
                reason = error.strerror or "resolver error"
                return _Failure("unreachable", f"{target.host}: DNS lookup failed: {reason}")
            except UnicodeError:
                # The IDNA codec refused the name (an empty label, one over 63 characters): no
                # DNS can hold it, so it is as final as NXDOMAIN.
                return _Failure(
                    "unreachable", f"{target.host}: invalid host name", no_such_host=True
                )
            except OSError as error:
                reason = error.strerror or type(error).__name__
                return _Failure("unreachable", f"{target.host}: DNS lookup failed: {reason}")
            addresses = []
            for *_info, sockaddr in infos:
                try:
                    address = ipaddress.ip_address(str(sockaddr[0]))
                except ValueError:  # not an IP family; TCP lookups do not return those
                    continue
                if address not in addresses:
                    addresses.append(address)
            if not addresses:
                return _Failure("unreachable", f"{target.host}: no IPv4 or IPv6 address")
        for address in addresses:
            problem = address_problem(address, self.options.allow_networks)
            if problem is not None:
                return _Failure("refused", f"{target.host}: address {address} is {problem}")
        return addresses

    @contextlib.contextmanager
    def _slots(self, host: str, deadline: float) -> Iterator[bool]:
        """Hold a per-host and a total slot; host first, so a thread waiting for a total
        slot never blocks the host it holds from anything but its own request."""
        with self._host_slots_lock:
            host_slot = self._host_slots.setdefault(
                host, threading.BoundedSemaphore(self.options.per_host)
            )
        if not host_slot.acquire(timeout=max(0.0, deadline - time.monotonic())):
            yield False
            return
        try:
            if not self._total_slots.acquire(timeout=max(0.0, deadline - time.monotonic())):
                yield False
                return
            try:
                yield True
            finally:
                self._total_slots.release()
        finally:
            host_slot.release()

    def _exchange(
        self,
        target: _Target,
        prepared: requests.PreparedRequest,
        addresses: list[IPAddress],
        deadline: float,
        accept: tuple[str, ...] | None,
    ) -> _Reply | _Failure:
        """Send once (trying the next address only if the connection failed) and read."""
        with self._slots(target.host, deadline) as acquired:
            if not acquired:
                return _Failure(
                    "unreachable", f"{target.host}: the deadline passed waiting for a free slot"
                )
            failure = _Failure("unreachable", f"{target.host}: the deadline passed")
            for address in addresses:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                watchdog = _Watchdog(deadline)
                _LOCAL.attempt = _Attempt(
                    address, None if target.host_is_ip else target.host, watchdog
                )
                response: requests.Response | None = None
                try:
                    request = prepared.copy()
                    request.url = target.pinned_url(address)
                    response = self._adapter.send(
                        request,
                        stream=True,
                        timeout=(
                            min(self.options.connect_timeout, remaining),
                            min(self.options.read_timeout, remaining),
                        ),
                        verify=self._verify,
                        proxies={},
                    )
                    reply = self._read_reply(response, deadline, watchdog, accept)
                    if watchdog.fired:
                        # The shutdown reads as end-of-file, which can end a header block
                        # early and look like a complete (wrong) response.
                        raise _DeadlineExceeded
                    return reply
                except _AddressRefused as refusal:
                    return _Failure("refused", f"{target.host}: {refusal}")
                except (
                    _DeadlineExceeded,
                    requests.RequestException,
                    urllib3.exceptions.HTTPError,
                    http.client.HTTPException,
                    OSError,
                    ValueError,
                ) as error:
                    if watchdog.fired or isinstance(error, _DeadlineExceeded):
                        return _Failure(
                            "unreachable", f"{target.host}: the deadline passed mid-request"
                        )
                    failure = _Failure("unreachable", _describe(error, target.host))
                    if not _is_connect_failure(error):
                        return failure
                finally:
                    _LOCAL.attempt = None
                    watchdog.finish()
                    if response is not None:
                        response.close()
            return failure

    def _read_reply(
        self,
        response: requests.Response,
        deadline: float,
        watchdog: _Watchdog,
        accept: tuple[str, ...] | None,
    ) -> _Reply:
        """Read as much of the body as the status deserves: none for redirects, retries and
        wrong types, a little for error pages, up to `max_bytes` for the real thing."""
        raw = cast(urllib3.BaseHTTPResponse, response.raw)
        code = response.status_code
        reply = _Reply(
            http_status=code,
            headers=CaseInsensitiveDict(response.headers),
            link_headers=tuple(raw.headers.getlist("Link")),
        )
        if code < 200 or code in _REDIRECT_CODES or code in _RETRY_CODES or code == 304:
            return reply
        if code >= 300:
            body, truncated = self._read_body(raw, _ERROR_BODY_BYTES, deadline, watchdog)
            return replace(reply, body=body, truncated=truncated)
        media_type = _media_type(reply.headers.get("Content-Type"))
        if accept and not _accepts(accept, media_type):
            shown = media_type or "missing"
            return replace(
                reply,
                problem=("wrong-type", f"Content-Type {shown} is not one of {', '.join(accept)}"),
            )
        length = reply.headers.get("Content-Length", "").strip()
        if length.isdigit() and int(length) > self.options.max_bytes:
            return replace(
                reply,
                problem=("too-large", f"Content-Length {length} exceeds {self.options.max_bytes}"),
            )
        body, truncated = self._read_body(raw, self.options.max_bytes, deadline, watchdog)
        if truncated:
            return replace(
                reply, problem=("too-large", f"body exceeds {self.options.max_bytes} bytes")
            )
        return replace(reply, body=body)

    @staticmethod
    def _read_body(
        raw: urllib3.BaseHTTPResponse, limit: int, deadline: float, watchdog: _Watchdog
    ) -> tuple[bytes, bool]:
        """Up to `limit` decoded bytes, and whether there was more.

        Counts decoded output, so a compression bomb stops at `limit`; `read1` returns after
        one read from the socket, so the clock is looked at between reads.
        """
        # urllib3 before 2.3 has no read1; its read(amt) waits for amt bytes, which the
        # watchdog still cuts off at the deadline.
        read = getattr(raw, "read1", None) or raw.read
        chunks: list[bytes] = []
        size = 0
        while True:
            if watchdog.fired or time.monotonic() >= deadline:
                raise _DeadlineExceeded
            chunk = read(min(_CHUNK, limit - size + 1), decode_content=True)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                chunks.append(chunk)
                return b"".join(chunks)[:limit], True
            chunks.append(chunk)
        if watchdog.fired:  # the watchdog's shutdown reads as end-of-file
            raise _DeadlineExceeded
        return b"".join(chunks), False


_AddrInfo = list[tuple[Any, Any, int, str, tuple[Any, ...]]]

# getaddrinfo's answers that the name has no address: EAI_NONAME is NXDOMAIN (and a name
# unknown to every NSS source); EAI_NODATA, where the C library has it, a name that exists
# without A/AAAA records. Both are answers, where EAI_AGAIN (no DNS server reached, a time-out)
# and EAI_FAIL are the lack of one.
_NO_SUCH_NAME = frozenset(
    code
    for code in (getattr(socket, "EAI_NONAME", None), getattr(socket, "EAI_NODATA", None))
    if code is not None
)


def system_resolver(host: str, port: int) -> _AddrInfo:
    """The operating system's resolver, asked for TCP addresses of `host`."""
    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)


resolver: Callable[[str, int], _AddrInfo] = system_resolver
"""What the address guard asks for a host's addresses, looked up at each request.

A seam for tests, not an option: a machine without internet cannot be relied on to answer
"no such name" (it may as well say "try again"), so tests put here a resolver that fails the
way the system's does, with `socket.gaierror` and its errno, for the names they choose."""


def _getaddrinfo_within(host: str, port: int, timeout: float) -> _AddrInfo:
    """`socket.getaddrinfo`, given up on after `timeout` seconds.

    getaddrinfo has no timeout of its own and a stuck resolver can take half a minute, so it
    runs in a daemon thread: past the deadline the thread is abandoned (it ends when the
    resolver gives up) and, being a daemon, never holds up the end of the build.
    """
    outcome: list[_AddrInfo | Exception] = []
    done = threading.Event()

    def lookup() -> None:
        try:
            outcome.append(resolver(host, port))
        except Exception as error:  # handed to the waiting thread, which classifies it
            outcome.append(error)
        finally:
            done.set()

    threading.Thread(target=lookup, name="backlinks-dns", daemon=True).start()
    if not done.wait(timeout):
        raise TimeoutError(host)
    result = outcome[0]
    if isinstance(result, Exception):
        raise result
    return result
