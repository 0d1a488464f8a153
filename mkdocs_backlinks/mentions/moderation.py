"""What the author chose not to show: the moderation file, read, merged and written."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from mkdocs_backlinks.files import dump_json, expect_list, locked, write_text_atomic
from mkdocs_backlinks.files import expect_str as _str
from mkdocs_backlinks.links.urls import domain_matches, host_of, url_identity
from mkdocs_backlinks.mentions.disk import damaged, decode_file, read_text
from mkdocs_backlinks.mentions.model import Mention, MentionsError

__all__ = [
    "MODERATION_SCHEMA",
    "MODERATION_VERSION",
    "Moderation",
    "dumps_moderation",
    "hide",
    "load_moderation",
    "merge_moderation",
    "newly_hidden",
    "newly_shown",
    "save_moderation",
]

MODERATION_SCHEMA = "mkdocs-backlinks/moderation"
MODERATION_VERSION = 1


def _moderation_entry(value: str) -> str:
    """A URL (anything with a '/') in its identity form; an id as written."""
    value = value.strip()
    return url_identity(value) if "/" in value else value


def _domain(value: str) -> str:
    """A host, from a bare name or a pasted URL; `www.` names the same site, so it goes."""
    value = value.strip().lower()
    if "://" in value:
        value = host_of(value)
    value = value.rstrip(".")
    return value[4:] if value.startswith("www.") else value


@dataclass(frozen=True, slots=True)
class Moderation:
    """What the author chose not to show.

    `hidden` holds mention ids and mention URLs (source or own URL; anything with a `/` is
    taken for a URL, scheme optional); `blocked_domains` hides
    every mention from a domain and its subdomains (by source or own URL, so a spammer behind
    a proxy such as Bridgy is caught by the URL it proxies); `blocked_authors` holds author
    URLs. Entries are kept in a normal form (URLs without scheme or `www.`), so a hidden
    mention stays hidden when the receiver sends it again under another variant of its URL.
    """

    hidden: frozenset[str] = frozenset()
    blocked_domains: frozenset[str] = frozenset()
    blocked_authors: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        # Normalised once here so every comparison is a set lookup.
        hidden = frozenset(_moderation_entry(v) for v in self.hidden if v.strip())
        domains = frozenset(_domain(v) for v in self.blocked_domains if v.strip())
        authors = frozenset(url_identity(v) for v in self.blocked_authors if v.strip())
        object.__setattr__(self, "hidden", hidden)
        object.__setattr__(self, "blocked_domains", domains)
        object.__setattr__(self, "blocked_authors", authors)

    def is_hidden(self, mention: Mention) -> bool:
        """True when the mention must not be shown."""
        if not (self.hidden or self.blocked_domains or self.blocked_authors):
            return False  # the usual case, checked for every stored mention on every build
        if mention.id in self.hidden:
            return True
        urls = {mention.source, mention.url}
        if self.hidden and any(url_identity(url) in self.hidden for url in urls):
            return True
        if self.blocked_domains and any(
            domain_matches(host_of(url), self.blocked_domains) for url in urls
        ):
            return True
        return mention.author_url is not None and url_identity(mention.author_url) in (
            self.blocked_authors
        )


def _strings(value: Any, what: str) -> list[str]:
    return [_str(item, f"each of {what}") for item in expect_list(value, what)]


def load_moderation(path: Path) -> Moderation:
    """Read and validate the moderation file; a missing file hides nothing.

    The same rules as the store: a damaged, non-UTF-8 or newer file raises `MentionsError`
    and is left as it is (moderation silently reset would republish what the author hid).
    """
    text = read_text(path, "moderation file")
    if text is None:
        _moderation_read[str(path.absolute())] = ("", Moderation())
        return Moderation()
    data = decode_file(text, path, "moderation file", MODERATION_SCHEMA, MODERATION_VERSION)
    try:
        moderation = Moderation(
            hidden=frozenset(_strings(data.get("hidden", []), "'hidden'")),
            blocked_domains=frozenset(
                _strings(data.get("blocked_domains", []), "'blocked_domains'")
            ),
            blocked_authors=frozenset(
                _strings(data.get("blocked_authors", []), "'blocked_authors'")
            ),
        )
    except (TypeError, ValueError) as exc:
        raise damaged(path, "moderation file", exc) from exc
    _moderation_read[str(path.absolute())] = (text, moderation)
    return moderation


# What this process last read from or wrote to each moderation file: the base `save_moderation`
# merges against, so two `mentions hide` at once both stay hidden.
_moderation_read: dict[str, tuple[str, Moderation]] = {}


def merge_moderation(base: Moderation, ours: Moderation, theirs: Moderation) -> Moderation:
    """Both sides' changes to `base`: an entry either side added is in, one either side removed
    (`unhide`) is out, and the rest stay."""

    def merged(old: frozenset[str], mine: frozenset[str], other: frozenset[str]) -> frozenset[str]:
        return (old & mine & other) | (mine - old) | (other - old)

    return Moderation(
        merged(base.hidden, ours.hidden, theirs.hidden),
        merged(base.blocked_domains, ours.blocked_domains, theirs.blocked_domains),
        merged(base.blocked_authors, ours.blocked_authors, theirs.blocked_authors),
    )


def dumps_moderation(moderation: Moderation) -> str:
    """The moderation file's text: indented and sorted, since people edit it by hand."""
    return dump_json(
        {
            "schema": MODERATION_SCHEMA,
            "version": MODERATION_VERSION,
            "hidden": sorted(moderation.hidden),
            "blocked_domains": sorted(moderation.blocked_domains),
            "blocked_authors": sorted(moderation.blocked_authors),
        }
    )


def save_moderation(path: Path, moderation: Moderation) -> None:
    """Write the moderation file atomically, with its folder locked.

    When the file is no longer what this process last read (`load_moderation`), another
    command saved it in between, and both changes are kept (`merge_moderation`).
    """
    key = str(path.absolute())
    try:
        with locked(path.parent):
            base = _moderation_read.get(key)
            current = read_text(path, "moderation file")
            written = moderation
            if base is not None and (current or "") != base[0]:
                written = merge_moderation(base[1], moderation, load_moderation(path))
            text = dumps_moderation(written)
            if text != current:
                write_text_atomic(path, text)
    except OSError as exc:
        raise MentionsError(f"Cannot write the moderation file {path}: {exc}") from exc
    # As `ledger.file.save_ledger`: the caller's next save is merged with the file again.
    _moderation_read[key] = (
        text if written is moderation else dumps_moderation(moderation),
        moderation,
    )


def newly_hidden(
    before: Moderation, after: Moderation, mentions: Iterable[Mention]
) -> tuple[int, int]:
    """`(caused, hidden)`: how many of `mentions` `after` hides that `before` did not, and how
    many it hides in all. A command reports the first: a mention an earlier `hide` hid is not
    one this command hid."""
    caused = hidden = 0
    for mention in mentions:
        if after.is_hidden(mention):
            hidden += 1
            caused += not before.is_hidden(mention)
    return caused, hidden


def newly_shown(before: Moderation, after: Moderation, mentions: Iterable[Mention]) -> int:
    """How many of `mentions` `before` hid and `after` shows again (what an `unhide` did)."""
    return sum(1 for m in mentions if before.is_hidden(m) and not after.is_hidden(m))


def hide(moderation: Moderation, *refs: str) -> Moderation:
    """`moderation` with more mention ids or URLs hidden."""
    return replace(moderation, hidden=moderation.hidden | frozenset(refs))
