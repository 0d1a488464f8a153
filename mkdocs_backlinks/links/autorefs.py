"""Cross-references written for mkdocs-autorefs (`[text][identifier]`), resolved late.

mkdocs-autorefs turns such a reference into an `<autoref identifier=...>` element while the page
converts, and into a link only in its `on_env`, once every page (and every API object rendered by
mkdocstrings) has registered its anchors. The collector therefore records each reference with
the text, sentence and section known during conversion, and `resolve_refs` turns it into a link
row once the plugin can ask autorefs where the identifier lives.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urljoin

from mkdocs_backlinks.graph.linkgraph import LinkRow
from mkdocs_backlinks.links.urls import SiteMap


@dataclass(frozen=True, slots=True)
class PendingRef:
    """One cross-reference found on a page, waiting for autorefs' map of identifiers."""

    source: str
    """Source path of the citing page."""
    identifier: str
    """What autorefs looks up first (an API object's path, a heading's id)."""
    slug: str
    """What autorefs looks up when the identifier is unknown ('' when none)."""
    optional: bool
    """Made by mkdocstrings for a signature or annotation, not written by the author."""
    text: str
    """The linked text, white space folded."""
    context: str
    """The sentence around the reference."""
    section: str
    """Id of the heading the reference sits under ('' before the first)."""
    position: int = 0
    """How many of the page's link rows came before it: where its row goes among them."""


Lookup = Callable[[str, str], str]
"""`(identifier, citing page's src_uri) -> URL relative to the site's root`, raising KeyError
when the identifier is unknown."""


def autorefs_lookup(autorefs: Any, site: SiteMap) -> Lookup | None:
    """A `Lookup` asking the mkdocs-autorefs plugin instance `autorefs`; None when it is absent
    or has no `get_item_url` (an autorefs older than this code knows).

    The citing page's URL is passed as autorefs' `from_url`, so an identifier registered on
    several pages resolves to the one autorefs itself links (its `resolve_closest`), and the
    relative URL it gives back is made site-relative again.
    """
    get_item_url = getattr(autorefs, "get_item_url", None)
    if not callable(get_item_url):
        return None
    pages = site.pages

    def lookup(identifier: str, source: str) -> str:
        page_url = pages.get(source, "")
        url = str(get_item_url(identifier, from_url=page_url)[0])
        if _elsewhere(url):
            return url  # another project's inventory: left out by the caller
        return urljoin("/" + page_url, url).removeprefix("/")

    return lookup


def resolve_refs(
    refs: Iterable[PendingRef],
    lookup: Lookup,
    site: SiteMap,
    excluded: Container[str] = frozenset(),
) -> list[tuple[int, LinkRow]]:
    """The internal-link rows of `refs` that point to a page of `site`, in order, each with
    its `position` among the page's other rows (see `place_refs`).

    Each row is the one an `<a href>` to that page and anchor would give; its href is the URL
    autorefs gave. Targets in `excluded` (the collector's `excluded_targets`) are left out.

    autorefs gives site-relative URLs (`api/#pkg.Foo`) for anchors of this site and absolute
    ones for inventory items of other projects: those are cross-references to another
    project's API, not citations of a work, so they are left out, as are optional references
    (the author did not write them) and unknown identifiers (autorefs warns about those itself).
    """
    rows: list[tuple[int, LinkRow]] = []
    for ref in refs:
        if ref.optional:
            continue
        url = _look_up(ref, lookup)
        if url is None or _elsewhere(url):
            continue
        path, _, anchor = url.partition("#")
        target = site.page_for_url_path(unquote(path))
        if target is None or target == ref.source or target in excluded:
            continue
        anchor = unquote(anchor)
        row: LinkRow = (
            ref.source, url, target, anchor, ref.text, ref.context, ref.section, (), True,
        )  # fmt: skip
        rows.append((ref.position, row))
    return rows


def place_refs(links: Sequence[LinkRow], placed: Iterable[tuple[int, LinkRow]]) -> list[LinkRow]:
    """The page's rows with the resolved references put back where they were written, so
    the page's rows are in document order as if autorefs had made plain links."""
    merged: list[LinkRow] = []
    done = 0
    for position, row in sorted(placed, key=lambda item: item[0]):
        merged.extend(links[done:position])
        done = max(done, position)
        merged.append(row)
    merged.extend(links[done:])
    return merged


def _elsewhere(url: str) -> bool:
    """Whether autorefs gave an address on another site (a scheme, or `//host`): an item of
    another project's inventory, not a page of this one."""
    return ":" in url.partition("#")[0] or url.startswith("//")


def _look_up(ref: PendingRef, lookup: Lookup) -> str | None:
    for identifier in (ref.identifier, ref.slug):
        if not identifier:
            continue
        try:
            return lookup(identifier, ref.source)
        except KeyError:
            continue
    return None
