"""The sections' one source of truth: what the renderer writes is what the templates write.

The renderer compiles the templates once per build and renders them with its own shortcuts
(`sections.engine`: output escaping without a `Markup` per value, a context prepared once,
the words as attributes, each heading rendered once). Every graph here is rendered by it and
by a plain Jinja environment rendering the same template files with the documented variables,
and the two must be equal to the byte. Inputs are hand-picked edge cases plus seeded random
graphs with hostile values and every way the `toc` extension links headings, so a shortcut
that changed a byte of any template's output fails here.
"""

from __future__ import annotations

import random
import traceback
from pathlib import Path
from typing import Any

import jinja2
import pytest
import yaml
from markupsafe import Markup
from mkdocs.commands.build import build
from mkdocs.config import load_config

from mkdocs_backlinks.config import BacklinksConfig
from mkdocs_backlinks.graph.linkgraph import Link, LinkGraph, PageInfo
from mkdocs_backlinks.links.urls import relative_url, relative_urls_from
from mkdocs_backlinks.mentions.views import Face, PageMentions, Reaction, ShownMention
from mkdocs_backlinks.sections.engine import esc
from mkdocs_backlinks.sections.headings import (
    DEFAULT_IDS,
    NO_PERMALINKS,
    SectionIds,
    TocSettings,
    toc_settings,
)
from mkdocs_backlinks.sections.locales import strings_for
from mkdocs_backlinks.sections.render import (
    TEMPLATES_DIR,
    PageSections,
    SectionRenderer,
    _fold,
    fold_credits,
)
from mkdocs_backlinks.works.model import WorkMeta

HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(2)>',
    "javascript:alert(3)",
    'Tom & Jerry\'s "best" <b>bits</b>',
    "{count} {{ strings }} {% if x %}",
    "\u00dcn\u00efc\u00f6d\u00e9 \u203a \u2713 \u65e5\u672c\u8a9e \u2013 \u201cquoted\u201d",
    "&amp; already &lt;escaped&gt;",
    " leading and trailing spaces ",
    "",
]

TOCS = [
    NO_PERMALINKS,
    toc_settings({"toc": {"permalink": True}}),
    toc_settings({"toc": {"permalink": "#", "permalink_leading": True, "anchorlink": True}}),
    toc_settings(
        {
            "toc": {
                "permalink": "&#128279; <\u00b6>",
                "permalink_class": 'a "b" & c',
                "permalink_title": "",
                "anchorlink": True,
                "anchorlink_class": "x<y>",
            }
        }
    ),
]


def default_strings() -> dict[str, Any]:
    cfg = BacklinksConfig()
    cfg.load_dict({})
    failed, _ = cfg.validate()
    assert not failed
    return strings_for("en")  # what a site in English shows


def hostile_strings() -> dict[str, Any]:
    return {
        **default_strings(),
        "credits_title": "Sources <&> \"quoted\" 'single'",
        "backlinks_title": "Cit\u00e9 par <script>x</script>",
        "mentions_title": "Ailleurs & <b>plus</b>",
        "section_separator": " &gt; <i>/</i> ",
        "cited_times": '{count}\u00d7 <b>"&"</b> {count}',
        "by_author": "von <&>",
        "broken_label": "kaputt <b>",
        "gone_label": "weg & fort",
        "more_entries": "<b>{count}</b> & more {count}",
    }


