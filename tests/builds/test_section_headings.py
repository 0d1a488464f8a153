"""The sections' headings in real builds: linked as the page's own, listed in the page's TOC.

Each site here has a page heading of its own beside the sections, so the permalink markup the
`toc` extension wrote for it is the reference ours must match, whatever the settings. The
tables of contents are read from the built HTML of the mkdocs and Material themes, as a
reader sees them.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest

PAGES = {
    "index.md": """\
        # Home

        ## Start here

        Cite [a work](https://w.example.com/post) and see [the other page](other.md#part).
        """,
    "other.md": """\
        # Other

        ## Part

        Back [home](index.md) from a part.
        """,
}

THEMES = {
    "mkdocs": {"name": "mkdocs"},
    "material": {"name": "material"},
}


class TocLinks(HTMLParser):
    """The `#` links of the table of contents, with how deep in its lists each one sits.

    The TOC is the mkdocs theme's sidebar (`role="complementary"`) or Material's secondary
    navigation (`aria-label="Table of contents"`, the first one: the primary one may repeat it).
    """

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str, int]] = []
        self._stack: list[str] = []  # tags open inside the TOC
        self._depth = 0  # lists open inside the TOC
        self._done = False
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if not self._stack:
            classes = (found.get("class") or "").split()
            is_toc = found.get("role") == "complementary" or (
                tag == "nav" and "md-nav--secondary" in classes
            )
            if is_toc and not self._done:
                self._stack.append(tag)
            return
        if tag not in ("br", "img", "input", "meta", "link"):
            self._stack.append(tag)
        if tag == "ul":
            self._depth += 1
        if tag == "a" and (found.get("href") or "").startswith("#"):
            self._href = found["href"]
            self._text = []

    def handle_endtag(self, tag: str) -> None:
        if not self._stack:
            return
        if tag == "a" and self._href is not None:
            self.links.append((self._href[1:], " ".join("".join(self._text).split()), self._depth))
            self._href = None
        if tag == "ul":
            self._depth -= 1
        while self._stack:
            if self._stack.pop() == tag:
                break
        if not self._stack:
            self._done = True

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)


def toc_links(html: str) -> list[tuple[str, str, int]]:
    parser = TocLinks()
    parser.feed(html)
    return parser.links


def heading_markup(html: str, anchor_id: str) -> str:
    found = re.search(rf'<h([1-6])[^>]*\bid="{re.escape(anchor_id)}"[^>]*>.*?</h\1>', html, re.S)
    assert found, anchor_id
    return found.group(0)


def as_other(markup: str, anchor_id: str, title: str, new_id: str, new_title: str) -> str:
    """The markup of one heading rewritten for another id and title."""
    return markup.replace(anchor_id, new_id).replace(title, new_title)


def page_file(theme: str, name: str = "index") -> str:
    return "index.html" if name == "index" else f"{name}/index.html"


TOC_OPTIONS = [
    {"permalink": True},
    {"permalink": "#"},
    {"permalink": "&#128279;", "permalink_leading": True, "permalink_title": 'A "link" & more'},
    {"permalink": True, "anchorlink": True, "permalink_class": "hl x"},
    {"anchorlink": True},
]


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("toc", TOC_OPTIONS, ids=lambda toc: "-".join(map(str, toc.values())))
def test_section_headings_are_linked_as_the_pages_own(
    make_site: Any, theme: str, toc: dict[str, Any]
) -> None:
    site = make_site(PAGES, theme=THEMES[theme], markdown_extensions=[{"toc": toc}, "attr_list"])
    site.build()
    home = site.html("index.html")
    own = heading_markup(home, "start-here")
    for anchor_id, title in (
        ("backlinks-credits-title", "Works cited"),
        ("backlinks-incoming-title", "Pages that link here"),
    ):
        assert heading_markup(home, anchor_id) == as_other(
            own, "start-here", "Start here", anchor_id, title
        )
    assert f'aria-labelledby="{"backlinks-credits-title"}"' in home


@pytest.mark.parametrize("theme", THEMES)
def test_no_permalink_when_the_site_has_none(make_site: Any, theme: str) -> None:
    site = make_site(PAGES, theme=THEMES[theme], markdown_extensions=["toc"])
    site.build()
    home = site.html("index.html")
    assert "headerlink" not in heading_markup(home, "start-here")  # the reference
    assert heading_markup(home, "backlinks-credits-title") == (
        '<h2 id="backlinks-credits-title">Works cited</h2>'
    )
    assert 'class="headerlink"' not in home


@pytest.mark.parametrize("theme", THEMES)
def test_the_toc_lists_the_section_headings_after_the_pages(make_site: Any, theme: str) -> None:
    site = make_site(PAGES, theme=THEMES[theme], markdown_extensions=[{"toc": {"permalink": True}}])
    site.build()
    links = toc_links(site.html("index.html"))
    ids = [anchor_id for anchor_id, _, _ in links]
    assert ids[-3:] == ["start-here", "backlinks-credits-title", "backlinks-incoming-title"]
    depth = {anchor_id: level for anchor_id, _, level in links}
    # h2s of the page: beside the page's own h2, under its h1
    assert depth["backlinks-credits-title"] == depth["start-here"]
    assert depth["backlinks-incoming-title"] == depth["start-here"]
    titles = {anchor_id: title for anchor_id, title, _ in links}
    assert titles["backlinks-credits-title"] == "Works cited"  # no permalink symbol in it
    assert titles["backlinks-incoming-title"] == "Pages that link here"
    # a page without credits lists its backlinks only
    other = [anchor_id for anchor_id, _, _ in toc_links(site.html(page_file(theme, "other")))]
    assert other[-2:] == ["part", "backlinks-incoming-title"]
    assert "backlinks-credits-title" not in other


@pytest.mark.parametrize("theme", THEMES)
def test_toc_false_lists_none_and_keeps_the_permalinks(make_site: Any, theme: str) -> None:
    site = make_site(
        PAGES,
        {"toc": False},
        theme=THEMES[theme],
        markdown_extensions=[{"toc": {"permalink": True}}],
    )
    site.build()
    home = site.html("index.html")
    ids = [anchor_id for anchor_id, _, _ in toc_links(home)]
    assert "start-here" in ids
    assert not [anchor_id for anchor_id in ids if anchor_id.startswith("backlinks-")]
    assert 'href="#backlinks-credits-title" title="Permanent link">&para;</a></h2>' in home


def test_toc_option_must_be_a_boolean(make_site: Any) -> None:
    site = make_site(PAGES, {"toc": "sometimes"})
    result = site.run_cli()
    assert result.returncode != 0
    assert "toc" in result.stderr and "Expected type: <class 'bool'>" in result.stderr


def test_a_placeholder_puts_the_heading_where_the_section_goes(make_site: Any) -> None:
    pages = {
        **PAGES,
        "index.md": """\
            # Home

            ## Before

            Cite [a work](https://w.example.com/post) and see [the other](other.md).

            ### Detail

            <!-- backlinks:backlinks -->

            ## After

            Text.
            """,
    }
    site = make_site(
        pages, theme={"name": "material"}, markdown_extensions=[{"toc": {"permalink": True}}]
    )
    site.build()
    links = toc_links(site.html("index.html"))
    order = [anchor_id for anchor_id, _, _ in links]
    assert order == [
        "before",
        "detail",
        "backlinks-incoming-title",
        "after",
        "backlinks-credits-title",  # no placeholder: appended at the end
    ]
    depth = {anchor_id: level for anchor_id, _, level in links}
    assert depth["backlinks-incoming-title"] == depth["before"] == depth["after"]


@pytest.mark.parametrize(
    ("placeholders", "expected"),
    [
        (("<!-- backlinks -->", ""), ["backlinks-credits-title", "backlinks-incoming-title"]),
        (
            ("<!-- backlinks:credits -->", "<!-- backlinks:backlinks -->"),
            ["backlinks-credits-title", "backlinks-incoming-title"],
        ),
        (
            ("<!-- backlinks:backlinks -->", "<!-- backlinks:credits -->"),
            ["backlinks-incoming-title", "backlinks-credits-title"],
        ),
    ],
)
def test_sections_under_one_heading_are_listed_in_page_order(
    make_site: Any, placeholders: tuple[str, str], expected: list[str]
) -> None:
    first, second = placeholders
    pages = {
        **PAGES,
        "index.md": f"# Home\n\n## Before\n\nCite [w](https://w.example.com/), see "
        f"[other](other.md).\n\n{first}\n\nText.\n\n{second}\n\n## After\n\nEnd.\n",
    }
    site = make_site(pages, markdown_extensions=[{"toc": {"permalink": True}}])
    site.build()
    home = site.html("index.html")
    in_page = [
        anchor_id
        for anchor_id in re.findall(r'<h2 id="([^"]+)"', home)
        if anchor_id.startswith("backlinks-")
    ]
    assert in_page == expected
    toc = [anchor_id for anchor_id, _, _ in toc_links(home)]
    assert toc == ["home", "before", *expected, "after"]


def test_ids_taken_by_the_page_are_left_to_it(make_site: Any) -> None:
    pages = {
        **PAGES,
        "index.md": """\
            # Home

            ## Backlinks credits title

            Cite [a work](https://w.example.com/post).

            ## Mine {#backlinks-incoming-title}

            See [the other page](other.md).
            """,
        "other.md": "# Other\n\n[home](index.md)\n",
    }
    site = make_site(pages, markdown_extensions=[{"toc": {"permalink": True}}, "attr_list"])
    site.build()
    home = site.html("index.html")
    ids = re.findall(r'\bid="([^"]+)"', home)
    assert len(ids) == len(set(ids)), "every id once"
    assert (
        '<section class="backlinks backlinks-credits" aria-labelledby="backlinks-credits-title_1">'
        in home
    )
    assert heading_markup(home, "backlinks-credits-title_1").startswith(
        '<h2 id="backlinks-credits-title_1">Works cited<a class="headerlink" '
        'href="#backlinks-credits-title_1"'
    )
    assert heading_markup(home, "backlinks-incoming-title_1")
    toc = [anchor_id for anchor_id, _, _ in toc_links(home)]
    assert toc[-2:] == ["backlinks-credits-title_1", "backlinks-incoming-title_1"]
    assert "backlinks-credits-title" in toc and "backlinks-incoming-title" in toc  # the page's


def test_toc_depth_leaves_out_what_it_leaves_out(make_site: Any) -> None:
    site = make_site(PAGES, markdown_extensions=[{"toc": {"permalink": True, "toc_depth": 1}}])
    site.build()
    home = site.html("index.html")
    assert [anchor_id for anchor_id, _, _ in toc_links(home)] == ["home"]
    assert 'href="#backlinks-credits-title" title="Permanent link"' in home  # still linked


def test_mentions_under_backlinks_are_a_sub_entry(make_site: Any, tmp_path: Any) -> None:
    feed = tmp_path / "mentions.jf2.json"
    feed.write_text(
        '{"type": "feed", "children": [{"type": "entry", "wm-property": "in-reply-to",'
        ' "wm-target": "https://example.com/", "url": "https://ann.example/r",'
        ' "author": {"type": "card", "name": "Ann", "url": "https://ann.example/"},'
        ' "published": "2024-05-01T10:00:00Z", "content": {"text": "Nice post."}}]}',
        encoding="utf-8",
    )
    site = make_site(
        PAGES,
        {"mentions": {"sources": [{"file": str(feed)}], "avatars": "none"}},
        site_url="https://example.com/",
        theme={"name": "material"},
        markdown_extensions=[{"toc": {"permalink": True}}],
    )
    site.build()
    home = site.html("index.html")
    assert "Ann" in home, "the mention is shown"
    links = toc_links(home)
    depth = {anchor_id: level for anchor_id, _, level in links}
    assert [anchor_id for anchor_id, _, _ in links][-2:] == [
        "backlinks-incoming-title",
        "backlinks-mentions-title",
    ]
    assert depth["backlinks-mentions-title"] == depth["backlinks-incoming-title"] + 1
    assert heading_markup(home, "backlinks-mentions-title") == (
        '<h3 class="backlinks-mentions__title" id="backlinks-mentions-title">Elsewhere on the web'
        '<a class="headerlink" href="#backlinks-mentions-title" title="Permanent link">&para;</a>'
        "</h3>"
    )
