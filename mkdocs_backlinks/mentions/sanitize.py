"""Making a stranger's HTML safe to show, and reading the plain text out of it.

HTML is cleaned by `nh3` (Rust's ammonia, an allow-list sanitiser built on a browser-grade
HTML parser): a regex or a deny-list would lose to the parser quirks that real attacks use.
"""

from __future__ import annotations

import html as html_lib
import re

from mkdocs_backlinks.mentions.fields import no_controls, no_surrogates, safe_url

__all__ = ["HTML_LIMIT", "LINK_REL", "html_to_text", "sanitize_html"]

HTML_LIMIT = 5_000
"""Longest sanitised HTML kept of one mention (see `fields` for the other bounds)."""

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
    return safe_url(url)


def _clean(html: str) -> str:
    # Imported here: a site without mentions never needs the sanitiser.
    import nh3

    cleaned: str = nh3.clean(
        html,
        tags=set(_ALLOWED_TAGS),
        clean_content_tags=set(_DROPPED_WITH_CONTENT),
        attributes=_ALLOWED_ATTRIBUTES,
        attribute_filter=_href_filter,
        strip_comments=True,
        link_rel=LINK_REL,
        url_schemes=set(_URL_SCHEMES),
    ).translate(_BRACES)
    # After the sanitiser, which writes `&#x2;` back as the character it names: no control
    # character or direction override reaches a page, nor one of Markdown's placeholders.
    return no_controls(cleaned)


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
    raw = no_surrogates(html[:HTML_LIMIT])
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


def html_to_text(html: str) -> str:
    """The plain text of HTML, for a receiver that sent only HTML."""
    import nh3

    spaced = _BLOCK_ENDS.sub("\n", no_surrogates(html[:HTML_LIMIT]))
    bare = nh3.clean(spaced, tags=set(), clean_content_tags=set(_DROPPED_WITH_CONTENT))
    return html_lib.unescape(bare)
