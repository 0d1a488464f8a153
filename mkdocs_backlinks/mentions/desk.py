"""Incoming mentions in a build: the store read before, fetched beside, shown after.

`MentionsDesk` is what the plugin and the commands hold. Its life in a build:

1. `load()` in `on_pre_build`: the store and the moderation file are validated before any
   page is converted, so a damaged file stops the build untouched.
2. `start()` right after: fetching from the network runs in a background thread (its own
   `HttpClient`), overlapping Markdown conversion, which is where a build spends its time.
3. `collect()` in `on_env`, when every page is converted: waits for the thread up to
   `mentions.timeout`, reads local files, merges, saves the store if it changed, and indexes
   the visible mentions by page once. A failed or late fetch is one warning; the build goes on
   with what was stored.
4. `for_page()` per page: the display data for the template (`views`), built only for pages
   that have mentions.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from mkdocs.plugins import get_plugin_logger

if TYPE_CHECKING:
    from mkdocs_backlinks.http.client import HttpClient

from mkdocs_backlinks.files import locked, write_text_atomic
from mkdocs_backlinks.http.options import HttpOptions
from mkdocs_backlinks.links.urls import url_key
from mkdocs_backlinks.mentions import avatars
from mkdocs_backlinks.mentions.feed import WITHHELD, summary
from mkdocs_backlinks.mentions.fetch import (
    DEFAULT_PAGE_LIMIT,
    Fetched,
    apply,
    fetch_source,
    read_file_source,
)
from mkdocs_backlinks.mentions.merge import rebase
from mkdocs_backlinks.mentions.model import (
    RELAYS,
    Mention,
    MentionsError,
    MentionsStore,
    SourceState,
    chronological,
)
from mkdocs_backlinks.mentions.moderation import Moderation, load_moderation
from mkdocs_backlinks.mentions.pages import page_key
from mkdocs_backlinks.mentions.sites import mentioning_sites
from mkdocs_backlinks.mentions.source_types import LocalFile, Source
from mkdocs_backlinks.mentions.store import dumps_store, load_store_text, store_digest
from mkdocs_backlinks.mentions.views import PageMentions, Views

__all__ = [
    "MODERATION_FILE",
    "STORE_FILE",
    "MentionsDesk",
    "Settings",
    "fetched_at",
    "guarded_fetch",
    "reports",
]

log = get_plugin_logger(__name__)

STORE_FILE = "mentions.json"
MODERATION_FILE = "moderation.json"


def fetched_at() -> str:
    """Now, in UTC to the second, for the store's `last_fetched`."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Settings:
    """What the desk needs from the options, as plain values (tests build it directly)."""

    folder: Path
    base: Path
    site_url: str
    sources: tuple[Source, ...] = ()
    aliases: tuple[str, ...] = ()
    relays: tuple[str, ...] = RELAYS
    avatars: str = "remote"
    timeout: float = 30.0
    cache: Path | None = None
    page_limit: int = DEFAULT_PAGE_LIMIT
    """Largest page of a feed, or file, read (bytes; `mentions.max_page_mb`)."""


