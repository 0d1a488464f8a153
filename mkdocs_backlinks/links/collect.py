"""Collect the links of each page while Markdown builds its element tree.

Markdown conversion is most of a build, so the collector rides on it: a tree processor looks at
the tree Markdown has already built instead of parsing the finished HTML again. Raw HTML the
author wrote is not in that tree (Markdown keeps it aside in its "stash" and pastes it back at
the end), so stashed pieces that contain `<a` are read with the standard library's HTML parser;
they are rare and small.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as etree
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

from markdown import Markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor
from markdown.util import AMP_SUBSTITUTE

from mkdocs_backlinks.graph.linkgraph import LinkRow
from mkdocs_backlinks.links.snippets import Sentences, collapse, sentence_around
from mkdocs_backlinks.links.urls import SiteMap, domain_matches, host_of

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
# Blocks that can hold headings (md_in_html, raw HTML sections); paragraphs and lists cannot.
_CONTAINERS = frozenset(
    (
        "div",
        "section",
        "article",
        "details",
        "aside",
        "main",
        "header",
        "footer",
        "blockquote",
        "body",
        "nav",
    )
)
# Links inside these are examples, not links (code) or not content at all.
SKIP_TAGS = frozenset(("code", "pre", "script", "style", "template", "textarea", "kbd", "samp"))

# Markdown's stash placeholder (`\x02wzxhzdk:N\x03`) and its escaped characters (`\x02NN\x03`).
# Other extensions' markers (footnotes' `\x02qq…zz\x03`) match the last branch and are dropped.
_STASH_OR_ESCAPE = re.compile("\x02(?:wzxhzdk:(\\d+)|(\\d+)|[^\x02\x03]*)\x03")
_ENTITY = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
_SKIP_OPEN = re.compile(r"<(code|pre|script|style|template|textarea|kbd|samp)\b[^>]*>\Z", re.I)
_SKIP_CLOSE = re.compile(r"</(code|pre|script|style|template|textarea|kbd|samp)\s*>\Z", re.I)
_OPEN_A = re.compile(r"<a(?:\s[^>]*)?>\Z", re.IGNORECASE | re.DOTALL)
_CLOSE_A = re.compile(r"</a\s*>\Z", re.IGNORECASE)

# Marks link boundaries during the fast flattening; Markdown never leaves it in text.
_MARK = "\x01"

# Priority of our tree processor: after `attr_list` (8) and `toc` (5), so classes and heading
# ids are set; before MkDocs' `relpath` (0), which rewrites `x.md` hrefs into URLs, and before
# `unescape` (0), which we do ourselves on what we read.
TREEPROCESSOR_PRIORITY = 3


@dataclass(frozen=True, slots=True)
class Rules:
    """What the collector skips, compiled from the plugin options."""

    ignore_rel: frozenset[str] = frozenset()
    opt_out_class: str = ""
    exclude_domains: tuple[str, ...] = ()
    exclude_urls: tuple[re.Pattern[str], ...] = ()
    excluded_target: Callable[[str], bool] = field(default=lambda _src: False)
    snippet_length: int = 240


@dataclass(slots=True)
class _RawLink:
    """A link found in the page, before resolution: positions are offsets in `text`."""

    href: str
    classes: str
    rel: str
    start: int
    end: int
    section: str


@dataclass(slots=True)
class _Block:
    text: str
    links: list[_RawLink]


class LinkCollector:
    """Owns the per-page collection; the plugin calls `start_page` and `finish_page` around
    each page's conversion and the Markdown extension calls `collect` in between."""

    def __init__(self, site: SiteMap, rules: Rules) -> None:
        self.rules = rules
        self.excluded_targets: frozenset[str] = frozenset()
        self.site = site
        self._page: str | None = None
        self._links: list[LinkRow] = []

    @property
    def site(self) -> SiteMap:
        """The pages of the build; setting it also works out which pages are excluded targets."""
        return self._site

    @site.setter
    def site(self, site: SiteMap) -> None:
        self._site = site
        # Matched once per page here rather than once per link during collection.
        self.excluded_targets = frozenset(p for p in site.pages if self.rules.excluded_target(p))

    def extension(self) -> Extension:
        """The Markdown extension to add to `markdown_extensions`."""
        return _CollectorExtension(self)

    def start_page(self, src_uri: str | None) -> None:
        """Collect the next conversion for `src_uri`; None converts without collecting."""
        self._page = src_uri
        self._links = []

    def finish_page(self) -> list[LinkRow]:
        """The links of the page converted since `start_page`, in document order."""
        links, self._links, self._page = self._links, [], None
        return links

    def collect(self, root: etree.Element, md: Markdown) -> None:
        """Walk one converted tree; called by the tree processor."""
        if self._page is None:
            return  # a conversion that is not a page (another plugin's snippet), or opted out
        stash = md.htmlStash.rawHtmlBlocks
        blocks = _TreeReader(stash).read(root)
        self._links.extend(self._resolve(blocks))

    def _resolve(self, blocks: list[_Block]) -> Iterator[LinkRow]:
        """The links of the page's blocks as graph rows (a `Link`'s fields, in order).

        Runs for every link of the site, so it is written for speed: locals for attribute
        lookups, plain tuples rather than objects.
        """
        src = self._page
        assert src is not None
        rules = self.rules
        opt_out = rules.opt_out_class
        ignore_rel = rules.ignore_rel
        resolve = self.site.resolve
        wanted_outside = self._wanted_outside
        contexts: dict[str, str] = {}  # one string object per distinct context, to save memory
        limit = rules.snippet_length
        excluded = self.excluded_targets
        for block in blocks:
            text = block.text
            # One link: two regex searches; several: index the block's sentences once.
            sentences = Sentences(text) if len(block.links) > 1 else None
            for raw in block.links:
                if raw.classes and opt_out in raw.classes.split():
                    continue
                rel = tuple(sorted(set(raw.rel.lower().split()))) if raw.rel else ()
                if rel and ignore_rel.intersection(rel):
                    continue
                href = raw.href.strip()
                found = resolve(href, src)
                if found is None:
                    continue
                internal, target, anchor = found
                if internal:
                    if target == src or target in excluded:
                        continue
                elif not wanted_outside(target):
                    continue
                elif target == href:
                    # The resolver's string, shared by every page citing this URL as written.
                    href = target
                start, end = raw.start, raw.end
                if sentences is None:
                    context = sentence_around(text, start, end, limit)
                else:
                    context = sentences.around(start, end, limit)
                context = contexts.setdefault(context, context)
                yield (
                    src, href, target, anchor, collapse(text[start:end]), context, raw.section,
                    rel, internal,
                )  # fmt: skip

    def _wanted_outside(self, url: str) -> bool:
        rules = self.rules
        if rules.exclude_domains and domain_matches(host_of(url), rules.exclude_domains):
            return False
        return not any(p.search(url) for p in rules.exclude_urls)


