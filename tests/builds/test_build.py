"""Build-level tests: real sites, real `mkdocs build`, assertions on the HTML and the export.

Every test writes a small site into a temporary folder (see `conftest.py`), builds it with
MkDocs itself and reads what came out: the `backlinks.json` export for the exact records, and
the built HTML, parsed with the standard library, for what a reader sees.
"""

from __future__ import annotations

import json
import logging
import re
import tempfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.exceptions import Abort, ConfigurationError

from mkdocs_backlinks.links.urls import SiteMap
from mkdocs_backlinks.plugin import PAGES_PER_BATCH

# ---------------------------------------------------------------------------------------------
# Reading the output
# ---------------------------------------------------------------------------------------------

VOID_TAGS = frozenset(
    {
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr",
    }
)  # fmt: skip
SECTION_KINDS = {"backlinks-credits": "credits", "backlinks-incoming": "incoming"}


@dataclass
class Section:
    """One of the plugin's sections as a reader sees it."""

    kind: str
    """'credits' or 'incoming'."""
    ancestors: list[tuple[str, dict[str, str]]]
    """The elements the section sits in, outermost first."""
    title: str = ""
    links: list[tuple[str, str]] = field(default_factory=list)
    """(href, text) of every link in the section, in order."""
    snippets: list[str] = field(default_factory=list)
    """Texts of the `.backlinks-snippet` paragraphs (incoming section)."""
    sites: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    """Credits: site name -> (href, text) of its works, in order."""
    counts: dict[str, str] = field(default_factory=dict)
    """Credits: link text -> text of its `.backlinks-count` note."""

    def inside(self, tag: str, **attrs: str) -> bool:
        """True when an ancestor is `tag` with these attributes (`class_` checks one class)."""
        for name, values in self.ancestors:
            if name != tag:
                continue
            ok = True
            for key, wanted in attrs.items():
                if key == "class_":
                    ok = ok and wanted in values.get("class", "").split()
                else:
                    ok = ok and values.get(key) == wanted
            if ok:
                return True
        return False


def _fold(text: str) -> str:
    return " ".join(text.split())


class _SectionParser(HTMLParser):
    """Finds `section.backlinks-credits` / `section.backlinks-incoming` and reads them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[dict[str, Any]] = []
        self.sections: list[Section] = []
        self.current: Section | None = None
        self.site: str | None = None
        self.last_link_text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        classes = values.get("class", "").split()
        capture = None
        if tag == "section":
            kinds = [SECTION_KINDS[c] for c in classes if c in SECTION_KINDS]
            if kinds:
                assert self.current is None, "plugin sections must not nest"
                self.current = Section(kinds[0], [(e["tag"], e["attrs"]) for e in self.stack])
                capture = "section"
        elif self.current is not None:
            if tag == "h2":
                capture = "title"
            elif tag == "a":
                capture = "link"
            elif tag == "p" and "backlinks-snippet" in classes:
                capture = "snippet"
            elif tag == "span" and "backlinks-credits__site-name" in classes:
                capture = "site"
            elif tag == "small" and "backlinks-count" in classes:
                capture = "count"
        if tag in VOID_TAGS:
            return
        self.stack.append({"tag": tag, "attrs": values, "capture": capture, "parts": []})

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        pass  # `<br/>`, SVG paths: nothing to read, nothing to close

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index]["tag"] == tag:
                break
        else:
            return
        while len(self.stack) > index:
            self._close(self.stack.pop())

    def handle_data(self, data: str) -> None:
        for element in self.stack:
            if element["capture"]:
                element["parts"].append(data)

    def _close(self, element: dict[str, Any]) -> None:
        capture, section = element["capture"], self.current
        if capture is None or section is None:
            return
        text = _fold("".join(element["parts"]))
        if capture == "section":
            self.sections.append(section)
            self.current, self.site = None, None
        elif capture == "title":
            section.title = text
        elif capture == "link":
            link = (element["attrs"].get("href", ""), text)
            section.links.append(link)
            self.last_link_text = text
            if self.site is not None:
                section.sites[self.site].append(link)
        elif capture == "snippet":
            section.snippets.append(text)
        elif capture == "site":
            self.site = text
            section.sites[text] = []
        elif capture == "count":
            section.counts[self.last_link_text] = text


def sections(html: str) -> list[Section]:
    parser = _SectionParser()
    parser.feed(html)
    parser.close()
    return parser.sections


def only_section(html: str, kind: str) -> Section | None:
    """The page's section of `kind`, None when absent; fails when it appears twice."""
    found = [s for s in sections(html) if s.kind == kind]
    assert len(found) <= 1, f"{kind} section rendered {len(found)} times"
    return found[0] if found else None


def credits_of(html: str) -> Section:
    section = only_section(html, "credits")
    assert section is not None, "no credits section"
    return section


def incoming_of(html: str) -> Section:
    section = only_section(html, "incoming")
    assert section is not None, "no backlinks section"
    return section


def raw_section(html: str, kind: str) -> str:
    """The section's HTML as written (sections never nest, so a lazy match is exact)."""
    cls = {"credits": "backlinks-credits", "incoming": "backlinks-incoming"}[kind]
    match = re.search(rf'<section class="[^"]*\b{cls}\b[^"]*".*?</section>', html, re.DOTALL)
    assert match, f"no {kind} section"
    return match.group(0)


def output_file(site_dir: Path, url: str) -> Path:
    """The file MkDocs wrote for a page or path URL (relative to the site root)."""
    path = unquote(url.split("#", 1)[0])
    if path in ("", ".", "./"):
        return site_dir / "index.html"
    if path.endswith("/"):
        return site_dir / path / "index.html"
    return site_dir / path


def page_html(site: Any, src: str) -> str:
    """HTML of the page built from `src`, found through the URL in the export."""
    url = site.graph()["pages"][src]["url"]
    return output_file(site.site_dir, url).read_text(encoding="utf-8")


def follow(site_dir: Path, page_url: str, href: str) -> tuple[Path, str]:
    """Resolve a relative `href` as a browser would on the page at `page_url`."""
    joined = urljoin("https://site.test/" + page_url, href)
    parts = urlsplit(joined)
    return output_file(site_dir, parts.path.lstrip("/")), unquote(parts.fragment)


def links_of(graph: dict[str, Any], src: str) -> list[tuple[str, str, str]]:
    """(target, anchor, text) of each internal link a page makes, in order."""
    return [(r["target"], r["anchor"], r["text"]) for r in graph["pages"][src]["links"]]


def backlink_sources(graph: dict[str, Any], src: str) -> list[tuple[str, str]]:
    return [(r["source"], r["text"]) for r in graph["pages"][src]["backlinks"]]


def citation_targets(graph: dict[str, Any], src: str) -> list[str]:
    return [r["target"] for r in graph["pages"][src]["citations"]]


def cli_error(site: Any) -> str:
    """Run `mkdocs build` and return its stderr, asserting that it failed."""
    result = site.run_cli()
    assert result.returncode != 0, result.stderr
    return result.stderr


DIR_URLS = pytest.mark.parametrize("use_directory_urls", [True, False], ids=["dir-urls", "flat"])


# ---------------------------------------------------------------------------------------------
# Internal links
# ---------------------------------------------------------------------------------------------


