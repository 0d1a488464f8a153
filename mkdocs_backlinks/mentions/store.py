"""Incoming webmentions: read a receiver's feed, make it safe, merge it into a store on disk.

A receiver such as webmention.io verifies that a source links to a target and hands the result
out as a feed. Everything in that feed was written by a stranger: names, photos, links and the
HTML of a reply. This module is the one place where that text becomes data the site may show,
so it is strict in one direction only: whatever is wrong-typed, too long or unsafe is dropped
or shortened, and one bad entry is reported and skipped without hiding the others.

Two formats are read, both from webmention.io's API:

- **JF2** (`/api/mentions.jf2`): `{"type": "feed", "children": [entry, ...]}`, where an entry
  has `author` (an h-card), `url`, `published`, `content` (`{"html", "text"}`), `name`, and
  the receiver's own `wm-id`, `wm-source`, `wm-target`, `wm-received` and `wm-property`
  (`in-reply-to`, `like-of`, `repost-of`, `bookmark-of`, `mention-of`, `rsvp`). Older entries
  name the target only under the property itself (`"like-of": target`) and carry content as
  `{"content-type", "value"}`; both are understood.
- **links** (`/api/mentions.json`, `/api/links`): `{"links": [{"id", "source", "target",
  "verified_date", "activity": {"type"}, "data": {"author", "url", "name", "content",
  "published", "rsvp"}}]}`, where `data.content` is HTML.

HTML is cleaned by `nh3` (Rust's ammonia, an allow-list sanitiser built on a browser-grade
HTML parser): a regex or a deny-list would lose to the parser quirks that real attacks use.

Nothing here touches the network or MkDocs: the HTTP client fetches the feed and the renderer
shows the store; both hand plain data to and from these functions.
"""

from __future__ import annotations

import hashlib
import html as html_lib
import ipaddress
import json
import posixpath
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from mkdocs_backlinks import __version__
from mkdocs_backlinks.files import (
    check_schema,
    conflict_marker,
    dump_json,
    dump_json_lines,
    expect_list,
    locked,
    write_text_atomic,
)
from mkdocs_backlinks.files import expect_dict as _dict
from mkdocs_backlinks.files import expect_str as _str
from mkdocs_backlinks.links.urls import domain_matches, host_of, url_identity

__all__ = [
    "KINDS",
    "MODERATION_SCHEMA",
    "MODERATION_VERSION",
    "RELAYS",
    "STORE_SCHEMA",
    "STORE_VERSION",
    "Kind",
    "Mention",
    "MentionsError",
    "MentionsStore",
    "Moderation",
    "SourceState",
    "Store",
    "chronological",
    "dumps_moderation",
    "dumps_store",
    "group_by_page",
    "hide",
    "later_since_id",
    "load_moderation",
    "load_store",
    "merge",
    "merge_moderation",
    "page_key",
    "parse_feed",
    "rebase",
    "sanitize_html",
    "save_moderation",
    "save_store",
    "store_digest",
    "update_store",
]

STORE_SCHEMA = "mkdocs-backlinks/mentions"
STORE_VERSION = 1
MODERATION_SCHEMA = "mkdocs-backlinks/moderation"
MODERATION_VERSION = 1

Kind = Literal["reply", "like", "repost", "bookmark", "mention", "rsvp"]
KINDS: tuple[Kind, ...] = ("reply", "like", "repost", "bookmark", "mention", "rsvp")
"""What a mention does to its target, in the order a page lists them."""

RELAYS: tuple[str, ...] = ("brid-gy.appspot.com", "brid.gy")
"""Hosts (and their subdomains) that publish other people's posts as webmention sources:
Bridgy's backfeed pages (`brid.gy`, formerly `brid-gy.appspot.com`, and Bridgy Fed under
`fed.brid.gy`, `ap.brid.gy`, ...). A receiver verifies only that a source links to the target,
so a source's claimed author is believed only when the source is one of these (the default of
the `mentions.relays` option; see `incoming.mentioning_sites`)."""

# Bounds on what a stranger can make the site show: enough for any real reply, small enough
# that a hostile feed cannot turn one page into megabytes.
NAME_LIMIT = 200
TEXT_LIMIT = 2_000
HTML_LIMIT = 5_000
URL_LIMIT = 2_048
DATE_LIMIT = 64
ID_LIMIT = 100

# The receiver's property for each kind (JF2 `wm-property`, and the key naming the target).
_PROPERTY_KINDS: dict[str, Kind] = {
    "in-reply-to": "reply",
    "like-of": "like",
    "repost-of": "repost",
    "bookmark-of": "bookmark",
    "mention-of": "mention",
    "rsvp": "rsvp",
}
# The links format's `activity.type`; "link" is webmention.io's word for a plain mention.
_ACTIVITY_KINDS: dict[str, Kind] = {
    "reply": "reply",
    "like": "like",
    "repost": "repost",
    "bookmark": "bookmark",
    "mention": "mention",
    "link": "mention",
    "rsvp": "rsvp",
}
# Narrows a checked string to `Kind` for the type checker.
_KIND_NAMES: dict[str, Kind] = {kind: kind for kind in KINDS}
_RSVP_VALUES = frozenset({"yes", "no", "maybe", "interested"})

# ----------------------------------------------------------------------------- sanitiser