class MentionsDesk:
    """Owns the mentions store and moderation file for one build or one command."""

    def __init__(self, settings: Settings, http: HttpOptions | None = None) -> None:
        self.settings = settings
        self.http = http or HttpOptions()
        self.store_path = settings.folder / STORE_FILE
        self.moderation_path = settings.folder / MODERATION_FILE
        self.store = MentionsStore()
        self._base = self.store
        self._base_text: str | None = ""
        self.moderation = Moderation()
        self.by_page: dict[str, list[Mention]] = {}
        self.unmatched: Counter[str] = Counter()
        self.downloaded: dict[str, str] = {}
        self.views: Views | None = None
        self._thread: threading.Thread | None = None
        self._results: list[Fetched] = []
        self._stop = threading.Event()
        self._started = 0.0

    # --- before the build

    def load(self) -> None:
        """Read and validate both files (`MentionsError` names the file).

        Loading cleans every mention again (the file may have been edited by hand), which
        costs most of the mentions' share of a build for a large store. So the digest of a
        text this plugin wrote, or found already clean, is kept in the cache folder, and such
        a text is read without cleaning the next time. The cache is local and disposable: a
        store changed by anyone or anything else has another digest and is cleaned in full.
        """
        trusted = self._trusted()
        self.store, text, fast = load_store_text(self.store_path, trusted)
        if text and not fast and dumps_store(self.store) == text:
            self._trust(text)
        # What `save` compares with, to notice another writer in between.
        self._base, self._base_text = self.store, text
        self.moderation = load_moderation(self.moderation_path)

    def _digest_file(self) -> Path | None:
        if self.settings.cache is None:
            return None
        name = hashlib.sha256(str(self.store_path).encode()).hexdigest()[:16]
        return self.settings.cache / "mentions" / f"{name}.sha256"

    def _trusted(self) -> tuple[str, ...]:
        path = self._digest_file()
        try:
            return (path.read_text(encoding="ascii").strip(),) if path else ()
        except (OSError, UnicodeDecodeError):
            return ()

    def _trust(self, text: str) -> None:
        path = self._digest_file()
        if path is None:
            return
        try:
            write_text_atomic(path, store_digest(text) + "\n")
        except OSError as exc:  # a cache that cannot be written only costs time
            log.debug("Cannot write %s: %s", path, exc)

    @property
    def fetch_options(self) -> HttpOptions:
        """The HTTP options for reading feeds: a page may be as large as `page_limit`."""
        return replace(self.http, max_bytes=self.settings.page_limit)

    @property
    def network_sources(self) -> tuple[Source, ...]:
        return tuple(s for s in self.settings.sources if not isinstance(s, LocalFile))

    def start(self) -> bool:
        """Start fetching from the network sources in the background; False if none to fetch."""
        sources = self.network_sources
        if not sources:
            return False
        states = dict(self.store.sources)
        # Fresh per fetch: a thread left behind by a timed-out build (under serve) keeps its
        # own stop flag and result list, and can never write into the next build's.
        stop = self._stop = threading.Event()
        results: list[Fetched] = []
        self._results = results
        self._started = time.monotonic()

        def work() -> None:
            from mkdocs_backlinks.http.client import HttpClient  # only when going online

            with HttpClient(self.fetch_options) as client:
                for source in sources:
                    state = states.get(source.name, SourceState())
                    results.append(guarded_fetch(client, source, state, self.settings.base, stop))

        self._thread = threading.Thread(target=work, name="backlinks-mentions", daemon=True)
        self._thread.start()
        return True

    def stop(self) -> None:
        """Ask a running fetch to stop after its current request (a build that failed)."""
        self._stop.set()
        self._thread = None

    # --- when every page is converted

    def collect(self, page_urls: Iterable[str], *, save: bool = True) -> list[str]:
        """Finish fetching, merge, save when changed, index by page; the warnings to log."""
        warnings: list[str] = []
        results = [
            read_file_source(
                source, self.settings.base, self.settings.page_limit, self.settings.site_url
            )
            for source in self.settings.sources
            if isinstance(source, LocalFile)
        ]
        if self._thread is not None:
            left = self.settings.timeout - (time.monotonic() - self._started)
            self._thread.join(max(0.0, left))
            if self._thread.is_alive():
                self._stop.set()
                warnings.append(
                    f"Fetching mentions took longer than {self.settings.timeout:g} s; "
                    "this build shows the stored mentions (the fetch goes on next time)"
                )
            else:
                results.extend(self._results)
            self._thread = None
        for fetched in results:
            warnings += reports(fetched)
        if results:
            self.store = apply(self.store, results, fetched_at())
            if save:
                try:
                    self.save()
                except MentionsError as exc:
                    # The build shows what was fetched; the file on disk is as it was.
                    warnings.append(str(exc))
        self.index(page_urls)
        return warnings

    def save(self) -> bool:
        """Write the store if its text changed; True if written.

        A build and `mkdocs-backlinks fetch` may overlap. When the file is no longer what
        `load` read, someone saved it in between, and our changes are made on top of theirs
        (`mentions.rebase`) rather than overwriting them; a file damaged meanwhile stops
        with `MentionsError` and is left as it is.
        """
        if _unchanged_but_times(self._base, self.store):
            # Only `last_fetched` moved: rewriting the file would change it on every online
            # build (noise in git) for nothing a reader sees.
            self.store = self._base
            return False
        text = dumps_store(self.store)
        # Locked from reading the file to replacing it, as the ledger is: a fetch saving
        # between the two would otherwise be overwritten.
        try:
            with locked(self.store_path.parent):
                current = self._current_text()
                if current not in (text, self._base_text):
                    theirs, _, _ = load_store_text(self.store_path)
                    self.store = rebase(self._base, self.store, theirs)
                    text = dumps_store(self.store)
                written = current != text
                if written:
                    write_text_atomic(self.store_path, text)
        except OSError as exc:
            raise MentionsError(
                f"Cannot save the mentions store in the folder {self.store_path.parent} "
                f"({exc.strerror or exc}); {self.store_path.name} there was left as it was, "
                "and the mentions fetched now come again on the next fetch."
            ) from exc
        if written:
            self._trust(text)
        self._base, self._base_text = self.store, text
        return written

    def _current_text(self) -> str | None:
        """The store file's text now: '' when there is none, None when it is not UTF-8."""
        try:
            return self.store_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return ""
        except UnicodeDecodeError:
            return None

    def index(self, page_urls: Iterable[str]) -> None:
        """Group the visible mentions under the pages they target, once for the whole build."""
        # MkDocs percent-encodes page URLs (`caf%C3%A9/`) and `page_key` decodes: compare
        # decoded paths, so a page whose name is not plain ASCII gets its mentions too. Pages
        # are filed under that key too: MkDocs names the home page `./` in its file list and
        # `` as a page, and both must find the same mentions.
        pages = {_page_index(url) for url in page_urls}
        self.by_page = {}
        self.unmatched = Counter()
        site_url = self.settings.site_url
        if not site_url:
            if self.store.mentions:
                log.info(
                    "%d stored mentions are not shown: site_url is not set, so they cannot "
                    "be matched to pages",
                    len(self.store.mentions),
                )
            return
        keys: dict[str, str | None] = {}  # many mentions share a target
        for mention in self.store.mentions:
            if self.moderation.is_hidden(mention):
                continue
            if mention.target not in keys:
                key = page_key(mention.target, site_url, self.settings.aliases)
                indexed = None if key is None else url_key(key)
                keys[mention.target] = indexed if indexed in pages else None
            page = keys[mention.target]
            if page is None:
                self.unmatched[mention.target] += 1
            else:
                self.by_page.setdefault(page, []).append(mention)
        for found in self.by_page.values():
            found.sort(key=chronological)  # the store is ordered by target URL first
        if self.unmatched:
            log.info(
                "%d mentions of %d URLs that are not pages of this site are not shown "
                "(mkdocs-backlinks mentions list shows them)",
                sum(self.unmatched.values()),
                len(self.unmatched),
            )
            for target, count in sorted(self.unmatched.items()):
                log.debug("Not a page of this site: %s (%d mentions)", target, count)

    def mentions_of(self, page_url: str) -> list[Mention]:
        """The visible mentions of the page at `page_url` (a MkDocs page or file URL)."""
        return self.by_page.get(_page_index(page_url), [])

    def prepare_views(
        self, strings: Mapping[str, Any], excerpt_length: int, *, allow_network: bool
    ) -> None:
        """Get ready to show mentions on pages: the avatars in download mode (fetched only
        where `allow_network`), then the display settings every page's mentions go through."""
        if self.settings.avatars == "download":
            self.download_avatars(allow_network=allow_network)
        self.views = Views(strings, self.settings.avatars, excerpt_length, self.downloaded)

    def shown_on(self, page_url: str) -> PageMentions | None:
        """What the page at `page_url` shows of its mentions, or None when it has none."""
        found = self.mentions_of(page_url)
        if not found or self.views is None:
            return None
        return self.views.page(found, page_url)

    def sites(self) -> tuple[tuple[str, int, str], ...]:
        """Who mentions this site (see `mentioning_sites`)."""
        return mentioning_sites(
            self.store.mentions,
            self.moderation,
            self.settings.site_url,
            self.settings.aliases,
            self.settings.relays,
        )

    # --- avatars (download mode)

    def download_avatars(self, allow_network: bool) -> None:
        """Make sure each shown avatar is in the cache folder; fetch the missing ones
        (see `avatars.download_avatars`)."""
        cache = self._avatar_cache()
        if cache is None:
            return
        photos = sorted(
            {m.author_photo for ms in self.by_page.values() for m in ms if m.author_photo}
        )
        self.downloaded = avatars.download_avatars(
            cache, photos, self.http, self.settings.timeout, allow_network
        )

    def copy_avatars(self, site_dir: Path) -> None:
        """Put the downloaded avatars the pages use into the built site."""
        cache = self._avatar_cache()
        if cache is None or not self.downloaded:
            return
        avatars.copy_avatars(cache, self.downloaded, site_dir)

    def _avatar_cache(self) -> Path | None:
        if self.settings.avatars != "download" or self.settings.cache is None:
            return None
        return self.settings.cache / "avatars"


