"""What came of one webmention: the outcomes, and how a receiver's answer maps onto them.

Every reason kept in the ledger or shown in the terminal quotes remote text (an endpoint's
explanation, a redirect's `Location`), so it is flattened, freed of control characters and
cut here, in the one place that writes reasons.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin, urlsplit

from bs4 import BeautifulSoup

from mkdocs_backlinks.http.link_header import header_text
from mkdocs_backlinks.http.result import Result
from mkdocs_backlinks.text import cut
from mkdocs_backlinks.webmention.discovery import Discovery

__all__ = [
    "DELIVERED",
    "FINAL",
    "REASON_LENGTH",
    "REPOST_CODES",
    "RETRY",
    "Delivery",
    "delivery_from_discovery",
    "delivery_of",
    "location_of",
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
with a redirect this sender does not follow (or one that loops, or leads where the address
guard refuses): the webmention did not arrive, and the target may advertise a fixed endpoint
by the next run."""
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


def delivery_of(result: Result, target: str, endpoint: str) -> Delivery:
    """A receiver's answer as an outcome (spec 3.1.3: any 2xx is success)."""
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
        return Delivery("server-error", target, code, endpoint, "", short_reason(result))
    if 300 <= code < 400:
        # Not the receiver's refusal: it did not take the webmention here, and may elsewhere.
        where = location_of(result, endpoint)
        if where is None:
            reason = f"HTTP {code} without a usable http(s) Location"
        elif code in REPOST_CODES:
            reason = f"HTTP {code} to {shown_url(where)} (not followed)"
        else:
            # RFC 9110 lets a client turn a 301 or 302 POST into a GET, and 303 means "GET
            # this instead": a receiver that moved must answer 307 or 308, or advertise the
            # new endpoint (the W3C working group's reading, w3c/webmention#89).
            reason = f"HTTP {code} to {shown_url(where)}: not re-sent, only a 307 or 308 is"
        return Delivery("redirected", target, code, endpoint, "", reason_text(reason))
    return Delivery("rejected", target, code, endpoint, "", short_reason(result))


REPOST_CODES = frozenset({307, 308})
"""Redirects that keep the method and the body (RFC 9110, 15.4.8 and 15.4.9)."""


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
