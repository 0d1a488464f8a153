"""Cut the sentence around a link out of the plain text of its block."""

from __future__ import annotations

import bisect
import operator
import re

# A sentence ends at . ! ? or an ellipsis, optionally followed by closing quotes or brackets,
# then white space. Abbreviations ("e.g. ") split too early; a short snippet is still useful.
_SENTENCE_END = re.compile(r"([.!?\u2026][\"'\u201d\u2019)\]]*)\s+")
_ELLIPSIS = "\u2026"
_punctuation_end = operator.methodcaller("end", 1)


def collapse(text: str) -> str:
    """Fold runs of white space into single spaces and trim the ends."""
    return " ".join(text.split())


class Sentences:
    """The sentence boundaries of one block's text, found once for all the links in it."""

    __slots__ = ("_ends", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._ends = list(_SENTENCE_END.finditer(text))

    def around(self, start: int, end: int, limit: int) -> str:
        """See `sentence_around`."""
        ends = self._ends
        # The last boundary whose punctuation and at least one white-space character come
        # before the link (as `finditer(text, 0, start)` sees it: a link whose text starts
        # with white space begins inside a boundary's run), the first that begins after it.
        index = bisect.bisect_left(ends, start, key=_punctuation_end) - 1
        begin = min(ends[index].end(), start) if index >= 0 else 0
        index = bisect.bisect_left(ends, end, key=re.Match.start)
        finish = ends[index].end(1) if index < len(ends) else len(self.text)
        return _cut(self.text, begin, finish, start, end, limit)


def sentence_around(text: str, start: int, end: int, limit: int) -> str:
    """The sentence containing `text[start:end]`, at most `limit` characters, white space folded.

    When the sentence is longer than `limit`, a window centred on the link is kept, cut at word
    boundaries, with an ellipsis on each cut side, so the reader still sees the linked words.
    For several links in one text, `Sentences` finds the boundaries once.
    """
    begin = 0
    for match in _SENTENCE_END.finditer(text, 0, start):
        begin = match.end()
    after = _SENTENCE_END.search(text, end)
    return _cut(text, begin, after.end(1) if after else len(text), start, end, limit)


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
