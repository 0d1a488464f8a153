"""Pieces of a page's text and links, and the reader of raw HTML fragments.

The collector reads Markdown's element tree; raw HTML the author wrote sits beside it in the
stash and is read here, with the standard library's parser, into the same blocks and links.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

# Elements that start a new context for the sentence around a link.
BLOCK_TAGS = frozenset(
    (
        "address", "article", "aside", "blockquote", "body", "caption", "dd", "details",
        "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form",
        "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p",
        "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
    )
)  # fmt: skip
HEADINGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))
# Links inside these are examples, not links (code) or not content at all.
SKIP_TAGS = frozenset(("code", "pre", "script", "style", "template", "textarea", "kbd", "samp"))
# Markdown's stash placeholder (`\x02wzxhzdk:N\x03`) and its escaped characters (`\x02NN\x03`).
# Other extensions' markers (footnotes' `\x02qq…zz\x03`) match the last branch and are dropped.
STASH_OR_ESCAPE = re.compile("\x02(?:wzxhzdk:(\\d+)|(\\d+)|[^\x02\x03]*)\x03")


@dataclass(slots=True)
class RawLink:
    """A link found in the page, before resolution: positions are offsets in `text`."""

    href: str
    classes: str
    rel: str
    start: int
    end: int
    section: str
    identifier: str | None = None  # set for an <autoref> element: resolved after conversion
    slug: str = ""
    optional: bool = False


Block = tuple[Any, ...]
"""A block of text with links, as the collector holds it until they are resolved: its text,
then the fields of each of its links (`RawLink`'s, in order, `LINK_FIELDS` a link), in one
flat tuple of strings and numbers (`make_block`)."""

LINK_FIELDS = 9


def make_block(text: str, links: list[RawLink]) -> Block:
    """The block of `text` and its `links` (in order), as one flat tuple.

    The plugin holds a batch of pages' blocks while the next pages convert, long enough for
    objects to outlive the garbage collector's young generations, and every object that does
    brings the next collection of the whole heap closer. The collector stops tracking a tuple
    of strings and numbers at the first collection that sees it; a tuple of tuples only once
    it has seen the inner ones untracked, which can take as many collections as the nesting is
    deep. So one flat tuple a block, which never gets that far.
    """
    fields: list[Any] = [text]
    for link in links:
        fields += (
            link.href, link.classes, link.rel, link.start, link.end, link.section,
            link.identifier, link.slug, link.optional,
        )  # fmt: skip
    return tuple(fields)


def finish_block(parts: list[str], links: list[RawLink], open_links: list[RawLink]) -> Block | None:
    """The block's text and links in order; None when it has no link.

    An <a> opened in raw HTML but never closed still counts, up to the block's end.
    """
    if open_links:
        size = sum(map(len, parts))
        for link in open_links:
            link.end = size
            links.append(link)
    if not links:
        return None
    links.sort(key=lambda link: link.start)
    return make_block("".join(parts), links)


class _AttributeReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.attrs: dict[str, str | None] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self.attrs:
            self.attrs = dict(attrs)


def tag_attributes(tag: str) -> dict[str, str | None]:
    reader = _AttributeReader()
    reader.feed(tag)
    reader.close()
    return reader.attrs


class FragmentParser(HTMLParser):
    """Links in a piece of raw HTML, each with the text of the block around it."""

    def __init__(self, section: str, stash: list[str | etree.Element]) -> None:
        super().__init__(convert_charrefs=True)
        self.section = section
        self.stash = stash
        self.done: list[Block] = []
        self._stack: list[tuple[list[str], list[RawLink], list[RawLink]]] = []
        self._skip = 0
        self._new_block()

    def _new_block(self) -> None:
        self._stack.append(([], [], []))

    def _close_block(self) -> None:
        finished = finish_block(*self._stack.pop())
        if finished:
            self.done.append(finished)
        if not self._stack:
            self._new_block()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIP_TAGS:
            self._skip += 1
            return
        if self._skip:
            return
        values = dict(attrs)
        if tag in BLOCK_TAGS:
            if tag in HEADINGS and values.get("id"):
                self.section = values["id"] or self.section
            self._new_block()
        elif tag == "a" and values.get("href") is not None:
            parts, _links, open_links = self._stack[-1]
            open_links.append(
                RawLink(
                    values["href"] or "",
                    values.get("class") or "",
                    values.get("rel") or "",
                    sum(map(len, parts)),
                    0,
                    self.section,
                )
            )

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIP_TAGS:
            self._skip = max(self._skip - 1, 0)
            return
        if self._skip:
            return
        if tag in BLOCK_TAGS and len(self._stack) > 1:
            self._close_block()
        elif tag == "a":
            parts, links, open_links = self._stack[-1]
            if open_links:
                link = open_links.pop()
                link.end = sum(map(len, parts))
                links.append(link)

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        # Nested placeholders (Markdown inside raw HTML) are text here, not markup.
        self._stack[-1][0].append(STASH_OR_ESCAPE.sub(" ", data) if "\x02" in data else data)

    def finish(self) -> list[Block]:
        while len(self._stack) > 1:
            self._close_block()
        self._close_block()
        return self.done
