"""The plugin's templates are compiled once and kept in the cache folder (`template_cache`).

Each site is built for real, in process, with Jinja's compiler counted: a second build of the
same sources compiles none of the plugin's templates and writes the same pages, an edited
template is compiled again and shows, and a damaged or unusable cache folder changes nothing
but the time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import pytest

from mkdocs_backlinks.outreach import formats, notes
from mkdocs_backlinks.outreach.formats import REVIEW_TEMPLATE
from mkdocs_backlinks.outreach.notes import NoteWriter
from mkdocs_backlinks.template_cache import TemplateCache, template_cache

OURS = ("backlinks/credits.html", "backlinks/backlinks.html", "backlinks/heading.html")
NOTES = ("note.txt", "thanks.txt")
PAGES = {
    "index.md": "# Home\n\nRead [the guide](guide.md) and [an essay](https://example.org/essay).\n",
    "guide.md": "# Guide\n\nBack [home](index.md).\n",
}


@pytest.fixture
def compiled(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the templates Jinja compiles from now on."""
    names: list[str] = []
    compile_ = jinja2.Environment.compile

    def counted(self: jinja2.Environment, source: Any, name: Any = None, *args: Any) -> Any:
        names.append(str(name))
        return compile_(self, source, name, *args)

    monkeypatch.setattr(jinja2.Environment, "compile", counted)
    return names


def _site(make_site: Any, **options: Any) -> Any:
    site = make_site(
        PAGES,
        {"outreach": {"enabled": True}, **options},
        theme={"name": "mkdocs", "custom_dir": "overrides"},
    )
    (site.root / "overrides").mkdir()
    return site


def test_a_second_build_compiles_none_of_ours_and_writes_the_same(
    make_site: Any, compiled: list[str]
) -> None:
    site = _site(make_site)
    site.build()
    assert set(OURS + NOTES) <= set(compiled)
    first = site.pages()
    kept = sorted(p.name for p in (site.root / ".cache" / "backlinks" / "templates").iterdir())
    assert len(kept) == len(OURS + NOTES) + 1  # and the review page (the lists were written)
    compiled.clear()
    site.build()
    assert not set(OURS + NOTES) & set(compiled)
    assert "main.html" in compiled  # the theme's own environment is not ours to cache
    assert site.pages() == first


def test_the_review_page_is_compiled_once_across_processes(
    make_site: Any, compiled: list[str]
) -> None:
    """The lists' review page is loaded once per process; a later process that writes the
    lists (a build after an edit, here) takes it from the cache folder."""
    site = _site(make_site)
    site.build()
    assert compiled.count(REVIEW_TEMPLATE) == 1
    formats.review_template.cache_clear()  # as a new process would start
    site.write(
        "guide.md", "# Guide\n\nBack [home](index.md), and [a new work](https://example.com/).\n"
    )
    compiled.clear()
    site.build()
    assert REVIEW_TEMPLATE not in compiled
    lists = (site.root / "backlinks" / "outreach.html").read_text(encoding="utf-8")
    assert "example.com" in lists


def test_an_edited_override_is_compiled_again_and_shows(
    make_site: Any, compiled: list[str]
) -> None:
    site = _site(make_site)
    override = site.root / "overrides" / "backlinks" / "credits.html"
    override.parent.mkdir()
    override.write_text("<aside>{{ credits | length }} site</aside>", encoding="utf-8")
    site.build()
    assert "<aside>1 site</aside>" in site.html("index.html")
    override.write_text("<aside>cited: {{ credits | length }}</aside>", encoding="utf-8")
    compiled.clear()
    site.build()
    assert compiled.count("backlinks/credits.html") == 1
    assert "<aside>cited: 1</aside>" in site.html("index.html")


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: b"",
        lambda data: data[: len(data) // 2],  # the right header, the code cut short
        lambda data: b"j2 not ours at all",
        lambda data: data.replace(b"jinja2 ", b"jinja2 0.", 1),  # another Jinja's code
    ],
)
def test_damaged_files_are_compiled_again_and_replaced(
    make_site: Any, compiled: list[str], damage: Any
) -> None:
    site = _site(make_site)
    site.build()
    first = site.pages()
    folder = site.root / ".cache" / "backlinks" / "templates"
    # The review page's is read only by a build that writes the lists, which this one is not.
    good = {path: path.read_bytes() for path in folder.glob("[!r]*")}
    for path, data in good.items():
        path.write_bytes(damage(data))
    notes._thanks_writer.cache_clear()  # as a new process would, instead of this one's writer
    compiled.clear()
    site.build()
    assert set(OURS + NOTES) <= set(compiled)
    assert site.pages() == first
    assert {path: path.read_bytes() for path in folder.glob("[!r]*")} == good


def test_a_cache_folder_that_cannot_be_written_only_costs_time(
    make_site: Any, compiled: list[str]
) -> None:
    site = _site(make_site, cache_dir="cache-is-a-file")
    (site.root / "cache-is-a-file").write_text("not a folder", encoding="utf-8")
    site.build()
    site.build()
    assert compiled.count("backlinks/credits.html") == 2
    assert "backlinks-credits" in site.html("index.html")


def test_an_edited_note_template_is_what_the_next_writer_renders(tmp_path: Path) -> None:
    template = tmp_path / "note.txt"
    cache = tmp_path / "cache"
    template.write_text("Hello {{ contact.site }}\n", encoding="utf-8")
    sample = NoteWriter.sample()
    first = NoteWriter(template, cache).render(sample)
    assert NoteWriter(template, cache).render(sample) == first  # read back from the cache
    template.write_text("Dear {{ contact.site }}\n", encoding="utf-8")
    assert NoteWriter(template, cache).render(sample) == first.replace("Hello", "Dear", 1)


def test_no_folder_no_cache() -> None:
    assert template_cache(None, "sections") is None
    made = template_cache(Path("x"), "notes")
    assert isinstance(made, TemplateCache) and made.folder == Path("x") / "templates"