class _TreeReader:
    """Finds the links of one tree, with the plain text of the block each one sits in."""

    def __init__(self, stash: list[str | etree.Element]) -> None:
        self.stash = stash
        self.section = ""
        self.blocks: list[_Block] = []
        self.raw_skip = 0  # depth of raw inline <code>-like tags open in the current block
        # Placeholders matter only when some stashed raw HTML holds a link: in most pages
        # none does, and the walk below can then rely on the C-level `iter("a")` alone.
        self.raw_links = any(_may_hold_link(raw) for raw in stash)

    def read(self, root: etree.Element) -> list[_Block]:
        if self._holds_link(root):
            self._walk(root)
        return self.blocks

    def _holds_link(self, elem: etree.Element) -> bool:
        # Fragment-only anchors (heading permalinks, footnote references) never count.
        for anchor in elem.iter("a"):
            if not (anchor.get("href") or "#").startswith("#"):
                return True
        if not self.raw_links:
            return False
        for node in elem.iter():
            text, tail = node.text, node.tail
            if (text and "\x02w" in text) or (tail and "\x02w" in tail):
                return True
        return False

    def _walk(self, elem: etree.Element) -> None:
        """Visit blocks in document order, skipping subtrees that hold no link.

        A block's own text excludes its nested blocks, which are flattened on their own, so
        each link gets the sentence of the innermost block around it. Headings are tracked
        even in skipped subtrees, because they set the section of the links that follow.
        """
        for child in elem:
            tag = child.tag
            if tag in HEADINGS:
                self.section = child.get("id") or self.section
            if tag in SKIP_TAGS:
                continue
            if not self._holds_link(child):
                if tag in _CONTAINERS:
                    self._track_headings(child)
                continue
            if tag not in BLOCK_TAGS or self._flatten_block(child):
                self._walk(child)  # inline wrappers, and blocks with nested blocks

    def _track_headings(self, elem: etree.Element) -> None:
        for node in elem.iter():
            if node.tag in HEADINGS:
                self.section = node.get("id") or self.section

    def _flatten_block(self, block: etree.Element) -> bool:
        """Record the plain text of `block` (nested blocks left out) with its links' offsets.

        Returns whether the block has nested blocks, which the caller then walks.
        """
        for child in block:
            if child.tag in BLOCK_TAGS:
                break
        else:
            if self._flatten_leaf(block):
                return False
            return self._flatten_any(block)
        if _only_blocks(block):
            return True  # a list, table or admonition body: its text is all in nested blocks
        return self._flatten_any(block)

    def _flatten_leaf(self, block: etree.Element) -> bool:
        """The fast path for a block without nested blocks or placeholders (most of them).

        Marks the start and end of every link with a control character, lets the C-level
        `itertext` produce the block's text, then puts the tree back as it was. Returns False,
        with nothing recorded, when the text needs the careful path.
        """
        anchors = list(block.iter("a"))
        saved: list[tuple[etree.Element, str | None, etree.Element | None, str | None]] = []
        for anchor in anchors:
            last = anchor[-1] if len(anchor) else None
            saved.append((anchor, anchor.text, last, last.tail if last is not None else None))
            if last is None:
                anchor.text = _MARK + (anchor.text or "") + _MARK
            else:
                anchor.text = _MARK + (anchor.text or "")
                last.tail = (last.tail or "") + _MARK
        try:
            text = "".join(block.itertext())
        finally:
            for anchor, anchor_text, last, last_tail in saved:
                anchor.text = anchor_text
                if last is not None:
                    last.tail = last_tail
        pieces = text.split(_MARK)
        if "\x02" in text or len(pieces) != 2 * len(anchors) + 1:
            return False
        links: list[_RawLink] = []
        size = len(pieces[0])
        section = self.section
        for index, anchor in enumerate(anchors):
            inside = len(pieces[2 * index + 1])
            if anchor.get("href") is not None:
                links.append(_raw_link(anchor, size, size + inside, section))
            size += inside + len(pieces[2 * index + 2])
        if links:
            self.blocks.append(_Block("".join(pieces), links))
        return True

    def _flatten_any(self, block: etree.Element) -> bool:
        """The careful path: walks every node, expands placeholders and escapes."""
        nested = False
        self.raw_skip = 0
        parts: list[str] = []
        links: list[_RawLink] = []
        open_raw: list[_RawLink] = []
        size = 0

        def add(text: str | None) -> None:
            nonlocal size
            if not text:
                return
            if "\x02" not in text:
                parts.append(text)
                size += len(text)
                return
            if AMP_SUBSTITUTE in text:
                # Markdown hides the '&' of entities it leaves in text (email autolinks
                # obfuscate every character as one); put it back and decode them.
                text = _ENTITY.sub(_decode_entity, text.replace(AMP_SUBSTITUTE, "&"))
            pos = 0
            for match in _STASH_OR_ESCAPE.finditer(text):
                piece = text[pos : match.start()]
                parts.append(piece)
                size += len(piece)
                pos = match.end()
                if match.group(2) is not None:  # an escaped character
                    parts.append(chr(int(match.group(2))))
                    size += 1
                    continue
                if match.group(1) is None:  # another extension's marker: no text
                    continue
                index = int(match.group(1))
                raw = self.stash[index] if index < len(self.stash) else ""
                text_of_raw = self._stashed(raw, open_raw, links, size)
                parts.append(text_of_raw)
                size += len(text_of_raw)
            rest = text[pos:]
            parts.append(rest)
            size += len(rest)

        def visit(elem: etree.Element) -> None:
            nonlocal size, nested
            add(elem.text)
            for child in elem:
                tag = child.tag
                if tag in BLOCK_TAGS:
                    nested = True
                    parts.append(" ")
                    size += 1
                elif tag == "a":
                    start = size
                    visit(child)
                    if child.get("href") is not None:
                        links.append(_raw_link(child, start, size, self.section))
                elif tag in SKIP_TAGS:
                    text = "".join(child.itertext())
                    parts.append(text)
                    size += len(text)
                else:
                    visit(child)
                add(child.tail)

        visit(block)
        finished = _finish_block(parts, links, open_raw)
        if finished:
            self.blocks.append(finished)
        return nested

    def _stashed(
        self,
        raw: str | etree.Element,
        open_raw: list[_RawLink],
        links: list[_RawLink],
        offset: int,
    ) -> str:
        """Handle one stash placeholder met inside a block's text; return the text it adds.

        Markdown stashes inline raw HTML one tag at a time, and character entities too.
        """
        if not isinstance(raw, str):
            raw = etree.tostring(raw, encoding="unicode", method="html")
        if raw.startswith("&"):  # an entity such as &eacute; or &#46;
            return html.unescape(raw)
        if _SKIP_OPEN.match(raw):
            self.raw_skip += 1
        elif _SKIP_CLOSE.match(raw):
            self.raw_skip = max(self.raw_skip - 1, 0)
        elif self.raw_skip:
            pass  # a link inside raw <code> is an example, not a link
        elif _OPEN_A.match(raw):  # inline raw HTML keeps `<a ...>` and `</a>` apart
            attrs = _tag_attributes(raw)
            if attrs.get("href") is not None:
                open_raw.append(
                    _RawLink(
                        attrs["href"] or "",
                        attrs.get("class") or "",
                        attrs.get("rel") or "",
                        offset,
                        offset,
                        self.section,
                    )
                )
        elif _CLOSE_A.match(raw):
            if open_raw:
                link = open_raw.pop()
                link.end = offset
                links.append(link)
        elif "<a" in raw or "<A" in raw:  # a whole block of raw HTML with links in it
            parser = _FragmentParser(self.section, self.stash)
            parser.feed(raw)
            parser.close()
            self.blocks.extend(parser.finish())
            self.section = parser.section
        return ""


