"""Cut the sentence around a link out of the plain text of its block."""

from __future__ import annotations

import re

# A sentence ends at . ! ? or an ellipsis, optionally followed by closing quotes or brackets,
# then white space. Abbreviations ("e.g. ") split too early; a short snippet is still useful.
_SENTENCE_END = re.compile(r"([.!?\u2026][\"'\u201d\u2019)\]]*)\s+")
_ELLIPSIS = "\u2026"


def collapse(text: str) -> str:
    """Fold runs of white space into single spaces and trim the ends."""
    return " ".join(text.split())


def sentence_around(text: str, start: int, end: int, limit: int) -> str:
    """The sentence containing `text[start:end]`, at most `limit` characters, white space folded.

    When the sentence is longer than `limit`, a window centred on the link is kept, cut at word
    boundaries, with an ellipsis on each cut side, so the reader still sees the linked words.
    """
    begin = 0
    for match in _SENTENCE_END.finditer(text, 0, start):
        begin = match.end()
    after = _SENTENCE_END.search(text, end)
    finish = after.end(1) if after else len(text)
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
