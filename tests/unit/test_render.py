"""Unit tests for `mkdocs_backlinks.sections.render`: placing sections, relative URLs, templates."""

from __future__ import annotations

import random
from typing import Any
from urllib.parse import urljoin

import pytest
from markdown.extensions.toc import nest_toc_tokens
from markupsafe import Markup
from mkdocs.structure.toc import AnchorLink, TableOfContents, get_toc

from mkdocs_backlinks.config import BacklinksConfig
from mkdocs_backlinks.graph.linkgraph import BacklinkEntry, CreditEntry, CreditGroup
from mkdocs_backlinks.links.urls import relative_url
from mkdocs_backlinks.sections.headings import (
    DEFAULT_IDS,
    NO_PERMALINKS,
    section_ids,
    toc_settings,
)
from mkdocs_backlinks.sections.locales import strings_for
from mkdocs_backlinks.sections.render import (
    END_MARKER,
    PageSections,
    SectionRenderer,
    fill,
    place,
    placements,
)
from mkdocs_backlinks.sections.toc import _nest, add_headings, section_headings

C = "<section>credits</section>"
B = "<section>backlinks</section>"


# --------------------------------------------------------------------------- place


def test_place_no_placeholder_auto_append() -> None:
    assert place("<p>x</p>", C, B, auto_append=True) == "<p>x</p>" + C + B


def test_place_no_placeholder_no_auto_append() -> None:
    assert place("<p>x</p>", C, B, auto_append=False) == "<p>x</p>"


@pytest.mark.parametrize("auto_append", [True, False])
def test_place_both_sections_placeholder(auto_append: bool) -> None:
    content = "<p>x</p>\n<!-- backlinks -->\n<p>y</p>"
    assert place(content, C, B, auto_append) == f"<p>x</p>\n{C}{B}\n<p>y</p>"


@pytest.mark.parametrize("auto_append", [True, False])
def test_place_separate_placeholders(auto_append: bool) -> None:
    content = "<!-- backlinks:backlinks --><p>x</p><!-- backlinks:credits -->"
    assert place(content, C, B, auto_append) == f"{B}<p>x</p>{C}"


def test_place_one_section_placeholder_other_appended() -> None:
    content = "<!-- backlinks:credits --><p>x</p>"
    assert place(content, C, B, auto_append=True) == f"{C}<p>x</p>{B}"
    assert place(content, C, B, auto_append=False) == f"{C}<p>x</p>"
    content = "<p>x</p><!-- backlinks:backlinks --><p>y</p>"
    assert place(content, C, B, auto_append=True) == f"<p>x</p>{B}<p>y</p>{C}"
    assert place(content, C, B, auto_append=False) == f"<p>x</p>{B}<p>y</p>"


@pytest.mark.parametrize(
    "placeholder",
    [
        "<!--backlinks-->",
        "<!--   backlinks   -->",
        "<!--\nbacklinks\n-->",
        "<!-- \t backlinks \n -->",
    ],
)
def test_place_white_space_inside_comment(placeholder: str) -> None:
    assert place(f"a{placeholder}b", C, B, auto_append=False) == f"a{C}{B}b"


@pytest.mark.parametrize(
    ("placeholder", "expected"),
    [
        ("<!--backlinks:credits-->", C),
        ("<!--  backlinks:   credits  -->", C),
        ("<!--\nbacklinks:\nbacklinks\n-->", B),
    ],
)
def test_place_white_space_inside_named_comment(placeholder: str, expected: str) -> None:
    assert place(f"a{placeholder}b", C, B, auto_append=False) == f"a{expected}b"


def test_place_repeated_placeholders_only_first_gets_content() -> None:
    content = "1<!-- backlinks -->2<!-- backlinks -->3<!-- backlinks:credits -->4"
    assert place(content, C, B, auto_append=True) == f"1{C}{B}234"


def test_place_repeated_named_placeholders() -> None:
    content = "1<!-- backlinks:credits -->2<!-- backlinks:credits -->3<!-- backlinks -->4"
    # credits go to the first credits placeholder; the general one still takes the backlinks
    assert place(content, C, B, auto_append=True) == f"1{C}23{B}4"


