"""Delivering a plan: live pages checked, endpoints discovered, webmentions POSTed.

The W3C Webmention Recommendation (section 3.1) is the rule book for the sender: discover the
target's endpoint (`discovery.discover`, following the target's redirects as 3.1.2 says), POST
`source` and `target` form-encoded, treat any 2xx as success (202 queued, 201 with a status
`Location`). The POST itself follows no redirect: the Recommendation asks for redirects to be
followed only when fetching the target (3.1.2) and, on the receiver's side, the source
(3.2.2); an endpoint that answers the POST with a 3xx did not take the webmention, and posting
the form wherever its `Location` points would send it to an address the target never
advertised. It is recorded as `redirected` (not delivered; the next run discovers the endpoint
again), never as the receiver's refusal.

A receiver that answers 429 or 503 with `Retry-After` is left alone until then: no other
webmention goes to that endpoint host in this run (`Sender.held_until`), and the time is
recorded for the next runs (`plan.held_hosts`).

`Sender` uses `HttpClient` only: it fetches each live page to see that it really shows what
the build shows, discovers endpoints concurrently, then POSTs one at a time with a minimum
interval per endpoint host. Each target's record carries the digest of the page it was sent
for, so a run interrupted half-way leaves a ledger that is right as far as it goes: the next
run sends only what is left.
"""

from __future__ import annotations

import concurrent.futures
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, timezone

from mkdocs_backlinks.http.client import HttpClient
from mkdocs_backlinks.ledger.model import Ledger
from mkdocs_backlinks.webmention.discovery import Discovery, discover
from mkdocs_backlinks.webmention.live import LivePage, live_check, live_links
from mkdocs_backlinks.webmention.outcomes import (
    Delivery,
    delivery_from_discovery,
    delivery_of,
    format_instant,
)
from mkdocs_backlinks.webmention.plan import Plan, Step, endpoint_host, split_moves
from mkdocs_backlinks.webmention.record import Keeper, Recorder

__all__ = ["Report", "Sender", "deliver"]


class Sender:
    """Checks live pages, discovers endpoints and posts webmentions through one `HttpClient`.

    POSTs go one at a time, and two POSTs to the same endpoint host are at least `interval`
    seconds apart (the next job for another host goes first meanwhile): receivers are often
    small personal sites, and a site that cites one author on many pages must not hit them
    with a burst. A host that asked for a pause (`Retry-After`) is not posted to until it is
    over (`held`, `held_until`).
    """

    def __init__(
        self,
        client: HttpClient,
        *,
        interval: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        held: Mapping[str, str] | None = None,
        utcnow: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        self.client = client
        self.interval = interval
        self.clock = clock
        self._sleep = sleep
        self._utcnow = utcnow
        self._last_post: dict[str, float] = {}
        self._held: dict[str, str] = dict(held or {})

    def live_pages(self, sources: Iterable[str]) -> dict[str, LivePage]:
        """Fetch each live page once (concurrently) and read its links."""
        results = self.client.fetch_many(sources)
        pages: dict[str, LivePage] = {}
        for url, result in results.items():
            if result.ok:
                pages[url] = LivePage(result.status, live_links(result.text, result.final_url))
            else:
                code = result.http_status
                detail = result.error or (f"HTTP {code}" if code else "")
                pages[url] = LivePage(result.status, {}, detail)
        return pages

    def discover_all(self, targets: Iterable[str]) -> dict[str, Discovery]:
        """Discover the endpoint of each target once, concurrently within the client's limits."""
        unique = list(dict.fromkeys(targets))
        if not unique:
            return {}
        workers = min(self.client.options.concurrency, len(unique))
        pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="backlinks-discover"
        )
        try:
            futures = [pool.submit(discover, self.client, target) for target in unique]
            return {target: future.result() for target, future in zip(unique, futures, strict=True)}
        finally:
            # On Ctrl-C, queued discoveries are dropped; running ones end by their deadline.
            pool.shutdown(wait=False, cancel_futures=True)

    def post(self, source: str, target: str, endpoint: str) -> Delivery:
        """POST one webmention, after waiting out the endpoint host's interval; a redirect is
        the outcome, not followed (`HttpClient.post_form` never follows one)."""
        host = _host(endpoint)
        self._wait_for(host)
        try:
            result = self.client.post_form(endpoint, {"source": source, "target": target})
        finally:
            self._last_post[host] = self.clock()
        delivery = delivery_of(result, target, endpoint, self._utcnow())
        if delivery.not_before:
            self._held[host] = max(self._held.get(host, ""), delivery.not_before)
        return delivery

    def held_until(self, endpoint: str) -> str:
        """Until when the endpoint's host asked not to be posted to, if that is still to come
        (as `format_instant` writes it), else ""."""
        until = self._held.get(_host(endpoint), "")
        return until if until > format_instant(self._utcnow()) else ""

    def _wait_for(self, host: str) -> None:
        """Wait out `host`'s interval since the last webmention posted to it."""
        last = self._last_post.get(host)
        if last is not None:
            wait = last + self.interval - self.clock()
            if wait > 0:
                self._sleep(wait)

    def ready_at(self, endpoint: str) -> float:
        """When a POST to `endpoint` may go, by the pacing rule."""
        return self._ready_at(_host(endpoint))

    def paced(self, endpoints: list[str]) -> Iterator[int]:
        """Indexes of `endpoints` in the order to post to them: as given, except that one
        whose host must still wait lets a ready one of another host go first; `post` waits
        only when none is ready."""
        queues: dict[str, deque[int]] = {}
        for index, endpoint in enumerate(endpoints):
            queues.setdefault(_host(endpoint), deque()).append(index)
        while queues:
            now = self.clock()
            heads = [(queue[0], host) for host, queue in queues.items()]
            ready = [head for head in heads if self._ready_at(head[1]) <= now]
            index, host = min(ready) if ready else min(heads, key=lambda h: self._ready_at(h[1]))
            queue = queues[host]
            queue.popleft()
            if not queue:
                del queues[host]
            yield index

    def _ready_at(self, host: str) -> float:
        last = self._last_post.get(host)
        return 0.0 if last is None else last + self.interval


