"""Which page of the site a mention is about: its target's URL matched to a page's path."""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from mkdocs_backlinks.mentions.model import Mention
from mkdocs_backlinks.mentions.moderation import Moderation

__all__ = ["group_by_page", "page_key"]


@dataclass(frozen=True, slots=True)
class _Origin:
    host: str  # lower case, without `www.`
    port: int | None  # None for the scheme's default
    path: str  # decoded, ends with '/'


def _origin(url: str) -> _Origin | None:
    if "://" not in url:
        url = "https://" + url  # an alias written as a bare domain
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if scheme not in ("http", "https") or not host:
        return None
    if host.startswith("www."):
        host = host[4:]
    if port in (80, 443):
        port = None  # http and https of one host are one site; their default ports too
    # Dot segments resolved as a browser does; lstrip, because normpath keeps a leading '//'.
    path = posixpath.normpath("/" + unquote(parts.path).lstrip("/"))
    return _Origin(host, port, path.rstrip("/") + "/")


def page_key(url: str, site_url: str, aliases: Sequence[str] = ()) -> str | None:
    """The site-relative path (`posts/hello/`, `''` for the home page) of a URL on the site.

    The variants a receiver may send for one page all give the same key: http or https, with
    or without `www.`, with or without the trailing slash or `index.html`, with any query or
    fragment, with percent-encoding in any case or none. `aliases` are other origins that
    served the site (an old domain, a former sub-path); a URL under one maps onto `site_url`
    as if it were under it, the longest matching prefix winning. None for URLs off the site.
    """
    target = _origin(url)
    if target is None:
        return None
    best: str | None = None
    best_length = -1
    for base in (site_url, *aliases):
        origin = _origin(base) if base else None
        if origin is None or (origin.host, origin.port) != (target.host, target.port):
            continue
        within = target.path.startswith(origin.path)
        if within and len(origin.path) > best_length:
            best, best_length = target.path[len(origin.path) :], len(origin.path)
    if best is None:
        return None
    # `_origin` added a slash to every path; put back the file names MkDocs serves as files.
    rest = best.rstrip("/")
    name = rest.rpartition("/")[2]
    if name == "index.html":
        rest = rest[: -len(name)].rstrip("/")
    elif "." in name:
        return rest
    return rest + "/" if rest else ""


def group_by_page(
    mentions: Iterable[Mention],
    site_url: str,
    aliases: Sequence[str] = (),
    moderation: Moderation | None = None,
) -> dict[str, list[Mention]]:
    """The mentions to show, under the `page_key` of their target; off-site and hidden ones
    are left out. Order within a page is the order given (the store's)."""
    pages: dict[str, list[Mention]] = {}
    for mention in mentions:
        if moderation is not None and moderation.is_hidden(mention):
            continue
        key = page_key(mention.target, site_url, aliases)
        if key is not None:
            pages.setdefault(key, []).append(mention)
    return dict(sorted(pages.items()))