def test_place_escaped_placeholder_untouched() -> None:
    content = "<pre><code>&lt;!-- backlinks --&gt;\n&lt;!-- backlinks:credits --&gt;</code></pre>"
    assert place(content, C, B, auto_append=False) == content
    assert place(content, C, B, auto_append=True) == content + C + B


@pytest.mark.parametrize(
    "other", ["<!-- backlinks:other -->", "<!-- not backlinks -->", "<!-- backlinksx -->"]
)
def test_place_other_comments_untouched(other: str) -> None:
    assert place(f"a{other}b", C, B, auto_append=False) == f"a{other}b"


def test_place_empty_sections_remove_placeholders() -> None:
    assert place("a<!-- backlinks -->b", "", "", auto_append=True) == "ab"


def test_place_accepts_markup() -> None:
    result = place("<p>x</p>", Markup("<b>c</b>"), Markup(""), auto_append=True)
    assert result == "<p>x</p><b>c</b>"


# --------------------------------------------------------------------------- relative_url


@pytest.mark.parametrize(
    ("url", "from_page", "expected"),
    [
        ("a/", "dir/b/", "../../a/"),
        ("a/#sec", "dir/b/", "../../a/#sec"),
        ("dir/b/#x", "dir/b/", "./#x"),
        ("dir/", "a/", "../dir/"),
        ("a/", "", "a/"),
        ("a/#s", "", "a/#s"),
        ("dir/b/", "dir/", "b/"),
        # .html layout
        ("a.html", "dir/b.html", "../a.html"),
        ("a.html#s", "dir/b.html", "../a.html#s"),
        ("index.html#x", "dir/b.html", "../index.html#x"),
        ("dir/index.html", "index.html", "dir/index.html"),
    ],
)
def test_relative_url(url: str, from_page: str, expected: str) -> None:
    assert relative_url(url, from_page) == expected


@pytest.mark.parametrize(
    ("url", "from_page", "absolute"),
    [
        # links to the root page, whose URL is ''
        ("", "a/", "https://h.org/site/"),
        ("", "dir/b/", "https://h.org/site/"),
        ("", "dir/", "https://h.org/site/"),
        ("#top", "a/", "https://h.org/site/#top"),
        ("#top", "", "https://h.org/site/#top"),
        ("", "", "https://h.org/site/"),
        # from the root page
        ("a/", "", "https://h.org/site/a/"),
        ("dir/b/#s", "", "https://h.org/site/dir/b/#s"),
        ("a/#s", "dir/b/", "https://h.org/site/a/#s"),
    ],
)
def test_relative_url_resolves_back_in_browser(url: str, from_page: str, absolute: str) -> None:
    base = "https://h.org/site/"
    rel = relative_url(url, from_page)
    assert urljoin(base + from_page, rel) == absolute


# --------------------------------------------------------------------------- SectionRenderer


def strings() -> dict[str, Any]:
    cfg = BacklinksConfig()
    cfg.load_dict({})
    failed, _ = cfg.validate()
    assert not failed
    return strings_for("en")  # what a site in English shows


def test_render_nothing_for_empty_lists() -> None:
    sections = SectionRenderer(None, strings()).render([], [])
    assert sections == PageSections((), (), Markup(""), Markup(""))
    assert sections.html == ""
    assert isinstance(sections.html, Markup)


def test_render_credits() -> None:
    groups = [
        CreditGroup(
            "x.org",
            (
                CreditEntry("https://x.org/a", "https://x.org/a#f", "Work A", 3),
                CreditEntry("https://x.org/b", "https://x.org/b", "Work B", 1),
            ),
        )
    ]
    sections = SectionRenderer(None, strings()).render(groups, [])
    html = str(sections.credits_html)
    assert sections.backlinks_html == ""
    assert sections.credits == tuple(groups)
    assert "Works cited" in html
    assert "x.org" in html
    assert '<a href="https://x.org/a#f">Work A</a>' in html
    assert "cited 3 times" in html
    assert html.count("backlinks-count") == 1  # Work B is cited once: no count
    assert sections.html == sections.credits_html


