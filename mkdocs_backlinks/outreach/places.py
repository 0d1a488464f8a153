"""The few places a note quotes: distinct pages, the sentences that say most.

A note is an email. A site that cites someone on two hundred pages should say so in one line,
not quote two hundred sentences: the note quotes the best `QUOTED` places and counts the rest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from mkdocs_backlinks.ledger.model import Citation

# What `_bare` drops: neither letter, digit nor white space (`str.isalnum`, `str.isspace`;
# `\w` is `isalnum` plus the underscore). One regex pass instead of a test per character, for
# every citation of every note on a first build.
_PUNCTUATION = re.compile(r"[^\w\s]|_")

QUOTED = 3
"""Pages a note quotes; the rest are counted ("and on N more pages")."""


@dataclass(frozen=True, slots=True)
class Place:
    """A page that cites the contact's works, with the sentence to quote ('' for none)."""

    page: str
    title: str
    url: str
    context: str
    works: int
    """How many of the contact's works the page cites (for "it" or "them")."""

    def as_dict(self) -> dict[str, object]:
        """As the note templates get a page."""
        return {"title": self.title, "url": self.url, "context": self.context, "works": self.works}


def says_something(context: str, text: str) -> bool:
    """Whether a link's sentence says more than its anchor text: not empty (an image-only
    link has neither), and not the anchor text alone (a link in a list of links)."""
    bare = _bare(context)
    return bool(bare) and bare != _bare(text)


def _bare(text: str) -> str:
    """The words of `text`, lower case, without punctuation: what tells two sentences apart."""
    return " ".join(_PUNCTUATION.sub("", text.lower()).split())


def best_places(
    cited: Iterable[tuple[str, Citation]], limit: int = QUOTED
) -> tuple[list[Place], int]:
    """The places to quote and how many pages are left out.

    `cited` pairs each citation with the key of the work it cites. Each page appears once,
    with its most telling sentence (the longest that says something) and no sentence twice;
    pages with something to quote come first, longer sentences before shorter, then by path.
    The public URL of a page is '' when it is not absolute (a site without `site_url`): a
    note holds no link a reader cannot follow.
    """
    by_page: dict[str, list[tuple[str, Citation]]] = {}
    for key, citation in cited:
        by_page.setdefault(citation.page, []).append((key, citation))
    candidates = []
    for page, found in by_page.items():
        contexts = sorted(
            {c.context.strip() for _, c in found if says_something(c.context, c.text)},
            key=lambda text: (-len(text), text),
        )
        first = found[0][1]
        url = first.page_url if first.page_url.startswith(("https://", "http://")) else ""
        works = len({key for key, _ in found})
        candidates.append((page, first.page_title, url, contexts, works))
    candidates.sort(key=lambda c: (not c[3], -len(c[3][0]) if c[3] else 0, c[0]))
    quoted: set[str] = set()
    places: list[Place] = []
    for page, title, url, contexts, works in candidates[:limit]:
        context = next((text for text in contexts if text not in quoted), "")
        quoted.add(context)
        places.append(Place(page, title, url, context, works))
    return places, max(len(candidates) - limit, 0)
