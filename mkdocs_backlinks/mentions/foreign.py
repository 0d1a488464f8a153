"""jekyll-webmention_io's cache of received mentions, turned into the links format `feed` reads.

The Jekyll plugin keeps `webmention_io_received.yml` (in `.jekyll-cache/` or its
`cache_folder`): a mapping of each page's path, as Jekyll names it (`/2019/03/post/`), to a
mapping of ids to the items it shows. An item is `{id, uri, source, pubdate, author, type,
title, content, raw}`, where `raw` is the webmention.io links-format entry the item was made
from (`{id, source, target, verified_date, activity: {type}, data: {...}}`); older versions
wrote `url` for `uri`. Most of what we keep is in `raw`; the item's own fields fill in what
`raw` lacks, and the page path gives the target when `raw` has none.

Ruby writes an object met twice once, with an anchor: an item's `author` is the same object as
`raw.data.author`. The reader keeps such sharing (no copy), so each mapping is visited once
here, however often it is referred to: a file cannot make the work grow faster than its size.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["is_jekyll_cache", "jekyll_entries"]

_ITEM_KEYS = frozenset({"raw", "uri", "url", "pubdate", "author", "type", "content", "title"})


def _is_page_key(key: object) -> bool:
    return isinstance(key, str) and (key.startswith("/") or key.startswith(("http://", "https://")))


def is_jekyll_cache(data: Mapping[Any, object]) -> bool:
    """Whether `data` has the cache's shape: page paths to mappings of items."""
    if not data or not all(_is_page_key(key) for key in data):
        return False
    for items in data.values():
        if not isinstance(items, dict):
            return False
        for item in items.values():
            return isinstance(item, dict) and bool(_ITEM_KEYS & set(item))
    return True  # every page has an empty mapping: a cache with nothing received yet


def jekyll_entries(data: Mapping[Any, object], site_url: str) -> Iterator[object]:
    """Each item of the cache as a links-format entry (or as it is, when it is not an object,
    for `feed` to report). A page path becomes a target under `site_url`."""
    seen: set[int] = set()
    base = site_url.rstrip("/")
    for page, items in data.items():
        if not isinstance(items, dict) or id(items) in seen:
            continue
        seen.add(id(items))
        target = page if page.startswith(("http://", "https://")) or not base else base + page
        for item in items.values():
            if isinstance(item, dict):
                if id(item) in seen:
                    continue
                seen.add(id(item))
                yield _links_entry(item, target)
            else:
                yield item


def _links_entry(item: Mapping[str, Any], target: str) -> dict[str, Any]:
    raw = item.get("raw")
    raw = dict(raw) if isinstance(raw, dict) else {}
    data = raw.get("data")
    data = dict(data) if isinstance(data, dict) else {}
    url = item.get("uri", item.get("url"))
    data.setdefault("url", url)
    data.setdefault("author", item.get("author"))
    if data.get("content") in (None, "") and isinstance(item.get("content"), str):
        data["content"] = item["content"]  # HTML, as the plugin renders it
    if data.get("name") in (None, "") and isinstance(item.get("title"), str):
        data["name"] = item["title"]
    activity = raw.get("activity")
    if not isinstance(activity, dict) or not activity.get("type"):
        activity = {"type": item.get("type")}
    entry: dict[str, Any] = {
        "id": raw.get("id", item.get("id")),
        "source": raw.get("source", url),
        # Without `raw.target`, the page path it was filed under is the best we know.
        "target": raw.get("target", target),
        "verified_date": raw.get("verified_date", item.get("pubdate")),
        "activity": activity,
        "data": data,
    }
    for key in ("private", "verified"):
        if key in raw:
            entry[key] = raw[key]
    return entry
