"""The data folder when real `mkdocs build` and `mkdocs-backlinks` processes are killed
mid-write or run at the same time (POSIX: SIGKILL, fcntl, named pipes)."""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from data_sites import DataSite

from mkdocs_backlinks.files import locked, write_text_atomic
from mkdocs_backlinks.ledger.contacts import mark
from mkdocs_backlinks.ledger.file import load_ledger, save_ledger
from mkdocs_backlinks.mentions.moderation import Moderation, load_moderation, save_moderation

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and named pipes")


def kill(process: subprocess.Popen[str]) -> bool:
    """SIGKILL `process`; True if it was still running (it had not finished on its own)."""
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    return process.returncode == -signal.SIGKILL


@pytest.mark.slow
def test_builds_killed_at_any_moment_leave_each_file_whole(tmp_path: Path) -> None:
    site = DataSite(tmp_path)
    site.change(0)
    site.build()
    started = time.monotonic()
    site.change(1)
    site.build()
    span = time.monotonic() - started  # how long one build takes here
    # Kills spread over the whole build, from its start to (nearly) its end, where it writes.
    moments = [span * k / 10 for k in range(1, 13)]
    killed = 0
    for n, delay in enumerate(moments, start=2):
        site.change(n)
        before = site.snapshot()
        build = site.start(site.build_command())
        time.sleep(delay)
        killed += kill(build)
        site.check_whole(before)
    # Many were killed while they ran, not after they finished; the bar is below the nine
    # expected, so a build that runs faster than the measured one does not fail the test.
    assert killed >= 4
    # The next build finishes, records every page and mention, and leaves no temporary file.
    site.build()
    assert site.temp_files() == []
    ledger = load_ledger(site.ledger)
    assert {f"site{n}.example" for n in range(len(moments) + 2)} <= set(ledger.contacts)
    assert site.listed_contacts() == site.ledger_contacts()
    store = (site.data / "mentions.json").read_text(encoding="utf-8")
    assert all(f"friend{n}.example.net/notes/{n}" in store for n in range(len(moments) + 2))


@pytest.mark.slow
def test_marks_killed_at_any_moment_leave_each_file_whole(tmp_path: Path) -> None:
    site = DataSite(tmp_path)
    site.change(0)
    site.change(1)
    site.build()
    started = time.monotonic()
    site.mark("site0.example", "pending")
    span = time.monotonic() - started  # how long one mark takes here
    statuses = ["sent", "replied", "skipped", "pending", "sent", "replied", "skipped", "sent"]
    killed = 0
    for k, status in enumerate(statuses, start=1):
        before = site.snapshot()
        process = site.start(site.command("mark", "site0.example", "--status", status))
        time.sleep(span * k / 8)
        killed += kill(process)
        site.check_whole(before)
    assert killed >= 3  # of the seven expected to land mid-run, as above
    site.mark("site1.example", "skipped")
    assert site.temp_files() == []
    assert site.ledger_contacts()["site1.example"] == "skipped"
    site.build()
    assert site.listed_contacts() == site.ledger_contacts()


@pytest.mark.slow
def test_a_temporary_file_a_killed_writer_left_is_removed_by_the_next(tmp_path: Path) -> None:
    """What SIGKILL between creating the temporary file and renaming it leaves behind."""
    site = DataSite(tmp_path)
    site.change(0)
    site.build()
    left = site.data / ".ledger.json.k1ll3d_x.tmp"
    left.write_text('{"schema":"mkdocs-backlinks/ledger",', encoding="utf-8")
    other = site.data / ".outreach.html.abcd1234.tmp"
    other.write_text("<html>", encoding="utf-8")
    mine = site.data / "notes.tmp"  # not ours: left alone
    mine.write_text("keep me", encoding="utf-8")
    site.mark("site0.example")
    assert site.temp_files() == []
    assert mine.read_text(encoding="utf-8") == "keep me"


@pytest.mark.slow
def test_the_lists_are_written_before_the_ledger_that_vouches_for_them(tmp_path: Path) -> None:
    """The ledger's first line says which records the outreach lists were made from. Killed
    the moment the new ledger is in place, a build must have written the lists already;
    otherwise the next build trusts that line and keeps lists that miss the new contacts."""
    site = DataSite(tmp_path)
    site.change(0)
    site.build()
    site.change(1, pages=1500)  # lists long enough to take a while to write
    inode = site.ledger.stat().st_ino
    build = site.start(site.build_command())
    deadline = time.monotonic() + 120
    while site.ledger.stat().st_ino == inode and build.poll() is None:
        assert time.monotonic() < deadline
    build.send_signal(signal.SIGSTOP)  # the very moment the new ledger appeared
    try:
        assert "site1.example" in site.ledger_contacts()
        assert "site1.example" in site.listed_contacts()
    finally:
        build.send_signal(signal.SIGKILL)
        build.communicate(timeout=60)
    site.build()
    assert site.listed_contacts() == site.ledger_contacts()


