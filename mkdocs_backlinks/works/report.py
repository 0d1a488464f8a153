"""What the build says about the cited works it checked: one line per finding, not per fetch.

A dead citation is the author's to fix, so it is one warning per URL naming the pages that
cite it; network trouble is one warning for the whole build; what is news rather than a fault
(a private address, a work behind a login) is one info line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from mkdocs.plugins import get_plugin_logger

from mkdocs_backlinks.works.model import WorkMeta

if TYPE_CHECKING:
    from mkdocs_backlinks.graph.linkgraph import LinkGraph

__all__ = ["citing_pages", "report", "report_restricted", "report_too_large"]

log = get_plugin_logger(__name__)


def citing_pages(graph: LinkGraph) -> dict[str, list[str]]:
    """The pages citing each work, by the work's normalised URL, in page order."""
    pages: dict[str, list[str]] = {}
    for src in sorted(graph.pages):
        for link in graph.citations(src):
            citing = pages.setdefault(link.target, [])
            if not citing or citing[-1] != src:
                citing.append(src)
    return pages


def report(
    shown: Mapping[str, WorkMeta],
    cited: Mapping[str, list[str]],
    failed: Mapping[str, str],
    skipped: int = 0,
    reasons: Mapping[str, str] | None = None,
    *,
    rest_minutes: float,
    down: str = "",
    denied: int = 0,
) -> None:
    """Warn about dead works and about works that could not be checked.

    `down` says why the build decided the network was down ("unreachable", or
    "no-such-host" when the resolver denied `denied` host names and nothing answered); then
    `skipped` works were not tried, later builds rest `rest_minutes`, and the build says so in
    one line instead of a reason per work."""
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
    if not down:
        # A redirect into a private address was chosen by the server, not the author: each
        # is a warning naming the address refused, not part of the network's trouble.
        for url in sorted(url for url, why in failed.items() if why.startswith(_REDIRECT)):
            log.warning(
                "Cited work %s redirects to an address the plugin does not connect to (%s); "
                "not followed. Cited in %s",
                url,
                failed[url].removeprefix(_REDIRECT),
                ", ".join(cited.get(url, [])),
            )
        failed = {url: why for url, why in failed.items() if not why.startswith(_REDIRECT)}
    if down == "no-such-host":
        log.warning(
            'The network seems to be down: the resolver said "no such host" to all %d host '
            "names asked and no work answered, so the other %d cited works were not tried. %s",
            denied,
            skipped,
            _down_advice(rest_minutes),
        )
        return
    if down or skipped:
        log.warning(
            "The network seems to be down: none of the first %d cited works could be reached, "
            "so the other %d were not tried. %s",
            len(failed),
            skipped,
            _down_advice(rest_minutes),
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


def _down_advice(rest_minutes: float) -> str:
    return (
        f"The build used stored metadata; builds in the next {rest_minutes:.0f} minutes will "
        "not try again, except with --strict. Build with offline: true (or "
        "MKDOCS_BACKLINKS_OFFLINE=1) where there is no network."
    )


_REDIRECT = "redirect-refused: "


def report_too_large(urls: list[str]) -> None:
    """One info line for the works whose page was over the HTTP layer's byte cap: they are
    alive, but nothing was read from them, so they show no title."""
    if urls:
        log.info(
            "Cited work%s over the size cap for a page, so no title or author was read: %s",
            "" if len(urls) == 1 else "s",
            _sample(sorted(urls)),
        )


def report_restricted(restricted: list[str]) -> None:
    """One info line for the works that answered 401 or 403 (see `check.RESTRICTED`)."""
    if restricted:
        log.info(
            "Not flagged, cited work%s behind a login or turning checkers away (HTTP 401/403): %s",
            "" if len(restricted) == 1 else "s",
            _sample(sorted(restricted)),
        )


def _sample(urls: list[str]) -> str:
    """The first three of `urls`, and how many more: a log line stays one line."""
    more = f" and {len(urls) - 3} more" if len(urls) > 3 else ""
    return ", ".join(urls[:3]) + more
