"""`mkdocs-backlinks send --yes` in its own process, killed with SIGKILL while it sends.

The receiver (127.0.0.2) holds the Nth POST of a run unanswered until the test has killed the
sender, so each kill lands with some webmentions delivered and one in flight. The receiver
counts a webmention as delivered only once it answered it: the held one never was, so the next
run must send it, and must send nothing the receiver already took.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from conftest import MakeSite
from http_servers import FolderServer, Handler, HttpServer

from mkdocs_backlinks.ledger.file import load_ledger

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")

PAGES, CITES = 5, 4


class HoldingReceiver:
    """Works at /work/N advertising /wm, which answers 202, except the `hold_at`th POST of a
    run: that one waits, unanswered, until `release` (the sender is dead by then)."""

    def __init__(self, server: HttpServer) -> None:
        self.server = server
        self.accepted: list[tuple[str, str]] = []
        self.hold_at: int | None = None
        self.posts_this_run = 0
        self.held = threading.Event()
        self.release = threading.Event()
        self._lock = threading.Lock()
        for n in range(PAGES * CITES):
            server.routes[f"/work/{n}"] = lambda h: h.reply(
                200,
                b"<!doctype html><title>Work</title><p>A work.</p>",
                headers=[("Link", '</wm>; rel="webmention"')],
            )
        server.routes["/wm"] = self.endpoint

    def new_run(self, hold_at: int | None) -> None:
        self.hold_at, self.posts_this_run = hold_at, 0
        self.held.clear()
        self.release.clear()

    def endpoint(self, handler: Handler) -> None:
        request = handler.server.owner.requests[-1]
        form = parse_qs(request.body.decode())
        with self._lock:
            self.posts_this_run += 1
            hold = self.posts_this_run == self.hold_at
        if hold:
            self.held.set()
            self.release.wait(60)
            return  # never answered: not delivered
        with self._lock:
            self.accepted.append((form["source"][0], form["target"][0]))
        handler.reply(202, b"", "text/plain")


def start_send(config: Path, *args: str) -> subprocess.Popen[str]:
    env = {key: value for key, value in os.environ.items() if key != "MKDOCS_BACKLINKS_OFFLINE"}
    command = [sys.executable, "-m", "mkdocs_backlinks.cli", "send", "-f", str(config)]
    command += ["--allow-network", "127.0.0.0/8", "--interval", "0", "--timeout", "30", *args]
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


@pytest.mark.slow
def test_a_killed_send_sends_nothing_twice_and_everything_once(
    make_site: MakeSite, tmp_path: Path
) -> None:
    deployed = tmp_path / "deployed"
    with HttpServer("127.0.0.2") as server, FolderServer(deployed) as live:
        receiver = HoldingReceiver(server)
        work = server.url("/work/")
        pages = {
            f"p{n}.md": f"# Page {n}\n\n"
            + " ".join(f"See [w{c}]({work}{n * CITES + c})." for c in range(CITES))
            for n in range(PAGES)
        }
        site = make_site(pages, {"allow_networks": ["127.0.0.0/8"]}, site_url=live.url)
        site.build()
        shutil.copytree(site.site_dir, deployed)
        expected = {
            (f"{live.url}p{n}/", f"{work}{n * CITES + c}")
            for n in range(PAGES)
            for c in range(CITES)
        }

        # Two runs killed mid-way, each while the receiver holds a POST.
        for hold_at in (4, 7):
            receiver.new_run(hold_at)
            sender = start_send(site.config_file, "--yes")
            try:
                assert receiver.held.wait(60), "the sender never reached the held POST"
            finally:
                sender.send_signal(signal.SIGKILL)
                sender.communicate(timeout=60)
                receiver.release.set()
            assert sender.returncode == -signal.SIGKILL
            # The plan of a dry run already knows what the killed run delivered.
            left = len(expected) - len(receiver.accepted)
            dry = start_send(site.config_file)
            out, err = dry.communicate(timeout=120)
            assert dry.returncode == 0, err
            assert f"{left} webmention(s) to send" in out

        receiver.new_run(None)
        final = start_send(site.config_file, "--yes")
        out, err = final.communicate(timeout=120)
        assert final.returncode == 0, out + err

    delivered = Counter(receiver.accepted)
    assert [pair for pair, times in delivered.items() if times > 1] == []
    assert set(delivered) == expected
    ledger = load_ledger(site.root / "backlinks" / "ledger.json")
    outcomes = {
        (ledger.sends[page].source, key): target.outcome
        for page in ledger.sends
        for key, target in ledger.sends[page].targets.items()
    }
    assert outcomes == dict.fromkeys(expected, "accepted")
    # Nothing of the interrupted runs is left beside the ledger.
    assert sorted(p.name for p in (site.root / "backlinks").iterdir()) == [
        "ledger.json",
        "outreach.csv",
        "outreach.html",
        "outreach.json",
        "outreach.md",
    ]
