"""The public thank-you: a short post for the contact's social or fediverse profile.

Saying in public how someone's work helped is how these relationships grow, and it reaches
people who read no e-mail from strangers. The post names their handle, links the page that
cites them and quotes one sentence of it, within the network's length limit; a contact with no
such profile among their routes gets none ("").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from mkdocs_backlinks.outreach.notes import ThanksWriter
from mkdocs_backlinks.outreach.places import Place
from mkdocs_backlinks.text import cut

# Platforms whose `/@name` pages are profiles but not somewhere to post a reply to.
_NOT_FEDIVERSE = ("medium.com", "youtube.com", "tiktok.com", "substack.com", "threads.net")


@dataclass(frozen=True, slots=True)
class Profile:
    """A social profile: the handle to write, the network and its post length limit."""

    handle: str
    network: str
    limit: int


def profile_of(url: str) -> Profile | None:
    """The profile at `url` when it is one to post to: X or Twitter (280 characters), Bluesky
    (300), Threads or a fediverse account (`/@name` on its instance, 500). None otherwise."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    path = [unquote(p) for p in parts.path.split("/") if p]
    if not host or not path:
        return None
    first = path[0]
    if host in ("x.com", "twitter.com", "mobile.twitter.com"):
        reserved = ("i", "home", "search", "intent", "share", "hashtag", "explore")
        if first.lower() in reserved:
            return None
        return Profile("@" + first.lstrip("@"), "x", 280)
    if host == "bsky.app" and first == "profile" and len(path) > 1:
        return Profile("@" + path[1], "bluesky", 300)
    if host == "threads.net" and first.startswith("@") and len(first) > 1:
        return Profile(first, "threads", 500)
    if first.startswith("@") and len(first) > 1 and not host.endswith(_NOT_FEDIVERSE):
        return Profile(f"{first}@{host}", "fediverse", 500)
    if first == "users" and len(path) > 1:  # Mastodon's ActivityPub form of the same page
        return Profile(f"@{path[1]}@{host}", "fediverse", 500)
    return None


def public_post(
    writer: ThanksWriter,
    profiles: list[str],
    contact: dict[str, Any],
    works: list[dict[str, Any]],
    places: list[Place],
    me: dict[str, str],
) -> str:
    """The thank-you for the first profile to post to among `profiles`, fitted to its limit by
    shortening, then leaving out, the quoted sentence; '' when there is no such profile or no
    page with a public URL to link."""
    profile = next(filter(None, map(profile_of, profiles)), None)
    page = next((place for place in places if place.url), None)
    if profile is None or page is None:
        return ""
    variables = {
        "handle": profile.handle,
        "network": profile.network,
        "limit": profile.limit,
        "contact": contact,
        "works": works,
        "page": page.as_dict(),
        "me": me,
    }
    quote = page.context
    while True:
        text = writer.post({**variables, "quote": quote})
        if len(text) <= profile.limit or not quote:
            return text if len(text) <= profile.limit else ""
        over = len(text) - profile.limit
        shorter = len(quote) - over - 1
        quote = cut(quote, shorter) if shorter >= 40 else ""
