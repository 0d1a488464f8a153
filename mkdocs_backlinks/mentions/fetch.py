"""Reading the configured mention sources: webmention.io page by page, a JF2 feed, a file.

Every failure is a value: a source that cannot be read gives a message and the pages it did
read, never an exception, so one bad source never costs the others or the stored mentions.
Nothing here writes files; the caller merges what comes back into the store.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

from mkdocs_backlinks.http.link_header import first_with_rel, resolve
from mkdocs_backlinks.mentions.feed import parse_feed
from mkdocs_backlinks.mentions.merge import merge, update_store
from mkdocs_backlinks.mentions.model import Mention, MentionsStore, SourceState
from mkdocs_backlinks.mentions.source_types import Jf2Feed, LocalFile, Source, WebmentionIo

if TYPE_CHECKING:
    from mkdocs_backlinks.http.client import HttpClient
    from mkdocs_backlinks.http.result import Result

__all__ = [
    "FILE_LIMIT",
    "MAX_PAGES",
    "PER_PAGE",
    "Fetched",
    "apply",
    "fetch_source",
    "prune_gone",
    "read_file_source",
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
    problems: list[str] = field(default_factory=list)
    pages: int = 0

    @property
    def skipped(self) -> int:
        return len(self.problems)


def _decode(result: Result) -> tuple[object | None, str]:
    try:
        return json.loads(result.text), ""
    except json.JSONDecodeError as exc:
        return None, f"the answer is not valid JSON ({exc.msg} at line {exc.lineno})"


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
    entries = _entry_count(data)
    if entries is None:
        outcome.error = f"page {page}: " + (problems[0] if problems else "not a mentions feed")
        return None
    outcome.mentions.extend(mentions)
    outcome.problems.extend(f"page {page}, {problem}" for problem in problems)
    outcome.pages += 1
    return entries


def _entry_count(data: object) -> int | None:
    if isinstance(data, list):
        return len(data)
    if isinstance(data, dict):
        for key in ("children", "links"):
            if isinstance(data.get(key), list):
                return len(data[key])
    return None


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
    params = {"domain": source.domain, "per-page": str(PER_PAGE)}
    params.update({"sort-by": "created", "sort-dir": "up"})
    if state.since_id:
        params["since_id"] = state.since_id
    separator = "&" if urlsplit(source.api).query else "?"
    for page in range(MAX_PAGES):
        if stop.is_set():
            outcome.error = "stopped before the last page (time limit)"
            return outcome
        query = urlencode({**params, "page": str(page), "token": token})
        result = client.fetch(source.api + separator + query, accept=None, secret_params=["token"])
        if result.http_status in (401, 403):
            outcome.error = (
                f"webmention.io refused the token in ${source.token_env} "
                f"(HTTP {result.http_status}); check that it is the API key of {source.domain}"
            )
            return outcome
        usable, data = _page_data(outcome, result, page)
        if not usable:
            return outcome
        entries = _read_page(outcome, data, page)
        if entries is None or entries < PER_PAGE:
            return outcome
    outcome.error = f"stopped after {MAX_PAGES} pages"
    return outcome


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
        usable, data = _page_data(outcome, result, page)
        if not usable or _read_page(outcome, data, page) is None:
            return outcome
        url = _next_url(result, data)
        page += 1
    return outcome


FILE_LIMIT = 50_000_000
"""Largest local mentions file read (bytes); a bigger one is surely not what was meant."""


def read_file_source(source: LocalFile, base: Path) -> Fetched:
    """A local JF2 / webmention.io JSON file, relative to `base` (mkdocs.yml's folder)."""
    outcome = Fetched(source.name)
    path = base / source.path
    try:
        if path.stat().st_size > FILE_LIMIT:
            outcome.error = f"{path} is larger than {FILE_LIMIT} bytes"
            return outcome
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        outcome.error = f"{path} does not exist"
        return outcome
    except (OSError, UnicodeDecodeError) as exc:
        outcome.error = f"cannot read {path}: {exc}"
        return outcome
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        outcome.error = f"{path} is not valid JSON ({exc.msg} at line {exc.lineno})"
        return outcome
    _read_page(outcome, data, 0)
    if outcome.error:
        outcome.error = f"{path}: {outcome.error}"
    return outcome


def fetch_source(
    client: HttpClient,
    source: Source,
    state: SourceState,
    base: Path,
    stop: threading.Event | None = None,
) -> Fetched:
    """Read one source; never raises for a remote or file problem."""
    stop = stop or threading.Event()
    if isinstance(source, LocalFile):
        return read_file_source(source, base)
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
