"""One HTTP exchange: send a prepared request to a checked address and read the reply.

Requests are sent through the session's adapter rather than `Session.send`: with redirects
off, `Session.send` still reads the whole body of a redirect response (to offer
`Response.next`), which a hostile server could make endless. How much of the body is read
depends on the status: none for redirects, retries and wrong types, a little for error pages,
up to `max_bytes` for the real thing.
"""

from __future__ import annotations

import http.client
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import cast

import requests
import urllib3
from requests.structures import CaseInsensitiveDict

from mkdocs_backlinks.http.errors import describe, is_connect_failure
from mkdocs_backlinks.http.guard import IPAddress, Target
from mkdocs_backlinks.http.options import HttpOptions
from mkdocs_backlinks.http.result import (
    REDIRECT_CODES,
    RETRY_CODES,
    Failure,
    Reply,
    Validators,
    accepts,
    media_type,
)
from mkdocs_backlinks.http.transport import (
    AddressRefused,
    Attempt,
    DeadlineExceeded,
    PinnedAdapter,
    Watchdog,
    set_attempt,
)

__all__ = ["Sender"]

# Error pages are read only this far: enough for a receiver's explanation of a refused
# webmention, too little to matter when the page is hostile.
_ERROR_BODY_BYTES = 16 * 1024
# Raw bytes per read. With urllib3 >= 2.6 the decoded output of one read is also capped at this
# size; older versions decode a whole raw chunk, so a small chunk bounds a bomb's expansion.
_CHUNK = 16 * 1024
# What a failed send may raise; anything else is a bug, caught by the client as a last resort.
_SEND_ERRORS = (
    DeadlineExceeded,
    requests.RequestException,
    urllib3.exceptions.HTTPError,
    http.client.HTTPException,
    OSError,
    ValueError,
)


@dataclass(frozen=True)
class Sender:
    """Sends through the client's pinned adapter, within the client's options."""

    adapter: PinnedAdapter
    verify: bool | str
    options: HttpOptions
    accept_encoding: str
    """The Accept-Encoding urllib3 can decode here (brotli and zstd when installed)."""

    def prepare(
        self,
        target: Target,
        method: str,
        accept: tuple[str, ...] | None,
        data: Mapping[str, str] | bytes | None,
        headers: Mapping[str, str],
        validators: Validators,
    ) -> requests.PreparedRequest | Failure:
        """The request for one hop, conditional when there are validators; the caller's
        headers win over ours, except Host, which names the hop."""
        request_headers = {
            "User-Agent": self.options.user_agent,
            "Accept": ", ".join(accept) if accept else "*/*",
            "Accept-Encoding": self.accept_encoding,
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
            return Failure("refused", f"invalid request ({type(error).__name__})")
        prepared.headers["Host"] = target.host_header
        return prepared

    def send(
        self,
        target: Target,
        prepared: requests.PreparedRequest,
        addresses: list[IPAddress],
        deadline: float,
        accept: tuple[str, ...] | None,
    ) -> Reply | Failure:
        """Send once (trying the next address only if the connection failed) and read."""
        failure = Failure("unreachable", f"{target.host}: the deadline passed")
        for address in addresses:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            outcome = self._send_to(target, prepared, address, deadline, remaining, accept)
            if isinstance(outcome, Reply):
                return outcome
            failure, retry = outcome
            if not retry:
                return failure
        return failure

    def send_via_proxy(
        self,
        target: Target,
        prepared: requests.PreparedRequest,
        proxy: str,
        deadline: float,
        accept: tuple[str, ...] | None,
    ) -> Reply | Failure:
        """Send once through `proxy`, which resolves the name and connects (a CONNECT
        tunnel for https, so TLS still verifies the site's certificate end to end)."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return Failure("unreachable", f"{target.host}: the deadline passed")
        outcome = self._send_to(target, prepared, None, deadline, remaining, accept, proxy)
        return outcome if isinstance(outcome, Reply) else outcome[0]

    def _send_to(
        self,
        target: Target,
        prepared: requests.PreparedRequest,
        address: IPAddress | None,
        deadline: float,
        remaining: float,
        accept: tuple[str, ...] | None,
        proxy: str | None = None,
    ) -> Reply | tuple[Failure, bool]:
        """One try at one address (or through `proxy`, with no address); a failure comes with
        whether the next address may be tried (only when the request never reached the
        server)."""
        watchdog = Watchdog(deadline)
        pinned = address is not None and not target.host_is_ip
        set_attempt(Attempt(address, target.host if pinned else None, watchdog))
        response: requests.Response | None = None
        try:
            request = prepared.copy()
            request.url = target.url if address is None else target.pinned_url(address)
            response = self.adapter.send(
                request,
                stream=True,
                timeout=(
                    min(self.options.connect_timeout, remaining),
                    min(self.options.read_timeout, remaining),
                ),
                verify=self.verify,
                proxies={"http": proxy, "https": proxy} if proxy else {},
            )
            reply = self._read_reply(response, deadline, watchdog, accept)
            if watchdog.fired:
                # The shutdown reads as end-of-file, which can end a header block
                # early and look like a complete (wrong) response.
                raise DeadlineExceeded
            return reply
        except AddressRefused as refusal:
            return Failure("refused", f"{target.host}: {refusal}"), False
        except _SEND_ERRORS as error:
            if watchdog.fired or isinstance(error, DeadlineExceeded):
                return Failure(
                    "unreachable", f"{target.host}: the deadline passed mid-request"
                ), False
            return Failure("unreachable", describe(error, target.host)), is_connect_failure(error)
        finally:
            set_attempt(None)
            watchdog.finish()
            if response is not None:
                response.close()

    def _read_reply(
        self,
        response: requests.Response,
        deadline: float,
        watchdog: Watchdog,
        accept: tuple[str, ...] | None,
    ) -> Reply:
        """Read as much of the body as the status deserves: none for redirects, retries and
        wrong types, a little for error pages, up to `max_bytes` for the real thing."""
        raw = cast(urllib3.BaseHTTPResponse, response.raw)
        code = response.status_code
        reply = Reply(
            http_status=code,
            headers=CaseInsensitiveDict(response.headers),
            link_headers=tuple(raw.headers.getlist("Link")),
        )
        if code < 200 or code in REDIRECT_CODES or code in RETRY_CODES or code == 304:
            return reply
        if code >= 300:
            body, truncated = self._read_body(raw, _ERROR_BODY_BYTES, deadline, watchdog)
            return replace(reply, body=body, truncated=truncated)
        kind = media_type(reply.headers.get("Content-Type"))
        if accept and not accepts(accept, kind):
            shown = kind or "missing"
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
        raw: urllib3.BaseHTTPResponse, limit: int, deadline: float, watchdog: Watchdog
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
                raise DeadlineExceeded
            chunk = read(min(_CHUNK, limit - size + 1), decode_content=True)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                chunks.append(chunk)
                return b"".join(chunks)[:limit], True
            chunks.append(chunk)
        if watchdog.fired:  # the watchdog's shutdown reads as end-of-file
            raise DeadlineExceeded
        return b"".join(chunks), False
