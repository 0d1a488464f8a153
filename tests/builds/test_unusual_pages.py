"""Real builds of pages that are unusual but legitimate, each once handled wrongly: a file
whose name starts with "HTTP", a page named like its neighbour folder's index, a heading id
written with an entity, a heading inside a list item, a placeholder right after a heading,
a short snippet length. Every check reads the built HTML or the export, as a reader or a
tool would."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.builds.test_section_headings import toc_links


def test_a_file_named_http_something_is_a_page_of_its_folder(make_site: Any) -> None:
    site = make_site(
        {
            "index.md": "# Home\n\nText.\n",
            "HTTP status.md": "# Root status\n\nText.\n",
            "net/index.md": "# Net\n\nRead the [status codes](HTTP%20status.md) page, then "
            "[the guide](Https-guide.md#setup).\n",
            "net/HTTP status.md": "# HTTP status\n\nText.\n",
            "net/Https-guide.md": "# Guide\n\n## Setup\n\nText.\n",
        }
    )
    site.build()
    links = site.graph()["pages"]["net/index.md"]["links"]
    assert [(link["target"], link["anchor"]) for link in links] == [
        ("net/HTTP status.md", ""),
        ("net/Https-guide.md", "setup"),
    ]
    assert "Pages that link here" in site.html("net/HTTP status/index.html")
    assert "Pages that link here" not in site.html("HTTP status/index.html")


def test_a_page_named_like_a_folder_index_keeps_its_own_links(make_site: Any) -> None:
    site = make_site(
        {
            "index.md": "# Home\n\nSee the [folder page](re/index.html) and "
            "[the other](reindex.html).\n",
            "re/index.md": "# Re folder\n\nText.\n",
            "reindex.md": "# Reindex\n\nText.\n",
        },
        use_directory_urls=False,
    )
    site.build()
    targets = [link["target"] for link in site.graph()["pages"]["index.md"]["links"]]
    assert targets == ["re/index.md", "reindex.md"]
    assert site.html("re/index.html").count('class="backlinks-incoming__item"') == 1
    assert site.html("reindex.html").count('class="backlinks-incoming__item"') == 1


def test_a_heading_id_written_with_an_entity_is_linked_as_the_page_has_it(
    make_site: Any,
) -> None:
    """attr_list reads `{: id="r&amp;d" }` while the entity is still one of Markdown's
    placeholders: the backlink must name the id the page's HTML has (`r&d`), never the
    placeholder, whose control characters reached the page and the export."""
    site = make_site(
        {
            "index.md": '# Home\n\n## R&D {: id="r&amp;d" }\n\nSee [the other page](b.md).\n',
            "b.md": "# B\n\nText.\n",
        },
        markdown_extensions=["attr_list"],
    )
    site.build()
    assert 'id="r&amp;d"' in site.html("index.html")
    assert '<a href="../#r&amp;d">Home \u203a R&amp;D</a>' in site.html("b/index.html")
    assert site.graph()["pages"]["index.md"]["links"][0]["section"] == "r&d"
    # What the plugin writes; the theme's own table of contents on the citing page keeps the
    # placeholder (Python-Markdown's toc reads the id as attr_list left it), not ours to mend.
    for path in [Path(site.site_dir) / "b/index.html", *Path(site.site_dir).rglob("*.json")]:
        text = path.read_text("utf-8")
        assert "\x02" not in text and "\x03" not in text and "wzxhzdk" not in text, path


def test_a_heading_in_a_list_item_is_the_section_of_the_links_after_it(make_site: Any) -> None:
    site = make_site(
        {
            "index.md": """\
                # Home

                ## First

                Intro.

                - ## Setup steps

                    Some step text.

                After the list, see [the guide](b.md).
                """,
            "b.md": "# B\n\nText.\n",
        }
    )
    site.build()
    assert site.graph()["pages"]["index.md"]["links"][0]["section"] == "setup-steps"
    assert '<a href="../#setup-steps">Home \u203a Setup steps</a>' in site.html("b/index.html")


def test_a_placeholder_right_after_a_heading_is_listed_before_its_sub_headings(
    make_site: Any,
) -> None:
    site = make_site(
        {
            "index.md": """\
                # Home

                <!-- backlinks -->

                ## Intro

                See [the other page](other.md) and [Example](https://example.com/).
                """,
            "other.md": "# Other\n\nBack to [home](index.md).\n",
        }
    )
    site.build()
    toc = [(anchor_id, depth) for anchor_id, _, depth in toc_links(site.html("index.html"))]
    assert toc == [
        ("home", 1),
        ("backlinks-credits-title", 2),
        ("backlinks-incoming-title", 2),
        ("intro", 2),
    ]


def test_a_snippet_fits_the_snippet_length(make_site: Any) -> None:
    site = make_site(
        {
            "index.md": "# A\n\nthen over the lazy, [then](b.md) some brown the some, "
            "dog over some.\n",
            "b.md": "# B\n\nText.\n",
        },
        {"snippet_length": 40},
    )
    site.build()
    context = site.graph()["pages"]["index.md"]["links"][0]["context"]
    assert len(context) <= 40
    assert "then some brown" in context


def test_a_backslash_in_a_cited_address_credits_the_site_a_browser_opens(
    make_site: Any,
) -> None:
    """`https://good.example\\@evil.example/x` opens good.example in a browser (a backslash
    before the query is a slash to it): the credit, the export and the outreach list file it
    there, not under the name after the `@`."""
    site = make_site(
        {
            "index.md": "# Home\n\n"
            '<a href="https://good.example\\@evil.example/x">raw</a> and '
            "[md](https://good.example\\@evil.example/z) and "
            '<a href="https://good.example\\evil.example/y">raw2</a>.\n',
        },
        site_url="https://example.org/",
    )
    site.build()
    targets = [c["target"] for c in site.graph()["pages"]["index.md"]["citations"]]
    assert targets == [
        "https://good.example/@evil.example/x",
        "https://good.example/@evil.example/z",
        "https://good.example/evil.example/y",
    ]
    sites = re.findall(r'class="backlinks-credits__site-name">([^<]*)<', site.html("index.html"))
    assert sites == ["good.example"]
    outreach = (site.root / "backlinks" / "outreach.md").read_text("utf-8")
    assert "### good.example" in outreach
    assert "### evil.example" not in outreach


def test_a_title_from_nav_or_front_matter_is_read_as_the_theme_shows_it(
    make_site: Any,
) -> None:
    """MkDocs' themes print a title from `nav` or front matter as HTML: `Q&amp;A <b>x</b>`
    reads "Q&A x". The export holds that text and the sections escape it once; they showed
    the markup escaped twice (`Q&amp;amp;A &lt;b&gt;`)."""
    site = make_site(
        {
            "index.md": "# Home\n\nSee [faq](faq.md).\n",
            "faq.md": "# FAQ\n\nBack [home](index.md).\n",
            "tips.md": '---\ntitle: "Tips &amp; <i>tricks</i>"\n---\n\nSee [faq](faq.md).\n',
        },
        nav=[{"Home": "index.md"}, {"Q&amp;A <b>x</b>": "faq.md"}, "tips.md"],
    )
    site.build()
    pages = site.graph()["pages"]
    assert (pages["faq.md"]["title"], pages["tips.md"]["title"]) == ("Q&A x", "Tips & tricks")
    home = site.html("index.html")
    assert '<a href="faq/#faq">Q&amp;A x \u203a FAQ</a>' in home
    assert "&amp;amp;" not in home and "&lt;b&gt;" not in home
    assert ">Tips &amp; tricks</a>" in site.html("faq/index.html")
