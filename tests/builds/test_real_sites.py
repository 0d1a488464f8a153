"""What broke on the sites people build: each case is a small real site built with `mkdocs build`
with the plugin or setting that exposed it (Material's blog, mkdocs-static-i18n, redirects,
literate-nav, `mkdocs serve`'s `site_url`, the home page's two URLs)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mkdocs.commands.build import build
from mkdocs.config import load_config

from mkdocs_backlinks.settings import configured_site_url
from tests.conftest import MakeSite, Site


def backlinks_of(site: Site, src: str, name: str = "backlinks.json") -> list[str]:
    """The pages that link to `src`, by source path, from the export."""
    return sorted({b["source"] for b in site.graph(name)["pages"][src]["backlinks"]})


def mention(wid: int, target: str) -> dict[str, Any]:
    return {
        "type": "entry",
        "wm-id": wid,
        "wm-source": f"https://friend{wid}.example.net/notes/{wid}",
        "wm-target": target,
        "wm-property": "in-reply-to",
        "url": f"https://friend{wid}.example.net/notes/{wid}",
        "author": {"type": "card", "name": f"Friend {wid}", "url": "https://f.example.net/"},
        "published": "2024-02-02T09:00:00Z",
        "content": {"text": f"Reply number {wid}"},
    }


# ------------------------------------------------------------------------------- home page


@pytest.mark.parametrize("directory_urls", [True, False])
def test_the_home_page_shows_its_mentions(make_site: MakeSite, directory_urls: bool) -> None:
    """MkDocs names the home page `./` in its file list and `` as a page: with directory URLs
    (the default) its mentions were matched, counted in the log, and never shown."""
    site = make_site(
        {"index.md": "# Home\n\nHello.\n", "other.md": "# Other\n\nThere.\n"},
        {"mentions": {"sources": [{"file": "feed.json"}]}},
        site_url="https://example.org/",
        use_directory_urls=directory_urls,
    )
    other_url = "https://example.org/" + ("other/" if directory_urls else "other.html")
    feed = {"type": "feed", "children": [mention(1, "https://example.org/"), mention(2, other_url)]}
    (site.root / "feed.json").write_text(json.dumps(feed), encoding="utf-8")
    site.build()
    other = "other/index.html" if directory_urls else "other.html"
    assert "Reply number 1" in site.html("index.html")
    assert "Reply number 2" not in site.html("index.html")
    assert "Reply number 2" in site.html(other)


# ----------------------------------------------------------------------- Material's blog

BLOG_PAGES = {
    "index.md": (
        "# Home\n\nRead [the first post](blog/posts/first.md) and [the blog](blog/index.md).\n"
    ),
    "about.md": "# About\n\nI wrote [a first post](blog/posts/first.md).\n",
    "blog/index.md": "# Blog\n",
    "blog/posts/first.md": (
        "---\ndate: 2024-01-02\ncategories:\n  - News\n---\n\n# First post\n\n"
        "It starts here.\n\n<!-- more -->\n\nMore about [me](../../about.md).\n"
    ),
    "blog/posts/second.md": (
        "---\ndate: 2024-02-03\ncategories:\n  - News\n---\n\n# Second post\n\n"
        "After [the first](first.md).\n\n<!-- more -->\n\nThe rest.\n"
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize(
    "order", [["search", "blog", "backlinks"], ["backlinks", "search", "blog"]]
)
def test_blog_posts_get_their_backlinks_whatever_the_plugin_order(
    make_site: MakeSite, order: list[str]
) -> None:
    plugins: list[Any] = [
        {"backlinks": {"metadata": {"enabled": False}, "outreach": {"enabled": False}}}
        if name == "backlinks"
        else name
        for name in order
    ]
    site = make_site(
        BLOG_PAGES, plugins=plugins, theme={"name": "material"}, site_url="https://example.org/"
    )
    site.build()
    assert backlinks_of(site, "blog/posts/first.md") == [
        "about.md",
        "blog/posts/second.md",
        "index.md",
    ]
    assert backlinks_of(site, "about.md") == ["blog/posts/first.md"]
    first = site.graph()["pages"]["blog/posts/first.md"]
    assert first["url"] == "blog/2024/01/02/first-post/"  # the post's own URL, not its path's
    # The post page shows who links to it.
    post_html = site.html("blog/2024/01/02/first-post/index.html")
    assert "About" in post_html.split("Pages that link here", 1)[1]


@pytest.mark.slow
def test_no_sections_on_the_blogs_generated_pages(make_site: MakeSite) -> None:
    """The blog's index lists posts after its content: a section appended to that content
    lands between the title and the posts. Archive and category pages repeat excerpts."""
    plugins = ["blog", {"backlinks": {"metadata": {"enabled": False}}}]
    site = make_site(
        BLOG_PAGES, plugins=plugins, theme={"name": "material"}, site_url="https://example.org/"
    )
    site.build()
    generated = [
        "blog/index.html",
        "blog/archive/2024/index.html",
        "blog/category/news/index.html",
    ]
    for path in generated:
        assert "Pages that link here" not in site.html(path), path
        assert "backlinks-" not in site.html(path), path
    sources = set(site.graph()["pages"])
    assert "blog/posts/first.md" in sources
    assert not any(src.startswith("blog/archive") or "category" in src for src in sources)


# ------------------------------------------------------------------ static-i18n, redirects


@pytest.mark.slow
def test_backlinks_stay_within_one_language(make_site: MakeSite) -> None:
    pages = {
        "index.md": "# Home\n\nSee [other](other.md).\n",
        "index.fr.md": "# Accueil\n\nVoir [autre](other.md).\n",
        "other.md": "# Other\n\nEnglish.\n",
        "other.fr.md": "# Autre\n\nFrançais.\n",
    }
    i18n = {
        "i18n": {
            "docs_structure": "suffix",
            "languages": [
                {"locale": "en", "default": True, "name": "English", "build": True},
                {"locale": "fr", "name": "Français", "build": True},
            ],
        }
    }
    plugins = [i18n, {"backlinks": {"metadata": {"enabled": False}}}]
    site = make_site(pages, plugins=plugins, site_url="https://example.org/")
    site.build()
    english = site.html("other/index.html")
    french = site.html("fr/other/index.html")
    assert "Home" in english.split("Pages that link here", 1)[1]
    assert "Accueil" not in english
    assert "Accueil" in french.split("Pages qui renvoient ici", 1)[1]  # in French too
    assert "Home" not in french.split("Pages qui renvoient ici", 1)[1]
    assert backlinks_of(site, "other.fr.md", "fr/backlinks.json") == ["index.fr.md"]
    assert backlinks_of(site, "other.md") == ["index.md"]  # the default language's own


@pytest.mark.slow
def test_a_link_to_a_redirected_page_counts_for_its_new_page(make_site: MakeSite) -> None:
    pages = {"index.md": "# Home\n\nSee [the old page](old.md).\n", "new.md": "# New\n\nHere.\n"}
    redirects = {"redirects": {"redirect_maps": {"old.md": "new.md"}}}
    plugins = [redirects, {"backlinks": {"metadata": {"enabled": False}}}]
    site = make_site(pages, plugins=plugins, site_url="https://example.org/")
    site.build()
    assert backlinks_of(site, "new.md") == ["index.md"]
    assert set(site.graph()["pages"]) == {"index.md", "new.md"}
    assert (site.site_dir / "old" / "index.html").is_file()  # the stub, not a page of ours


@pytest.mark.slow
def test_literate_navs_file_is_no_page_that_links_to_everything(make_site: MakeSite) -> None:
    pages = {
        "SUMMARY.md": "* [Home](index.md)\n* [Other](other.md)\n",
        "index.md": "# Home\n\nSee [other](other.md).\n",
        "other.md": "# Other\n\nThere.\n",
    }
    plugins = ["literate-nav", {"backlinks": {"metadata": {"enabled": False}}}]
    site = make_site(pages, plugins=plugins, site_url="https://example.org/")
    site.build()
    assert backlinks_of(site, "other.md") == ["index.md"]


# ------------------------------------------------------------------------------ serve


def test_serves_site_url_does_not_turn_own_links_into_citations(make_site: MakeSite) -> None:
    """`mkdocs serve` sets `site_url` to the dev server's address before any plugin sees the
    config: links written against the real address must stay internal, as in the build."""
    pages = {
        "index.md": "# Home\n\nSee [other](https://example.org/docs/other/) and "
        "[Python](https://www.python.org/).\n",
        "other.md": "# Other\n\nThere.\n",
    }
    site = make_site(
        pages,
        {"outreach": {"enabled": False}},
        site_url="https://example.org/docs/",
        dev_addr="127.0.0.1:8765",
    )
    results = []
    for command in ("build", "serve"):
        config = load_config(str(site.config_file))
        config.plugins.on_startup(command=command, dirty=False)
        if command == "serve":
            config.site_url = "http://127.0.0.1:8765/docs/"  # what serve.py does before building
        try:
            build(config)
        finally:
            config.plugins.on_shutdown()
        page = site.graph()["pages"]["index.md"]
        results.append((len(page["links"]), len(page["citations"])))
    built, served = results
    assert built == (1, 1)
    assert served == built


def test_the_configured_site_url_is_read_as_mkdocs_reads_it(tmp_path: Path) -> None:
    """Under serve the address written in mkdocs.yml is read again, `!ENV` as MkDocs does."""
    (tmp_path / "docs").mkdir()
    document = "site_name: S\nsite_url: !ENV [SITE, 'https://example.org/x']\n"
    (tmp_path / "mkdocs.yml").write_text(document, encoding="utf-8")
    config = load_config(str(tmp_path / "mkdocs.yml"))
    config.site_url = "http://127.0.0.1:8000/x/"
    assert configured_site_url(config) == "https://example.org/x/"


@pytest.mark.slow
def test_a_translations_build_leaves_the_ledger_to_the_default_language(
    make_site: MakeSite,
) -> None:
    pages = {
        "index.md": "# Home\n\nSee [Python](https://www.python.org/).\n",
        "index.fr.md": "# Accueil\n\nVoir [Rust](https://www.rust-lang.org/).\n",
    }
    i18n = {
        "i18n": {
            "docs_structure": "suffix",
            "languages": [
                {"locale": "en", "default": True, "name": "English", "build": True},
                {"locale": "fr", "name": "Français", "build": True},
            ],
        }
    }
    plugins = [i18n, {"backlinks": {"metadata": {"enabled": False}}}]
    site = make_site(pages, plugins=plugins, site_url="https://example.org/")
    site.build()
    ledger = json.loads((site.root / "backlinks" / "ledger.json").read_text(encoding="utf-8"))
    text = json.dumps(ledger)
    assert "python.org" in text
    assert "rust-lang.org" not in text
