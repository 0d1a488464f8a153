"""Render the credits and backlinks sections and place them in a page's HTML.

Templates ship in `templates/backlinks/` and are looked up through the theme's loader, so a
file of the same name in the user's `custom_dir` wins. They are rendered by our own
environment with autoescaping on: MkDocs' theme environment does not escape, and every value
here (anchor text, snippets, later remote titles) is data, not markup. Where the loader finds
the shipped file itself, the plugin's pages are rendered by `sections.fast`, which gives the
same bytes for a fraction of the CPU; the templates remain the reference it is tested against.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from mkdocs_backlinks.graph.linkgraph import BacklinkEntry, CreditGroup, LinkGraph
from mkdocs_backlinks.links.urls import relative_url
from mkdocs_backlinks.mentions.views import PageMentions
from mkdocs_backlinks.sections.fast import FastBacklinks, FastCredits
from mkdocs_backlinks.works.model import WorkMeta

__all__ = [
    "END_MARKER",
    "STYLESHEET",
    "STYLESHEET_URI",
    "PageSections",
    "SectionRenderer",
    "fill",
    "mark_end",
    "place",
    "relative_url",
]

TEMPLATES_DIR = Path(__file__).parent / "templates"
STYLESHEET = Path(__file__).parent / "assets" / "backlinks.css"
STYLESHEET_URI = "assets/stylesheets/backlinks.css"
"""Where the stylesheet is served in the site, next to Material's own stylesheets."""
CREDITS_TEMPLATE = "backlinks/credits.html"
BACKLINKS_TEMPLATE = "backlinks/backlinks.html"

# `<!-- backlinks -->` places both sections; `<!-- backlinks:credits -->` or
# `<!-- backlinks:backlinks -->` places one. Markdown passes HTML comments through untouched,
# and inside code they arrive escaped, so an example in a code block is never replaced.
# `<!-- backlinks:end -->` is ours: it marks the end of the content, where sections that no
# placeholder claimed are appended.
_PLACEHOLDER = re.compile(r"<!--\s*backlinks(?::\s*(credits|backlinks|end))?\s*-->")
END_MARKER = "<!-- backlinks:end -->"


class PageSections:
    """What a page shows: the data (for themes that place it themselves) and the HTML.

    `credits` and `backlinks` may be given as functions that make them: the plugin renders
    the HTML without those objects and exposes them to themes (the `backlinks` template
    variable), which rarely read them, so they are made on first use only.
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


def _is_shipped(template: jinja2.Template, name: str) -> bool:
    """Whether the loader found our own file for `name`, not a theme's or custom_dir's."""
    if template.filename is None:
        return False
    try:
        return Path(template.filename).samefile(TEMPLATES_DIR / name)
    except OSError:
        return False


class SectionRenderer:
    """Renders the sections of one page at a time with the (possibly overridden) templates.

    One renderer serves one build. When a section's template is the shipped file, the plugin's
    pages are rendered by the equivalent code in `sections.fast` (see there for why).
    """

    def __init__(
        self, loader: jinja2.BaseLoader | None, strings: dict[str, Any], max_entries: int = 20
    ) -> None:
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
        self._max = max_entries
        self.fast_credits = (
            FastCredits(strings, max_entries)
            if _is_shipped(self._credits, CREDITS_TEMPLATE)
            else None
        )
        self.fast_backlinks = (
            FastBacklinks(strings, max_entries)
            if _is_shipped(self._backlinks, BACKLINKS_TEMPLATE)
            else None
        )

    def render(
        self,
        credits: list[CreditGroup],
        backlinks: list[BacklinkEntry],
        mentions: PageMentions | None = None,
    ) -> PageSections:
        """Render both sections of one page with the templates; an empty list renders nothing.

        Backlink URLs must already be relative to the page (`LinkGraph.backlink_entries`).
        `mentions` (other sites' replies, likes, ...) join the backlinks section, so the page
        has one "who links here" section whether the links come from inside or outside.
        """
        mentions = mentions or None
        return PageSections(
            credits,
            backlinks,
            self._render_credits(credits),
            self._render_backlinks(backlinks, mentions),
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
    ) -> PageSections:
        """Render the sections of page `src_uri` (served at `page_url`) from the graph.

        The same HTML as `render(graph.credit_groups(...), graph.backlink_entries(...))`, by
        the fast path where it applies; the data objects are made only if someone reads them.
        `credits`/`backlinks` False leave that section out.
        """
        mentions = mentions or None
        credit_data: Callable[[], list[CreditGroup]] | tuple[()] = ()
        if not credits:
            credits_html = Markup("")
        elif self.fast_credits is not None:
            # Safe: every value in it went through `sections.fast.esc`.
            credits_html = Markup(  # noqa: S704
                self.fast_credits.render(graph.cited_works(src_uri), metadata)
            )
            credit_data = partial(graph.credit_groups, src_uri, metadata)
        else:
            groups = graph.credit_groups(src_uri, metadata)
            credits_html = self._render_credits(groups)
            credit_data = lambda: groups  # noqa: E731
        backlink_data: Callable[[], list[BacklinkEntry]] | tuple[()] = ()
        if not backlinks:
            backlinks_html = Markup("")
            mentions = None
        elif self.fast_backlinks is not None and mentions is None:
            backlinks_html = Markup(  # noqa: S704
                self.fast_backlinks.render(graph, src_uri, page_url)
            )
            backlink_data = partial(graph.backlink_entries, src_uri, page_url)
        else:
            entries = graph.backlink_entries(src_uri, page_url)
            backlinks_html = self._render_backlinks(entries, mentions)
            backlink_data = lambda: entries  # noqa: E731
        return PageSections(credit_data, backlink_data, credits_html, backlinks_html, mentions)

    def _render_credits(self, credits: list[CreditGroup]) -> Markup:
        if not credits:
            return Markup("")
        shown, more, count = fold_credits(credits, self._max)
        # Safe: the output of an autoescaping template.
        return Markup(  # noqa: S704
            self._credits.render(
                credits=shown, more_credits=more, more_count=count, strings=self._strings
            )
        )

    def _render_backlinks(
        self, backlinks: list[BacklinkEntry], mentions: PageMentions | None
    ) -> Markup:
        if not (backlinks or mentions):
            return Markup("")
        shown, more = _fold(tuple(backlinks), self._max)
        items, more_items = _fold(mentions.items if mentions else (), self._max)
        return Markup(  # noqa: S704
            self._backlinks.render(
                backlinks=shown,
                more_backlinks=more,
                mentions=mentions,
                mention_items=items,
                more_mentions=more_items,
                strings=self._strings,
            )
        )


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


def place(content: str, credits_html: str, backlinks_html: str, auto_append: bool) -> str:
    """Put the sections where the author's placeholders are, else (optionally) at the end."""
    return fill(mark_end(content, auto_append), credits_html, backlinks_html)
