"""What one request came to: the `Result` callers branch on, and the records of one hop.

Kept apart from the client so that callers (discovery, sending, the link checker) and the
client's own steps share one vocabulary of outcomes without importing the transport.
"""

from __future__ import annotations

import codecs
import email.utils
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Literal

from requests.structures import CaseInsensitiveDict

__all__ = [
    "DEFAULT_ACCEPT",
    "REDIRECT_CODES",
    "RETRY_CODES",
    "Failure",
    "Reply",
    "Result",
    "Status",
    "Validators",
    "accepts",
    "decode_text",
    "media_type",
    "retry_after_seconds",
    "status_for",
]

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

REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
RETRY_CODES = frozenset({429, 503})


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
    start of the error page (`truncated` says whether more was left unread).
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


def media_type(header: str | None) -> str:
    """The media type of a Content-Type header, lower-cased, without parameters."""
    return (header or "").split(";", 1)[0].strip().lower()


def accepts(accept: tuple[str, ...], media_type: str) -> bool:
    """Whether `media_type` is one of `accept`, wildcards (`*/*`, `text/*`) included."""
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


@dataclass(frozen=True)
class Reply:
    """One HTTP exchange, already read and closed."""

    http_status: int
    headers: CaseInsensitiveDict[str]
    link_headers: tuple[str, ...]
    body: bytes = b""
    truncated: bool = False
    problem: tuple[Status, str] | None = None

    def result(self, url: str, final_url: str, status: Status, error: str) -> Result:
        """The `Result` of a chain that ended on this reply; a body that was refused, or
        belongs to a redirect given up on, is not handed on."""
        keep_body = status not in ("too-large", "wrong-type", "too-many-redirects")
        return Result(
            url=url,
            final_url=final_url,
            status=status,
            http_status=self.http_status,
            headers=self.headers,
            link_headers=self.link_headers,
            body=self.body if keep_body else b"",
            truncated=self.truncated and keep_body,
            error=error,
        )


@dataclass(frozen=True)
class Failure:
    """A hop that ended without a usable HTTP exchange; `Result` fields, ready to copy."""

    status: Status
    error: str
    no_such_host: bool = False


def status_for(code: int) -> Status:
    """The status of a final (not redirecting) response with this HTTP code."""
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
