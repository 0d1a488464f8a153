"""Unit tests for `links.collect`: links collected from real Markdown conversions."""

from __future__ import annotations

import re
import textwrap
from typing import Any

import markdown
import pytest

from mkdocs_backlinks.config import BacklinksConfig
from mkdocs_backlinks.graph.linkgraph import Link, LinkRow
from mkdocs_backlinks.links.collect import TREEPROCESSOR_PRIORITY, LinkCollector, Rules
from mkdocs_backlinks.links.urls import SiteMap
from mkdocs_backlinks.settings import link_rules

PAGES = [
    ("index.md", ""),
    ("a.md", "a/"),
    ("dir/b.md", "dir/b/"),
    ("dir/index.md", "dir/"),
]
EXTENSIONS: list[Any] = ["toc", "attr_list", "tables", "admonition", "footnotes", "md_in_html"]


def make_collector(rules: Rules | None = None, site_url: str | None = None) -> LinkCollector:
    return LinkCollector(SiteMap(PAGES, site_url), rules or Rules())


def convert(
    collector: LinkCollector,
    text: str,
    src: str | None = "index.md",
    extension_configs: dict[str, Any] | None = None,
) -> tuple[list[Link], str]:
    """Convert `text` as page `src` the way MkDocs does (a fresh Markdown per page)."""
    md = markdown.Markdown(
        extensions=[*EXTENSIONS, collector.extension()],
        extension_configs=extension_configs or {},
    )
    collector.start_page(src)
    html = md.convert(textwrap.dedent(text))
    # The collector hands the graph plain rows; tests read them as `Link`s.
    return [Link._make(row) for row in finish(collector)], html


def finish(collector: LinkCollector) -> list[LinkRow]:
    """The rows of the page converted since `start_page`, resolved as the plugin does."""
    read = collector.finish_page()
    return collector.resolve(read)[0] if read is not None else []


def collect(text: str, src: str | None = "index.md", **rules: Any) -> list[Link]:
    links, _html = convert(make_collector(Rules(**rules) if rules else None), text, src)
    return links


def one(text: str, **rules: Any) -> Link:
    links = collect(text, **rules)
    assert len(links) == 1, links
    return links[0]


def hrefs(links: list[Link]) -> list[str]:
    return [link.href for link in links]


# --------------------------------------------------------------------------- kinds of links


def test_inline_link() -> None:
    link = one("Intro with [inline text](https://x.org/one?utm_source=a#f) link. Next.")
    assert link == Link(
        source="index.md",
        href="https://x.org/one?utm_source=a#f",
        target="https://x.org/one",
        anchor="",
        text="inline text",
        context="Intro with inline text link.",
        section="",
        rel=(),
        internal=False,
    )


def test_internal_link() -> None:
    link = one("Go to [page A](a.md#part) now.")
    assert link.internal is True
    assert link.target == "a.md"
    assert link.anchor == "part"
    assert link.href == "a.md#part"
    assert link.text == "page A"
    assert link.context == "Go to page A now."


def test_internal_link_from_sub_folder() -> None:
    links = collect(
        "See [A](../a.md) and [index](index.md) and [up](../) and [root](../../).", src="dir/b.md"
    )
    # dir/b.md is served at dir/b/: "../" is the URL dir/, "../../" the site's root
    assert [(lk.target, lk.internal) for lk in links] == [
        ("a.md", True),
        ("dir/index.md", True),
        ("dir/index.md", True),
        ("index.md", True),
    ]
    assert all(lk.source == "dir/b.md" for lk in links)


def test_reference_link() -> None:
    link = one(
        """
        A [ref link][r] here.

        [r]: https://ref.org/r "Title"
        """
    )
    assert (link.href, link.text, link.context) == (
        "https://ref.org/r",
        "ref link",
        "A ref link here.",
    )


def test_autolink() -> None:
    link = one("Auto <https://auto.org/p> here.")
    assert link.href == "https://auto.org/p"
    assert link.target == "https://auto.org/p"
    assert link.text == "https://auto.org/p"
    assert link.context == "Auto https://auto.org/p here."


