"""What came of one webmention: the outcomes, and how a receiver's answer maps onto them.

Every reason kept in the ledger or shown in the terminal quotes remote text (an endpoint's
explanation, a redirect's `Location`), so it is flattened, freed of control characters and
cut here, in the one place that writes reasons.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import urldefrag, urljoin, urlsplit

from bs4 import BeautifulSoup

from mkdocs_backlinks.http.link_header import header_text
from mkdocs_backlinks.http.result import Result, retry_after_seconds
from mkdocs_backlinks.text import cut
from mkdocs_backlinks.webmention.discovery import Discovery

__all__ = [
    "DELIVERED",
    "FINAL",
    "LONGEST_WAIT",
    "REASON_LENGTH",
    "RETRY",
    "Delivery",
    "delivery_from_discovery",
    "delivery_of",
    "format_instant",
    "location_of",
    "parse_instant",
    "printable",
    "reason_text",
    "short_reason",
    "shown_url",
    "valid_web_url",
]

DELIVERED = frozenset({"accepted", "created"})
"""Outcomes where the receiver took the webmention."""
RETRY = frozenset({"server-error", "unreachable", "not-live", "redirected"})
"""Outcomes worth trying again on the next run even when the page has not changed: the
failure was on the way, not the receiver's answer. `redirected` is an endpoint that answered
the POST with a redirect, which is never followed: the webmention did not arrive, and the next
run discovers the endpoint afresh (the target may advertise the new one by then)."""
FINAL = frozenset({"accepted", "created", "rejected", "no-endpoint"})
"""Outcomes that stand until the page changes."""

REASON_LENGTH = 160
"""Longest receiver explanation kept: enough to understand a refusal, too little to matter
when the receiver is hostile."""

# Controls (terminal escapes among them) in remote text never reach the terminal or the ledger.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


def printable(text: str) -> str:
    """`text` safe for a terminal: URLs and reasons come from remote pages, and a control
    character (an escape sequence) in them must not reach the author's terminal as one."""
    return _CONTROLS.sub("\N{REPLACEMENT CHARACTER}", text)