_ALLOWED_TAGS = frozenset(
    {
        "p", "br", "a", "em", "strong", "b", "i", "blockquote", "code", "pre", "ul", "ol",
        "li", "q", "cite", "abbr", "del", "ins", "sub", "sup", "small",
    }
)  # fmt: skip
_ALLOWED_ATTRIBUTES: dict[str, set[str]] = {"a": {"href", "title"}, "abbr": {"title"}}
# Removed with everything inside: their content is code, styling, foreign markup or form
# controls, never part of the reply's text. (The other tags not allowed keep their text.)
_DROPPED_WITH_CONTENT = frozenset(
    {
        "script", "style", "svg", "math", "iframe", "frame", "frameset", "object", "embed",
        "applet", "template", "noscript", "noembed", "noframes", "textarea", "select", "form",
        "button", "xmp", "plaintext", "title", "head", "canvas", "audio", "video", "picture",
        "map",
    }
)  # fmt: skip
_URL_SCHEMES = frozenset({"http", "https", "mailto"})
# Every link in a stranger's text: no ranking credit (nofollow), marked as user content (ugc),
# and no handle on the window that opened it (noopener).
LINK_REL = "nofollow ugc noopener"

# Jinja (and most template languages) start a tag with `{`; as a character reference it is the
# same text to a browser but can never open a template tag if the HTML is ever fed to one.
_BRACES = str.maketrans({"{": "&#123;", "}": "&#125;"})
_BLOCK_ENDS = re.compile(r"<(?:br\b[^>]*|/p|/li|/blockquote|/pre|/div|/h[1-6])\s*>", re.I)


def _href_filter(tag: str, attribute: str, value: str) -> str | None:
    """Keep only absolute http(s) and mailto links.

    nh3's scheme list lets relative URLs through, and a relative link in someone else's reply
    would point into this site under a path they chose.
    """
    if attribute != "href":
        return value
    url = value.strip()
    scheme = url.partition(":")[0].lower()
    if scheme == "mailto":
        return url if len(url) > len("mailto:") else None
    return _safe_url(url)


def _clean(html: str) -> str:
    # Imported here: a site without mentions never needs the sanitiser.
    import nh3

    return nh3.clean(
        html,
        tags=set(_ALLOWED_TAGS),
        clean_content_tags=set(_DROPPED_WITH_CONTENT),
        attributes=_ALLOWED_ATTRIBUTES,
        attribute_filter=_href_filter,
        strip_comments=True,
        link_rel=LINK_REL,
        url_schemes=set(_URL_SCHEMES),
    ).translate(_BRACES)


def sanitize_html(html: str) -> str:
    """The part of a stranger's HTML that is safe to put on a page, at most `HTML_LIMIT` long.

    Allowed: paragraphs and line breaks, emphasis, quotes and citations, code, lists, small
    print, edits, abbreviations, and links to absolute http(s) or mailto URLs, each given
    `rel="nofollow ugc noopener"`. Gone: every other element (scripts, styles, SVG, MathML,
    frames, forms and media with all they contain), every attribute but `href`/`title`
    (so no `style`, `class`, `id` or `on*`), and comments. Braces become character references,
    so template syntax in a reply can only ever be shown, never run.

    The input is cut before cleaning and the result cut and cleaned again if cleaning made it
    longer (escaping can), so the bound holds without ever leaving a broken tag.
    """
    raw = html[:HTML_LIMIT]
    cleaned = _clean(raw)
    for _ in range(16):
        if len(cleaned) <= HTML_LIMIT:
            return cleaned
        # Shrink the input in proportion to the overshoot: escaping inflates evenly enough
        # that this lands within a few rounds, and each round is strictly shorter.
        keep = min(len(raw) - 1, len(raw) * HTML_LIMIT // len(cleaned))
        raw = raw[: max(keep, 0)]
        cleaned = _clean(raw)
    return cleaned if len(cleaned) <= HTML_LIMIT else ""


def _html_to_text(html: str) -> str:
    """The plain text of HTML, for a receiver that sent only HTML."""
    import nh3

    spaced = _BLOCK_ENDS.sub("\n", html[:HTML_LIMIT])
    bare = nh3.clean(spaced, tags=set(), clean_content_tags=set(_DROPPED_WITH_CONTENT))
    return html_lib.unescape(bare)


# ----------------------------------------------------------------------------- records


class MentionsError(Exception):
    """A mentions or moderation file cannot be used; the message names the file and the fix."""


@dataclass(frozen=True, slots=True)
class Mention:
    """One verified mention of a page of the site, every field already made safe.

    `id` is the receiver's id (`wm-id`), or a digest of source, target and kind for a receiver
    that gives none, so the same mention fetched twice has the same id. URLs are absolute
    http(s) or None; `content_html` has been through `sanitize_html`; the other texts are plain
    text, to be escaped by whatever shows them.
    """

    id: str
    kind: Kind
    source: str
    target: str
    url: str
    author_name: str = ""
    author_url: str | None = None
    author_photo: str | None = None
    published: str = ""
    received: str = ""
    title: str = ""
    content_html: str = ""
    content_text: str = ""
    rsvp: str = ""

    def record(self) -> dict[str, Any]:
        """As stored on disk (the id is the record's key)."""
        return {
            "kind": self.kind,
            "source": self.source,
            "target": self.target,
            "url": self.url,
            "author_name": self.author_name,
            "author_url": self.author_url,
            "author_photo": self.author_photo,
            "published": self.published,
            "received": self.received,
            "title": self.title,
            "content_html": self.content_html,
            "content_text": self.content_text,
            "rsvp": self.rsvp,
        }


@dataclass(frozen=True, slots=True)
class SourceState:
    """Where fetching from one configured receiver got to, so the next fetch asks only for
    what is new (webmention.io's `since_id`)."""

    since_id: str = ""
    last_fetched: str = ""


@dataclass(frozen=True, slots=True)
class MentionsStore:
    """Every mention received so far, sorted, and the fetch state of each receiver."""

    mentions: tuple[Mention, ...] = ()
    sources: Mapping[str, SourceState] = field(default_factory=dict)


Store = MentionsStore
"""Short name for callers that already say `mentions.`."""

# ----------------------------------------------------------------------------- field cleaning

# C0/C1 controls and the bidirectional overrides that can make a name read backwards; tabs and
# newlines are handled separately (kept in text, folded in names).
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_WHITESPACE = re.compile(r"\s+")
_BLANK_LINES = re.compile(r"\n{3,}")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]*")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?")
_UNSAFE_URL_CHAR = re.compile(r"[\x00-\x20\x7f]")
# http(s), a host of plain characters (so no user info, no port), then anything printable:
# what `_safe_url` accepts after parsing, recognised without it.
_SAFE_URL = re.compile(r"https?://[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.?(?:[/?#][^\x00-\x20\x7f]*)?")


