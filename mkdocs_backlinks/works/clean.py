"""Remote values made safe to keep: plain bounded text, absolute http(s) URLs, bare addresses.

Every remote byte is hostile. Every URL that comes out of here is absolute http(s) (or, where
asked, `mailto:`); e-mail routes come out as bare addresses; every text is plain, folded and
bounded. The templates escape again on output: this is the first line, not the only one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from urllib.parse import quote, unquote, urljoin, urlsplit

from mkdocs_backlinks.links.urls import is_web_url, url_identity
from mkdocs_backlinks.text import ELLIPSIS, fold

__all__ = [
    "DESCRIPTION_LIMIT",
    "EMAIL_LIMIT",
    "NAME_LIMIT",
    "TEXT_WORK_LIMIT",
    "TITLE_LIMIT",
    "URL_LIMIT",
    "author_name",
    "clean_text",
    "dedupe",
    "emails_in",
    "fold",
    "http_url",
    "is_absolute_http",
    "page_key",
    "page_keys_of",
]

TITLE_LIMIT = 300
"""Longest title kept, in characters; a longer one is cut at a word and ends with an ellipsis."""
DESCRIPTION_LIMIT = 500
NAME_LIMIT = 200
"""Longest author or site name kept."""
URL_LIMIT = 2048
"""Longer URLs are dropped rather than cut: half a URL leads somewhere else."""
EMAIL_LIMIT = 254  # RFC 5321's limit on a forward path, less the angle brackets

TEXT_WORK_LIMIT = 64 * 1024
"""Longest remote text looked at: a huge title attribute is cut before any regular expression
sees it."""

_HTTP_SCHEMES = frozenset({"http", "https"})

# Text that looks like markup: an element whose content is never text, a comment, or a tag.
_RAW_OPEN = re.compile(r"<(script|style)\b|<!--", re.IGNORECASE)
_RAW_CLOSE = {
    "script": re.compile(r"</script[^>]*>?", re.IGNORECASE),
    "style": re.compile(r"</style[^>]*>?", re.IGNORECASE),
    None: re.compile("-->"),
}
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
# C0/C1 controls and the bidirectional overrides that could make a title render backwards;
# tab, newline and carriage return are white space and are folded later instead.
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_URL_NOISE = re.compile("[\t\n\r]")  # the WHATWG URL parser drops these anywhere in a URL
_URL_CONTROL = re.compile("[\x00-\x1f\x7f]")
# Characters a browser percent-encodes when it follows a link; escaped, they are safe to store.
_URL_ESCAPE = re.compile('[ "<>\\\\^`{|}]')
_EMAIL = re.compile(r"[^\s@<>()\[\],;:\"\\]{1,64}@[^\s@<>()\[\],;:\"\\]+\.[^\s@<>()\[\],;:\"\\]+")


def http_url(value: str | None, base: str, *, allow_mailto: bool = False) -> str | None:
    """`value` resolved against `base`, if the result is an absolute http(s) URL.

    With `allow_mailto`, a `mailto:` URL passes too (lower-cased scheme), for contact routes.
    Anything else (`javascript:`, `data:`, a relative URL left by a broken base) is dropped.
    """
    if value is None or len(value) > URL_LIMIT:
        return None
    value = _URL_NOISE.sub("", value.strip(" \t\n\r\f"))
    if not value:
        return None
    try:
        url = urljoin(base, value)
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == "mailto" and allow_mailto:
            return "mailto:" + url.split(":", 1)[1]
        if not is_web_url(url):
            return None
        _ = parts.port  # a port that is not a number is no URL we can use
    except ValueError:
        return None
    url = _URL_ESCAPE.sub(lambda match: quote(match.group()), url)
    if _URL_CONTROL.search(url) or len(url) > URL_LIMIT:
        return None
    return url


def is_absolute_http(value: str) -> bool:
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in _HTTP_SCHEMES and bool(parts.netloc)


def emails_in(value: str | None) -> list[str]:
    """The addresses in a `mailto:` URL or a bare address: query and `mailto:` stripped."""
    if value is None or len(value) > URL_LIMIT:
        return []
    value = value.strip()
    if value[:7].lower() == "mailto:":
        value = value[7:].split("?", 1)[0].split("#", 1)[0]
    addresses = (unquote(part).strip() for part in value.split(","))
    return [a for a in addresses if len(a) <= EMAIL_LIMIT and _EMAIL.fullmatch(a)]


def page_keys_of(*urls: str | None) -> tuple[str, ...]:
    """The distinct page keys of `urls`, in order, so the first URL's matches win."""
    return dedupe(filter(None, map(page_key, urls)), str)