def test_email_autolink_not_collected() -> None:
    assert collect("Mail <someone@example.com> or [me](mailto:me@example.com).") == []


def test_raw_inline_anchor_with_rel_and_class() -> None:
    link = one(
        'Raw <a href="https://raw.org/x" rel="noopener Author" class="k j">raw link</a> inline.'
    )
    assert link.href == "https://raw.org/x"
    assert link.text == "raw link"
    assert link.context == "Raw raw link inline."
    assert link.rel == ("author", "noopener")


def test_two_raw_inline_anchors_in_one_paragraph() -> None:
    links = collect(
        'One <a href="https://a.org/">first</a> here. Two <a href="https://b.org/">second</a>.'
    )
    assert [(lk.text, lk.context) for lk in links] == [
        ("first", "One first here."),
        ("second", "Two second."),
    ]


def test_raw_inline_anchor_with_markdown_inside() -> None:
    link = one('See <a href="https://x.org/">some *emphasised* words</a> here.')
    assert link.text == "some emphasised words"


def test_raw_inline_anchor_never_closed_runs_to_block_end() -> None:
    link = one('Unclosed <a href="https://unc.org/">never closed text. More words')
    assert link.text == "never closed text. More words"


def test_raw_block_html() -> None:
    link = one(
        """
        <div><p>Block html with <a href="https://block.org/z" rel="ugc">block link</a> inside.
        Another sentence.</p></div>
        """,
        ignore_rel=frozenset(),
    )
    assert link.href == "https://block.org/z"
    assert link.text == "block link"
    assert link.context == "Block html with block link inside."
    assert link.rel == ("ugc",)


def test_raw_block_html_heading_sets_section_for_what_follows() -> None:
    links = collect(
        """
        # Title

        <div>
        <h2 id="raw-section">Raw heading</h2>
        <p>Para with <a href="https://r.org/">r</a>. End.</p>
        <p>Second <a href="a.md#x">to a</a> here.</p>
        </div>

        After [z](https://z.org/).
        """
    )
    assert [(lk.text, lk.section, lk.context) for lk in links] == [
        ("r", "raw-section", "Para with r."),
        ("to a", "raw-section", "Second to a here."),
        ("z", "raw-section", "After z."),
    ]
    assert links[1].target == "a.md"
    assert links[1].anchor == "x"


def test_raw_block_html_code_and_pre_skipped() -> None:
    links = collect(
        """
        <div>
        <pre><a href="https://pre.org/">in pre</a></pre>
        <p><code><a href="https://code.org/">in code</a></code> and
        <a href="https://real.org/">real</a>.</p>
        </div>
        """
    )
    assert hrefs(links) == ["https://real.org/"]


def test_raw_inline_code_skipped() -> None:
    # Inside raw block HTML, <code> hides links (previous test); inside a Markdown
    # paragraph, the same raw HTML must not be collected either.
    links = collect(
        'Example <code><a href="https://code.org/">in code</a></code> and [real](https://real.org/).'
    )
    assert hrefs(links) == ["https://real.org/"]


def test_md_in_html() -> None:
    links = collect(
        """
        <div markdown>
        ## Inner heading

        Para [q](https://q.org/) inside. More.

        <p>raw p <a href="https://rp.org/">rp</a> here</p>
        </div>
        """
    )
    assert [(lk.href, lk.text, lk.context, lk.section) for lk in links] == [
        ("https://q.org/", "q", "Para q inside.", "inner-heading"),
        ("https://rp.org/", "rp", "raw p rp here", "inner-heading"),
    ]


def test_md_in_html_span() -> None:
    link = one('<div markdown="1">Inside div with [md link](a.md) ok.</div>')
    assert link.target == "a.md"
    assert link.context == "Inside div with md link ok."


def test_link_in_table_cell() -> None:
    link = one(
        """
        | Name | Where |
        |------|-------|
        | cell [t](https://table.org/) text. More. | other cell |
        """
    )
    assert link.context == "cell t text."


def test_link_in_admonition() -> None:
    link = one(
        """
        !!! note "A title"
            Admonition text [adm](https://adm.org/). Second sentence.
        """
    )
    assert link.context == "Admonition text adm."


