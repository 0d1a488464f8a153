"""The sections land inside each theme's content area, once per page.

The same small site is built with MkDocs' two built-in themes and with Material for MkDocs;
the built HTML is parsed with the standard library to find where the sections sit.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

VOID_TAGS = frozenset(
    {
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr",
    }
)  # fmt: skip
KINDS = {"backlinks-credits": "credits", "backlinks-incoming": "incoming"}

# The element that holds `page.content` in each theme: (tag, attribute, value or class name).
CONTENT_AREA = {
    "mkdocs": ("div", "role", "main"),
    "readthedocs": ("div", "itemprop", "articleBody"),
    "material": ("article", "class", "md-content__inner"),
}

PAGES = {
    "index.md": """\
        # Home

        ## Sources

        We cite [the paper](https://paper.example.org/p1) and
        [the blog](https://blog.example.com/post), and see [the other page](other.md).

        Last paragraph of home.
        """,
    "other.md": """\
        # Other

        Back to [home](index.md#sources), and cite [the paper](https://paper.example.org/p1).
        """,
    "quiet.md": "# Quiet\n\nNo links here.\n",
}


class _Placement(HTMLParser):
    """Records, for each plugin section, its kind, its ancestors and the link texts in it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict[str, str]]] = []
        self.found: list[dict[str, object]] = []
        self._open: dict[str, object] | None = None
        self._open_depth = -1
        self._link_depth = -1
        self._link_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "section" and self._open is None:
            kinds = [KINDS[c] for c in values.get("class", "").split() if c in KINDS]
            if kinds:
                self._open = {"kind": kinds[0], "ancestors": list(self.stack), "links": []}
                self._open_depth = len(self.stack)
        if tag == "a" and self._open is not None:
            self._link_depth, self._link_text = len(self.stack), []
        if tag not in VOID_TAGS:
            self.stack.append((tag, values))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                break
        else:
            return
        del self.stack[index:]
        if self._open is not None and index <= self._link_depth:
            self._open["links"].append(" ".join("".join(self._link_text).split()))  # type: ignore[union-attr]
            self._link_depth = -1
        if self._open is not None and index <= self._open_depth:
            self.found.append(self._open)
            self._open, self._open_depth = None, -1

    def handle_data(self, data: str) -> None:
        if self._link_depth >= 0:
            self._link_text.append(data)


def placements(html: str) -> list[dict[str, object]]:
    parser = _Placement()
    parser.feed(html)
    parser.close()
    return parser.found


def in_content_area(theme: str, ancestors: list[tuple[str, dict[str, str]]]) -> bool:
    tag, attr, value = CONTENT_AREA[theme]
    for name, values in ancestors:
        if name != tag:
            continue
        if attr == "class" and value in values.get("class", "").split():
            return True
        if attr != "class" and values.get(attr) == value:
            return True
    return False


@pytest.mark.slow
@pytest.mark.parametrize("theme", ["mkdocs", "readthedocs", "material"])
def test_sections_inside_the_content_area_once(make_site, theme):
    site = make_site(PAGES, theme={"name": theme})
    site.build()
    expected = {
        "index.html": {
            "credits": ["the blog", "the paper"],  # grouped by site: blog.example.com first
            "incoming": ["Other"],
        },
        "other/index.html": {"credits": ["the paper"], "incoming": ["Home \u203a Sources"]},
        "quiet/index.html": {},
    }
    for path, wanted in expected.items():
        html = (site.site_dir / path).read_text(encoding="utf-8")
        found = placements(html)
        kinds = [f["kind"] for f in found]
        assert kinds == list(wanted), (theme, path, kinds)
        for section in found:
            assert in_content_area(theme, section["ancestors"]), (theme, path, section["kind"])
            assert section["links"] == wanted[section["kind"]], (theme, path)
        # Once each, in the raw text too (not repeated in a sidebar, search index or TOC).
        for cls, kind in KINDS.items():
            count = html.count(f'class="backlinks {cls}"')
            assert count == (1 if kind in wanted else 0), (theme, path, cls)


@pytest.mark.parametrize("theme", ["mkdocs", "readthedocs", "material"])
def test_sections_follow_the_last_paragraph(make_site, theme):
    site = make_site(PAGES, theme={"name": theme})
    site.build()
    html = (site.site_dir / "index.html").read_text(encoding="utf-8")
    last = html.index("<p>Last paragraph of home.</p>")
    credits = html.index('class="backlinks backlinks-credits"')
    incoming = html.index('class="backlinks backlinks-incoming"')
    assert last < credits < incoming
    between = html[last + len("<p>Last paragraph of home.</p>") : credits]
    assert between.strip() == "<section", between
