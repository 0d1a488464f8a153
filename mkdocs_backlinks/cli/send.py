"""`send`: webmentions for the published site, planned from the ledger and the built pages.

A dry run unless `--yes`; `--source URL --target URL` sends one webmention at once. A run
with `--yes` holds the send journal (`webmention.journal`) from before it plans until its last
save: outcomes an interrupted run left there are recorded first, and each new one is kept
there the moment it is known.
"""

from __future__ import annotations

import argparse
import contextlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig

from mkdocs_backlinks.cli.common import (
    CONFIG_HELP,
    Subparsers,
    add_network_arguments,
    default_config,
    load_plugin,
    seconds_argument,
    timeout_argument,
)
from mkdocs_backlinks.cli.errors import UsageError
from mkdocs_backlinks.cli.outreach import outreach_settings
from mkdocs_backlinks.http.client import HttpClient
from mkdocs_backlinks.http.options import (
    OFFLINE_ENV,
    HttpOptions,
)
from mkdocs_backlinks.ledger.file import load_ledger, save_ledger
from mkdocs_backlinks.ledger.model import Ledger
from mkdocs_backlinks.links.urls import domain_matches, normalise_url, site_of
from mkdocs_backlinks.outreach.lists import save_with_lists
from mkdocs_backlinks.outreach.settings import Settings
from mkdocs_backlinks.plugin import BacklinksPlugin
from mkdocs_backlinks.settings import http_options, site_paths
from mkdocs_backlinks.webmention.deliver import Sender, deliver
from mkdocs_backlinks.webmention.journal import (
    JOURNAL_FILE,
    Journal,
    JournalBusy,
    Outcome,
    read_journal,
    replay,
)
from mkdocs_backlinks.webmention.live import read_built_site
from mkdocs_backlinks.webmention.outcomes import (
    DELIVERED,
    RETRY,
    Delivery,
    delivery_from_discovery,
    format_instant,
    printable,
    valid_web_url,
)
from mkdocs_backlinks.webmention.plan import (
    Plan,
    Step,
    cited_targets,
    held_hosts,
    is_old_address,
    plan_sends,
)
from mkdocs_backlinks.webmention.record import apply_outcome


def add_parser(commands: Subparsers) -> None:
    """`send`, with the network arguments every command that goes online shares."""
    send = commands.add_parser(
        "send",
        help="send webmentions for the published site (a dry run unless --yes)",
        description="Send a webmention for each citation of each published page, once the "
        "site is built and deployed. Without --yes it only prints the plan and touches no "
        "network; --discover also checks the live pages and finds the endpoints. Exit status: "
        "0 all fine, 1 some webmentions failed, 2 the command could not run.",
    )
    send.add_argument("-f", "--config-file", help=CONFIG_HELP)
    send.add_argument("--yes", action="store_true", help="send, and record the outcomes")
    send.add_argument(
        "--discover",
        action="store_true",
        help="in a dry run, also check the live pages and discover endpoints (no POST)",
    )
    send.add_argument("--source", metavar="URL", help="send one webmention from this page...")
    send.add_argument("--target", metavar="URL", help="...to this page, at once")
    send.add_argument(
        "--interval",
        type=seconds_argument,
        default=2.0,
        metavar="SECONDS",
        help="least time between two POSTs to the same endpoint host (default: 2)",
    )
    send.add_argument(
        "--timeout",
        type=timeout_argument,
        default=20.0,
        metavar="SECONDS",
        help="longest time for one request, redirects and retries included (default: 20)",
    )
    send.add_argument(
        "--include-skipped",
        action="store_true",
        help="also send to contacts marked skipped and to sites in outreach.exclude_sites "
        "(left out by default)",
    )
    send.add_argument(
        "-v", "--verbose", action="store_true", help="also list what is left alone, and why"
    )
    add_network_arguments(send)


@dataclass(frozen=True)
class _Job:
    """What a planned run works from: the ledger as read, where it lives, and the plan."""

    path: Path
    settings: Settings
    ledger: Ledger
    plan: Plan


