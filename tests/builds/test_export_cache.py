"""The graph export is kept in the cache folder and copied while nothing it shows changed.

Each site is built for real, with the export's writer counted: a build whose links, pages
and site URL are those of the build before copies the kept export (in process or not, as a
rebuild of `mkdocs serve` and a later `mkdocs build` are), and any change the export shows
writes it again, byte for byte what a build without the cache writes. A damaged or unusable
cache folder changes nothing but the time.
"""

from __future__ import annotations

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


@pytest.fixture
def written(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The site URL of each export the graph writes out from its rows from now on."""
    calls: list[str | None] = []
    export_text = LinkGraph.export_text

    def counted(self: LinkGraph, site_url: str | None) -> Any:
        calls.append(site_url)
        return export_text(self, site_url)

    monkeypatch.setattr(LinkGraph, "export_text", counted)
    return calls


def _kept(site: Any) -> list[Path]:
    folder = site.root / ".cache" / "backlinks" / "export"
    return sorted(folder.iterdir()) if folder.is_dir() else []


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
    assert written == [SITE_URL]
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
    assert len(written) == 1
    site.build()
    site.build()
    assert len(written) == 1
    assert _export(site) == first


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("guide.md", "# Guide\n\n## Setup\n\nBack [home](index.md#home), as written.\n"),
        ("guide.md", "# Guide\n\n## Setup\n\nBack [to the start](index.md#home), as said.\n"),
        ("guide.md", "# Guide\n\n## Install\n\nBack [home](index.md#home), as said.\n"),
        ("about.md", "# About us\n\nNo links here.\n"),
        ("new.md", "# New\n\nNothing yet.\n"),
        (
            "index.md",
            "# Home\n\nRead [the guide](guide.md) and [an essay](https://example.org/).\n",
        ),
    ],
    ids=["sentence", "anchor text", "section", "title", "new page", "citation"],
)
def test_what_the_export_shows_writes_it_again(
    make_site: Any, written: list[Any], path: str, text: str
) -> None:
    site = make_site(PAGES, site_url=SITE_URL)
    site.build()
    before = _export(site)
    site.write(path, text)
    written.clear()
    site.build()
    assert written == [SITE_URL]
    after = _export(site)
    assert after != before
    (kept,) = _kept(site)  # the earlier one is gone
    assert kept.read_bytes() == after
    assert _uncached(site) == after


def test_another_site_url_writes_it_again(make_site: Any, written: list[Any]) -> None:
    site = make_site(PAGES, site_url=SITE_URL)
    site.build()
    written.clear()
    moved = "https://elsewhere.example/docs/"
    site.build(site_url=moved)
    assert written == [moved]
    assert b'"absolute_url":"https://elsewhere.example/docs/guide/"' in _export(site)
    assert len(_kept(site)) == 1


@pytest.mark.parametrize("damage", ["truncated", "emptied", "renamed"])
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
    else:  # a size in the name that is not its own
        kept.rename(kept.with_name(kept.name.replace(f"-{len(first)}.", f"-{len(first) + 1}.")))
    written.clear()
    site.build()
    assert written == [SITE_URL]
    assert _export(site) == first
    (replaced,) = _kept(site)
    assert replaced.name == kept.name
    assert replaced.read_bytes() == first


def test_an_unusable_cache_folder_only_costs_time(make_site: Any, written: list[Any]) -> None:
    site = make_site(PAGES, {"cache_dir": "cache-file"}, site_url=SITE_URL)
    (site.root / "cache-file").write_text("not a folder\n", encoding="utf-8")
    site.build()
    first = _export(site)
    site.build()
    assert written == [SITE_URL, SITE_URL]
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