def test_link_in_blockquote() -> None:
    link = one("> Quoted [q](https://q.org/) words. Other.\n> More.")
    assert link.context == "Quoted q words."


def test_links_in_nested_lists() -> None:
    links = collect(
        """
        - outer [o](https://o.org/) text. Other.
            - inner [i](https://i.org/) text.
        - second item [s](https://s.org/)
        """
    )
    assert [(lk.text, lk.context) for lk in links] == [
        ("o", "outer o text."),
        ("i", "inner i text."),
        ("s", "second item s"),
    ]


def test_link_in_loose_list_paragraph() -> None:
    link = one("- first\n\n- Para in item [p](https://p.org/). Other.\n")
    assert link.context == "Para in item p."


def test_link_in_footnote() -> None:
    links = collect(
        """
        Text with a note.[^n]

        [^n]: Footnote with [fn](https://fn.org/) link. And more words here.
        """
    )
    # the footnote reference (#fn:n) and back-reference (#fnref:n) are not collected
    assert [(lk.href, lk.context) for lk in links] == [
        ("https://fn.org/", "Footnote with fn link.")
    ]


def test_link_in_last_sentence_of_footnote() -> None:
    # The footnotes extension appends its back-reference placeholders to the last paragraph.
    links = collect(
        """
        Text.[^n]

        [^n]:
            Para one [p1](https://p1.org/).

            Para two [p2](https://p2.org/) end.
        """
    )
    assert [(lk.text, lk.context) for lk in links] == [
        ("p1", "Para one p1."),
        ("p2", "Para two p2 end."),
    ]
    for link in links:
        assert "\x02" not in link.context
        assert "\x03" not in link.context


def test_link_with_formatting_inside() -> None:
    links = collect("[**bold** and `code` link](https://b.org/) then *[em](https://em.org/)*.")
    assert [lk.text for lk in links] == ["bold and code link", "em"]
    assert links[0].context == "bold and code link then em."


def test_image_link_text_excludes_alt() -> None:
    link = one("[![alt text](logo.png) Logo](https://img.org/)")
    assert link.text == "Logo"


def test_links_in_document_order_across_blocks() -> None:
    links = collect(
        """
        [1](https://1.org/)

        - [2](https://2.org/)

        > [3](https://3.org/)

        <div><p><a href="https://4.org/">4</a></p></div>

        [5](https://5.org/)
        """
    )
    assert [lk.text for lk in links] == ["1", "2", "3", "4", "5"]


# --------------------------------------------------------------------------- not collected


def test_code_span_and_fenced_code_not_collected() -> None:
    links = collect(
        """
        Inline `[code](https://code.org/)` and `<a href="https://c.org/">x</a>` here.

        ```
        [fenced](https://fenced.org/)
        <a href="https://fenced2.org/">y</a>
        ```

            [indented](https://indented.org/)
        """
    )
    assert links == []


def test_code_span_text_stays_in_context() -> None:
    link = one("Use `pip install` as [docs](https://docs.org/) say.")
    assert link.context == "Use pip install as docs say."


def test_toc_permalinks_not_collected() -> None:
    collector = make_collector()
    links, html = convert(
        collector,
        "# Title\n\n## Part\n\nSee [a](a.md).\n",
        extension_configs={"toc": {"permalink": True}},
    )
    assert 'class="headerlink"' in html
    assert [(lk.target, lk.section) for lk in links] == [("a.md", "part")]


@pytest.mark.parametrize(
    "text",
    [
        "[top](#top)",
        "[self](index.md)",
        "[self](index.md#part)",
        "[self](./)",
        "[self](/)",
        "[mail](mailto:a@b.c)",
        "[tel](tel:123)",
        '<a href="javascript:void(0)">js</a>',
        "[image](img/logo.png)",
        "[missing](missing.md)",
        "<a name='anchor-only'>no href</a>",
        "[empty]()",
    ],
)
def test_not_collected(text: str) -> None:
    assert collect(f"Para {text} here.") == []


