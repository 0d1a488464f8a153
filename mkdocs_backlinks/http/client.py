"""The one place where the plugin touches the network.

Everything remote (metadata of cited pages, webmention discovery and sending, incoming
mentions) goes through `HttpClient`, so the rules that keep a documentation build safe and
bounded live in this package once:

- **Address guard** (`guard`, `dns`, `transport`). Each hop's host is resolved, every address
  is checked, and the connection goes to the checked address itself (the request URL is
  rewritten to the IP; Host header, SNI and certificate checks keep the name), so DNS cannot
  answer differently between the check and the connect.
- **Bounded cost** (`exchange`, `hosts`). A timeout per connect and per read, one wall-clock
  deadline per request covering redirects, retries, slow handshakes, trickling headers and
  bodies, a byte cap on the decoded body (so a compression bomb stops after `max_bytes` of
  output), and a limit on concurrent requests per host and in total.
- **No secrets leak** (`redact`, `errors`). Credentials (Authorization, Cookie and query
  parameters the caller marks secret) never follow a redirect to another origin, and error
  messages are built from our own words, never from exception text that may quote a URL.
- **Failures are values** (`result`). Every call returns a `Result` with a status a caller
  can act on; nothing raises for a remote problem.

This module walks the redirect chain and retries; the modules named above do the rest.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import http.cookiejar
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import requests
import urllib3
from mkdocs.plugins import get_plugin_logger

from mkdocs_backlinks.http.dns import resolve
from mkdocs_backlinks.http.exchange import Sender
from mkdocs_backlinks.http.guard import (
    IPAddress,
    Refused,
    Target,
    parse_target,
    proxied_problem,
)
from mkdocs_backlinks.http.hosts import HostTurns
from mkdocs_backlinks.http.link_header import header_text
from mkdocs_backlinks.http.options import (
    HttpOptions,
    ca_bundle_from_env,
    offline_from_env,
)
from mkdocs_backlinks.http.redact import (
    redact,
    scrub,
    secret_values,
    strip_params,
    without_credentials,
)
from mkdocs_backlinks.http.result import (
    DEFAULT_ACCEPT,
    REDIRECT_CODES,
    RETRY_CODES,
    Failure,
    Reply,
    Result,
    Validators,
    retry_after_seconds,
    status_for,
)
from mkdocs_backlinks.http.transport import PinnedAdapter

__all__ = ["HttpClient"]

log = get_plugin_logger(__name__)


class HttpClient:
    """Guarded, bounded HTTP for the plugin; one per build, closed when the build ends.

    Thread-safe: `fetch_many` calls `fetch` from a pool, and callers may too.
    """

    def __init__(self, options: HttpOptions | None = None) -> None:
        self.options = options or HttpOptions()
        self._closed = threading.Event()
        self._session = requests.Session()
        # No proxies or .netrc from the environment: a proxy nobody asked for would take
        # connections past the address guard, and .netrc would add credentials we never chose
        # to send. The CA bundle variables are read on purpose, in `_ca_bundle`.
        self._session.trust_env = False
        # Cookies are a tracking vector and nothing here needs them.
        self._session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        self._adapter = PinnedAdapter(
            pool_connections=max(10, self.options.concurrency),
            # Pools are per address, and many host names may share one (a CDN, a proxy): as
            # many connections as requests may run at once, or urllib3 warns as it discards.
            pool_maxsize=self.options.concurrency,
            max_retries=0,
        )
        self._session.mount("http://", self._adapter)
        self._session.mount("https://", self._adapter)
        self._verify: bool | str = self._ca_bundle()
        self._proxy = self.options.proxy
        accept_encoding = urllib3.util.make_headers(accept_encoding=True)["accept-encoding"]
        self._sender = Sender(self._adapter, self._verify, self.options, accept_encoding)
        self._total_slots = threading.BoundedSemaphore(self.options.concurrency)
        self._hosts = HostTurns(self.options.per_host)

    def _ca_bundle(self) -> bool | str:
        """What TLS verifies with: the option, else the environment's bundle, else certifi.

        A variable naming nothing is said once and ignored, rather than failing every
        https request with a message about a file the author never meant."""
        if self.options.ca_bundle:
            return self.options.ca_bundle
        named = ca_bundle_from_env()
        if named is None:
            return True
        variable, path = named
        if not Path(path).exists():
            log.warning(
                "%s names %s, which does not exist; TLS is verified with the CA bundle "
                "requests ships instead.",
                variable,
                path,
            )
            return True
        return path

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Release connections and threads; later calls return "unreachable". Idempotent."""
        self._closed.set()
        self._session.close()

    @property
    def offline(self) -> bool:
        return self.options.offline or offline_from_env()

    # --- public calls ---

    def fetch(
        self,
        url: str,
        *,
        method: str = "GET",
        accept: tuple[str, ...] | None = DEFAULT_ACCEPT,
        data: Mapping[str, str] | bytes | None = None,
        headers: Mapping[str, str] | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        secret_params: Iterable[str] = (),
        follow_redirects: bool | None = None,
    ) -> Result:
        """Request `url` and return what happened; never raises for a remote problem.

        `accept`: media types the caller can use; another Content-Type gives "wrong-type"
        without reading the body (None accepts anything). `etag`/`last_modified` make the
        request conditional. `secret_params` names query parameters that, like Authorization
        and Cookie headers, are dropped when a redirect leaves the origin. Redirects are
        followed for GET and HEAD unless `follow_redirects` says otherwise.
        """
        return self._fetch_until(
            url,
            time.monotonic() + self.options.deadline,
            method=method.upper(),
            accept=tuple(accept) if accept else None,
            data=data,
            headers=dict(headers or {}),
            validators=Validators(etag, last_modified),
            secret_params=frozenset(secret_params),
            follow_redirects=follow_redirects,
        )

    def post_form(
        self,
        url: str,
        data: Mapping[str, str],
        *,
        headers: Mapping[str, str] | None = None,
        secret_params: Iterable[str] = (),
    ) -> Result:
        """POST `data` form-encoded (a webmention's source and target), without following
        redirects: a redirected POST was not accepted, and re-sending it elsewhere is not ours
        to decide. A 201's Location stays in `Result.headers`."""
        return self.fetch(
            url,
            method="POST",
            accept=None,
            data=dict(data),
            headers=headers,
            secret_params=secret_params,
            follow_redirects=False,
        )

    def fetch_many(
        self,
        urls: Iterable[str],
        *,
        method: str = "GET",
        accept: tuple[str, ...] | None = DEFAULT_ACCEPT,
        headers: Mapping[str, str] | None = None,
        secret_params: Iterable[str] = (),
        validators: Mapping[str, Validators] | None = None,
        deadline: float | None = None,
    ) -> dict[str, Result]:
        """Fetch many URLs concurrently; a `Result` for every distinct URL, in input order.

        At most `concurrency` requests run at once, at most `per_host` per host name. The
        whole batch ends by `deadline` seconds (default `batch_deadline`): a URL not done by
        then is "unreachable" and its thread is left to finish on its own deadline.
        """
        unique = list(dict.fromkeys(urls))
        if not unique:
            return {}
        batch_end = time.monotonic() + (
            self.options.batch_deadline if deadline is None else deadline
        )
        known = validators or {}
        common: dict[str, Any] = {
            "method": method.upper(),
            "accept": tuple(accept) if accept else None,
            "data": None,
            "headers": dict(headers or {}),
            "secret_params": frozenset(secret_params),
            "follow_redirects": None,
        }
        results: dict[str, Result] = {}
        executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=min(self.options.concurrency, len(unique)),
            thread_name_prefix="backlinks-http",
        )
        try:
            futures = {
                executor.submit(
                    self._fetch_until,
                    url,
                    batch_end,
                    validators=known.get(url, Validators()),
                    batch_end=batch_end,
                    **common,
                ): url
                for url in unique
            }
            # Each fetch keeps its own deadline; the grace covers the watchdog's wake-up.
            done, pending = concurrent.futures.wait(
                futures, timeout=max(0.0, batch_end - time.monotonic()) + 1.0
            )
            for future in done:
                results[futures[future]] = future.result()
            for future in pending:
                future.cancel()
                url = futures[future]
                results[url] = Result(
                    url, url, "unreachable", error="the batch deadline passed first"
                )
                log.debug(
                    "%s: unreachable (the batch deadline passed first)",
                    redact(url, common["secret_params"]),
                )
        finally:
            executor.shutdown(wait=False, cancel_futures=True)
        return {url: results[url] for url in unique}

    # --- internals ---

    def _fetch_until(
        self,
        url: str,
        deadline: float,
        *,
        method: str,
        accept: tuple[str, ...] | None,
        data: Mapping[str, str] | bytes | None,
        headers: dict[str, str],
        validators: Validators,
        secret_params: frozenset[str],
        follow_redirects: bool | None,
        batch_end: float | None = None,
    ) -> Result:
        started = time.monotonic()
        if batch_end is not None:
            # A queued URL gets its own deadline from when it starts, within the batch's.
            deadline = min(batch_end, started + self.options.deadline)
        secrets = secret_values(url, secret_params, headers)
        if self.offline:
            result = Result(url, url, "unreachable", error="offline")
        elif self._closed.is_set():
            result = Result(url, url, "unreachable", error="the HTTP client is closed")
        elif batch_end is not None and started >= batch_end:
            result = Result(url, url, "unreachable", error="the batch deadline passed first")
        else:
            try:
                result = self._follow(
                    url,
                    deadline,
                    method=method,
                    accept=accept,
                    data=data,
                    headers=headers,
                    validators=validators,
                    secret_params=secret_params,
                    follow=method in ("GET", "HEAD")
                    if follow_redirects is None
                    else follow_redirects,
                )
            except Exception as error:
                # A remote failure must never stop the build, and a hostile response that
                # trips an unexpected exception deep in the HTTP stack is a remote failure.
                # No traceback: exception text from the HTTP stack may quote the URL.
                log.debug(
                    "unexpected %s fetching %s: %s",
                    type(error).__name__,
                    redact(url, secret_params),
                    scrub(str(error), secrets),
                )
                result = Result(url, url, "unreachable", error=type(error).__name__)
        result = replace(
            result, elapsed=time.monotonic() - started, error=scrub(result.error, secrets)
        )
        if not result.ok:
            log.debug(
                "%s %s: %s%s",
                method,
                redact(url, secret_params),
                result.status,
                f" ({result.error})" if result.error else "",
            )
        return result

    def _follow(
        self,
        url: str,
        deadline: float,
        *,
        method: str,
        accept: tuple[str, ...] | None,
        data: Mapping[str, str] | bytes | None,
        headers: dict[str, str],
        validators: Validators,
        secret_params: frozenset[str],
        follow: bool,
    ) -> Result:
        """Walk the redirect chain by hand, checking every hop like the first."""
        current = url
        origin: Target | None = None
        first: Target | None = None
        credentials = True
        redirects = 0
        while True:
            try:
                target = parse_target(current)
            except Refused as refusal:
                shown = current if origin is None else strip_params(current, secret_params)
                return Result(url, shown, "refused", error=str(refusal))
            if origin is None:
                origin = first = target
            elif credentials and not origin.same_origin(target):
                credentials = False
            if not credentials:
                target = replace(target, url=strip_params(target.url, secret_params))
                headers = without_credentials(headers)
            outcome = self._exchange_with_retries(
                target,
                deadline,
                method=method,
                accept=accept,
                data=data,
                headers=headers,
                validators=validators,
            )
            if isinstance(outcome, Failure):
                return Result(
                    url,
                    target.url,
                    outcome.status,
                    error=outcome.error,
                    no_such_host=outcome.no_such_host,
                )
            location = outcome.headers.get("Location")
            if not (outcome.http_status in REDIRECT_CODES and location):
                return _final(url, target, first, outcome)
            if not follow:
                error = f"HTTP {outcome.http_status}: redirect not followed for {method}"
                return outcome.result(url, target.url, "broken", error)
            if redirects >= self.options.max_redirects:
                return outcome.result(
                    url,
                    target.url,
                    "too-many-redirects",
                    f"more than {self.options.max_redirects} redirects",
                )
            redirects += 1
            try:
                current = urljoin(target.url, header_text(location))
            except ValueError:  # 'http://[::1/': refused like any other invalid hop
                return Result(url, target.url, "refused", error="redirect to an invalid URL")
            if outcome.http_status == 303 or (
                outcome.http_status in (301, 302) and method == "POST"
            ):
                method = "HEAD" if method == "HEAD" else "GET"
                data = None
                headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}

    def _exchange_with_retries(
        self,
        target: Target,
        deadline: float,
        *,
        method: str,
        accept: tuple[str, ...] | None,
        data: Mapping[str, str] | bytes | None,
        headers: dict[str, str],
        validators: Validators,
    ) -> Reply | Failure:
        """One hop: resolve and check, then send, retrying a 429 or 503 as the server asks."""
        if self._hosts.rate_limited(target.host):
            return Failure("rate-limited", f"{target.host}: answered 429 earlier in this run")
        addresses: list[IPAddress] = []
        if self._proxy:
            problem = proxied_problem(target, self.options.allow_networks)
            if problem is not None:
                return Failure("refused", f"{target.host}: {problem}")
        else:
            resolved = resolve(target, deadline, self.options.allow_networks)
            if isinstance(resolved, Failure):
                return resolved
            addresses = resolved
        prepared = self._sender.prepare(target, method, accept, data, headers, validators)
        if isinstance(prepared, Failure):
            return prepared
        attempt = 0
        while True:
            reply = self._exchange(target, prepared, addresses, deadline, accept)
            if isinstance(reply, Failure) or reply.http_status not in RETRY_CODES:
                return reply
            wait = self._retry_wait(reply.headers.get("Retry-After"), attempt)
            if (
                attempt >= self.options.retries
                or wait is None
                or time.monotonic() + wait >= deadline
            ):
                if reply.http_status == 429:
                    # It asked us to slow down and we are giving up: every other request to
                    # it in this run would be refused the same way, and adds to the load.
                    self._hosts.stop_asking(target.host)
                return reply
            if self._closed.wait(wait):
                return Failure("unreachable", "the HTTP client is closed")
            attempt += 1

    def _retry_wait(self, retry_after: str | None, attempt: int) -> float | None:
        """Seconds to wait before retrying, or None to give up now (the server asked for
        longer than `max_retry_wait`: retrying sooner would only be refused again)."""
        asked = retry_after_seconds(retry_after)
        if asked is not None:
            return asked if asked <= self.options.max_retry_wait else None
        return min(self.options.backoff * 2.0**attempt, self.options.max_retry_wait)

    @contextlib.contextmanager
    def _slots(self, host: str, deadline: float) -> Iterator[bool]:
        """Hold a turn with the host and a total slot; host first, so a thread waiting for a
        total slot never blocks the host it holds from anything but its own request."""
        with self._hosts.hold(host, deadline) as held:
            if not held:
                yield False
                return
            if not self._total_slots.acquire(timeout=max(0.0, deadline - time.monotonic())):
                yield False
                return
            try:
                yield True
            finally:
                self._total_slots.release()

    def _exchange(
        self,
        target: Target,
        prepared: requests.PreparedRequest,
        addresses: list[IPAddress],
        deadline: float,
        accept: tuple[str, ...] | None,
    ) -> Reply | Failure:
        """Send once, holding the host's turn and a total slot for the exchange."""
        with self._slots(target.host, deadline) as acquired:
            if not acquired:
                return Failure(
                    "unreachable", f"{target.host}: the deadline passed waiting for a free slot"
                )
            if self._proxy:
                return self._sender.send_via_proxy(target, prepared, self._proxy, deadline, accept)
            return self._sender.send(target, prepared, addresses, deadline, accept)


def _final(url: str, target: Target, first: Target | None, reply: Reply) -> Result:
    """The result of the chain's last response (one that does not redirect)."""
    if reply.problem is not None:
        return reply.result(url, target.url, *reply.problem)
    status = status_for(reply.http_status)
    if status == "ok" and first is not None and target.url != first.url:
        status = "redirected"
    ok = status in ("ok", "redirected", "not-modified")
    return reply.result(url, target.url, status, "" if ok else f"HTTP {reply.http_status}")