@DIR_URLS
def test_relative_link_with_anchor(make_site, use_directory_urls):
    site = make_site(
        {
            "index.md": "# Home\n\nSee [the second part](other.md#part-two) for details.\n",
            "other.md": "# Other\n\n## Part two\n\nText.\n",
        },
        use_directory_urls=use_directory_urls,
    )
    site.build()
    graph = site.graph()
    (link,) = graph["pages"]["index.md"]["links"]
    assert link["target"] == "other.md"
    assert link["anchor"] == "part-two"
    assert link["href"] == "other.md#part-two"
    assert graph["pages"]["other.md"]["backlinks"] == [
        {
            "source": "index.md",
            "anchor": "part-two",
            "href": "other.md#part-two",
            "text": "the second part",
            "context": "See the second part for details.",
            "section": "home",
        }
    ]
    assert graph["pages"]["index.md"]["citations"] == []
    incoming = incoming_of(page_html(site, "other.md"))
    assert [text for _href, text in incoming.links] == ["Home"]


@DIR_URLS
def test_readme_is_the_folder_index(make_site, use_directory_urls):
    site = make_site(
        {
            "README.md": "# Start\n\nWelcome; read the [guide](guide/README.md).\n",
            "guide/README.md": "# Guide\n\nBack to the [start](../README.md).\n",
            "guide/page.md": (
                "# Page\n\nUp to [guide home](README.md) or [site home](../README.md).\n"
            ),
        },
        use_directory_urls=use_directory_urls,
    )
    site.build()
    graph = site.graph()
    assert graph["pages"]["README.md"]["url"] in ("", "index.html")
    assert backlink_sources(graph, "README.md") == [
        ("guide/README.md", "start"),
        ("guide/page.md", "site home"),
    ]
    assert backlink_sources(graph, "guide/README.md") == [
        ("README.md", "guide"),
        ("guide/page.md", "guide home"),
    ]
    # The site's front page is the README; it shows who links to it.
    home = (site.site_dir / "index.html").read_text(encoding="utf-8")
    assert [text for _h, text in incoming_of(home).links] == ["Guide", "Page"]


@DIR_URLS
def test_parent_paths_from_nested_folders(make_site, use_directory_urls):
    site = make_site(
        {
            "top.md": "# Top\n",
            "a/side.md": "# Side\n",
            "c/cousin.md": "# Cousin\n\n## Sec\n\nText.\n",
            "a/b/deep.md": (
                "# Deep\n\n[top](../../top.md), [side](../side.md) and "
                "[cousin](../../c/cousin.md#sec).\n"
            ),
        },
        use_directory_urls=use_directory_urls,
    )
    site.build()
    graph = site.graph()
    assert links_of(graph, "a/b/deep.md") == [
        ("top.md", "", "top"),
        ("a/side.md", "", "side"),
        ("c/cousin.md", "sec", "cousin"),
    ]
    for target in ("top.md", "a/side.md", "c/cousin.md"):
        assert [s for s, _t in backlink_sources(graph, target)] == ["a/b/deep.md"]


@DIR_URLS
def test_folder_with_space_and_non_ascii_name(make_site, use_directory_urls):
    site = make_site(
        {
            "index.md": (
                "# Home\n\nEncoded [encoded link](notes%20caf%C3%A9/x.md) here.\n\n"
                "Raw [raw link](<notes café/x.md>) here.\n"
            ),
            "notes café/x.md": "# X\n\nBack [home](../index.md).\n",
        },
        use_directory_urls=use_directory_urls,
    )
    site.build()
    graph = site.graph()
    assert links_of(graph, "index.md") == [
        ("notes café/x.md", "", "encoded link"),
        ("notes café/x.md", "", "raw link"),
    ]
    assert links_of(graph, "notes café/x.md") == [("index.md", "", "home")]
    html = page_html(site, "notes café/x.md")
    incoming = incoming_of(html)
    assert incoming.snippets == ["Encoded encoded link here.", "Raw raw link here."]
    page_url = graph["pages"]["notes café/x.md"]["url"]
    for href, _text in incoming.links:
        target, _fragment = follow(site.site_dir, page_url, href)
        assert target == site.site_dir / "index.html"


@DIR_URLS
def test_site_absolute_and_absolute_url_into_site(make_site, use_directory_urls):
    x_url = "x/" if use_directory_urls else "x.html"
    site = make_site(
        {
            "index.md": (
                f"# Home\n\nSite-absolute [abs path](/sub/{x_url}) link.\n\n"
                f"Full URL [full url](https://example.com/sub/{x_url}) link.\n"
            ),
            "x.md": "# X\n",
        },
        site_url="https://example.com/sub/",
        use_directory_urls=use_directory_urls,
    )
    site.build()
    graph = site.graph()
    assert links_of(graph, "index.md") == [("x.md", "", "abs path"), ("x.md", "", "full url")]
    # A URL into the site is internal: not a citation, no credits section.
    assert graph["pages"]["index.md"]["citations"] == []
    assert only_section(page_html(site, "index.md"), "credits") is None
    assert graph["pages"]["x.md"]["absolute_url"] == f"https://example.com/sub/{x_url}"


@DIR_URLS
def test_url_style_relative_links(make_site, use_directory_urls):
    href = "../../x/" if use_directory_urls else "../x.html"
    site = make_site(
        {"x.md": "# X\n", "sub/p.md": f"# P\n\nURL-style [to x]({href}) link.\n"},
        use_directory_urls=use_directory_urls,
    )
    site.build()
    graph = site.graph()
    assert links_of(graph, "sub/p.md") == [("x.md", "", "to x")]
    assert backlink_sources(graph, "x.md") == [("sub/p.md", "to x")]


@DIR_URLS
def test_url_style_links_to_the_home_page(make_site, use_directory_urls):
    relative = "../../" if use_directory_urls else "../index.html"
    site = make_site(
        {
            "index.md": "# Home\n\nWelcome.\n",
            "sub/p.md": (
                f"# P\n\nRelative [rel home]({relative}) link.\n\n"
                "Full [abs home](https://example.com/sub/) link.\n\n"
                "Rooted [root home](/sub/) link.\n"
            ),
        },
        site_url="https://example.com/sub/",
        use_directory_urls=use_directory_urls,
    )
    site.build()
    graph = site.graph()
    assert links_of(graph, "sub/p.md") == [
        ("index.md", "", "rel home"),
        ("index.md", "", "abs home"),
        ("index.md", "", "root home"),
    ]
    assert graph["pages"]["sub/p.md"]["citations"] == []


@DIR_URLS
def test_raw_html_links(make_site, use_directory_urls):
    site = make_site(
        {
            "index.md": """\
                # Home

                Para with <a href="x.md">inline raw</a> link.

                <div class="box">
                <p>Block with <a href="y.md">block raw</a> link.</p>
                </div>
                """,
            "x.md": "# X\n",
            "y.md": "# Y\n",
        },
        use_directory_urls=use_directory_urls,
    )
    site.build()
    graph = site.graph()
    records = graph["pages"]["index.md"]["links"]
    assert [(r["target"], r["text"], r["context"]) for r in records] == [
        ("x.md", "inline raw", "Para with inline raw link."),
        ("y.md", "block raw", "Block with block raw link."),
    ]
    assert backlink_sources(graph, "y.md") == [("index.md", "block raw")]