def plain_jinja(
    strings: dict[str, Any], max_entries: int = 20, toc: TocSettings = NO_PERMALINKS
) -> Any:
    """The reference: the template files rendered by a stock autoescaping Jinja environment
    with `Template.render` and the documented variables, nothing prepared or kept."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    credits_template = env.get_template("backlinks/credits.html")
    backlinks_template = env.get_template("backlinks/backlinks.html")

    def render(
        graph: LinkGraph,
        src: str,
        page_url: str,
        metadata: dict[str, WorkMeta] | None = None,
        mentions: PageMentions | None = None,
        ids: SectionIds = DEFAULT_IDS,
    ) -> tuple[str, str]:
        common = {
            "strings": dict(strings),
            "toc": toc,
            "ids": ids,
            "heading": env.get_template("backlinks/heading.html").module.heading,  # type: ignore[attr-defined]
        }
        credits = backlinks = ""
        groups = graph.credit_groups(src, metadata)
        if groups:
            shown, more, count = fold_credits(groups, max_entries)
            credits = credits_template.render(
                common, credits=shown, more_credits=more, more_count=count
            )
        entries = graph.backlink_entries(src, page_url)
        if entries or mentions:
            shown_entries, more_entries = _fold(tuple(entries), max_entries)
            items, more_items = _fold(mentions.items if mentions else (), max_entries)
            backlinks = backlinks_template.render(
                common,
                backlinks=shown_entries,
                more_backlinks=more_entries,
                mentions=mentions,
                mention_items=items,
                more_mentions=more_items,
            )
        return credits, backlinks

    return render


def assert_same(
    graph: LinkGraph,
    strings: dict[str, Any],
    metadata: dict[str, WorkMeta] | None = None,
    url_of: dict[str, str] | None = None,
    max_entries: int = 20,
    toc: TocSettings = NO_PERMALINKS,
    mentions: PageMentions | None = None,
) -> int:
    """Render every page of `graph` both ways; returns how many sections were not empty."""
    ours = SectionRenderer(None, strings, max_entries, toc)
    reference = plain_jinja(strings, max_entries, toc)
    shown = 0
    for src, info in graph.pages.items():
        page_url = (url_of or {}).get(src, info.url)
        ids = DEFAULT_IDS if len(src) % 2 else SectionIds("c_1", "b-2", "m&3")
        a = ours.render_page(graph, src, page_url, metadata=metadata, mentions=mentions, ids=ids)
        credits, backlinks = reference(graph, src, page_url, metadata, mentions, ids)
        assert str(a.credits_html) == credits, src
        assert str(a.backlinks_html) == backlinks, src
        # ... and the data objects handed to themes are the graph's.
        groups = graph.credit_groups(src, metadata)
        entries = graph.backlink_entries(src, page_url)
        assert a.credits == tuple(groups)
        assert a.backlinks == tuple(entries)
        shown += bool(a.credits_html) + bool(a.backlinks_html)
    return shown


# --------------------------------------------------------------------------- hand-picked


def page(src: str, url: str, title: str, sections: dict[str, str] | None = None) -> PageInfo:
    return PageInfo(src, url, title, sections or {})


def internal(source: str, target: str, text: str = "t", context: str = "", section: str = ""):
    return Link(source, target, target, "", text, context, section, (), True)


def cite(source: str, url: str, text: str = "", href: str | None = None) -> Link:
    return Link(source, href or url, url, "", text, "", "", (), False)


def edge_graph(directory_urls: bool) -> LinkGraph:
    def url(path: str) -> str:
        if path == "index":
            return "" if directory_urls else "index.html"
        return f"{path}/" if directory_urls else f"{path}.html"

    graph = LinkGraph()
    graph.add_page(page("index.md", url("index"), "Home", {"home": "Home"}), [])
    graph.add_page(
        page("a.md", url("a"), "Page A", {"page-a": "Page A", "part": "Part <one>", "x": ""}),
        [
            internal("a.md", "b/c.md", "to c", "Sentence with <b>tags</b> & 'quotes'.", "part"),
            internal("a.md", "b/c.md", "again", "Sentence with <b>tags</b> & 'quotes'.", "part"),
            internal("a.md", "b/c.md", "same sentence", "Another one.", "part"),
            internal("a.md", "b/c.md", "h1", "In the h1 section.", "page-a"),
            internal("a.md", "b/c.md", "no ctx", "", ""),
            internal("a.md", "b/c.md", "unknown section", "x", "gone-section"),
            internal("a.md", "index.md", "home", "Home link.", "x"),
            cite("a.md", "https://x.org/w", "Work", href="https://x.org/w?utm_source=a#f"),
            cite("a.md", "https://x.org/w", "second text"),
            cite("a.md", "https://x.org/w", "third"),
            cite("a.md", "https://www.y.org/", ""),
            cite("a.md", "https://dead.example/", "dead"),
            cite("a.md", "https://gone.example/", "gone"),
            cite("a.md", "https://noauthorurl.example/", "n"),
            cite("a.md", "https://onlyurl.example/", "o"),
            cite("a.md", "https://hostile.example/", HOSTILE[0], href=HOSTILE[1]),
        ],
    )
    graph.add_page(
        page("b/c.md", url("b/c"), 'C & "co" <i>', {"s": "S"}),
        [
            internal("b/c.md", "a.md", "back", "Back to A.", "s"),
            internal("b/c.md", "b/d e.md", "sibling", "Sibling.", "s"),
            internal("b/c.md", "b/c.md", "self", "Self link.", ""),
        ],
    )
    graph.add_page(
        page("b/d e.md", url("b/d%20e"), "Spaced", {}),
        [internal("b/d e.md", "b/c.md", "up", "Up.", ""), internal("b/d e.md", "index.md")],
    )
    graph.add_page(page("lonely.md", url("lonely"), "Lonely"), [])
    return graph


EDGE_META = {
    "https://x.org/w": WorkMeta(status="ok", title="The <Work>", author="Ada & co"),
    "https://www.y.org/": WorkMeta(status="redirected", author="Y", author_url="https://y.org/"),
    "https://dead.example/": WorkMeta(status="broken", title="Dead", author="D"),
    "https://gone.example/": WorkMeta(status="gone"),
    "https://noauthorurl.example/": WorkMeta(status="unreachable", author="No URL"),
    # only an author URL: WorkMeta is falsy, so the credit shows nothing of it
    "https://onlyurl.example/": WorkMeta(author_url="https://onlyurl.example/me"),
    "https://hostile.example/": WorkMeta(
        status="gone", title=HOSTILE[1], author=HOSTILE[0], author_url="javascript:alert(9)"
    ),
}


@pytest.mark.parametrize("directory_urls", [True, False])
@pytest.mark.parametrize("strings", [default_strings, hostile_strings])
@pytest.mark.parametrize("metadata", [None, {}, EDGE_META])
def test_edge_cases_render_the_same(
    directory_urls: bool, strings: Any, metadata: dict[str, WorkMeta] | None
) -> None:
    graph = edge_graph(directory_urls)
    assert assert_same(graph, strings(), metadata) == 5  # a: both; c, index, a: backlinks


def test_edge_cases_show_what_they_should() -> None:
    """The comparison above compares real content: statuses, authors, counts, escaping."""
    renderer = SectionRenderer(None, hostile_strings())
    graph = edge_graph(True)
    html = str(renderer.render_page(graph, "a.md", "a/", metadata=EDGE_META).html)
    assert "backlinks-credits__work--broken" in html
    assert "backlinks-credits__work--gone" in html
    # status labels are badges (the stylesheet styles them), without parentheses
    assert '__status">weg &amp; fort</small>' in html
    assert '__status">kaputt &lt;b&gt;</small>' in html
    assert "3\u00d7 &lt;b&gt;&#34;&amp;&#34;&lt;/b&gt; 3" in html
    assert 'von &lt;&amp;&gt; <a href="https://y.org/" rel="author noopener">Y</a>' in html
    assert "von &lt;&amp;&gt; No URL</span>" in html
    assert "onlyurl.example/me" not in html
    assert "<script>" not in html and "<img" not in html
    assert 'href="javascript:' in html  # escaped text in an attribute, as the template does
    c = str(renderer.render_page(graph, "b/c.md", "b/c/").backlinks_html)
    # 8 links: a.md's repeated sentence shows once; its own link and b/d e.md's count
    assert c.count('class="backlinks-incoming__item"') == 7
    assert "Page A &amp;gt; &lt;i&gt;/&lt;/i&gt; Part &lt;one&gt;" in c  # escaped text
    assert 'href="../../a/#page-a">Page A</a>' in c  # h1 section: the page title only


# --------------------------------------------------------------------------- random graphs


def random_graph(rng: random.Random, directory_urls: bool) -> tuple[LinkGraph, dict[str, str]]:
    """A site of nested pages with random titles, sections, links and citations."""
    folders = ["", "a/", "a/b/", "c d/", "é/", "x/y/z/"]
    names = ["index", "p", "q r", "s&t", "u'v"]
    sources = sorted({rng.choice(folders) + rng.choice(names) + ".md" for _ in range(12)})
    values = [*HOSTILE, "Plain title", "Another", "Same"]
    infos: dict[str, PageInfo] = {}
    url_of: dict[str, str] = {}
    for src in sources:
        stem = src[: -len(".md")]
        if stem.endswith("index"):
            stem = stem[: -len("index")]
            url = (stem or "./") if directory_urls else stem + "index.html"
            url = "" if url == "./" and rng.random() < 0.5 else url
        else:
            url = stem.replace(" ", "%20") + ("/" if directory_urls else ".html")
        title = rng.choice(values)
        sections = {f"s{i}": rng.choice([*values, title]) for i in range(rng.randint(0, 4))}
        infos[src] = PageInfo(src, url, title, sections)
        url_of[src] = url
    works = [f"https://{host}/{path}" for host in ("x.org", "www.y.org", "z.net") for path in "ab"]
    meta: dict[str, WorkMeta] = {}
    for work in works:
        if rng.random() < 0.7:
            meta[work] = WorkMeta(
                status=rng.choice(["", "ok", "redirected", "broken", "gone", "unreachable"]),
                title=rng.choice(values),
                author=rng.choice(values),
                author_url=rng.choice(["", "https://author.example/", HOSTILE[2]]),
            )
    graph = LinkGraph()
    for src, info in infos.items():
        links: list[Link] = []
        contexts = [rng.choice(values) for _ in range(3)]
        for _ in range(rng.randint(0, 12)):
            section = rng.choice(["", *info.sections, "missing"])
            if rng.random() < 0.6:
                target = rng.choice(sources)
                links.append(
                    Link(src, target, target, "", rng.choice(values), rng.choice(contexts),
                         section, (), True)
                )  # fmt: skip
            else:
                work = rng.choice(works)
                href = rng.choice([work, work + "#frag", HOSTILE[1], HOSTILE[2]])
                links.append(Link(src, href, work, "", rng.choice(values), "", section, (), False))
        graph.add_page(info, links)
    return graph, meta


@pytest.mark.parametrize("seed", range(40))
def test_random_graphs_render_the_same(seed: int) -> None:
    rng = random.Random(seed)
    graph, meta = random_graph(rng, directory_urls=seed % 2 == 0)
    strings = hostile_strings() if seed % 3 == 0 else default_strings()
    toc = TOCS[seed % len(TOCS)]
    shown = assert_same(graph, strings, meta if seed % 4 else None, toc=toc)
    assert shown > 0 or not any(graph.links_from(src) for src in graph.pages)


@pytest.mark.parametrize("seed", range(12))
def test_folded_lists_render_the_same(seed: int) -> None:
    """Long lists fold past `max_entries` the same way in both renderings, wherever the limit
    falls: inside a site's works, between two sites, past the end."""
    rng = random.Random(1000 + seed)
    graph, meta = random_graph(rng, directory_urls=seed % 2 == 0)
    strings = hostile_strings() if seed % 3 == 0 else default_strings()
    for limit in (1, 2, 3, 5, 0):
        assert_same(graph, strings, meta if seed % 4 else None, max_entries=limit)
    renderer = SectionRenderer(None, strings, 1)
    folded = [renderer.render_page(graph, src, info.url) for src, info in graph.pages.items()]
    assert any("<details" in s.credits_html for s in folded)
    assert any("<details" in s.backlinks_html for s in folded)


