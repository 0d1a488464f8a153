"""The `mkdocs-backlinks` command line: the steps that run outside `mkdocs build`.

Every command reads `mkdocs.yml` (or `-f FILE`) the way MkDocs does, so it finds the same data
folder and options as the build.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from mkdocs.config import load_config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import ConfigurationError

from mkdocs_backlinks import __version__
from mkdocs_backlinks.files import dump_json
from mkdocs_backlinks.http.client import OFFLINE_ENV, HttpClient, HttpOptions
from mkdocs_backlinks.http.options import add_network_arguments, http_options
from mkdocs_backlinks.ledger.ledger import (
    MARKABLE,
    STATUSES,
    LedgerError,
    load_ledger,
    mark,
    save_ledger,
)
from mkdocs_backlinks.links.urls import domain_matches, normalise_url, site_of, url_key
from mkdocs_backlinks.mentions.desk import MentionsDesk, fetched_at
from mkdocs_backlinks.mentions.desk import settings_for as mentions_settings
from mkdocs_backlinks.mentions.sources import apply, fetch_source, prune_gone
from mkdocs_backlinks.mentions.store import (
    Mention,
    MentionsError,
    Moderation,
    SourceState,
    page_key,
    save_moderation,
)
from mkdocs_backlinks.outreach.desk import (
    LEDGER_FILE,
    NoteWriter,
    Settings,
    build_report,
    data_folder,
    filter_rows,
    lists_for,
    render_csv,
    render_markdown,
    render_table,
    settings_for,
    write_lists,
)
from mkdocs_backlinks.plugin import BacklinksPlugin
from mkdocs_backlinks.webmention.send import (
    DELIVERED,
    RETRY,
    Delivery,
    Plan,
    Sender,
    Step,
    apply_outcome,
    cited_targets,
    deliver,
    delivery_from_discovery,
    is_old_address,
    plan_sends,
    printable,
    read_built_site,
    valid_web_url,
)


class CommandError(Exception):
    """A user mistake or a broken file: printed as one line, exit status 1."""


class UsageError(CommandError):
    """The command cannot run as asked (missing setting, no build, bad URL): exit status 2,
    so scripts can tell it from a run that went ahead and met failures (1)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mkdocs-backlinks",
        description="Review and act on what the backlinks plugin recorded during mkdocs build.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    config_help = "the site's MkDocs configuration file (default: mkdocs.yml in this folder)"
    # Also before the command (`mkdocs-backlinks -f site/mkdocs.yml outreach`), a common
    # habit; its own dest, since a subcommand's default would overwrite a shared one.
    parser.add_argument(
        "-f", "--config-file", dest="main_config_file", metavar="CONFIG_FILE", help=config_help
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    show = commands.add_parser(
        "outreach", help="list the people and sites you cite, with a note for each"
    )
    show.add_argument("-f", "--config-file", help=config_help)
    show.add_argument(
        "--status", action="append", choices=STATUSES, help="only these statuses (repeatable)"
    )
    show.add_argument("--site", default="", help="only this site")
    show.add_argument(
        "--format",
        choices=("table", "markdown", "csv", "json"),
        default="table",
        help="output format (default: table)",
    )

    change = commands.add_parser("mark", help="record what you did about a contact")
    change.add_argument("contact", help="the contact's id or site, or the URL of a cited work")
    change.add_argument("--status", required=True, choices=MARKABLE, help="the new status")
    change.add_argument("--reason", default="", help="why (for example, for skipped)")
    change.add_argument("-f", "--config-file", help=config_help)

    send = commands.add_parser(
        "send",
        help="send webmentions for the published site (a dry run unless --yes)",
        description="Send a webmention for each citation of each published page, once the "
        "site is built and deployed. Without --yes it only prints the plan and touches no "
        "network; --discover also checks the live pages and finds the endpoints. Exit status: "
        "0 all fine, 1 some webmentions failed, 2 the command could not run.",
    )
    send.add_argument("-f", "--config-file", help=config_help)
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
        type=_seconds,
        default=2.0,
        metavar="SECONDS",
        help="least time between two POSTs to the same endpoint host (default: 2)",
    )
    send.add_argument(
        "--timeout",
        type=_timeout,
        default=20.0,
        metavar="SECONDS",
        help="longest time for one request, redirects and retries included (default: 20)",
    )
    send.add_argument(
        "-v", "--verbose", action="store_true", help="also list what is left alone, and why"
    )
    add_network_arguments(send)

    fetch = commands.add_parser(
        "fetch", help="fetch new mentions from the configured sources into the store"
    )
    fetch.add_argument("-f", "--config-file", help=config_help)
    fetch.add_argument(
        "--prune",
        action="store_true",
        help="also ask every stored mention's source, and drop those that answer 410 Gone",
    )
    add_network_arguments(fetch)

    mentions = commands.add_parser("mentions", help="list incoming mentions; hide or block them")
    actions = mentions.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="list the stored mentions")
    listing.add_argument("--page", default="", help="only mentions of this page (URL or path)")
    listing.add_argument(
        "--format", choices=("table", "json"), default="table", help="output format"
    )
    listing.add_argument("-f", "--config-file", help=config_help)
    for name, what, metavar in (
        ("hide", "hide one mention, by its id or its URL", "MENTION"),
        ("block-domain", "hide every mention from a site and its subdomains", "DOMAIN"),
        ("block-author", "hide every mention by an author, by their URL", "AUTHOR_URL"),
        ("unhide", "undo hide, block-domain or block-author for this value", "VALUE"),
    ):
        action = actions.add_parser(name, help=what)
        action.add_argument("value", metavar=metavar)
        action.add_argument("-f", "--config-file", help=config_help)
    add_merge_data_parser(commands)
    return parser


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 3600:  # also refuses nan
        raise argparse.ArgumentTypeError(f"'{value}' is not a number of seconds from 0 to 3600")
    return seconds