def test_links_inside_markdown_constructs(make_site):
    targets = {f"t{i}.md": f"# T{i}\n" for i in range(1, 7)}
    site = make_site(
        {
            **targets,
            "a.md": """\
                # Page

                ## Notes

                !!! note "Heads up"
                    Read the [admonition link](t1.md) first.

                | Name | Where |
                | ---- | ----- |
                | Cell | [table link](t2.md) |

                Text with a [reference link][r] here.

                <div markdown>
                Inside an [md in html link](t4.md) block.
                </div>

                ## See [heading link](t5.md) {#see-also}

                A claim.[^n]

                [r]: t3.md
                [^n]: Backed by the [footnote link](t6.md).
                """,
        }
    )
    site.build()
    graph = site.graph()
    found = {r["text"]: (r["target"], r["section"]) for r in graph["pages"]["a.md"]["links"]}
    assert found == {
        "admonition link": ("t1.md", "notes"),
        "table link": ("t2.md", "notes"),
        "reference link": ("t3.md", "notes"),
        "md in html link": ("t4.md", "notes"),
        "heading link": ("t5.md", "see-also"),
        "footnote link": ("t6.md", "see-also"),
    }
    for target in targets:
        assert [s for s, _t in backlink_sources(graph, target)] == ["a.md"], target


def test_footnote_link_context_is_clean_text(make_site):
    site = make_site(
        {
            "index.md": """\
                # Home

                A claim.[^n] Another claim.[^m]

                [^n]: See [the paper](https://fn.example.org/paper) for details.
                [^m]: Also [our notes](notes.md).
                """,
            "notes.md": "# Notes\n",
        }
    )
    site.build()
    graph = site.graph()
    (citation,) = graph["pages"]["index.md"]["citations"]
    assert citation["context"] == "See the paper for details."
    (backlink,) = graph["pages"]["notes.md"]["backlinks"]
    assert backlink["context"] == "Also our notes."
    assert incoming_of(page_html(site, "notes.md")).snippets == ["Also our notes."]


def test_entities_keep_their_characters_in_text_and_context(make_site):
    site = make_site(
        {
            "index.md": (
                "# Home\n\nBen &amp; Jerry cite [A &amp; B](https://ab.example.com/) &copy; 2020.\n"
            )
        }
    )
    site.build()
    (citation,) = site.graph()["pages"]["index.md"]["citations"]
    assert citation["text"] == "A & B"
    assert citation["context"] == "Ben & Jerry cite A & B \u00a9 2020."
    assert credits_of(page_html(site, "index.md")).links == [("https://ab.example.com/", "A & B")]


def test_email_autolink_does_not_leak_into_context(make_site):
    site = make_site(
        {
            "index.md": "# Home\n\nWrite to <mail@example.org> or read [the docs](https://docs.example.com/).\n"
        }
    )
    site.build()
    (citation,) = site.graph()["pages"]["index.md"]["citations"]
    assert citation["target"] == "https://docs.example.com/"
    assert citation["context"] == "Write to mail@example.org or read the docs."


# ---------------------------------------------------------------------------------------------
# Things that are not links
# ---------------------------------------------------------------------------------------------


def test_code_is_not_links(make_site):
    site = make_site(
        {
            "index.md": """\
                # Home

                Write `[x](https://code.example/)` like this.

                Cite [the real one](https://real.example.org/) here.

                ```html
                <a href="https://code.example/block">x</a>
                [y](https://code.example/fenced)
                ```

                    [z](https://code.example/indented)
                """
        }
    )
    site.build()
    export_text = (site.site_dir / "backlinks.json").read_text(encoding="utf-8")
    assert "code.example" not in export_text
    assert citation_targets(site.graph(), "index.md") == ["https://real.example.org/"]
    credits = credits_of(page_html(site, "index.md"))
    assert credits.links == [("https://real.example.org/", "the real one")]


def test_other_schemes_and_fragments_are_not_citations(make_site):
    site = make_site(
        {
            "index.md": """\
                # Home

                ## Part

                [mail](mailto:someone@example.org), [phone](tel:+15550100),
                [script](javascript:void(0)), [fragment](#part), [data](data:text/plain,hi)
                and finally [a page](other.md).
                """,
            "other.md": "# Other\n",
        }
    )
    site.build()
    graph = site.graph()
    assert graph["pages"]["index.md"]["citations"] == []
    assert links_of(graph, "index.md") == [("other.md", "", "a page")]
    assert only_section(page_html(site, "index.md"), "credits") is None


@DIR_URLS
def test_link_to_itself_is_not_a_backlink(make_site, use_directory_urls):
    own_url = "./" if use_directory_urls else "self.html"
    site = make_site(
        {
            "self.md": (
                f"# Self\n\n## Part\n\n[me](self.md), [me again](self.md#part), "
                f"[here](#part) and [this page]({own_url}).\n"
            ),
            "other.md": "# Other\n\nSee [self](self.md).\n",
        },
        use_directory_urls=use_directory_urls,
    )
    site.build()
    graph = site.graph()
    assert graph["pages"]["self.md"]["links"] == []
    assert backlink_sources(graph, "self.md") == [("other.md", "self")]
    incoming = incoming_of(page_html(site, "self.md"))
    assert [text for _h, text in incoming.links] == ["Other"]


# ---------------------------------------------------------------------------------------------
# Citations of outside works
# ---------------------------------------------------------------------------------------------


def test_citation_urls_are_normalised_for_grouping(make_site):
    original = "HTTPS://Docs.Example.COM:443/guide?utm_source=news&id=7#intro"
    site = make_site(
        {
            "index.md": f"""\
                # Home

                First [the guide]({original}) mention.

                Second [guide again](https://docs.example.com/guide?id=7&fbclid=abc) mention.

                Third [guide ads](https://docs.example.com/guide?gclid=1&id=7&utm_medium=x).

                A [different page](https://docs.example.com/guide?id=8) of it.

                A [blog post](https://www.blog.example.net/post) twice:
                [the post](https://www.blog.example.net/post).
                """
        }
    )
    site.build()
    targets = citation_targets(site.graph(), "index.md")
    assert targets == [
        "https://docs.example.com/guide?id=7",
        "https://docs.example.com/guide?id=7",
        "https://docs.example.com/guide?id=7",
        "https://docs.example.com/guide?id=8",
        "https://www.blog.example.net/post",
        "https://www.blog.example.net/post",
    ]
    credits = credits_of(page_html(site, "index.md"))
    # Grouped by site (sorted, `www.` dropped); each work once, linked as the author wrote it.
    assert credits.sites == {
        "blog.example.net": [("https://www.blog.example.net/post", "blog post")],
        "docs.example.com": [
            (original, "the guide"),
            ("https://docs.example.com/guide?id=8", "different page"),
        ],
    }
    assert credits.counts == {"the guide": "(cited 3 times)", "blog post": "(cited 2 times)"}
    assert credits.title == "Works cited"