@pytest.mark.slow
def test_random_graphs_seen_from_other_urls() -> None:
    """A page may be shown at a URL other than its own (the hook passes page.url)."""
    rng = random.Random(99)
    for _ in range(10):
        graph, meta = random_graph(rng, directory_urls=True)
        moved = {
            src: rng.choice(["", "./", "deep/er/", "x/", "a/b/", "a/c.html"]) for src in graph.pages
        }
        assert_same(graph, default_strings(), meta, url_of=moved)


def test_relative_urls_from_matches_relative_url() -> None:
    rng = random.Random(7)
    parts = ["a", "b", "c d", "é", "", "x.html", "index.html"]
    urls = ["", "./", "#top", "./#f", "a/", "a/#x", "a/b/", "a/b.html", "a/b/c/", "b/", "x.html"]
    for _ in range(300):
        url = "/".join(rng.choice(parts) for _ in range(rng.randint(1, 4)))
        urls.append(url + rng.choice(["", "/", "#frag", "/#frag"]))
    for from_url in urls:
        relative = relative_urls_from(from_url)
        for url in urls:
            assert relative(url) == relative_url(url, from_url), (url, from_url)


# --------------------------------------------------------------------------- escaping


@pytest.mark.parametrize(
    "value",
    [*HOSTILE, Markup("<b>kept</b>"), 3, "a\x00b", "'", '"', ">", "<", "&"],
)
def test_esc_is_what_autoescaping_prints(value: Any) -> None:
    env = jinja2.Environment(autoescape=True)
    assert esc(value) == env.from_string("{{ v }}").render(v=value)