def valid_web_url(url: str) -> str | None:
    """Why `url` is not an absolute http(s) URL with a host, or None when it is."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return f"'{url}' is not a valid URL"
    if parts.scheme.lower() not in ("http", "https"):
        return f"'{url}' is not an http or https URL"
    if not parts.hostname:
        return f"'{url}' has no host name"
    return None


@dataclass(frozen=True, slots=True)
class Delivery:
    """What happened to one step."""

    outcome: str
    target: str
    http_status: int | None = None
    endpoint: str = ""
    location: str = ""
    reason: str = ""
    not_before: str = ""
    """When the receiver asked not to be sent to again before (its `Retry-After` with a 429 or
    a 503), as `format_instant` writes it; "" when it asked nothing."""

    @property
    def failed(self) -> bool:
        return self.outcome in RETRY or self.outcome == "rejected"


def short_reason(result: Result) -> str:
    """A receiver's explanation of its answer, short, on one line, with no control characters.

    Receivers explain refusals in JSON (`error_description`, `error`, as webmention.io does)
    or in an HTML or text page; the text is untrusted, so it is flattened and cut.
    """
    text = ""
    body = result.text.strip()
    if body.startswith("{"):
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if isinstance(data, dict):
            for key in ("error_description", "summary", "error", "message"):
                value = data.get(key)
                if isinstance(value, str) and value.strip():
                    text = value
                    break
    if not text and body:
        text = BeautifulSoup(body, "html.parser").get_text(" ")
    text = " ".join(_CONTROLS.sub(" ", text).split())
    if not text:
        text = result.error
    return cut(text, REASON_LENGTH)


def delivery_of(
    result: Result, target: str, endpoint: str, now: datetime | None = None
) -> Delivery:
    """A receiver's answer to the POST as an outcome (spec 3.1.3: any 2xx is success).

    A redirect is an outcome too, never followed: the Recommendation has the sender follow
    redirects when it fetches the target to discover the endpoint (3.1.2), and says of the POST
    only that a 2xx is success; an endpoint that moved says so by advertising its new address,
    which the next run discovers. A 429 or 503 with a `Retry-After` gives `not_before`,
    counted from `now` (the current time by default).
    """
    code = result.http_status
    if code is None:
        return Delivery("unreachable", target, None, endpoint, "", result.error)
    if 200 <= code < 300:
        location = ""
        if code == 201 and result.headers.get("Location"):
            location = urljoin(endpoint, result.headers["Location"].strip())
            if valid_web_url(location) is not None or _CONTROLS.search(location):
                location = ""
        outcome = "created" if code == 201 else "accepted"
        return Delivery(outcome, target, code, endpoint, location, "")
    if code == 429 or code >= 500:
        until = _asked_wait(result, now) if code in (429, 503) else ""
        reason = short_reason(result)
        return Delivery("server-error", target, code, endpoint, "", reason, until)
    if 300 <= code < 400:
        # Not the receiver's refusal: it did not take the webmention here. Not followed either
        # (see above): posting the form to wherever a Location points is the receiver's move
        # to announce, by advertising the endpoint, not one this sender guesses at.
        where = location_of(result, endpoint)
        if where is None:
            reason = f"HTTP {code} without a usable http(s) Location, not followed"
        else:
            reason = f"HTTP {code} to {shown_url(where)}, not followed"
        return Delivery("redirected", target, code, endpoint, "", reason_text(reason))
    return Delivery("rejected", target, code, endpoint, "", short_reason(result))


LONGEST_WAIT = timedelta(days=30)
"""Longest `Retry-After` kept: a receiver that asks for more (a typo, a date years ahead) is
tried again after this long rather than never."""


def _asked_wait(result: Result, now: datetime | None) -> str:
    """Until when a 429 or 503 asked not to be sent to again: its `Retry-After` (seconds or an
    HTTP date), at most `LONGEST_WAIT` ahead; "" when it asked nothing usable or nothing at
    all (a date already past)."""
    current = now or datetime.now(timezone.utc)
    seconds = retry_after_seconds(result.headers.get("Retry-After"), current)
    if not seconds:
        return ""
    wait = timedelta(seconds=min(seconds, LONGEST_WAIT.total_seconds()))
    return format_instant(current + wait)


def format_instant(moment: datetime) -> str:
    """A moment as the ledger keeps it: UTC, to the second, `2026-01-02T03:04:05Z` (so two
    compare as text too, and a diff reads it)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_instant(text: str) -> datetime | None:
    """A moment written by `format_instant` (or any ISO 8601 time with a zone), or None."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def location_of(result: Result, base: str) -> str | None:
    """A redirect's `Location` as an absolute http(s) URL without its fragment, or None.

    The header is remote text: one that is not a web URL (`javascript:`, `file:`), or holds
    control characters, leads nowhere. Servers send UTF-8 that `http.client` decodes as
    Latin-1; it is decoded back (`link_header.header_text`), as for the redirects the HTTP
    layer follows.
    """
    raw = header_text(result.headers.get("Location", "").strip())
    if not raw or _CONTROLS.search(raw):
        return None
    try:
        where = urldefrag(urljoin(base, raw)).url
    except ValueError:
        return None
    return where if valid_web_url(where) is None else None


def shown_url(url: str) -> str:
    """A remote URL for a reason: at most 100 characters, so the reason keeps its point."""
    return cut(url, 100, strip=False)


def reason_text(reason: str) -> str:
    """A reason of ours that quotes remote text, cut to `REASON_LENGTH` like a receiver's."""
    reason = _CONTROLS.sub(" ", reason)
    return cut(reason, REASON_LENGTH, strip=False)


def delivery_from_discovery(found: Discovery, target: str) -> Delivery | None:
    """The outcome when discovery already decides it (no endpoint, target unreadable), else
    None: there is an endpoint to post to."""
    if found.endpoint is not None:
        return None
    if found.status in ("none", "broken", "gone"):
        return Delivery("no-endpoint", target, None, "", "", found.error)
    return Delivery("unreachable", target, None, "", "", f"target {found.status}: {found.error}")
