"""What the cited works say about themselves, learned during the build.

The plan follows Material's social and privacy plugins: downloads start as soon as a URL is
known (while MkDocs is still converting pages) in a thread pool, and are collected once, before
the first template renders, with one time limit for all of them. What is learned goes to
three places, each for its own reason:

- the disposable cache (`cache.py`), so that a rebuild within the TTL asks nothing at all and
  one after it asks conditionally;
- the sections of this build (titles, authors, dead links flagged);
- the committed ledger (through the outreach desk), so that a build without network, on any
  machine, shows the same titles.

A URL is fetched only when the build is online: not with `offline: true` or
`MKDOCS_BACKLINKS_OFFLINE=1`, and not under `mkdocs serve` unless `metadata.on_serve` asks.
Offline, the newest of the cache and the ledger is used as it is, however old.

Network trouble is one warning for the whole build (with `--strict` it fails the build, as
MkDocs' own warnings do) and the build goes on with what is stored. A dead citation (4xx,
410, a host name that does not exist) is the author's to fix, so it is one warning per URL,
naming the pages that cite it. A 401 or 403 is not dead: readers get past the login or the
bot wall that turned the checker away.
"""

from __future__ import annotations

import concurrent.futures
import functools
import ipaddress
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mkdocs.plugins import get_plugin_logger

from mkdocs_backlinks.http.hosts import HostTurns
from mkdocs_backlinks.ledger.file import LedgerReader
from mkdocs_backlinks.ledger.model import LedgerError
from mkdocs_backlinks.links.urls import host_of
from mkdocs_backlinks.works.cache import CacheEntry, MetadataCache
from mkdocs_backlinks.works.check import (
    ALIVE,
    DEAD,
    JUDGED,
    NO_ANSWER,
    NO_SUCH_HOST,
    REDIRECT_REFUSED,
    RESTRICTED,
    SILENT,
    check_work,
)
from mkdocs_backlinks.works.model import WorkMeta
from mkdocs_backlinks.works.report import (
    citing_pages,
    report,
    report_restricted,
    report_too_large,
)

# The HTML parsers (BeautifulSoup, mf2py, html5lib) and this module's use of the HTTP layer
# are imported when the first work is fetched: a rebuild served from the cache, and every
# offline or serve build, never pays for importing them.
if TYPE_CHECKING:
    from collections.abc import Callable

    from mkdocs_backlinks.graph.linkgraph import LinkGraph
    from mkdocs_backlinks.http.client import HttpClient
    from mkdocs_backlinks.http.options import HttpOptions

__all__ = [
    "REFRESH_ENV",
    "MetadataSettings",
    "WorkResolver",
    "stored_metadata",
]

log = get_plugin_logger(__name__)

REFRESH_ENV = "MKDOCS_BACKLINKS_REFRESH"
"""Set to 1 to check every cited work again now, whatever its age in the cache (the requests
are still conditional, so unchanged pages cost little)."""

DAY = 86400.0

NETWORK_DOWN_AFTER = 8
"""Hosts that could not be reached, with no work answering, before the build decides the
network is down and stops trying the rest. Without it, a machine with no network (or a
resolver that drops parallel queries) would spend the whole `metadata.deadline` failing one
work at a time. Hosts, not works: a page citing many pages of one site that is gone fails them
all within milliseconds, before a live site has time to answer, and that says nothing about
the network."""

NO_SUCH_HOST_DOWN_AFTER = 24
"""Distinct host names the resolver said do not exist, with no work on a looked-up host name
answering, before the build decides the network is down. One "no such host" proves a resolver
answered, but some answer it for every name when there is no network (macOS offline, sandboxes
and CI runners whose DNS knows no outside name): without this, each of thousands of works
failed on its own and the build waited out `metadata.deadline`. Three times
`NETWORK_DOWN_AFTER`, because a real site may cite a run of lapsed domains before its first
live work answers; a single dead name on a working network is still reported as broken."""