def test_start_page_none_collects_nothing() -> None:
    collector = make_collector()
    links, _ = convert(collector, "See [a](a.md) and [x](https://x.org/).", src=None)
    assert links == []
    # and the next page is collected again
    links, _ = convert(collector, "See [a](../a.md).", src="dir/b.md")
    assert [(lk.source, lk.target) for lk in links] == [("dir/b.md", "a.md")]


@pytest.mark.parametrize(
    "text",
    [
        # one link a block, and several (the block's sentences indexed once)
        "Read [the guide](a.md) first. Then [a paper](https://x.org/p) says more.",
        "Read [the guide](a.md) first.\n\nThen [a paper](https://x.org/p) says more.",
        "Only [a paper](https://x.org/p) and [another](https://y.org/q) here. No more.",
    ],
)
def test_outside_sentences_are_cut_only_when_something_shows_them(text: str) -> None:
    shown = collect(text)
    unshown = collect(text, outside_snippets=False)
    # Every link is still found, with its text; only outside links lose their sentence.
    assert [lk._replace(context="") for lk in shown] == [lk._replace(context="") for lk in unshown]
    assert all(lk.context for lk in shown)
    assert [lk.context for lk in unshown if lk.internal] == [
        lk.context for lk in shown if lk.internal
    ]
    assert [lk.context for lk in unshown if not lk.internal] == [
        "" for lk in shown if not lk.internal
    ]


def test_finish_page_resets() -> None:
    collector = make_collector()
    convert(collector, "[x](https://x.org/)")
    assert collector.finish_page() is None


def test_a_long_page_keeps_document_order_across_its_chunks() -> None:
    """A page with more blocks than one chunk is resolved a chunk at a time while it is read,
    the rest when it is finished; further conversions of the same page (mkdocstrings converts
    each docstring on its own), short or long, add their links after. Every row comes once,
    in order."""
    collector = make_collector()
    md = markdown.Markdown(extensions=[*EXTENSIONS, collector.extension()])
    collector.start_page("index.md")
    md.convert("\n\n".join(f"See [item {n}](https://x.org/{n})." for n in range(600)))
    assert len(collector._links) == 512  # two chunks resolved as the page was read
    md = markdown.Markdown(extensions=[*EXTENSIONS, collector.extension()])
    md.convert("And [the last](https://x.org/last).")
    # A second long conversion: its first chunk comes after the blocks set aside before it.
    md = markdown.Markdown(extensions=[*EXTENSIONS, collector.extension()])
    md.convert("\n\n".join(f"Then [more {n}](https://x.org/more/{n})." for n in range(300)))
    links = [Link._make(row) for row in finish(collector)]
    assert [link.text for link in links] == (
        [f"item {n}" for n in range(600)] + ["the last"] + [f"more {n}" for n in range(300)]
    )
    assert links[0].context == "See item 0."


def test_each_page_starts_without_a_section() -> None:
    collector = make_collector()
    first, _ = convert(collector, "# Title\n\n[x](https://x.org/)")
    second, _ = convert(collector, "[y](https://y.org/)\n\n# Later", src="a.md")
    assert first[0].section == "title"
    assert second[0].section == ""


def test_treeprocessor_registered_at_documented_priority() -> None:
    collector = make_collector()
    md = markdown.Markdown(extensions=[*EXTENSIONS, collector.extension()])
    assert "mkdocs_backlinks" in md.treeprocessors
    index = md.treeprocessors.get_index_for_name("mkdocs_backlinks")
    assert md.treeprocessors._priority[index].priority == TREEPROCESSOR_PRIORITY


# --------------------------------------------------------------------------- sections


def test_heading_ids_as_section() -> None:
    links = collect(
        """
        Before [b](https://b.org/) any heading.

        # Page title

        [t](https://t.org/)

        ## Second part

        [s](https://s.org/)

        ### Custom {#my-id}

        [c](https://c.org/)

        ## Heading with [link](https://h.org/)
        """
    )
    assert [(lk.text, lk.section) for lk in links] == [
        ("b", ""),
        ("t", "page-title"),
        ("s", "second-part"),
        ("c", "my-id"),
        ("link", "heading-with-link"),
    ]
    assert links[-1].context == "Heading with link"