# --------------------------------------------------------------------------- what Jinja sees

MENTIONS = PageMentions(
    items=(
        ShownMention(
            "reply", "Ann <x>", "https://ann.example/", None, "https://ann.example/r",
            "1 May", "2024-05-01", "replied", "", Markup("<p>Hi</p>"),
        ),
    ),
    reactions=(Reaction("like", 2, "2 likes", (Face("B", "https://b.example/", None),), 1),),
)  # fmt: skip


@pytest.mark.parametrize("toc", TOCS)
@pytest.mark.parametrize("strings", [default_strings, hostile_strings])
def test_mentions_render_the_same(toc: TocSettings, strings: Any) -> None:
    """Mentions (with and without pages linking here: the h3 heading or the h2 alone)."""
    graph = edge_graph(True)
    assert assert_same(graph, strings(), toc=toc, mentions=MENTIONS) == 6
    renderer = SectionRenderer(None, strings(), toc=toc)
    a = renderer.render_page(graph, "b/c.md", "b/c/", mentions=MENTIONS)
    assert "backlinks-mentions" in a.backlinks_html and "Ann &lt;x&gt;" in a.backlinks_html
    assert 'class="backlinks-mentions__title" id="backlinks-mentions-title"' in a.backlinks_html
    # mentions alone (no page of the site links here) still make a section
    alone = renderer.render_page(graph, "lonely.md", "lonely/", mentions=MENTIONS)
    assert "backlinks-mentions" in alone.backlinks_html
    assert "backlinks-mentions__title" not in alone.backlinks_html
    # and a page whose backlinks are switched off shows no mentions either
    off = renderer.render_page(graph, "b/c.md", "b/c/", backlinks=False, mentions=MENTIONS)
    assert off.backlinks_html == "" and off.mentions is None


