"""What a cited work says about itself, as the build stores it: its metadata and the ways to
reach whoever is behind it.

The records live here, apart from the ledger that stores them, because the works resolver,
its cache, the sections and the link graph all read them too. Reading them back is lenient:
they are derived data the next check fetches again, so a hand edit gone wrong is unknown, not
an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from mkdocs_backlinks.text import cut

LINK_STATUSES = ("ok", "redirected", "broken", "gone", "unreachable")
"""What a work's last check found: it answers (a 401 or 403 counts: readers get past the
login or the bot wall), it moved, it is missing (another 4xx, or its host name does not exist),
it was removed (410), or it never answered. `broken` and `gone` are the ones an author should
fix."""

DEAD = frozenset({"broken", "gone"})
"""Link statuses that flag a citation in the credits and warn in the build log."""

# Remote strings are bounded again when read back: the ledger and the cache are files anyone
# can edit, and a title of megabytes must not reach every page that cites the work.
_TEXT_LIMIT = 300
_URL_LIMIT = 2048
_MAX_ROUTES = 10


@dataclass(frozen=True, slots=True)
class Routes:
    """Ways to reach whoever is behind a work, as their pages offer them."""

    emails: tuple[str, ...] = ()
    """Bare addresses (h-card `u-email`, `mailto:` links marked rel=me or rel=author)."""
    profiles: tuple[str, ...] = ()
    """`rel=me` profile URLs."""
    webmention: str = ""
    """The work's Webmention endpoint, from its Link header or HTML."""

    def __bool__(self) -> bool:
        return bool(self.emails or self.profiles or self.webmention)

    def best(self) -> tuple[str, str] | None:
        """`(kind, address)` of the route to try first, None when there is none.

        A webmention endpoint first (it is meant for exactly this, and a machine reads it), then
        an e-mail address (a person reads it), then a profile (a person may read it).
        """
        if self.webmention:
            return ("webmention", self.webmention)
        if self.emails:
            return ("email", self.emails[0])
        if self.profiles:
            return ("profile", self.profiles[0])
        return None

    def merged(self, other: Routes) -> Routes:
        """These routes, then the other's new ones, bounded."""
        return Routes(
            tuple(dict.fromkeys((*self.emails, *other.emails)))[:_MAX_ROUTES],
            tuple(dict.fromkeys((*self.profiles, *other.profiles)))[:_MAX_ROUTES],
            self.webmention or other.webmention,
        )


@dataclass(frozen=True, slots=True)
class WorkMeta:
    """What the build learned about a cited work from the work itself. All optional.

    Stored in the ledger (committed), so that a build without network, on any machine, still
    shows titles and authors; the disposable cache only saves requests. `checked` is the date
    these values were fetched; a later check that finds the same values leaves it alone, so a
    work's line changes in the ledger only when the work does.
    """

    status: str = ""
    """One of `LINK_STATUSES`, '' when never checked."""
    title: str = ""
    author: str = ""
    author_url: str = ""
    site_name: str = ""
    final_url: str = ""
    """Where the work lives now: after redirects, or its rel=canonical when it names one."""
    checked: str = ""
    routes: Routes = Routes()

    def __bool__(self) -> bool:
        return bool(self.status or self.title or self.author or self.site_name or self.routes)

    @property
    def dead(self) -> bool:
        return self.status in DEAD

    def same_values(self, other: WorkMeta) -> bool:
        """Whether `other` says the same as this, whatever the dates."""
        return replace(self, checked="") == replace(other, checked="")


def meta_record(meta: WorkMeta) -> dict[str, Any]:
    """The stored form of `meta`: empty values left out, so a line only grows with facts."""
    record: dict[str, Any] = {
        "status": meta.status,
        "title": meta.title,
        "author": meta.author,
        "author_url": meta.author_url,
        "site_name": meta.site_name,
        "final_url": meta.final_url,
        "checked": meta.checked,
        "emails": list(meta.routes.emails),
        "profiles": list(meta.routes.profiles),
        "webmention": meta.routes.webmention,
    }
    return {key: value for key, value in record.items() if value}


def routes_record(routes: Routes) -> dict[str, Any]:
    record: dict[str, Any] = {
        "emails": list(routes.emails),
        "profiles": list(routes.profiles),
        "webmention": routes.webmention,
    }
    return {key: value for key, value in record.items() if value}


def meta_from_record(raw: Any) -> WorkMeta:
    """Read stored metadata leniently: a missing or mistyped field is unknown, not an error.

    It is derived data that the next check fetches again, so a hand edit gone wrong must not
    stop a build; the text is still bounded and URLs must be http(s).
    """
    if not isinstance(raw, dict):
        return WorkMeta()
    status = _loose_text(raw.get("status"), 20)
    return WorkMeta(
        status=status if status in LINK_STATUSES else "",
        title=_loose_text(raw.get("title"), _TEXT_LIMIT),
        author=_loose_text(raw.get("author"), _TEXT_LIMIT),
        author_url=_loose_url(raw.get("author_url")),
        site_name=_loose_text(raw.get("site_name"), _TEXT_LIMIT),
        final_url=_loose_url(raw.get("final_url")),
        checked=_loose_text(raw.get("checked"), 10),
        routes=routes_from_record(raw),
    )


def routes_from_record(raw: Any) -> Routes:
    """Read stored routes leniently (see `meta_from_record`)."""
    if not isinstance(raw, dict):
        return Routes()
    emails = raw.get("emails")
    profiles = raw.get("profiles")
    return Routes(
        tuple(
            text
            for text in (_loose_text(e, 254) for e in (emails if isinstance(emails, list) else []))
            if "@" in text and not text.lower().startswith("mailto:")
        )[:_MAX_ROUTES],
        tuple(
            url for url in map(_loose_url, profiles if isinstance(profiles, list) else []) if url
        )[:_MAX_ROUTES],
        _loose_url(raw.get("webmention")),
    )


# C0/C1 controls and bidirectional overrides, as `works.extract` drops them from fetched pages:
# a hand-edited or merged file must not bring a terminal escape back in.
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _loose_text(value: Any, limit: int) -> str:
    if not isinstance(value, str):
        return ""
    return cut(" ".join(_INVISIBLE.sub("", value).split()), limit)


def _loose_url(value: Any) -> str:
    if not isinstance(value, str) or len(value) > _URL_LIMIT:
        return ""
    url = value.strip()
    if not url.lower().startswith(("http://", "https://")) or any(ch in url for ch in ' <>"'):
        return ""
    if _INVISIBLE.search(url) or any(ch in url for ch in "\t\n\r"):
        return ""
    return url
