"""Display data for a page's mentions: what the template receives, made from the store.

Display data is made here rather than in the template so that the template receives only
text (autoescaped) and sanitised HTML (`Markup`, already through nh3), and URLs that are
absolute http(s) (the store guarantees it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from mkdocs_backlinks.links.urls import relative_url
from mkdocs_backlinks.mentions.avatars import AVATAR_FOLDER
from mkdocs_backlinks.mentions.model import Mention
from mkdocs_backlinks.text import cut

__all__ = [
    "FACES_SHOWN",
    "Face",
    "PageMentions",
    "Reaction",
    "ShownMention",
    "Views",
    "initials",
]

FACES_SHOWN = 12
"""Avatars shown per reaction kind; the rest are counted ("+40")."""

_COUNTED = ("like", "repost", "bookmark")


def initials(name: str) -> str:
    """Up to two letters for an avatar without a photo ("Sam Ortega": "SO"), so every face
    in a row is a round mark of the same size; a name without letters or digits gets a
    neutral dot."""
    words = [word for word in name.split() if word[0].isalnum()]
    if not words:
        return "\u00b7"
    letters = words[0][0] + (words[-1][0] if len(words) > 1 else "")
    return letters.upper()


@dataclass(frozen=True, slots=True)
class Face:
    """One small avatar in a row of likes or reposts."""

    name: str
    url: str
    avatar: str | None

    @property
    def initials(self) -> str:
        """Stands in for a missing photo: see `initials`."""
        return initials(self.name)


@dataclass(frozen=True, slots=True)
class ShownMention:
    """A reply, mention or RSVP as the template shows it."""

    kind: str
    author: str
    author_url: str | None
    avatar: str | None
    url: str
    date: str
    datetime: str
    verb: str
    title: str
    excerpt: Markup

    @property
    def initials(self) -> str:
        """Stands in for a missing photo: see `initials`."""
        return initials(self.author)


@dataclass(frozen=True, slots=True)
class Reaction:
    """Likes, reposts or bookmarks of a page: a count and the first few faces."""

    kind: str
    count: int
    label: str
    faces: tuple[Face, ...]
    more: int


@dataclass(frozen=True, slots=True)
class PageMentions:
    """Everything other sites said about one page."""

    items: tuple[ShownMention, ...]
    reactions: tuple[Reaction, ...]

    @property
    def count(self) -> int:
        return len(self.items) + sum(reaction.count for reaction in self.reactions)

    def __bool__(self) -> bool:
        return bool(self.items or self.reactions)


class Views:
    """Turns stored mentions into display data with the configured strings and avatars."""

    def __init__(
        self,
        strings: Mapping[str, Any],
        avatars: str,
        excerpt_length: int,
        downloaded: Mapping[str, str] | None = None,
    ) -> None:
        self.strings = strings
        self.avatars = avatars
        self.excerpt_length = max(20, excerpt_length)
        self.downloaded = downloaded or {}

    def _avatar(self, photo: str | None, page_url: str) -> str | None:
        if photo is None or self.avatars == "none":
            return None
        if self.avatars == "download":
            name = self.downloaded.get(photo)
            return relative_url(f"{AVATAR_FOLDER}/{name}", page_url) if name else None
        return photo

    def _verb(self, mention: Mention) -> str:
        if mention.kind == "reply":
            return str(self.strings["replied"])
        if mention.kind == "rsvp":
            return str(self.strings["rsvp"]).replace("{answer}", mention.rsvp or "?")
        return str(self.strings["mentioned"])

    def _excerpt(self, mention: Mention) -> Markup:
        text = mention.content_text
        if mention.content_html and len(text) <= self.excerpt_length:
            # Safe: content_html went through the nh3 allow-list when it was parsed or loaded.
            return Markup(mention.content_html)  # noqa: S704
        return escape(cut(text, self.excerpt_length))

    def _count(self, kind: str, count: int) -> str:
        name = kind if count == 1 else kind + "s"  # strings like / likes, repost / reposts
        return str(self.strings[name]).replace("{count}", str(count))

    def page(self, mentions: Sequence[Mention], page_url: str) -> PageMentions:
        """The display data of one page's (visible, matched) mentions."""
        someone = str(self.strings["someone"])
        items: list[ShownMention] = []
        faces: dict[str, list[Face]] = {kind: [] for kind in _COUNTED}
        for mention in mentions:
            author = mention.author_name or someone
            avatar = self._avatar(mention.author_photo, page_url)
            if mention.kind in faces:
                link = mention.author_url or mention.url
                faces[mention.kind].append(Face(author, link, avatar))
                continue
            when = mention.published or mention.received
            items.append(
                ShownMention(
                    kind=mention.kind,
                    author=author,
                    author_url=mention.author_url,
                    avatar=avatar,
                    url=mention.url,
                    date=when[:10],
                    datetime=when,
                    verb=self._verb(mention),
                    title=mention.title,
                    excerpt=self._excerpt(mention),
                )
            )
        reactions = tuple(
            Reaction(
                kind,
                len(faces[kind]),
                self._count(kind, len(faces[kind])),
                tuple(faces[kind][:FACES_SHOWN]),
                max(0, len(faces[kind]) - FACES_SHOWN),
            )
            for kind in _COUNTED
            if faces[kind]
        )
        return PageMentions(tuple(items), reactions)
