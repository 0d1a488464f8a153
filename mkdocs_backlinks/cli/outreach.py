"""`outreach` and `mark`: the list of people and sites the pages cite, and what was done.

Everything here that touches the outreach report (the document `build_report` makes) stays in
this module; the commands that change the ledger keep the lists in step through
`outreach.lists.save_with_lists`.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

from mkdocs.config.defaults import MkDocsConfig

from mkdocs_backlinks.cli.common import CONFIG_HELP, Subparsers, load_plugin
from mkdocs_backlinks.files import dump_json
from mkdocs_backlinks.ledger.contacts import find_contact, mark
from mkdocs_backlinks.ledger.file import load_ledger
from mkdocs_backlinks.ledger.model import MARKABLE, STATUSES
from mkdocs_backlinks.mentions.desk import MentionsDesk
from mkdocs_backlinks.outreach.formats import render_csv, render_markdown, render_table
from mkdocs_backlinks.outreach.lists import save_with_lists
from mkdocs_backlinks.outreach.notes import NoteWriter
from mkdocs_backlinks.outreach.records import Report
from mkdocs_backlinks.outreach.report import build_report, filter_rows
from mkdocs_backlinks.outreach.settings import Settings
from mkdocs_backlinks.plugin import BacklinksPlugin
from mkdocs_backlinks.settings import mentions_settings, site_paths
from mkdocs_backlinks.settings import outreach_settings as settings_for


def add_parsers(commands: Subparsers) -> None:
    """`outreach` to read the list, `mark` to change a contact's status in it."""
    show = commands.add_parser(
        "outreach", help="list the people and sites you cite, with a note for each"
    )
    show.add_argument("-f", "--config-file", help=CONFIG_HELP)
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
    change.add_argument("-f", "--config-file", help=CONFIG_HELP)


def outreach_settings(plugin: BacklinksPlugin, config: MkDocsConfig) -> Settings:
    """The outreach settings, with who mentions us read from the mentions store, so the
    lists a command writes match the ones a build writes."""
    settings = settings_for(plugin.config, config)
    if not plugin.config.mentions.enabled:
        return settings
    desk = MentionsDesk(mentions_settings(plugin.config, config))
    desk.load()
    return replace(settings, mentions=desk.sites())


def _report(plugin: BacklinksPlugin, config: MkDocsConfig) -> Report:
    settings = outreach_settings(plugin, config)
    ledger = load_ledger(site_paths(plugin.config, config).ledger)
    return build_report(
        ledger, settings, NoteWriter(settings.note_template, settings.template_cache)
    )


def run_outreach(args: argparse.Namespace) -> int:
    plugin, config = load_plugin(args.config_file)
    ledger = site_paths(plugin.config, config).ledger
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
        sys.stdout.write(dump_json(report.as_dict()))
    elif args.format == "csv":
        sys.stdout.write(render_csv(report))
    elif args.format == "markdown":
        sys.stdout.write(render_markdown(report))
    else:
        rows = report.contacts
        if rows:
            sys.stdout.write(render_table(rows))
        elif args.status or args.site:
            print("No contacts match: widen the filters (--status, --site).")
        elif ledger.is_file():
            print("No contacts yet: the pages cite no outside site.")
    return 0


def run_mark(args: argparse.Namespace) -> int:
    plugin, config = load_plugin(args.config_file)
    path = site_paths(plugin.config, config).ledger
    settings = outreach_settings(plugin, config)
    ledger = load_ledger(path)
    contact = find_contact(ledger, args.contact)
    marked = mark(ledger, contact.id, args.status, settings.today, args.reason)
    if marked is ledger:
        # The same status again: no second history entry, no rewrite, and a word saying so.
        why = f" ({contact.reason})" if contact.reason else ""
        print(f"{contact.id}: already {args.status}{why}; nothing changed")
        return 0
    # Keep the lists in step with the ledger without a rebuild.
    save_with_lists(path, marked, settings)
    print(f"{contact.id}: {args.status}" + (f" ({args.reason})" if args.reason else ""))
    return 0
