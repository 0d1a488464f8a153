"""The least any backlinks plugin must do, as MkDocs hooks: a floor to measure ours against.

`bench_build.py --floor` builds the same site with this file as a `hooks:` module, at two
levels chosen by the `BACKLINKS_FLOOR` environment variable:

* `keep`: a tree processor finds every `<a href>` of every page (the same place and priority
  as our collector) and keeps, for each, the citing page, the href and the anchor text: the
  least a plugin that shows backlinks must hold until every page is converted. Held naively,
  one tuple and two strings per link, as a first version of any plugin would.
* `show`: `keep`, then a bare backlinks list on each page: the citing pages of its
  relative `.md` links, escaped, with no sentence, section, title, credits or export.

It resolves no other link form, keeps no sentence, writes nothing outside the site, and is
not a usable plugin: it answers "how much of the plugin's cost is the job itself, and how
much is what the plugin does beyond it", and shows the memory that merely keeping every
link's href and text takes.
"""

from __future__ import annotations

import html
import os
import posixpath
import xml.etree.ElementTree as etree
from typing import Any

from markdown import Markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

LEVEL = os.environ.get("BACKLINKS_FLOOR", "keep")

_page: list[str] = [""]
_links: dict[str, list[tuple[str, str, str]]] = {}
_incoming: dict[str, list[str]] = {}


class _Keep(Treeprocessor):
    def run(self, root: etree.Element) -> None:
        src = _page[0]
        found = _links.setdefault(src, [])
        for anchor in root.iter("a"):
            href = anchor.get("href")
            if href and not href.startswith("#"):
                found.append((src, href, "".join(anchor.itertext())))


class _Floor(Extension):
    def extendMarkdown(self, md: Markdown) -> None:
        md.treeprocessors.register(_Keep(md), "backlinks_floor", 3)


def on_config(config: Any) -> Any:
    _links.clear()
    _incoming.clear()
    config.markdown_extensions.append(_Floor())
    return config


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    _page[0] = page.file.src_uri
    return markdown


def on_env(env: Any, config: Any, files: Any) -> Any:
    if LEVEL == "show":
        for src, links in _links.items():
            folder = posixpath.dirname(src)
            for _, href, _text in links:
                path = href.partition("#")[0]
                if path.endswith(".md"):
                    target = posixpath.normpath(posixpath.join(folder, path))
                    _incoming.setdefault(target, []).append(src)
    return env


def on_page_context(context: Any, page: Any, config: Any, nav: Any) -> Any:
    sources = _incoming.get(page.file.src_uri)
    if sources:
        items = "".join(f"<li>{html.escape(src)}</li>" for src in sources)
        page.content += f'<section class="backlinks"><h2>Backlinks</h2><ul>{items}</ul></section>'
    return context
