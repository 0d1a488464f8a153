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

from markdown import Markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor
from markdown.util import AMP_SUBSTITUTE

from mkdocs_backlinks.graph.linkgraph import LinkRow
from mkdocs_backlinks.links.autorefs import PendingRef
from mkdocs_backlinks.links.rawhtml import (
    BLOCK_TAGS,
    HEADINGS,
    LINK_FIELDS,
    SKIP_TAGS,
    STASH_OR_ESCAPE,
    Block,
    FragmentParser,
    RawLink,
    finish_block,
    make_block,
    tag_attributes,
)
from mkdocs_backlinks.links.snippets import Sentences, collapse, sentence_around
from mkdocs_backlinks.links.urls import SiteMap, domain_matches, host_of

# Blocks that can hold headings: every block but a paragraph, a rule or preformatted text.
# Lists too: Markdown makes `- ## Setup` a heading inside a list item.
_CONTAINERS = BLOCK_TAGS - HEADINGS - {"p", "hr", "pre"}
# Not shown to the reader: arithmatex repeats a formula's preview in a `<script>`.
_INVISIBLE = ("script", "style", "template")
# Elements whose text Markdown has already escaped (`code_escape`), or whose stashed HTML is
# escaped (inlinehilite, highlight): their text is unescaped once, as a browser shows it.
_ESCAPED_TEXT = frozenset(("code", "pre", "samp"))
_TAG = re.compile(r"<[^>]*>")
_BLOCKS = 256
"""Blocks a long page reads before they are turned into rows (`_TreeReader.sink`)."""

# What mkdocs-autorefs registers its inline processor as; it makes `<autoref>` elements.
_AUTOREFS = "mkdocs-autorefs"

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
    outside_links: bool = True
    """Whether links to other sites are kept at all: the credits, the export, the metadata and
    the outreach ledger read them; with all four off nothing does, and they cost nothing."""
    outside_snippets: bool = True
    """Whether outside links get their sentence: only the export and the outreach ledger
    show it (the credits do not), so without them it is never cut, and its row says ''."""


@dataclass(slots=True)
class ReadPage:
    """A page's links as read from its tree, most of them not yet resolved into rows.

    `LinkCollector.finish_page` hands it out and `LinkCollector.resolve` finishes it: the
    plugin resolves the pages of a batch together, after their conversions, so the resolving
    code stays in the processor's caches from one page to the next (docs/performance.md).
    """

    src: str
    blocks: list[Block]
    """Blocks read and not yet resolved, in document order, after those of `rows`."""
    rows: list[LinkRow]
    """The rows of the chunks a long page resolved while it was read."""
    refs: list[PendingRef]
    ids: dict[str, str] = field(default_factory=dict)
    """Heading ids as Markdown's tree (and so the page's table of contents) holds them, to
    the id the page's HTML gives the heading, for the few that differ (`_TreeReader.heading_id`):
    the sections of the links are the latter, and `page_info` finds their titles by the former."""