def test_attr_list_id_on_setext_heading() -> None:
    link = one("Title {#custom-id}\n=====\n\n[x](https://x.org/)")
    assert link.section == "custom-id"


# --------------------------------------------------------------------------- escapes


def test_backslash_escapes_in_text_and_href() -> None:
    links = collect(r"Escaped [a\_b](https://x.org/a\_b) and [x\*y](dir/b.md) and [\[1\]](a.md).")
    assert [(lk.text, lk.href, lk.target) for lk in links] == [
        ("a_b", "https://x.org/a_b", "https://x.org/a_b"),
        ("x*y", "dir/b.md", "dir/b.md"),
        ("[1]", "a.md", "a.md"),
    ]
    assert links[0].context == "Escaped a_b and x*y and [1]."


def test_backslash_escape_in_raw_inline_anchor_text() -> None:
    link = one(r'Raw <a href="https://x.org/">a\_b</a> here.')
    assert link.text == "a_b"
    assert link.context == "Raw a_b here."


def test_html_entities_in_anchor_text_and_context() -> None:
    link = one("See [caf&eacute; &amp; co&#46;](https://x.org/) here. Next.")
    assert link.text == "café & co."
    assert link.context == "See café & co. here."


def test_html_entity_in_context_outside_link() -> None:
    link = one("AT&amp;T and &copy; say [t](https://t.org/).")
    assert link.context == "AT&T and © say t."


def test_entity_in_markdown_href_is_decoded() -> None:
    # Both links give the same HTML (href="https://x.org/?a=1&amp;b=2"), so they point at the
    # same work; the written `&amp;` is an HTML entity, not part of the URL.
    links = collect("[x](https://x.org/?a=1&amp;b=2) and [y](https://x.org/?a=1&b=2)")
    assert [lk.target for lk in links] == ["https://x.org/?a=1&b=2", "https://x.org/?a=1&b=2"]
    assert links[0].href == "https://x.org/?a=1&b=2"


def test_entity_in_raw_href_is_decoded() -> None:
    link = one('<a href="https://y.org/?a=1&amp;b=2">y</a>')
    assert link.target == "https://y.org/?a=1&b=2"


def test_href_white_space_trimmed() -> None:
    link = one("[spaced](  https://sp.org/  )")
    assert link.href == "https://sp.org/"


def test_angle_bracket_href_with_space() -> None:
    link = one("[x](<a.md>)")
    assert link.target == "a.md"


# --------------------------------------------------------------------------- rules


def test_opt_out_class() -> None:
    links = collect(
        """
        [opt](https://opt.org/){.no-backlinks .other} and [cls](https://cls.org/){.other}
        and <a class="x no-backlinks" href="https://raw.org/">raw</a>
        and [partial](https://partial.org/){.no-backlinks-not}
        """,
        opt_out_class="no-backlinks",
    )
    assert hrefs(links) == ["https://cls.org/", "https://partial.org/"]


def test_opt_out_class_empty_skips_nothing() -> None:
    links = collect("[a](https://a.org/){.no-backlinks}", opt_out_class="")
    assert hrefs(links) == ["https://a.org/"]


def test_ignore_rel() -> None:
    links = collect(
        """
        [nf](https://nf.org/){rel="nofollow noopener"}
        [sp](https://sp.org/){rel="SPONSORED"}
        <a href="https://u.org/" rel="ugc">ugc</a>
        [ok](https://ok.org/){rel="noopener"}
        [plain](https://plain.org/)
        """,
        ignore_rel=frozenset({"nofollow", "sponsored", "ugc"}),
    )
    assert [(lk.href, lk.rel) for lk in links] == [
        ("https://ok.org/", ("noopener",)),
        ("https://plain.org/", ()),
    ]


def test_ignore_rel_empty_keeps_all_with_sorted_rel() -> None:
    link = one('[nf](https://nf.org/){rel="nofollow Noopener nofollow"}')
    assert link.rel == ("nofollow", "noopener")


def test_exclude_domains() -> None:
    links = collect(
        """
        [a](https://sub.excluded.com/x) [b](https://excluded.com/)
        [c](https://WWW.Excluded.com/) [d](https://notexcluded.com/)
        [e](https://only-subs.org/) [f](https://a.only-subs.org/)
        [g](a.md)
        """,
        exclude_domains=("excluded.com", "*.only-subs.org"),
    )
    assert hrefs(links) == ["https://notexcluded.com/", "https://only-subs.org/", "a.md"]


