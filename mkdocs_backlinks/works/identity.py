"""When two cited URLs are one work: the one key the credits, the notes and the lists share.

A site often cites the same page as `http://` in one post and `https://` in another, with and
without `www.` or a trailing slash, or through an old address that now redirects. Each of those
is stored apart (the ledger keeps what was written), but a reader and a recipient see one work,
so every view groups by `work_key`.
"""

from __future__ import annotations

import functools

from mkdocs_backlinks.links.urls import url_identity


# Cached: every page's credits ask it for each work, and works repeat across pages.
@functools.lru_cache(maxsize=16384)
def work_key(url: str, final_url: str = "") -> str:
    """The key of the work at `url`: its final (or canonical) URL's identity when the check
    learned one, else the identity of `url` itself (`url_identity`: no scheme, no `www.`, no
    trailing slash). A URL that cannot be split is its own key."""
    for candidate in (final_url, url):
        if candidate:
            try:
                return url_identity(candidate)
            except ValueError:
                continue
    return url
