"""The sections' headings in the page's table of contents.

Themes draw a page's table of contents from `page.toc`, which MkDocs makes from the page's
Markdown before any plugin sees the sections. The headings are added there as the entries
MkDocs makes (`AnchorLink`), nested by level as the toc extension nests the page's own, at
the place the section takes in the page: the end of the content, or the author's placeholder.

Which headings there are is read from the rendered HTML, not assumed: the templates are the
one source of truth, so a user's template with other headings (or none) lists those.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterable, Iterator

from markdown.extensions.toc import strip_tags
from mkdocs.structure.toc import AnchorLink, TableOfContents

from mkdocs_backlinks.sections.headings import TocSettings

__all__ = ["add_headings", "section_headings"]

_HEADING = re.compile(r"<h([1-6])\b([^>]*)>(.*?)</h\1\s*>", re.DOTALL | re.IGNORECASE)
_ID = re.compile(r"""\bid\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_FIRST_LINK = re.compile(r"^\s*<a\b[^>]*>.*?</a>", re.DOTALL | re.IGNORECASE)
_LAST_LINK = re.compile(r"<a\b[^>]*>(?:(?!<a\b).)*?</a>\s*$", re.DOTALL | re.IGNORECASE)
_ANY_HEADING = re.compile(r"<h[1-6][\s>]", re.IGNORECASE)
_Entry = tuple[str, str, int]
_HEADING_ID = re.compile(r"<h[1-6]\b[^>]*?\bid=\"([^\"]*)\"", re.IGNORECASE)


def section_headings(section_html: str, settings: TocSettings) -> list[AnchorLink]:
    """The headings with an id in one rendered section, in order, as TOC entries (not nested).

    The title is the heading's text as the toc extension gives it for the page's headings:
    tags stripped, entities kept, and without the permalink's symbol.
    """
    anchors = []
    for level, attributes, inner in _HEADING.findall(section_html):
        found = _entry(level, attributes, inner, settings)
        if found is not None:
            anchors.append(AnchorLink(*found))
    return anchors


@functools.lru_cache(maxsize=256)
def _entry(level: str, attributes: str, inner: str, settings: TocSettings) -> _Entry | None:
    """A heading's (title, id, level) in the TOC, None if it has no id or is not listed.
    Kept: nearly every page has the same few headings, and each page needs its own
    `AnchorLink`s (the TOC is a tree of mutable lists) but not its own parse."""
    found = _ID.search(attributes)
    if found is None or not settings.lists(int(level)):
        return None
    if settings.permalink is not None:
        link = _FIRST_LINK if settings.permalink_leading else _LAST_LINK
        inner = link.sub("", inner, count=1)
    anchor_id = found.group(1) if found.group(1) is not None else found.group(2)
    return strip_tags(inner), html.unescape(anchor_id), int(level)


def _insert(toc: list[AnchorLink], path: list[AnchorLink], new: AnchorLink) -> list[AnchorLink]:
    """Put `new` after the last entry of the TOC, at the end of `path` (the entries above it,
    from the top): under the deepest of them whose level is above its own, as the toc
    extension nests a heading under the last one before it of a higher level. Returns the
    path to `new`, for the next heading of the same section."""
    depth = len(path)
    while depth and path[depth - 1].level >= new.level:
        depth -= 1
    (path[depth - 1].children if depth else toc).append(new)
    return [*path[:depth], new]


def _in_order(items: list[AnchorLink]) -> Iterator[AnchorLink]:
    """Every entry of a TOC, in document order."""
    for item in items:
        yield item
        yield from _in_order(item.children)


def _nest(entries: list[AnchorLink]) -> list[AnchorLink]:
    """Entries in document order nested as the toc extension nests headings: each under the
    last one before it of a higher level (`markdown.extensions.toc.nest_toc_tokens`)."""
    top: list[AnchorLink] = []
    above: list[AnchorLink] = []
    for entry in entries:
        entry.children = []
        while above and above[-1].level >= entry.level:
            above.pop()
        (above[-1].children if above else top).append(entry)
        above.append(entry)
    return top


def _end_path(toc: list[AnchorLink]) -> list[AnchorLink]:
    """The path to the last entry in document order: the end of the content."""
    path: list[AnchorLink] = []
    items = toc
    while items:
        path.append(items[-1])
        items = items[-1].children
    return path


def add_headings(
    toc: TableOfContents, content: str, position: int, headings: Iterable[AnchorLink]
) -> None:
    """List `headings` (one section's) in `toc`, placed where `position` is in `content`:
    after the last heading of the content before it."""
    headings = list(headings)
    if not headings:
        return
    items = toc.items
    if not _ANY_HEADING.search(content, position):
        # No heading after it (the common case): the section follows the last entry.
        path = _end_path(items)
        for heading in headings:
            path = _insert(items, path, heading)
        return
    # Between the page's headings: the section's go after the last heading before it that
    # the TOC lists (`toc_depth` may leave some out), or first, and the whole TOC is nested
    # again, so that the headings after it nest under the section's as they would under a
    # heading of the page's own.
    entries = list(_in_order(items))
    at = 0
    for anchor_id in reversed(_HEADING_ID.findall(content, 0, position)):
        anchor_id = html.unescape(anchor_id)
        found = next((i for i, entry in enumerate(entries) if entry.id == anchor_id), None)
        if found is not None:
            at = found + 1
            break
    entries[at:at] = headings
    items[:] = _nest(entries)
