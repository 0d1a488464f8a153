"""Render the credits and backlinks sections and place them in a page's HTML.

Templates ship in `templates/backlinks/` and are looked up through the theme's loader, so a
file of the same name in the user's `custom_dir` wins. Whichever file is found is the one
source of the section's HTML: it is loaded once per build (compiled, or from the cache folder
when its source is unchanged: `template_cache`) and rendered for every page from
a context prepared once (`sections.engine` says how that is kept cheap), in an environment
with autoescaping on: MkDocs' theme environment does not escape, and every value here
(anchor text, snippets, other sites' names) is data, not markup.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from mkdocs_backlinks.graph.linkgraph import BacklinkEntry, CreditGroup, LinkGraph
from mkdocs_backlinks.links.urls import relative_url
from mkdocs_backlinks.mentions.views import PageMentions
from mkdocs_backlinks.sections.engine import TEMPLATES_DIR, Prepared, Strings, environment
from mkdocs_backlinks.sections.headings import DEFAULT_IDS, NO_PERMALINKS, SectionIds, TocSettings
from mkdocs_backlinks.template_cache import template_cache
from mkdocs_backlinks.works.model import WorkMeta

__all__ = [
    "END_MARKER",
    "STYLESHEET",
    "STYLESHEET_URI",
    "TEMPLATES_DIR",
    "PageSections",
    "SectionRenderer",
    "fill",
    "mark_end",
    "place",
    "placements",
    "relative_url",
]

STYLESHEET = Path(__file__).parent / "assets" / "backlinks.css"
STYLESHEET_URI = "assets/stylesheets/backlinks.css"
"""Where the stylesheet is served in the site, next to Material's own stylesheets."""
CREDITS_TEMPLATE = "backlinks/credits.html"
BACKLINKS_TEMPLATE = "backlinks/backlinks.html"
HEADING_TEMPLATE = "backlinks/heading.html"

# `<!-- backlinks -->` places both sections; `<!-- backlinks:credits -->` or
# `<!-- backlinks:backlinks -->` places one. Markdown passes HTML comments through untouched,
# and inside code they arrive escaped, so an example in a code block is never replaced.
# `<!-- backlinks:end -->` is ours: it marks the end of the content, where sections that no
# placeholder claimed are appended.
_PLACEHOLDER = re.compile(r"<!--\s*backlinks(?::\s*(credits|backlinks|end))?\s*-->")
END_MARKER = "<!-- backlinks:end -->"


class PageSections:
    """What a page shows: the data (for themes that place it themselves) and the HTML.

    `credits` and `backlinks` may be given as functions that make them, called on first use.
    """

    __slots__ = ("_backlinks", "_credits", "backlinks_html", "credits_html", "mentions")

    def __init__(
        self,
        credits: Iterable[CreditGroup] | Callable[[], Iterable[CreditGroup]],
        backlinks: Iterable[BacklinkEntry] | Callable[[], Iterable[BacklinkEntry]],
        credits_html: Markup,
        backlinks_html: Markup,
        mentions: PageMentions | None = None,
    ) -> None:
        self._credits = credits if callable(credits) else tuple(credits)
        self._backlinks = backlinks if callable(backlinks) else tuple(backlinks)
        self.credits_html = credits_html
        self.backlinks_html = backlinks_html
        self.mentions = mentions

    @property
    def credits(self) -> tuple[CreditGroup, ...]:
        """The works the page cites, grouped by site."""
        if callable(self._credits):
            self._credits = tuple(self._credits())
        return self._credits

    @property
    def backlinks(self) -> tuple[BacklinkEntry, ...]:
        """The places on other pages that link here, URLs relative to the page."""
        if callable(self._backlinks):
            self._backlinks = tuple(self._backlinks())
        return self._backlinks

    @property
    def html(self) -> Markup:
        """Both sections, credits first."""
        return self.credits_html + self.backlinks_html

    def _fields(self) -> tuple[Any, ...]:
        return (self.credits, self.backlinks, self.credits_html, self.backlinks_html, self.mentions)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PageSections):
            return NotImplemented
        return self._fields() == other._fields()

    __hash__ = None  # type: ignore[assignment]  # equal by value, and the data may be lists

    def __repr__(self) -> str:
        return "PageSections({!r}, {!r}, {!r}, {!r}, {!r})".format(*self._fields())


