"""Incoming webmentions: read a receiver's feed into mentions, every field made safe.

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

Caches other tools keep of the same feeds are read too, for sites moving here:

- **Eleventy**: `{"webmentions": [entry, ...]}`, or eleventy-fetch's cache of the JF2 feed,
  `{"lastFetched": ..., "children": [entry, ...]}` (the JF2 feed with one more key).
- **jekyll-webmention_io** (`webmention_io_received.yml`): a mapping of each page's path
  (`/2019/03/post/`) to a mapping of ids to items `{id, uri, source, pubdate, author, type,
  title, content, raw}`, where `raw` is the links-format entry it came from (see `foreign`).

HTML is cleaned by `nh3` (see `sanitize`); the other fields by the rules in `fields`.

Every entry that cannot be a mention is skipped with a `Problem`: a short `reason` that is
counted per kind in the build's one-line summary, and the sentence shown with `-v`. An entry
is kept, with the field left empty, when only its date is unusable (a `Problem` that does not
skip it).

Nothing here touches the network or MkDocs: the HTTP client fetches the feed and the renderer
shows the store; both hand plain data to and from these functions.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from mkdocs_backlinks.links.urls import url_identity
from mkdocs_backlinks.mentions.fields import (
    RSVP_VALUES,
    first_value,
    iso_date,
    one_line,
    plain_id,
    plain_text,
    safe_url,
)
from mkdocs_backlinks.mentions.foreign import is_jekyll_cache, jekyll_entries
from mkdocs_backlinks.mentions.model import Kind, Mention
from mkdocs_backlinks.mentions.sanitize import html_to_text, sanitize_html
from mkdocs_backlinks.text import cut

__all__ = ["WITHHELD", "Problem", "parse_feed", "summary"]


class Problem(str):
    """Why an entry was skipped (or, when `skipped` is False, a field of it dropped): the
    sentence itself, naming the entry, as shown with `-v`.

    `reason` is a few words that repeat across entries ("not an object", "bad date"), so a
    build can count them in one line.
    """

    reason: str
    skipped: bool

    def __new__(cls, reason: str, detail: str, skipped: bool = True) -> Problem:
        problem = super().__new__(cls, detail)
        problem.reason = reason
        problem.skipped = skipped
        return problem

    @property
    def detail(self) -> str:
        return str.__str__(self)


WITHHELD = frozenset({"private", "unverified"})
"""Reasons that are the receiver's decision, not a fault of the feed: counted, never warned."""


def summary(problems: Iterable[Problem]) -> str:
    """One line counting the problems per reason, '' when there are none: "3 entries
    skipped: 2 not an object, 1 bad source URL; 1 bad date left empty"."""
    problems = list(problems)
    skipped = Counter(p.reason for p in problems if p.skipped)
    kept = Counter(p.reason for p in problems if not p.skipped)
    parts = []
    if skipped:
        total = sum(skipped.values())
        listed = ", ".join(f"{n} {reason}" for reason, n in sorted(skipped.items()))
        parts.append(f"{total} {'entry' if total == 1 else 'entries'} skipped: {listed}")
    parts += [f"{n} {reason}" for reason, n in sorted(kept.items())]
    return "; ".join(parts)


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


def _stable_id(source: str, target: str, kind: str) -> str:
    digest = hashlib.sha256(
        "\x1f".join((url_identity(source), url_identity(target), kind)).encode()
    ).hexdigest()
    return "h-" + digest[:24]


def _quote(value: object) -> str:
    """An untrusted value as it may appear in a log line: short, and escaped by repr."""
    text = value if isinstance(value, str) else type(value).__name__
    return repr(cut(text, 80))


def parse_feed(data: object, site_url: str = "") -> tuple[list[Mention], list[Problem]]:
    """The mentions in a receiver's answer, and a `Problem` for each entry that was skipped.

    `data` is the decoded JSON: a JF2 feed, a single JF2 entry, the `links` format, one of
    the caches in the module's docstring (`site_url` makes a jekyll cache's page paths
    absolute), or a bare array of entries (read, with a problem that skips nothing: no
    receiver sends one). An entry is skipped when its source or target is not an http(s)
    URL, when the receiver marks it private or unverified, or when it is not an object;
    every other field falls back to empty when it is missing or unusable. A document that
    is none of these (a string, an object of another shape) gives no mentions and one
    problem with the reason "not a feed".
    """
    entries, problems = _entries(data, site_url)
    mentions: list[Mention] = []
    for index, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            problems.append(
                Problem(
                    "not an object", f"entry {index}: skipped: not an object but {_quote(entry)}"
                )
            )
            continue
        wid = entry.get("wm-id", entry.get("id"))
        label = f"entry {index}" + (f" ({_quote(str(wid))})" if plain_id(wid) else "")
        notes: list[str] = []
        built = _links_entry(entry, notes) if _is_links_entry(entry) else _jf2_entry(entry, notes)
        if isinstance(built, Problem):
            problems.append(Problem(built.reason, f"{label}: skipped: {built.detail}"))
            continue
        mentions.append(built)
        problems.extend(
            Problem("bad date left empty", f"{label}: {note} is not a date; left empty", False)
            for note in notes
        )
    return mentions, problems


def _not_a_feed(detail: str) -> tuple[list[object], list[Problem]]:
    return [], [Problem("not a feed", detail)]


