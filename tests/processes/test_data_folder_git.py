"""The data folder under version control (real `git` in a temporary repository), and data
folders in odd states: read-only, a symlink, a ledger that is a folder, empty or cut short."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from data_sites import DataSite

from mkdocs_backlinks.ledger.contacts import mark
from mkdocs_backlinks.ledger.file import load_ledger, save_ledger
from mkdocs_backlinks.ledger.format import dumps
from mkdocs_backlinks.ledger.gitmerge import MergeError, merge_files
from mkdocs_backlinks.ledger.merge import merge3
from mkdocs_backlinks.ledger.model import Contact, Event, Ledger, LedgerError

GIT = shutil.which("git")
needs_git = pytest.mark.skipif(GIT is None, reason="git is not installed")


def git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=False, timeout=60
    )


def repository(tmp_path: Path) -> DataSite:
    """A site in a git repository: one build committed on `main`."""
    site = DataSite(tmp_path)
    for args in (
        ("init", "-q", "-b", "main"),
        ("config", "user.email", "test@example.org"),
        ("config", "user.name", "Test"),
        ("config", "commit.gpgsign", "false"),
    ):
        assert git(tmp_path, *args).returncode == 0
    (tmp_path / ".gitignore").write_text("site/\n.cache/\n", encoding="utf-8")
    site.change(0)
    site.build()
    git(tmp_path, "add", ".")
    assert git(tmp_path, "commit", "-qm", "first build").returncode == 0
    return site


def diverge(site: DataSite) -> None:
    """Branch `other` cites site1 and marks site0 skipped; `main` cites site2 and marks site0
    sent: both change the ledger's first line, its records and the store."""
    root = site.root
    git(root, "checkout", "-qb", "other")
    site.change(1)
    site.build()
    site.mark("site0.example", "skipped")
    git(root, "add", ".")
    git(root, "commit", "-qm", "other")
    git(root, "checkout", "-q", "main")
    site.entries = site.entries[:1]
    site.change(2)
    site.build()
    site.mark("site0.example", "sent")
    git(root, "add", ".")
    git(root, "commit", "-qm", "main")


@pytest.mark.slow
@needs_git
def test_a_merge_conflict_stops_the_build_naming_file_and_line(tmp_path: Path) -> None:
    site = repository(tmp_path)
    diverge(site)
    merged = git(site.root, "merge", "other")
    assert merged.returncode != 0  # git cannot merge these lines by itself
    text = site.ledger.read_text(encoding="utf-8")
    assert "<<<<<<< " in text
    line = text.splitlines().index(next(x for x in text.splitlines() if x.startswith("<<<<<<<")))
    before = site.snapshot()
    result = site.run(site.build_command())
    assert result.returncode != 0
    assert str(site.ledger) in result.stderr
    assert f"merge conflict (line {line + 1}:" in result.stderr
    assert "git checkout -m -- ledger.json" in result.stderr
    assert "Traceback" not in result.stderr
    assert site.snapshot() == before  # nothing touched
    marked = site.run(site.command("mark", "site0.example", "--status", "replied"))
    assert marked.returncode == 1
    assert "merge conflict" in marked.stderr
    assert site.snapshot() == before


@pytest.mark.slow
@needs_git
def test_the_merge_driver_merges_both_branches_records(tmp_path: Path) -> None:
    site = repository(tmp_path)
    driver = f"{sys.executable} -m mkdocs_backlinks.cli merge-data %O %A %B %P"
    git(site.root, "config", "merge.mkdocs-backlinks.driver", driver)
    (site.root / ".gitattributes").write_text(
        "backlinks/ledger.json merge=mkdocs-backlinks\n"
        "backlinks/mentions.json merge=mkdocs-backlinks\n"
        "backlinks/moderation.json merge=mkdocs-backlinks\n"
        "backlinks/outreach.* merge=ours\n"  # derived: the next build writes them again
        "mentions/feed.json merge=ours\n",  # the test's own feed, not the plugin's
        encoding="utf-8",
    )
    git(site.root, "add", ".gitattributes")
    git(site.root, "commit", "-qm", "merge driver")
    diverge(site)
    git(site.root, "config", "merge.ours.driver", "true")
    merged = git(site.root, "merge", "-q", "--no-edit", "other")
    assert merged.returncode == 0, merged.stdout + merged.stderr
    ledger = load_ledger(site.ledger)
    assert {"site0.example", "site1.example", "site2.example"} <= set(ledger.contacts)
    history = [e.status for e in ledger.contacts["site0.example"].history]
    assert "sent" in history and "skipped" in history
    store = (site.data / "mentions.json").read_text(encoding="utf-8")
    assert "notes/1" in store and "notes/2" in store
    # The build after the merge records the merged pages and agrees with its lists.
    site.build()
    assert site.listed_contacts() == site.ledger_contacts()
    assert site.temp_files() == []