def _first(value: object) -> object:
    """mf2 makes every property a list; JF2 usually unwraps it. Take the first either way."""
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _name(value: object, limit: int = NAME_LIMIT) -> str:
    """A one-line text: controls removed, whitespace folded, at most `limit` characters."""
    value = _first(value)
    if not isinstance(value, str):
        return ""
    return _cut(_WHITESPACE.sub(" ", _CONTROLS.sub("", value)).strip(), limit)


def _text(value: object, limit: int = TEXT_LIMIT) -> str:
    """A multi-line plain text: controls removed, line breaks kept, at most `limit`."""
    value = _first(value)
    if not isinstance(value, str):
        return ""
    text = _CONTROLS.sub("", value.replace("\r\n", "\n").replace("\r", "\n")).strip()
    return _cut(_BLANK_LINES.sub("\n\n", text), limit)


def _safe_url(value: object) -> str | None:
    """`value` if it is an absolute http(s) URL a page may link to, else None.

    Refused: other schemes (`javascript:`, `data:`), relative and scheme-relative URLs, URLs
    with spaces or controls, with an unreadable port, with user info (`https://bank@evil/`
    reads as the bank but goes to evil), or with a host that is no host name (a backslash
    plays the same trick; quotes and `<` are markup).
    """
    value = _first(value)
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


def _date(value: object) -> str:
    """An ISO 8601 date or date-time as given, or '' for anything else."""
    value = _first(value)
    if not isinstance(value, str):
        return ""
    value = value.strip()
    if len(value) > DATE_LIMIT or not _DATE.fullmatch(value):
        return ""
    return value


def _instant(value: str) -> str:
    """A sortable UTC form of an ISO date; unparsable dates sort after all real ones."""
    if not value:
        return "~"
    try:
        # Python 3.10's fromisoformat reads neither 'Z' nor '+0000'.
        text = value.replace("Z", "+00:00")
        if re.search(r"[+-]\d{4}$", text):
            text = text[:-2] + ":" + text[-2:]
        moment = datetime.fromisoformat(text)
    except ValueError:
        return "~" + value
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment.isoformat()


def _stable_id(source: str, target: str, kind: str) -> str:
    digest = hashlib.sha256(
        "\x1f".join((url_identity(source), url_identity(target), kind)).encode()
    ).hexdigest()
    return "h-" + digest[:24]


def _id(value: object) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    if isinstance(value, str) and len(value) <= ID_LIMIT and _ID.fullmatch(value.strip()):
        return value.strip()
    return None


def _quote(value: object) -> str:
    """An untrusted value as it may appear in a log line: short, and escaped by repr."""
    text = value if isinstance(value, str) else type(value).__name__
    return repr(_cut(text, 80))


# ----------------------------------------------------------------------------- parsing


def parse_feed(data: object) -> tuple[list[Mention], list[str]]:
    """The mentions in a receiver's answer, and a sentence for each entry that was skipped.

    `data` is the decoded JSON: a JF2 feed, a single JF2 entry, the `links` format, or a bare
    list of either kind of entry. An entry is skipped when its source or target is not an
    http(s) URL, when the receiver marks it private or unverified, or when it is not an
    object; every other field falls back to empty when it is missing or unusable.
    """
    entries, problems = _entries(data)
    mentions: list[Mention] = []
    for index, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            problems.append(f"entry {index}: skipped: not an object but {_quote(entry)}")
            continue
        mention, problem = _links_entry(entry) if _is_links_entry(entry) else _jf2_entry(entry)
        if mention is None:
            wid = entry.get("wm-id", entry.get("id"))
            label = f"entry {index}" + (f" ({_quote(str(wid))})" if _id(wid) else "")
            problems.append(f"{label}: skipped: {problem}")
        else:
            mentions.append(mention)
    return mentions, problems


def _entries(data: object) -> tuple[list[object], list[str]]:
    if isinstance(data, list):
        return list(data), []
    if not isinstance(data, dict):
        return [], [f"not a mentions feed: a {type(data).__name__}, expected an object"]
    if "error" in data and not ("children" in data or "links" in data):
        detail = data.get("error_description", data.get("error"))
        return [], [f"the receiver answered with an error: {_quote(detail)}"]
    for key in ("children", "links"):
        if key in data:
            items = data[key]
            if isinstance(items, list):
                return list(items), []
            return [], [f"not a mentions feed: '{key}' is a {type(items).__name__}, not a list"]
    if data.get("type") == "entry" or _has_wm_keys(data):
        return [data], []
    return [], ["not a mentions feed: no 'children' (JF2) or 'links' list"]


