"""Plain-Python renderings of the shipped section templates, byte for byte the same HTML.

Why this exists: every page of a build renders two sections, so rendering them through Jinja
(a context per render, an attribute lookup and an `escape` call per value, and the
`BacklinkEntry`/`CreditEntry` objects built to feed it) was a large share of the plugin's
cost in `on_page_context`. Building the same strings here from the graph's links costs about
half of that (the performance section of the README has the figures).

The templates in `templates/backlinks/` stay the source of truth: this module is used only
when the theme's loader resolves a template to the file we ship (a `custom_dir` or theme file
of the same name is rendered by Jinja as before), and only for what it covers: a backlinks
section that also shows other sites' mentions is rendered by the template. Tests render many
generated and hostile inputs both ways and require identical output, so a change to a shipped
template that is not made here too fails them.

Escaping is markupsafe's, as in the autoescaping environment: a plain `str` without any of
`&<>'"` is its own escape, which spares the call for most values; anything else goes through
`markupsafe.escape`, so `Markup` values and objects with `__html__` behave as in Jinja.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from markupsafe import escape

from mkdocs_backlinks.graph.linkgraph import CitedSite, LinkGraph
from mkdocs_backlinks.links.urls import relative_urls_from
from mkdocs_backlinks.works.model import DEAD, WorkMeta

__all__ = ["FastBacklinks", "FastCredits", "esc"]


def esc(value: Any) -> str:
    """What `{{ value }}` prints in an autoescaping template."""
    if type(value) is str and not (
        "&" in value or "<" in value or ">" in value or "'" in value or '"' in value
    ):
        return value
    return escape(value)


class _More:
    """The end of a list with its folded rest: the template's `<details>` block."""

    def __init__(self, strings: Mapping[str, Any], list_class: str) -> None:
        self._label: str = strings["more_entries"]
        self._list = f'</summary>\n<ul class="{list_class}">\n'

    def close(self, folded: list[str], count: int) -> str:
        """Close the open list and the section, with `folded` (`count` entries) in between."""
        # `more_entries | replace("{count}", count | string)`, then escaped.
        label = esc(self._label.replace("{count}", str(count)))
        return (
            f'</ul>\n<details class="backlinks-more"><summary>{label}{self._list}'
            + "".join(folded)
            + "</ul>\n</details>\n</section>"
        )


class FastCredits:
    """`backlinks/credits.html` (trim_blocks, lstrip_blocks) for one build's strings."""

    def __init__(self, strings: Mapping[str, Any], max_entries: int = 20) -> None:
        self._max = max_entries
        self._more = _More(strings, "backlinks-credits__sites")
        self._head = (
            '<section class="backlinks backlinks-credits" '
            'aria-labelledby="backlinks-credits-title">\n'
            f'<h2 id="backlinks-credits-title">{esc(strings["credits_title"])}</h2>\n'
            '<ul class="backlinks-credits__sites">\n'
        )
        self._by = f' <span class="backlinks-credits__author">{esc(strings["by_author"])} '
        self._gone = (
            f' <small class="backlinks-credits__status">{esc(strings["gone_label"])}</small>'
        )
        self._broken = (
            f' <small class="backlinks-credits__status">{esc(strings["broken_label"])}</small>'
        )
        self._cited_times: str = strings["cited_times"]
        self._counts: dict[int, str] = {}

    def _count(self, count: int) -> str:
        html = self._counts.get(count)
        if html is None:
            # `cited_times | replace("{count}", count | string)`, then escaped.
            label = esc(self._cited_times.replace("{count}", str(count)))
            html = self._counts[count] = f' <small class="backlinks-count">({label})</small>'
        return html

    def render(self, sites: list[CitedSite], metadata: Mapping[str, WorkMeta] | None) -> str:
        """The section for `LinkGraph.cited_works`; '' when the page cites nothing."""
        if not sites:
            return ""
        known = metadata or {}
        parts = [self._head]
        folded: list[str] = []
        append = parts.append
        left = self._max or -1  # works still shown open; negative: no limit, or folding
        for site, works in sites:
            site_head = (
                '<li class="backlinks-credits__site"><span class="backlinks-credits__site-name">'
                f"{esc(site)}</span>\n<ul>\n"
            )
            if not left:  # the limit was reached with the last site: this one is folded
                append = folded.append
            append(site_head)
            for url, first, count in works:
                if not left and not folded:
                    # The limit falls inside this site: the rest of its works, and every
                    # later site's, go under the fold, this site named again there.
                    append("</ul>\n</li>\n")
                    append = folded.append
                    append(site_head)
                left -= 1
                # The fields of `graph.credit_entry`, without building it.
                text = first.text or url
                meta = known.get(url)
                if meta:
                    label = meta.title or text
                    author = meta.author
                    status = meta.status
                    dead = status in DEAD
                    if dead:
                        append(
                            '<li class="backlinks-credits__work backlinks-credits__work--'
                            f'{esc(status)}"><a href="{esc(first.href)}">{esc(label)}</a>'
                        )
                    else:
                        append(f'<li><a href="{esc(first.href)}">{esc(label)}</a>')
                    if author:
                        if meta.author_url:
                            append(
                                f'{self._by}<a href="{esc(meta.author_url)}" '
                                f'rel="author noopener">{esc(author)}</a></span>'
                            )
                        else:
                            append(f"{self._by}{esc(author)}</span>")
                    if dead:
                        append(self._gone if status == "gone" else self._broken)
                else:
                    append(f'<li><a href="{esc(first.href)}">{esc(text)}</a>')
                append(self._count(count) + "</li>\n" if count > 1 else "</li>\n")
            append("</ul>\n</li>\n")
        if folded:
            parts.append(self._more.close(folded, -left))
        else:
            parts.append("</ul>\n</section>")
        return "".join(parts)


