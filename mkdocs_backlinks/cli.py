"""The `mkdocs-backlinks` command line: the steps that run outside `mkdocs build`.

Every command reads `mkdocs.yml` (or `-f FILE`) the way MkDocs does, so it finds the same data
folder and options as the build.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from mkdocs.config import load_config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import ConfigurationError

from mkdocs_backlinks import __version__
from mkdocs_backlinks.ledger import MARKABLE, STATUSES, LedgerError, load_ledger, mark, save_ledger
from mkdocs_backlinks.outreach import (
    LEDGER_FILE,
    NoteWriter,
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
from mkdocs_backlinks.storage import dump_json


class CommandError(Exception):
    """A user mistake or a broken file: printed as one line, exit status 1."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mkdocs-backlinks",
        description="Review and act on what the backlinks plugin recorded during mkdocs build.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    config_help = "the MkDocs configuration file (default: mkdocs.yml)"
    show = commands.add_parser(
        "outreach", help="list the people and sites you cite, with a note for each"
    )
    show.add_argument("-f", "--config-file", default="mkdocs.yml", help=config_help)
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
    change.add_argument("-f", "--config-file", default="mkdocs.yml", help=config_help)
    return parser


def _plugin(config_file: str) -> tuple[BacklinksPlugin, MkDocsConfig]:
    path = Path(config_file)
    if not path.is_file():
        raise CommandError(f"No MkDocs configuration at {path}; give one with -f.")
    # MkDocs reports configuration problems through its logger; keep them on stderr.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    try:
        config = load_config(config_file=str(path))
    except ConfigurationError as exc:
        raise CommandError(f"{path}: {exc}") from exc
    except SystemExit as exc:  # MkDocs aborts on invalid configuration
        raise CommandError(f"{path}: invalid configuration (see the messages above)") from exc
    for plugin in config.plugins.values():
        if isinstance(plugin, BacklinksPlugin):
            return plugin, config
    raise CommandError(f"{path} does not enable the backlinks plugin.")


def _report(plugin: BacklinksPlugin, config: MkDocsConfig) -> dict[str, Any]:
    settings = settings_for(plugin.config, config)
    ledger = load_ledger(data_folder(plugin.config, config) / LEDGER_FILE)
    return build_report(ledger, settings, NoteWriter(settings.note_template))


def run_outreach(args: argparse.Namespace) -> int:
    plugin, config = _plugin(args.config_file)
    report = filter_rows(_report(plugin, config), args.status or (), args.site)
    if args.format == "json":
        sys.stdout.write(dump_json(report))
    elif args.format == "csv":
        sys.stdout.write(render_csv(report))
    elif args.format == "markdown":
        sys.stdout.write(render_markdown(report))
    else:
        rows = report["contacts"]
        if not rows:
            print("No contacts match. Run mkdocs build first, or widen the filters.")
        else:
            sys.stdout.write(render_table(rows))
    return 0


def run_mark(args: argparse.Namespace) -> int:
    plugin, config = _plugin(args.config_file)
    path = data_folder(plugin.config, config) / LEDGER_FILE
    settings = settings_for(plugin.config, config)
    ledger = load_ledger(path)
    updated = mark(ledger, args.contact, args.status, settings.today, args.reason)
    # Keep the lists in step with the ledger without a rebuild.
    updated, report = lists_for(updated, settings, NoteWriter(settings.note_template))
    save_ledger(path, updated)
    write_lists(path.parent, report)
    contact = next(c for c in updated.contacts.values() if c != ledger.contacts.get(c.id))
    print(f"{contact.id}: {args.status}" + (f" ({args.reason})" if args.reason else ""))
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "outreach": run_outreach,
    "mark": run_mark,
}
"""Each subcommand's function; `build_parser` defines its arguments."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return COMMANDS[args.command](args)
    except (CommandError, LedgerError, ValueError) as exc:
        print(f"mkdocs-backlinks: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