def _raw_link(anchor: etree.Element, start: int, end: int, section: str) -> _RawLink:
    """A link found as an <a> element of the tree (it has an href)."""
    return _RawLink(
        _unescape(anchor.get("href", "")),
        anchor.get("class", ""),
        anchor.get("rel", ""),
        start,
        end,
        section,
    )


def _only_blocks(block: etree.Element) -> bool:
    """True when `block` has no text of its own, only nested blocks and white space."""
    if block.text and not block.text.isspace():
        return False
    for child in block:
        if child.tag not in BLOCK_TAGS or (child.tail and not child.tail.isspace()):
            return False
    return True


def _finish_block(
    parts: list[str], links: list[_RawLink], open_links: list[_RawLink]
) -> _Block | None:
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
    return _Block("".join(parts), links)


def _may_hold_link(raw: str | etree.Element) -> bool:
    if isinstance(raw, str):
        return "<a" in raw or "<A" in raw or "</a" in raw or "</A" in raw
    return next(raw.iter("a"), None) is not None


def _decode_entity(match: re.Match[str]) -> str:
    return html.unescape(match.group(0))


def _unescape(text: str) -> str:
    """The href a browser would follow: Markdown's escapes undone, entities decoded.

    Only complete entities (`&amp;`) are decoded: in an attribute `&copy=2` stays as written,
    as HTML5 says, which `html.unescape` alone would not respect.
    """
    if "\x02" in text:
        text = text.replace(AMP_SUBSTITUTE, "&")
        text = _STASH_OR_ESCAPE.sub(lambda m: chr(int(m.group(2))) if m.group(2) else "", text)
    if "&" in text:
        text = _ENTITY.sub(_decode_entity, text)
    return text


