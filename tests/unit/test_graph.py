"""Unit tests for `mkdocs_backlinks.graph.linkgraph`: credits, backlinks, export and counts."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from mkdocs_backlinks.files import dump_json_lines
from mkdocs_backlinks.graph.export import write_export
from mkdocs_backlinks.graph.linkgraph import (
    EXPORT_SCHEMA,
    EXPORT_VERSION,
    BacklinkEntry,
    CreditEntry,
    CreditGroup,
    Link,
    LinkGraph,
    PageInfo,
)
from mkdocs_backlinks.works.model import WorkMeta


def cite(
    source: str,
    url: str,
    text: str = "",
    *,
    href: str | None = None,
    context: str = "",
    section: str = "",
    rel: tuple[str, ...] = (),
) -> Link:
    """A link to an outside work."""
    return Link(source, href or url, url, "", text, context, section, rel, False)


def link(
    source: str,
    target: str,
    text: str = "",
    *,
    href: str | None = None,
    anchor: str = "",
    context: str = "",
    section: str = "",
) -> Link:
    """A link to a page of the site."""
    return Link(source, href or target, target, anchor, text, context, section, (), True)


def page(src: str, url: str, title: str, sections: dict[str, str] | None = None) -> PageInfo:
    return PageInfo(src, url, title, sections or {})


# --------------------------------------------------------------------------- credits


def test_credit_groups_by_site_sorted() -> None:
    graph = LinkGraph()
    graph.add_page(
        page("index.md", "", "Home"),
        [
            cite("index.md", "https://zeta.org/a", "Zeta A"),
            cite("index.md", "https://www.alpha.org/x", "Alpha X"),
            cite("index.md", "https://zeta.org/b", "Zeta B"),
            cite("index.md", "https://alpha.org/y", "Alpha Y"),
            cite("index.md", "https://docs.mid.org/", "Mid"),
        ],
    )
    groups = graph.credit_groups("index.md")
    assert [g.site for g in groups] == ["alpha.org", "docs.mid.org", "zeta.org"]
    # www. is folded into the bare site; within a site, works keep document order
    assert [e.url for e in groups[0].entries] == ["https://www.alpha.org/x", "https://alpha.org/y"]
    assert [e.url for e in groups[2].entries] == ["https://zeta.org/a", "https://zeta.org/b"]


def test_credit_groups_count_duplicates_and_keep_first_text() -> None:
    graph = LinkGraph()
    graph.add_page(
        page("index.md", "", "Home"),
        [
            cite("index.md", "https://x.org/a", "first text", href="https://x.org/a#one"),
            cite("index.md", "https://x.org/b", "other"),
            cite("index.md", "https://x.org/a", "second text", href="https://x.org/a?utm_source=z"),
            cite("index.md", "https://x.org/a", "third text"),
        ],
    )
    assert graph.credit_groups("index.md") == [
        CreditGroup(
            "x.org",
            (
                CreditEntry("https://x.org/a", "https://x.org/a#one", "first text", 3),
                CreditEntry("https://x.org/b", "https://x.org/b", "other", 1),
            ),
        )
    ]


def test_an_address_that_moved_to_another_site_is_one_work_in_either_order() -> None:
    # The old address's check ended at the new one, on another domain: one work, in the group
    # of the site the page cited first, shown under the address whose check says something.
    moved = {"https://old.org/a": WorkMeta(title="A", final_url="https://new.org/a")}
    for first, second in (
        ("https://old.org/a", "https://new.org/a"),
        ("https://new.org/a", "https://old.org/a"),
    ):
        graph = LinkGraph()
        graph.add_page(
            page("p.md", "p/", "P"),
            [
                cite("p.md", first, "one"),
                cite("p.md", "https://x.org/", "x"),
                cite("p.md", second, "two"),
            ],
        )
        groups = graph.credit_groups("p.md", moved)
        assert [group.site for group in groups] == sorted([first[8:15], "x.org"])
        (work,) = next(group.entries for group in groups if group.site == first[8:15])
        assert (work.url, work.text, work.count, work.title) == ("https://old.org/a", "one", 2, "A")


def test_credit_entry_without_text_uses_url() -> None:
    graph = LinkGraph()
    graph.add_page(page("index.md", "", "Home"), [cite("index.md", "https://x.org/a", "")])
    (group,) = graph.credit_groups("index.md")
    assert group.entries[0].text == "https://x.org/a"


def test_credit_groups_ignore_internal_links_and_other_pages() -> None:
    graph = LinkGraph()
    graph.add_page(page("a.md", "a/", "A"), [cite("a.md", "https://x.org/", "X")])
    graph.add_page(
        page("index.md", "", "Home"),
        [link("index.md", "a.md", "A"), cite("index.md", "https://y.org/", "Y")],
    )
    assert [g.site for g in graph.credit_groups("index.md")] == ["y.org"]
    assert [g.site for g in graph.credit_groups("a.md")] == ["x.org"]
    assert graph.credit_groups("missing.md") == []


def test_citations_in_document_order() -> None:
    graph = LinkGraph()
    links = [
        cite("index.md", "https://b.org/"),
        link("index.md", "a.md"),
        cite("index.md", "https://a.org/"),
    ]
    graph.add_page(page("index.md", "", "Home"), links)
    assert graph.citations("index.md") == [links[0], links[2]]
    assert graph.links_from("index.md") == tuple(links)
    assert graph.links_from("missing.md") == ()


# --------------------------------------------------------------------------- backlinks


def small_site() -> LinkGraph:
    graph = LinkGraph()
    graph.add_page(page("target.md", "target/", "Target"), [])
    graph.add_page(
        page("z.md", "z/", "Zed", {"zed": "Zed", "more": "More about it"}),
        [
            link("z.md", "target.md", "t1", context="Zed says t1.", section="more"),
            # same section and sentence: a duplicate of the one above
            link("z.md", "target.md", "t1 again", context="Zed says t1.", section="more"),
            # the h1 section: same title as the page, so no section title
            link("z.md", "target.md", "t2", context="Intro t2.", section="zed"),
        ],
    )
    graph.add_page(
        page("a.md", "a/", "Aye", {"part": "Part one"}),
        [
            link("a.md", "target.md", "before", context="Before any heading."),
            link("a.md", "target.md", "in part", context="In part.", section="part"),
            # a section id the page's table of contents does not know
            link("a.md", "target.md", "ghost", context="Ghost.", section="ghost"),
            # same sentence but another section: kept
            link("a.md", "target.md", "again", context="Before any heading.", section="part"),
        ],
    )
    return graph


def test_backlink_entries_sorted_by_source_deduplicated_with_sections() -> None:
    entries = small_site().backlink_entries("target.md")
    assert entries == [
        BacklinkEntry("a.md", "a/", "Aye", "", "before", "Before any heading."),
        BacklinkEntry("a.md", "a/#part", "Aye", "Part one", "in part", "In part."),
        BacklinkEntry("a.md", "a/#ghost", "Aye", "", "ghost", "Ghost."),
        BacklinkEntry("a.md", "a/#part", "Aye", "Part one", "again", "Before any heading."),
        BacklinkEntry("z.md", "z/#more", "Zed", "More about it", "t1", "Zed says t1."),
        BacklinkEntry("z.md", "z/#zed", "Zed", "", "t2", "Intro t2."),
    ]


def test_backlink_entries_relative_to_the_showing_page() -> None:
    graph = small_site()
    assert [e.url for e in graph.backlink_entries("target.md", "target/")] == [
        "../a/",
        "../a/#part",
        "../a/#ghost",
        "../a/#part",
        "../z/#more",
        "../z/#zed",
    ]
    # the flat layout: target.html is in the root folder
    assert graph.backlink_entries("target.md", "target.html")[0].url == "a/"


def test_backlink_entries_for_page_without_backlinks() -> None:
    graph = small_site()
    assert graph.backlink_entries("a.md") == []
    assert graph.backlink_entries("missing.md") == []


def test_links_to_ignores_targets_not_in_pages() -> None:
    graph = LinkGraph()
    graph.add_page(
        page("a.md", "a/", "A"),
        [link("a.md", "gone.md", "gone"), link("a.md", "b.md", "b"), cite("a.md", "https://x/")],
    )
    assert graph.links_to("gone.md") == []
    # b.md is not a known page yet: its link is not a backlink
    assert graph.links_to("b.md") == []
    graph.add_page(page("b.md", "b/", "B"), [])
    assert [lk.text for lk in graph.links_to("b.md")] == ["b"]


def test_links_to_sorted_by_source_then_document_order() -> None:
    graph = LinkGraph()
    graph.add_page(page("t.md", "t/", "T"), [])
    graph.add_page(
        page("m.md", "m/", "M"), [link("m.md", "t.md", "m1"), link("m.md", "t.md", "m2")]
    )
    graph.add_page(
        page("b.md", "b/", "B"), [link("b.md", "t.md", "b2"), link("b.md", "t.md", "b1")]
    )
    assert [lk.text for lk in graph.links_to("t.md")] == ["b2", "b1", "m1", "m2"]


def test_add_page_replaces_earlier_record_and_refreshes_index() -> None:
    graph = LinkGraph()
    graph.add_page(page("t.md", "t/", "T"), [])
    graph.add_page(page("a.md", "a/", "A"), [link("a.md", "t.md", "old")])
    assert [lk.text for lk in graph.links_to("t.md")] == ["old"]
    graph.add_page(page("a.md", "a/", "A2"), [])
    assert graph.links_to("t.md") == []
    assert graph.pages["a.md"].title == "A2"


def test_pages_added_after_a_lookup_join_the_index_in_order() -> None:
    # The index is sorted in place at the first lookup; later pages must still land in order,
    # and links to a page the graph does not hold yet show once it arrives.
    graph = LinkGraph()
    graph.add_page(page("t.md", "t/", "T"), [])
    graph.add_page(page("m.md", "m/", "M"), [link("m.md", "t.md", "m"), link("m.md", "u.md", "u")])
    assert [lk.text for lk in graph.links_to("t.md")] == ["m"]
    assert graph.links_to("u.md") == []  # not a page of the graph (yet)
    graph.add_page(page("b.md", "b/", "B"), [link("b.md", "t.md", "b")])
    graph.add_page(page("u.md", "u/", "U"), [])
    assert [lk.text for lk in graph.links_to("t.md")] == ["b", "m"]
    assert [lk.source for lk in graph.links_to("u.md")] == ["m.md"]
    assert graph.counts() == (4, 3, 0)


def test_links_to_match_a_plain_model_through_records_replaced_before_and_after_lookups() -> None:
    # Pages added in a shuffled order, some twice (a page recorded again, as autorefs' pass
    # does), with lookups in between that sort the index: what links to each page is always
    # the current records' internal links to it, by citing page, then document order.
    rng = random.Random(7)
    names = [f"p{n:02d}.md" for n in range(30)]
    graph = LinkGraph()
    current: dict[str, list[Link]] = {}
    for step in range(120):
        src = rng.choice(names)
        rows = [
            link(src, rng.choice(names), f"{src} {step} {n}")
            if rng.random() < 0.8
            else cite(src, f"https://site{n}.org/")
            for n in range(rng.randrange(6))
        ]
        graph.add_page(page(src, src[:-3] + "/", src), rows)
        current[src] = rows
        if step % 17 == 0:
            target = rng.choice(names)
            assert graph.links_to(target) == _model_links_to(current, target)
    for target in names:
        assert graph.links_to(target) == _model_links_to(current, target)
    internal = sum(row.internal for rows in current.values() for row in rows)
    assert graph.counts()[1] == internal


def _model_links_to(current: dict[str, list[Link]], target: str) -> list[Link]:
    if target not in current:
        return []
    return [
        row
        for src in sorted(current)
        for row in current[src]
        if row.internal and row.target == target
    ]


def test_a_graph_without_outbound_rows_still_knows_what_links_to_each_page() -> None:
    # Backlinks alone: no page's own rows are kept, only the rows to each page, and records
    # replaced (some empty, so two blocks start at one offset) still drop their old rows.
    graph = LinkGraph(outbound=False)
    graph.add_page(page("t.md", "t/", "T"), [])
    graph.add_page(
        page("a.md", "a/", "A"), [link("a.md", "t.md", "a1"), link("a.md", "b.md", "ab")]
    )
    graph.add_page(page("e.md", "e/", "E"), [])
    graph.add_page(page("b.md", "b/", "B"), [link("b.md", "t.md", "b1")])
    assert [lk.text for lk in graph.links_to("t.md")] == ["a1", "b1"]
    assert graph.links_from("a.md") == () and graph.citations("a.md") == []
    graph.add_page(page("a.md", "a/", "A"), [])
    graph.add_page(page("e.md", "e/", "E"), [link("e.md", "t.md", "e1")])
    assert [lk.text for lk in graph.links_to("t.md")] == ["b1", "e1"]
    assert graph.links_to("b.md") == []
    # A page whose rows will be read back keeps them.
    rows = [link("k.md", "t.md", "k1")]
    graph.add_page(page("k.md", "k/", "K"), rows, outbound=True)
    assert graph.links_from("k.md") == tuple(rows)
    assert [lk.text for lk in graph.links_to("t.md")] == ["b1", "e1", "k1"]
    assert graph.counts() == (5, 3, 0)


def test_rows_come_back_as_written() -> None:
    graph = LinkGraph()
    odd = "tab\tnull\x00 \x1f unit sep, \u00e9 and \U0001f600"
    rows = [
        cite("p.md", "https://x.org/" + odd, odd, context=odd, rel=("nofollow", "ugc")),
        link("p.md", "p.md", odd, anchor=odd, section=odd),
    ]
    graph.add_page(page("p.md", "p/", "P"), rows)
    assert graph.links_from("p.md") == tuple(rows)
    assert graph.links_to("p.md") == [rows[1]]
    assert graph.citations("p.md") == [rows[0]]


def test_a_closed_graph_knows_its_pages_but_no_links() -> None:
    graph = LinkGraph()
    graph.add_page(
        page("p.md", "p/", "P"), [link("p.md", "p.md", "self"), cite("p.md", "https://x.org/")]
    )
    graph.close()
    assert list(graph.pages) == ["p.md"]
    assert graph.links_from("p.md") == ()
    assert graph.links_to("p.md") == []
    assert graph.counts() == (1, 0, 0)


# --------------------------------------------------------------------------- export


def build_graph(order: list[str]) -> LinkGraph:
    """The same pages and links, added in the given page order."""
    records: dict[str, tuple[PageInfo, list[Link]]] = {
        "index.md": (
            page("index.md", "", "Home", {"home": "Home"}),
            [
                cite(
                    "index.md",
                    "https://x.org/a",
                    "X",
                    href="https://x.org/a#f",
                    context="See X.",
                    rel=("noopener",),
                ),
                link("index.md", "a.md", "A", href="a.md#part", anchor="part", context="Go A."),
            ],
        ),
        "a.md": (
            page("a.md", "a/", "A", {"part": "Part"}),
            [link("a.md", "index.md", "home", href="index.md", section="part", context="Home.")],
        ),
        "dir/b.md": (page("dir/b.md", "dir/b/", "B"), [cite("dir/b.md", "https://y.org/")]),
    }
    graph = LinkGraph()
    for src in order:
        graph.add_page(*records[src])
    return graph


def test_export_document() -> None:
    document = build_graph(["index.md", "a.md", "dir/b.md"]).export("https://example.com/sub/")
    assert set(document) == {"schema", "version", "site_url", "pages"}
    assert document["schema"] == EXPORT_SCHEMA == "mkdocs-backlinks/graph"
    assert document["version"] == EXPORT_VERSION == 1
    assert document["site_url"] == "https://example.com/sub/"
    assert list(document["pages"]) == ["a.md", "dir/b.md", "index.md"]
    for record in document["pages"].values():
        assert set(record) == {"url", "absolute_url", "title", "citations", "links", "backlinks"}

    home = document["pages"]["index.md"]
    assert home["url"] == ""
    assert home["absolute_url"] == "https://example.com/sub/"
    assert home["title"] == "Home"
    assert home["citations"] == [
        {
            "target": "https://x.org/a",
            "href": "https://x.org/a#f",
            "text": "X",
            "context": "See X.",
            "section": "",
            "rel": ["noopener"],
        }
    ]
    assert home["links"] == [
        {
            "target": "a.md",
            "href": "a.md#part",
            "text": "A",
            "context": "Go A.",
            "section": "",
            "rel": [],
            "anchor": "part",
        }
    ]
    assert home["backlinks"] == [
        {
            "source": "a.md",
            "anchor": "",
            "href": "index.md",
            "text": "home",
            "context": "Home.",
            "section": "part",
        }
    ]
    a = document["pages"]["a.md"]
    assert a["absolute_url"] == "https://example.com/sub/a/"
    assert [b["source"] for b in a["backlinks"]] == ["index.md"]
    assert a["citations"] == []


def test_export_without_site_url() -> None:
    document = build_graph(["index.md", "a.md", "dir/b.md"]).export(None)
    assert document["site_url"] is None
    assert all(record["absolute_url"] is None for record in document["pages"].values())
    assert build_graph(["a.md"]).export("")["site_url"] is None


def test_export_site_url_without_trailing_slash() -> None:
    document = build_graph(["a.md"]).export("https://example.com/sub")
    assert document["pages"]["a.md"]["absolute_url"] == "https://example.com/sub/a/"


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, sort_keys=True, ensure_ascii=False)


def test_export_is_deterministic() -> None:
    first = build_graph(["index.md", "a.md", "dir/b.md"]).export("https://example.com/")
    again = build_graph(["index.md", "a.md", "dir/b.md"]).export("https://example.com/")
    reordered = build_graph(["dir/b.md", "a.md", "index.md"]).export("https://example.com/")
    assert dumps(first) == dumps(again) == dumps(reordered)
    # without sort_keys too: the export itself is ordered
    assert json.dumps(first) == json.dumps(reordered)


def test_export_is_json_serialisable_round_trip() -> None:
    document = build_graph(["index.md", "a.md", "dir/b.md"]).export("https://example.com/")
    assert json.loads(json.dumps(document)) == document


def reference_export_text(graph: LinkGraph, site_url: str | None) -> str:
    """The export as `dump_json_lines` writes it from plain dicts: what `export_text`, which
    writes the JSON by hand for speed, must reproduce byte for byte."""
    base = site_url.rstrip("/") + "/" if site_url else ""

    def record(lk: Link) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "target": lk.target,
            "href": lk.href,
            "text": lk.text,
            "context": lk.context,
            "section": lk.section,
            "rel": list(lk.rel),
        }
        if lk.internal:
            fields["anchor"] = lk.anchor
        return fields

    pages = (
        (
            src,
            {
                "url": info.url,
                "absolute_url": base + info.url if base else None,
                "title": info.title,
                "citations": [record(lk) for lk in graph.citations(src)],
                "links": [record(lk) for lk in graph.links_from(src) if lk.internal],
                "backlinks": [
                    {
                        "source": lk.source,
                        "anchor": lk.anchor,
                        "href": lk.href,
                        "text": lk.text,
                        "context": lk.context,
                        "section": lk.section,
                    }
                    for lk in graph.links_to(src)
                ],
            },
        )
        for src, info in sorted(graph.pages.items())
    )
    head = {"schema": EXPORT_SCHEMA, "version": EXPORT_VERSION, "site_url": site_url or None}
    return "".join(dump_json_lines(head, {"pages": pages}))


AWKWARD = [
    "",
    'quote " and backslash \\ and slash /',
    "</script><script>alert(1)</script>",
    "tab\tnew line\ncarriage\rbell\x07 nul\x00 del\x7f",
    "caf\u00e9 \u2014 \u201cquoted\u201d \u65e5\u672c \U0001f600",
    "line separator \u2028 paragraph \u2029",
    "lone surrogate \ud800",
    "{count} {{ jinja }} &amp; &lt;",
]


def _awkward_graph(words: list[str]) -> LinkGraph:
    """Five pages with links whose every field is one of `words`, chosen at random (seeded)."""
    rng = random.Random(7)
    srcs = ["index.md", "a.md", "dir/b.md", "dir/\u00fcber.md", 'q"uote.md']
    graph = LinkGraph()
    for src in srcs:
        links: list[Link] = []
        for _ in range(rng.randrange(0, 6)):
            fields: dict[str, Any] = {
                "text": rng.choice(words),
                "context": rng.choice(words),
                "section": rng.choice(words),
            }
            if rng.random() < 0.5:
                target = rng.choice(srcs)
                links.append(
                    link(src, target, href=target + "#x", anchor=rng.choice(words), **fields)
                )
            else:
                rel = tuple(
                    sorted(rng.sample(["nofollow", "noopener", "me", 'x"y'], rng.randrange(3)))
                )
                links.append(cite(src, "https://x.org/" + rng.choice(words), rel=rel, **fields))
        graph.add_page(page(src, src[:-3] + "/", rng.choice(words)), links)
    return graph


SITE_URLS = ("https://example.com/sub/", "https://example.com/sub", None, "")


def test_export_text_is_the_reference_encoding_byte_for_byte() -> None:
    graph = _awkward_graph(AWKWARD)
    for site_url in SITE_URLS:
        assert "".join(graph.export_text(site_url)) == reference_export_text(graph, site_url)
    assert "".join(LinkGraph().export_text(None)) == reference_export_text(LinkGraph(), None)
    assert "".join(build_graph(["index.md", "a.md", "dir/b.md"]).export_text(None)) == (
        reference_export_text(build_graph(["index.md", "a.md", "dir/b.md"]), None)
    )


def test_what_a_build_writes_is_the_reference_encoding(tmp_path: Path) -> None:
    """`write_export` lays the entries out itself (to copy some from a kept export), not by
    `export_text`. Without the lone surrogate: no page can hold one (the link collector reads
    `&#xD800;` as U+FFFD), and a UTF-8 file cannot."""
    graph = _awkward_graph([word for word in AWKWARD if "\ud800" not in word])
    for number, site_url in enumerate(SITE_URLS):
        written = tmp_path / f"{number}.json"
        write_export(graph, written, site_url, cache=tmp_path / "cache", name=written.name)
        assert written.read_text(encoding="utf-8") == reference_export_text(graph, site_url)


# --------------------------------------------------------------------------- counts


def test_counts() -> None:
    assert LinkGraph().counts() == (0, 0, 0)
    graph = build_graph(["index.md", "a.md", "dir/b.md"])
    # 3 pages; internal: index->a, a->index; citations: index->x.org, b->y.org
    assert graph.counts() == (3, 2, 2)


def test_counts_include_links_to_unknown_pages() -> None:
    graph = LinkGraph()
    graph.add_page(
        page("a.md", "a/", "A"),
        [link("a.md", "gone.md"), link("a.md", "gone.md"), cite("a.md", "https://x.org/")],
    )
    assert graph.counts() == (1, 2, 1)


# --------------------------------------------------------------------------- long pages


def test_a_page_of_thousands_of_links_reads_back_whole_and_in_order() -> None:
    """A long page's rows are written in chunks (so they are not held twice while it converts):
    every row comes back, in document order, around the chunk edges and after a re-record."""
    graph = LinkGraph()
    count = 1301  # two full chunks and part of a third
    rows = [
        link("long.md", f"p{n % 3}.md", f"t{n}")
        if n % 7 == 0
        else cite("long.md", f"https://w.example/{n}")
        for n in range(count)
    ]
    for src in ("p0.md", "p1.md", "p2.md"):
        graph.add_page(page(src, src[:-3] + "/", src), [link(src, "long.md", "back")])
    graph.add_page(page("long.md", "long/", "Long"), rows)
    assert graph.links_from("long.md") == tuple(rows)
    assert [c.target for c in graph.citations("long.md")] == [
        r.target for r in rows if not r.internal
    ]
    assert len(graph.links_to("p1.md")) == len(
        [r for r in rows if r.internal and r.target == "p1.md"]
    )
    graph.add_page(page("long.md", "long/", "Long"), rows[:700])
    assert graph.links_from("long.md") == tuple(rows[:700])
    export = graph.export(None)["pages"]["long.md"]
    assert len(export["links"]) + len(export["citations"]) == 700
    assert graph.counts() == (4, 3 + 100, 600)
    graph.close()