def test_render_backlinks_relative_urls_and_section_title() -> None:
    # URLs arrive relative to the page (LinkGraph.backlink_entries does that) and are kept.
    entries = [
        BacklinkEntry(
            "dir/b.md",
            relative_url("dir/b/#part", "a/"),
            "Page B",
            "Part one",
            "text",
            "Some context.",
        ),
        BacklinkEntry("index.md", relative_url("", "a/"), "Home", "", "home", ""),
    ]
    sections = SectionRenderer(None, strings()).render([], entries)
    html = str(sections.backlinks_html)
    assert sections.credits_html == ""
    assert "Pages that link here" in html
    assert '<a href="../dir/b/#part">Page B \u203a Part one</a>' in html
    assert '<p class="backlinks-snippet">Some context.</p>' in html
    assert html.count("backlinks-snippet") == 1  # no empty snippet for an empty context
    # the entries handed back carry the URLs relative to the page
    assert [e.url for e in sections.backlinks] == ["../dir/b/#part", relative_url("", "a/")]
    assert urljoin("https://h.org/a/", sections.backlinks[1].url) == "https://h.org/"


def test_render_escapes_text_context_and_href() -> None:
    groups = [
        CreditGroup(
            "<b>site</b>",
            (
                CreditEntry(
                    "https://x.org/a",
                    'https://x.org/a?q="><script>alert(1)</script>',
                    "<script>alert(2)</script>",
                    2,
                ),
            ),
        )
    ]
    entries = [
        BacklinkEntry(
            "b.md",
            'b/"onmouseover="alert(3)',
            "<script>alert(4)</script>",
            "<i>section</i>",
            "<b>x</b>",
            'context <script>alert(5)</script> "quoted"',
        )
    ]
    sections = SectionRenderer(None, strings()).render(groups, entries)
    html = str(sections.html)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html
    assert "&lt;script&gt;alert(4)&lt;/script&gt;" in html
    assert "&lt;script&gt;alert(5)&lt;/script&gt;" in html
    assert "&lt;i&gt;section&lt;/i&gt;" in html
    assert "&lt;b&gt;site&lt;/b&gt;" in html
    # a quote in an href cannot close the attribute
    assert 'href="https://x.org/a?q="' not in html
    assert '"onmouseover=' not in html
    assert "&#34;quoted&#34;" in html or "&quot;quoted&quot;" in html


def test_render_uses_strings() -> None:
    custom = {
        **strings(),
        "credits_title": "Sources <&>",
        "backlinks_title": "Cité par",
        "section_separator": " / ",
        "cited_times": "{count}\u00d7",
    }
    groups = [CreditGroup("x.org", (CreditEntry("https://x.org/", "https://x.org/", "X", 4),))]
    entries = [BacklinkEntry("b.md", "b/#s", "B", "Sec", "t", "c")]
    html = str(SectionRenderer(None, custom).render(groups, entries).html)
    assert "Sources &lt;&amp;&gt;" in html
    assert "Cité par" in html
    assert "B / Sec" in html
    assert "4\u00d7" in html


def test_render_html_credits_first() -> None:
    groups = [CreditGroup("x.org", (CreditEntry("https://x.org/", "https://x.org/", "X", 1),))]
    entries = [BacklinkEntry("b.md", "b/", "B", "", "t", "c")]
    sections = SectionRenderer(None, strings()).render(groups, entries)
    html = str(sections.html)
    assert html.index("backlinks-credits") < html.index("backlinks-incoming")
    assert html == str(sections.credits_html) + str(sections.backlinks_html)


# --------------------------------------------------------------------------- headings


