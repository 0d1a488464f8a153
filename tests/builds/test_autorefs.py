"""mkdocs-autorefs cross-references are links: written in pages or in docstrings rendered by
mkdocstrings, resolved once autorefs knows every anchor, each under its own heading.

Built for real with mkdocs-autorefs and mkdocstrings[python] from PyPI. Before these were read,
`[Foo][pkg.Foo]` recorded nothing, and a plain link in a docstring belonged to the top of the
API page.
"""

from __future__ import annotations

from typing import Any

import pytest

PACKAGE = '''\
"""A package whose docstrings link to the guide."""


class Foo:
    """A foo; see [the setup][setup] and [Bar][pkg.Bar], or [the guide](guide.md)."""

    def run(self) -> None:
        """Run it after [installing][install-it]."""


class Bar:
    """A bar that links [nowhere][no.such.thing]."""
'''

PAGES = {
    "index.md": """
        # Home

        ## Start

        Meet [the Foo class][pkg.Foo], then [`pkg.Bar`][] and [a plain link](guide.md).
        Unknown [things][no.such.page] stay unrecorded.
    """,
    "guide.md": """
        # Guide

        ## Setup

        Read the API's [run method][pkg.Foo.run] first.

        ## Install it

        Back to [the start][start].
    """,
    "api.md": """
        # API

        ::: pkg
    """,
    "quiet.md": (
        "---\nbacklinks:\n  track: false\n---\n# Quiet\n\nIts [Foo][pkg.Foo] is not tracked.\n"
    ),
}


def site_with_package(make_site: Any, **options: Any) -> Any:
    site = make_site(
        PAGES,
        plugins=[
            "autorefs",
            {"mkdocstrings": {"handlers": {"python": {"paths": ["src"]}}}},
            {"backlinks": {"metadata": {"enabled": False}, "outreach": {"enabled": False}}},
        ],
        **options,
    )
    (site.root / "src/pkg").mkdir(parents=True)
    (site.root / "src/pkg/__init__.py").write_text(PACKAGE, encoding="utf-8")
    return site


def rows(graph: dict[str, Any], src: str) -> list[tuple[str, str, str, str, str]]:
    return [
        (row["target"], row["anchor"], row["text"], row["section"], row["href"])
        for row in graph["pages"][src]["links"]
    ]


@pytest.mark.slow
@pytest.mark.parametrize("directory_urls", [True, False], ids=["directory-urls", "file-urls"])
def test_cross_references_are_links_under_their_heading(
    make_site: Any, monkeypatch: pytest.MonkeyPatch, directory_urls: bool
) -> None:
    site = site_with_package(make_site, use_directory_urls=directory_urls)
    monkeypatch.chdir(site.root)  # mkdocstrings' `paths` are relative to the working folder
    site.build()
    graph = site.graph()
    api = "api/" if directory_urls else "api.html"
    guide = "guide/" if directory_urls else "guide.html"
    index = "" if directory_urls else "index.html"
    # In document order, the references where they were written, between the plain links.
    assert rows(graph, "index.md") == [
        ("api.md", "pkg.Foo", "the Foo class", "start", api + "#pkg.Foo"),
        ("api.md", "pkg.Bar", "pkg.Bar", "start", api + "#pkg.Bar"),
        ("guide.md", "", "a plain link", "start", "guide.md"),
    ]
    assert rows(graph, "guide.md") == [
        ("api.md", "pkg.Foo.run", "run method", "setup", api + "#pkg.Foo.run"),
        ("index.md", "start", "the start", "install-it", index + "#start"),
    ]
    # Docstring links, cross-references or plain, belong to their object's heading.
    assert sorted(rows(graph, "api.md")) == [
        ("guide.md", "", "the guide", "pkg.Foo", "guide.md"),
        ("guide.md", "install-it", "installing", "pkg.Foo.run", guide + "#install-it"),
        ("guide.md", "setup", "the setup", "pkg.Foo", guide + "#setup"),
    ]
    context = next(row["context"] for row in graph["pages"]["api.md"]["links"])
    assert context == "A foo; see the setup and Bar, or the guide."
    # The quiet page's reference is not recorded; unknown identifiers are no links.
    assert graph["pages"]["quiet.md"]["links"] == []
    # The guide's backlinks section names the objects whose docstrings link to it.
    html = site.html("guide/index.html" if directory_urls else "guide.html")
    incoming = html.split('id="backlinks-incoming-title"')[1].split("</section>")[0]
    top = "../" if directory_urls else ""
    assert f'<a href="{top}{api}#pkg.Foo">API \u203a Foo</a>' in incoming
    assert f'<a href="{top}{api}#pkg.Foo.run">API \u203a run</a>' in incoming
    assert "Home \u203a Start</a>" in incoming


@pytest.mark.slow
def test_autorefs_without_backlinks_tracking_leaves_pages_alone(make_site: Any) -> None:
    """A site with autorefs but no reference still builds, with the plain links recorded."""
    site = make_site(
        {"index.md": "# Home\n\n## Start\n\n[Guide](guide.md).\n", "guide.md": "# Guide\n"},
        plugins=["autorefs", {"backlinks": {"metadata": {"enabled": False}}}],
    )
    site.build()
    assert rows(site.graph(), "index.md") == [("guide.md", "", "Guide", "start", "guide.md")]


@pytest.mark.slow
def test_cross_references_with_backlinks_alone(
    make_site: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With only the backlinks on, the graph keeps no page's own links, except a page with
    cross-references, which is read back when they resolve: its plain links stay backlinks."""
    site = make_site(
        PAGES,
        plugins=[
            "autorefs",
            {"mkdocstrings": {"handlers": {"python": {"paths": ["src"]}}}},
            {
                "backlinks": {
                    "credits": False,
                    "export": False,
                    "metadata": {"enabled": False},
                    "outreach": {"enabled": False},
                    "mentions": {"enabled": False},
                }
            },
        ],
    )
    (site.root / "src/pkg").mkdir(parents=True)
    (site.root / "src/pkg/__init__.py").write_text(PACKAGE, encoding="utf-8")
    monkeypatch.chdir(site.root)
    site.build()

    def incoming(path: str) -> str:
        html = site.html(path)
        return html.split('id="backlinks-incoming-title"')[1].split("</section>")[0]

    guide = incoming("guide/index.html")
    # The home page's plain link, beside its cross-references, and the docstrings' links.
    assert '<a href="../#start">Home \u203a Start</a>' in guide
    assert '<a href="../api/#pkg.Foo">API \u203a Foo</a>' in guide
    assert '<a href="../api/#pkg.Foo.run">API \u203a run</a>' in guide
    api = incoming("api/index.html")
    assert '<a href="../#start">Home \u203a Start</a>' in api
    assert '<a href="../guide/#setup">Guide \u203a Setup</a>' in api
    assert '<a href="guide/#install-it">Guide \u203a Install it</a>' in incoming("index.html")