def _timeout(value: str) -> float:
    seconds = _seconds(value)
    if seconds == 0:
        raise argparse.ArgumentTypeError("a timeout must be more than 0 seconds")
    return seconds


DEFAULT_CONFIG_FILES = ("mkdocs.yml", "mkdocs.yaml")
"""What `mkdocs build` looks for in the current folder when no `-f` is given."""


def _default_config() -> Path | None:
    """The configuration file `mkdocs build` would read here, if there is one."""
    return next((Path(name) for name in DEFAULT_CONFIG_FILES if Path(name).is_file()), None)


def _config_path(config_file: str | None) -> Path:
    """The configuration file a command reads: `-f`, else the one MkDocs would find here.

    A new user's first mistakes are running a command outside the site's folder and a
    mistyped `-f`; each gets a message saying which it was and what to do instead.
    """
    if config_file is None:
        found = _default_config()
        if found is None:
            raise CommandError(
                f"No mkdocs.yml in {Path.cwd()}: run this command in the folder that holds "
                "your site's mkdocs.yml, or name the file with -f path/to/mkdocs.yml."
            )
        return found
    path = Path(config_file)
    if path.is_dir():
        inside = next((path / n for n in DEFAULT_CONFIG_FILES if (path / n).is_file()), None)
        hint = f" (-f {inside})" if inside else ""
        raise CommandError(
            f"-f {config_file} is a folder: give the MkDocs configuration file in it{hint}."
        )
    if not path.is_file():
        raise CommandError(
            f"-f {config_file}: no such file. Give the path of your site's mkdocs.yml."
        )
    return path


def _plugin(config_file: str | None) -> tuple[BacklinksPlugin, MkDocsConfig]:
    path = _config_path(config_file)
    # MkDocs reports configuration problems through its logger; keep them on stderr.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    try:
        config = load_config(config_file=str(path))
    except ConfigurationError as exc:
        raise CommandError(f"{path}: {exc}") from exc
    except SystemExit as exc:  # MkDocs aborts on invalid configuration
        raise CommandError(
            f"{path}: not a valid MkDocs configuration (see the errors above); "
            "mkdocs build reports the same."
        ) from exc
    for plugin in config.plugins.values():
        if isinstance(plugin, BacklinksPlugin):
            return plugin, config
    raise CommandError(
        f"{path} does not enable the backlinks plugin: add '- backlinks' under 'plugins:'."
    )


