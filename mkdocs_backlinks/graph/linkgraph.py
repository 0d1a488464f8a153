"""The graph of who links to whom in one build, and the views rendered from it.

Plain data in, plain data out: nothing here knows about MkDocs objects, so the graph is
tested on its own and the export is the same bytes for the same input.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import marshal
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from json.encoder import encode_basestring as _q
from pathlib import Path
from typing import Any, Final, NamedTuple, cast

from mkdocs_backlinks import __version__
from mkdocs_backlinks.graph.spool import Spool
from mkdocs_backlinks.links.urls import relative_urls_from, site_of
from mkdocs_backlinks.works.identity import work_key
from mkdocs_backlinks.works.model import DEAD, WorkMeta

EXPORT_SCHEMA = "mkdocs-backlinks/graph"
# Positions in a `LinkRow` read where links are counted or indexed by the thousand.
_TARGET: Final = 2
_TEXT: Final = 4
_CONTEXT: Final = 5
_SECTION: Final = 6
_INTERNAL: Final = 8
_CHUNK: Final = 512
"""Rows of one page marshalled together; a page with more is written in several chunks."""
EXPORT_VERSION = 1
EXPORT_TAIL = "\n}\n}\n"
"""The export's text after its last page entry."""
ENTRY_SEPARATOR = ",\n"
"""What the export has between two page entries (the first follows a newline alone)."""


class Link(NamedTuple):
    """One link one page makes, as the author wrote it and as it resolved.

    The graph stores each link as a plain tuple of these fields (a `LinkRow`), marshalled into
    its spool, and hands out `Link`s, which read better. Rows are what the collector makes and
    the graph writes because `marshal` takes plain tuples of strings and nothing else.
    """

    source: str
    """Source path of the citing page (`blog/post.md`)."""
    href: str
    """The href exactly as written."""
    target: str
    """Source path of the linked page, or the normalised URL of an outside work."""
    anchor: str
    """Fragment of an internal link ('' when none)."""
    text: str
    """Anchor text, white space folded."""
    context: str
    """The sentence around the link, plain text, bounded length; '' for an outside link in a
    build that neither exports nor keeps a ledger, where nothing shows it."""
    section: str
    """Id of the heading whose section holds the link ('' before the first heading)."""
    rel: tuple[str, ...]
    """Sorted `rel` values of the link."""
    internal: bool
    """True for a link to a page of this site, False for a citation of an outside work."""


LinkRow = tuple[str, str, str, str, str, str, str, tuple[str, ...], bool]
"""A `Link`'s fields as a plain tuple, in the same order: how links are collected and stored."""

_as_link: Callable[[LinkRow], Link] = functools.partial(tuple.__new__, Link)
"""A `Link` view of a stored row; `Link._make` does the same at four times the cost."""


def sections_linking_in(links: Iterable[LinkRow]) -> set[str]:
    """The ids of the sections `links` come from that a backlink can name: those holding an
    internal link. A page's `PageInfo.sections` needs these titles and no other."""
    return {row[_SECTION] for row in links if row[_INTERNAL] and row[_SECTION]}


def cited_urls(links: Iterable[LinkRow]) -> Iterator[str]:
    """The normalised URLs of the outside works `links` cite, in document order."""
    return (row[_TARGET] for row in links if not row[_INTERNAL])


@dataclass(frozen=True, slots=True)
class PageInfo:
    """What the graph needs to know about a page to show it as a link source or target."""

    src_uri: str
    url: str
    title: str
    sections: Mapping[str, str]
    """Heading id to heading title, to name the section a backlink comes from (the plugin
    keeps only the sections that hold an internal link: `sections_linking_in`)."""


@dataclass(frozen=True, slots=True)
class CreditEntry:
    """One outside work a page cites."""

    url: str
    href: str
    text: str
    count: int
    title: str = ""
    """The work's own title, when the build knows it (plain text, bounded)."""
    author: str = ""
    author_url: str = ""
    """The author's page: an absolute http(s) URL, or ''."""
    status: str = ""
    """The work's link status at its last check (`ok`, `broken`, `gone`, ...), '' if unknown."""

    @property
    def label(self) -> str:
        """What the link says: the work's title, else the anchor text."""
        return self.title or self.text

    @property
    def dead(self) -> bool:
        return self.status in DEAD