def _entries(data: object, site_url: str) -> tuple[list[object], list[Problem]]:
    if isinstance(data, list):
        # No receiver sends a bare array: whatever answered may not be what was meant (a
        # wrong URL, a proxy's listing). Its entries are read, so nothing is lost, and the
        # author hears of it.
        return list(data), [
            Problem(
                "JSON array where a feed object belongs (its entries read)",
                'the document is a JSON array where a feed object ({"children": [...]}) '
                "belongs; its entries were read",
                skipped=False,
            )
        ]
    if not isinstance(data, dict):
        return _not_a_feed(f"not a mentions feed: a {type(data).__name__}, expected an object")
    if "error" in data and not ("children" in data or "links" in data):
        detail = data.get("error_description", data.get("error"))
        return _not_a_feed(f"the receiver answered with an error: {_quote(detail)}")
    for key in ("children", "links", "webmentions"):
        if key in data:
            items = data[key]
            if isinstance(items, list):
                return list(items), []
            return _not_a_feed(
                f"not a mentions feed: '{key}' is a {type(items).__name__}, not a list"
            )
    if data.get("type") == "entry" or _has_wm_keys(data):
        return [data], []
    if is_jekyll_cache(data):
        return list(jekyll_entries(data, site_url)), []
    return _not_a_feed(
        "not a mentions feed: no 'children' (JF2), 'links', 'webmentions' (Eleventy) list, "
        "nor page paths (jekyll-webmention_io)"
    )


def _has_wm_keys(entry: Mapping[Any, object]) -> bool:
    """JF2 entries carry the receiver's own `wm-*` properties; the links format has none."""
    return any(isinstance(key, str) and key.startswith("wm-") for key in entry)


def _is_links_entry(entry: Mapping[str, object]) -> bool:
    if entry.get("type") == "entry" or _has_wm_keys(entry):
        return False
    return "source" in entry or "activity" in entry or "verified_date" in entry


def _author(value: object) -> tuple[str, str | None, str | None]:
    """Name, URL and photo of an h-card, however loosely it came."""
    value = first_value(value)
    if isinstance(value, str):
        # JF2 allows the author as a bare name or URL.
        url = safe_url(value)
        return ("", url, None) if url else (one_line(value), None, None)
    if not isinstance(value, dict):
        return "", None, None
    photo = first_value(value.get("photo"))
    if isinstance(photo, dict):  # mf2 `{"value": url, "alt": text}`
        photo = photo.get("value", photo.get("url"))
    return one_line(value.get("name")), safe_url(value.get("url")), safe_url(photo)


def _content(value: object) -> tuple[str, str]:
    """(sanitised HTML, plain text) of a JF2 `content` or `summary`."""
    value = first_value(value)
    if isinstance(value, str):
        return "", plain_text(value)  # a JF2 string is plain text
    if not isinstance(value, dict):
        return "", ""
    raw_html = first_value(value.get("html"))
    if not isinstance(raw_html, str) and value.get("content-type") == "text/html":
        raw_html = first_value(value.get("value"))
    text = first_value(value.get("text"))
    if not isinstance(text, str) and value.get("content-type") != "text/html":
        text = first_value(value.get("value"))
    html = sanitize_html(raw_html) if isinstance(raw_html, str) else ""
    if not isinstance(text, str) and isinstance(raw_html, str):
        text = html_to_text(raw_html)
    return html, plain_text(text)


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
    notes: list[str],
) -> Mention | Problem:
    safe_source = safe_url(source)
    if safe_source is None:
        shown = _quote(first_value(source))
        return Problem("bad source URL", f"its source {shown} is not an http(s) URL")
    safe_target = safe_url(target)
    if safe_target is None:
        shown = _quote(first_value(target))
        return Problem("bad target URL", f"its target {shown} is not an http(s) URL")
    author_name, author_url, author_photo = _author(author)
    rsvp_value = rsvp.strip().lower() if isinstance(rsvp, str) else ""
    html, text = content
    dates = {"published": _date(published, notes), "received": _date(received, notes)}
    return Mention(
        id=plain_id(wid) or _stable_id(safe_source, safe_target, kind),
        kind=kind,
        source=safe_source,
        target=safe_target,
        url=safe_url(url) or safe_source,
        author_name=author_name,
        author_url=author_url,
        author_photo=author_photo,
        published=dates["published"],
        received=dates["received"],
        title=one_line(title),
        content_html=html,
        content_text=text,
        rsvp=rsvp_value if rsvp_value in RSVP_VALUES else "",
    )


def _date(value: object, notes: list[str]) -> str:
    """`iso_date(value)`, noting a date that was given but is unusable."""
    date = iso_date(value)
    if not date and value not in (None, "", []):
        notes.append(f"its date {_quote(first_value(value))}")
    return date


def _jf2_entry(entry: Mapping[str, object], notes: list[str]) -> Mention | Problem:
    if entry.get("wm-private") is True:
        return Problem("private", "the receiver marks it private")
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
        notes=notes,
    )


def _links_entry(entry: Mapping[str, object], notes: list[str]) -> Mention | Problem:
    if entry.get("private") is True:
        return Problem("private", "the receiver marks it private")
    if entry.get("verified") is False:
        return Problem("unverified", "the receiver has not verified it")
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
    raw = first_value(data.get("content"))
    if isinstance(raw, str):  # HTML here, unlike a JF2 string
        content = (sanitize_html(raw), plain_text(html_to_text(raw)))
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
        notes=notes,
    )
