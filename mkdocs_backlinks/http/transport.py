"""Connections that go only where the address guard said, and end at the deadline.

urllib3 creates connections deep inside `urlopen`, so the request being sent reaches them
through a thread-local `Attempt`: the checked address (the peer must be it) and the
`Watchdog` that shuts the socket down when the request's wall-clock deadline passes.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any, cast

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from mkdocs_backlinks.http.guard import IPAddress

__all__ = [
    "AddressRefused",
    "Attempt",
    "DeadlineExceeded",
    "PinnedAdapter",
    "Watchdog",
    "set_attempt",
]


class AddressRefused(Exception):
    """The socket reached an address other than the one checked (should never happen)."""


class DeadlineExceeded(Exception):
    """The request's wall-clock deadline passed while reading."""


# One lock for all watchdogs: it orders "who owns this connection now" against shutdowns.
_WATCH_LOCK = threading.Lock()


class Watchdog:
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
class Attempt:
    """What the connection classes need to know about the request this thread is sending.

    urllib3 creates connections deep inside `urlopen`, in the calling thread, so a thread-local
    is how the checked address and the watchdog reach them.
    """

    address: IPAddress | None
    """The checked address the socket must reach; None through a proxy, where the socket
    reaches the proxy and the proxy chooses the address."""
    server_hostname: str | None
    watchdog: Watchdog


_LOCAL = threading.local()


def set_attempt(attempt: Attempt | None) -> None:
    """Announce the request this thread sends next (None once it is done)."""
    _LOCAL.attempt = attempt


def _current_attempt() -> Attempt | None:
    return cast("Attempt | None", getattr(_LOCAL, "attempt", None))


class _WatchedConnection(HTTPConnection):
    """A urllib3 connection that checks where it connected and arms the watchdog.

    The URL already names the checked IP, so the peer check is defence in depth; the watch on
    a new socket covers the TLS handshake, the one on `request` covers a reused connection.
    """

    backlinks_watchdog: Watchdog | None = None

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
    if attempt.address is None:
        attempt.watchdog.watch(conn, sock)
        return
    try:
        peer = ipaddress.ip_address(str(sock.getpeername()[0]).split("%", 1)[0])
    except (OSError, ValueError, IndexError):
        peer = None
    if peer != ipaddress.ip_address(str(attempt.address).split("%", 1)[0]):
        sock.close()
        raise AddressRefused(f"connected to {peer}, not to the checked address")
    attempt.watchdog.watch(conn, sock)


_Watched = _WatchedConnection | _WatchedHTTPSConnection


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class PinnedAdapter(HTTPAdapter):
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

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        """urllib3's proxy manager, with our connection classes: the watchdog ends a proxied
        request at its deadline too."""
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}
        return manager

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
