"""The graph export is kept in the cache folder: copied while nothing it shows changed, and
only the entries that changed written after an edit.

Each site is built for real, with the export's page entries counted as they are formatted: a
build whose links, pages and site URL are those of the build before copies the kept export
(in process or not, as a rebuild of `mkdocs serve` and a later `mkdocs build` are); any change
the export shows writes the entries it changes, and only those, and the export is byte for
byte what a build without the cache writes. A damaged or unusable cache folder changes
nothing but the time.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from mkdocs_backlinks.graph.linkgraph import LinkGraph
from tests.conftest import OFFLINE, Site, copy_sample

PAGES = {
    "index.md": "# Home\n\nRead [the guide](guide.md) and [an essay](https://example.org/essay).\n",
    "guide.md": "# Guide\n\n## Setup\n\nBack [home](index.md#home), as said.\n",
    "about.md": "# About\n\nNo links here.\n",
}
SITE_URL = "https://docs.example.com/"


ALL = ["about.md", "guide.md", "index.md"]
"""The pages of `PAGES`, in the export's order: what a build that writes it whole formats."""


@pytest.fixture
def written(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The source path of each page entry the graph formats for the export from now on."""
    calls: list[str] = []
    export_entry = LinkGraph.export_entry

    def counted(self: LinkGraph, src: str, base: str) -> str:
        calls.append(src)
        return export_entry(self, src, base)

    monkeypatch.setattr(LinkGraph, "export_entry", counted)
    return calls


def _cache(site: Any) -> list[Path]:
    folder = site.root / ".cache" / "backlinks" / "export"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def _kept(site: Any) -> list[Path]:
    """The kept exports; each has its index beside it."""
    kept = [path for path in _cache(site) if path.suffix == ".json"]
    assert sorted(_cache(site)) == sorted([*kept, *(path.with_suffix(".pages") for path in kept)])
    return kept


def _export(site: Any, name: str = "backlinks.json") -> bytes:
    return (site.site_dir / name).read_bytes()


def _uncached(site: Any, name: str = "backlinks.json") -> bytes:
    """The export a build of the same sources writes without a cache folder."""
    shutil.rmtree(site.root / ".cache", ignore_errors=True)
    site.build()
    return _export(site, name)


def test_a_second_build_copies_the_kept_export(make_site: Any, written: list[Any]) -> None:
    site = make_site(PAGES, site_url=SITE_URL)
    site.build()
    assert written == ALL
    first = _export(site)
    (kept,) = _kept(site)
    assert kept.read_bytes() == first
    assert kept.name.endswith(f"-{len(first)}.json")
    written.clear()
    site.build()
    assert written == []
    assert _export(site) == first
    assert _kept(site) == [kept]
    assert (site.site_dir / "backlinks.json").stat().st_mode & 0o777 == 0o644 & ~_umask()


def test_a_build_in_another_process_copies_it_too(make_site: Any, written: list[Any]) -> None:
    """Marshal marks a row's strings shared by what else the process holds, so the rows'
    stored bytes differ between processes; the key does not."""
    site = make_site(PAGES, site_url=SITE_URL)
    done = site.run_cli("-q")
    assert done.returncode == 0, done.stderr
    first = _export(site)
    site.build()
    assert written == []
    assert _export(site) == first


def test_rebuilds_in_one_process_copy_it(
    tmp_path: Path, written: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sample site, built three times in one process as `mkdocs serve` rebuilds it: its
    rows hold strings that the process also holds elsewhere in one build and not in the
    next, which changes their stored bytes from build to build but not the key."""
    for name, value in OFFLINE.items():
        monkeypatch.setenv(name, value)
    site = Site(copy_sample(tmp_path))
    site.build()
    first = _export(site)
    assert written
    written.clear()
    site.build()
    site.build()
    assert written == []
    assert _export(site) == first


@pytest.mark.parametrize(
    ("path", "text", "formatted"),
    [
        (
            "guide.md",
            "# Guide\n\n## Setup\n\nBack [home](index.md#home), as written.\n",
            ["guide.md", "index.md"],
        ),
        (
            "guide.md",
            "# Guide\n\n## Setup\n\nBack [to the start](index.md#home), as said.\n",
            ["guide.md", "index.md"],
        ),
        (
            "guide.md",
            "# Guide\n\n## Install\n\nBack [home](index.md#home), as said.\n",
            ["guide.md", "index.md"],
        ),
        ("about.md", "# About us\n\nNo links here.\n", ["about.md"]),
        ("new.md", "# New\n\nNothing yet.\n", ["new.md"]),
        (
            "index.md",
            "# Home\n\nRead [the guide](guide.md) and [an essay](https://example.org/).\n",
            ["guide.md", "index.md"],
        ),
        ("about.md", "# About\n\nSee [the guide](guide.md).\n", ["about.md", "guide.md"]),
        ("guide.md", "# Guide\n\n## Setup\n\nNo way back.\n", ["guide.md", "index.md"]),
        ("about.md", None, []),
    ],
    ids=[
        "sentence",
        "anchor text",
        "section",
        "title",
        "new page",
        "citation",
        "link added",
        "link removed",
        "page removed",
    ],
)
def test_what_the_export_shows_writes_what_changed(
    make_site: Any, written: list[str], path: str, text: str | None, formatted: list[str]
) -> None:
    """An entry shows its page and the links to it: a change formats the entries of the
    pages it touched and of the pages they link to, before or after, and copies the rest
    from the kept export."""
    site = make_site(PAGES, site_url=SITE_URL)
    site.build()
    before = _export(site)
    if text is None:
        (site.root / "docs" / path).unlink()
    else:
        site.write(path, text)
    written.clear()
    site.build()
    assert sorted(written) == formatted
    after = _export(site)
    assert after != before
    (kept,) = _kept(site)  # the earlier one is gone
    assert kept.read_bytes() == after
    assert _uncached(site) == after


def test_an_edit_on_a_larger_site_copies_the_rest(make_site: Any, written: list[str]) -> None:
    """Forty pages, each linking to two others: an edit that moves one page's links
    formats that page and the pages it linked to and links to now, and copies the other
    entries, in runs between them, from the kept export."""
    count = 40

    def page(number: int, first: int, second: int) -> str:
        return (
            f"# Page {number}\n\n## Part\n\nSee [page {first}](p{first:02}.md) for this, "
            f"and [page {second}](p{second:02}.md#part) for that. "
            f"Also [a source](https://example.org/{number}).\n"
        )

    pages = {f"p{n:02}.md": page(n, (n + 1) % count, (n * 7) % count) for n in range(count)}
    site = make_site(pages, site_url=SITE_URL)
    site.build()
    site.write("p10.md", page(10, 30, 33))
    written.clear()
    site.build()
    # p10 linked to p11 and p30 (10 * 7 % 40), and now to p30 and p33.
    assert sorted(written) == ["p10.md", "p11.md", "p30.md", "p33.md"]
    edited = _export(site)
    assert _uncached(site) == edited
    graph = site.graph()
    assert [b["source"] for b in graph["pages"]["p33.md"]["backlinks"]] == [
        "p10.md",
        "p32.md",
        "p39.md",
    ]
    assert [b["source"] for b in graph["pages"]["p11.md"]["backlinks"]] == ["p13.md"]
    # A page removed: it linked to p21 and to itself; p19, which links to it and to p13,
    # now links to a page that is not there, which changes p19's rows.
    (site.root / "docs" / "p20.md").unlink()
    written.clear()
    site.build()
    assert sorted(written) == ["p13.md", "p19.md", "p21.md"]
    assert _uncached(site) == _export(site)
    # Most pages changed: every entry is formatted, none read back.
    for n in range(25):
        site.write(f"p{n:02}.md", page(n, (n + 2) % count, (n * 3) % count))
    written.clear()
    site.build()
    assert sorted(written) == sorted(pages)
    assert _uncached(site) == _export(site)


def test_another_site_url_writes_it_again(make_site: Any, written: list[Any]) -> None:
    site = make_site(PAGES, site_url=SITE_URL)
    site.build()
    written.clear()
    moved = "https://elsewhere.example/docs/"
    site.build(site_url=moved)
    assert written == ALL  # every entry shows its page's absolute URL
    assert b'"absolute_url":"https://elsewhere.example/docs/guide/"' in _export(site)
    assert len(_kept(site)) == 1


@pytest.mark.parametrize("damage", ["truncated", "emptied", "renamed", "garbage of its size"])
def test_a_damaged_kept_export_is_written_again(
    make_site: Any, written: list[Any], damage: str
) -> None:
    site = make_site(PAGES, site_url=SITE_URL)
    site.build()
    first = _export(site)
    (kept,) = _kept(site)
    if damage == "truncated":
        kept.write_bytes(first[: len(first) // 2])
    elif damage == "emptied":
        kept.write_bytes(b"")
    elif damage == "garbage of its size":  # was copied into the site as it was
        kept.write_bytes(b"X" * len(first))
    else:  # a size in the name that is not its own
        kept.rename(kept.with_name(kept.name.replace(f"-{len(first)}.", f"-{len(first) + 1}.")))
    written.clear()
    site.build()
    assert written == ALL
    assert _export(site) == first
    (replaced,) = _kept(site)
    assert replaced.name == kept.name
    assert replaced.read_bytes() == first


@pytest.mark.parametrize(
    "damage",
    ["missing", "not JSON", "truncated", "shifted", "past the end", "another site URL", "types"],
)
def test_an_index_that_does_not_match_writes_the_export_whole(
    make_site: Any, written: list[str], damage: str
) -> None:
    """An index that cannot be read, or whose entries are not where it says, is not used;
    the next build after an edit uses the index this one kept."""
    site = make_site(PAGES, site_url=SITE_URL)
    site.build()
    (kept,) = _kept(site)
    index = kept.with_suffix(".pages")
    text = index.read_text(encoding="utf-8")
    document = json.loads(text)
    if damage == "missing":
        index.unlink()
    elif damage == "not JSON":
        index.write_text("{not json", encoding="utf-8")
    elif damage == "truncated":
        index.write_text(text[: len(text) // 2], encoding="utf-8")
    elif damage in ("shifted", "past the end"):
        # The entry of a page the edit leaves alone, which the build would copy.
        (about,) = [entry for entry in document["pages"] if entry[0] == "about.md"]
        about[2] = about[2] + 1 if damage == "shifted" else kept.stat().st_size - 3
        index.write_text(json.dumps(document), encoding="utf-8")
    elif damage == "another site URL":
        document["basis"] = "0" * len(document["basis"])
        index.write_text(json.dumps(document), encoding="utf-8")
    else:
        document["pages"][0][2] = str(document["pages"][0][2])
        index.write_text(json.dumps(document), encoding="utf-8")
    site.write("guide.md", "# Guide\n\n## Setup\n\nBack [home](index.md#home), as written.\n")
    written.clear()
    site.build()
    assert written == ALL
    edited = _export(site)
    site.write("about.md", "# About us\n\nNo links here.\n")
    written.clear()
    site.build()
    assert written == ["about.md"]
    assert _export(site) != edited
    assert _uncached(site) == _export(site)


def test_an_index_entry_cut_short_inside_its_entry_is_not_used(
    make_site: Any, written: list[str]
) -> None:
    """An index whose length for a page ends at a `}` inside the page's entry (the end of its
    first link) passed the check of the entry's two ends, and the export published was not
    JSON. What follows a whole entry is the separator or the export's end."""
    site = make_site(PAGES, site_url=SITE_URL)
    site.build()
    (kept,) = _kept(site)
    index = kept.with_suffix(".pages")
    document = json.loads(index.read_text(encoding="utf-8"))
    (guide,) = [entry for entry in document["pages"] if entry[0] == "guide.md"]
    inner = kept.read_bytes().index(b"}", guide[2]) + 1
    assert inner < guide[2] + guide[3]
    guide[3] = inner - guide[2]
    index.write_text(json.dumps(document), encoding="utf-8")
    site.write("about.md", "# About us\n\nNo links here.\n")  # guide's entry is copied
    written.clear()
    site.build()
    # found while copying (after the changed page's entry was formatted): written whole
    assert written[-len(ALL) :] == ALL
    json.loads(_export(site))
    assert _uncached(site) == _export(site)


def test_an_unusable_cache_folder_only_costs_time(make_site: Any, written: list[Any]) -> None:
    site = make_site(PAGES, {"cache_dir": "cache-file"}, site_url=SITE_URL)
    (site.root / "cache-file").write_text("not a folder\n", encoding="utf-8")
    site.build()
    first = _export(site)
    site.build()
    assert written == ALL + ALL
    assert _export(site) == first
    assert (site.root / "cache-file").read_text(encoding="utf-8") == "not a folder\n"


def test_two_exports_keep_one_file_each(make_site: Any, written: list[Any]) -> None:
    """Builds that write their export to different places (one per language, or a moved
    `export_path`) share the cache folder without evicting each other's."""
    site = make_site(PAGES, site_url=SITE_URL)
    site.build()
    first = _export(site)
    config = yaml.safe_load(site.config_file.read_text(encoding="utf-8"))
    config["plugins"][0]["backlinks"]["export_path"] = "data/graph.json"
    site.config_file.write_text(yaml.safe_dump(config), encoding="utf-8")
    site.build()
    assert len(_kept(site)) == 2
    written.clear()
    site.build()
    assert written == []
    assert _export(site, "data/graph.json") == first


def test_no_export_keeps_nothing(make_site: Any) -> None:
    site = make_site(PAGES, {"export": False}, site_url=SITE_URL)
    site.build()
    assert not (site.site_dir / "backlinks.json").exists()
    assert _kept(site) == []


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_a_dirty_build_leaves_the_export_and_the_ledger_as_they_were(make_site: Any) -> None:
    """`mkdocs build --dirty` converts only the pages whose source changed: the export listed
    those alone and the ledger took every work they do not cite as no longer cited."""
    site = make_site(PAGES, site_url=SITE_URL)
    result = site.run_cli()
    assert result.returncode == 0, result.stderr
    export = _export(site)
    ledger = (site.root / "backlinks" / "ledger.json").read_bytes()
    os.utime(site.root / "docs" / "guide.md")  # newer than its page: converted again
    site.write("guide.md", "# Guide\n\n## Setup\n\nBack [home](index.md#home), as written.\n")
    result = site.run_cli("--dirty")
    assert result.returncode == 0, result.stderr
    assert "A --dirty build converts only the pages that changed" in result.stderr
    assert _export(site) == export
    assert (site.root / "backlinks" / "ledger.json").read_bytes() == ledger
    assert "as written" in site.html("guide/index.html")