@dataclass(frozen=True, slots=True)
class CreditGroup:
    """The works of one site that a page cites."""

    site: str
    entries: tuple[CreditEntry, ...]


@dataclass(frozen=True, slots=True)
class BacklinkEntry:
    """One place on another page of the site that links to a page."""

    source: str
    url: str
    """Site-relative URL of the citing page plus `#section`, to turn relative when rendered."""
    title: str
    section_title: str
    text: str
    context: str


CitedWork = tuple[str, Link, int]
"""A work a page cites: its normalised URL, the page's first link to it, the number of links."""
CitedSite = tuple[str, list[CitedWork]]
"""A site and the works of it a page cites."""


def credit_entry(url: str, first: Link, count: int, meta: WorkMeta | None) -> CreditEntry:
    """The credit of one cited work: the first link's href and text (the URL when the link has
    no text), and what `meta` knows about the work when it knows anything."""
    text = first.text or url
    if not meta:
        return CreditEntry(url, first.href, text, count)
    return CreditEntry(
        url, first.href, text, count, meta.title, meta.author, meta.author_url, meta.status
    )


class LinkGraph:
    """All links of one build, indexed by source and, once complete, by target.

    The rows themselves live in a `Spool` (a temporary file; its docstring says why), written
    once per page as it converts: the page's rows together, for what a page links to, and each
    internal row on its own, for what links to a page. Memory holds only `pages` and the
    offsets. Call `close` when done with the graph to drop the file at once.

    With `outbound` False the page's rows together are not kept, only the internal rows for
    the pages they point at: what a page links to is read by the credits, the export, the
    metadata and the outreach, and a build with all four off shows only backlinks, which need
    the rows to a page and never the rows from it. `links_from` and `citations` then give
    nothing, except for a page added with `outbound=True`.
    """

    def __init__(self, *, outbound: bool = True) -> None:
        self.outbound = outbound
        self.pages: dict[str, PageInfo] = {}
        self._spool = Spool()
        self._blocks: dict[str, tuple[int, int, int, int]] = {}
        """Per page: offset and length of its rows, and how many links, internal ones."""
        self._block_starts = array("q")
        self._block_sources: list[str] = []
        """Every block ever written, by offset (a page added twice leaves a stale one)."""
        self._arriving: dict[str, array[int]] = {}
        """Target to (offset, length) pairs of the internal rows to it: in conversion order
        as pages are added, in the order backlinks show once `_incoming_index` sorts them."""
        self._sorted = True

    def add_page(
        self, info: PageInfo, links: Iterable[LinkRow], *, outbound: bool | None = None
    ) -> None:
        """Record a converted page and the links it makes (replacing any earlier record).

        `links` may be `Link`s or plain rows, of plain strings (marshal takes nothing else).
        `outbound` says whether the page's own rows are kept (the graph's `outbound` when
        None): a page whose rows will be read back, as autorefs' pass does, keeps them.
        """
        rows = tuple(link if type(link) is tuple else cast(LinkRow, tuple(link)) for link in links)
        self.pages[info.src_uri] = info
        self._sorted = False
        # A long page's rows are written a chunk at a time, each chunk on its own: marshalled
        # whole, or joined, they would be held twice while the page's tree is still in memory.
        # Not kept, they take no room: the block is empty, and its start may be the next
        # block's (the rows to other pages, after it, still tell which page wrote them).
        start = self._spool.size
        if self.outbound if outbound is None else outbound:
            for first in range(0, max(len(rows), 1), _CHUNK):
                self._spool.append(marshal.dumps(rows[first : first + _CHUNK]))
        length = self._spool.size - start
        parts: list[bytes] = []
        offset = start + length
        arriving = self._arriving
        internal = 0
        for row in rows:
            if row[_INTERNAL]:
                internal += 1
                data = marshal.dumps(row)
                parts.append(data)
                target = row[_TARGET]
                spots = arriving.get(target)
                if spots is None:
                    spots = arriving[target] = array("q")
                spots.append(offset)
                spots.append(len(data))
                offset += len(data)
        self._spool.append(b"".join(parts))
        self._blocks[info.src_uri] = (start, length, len(rows), internal)
        self._block_starts.append(start)
        self._block_sources.append(info.src_uri)

    def close(self) -> None:
        """Drop the rows; the graph keeps its pages but no longer knows their links."""
        self._spool.close()
        self._blocks = {}
        self._arriving = {}
        self._sorted = True

    def _rows_from(self, src_uri: str) -> tuple[LinkRow, ...]:
        block = self._blocks.get(src_uri)
        if block is None or not block[2] or not block[1]:
            return ()  # no record, no rows, or rows not kept (`outbound`)
        data = self._spool.read(block[0], block[1])
        if block[2] <= _CHUNK:
            rows: tuple[LinkRow, ...] = _load(data)
            return rows
        stream = io.BytesIO(data)
        return tuple(row for _ in range(0, block[2], _CHUNK) for row in _load_next(stream))

    def links_from(self, src_uri: str) -> tuple[Link, ...]:
        return tuple(map(_as_link, self._rows_from(src_uri)))

    def citations(self, src_uri: str) -> list[Link]:
        """Links from a page to outside works, in document order."""
        return [_as_link(row) for row in self._rows_from(src_uri) if not row[_INTERNAL]]

    def links_to(self, src_uri: str) -> list[Link]:
        """Internal links that point at a page, sorted by citing page then document order."""
        return list(map(_as_link, self._rows_to(src_uri)))

    def _rows_to(self, src_uri: str) -> list[LinkRow]:
        spots = self._incoming_index().get(src_uri)
        if not spots or src_uri not in self.pages:
            return []
        read = self._spool.read
        return [_load(read(spots[i], spots[i + 1])) for i in range(0, len(spots), 2)]

    def _incoming_index(self) -> dict[str, array[int]]:
        """Where the internal rows to each page are, sorted by citing page then document order
        once the graph is complete (sorted in place, so the index is not held twice). Rows of
        a page's earlier record are dropped here; rows to a page the graph does not hold stay
        for the page that may yet come, and `_rows_to` does not show them."""
        if not self._sorted:
            starts = self._block_starts
            sources = self._block_sources
            current = {src: block[0] for src, block in self._blocks.items()}
            for target, spots in self._arriving.items():
                keyed = []
                for i in range(0, len(spots), 2):
                    offset = spots[i]
                    block = bisect_right(starts, offset) - 1
                    source = sources[block]
                    if current.get(source) == starts[block]:
                        keyed.append((source, offset, spots[i + 1]))
                keyed.sort()
                self._arriving[target] = array("q", [n for _, *spot in keyed for n in spot])
            self._sorted = True
        return self._arriving

    def cited_works(
        self, src_uri: str, metadata: Mapping[str, WorkMeta] | None = None
    ) -> list[CitedSite]:
        """The page's citations grouped by site (sorted), each work once in the order the page
        first cites it: `(url, first link, how many times the page cites it)`.

        One work is one entry however it was written (`works.identity.work_key`): `http://`
        and `https://`, with and without `www.` or a trailing slash, or an old address whose
        check (`metadata`) ended at the same final URL, even on another site (an address
        that moved to a new domain): the entry stays in the group of the site first cited for
        it. The entry keeps the first link, under the URL whose metadata says something when
        the first one's says nothing.

        Plain tuples, made into the objects a theme sees by `credit_groups` only once each
        work's place is settled.
        """
        known = metadata or {}
        first: dict[str, Link] = {}
        count: dict[str, int] = {}
        for link in self.citations(src_uri):
            url = link.target
            if url in count:
                count[url] += 1
            else:
                first[url] = link
                count[url] = 1
        sites: dict[str, list[CitedWork]] = {}
        at: dict[str, tuple[list[CitedWork], int]] = {}  # work key to its site's list, place
        for url, link in first.items():
            meta = known.get(url)
            key = work_key(url, meta.final_url if meta is not None else "")
            found = at.get(key)
            if found is None:
                works = sites.setdefault(site_of(url), [])
                at[key] = (works, len(works))
                works.append((url, link, count[url]))
                continue
            works, place = found
            kept, kept_link, kept_count = works[place]
            shown = url if meta and not known.get(kept) else kept
            works[place] = (shown, kept_link, kept_count + count[url])
        return sorted(sites.items())

    def credit_groups(
        self, src_uri: str, metadata: Mapping[str, WorkMeta] | None = None
    ) -> list[CreditGroup]:
        """The page's citations grouped by site; each work once, with its first anchor text
        and, from `metadata` (by normalised URL), its title, author and link status."""
        known = metadata or {}
        return [
            CreditGroup(site, tuple(credit_entry(*work, known.get(work[0])) for work in works))
            for site, works in self.cited_works(src_uri, metadata)
        ]

    def shown_backlinks(self, src_uri: str) -> list[Link]:
        """The links a page's backlinks section shows: one per citing section and sentence
        (the first, in `links_to` order)."""
        return list(map(_as_link, self._shown_rows(src_uri)))

    def _shown_rows(self, src_uri: str) -> list[LinkRow]:
        """`shown_backlinks` as plain rows, which every page's section reads once: its entries
        are made from them without a `Link` in between."""
        shown: list[LinkRow] = []
        seen: set[tuple[str, str, str]] = set()
        for row in self._rows_to(src_uri):
            key = (row[0], row[_SECTION], row[_CONTEXT])
            if key not in seen:
                seen.add(key)
                shown.append(row)
        return shown

    def section_title(self, link: Link) -> str:
        """The title of the citing section to show beside the citing page's, '' for none (the
        h1 section is the page itself)."""
        return _section_title(self.pages[link.source], link.section)

    def backlink_entries(self, src_uri: str, from_url: str | None = None) -> list[BacklinkEntry]:
        """Where other pages link to this one: one entry per citing section and sentence.

        With `from_url` (the URL of the page that will show them) the entries' URLs are
        relative to it, ready for a template; without, they are site-relative.
        """
        relative = None if from_url is None else relative_urls_from(from_url)
        pages = self.pages
        entries: list[BacklinkEntry] = []
        for row in self._shown_rows(src_uri):
            source, section = row[0], row[_SECTION]
            page = pages[source]
            url = page.url if relative is None else relative(page.url)
            if section:
                url += "#" + section
            title = _section_title(page, section)
            entries.append(BacklinkEntry(source, url, page.title, title, row[_TEXT], row[_CONTEXT]))
        return entries

    def counts(self) -> tuple[int, int, int]:
        """Pages, internal links and citations in the graph (for the build summary)."""
        internal = sum(block[3] for block in self._blocks.values())
        total = sum(block[2] for block in self._blocks.values())
        return len(self.pages), internal, total - internal

    def export_header(self, site_url: str | None) -> dict[str, Any]:
        """The top-level fields of the export (everything but `pages`)."""
        return {"schema": EXPORT_SCHEMA, "version": EXPORT_VERSION, "site_url": site_url or None}

    def export_text(self, site_url: str | None) -> Iterator[str]:
        """The export (see the README for the schema) as chunks of JSON text, page by page:
        `export_head`, each page's `export_entry` on a line of its own, `EXPORT_TAIL`.

        The same bytes as `files.dump_json_lines` gives for the export as plain data (a
        test holds them equal).
        """
        base = export_base(site_url)
        yield self.export_head(site_url)
        separator = "\n"
        for src in sorted(self.pages):
            yield separator + self.export_entry(src, base)
            separator = ENTRY_SEPARATOR
        yield EXPORT_TAIL

    def export_head(self, site_url: str | None) -> str:
        """The export's text before its first page entry."""
        head = self.export_header(site_url)
        text = json.dumps(head, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return text[:-1] + ',\n"pages":{'

    def export_entry(self, src: str, base: str) -> str:
        """Page `src`'s entry in the export, `"src":{...}` with no separator; `base` is
        `export_base(site_url)`.

        Written out by hand: the export has a record for every link and every backlink of the
        site, and building a dict for each only to have `json` take it apart again was most
        of the export's cost (benchmarks/README.md has figures). Keys are in sorted order, as
        `sort_keys` would put them. The entry shows the page's own URL, title and rows, and
        the internal rows of other pages that link to it (`export_inputs` says which).
        """
        info = self.pages[src]
        citations: list[str] = []
        links: list[str] = []
        for row in self._rows_from(src):
            _source, href, target, anchor, text, context, section, rel, internal = row
            fields = (
                f'"context":{_q(context)},"href":{_q(href)},"rel":{_rel(rel)},'
                f'"section":{_q(section)},"target":{_q(target)},"text":{_q(text)}}}'
            )
            if internal:
                links.append(f'{{"anchor":{_q(anchor)},{fields}')
            else:
                citations.append("{" + fields)
        backlinks = [
            f'{{"anchor":{_q(row[3])},"context":{_q(row[5])},"href":{_q(row[1])},'
            f'"section":{_q(row[6])},"source":{_q(row[0])},"text":{_q(row[4])}}}'
            for row in self._rows_to(src)
        ]
        absolute = _q(base + info.url) if base else "null"
        return (
            f'{_q(src)}:{{"absolute_url":{absolute},'
            f'"backlinks":[{",".join(backlinks)}],"citations":[{",".join(citations)}],'
            f'"links":[{",".join(links)}],"title":{_q(info.title)},"url":{_q(info.url)}}}'
        )

    def linked_pages(self, src: str) -> set[str]:
        """The targets of page `src`'s internal links: the pages whose export entries show
        its rows as backlinks."""
        return {row[_TARGET] for row in self._rows_from(src) if row[_INTERNAL]}

    def export_inputs(self) -> dict[str, bytes]:
        """For each page, sorted by source path, a digest of what its export entry shows of
        the page itself: its URL, title and rows (the links it makes).

        An entry also shows the rows of the pages that link to it, so two builds whose
        digests for a page agree give it the same entry as long as no page linking to it (in
        either build) has a digest that changed (`graph/export.py` reuses entries so).
        """
        inputs: dict[str, bytes] = {}
        for src in sorted(self.pages):
            info = self.pages[src]
            # Marshalled again, not hashed as stored: marshal marks an object shared when
            # anything else holds it as it writes, so the stored bytes of equal rows differ
            # with what the process held (a rebuild of `mkdocs serve` holds other things).
            # Rows just read back are new objects, shared only among themselves.
            digest = hashlib.blake2b(_framed(info.url), digest_size=16)
            digest.update(_framed(info.title))
            digest.update(marshal.dumps(self._rows_from(src)))
            inputs[src] = digest.digest()
        return inputs

    def export_key(self, site_url: str | None, inputs: Mapping[str, bytes] | None = None) -> str:
        """A digest of all the export is made of: its format and site URL (`export_basis`)
        and each page's `export_inputs` (`inputs`, when the caller has them). Two graphs with
        one key give the same export bytes, so a build can keep the export and copy it while
        the key holds (`graph/export.py`). Reading the rows back is a small part of writing
        them out as JSON."""
        digest = hashlib.blake2b(export_basis(site_url), digest_size=20)
        for src, page in (self.export_inputs() if inputs is None else inputs).items():
            digest.update(_framed(src) + page)
        return digest.hexdigest()

    def export(self, site_url: str | None) -> dict[str, Any]:
        """The whole export as one document, read back from `export_text`."""
        document: dict[str, Any] = json.loads("".join(self.export_text(site_url)))
        return document


def _section_title(page: PageInfo, section: str) -> str:
    """The title of `page`'s section `section` to show beside the page's own, '' for none:
    no section, or the h1's, which is the page itself."""
    if not section:
        return ""
    title = page.sections.get(section, "")
    return "" if title == page.title else title


@functools.cache
def _format_digest() -> bytes:
    """What the export's bytes depend on besides the graph: its schema and version, and the
    code that writes it (this file; the package's version where the file cannot be read)."""
    try:
        code = Path(__file__).read_bytes()
    except OSError:
        code = __version__.encode()
    return f"{EXPORT_SCHEMA} {EXPORT_VERSION}\n".encode() + hashlib.blake2b(code).digest()


def export_base(site_url: str | None) -> str:
    """What a page's URL is joined to for its `absolute_url` in the export ('' for none)."""
    return site_url.rstrip("/") + "/" if site_url else ""


def export_basis(site_url: str | None) -> bytes:
    """What every entry of the export depends on besides the graph: its format
    (`_format_digest`) and the site's URL."""
    return _format_digest() + _framed(site_url or "")


def _framed(text: str) -> bytes:
    data = text.encode("utf-8", "surrogatepass")
    return len(data).to_bytes(8, "little") + data


def _load(data: bytes) -> Any:
    """Rows back from the spool. `marshal` is safe here, as it is not on untrusted input: the
    bytes are this process's own, written moments before into a private temporary file (mode
    0600, unlinked at creation on POSIX), and it is the fastest way back to plain tuples."""
    return marshal.loads(data)  # noqa: S302


def _load_next(stream: io.BytesIO) -> Any:
    """The next chunk of a long page's rows (see `_load` for why marshal is safe here)."""
    return marshal.load(stream)  # noqa: S302


def _rel(values: tuple[str, ...]) -> str:
    return "[" + ",".join(map(_q, values)) + "]" if values else "[]"