def _outreach_settings(plugin: BacklinksPlugin, config: MkDocsConfig) -> Settings:
    """The outreach settings, with who mentions us read from the mentions store, so the
    lists a command writes match the ones a build writes."""
    settings = settings_for(plugin.config, config)
    if not plugin.config.mentions.enabled:
        return settings
    desk = MentionsDesk(mentions_settings(plugin.config, config))
    desk.load()
    return replace(settings, mentions=desk.sites())


def _report(plugin: BacklinksPlugin, config: MkDocsConfig) -> dict[str, Any]:
    settings = _outreach_settings(plugin, config)
    ledger = load_ledger(data_folder(plugin.config, config) / LEDGER_FILE)
    return build_report(ledger, settings, NoteWriter(settings.note_template))


def run_outreach(args: argparse.Namespace) -> int:
    plugin, config = _plugin(args.config_file)
    ledger = data_folder(plugin.config, config) / LEDGER_FILE
    if not ledger.is_file():
        # Not an error (a site may cite nothing yet), but an empty list with no word of why
        # reads as a broken command on the first try.
        why = (
            "mkdocs build writes it, with a contact for every site your pages cite"
            if plugin.config.outreach.enabled
            else "builds keep none while outreach.enabled is false"
        )
        print(f"No ledger at {ledger} yet: {why}.", file=sys.stderr)
    report = filter_rows(_report(plugin, config), args.status or (), args.site)
    if args.format == "json":
        sys.stdout.write(dump_json(report))
    elif args.format == "csv":
        sys.stdout.write(render_csv(report))
    elif args.format == "markdown":
        sys.stdout.write(render_markdown(report))
    else:
        rows = report["contacts"]
        if rows:
            sys.stdout.write(render_table(rows))
        elif args.status or args.site:
            print("No contacts match: widen the filters (--status, --site).")
        elif ledger.is_file():
            print("No contacts yet: the pages cite no outside site.")
    return 0


def run_mark(args: argparse.Namespace) -> int:
    plugin, config = _plugin(args.config_file)
    path = data_folder(plugin.config, config) / LEDGER_FILE
    settings = _outreach_settings(plugin, config)
    ledger = load_ledger(path)
    updated = mark(ledger, args.contact, args.status, settings.today, args.reason)
    # Keep the lists in step with the ledger without a rebuild.
    updated, report = lists_for(updated, settings, NoteWriter(settings.note_template))
    save_ledger(path, updated)
    write_lists(path.parent, report)
    contact = next(c for c in updated.contacts.values() if c != ledger.contacts.get(c.id))
    print(f"{contact.id}: {args.status}" + (f" ({args.reason})" if args.reason else ""))
    return 0


