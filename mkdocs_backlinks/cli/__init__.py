"""The `mkdocs-backlinks` command line: the entry point and one module per command."""

from mkdocs_backlinks.cli.main import main

__all__ = ["main"]