def _has_wm_keys(entry: Mapping[Any, object]) -> bool:
    """JF2 entries carry the receiver's own `wm-*` properties; the links format has none."""
    return any(isinstance(key, str) and key.startswith("wm-") for key in entry)


def _is_links_entry(entry: Mapping[str, object]) -> bool:
    if entry.get("type") == "entry" or _has_wm_keys(entry):
        return False
    return "source" in entry or "activity" in entry or "verified_date" in entry


def _author(value: object) -> tuple[str, str | None, str | None]:
    """Name, URL and photo of an h-card, however loosely it came."""
    value = _first(value)
    if isinstance(value, str):
        # JF2 allows the author as a bare name or URL.
        url = _safe_url(value)
        return ("", url, None) if url else (_name(value), None, None)
    if not isinstance(value, dict):
        return "", None, None
    photo = _first(value.get("photo"))
    if isinstance(photo, dict):  # mf2 `{"value": url, "alt": text}`
        photo = photo.get("value", photo.get("url"))
    return _name(value.get("name")), _safe_url(value.get("url")), _safe_url(photo)


def _content(value: object) -> tuple[str, str]:
    """(sanitised HTML, plain text) of a JF2 `content` or `summary`."""
    value = _first(value)
    if isinstance(value, str):
        return "", _text(value)  # a JF2 string is plain text
    if not isinstance(value, dict):
        return "", ""
    raw_html = _first(value.get("html"))
    if not isinstance(raw_html, str) and value.get("content-type") == "text/html":
        raw_html = _first(value.get("value"))
    text = _first(value.get("text"))
    if not isinstance(text, str) and value.get("content-type") != "text/html":
        text = _first(value.get("value"))
    html = sanitize_html(raw_html) if isinstance(raw_html, str) else ""
    if not isinstance(text, str) and isinstance(raw_html, str):
        text = _html_to_text(raw_html)
    return html, _text(text)


def _kind_of(entry: Mapping[str, object]) -> Kind:
    prop = entry.get("wm-property")
    if isinstance(prop, str) and prop in _PROPERTY_KINDS:
        return _PROPERTY_KINDS[prop]
    if isinstance(entry.get("rsvp"), str):
        return "rsvp"
    for key, kind in _PROPERTY_KINDS.items():
        if key in entry and key != "rsvp":
            return kind
    return "mention"


def _target_of(entry: Mapping[str, object], kind: Kind) -> object:
    if "wm-target" in entry:
        return entry["wm-target"]
    prop = entry.get("wm-property")
    keys = [prop] if isinstance(prop, str) else []
    keys += [key for key, k in _PROPERTY_KINDS.items() if k == kind] + ["in-reply-to"]
    for key in keys:
        if isinstance(key, str) and key in entry:
            return entry[key]
    return None


def _build(
    *,
    wid: object,
    kind: Kind,
    source: object,
    target: object,
    url: object,
    author: object,
    published: object,
    received: object,
    title: object,
    content: tuple[str, str],
    rsvp: object,
) -> tuple[Mention | None, str]:
    safe_source = _safe_url(source)
    if safe_source is None:
        return None, f"its source {_quote(_first(source))} is not an http(s) URL"
    safe_target = _safe_url(target)
    if safe_target is None:
        return None, f"its target {_quote(_first(target))} is not an http(s) URL"
    author_name, author_url, author_photo = _author(author)
    rsvp_value = rsvp.strip().lower() if isinstance(rsvp, str) else ""
    html, text = content
    return (
        Mention(
            id=_id(wid) or _stable_id(safe_source, safe_target, kind),
            kind=kind,
            source=safe_source,
            target=safe_target,
            url=_safe_url(url) or safe_source,
            author_name=author_name,
            author_url=author_url,
            author_photo=author_photo,
            published=_date(published),
            received=_date(received),
            title=_name(title),
            content_html=html,
            content_text=text,
            rsvp=rsvp_value if rsvp_value in _RSVP_VALUES else "",
        ),
        "",
    )


def _jf2_entry(entry: Mapping[str, object]) -> tuple[Mention | None, str]:
    if entry.get("wm-private") is True:
        return None, "the receiver marks it private"
    kind = _kind_of(entry)
    html, text = _content(entry.get("content"))
    if not html and not text:
        html, text = _content(entry.get("summary"))
    url = entry.get("url")
    return _build(
        wid=entry.get("wm-id"),
        kind=kind,
        source=entry.get("wm-source", url),
        target=_target_of(entry, kind),
        url=url,
        author=entry.get("author"),
        published=entry.get("published"),
        received=entry.get("wm-received"),
        title=entry.get("name"),
        content=(html, text),
        rsvp=entry.get("rsvp"),
    )


def _links_entry(entry: Mapping[str, object]) -> tuple[Mention | None, str]:
    if entry.get("private") is True:
        return None, "the receiver marks it private"
    if entry.get("verified") is False:
        return None, "the receiver has not verified it"
    data = entry.get("data")
    data = data if isinstance(data, dict) else {}
    activity = entry.get("activity")
    activity_type = activity.get("type") if isinstance(activity, dict) else None
    kind: Kind = "mention"
    if isinstance(activity_type, str):
        # Older answers say "rsvp-yes"; the kind is the part before the dash.
        kind = _ACTIVITY_KINDS.get(activity_type.lower().partition("-")[0], "mention")
    rsvp = data.get("rsvp")
    if isinstance(activity_type, str) and activity_type.startswith("rsvp-") and rsvp is None:
        rsvp = activity_type[len("rsvp-") :]
    raw = _first(data.get("content"))
    if isinstance(raw, str):  # HTML here, unlike a JF2 string
        content = (sanitize_html(raw), _text(_html_to_text(raw)))
    else:
        content = _content(raw)
    return _build(
        wid=entry.get("id"),
        kind=kind,
        source=entry.get("source", data.get("url")),
        target=entry.get("target"),
        url=data.get("url"),
        author=data.get("author"),
        published=data.get("published"),
        received=entry.get("verified_date"),
        title=data.get("name"),
        content=content,
        rsvp=rsvp,
    )