def test_user_templates_are_what_renders(tmp_path: Path) -> None:
    """A user's file wins over ours, one at a time, the heading's included, and gets the
    same shortcuts: its output is what Jinja writes for it."""
    (tmp_path / "backlinks").mkdir()
    (tmp_path / "backlinks" / "credits.html").write_text(
        "C{{ credits | length }}{{ strings.credits_title }}{{ credits[0].site }}"
        "{{ heading('h4', ids.credits, '<T>', toc) }}"
    )
    loader = jinja2.FileSystemLoader(str(tmp_path))
    toc = toc_settings({"toc": {"permalink": True}})
    renderer = SectionRenderer(loader, hostile_strings(), toc=toc)
    graph = edge_graph(True)
    credits = renderer.render_page(graph, "a.md", "a/").credits_html
    assert credits == (
        "C7Sources &lt;&amp;&gt; &#34;quoted&#34; &#39;single&#39;dead.example"
        '<h4 id="backlinks-credits-title">&lt;T&gt;<a class="headerlink" '
        'href="#backlinks-credits-title" title="Permanent link">&para;</a></h4>'
    )
    backlinks = renderer.render_page(graph, "b/c.md", "b/c/").backlinks_html
    assert backlinks.startswith('<section class="backlinks backlinks-incoming"')  # ours
    (tmp_path / "backlinks" / "backlinks.html").write_text("B{{ backlinks | length }}")
    (tmp_path / "backlinks" / "heading.html").write_text(
        "{% macro heading(tag, id, title, toc, classes='') %}<p id={{ id }}>{{ title }}</p>"
        "{% endmacro %}"
    )
    renderer = SectionRenderer(loader, default_strings(), toc=toc)
    sections = renderer.render_page(graph, "b/c.md", "b/c/")
    assert sections.backlinks_html == "B7"
    html = renderer.render_page(graph, "a.md", "a/").credits_html
    assert html.endswith("<p id=backlinks-credits-title>&lt;T&gt;</p>")