def guarded_fetch(
    client: HttpClient, source: Source, state: SourceState, base: Path, stop: threading.Event
) -> Fetched:
    """`fetch_source`, with any unforeseen failure made the source's error: one source that
    trips a bug must not cost the sources listed after it, nor end the background thread
    without a word."""
    try:
        return fetch_source(client, source, state, base, stop)
    except Exception as exc:
        log.debug("Mentions from %s failed", source.name, exc_info=True)
        return Fetched(source.name, error=f"failed unexpectedly ({type(exc).__name__})")


def reports(fetched: Fetched) -> list[str]:
    """The warnings for one source's fetch: its error, pages over the size cap, and one line
    counting the entries skipped per reason (each listed with `-v`). Entries the receiver
    withholds (private, unverified) are its decision, not a fault: counted at info level."""
    warnings = []
    name = fetched.source
    if fetched.error:
        warnings.append(f"Mentions from {name}: {fetched.error}")
    if fetched.oversized:
        warnings.append(
            f"Mentions from {name}: skipped {', '.join(fetched.oversized)}, larger than "
            "mentions.max_page_mb; the rest was read"
        )
    faults = [p for p in fetched.problems if p.reason not in WITHHELD]
    withheld = [p for p in fetched.problems if p.reason in WITHHELD]
    if faults:
        warnings.append(f"Mentions from {name}: {summary(faults)} (-v lists each)")
    if withheld:
        log.info("Mentions from %s: %s", name, summary(withheld))
    for problem in fetched.problems:
        log.debug("Mentions from %s: %s", name, problem.detail)
    return warnings


def _unchanged_but_times(before: MentionsStore, after: MentionsStore) -> bool:
    """Whether `after` differs from `before` in no more than the sources' `last_fetched`."""
    if before.mentions != after.mentions or set(before.sources) != set(after.sources):
        return False
    return all(
        before.sources[name].since_id == state.since_id for name, state in after.sources.items()
    )


def _page_index(page_url: str) -> str:
    """The key a page's mentions are filed under: its decoded, normalised path."""
    return url_key(unquote(page_url))