# ----------------------------------------------------------------------------- merging


def chronological(mention: Mention) -> tuple[str, tuple[int, int, str]]:
    """A sort key that puts mentions in the order they were made (published, else received),
    whatever time zones they were written in; undated ones last."""
    return _instant(mention.published or mention.received), _id_order(mention.id)


def _natural_key(mention: Mention) -> tuple[str, str, str]:
    return url_identity(mention.source), url_identity(mention.target), mention.kind


def _id_order(wid: str) -> tuple[int, int, str]:
    """Numeric ids in number order (900 before 1000), then the others by text.

    `int` is safe here: a stored or parsed id is at most `ID_LIMIT` characters."""
    number = _decimal(wid)
    if number is not None:
        return 0, int(number), wid
    return 1, 0, wid


def _order(mention: Mention) -> tuple[str, str, tuple[int, int, str]]:
    return (
        mention.target,
        _instant(mention.published or mention.received),
        _id_order(mention.id),
    )


def merge(stored: Sequence[Mention], incoming: Sequence[Mention]) -> list[Mention]:
    """`stored` updated with `incoming`, one record per mention, in a fixed order.

    Two records are the same mention when they share an id, or when they share source,
    target and kind (a receiver that re-issues an id, or a mention once stored under a
    digest id). The later one wins: an incoming mention replaces the stored one, which is how
    an edited reply reaches the site. The order (target, date, id) does not depend on the
    order of the input, so the same mentions always make the same file.
    """
    by_id: dict[str, Mention] = {}
    id_of_key: dict[tuple[str, str, str], str] = {}
    for mention in (*stored, *incoming):
        key = _natural_key(mention)
        for old_id in {mention.id, id_of_key.get(key, mention.id)}:
            old = by_id.pop(old_id, None)
            if old is not None:
                id_of_key.pop(_natural_key(old), None)
        by_id[mention.id] = mention
        id_of_key[key] = mention.id
    return sorted(by_id.values(), key=_order)


def update_store(
    store: MentionsStore, source: str, incoming: Iterable[Mention], fetched_at: str = ""
) -> MentionsStore:
    """The store after a fetch from the receiver named `source` brought `incoming`.

    `since_id` only grows: it is the largest numeric id seen from that receiver, which is
    what webmention.io's `since_id` parameter expects (see `later_since_id`). Other ids are
    our digests of mentions that came without one, and no receiver knows them.
    """
    incoming = list(incoming)
    old = store.sources.get(source, SourceState())
    numeric = (m.id for m in incoming if _decimal(m.id) is not None)
    state = SourceState(
        since_id=later_since_id(old.since_id, *numeric),
        last_fetched=fetched_at or old.last_fetched,
    )
    sources = dict(store.sources)
    sources[source] = state
    return MentionsStore(tuple(merge(store.mentions, incoming)), dict(sorted(sources.items())))


def rebase(base: MentionsStore, ours: MentionsStore, theirs: MentionsStore) -> MentionsStore:
    """Our changes to the store (from `base`, as we loaded it, to `ours`) made on top of
    `theirs`, the store as another writer left it meanwhile.

    A build and `mkdocs-backlinks fetch` can overlap: each loads the store, changes it and
    saves it. Saving `ours` as it is would drop what the other saved in between; instead the
    mentions we added or changed are merged into theirs, those we removed (`--prune`) are
    removed from theirs, and each receiver's `since_id` is the later of the two
    (`later_since_id`, the rule a fetch moves it by).
    """
    before = {m.id: m for m in base.mentions}
    kept = {m.id for m in ours.mentions}
    removed = set(before) - kept
    changed = [m for m in ours.mentions if before.get(m.id) != m]
    mentions = merge([m for m in theirs.mentions if m.id not in removed], changed)
    sources = dict(theirs.sources)
    for name, state in ours.sources.items():
        other = sources.get(name)
        if other is None or state == base.sources.get(name):
            sources.setdefault(name, state)
            continue
        sources[name] = SourceState(
            since_id=later_since_id(state.since_id, other.since_id),
            last_fetched=max(state.last_fetched, other.last_fetched),
        )
    return MentionsStore(tuple(mentions), dict(sorted(sources.items())))


def later_since_id(*since_ids: str) -> str:
    """The latest of `since_ids`: the one to ask a receiver for what came after.

    The one rule for every place that moves a `since_id` (a fetch, two writers' stores), so
    that "later" means the same everywhere:

    - A numeric id (ASCII digits) is later than anything else: webmention.io's ids are
      numbers, and a receiver that has given one has shown what its ids look like. Between
      numbers the larger value wins (1000 is later than 900), written without leading zeros, so
      "007" and "7" are one id and the store holds a single spelling.
    - With no number among them, the largest text wins, so the answer does not depend on the
      order of the arguments; "" (never fetched) is earlier than any id.

    Numbers are compared as digit strings, never converted: a stored id of thousands of
    digits is no reason to fail (Python refuses to parse integers that long).
    """
    numbers = [number for number in map(_decimal, since_ids) if number is not None]
    if numbers:
        return max(numbers, key=lambda digits: (len(digits), digits))
    return max(since_ids, default="")