class SectionRenderer:
    """Renders the sections of one page at a time with the (possibly overridden) templates.

    One renderer serves one build: the templates are compiled when it is made, and what
    every page shares (the words, how headings are linked, the fold) is put in their context
    once.
    """

    def __init__(
        self,
        loader: jinja2.BaseLoader | None,
        strings: Mapping[str, Any],
        max_entries: int = 20,
        toc: TocSettings | None = None,
        cache: Path | None = None,
    ) -> None:
        env = environment(loader, template_cache(cache, "sections"))
        # A heading depends only on its arguments, and nearly every page passes the same: its
        # macro's output is kept for the build instead of being rendered twice per page.
        macro = getattr(env.get_template(HEADING_TEMPLATE).module, "heading", None)
        if not callable(macro):
            raise jinja2.TemplateRuntimeError(f"{HEADING_TEMPLATE} has no macro 'heading'")
        heading = functools.lru_cache(maxsize=64)(macro)
        shared = {
            "strings": Strings(strings),
            "toc": toc or NO_PERMALINKS,
            "ids": DEFAULT_IDS,
            "heading": heading,
        }
        self._credits = Prepared(env.get_template(CREDITS_TEMPLATE), shared)
        self._backlinks = Prepared(env.get_template(BACKLINKS_TEMPLATE), shared)
        self._max = max_entries

    def render(
        self,
        credits: list[CreditGroup],
        backlinks: list[BacklinkEntry],
        mentions: PageMentions | None = None,
        ids: SectionIds = DEFAULT_IDS,
    ) -> PageSections:
        """Render both sections of one page with the templates; an empty list renders nothing.

        Backlink URLs must already be relative to the page (`LinkGraph.backlink_entries`).
        `mentions` (other sites' replies, likes, ...) join the backlinks section, so the page
        has one "who links here" section whether the links come from inside or outside.
        `ids` are the ids the headings take (`headings.section_ids`).
        """
        mentions = mentions or None
        return PageSections(
            credits,
            backlinks,
            self._render_credits(credits, ids),
            self._render_backlinks(backlinks, mentions, ids),
            mentions,
        )

    def render_page(
        self,
        graph: LinkGraph,
        src_uri: str,
        page_url: str,
        *,
        credits: bool = True,
        backlinks: bool = True,
        metadata: Mapping[str, WorkMeta] | None = None,
        mentions: PageMentions | None = None,
        ids: SectionIds = DEFAULT_IDS,
    ) -> PageSections:
        """Render the sections of page `src_uri` (served at `page_url`) from the graph:
        `render(graph.credit_groups(...), graph.backlink_entries(...))`, where
        `credits`/`backlinks` False leave that section out."""
        groups = graph.credit_groups(src_uri, metadata) if credits else []
        entries = graph.backlink_entries(src_uri, page_url) if backlinks else []
        return self.render(groups, entries, mentions if backlinks else None, ids)

    def _render_credits(self, credits: list[CreditGroup], ids: SectionIds) -> Markup:
        if not credits:
            return Markup("")
        shown, more, count = fold_credits(credits, self._max)
        values: dict[str, Any] = {"credits": shown, "more_credits": more, "more_count": count}
        if ids is not DEFAULT_IDS:
            values["ids"] = ids
        return self._credits.render(**values)

    def _render_backlinks(
        self, backlinks: list[BacklinkEntry], mentions: PageMentions | None, ids: SectionIds
    ) -> Markup:
        if not (backlinks or mentions):
            return Markup("")
        shown, more = _fold(tuple(backlinks), self._max)
        items, more_items = _fold(mentions.items if mentions else (), self._max)
        values: dict[str, Any] = {
            "backlinks": shown,
            "more_backlinks": more,
            "mentions": mentions,
            "mention_items": items,
            "more_mentions": more_items,
        }
        if ids is not DEFAULT_IDS:
            values["ids"] = ids
        return self._backlinks.render(**values)


def _fold(entries: tuple[Any, ...], limit: int) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """The entries shown open and those folded under them; `limit` 0 folds none."""
    if not limit:
        return entries, ()
    return entries[:limit], entries[limit:]


def fold_credits(
    groups: Iterable[CreditGroup], limit: int
) -> tuple[list[CreditGroup], list[CreditGroup], int]:
    """The groups shown open, the groups folded under them, and how many works are folded.

    The first `limit` works stay open whatever group they are in, so a page citing thousands
    of works of one site still shows a short list; a group cut by the limit is split in two,
    one open and one folded, under the same site name. `limit` 0 folds nothing.
    """
    shown: list[CreditGroup] = []
    more: list[CreditGroup] = []
    left = limit or -1
    for group in groups:
        if left < 0 or left >= len(group.entries):
            shown.append(group)
            left -= len(group.entries) if left > 0 else 0
        elif left == 0:
            more.append(group)
        else:
            shown.append(CreditGroup(group.site, group.entries[:left]))
            more.append(CreditGroup(group.site, group.entries[left:]))
            left = 0
    return shown, more, sum(len(group.entries) for group in more)


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


def placements(content: str) -> dict[str, int]:
    """Where `fill` will put each section in `content`: the offset of the placeholder that
    gets it, by the same rule (a section no placeholder gets is left out)."""
    end = len(content) - len(END_MARKER)
    if content.endswith(END_MARKER) and content.rfind("<!--", 0, end) == -1:
        return {"credits": end, "backlinks": end}  # most pages: no comment but our marker
    found: dict[str, int] = {}
    for match in _PLACEHOLDER.finditer(content):
        name = match.group(1)
        names = ["credits", "backlinks"] if name in (None, "end") else [name]
        for key in names:
            found.setdefault(key, match.start())
    return found


def place(content: str, credits_html: str, backlinks_html: str, auto_append: bool) -> str:
    """Put the sections where the author's placeholders are, else (optionally) at the end."""
    return fill(mark_end(content, auto_append), credits_html, backlinks_html)