@pytest.mark.slow
@needs_git
def test_a_conflict_already_in_the_file_is_resolved_by_checkout_m(tmp_path: Path) -> None:
    """The driver set up after git left the markers: `git checkout -m` merges again with it."""
    site = repository(tmp_path)
    diverge(site)
    assert git(site.root, "merge", "other").returncode != 0
    driver = f"{sys.executable} -m mkdocs_backlinks.cli merge-data %O %A %B %P"
    git(site.root, "config", "merge.mkdocs-backlinks.driver", driver)
    (site.root / ".git" / "info" / "attributes").write_text(
        "backlinks/*.json merge=mkdocs-backlinks\n", encoding="utf-8"
    )
    for name in ("ledger.json", "mentions.json"):
        done = git(site.data, "checkout", "-m", "--", name)
        assert done.returncode == 0, done.stderr
        assert "<<<<<<<" not in (site.data / name).read_text(encoding="utf-8")
    ledger = load_ledger(site.ledger)
    assert {"site1.example", "site2.example"} <= set(ledger.contacts)
    git(site.root, "checkout", "--ours", "--", "mentions/feed.json")  # the test's own feed
    site.build()
    assert site.listed_contacts() == site.ledger_contacts()


def contact(cid: str, *events: tuple[str, str]) -> Contact:
    history = tuple(Event(date, status) for date, status in events)
    return Contact(cid, cid, history[-1].status, history[0].date, "", True, history=history)


def test_merge3_keeps_each_sides_changes() -> None:
    base = Ledger(
        {"a.example": contact("a.example", ("2024-01-01", "new"))}, last_build="2024-01-01"
    )
    ours = mark(base, "a.example", "sent", "2024-02-01")
    theirs = Ledger(
        {
            **base.contacts,
            "b.example": contact("b.example", ("2024-01-05", "new")),
        },
        last_build="2024-01-05",
    )
    merged = merge3(base, ours, theirs)
    assert merged.contacts["a.example"].status == "sent"
    assert "b.example" in merged.contacts
    assert merged.last_build == "2024-01-05"
    assert merged.observed == ""  # the next build records again
    # Both changed one contact: both histories, the latest event decides.
    later = mark(base, "a.example", "skipped", "2024-03-01")
    both = merge3(base, ours, later).contacts["a.example"]
    assert [e.status for e in both.history] == ["new", "sent", "skipped"]
    assert both.status == "skipped"
    assert merge3(base, ours, base) == ours
    assert merge3(base, base, theirs) == theirs


def test_merge_data_refuses_what_it_cannot_read(tmp_path: Path) -> None:
    ledger = dumps(Ledger({"a.example": contact("a.example", ("2024-01-01", "new"))}))
    base, ours, theirs = (tmp_path / n for n in ("base", "ours", "theirs"))
    base.write_text("", encoding="utf-8")
    ours.write_text(ledger, encoding="utf-8")
    theirs.write_text("<<<<<<< HEAD\n" + ledger, encoding="utf-8")
    with pytest.raises(MergeError, match="conflict markers"):
        merge_files(base, ours, theirs, "backlinks/ledger.json")
    theirs.write_text('{"schema": "something-else"}\n', encoding="utf-8")
    with pytest.raises(MergeError, match="not all the same kind"):
        merge_files(base, ours, theirs)
    assert ours.read_text(encoding="utf-8") == ledger  # untouched
    theirs.write_text('{"schema": ["x"], "version": 1}\n', encoding="utf-8")
    ours.write_text('{"schema": ["x"], "version": 1}\n', encoding="utf-8")
    with pytest.raises(
        MergeError, match=r"not a data file of mkdocs-backlinks \(schema '\[\"x\"\]'\)"
    ):
        merge_files(base, ours, theirs)  # a schema that is a list was a TypeError
    ours.write_text(ledger, encoding="utf-8")
    theirs.write_text(ledger, encoding="utf-8")
    assert merge_files(base, ours, theirs) == "mkdocs-backlinks/ledger"  # both added it