def test_same_url_twice_is_one_entry(make_site):
    site = make_site(
        {
            "index.md": (
                "# Home\n\nRead [the spec](https://spec.example.org/v1) now.\n\n"
                "Again, [the spec](https://spec.example.org/v1) says so.\n"
            )
        }
    )
    site.build()
    credits = credits_of(page_html(site, "index.md"))
    assert credits.links == [("https://spec.example.org/v1", "the spec")]
    assert credits.counts == {"the spec": "(cited 2 times)"}
    assert len(site.graph()["pages"]["index.md"]["citations"]) == 2


# ---------------------------------------------------------------------------------------------
# The fields of a record
# ---------------------------------------------------------------------------------------------


def test_record_fields(make_site):
    site = make_site(
        {
            "index.md": """\
                # Record

                Before any section, [intro](https://intro.example.org/) appears.

                ## Method section

                The first sentence stands alone. Here we cite
                <a href="https://paper.example.org/p1" rel="noopener external">the paper</a>
                as evidence! A closing sentence follows.

                ### Deeper {#custom-id}

                Is it [a question](https://q.example.org/)? Yes.
                """
        }
    )
    site.build()
    citations = site.graph()["pages"]["index.md"]["citations"]
    assert citations == [
        {
            "target": "https://intro.example.org/",
            "href": "https://intro.example.org/",
            "text": "intro",
            "context": "Before any section, intro appears.",
            "section": "record",
            "rel": [],
        },
        {
            "target": "https://paper.example.org/p1",
            "href": "https://paper.example.org/p1",
            "text": "the paper",
            "context": "Here we cite the paper as evidence!",
            "section": "method-section",
            "rel": ["external", "noopener"],
        },
        {
            "target": "https://q.example.org/",
            "href": "https://q.example.org/",
            "text": "a question",
            "context": "Is it a question?",
            "section": "custom-id",
            "rel": [],
        },
    ]


def test_context_is_bounded_by_snippet_length(make_site):
    words = " ".join(f"word{i}" for i in range(40))
    sentence = f"Start {words} then [the linked words](https://long.example.org/) and {words} end."
    site = make_site({"index.md": f"# Home\n\n{sentence}\n"}, {"snippet_length": 60})
    site.build()
    (citation,) = site.graph()["pages"]["index.md"]["citations"]
    context = citation["context"]
    assert len(context) <= 60
    assert "the linked words" in context
    assert context.startswith("\u2026")
    assert context.endswith("\u2026")


# ---------------------------------------------------------------------------------------------
# What is left out
# ---------------------------------------------------------------------------------------------


def test_exclude_domains_covers_subdomains(make_site):
    site = make_site(
        {
            "index.md": """\
                # Home

                [a](https://example.org/x), [b](https://docs.example.org/y),
                [c](https://notexample.org/z), [d](https://example.com/w) and
                [e](https://a.b.skip.net/q).
                """
        },
        {"exclude_domains": ["example.org", "skip.net"]},
    )
    site.build()
    assert citation_targets(site.graph(), "index.md") == [
        "https://notexample.org/z",
        "https://example.com/w",
    ]
    credits = credits_of(page_html(site, "index.md"))
    assert sorted(credits.sites) == ["example.com", "notexample.org"]


def test_exclude_urls_regex(make_site):
    site = make_site(
        {
            "index.md": """\
                # Home

                [private](https://x.example.com/private/1), [draft](https://x.example.com/drafts/2),
                [public](https://x.example.com/public/3) and
                [tracked](https://y.example.com/page?utm_source=private).
                """
        },
        {"exclude_urls": ["/private/", r"^https://x\.example\.com/drafts"]},
    )
    site.build()
    # Matched against the normalised URL, so a tracking parameter cannot trigger a match.
    assert citation_targets(site.graph(), "index.md") == [
        "https://x.example.com/public/3",
        "https://y.example.com/page",
    ]


REL_PAGE = """\
    # Home

    Plain [plain](https://plain.example.com/) link.

    Paid <a href="https://paid.example.com/" rel="sponsored">paid</a> link.

    Untrusted <a href="https://nf.example.com/" rel="nofollow noopener">nf</a> link.

    User [ugc](https://ugc.example.com/){rel="ugc"} link.
    """


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (None, [("https://plain.example.com/", [])]),
        (
            {"ignore_rel": []},
            [
                ("https://plain.example.com/", []),
                ("https://paid.example.com/", ["sponsored"]),
                ("https://nf.example.com/", ["nofollow", "noopener"]),
                ("https://ugc.example.com/", ["ugc"]),
            ],
        ),
        (
            {"ignore_rel": ["sponsored"]},
            [
                ("https://plain.example.com/", []),
                ("https://nf.example.com/", ["nofollow", "noopener"]),
                ("https://ugc.example.com/", ["ugc"]),
            ],
        ),
    ],
    ids=["default", "empty", "sponsored-only"],
)
def test_ignore_rel(make_site, options, expected):
    site = make_site({"index.md": REL_PAGE}, options)
    site.build()
    citations = site.graph()["pages"]["index.md"]["citations"]
    assert [(c["target"], c["rel"]) for c in citations] == expected
    credits = credits_of(page_html(site, "index.md"))
    # Credits are grouped by site, sites in alphabetical order.
    assert [href for href, _t in credits.links] == sorted(url for url, _rel in expected)


def test_opt_out_class(make_site):
    site = make_site(
        {
            "index.md": """\
                # Home

                [skip md](https://o1.example.com/){.no-backlinks} and
                <a class="x no-backlinks" href="https://o2.example.com/">skip raw</a> and
                [skip page](other.md){.no-backlinks} and [keep](https://keep.example.com/).
                """,
            "other.md": "# Other\n",
        }
    )
    site.build()
    graph = site.graph()
    assert citation_targets(graph, "index.md") == ["https://keep.example.com/"]
    assert graph["pages"]["index.md"]["links"] == []
    assert graph["pages"]["other.md"]["backlinks"] == []
    assert only_section(page_html(site, "other.md"), "incoming") is None


def test_front_matter_false_turns_the_page_off(make_site):
    site = make_site(
        {
            "index.md": "# Home\n\nSee [quiet](quiet.md).\n",
            "quiet.md": """\
                ---
                backlinks: false
                ---
                # Quiet

                Cites [w](https://w.example.com/) and links [home](index.md).
                """,
        }
    )
    site.build()
    graph = site.graph()
    assert graph["pages"]["quiet.md"]["citations"] == []
    assert graph["pages"]["quiet.md"]["links"] == []
    assert graph["pages"]["index.md"]["backlinks"] == []
    # It would have shown credits and a backlink from the home page; it shows nothing.
    assert sections(page_html(site, "quiet.md")) == []
    assert only_section(page_html(site, "index.md"), "incoming") is None


def test_front_matter_mapping_turns_one_section_off(make_site):
    site = make_site(
        {
            "index.md": "# Home\n\nSee [page](page.md).\n",
            "page.md": """\
                ---
                backlinks:
                  credits: false
                ---
                # Page

                Cites [w](https://w.example.com/).
                """,
        }
    )
    site.build()
    graph = site.graph()
    assert citation_targets(graph, "page.md") == ["https://w.example.com/"]  # still tracked
    html = page_html(site, "page.md")
    assert only_section(html, "credits") is None
    assert [t for _h, t in incoming_of(html).links] == ["Home"]


