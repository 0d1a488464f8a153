"""Field cleaning for what strangers send: one-line names, plain texts, dates, ids and URLs.

Every field of a mention comes from a receiver's feed or from a store file someone may have
edited, so each is checked here before it becomes data: wrong-typed values become empty,
controls go, and lengths are bounded. Used by the feed parser and by the store's loader, so a
field is cleaned by the same rules whichever way it came.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime, timezone
from urllib.parse import urlsplit

from mkdocs_backlinks.text import cut

__all__ = [
    "DATE_LIMIT",
    "ID_LIMIT",
    "NAME_LIMIT",
    "RSVP_VALUES",
    "TEXT_LIMIT",
    "URL_LIMIT",
    "first_value",
    "iso_date",
    "no_controls",
    "no_surrogates",
    "one_line",
    "plain_id",
    "plain_text",
    "safe_url",
    "utc_moment",
]

# Bounds on what a stranger can make the site show: enough for any real reply, small enough
# that a hostile feed cannot turn one page into megabytes.
NAME_LIMIT = 200
TEXT_LIMIT = 2_000
URL_LIMIT = 2_048
DATE_LIMIT = 64
ID_LIMIT = 100

RSVP_VALUES = frozenset({"yes", "no", "maybe", "interested"})

# C0/C1 controls, the bidirectional overrides that can make a name read backwards, and lone
# surrogates (JSON's `\ud800` decodes to one, and no UTF-8 file can hold it); tabs and
# newlines are handled separately (kept in text, folded in names).
_CONTROLS = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_SURROGATES = re.compile(r"[\ud800-\udfff]")
_WHITESPACE = re.compile(r"\s+")
_BLANK_LINES = re.compile(r"\n{3,}")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]*")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?")
# In a URL also the C1 controls and the bidirectional overrides: `https://a.example/\u202egnp.exe`
# shows its end reversed.
_UNSAFE_URL_CHAR = re.compile(r"[\x00-\x20\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# http(s), a host of plain characters (so no user info, no port), then anything printable:
# what `safe_url` accepts after parsing, recognised without it.
_SAFE_URL = re.compile(
    r"https?://[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.?"
    r"(?:[/?#][^\x00-\x20\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]*)?"
)


def first_value(value: object) -> object:
    """mf2 makes every property a list; JF2 usually unwraps it. Take the first either way."""
    if isinstance(value, list):
        return value[0] if value else None
    return value


def one_line(value: object, limit: int = NAME_LIMIT) -> str:
    """A one-line text: controls removed, whitespace folded, at most `limit` characters."""
    value = first_value(value)
    if not isinstance(value, str):
        return ""
    return cut(_WHITESPACE.sub(" ", _CONTROLS.sub("", value)).strip(), limit)


def plain_text(value: object, limit: int = TEXT_LIMIT) -> str:
    """A multi-line plain text: controls removed, line breaks kept, at most `limit`."""
    value = first_value(value)
    if not isinstance(value, str):
        return ""
    text = _CONTROLS.sub("", value.replace("\r\n", "\n").replace("\r", "\n")).strip()
    return cut(_BLANK_LINES.sub("\n\n", text), limit)


def safe_url(value: object) -> str | None:
    """`value` if it is an absolute http(s) URL a page may link to, else None.

    Refused: other schemes (`javascript:`, `data:`), relative and scheme-relative URLs, URLs
    with spaces or controls, with an unreadable port, with user info (`https://bank@evil/`
    reads as the bank but goes to evil), or with a host that is no host name (a backslash
    plays the same trick; quotes and `<` are markup).
    """
    value = first_value(value)
    if not isinstance(value, str):
        return None
    url = value.strip()
    if len(url) <= URL_LIMIT and _SAFE_URL.fullmatch(url):
        return url  # the common shape, decided without parsing
    if not url or len(url) > URL_LIMIT or _UNSAFE_URL_CHAR.search(url):
        return None
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError for a port that is not a number
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    if "@" in parts.netloc or not _host_name(parts.hostname):
        return None
    return url


# Letters of any script (IDN), digits, '-', '_' and dots: what a host name is made of. A
# backslash, quote, '<', '|' or '%' in the host is a trick (`https://evil.example\.bank/`
# goes to evil.example) or markup, never a real site.
_HOST_NAME = re.compile(r"[\w.-]+")


def _host_name(host: str) -> bool:
    """Whether `host` (as `urlsplit` gives it) is a host name or an IP address."""
    if _HOST_NAME.fullmatch(host):
        return True
    try:
        ipaddress.IPv6Address(host)  # an IPv6 literal, its brackets already gone
    except ValueError:
        return False
    return True


def no_controls(text: str) -> str:
    """`text` without the control characters and bidirectional overrides `one_line` and
    `plain_text` remove (tabs and line breaks kept): for a stranger's HTML once sanitised,
    whose character references (`&#x2;`) the sanitiser has turned into the characters."""
    return _CONTROLS.sub("", text)


def no_surrogates(text: str) -> str:
    """`text` with each lone surrogate replaced by U+FFFD, so it can be written as UTF-8 and
    handed to the sanitiser (which refuses them)."""
    return _SURROGATES.sub("\ufffd", text)


def iso_date(value: object) -> str:
    """An ISO 8601 date or date-time as given, or '' for anything else.

    A date must also be a real moment that can be put in UTC: the 30th of February is
    refused, and so is the year 1 at +14:00, whose UTC form falls before the calendar starts
    (sorting mentions by date would fail on it).
    """
    value = first_value(value)
    if not isinstance(value, str):
        return ""
    value = value.strip()
    if len(value) > DATE_LIMIT or not value.isascii() or not _DATE.fullmatch(value):
        return ""
    return value if utc_moment(value) is not None else ""


def utc_moment(value: str) -> datetime | None:
    """The moment an ISO date names, in UTC without a zone (a date without a zone is taken
    as UTC), or None when it names none."""
    # Python 3.10's fromisoformat reads neither 'Z' nor '+0000'.
    text = value.replace("Z", "+00:00")
    if re.search(r"[+-]\d{4}$", text):
        text = text[:-2] + ":" + text[-2:]
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is not None:
            moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    except (ValueError, OverflowError):
        return None
    return moment


def plain_id(value: object) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**ID_LIMIT:
        return str(value)
    if isinstance(value, str) and len(value) <= ID_LIMIT and _ID.fullmatch(value.strip()):
        return value.strip()
    return None
