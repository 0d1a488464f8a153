"""The plugin's hooks called one by one on a validated config, without a full build.

Between the pure units and the real `mkdocs build` of a temporary site: each test loads a real
`mkdocs.yml`, takes the plugin instance MkDocs made from it, and calls its hooks in MkDocs'
order on real `Page` objects, so it can look at what each hook leaves behind (the Markdown
extension, the theme's template folder, the context a template gets, the page's HTML) and at
the errors a hook raises, where a build would only show the end result.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jinja2
import pytest
import yaml
from mkdocs.config import load_config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files, get_files
from mkdocs.structure.nav import Navigation, get_navigation
from mkdocs.structure.pages import Page

from mkdocs_backlinks.plugin import BacklinksPlugin

PAGES = {
    "index.md": "# Home\n\nRead [the guide](guide.md#setup) and [MkDocs](https://www.mkdocs.org/).\n",
    "guide.md": "# Guide\n\n## Setup\n\nBack [home](index.md).\n",
}


class Hooks:
    """A site on disk, its validated config, and our plugin's hooks run in build order."""

    def __init__(self, root: Path, pages: dict[str, str], options: dict[str, Any]) -> None:
        for path, text in pages.items():
            target = root / "docs" / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(textwrap.dedent(text), encoding="utf-8")
        document = {
            "site_name": "Hooks",
            "site_url": "https://example.org/docs/",
            "plugins": [{"backlinks": {"metadata": {"enabled": False}, **options}}],
        }
        (root / "mkdocs.yml").write_text(yaml.safe_dump(document), encoding="utf-8")
        self.config: MkDocsConfig = load_config(str(root / "mkdocs.yml"))
        plugin = self.config.plugins["backlinks"]
        assert isinstance(plugin, BacklinksPlugin)
        self.plugin = plugin
        self.files = Files([])
        self.nav: Navigation | None = None

    def configure(self, command: str = "build") -> None:
        self.plugin.on_startup(command=command, dirty=False)
        self.config = self.plugin.on_config(self.config)
        self.plugin.on_pre_build(config=self.config)
        self.files = get_files(self.config)
        nav = get_navigation(self.files, self.config)
        self.nav = self.plugin.on_nav(nav, config=self.config, files=self.files)

    def page(self, src: str) -> Page:
        page = self.files.get_file_from_path(src).page  # type: ignore[union-attr]
        assert page is not None
        return page

    def convert(self) -> None:
        """What MkDocs does for every page before it renders any template."""
        for file in self.files.documentation_pages():
            page = file.page
            assert page is not None
            page.read_source(self.config)
            assert page.markdown is not None
            page.markdown = self.plugin.on_page_markdown(
                page.markdown, page=page, config=self.config, files=self.files
            )
            page.render(self.config, self.files)
            assert page.content is not None
            page.content = self.plugin.on_page_content(
                page.content, page=page, config=self.config, files=self.files
            )

    def render(self, src: str) -> tuple[dict[str, Any], str]:
        """The context the page's template gets, and the page's final HTML."""
        env = self.plugin.on_env(self.config.theme.get_env(), config=self.config, files=self.files)
        assert self.nav is not None
        page = self.page(src)
        context: dict[str, Any] = {"page": page}
        context = dict(
            self.plugin.on_page_context(
                context,  # type: ignore[arg-type]
                page=page,
                config=self.config,
                nav=self.nav,
            )
        )
        template = env.from_string("<main>{{ page.content }}</main>")
        output = self.plugin.on_post_page(template.render(context), page=page, config=self.config)
        return context, output


@pytest.fixture
def hooks(tmp_path: Path) -> Iterator[Any]:
    made: list[Hooks] = []

    def factory(pages: dict[str, str] | None = None, **options: Any) -> Hooks:
        made.append(Hooks(tmp_path / f"site{len(made)}", pages or PAGES, options))
        return made[-1]

    yield factory
    for each in made:
        each.plugin.on_shutdown()


def test_on_config_adds_the_collector_and_the_templates_after_the_users(hooks: Any) -> None:
    site = hooks(outreach={"enabled": False})
    before = list(site.config.theme.dirs)
    site.configure()
    names = [type(ext).__name__ for ext in site.config.markdown_extensions]
    assert sum(1 for n in names if "Collector" in n) == 1
    assert site.config.theme.dirs[: len(before)] == before  # a custom_dir still wins
    added = Path(site.config.theme.dirs[-1])
    assert (added / "backlinks" / "credits.html").is_file()


def test_links_found_in_conversion_reach_the_sections_of_the_linked_page(hooks: Any) -> None:
    site = hooks(outreach={"enabled": False}, mentions={"enabled": False})
    site.configure()
    site.convert()
    context, output = site.render("guide.md")
    sections = context["backlinks"]
    assert sections.credits_html == ""  # the guide cites nothing
    assert "Home" in sections.backlinks_html
    assert sections.backlinks_html in output  # pasted into the final HTML, marker gone
    assert "<!--" not in output.split("<main>", 1)[1].split("</main>", 1)[0]
    context, output = site.render("index.md")
    assert "mkdocs.org" in context["backlinks"].credits_html
    assert "MkDocs" in output