@pytest.mark.slow
def test_invalid_front_matter_fails_the_build(make_site):
    site = make_site({"index.md": "# Home\n", "bad.md": "---\nbacklinks: 3\n---\n# Bad\n\nText.\n"})
    stderr = cli_error(site)
    assert "bad.md" in stderr
    assert "'backlinks'" in stderr


@pytest.mark.parametrize(
    "exclude_sources", [["drafts/"], "drafts/\n# comment\n"], ids=["list", "multiline"]
)
def test_exclude_sources_and_targets(make_site, exclude_sources):
    site = make_site(
        {
            "index.md": (
                "# Home\n\n[secret](private/secret.md), [draft](drafts/d.md) and [a](a.md).\n"
            ),
            "drafts/d.md": "# Draft\n\nLinks [a](../a.md) and [w](https://w.example.com/).\n",
            "private/secret.md": "# Secret\n",
            "a.md": "# A\n",
        },
        {"exclude_sources": exclude_sources, "exclude_targets": ["private/*.md"]},
    )
    site.build()
    graph = site.graph()
    assert [t for t, _a, _x in links_of(graph, "index.md")] == ["drafts/d.md", "a.md"]
    assert graph["pages"]["drafts/d.md"]["links"] == []
    assert graph["pages"]["drafts/d.md"]["citations"] == []
    assert backlink_sources(graph, "a.md") == [("index.md", "a")]
    assert graph["pages"]["private/secret.md"]["backlinks"] == []
    assert only_section(page_html(site, "private/secret.md"), "incoming") is None
    assert only_section(page_html(site, "drafts/d.md"), "credits") is None


# ---------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------

LINKED_PAIR = {
    "index.md": "# Home\n\nCite [w](https://w.example.com/) and see [other](other.md).\n",
    "other.md": "# Other\n\nBack [home](index.md).\n",
}


def test_sections_are_appended_after_the_content(make_site):
    site = make_site(
        {
            "index.md": (
                "# Home\n\nCite [w](https://w.example.com/) here.\n\nLast words of the page.\n"
            ),
            "other.md": "# Other\n\nBack [home](index.md).\n",
        }
    )
    site.build()
    html = page_html(site, "index.md")
    found = sections(html)
    assert [s.kind for s in found] == ["credits", "incoming"]
    for section in found:
        assert section.inside("div", role="main")
    assert re.search(
        r"<p>Last words of the page\.</p>\s*<section class=\"backlinks backlinks-credits\"", html
    )
    assert re.search(r"</section>\s*<section class=\"backlinks backlinks-incoming\"", html)
    assert found[0].links == [("https://w.example.com/", "w")]
    assert [t for _h, t in found[1].links] == ["Other"]
    assert found[1].snippets == ["Back home."]


# The sections themselves: their ids are in the page's table of contents too.
CREDITS_SECTION = '<section class="backlinks backlinks-credits"'
INCOMING_SECTION = '<section class="backlinks backlinks-incoming"'


def test_placeholder_places_both_sections(make_site):
    site = make_site(
        {
            "index.md": """\
                # Home

                Intro cites [w](https://w.example.com/).

                <!-- backlinks -->

                Closing paragraph.
                """,
            "other.md": "# Other\n\nBack [home](index.md).\n",
        }
    )
    site.build()
    html = page_html(site, "index.md")
    assert "<!-- backlinks -->" not in html
    assert [s.kind for s in sections(html)] == ["credits", "incoming"]
    assert (
        html.index(CREDITS_SECTION)
        < html.index(INCOMING_SECTION)
        < html.index("<p>Closing paragraph.</p>")
    )


def test_credits_placeholder_places_only_credits(make_site):
    site = make_site(
        {
            "index.md": """\
                # Home

                Intro cites [w](https://w.example.com/).

                <!-- backlinks:credits -->

                Closing paragraph.
                """,
            "other.md": "# Other\n\nBack [home](index.md).\n",
        }
    )
    site.build()
    html = page_html(site, "index.md")
    assert "<!-- backlinks:credits -->" not in html
    closing = html.index("<p>Closing paragraph.</p>")
    assert html.index(CREDITS_SECTION) < closing < html.index(INCOMING_SECTION)
    assert [s.kind for s in sections(html)] == ["credits", "incoming"]


def test_placeholder_inside_code_is_not_replaced(make_site):
    site = make_site(
        {
            "index.md": """\
                # Home

                Cite [w](https://w.example.com/) and write `<!-- backlinks -->` like this:

                ```
                <!-- backlinks:credits -->
                ```

                Closing paragraph.
                """
        }
    )
    site.build()
    html = page_html(site, "index.md")
    assert "<code>&lt;!-- backlinks --&gt;</code>" in html
    assert "&lt;!-- backlinks:credits --&gt;" in html
    credits = credits_of(html)
    assert credits.links == [("https://w.example.com/", "w")]
    assert html.index("<p>Closing paragraph.</p>") < html.index(CREDITS_SECTION)


def test_auto_append_off_renders_only_at_placeholders(make_site):
    site = make_site(
        {
            "index.md": """\
                # Home

                Cite [w](https://w.example.com/), see [other](other.md).

                <!-- backlinks:backlinks -->

                End.
                """,
            "other.md": "# Other\n\nCite [v](https://v.example.com/), back [home](index.md).\n",
        },
        {"auto_append": False},
    )
    site.build()
    home = page_html(site, "index.md")
    assert [s.kind for s in sections(home)] == ["incoming"]
    assert home.index(INCOMING_SECTION) < home.index("<p>End.</p>")
    assert sections(page_html(site, "other.md")) == []


def test_empty_sections_are_not_rendered(make_site):
    site = make_site(
        {
            "lonely.md": "# Lonely\n\nNo links at all.\n",
            "citer.md": "# Citer\n\nCites [w](https://w.example.com/) only.\n",
            "excluded.md": "# Excluded\n\nCites [x](https://skip.example.com/) only.\n",
        },
        {"exclude_domains": ["skip.example.com"]},
    )
    site.build()
    for src in ("lonely.md", "excluded.md"):
        html = page_html(site, src)
        assert sections(html) == [], src
        assert "backlinks-" not in html, src
    citer = page_html(site, "citer.md")
    assert [s.kind for s in sections(citer)] == ["credits"]


@pytest.mark.parametrize(
    ("option", "kept"), [("credits", "incoming"), ("backlinks", "credits")], ids=str
)
def test_section_options_turn_a_section_off(make_site, option, kept):
    site = make_site(LINKED_PAIR, {option: False})
    site.build()
    assert [s.kind for s in sections(page_html(site, "index.md"))] == [kept]
    # The export still has everything.
    graph = site.graph()
    assert citation_targets(graph, "index.md") == ["https://w.example.com/"]
    assert backlink_sources(graph, "index.md") == [("other.md", "home")]