def page_key(url: str | None) -> str | None:
    """What two URLs of the same page share (`url_identity`), None for no http(s) URL.

    Used only to decide whether an h-entry or an h-card is about a given page.
    """
    if not url or url.startswith("mailto:"):
        return None
    try:
        return url_identity(url)
    except ValueError:
        return None


def clean_text(value: str | None, limit: int) -> str | None:
    """Plain text: markup removed, controls dropped, white space folded, at most `limit` long.

    Remote text reaches us as attribute values and `<title>` contents, where a tag is just
    characters; a site that put one there meant markup, not the characters. A title that
    merely mentions a tag (`"Why <div> is bad"`) loses it: the price of never showing markup.
    """
    if value is None:
        return None
    text = fold(_INVISIBLE.sub("", _TAG.sub(" ", _drop_raw(value[:TEXT_WORK_LIMIT]))))
    if len(text) <= limit:
        return text or None
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 2 // 3:  # cut at a word unless that throws away a third
        cut = cut[:space]
    return cut.rstrip() + ELLIPSIS


# What a page puts before an author's name in its byline, and around it.
_BYLINE = re.compile(
    r"^(?:(?:posted|written|published|authored|created|edited)\s+)?by\b\s*:?\s*"
    r"|^(?:authors?|written by|posted by)\s*:\s*",
    re.IGNORECASE,
)
_AROUND_NAME = " \t-\u2010\u2011\u2012\u2013\u2014\u2015:;,|/\\\u2022\u00b7*~"
# What a page says when it has no author's name, or what a template left unfilled.
_NO_NAME = frozenset(
    {"none", "null", "nil", "undefined", "unknown", "n/a", "na", "nan", "anonymous", "admin",
     "administrator", "author", "by"}
)  # fmt: skip


def author_name(value: str | None, limit: int = NAME_LIMIT) -> str | None:
    """An author's name as a page gives it, for the notes to greet and the lists to show:
    plain text (`clean_text`) without the byline around it (`by Jane Doe`, `Posted by ...`,
    `— Jane Doe`), or None when what is left is no name (`None`, `admin`, punctuation, a
    template's unfilled `{{ author }}`)."""
    text = clean_text(value, limit)
    if text is None:
        return None
    name = _BYLINE.sub("", text).strip(_AROUND_NAME)
    if (
        not any(char.isalpha() for char in name)
        or name.lower() in _NO_NAME
        or "{{" in name
        or "{%" in name
        or "}}" in name
        or "${" in name
    ):
        return None
    return name


def _drop_raw(text: str) -> str:
    """`text` without comments and `<script>`/`<style>` elements, in one pass.

    A regular expression with `.*?` would rescan to the end for every unclosed opening.
    """
    kept = []
    position = 0
    while opening := _RAW_OPEN.search(text, position):
        kept.append(text[position : opening.start()])
        element = opening.group(1)
        closing = _RAW_CLOSE[element.lower() if element else None].search(text, opening.end())
        if closing is None:  # never closed: the rest is script, as a browser would read it
            return " ".join(kept)
        position = closing.end()
        kept.append(" ")
    kept.append(text[position:])
    return "".join(kept)


def dedupe(values: Iterable[str], key: Callable[[str], str]) -> tuple[str, ...]:
    seen: set[str] = set()
    kept = []
    for value in values:
        marker = key(value)
        if marker not in seen:
            seen.add(marker)
            kept.append(value)
    return tuple(kept)
