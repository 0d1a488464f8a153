"""Politeness per host: at most so many requests to one host at once, the rest in line.

One mechanism for everything that asks a host for something: the HTTP client takes a turn
around each exchange (blocking, within the request's deadline), and metadata fetching queues
whole works (`queue`), so that a work waiting for its host waits outside the HTTP layer and
the wait does not count against its own timeout. Turns are handed on in order of arrival.

No `requests` here: an offline build imports this module without loading the HTTP stack.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator

__all__ = ["HostTurns"]


class HostTurns:
    """Turns with each host: `per_host` at once, the others waiting in line.

    A waiting start is a callable that returns whether it took the turn. One that no longer
    wants it (a cancelled work, a request past its deadline) returns False, and the turn goes
    to the next in line; one that took it gives it back with `release`.
    """

    def __init__(self, per_host: int) -> None:
        self.per_host = per_host
        self._lock = threading.Lock()
        self._waiting: dict[str, deque[Callable[[], bool]]] = {}
        self._running: Counter[str] = Counter()
        self._stopped: set[str] = set()

    def stop_asking(self, host: str) -> None:
        """Remember that `host` answered 429 and we gave up: it gets no more requests from
        this object's owner (one build, one command run)."""
        with self._lock:
            self._stopped.add(host)

    def rate_limited(self, host: str) -> bool:
        """Whether `host` answered 429 earlier (see `stop_asking`)."""
        with self._lock:
            return host in self._stopped

    def queue(self, host: str, start: Callable[[], bool]) -> None:
        """Call `start` when `host` has a free turn: now, on this thread, if it has one;
        otherwise later, on the thread that gives a turn back."""
        with self._lock:
            self._waiting.setdefault(host, deque()).append(start)
            if self._running[host] >= self.per_host:
                return
            self._running[host] += 1
        self.release(host)

    def release(self, host: str) -> None:
        """Give back a turn with `host`: the next in line that still wants it takes it over
        (the ones that no longer do are skipped), or the turn is free again."""
        while True:
            with self._lock:
                waiting = self._waiting.get(host)
                if not waiting:
                    self._running[host] -= 1
                    return
                start = waiting.popleft()
            if start():
                return

    @contextlib.contextmanager
    def hold(self, host: str, deadline: float) -> Iterator[bool]:
        """Hold a turn with `host` for the block; yields False (holding nothing) when the
        `time.monotonic` deadline passes first."""
        waiter = _Waiter()
        self.queue(host, waiter.start)
        if not waiter.wait(max(0.0, deadline - time.monotonic())):
            yield False
            return
        try:
            yield True
        finally:
            self.release(host)


class _Waiter:
    """A thread waiting in line for its turn, until it gives up."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._state = "waiting"

    def start(self) -> bool:
        with self._changed:
            if self._state != "waiting":  # gave up: the turn goes on to the next
                return False
            self._state = "granted"
            self._changed.notify_all()
            return True

    def wait(self, timeout: float) -> bool:
        """Whether the turn came within `timeout` seconds; past it, the waiter gives up."""
        with self._changed:
            self._changed.wait_for(lambda: self._state == "granted", timeout)
            if self._state == "granted":
                return True
            self._state = "gave-up"
            return False