def test_custom_strings(make_site):
    site = make_site(
        {
            "index.md": (
                "# Start\n\n## Teil\n\n[w](https://w.example.com/) und [w](https://w.example.com/)"
                " und [andere](other.md).\n"
            ),
            "other.md": (
                "# Andere\n\nZurück zum [Start](index.md#teil).\n\n## Teil\n\n[s](index.md).\n"
            ),
        },
        {
            "strings": {
                "credits_title": "Quellen",
                "backlinks_title": "Verweise",
                "cited_times": "{count}\u00d7 zitiert",
                "section_separator": " / ",
            }
        },
    )
    site.build()
    home = page_html(site, "index.md")
    credits = credits_of(home)
    assert credits.title == "Quellen"
    assert credits.counts == {"w": "(2\u00d7 zitiert)"}
    incoming = incoming_of(home)
    assert incoming.title == "Verweise"
    assert [t for _h, t in incoming.links] == ["Andere", "Andere / Teil"]
    assert "Works cited" not in home
    assert "Pages that link here" not in home


def test_text_is_escaped(make_site):
    site = make_site(
        {
            "index.md": """\
                # Home

                Cite [Tom & Jerry <3](https://tj.example.com/) today.

                Read [the other page](other.md) where \\<script\\>alert(1)\\</script\\>
                & friends live.
                """,
            "other.md": "# Other\n",
        }
    )
    site.build()
    credits_html = raw_section(page_html(site, "index.md"), "credits")
    assert "Tom &amp; Jerry &lt;3" in credits_html
    assert "&amp;amp;" not in credits_html
    assert credits_of(page_html(site, "index.md")).links == [
        ("https://tj.example.com/", "Tom & Jerry <3")
    ]
    other = page_html(site, "other.md")
    incoming_html = raw_section(other, "incoming")
    assert "<script" not in incoming_html
    assert "&lt;script&gt;alert(1)" in incoming_html
    (snippet,) = incoming_of(other).snippets
    assert "<script>alert(1)" in snippet
    assert "& friends" in snippet


@DIR_URLS
def test_backlinks_point_at_the_citing_section(make_site, use_directory_urls):
    site = make_site(
        {
            "index.md": "# Home\n\nIntro [deep](sub/deep.md).\n",
            "a.md": "# A\n\n## Section two\n\nSee [deep](sub/deep.md) and [home](index.md).\n",
            "sub/deep.md": "# Deep\n\n## Way down\n\nUp to [a](../a.md) and [home](../index.md).\n",
        },
        use_directory_urls=use_directory_urls,
    )
    site.build()
    graph = site.graph()
    expected = {
        "index.md": {("a.md", "section-two"), ("sub/deep.md", "way-down")},
        "a.md": {("sub/deep.md", "way-down")},
        "sub/deep.md": {("index.md", "home"), ("a.md", "section-two")},
    }
    for target, places in expected.items():
        page_url = graph["pages"][target]["url"]
        incoming = incoming_of(output_file(site.site_dir, page_url).read_text(encoding="utf-8"))
        reached = set()
        for href, _text in incoming.links:
            assert not href.startswith("/"), href
            path, fragment = follow(site.site_dir, page_url, href)
            assert path.is_file(), (target, href)
            assert f'id="{fragment}"' in path.read_text(encoding="utf-8"), (target, href)
            source = next(
                src
                for src, page in graph["pages"].items()
                if output_file(site.site_dir, page["url"]) == path
            )
            reached.add((source, fragment))
        assert reached == places, target


def test_template_override_in_custom_dir(make_site):
    site = make_site(
        LINKED_PAIR,
        theme={"name": "mkdocs", "custom_dir": "overrides"},
    )
    overrides = site.root / "overrides" / "backlinks"
    overrides.mkdir(parents=True)
    (overrides / "credits.html").write_text(
        '<aside class="my-credits">{% for group in credits %}{% for entry in group.entries %}'
        '<a href="{{ entry.href }}">[{{ entry.text }}]</a>{% endfor %}{% endfor %}</aside>',
        encoding="utf-8",
    )
    site.build()
    html = page_html(site, "index.md")
    assert only_section(html, "credits") is None
    assert '<aside class="my-credits"><a href="https://w.example.com/">[w]</a></aside>' in html
    assert [t for _h, t in incoming_of(html).links] == ["Other"]  # default template still used


def test_template_variable_in_main_html(make_site):
    site = make_site(
        {
            **LINKED_PAIR,
            "more.md": "# More\n\n[a](https://a.example.com/), [b](https://b.example.org/).\n",
        },
        {"auto_append": False},
        theme={"name": "mkdocs", "custom_dir": "overrides"},
    )
    (site.root / "overrides").mkdir()
    (site.root / "overrides" / "main.html").write_text(
        '{% extends "base.html" %}\n{% block content %}{{ super() }}'
        '<div id="credit-groups">{{ backlinks.credits | length }}</div>'
        '<div id="incoming-html">{{ backlinks.backlinks_html }}</div>{% endblock %}\n',
        encoding="utf-8",
    )
    site.build()
    counts = {}
    for src in ("index.md", "other.md", "more.md"):
        html = page_html(site, src)
        counts[src] = int(re.search(r'<div id="credit-groups">(\d+)</div>', html).group(1))
        assert only_section(html, "credits") is None  # not auto-appended
    assert counts == {"index.md": 1, "other.md": 0, "more.md": 2}
    other = page_html(site, "other.md")
    incoming = incoming_of(other)
    assert incoming.inside("div", id="incoming-html")
    assert [t for _h, t in incoming.links] == ["Home"]
    assert '<div id="incoming-html"></div>' in page_html(site, "more.md")


# ---------------------------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------------------------


def test_export_document(make_site):
    site = make_site(
        {
            "index.md": "# Home\n\n## Refs\n\nSee [b](b.md#x) and cite [w](https://w.example.com/).\n",
            "b.md": "# B\n\n## X\n\nText.\n",
        },
        site_url="https://example.com/docs/",
    )
    site.build()
    graph = site.graph()
    assert graph["schema"] == "mkdocs-backlinks/graph"
    assert graph["version"] == 1
    assert graph["site_url"] == "https://example.com/docs/"
    assert sorted(graph["pages"]) == ["b.md", "index.md"]
    b = graph["pages"]["b.md"]
    assert (b["url"], b["absolute_url"], b["title"]) == ("b/", "https://example.com/docs/b/", "B")
    assert b["backlinks"] == [
        {
            "source": "index.md",
            "anchor": "x",
            "href": "b.md#x",
            "text": "b",
            "context": "See b and cite w.",
            "section": "refs",
        }
    ]
    assert graph["pages"]["index.md"]["links"] == [
        {
            "target": "b.md",
            "anchor": "x",
            "href": "b.md#x",
            "text": "b",
            "context": "See b and cite w.",
            "section": "refs",
            "rel": [],
        }
    ]
    assert citation_targets(graph, "index.md") == ["https://w.example.com/"]
    assert "anchor" not in graph["pages"]["index.md"]["citations"][0]


def test_export_off_writes_nothing(make_site):
    site = make_site(LINKED_PAIR, {"export": False})
    site.build()
    assert not (site.site_dir / "backlinks.json").exists()
    assert list(site.site_dir.rglob("*.json")) == []
    home = (site.site_dir / "index.html").read_text(encoding="utf-8")
    assert only_section(home, "credits") is not None  # the sections still render


def test_export_path(make_site):
    site = make_site(LINKED_PAIR, {"export_path": "data/graph.json"})
    site.build()
    assert not (site.site_dir / "backlinks.json").exists()
    graph = site.graph("data/graph.json")
    assert backlink_sources(graph, "other.md") == [("index.md", "other")]


