"""Render the credits and backlinks sections and place them in a page's HTML.

Templates ship in `templates/backlinks/` and are looked up through the theme's loader, so a
file of the same name in the user's `custom_dir` wins. They are rendered by our own
environment with autoescaping on: MkDocs' theme environment does not escape, and every value
here (anchor text, snippets, later remote titles) is data, not markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from mkdocs_backlinks.graph import BacklinkEntry, CreditGroup
from mkdocs_backlinks.incoming import PageMentions
from mkdocs_backlinks.urls import relative_url

__all__ = [
    "END_MARKER",
    "PageSections",
    "SectionRenderer",
    "fill",
    "mark_end",
    "place",
    "relative_url",
]

TEMPLATES_DIR = Path(__file__).parent / "templates"
CREDITS_TEMPLATE = "backlinks/credits.html"
BACKLINKS_TEMPLATE = "backlinks/backlinks.html"

# `<!-- backlinks -->` places both sections; `<!-- backlinks:credits -->` or
# `<!-- backlinks:backlinks -->` places one. Markdown passes HTML comments through untouched,
# and inside code they arrive escaped, so an example in a code block is never replaced.
# `<!-- backlinks:end -->` is ours: it marks the end of the content, where sections that no
# placeholder claimed are appended.
_PLACEHOLDER = re.compile(r"<!--\s*backlinks(?::\s*(credits|backlinks|end))?\s*-->")
END_MARKER = "<!-- backlinks:end -->"


@dataclass(frozen=True, slots=True)
class PageSections:
    """What a page shows: the data (for themes that place it themselves) and the HTML."""

    credits: tuple[CreditGroup, ...]
    backlinks: tuple[BacklinkEntry, ...]
    credits_html: Markup
    backlinks_html: Markup
    mentions: PageMentions | None = None

    @property
    def html(self) -> Markup:
        """Both sections, credits first."""
        return self.credits_html + self.backlinks_html


class SectionRenderer:
    """Renders the sections of one page at a time with the (possibly overridden) templates."""

    def __init__(self, loader: jinja2.BaseLoader | None, strings: dict[str, Any]) -> None:
        own = jinja2.FileSystemLoader(str(TEMPLATES_DIR))
        env = jinja2.Environment(
            loader=jinja2.ChoiceLoader([loader, own]) if loader else own,
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=jinja2.StrictUndefined,
        )
        self._credits = env.get_template(CREDITS_TEMPLATE)
        self._backlinks = env.get_template(BACKLINKS_TEMPLATE)
        self._strings = strings

    def render(
        self,
        credits: list[CreditGroup],
        backlinks: list[BacklinkEntry],
        mentions: PageMentions | None = None,
    ) -> PageSections:
        """Render both sections of one page; an empty list renders nothing.

        Backlink URLs must already be relative to the page (`LinkGraph.backlink_entries`).
        `mentions` (other sites' replies, likes, ...) join the backlinks section, so the page
        has one "who links here" section whether the links come from inside or outside.
        """
        mentions = mentions or None
        relative = tuple(backlinks)
        credits_html = (
            # Safe: the output of an autoescaping template.
            Markup(self._credits.render(credits=credits, strings=self._strings))  # noqa: S704
            if credits
            else Markup("")
        )
        backlinks_html = (
            Markup(  # noqa: S704
                self._backlinks.render(backlinks=relative, mentions=mentions, strings=self._strings)
            )
            if relative or mentions
            else Markup("")
        )
        return PageSections(tuple(credits), relative, credits_html, backlinks_html, mentions)


def mark_end(content: str, auto_append: bool) -> str:
    """Mark the end of a page's content, where unplaced sections go when `auto_append` is on."""
    return content + END_MARKER if auto_append else content


def fill(html: str, credits_html: str, backlinks_html: str) -> str:
    """Replace the placeholders in `html` with the sections.

    The first placeholder naming a section gets it; the end marker gets what no placeholder
    claimed; further placeholders are removed.
    """
    pending = {"credits": credits_html, "backlinks": backlinks_html}

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "end":
            return "".join(pending.pop(key) for key in list(pending))
        names = [name] if name else ["credits", "backlinks"]
        return "".join(pending.pop(key, "") for key in names)

    return _PLACEHOLDER.sub(replace, html)


def place(content: str, credits_html: str, backlinks_html: str, auto_append: bool) -> str:
    """Put the sections where the author's placeholders are, else (optionally) at the end."""
    return fill(mark_end(content, auto_append), credits_html, backlinks_html)
