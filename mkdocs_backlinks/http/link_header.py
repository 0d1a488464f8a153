"""HTTP `Link` header fields (RFC 8288), read one way for every part of the plugin.

Three readers need them: Webmention discovery (`rel=webmention`, W3C Webmention 3.1.2), the
metadata of cited works (`rel=me`, `author`, `canonical`) and paged JF2 feeds (`rel=next`).
They used to carry two parsers that disagreed on real headers (an unquoted `rel=a b`, a link
after a malformed one); one parser means a header says the same thing to all of them.

The algorithm is RFC 8288 Appendix B: every header line in order, every comma-separated
link-value in order, `<...>` taken whole (commas and semicolons inside the brackets belong to
the URL), quoted or bare parameters, only the first `rel` of a link-value, relation types split
on HTTP whitespace and compared ASCII case-insensitively. A target resolves against the URL the
response came from (after redirects); never against an HTML `<base>`, which is the document's.

Where this departs from the appendix, it is stricter, never more lenient:

- Parsing a line stops at the first malformed link-value; the ones before it stand. Skipping to
  the next comma instead would let a comma inside a broken quoted string start a "link" that
  the server never sent.
- A quoted-string that never closes makes its link-value malformed (the appendix would take the
  rest of the line as its value): the header was cut off, and `rel="webmention` may have been
  `rel="webmentions"`. Only what the server wrote in full is believed.

Every step moves forward through the text, so a hostile header costs time linear in its length
(and `http.client` already caps a header line at 64 KiB).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin

__all__ = [
    "ASCII_LOWER",
    "HeaderLink",
    "first_with_rel",
    "header_text",
    "parse_link_headers",
    "resolve",
]

# HTTP's optional whitespace; CR and LF too, in case an obsolete folded header kept them.
_OWS = " \t\r\n"
_RWS = re.compile(r"[ \t\r\n]+")
# The URL Standard strips C0 controls and spaces around a URL and drops tabs and newlines
# inside it, which is how a browser reads `href=" /webmention\n"`.
_C0_AND_SPACE = "".join(chr(code) for code in range(0x21))
_TAB_AND_NEWLINE = str.maketrans("", "", "\t\n\r")
# Relation types compare ASCII case-insensitively; str.lower would also fold non-ASCII letters
# that merely look alike (the Kelvin sign is not a "k").
ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


@dataclass(frozen=True, slots=True)
class HeaderLink:
    """One link-value of a `Link` header."""

    target: str
    """The URI reference as written between `<` and `>`."""
    url: str
    """`target` resolved against the response URL; "" when it is no valid URL (an unclosed
    IPv6 bracket): the link was still advertised, which matters when the first one wins."""
    rels: frozenset[str]
    """Its relation types, lower case; empty without a `rel` parameter."""


def parse_link_headers(lines: Iterable[str], base: str) -> list[HeaderLink]:
    """Every link-value of the `Link` header lines `lines`, in order (lines, then values).

    `lines` are the header lines as `Result.link_headers` holds them (unmerged, decoded as
    Latin-1 by `http.client`; see `header_text`). `base` is the URL the response came from.
    """
    return [
        HeaderLink(target, resolve(target, base), relations)
        for line in lines
        for target, relations in _parse_field(header_text(line))
    ]


def first_with_rel(lines: Iterable[str], rel: str, base: str) -> HeaderLink | None:
    """The first link-value whose relation types include `rel` (lower case), or None."""
    return next((link for link in parse_link_headers(lines, base) if rel in link.rels), None)


def header_text(line: str) -> str:
    """A header line as sent: `http.client` decodes header bytes as Latin-1, servers send UTF-8.

    Text that is not Latin-1-encodable (already decoded) or not UTF-8 is returned unchanged.
    """
    try:
        return line.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return line


def resolve(reference: str, base: str) -> str:
    """`reference` made absolute against `base` as the URL Standard would; "" if invalid.

    Unlike `urljoin`, an empty reference drops the base's fragment ("" names the document,
    not a place in it). The query string is kept byte for byte. An invalid URL is "" rather
    than None so that callers still know a link was advertised (and took precedence).
    Shared with the HTML readers, where an `href` resolves by the same rule.
    """
    cleaned = reference.strip(_C0_AND_SPACE).translate(_TAB_AND_NEWLINE)
    try:
        return urljoin(base, cleaned) if cleaned else urldefrag(base).url
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return ""


# --- RFC 8288, Appendix B ---------------------------------------------------------------------


class _Malformed(Exception):
    """A link-value that breaks the grammar: it and the rest of its line are dropped."""


def _skip(text: str, index: int, characters: str) -> int:
    while index < len(text) and text[index] in characters:
        index += 1
    return index


def _parse_field(value: str) -> Iterator[tuple[str, frozenset[str]]]:
    """Each link-value of one Link field value: its target string and relation types.

    Appendix B.2, with two departures from the letter of the algorithm rather than from the
    grammar: the comma ending a link-value is consumed (as printed, the algorithm would stop at
    it), and empty list elements (", ,") are skipped, as RFC 9110 section 5.6.1 asks of
    recipients. It stops at the first malformed link-value (see the module docstring).
    """
    index = 0
    while True:
        index = _skip(value, index, _OWS + ",")
        if index >= len(value) or value[index] != "<":
            return
        close = value.find(">", index + 1)
        if close < 0:
            return
        target = value[index + 1 : close]
        try:
            parameters, index = _parse_parameters(value, close + 1)
        except _Malformed:
            return
        # Only the first rel counts: "occurrences after the first MUST be ignored by parsers".
        relations = next((v for name, v in parameters if name == "rel"), "")
        yield target, frozenset(r.translate(ASCII_LOWER) for r in _RWS.split(relations) if r)
        index = _skip(value, index, _OWS)
        if index < len(value) and value[index] != ",":
            return


def _parse_parameters(value: str, index: int) -> tuple[list[tuple[str, str]], int]:
    """The `; name=value` parameters after a link target (Appendix B.3).

    Returns them with lowercased names, and the index where they end (at the "," that ends
    the link-value, at whatever stopped them, or at the end).
    """
    parameters: list[tuple[str, str]] = []
    while True:
        index = _skip(value, index, _OWS)
        if index >= len(value) or value[index] != ";":
            return parameters, index
        index = _skip(value, index + 1, _OWS)
        start = index
        while index < len(value) and value[index] not in _OWS + "=;,":
            index += 1
        name = value[start:index].translate(ASCII_LOWER)
        index = _skip(value, index, _OWS)
        parameter = ""
        if index < len(value) and value[index] == "=":
            index = _skip(value, index + 1, _OWS)
            if index < len(value) and value[index] == '"':
                parameter, index = _parse_quoted(value, index)
            else:
                start = index
                while index < len(value) and value[index] not in ";,":
                    index += 1
                parameter = value[start:index]
        parameters.append((name, parameter))
        index = _skip(value, index, _OWS)
        if index >= len(value) or value[index] == ",":
            return parameters, index


def _parse_quoted(value: str, index: int) -> tuple[str, int]:
    """A quoted-string starting at `value[index]` (a DQUOTE), unescaped (Appendix B.4).

    Raises `_Malformed` when it never closes: what follows the quote is not all of the value.
    """
    output: list[str] = []
    index += 1
    while index < len(value):
        character = value[index]
        if character == "\\":
            if index + 1 >= len(value):
                break
            output.append(value[index + 1])
            index += 2
        elif character == '"':
            return "".join(output), index + 1
        else:
            output.append(character)
            index += 1
    raise _Malformed