# MkDocs' own themes end every page with a build timestamp; that line is not ours.
_BUILD_DATE = re.compile(rb"^Build Date UTC : .*$", re.MULTILINE)


def _snapshot(site_dir: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(site_dir)): _BUILD_DATE.sub(b"Build Date UTC : -", p.read_bytes())
        for p in sorted(site_dir.rglob("*"))
        if p.suffix in (".html", ".json")
    }


def test_two_builds_are_identical(make_site):
    site = make_site(
        {
            "index.md": (
                "# Home\n\n## A\n\nCite [w](https://w.example.com/?utm_source=x#f), "
                "[v](https://v.example.org/), see [b](b.md) and [c](sub/c.md#c).\n"
            ),
            "b.md": "# B\n\n[home](index.md) and [w again](https://w.example.com/).\n",
            "sub/c.md": "# C\n\n[b](../b.md), [home](../index.md).\n",
        },
        site_url="https://example.com/",
    )
    site.build()
    first = _snapshot(site.site_dir)
    site.build()
    second = _snapshot(site.site_dir)
    assert "backlinks.json" in first
    assert first["backlinks.json"] == second["backlinks.json"]  # byte for byte, untouched
    assert len([p for p in first if p.endswith(".html")]) >= 3
    assert first == second


SPOOLED_SITE = {
    "index.md": "# Home\n\n## A\n\nCite [w](https://w.example.com/) and see [b](b.md#b).\n",
    "b.md": "# B\n\n[home](index.md) and [w again](https://w.example.com/x).\n",
    "sub/c.md": "# C\n\n[b](../b.md), [home](../index.md).\n",
}