def _decimal(text: str) -> str | None:
    """`text` without leading zeros when it is a decimal number in ASCII digits, else None."""
    if text.isascii() and text.isdigit():
        return text.lstrip("0") or "0"
    return None


# ----------------------------------------------------------------------------- page matching


@dataclass(frozen=True, slots=True)
class _Origin:
    host: str  # lower case, without `www.`
    port: int | None  # None for the scheme's default
    path: str  # decoded, ends with '/'


def _origin(url: str) -> _Origin | None:
    if "://" not in url:
        url = "https://" + url  # an alias written as a bare domain
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if scheme not in ("http", "https") or not host:
        return None
    if host.startswith("www."):
        host = host[4:]
    if port in (80, 443):
        port = None  # http and https of one host are one site; their default ports too
    # Dot segments resolved as a browser does; lstrip, because normpath keeps a leading '//'.
    path = posixpath.normpath("/" + unquote(parts.path).lstrip("/"))
    return _Origin(host, port, path.rstrip("/") + "/")


def page_key(url: str, site_url: str, aliases: Sequence[str] = ()) -> str | None:
    """The site-relative path (`posts/hello/`, `''` for the home page) of a URL on the site.

    The variants a receiver may send for one page all give the same key: http or https, with
    or without `www.`, with or without the trailing slash or `index.html`, with any query or
    fragment, with percent-encoding in any case or none. `aliases` are other origins that
    served the site (an old domain, a former sub-path); a URL under one maps onto `site_url`
    as if it were under it, the longest matching prefix winning. None for URLs off the site.
    """
    target = _origin(url)
    if target is None:
        return None
    best: str | None = None
    best_length = -1
    for base in (site_url, *aliases):
        origin = _origin(base) if base else None
        if origin is None or (origin.host, origin.port) != (target.host, target.port):
            continue
        within = target.path.startswith(origin.path)
        if within and len(origin.path) > best_length:
            best, best_length = target.path[len(origin.path) :], len(origin.path)
    if best is None:
        return None
    # `_origin` added a slash to every path; put back the file names MkDocs serves as files.
    rest = best.rstrip("/")
    name = rest.rpartition("/")[2]
    if name == "index.html":
        rest = rest[: -len(name)].rstrip("/")
    elif "." in name:
        return rest
    return rest + "/" if rest else ""


def group_by_page(
    mentions: Iterable[Mention],
    site_url: str,
    aliases: Sequence[str] = (),
    moderation: Moderation | None = None,
) -> dict[str, list[Mention]]:
    """The mentions to show, under the `page_key` of their target; off-site and hidden ones
    are left out. Order within a page is the order given (the store's)."""
    pages: dict[str, list[Mention]] = {}
    for mention in mentions:
        if moderation is not None and moderation.is_hidden(mention):
            continue
        key = page_key(mention.target, site_url, aliases)
        if key is not None:
            pages.setdefault(key, []).append(mention)
    return dict(sorted(pages.items()))


# ----------------------------------------------------------------------------- moderation


def _moderation_entry(value: str) -> str:
    """A URL (anything with a '/') in its identity form; an id as written."""
    value = value.strip()
    return url_identity(value) if "/" in value else value


def _domain(value: str) -> str:
    """A host, from a bare name or a pasted URL; `www.` names the same site, so it goes."""
    value = value.strip().lower()
    if "://" in value:
        value = host_of(value)
    value = value.rstrip(".")
    return value[4:] if value.startswith("www.") else value


@dataclass(frozen=True, slots=True)
class Moderation:
    """What the author chose not to show.

    `hidden` holds mention ids and mention URLs (source or own URL; anything with a `/` is
    taken for a URL, scheme optional); `blocked_domains` hides
    every mention from a domain and its subdomains (by source or own URL, so a spammer behind
    a proxy such as Bridgy is caught by the URL it proxies); `blocked_authors` holds author
    URLs. Entries are kept in a normal form (URLs without scheme or `www.`), so a hidden
    mention stays hidden when the receiver sends it again under another variant of its URL.
    """

    hidden: frozenset[str] = frozenset()
    blocked_domains: frozenset[str] = frozenset()
    blocked_authors: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        # Normalised once here so every comparison is a set lookup.
        hidden = frozenset(_moderation_entry(v) for v in self.hidden if v.strip())
        domains = frozenset(_domain(v) for v in self.blocked_domains if v.strip())
        authors = frozenset(url_identity(v) for v in self.blocked_authors if v.strip())
        object.__setattr__(self, "hidden", hidden)
        object.__setattr__(self, "blocked_domains", domains)
        object.__setattr__(self, "blocked_authors", authors)

    def is_hidden(self, mention: Mention) -> bool:
        """True when the mention must not be shown."""
        if not (self.hidden or self.blocked_domains or self.blocked_authors):
            return False  # the usual case, checked for every stored mention on every build
        if mention.id in self.hidden:
            return True
        urls = {mention.source, mention.url}
        if self.hidden and any(url_identity(url) in self.hidden for url in urls):
            return True
        if self.blocked_domains and any(
            domain_matches(host_of(url), self.blocked_domains) for url in urls
        ):
            return True
        return mention.author_url is not None and url_identity(mention.author_url) in (
            self.blocked_authors
        )


# ----------------------------------------------------------------------------- disk


