"""Malformed entries and documents, skipped with a reason and never a traceback; the foreign
cache shapes; merges that do not depend on feed order (`mkdocs_backlinks.mentions`)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from mkdocs_backlinks.mentions.documents import DocumentError, decode_json, decode_yaml
from mkdocs_backlinks.mentions.feed import parse_feed, summary
from mkdocs_backlinks.mentions.fetch import read_mentions_file
from mkdocs_backlinks.mentions.merge import merge
from mkdocs_backlinks.mentions.model import MentionsStore
from mkdocs_backlinks.mentions.store import load_store, save_store

POST = "https://example.org/blog/posts/hello/"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "mentions"


def entry(wid: int, **extra: Any) -> dict[str, Any]:
    source = f"https://fan{wid}.example.net/post/{wid}"
    return {
        "wm-id": wid,
        "wm-source": source,
        "wm-target": POST,
        "wm-property": "in-reply-to",
        "url": source,
        "author": {"name": f"Fan {wid}"},
        "content": {"text": "hi"},
        **extra,
    }


def test_year_one_at_plus_fourteen_is_left_empty_and_merges(tmp_path: Path) -> None:
    crafted = "0001-01-01T00:00:00+14:00"
    feed = {"children": [entry(1, published=crafted, **{"wm-received": crafted}), entry(2)]}
    mentions, problems = parse_feed(feed)
    assert [m.id for m in mentions] == ["1", "2"]
    assert mentions[0].published == mentions[0].received == ""
    assert summary(problems) == "2 bad date left empty"
    stored = merge(mentions, [])  # sorting by date crashed here
    save_store(tmp_path / "m.json", MentionsStore(tuple(stored)))
    assert len(load_store(tmp_path / "m.json").mentions) == 2


def test_a_lone_surrogate_is_replaced_before_it_reaches_the_file(tmp_path: Path) -> None:
    feed = json.loads(
        '{"children": [{"wm-id": 1, "wm-source": "https://a.example/\\ud800", '
        '"wm-target": "' + POST + '", "author": {"name": "Ann\\ud800e", '
        '"url": "https://ann.example/"}, "content": {"html": "<p>x\\udfff</p>"}}, '
        '{"wm-id": 2, "wm-source": "https://b.example/", "wm-target": "' + POST + '", '
        '"author": {"name": "B\\ud800"}, "name": "T\\ud800", '
        '"content": {"html": "<p>y\\ud800</p>"}}]}'
    )
    mentions, problems = parse_feed(feed)
    assert [m.id for m in mentions] == ["2"]  # a surrogate in a URL makes no URL
    assert problems[0].reason == "bad source URL"
    [m] = mentions
    assert "\ud800" not in m.author_name + m.title + m.content_html + m.content_text
    save_store(tmp_path / "m.json", MentionsStore(tuple(mentions)))  # raised before
    assert load_store(tmp_path / "m.json").mentions[0].author_name == "B"


def test_reasons_are_counted_in_one_line() -> None:
    feed = {
        "children": [
            entry(1),
            "text",
            7,
            entry(4, **{"wm-source": "javascript:alert(1)"}),
            entry(5, **{"wm-private": True}),
            entry(6, published="2024-02-30T10:00:00Z"),
        ]
    }
    mentions, problems = parse_feed(feed)
    assert [m.id for m in mentions] == ["1", "6"]
    assert summary(problems) == (
        "4 entries skipped: 1 bad source URL, 2 not an object, 1 private; 1 bad date left empty"
    )
    assert all(str(p).startswith("entry ") for p in problems)


def test_a_json_array_is_read_but_reported() -> None:
    mentions, problems = parse_feed([entry(1)])
    assert [m.id for m in mentions] == ["1"]
    assert [p.skipped for p in problems] == [False]
    assert "JSON array where a feed object" in summary(problems)


def test_deep_nesting_is_refused_before_parsing() -> None:
    with pytest.raises(DocumentError, match="nests deeper than 100"):
        decode_json("[" * 100_000 + "]" * 100_000)
    with pytest.raises(DocumentError, match="nests too deeply"):
        decode_yaml("a:\n" + "".join("  " * i + "- \n" for i in range(1, 3000)))
    # Brackets inside strings are text, not nesting.
    assert decode_json(json.dumps({"children": ["[" * 500]})) == {"children": ["[" * 500]}


def test_the_newest_copy_wins_whatever_the_order() -> None:
    copies = [
        entry(9, **{"wm-received": "2024-01-01T00:00:00Z", "content": {"text": "old"}}),
        entry(9, **{"wm-received": "2024-03-01T00:00:00+01:00", "content": {"text": "new"}}),
        entry(9, **{"content": {"text": "undated"}}),
        entry(9, **{"wm-received": "2024-02-01T00:00:00Z", "content": {"text": "middle"}}),
    ]
    kept = set()
    for seed in range(12):
        random.Random(seed).shuffle(copies)
        mentions, _ = parse_feed({"children": copies})
        split = random.Random(seed).randrange(len(mentions) + 1)
        [m] = merge(mentions[:split], mentions[split:])
        kept.add(m.content_text)
    assert kept == {"new"}


def test_published_then_id_break_ties() -> None:
    a = entry(5, published="2024-01-02T00:00:00Z", content={"text": "later published"})
    b = entry(5, published="2024-01-01T00:00:00Z", content={"text": "earlier"})
    for order in ([a, b], [b, a]):
        [m] = merge([], parse_feed({"children": order})[0])
        assert m.content_text == "later published"
    # The same mention under two ids: the receiver's larger number is the newer copy.
    c = entry(7, **{"wm-source": a["wm-source"], "published": a["published"]})
    for order in ([a, c], [c, a]):
        [m] = merge([], parse_feed({"children": order})[0])
        assert m.id == "7"


@pytest.mark.parametrize(
    ("name", "ids"),
    [
        ("eleventy-webmentions.json", {"1601", "1602"}),
        ("eleventy-fetch-cache.json", {"1700"}),
        ("webmention-io-links.json", {"901"}),
        ("webmention_io_received.yml", {"532", "533"}),
    ],
)
def test_foreign_caches_are_read(name: str, ids: set[str]) -> None:
    fetched = read_mentions_file(FIXTURES / name, name, 1_000_000, "https://example.org/blog")
    assert fetched.error == ""
    kept = merge([], fetched.mentions)
    assert {m.id for m in kept} == ids
    for m in kept:
        assert m.target.startswith("https://example.org/blog/")
        assert "script" not in m.content_html and "javascript" not in m.content_html
        assert "stale" not in m.content_text and "stale" not in m.author_name


def test_jekyll_items_keep_their_names_html_and_dates() -> None:
    fetched = read_mentions_file(
        FIXTURES / "webmention_io_received.yml", "j", 1_000_000, "https://example.org/blog"
    )
    by_id = {m.id: m for m in fetched.mentions}
    sam, like = by_id["532"], by_id["533"]
    assert (sam.kind, sam.author_name, sam.author_photo) == ("reply", "Sam Ødegård", None)
    assert "<em>really</em>" in sam.content_html
    assert sam.received == "2019-03-18T14:16:22+00:00"
    # No `raw`: the page path it was filed under, under site_url, is the target.
    assert (like.kind, like.target) == ("like", POST)
    assert like.received.startswith("2019-03-19T08:00:00")


def test_a_number_too_long_for_python_refuses_the_document_not_the_build() -> None:
    """JSON and YAML numbers of more digits than Python converts (4,300) raised a plain
    `ValueError` out of the build; now the document is refused with a reason, as any other
    unreadable source is."""
    huge = "9" * 5000
    with pytest.raises(DocumentError, match="not readable JSON"):
        decode_json('{"children": [{"wm-id": 1, "x": ' + huge + "}]}")
    with pytest.raises(DocumentError, match="not readable YAML"):
        decode_yaml(f"/posts/hello/:\n  '1':\n    id: {huge}\n")


def test_an_id_longer_than_any_id_is_no_id() -> None:
    """A numeric `wm-id` of 150 digits was kept as the mention's id, which the store then
    refused on the next load ("damaged"), stopping the build: it gets a digest id instead."""
    [m], _ = parse_feed({"children": [entry(int("1" * 150))]})
    assert m.id.startswith("h-")
    [m], _ = parse_feed({"children": [entry(int("1" * 100))]})
    assert m.id == "1" * 100  # as long as an id may be


def test_an_impossible_date_in_yaml_is_left_empty_and_the_entry_kept(tmp_path: Path) -> None:
    source = tmp_path / "feed.yml"
    source.write_text(
        "/posts/hello/:\n  '1':\n    id: 1\n    uri: https://a.example.net/p\n"
        "    source: https://a.example.net/p\n    pubdate: 2024-02-30\n    type: reply\n"
        "    content: hello\n",
        encoding="utf-8",
    )
    assert decode_yaml("day: 2024-02-30\n") == {"day": "2024-02-30"}
    fetched = read_mentions_file(source, "feed.yml", 1_000_000, "https://example.org/blog")
    assert fetched.error == ""
    [m] = fetched.mentions
    assert (m.id, m.published) == ("1", "")
    assert "bad date left empty" in summary(fetched.problems)