def test_a_heading_template_without_the_macro_is_named(tmp_path: Path) -> None:
    (tmp_path / "backlinks").mkdir()
    (tmp_path / "backlinks" / "heading.html").write_text("{% macro title() %}{% endmacro %}")
    with pytest.raises(jinja2.TemplateRuntimeError, match=r"heading\.html has no macro 'heading'"):
        SectionRenderer(jinja2.FileSystemLoader(str(tmp_path)), default_strings())


def test_a_users_template_error_names_its_line(tmp_path: Path) -> None:
    (tmp_path / "backlinks").mkdir()
    (tmp_path / "backlinks" / "credits.html").write_text("ok\n{{ credits[0].nope.deeper }}\n")
    renderer = SectionRenderer(jinja2.FileSystemLoader(str(tmp_path)), default_strings())
    with pytest.raises(jinja2.UndefinedError) as error:
        renderer.render_page(edge_graph(True), "a.md", "a/")
    frames = [(f.filename, f.lineno) for f in traceback.extract_tb(error.value.__traceback__)]
    assert (str(tmp_path / "backlinks" / "credits.html"), 2) in frames


def test_switched_off_sections_render_nothing() -> None:
    renderer = SectionRenderer(None, default_strings())
    graph = edge_graph(True)
    sections = renderer.render_page(graph, "a.md", "a/", credits=False, backlinks=False)
    assert sections == PageSections((), (), Markup(""), Markup(""))


# --------------------------------------------------------------------------- real builds

SITE = {
    "index.md": "# Home\n\nCite [w](https://w.example.com/) and see [other](sub/other.md).\n",
    "sub/other.md": "# Other\n\n## Part\n\nBack [home](../index.md) from a part.\n",
}


def test_build_with_both_templates_overridden(make_site: Any) -> None:
    site = make_site(SITE, theme={"name": "mkdocs", "custom_dir": "overrides"})
    overrides = site.root / "overrides" / "backlinks"
    overrides.mkdir(parents=True)
    (overrides / "credits.html").write_text(
        "<aside id=c>{% for g in credits %}{{ g.site }}{% endfor %}</aside>", encoding="utf-8"
    )
    (overrides / "backlinks.html").write_text(
        "<aside id=b>{% for e in backlinks %}{{ e.url }}|{{ e.section_title }}{% endfor %}</aside>",
        encoding="utf-8",
    )
    site.build()
    home = site.html("index.html")
    assert "<aside id=c>w.example.com</aside>" in home
    assert "<aside id=b>sub/other/#part|Part</aside>" in home
    assert "backlinks-credits" not in home and "backlinks-incoming" not in home
    assert "<aside id=b>../../#home|</aside>" in site.html("sub/other/index.html")


@pytest.mark.parametrize("use_directory_urls", [True, False])
def test_build_theme_reads_the_data_made_on_first_use(
    make_site: Any, use_directory_urls: bool
) -> None:
    site = make_site(
        SITE,
        {"auto_append": False},
        theme={"name": "mkdocs", "custom_dir": "overrides"},
        use_directory_urls=use_directory_urls,
    )
    (site.root / "overrides").mkdir()
    (site.root / "overrides" / "main.html").write_text(
        '{% extends "base.html" %}\n{% block content %}{{ super() }}<div id="data">'
        "{% for e in backlinks.backlinks %}[{{ e.url }} {{ e.title }} {{ e.section_title }}]"
        "{% endfor %}{% for g in backlinks.credits %}({{ g.site }} {{ g.entries[0].href }})"
        "{% endfor %}</div>{{ backlinks.html }}{% endblock %}\n",
        encoding="utf-8",
    )
    site.build()
    home = site.html("index.html")
    other_url = "sub/other/#part" if use_directory_urls else "sub/other.html#part"
    assert (
        f'<div id="data">[{other_url} Other Part](w.example.com https://w.example.com/)</div>'
        in home
    )
    assert home.count('<section class="backlinks backlinks-credits"') == 1
    other = site.html("sub/other/index.html" if use_directory_urls else "sub/other.html")
    home_url = "../../#home" if use_directory_urls else "../index.html#home"
    assert f'<div id="data">[{home_url} Home ]</div>' in other
    assert f'<a href="{home_url}">Home</a>' in other  # the section's HTML, same URL
    # the h1 section is the page itself: no section title beside the page's


