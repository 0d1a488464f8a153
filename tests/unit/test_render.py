"""Unit tests for `mkdocs_backlinks.sections.render`: placing sections, relative URLs, templates."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

import pytest
from markupsafe import Markup

from mkdocs_backlinks.config import BacklinksConfig
from mkdocs_backlinks.graph.linkgraph import BacklinkEntry, CreditEntry, CreditGroup
from mkdocs_backlinks.links.urls import relative_url
from mkdocs_backlinks.sections.locales import strings_for
from mkdocs_backlinks.sections.render import PageSections, SectionRenderer, place

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