class FastBacklinks:
    """`backlinks/backlinks.html` without mentions (trim_blocks, lstrip_blocks).

    Nothing is kept from one page to the next: a cache of labels or URLs across pages saved
    little CPU and grew with the site, at the end of the build, when memory peaks.
    """

    def __init__(self, strings: Mapping[str, Any], max_entries: int = 20) -> None:
        self._max = max_entries
        self._more = _More(strings, "backlinks-incoming__list")
        self._head = (
            '<section class="backlinks backlinks-incoming" '
            'aria-labelledby="backlinks-incoming-title">\n'
            f'<h2 id="backlinks-incoming-title">{esc(strings["backlinks_title"])}</h2>\n'
            '<ul class="backlinks-incoming__list">\n'
        )
        self._separator = esc(strings["section_separator"])

    def render(self, graph: LinkGraph, src_uri: str, page_url: str) -> str:
        """The section of page `src_uri` served at `page_url`; '' when nothing links to it.

        The entries are those of `LinkGraph.backlink_entries`, made here without the objects.
        """
        links = graph.links_to(src_uri)
        if not links:
            return ""
        pages = graph.pages
        separator = self._separator
        # `relative_urls_from(page_url)` in short for the common case: a citing page that
        # shares no folder with this one is `../` per folder of this page, then its own URL.
        folders = page_url.split("/")[:-1]
        if folders == ["."]:
            folders = []
        climb = "../" * len(folders)
        first_folder = folders[0] + "/" if folders else None
        relative = None
        parts = [self._head]
        folded: list[str] = []
        append = parts.append
        left = self._max or -1  # entries still shown open; negative: no limit, or folding
        seen: set[tuple[str, str, str]] = set()
        for link in links:
            # One entry per citing section and sentence, as `LinkGraph.shown_backlinks`.
            key = (link.source, link.section, link.context)
            if key in seen:
                continue
            seen.add(key)
            if not left:
                append = folded.append
            left -= 1
            page = pages[link.source]
            url = page.url
            if (first_folder is None or not url.startswith(first_folder)) and not (
                "#" in url or url == "./"
            ):
                href = climb + url or "./"
            else:
                relative = relative or relative_urls_from(page_url)
                href = relative(url)
            label = esc(page.title)
            section = link.section
            if section:
                href = esc(href + "#" + section)
                section_title = page.sections.get(section, "")
                if section_title and section_title != page.title:
                    label += separator + esc(section_title)
            else:
                href = esc(href)
            context = link.context
            if context:
                append(
                    f'<li class="backlinks-incoming__item"><a href="{href}">{label}</a>\n'
                    f'<p class="backlinks-snippet">{esc(context)}</p></li>\n'
                )
            else:
                append(
                    f'<li class="backlinks-incoming__item"><a href="{href}">{label}</a>\n</li>\n'
                )
        if folded:
            parts.append(self._more.close(folded, -left))
        else:
            parts.append("</ul>\n</section>")
        return "".join(parts)