class _AttributeReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.attrs: dict[str, str | None] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self.attrs:
            self.attrs = dict(attrs)


def _tag_attributes(tag: str) -> dict[str, str | None]:
    reader = _AttributeReader()
    reader.feed(tag)
    reader.close()
    return reader.attrs


class _FragmentParser(HTMLParser):
    """Links in a piece of raw HTML, each with the text of the block around it."""

    def __init__(self, section: str, stash: list[str | etree.Element]) -> None:
        super().__init__(convert_charrefs=True)
        self.section = section
        self.stash = stash
        self.done: list[_Block] = []
        self._stack: list[tuple[list[str], list[_RawLink], list[_RawLink]]] = []
        self._skip = 0
        self._new_block()

    def _new_block(self) -> None:
        self._stack.append(([], [], []))

    def _close_block(self) -> None:
        finished = _finish_block(*self._stack.pop())
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
                _RawLink(
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
        self._stack[-1][0].append(_STASH_OR_ESCAPE.sub(" ", data) if "\x02" in data else data)

    def finish(self) -> list[_Block]:
        while len(self._stack) > 1:
            self._close_block()
        self._close_block()
        return self.done


class _CollectorTreeprocessor(Treeprocessor):
    def __init__(self, md: Markdown, collector: LinkCollector) -> None:
        super().__init__(md)
        self.collector = collector

    def run(self, root: etree.Element) -> None:
        self.collector.collect(root, self.md)


class _CollectorExtension(Extension):
    def __init__(self, collector: LinkCollector) -> None:
        super().__init__()
        self.collector = collector

    def extendMarkdown(self, md: Markdown) -> None:
        md.treeprocessors.register(
            _CollectorTreeprocessor(md, self.collector),
            "mkdocs_backlinks",
            TREEPROCESSOR_PRIORITY,
        )