def test_exclude_urls_searched_in_normalised_url() -> None:
    links = collect(
        """
        [a](HTTPS://X.ORG/private/1) [b](https://x.org/public?utm_source=private)
        [c](https://y.org/Private/) [d](https://x.org/private#frag)
        """,
        exclude_urls=(re.compile(r"^https://x\.org/private"), re.compile("utm_")),
    )
    assert hrefs(links) == ["https://x.org/public?utm_source=private", "https://y.org/Private/"]


def test_exclude_urls_do_not_apply_to_internal_links() -> None:
    links = collect("[a](a.md) [b](dir/b.md)", exclude_urls=(re.compile("."),))
    assert [lk.target for lk in links] == ["a.md", "dir/b.md"]


def test_excluded_target_callable() -> None:
    seen: list[str] = []

    def excluded(src: str) -> bool:
        seen.append(src)
        return src.startswith("dir/")

    links = collect(
        "[a](a.md) [b](dir/b.md) [i](dir/) [x](https://x.org/)", excluded_target=excluded
    )
    assert [lk.target for lk in links] == ["a.md", "https://x.org/"]
    # asked once per page of the site, up front, not once per link
    assert sorted(seen) == sorted(src for src, _url in PAGES)


def test_snippet_length_rule() -> None:
    words = " ".join(f"word{i}" for i in range(60))
    link = one(f"{words} [LINK](https://x.org/) {words}.", snippet_length=40)
    assert len(link.context) <= 40
    assert "LINK" in link.context


def test_absolute_url_into_site_is_internal() -> None:
    collector = make_collector(site_url="https://example.com/docs/")
    links, _ = convert(
        collector,
        "[a](https://example.com/docs/a/#x) [b](/docs/dir/b/) [c](https://example.com/other/)",
    )
    assert [(lk.target, lk.anchor, lk.internal) for lk in links] == [
        ("a.md", "x", True),
        ("dir/b.md", "", True),
    ]


def test_same_context_string_object_shared() -> None:
    links = collect("Two [a](https://a.org/) and [b](https://b.org/) here.")
    assert links[0].context == links[1].context == "Two a and b here."
    assert links[0].context is links[1].context


def test_snippet_of_a_link_whose_text_starts_with_space_ignores_other_links() -> None:
    """A block with several links is cut by `Sentences`, one with a single link by
    `sentence_around`: the same link in the same sentence must get the same snippet, even
    when its text starts inside the white space after the previous sentence."""
    alone = collect("One end.  [ spaced](https://a.example/) starts here.")
    with_other = collect(
        "One end.  [ spaced](https://a.example/) starts here [b](https://b.example/)."
    )
    assert alone[0].context == "spaced starts here."
    assert [link.context for link in with_other] == ["spaced starts here b."] * 2


def test_autoref_elements_are_pending_refs_with_text_context_and_section() -> None:
    from mkdocs_autorefs import AutorefsExtension

    collector = make_collector()
    md = markdown.Markdown(extensions=["toc", AutorefsExtension(), collector.extension()])
    collector.start_page("index.md")
    md.convert("## Intro\n\nSee [the *Foo* class][pkg.Foo] and [`pkg.Bar`][] here.\n")
    read = collector.finish_page()
    assert read is not None
    rows, refs = collector.resolve(read)
    assert rows == []
    assert [(r.identifier, r.text, r.context, r.section) for r in refs] == [
        ("pkg.Foo", "the Foo class", "See the Foo class and pkg.Bar here.", "intro"),
        ("pkg.Bar", "pkg.Bar", "See the Foo class and pkg.Bar here.", "intro"),
    ]
    assert collector.finish_page() is None


