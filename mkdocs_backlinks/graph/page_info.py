"""What the graph keeps of a MkDocs page: its title, and the titles of the sections it links
from, read as text from the page MkDocs converted."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from html import unescape
from typing import TYPE_CHECKING

from mkdocs_backlinks.graph.linkgraph import LinkRow, PageInfo, sections_linking_in
from mkdocs_backlinks.text import fold

if TYPE_CHECKING:
    from mkdocs.structure.pages import Page
    from mkdocs.structure.toc import AnchorLink

__all__ = ["page_info", "page_title", "section_titles"]


def page_info(
    page: Page,
    links: Sequence[LinkRow],
    more: Iterable[str] = (),
    ids: Mapping[str, str] | None = None,
) -> PageInfo:
    """The page as the graph holds it, for the links it made.

    Only the sections this page links from are ever named (in the backlinks of the pages it
    links to), so only their titles are kept, not every heading of the page until the build
    ends. `more` names sections whose links are known only later (autorefs' references): the
    page's table of contents is not at hand then. `ids` maps a heading id as the table of
    contents holds it to the one the links name, where they differ (`ReadPage.ids`).
    """
    linking = sections_linking_in(links).union(section for section in more if section)
    sections = section_titles(page, linking, ids) if linking else {}
    return PageInfo(page.file.src_uri, page.url, page_title(page), sections)


def page_title(page: Page) -> str:
    """The page's title as text, which is what the graph, its export and the ledger hold.

    MkDocs gives a title taken from the page's h1 as HTML text ('Tips &amp; tricks'), and one
    from nav or front matter as written, which YAML may have read as a number
    (`- 2024: index.md`). Themes print either as HTML (MkDocs' templates do not escape), so a
    title written `Q&amp;A <b>x</b>` reads "Q&A x", and that is the text kept.
    """
    title = page.title
    if title is None:
        return ""
    text = str(title)
    if "<" in text:
        text = fold(_MARKUP.sub("", text))
    return unescape(text) if "&" in text else text


# A tag or a comment, as a browser reads one: `a < b` is text.
_MARKUP = re.compile(r"<!--.*?-->|</?[A-Za-z][^>]*>", re.DOTALL)


def section_titles(
    page: Page, wanted: set[str], ids: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Heading id to heading text, for the ids in `wanted`, each entry of the table of
    contents read under `ids.get(id, id)`. MkDocs' toc titles are HTML text, unescaped here
    so the sections (which escape what they show) print 'Q&A', not 'Q&amp;A'."""
    titles: dict[str, str] = {}
    renamed = ids or {}

    def walk(items: list[AnchorLink]) -> None:
        for item in items:
            anchor_id = renamed.get(item.id, item.id) if renamed else item.id
            if anchor_id in wanted and anchor_id not in titles:
                titles[anchor_id] = unescape(item.title)
            walk(item.children)

    walk(list(page.toc))
    return titles