def test_the_link_rows_leave_nothing_in_the_temporary_folder(make_site, tmp_path, monkeypatch):
    """The rows wait in a temporary file between conversion and rendering (`spool`); a build
    leaves no trace of it."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    site = make_site(SPOOLED_SITE)
    site.build()
    assert backlink_sources(site.graph(), "b.md") == [("index.md", "b"), ("sub/c.md", "b")]
    assert list(scratch.iterdir()) == []


def test_without_a_temporary_folder_the_rows_stay_in_memory_and_the_site_is_the_same(
    make_site, tmp_path, monkeypatch, caplog
):
    site = make_site(SPOOLED_SITE, site_url="https://example.com/")
    site.build()
    spooled = _snapshot(site.site_dir)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no such folder"))
    with caplog.at_level(logging.DEBUG, logger="mkdocs.plugins.mkdocs_backlinks.graph.spool"):
        site.build()
    assert "keeping them in memory" in caplog.text
    assert _snapshot(site.site_dir) == spooled
    assert incoming_of(page_html(site, "b.md")).links


def test_nav_titles_that_yaml_reads_as_numbers(make_site):
    """`nav: - 2024: index.md` gives the page a title that is an int (3.5: a float), not a str:
    the sections, the export and the ledger all show it as the text the author wrote."""
    site = make_site(
        {
            "index.md": "# Home\n\nSee [w](https://w.example/) and [a](a.md).\n",
            "a.md": "# A\n\nBack [home](index.md).\n",
        },
        {"outreach": {"enabled": True}},
        nav=[{2024: "index.md"}, {3.5: "a.md"}],
    )
    site.build()
    pages = site.graph()["pages"]
    assert (pages["index.md"]["title"], pages["a.md"]["title"]) == ("2024", "3.5")
    assert '<a href="../#home">2024 \u203a Home</a>' in page_html(site, "a.md")
    assert '<a href="a/#a">3.5 \u203a A</a>' in page_html(site, "index.md")
    ledger = (site.root / "backlinks" / "ledger.json").read_text(encoding="utf-8")
    assert '"page_title":"2024"' in ledger


def test_titles_from_headings_are_escaped_once(make_site):
    """MkDocs hands over a title taken from the h1, and every heading's toc title, as HTML
    text ('Tips &amp; tricks'): the sections escape text, so they must get the text itself,
    or a reader sees '&amp;'. A nav title is text already and stays as written."""
    site = make_site(
        {
            "index.md": "# Tips & tricks <i>x</i> &copy;\n\n## Q&A 'one'\n\nSee [b](b.md).\n",
            "b.md": "# B\n\nBack [home](index.md).\n",
            "c.md": "# C & D\n\nAlso [b](b.md).\n",
        },
        nav=[{"Start": "index.md"}, "b.md", {"C & D": "c.md"}],
    )
    site.build()
    pages = site.graph()["pages"]
    assert pages["index.md"]["title"] == "Start"
    assert pages["b.md"]["title"] == "B"
    assert pages["c.md"]["title"] == "C & D"
    b = page_html(site, "b.md")
    assert "Start \u203a Q&amp;A &#39;one&#39;</a>" in b
    assert ">C &amp; D</a>" in b  # the h1 equals the nav title: no section shown
    assert "&amp;amp;" not in b


def test_title_from_the_h1_is_text(make_site):
    site = make_site(
        {
            "index.md": "# Tips & tricks <i>x</i> &copy; `a<b>`\n\nSee [b](b.md).\n",
            "b.md": "# B\n\nBack [home](index.md).\n",
        }
    )
    site.build()
    assert site.graph()["pages"]["index.md"]["title"] == "Tips & tricks x \u00a9 a<b>"
    assert ">Tips &amp; tricks x \u00a9 a&lt;b&gt;</a>" in page_html(site, "b.md")


# ---------------------------------------------------------------------------------------------
# Rebuilds (what `mkdocs serve` does)
# ---------------------------------------------------------------------------------------------


def test_rebuild_after_edit_drops_the_removed_link(make_site):
    site = make_site(
        {
            "index.md": "# Home\n\nSee [target](target.md) and [other](other.md).\n",
            "target.md": "# Target\n",
            "other.md": "# Other\n",
        }
    )
    site.build()
    assert backlink_sources(site.graph(), "target.md") == [("index.md", "target")]
    assert incoming_of(page_html(site, "target.md")).links
    site.write("index.md", "# Home\n\nOnly [other](other.md) now.\n")
    site.build()
    graph = site.graph()
    assert graph["pages"]["target.md"]["backlinks"] == []
    assert links_of(graph, "index.md") == [("other.md", "", "other")]
    assert only_section(page_html(site, "target.md"), "incoming") is None


def test_serve_like_rebuild_keeps_the_plugin_and_forgets_old_links(make_site):
    site = make_site(
        {
            "index.md": "# Home\n\nSee [target](target.md) and cite [w](https://w.example.com/).\n",
            "gone.md": "# Gone\n\nAlso [target](target.md).\n",
            "target.md": "# Target\n",
        }
    )
    serve_url = "http://127.0.0.1:8000/"

    def config():
        loaded = load_config(str(site.config_file))
        loaded.site_url = serve_url
        return loaded

    first = config()
    first.plugins.on_startup(command="serve", dirty=False)
    build(first, serve_url=serve_url)
    assert [s for s, _t in backlink_sources(site.graph(), "target.md")] == ["gone.md", "index.md"]

    site.write("index.md", "# Home\n\nNothing linked any more.\n")
    (site.root / "docs" / "gone.md").unlink()
    second = config()
    plugin = second.plugins["backlinks"]
    assert plugin is first.plugins["backlinks"]  # MkDocs kept the instance (on_startup)
    build(second, serve_url=serve_url)

    graph = site.graph()
    assert sorted(graph["pages"]) == ["index.md", "target.md"]
    assert graph["pages"]["target.md"]["backlinks"] == []
    assert graph["pages"]["index.md"]["citations"] == []
    assert sections(page_html(site, "target.md")) == []
    assert sections(page_html(site, "index.md")) == []


def test_the_resolver_lets_go_of_hrefs_once_every_page_is_converted(make_site, monkeypatch):
    """What sped up resolving while pages converted is dropped before they render (the build's
    memory peaks at its end), and the sections are still made from every link."""
    site = make_site(
        {
            "index.md": "# Home\n\nSee [target](target.md) and cite [w](https://w.example.com/).\n",
            "target.md": "# Target\n\nBack [home](index.md), [w](https://w.example.com/) again.\n",
        }
    )
    config = load_config(str(site.config_file))
    plugin = config.plugins["backlinks"]
    remembered: list[int] = []
    forget = SiteMap.forget_resolved

    def watch(self: SiteMap) -> None:  # how much the resolver held when it is let go
        remembered.append(len(self._external))
        forget(self)

    monkeypatch.setattr(SiteMap, "forget_resolved", watch)
    build(config)
    assert remembered == [1]  # one outside URL, remembered while the pages' links resolved
    assert plugin.links.site._external == {} and plugin.links.site._known == {}
    assert [s for s, _t in backlink_sources(site.graph(), "target.md")] == ["index.md"]
    assert "w.example.com" in raw_section(page_html(site, "target.md"), "credits")


def test_pages_join_the_graph_in_batches_while_the_site_converts(make_site):
    """Links are resolved and pages graphed a batch at a time during conversion, the last
    batch when conversion ends; across batches every link and backlink is kept, in order."""
    count = 2 * PAGES_PER_BATCH + 6
    pages = {}
    for n in range(count):
        links = [f"[next](p{(n + 1) % count}.md)", f"[previous](p{(n - 1) % count}.md)"]
        pages[f"p{n}.md"] = (
            f"# Page {n}\n\n## Part\n\nSee {' and '.join(links)}; "
            f"cite [w{n}](https://w.example.com/{n}).\n"
        )
    site = make_site(pages)
    config = load_config(str(site.config_file))
    plugin = config.plugins["backlinks"]
    graphed: list[int] = []

    def watch(env, **kwargs):  # runs first in on_env: the graph as conversion left it
        graphed.append(len(plugin.graph.pages))
        return env

    config.plugins.events["env"].insert(0, watch)
    build(config)
    assert graphed == [2 * PAGES_PER_BATCH]  # the last 6 pages wait for on_env
    graph = site.graph()
    assert sorted(graph["pages"]) == sorted(pages)
    for n in range(count):
        src = f"p{n}.md"
        assert [r["target"] for r in graph["pages"][src]["links"]] == [
            f"p{(n + 1) % count}.md",
            f"p{(n - 1) % count}.md",
        ]
        assert citation_targets(graph, src) == [f"https://w.example.com/{n}"]
        assert sorted(backlink_sources(graph, src)) == sorted(
            [(f"p{(n - 1) % count}.md", "next"), (f"p{(n + 1) % count}.md", "previous")]
        )
        incoming = raw_section(page_html(site, src), "incoming")
        assert incoming.count("See next and previous") == 2
        assert f"Page {(n + 1) % count} \u203a Part" in incoming


# ---------------------------------------------------------------------------------------------
# Strict mode and configuration errors
# ---------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_strict_build_passes_on_a_clean_site(make_site):
    site = make_site(
        {
            "index.md": "# Home\n\n## Part\n\nSee [b](b.md#x) and [w](https://w.example.com/).\n",
            "b.md": "# B\n\n## X\n\nBack [home](index.md#part).\n",
        },
        # Without them the outreach notes have no link and no name: a warning (#15).
        site_url="https://me.example/",
        site_author="Pat",
    )
    result = site.run_cli("--strict")
    assert result.returncode == 0, result.stderr
    assert backlink_sources(site.graph(), "b.md") == [("index.md", "b")]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"snippet_length": "long"}, ["'snippet_length'"]),
        ({"snipet_length": 3}, ["'snipet_length'", "Did you mean 'snippet_length'"]),
        ({"exclude_urls": ["(["]}, ["'exclude_urls'", "(["]),
        ({"exclude_domains": ["https://x.com/"]}, ["'exclude_domains'", "https://x.com/"]),
        ({"ignore_rel": ["noopener"]}, ["'ignore_rel'", "noopener"]),
        ({"export_path": "../x.json"}, ["'export_path'", "../x.json"]),
    ],
    ids=[
        "wrong-type",
        "unknown-key",
        "bad-regex",
        "url-as-domain",
        "bad-rel",
        "path-escape",
    ],
)
@pytest.mark.slow
def test_invalid_option_is_rejected(make_site, options, expected):
    site = make_site({"index.md": "# Home\n"}, options)
    stderr = cli_error(site)
    assert "Plugin 'backlinks'" in stderr
    for text in expected:
        assert text in stderr
    assert not (site.site_dir / "index.html").exists()


@pytest.mark.slow
def test_misspelt_string_key_is_rejected_like_other_options(make_site):
    # `snipet_length` fails the build (BacklinksConfig.validate turns "unrecognised" warnings
    # into errors so a typo is not silently ignored); a typo under `strings:` must too.
    site = make_site({"index.md": "# Home\n"}, {"strings": {"credits_titel": "Quellen"}})
    stderr = cli_error(site)
    assert "credits_titel" in stderr


def test_invalid_option_raises_in_load_config(make_site):
    site = make_site({"index.md": "# Home\n"}, {"snippet_length": "long"})
    with pytest.raises((Abort, ConfigurationError)):
        site.build()


def test_export_json_is_valid_utf8_with_non_ascii(make_site):
    site = make_site(
        {
            "index.md": "# Accueil\n\nVoir [le café](notes/café.md) — « citation ».\n",
            "notes/café.md": "# Café\n",
        }
    )
    site.build()
    text = (site.site_dir / "backlinks.json").read_text(encoding="utf-8")
    assert "café" in text  # written as UTF-8, not escaped
    assert json.loads(text)["pages"]["notes/café.md"]["backlinks"][0]["context"] == (
        "Voir le café — « citation »."
    )


def test_backlinks_name_the_citing_section_at_any_depth(make_site):
    # Section titles come from the citing page's table of contents: nested headings too,
    # unescaped once (the section escapes what it shows), and only those that hold a link.
    site = make_site(
        {
            "index.md": "# Home\n\nNothing to see.\n",
            "guide.md": (
                "# Guide\n\n## Setup\n\nNo links here.\n\n## Tips & tricks\n\n"
                "### Deeper Q&A\n\nRead [home](index.md).\n\n## After\n\nAnd [home](index.md) "
                "once more.\n"
            ),
        }
    )
    site.build()
    section = raw_section(page_html(site, "index.md"), "incoming")
    assert "Deeper Q&amp;A" in section
    assert "After" in section
    assert "Setup" not in section and "Tips" not in section
    assert "Q&amp;amp;A" not in section
