"""Reading the configured mention sources: webmention.io page by page, a JF2 feed, a file.

Every failure is a value: a source that cannot be read gives a message and the pages it did
read, never an exception, so one bad source never costs the others or the stored mentions.
Nothing here writes files; the caller merges what comes back into the store.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

from mkdocs_backlinks.http.link_header import first_with_rel, resolve
from mkdocs_backlinks.mentions.documents import DocumentError, decode_json, decode_yaml
from mkdocs_backlinks.mentions.feed import Problem, parse_feed
from mkdocs_backlinks.mentions.merge import merge, update_store
from mkdocs_backlinks.mentions.model import Mention, MentionsStore, SourceState
from mkdocs_backlinks.mentions.source_types import Jf2Feed, LocalFile, Source, WebmentionIo

if TYPE_CHECKING:
    from mkdocs_backlinks.http.client import HttpClient
    from mkdocs_backlinks.http.result import Result

__all__ = [
    "DEFAULT_PAGE_LIMIT",
    "MAX_PAGES",
    "PER_PAGE",
    "Fetched",
    "apply",
    "fetch_source",
    "prune_gone",
    "read_file_source",
    "read_mentions_file",
]

PER_PAGE = 100
MAX_PAGES = 500
"""Pages read from one source in one fetch: 50,000 mentions at webmention.io's page size.
A server that never sends a short page cannot keep a build fetching forever."""


@dataclass
class Fetched:
    """What one source gave in one fetch.

    `error` is empty when every page was read; otherwise it says, without any secret, why the
    fetch stopped, and `mentions` still holds the pages read before. `skipped` counts entries
    the parser refused (each one explained in `problems`).
    """

    source: str
    mentions: list[Mention] = field(default_factory=list)
    error: str = ""
    problems: list[Problem] = field(default_factory=list)
    pages: int = 0
    oversized: list[str] = field(default_factory=list)
    """Pages (or single entries) over the size cap, skipped while the rest were read."""

    @property
    def skipped(self) -> int:
        return sum(1 for problem in self.problems if problem.skipped)


def _decode(result: Result) -> tuple[object | None, str]:
    try:
        return decode_json(result.text), ""
    except DocumentError as exc:
        return None, f"the answer is {exc}" if str(exc).startswith("not") else str(exc)


def _failure(result: Result) -> str:
    status = result.http_status
    # A 200 can still fail (too large, cut short): then our status word says more.
    code = f"HTTP {status}" if status and not 200 <= status < 300 else result.status
    return f"{code}: {result.error}" if result.error else code


def _page_data(outcome: Fetched, result: Result, page: int) -> tuple[bool, object]:
    """Whether a fetched page decoded, and its JSON; if not, the reason in `outcome.error`
    (JSON's `null` decodes too: `_read_page` says what is wrong with it)."""
    if not result.ok:
        outcome.error = f"page {page}: {_failure(result)}"
        return False, None
    data, problem = _decode(result)
    if problem:
        outcome.error = f"page {page}: {problem}"
        return False, None
    return True, data


def _read_page(outcome: Fetched, data: object, page: int) -> int | None:
    """Add a decoded page's mentions to `outcome`; the number of entries, None if unusable."""
    mentions, problems = parse_feed(data)
    if problems and problems[0].reason == "not a feed":
        outcome.error = f"page {page}: {problems[0].detail}"
        return None
    outcome.mentions.extend(mentions)
    outcome.problems.extend(
        Problem(p.reason, f"page {page}, {p.detail}", p.skipped) for p in problems
    )
    outcome.pages += 1
    return len(mentions) + sum(1 for p in problems if p.skipped)


def _fetch_webmention_io(
    client: HttpClient, source: WebmentionIo, state: SourceState, stop: threading.Event
) -> Fetched:
    outcome = Fetched(source.name)
    token = os.environ.get(source.token_env, "").strip()
    if not token:
        outcome.error = (
            f"the environment variable {source.token_env} is not set (it holds the "
            "webmention.io API token)"
        )
        return outcome
    params = {"domain": source.domain, "sort-by": "created", "sort-dir": "up"}
    if state.since_id:
        params["since_id"] = state.since_id
    separator = "&" if urlsplit(source.api).query else "?"

    def ask(page: int, per_page: int) -> Result:
        query = urlencode({**params, "per-page": str(per_page), "page": str(page), "token": token})
        return client.fetch(source.api + separator + query, accept=None, secret_params=["token"])

    for page in range(MAX_PAGES):
        entries = _read_api_page(outcome, source, ask, (page, PER_PAGE), stop)
        if entries is None or entries < PER_PAGE:
            return outcome
    outcome.error = f"stopped after {MAX_PAGES} pages"
    return outcome


_SPLIT = 10
"""An oversized page is asked again as this many smaller pages, down to single entries."""


def _read_api_page(
    outcome: Fetched,
    source: WebmentionIo,
    ask: Callable[[int, int], Result],
    span: tuple[int, int],
    stop: threading.Event,
) -> int | None:
    """Read page `page` of `per_page` entries into `outcome`: the number of entries it held,
    or None when the fetch must stop (the reason in `outcome.error`).

    A page over the size cap is asked again in tenths (the same entries, as pages of a tenth
    the size), down to single entries; an entry too large alone is skipped and reported. So
    one huge reply costs only itself, its neighbours still arrive, and the `since_id` moves
    past it: the next fetch does not ask for it again.
    """
    page, per_page = span
    if stop.is_set():
        outcome.error = "stopped before the last page (time limit)"
        return None
    result = ask(page, per_page)
    if result.http_status in (401, 403):
        outcome.error = (
            f"webmention.io refused the token in ${source.token_env} "
            f"(HTTP {result.http_status}); check that it is the API key of {source.domain}"
        )
        return None
    where = f"page {page}" if per_page == PER_PAGE else f"page {page} of {per_page} entries"
    if result.status == "too-large":
        if per_page == 1:
            outcome.oversized.append(f"entry {page} (counted from since_id)")
            return 1
        smaller = max(1, per_page // _SPLIT)
        total = 0
        for part in range(per_page // smaller):
            at = (page * (per_page // smaller) + part, smaller)
            entries = _read_api_page(outcome, source, ask, at, stop)
            if entries is None:
                return None
            total += entries
            if entries < smaller:
                break
        return total
    usable, data = _page_data(outcome, result, page)
    if not usable:
        outcome.error = outcome.error.replace(f"page {page}", where, 1)
        return None
    return _read_page(outcome, data, page)


def _next_url(result: Result, data: object) -> str | None:
    """The next page's absolute URL, "" when the feed names one that is no valid URL (the
    caller then stops with an error), None when it names none."""
    link = first_with_rel(result.link_headers, "next", result.final_url)
    if link is not None:
        return link.url
    if isinstance(data, dict):
        for key in ("next_url", "next"):
            value: object = data.get(key)
            if isinstance(value, str) and value.strip():
                return resolve(value, result.final_url)
    return None


def _fetch_jf2(client: HttpClient, source: Jf2Feed, stop: threading.Event) -> Fetched:
    outcome = Fetched(source.name)
    url: str | None = source.url
    seen: set[str] = set()
    page = 0
    while url is not None:
        if stop.is_set():
            outcome.error = "stopped before the last page (time limit)"
            return outcome
        if page >= MAX_PAGES or url in seen:
            outcome.error = f"stopped at page {page}: the feed's next links go round in a loop"
            return outcome
        if urlsplit(url).scheme not in ("http", "https"):
            outcome.error = f"page {page}: the next link is not an http(s) URL"
            return outcome
        seen.add(url)
        result = client.fetch(url, accept=None)
        link = first_with_rel(result.link_headers, "next", result.final_url)
        if result.status == "too-large" and link is not None:
            # Its next page is named in a header, so the pages after it can still be read.
            outcome.oversized.append(f"page {page}")
            url, page = link.url, page + 1
            continue
        usable, data = _page_data(outcome, result, page)
        if not usable or _read_page(outcome, data, page) is None:
            return outcome
        url = _next_url(result, data)
        page += 1
    return outcome


DEFAULT_PAGE_LIMIT = 20_000_000
"""Largest page of a feed, file source or import read, in bytes (`mentions.max_page_mb`)."""


def read_file_source(
    source: LocalFile, base: Path, limit: int = DEFAULT_PAGE_LIMIT, site_url: str = ""
) -> Fetched:
    """A local mentions file, relative to `base` (mkdocs.yml's folder): a JF2 or
    webmention.io JSON export, an Eleventy cache, or jekyll-webmention_io's YAML cache."""
    return read_mentions_file(base / source.path, source.name, limit, site_url)


def read_mentions_file(path: Path, name: str, limit: int, site_url: str = "") -> Fetched:
    """The mentions in the file at `path`, whatever went wrong as `error`, never raising.

    A file ending in `.yml` or `.yaml` is read as YAML (jekyll-webmention_io's cache), any
    other as JSON. `site_url` makes the page paths of a jekyll cache absolute.
    """
    outcome = Fetched(name)
    try:
        if path.stat().st_size > limit:
            outcome.error = (
                f"{path} is larger than {limit:,} bytes (mentions.max_page_mb); it was not read"
            )
            return outcome
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        outcome.error = f"{path} does not exist"
        return outcome
    except (OSError, UnicodeDecodeError) as exc:
        outcome.error = f"cannot read {path}: {exc}"
        return outcome
    try:
        yaml_file = path.suffix.lower() in (".yml", ".yaml")
        data = decode_yaml(text) if yaml_file else decode_json(text)
    except DocumentError as exc:
        outcome.error = f"{path} is {exc}" if str(exc).startswith("not") else f"{path}: {exc}"
        return outcome
    mentions, problems = parse_feed(data, site_url)
    if problems and problems[0].reason == "not a feed":
        outcome.error = f"{path}: {problems[0].detail}"
        return outcome
    outcome.mentions.extend(mentions)
    outcome.problems.extend(problems)
    outcome.pages = 1
    return outcome


def fetch_source(
    client: HttpClient,
    source: Source,
    state: SourceState,
    base: Path,
    stop: threading.Event | None = None,
) -> Fetched:
    """Read one source; never raises for a remote or file problem.

    The page size cap is the client's `max_bytes` (the caller sets it from
    `mentions.max_page_mb`), for files too."""
    stop = stop or threading.Event()
    if isinstance(source, LocalFile):
        return read_file_source(source, base, client.options.max_bytes)
    if isinstance(source, WebmentionIo):
        return _fetch_webmention_io(client, source, state, stop)
    return _fetch_jf2(client, source, stop)


def apply(store: MentionsStore, results: Iterable[Fetched], fetched_at: str) -> MentionsStore:
    """The store with every source's mentions merged in and its fetch state moved on.

    A source that failed midway still gives what it read, and its `since_id` moves only as far
    as those pages (webmention.io is asked oldest first), so the next fetch asks again for
    the rest. A local file keeps no state.
    """
    for fetched in results:
        if fetched.source.startswith("file:"):
            store = MentionsStore(tuple(merge(store.mentions, fetched.mentions)), store.sources)
        elif fetched.mentions or not fetched.error:
            store = update_store(store, fetched.source, fetched.mentions, fetched_at)
    return store


def prune_gone(
    client: HttpClient, store: MentionsStore, skip: Sequence[str] = ()
) -> tuple[MentionsStore, list[Mention]]:
    """The store without mentions whose source answers 410 Gone, and those removed.

    Only 410 counts: a 404, a timeout or a refused connection may be temporary, and a mention
    dropped by mistake cannot be fetched again incrementally.
    """
    sources = sorted({m.source for m in store.mentions} - set(skip))
    gone: set[str] = set()
    for url, result in zip(sources, _fetch_all(client, sources), strict=True):
        if result.status == "gone":
            gone.add(url)
    removed = [m for m in store.mentions if m.source in gone]
    kept = tuple(m for m in store.mentions if m.source not in gone)
    return MentionsStore(kept, store.sources), removed


def _fetch_all(client: HttpClient, urls: Sequence[str]) -> list[Result]:
    results: Mapping[str, Result] = client.fetch_many(urls, accept=None)
    return [results[url] for url in urls]
