"""Cut the sentence around a link out of the plain text of its block."""

from __future__ import annotations

import bisect
import operator
import re
from collections.abc import Sequence

from mkdocs_backlinks.text import fold

# A sentence ends at . ! ? or an ellipsis, optionally followed by closing quotes or brackets,
# then white space. Abbreviations ("e.g. ") split too early; a short snippet is still useful.
_SENTENCE_END = re.compile(r"([.!?\u2026][\"'\u201d\u2019)\]]*)\s+")
# Where a clause ends: a comma, semicolon, colon or dash followed by white space, or a spaced
# hyphen. Used only to shorten a sentence longer than the snippet length.
_CLAUSE_END = re.compile(r"[,;:\u2014\u2013]\s+|\s[-\u2013\u2014]\s")
# A word of two letters or more: what a sentence needs to say something besides its links.
_WORD = re.compile(r"[^\W\d_]{2,}")
_ELLIPSIS = "\u2026"
_punctuation_end = operator.methodcaller("end", 1)

collapse = fold
"""Fold runs of white space into single spaces and trim the ends (`text.fold`)."""

Span = tuple[int, int]
"""Start and end offsets of a link's text in its block's text."""


class Sentences:
    """The sentence boundaries of one block's text, found once for all the links in it."""

    __slots__ = ("_ends", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._ends = list(_SENTENCE_END.finditer(text))

    def around(self, start: int, end: int, limit: int, links: Sequence[Span] = ()) -> str:
        """See `sentence_around`."""
        ends = self._ends
        text = self.text
        # The last boundary whose punctuation and at least one white-space character come
        # before the link (as `finditer(text, 0, start)` sees it: a link whose text starts
        # with white space begins inside a boundary's run), the first that begins after it.
        index = bisect.bisect_left(ends, start, key=_punctuation_end) - 1
        begin = min(ends[index].end(), start) if index >= 0 else 0
        after = bisect.bisect_left(ends, end, key=re.Match.start)
        finish = ends[after].end(1) if after < len(ends) else len(text)
        # A sentence made only of links, such as "(#2930, #2984)" after a full stop, says
        # nothing by itself: the sentence before it is what it belongs to.
        while index >= 0 and not _has_own_words(text, begin, finish, links or ((start, end),)):
            index -= 1
            begin = ends[index].end() if index >= 0 else 0
        return _shorten(text, begin, finish, start, end, limit)


def sentence_around(text: str, start: int, end: int, limit: int, links: Sequence[Span] = ()) -> str:
    """The sentence containing `text[start:end]`, at most `limit` characters, white space folded.

    A sentence whose only words are link texts (`links`, the block's links; the link itself
    when empty) is read with the sentence before it. A sentence longer than `limit` is cut to
    the clauses around the link; when the link's clause alone is too long, a window centred on
    the link is kept, cut at word boundaries. Each cut side gets an ellipsis, so the reader
    still sees the linked words. For several links in one text, `Sentences` finds the
    boundaries once.
    """
    previous: list[int] = [0]
    for match in _SENTENCE_END.finditer(text, 0, start):
        previous.append(match.end())
    begin = previous.pop()
    after = _SENTENCE_END.search(text, end)
    finish = after.end(1) if after else len(text)
    while previous and not _has_own_words(text, begin, finish, links or ((start, end),)):
        begin = previous.pop()
    return _shorten(text, begin, finish, start, end, limit)


def _has_own_words(text: str, begin: int, finish: int, links: Sequence[Span]) -> bool:
    """Whether `text[begin:finish]` has a word outside the link texts `links` (in order)."""
    pos = begin
    for link_start, link_end in links:
        if link_end <= pos or link_start >= finish:
            continue
        if link_start > pos and _WORD.search(text, pos, link_start):
            return True
        pos = link_end
    return pos < finish and _WORD.search(text, pos, finish) is not None


def _shorten(text: str, begin: int, finish: int, start: int, end: int, limit: int) -> str:
    """`text[begin:finish]` folded, or when too long the whole clauses around the link."""
    if finish - begin <= limit or len(collapse(text[begin:finish])) <= limit:
        return collapse(text[begin:finish])
    cuts = _clause_cuts(text, begin, finish)
    low = max([cut_end for _cut_start, cut_end in cuts if cut_end <= start], default=begin)
    high = min([cut_start for cut_start, _cut_end in cuts if cut_start >= end], default=finish)
    if high - low > limit - 2:
        # The link's own clause is too long: a window centred on the link, as a last resort.
        return _cut(text, begin, finish, start, end, limit)
    # Grow by whole clauses, earlier ones first (they lead to the link), while it fits with
    # the ellipsis each side still cut will get.
    for cut_end in [*sorted((e for _s, e in cuts if e < low), reverse=True), begin]:
        if high - cut_end + (cut_end != begin) + (high != finish) > limit:
            break
        low = cut_end
    for cut_start in [*sorted(s for s, _e in cuts if s > high), finish]:
        if cut_start - low + (low != begin) + (cut_start != finish) > limit:
            break
        high = cut_start
    prefix = "" if low == begin else _ELLIPSIS
    suffix = "" if high == finish else _ELLIPSIS
    return prefix + collapse(text[low:high]) + suffix


def _clause_cuts(text: str, begin: int, finish: int) -> list[Span]:
    """The clause boundaries of `text[begin:finish]` outside parentheses."""
    cuts: list[Span] = []
    depth = 0
    pos = begin
    for match in _CLAUSE_END.finditer(text, begin, finish):
        piece = text[pos : match.start()]
        depth = max(depth + piece.count("(") - piece.count(")"), 0)
        pos = match.start()
        if not depth:
            cuts.append((match.start(), match.end()))
    return cuts


def _cut(text: str, begin: int, finish: int, start: int, end: int, limit: int) -> str:
    sentence = text[begin:finish]
    if len(sentence) <= limit:
        return collapse(sentence)
    # Too long: keep the link in view and share the rest of the budget between both sides;
    # two characters are kept back for the ellipses.
    room = max(limit - 2, 1)
    link_start, link_end = start - begin, end - begin
    length = len(sentence)
    left = max(min(link_start - (room - (link_end - link_start)) // 2, length - room), 0)
    right = min(left + room, length)
    piece = sentence[left:right]
    if left > 0:
        cut = piece.find(" ")
        if 0 <= cut < link_start - left:  # drop the partial first word, never the link
            piece = piece[cut + 1 :]
        piece = _ELLIPSIS + piece
    if right < length:
        cut = piece.rfind(" ")
        if cut >= len(piece) - (right - link_end):  # drop the partial last word
            piece = piece[:cut]
        piece += _ELLIPSIS
    collapsed = collapse(piece)
    return collapsed if len(collapsed) <= limit else collapsed[: limit - 1] + _ELLIPSIS