def test_the_sections_stay_out_of_page_content(hooks: Any) -> None:
    """Search indexes and feeds read `page.content`: they must not index the sections."""
    site = hooks(outreach={"enabled": False}, mentions={"enabled": False})
    site.configure()
    site.convert()
    site.render("guide.md")
    content = site.page("guide.md").content or ""
    assert "Home" not in content.replace("Back", "")
    assert "Pages that link here" not in content


def test_a_bad_front_matter_option_names_the_page_and_the_key(hooks: Any) -> None:
    site = hooks(
        {"index.md": "---\nbacklinks:\n  credits: maybe\n---\n# Home\n"},
        outreach={"enabled": False},
    )
    site.configure()
    with pytest.raises(PluginError, match=r"index\.md.*credits"):
        site.convert()


def test_a_page_can_opt_out_of_tracking(hooks: Any) -> None:
    pages = {**PAGES, "index.md": "---\nbacklinks:\n  track: false\n---\n" + PAGES["index.md"]}
    site = hooks(pages, outreach={"enabled": False}, mentions={"enabled": False})
    site.configure()
    site.convert()
    context, _ = site.render("guide.md")
    assert "Home" not in context["backlinks"].backlinks_html


def test_a_data_folder_inside_docs_is_refused_naming_the_option(hooks: Any) -> None:
    site = hooks(data_dir="docs/private")
    with pytest.raises(PluginError, match="data_dir"):
        site.configure()


def test_serve_leaves_the_ledger_alone_unless_asked(hooks: Any) -> None:
    site = hooks(mentions={"enabled": False})
    site.configure(command="serve")
    site.convert()
    site.render("index.md")
    site.plugin.on_post_build(config=site.config)
    data = Path(site.config.config_file_path).parent / "backlinks"
    assert not (data / "ledger.json").exists()

    built = hooks(mentions={"enabled": False})
    built.configure(command="build")
    built.convert()
    built.render("index.md")
    built.plugin.on_post_build(config=built.config)
    data = Path(built.config.config_file_path).parent / "backlinks"
    assert (data / "ledger.json").is_file()


def test_a_second_build_under_serve_forgets_a_removed_link(hooks: Any) -> None:
    """`mkdocs serve` keeps the plugin instance: a link deleted in an edit must not survive."""
    site = hooks(outreach={"enabled": False}, mentions={"enabled": False})
    site.configure(command="serve")
    site.convert()
    context, _ = site.render("guide.md")
    assert "Home" in context["backlinks"].backlinks_html
    docs = Path(site.config.docs_dir)
    (docs / "index.md").write_text("# Home\n\nNo links now.\n", encoding="utf-8")
    site.config = load_config(site.config.config_file_path)
    assert site.config.plugins["backlinks"] is site.plugin  # as serve reuses it
    site.configure(command="serve")
    site.convert()
    context, _ = site.render("guide.md")
    assert "Home" not in context["backlinks"].backlinks_html


def test_a_page_converted_after_on_env_joins_the_graph_at_once(hooks: Any) -> None:
    """Pages join the graph a batch at a time while the site converts, the last batch in
    on_env; a page another plugin converts after that is added as soon as it converts."""
    site = hooks(outreach={"enabled": False}, mentions={"enabled": False})
    site.configure()
    site.convert()
    assert site.plugin.graph.pages == {}  # two pages: less than a batch, waiting for on_env
    site.render("guide.md")
    assert [link.target for link in site.plugin.graph.links_from("guide.md")] == ["index.md"]
    page = site.page("guide.md")
    markdown = "# Guide\n\nSee [the home page](index.md) and [MkDocs](https://www.mkdocs.org/).\n"
    page.markdown = site.plugin.on_page_markdown(
        markdown, page=page, config=site.config, files=site.files
    )
    page.render(site.config, site.files)
    site.plugin.on_page_content(page.content or "", page=page, config=site.config, files=site.files)
    assert [(link.target, link.text) for link in site.plugin.graph.links_from("guide.md")] == [
        ("index.md", "the home page"),
        ("https://www.mkdocs.org/", "MkDocs"),
    ]


def test_a_page_read_again_goes_by_its_last_front_matter(hooks: Any) -> None:
    """Only a page that turns a section off is remembered; read again without the key (a
    plugin may convert a page twice), it shows every section again."""
    site = hooks(outreach={"enabled": False}, mentions={"enabled": False})
    site.configure()
    page = site.page("guide.md")
    for meta, shown in (({"backlinks": {"backlinks": False}}, False), ({}, True)):
        page.meta = meta
        site.plugin.on_page_markdown("# Guide\n", page=page, config=site.config, files=site.files)
        assert site.plugin.sections.wants_mentions("guide.md") is shown


def test_the_template_context_carries_the_sections_for_a_theme(hooks: Any) -> None:
    site = hooks(outreach={"enabled": False}, mentions={"enabled": False}, auto_append=False)
    site.configure()
    site.convert()
    context, output = site.render("guide.md")
    sections = context["backlinks"]
    env = jinja2.Environment(autoescape=True)
    placed = env.from_string("{{ backlinks.backlinks_html | safe }}").render(context)
    assert placed == sections.backlinks_html
    assert sections.backlinks_html not in output  # not appended when auto_append is off
