"""The mentions store file: every mention received so far, loaded, checked and saved.

The file is only as trustworthy as whoever last edited it, so what is loaded goes through the
same cleaning as a fetched feed (`fields`, `sanitize`), unless it is exactly a text this
plugin wrote or already cleaned on this machine (`store_digest`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from mkdocs_backlinks import __version__
from mkdocs_backlinks.files import dump_json_lines, text_digest, write_text_atomic
from mkdocs_backlinks.files import expect_dict as _dict
from mkdocs_backlinks.files import expect_str as _str
from mkdocs_backlinks.mentions.disk import damaged, decode_file, read_text
from mkdocs_backlinks.mentions.fields import (
    RSVP_VALUES,
    iso_date,
    one_line,
    plain_id,
    plain_text,
    safe_url,
)
from mkdocs_backlinks.mentions.merge import merge
from mkdocs_backlinks.mentions.model import (
    KIND_NAMES,
    KINDS,
    Mention,
    MentionsStore,
    SourceState,
)
from mkdocs_backlinks.mentions.sanitize import (
    sanitize_html,
)

__all__ = [
    "STORE_SCHEMA",
    "STORE_VERSION",
    "dumps_store",
    "load_store",
    "load_store_text",
    "save_store",
    "store_digest",
]

STORE_SCHEMA = "mkdocs-backlinks/mentions"
STORE_VERSION = 1


def _optional_str(value: Any, what: str) -> str | None:
    return None if value is None else _str(value, what)


def load_store(path: Path, trusted: Iterable[str] = ()) -> MentionsStore:
    """Read and validate the mentions store; a missing file is an empty store.

    A damaged file, one that is not UTF-8, or one from a newer plugin raises `MentionsError`
    and is left as it is. What is read goes through the same cleaning as a fetched feed
    (HTML sanitised again, unsafe URLs dropped), because the file is only as trustworthy as
    whoever last edited it, and the HTML in it is shown without escaping.

    `trusted` holds digests (`store_digest`) of texts this plugin itself wrote or already
    cleaned on this machine. A file whose digest is among them is exactly such a text, so the
    cleaning, which would change nothing, is skipped; any other byte sequence, such as a
    hand-edited or freshly pulled file, is cleaned in full.
    """
    return load_store_text(path, trusted)[0]


def store_digest(text: str) -> str:
    """The digest under which a store text can be trusted by `load_store`.

    The plugin's and the sanitiser's versions are part of it: text found clean by older rules
    is cleaned again by newer ones.
    """
    import nh3

    rules = f"{__version__}\x1f{getattr(nh3, '__version__', '')}\x1f"
    return text_digest((rules, text))


def load_store_text(path: Path, trusted: Iterable[str] = ()) -> tuple[MentionsStore, str, bool]:
    """`load_store`, also giving the file's text ('' when missing) and whether the fast path
    for a trusted text was taken."""
    text = read_text(path, "mentions store")
    if text is None:
        return MentionsStore(), "", False
    data = decode_file(text, path, "mentions store", STORE_SCHEMA, STORE_VERSION)
    fast = store_digest(text) in set(trusted)
    try:
        return (_decode_trusted(data) if fast else _decode_store(data)), text, fast
    except (KeyError, TypeError, ValueError) as exc:
        raise damaged(path, "mentions store", exc) from exc


def _decode_trusted(data: Mapping[str, Any]) -> MentionsStore:
    """A store in the exact form `dumps_store` wrote after cleaning: records as they are,
    already merged and in order."""
    sources = {
        name: SourceState(raw["since_id"], raw["last_fetched"])
        for name, raw in data["sources"].items()
    }
    mentions = tuple(Mention(id=wid, **raw) for wid, raw in data["mentions"].items())
    return MentionsStore(mentions, sources)


def _decode_store(data: Mapping[str, Any]) -> MentionsStore:
    sources = {
        name: _decode_source(name, raw)
        for name, raw in _dict(data.get("sources", {}), "'sources'").items()
    }
    mentions = [
        _decode_mention(wid, raw)
        for wid, raw in _dict(data.get("mentions", {}), "'mentions'").items()
    ]
    return MentionsStore(tuple(merge([], mentions)), dict(sorted(sources.items())))


def _decode_source(name: str, raw: Any) -> SourceState:
    raw = _dict(raw, f"source {name!r}")
    return SourceState(
        since_id=_str(raw.get("since_id", ""), f"since_id of {name!r}"),
        last_fetched=_str(raw.get("last_fetched", ""), f"last_fetched of {name!r}"),
    )


def _decode_mention(wid: str, raw: Any) -> Mention:
    """One stored record, cleaned as if it had just been fetched; ValueError when it cannot
    be a mention at all."""
    where = f"mention {wid!r}"
    raw = _dict(raw, where)

    def text(key: str, default: str = "") -> str:
        return _str(raw.get(key, default), f"{key} of {where}")

    if plain_id(wid) != wid:
        raise ValueError(f"{where} has an id that is not a plain token")
    kind = _str(raw["kind"], f"kind of {where}")
    if kind not in KINDS:
        raise ValueError(f"{where} has unknown kind {kind!r}")
    source = safe_url(_str(raw["source"], f"source of {where}"))
    target = safe_url(_str(raw["target"], f"target of {where}"))
    if source is None or target is None:
        raise ValueError(f"{where} has a source or target that is not an http(s) URL")
    author_url = _optional_str(raw.get("author_url"), f"author_url of {where}")
    author_photo = _optional_str(raw.get("author_photo"), f"author_photo of {where}")
    rsvp = text("rsvp")
    return Mention(
        id=wid,
        kind=KIND_NAMES[kind],
        source=source,
        target=target,
        url=safe_url(text("url", source)) or source,
        author_name=one_line(text("author_name")),
        author_url=safe_url(author_url),
        author_photo=safe_url(author_photo),
        published=iso_date(text("published")),
        received=iso_date(text("received")),
        title=one_line(text("title")),
        content_html=_sanitize_stored(text("content_html")),
        content_text=plain_text(text("content_text")),
        rsvp=rsvp if rsvp in RSVP_VALUES else "",
    )


def _sanitize_stored(html: str) -> str:
    # Likes and reposts have no content: skip the sanitiser's setup for the empty string.
    return sanitize_html(html) if html else ""


def dumps_store(store: MentionsStore) -> str:
    """The store file's text: a head with the fetch state, then one mention a line.

    One line per mention keeps a review diff to the mentions that changed; the order is the
    merge order and keys are sorted, so saving the same store twice gives the same bytes.
    """
    head = {
        "schema": STORE_SCHEMA,
        "version": STORE_VERSION,
        "sources": {
            name: {"since_id": state.since_id, "last_fetched": state.last_fetched}
            for name, state in sorted(store.sources.items())
        },
    }
    # Through merge, so a store built by hand with a repeated id still writes unique keys.
    ordered: Iterator[tuple[str, Any]] = (
        (mention.id, mention.record()) for mention in merge([], store.mentions)
    )
    return "".join(dump_json_lines(head, {"mentions": ordered}))


def save_store(path: Path, store: MentionsStore) -> None:
    """Write the store atomically: the old file or the new one, never half of either."""
    write_text_atomic(path, dumps_store(store))
