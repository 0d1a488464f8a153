"""The sections' headings: linked as the site's `toc` extension links the page's own, with ids
that no heading of the page already has.

A reader who hovers a heading of the page sees its permalink; the sections' headings sit
among them in the same content column and should behave the same. What Python-Markdown's toc
extension writes depends on its settings in `mkdocs.yml` (`markdown_extensions: - toc:`), so
those settings are read here once per build and handed to the templates, which write the
markup (`backlinks/heading.html`). Values that end up in HTML are escaped the way the
extension's serializer escapes them, not Jinja's way: a symbol written as an entity
(`permalink: "&#128279;"`) must show as the character, as it does beside the page's headings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from markdown.extensions.toc import escape_cdata
from markdown.util import parseBoolValue
from markupsafe import Markup

__all__ = [
    "DEFAULT_IDS",
    "NO_PERMALINKS",
    "SectionIds",
    "TocSettings",
    "section_ids",
    "toc_settings",
]

_TOC_NAMES = ("toc", "markdown.extensions.toc")
"""The names `markdown_extensions` may give the extension; its options are keyed by them."""


def _attribute(value: str) -> Markup:
    """`value` as Python-Markdown's serializer writes an attribute: entities are kept."""
    text = escape_cdata(value).replace('"', "&quot;").replace("\n", "&#10;")
    return Markup(text)  # noqa: S704  # escaped just above, the serializer's way


_HEADERLINK = Markup("headerlink")
_PERMANENT_LINK = Markup("Permanent link")
_TOCLINK = Markup("toclink")


@dataclass(frozen=True)
class TocSettings:
    """What the `toc` extension does to a heading, and which levels the page's TOC lists.

    The templates read the fields by these names (`toc.permalink`, ...). The defaults are the
    extension's: no permalink, so a site that has none gets none on the sections either.
    """

    permalink: Markup | None = None
    """The permalink's text, already HTML (`&para;` for `permalink: true`); None for none."""
    permalink_class: Markup = _HEADERLINK
    permalink_title: Markup = _PERMANENT_LINK
    """The permalink's `title` attribute; empty for none."""
    permalink_leading: bool = False
    """Put the permalink before the heading's text instead of after it."""
    anchorlink: bool = False
    """Make the heading's text itself a link to the heading."""
    anchorlink_class: Markup = _TOCLINK
    toc_top: int = 1
    toc_bottom: int = 6
    """Heading levels the page's table of contents lists (`toc_depth`)."""

    def lists(self, level: int) -> bool:
        """Whether the page's table of contents lists a heading of `level`."""
        return self.toc_top <= level <= self.toc_bottom


NO_PERMALINKS = TocSettings()
"""The toc extension's defaults: what a site that configures nothing gets."""


def _depth(value: Any) -> tuple[int, int]:
    """`toc_depth` as the extension reads it: `3` or `"2-4"`; anything else lists every
    level (the extension itself fails on such a value before a page is converted)."""
    try:
        if isinstance(value, str) and "-" in value:
            top, bottom = (int(part) for part in value.split("-"))
            return top, bottom
        return 1, int(value)
    except (TypeError, ValueError):
        return 1, 6


def toc_settings(mdx_configs: Mapping[str, Any]) -> TocSettings:
    """The settings the site gives the toc extension (MkDocs' `config['mdx_configs']`)."""
    options: Mapping[str, Any] = {}
    for name in _TOC_NAMES:
        found = mdx_configs.get(name)
        if isinstance(found, Mapping):
            options = found
            break
    # The extension's own parsing: `true`/`"yes"` switch the link on, `false`/`"off"`/0 off,
    # any other string is the symbol.
    permalink = options.get("permalink", False)
    on = parseBoolValue(permalink, False)
    symbol = None
    if on is True:
        symbol = Markup("&para;")
    elif on is None:
        symbol = Markup(escape_cdata(str(permalink)))  # noqa: S704  # escaped, the extension's way
    top, bottom = _depth(options.get("toc_depth", 6))
    return TocSettings(
        permalink=symbol,
        permalink_class=_attribute(str(options.get("permalink_class", "headerlink"))),
        permalink_title=_attribute(str(options.get("permalink_title", "Permanent link") or "")),
        permalink_leading=bool(parseBoolValue(options.get("permalink_leading", False), False)),
        anchorlink=bool(parseBoolValue(options.get("anchorlink", False), False)),
        anchorlink_class=_attribute(str(options.get("anchorlink_class", "toclink"))),
        toc_top=top,
        toc_bottom=bottom,
    )


@dataclass(frozen=True)
class SectionIds:
    """The ids of the sections' headings on one page (`ids.credits`, ... in the templates)."""

    credits: str = "backlinks-credits-title"
    backlinks: str = "backlinks-incoming-title"
    mentions: str = "backlinks-mentions-title"


DEFAULT_IDS = SectionIds()


def _taken(content: str, candidate: str) -> bool:
    return f'id="{candidate}"' in content or f"id='{candidate}'" in content


def _free(content: str, wanted: str) -> str:
    """`wanted`, or `wanted_1`, `wanted_2`, ... as the toc extension makes a taken id unique."""
    candidate, n = wanted, 0
    while _taken(content, candidate):
        n += 1
        candidate = f"{wanted}_{n}"
    return candidate


def section_ids(content: str) -> SectionIds:
    """Ids for the sections' headings that no element of the page's `content` has: a heading
    the author called "Backlinks credits title" keeps its id and its link."""
    if 'id="backlinks-' not in content and "id='backlinks-" not in content:
        return DEFAULT_IDS  # nearly every page: two scans, no new object
    return SectionIds(
        _free(content, DEFAULT_IDS.credits),
        _free(content, DEFAULT_IDS.backlinks),
        _free(content, DEFAULT_IDS.mentions),
    )