class LinkCollector:
    """Owns the per-page collection; the plugin calls `start_page` and `finish_page` around
    each page's conversion and the Markdown extension calls `collect` in between.

    `collect` only reads the tree: each block's text and raw links. They are resolved into
    rows (hrefs looked up, sentences cut) by `resolve`, once the page's conversion is over,
    and the plugin does so for a batch of pages at a time. Done inside Markdown's tree
    processing, between the processors and the serializer that still need the page's tree,
    the same work evicted more of what they read next; done a page at a time, its own code was
    evicted by the next page's conversion before it ran again (docs/performance.md has the
    figures). A long page (over `_BLOCKS` blocks with links) is resolved as it is read
    instead, a chunk at a time, so that it never holds all of its blocks beside its tree.
    """

    def __init__(self, site: SiteMap, rules: Rules) -> None:
        self.rules = rules
        self.excluded_targets: frozenset[str] = frozenset()
        self.site = site
        self._page: str | None = None
        self._blocks: list[Block] = []
        self._links: list[LinkRow] = []
        self._refs: list[PendingRef] = []
        self._ids: dict[str, str] = {}

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

    def conversion_done(self) -> None:
        """Every page is converted and resolved: what made resolving their links fast is let
        go (`SiteMap.forget_resolved`). Resolving still works after this, for a page another
        plugin converts late."""
        self.site.forget_resolved()

    def start_page(self, src_uri: str | None) -> None:
        """Collect the next conversion for `src_uri`; None converts without collecting."""
        self._page = src_uri
        self._blocks = []
        self._links = []
        self._refs = []
        self._ids = {}

    def finish_page(self) -> ReadPage | None:
        """What was read of the page converted since `start_page` (None if it was not
        collected); `resolve` turns it into rows, at once or with a batch of later pages."""
        src = self._page
        if src is None:
            return None
        read = ReadPage(src, self._blocks, self._links, self._refs, self._ids)
        self.start_page(None)
        return read

    def resolve(self, read: ReadPage) -> tuple[list[LinkRow], list[PendingRef]]:
        """The page's links in document order, and apart from them its cross-references for
        mkdocs-autorefs. Those can be resolved only once every page has registered its
        anchors with autorefs (its `on_env`): `links.autorefs.resolve_refs` then makes them
        link rows."""
        if read.blocks:
            blocks, read.blocks = read.blocks, []
            read.rows.extend(self._resolve(read.src, blocks, len(read.rows), read.refs))
        return read.rows, read.refs

    def collect(self, root: etree.Element, md: Markdown) -> None:
        """Walk one converted tree; called by the tree processor."""
        if self._page is None:
            return  # a conversion that is not a page (another plugin's snippet), or opted out
        reader = _TreeReader(md.htmlStash.rawHtmlBlocks, _AUTOREFS in md.inlinePatterns)
        reader.sink = self._take_chunk
        reader.ids = self._ids
        if "mkdocstrings_ids" in md.treeprocessors:
            # A docstring converted by mkdocstrings' own Markdown: its links sit under the
            # heading of the object, whose id mkdocstrings prefixes to every id of the docstring.
            prefix = getattr(md.treeprocessors["mkdocstrings_ids"], "id_prefix", "") or ""
            reader.section = prefix.removesuffix("--")
        # Read first: a long page's chunks, resolved while it is read, replace `_blocks`.
        blocks = reader.read(root)
        self._blocks.extend(blocks)

    def _take_chunk(self, blocks: list[Block]) -> None:
        """Resolve a long page's blocks set aside so far, then `blocks` (read after them),
        while the page is still being read."""
        assert self._page is not None
        self._blocks.extend(blocks)
        blocks, self._blocks = self._blocks, []
        self._links.extend(self._resolve(self._page, blocks, len(self._links), self._refs))

    def _resolve(
        self, src: str, blocks: list[Block], position: int, refs: list[PendingRef]
    ) -> Iterator[LinkRow]:
        """The links of page `src`'s blocks as graph rows (a `Link`'s fields, in order);
        `position` counts the rows of the page before these, and its cross-references go to
        `refs`.

        Runs for every link of the site, so it is written for speed: locals for attribute
        lookups, plain tuples rather than objects. A sentence is cut only for a link whose
        row is kept and whose sentence something shows (`Rules.outside_snippets`).
        """
        rules = self.rules
        opt_out = rules.opt_out_class
        ignore_rel = rules.ignore_rel
        resolve = self.site.resolver(src)
        wanted_outside = self._wanted_outside if rules.outside_links else None
        outside_snippets = rules.outside_snippets
        contexts: dict[str, str] = {}  # one string object per distinct context, to save memory
        limit = rules.snippet_length
        excluded = self.excluded_targets
        for block in blocks:
            text = block[0]
            at_links = range(1, len(block), LINK_FIELDS)
            # One link: two regex searches; several: the block's sentences are indexed once,
            # when the first link that needs its sentence comes.
            several = len(at_links) > 1
            sentences: Sentences | None = None
            spans: list[tuple[int, int]] = []
            for at in at_links:
                raw_href, classes, raw_rel, start, end, section, identifier, slug, optional = block[
                    at : at + LINK_FIELDS
                ]
                if classes and opt_out in classes.split():
                    continue
                if identifier is not None:
                    # A cross-reference of mkdocs-autorefs, resolved once every page is known.
                    if several and not spans:
                        spans = [(block[i + 3], block[i + 4]) for i in at_links]
                    refs.append(
                        PendingRef(
                            src,
                            identifier,
                            slug,
                            optional,
                            collapse(text[start:end]),
                            sentence_around(text, start, end, limit, spans),
                            section,
                            position,
                        )
                    )
                    continue
                rel = tuple(sorted(set(raw_rel.lower().split()))) if raw_rel else ()
                if rel and ignore_rel.intersection(rel):
                    continue
                href = raw_href.strip()
                found = resolve(href)
                if found is None:
                    continue
                internal, target, anchor = found
                if internal:
                    if target == src or target in excluded:
                        continue
                elif wanted_outside is None or not wanted_outside(target):
                    continue
                elif target == href:
                    # The resolver's string, shared by every page citing this URL as written.
                    href = target
                if not (internal or outside_snippets):
                    context = ""
                elif not several:
                    context = sentence_around(text, start, end, limit)
                else:
                    if sentences is None:
                        sentences = Sentences(text)
                        spans = spans or [(block[i + 3], block[i + 4]) for i in at_links]
                    context = sentences.around(start, end, limit, spans)
                context = contexts.setdefault(context, context)
                position += 1
                yield (
                    src, href, target, anchor, collapse(text[start:end]), context, section, rel,
                    internal,
                )  # fmt: skip

    def _wanted_outside(self, url: str) -> bool:
        rules = self.rules
        if rules.exclude_domains and domain_matches(host_of(url), rules.exclude_domains):
            return False
        return not any(p.search(url) for p in rules.exclude_urls)


