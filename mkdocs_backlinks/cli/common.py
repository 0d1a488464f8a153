"""What every command shares: reading `mkdocs.yml` the way MkDocs does, and argument types.

Every command reads `mkdocs.yml` (or `-f FILE`) like `mkdocs build`, so it finds the same data
folder and options as the build.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import TypeAlias

from mkdocs.config import load_config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import ConfigurationError

from mkdocs_backlinks.cli.errors import CommandError
from mkdocs_backlinks.http.options import IPNetwork, parse_network
from mkdocs_backlinks.plugin import BacklinksPlugin

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
"""The object `add_subparsers` returns, which each command module adds its parser to."""

CONFIG_HELP = "the site's MkDocs configuration file (default: mkdocs.yml in this folder)"
"""The help of every command's `-f`, and of the one before the command."""

DEFAULT_CONFIG_FILES = ("mkdocs.yml", "mkdocs.yaml")
"""What `mkdocs build` looks for in the current folder when no `-f` is given."""


def seconds_argument(value: str) -> float:
    """An argument type: a number of seconds, within reason."""
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not 0 <= number <= 3600:  # also refuses nan
        raise argparse.ArgumentTypeError(f"'{value}' is not a number of seconds from 0 to 3600")
    return number


def timeout_argument(value: str) -> float:
    """An argument type: seconds, as `seconds_argument`, but never 0 (no request could run)."""
    number = seconds_argument(value)
    if number == 0:
        raise argparse.ArgumentTypeError("a timeout must be more than 0 seconds")
    return number


def default_config() -> Path | None:
    """The configuration file `mkdocs build` would read here, if there is one."""
    return next((Path(name) for name in DEFAULT_CONFIG_FILES if Path(name).is_file()), None)


def config_path(config_file: str | None) -> Path:
    """The configuration file a command reads: `-f`, else the one MkDocs would find here.

    A new user's first mistakes are running a command outside the site's folder and a
    mistyped `-f`; each gets a message saying which it was and what to do instead.
    """
    if config_file is None:
        found = default_config()
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


def load_plugin(config_file: str | None) -> tuple[BacklinksPlugin, MkDocsConfig]:
    """The site's configuration, loaded and validated as `mkdocs build` does, and the
    backlinks plugin in it with its options."""
    path = config_path(config_file)
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


def add_network_arguments(parser: argparse.ArgumentParser) -> None:
    """`--allow-network CIDR` (repeatable), `--ca-bundle FILE` and `--offline` for a command
    that goes online."""
    parser.add_argument(
        "--allow-network",
        dest="allow_networks",
        metavar="CIDR",
        action="append",
        type=_network_argument,
        default=[],
        help="also allow connections to this private network, like 127.0.0.0/8 (repeatable)",
    )
    parser.add_argument(
        "--ca-bundle",
        metavar="FILE",
        type=_ca_bundle_argument,
        default=None,
        help="verify TLS with this CA bundle (PEM file or folder), as the ca_bundle option",
    )
    parser.add_argument(
        "--offline", action="store_true", help="do not touch the network; use stored data only"
    )


def _ca_bundle_argument(value: str) -> str:
    path = Path(value).expanduser()
    if not path.exists():
        raise argparse.ArgumentTypeError(f"'{value}': no such file or folder")
    return str(path.resolve())


def _network_argument(value: str) -> IPNetwork:
    try:
        return parse_network(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
