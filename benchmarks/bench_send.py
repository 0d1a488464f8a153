"""Time `mkdocs-backlinks send` on a generated site, against local servers only.

Generates PAGES pages that each cite CITES works out of WORKS on a receiver on 127.0.0.2 (an
endpoint in a Link header, answering 202), builds the site with `site_url` pointing at a
static server on 127.0.0.1 that serves the build, and times, each in a fresh process:

1. the dry run (ledger + built site only, no network),
2. `--discover` (every live page fetched, every endpoint discovered, no POST),
3. `--yes` with `--interval 0` (every webmention posted),
4. `--yes` again with nothing changed (nothing to send),
5. `--yes` after one page changed.

Usage: python benchmarks/bench_send.py [--pages 300] [--cites 5] [--works 100]
"""

from __future__ import annotations

import argparse
import functools
import os
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


class Receiver(BaseHTTPRequestHandler):
    posts = 0
    lock = threading.Lock()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        body = b"<!doctype html><title>Work</title><p>A work.</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Link", '</wm>; rel="webmention"')
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with Receiver.lock:
            Receiver.posts += 1
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()


class Files(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve(server: ThreadingHTTPServer) -> None:
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()


def run(label: str, *args: str) -> None:
    before = Receiver.posts
    # Every request goes to the servers above, on this machine: an offline switch meant for
    # the builds (MKDOCS_BACKLINKS_OFFLINE) would only make every run fail.
    env = {key: value for key, value in os.environ.items() if key != "MKDOCS_BACKLINKS_OFFLINE"}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs_backlinks.cli", "send", *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    elapsed = time.perf_counter() - started
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr
    print(
        f"| {label} | {elapsed:.2f} s | {Receiver.posts - before} | {done.returncode} | {summary} |"
    )
    if done.returncode == 2:  # a usage or configuration error: the figures would mean nothing
        sys.exit(f"{label}: {done.stderr.strip()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--cites", type=int, default=5)
    parser.add_argument("--works", type=int, default=100)
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="bench-send-"))
    receiver = ThreadingHTTPServer(("127.0.0.2", 0), Receiver)
    serve(receiver)
    work = f"http://127.0.0.2:{receiver.server_address[1]}/work"
    site_dir = root / "site"
    site_dir.mkdir()
    live = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Files, directory=str(site_dir)))
    serve(live)
    docs = root / "docs"
    docs.mkdir()
    for n in range(args.pages):
        links = " ".join(
            f"See [work {w}]({work}/{(n * args.cites + w) % args.works})."
            for w in range(args.cites)
        )
        (docs / f"page-{n}.md").write_text(f"# Page {n}\n\n{links}\n", encoding="utf-8")
    config = root / "mkdocs.yml"
    config.write_text(
        f"site_name: Bench\nsite_url: http://127.0.0.1:{live.server_address[1]}/\n"
        "plugins:\n  - backlinks\n",
        encoding="utf-8",
    )
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(config)], check=True)
    common = ("-f", str(config), "--allow-network", "127.0.0.0/8")
    print(f"{args.pages} pages x {args.cites} citations of {args.works} works\n")
    print("| run | wall time | POSTs | exit | last line |\n| --- | ---: | ---: | ---: | --- |")
    run("dry run", *common)
    run("--discover", *common, "--discover")
    run("--yes --interval 0", *common, "--yes", "--interval", "0")
    run("--yes again, unchanged", *common, "--yes", "--interval", "0")
    (docs / "page-0.md").write_text(f"# Page 0\n\nNow only [one]({work}/0).\n", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(config)], check=True)
    run("--yes after one page changed", *common, "--yes", "--interval", "0")
    print(f"\n(site in {root})")


if __name__ == "__main__":
    main()
