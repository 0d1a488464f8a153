"""Small text helpers every concern shares, so that a cut or a one-line form reads the same in
the sections, the notes, the command line and the stored files."""

from __future__ import annotations

ELLIPSIS = "\u2026"


def fold(text: str) -> str:
    """`text` on one line: runs of white space as one space, none at either end."""
    return " ".join(text.split())


def cut(text: str, limit: int, *, strip: bool = True) -> str:
    """`text` when it fits in `limit` characters, else its start and an ellipsis, `limit` long
    at most. `strip` drops the white space the cut leaves before the ellipsis ("word …" reads
    as a typo); a URL or an identifier is cut as it is."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    return (head.rstrip() if strip else head) + ELLIPSIS
