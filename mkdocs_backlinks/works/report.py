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

__all__ = ["citing_pages", "report", "report_restricted"]

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
) -> None:
    """Warn about dead works and about works that could not be checked; `skipped` works were
    not tried because the network seemed down, and later builds rest `rest_minutes`."""
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
            rest_minutes,
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
