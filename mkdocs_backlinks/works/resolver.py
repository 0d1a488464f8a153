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
import ipaddress
import threading
import time
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from mkdocs.plugins import get_plugin_logger

from mkdocs_backlinks.http.options import env_flag, offline_from_env
from mkdocs_backlinks.ledger.ledger import (
    Ledger,
    LedgerError,
    Routes,
    WorkMeta,
    meta_from_record,
    meta_record,
    parse_ledger,
    read_ledger_text,
)
from mkdocs_backlinks.links.urls import host_of, normalise_url
from mkdocs_backlinks.works.cache import CacheEntry, MetadataCache

# The HTML parsers (BeautifulSoup, mf2py, html5lib) and this module's use of the HTTP layer
# are imported when the first work is fetched: a rebuild served from the cache, and every
# offline or serve build, never pays for importing them.
if TYPE_CHECKING:
    from collections.abc import Callable

    from mkdocs.config.defaults import MkDocsConfig

    from mkdocs_backlinks.config import BacklinksConfig
    from mkdocs_backlinks.graph.linkgraph import LinkGraph
    from mkdocs_backlinks.http.client import HttpClient, HttpOptions, Result

__all__ = [
    "REFRESH_ENV",
    "MetadataSettings",
    "WorkResolver",
    "check_work",
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

NETWORK_REST = 600.0
"""Seconds after a build found the network down during which later builds do not try again
(`MKDOCS_BACKLINKS_REFRESH=1` tries at once). Rebuilding on a train stays quick.

A `--strict` build never rests. The rest is a memo ("it was down a moment ago"), and a
strict build is a verdict: resting, it would pass with unchecked metadata where the build
that found the network down failed, and failing on the memo alone would fail it for up to
ten minutes after the network came back. So it looks again: down, it warns (and fails) like
the first; back, it checks the works and ends the rest for the builds after it."""

# Fetch outcomes that describe the work. The rest (5xx, 429, time-outs, no route) describe the
# path to it, or the moment: they keep what was known and are reported once, together.
_ALIVE = frozenset({"ok", "redirected", "wrong-type", "too-large"})
_DEAD = {"broken": "broken", "gone": "gone", "too-many-redirects": "broken"}
# No server answered: nothing to cache, ask again next build (the network may be back).
_NO_ANSWER = frozenset({"unreachable", "refused"})

NO_SUCH_HOST = "no-such-host"
"""Cache outcome of a work whose host name the resolver says does not exist (NXDOMAIN).

Marked `broken`, not `gone`: `gone` is the site itself saying "removed on purpose" (410),
while a name that lapsed or was mistyped is a link the author must fix, like a 404, and
may come back. It proves the resolver works, so it never counts towards the network-down
breaker; but some systems answer "no such name" for every name when offline (macOS), or
in a sandbox, so it is believed only when a work on another host name (one the resolver
looked up: not an address, not `localhost`) answered in the same build."""

RESTRICTED = "restricted"
"""Cache outcome of a work that answered 401 or 403: behind a login, or a site that turns
automated clients away (Cloudflare's bot check, many publishers). The work exists and
readers reach it, so it is not dead: what was known stays, a work never read is `ok` (it
answers), and the build says so in one info line. lychee's users accept 403 for the same
reason, and LinkChecker's FAQ calls such errors the site's policy, not a broken link."""
_RESTRICTED_CODES = frozenset({401, 403})
# Outcomes that prove nothing answered over HTTP (the NXDOMAIN included: see NO_SUCH_HOST).
_SILENT = frozenset({*_NO_ANSWER, NO_SUCH_HOST})
# Outcomes this module judged from the answer itself: reported per work, not as network trouble.
_JUDGED = frozenset({NO_SUCH_HOST, RESTRICTED})


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

    @classmethod
    def for_config(
        cls, options: BacklinksConfig, config: MkDocsConfig, command: str
    ) -> MetadataSettings:
        from mkdocs_backlinks.http.options import http_options

        meta = options.metadata

        def http() -> HttpOptions:
            return http_options(
                options,
                connect_timeout=min(5.0, meta.timeout),
                read_timeout=meta.timeout,
                deadline=meta.timeout,
                batch_deadline=meta.deadline,
                concurrency=meta.concurrency,
                per_host=meta.per_host,
            )

        offline = options.offline or offline_from_env()
        return cls(
            online=not offline and (command != "serve" or meta.on_serve),
            ttl=meta.ttl * DAY,
            failure_ttl=meta.failure_ttl * DAY,
            deadline=meta.deadline,
            concurrency=meta.concurrency,
            http=http,
            refresh=env_flag(REFRESH_ENV),
            per_host=meta.per_host,
            strict=bool(config.strict),
        )


def _today(now: float) -> str:
    return datetime.fromtimestamp(now, timezone.utc).date().isoformat()


# ----------------------------------------------------------------------------- one work


def check_work(
    client: HttpClient, url: str, previous: CacheEntry | None, known: WorkMeta, now: float
) -> CacheEntry:
    """Fetch one cited work (conditionally when `previous` has validators) and say what it is.

    `known` is the best metadata from before; a 304 keeps it, and so does any failure that
    says nothing about the work itself. Never raises for a remote problem.
    """
    from mkdocs_backlinks.http.client import DEFAULT_ACCEPT

    result = client.fetch(
        url,
        accept=DEFAULT_ACCEPT,
        etag=(previous.etag or None) if previous else None,
        last_modified=(previous.last_modified or None) if previous else None,
    )
    today = _today(now)
    # A failed check keeps the validators of the last good answer: the next check is then
    # still conditional, and a 304 brings back what that answer taught.
    etag, modified = (previous.etag, previous.last_modified) if previous else ("", "")
    if result.status == "not-modified" and previous is not None:
        # The stored metadata is still right; only the time of the check moves on.
        return replace(previous, fetched=now, outcome="not-modified")
    if result.status in _ALIVE:
        meta = _learn(url, result, today)
        if known.checked and meta.same_values(known):
            meta = known  # the date says when the values were learned, not re-read
        validators = result.validators
        return CacheEntry(
            url, now, result.status, meta, validators.etag or "", validators.last_modified or ""
        )
    if result.status == "broken" and result.http_status in _RESTRICTED_CODES:
        alive = known.status in ("ok", "redirected")
        meta = known if alive else replace(known, status="ok", checked=today)
        return CacheEntry(url, now, RESTRICTED, meta, etag, modified)
    dead = _DEAD.get(result.status)
    outcome: str = result.status
    if result.status == "unreachable" and result.no_such_host:
        dead, outcome = "broken", NO_SUCH_HOST
    if dead is not None:
        # No validators: a 304 to them would bring back the metadata of a dead work.
        meta = known if known.status == dead else replace(known, status=dead, checked=today)
        return CacheEntry(url, now, outcome, meta)
    # Unreachable, refused, 5xx, 429: nothing new about the work; keep what we knew. A work
    # never reached before is marked so, which flags nothing and is replaced once it answers.
    meta = known if known.status else replace(known, status="unreachable", checked=today)
    return CacheEntry(url, now, outcome, meta, etag, modified)


def _learn(url: str, result: Result, today: str) -> WorkMeta:
    """The metadata in a fetched page (an empty one for a body that is not HTML)."""
    from mkdocs_backlinks.webmention.discovery import endpoint_from_headers, endpoint_from_html
    from mkdocs_backlinks.works.extract import extract_metadata

    final = result.final_url
    status = "ok" if _same_address(final, url) else "redirected"
    if result.status not in ("ok", "redirected") or not result.body:
        moved = final if status == "redirected" else ""
        return WorkMeta(status=status, final_url=moved, checked=today)
    html = result.text
    page = extract_metadata(html, final, result.link_headers)
    endpoint = endpoint_from_headers(result.link_headers, final) or endpoint_from_html(html, final)
    author = page.author
    contacts = page.contacts
    author_email = [author.email] if author and author.email else []
    emails = tuple(dict.fromkeys([*author_email, *contacts.emails]))
    canonical = page.canonical_url or final
    # Through meta_from_record: the same bounds and URL checks as data read from disk.
    return meta_from_record(
        meta_record(
            WorkMeta(
                status=status,
                title=page.title or "",
                author=(author.name or "") if author else "",
                author_url=(author.url or "") if author else "",
                site_name=page.site_name or "",
                final_url="" if _same_address(canonical, url) else canonical,
                checked=today,
                routes=Routes(emails, contacts.profiles, endpoint or ""),
            )
        )
    )


def _same_address(found: str, cited: str) -> bool:
    """Whether `found` (a URL the HTTP layer reached, or a canonical link) is the cited one.

    The HTTP layer sends a Unicode host as IDNA (`xn--...`) and a path or query with spaces or
    non-ASCII characters percent-encoded, so its final URL spells a work cited as
    `https://bücher.example/café` differently; compared raw, every such work would be
    "redirected" to itself. Both sides are put in the form requests sends, then normalised.
    """
    import requests

    def sent(url: str) -> str:
        prepared = requests.PreparedRequest()
        try:
            prepared.prepare_url(url, None)
        except (requests.RequestException, ValueError):
            return normalise_url(url)
        return normalise_url(prepared.url or url)

    return sent(found) == sent(cited)


# ----------------------------------------------------------------------------- the build


def stored_metadata(ledger_path: Path) -> dict[str, WorkMeta]:
    """Metadata the committed ledger holds, read-only (for builds that do not keep it).

    The ledger belongs to the outreach desk: a damaged one is its business, so here it only
    means "nothing stored".
    """
    try:
        # Parsed here, not with `load_ledger`, which keeps what it read as the base of a
        # later `save_ledger`: a build never saves this ledger, and would hold it to the end.
        text = read_ledger_text(ledger_path)
        ledger = Ledger() if text is None else parse_ledger(text, ledger_path)
    except LedgerError as exc:
        log.debug("Not reading metadata from %s: %s", ledger_path, exc)
        return {}
    return {url: work.meta for url, work in ledger.works.items() if work.meta}


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
        # Works waiting for a turn with their host, and how many of each host are running.
        self._queues: dict[str, deque[_Queued]] = {}
        self._running: Counter[str] = Counter()
        self._client: HttpClient | None = None
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._started: float | None = None
        self._now = time.time()
        self._lock = threading.Lock()
        self._unanswered: set[str] = set()  # hosts
        self._answered = 0
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
        with self._lock:
            self._queues.setdefault(host, deque()).append(_Queued(url, entry, known, future))
            if self._running[host] >= self.settings.per_host:
                return
            self._running[host] += 1
        self._next(host)

    def _next(self, host: str) -> None:
        """Start the next waiting work of `host`, on a turn the caller holds for it (or give
        the turn back when none waits). Works cancelled meanwhile are skipped."""
        while True:
            with self._lock:
                queue = self._queues.get(host)
                if not queue:
                    self._running[host] -= 1
                    return
                item = queue.popleft()
            if item.future.cancelled():
                continue
            pool, client = self._pool, self._client
            try:
                if pool is None or client is None:
                    raise RuntimeError("closed")
                pool.submit(self._check, host, client, item)
                return
            except RuntimeError:  # closed after the deadline: nobody waits for it any more
                item.future.cancel()

    def _check(self, host: str, client: HttpClient, item: _Queued) -> None:
        # Marked running only now, on a pool thread: until then the breaker can cancel it.
        if not item.future.set_running_or_notify_cancel():
            self._next(host)
            return
        try:
            entry = check_work(client, item.url, item.entry, item.known, self._now)
        except BaseException as exc:  # reported per URL by collect
            item.future.set_exception(exc)
        else:
            item.future.set_result(entry)
        self._next(host)

    def _count(self, future: concurrent.futures.Future[CacheEntry]) -> None:
        """Called as each check ends: trips the breaker when nothing answers at all."""
        if future.cancelled() or future.exception() is not None:
            return
        with self._lock:
            entry = future.result()
            if entry.outcome == "unreachable":
                self._unanswered.add(host_of(entry.url))
            elif entry.outcome != NO_SUCH_HOST:  # the resolver answered: no news either way
                self._answered += 1
            if self._down or self._answered or len(self._unanswered) < NETWORK_DOWN_AFTER:
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
        skipped = 0
        if self._futures:
            assert self._started is not None
            remaining = self._started + self.settings.deadline - time.monotonic()
            done, late = concurrent.futures.wait(self._futures.values(), timeout=max(0, remaining))
            heard = self._heard(done)
            if not heard and any(_outcome(future) == NO_SUCH_HOST for future in done):
                done, heard = self._confirm(done)
            for url, future in self._futures.items():
                if future.cancelled():
                    skipped += 1
                    continue
                if future not in done:
                    failed[url] = "no answer within metadata.deadline"
                    continue
                try:
                    entry = future.result()
                except Exception as exc:  # a bug on hostile input must not stop the build
                    log.debug("Checking %s failed: %r", url, exc)
                    failed[url] = type(exc).__name__
                    continue
                if entry.outcome == NO_SUCH_HOST and not heard:
                    # Nothing else answered: this resolver may say "no such name" to every
                    # name while offline. Not believed, not stored; asked again next build.
                    failed[url] = (
                        "no such host, and no work on another host name answered to confirm it"
                    )
                    continue
                if entry.outcome == RESTRICTED:
                    restricted.append(url)
                if entry.outcome not in _NO_ANSWER:
                    self.cache.put(entry)
                if entry.meta:
                    self.known[url] = entry.meta
                if entry.outcome not in (*_ALIVE, *_DEAD, "not-modified", *_JUDGED):
                    failed[url] = entry.outcome
            for future in late:
                future.cancel()
            self._futures = {}
        if self._down:
            self.cache.mark_network(self._now)
        elif self._answered:
            self.cache.mark_network(0.0)
        cited = _citing_pages(graph)
        self._forget_stale(cited)
        self.cache.save()
        shown = {url: self.known[url] for url in cited if url in self.known}
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
        _report(shown, cited, failed, skipped if self._down else 0, reasons)
        if restricted:
            log.info(
                "Not flagged, cited work%s behind a login or turning checkers away "
                "(HTTP 401/403): %s",
                "" if len(restricted) == 1 else "s",
                _sample(sorted(restricted)),
            )
        return shown

    def _heard(self, done: set[concurrent.futures.Future[CacheEntry]]) -> bool:
        """Whether a work on a host name the resolver looked up answered over HTTP.

        Counted from the finished futures, not from `_answered`: a future's callbacks may
        still be running when `wait` returns."""
        return any(
            future in done and _outcome(future) not in (None, *_SILENT) and _resolved_by_dns(url)
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


def _citing_pages(graph: LinkGraph) -> dict[str, list[str]]:
    pages: dict[str, list[str]] = {}
    for src in sorted(graph.pages):
        for link in graph.citations(src):
            citing = pages.setdefault(link.target, [])
            if not citing or citing[-1] != src:
                citing.append(src)
    return pages


def _report(
    shown: Mapping[str, WorkMeta],
    cited: Mapping[str, list[str]],
    failed: Mapping[str, str],
    skipped: int = 0,
    reasons: Mapping[str, str] | None = None,
) -> None:
    for url in sorted(shown):
        meta = shown[url]
        if meta.dead:
            pages = ", ".join(cited[url])
            what = "gone (HTTP 410)" if meta.status == "gone" else "broken"
            if reason := (reasons or {}).get(url):
                what = f"{what} ({reason})"
            log.warning("Cited work %s is %s; cited in %s", url, what, pages)
    # The address guard refused a private or loopback address: the author cites it on
    # purpose (an intranet, a local example), so it is news, not a fault to fix.
    refused = sorted(url for url, why in failed.items() if why == "refused")
    if refused:
        log.info(
            "Not checked, private or local address%s (allow_networks can open them): %s",
            "" if len(refused) == 1 else "es",
            _sample(refused),
        )
    failed = {url: why for url, why in failed.items() if why != "refused"}
    if skipped:
        log.warning(
            "The network seems to be down: none of the first %d cited works could be reached, "
            "so the other %d were not tried. The build used stored metadata; builds in the "
            "next %d minutes will not try again, except with --strict. Build with offline: "
            "true (or MKDOCS_BACKLINKS_OFFLINE=1) where there is no network.",
            len(failed),
            skipped,
            NETWORK_REST // 60,
        )
        return
    if failed:
        sample = ", ".join(f"{url} ({why})" for url, why in sorted(failed.items())[:3])
        more = f" and {len(failed) - 3} more" if len(failed) > 3 else ""
        log.warning(
            "Could not check %d cited work%s: %s%s. The build used stored metadata; check the "
            "network, or build with offline: true (or MKDOCS_BACKLINKS_OFFLINE=1).",
            len(failed),
            "" if len(failed) == 1 else "s",
            sample,
            more,
        )


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


def _sample(urls: list[str]) -> str:
    """The first three of `urls`, and how many more: a log line stays one line."""
    more = f" and {len(urls) - 3} more" if len(urls) > 3 else ""
    return ", ".join(urls[:3]) + more