NETWORK_REST = 600.0
"""Seconds after a build found the network down during which later builds do not try again
(`MKDOCS_BACKLINKS_REFRESH=1` tries at once). Rebuilding on a train stays quick.

A `--strict` build never rests. The rest is a memo ("it was down a moment ago"), and a
strict build is a verdict: resting, it would pass with unchecked metadata where the build
that found the network down failed, and failing on the memo alone would fail it for up to
ten minutes after the network came back. So it looks again: down, it warns (and fails) like
the first; back, it checks the works and ends the rest for the builds after it."""


@dataclass(frozen=True)
class MetadataSettings:
    """What the resolver needs from the options, resolved for this build."""

    online: bool
    """False offline, under serve without `on_serve`: then nothing is fetched."""
    ttl: float
    """Seconds a good answer is used without asking again."""
    failure_ttl: float
    """Seconds a failed answer (4xx, 5xx, 429) is used without asking again."""
    deadline: float
    """Seconds from the first request to the moment the build stops waiting."""
    concurrency: int
    """Works fetched at once (the HTTP layer's own limits apply within)."""
    http: Callable[[], HttpOptions]
    """Makes the HTTP layer's settings, when the first work is fetched."""
    refresh: bool = False
    """Ask again about every work, whatever the TTLs say."""
    per_host: int = 2
    """Works of one host fetched at once; the others wait their turn outside the HTTP layer,
    so that waiting does not use up their `timeout`."""
    strict: bool = False
    """MkDocs' `strict` (`--strict`, `strict: true`): the build fails on any warning, so it
    never rests after a build found the network down (see `NETWORK_REST`)."""


# ----------------------------------------------------------------------------- the build


def stored_metadata(ledger_path: Path) -> dict[str, WorkMeta]:
    """Metadata the committed ledger holds, read-only (for builds that do not keep it).

    The ledger belongs to the outreach desk: a damaged one is its business, so here it only
    means "nothing stored".
    """
    try:
        # Not `load_ledger`, which keeps what it read as the base of a later `save_ledger`:
        # a build never saves this ledger, and would hold it to the end.
        return LedgerReader(ledger_path).metadata()
    except LedgerError as exc:
        log.debug("Not reading metadata from %s: %s", ledger_path, exc)
        return {}


