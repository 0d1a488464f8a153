"""Who mentions this site: the sites behind the stored mentions, for the relationships view."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

from mkdocs_backlinks.links.urls import domain_matches, host_of, site_of
from mkdocs_backlinks.mentions.model import RELAYS, Mention
from mkdocs_backlinks.mentions.moderation import Moderation
from mkdocs_backlinks.mentions.pages import page_key

__all__ = ["mentioning_sites"]


def mentioning_sites(
    mentions: Iterable[Mention],
    moderation: Moderation,
    site_url: str,
    aliases: Sequence[str] = (),
    relays: Sequence[str] = RELAYS,
) -> tuple[tuple[str, int, str], ...]:
    """Who mentions this site: (site, mentions, latest date) for the relationships view.

    Counted: mentions that are not hidden and target a URL of this site, for the site of
    their source, which the receiver fetched and found the link on. The author a source names
    is only a claim: any page can say `author.url = https://famous.example/`, and this count
    turns a told contact `linked-back` and fills the relationships view, so a stranger must not
    be able to set it for a site that wrote nothing. The author's site is credited as well
    only when the source is on a relay in `relays` (hosts, with their subdomains): Bridgy's
    page is not Bridgy's post but the author's, copied from the silo that knows who wrote it.
    An author URL on the source's own site is that site again.
    """
    counts: Counter[str] = Counter()
    latest: dict[str, str] = {}
    on_site: dict[str, bool] = {}
    for mention in mentions:
        if mention.target not in on_site:
            on_site[mention.target] = page_key(mention.target, site_url, aliases) is not None
        if not on_site[mention.target] or moderation.is_hidden(mention):
            continue
        when = (mention.received or mention.published)[:10]
        source = _site(mention.source)
        sites = [source]
        if mention.author_url:
            author = _site(mention.author_url)
            if author != source and relays and domain_matches(host_of(mention.source), relays):
                sites.append(author)
        for site in sites:
            counts[site] += 1
            latest[site] = max(latest.get(site, ""), when)
    return tuple((site, counts[site], latest[site]) for site in sorted(counts))


_PLAIN_HOST = re.compile(r"https?://([a-z0-9.-]+)(?=[/?#]|$)")


def _site(url: str) -> str:
    """`site_of`, without parsing the common shape (every stored mention, every build)."""
    plain = _PLAIN_HOST.match(url)
    if plain is None:
        return site_of(url)
    host = plain.group(1).rstrip(".")
    return host[4:] if host.startswith("www.") else host