def run(args: argparse.Namespace) -> int:
    """Plan from the ledger and the build, print the plan, then (with `--discover` or `--yes`)
    work through it; the client is closed whatever happens, the outcomes saved as they come."""
    if (args.source is None) != (args.target is None):
        raise UsageError("--source and --target go together: name both, or neither.")
    if args.source is not None:
        return _send_one(args)
    plugin, config = load_plugin(args.config_file)
    site_url = _published_site(plugin, config)
    network = args.yes or args.discover
    client = HttpClient(_send_options(plugin, args)) if network else None
    journal: Journal | None = None
    try:
        if client is not None and client.offline:
            raise UsageError(_OFFLINE)
        if args.yes:
            # Held until the last save: a second run meanwhile would send the same webmentions.
            path = site_paths(plugin.config, config).ledger
            try:
                journal = Journal.take(path.parent)
            except JournalBusy as exc:
                raise UsageError(str(exc)) from exc
            _fold(journal, path, outreach_settings(plugin, config))
        job = _plan(plugin, config, site_url, include_skipped=args.include_skipped)
        _print_plan(job.plan, args.verbose)
        print(_plan_summary(job.plan))
        if client is None:
            print("Dry run: nothing was fetched or sent. --discover checks, --yes sends.")
            return 0
        updated, outcomes = _deliver(job, client, args, journal)
        client.close()
        return _finish(job, updated, outcomes, args.yes)
    finally:
        if client is not None:
            client.close()
        if journal is not None:
            journal.close()


def _published_site(plugin: BacklinksPlugin, config: MkDocsConfig) -> str:
    """The site's public address, once sure the site can be sent for: an address, a ledger
    and a build to read the pages from."""
    site_url = config.site_url or ""
    if not site_url:
        raise UsageError(
            f"site_url is not set in {config.config_file_path}: send needs the public address "
            "of your pages (the source of each webmention)."
        )
    problem = valid_web_url(site_url)
    if problem:
        raise UsageError(f"site_url: {problem}")
    if not plugin.config.outreach.enabled:
        raise UsageError("send reads the ledger, which outreach.enabled: false turns off.")
    site_dir = Path(config.site_dir)
    if not site_dir.is_dir():
        raise UsageError(f"No built site in {site_dir}: run mkdocs build (and deploy) first.")
    return site_url


def _fold(journal: Journal, path: Path, settings: Settings) -> None:
    """Record in the ledger what an interrupted run left in the journal, then empty it."""
    entries = journal.leftover()
    told = sum(isinstance(entry, Outcome) for entry in entries)
    if told:
        save_with_lists(path, replay(load_ledger(path), entries), settings)
        print(f"Recorded {told} outcome(s) of an interrupted run, kept in {journal.path}.")
    journal.clear()


def _plan(
    plugin: BacklinksPlugin, config: MkDocsConfig, site_url: str, *, include_skipped: bool = False
) -> _Job:
    """The webmentions to send, from the ledger's citations and the pages as built (and the
    outcomes an interrupted run left in the journal, which only `--yes` records)."""
    path = site_paths(plugin.config, config).ledger
    settings = outreach_settings(plugin, config)
    ledger = load_ledger(path)
    left = read_journal(path.parent)
    ledger = replay(ledger, left)
    told = sum(isinstance(entry, Outcome) for entry in left)
    if told:
        print(
            f"{told} outcome(s) of an interrupted run, kept in {path.parent / JOURNAL_FILE}, "
            "count in this plan; send --yes records them in the ledger."
        )
    cited = cited_targets(ledger)
    built = read_built_site(
        sorted(set(cited) | set(ledger.sends)),
        site_url,
        config.docs_dir,
        config.site_dir,
        config.use_directory_urls,
    )
    missing = sorted(page for page in cited if built.digests.get(page) is None)
    if missing:
        raise UsageError(
            f"The built site in {Path(config.site_dir)} lacks {len(missing)} page(s) the ledger "
            f"cites from (first: {missing[0]}): run mkdocs build first."
        )
    exclude = () if include_skipped else settings.exclude_sites
    skipped = set() if include_skipped else _skipped_works(ledger)
    plan = plan_sends(
        ledger,
        built.digests,
        built.sources,
        lambda url: domain_matches(site_of(url), exclude),
        datetime.now(timezone.utc),
        skipped=skipped.__contains__,
    )
    return _Job(path, settings, ledger, plan)