class WorkResolver:
    """Learns about every work the build cites: from storage, and online from the works.

    `want` is called as pages convert and starts fetches at once; `collect` waits for them
    (within the deadline), reports, and returns what the sections show.
    """

    def __init__(self, settings: MetadataSettings, cache_folder: Path) -> None:
        self.settings = settings
        self.cache = MetadataCache(cache_folder)
        self.known: dict[str, WorkMeta] = {}
        self.requests = 0
        self._seen: set[str] = set()
        # Works on host names that `want` left to a fresh cache entry: one of them can be asked
        # again to confirm a "no such host" when nothing else was asked (see `_confirm`).
        self._fresh_named: list[str] = []
        self._futures: dict[str, concurrent.futures.Future[CacheEntry]] = {}
        # Works wait for a turn with their host here, outside the HTTP layer (`per_host`).
        self._turns = HostTurns(settings.per_host)
        self._client: HttpClient | None = None
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._started: float | None = None
        self._now = time.time()
        self._lock = threading.Lock()
        self._unanswered: set[str] = set()  # hosts
        self._answered = 0
        self._denied: set[str] = set()  # host names the resolver said do not exist
        self._named_answers = 0  # answers from works on host names the resolver looked up
        self._down_reason = ""  # why the breaker tripped: "unreachable" or NO_SUCH_HOST
        self._too_large: list[str] = []  # works whose page was over the byte cap
        self._down = False  # this build found the network down and stopped trying
        self._resting = False  # an earlier build did, moments ago

    def start(self, stored: Mapping[str, WorkMeta]) -> None:
        """Load the cache; `stored` is what the ledger knows."""
        self._now = time.time()
        self.cache.load()
        down = self.cache.network_down
        settings = self.settings
        self._resting = (
            settings.online
            and not settings.refresh
            and not settings.strict
            and 0 < self._now - down < NETWORK_REST
        )
        self.known = dict(stored)
        for url, entry in self.cache.entries.items():
            # The newer of the two wins: a teammate may have committed a fresher ledger.
            if entry.meta and entry.meta.checked >= self.known.get(url, WorkMeta()).checked:
                self.known[url] = entry.meta

    def want(self, urls: Iterable[str]) -> None:
        """Start fetching the works behind `urls` (normalised), unless storage will do."""
        if not self.settings.online or self._resting:
            return
        for url in urls:
            if self._down:  # tripped, maybe while this page's works were being queued
                return
            if url in self._seen:
                continue
            self._seen.add(url)
            entry = self.cache.get(url)
            settings = self.settings
            fresh = entry is not None and entry.fresh(self._now, settings.ttl, settings.failure_ttl)
            if fresh and not settings.refresh:
                if _resolved_by_dns(url) and len(self._fresh_named) < 3:
                    self._fresh_named.append(url)
                continue
            self._submit(url, entry)

    def _submit(self, url: str, entry: CacheEntry | None) -> None:
        if self._pool is None:
            from mkdocs_backlinks.http.client import HttpClient

            self._client = HttpClient(self.settings.http())
            self._pool = concurrent.futures.ThreadPoolExecutor(
                max_workers=self.settings.concurrency, thread_name_prefix="backlinks-works"
            )
            self._started = time.monotonic()
        known = self.known.get(url, WorkMeta())
        self.requests += 1
        # Our own future, not the pool's: a work waits here, outside the HTTP layer, until
        # its host has a free turn (`per_host`). Submitted at once, it would wait for the
        # HTTP layer's host slot inside `fetch`, and that wait counts against the work's own
        # `timeout`: many works on one slow host ended "unreachable" without being asked.
        future: concurrent.futures.Future[CacheEntry] = concurrent.futures.Future()
        future.add_done_callback(self._count)
        self._futures[url] = future
        host = host_of(url)
        self._turns.queue(
            host, functools.partial(self._start, host, _Queued(url, entry, known, future))
        )

    def _start(self, host: str, item: _Queued) -> bool:
        """Start a waiting work on the turn its host has for it; False (the turn goes to the
        next work) when it was cancelled meanwhile or the pool is closed."""
        if item.future.cancelled():
            return False
        pool, client = self._pool, self._client
        try:
            if pool is None or client is None:
                raise RuntimeError("closed")
            pool.submit(self._check, host, client, item)
            return True
        except RuntimeError:  # closed after the deadline: nobody waits for it any more
            item.future.cancel()
            return False

    def _check(self, host: str, client: HttpClient, item: _Queued) -> None:
        # Marked running only now, on a pool thread: until then the breaker can cancel it.
        if not item.future.set_running_or_notify_cancel():
            self._turns.release(host)
            return
        try:
            entry = check_work(client, item.url, item.entry, item.known, self._now)
        except BaseException as exc:  # reported per URL by collect
            item.future.set_exception(exc)
        else:
            item.future.set_result(entry)
        self._turns.release(host)

    def _count(self, future: concurrent.futures.Future[CacheEntry]) -> None:
        """Called as each check ends: trips the breaker when nothing answers at all."""
        if future.cancelled() or future.exception() is not None:
            return
        with self._lock:
            entry = future.result()
            host = host_of(entry.url)
            if entry.outcome == "unreachable":
                self._unanswered.add(host)
            elif entry.outcome == NO_SUCH_HOST:
                self._denied.add(host)
            else:
                self._answered += 1
                if _resolved_by_dns(entry.url):
                    self._named_answers += 1
            if self._down:
                return
            if not self._answered and len(self._unanswered) >= NETWORK_DOWN_AFTER:
                self._down_reason = "unreachable"
            elif not self._named_answers and len(self._denied) >= NO_SUCH_HOST_DOWN_AFTER:
                # Every name denied and none answered: a resolver that knows no outside
                # name, not a site whose every citation lapsed (see NO_SUCH_HOST_DOWN_AFTER).
                self._down_reason = NO_SUCH_HOST
            else:
                return
            self._down = True
            pending = list(self._futures.values())
        for waiting in pending:
            waiting.cancel()  # the ones not started yet; those in flight end on their deadline

    def collect(self, graph: LinkGraph) -> dict[str, WorkMeta]:
        """Wait for the fetches (at most until the deadline), store and report the results.

        Returns the metadata of every cited work that has any, by normalised URL.
        """
        failed: dict[str, str] = {}
        restricted: list[str] = []
        skipped = self._gather(failed, restricted) if self._futures else 0
        if self._down:
            self.cache.mark_network(self._now)
        elif self._answered:
            self.cache.mark_network(0.0)
        cited = citing_pages(graph)
        self._forget_stale(cited)
        self.cache.save()
        shown = {url: self.known[url] for url in cited if url in self.known}
        self._report(shown, cited, failed, skipped)
        report_restricted(restricted)
        report_too_large(self._too_large)
        return shown

    def _gather(self, failed: dict[str, str], restricted: list[str]) -> int:
        """Wait for the fetches and take in what they learned; `failed` gets the works that
        could not be checked (with why), `restricted` those behind a login. Returns how many
        were cancelled before they started."""
        assert self._started is not None
        remaining = self._started + self.settings.deadline - time.monotonic()
        done, late = concurrent.futures.wait(self._futures.values(), timeout=max(0, remaining))
        heard = self._heard(done)
        if not heard and any(_outcome(future) == NO_SUCH_HOST for future in done):
            done, heard = self._confirm(done)
        skipped = 0
        for url, future in self._futures.items():
            if future.cancelled():
                skipped += 1
            elif future not in done:
                failed[url] = "no answer within metadata.deadline"
            else:
                self._take(url, future, heard, failed, restricted)
        for future in late:
            future.cancel()
        self._futures = {}
        return skipped

    def _take(
        self,
        url: str,
        future: concurrent.futures.Future[CacheEntry],
        heard: bool,
        failed: dict[str, str],
        restricted: list[str],
    ) -> None:
        """Store and remember what one finished check learned, or say why it taught nothing."""
        try:
            entry = future.result()
        except Exception as exc:  # a bug on hostile input must not stop the build
            log.debug("Checking %s failed: %r", url, exc)
            failed[url] = type(exc).__name__
            return
        if entry.outcome == NO_SUCH_HOST and not heard:
            # Nothing else answered: this resolver may say "no such name" to every
            # name while offline. Not believed, not stored; asked again next build.
            failed[url] = "no such host, and no work on another host name answered to confirm it"
            return
        if entry.outcome == RESTRICTED:
            restricted.append(url)
        if entry.outcome not in NO_ANSWER:
            self.cache.put(entry)
        if entry.meta:
            self.known[url] = entry.meta
        if entry.outcome == "too-large":
            self._too_large.append(url)
        if entry.outcome not in (*ALIVE, *DEAD, "not-modified", *JUDGED):
            # The HTTP layer's words where they tell the author more than the outcome: the
            # address a redirect was refused at, a certificate that did not verify.
            shown = entry.outcome in (REDIRECT_REFUSED, "unreachable") and entry.error
            failed[url] = f"{entry.outcome}: {entry.error}" if shown else entry.outcome

    def _report(
        self,
        shown: Mapping[str, WorkMeta],
        cited: Mapping[str, list[str]],
        failed: Mapping[str, str],
        skipped: int,
    ) -> None:
        """Say what this build could not check, and which cited works are dead."""
        if self._resting:
            log.info(
                "Cited works not checked: the network was unreachable %d minutes ago; stored "
                "metadata used (MKDOCS_BACKLINKS_REFRESH=1 or --strict checks now).",
                (self._now - self.cache.network_down) // 60,
            )
        if self._down:  # cancelled, and never started once the breaker tripped
            skipped += sum(1 for url in cited if url not in self._seen)
        reasons = {
            url: "no such host"
            for url in shown
            if (cached := self.cache.get(url)) is not None and cached.outcome == NO_SUCH_HOST
        }
        report(
            shown,
            cited,
            failed,
            skipped if self._down else 0,
            reasons,
            rest_minutes=NETWORK_REST // 60,
            down=self._down_reason,
            denied=len(self._denied),
        )

    def _heard(self, done: set[concurrent.futures.Future[CacheEntry]]) -> bool:
        """Whether a work on a host name the resolver looked up answered over HTTP.

        Counted from the finished futures, not from `_answered`: a future's callbacks may
        still be running when `wait` returns."""
        return any(
            future in done and _outcome(future) not in (None, *SILENT) and _resolved_by_dns(url)
            for url, future in self._futures.items()
        )

    def _confirm(
        self, done: set[concurrent.futures.Future[CacheEntry]]
    ) -> tuple[set[concurrent.futures.Future[CacheEntry]], bool]:
        """Ask one work whose cache entry was fresh again, when a "no such host" is all the
        build heard: otherwise a mistyped link among works the cache still answers for is
        never confirmed, and every build for a week says it could not be checked. One
        conditional request (a 304 is enough), within what is left of the deadline.

        Returns the finished futures, the asked one among them if it answered in time, and
        whether the build has now heard a work on a host name."""
        if not self._fresh_named or self._down:
            return done, False
        url = self._fresh_named.pop(0)
        self._submit(url, self.cache.get(url))
        future = self._futures[url]
        assert self._started is not None
        remaining = self._started + self.settings.deadline - time.monotonic()
        concurrent.futures.wait([future], timeout=max(0, remaining))
        if not future.done():
            # Too late to hear: as if never asked, so its fresh entry is not reported missing.
            future.cancel()
            del self._futures[url]
            return done, False
        done = {*done, future}
        return done, self._heard(done)

    def _forget_stale(self, cited: Mapping[str, list[str]]) -> None:
        """Drop cache entries of works no longer cited once they are past their TTL, so the
        cache follows the site instead of growing with every link ever written. Only online: an
        offline or serve build learns nothing, and leaves the cache as it found it."""
        if not self.settings.online or self._resting or self._down:
            return
        settings = self.settings
        for url, entry in list(self.cache.entries.items()):
            if url not in cited and not entry.fresh(self._now, settings.ttl, settings.failure_ttl):
                self.cache.remove(url)

    def close(self) -> None:
        """Stop what is still running; threads stuck on a slow server end at their own
        request deadline, and the client refuses anything new at once."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        if self._client is not None:
            self._client.close()
            self._client = None


@dataclass(frozen=True)
class _Queued:
    """A work waiting for its host's turn."""

    url: str
    entry: CacheEntry | None
    known: WorkMeta
    future: concurrent.futures.Future[CacheEntry]


def _outcome(future: concurrent.futures.Future[CacheEntry]) -> str | None:
    """The outcome of a finished check; None when it was cancelled or raised."""
    if future.cancelled() or future.exception() is not None:
        return None
    return future.result().outcome


def _resolved_by_dns(url: str) -> bool:
    """Whether fetching `url` asked the resolver for a name, so that an answer from it shows
    the resolver works: not an address written as such, nor `localhost`, which the system
    answers without DNS. A sandbox whose DNS says "no such name" to everything can still reach
    a local server by its address, and that must not make every other name's NXDOMAIN true."""
    host = host_of(url).strip("[]")
    if host == "localhost" or host.endswith(".localhost"):
        return False
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return True
    return False
