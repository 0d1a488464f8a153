"""Delivering a plan: live pages checked, endpoints discovered, webmentions POSTed.

The W3C Webmention Recommendation (section 3.1) is the rule book for the sender: discover the
target's endpoint (`discovery.discover`), POST `source` and `target` form-encoded, treat any
2xx as success (202 queued, 201 with a status `Location`). The Recommendation says nothing of
an endpoint that answers the POST with a redirect; HTTP does (RFC 9110, 15.4): a 307 or 308
asks for the same request elsewhere, so the form is posted again there, through the same
address guard and within the client's redirect limit; 301, 302 and 303 turn a POST into a
GET, which would deliver nothing, so they are reported as `redirected` (not delivered, tried
again next run), never as the receiver's refusal.

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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from urllib.parse import urlsplit

from mkdocs_backlinks.http.client import HttpClient
from mkdocs_backlinks.ledger.model import Ledger
from mkdocs_backlinks.webmention.discovery import Discovery, discover
from mkdocs_backlinks.webmention.live import LivePage, live_check, live_links
from mkdocs_backlinks.webmention.outcomes import (
    DELIVERED,
    REPOST_CODES,
    Delivery,
    delivery_from_discovery,
    delivery_of,
    location_of,
    reason_text,
    shown_url,
)
from mkdocs_backlinks.webmention.plan import Plan, Step, split_moves
from mkdocs_backlinks.webmention.record import Recorder

__all__ = ["Report", "Sender", "deliver"]


class Sender:
    """Checks live pages, discovers endpoints and posts webmentions through one `HttpClient`.

    POSTs go one at a time, and two POSTs to the same endpoint host are at least `interval`
    seconds apart (the next job for another host goes first meanwhile): receivers are often
    small personal sites, and a site that cites one author on many pages must not hit them
    with a burst.
    """

    def __init__(
        self,
        client: HttpClient,
        *,
        interval: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.interval = interval
        self.clock = clock
        self._sleep = sleep
        self._last_post: dict[str, float] = {}

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
        """POST one webmention, after waiting out the endpoint host's interval, and again
        wherever a 307 or 308 sends it (see `_post_following`)."""
        host = _host(endpoint)
        posted: set[str] = set()
        try:
            return self._post_following(source, target, endpoint, posted)
        finally:
            now = self.clock()
            for name in posted | {host}:
                self._last_post[name] = now

    def _wait_for(self, host: str) -> None:
        """Wait out `host`'s interval since the last webmention posted to it."""
        last = self._last_post.get(host)
        if last is not None:
            wait = last + self.interval - self.clock()
            if wait > 0:
                self._sleep(wait)

    def _post_following(
        self, source: str, target: str, endpoint: str, posted: set[str]
    ) -> Delivery:
        """POST to `endpoint`, then to each 307/308 `Location` in turn, by hand.

        `HttpClient.post_form` never follows a redirect (a generic client would turn a 301 or
        302 into a GET and report the GET's 200 as a success). Each hop is a new `post_form`,
        so every address is checked by the guard like the first; the chain ends at the
        client's `max_redirects`, at a URL already posted to, or at any other redirect. The
        outcome records the endpoint that answered last, and a 201's `Location` is resolved
        against it.
        """
        form = {"source": source, "target": target}
        limit = self.client.options.max_redirects
        chain = [endpoint]  # every URL posted to, in order
        code: int | None = None  # the redirect that led to the current URL
        while True:
            current = chain[-1]
            # Every hop's host is paced, not just the first: a 307 to another receiver must
            # not reach it sooner than a webmention sent there directly would.
            self._wait_for(_host(current))
            posted.add(_host(current))
            result = self.client.post_form(current, form)
            if code is not None and result.status == "refused":
                # The address guard stopped the hop before any connection.
                reason = f"HTTP {code} to {shown_url(current)}, refused: {result.error}"
                return Delivery("redirected", target, code, chain[-2], reason=reason_text(reason))
            if result.http_status not in REPOST_CODES:
                delivery = delivery_of(result, target, current)
                if code is not None and delivery.outcome in DELIVERED:
                    via = f"re-sent after HTTP {code} from {shown_url(endpoint)}"
                    delivery = replace(delivery, reason=reason_text(via))
                return delivery
            code = result.http_status
            where = location_of(result, current)
            problem = ""
            if where is None:
                problem = "without a usable http(s) Location"
            elif where in chain:
                problem = f"to {shown_url(where)}, a redirect loop"
            elif len(chain) > limit:
                problem = f"to {shown_url(where)}: more than {limit} redirects"
            if where is None or problem:
                reason = reason_text(f"HTTP {code} {problem}")
                return Delivery("redirected", target, code, current, reason=reason)
            chain.append(where)

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
    return (urlsplit(url).hostname or "").lower()


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
) -> Ledger:
    """Carry out `plan`: check the live pages, discover endpoints, and POST when `post`.

    Every outcome goes to `report` as soon as it is known. With `post`, each one is also
    recorded in the ledger, which is saved every `checkpoint` seconds and, whatever happens (a
    receiver that hangs until the deadline, Ctrl-C), once more on the way out: what was sent
    is never forgotten, and each record is complete on its own. With `reload`, a save starts
    from the ledger on disk when it changed since the last read or save, so what a build or
    `mark` wrote during the run is kept. Without `post` nothing is
    recorded, and a step that would be posted reports the outcome "ready" with its endpoint.
    Outcomes are recorded on the ledger split by the plan's moves, the one read again
    included: an old address's record must exist before its first outcome lands on it.
    """
    steps = plan.to_do

    def prepare(current: Ledger) -> Ledger:
        return split_moves(current, plan.moved)

    start = prepare(ledger) if post else ledger
    recorder = Recorder(start, today, save, sender.clock, checkpoint, reload, prepare)

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
            record(step, sender.post(step.source, target, endpoint))
    finally:
        if post:
            recorder.flush()
    return recorder.ledger