def _skipped_works(ledger: Ledger) -> set[str]:
    """The cited works (normalised URLs) whose contact the author marked `skipped`."""
    return {
        url
        for url, work in ledger.works.items()
        if (contact := ledger.contacts.get(work.contact)) and contact.status == "skipped"
    }


def _deliver(
    job: _Job, client: HttpClient, args: argparse.Namespace, journal: Journal | None
) -> tuple[Ledger, Counter[str]]:
    """Discover (and with `--yes` send) each step of the plan, printing each outcome as it
    comes; the ledger with the outcomes recorded, and how many of each there were. Each
    outcome goes to the `journal` first."""
    outcomes: Counter[str] = Counter()

    def report(step: Step, delivery: Delivery) -> None:
        outcomes[delivery.outcome] += 1
        print(_outcome_line(step, delivery), flush=True)

    path = job.path
    if journal is not None:
        journal.begin(job.plan.moved)
    held = held_hosts(job.ledger, format_instant(datetime.now(timezone.utc)))
    updated = deliver(
        job.plan,
        Sender(client, interval=args.interval, held=held),
        job.ledger,
        job.settings.today,
        post=args.yes,
        report=report,
        save=lambda current: save_ledger(path, current),
        reload=lambda: load_ledger(path) if path.is_file() else None,
        keeper=journal,
    )
    return updated, outcomes


def _finish(job: _Job, updated: Ledger, outcomes: Counter[str], sent: bool) -> int:
    """Save what changed, print the tally, and the exit status: 1 if any webmention failed."""
    if updated is not job.ledger:
        # Keep the lists in step: statuses set by the triage, and the list state in the head.
        save_with_lists(job.path, updated, job.settings)
    shown = ", ".join(f"{outcomes[name]} {name}" for name in sorted(outcomes)) or "nothing to do"
    print(("Done: " if sent else "Dry run, nothing was sent: ") + shown + ".")
    return 1 if any(name in RETRY or name == "rejected" for name in outcomes) else 0


_OFFLINE = (
    "send needs the network, and it is switched off (--offline, offline: true in mkdocs.yml, "
    f"or {OFFLINE_ENV} in the environment)."
)


def _send_options(plugin: BacklinksPlugin | None, args: argparse.Namespace) -> HttpOptions:
    timeout: float = args.timeout
    connect, read = min(5.0, timeout), min(10.0, timeout)
    if plugin is None:
        return HttpOptions(
            connect_timeout=connect,
            read_timeout=read,
            deadline=timeout,
            allow_networks=tuple(dict.fromkeys(args.allow_networks)),
            offline=args.offline,
            ca_bundle=args.ca_bundle,
        )
    return http_options(
        plugin.config,
        allow=args.allow_networks,
        offline=args.offline,
        ca_bundle=args.ca_bundle,
        connect_timeout=connect,
        read_timeout=read,
        deadline=timeout,
    )


def _send_one(args: argparse.Namespace) -> int:
    """`send --source URL --target URL`: one webmention now; naming both is the consent."""
    for name, url in (("--source", args.source), ("--target", args.target)):
        problem = valid_web_url(url)
        if problem:
            raise UsageError(f"{name}: {problem}")
    plugin: BacklinksPlugin | None = None
    recorder: Callable[[Delivery], None] | str = ""
    if args.config_file is not None or default_config() is not None:
        plugin, config = load_plugin(args.config_file)
        # Before sending: a damaged ledger stops the command with nothing sent.
        recorder = _single_recorder(plugin, config, args.source, args.target)
    with HttpClient(_send_options(plugin, args)) as client:
        if client.offline:
            raise UsageError(_OFFLINE)
        sender = Sender(client, interval=args.interval)
        found = sender.discover_all([args.target])[args.target]
        delivery = delivery_from_discovery(found, args.target) or sender.post(
            args.source, args.target, found.endpoint or ""
        )
    detail = delivery.reason or delivery.location or delivery.endpoint
    code = f" (HTTP {delivery.http_status})" if delivery.http_status else ""
    line = f"{delivery.outcome}{code}: {args.source} -> {args.target}"
    print(printable(line + (f": {detail}" if detail else "")))
    if isinstance(recorder, str):
        if recorder:
            print(recorder)
    else:
        recorder(delivery)
    return 0 if delivery.outcome in DELIVERED else 1