GATE_HOOK = """
import os
# The lists import the report where they are made, so the report module's function is the one
# a build calls.
from mkdocs_backlinks.outreach import report as outreach

_build_report = outreach.build_report


def build_report(ledger, settings, writer):
    gate = os.environ.get("TEST_GATE")
    if gate and "site1.example" in ledger.contacts:
        with open(gate) as fifo:  # a named pipe: blocks until the test lets the build go
            fifo.read()
    return _build_report(ledger, settings, writer)


outreach.build_report = build_report
"""


def open_when_read(fifo: Path, reader: subprocess.Popen[str]) -> int:
    """The named pipe opened for writing once `reader` opens it (never hangs on a reader that
    failed before it got there)."""
    deadline = time.monotonic() + 120
    while True:
        try:
            return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as exc:  # ENXIO: nobody reads it yet
            if exc.errno != errno.ENXIO:
                raise
        if reader.poll() is not None:
            pytest.fail(f"the build ended before the gate: {reader.communicate()[1]}")
        assert time.monotonic() < deadline
        time.sleep(0.02)


@pytest.mark.slow
def test_a_mark_during_a_build_is_not_overwritten(tmp_path: Path) -> None:
    """`mkdocs-backlinks mark` saving while a build merges (which read the ledger before the
    mark): the build must not write back what it read and lose the mark.

    The build's window between reading the ledger and writing it is held open on purpose: an
    MkDocs hook (`hooks:` in mkdocs.yml) makes the build's report wait on a named pipe, only
    in the build process (`TEST_GATE`) and only once it has merged the new contact."""
    (tmp_path / "gate_hook.py").write_text(GATE_HOOK, encoding="utf-8")
    site = DataSite(tmp_path, hooks=["gate_hook.py"])
    site.change(0)
    site.build()
    site.change(1)
    gate = tmp_path / "gate"
    os.mkfifo(gate)
    build = site.start(site.build_command(), TEST_GATE=str(gate))
    mark_process = None
    try:
        fd = open_when_read(gate, build)  # the build waits at the gate
        mark_process = site.start(site.command("mark", "site0.example", "--status", "sent"))
        # A mark that cannot finish while the build holds the data folder is fine.
        with contextlib.suppress(subprocess.TimeoutExpired):
            mark_process.wait(timeout=5)
        os.write(fd, b"go")
        os.close(fd)
        _, err = build.communicate(timeout=120)
        assert build.returncode == 0, err
        _, err = mark_process.communicate(timeout=120)
        assert mark_process.returncode == 0, err
    finally:
        for process in (build, mark_process):
            if process is not None and process.poll() is None:
                kill(process)
    contacts = site.ledger_contacts()
    assert contacts["site0.example"] == "sent"  # the mark
    assert "site1.example" in contacts  # the build
    site.build()
    assert site.listed_contacts() == site.ledger_contacts()


@pytest.mark.slow
def test_two_marks_at_once_keep_both(tmp_path: Path) -> None:
    """This process reads the ledger, a real `mark` process saves meanwhile, then this one
    saves its own mark: both stay."""
    site = DataSite(tmp_path)
    site.change(0)
    site.change(1)
    site.build()
    ledger = load_ledger(site.ledger)
    site.mark("site1.example", "skipped")
    save_ledger(site.ledger, mark(ledger, "site0.example", "sent", "2030-01-01"))
    contacts = site.ledger_contacts()
    assert contacts == {"site0.example": "sent", "site1.example": "skipped"}
    history = load_ledger(site.ledger).contacts["site1.example"].history
    assert [e.status for e in history] == ["new", "skipped"]


@pytest.mark.slow
def test_two_hides_at_once_keep_both(tmp_path: Path) -> None:
    site = DataSite(tmp_path)
    site.change(0)
    site.build()
    path = site.data / "moderation.json"
    moderation = load_moderation(path)
    hidden = site.run(site.command("mentions", "block-domain", "spam.example"))
    assert hidden.returncode == 0, hidden.stderr
    save_moderation(path, Moderation(moderation.hidden | {"1000"}))
    saved = load_moderation(path)
    assert saved.hidden == {"1000"}
    assert saved.blocked_domains == {"spam.example"}


@pytest.mark.slow
def test_a_writer_waits_for_the_lock_a_killed_holder_lets_go(tmp_path: Path) -> None:
    """The lock is the kernel's: a holder that is killed releases it, nothing stale is left,
    and a writer that waited goes on."""
    folder = tmp_path / "data"
    folder.mkdir()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path;"
            "from mkdocs_backlinks.files import locked\n"
            "with locked(Path(sys.argv[1])):\n"
            "    print('held', flush=True); time.sleep(600)",
            str(folder),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        with (
            pytest.raises(TimeoutError, match="locked by another process"),
            locked(folder, timeout=0.3),
        ):
            pass
    finally:
        kill(holder)
    write_text_atomic(folder / "file.json", "{}\n")  # goes ahead at once
    assert (folder / "file.json").read_text(encoding="utf-8") == "{}\n"
    assert sorted(p.name for p in folder.iterdir()) == ["file.json"]
