"""`merge-data`: git's merge driver for the data folder (README, "The ledger in git")."""

from __future__ import annotations

import argparse
from pathlib import Path

from mkdocs_backlinks.cli.common import Subparsers
from mkdocs_backlinks.cli.errors import CommandError


def add_parser(commands: Subparsers) -> None:
    """`merge-data BASE OURS THEIRS [NAME]`, the arguments git gives a merge driver."""
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


def run(args: argparse.Namespace) -> int:
    from mkdocs_backlinks.ledger.gitmerge import MergeError, merge_files

    try:
        merge_files(Path(args.base), Path(args.ours), Path(args.theirs), args.name)
    except MergeError as exc:
        raise CommandError(str(exc)) from exc
    return 0