def _single_recorder(
    plugin: BacklinksPlugin, config: MkDocsConfig, source: str, target: str
) -> Callable[[Delivery], None] | str:
    """What records a single webmention, when its source is a page in the site's ledger and
    its target a work that page cites (or was sent to before); otherwise the reason it will
    not be recorded. A record for a link the ledger does not track (opted out, excluded) would
    read as a removed link on every later run, one the live page still has."""
    path = site_paths(plugin.config, config).ledger
    where = config.config_file_path
    if not plugin.config.outreach.enabled or not config.site_url or not path.is_file():
        return f"Not recorded: {where} has no ledger, site_url or outreach to record it in."
    ledger = load_ledger(path)
    pages = sorted(set(cited_targets(ledger)) | set(ledger.sends))
    built = read_built_site(
        pages, config.site_url, config.docs_dir, config.site_dir, config.use_directory_urls
    )
    wanted = normalise_url(source)
    page = next((p for p in pages if normalise_url(built.sources[p]) == wanted), None)
    if page is None:
        return f"Not recorded: {source} is not a page in the ledger of {where}."
    key = normalise_url(target)
    sent = ledger.sends.get(page)
    if key not in cited_targets(ledger).get(page, set()) and (
        sent is None or key not in sent.targets
    ):
        return f"Not recorded: {target} is not a citation of {page} in the ledger of {where}."
    settings = outreach_settings(plugin, config)

    def record(delivery: Delivery) -> None:
        step = Step(
            page,
            built.sources[page],
            normalise_url(delivery.target),
            delivery.target,
            "send",
            "named on the command line",
            built.digests.get(page) or "",
        )
        with contextlib.ExitStack() as stack:
            # Outcomes an interrupted run left go in first: folded in later, an older one
            # would overwrite this one. A run sending right now keeps its journal.
            with contextlib.suppress(JournalBusy):
                _fold(stack.enter_context(Journal.take(path.parent)), path, settings)
            # Read again: the POST may have taken a while, and a build or `mark` written
            # meanwhile.
            updated = apply_outcome(load_ledger(path), step, delivery, settings.today)
            save_with_lists(path, updated, settings)
        print(f"Recorded in {path}.")

    return record


_VERBS = {"send": "send", "unlink": "tell", "skip": "skip", "wait": "wait"}


def _print_plan(plan: Plan, verbose: bool) -> None:
    page = None
    for step in plan.steps:
        if step.action == "skip" and not verbose:
            continue
        if step.page != page:
            page = step.page
            if is_old_address(page):
                header = f"{page}  (old address of a moved page)"
            else:
                gone = " (deleted from the site)" if page in plan.deleted else ""
                header = f"{page}  {step.source}{gone}"
            print(printable(header))
        print(printable(f"  {_VERBS[step.action]:<5} {step.target}  ({step.reason})"))


def _plan_summary(plan: Plan) -> str:
    counts = Counter(step.action for step in plan.steps)
    parts = [
        f"{counts['send']} webmention(s) to send",
        f"{counts['unlink']} to tell of a removed link or page",
        f"{counts['skip']} left alone",
    ]
    if counts["wait"]:
        parts.append(f"{counts['wait']} waiting until their receiver's Retry-After")
    if plan.deleted:
        parts.append(f"{len(plan.deleted)} deleted page(s): {', '.join(plan.deleted)}")
    if plan.old_addresses:
        old = plan.old_addresses
        parts.append(f"{len(old)} old address(es) of moved pages: {', '.join(old)}")
    return "; ".join(parts) + "."


def _outcome_line(step: Step, delivery: Delivery) -> str:
    code = f" {delivery.http_status}" if delivery.http_status else ""
    detail = delivery.reason or delivery.location or delivery.endpoint
    what = "" if step.action == "send" else f" [{step.reason}]"
    line = f"{delivery.outcome}{code}: {step.source} -> {delivery.target}{what}"
    return printable(line + (f": {detail}" if detail else ""))