def _read(path: Path, what: str) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError as exc:
        raise MentionsError(
            f"The {what} {path} is not UTF-8 text ({exc.reason} at byte {exc.start}). It was "
            "left untouched: fix it or restore it from version control."
        ) from exc
    except OSError as exc:
        raise MentionsError(f"Cannot read the {what} {path}: {exc}") from exc


def _decode_file(text: str, path: Path, what: str, schema: str, version: int) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        marker = conflict_marker(text)
        if marker is not None:
            raise MentionsError(
                f"The {what} {path} holds an unresolved git merge conflict (line {marker[0]}: "
                f"{marker[1][:40]!r}). It was left untouched. Resolve it with the merge driver: "
                f"'git checkout -m -- {path.name}' in its folder once the driver is set up "
                "(see 'The ledger in git' in the README), or keep one side ('git checkout "
                f"--ours -- {path.name}' or '--theirs'); then 'git add' it."
            ) from exc
        raise MentionsError(
            f"The {what} {path} is not valid JSON (line {exc.lineno}, column {exc.colno}: "
            f"{exc.msg}). It was left untouched: fix it or restore it from version control."
        ) from exc
    try:
        data = _dict(data, "the document")
        check_schema(data, schema, version)
    except (TypeError, ValueError) as exc:
        raise _damaged(path, what, exc) from exc
    return data


def _damaged(path: Path, what: str, exc: Exception) -> MentionsError:
    detail = f"a required field {exc} is missing" if isinstance(exc, KeyError) else str(exc)
    return MentionsError(
        f"The {what} {path} is damaged: {detail}. It was left untouched: fix it or restore it "
        "from version control."
    )


def _optional_str(value: Any, what: str) -> str | None:
    return None if value is None else _str(value, what)


def _strings(value: Any, what: str) -> list[str]:
    return [_str(item, f"each of {what}") for item in expect_list(value, what)]


def load_store(path: Path, trusted: Iterable[str] = ()) -> MentionsStore:
    """Read and validate the mentions store; a missing file is an empty store.

    A damaged file, one that is not UTF-8, or one from a newer plugin raises `MentionsError`
    and is left as it is. What is read goes through the same cleaning as a fetched feed
    (HTML sanitised again, unsafe URLs dropped), because the file is only as trustworthy as
    whoever last edited it, and the HTML in it is shown without escaping.

    `trusted` holds digests (`store_digest`) of texts this plugin itself wrote or already
    cleaned on this machine. A file whose digest is among them is exactly such a text, so the
    cleaning, which would change nothing, is skipped; any other byte sequence, such as a
    hand-edited or freshly pulled file, is cleaned in full.
    """
    return load_store_text(path, trusted)[0]


def store_digest(text: str) -> str:
    """The digest under which a store text can be trusted by `load_store`.

    The plugin's and the sanitiser's versions are part of it: text found clean by older rules
    is cleaned again by newer ones.
    """
    import nh3

    rules = f"{__version__}\x1f{getattr(nh3, '__version__', '')}\x1f"
    return hashlib.sha256((rules + text).encode("utf-8")).hexdigest()


def load_store_text(path: Path, trusted: Iterable[str] = ()) -> tuple[MentionsStore, str, bool]:
    """`load_store`, also giving the file's text ('' when missing) and whether the fast path
    for a trusted text was taken."""
    text = _read(path, "mentions store")
    if text is None:
        return MentionsStore(), "", False
    data = _decode_file(text, path, "mentions store", STORE_SCHEMA, STORE_VERSION)
    fast = store_digest(text) in set(trusted)
    try:
        return (_decode_trusted(data) if fast else _decode_store(data)), text, fast
    except (KeyError, TypeError, ValueError) as exc:
        raise _damaged(path, "mentions store", exc) from exc


def _decode_trusted(data: Mapping[str, Any]) -> MentionsStore:
    """A store in the exact form `dumps_store` wrote after cleaning: records as they are,
    already merged and in order."""
    sources = {
        name: SourceState(raw["since_id"], raw["last_fetched"])
        for name, raw in data["sources"].items()
    }
    mentions = tuple(Mention(id=wid, **raw) for wid, raw in data["mentions"].items())
    return MentionsStore(mentions, sources)


def _decode_store(data: Mapping[str, Any]) -> MentionsStore:
    sources: dict[str, SourceState] = {}
    for name, raw in _dict(data.get("sources", {}), "'sources'").items():
        raw = _dict(raw, f"source {name!r}")
        sources[name] = SourceState(
            since_id=_str(raw.get("since_id", ""), f"since_id of {name!r}"),
            last_fetched=_str(raw.get("last_fetched", ""), f"last_fetched of {name!r}"),
        )
    mentions: list[Mention] = []
    for wid, raw in _dict(data.get("mentions", {}), "'mentions'").items():
        where = f"mention {wid!r}"
        raw = _dict(raw, where)
        if _id(wid) != wid:
            raise ValueError(f"{where} has an id that is not a plain token")
        kind = _str(raw["kind"], f"kind of {where}")
        if kind not in KINDS:
            raise ValueError(f"{where} has unknown kind {kind!r}")
        source = _safe_url(_str(raw["source"], f"source of {where}"))
        target = _safe_url(_str(raw["target"], f"target of {where}"))
        if source is None or target is None:
            raise ValueError(f"{where} has a source or target that is not an http(s) URL")
        author_url = _optional_str(raw.get("author_url"), f"author_url of {where}")
        author_photo = _optional_str(raw.get("author_photo"), f"author_photo of {where}")
        rsvp = _str(raw.get("rsvp", ""), f"rsvp of {where}")
        mentions.append(
            Mention(
                id=wid,
                kind=_KIND_NAMES[kind],
                source=source,
                target=target,
                url=_safe_url(_str(raw.get("url", source), f"url of {where}")) or source,
                author_name=_name(_str(raw.get("author_name", ""), f"author_name of {where}")),
                author_url=_safe_url(author_url),
                author_photo=_safe_url(author_photo),
                published=_date(_str(raw.get("published", ""), f"published of {where}")),
                received=_date(_str(raw.get("received", ""), f"received of {where}")),
                title=_name(_str(raw.get("title", ""), f"title of {where}")),
                content_html=_sanitize_stored(
                    _str(raw.get("content_html", ""), f"content_html of {where}")
                ),
                content_text=_text(_str(raw.get("content_text", ""), f"content_text of {where}")),
                rsvp=rsvp if rsvp in _RSVP_VALUES else "",
            )
        )
    return MentionsStore(tuple(merge([], mentions)), dict(sorted(sources.items())))


