"""The `mkdocs-backlinks` command line: the steps that run outside `mkdocs build`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from mkdocs_backlinks import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mkdocs-backlinks",
        description="Review and act on what the backlinks plugin recorded during mkdocs build.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_subparsers(dest="command", metavar="COMMAND")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
