"""Keeping the caller's secrets out of redirects, results and log lines.

Credentials (Authorization, Cookie and query parameters the caller marks secret) never follow
a redirect to another origin, and any text that may quote them is scrubbed before it leaves
the client.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import unquote_plus, urlsplit, urlunsplit

__all__ = ["redact", "scrub", "secret_values", "strip_params", "without_credentials"]

_CREDENTIAL_HEADERS = ("Authorization", "Proxy-Authorization", "Cookie")


def without_credentials(headers: Mapping[str, str]) -> dict[str, str]:
    """`headers` less the ones that carry credentials, for a hop on another origin."""
    return {
        name: value
        for name, value in headers.items()
        if name.lower() not in {h.lower() for h in _CREDENTIAL_HEADERS}
    }


def _query_key(piece: str) -> str:
    return unquote_plus(piece.partition("=")[0])


def strip_params(url: str, names: frozenset[str]) -> str:
    """`url` without the query parameters in `names`; the others keep their exact bytes."""
    if not names:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:  # no URL (an unclosed IPv6 bracket): its whole query goes
        return url.partition("?")[0]
    if not parts.query:
        return url
    kept = [piece for piece in parts.query.split("&") if _query_key(piece) not in names]
    return urlunsplit(parts._replace(query="&".join(kept)))


def redact(url: str, names: frozenset[str]) -> str:
    """`url` for a log line: secret parameters keep their name, lose their value."""
    if not names:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:  # no URL (an unclosed IPv6 bracket): its whole query is hidden
        base, question, _ = url.partition("?")
        return base + ("?REDACTED" if question else "")
    if not parts.query:
        return url
    pieces = [
        f"{piece.partition('=')[0]}=REDACTED" if _query_key(piece) in names else piece
        for piece in parts.query.split("&")
    ]
    return urlunsplit(parts._replace(query="&".join(pieces)))


def secret_values(url: str, names: frozenset[str], headers: Mapping[str, str]) -> tuple[str, ...]:
    """Every secret the caller handed us, in the forms it may appear in text."""
    values: set[str] = set()
    try:
        query = urlsplit(url).query
    except ValueError:  # not a URL (an unclosed IPv6 bracket): the client refuses it as such
        query = url.partition("?")[2].partition("#")[0]
    for piece in query.split("&"):
        if names and _query_key(piece) in names:
            raw = piece.partition("=")[2]
            values.update({raw, unquote_plus(raw)})
    for name, value in headers.items():
        if name.lower() in {h.lower() for h in _CREDENTIAL_HEADERS}:
            values.add(value)
            values.add(value.partition(" ")[2])
    return tuple(sorted((v for v in values if v), key=len, reverse=True))


def scrub(message: str, secrets: tuple[str, ...]) -> str:
    """`message` with every secret in `secrets` replaced by ***."""
    for secret in secrets:
        message = message.replace(secret, "***")
    return message
