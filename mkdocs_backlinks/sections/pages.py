"""The sections of every page across a build's hooks.

A page's front matter is read while it converts, its sections can only be rendered once every
page is converted (they need the whole graph), and the rendered HTML is pasted into the page's
final output after the theme's template ran. `Sections` carries each page from one of those
moments to the next, so the plugin's hooks only hand it what MkDocs gives them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from mkdocs.structure.toc import AnchorLink, TableOfContents

from mkdocs_backlinks.graph.linkgraph import LinkGraph
from mkdocs_backlinks.mentions.views import PageMentions
from mkdocs_backlinks.sections.headings import NO_PERMALINKS, TocSettings, section_ids
from mkdocs_backlinks.sections.render import (
    PageSections,
    SectionRenderer,
    fill,
    mark_end,
    placements,
)
from mkdocs_backlinks.sections.toc import add_headings, section_headings
from mkdocs_backlinks.works.model import WorkMeta

__all__ = ["SectionSettings", "Sections", "Shown"]


@dataclass(frozen=True)
class SectionSettings:
    """What the site's options say about the sections (`config.section_settings`)."""

    credits: bool = True
    """Render the "Works cited" section."""
    backlinks: bool = True
    """Render the "Pages that link here" section."""
    auto_append: bool = True
    """Put sections a template did not place at the end of the page's content."""
    max_entries: int = 20
    """Entries shown per list before the rest fold into a `<details>`; 0 for no fold."""
    strings: Mapping[str, Any] | None = None
    """Headings and labels; None keeps the renderer's defaults."""
    toc: bool = True
    """List the sections' headings in the page's table of contents."""
    headings: TocSettings = NO_PERMALINKS
    """How the site's `toc` extension links headings, so the sections' link the same way."""
    cache: Path | None = None
    """The plugin's cache folder, where the compiled templates are kept; None for none."""


@dataclass(frozen=True)
class Shown:
    """Which sections one page shows, from its front matter."""

    credits: bool = True
    backlinks: bool = True


_ALL = Shown()


class Sections:
    """Each page's switches, the renderer, and the rendered sections waiting for their page."""

    def __init__(self, settings: SectionSettings) -> None:
        self.settings = settings
        self._shown: dict[str, Shown] = {}
        self._pending: dict[str, PageSections] = {}
        self._renderer: SectionRenderer | None = None

    def remember(self, src_uri: str, *, credits: bool, backlinks: bool) -> None:
        """What the page's front matter asks for, kept until its template renders; only a
        page that turns a section off is kept, so the others cost a test."""
        if credits and backlinks:
            # A page converted twice in one build goes by its last reading.
            self._shown.pop(src_uri, None)
            return
        self._shown[src_uri] = Shown(credits, backlinks)

    def start(self, loader: jinja2.BaseLoader | None) -> None:
        """Every page is converted: the theme's loader is known, so templates can load (a
        `backlinks/*.html` of the user's wins over the shipped one)."""
        self._renderer = SectionRenderer(
            loader,
            dict(self.settings.strings or {}),
            self.settings.max_entries,
            self.settings.headings,
            self.settings.cache,
        )

    def render(
        self,
        graph: LinkGraph,
        src_uri: str,
        page_url: str,
        *,
        metadata: Mapping[str, WorkMeta],
        mentions: PageMentions | None,
        content: str = "",
    ) -> PageSections:
        """The page's sections, kept until `place` pastes them into its final HTML; their
        headings take ids no element of the page's `content` has."""
        assert self._renderer is not None, "start() runs before the first page renders"
        shown = self._shown.get(src_uri, _ALL)
        show_backlinks = self.settings.backlinks and shown.backlinks
        sections = self._renderer.render_page(
            graph,
            src_uri,
            page_url,
            credits=self.settings.credits and shown.credits,
            backlinks=show_backlinks,
            metadata=metadata,
            mentions=mentions if show_backlinks else None,
            ids=section_ids(content),
        )
        self._pending[src_uri] = sections
        return sections

    def wants_mentions(self, src_uri: str) -> bool:
        """Whether the page shows a backlinks section, where mentions go."""
        return self.settings.backlinks and self._shown.get(src_uri, _ALL).backlinks

    def mark(self, content: str, *, append: bool = True) -> str:
        """The page's content with the marker where unplaced sections go; `append` False
        keeps them out of a page whose template puts more after its content (the blog's
        index), where only the author's placeholders place them."""
        return mark_end(content, self.settings.auto_append and append)

    def list_headings(self, toc: TableOfContents, content: str, sections: PageSections) -> None:
        """Add the headings of the sections placed in `content` (marked by `mark`) to the
        page's table of contents, where each section goes; unless `toc` is off."""
        if not self.settings.toc:
            return
        where = placements(content)
        # Sections at one placeholder go in one go, credits first, as `fill` writes them.
        at: dict[int, list[AnchorLink]] = {}
        for name, html in (
            ("credits", sections.credits_html),
            ("backlinks", sections.backlinks_html),
        ):
            if html and name in where:
                at.setdefault(where[name], []).extend(
                    section_headings(html, self.settings.headings)
                )
        # Last first: each goes right after the heading before it, so a section placed
        # earlier under the same heading, inserted later, comes first.
        for position, headings in sorted(at.items(), reverse=True):
            add_headings(toc, content, position, headings)

    def place(self, src_uri: str, output: str) -> str:
        """The page's final HTML with its sections in place of the markers; the sections are
        let go, since MkDocs keeps no page's output either."""
        sections = self._pending.pop(src_uri, None)
        if sections is None:
            return output
        return fill(output, sections.credits_html, sections.backlinks_html)
