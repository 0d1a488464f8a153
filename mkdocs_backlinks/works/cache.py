"""The disposable cache of cited works' metadata, beside `mkdocs.yml` (option `cache_dir`).

It saves requests, nothing more: what must survive lives in the committed ledger. So, unlike
the ledger, a cache that cannot be read is not an error: it is dropped with a message and
rebuilt by the next build that has network. It still gets the care every file here gets: a
schema version inside, atomic writes, sorted keys, and a write only when something changed.

Per URL it keeps when it was last fetched, what the fetch answered (`ok`, `broken`, ...), the
validators for a conditional request, and the best metadata known, so that a failed refresh
(a 503, a time-out) costs nothing that was learned before.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mkdocs.plugins import get_plugin_logger

from mkdocs_backlinks.files import dump_json_lines, write_text_atomic
from mkdocs_backlinks.works.model import WorkMeta, meta_from_record, meta_record

__all__ = ["CACHE_FILE", "CacheEntry", "MetadataCache"]

log = get_plugin_logger(__name__)

CACHE_FILE = "metadata.json"
CACHE_SCHEMA = "mkdocs-backlinks/metadata-cache"
CACHE_VERSION = 1

# Fetch outcomes that say the work is (still) reachable and its metadata current: these keep
# the long TTL. Anything else (4xx, 5xx, 429) is worth asking again sooner.
_GOOD = frozenset({"ok", "redirected", "not-modified", "wrong-type", "too-large"})
_HEADER_LIMIT = 1024  # an ETag or date longer than this is not one


@dataclass(frozen=True, slots=True)
class CacheEntry:
    """What the last fetch of one URL gave."""

    url: str
    fetched: float
    """When, in seconds since the epoch."""
    outcome: str
    """The HTTP layer's status of that fetch (`ok`, `broken`, `server-error`, ...)."""
    meta: WorkMeta
    """The best metadata known after that fetch (kept from before when the fetch failed)."""
    etag: str = ""
    last_modified: str = ""
    """The validators of the last good answer. A failed check (5xx, 429, 401/403) keeps them,
    so the next one is still conditional; a dead answer (404, 410) drops them, since a 304 to
    them would bring back the metadata of a page that has since died."""
    error: str = field(default="", compare=False)
    """Why the fetch failed, in the HTTP layer's words, for this build's report; not saved."""

    def fresh(self, now: float, ttl: float, failure_ttl: float) -> bool:
        """Whether the entry may be used without asking the server again."""
        limit = ttl if self.outcome in _GOOD else failure_ttl
        return 0 <= now - self.fetched < limit

    def record(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "fetched": round(self.fetched, 3),
            "outcome": self.outcome,
            "meta": meta_record(self.meta),
        }
        if self.etag:
            record["etag"] = self.etag
        if self.last_modified:
            record["last_modified"] = self.last_modified
        return record


class MetadataCache:
    """The cache file, held in memory for one build and written back once, if changed."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / CACHE_FILE
        self.entries: dict[str, CacheEntry] = {}
        self.network_down = 0.0
        """When (epoch seconds) a build last found the network unreachable; 0 when it was not."""
        self._changed = False

    def load(self) -> MetadataCache:
        """Read the file; a missing, damaged or foreign one gives an empty cache."""
        self.entries = {}
        self.network_down = 0.0
        self._changed = False
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return self
        except (OSError, UnicodeDecodeError) as exc:
            log.info("Ignoring the metadata cache %s (%s); it will be rebuilt.", self.path, exc)
            return self
        try:
            data = json.loads(text)
            self.entries = _decode(data)
            down = data.get("network_down", 0)
            self.network_down = float(down) if isinstance(down, int | float) else 0.0
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            log.info("Ignoring the metadata cache %s (%s); it will be rebuilt.", self.path, exc)
            self.entries = {}
            self._changed = True  # replace the damaged file at the end of the build
        return self

    def get(self, url: str) -> CacheEntry | None:
        return self.entries.get(url)

    def put(self, entry: CacheEntry) -> None:
        if self.entries.get(entry.url) != entry:
            self.entries[entry.url] = entry
            self._changed = True

    def mark_network(self, down_at: float) -> None:
        """Remember that the network was unreachable at `down_at` (0: it answered)."""
        if self.network_down != down_at:
            self.network_down = down_at
            self._changed = True

    def remove(self, url: str) -> None:
        if self.entries.pop(url, None) is not None:
            self._changed = True

    def save(self) -> bool:
        """Write the cache if anything changed; True when it was written.

        A cache that cannot be written costs requests next time, never the build.
        """
        if not self._changed:
            return False
        head: dict[str, Any] = {"schema": CACHE_SCHEMA, "version": CACHE_VERSION}
        if self.network_down:
            head["network_down"] = round(self.network_down, 3)
        entries = ((url, self.entries[url].record()) for url in sorted(self.entries))
        try:
            write_text_atomic(self.path, dump_json_lines(head, {"entries": entries}))
        except OSError as exc:
            log.info("Cannot write the metadata cache %s: %s", self.path, exc)
            return False
        self._changed = False
        return True


def _decode(data: Any) -> dict[str, CacheEntry]:
    if not isinstance(data, dict) or data.get("schema") != CACHE_SCHEMA:
        raise ValueError("not a metadata cache")
    if data.get("version") != CACHE_VERSION:
        raise ValueError(
            f"cache version {data.get('version')!r}, this plugin writes {CACHE_VERSION}"
        )
    entries: dict[str, CacheEntry] = {}
    for url, raw in data["entries"].items():
        fetched = raw["fetched"]
        if not isinstance(url, str) or isinstance(fetched, bool):
            raise TypeError(f"bad entry for {url!r}")
        etag = raw.get("etag", "")
        modified = raw.get("last_modified", "")
        entries[url] = CacheEntry(
            url=url,
            fetched=float(fetched),
            outcome=str(raw["outcome"])[:40],
            meta=meta_from_record(raw.get("meta")),
            etag=etag if isinstance(etag, str) and len(etag) < _HEADER_LIMIT else "",
            last_modified=modified
            if isinstance(modified, str) and len(modified) < _HEADER_LIMIT
            else "",
        )
    return entries