def test_toc_settings_read_as_the_extension_reads_them() -> None:
    assert toc_settings({}) == NO_PERMALINKS  # MkDocs' bare `toc`: no permalink
    assert toc_settings({"toc": {"permalink": True}}).permalink == "&para;"
    assert toc_settings({"toc": {"permalink": "yes"}}).permalink == "&para;"
    assert toc_settings({"toc": {"permalink": "off"}}).permalink is None
    assert toc_settings({"toc": {"permalink": 0}}).permalink is None
    assert toc_settings({"markdown.extensions.toc": {"permalink": "#"}}).permalink == "#"
    # a symbol keeps its entities and escapes the rest, as the extension's serializer does
    odd = toc_settings(
        {"toc": {"permalink": "&#128279; & <b>", "permalink_title": 'Say "hi"\n&amp;'}}
    )
    assert odd.permalink == "&#128279; &amp; &lt;b&gt;"
    assert odd.permalink_title == "Say &quot;hi&quot;&#10;&amp;"
    assert toc_settings({"toc": {"permalink_leading": "true"}}).permalink_leading is True
    assert toc_settings({"toc": {"toc_depth": "2-3"}}).lists(2)
    assert not toc_settings({"toc": {"toc_depth": "2-3"}}).lists(1)
    assert not toc_settings({"toc": {"toc_depth": 1}}).lists(2)
    assert toc_settings({"toc": {"toc_depth": "bad"}}).lists(6)


def test_section_ids_leave_the_pages_ids_alone() -> None:
    assert section_ids('<h2 id="intro">x</h2>') is DEFAULT_IDS
    taken = "<h2 id=\"backlinks-credits-title\">a</h2><p id='backlinks-incoming-title'>"
    taken += '<h3 id="backlinks-credits-title_1">b</h3>'
    ids = section_ids(taken)
    assert ids.credits == "backlinks-credits-title_2"
    assert ids.backlinks == "backlinks-incoming-title_1"
    assert ids.mentions == DEFAULT_IDS.mentions


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("<p>x</p>" + END_MARKER, {"credits": 8, "backlinks": 8}),
        ("<p>x</p>", {}),
        ("<!-- backlinks:backlinks --><p>x</p>" + END_MARKER, {"backlinks": 0, "credits": 36}),
        ("<!-- backlinks --><!-- backlinks:credits -->", {"credits": 0, "backlinks": 0}),
    ],
)
def test_placements_follow_fill(content: str, expected: dict[str, int]) -> None:
    assert placements(content) == expected
    filled = fill(content, "C", "B")
    for name, letter in (("credits", "C"), ("backlinks", "B")):
        assert (letter in filled) == (name in expected)


def anchors(toc: TableOfContents) -> list[tuple[str, int, int]]:
    """(id, level, depth in the tree) in document order."""
    found: list[tuple[str, int, int]] = []

    def walk(items: list[AnchorLink], depth: int) -> None:
        for item in items:
            found.append((item.id, item.level, depth))
            walk(item.children, depth + 1)

    walk(toc.items, 0)
    return found


def page_toc() -> TableOfContents:
    title = AnchorLink("T", "t", 1)
    a = AnchorLink("A", "a", 2)
    a.children.append(AnchorLink("A1", "a1", 3))
    title.children += [a, AnchorLink("B", "b", 2)]
    return TableOfContents([title])


SECTION = (
    '<section><h2 id="s">Section &amp; co<a class="headerlink" href="#s">&para;</a></h2>'
    '<ul><li>x</li></ul><h3 class="k" id="m">More <b>here</b><a class="headerlink" '
    'href="#m">&para;</a></h3></section>'
)
CONTENT = '<h1 id="t">T</h1><h2 id="a">A</h2><h3 id="a1">A1</h3>@<h2 id="b">B</h2>'


