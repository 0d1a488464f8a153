"""The few places a note quotes: distinct pages, the sentences that say most.

A note is an email. A site that cites someone on two hundred pages should say so in one line,
not quote two hundred sentences: the note quotes the best `QUOTED` places and counts the rest.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from mkdocs_backlinks.ledger.model import Citation
from mkdocs_backlinks.text import fold

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
    if limit <= 0:
        return [], len(by_page)
    # A page's longest sentence bounds the one it quotes (a sentence that says nothing is not
    # quoted), so pages are judged longest first, and judging stops once no page left can
    # beat those kept: a contact cited on thousands of pages is not read sentence by sentence.
    longest = {
        page: max(len(citation.context.strip()) for _, citation in found)
        for page, found in by_page.items()
    }
    kept: list[_Candidate] = []  # pages with something to quote, best first, at most `limit`
    silent: list[_Candidate] = []
    for page in sorted(by_page, key=lambda page: (-longest[page], page)):
        if len(kept) == limit and longest[page] < len(kept[-1].contexts[0]):
            break
        candidate = _candidate(page, by_page[page])
        if candidate.contexts:
            bisect.insort(kept, candidate, key=_rank)
            del kept[limit:]
        else:
            silent.append(candidate)
    # Fewer than `limit` pages quote something only when every page was judged.
    ranked = kept + sorted(silent, key=lambda candidate: candidate.page)
    quoted: set[str] = set()
    places: list[Place] = []
    for candidate in ranked[:limit]:
        context = next((text for text in candidate.contexts if text not in quoted), "")
        quoted.add(context)
        places.append(
            Place(candidate.page, candidate.title, candidate.url, context, candidate.works)
        )
    return places, max(len(by_page) - limit, 0)


class _Candidate(NamedTuple):
    """A page that may be quoted: its sentences that say something, longest first."""

    page: str
    title: str
    url: str
    contexts: list[str]
    works: int


def _candidate(page: str, found: list[tuple[str, Citation]]) -> _Candidate:
    contexts = sorted(
        {c.context.strip() for _, c in found if says_something(c.context, c.text)},
        key=lambda text: (-len(text), text),
    )
    first = found[0][1]
    url = first.page_url if first.page_url.startswith(("https://", "http://")) else ""
    title = first.page_title.strip() or _untitled(page)
    return _Candidate(page, title, url, contexts, len({key for key, _ in found}))


def _untitled(page: str) -> str:
    """What a note calls a page without a title (front matter `title: ""`): its file's name
    as words (`getting-started.md`: "getting started"), a folder's for its index page."""
    folder, _, name = page.rpartition("/")
    stem = name.rpartition(".")[0] or name
    if stem.lower() in ("index", "readme"):
        stem = folder.rpartition("/")[2]
    return fold(stem.replace("-", " ").replace("_", " ")) or "my home page"


def _rank(candidate: _Candidate) -> tuple[int, str]:
    """Where a page that quotes something comes: longer sentences first, then by path."""
    return -len(candidate.contexts[0]), candidate.page