def test_resolve_refs_gives_internal_rows_and_skips_the_rest() -> None:
    from mkdocs_backlinks.links.autorefs import PendingRef, resolve_refs

    def ref(identifier: str, slug: str = "", optional: bool = False) -> PendingRef:
        return PendingRef("index.md", identifier, slug, optional, "T", "C.", "intro")

    urls = {"pkg.Foo": "a/#pkg.Foo", "guide": "dir/b/", "the-slug": "dir/#sec",
            "os.path": "https://docs.python.org/3/library/os.path.html#os.path",
            "self": "#top"}  # fmt: skip
    refs = [ref("pkg.Foo"), ref("unknown", slug="the-slug"), ref("guide", optional=True),
            ref("os.path"), ref("missing"), ref("self"), ref("guide")]  # fmt: skip

    def lookup(identifier: str, source: str) -> str:
        assert source == "index.md"
        return urls[identifier]

    rows = [row for _, row in resolve_refs(refs, lookup, SiteMap(PAGES, None))]
    assert [Link._make(row)[:5] for row in rows] == [
        ("index.md", "a/#pkg.Foo", "a.md", "pkg.Foo", "T"),
        ("index.md", "dir/#sec", "dir/index.md", "sec", "T"),
        ("index.md", "dir/b/", "dir/b.md", "", "T"),
    ]
    assert all(row[8] for row in rows)
    assert resolve_refs(refs, lookup, SiteMap(PAGES, None), {"a.md"})[0][1][2] != "a.md"


def test_resolved_refs_go_back_where_they_were_written() -> None:
    """`[Foo][pkg.Foo]` between two plain links stays between them in the page's rows."""
    from mkdocs_autorefs import AutorefsExtension

    from mkdocs_backlinks.links.autorefs import place_refs, resolve_refs

    collector = make_collector()
    md = markdown.Markdown(extensions=[AutorefsExtension(), collector.extension()])
    collector.start_page("index.md")
    md.convert("First [a](a.md), then [Foo][pkg.Foo].\n\nLast [b](dir/b.md) and [Bar][pkg.Bar].\n")
    read = collector.finish_page()
    assert read is not None
    links, refs = collector.resolve(read)
    assert [ref.position for ref in refs] == [1, 2]
    urls = {"pkg.Foo": "dir/#Foo", "pkg.Bar": "a/#Bar"}
    placed = resolve_refs(refs, lambda i, _src: urls[i], SiteMap(PAGES, None))
    rows = place_refs(links, placed)
    assert [(row[2], row[4]) for row in rows] == [
        ("a.md", "a"), ("dir/index.md", "Foo"), ("dir/b.md", "b"), ("a.md", "Bar"),
    ]  # fmt: skip
    assert place_refs(links, []) == links


def test_docstring_links_take_the_section_of_their_object() -> None:
    """mkdocstrings converts each docstring with its own Markdown, whose `mkdocstrings_ids`
    tree processor prefixes ids with the object's heading id."""

    class IdPrefix(markdown.treeprocessors.Treeprocessor):
        id_prefix = "pkg.Foo.run--"

        def run(self, root: Any) -> None:
            return None

    collector = make_collector()
    md = markdown.Markdown(extensions=[collector.extension()])
    md.treeprocessors.register(IdPrefix(md), "mkdocstrings_ids", 4)
    collector.start_page("index.md")
    md.convert("Uses [a](a.md).\n")
    assert [Link._make(row).section for row in finish(collector)] == ["pkg.Foo.run"]


def test_a_page_of_many_blocks_keeps_every_link_in_order_with_its_section() -> None:
    """Blocks are turned into rows a few hundred at a time while the tree is read: across
    those batches, links stay in document order, each with its own sentence and section."""
    parts = []
    for section in range(3):
        parts.append(f"## Part {section}\n")
        parts += [
            f"- Item {section}.{n} cites [w{n}](https://w.example/{section}/{n})."
            for n in range(300)
        ]
        parts.append("")
    links = collect("\n".join(parts))
    assert len(links) == 900
    assert [link.target for link in links] == [
        f"https://w.example/{s}/{n}" for s in range(3) for n in range(300)
    ]
    assert {link.section for link in links[:300]} == {"part-0"}
    assert {link.section for link in links[600:]} == {"part-2"}
    assert links[457].context == "Item 1.157 cites w157."