class _TreeReader:
    """Finds the links of one tree, with the plain text of the block each one sits in."""

    def __init__(self, stash: list[str | etree.Element], autorefs: bool = False) -> None:
        self.stash = stash
        # Whether `<autoref>` elements (mkdocs-autorefs) count as links; only then are they
        # looked for, so pages converted without autorefs pay nothing for them.
        self.autorefs = autorefs
        self.section = ""
        self.ids: dict[str, str] = {}
        """Heading ids read with Markdown's placeholders in them, to their id in the HTML."""
        self.blocks: list[Block] = []
        self.sink: Callable[[list[Block]], None] | None = None
        """Takes the blocks read so far, every `_BLOCKS` blocks: a page of thousands of links
        then never holds all of its blocks at once, beside its tree."""
        self.raw_skip = 0  # depth of raw inline <code>-like tags open in the current block
        self.invisible = True
        """Whether the page has elements the reader never sees (`_INVISIBLE`)."""
        # Placeholders matter only when some stashed raw HTML holds a link: in most pages
        # none does, and the walk below can then rely on the C-level `iter("a")` alone.
        self.raw_links = any(_may_hold_link(raw) for raw in stash)

    def read(self, root: etree.Element) -> list[Block]:
        if self._holds_link(root):
            # Asked once of the page rather than of each block: almost no page has any.
            self.invisible = any(next(root.iter(tag), None) is not None for tag in _INVISIBLE)
            self._walk(root)
        return self.blocks

    def _holds_link(self, elem: etree.Element) -> bool:
        # Fragment-only anchors (heading permalinks, footnote references) never count.
        for anchor in elem.iter("a"):
            if not (anchor.get("href") or "#").startswith("#"):
                return True
        if self.autorefs and next(elem.iter("autoref"), None) is not None:
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
                self.section = self.heading_id(child) or self.section
            if tag in SKIP_TAGS:
                continue
            if not self._holds_link(child):
                if tag in _CONTAINERS:
                    self._track_headings(child)
                continue
            if tag not in BLOCK_TAGS or self._flatten_block(child):
                self._walk(child)  # inline wrappers, and blocks with nested blocks
            if len(self.blocks) >= _BLOCKS and self.sink is not None:
                self.sink(self.blocks)
                self.blocks = []

    def _track_headings(self, elem: etree.Element) -> None:
        for node in elem.iter():
            if node.tag in HEADINGS:
                self.section = self.heading_id(node) or self.section

    def heading_id(self, heading: etree.Element) -> str:
        """The id the heading has in the page's HTML ('' for none).

        Markdown's tree may still hold a placeholder there: an id written with an entity
        (`{: id="r&amp;d" }`) holds the entity's, which the page's HTML gets back as `&amp;`,
        so the id a link must name is `r&d`. Such ids are remembered in `ids`, since the
        page's table of contents keeps the placeholder."""
        found = heading.get("id") or ""
        if "\x02" not in found:
            return found
        real = self.ids.get(found)
        if real is None:
            stash = self.stash
            expanded = STASH_OR_ESCAPE.sub(
                lambda match: _stash_text(match, stash), found.replace(AMP_SUBSTITUTE, "&")
            )
            real = self.ids[found] = html.unescape(expanded)
        return real

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
        if self.invisible:
            for tag in _INVISIBLE:
                if next(block.iter(tag), None) is not None:
                    return False
        if self.autorefs:
            anchors = [node for node in block.iter() if node.tag in ("a", "autoref")]
        else:
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
        # `&` comes from code, whose text Markdown escaped: the careful path unescapes it.
        if "\x02" in text or "&" in text or len(pieces) != 2 * len(anchors) + 1:
            return False
        links: list[RawLink] = []
        size = len(pieces[0])
        section = self.section
        for index, anchor in enumerate(anchors):
            inside = len(pieces[2 * index + 1])
            if anchor.tag == "autoref":
                links.append(_autoref(anchor, size, size + inside, section))
            elif anchor.get("href") is not None:
                links.append(_raw_link(anchor, size, size + inside, section))
            size += inside + len(pieces[2 * index + 2])
        if links:
            self.blocks.append(make_block("".join(pieces), links))
        return True

    def _flatten_any(self, block: etree.Element) -> bool:
        """The careful path: walks every node, expands placeholders and escapes."""
        nested = False
        self.raw_skip = 0
        parts: list[str] = []
        links: list[RawLink] = []
        open_raw: list[RawLink] = []
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
            for match in STASH_OR_ESCAPE.finditer(text):
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
                elif tag == "a" or (tag == "autoref" and self.autorefs):
                    start = size
                    visit(child)
                    found = _link_of(child, start, size, self.section)
                    if found is not None:
                        links.append(found)
                elif tag in SKIP_TAGS:
                    text = _code_text(child, self.stash)
                    parts.append(text)
                    size += len(text)
                else:
                    visit(child)
                add(child.tail)

        visit(block)
        finished = finish_block(parts, links, open_raw)
        if finished:
            self.blocks.append(finished)
        return nested

    def _stashed(
        self,
        raw: str | etree.Element,
        open_raw: list[RawLink],
        links: list[RawLink],
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
            attrs = tag_attributes(raw)
            if attrs.get("href") is not None:
                open_raw.append(
                    RawLink(
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
            parser = FragmentParser(self.section, self.stash)
            parser.feed(raw)
            parser.close()
            self.blocks.extend(parser.finish())
            self.section = parser.section
        return ""


def _raw_link(anchor: etree.Element, start: int, end: int, section: str) -> RawLink:
    """A link found as an <a> element of the tree (it has an href)."""
    return RawLink(
        _unescape(anchor.get("href", "")),
        anchor.get("class", ""),
        anchor.get("rel", ""),
        start,
        end,
        section,
    )


def _link_of(elem: etree.Element, start: int, end: int, section: str) -> RawLink | None:
    """The link an `<a>` (with an href) or an `<autoref>` element makes, if any."""
    if elem.tag == "autoref":
        return _autoref(elem, start, end, section)
    return None if elem.get("href") is None else _raw_link(elem, start, end, section)


def _autoref(elem: etree.Element, start: int, end: int, section: str) -> RawLink:
    """A cross-reference left by mkdocs-autorefs, to be resolved once all pages are known."""
    return RawLink(
        "",
        elem.get("class", ""),
        "",
        start,
        end,
        section,
        elem.get("identifier", ""),
        elem.get("slug", ""),
        elem.get("optional") is not None,
    )


def _code_text(elem: etree.Element, stash: list[str | etree.Element]) -> str:
    """The text of a code-like element as the reader sees it.

    Python-Markdown escapes a code span's text itself; pymdownx.inlinehilite (and highlight)
    put a stash placeholder whose stored HTML is escaped or highlighted. Placeholders are
    expanded to their text and the escapes undone once, because the sections escape again.
    """
    tag = elem.tag
    if tag in _INVISIBLE:
        return ""
    text = "".join(elem.itertext())
    if "\x02" in text:
        text = STASH_OR_ESCAPE.sub(
            lambda match: _stash_text(match, stash), text.replace(AMP_SUBSTITUTE, "&")
        )
        return html.unescape(text) if "&" in text else text
    if "&" in text and tag in _ESCAPED_TEXT:
        return html.unescape(text)
    return text


def _stash_text(match: re.Match[str], stash: list[str | etree.Element]) -> str:
    """The markup-free HTML behind one placeholder inside code; escapes are left for later."""
    if match.group(2) is not None:
        return chr(int(match.group(2)))
    if match.group(1) is None:
        return ""
    index = int(match.group(1))
    raw = stash[index] if index < len(stash) else ""
    if not isinstance(raw, str):
        raw = etree.tostring(raw, encoding="unicode", method="html")
    return _TAG.sub("", raw)


def _only_blocks(block: etree.Element) -> bool:
    """True when `block` has no text of its own, only nested blocks and white space."""
    if block.text and not block.text.isspace():
        return False
    for child in block:
        if child.tag not in BLOCK_TAGS or (child.tail and not child.tail.isspace()):
            return False
    return True


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
        text = STASH_OR_ESCAPE.sub(lambda m: chr(int(m.group(2))) if m.group(2) else "", text)
    if "&" in text:
        text = _ENTITY.sub(_decode_entity, text)
    return text


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