# ----------------------------------------------------------------------------- odd folders


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "): it is empty."),
        ("head", "): it is cut short, ending at line 1 "),
        ("half", "): it is cut short"),
    ],
)
@pytest.mark.slow
def test_a_damaged_ledger_is_named_and_kept(tmp_path: Path, content: str, expected: str) -> None:
    site = DataSite(tmp_path)
    site.change(0)
    site.build()
    text = site.ledger.read_text(encoding="utf-8")
    damaged = {"": "", "head": text.partition("\n")[0] + "\n", "half": text[: len(text) // 2]}
    site.ledger.write_text(damaged[content], encoding="utf-8")
    before = site.snapshot()
    for argv in (site.build_command(), site.command("mark", "site0.example", "--status", "sent")):
        result = site.run(argv)
        assert result.returncode != 0
        assert expected in result.stderr and str(site.ledger) in result.stderr
        assert "Traceback" not in result.stderr
        assert site.snapshot() == before


@pytest.mark.slow
def test_a_ledger_that_is_a_folder_is_named(tmp_path: Path) -> None:
    site = DataSite(tmp_path)
    site.change(0)
    site.build()
    site.ledger.unlink()
    site.ledger.mkdir()
    (site.ledger / "keep.txt").write_text("x", encoding="utf-8")
    for argv in (site.build_command(), site.command("mark", "site0.example", "--status", "sent")):
        result = site.run(argv)
        assert result.returncode != 0
        assert "is a folder, not a file" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    assert (site.ledger / "keep.txt").read_text(encoding="utf-8") == "x"


@pytest.mark.skipif(
    sys.platform == "win32" or os.geteuid() == 0, reason="POSIX permissions, not root"
)
def test_a_read_only_data_folder_is_named_and_nothing_is_lost(tmp_path: Path) -> None:
    site = DataSite(tmp_path)
    site.change(0)
    site.build()
    site.change(1)
    before = site.snapshot()
    site.data.chmod(0o555)
    try:
        build = site.run(site.build_command())
        assert build.returncode != 0
        assert str(site.data) in build.stderr and "Traceback" not in build.stderr
        marked = site.run(site.command("mark", "site0.example", "--status", "sent"))
        assert marked.returncode == 1
        assert "Cannot write the ledger" in marked.stderr, marked.stderr
        assert "Traceback" not in marked.stderr
        assert site.snapshot() == before
    finally:
        site.data.chmod(0o755)
    site.build()
    assert "site1.example" in site.ledger_contacts()


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
def test_a_data_folder_that_is_a_symlink_stays_one(tmp_path: Path) -> None:
    site = DataSite(tmp_path / "site")
    elsewhere = tmp_path / "shared" / "backlinks"
    elsewhere.mkdir(parents=True)
    site.data.symlink_to(elsewhere, target_is_directory=True)
    site.change(0)
    site.build()
    site.mark("site0.example", "sent")
    ledger = load_ledger(elsewhere / "ledger.json")
    assert ledger.contacts["site0.example"].status == "sent"
    assert site.data.is_symlink()
    assert [p.name for p in elsewhere.iterdir() if p.name.startswith(".")] == []
    save_ledger(site.ledger, ledger)  # through the link, again
    assert site.data.is_symlink()


def test_a_ledger_that_cannot_be_written_is_a_ledger_error(tmp_path: Path) -> None:
    """`mark` reports it in one line (the command catches LedgerError), never a traceback."""
    blocker = tmp_path / "backlinks"
    blocker.write_text("a file where the data folder should be", encoding="utf-8")
    with pytest.raises(LedgerError, match="Cannot write the ledger"):
        save_ledger(blocker / "ledger.json", Ledger())
    assert blocker.read_text(encoding="utf-8").startswith("a file")
