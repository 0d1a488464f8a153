"""`review`: the review page served on this machine, with buttons that record what was done.

The page is the one the build writes as `outreach.html`; served, each card also gets "sent",
"replied", "linked back", "skip" and "undo" buttons and a note editor, which save to the ledger
as `mkdocs-backlinks mark` does. The server (`outreach.review_server`) answers only requests
that carry the token in the address printed here; it listens on 127.0.0.1 unless `--host`
says otherwise, and runs until Ctrl-C.
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
import webbrowser

from mkdocs_backlinks.cli.common import CONFIG_HELP, Subparsers, load_plugin
from mkdocs_backlinks.cli.errors import CommandError, UsageError
from mkdocs_backlinks.cli.outreach import outreach_settings
from mkdocs_backlinks.outreach.review_server import (
    LOOPBACK,
    ReviewDesk,
    ReviewServer,
    ReviewSite,
)
from mkdocs_backlinks.settings import private_data_folder, site_paths


def add_parser(commands: Subparsers) -> None:
    review = commands.add_parser(
        "review",
        help="review the outreach list in the browser, and record what you did with a click",
        description="Serve the outreach review page on this machine, with buttons that mark "
        "contacts (sent, replied, linked back, skipped), undo, and edit notes; each saves to "
        "the ledger at once, as mark does. Runs until Ctrl-C.",
    )
    review.add_argument("-f", "--config-file", help=CONFIG_HELP)
    review.add_argument(
        "--host",
        default="127.0.0.1",
        help="the address to listen on (default: 127.0.0.1, this machine only); anything "
        "else lets other machines reach the page, token in hand",
    )
    review.add_argument(
        "--port", type=_port, default=0, help="the port (default: a free one, chosen at random)"
    )
    review.add_argument(
        "--no-browser", action="store_true", help="print the address, do not open a browser"
    )


def _port(value: str) -> int:
    if not value.isdigit() or not 0 <= int(value) <= 65535:
        raise argparse.ArgumentTypeError(f"'{value}' is not a port number from 0 to 65535")
    return int(value)


def run(args: argparse.Namespace) -> int:
    plugin, config = load_plugin(args.config_file)
    if not plugin.config.outreach.enabled:
        raise UsageError("review reads the ledger, which outreach.enabled: false turns off.")
    private_data_folder(plugin.config, config, "the private ledger and outreach list")
    ledger = site_paths(plugin.config, config).ledger
    if not ledger.is_file():
        raise CommandError(f"No ledger at {ledger} yet: run mkdocs build first.")
    host = _host(args.host)
    desk = ReviewDesk(ReviewSite(ledger, outreach_settings(plugin, config)))
    try:
        server = ReviewServer(desk, host, args.port)
    except OSError as exc:
        raise CommandError(f"Cannot listen on {host} port {args.port}: {exc}") from exc
    with server:
        if host not in LOOPBACK:
            print(
                f"Listening on {host}: anyone who can reach it and has the address below can "
                "change your ledger.",
                file=sys.stderr,
            )
        print(f"Review page: {server.url}", flush=True)
        print("Keep this address private. Ctrl-C stops the server.", flush=True)
        if not args.no_browser:
            webbrowser.open(server.url)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            print("Stopped; every change made on the page is saved.")
    return 0


def _host(value: str) -> str:
    """`--host` as the server binds it: `localhost` stays on the loopback address, a name or
    address is taken as given (the operating system refuses what it cannot bind)."""
    value = value.strip().strip("[]")
    if value == "localhost":
        return "127.0.0.1"
    if not value:
        raise UsageError("--host needs an address, such as 127.0.0.1")
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return value
    if address.is_unspecified:
        # Every address at once: no Host header could be checked against it.
        raise UsageError(
            f"--host {value} listens on every address; give the one other machines will use "
            "(such as 192.168.1.20), which the page's address then names."
        )
    return str(address)
