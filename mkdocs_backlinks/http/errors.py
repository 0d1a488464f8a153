"""Describing a transport failure in our own words.

Exception text from requests and urllib3 may quote the request URL, and with it a token in
the query, so messages are written from the exception types alone.
"""

from __future__ import annotations

import http.client
import ssl
from collections.abc import Iterator

import requests
import urllib3

__all__ = ["describe", "is_connect_failure"]


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


def is_connect_failure(error: BaseException) -> bool:
    """Whether the request never reached the server, so another address may be tried
    without sending it twice."""
    return isinstance(error, requests.ConnectTimeout) or any(
        isinstance(cause, urllib3.exceptions.NewConnectionError) for cause in _causes(error)
    )


def describe(error: BaseException, host: str) -> str:
    """A short, secret-free description of a transport error.

    Written from the error types, not from their text: urllib3's messages quote the request
    path, and with it any token in the query.
    """
    causes = list(_causes(error))

    def has(kind: type[BaseException]) -> BaseException | None:
        return next((cause for cause in causes if isinstance(cause, kind)), None)

    if isinstance(error, requests.exceptions.ProxyError) or has(urllib3.exceptions.ProxyError):
        return f"{host}: the proxy could not be reached, or refused to connect"
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