def test_section_headings_read_from_the_html() -> None:
    settings = toc_settings({"toc": {"permalink": True}})
    found = section_headings(SECTION, settings)
    assert [(h.title, h.id, h.level) for h in found] == [
        ("Section &amp; co", "s", 2),
        ("More here", "m", 3),
    ]
    leading = toc_settings({"toc": {"permalink": True, "permalink_leading": True}})
    html = '<h2 id="s"><a class="headerlink" href="#s">&para;</a><a class="toclink">S</a></h2>'
    assert [h.title for h in section_headings(html, leading)] == ["S"]
    assert section_headings("<h2>no id</h2>", settings) == []
    assert section_headings(SECTION, toc_settings({"toc": {"toc_depth": 2}}))[0].id == "s"
    assert len(section_headings(SECTION, toc_settings({"toc": {"toc_depth": 2}}))) == 1


def test_add_headings_at_the_end_nest_under_the_last_higher_heading() -> None:
    toc = page_toc()
    settings = toc_settings({})
    add_headings(toc, CONTENT + END_MARKER, len(CONTENT), section_headings(SECTION, settings))
    assert anchors(toc) == [
        ("t", 1, 0), ("a", 2, 1), ("a1", 3, 2), ("b", 2, 1), ("s", 2, 1), ("m", 3, 2),
    ]  # fmt: skip


def test_add_headings_at_a_placeholder_go_after_the_heading_before_it() -> None:
    toc = page_toc()
    add_headings(toc, CONTENT, CONTENT.index("@"), section_headings(SECTION, toc_settings({})))
    assert anchors(toc) == [
        ("t", 1, 0), ("a", 2, 1), ("a1", 3, 2), ("s", 2, 1), ("m", 3, 2), ("b", 2, 1),
    ]  # fmt: skip
    # before every heading: first, at the top
    toc = page_toc()
    add_headings(toc, "@" + CONTENT, 0, section_headings(SECTION, toc_settings({})))
    assert anchors(toc)[:3] == [("s", 2, 0), ("m", 3, 1), ("t", 1, 0)]
    # into an empty TOC
    empty = TableOfContents([])
    add_headings(empty, END_MARKER, 0, section_headings(SECTION, toc_settings({})))
    assert anchors(empty) == [("s", 2, 0), ("m", 3, 1)]


def test_add_headings_right_after_a_heading_go_before_its_sub_headings() -> None:
    """The last heading before the placeholder has sub-headings: they come after the section
    in the page, so the section's headings come first among its children (they were listed
    after them, out of the page's order)."""
    toc = page_toc()
    content = CONTENT.replace("@", "").replace('<h2 id="a">', '@<h2 id="a">')
    add_headings(toc, content, content.index("@"), section_headings(SECTION, toc_settings({})))
    assert anchors(toc) == [
        ("t", 1, 0), ("s", 2, 1), ("m", 3, 2), ("a", 2, 1), ("a1", 3, 2), ("b", 2, 1),
    ]  # fmt: skip
    # between a heading and its sub-heading: what follows nests under the section's heading,
    # as the toc extension would nest it under a heading of the page's own
    toc = page_toc()
    content = CONTENT.replace("@", "").replace('<h3 id="a1">', '@<h3 id="a1">')
    add_headings(toc, content, content.index("@"), section_headings(SECTION, toc_settings({})))
    assert anchors(toc) == [
        ("t", 1, 0), ("a", 2, 1), ("s", 2, 1), ("m", 3, 2), ("a1", 3, 2), ("b", 2, 1),
    ]  # fmt: skip


def test_the_toc_is_nested_again_as_the_toc_extension_nests_it() -> None:
    """Random heading levels in document order: the TOC the plugin nests again after putting
    a section between the page's headings is the one Python-Markdown's toc extension makes
    from the same headings (`nest_toc_tokens`)."""
    rng = random.Random(3)
    for _ in range(300):
        levels = [rng.randint(1, 6) for _ in range(rng.randint(1, 12))]
        tokens = [
            {"level": level, "id": f"h{i}", "name": f"H{i}"} for i, level in enumerate(levels)
        ]
        expected = get_toc(nest_toc_tokens(tokens))
        flat = [AnchorLink(f"H{i}", f"h{i}", level) for i, level in enumerate(levels)]
        assert anchors(TableOfContents(_nest(flat))) == anchors(expected), levels