def _sanitize_stored(html: str) -> str:
    # Likes and reposts have no content: skip the sanitiser's setup for the empty string.
    return sanitize_html(html) if html else ""


def dumps_store(store: MentionsStore) -> str:
    """The store file's text: a head with the fetch state, then one mention a line.

    One line per mention keeps a review diff to the mentions that changed; the order is the
    merge order and keys are sorted, so saving the same store twice gives the same bytes.
    """
    head = {
        "schema": STORE_SCHEMA,
        "version": STORE_VERSION,
        "sources": {
            name: {"since_id": state.since_id, "last_fetched": state.last_fetched}
            for name, state in sorted(store.sources.items())
        },
    }
    # Through merge, so a store built by hand with a repeated id still writes unique keys.
    ordered: Iterator[tuple[str, Any]] = (
        (mention.id, mention.record()) for mention in merge([], store.mentions)
    )
    return "".join(dump_json_lines(head, {"mentions": ordered}))


def save_store(path: Path, store: MentionsStore) -> None:
    """Write the store atomically: the old file or the new one, never half of either."""
    write_text_atomic(path, dumps_store(store))


def load_moderation(path: Path) -> Moderation:
    """Read and validate the moderation file; a missing file hides nothing.

    The same rules as the store: a damaged, non-UTF-8 or newer file raises `MentionsError`
    and is left as it is (moderation silently reset would republish what the author hid).
    """
    text = _read(path, "moderation file")
    if text is None:
        _moderation_read[str(path.absolute())] = ("", Moderation())
        return Moderation()
    data = _decode_file(text, path, "moderation file", MODERATION_SCHEMA, MODERATION_VERSION)
    try:
        moderation = Moderation(
            hidden=frozenset(_strings(data.get("hidden", []), "'hidden'")),
            blocked_domains=frozenset(
                _strings(data.get("blocked_domains", []), "'blocked_domains'")
            ),
            blocked_authors=frozenset(
                _strings(data.get("blocked_authors", []), "'blocked_authors'")
            ),
        )
    except (TypeError, ValueError) as exc:
        raise _damaged(path, "moderation file", exc) from exc
    _moderation_read[str(path.absolute())] = (text, moderation)
    return moderation


# What this process last read from or wrote to each moderation file: the base `save_moderation`
# merges against, so two `mentions hide` at once both stay hidden.
_moderation_read: dict[str, tuple[str, Moderation]] = {}


def merge_moderation(base: Moderation, ours: Moderation, theirs: Moderation) -> Moderation:
    """Both sides' changes to `base`: an entry either side added is in, one either side removed
    (`unhide`) is out, and the rest stay."""

    def merged(old: frozenset[str], mine: frozenset[str], other: frozenset[str]) -> frozenset[str]:
        return (old & mine & other) | (mine - old) | (other - old)

    return Moderation(
        merged(base.hidden, ours.hidden, theirs.hidden),
        merged(base.blocked_domains, ours.blocked_domains, theirs.blocked_domains),
        merged(base.blocked_authors, ours.blocked_authors, theirs.blocked_authors),
    )


def dumps_moderation(moderation: Moderation) -> str:
    """The moderation file's text: indented and sorted, since people edit it by hand."""
    return dump_json(
        {
            "schema": MODERATION_SCHEMA,
            "version": MODERATION_VERSION,
            "hidden": sorted(moderation.hidden),
            "blocked_domains": sorted(moderation.blocked_domains),
            "blocked_authors": sorted(moderation.blocked_authors),
        }
    )


def save_moderation(path: Path, moderation: Moderation) -> None:
    """Write the moderation file atomically, with its folder locked.

    When the file is no longer what this process last read (`load_moderation`), another
    command saved it in between, and both changes are kept (`merge_moderation`).
    """
    key = str(path.absolute())
    try:
        with locked(path.parent):
            base = _moderation_read.get(key)
            current = _read(path, "moderation file")
            written = moderation
            if base is not None and (current or "") != base[0]:
                written = merge_moderation(base[1], moderation, load_moderation(path))
            text = dumps_moderation(written)
            if text != current:
                write_text_atomic(path, text)
    except OSError as exc:
        raise MentionsError(f"Cannot write the moderation file {path}: {exc}") from exc
    # As `ledger.save_ledger`: the caller's next save is merged with the file again.
    _moderation_read[key] = (
        text if written is moderation else dumps_moderation(moderation),
        moderation,
    )


def hide(moderation: Moderation, *refs: str) -> Moderation:
    """`moderation` with more mention ids or URLs hidden."""
    return replace(moderation, hidden=moderation.hidden | frozenset(refs))