AWKWARD_SITE = {
    "index.md": """\
        # Home & 'co' <b>x</b>

        See [the guide](sub/README.md#part-two) and [ spaced](./caf\u00e9/\u00fc.md). Also
        [dup](https://ex.org/a?x=1&y=2), [dup again](https://ex.org/a?x=1&y=2) and
        [q](d%20e/x.md?v=1#top).
        """,
    "sub/README.md": """\
        # Guide \u201cquoted\u201d

        ## Part two

        Back [home](../index.md) and [up](../) and [self](#part-two), then
        [<tag>](https://other.example/p'q). One more.  [ lone](../d e/x.md) here.
        """,
    "caf\u00e9/\u00fc.md": """\
        ---
        backlinks:
          credits: false
        ---
        # \u00dc & \u00e9

        Cites [w](https://w.example/) and [guide](../sub/README.md).
        Climbs [out](../../x.md) and [deep](../sub/../index.md).
        """,
    "d e/x.md": """\
        ---
        backlinks:
          backlinks: false
        ---
        # X

        [Home](../index.md#home-co-bx). [Guide](../sub/). [\u00fc](../caf%C3%A9/%C3%BC.md)
        """,
    "z/deep/er.md": "# Deep\n\n[root](../../index.md) [w](https://w.example/) [x](../../d e/x.md)",
}


@pytest.mark.parametrize("use_directory_urls", [True, False])
def test_real_builds_copies_of_the_templates_write_what_ours_write(
    make_site: Any, use_directory_urls: bool
) -> None:
    """Two builds of one awkward site (nested and non-ASCII paths, README pages, sections
    switched off per page, hostile titles and strings, a sub-path site_url), one rendering
    the shipped templates, one byte-identical copies of them in custom_dir (found by the
    theme's loader first): every page must be the same."""
    strings = {
        "credits_title": "Sources <&> 'x'",
        "backlinks_title": 'Cit\u00e9 "par"',
        "section_separator": " &gt; ",
        "cited_times": "{count}\u00d7 'times'",
    }
    outputs = []
    for copies in (False, True):
        site = make_site(
            AWKWARD_SITE,
            {"strings": strings},
            site_url="https://example.com/sub/",
            use_directory_urls=use_directory_urls,
            theme={"name": "mkdocs", "custom_dir": "overrides"},
        )
        (site.root / "overrides" / "backlinks").mkdir(parents=True)
        if copies:
            for name in ("credits.html", "backlinks.html", "heading.html"):
                shipped = TEMPLATES_DIR / "backlinks" / name
                (site.root / "overrides" / "backlinks" / name).write_bytes(shipped.read_bytes())
        site.build()
        outputs.append(site.pages())
    shipped, copies = outputs
    assert shipped == copies
    text = "".join(shipped.values())
    assert text.count('<section class="backlinks backlinks-credits"') == 3  # \u00fc.md: off
    assert text.count('<section class="backlinks backlinks-incoming"') == 3  # x.md: off
    assert "Sources &lt;&amp;&gt; &#39;x&#39;" in text and "2\u00d7 &#39;times&#39;" in text