def test_autorefs_lookup_makes_autorefs_urls_site_relative() -> None:
    """autorefs answers relative to the citing page (`from_url`); the graph wants the URL from
    the site's root. An autorefs without `get_item_url` gives no lookup at all."""
    from mkdocs_backlinks.links.autorefs import autorefs_lookup

    class Answers:
        def __init__(self) -> None:
            self.asked: list[tuple[str, str | None]] = []

        def get_item_url(self, identifier: str, from_url: str | None = None) -> tuple[str, None]:
            self.asked.append((identifier, from_url))
            urls = {"pkg.Foo": "../../a/#pkg.Foo", "os": "https://docs.python.org/3/#os"}
            return urls[identifier], None

    answers = Answers()
    lookup = autorefs_lookup(answers, SiteMap(PAGES, None))
    assert lookup is not None
    assert lookup("pkg.Foo", "dir/b.md") == "a/#pkg.Foo"
    assert lookup("os", "dir/b.md") == "https://docs.python.org/3/#os"
    assert answers.asked == [("pkg.Foo", "dir/b/"), ("os", "dir/b/")]
    with pytest.raises(KeyError):
        lookup("unknown", "index.md")
    assert autorefs_lookup(object(), SiteMap(PAGES, None)) is None
    assert autorefs_lookup(None, SiteMap(PAGES, None)) is None


@pytest.mark.parametrize(
    ("options", "cut"),
    [
        ({}, True),
        ({"export": False}, True),  # the outreach ledger still shows them
        ({"outreach": {"enabled": False}}, True),  # the export still has them
        ({"export": False, "outreach": {"enabled": False}}, False),
    ],
)
def test_outside_sentences_cut_for_the_export_or_the_ledger(
    options: dict[str, Any], cut: bool
) -> None:
    config = BacklinksConfig()
    config.load_dict(options)
    failed, _warnings = config.validate()
    assert not failed
    assert link_rules(config).outside_snippets is cut


@pytest.mark.parametrize(
    ("options", "kept"),
    [
        ({}, True),
        ({"credits": False, "export": False, "outreach": {"enabled": False}}, True),  # metadata
        ({"export": False, "metadata": {"enabled": False}, "outreach": {"enabled": False}}, True),
        (
            {
                "credits": False,
                "export": False,
                "metadata": {"enabled": False},
                "outreach": {"enabled": False},
            },
            False,
        ),
    ],
)
def test_outside_links_kept_while_something_reads_them(options: dict[str, Any], kept: bool) -> None:
    config = BacklinksConfig()
    config.load_dict(options)
    failed, _warnings = config.validate()
    assert not failed
    assert link_rules(config).outside_links is kept


def test_without_outside_links_the_internal_ones_are_unchanged() -> None:
    text = (
        "See [the guide](a.md) and [a paper](https://x.org/p). Then [more](https://y.org/) "
        "and [b](dir/b.md#part) here.\n\n- [only outside](https://z.org/)\n- [home](index.md)"
    )
    every = collect(text, src="dir/b.md")
    internal = collect(text, src="dir/b.md", outside_links=False)
    assert len([lk for lk in every if not lk.internal]) == 3
    assert internal and internal == [lk for lk in every if lk.internal]


def test_what_a_page_holds_until_resolved_is_nothing_the_garbage_collector_scans() -> None:
    """A batch holds pages' blocks while later pages convert; tracked objects held that long
    would count toward the next collection of the whole heap."""
    import gc

    collector = make_collector()
    md = markdown.Markdown(extensions=[*EXTENSIONS, collector.extension()])
    collector.start_page("index.md")
    md.convert(
        "See [a](a.md) and [b](https://b.example/x){: .note rel=nofollow }.\n\n"
        '<p>Raw <a href="dir/b.md">b</a>.</p>\n\n- item [c](dir/index.md#top)\n'
    )
    read = collector.finish_page()
    assert read is not None and len(read.blocks) == 3
    gc.collect()
    assert not [block for block in read.blocks if gc.is_tracked(block)]
    rows, _refs = collector.resolve(read)
    assert [row[2] for row in rows] == ["a.md", "https://b.example/x", "dir/b.md", "dir/index.md"]