def run_send(args: argparse.Namespace) -> int:
    if (args.source is None) != (args.target is None):
        raise UsageError("--source and --target go together: name both, or neither.")
    if args.source is not None:
        return _send_one(args)
    plugin, config = _plugin(args.config_file)
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
    network = args.yes or args.discover
    client = HttpClient(_send_options(plugin, args)) if network else None
    try:
        if client is not None and client.offline:
            raise UsageError(_OFFLINE)
        path = data_folder(plugin.config, config) / LEDGER_FILE
        settings = _outreach_settings(plugin, config)
        ledger = load_ledger(path)
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
                f"The built site in {site_dir} lacks {len(missing)} page(s) the ledger cites "
                f"from (first: {missing[0]}): run mkdocs build first."
            )
        exclude = settings.exclude_sites
        plan = plan_sends(
            ledger, built.digests, built.sources, lambda url: domain_matches(site_of(url), exclude)
        )
        _print_plan(plan, args.verbose)
        print(_plan_summary(plan))
        if client is None:
            print("Dry run: nothing was fetched or sent. --discover checks, --yes sends.")
            return 0
        outcomes: Counter[str] = Counter()

        def report(step: Step, delivery: Delivery) -> None:
            outcomes[delivery.outcome] += 1
            print(_outcome_line(step, delivery), flush=True)

        updated = deliver(
            plan,
            Sender(client, interval=args.interval),
            ledger,
            settings.today,
            post=args.yes,
            report=report,
            save=lambda current: save_ledger(path, current),
            reload=lambda: load_ledger(path) if path.is_file() else None,
        )
    finally:
        if client is not None:
            client.close()
    if updated is not ledger:
        # Keep the lists in step: statuses set by the triage, and the list state in the head.
        updated, lists = lists_for(updated, settings, NoteWriter(settings.note_template))
        save_ledger(path, updated)
        write_lists(path.parent, lists)
    shown = ", ".join(f"{outcomes[name]} {name}" for name in sorted(outcomes)) or "nothing to do"
    print(("Done: " if args.yes else "Dry run, nothing was sent: ") + shown + ".")
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
        )
    return http_options(
        plugin.config,
        allow=args.allow_networks,
        offline=args.offline,
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
    if args.config_file is not None or _default_config() is not None:
        plugin, config = _plugin(args.config_file)
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
    path = data_folder(plugin.config, config) / LEDGER_FILE
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
    settings = _outreach_settings(plugin, config)

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
        # Read again: the POST may have taken a while, and a build or `mark` written meanwhile.
        updated = apply_outcome(load_ledger(path), step, delivery, settings.today)
        updated, lists = lists_for(updated, settings, NoteWriter(settings.note_template))
        save_ledger(path, updated)
        write_lists(path.parent, lists)
        print(f"Recorded in {path}.")

    return record


_VERBS = {"send": "send", "unlink": "tell", "skip": "skip"}


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


def _desk(plugin: BacklinksPlugin, config: MkDocsConfig, args: argparse.Namespace) -> MentionsDesk:
    allow = getattr(args, "allow_networks", [])
    options = http_options(plugin.config, allow=allow, offline=getattr(args, "offline", False))
    desk = MentionsDesk(mentions_settings(plugin.config, config), options)
    desk.load()
    return desk


def run_fetch(args: argparse.Namespace) -> int:
    plugin, config = _plugin(args.config_file)
    desk = _desk(plugin, config, args)
    sources = desk.settings.sources
    if not sources:
        raise CommandError(
            "No mention sources are configured: add mentions.sources to the plugin's options."
        )
    before = {m.id: m for m in desk.store.mentions}
    failed = 0
    with HttpClient(desk.http) as client:
        if args.prune and client.offline:
            # Offline, every source would look unreachable and the prune would silently
            # remove nothing, which reads as "nothing is gone".
            raise UsageError(
                "--prune asks each mention's source, and the network is switched off "
                f"(--offline, offline: true in mkdocs.yml, or {OFFLINE_ENV} in the "
                "environment); fetch without --prune reads the file sources offline."
            )
        results = []
        try:
            for source in sources:
                state = desk.store.sources.get(source.name)
                fetched = fetch_source(client, source, state or SourceState(), desk.settings.base)
                results.append(fetched)
                if fetched.error:
                    failed += 1
                    print(f"{source.name}: {fetched.error}", file=sys.stderr)
                note = f", {fetched.skipped} entries skipped" if fetched.skipped else ""
                print(f"{source.name}: {len(fetched.mentions)} mentions read{note}")
        except KeyboardInterrupt:
            # Ctrl-C on a slow source: the sources already read are kept (their since_id
            # moves with them), so the next fetch asks only for the rest.
            desk.store = apply(desk.store, results, fetched_at())
            desk.save()
            raise
        desk.store = apply(desk.store, results, fetched_at())
        removed: list[Mention] = []
        if args.prune:
            try:
                desk.store, removed = prune_gone(client, desk.store)
            except KeyboardInterrupt:
                desk.save()  # what was fetched; nothing pruned
                raise
    desk.save()
    after = {m.id: m for m in desk.store.mentions}
    new = len(set(after) - set(before))
    changed = sum(1 for key in set(after) & set(before) if after[key] != before[key])
    print(
        f"{len(after)} mentions in {desk.store_path}: {new} new, {changed} updated"
        + (f", {len(removed)} removed (source gone)" if args.prune else "")
    )
    return 1 if failed else 0


def run_mentions(args: argparse.Namespace) -> int:
    plugin, config = _plugin(args.config_file)
    desk = _desk(plugin, config, args)
    if args.action == "list":
        return _list_mentions(desk, args, _page_keys(config))
    moderation = desk.moderation
    value = args.value.strip()
    if not value:
        raise CommandError("Give a value to act on.")
    if args.action == "hide":
        known = {m.id for m in desk.store.mentions}
        if "/" not in value and value not in known:
            where = (
                "`mkdocs-backlinks mentions list` shows their ids"
                if desk.store_path.is_file()
                else f"there is no {desk.store_path} yet: mkdocs build or mkdocs-backlinks "
                "fetch makes it"
            )
            raise CommandError(f"No mention with id '{value}'; give its id or its URL ({where}).")
        moderation = Moderation(
            moderation.hidden | {value}, moderation.blocked_domains, moderation.blocked_authors
        )
    elif args.action == "block-domain":
        _check_domain(value)
        moderation = Moderation(
            moderation.hidden, moderation.blocked_domains | {value}, moderation.blocked_authors
        )
    elif args.action == "block-author":
        _check_author(value)
        moderation = Moderation(
            moderation.hidden, moderation.blocked_domains, moderation.blocked_authors | {value}
        )
    else:  # unhide: the value in whichever list holds it, in its normal form
        probe = Moderation(frozenset({value}), frozenset({value}), frozenset({value}))
        moderation = Moderation(
            moderation.hidden - probe.hidden,
            moderation.blocked_domains - probe.blocked_domains,
            moderation.blocked_authors - probe.blocked_authors,
        )
    if moderation == desk.moderation:
        if args.action == "unhide":
            raise CommandError(
                f"'{value}' is not hidden or blocked in {desk.moderation_path}; "
                "give the id, URL, domain or author URL as hidden or blocked."
            )
        print(f"{value}: already {'hidden' if args.action == 'hide' else 'blocked'}")
        return 0
    save_moderation(desk.moderation_path, moderation)
    hidden = sum(1 for m in desk.store.mentions if moderation.is_hidden(m))
    print(f"{args.action} {value}: {hidden} of {len(desk.store.mentions)} mentions now hidden")
    return 0


# A host name in its normal form (`Moderation` lower-cases it): labels of letters (any
# script), digits and inner hyphens, at least two of them.
_DOMAIN_NAME = re.compile(r"(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W_](?:[\w-]*[^\W_])?")


def _check_domain(value: str) -> None:
    """Refuse a domain that can never match a mention's host, rather than store it (or drop
    it silently, for one that normalises to nothing) and report it blocked."""
    domains = Moderation(blocked_domains=frozenset({value})).blocked_domains
    if not domains or not all(_DOMAIN_NAME.fullmatch(d) and "_" not in d for d in domains):
        raise CommandError(
            f"'{value}' is not a domain name; give one like spam.example (or a URL on it)."
        )


def _check_author(value: str) -> None:
    """An author is blocked by their URL (scheme optional): anything else never matches."""
    url = value if "://" in value else "https://" + value
    if any(ch.isspace() for ch in value) or valid_web_url(url) is not None:
        raise CommandError(
            f"'{value}' is not an author's URL; give one like https://troll.example/."
        )


def _page_keys(config: MkDocsConfig) -> set[str]:
    """The site's pages as `url_key`s of decoded paths (what `page_key` gives), read from
    docs_dir the way MkDocs does, so a mention of a deleted page is listed as not a page."""
    from mkdocs.structure.files import get_files

    return {url_key(unquote(f.url)) for f in get_files(config).documentation_pages()}


def _list_mentions(desk: MentionsDesk, args: argparse.Namespace, pages: set[str]) -> int:
    site_url = desk.settings.site_url
    page = args.page.strip()
    if page and "://" in page:
        page = page_key(page, site_url, desk.settings.aliases) or page
    rows: list[dict[str, Any]] = []
    for mention in desk.store.mentions:
        key = page_key(mention.target, site_url, desk.settings.aliases) if site_url else None
        if key is not None and url_key(key) not in pages:
            key = None
        if page and (key or "").strip("/") != page.strip("/"):
            continue
        rows.append(
            {
                "id": mention.id,
                "kind": mention.kind,
                "page": key,
                "target": mention.target,
                "author": mention.author_name,
                "author_url": mention.author_url,
                "source": mention.source,
                "url": mention.url,
                "date": mention.published or mention.received,
                "hidden": desk.moderation.is_hidden(mention),
            }
        )
    if args.format == "json":
        sys.stdout.write(dump_json(rows))
        return 0
    if not rows:
        print("No mentions match. Run mkdocs-backlinks fetch, or check --page.")
        return 0
    for row in rows:
        where = f"/{row['page']}" if row["page"] is not None else f"(not a page) {row['target']}"
        flag = " [hidden]" if row["hidden"] else ""
        who = _one_line(row["author"] or row["author_url"] or "?")
        # URLs may carry C1 controls (U+009B starts a terminal escape): `printable` them.
        print(printable(f"{row['id']}  {row['kind']:<8}  {where}  {who}  {row['url']}{flag}"))
    return 0


def _one_line(text: str) -> str:
    """Remote text on one terminal line: no control characters (escape sequences)."""
    return "".join(ch if ch.isprintable() else " " for ch in text)[:60]


def add_merge_data_parser(commands: Any) -> None:
    """`merge-data`: git's merge driver for the data folder (README, "The ledger in git")."""
    merge = commands.add_parser(
        "merge-data",
        help="merge two versions of a data file (a git merge driver)",
        description="Merge OURS and THEIRS, two versions of the ledger, mentions store or "
        "moderation file changed from BASE, record by record, and write the result to OURS. "
        "Git runs it as a merge driver: see 'The ledger in git' in the README. Exit status 1, "
        "with OURS untouched, when a version cannot be read.",
    )
    merge.add_argument("base", help="the common ancestor (git's %%O)")
    merge.add_argument("ours", help="our version, replaced by the result (git's %%A)")
    merge.add_argument("theirs", help="their version (git's %%B)")
    merge.add_argument("name", nargs="?", default="", help="the file's path (git's %%P)")
    merge.set_defaults(config_file="")  # reads no mkdocs.yml: git runs it with temp files


def run_merge_data(args: argparse.Namespace) -> int:
    from mkdocs_backlinks.ledger.gitmerge import MergeError, merge_files

    try:
        merge_files(Path(args.base), Path(args.ours), Path(args.theirs), args.name)
    except MergeError as exc:
        raise CommandError(str(exc)) from exc
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "outreach": run_outreach,
    "mark": run_mark,
    "send": run_send,
    "fetch": run_fetch,
    "mentions": run_mentions,
    "merge-data": run_merge_data,
}
"""Each subcommand's function; `build_parser` defines its arguments."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    if args.config_file is None:
        args.config_file = args.main_config_file
    try:
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        # Commands save what they recorded on the way out; no traceback for a Ctrl-C.
        print("mkdocs-backlinks: interrupted; what was done so far is recorded.", file=sys.stderr)
        return 130
    except (CommandError, LedgerError, MentionsError, ValueError) as exc:
        print(f"mkdocs-backlinks: error: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, UsageError) else 1
    except OSError as exc:  # a read-only data folder, a full disk: the file and the reason
        print(f"mkdocs-backlinks: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