def test_serve_like_rebuilds_pick_the_renderer_afresh(make_site: Any) -> None:
    """`mkdocs serve` keeps the plugin: an override added, a string changed or the override
    removed between rebuilds shows at the next one, whichever way the sections render."""
    site = make_site(SITE, theme={"name": "mkdocs", "custom_dir": "overrides"})
    overrides = site.root / "overrides" / "backlinks"
    overrides.mkdir(parents=True)
    plugin = None

    def rebuild() -> str:
        nonlocal plugin
        config = load_config(str(site.config_file))
        if plugin is None:
            config.plugins.on_startup(command="serve", dirty=False)
            plugin = config.plugins["backlinks"]
        assert config.plugins["backlinks"] is plugin  # MkDocs kept the instance
        build(config, serve_url="http://127.0.0.1:8000/")
        return site.html("index.html")

    assert '<section class="backlinks backlinks-credits"' in rebuild()
    (overrides / "credits.html").write_text("<aside id=c>{{ credits | length }}</aside>")
    home = rebuild()
    assert "<aside id=c>1</aside>" in home and "backlinks-credits" not in home
    set_strings = yaml.safe_load(site.config_file.read_text(encoding="utf-8"))
    set_strings["plugins"][0]["backlinks"]["strings"] = {"backlinks_title": "Cited by"}
    site.config_file.write_text(yaml.safe_dump(set_strings), encoding="utf-8")
    (overrides / "credits.html").unlink()
    home = rebuild()
    assert '<section class="backlinks backlinks-credits"' in home and "<aside" not in home
    other = site.html("sub/other/index.html")
    assert '<h2 id="backlinks-incoming-title">Cited by</h2>' in other


def test_mentions_alone_head_the_section_and_nothing_is_empty() -> None:
    """Only mentions: their title is the section's heading (no empty "Pages that link here"
    above it); a reply whose content was stripped to nothing gets no quote block; a face
    without a photo shows initials and keeps its name for screen readers."""
    renderer = SectionRenderer(None, default_strings())
    mentions = PageMentions(
        (
            ShownMention("reply", "Priya Raman", None, None, "https://p.example/1", "2026-01-02",
                         "2026-01-02T10:00:00Z", "replied", "", Markup("<p> </p>")),
        ),
        (Reaction("like", 2, "2 likes", (Face("Sam Ortega", "https://s.example/", None),
                                         Face("", "https://n.example/", None)), 0),),
    )  # fmt: skip
    html = str(renderer.render_page(LinkGraph(), "lonely.md", "lonely/", mentions=mentions).html)
    assert '<h2 id="backlinks-incoming-title">Elsewhere on the web</h2>' in html
    assert "Pages that link here" not in html and "backlinks-mentions__title" not in html
    assert "<blockquote" not in html
    assert '<span aria-hidden="true">SO</span>' in html
    assert '<span class="backlinks-visually-hidden">Sam Ortega</span>' in html
    assert '<span class="backlinks-avatar" aria-hidden="true">PR</span>' in html
    assert '<span aria-hidden="true">\u00b7</span>' in html  # no name: a neutral dot
    # with pages linking here too, the mentions keep their sub-heading under the section's
    graph = edge_graph(False)
    both = str(renderer.render_page(graph, "b/c.md", "b/c/", mentions=mentions).html)
    assert both.index("Pages that link here") < both.index("backlinks-mentions__title")


@pytest.mark.slow
def test_stylesheet_is_added_and_a_users_own_wins(make_site: Any) -> None:
    site = make_site({"index.md": "# Home\n", "b.md": "[home](index.md)\n"})
    site.build()
    css = site.site_dir / "assets" / "stylesheets" / "backlinks.css"
    assert css.read_text(encoding="utf-8") == (
        TEMPLATES_DIR.parent / "assets" / "backlinks.css"
    ).read_text(encoding="utf-8")
    assert 'href="../assets/stylesheets/backlinks.css"' in site.html("b/index.html")
    site.write("assets/stylesheets/backlinks.css", "/* mine */\n")
    site.build()
    assert css.read_text(encoding="utf-8") == "/* mine */\n"
    off = make_site({"index.md": "# Home\n"}, {"stylesheet": False})
    off.build()
    assert not (off.site_dir / "assets" / "stylesheets" / "backlinks.css").exists()
    assert "backlinks.css" not in off.html("index.html")
