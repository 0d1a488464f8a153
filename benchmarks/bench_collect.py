#!/usr/bin/env python3
"""Where link collection's CPU goes: the walk, resolution and sentence cutting, timed apart.

`bench_hooks.py` says that collection is the plugin's largest cost; this says which part of
it. Markdown converts every page of a generated site once (untimed, with the benchmark's
extensions), and a tree processor at the collector's priority keeps a copy of each tree. The
collector then reads the kept trees again, whole and in parts, several times; the least
process time of each is printed, which is what another job on the machine disturbs least:

- walk: finding each block with links and its plain text (`_TreeReader.read`);
- resolve: deciding what each href points at (`SiteMap.resolver`, one per page);
- sentences: cutting the sentence around every link (the `snippets` module);
- collect, all: the whole collector as a build runs it, rows made, for `--mode internal`
  (outside links get no sentence: no export, no ledger) or `--mode every`.

    python benchmarks/bench_collect.py --pages 3000 --rounds 9
"""

from __future__ import annotations

import argparse
import copy
import tempfile
import time
import xml.etree.ElementTree as etree
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import markdown
from bench_build import generate_site
from markdown.treeprocessors import Treeprocessor

from mkdocs_backlinks.links.collect import TREEPROCESSOR_PRIORITY, LinkCollector, Rules, _TreeReader
from mkdocs_backlinks.links.rawhtml import LINK_FIELDS, Block
from mkdocs_backlinks.links.snippets import Sentences, sentence_around
from mkdocs_backlinks.links.urls import SiteMap

Kept = tuple[str, etree.Element, list[Any]]
"""A page's source path, its tree as the collector sees it, and Markdown's stash."""


class _Keep(Treeprocessor):
    def __init__(self, md: markdown.Markdown, kept: list[Kept], src: str) -> None:
        super().__init__(md)
        self.kept, self.src = kept, src

    def run(self, root: etree.Element) -> None:
        self.kept.append((self.src, copy.deepcopy(root), list(self.md.htmlStash.rawHtmlBlocks)))


def convert_site(docs: Path) -> tuple[list[tuple[str, str]], list[Kept]]:
    """Every page's `(src_uri, url)` (directory URLs) and its kept tree."""
    pages: list[tuple[str, str]] = []
    kept: list[Kept] = []
    for path in sorted(docs.rglob("*.md")):
        src = path.relative_to(docs).as_posix()
        folder, _, name = src.rpartition("/")
        stem = name.removesuffix(".md")
        url = f"{folder}/" if stem == "index" else f"{folder}/{stem}/"
        pages.append((src, url.lstrip("/")))
        md = markdown.Markdown(
            extensions=["toc", "attr_list", "admonition", "tables"],
            extension_configs={"toc": {"permalink": True}},
        )
        md.treeprocessors.register(_Keep(md, kept, src), "keep", TREEPROCESSOR_PRIORITY)
        md.convert(path.read_text(encoding="utf-8"))
    return pages, kept


def _stash(raw: list[Any]) -> Any:
    """What the collector reads of a Markdown instance."""
    return SimpleNamespace(
        htmlStash=SimpleNamespace(rawHtmlBlocks=raw), inlinePatterns={}, treeprocessors={}
    )


def _text_and_links(block: Block) -> tuple[str, list[tuple[str, int, int]]]:
    """A block's text and its links' href, start and end."""
    at_links = range(1, len(block), LINK_FIELDS)
    return block[0], [(block[at], block[at + 3], block[at + 4]) for at in at_links]


def parts(site: SiteMap, kept: list[Kept], outside_snippets: bool) -> dict[str, float]:
    """Process time of each part over every page, once."""
    times: dict[str, float] = {}
    started = time.process_time()
    for _src, root, raw in kept:
        _TreeReader(raw).read(root)
    times["walk"] = time.process_time() - started
    # Untimed: each block's text and its links' (href, start, end), from the flat tuples the
    # reader makes (`rawhtml.make_block`), so the parts below time only their own work.
    blocks = [
        (src, [_text_and_links(block) for block in _TreeReader(raw).read(root)])
        for src, root, raw in kept
    ]
    started = time.process_time()
    for src, page_blocks in blocks:
        resolve = site.resolver(src)
        for _text, links in page_blocks:
            for href, _start, _end in links:
                resolve(href.strip())
    times["resolve"] = time.process_time() - started
    started = time.process_time()
    for _src, page_blocks in blocks:
        for text, links in page_blocks:
            if len(links) > 1:
                sentences = Sentences(text)
                spans = [(start, end) for _href, start, end in links]
                for _href, start, end in links:
                    sentences.around(start, end, 240, spans)
            else:
                for _href, start, end in links:
                    sentence_around(text, start, end, 240)
    times["sentences"] = time.process_time() - started
    collector = LinkCollector(site, Rules(outside_snippets=outside_snippets))
    started = time.process_time()
    for src, root, raw in kept:
        collector.start_page(src)
        collector.collect(root, _stash(raw))
        read = collector.finish_page()
        if read is not None:
            collector.resolve(read)
    times["collect, all"] = time.process_time() - started
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=3000, help="content pages (default 3000)")
    parser.add_argument("--rounds", type=int, default=9, help="times each part runs (default 9)")
    parser.add_argument("--mode", choices=("internal", "every"), default="internal")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        docs = Path(folder)
        stats, _indexes = generate_site(docs, args.pages, args.seed)
        pages, kept = convert_site(docs)
    site = SiteMap(pages, "https://docs.example.com/")
    best: dict[str, float] = {}
    for _ in range(args.rounds):
        for key, value in parts(site, kept, args.mode == "every").items():
            best[key] = min(best.get(key, value), value)
    links = stats.internal_links + stats.external_links
    print(f"{stats.total_pages} pages, {links} links, mode {args.mode}; least of {args.rounds}:")
    for key, value in best.items():
        print(f"{key:14s} {value * 1000:7.0f} ms")


if __name__ == "__main__":
    main()
