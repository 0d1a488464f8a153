"""The `mkdocs-backlinks` command line: the steps that run outside `mkdocs build`.

This module only assembles the parser from the command modules, runs the command asked for
and turns its failures into one line and an exit status. Every command reads `mkdocs.yml` (or
`-f FILE`) the way MkDocs does, so it finds the same data folder and options as the build.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from mkdocs_backlinks import __version__
from mkdocs_backlinks.cli import mentions, merge_data, outreach, review, send
from mkdocs_backlinks.cli.common import CONFIG_HELP
from mkdocs_backlinks.cli.errors import CommandError, UsageError
from mkdocs_backlinks.ledger.model import LedgerError
from mkdocs_backlinks.mentions.model import MentionsError
from mkdocs_backlinks.outreach.note_edits import NoteEditsError

EXIT_USAGE = 2
"""No command, or one that could not run as asked (`UsageError`)."""

EXIT_FAILED = 1
"""A command that stopped on a user mistake or a broken file, or met failures."""

EXIT_INTERRUPTED = 130
"""Ctrl-C, as a shell reports a command stopped by SIGINT."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mkdocs-backlinks",
        description="Review and act on what the backlinks plugin recorded during mkdocs build.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    # Also before the command (`mkdocs-backlinks -f site/mkdocs.yml outreach`), a common
    # habit; its own dest, since a subcommand's default would overwrite a shared one.
    parser.add_argument(
        "-f", "--config-file", dest="main_config_file", metavar="CONFIG_FILE", help=CONFIG_HELP
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    outreach.add_parsers(commands)
    review.add_parser(commands)
    send.add_parser(commands)
    mentions.add_parsers(commands)
    merge_data.add_parser(commands)
    return parser


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "outreach": outreach.run_outreach,
    "mark": outreach.run_mark,
    "review": review.run,
    "send": send.run,
    "fetch": mentions.run_fetch,
    "mentions": mentions.run_mentions,
    "merge-data": merge_data.run,
}
"""Each subcommand's function; `build_parser` defines its arguments."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    if args.config_file is None:
        args.config_file = args.main_config_file
    try:
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        # Commands save what they recorded on the way out; no traceback for a Ctrl-C.
        print("mkdocs-backlinks: interrupted; what was done so far is recorded.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (CommandError, LedgerError, MentionsError, NoteEditsError, ValueError) as exc:
        print(f"mkdocs-backlinks: error: {exc}", file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, UsageError) else EXIT_FAILED
    except OSError as exc:  # a read-only data folder, a full disk: the file and the reason
        print(f"mkdocs-backlinks: error: {exc}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    raise SystemExit(main())
