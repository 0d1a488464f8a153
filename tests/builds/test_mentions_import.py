"""`mkdocs-backlinks mentions import`, the same files as sources in a build, a data folder that
cannot be written, a store left alone when only the fetch time moved, and `list | head`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import MakeSite, Site

from mkdocs_backlinks.cli.main import main
from mkdocs_backlinks.mentions.store import load_store

SITE_URL = "https://example.org/blog/"
PAGES = {"index.md": "# Home\n", "posts/hello.md": "# Hello\n\nText.\n"}
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "mentions"


def site_with(make_site: MakeSite, **mentions: object) -> Site:
    return make_site(PAGES, {"offline": True, "mentions": mentions}, site_url=SITE_URL)


def test_import_merges_every_shape_once(
    make_site: MakeSite, capsys: pytest.CaptureFixture[str]
) -> None:
    site = site_with(make_site)
    config = ["-f", str(site.config_file)]
    for name in sorted(os.listdir(FIXTURES)):
        assert main(["mentions", "import", str(FIXTURES / name), *config]) == 0
    out = capsys.readouterr().out
    assert "webmention_io_received.yml: 2 mentions read" in out
    store = load_store(site.root / "backlinks" / "mentions.json")
    assert {m.id for m in store.mentions} == {"1601", "1602", "1700", "901", "532", "533"}
    names = {m.author_name for m in store.mentions}
    assert {"Zoë Ångström", "渡辺 健", "Олена Коваль", "Pierre Lefèvre"} <= names
    # Importing again changes nothing: the usual de-duplication.
    before = (site.root / "backlinks" / "mentions.json").read_bytes()
    assert main(["mentions", "import", str(FIXTURES / "eleventy-webmentions.json"), *config]) == 0
    assert "0 new, 0 updated" in capsys.readouterr().out
    assert (site.root / "backlinks" / "mentions.json").read_bytes() == before


def test_import_of_something_else_is_refused_clearly(
    make_site: MakeSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = site_with(make_site)
    odd = tmp_path / "odd.json"
    odd.write_text('{"items": []}', encoding="utf-8")
    assert main(["mentions", "import", str(odd), "-f", str(site.config_file)]) != 0
    err = capsys.readouterr().err
    assert "Nothing imported" in err and "not a mentions feed" in err and "Traceback" not in err


def test_foreign_caches_work_as_file_sources(make_site: MakeSite) -> None:
    site = site_with(make_site, sources=[{"file": "received.yml"}, {"file": "eleventy.json"}])
    shutil.copy(FIXTURES / "webmention_io_received.yml", site.root / "received.yml")
    shutil.copy(FIXTURES / "eleventy-webmentions.json", site.root / "eleventy.json")
    site.build(strict=True)
    html = site.html("posts/hello/index.html")
    assert "Sam Ødegård" in html and "Zoë Ångström" in html and "stale" not in html


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_data_folder_is_a_warning(make_site: MakeSite) -> None:
    site = site_with(make_site, sources=[{"file": "eleventy.json"}])
    shutil.copy(FIXTURES / "eleventy-webmentions.json", site.root / "eleventy.json")
    data = site.root / "backlinks"
    data.mkdir()
    data.chmod(0o500)
    try:
        result = site.run_cli()
    finally:
        data.chmod(0o700)
    assert result.returncode == 0, result.stderr
    assert f"Cannot save the mentions store in the folder {data}" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_failing_save_is_a_warning_naming_the_folder(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    site = site_with(make_site, sources=[{"file": "eleventy.json"}])
    shutil.copy(FIXTURES / "eleventy-webmentions.json", site.root / "eleventy.json")
    from mkdocs_backlinks.mentions import desk

    def full_disk(path: Path, text: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(desk, "write_text_atomic", full_disk)
    site.build()
    assert "Cannot save the mentions store in the folder" in caplog.text
    assert "No space left on device" in caplog.text
    assert "Zoë Ångström" in site.html("posts/hello/index.html")


def test_only_a_new_fetch_time_does_not_rewrite_the_store(make_site: MakeSite) -> None:
    site = site_with(make_site)
    store = site.root / "backlinks" / "mentions.json"
    store.parent.mkdir()
    head = {"schema": "mkdocs-backlinks/mentions", "version": 1}
    head["sources"] = {"jf2:https://x.example/feed": {"since_id": "", "last_fetched": "old"}}
    store.write_text(json.dumps({**head, "mentions": {}}), encoding="utf-8")
    from mkdocs_backlinks.mentions.desk import MentionsDesk, Settings
    from mkdocs_backlinks.mentions.fetch import Fetched, apply

    desk = MentionsDesk(Settings(folder=store.parent, base=site.root, site_url=SITE_URL))
    desk.load()
    before = store.read_bytes()
    desk.store = apply(desk.store, [Fetched("jf2:https://x.example/feed")], "2099-01-01T00:00Z")
    assert desk.save() is False
    assert store.read_bytes() == before


@pytest.mark.slow
def test_list_into_a_closed_pipe_ends_quietly(make_site: MakeSite) -> None:
    site = site_with(make_site)
    children = [
        {
            "wm-id": i,
            "wm-source": f"https://fan{i}.example.net/p",
            "wm-target": SITE_URL + "posts/hello/",
            "wm-property": "like-of",
        }
        for i in range(1, 20_001)
    ]
    many = site.root / "many.json"
    many.write_text(json.dumps({"children": children}), encoding="utf-8")
    assert main(["mentions", "import", str(many), "-f", str(site.config_file)]) == 0
    # Far more rows than a pipe holds: `head` closes it while the command still writes.
    command = [sys.executable, "-m", "mkdocs_backlinks.cli", "mentions", "list"]
    script = f"{subprocess.list2cmdline([*command, '-f', str(site.config_file)])} | head -n 1"
    result = subprocess.run(
        ["sh", "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.stdout.count("\n") == 1
    assert "Broken pipe" not in result.stderr and "Traceback" not in result.stderr
