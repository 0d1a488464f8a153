"""`fetch` and `mentions`: incoming mentions read from their sources, listed and moderated."""

from __future__ import annotations

import argparse
import os
import re
import sys
import threading
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from mkdocs.config.defaults import MkDocsConfig

from mkdocs_backlinks.cli.common import CONFIG_HELP, Subparsers, add_network_arguments, load_plugin
from mkdocs_backlinks.cli.errors import CommandError, UsageError
from mkdocs_backlinks.files import dump_json
from mkdocs_backlinks.http.client import HttpClient
from mkdocs_backlinks.http.options import OFFLINE_ENV
from mkdocs_backlinks.links.urls import url_key
from mkdocs_backlinks.mentions.desk import MentionsDesk, fetched_at, guarded_fetch, reports
from mkdocs_backlinks.mentions.feed import summary
from mkdocs_backlinks.mentions.fetch import apply, prune_gone, read_mentions_file
from mkdocs_backlinks.mentions.model import Mention, SourceState
from mkdocs_backlinks.mentions.moderation import (
    Moderation,
    newly_hidden,
    newly_shown,
    save_moderation,
)
from mkdocs_backlinks.mentions.pages import page_key
from mkdocs_backlinks.plugin import BacklinksPlugin
from mkdocs_backlinks.settings import http_options, mentions_settings
from mkdocs_backlinks.webmention.outcomes import printable, valid_web_url


def add_parsers(commands: Subparsers) -> None:
    """`fetch` to read new mentions, `mentions ACTION` to list and moderate them."""
    fetch = commands.add_parser(
        "fetch", help="fetch new mentions from the configured sources into the store"
    )
    fetch.add_argument("-f", "--config-file", help=CONFIG_HELP)
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
    listing.add_argument("-f", "--config-file", help=CONFIG_HELP)
    importing = actions.add_parser(
        "import",
        help="merge a file of mentions into the store: a webmention.io JSON export (JF2 or "
        "links), an Eleventy cache, or jekyll-webmention_io's webmention_io_received.yml",
    )
    importing.add_argument("file", metavar="FILE", help="the file to read (.yml/.yaml: YAML)")
    importing.add_argument("-f", "--config-file", help=CONFIG_HELP)
    for name, what, metavar in (
        ("hide", "hide one mention, by its id or its URL", "MENTION"),
        ("block-domain", "hide every mention from a site and its subdomains", "DOMAIN"),
        ("block-author", "hide every mention by an author, by their URL", "AUTHOR_URL"),
        ("unhide", "undo hide, block-domain or block-author for this value", "VALUE"),
    ):
        action = actions.add_parser(name, help=what)
        action.add_argument("value", metavar=metavar)
        action.add_argument("-f", "--config-file", help=CONFIG_HELP)


def _desk(plugin: BacklinksPlugin, config: MkDocsConfig, args: argparse.Namespace) -> MentionsDesk:
    allow = getattr(args, "allow_networks", [])
    options = http_options(
        plugin.config,
        allow=allow,
        offline=getattr(args, "offline", False),
        ca_bundle=getattr(args, "ca_bundle", None),
    )
    desk = MentionsDesk(mentions_settings(plugin.config, config), options)
    desk.load()
    return desk


def run_fetch(args: argparse.Namespace) -> int:
    plugin, config = load_plugin(args.config_file)
    desk = _desk(plugin, config, args)
    sources = desk.settings.sources
    if not sources:
        raise CommandError(
            "No mention sources are configured: add mentions.sources to the plugin's options."
        )
    before = {m.id: m for m in desk.store.mentions}
    failed = 0
    with HttpClient(desk.fetch_options) as client:
        if args.prune and client.offline:
            # Offline, every source would look unreachable and the prune would silently
            # remove nothing, which reads as "nothing is gone".
            raise UsageError(
                "--prune asks each mention's source, and the network is switched off "
                f"(--offline, offline: true in mkdocs.yml, or {OFFLINE_ENV} in the "
                "environment); fetch without --prune reads the file sources offline."
            )
        results = []
        stop = threading.Event()
        try:
            for source in sources:
                state = desk.store.sources.get(source.name) or SourceState()
                fetched = guarded_fetch(client, source, state, desk.settings.base, stop)
                results.append(fetched)
                failed += bool(fetched.error)
                for warning in reports(fetched):
                    print(warning, file=sys.stderr)
                print(f"{source.name}: {len(fetched.mentions)} mentions read")
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
    plugin, config = load_plugin(args.config_file)
    desk = _desk(plugin, config, args)
    if args.action == "list":
        try:
            return _list_mentions(desk, args, _page_keys(config))
        except BrokenPipeError:
            # `mentions list | head`: the reader has all it wanted. Point stdout at nothing,
            # so the interpreter's final flush does not fail again, and end quietly.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            return 0
    if args.action == "import":
        return _import(desk, Path(args.file))
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
    total = len(desk.store.mentions)
    if args.action == "unhide":
        shown = newly_shown(desk.moderation, moderation, desk.store.mentions)
        print(f"unhide {value}: {shown} of {total} mentions shown again")
        return 0
    # Only what this command hid: one an earlier hide or block hid is not counted again.
    caused, hidden = newly_hidden(desk.moderation, moderation, desk.store.mentions)
    also = f" ({hidden} hidden in all)" if hidden != caused else ""
    print(f"{args.action} {value}: {caused} of {total} mentions now hidden{also}")
    return 0


def _import(desk: MentionsDesk, path: Path) -> int:
    """Merge the mentions in `path` into the store, as a file source would be."""
    name = f"file:{path}"
    fetched = read_mentions_file(path, name, desk.settings.page_limit, desk.settings.site_url)
    if fetched.error:
        raise CommandError(f"Nothing imported: {fetched.error}")
    for warning in reports(fetched):
        print(warning, file=sys.stderr)
    before = {m.id: m for m in desk.store.mentions}
    desk.store = apply(desk.store, [fetched], fetched_at())
    desk.save()
    after = {m.id: m for m in desk.store.mentions}
    new = len(set(after) - set(before))
    changed = sum(1 for key in set(after) & set(before) if after[key] != before[key])
    skipped = summary(fetched.problems)
    print(f"{path}: {len(fetched.mentions)} mentions read" + (f" ({skipped})" if skipped else ""))
    print(f"{len(after)} mentions in {desk.store_path}: {new} new, {changed} updated")
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