def _host(url: str) -> str:
    return endpoint_host(url)


Report = Callable[[Step, Delivery], None]


def deliver(
    plan: Plan,
    sender: Sender,
    ledger: Ledger,
    today: str,
    *,
    post: bool,
    report: Report,
    save: Callable[[Ledger], None],
    checkpoint: float = 10.0,
    reload: Callable[[], Ledger | None] | None = None,
    keeper: Keeper | None = None,
) -> Ledger:
    """Carry out `plan`: check the live pages, discover endpoints, and POST when `post`.

    Every outcome goes to `report` as soon as it is known. With `post`, each one is also
    handed to `keeper` (the run's journal, on disk before the next POST goes, so not even a
    `kill -9` loses it) and recorded in the ledger, which is saved every `checkpoint` seconds
    and, whatever happens (a receiver that hangs until the deadline, Ctrl-C), once more on the
    way out: what was sent is never forgotten, and each record is complete on its own. A step
    whose endpoint host asked to be left alone (`Sender.held_until`) is reported as `waiting`
    and not recorded: its record stays as it was, to be sent when the time has come. With
    `reload`, a save starts from the ledger on disk when it changed since the last read or
    save, so what a build or `mark` wrote during the run is kept. Without `post` nothing is
    recorded, and a step that would be posted reports the outcome "ready" with its endpoint.
    Outcomes are recorded on the ledger split by the plan's moves, the one read again
    included: an old address's record must exist before its first outcome lands on it.
    """
    steps = plan.to_do

    def prepare(current: Ledger) -> Ledger:
        return split_moves(current, plan.moved)

    start = prepare(ledger) if post else ledger
    recorder = Recorder(start, today, save, sender.clock, checkpoint, reload, prepare, keeper)

    def record(step: Step, delivery: Delivery) -> None:
        report(step, delivery)
        if post:
            recorder.add(step, delivery)

    try:
        live = sender.live_pages(dict.fromkeys(step.source for step in steps))
        ready: list[tuple[Step, str]] = []
        for step in steps:
            checked = live_check(step, live.get(step.source))
            if isinstance(checked, Delivery):
                record(step, checked)
            else:
                ready.append((step, checked))
        found = sender.discover_all(target for _, target in ready)
        jobs: list[tuple[Step, str, str]] = []
        for step, target in ready:
            endpoint = found[target].endpoint
            decided = delivery_from_discovery(found[target], target)
            if decided is not None or endpoint is None:
                record(step, decided or Delivery("no-endpoint", target))
            elif post:
                jobs.append((step, target, endpoint))
            else:
                record(step, Delivery("ready", target, endpoint=endpoint))
        for index in sender.paced([endpoint for _, _, endpoint in jobs]):
            step, target, endpoint = jobs[index]
            until = sender.held_until(endpoint)
            if until:
                why = f"the receiver asked to wait until {until}"
                report(step, Delivery("waiting", target, None, endpoint, "", why, until))
                continue
            record(step, sender.post(step.source, target, endpoint))
    finally:
        if post:
            recorder.flush()
    return recorder.ledger
