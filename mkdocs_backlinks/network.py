"""How the plugin's options and the command line become the HTTP layer's settings.

Kept apart from `http.py`, which knows nothing of MkDocs, so that the build and every command
(`send`, `fetch`, ...) apply the same `offline`, `allow_networks` and cache folder.
"""

from __future__ import annotations

import argparse
import ipaddress
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig

    from mkdocs_backlinks.config import BacklinksConfig
    from mkdocs_backlinks.http import HttpOptions

__all__ = [
    "IPNetwork",
    "add_network_arguments",
    "cache_folder",
    "http_options",
    "parse_network",
    "parse_networks",
]

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_network(value: str) -> IPNetwork:
    """One network in CIDR form; a bare address means that address alone (/32 or /128).

    Host bits must be zero (`10.1.2.3/16` is refused): a typo there would open a network
    the author did not mean.
    """
    text = value.strip()
    try:
        return ipaddress.ip_network(text, strict=True)
    except ValueError as exc:
        raise ValueError(
            f"'{value}' is not a network in CIDR form (write it like 127.0.0.0/8 or 10.1.0.0/16)"
        ) from exc


def parse_networks(values: Iterable[str]) -> tuple[IPNetwork, ...]:
    """Several networks, de-duplicated and sorted so the options compare equal across runs."""
    networks = {parse_network(value) for value in values}
    return tuple(sorted(networks, key=lambda n: (n.version, n.network_address, n.prefixlen)))


def http_options(
    options: BacklinksConfig,
    *,
    allow: Iterable[IPNetwork] = (),
    offline: bool = False,
    **limits: Any,
) -> HttpOptions:
    """The HTTP layer's settings for this site: its options, plus what a command line adds.

    `limits` passes other `HttpOptions` fields (timeouts, concurrency) straight through.
    """
    from mkdocs_backlinks.http import HttpOptions

    networks = tuple(dict.fromkeys((*options.allow_networks, *allow)))
    return HttpOptions(allow_networks=networks, offline=bool(options.offline or offline), **limits)


def cache_folder(options: BacklinksConfig, config: MkDocsConfig) -> Path:
    """The cache folder, beside mkdocs.yml unless `cache_dir` is absolute."""
    base = Path(config.config_file_path or ".").resolve().parent
    return base / options.cache_dir


def add_network_arguments(parser: argparse.ArgumentParser) -> None:
    """`--allow-network CIDR` (repeatable) and `--offline` for a command that goes online."""
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
        "--offline", action="store_true", help="do not touch the network; use stored data only"
    )


def _network_argument(value: str) -> IPNetwork:
    try:
        return parse_network(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
