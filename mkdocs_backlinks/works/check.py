"""Checking one cited work: fetch it, and say what it is now.

The answer is a cache entry whose outcome says what the fetch showed: a live work and its
metadata, a dead one (the author's to fix), or nothing new about the work (the path to it
failed, which `resolver` reports once for the whole build).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from mkdocs_backlinks.links.urls import normalise_url
from mkdocs_backlinks.works.cache import CacheEntry
from mkdocs_backlinks.works.model import Routes, WorkMeta, meta_from_record, meta_record

# The HTML parsers and the HTTP layer are imported when the first work is checked.
if TYPE_CHECKING:
    from mkdocs_backlinks.http.client import HttpClient
    from mkdocs_backlinks.http.result import Result

__all__ = [
    "ALIVE",
    "DEAD",
    "JUDGED",
    "NO_ANSWER",
    "NO_SUCH_HOST",
    "REDIRECT_REFUSED",
    "RESTRICTED",
    "SILENT",
    "check_work",
    "same_address",
]

# Fetch outcomes that describe the work. The rest (5xx, 429, time-outs, no route) describe the
# path to it, or the moment: they keep what was known and are reported once, together.
ALIVE = frozenset({"ok", "redirected", "wrong-type", "too-large"})
DEAD = {"broken": "broken", "gone": "gone", "too-many-redirects": "broken"}
# No server answered: nothing to cache, ask again next build (the network may be back).
NO_ANSWER = frozenset({"unreachable", "refused", "redirect-refused"})

NO_SUCH_HOST = "no-such-host"
"""Cache outcome of a work whose host name the resolver says does not exist (NXDOMAIN).

Marked `broken`, not `gone`: `gone` is the site itself saying "removed on purpose" (410),
while a name that lapsed or was mistyped is a link the author must fix, like a 404, and
may come back. It proves the resolver works, so it never counts towards the network-down
breaker; but some systems answer "no such name" for every name when offline (macOS), or
in a sandbox, so it is believed only when a work on another host name (one the resolver
looked up: not an address, not `localhost`) answered in the same build."""

REDIRECT_REFUSED = "redirect-refused"
"""Outcome of a work that redirected to an address the guard refuses (private, loopback,
cloud metadata): unlike a cited intranet address, nobody chose it on the page, so it is a
warning naming the refused address. Not cached, like any check no server finished."""

RESTRICTED = "restricted"
"""Cache outcome of a work that answered 401 or 403: behind a login, or a site that turns
automated clients away (Cloudflare's bot check, many publishers). The work exists and
readers reach it, so it is not dead: what was known stays, a work never read is `ok` (it
answers), and the build says so in one info line. lychee's users accept 403 for the same
reason, and LinkChecker's FAQ calls such errors the site's policy, not a broken link."""
_RESTRICTED_CODES = frozenset({401, 403})
# Outcomes that prove nothing answered over HTTP (the NXDOMAIN included: see NO_SUCH_HOST).
SILENT = frozenset({"unreachable", "refused", NO_SUCH_HOST})
# Outcomes this module judged from the answer itself: reported per work, not as network trouble.
JUDGED = frozenset({NO_SUCH_HOST, RESTRICTED})


def _today(now: float) -> str:
    """The UTC date of `now`, as the ledger writes when a work was checked."""
    return datetime.fromtimestamp(now, timezone.utc).date().isoformat()


def check_work(
    client: HttpClient, url: str, previous: CacheEntry | None, known: WorkMeta, now: float
) -> CacheEntry:
    """Fetch one cited work (conditionally when `previous` has validators) and say what it is.

    `known` is the best metadata from before; a 304 keeps it, and so does any failure that
    says nothing about the work itself. Never raises for a remote problem.
    """
    from mkdocs_backlinks.http.result import DEFAULT_ACCEPT

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
    if result.status in ALIVE:
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
    dead = DEAD.get(result.status)
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
    error = result.error
    if result.status == "refused" and not same_address(result.final_url, url):
        # Not the author's choice of address: a redirect led there (see REDIRECT_REFUSED).
        outcome, error = REDIRECT_REFUSED, f"{result.final_url}: {result.error}"
    return CacheEntry(url, now, outcome, meta, etag, modified, error=error)


def _learn(url: str, result: Result, today: str) -> WorkMeta:
    """The metadata in a fetched page (an empty one for a body that is not HTML)."""
    from mkdocs_backlinks.webmention.discovery import endpoint_from_headers, endpoint_from_html
    from mkdocs_backlinks.works.extract import extract_metadata, without_xml_declaration

    final = result.final_url
    status = "ok" if same_address(final, url) else "redirected"
    if result.status not in ("ok", "redirected") or not result.body:
        moved = final if status == "redirected" else ""
        return WorkMeta(status=status, final_url=moved, checked=today)
    html = without_xml_declaration(result.text)
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
                final_url="" if same_address(canonical, url) else canonical,
                checked=today,
                routes=Routes(emails, contacts.profiles, endpoint or ""),
            )
        )
    )


def same_address(found: str, cited: str) -> bool:
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
