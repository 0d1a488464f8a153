"""A site whose every build changes the data folder, run as real `mkdocs build` and
`mkdocs-backlinks` processes: for the tests that kill, race and merge them.

Each `change(n)` adds a page citing `https://siteN.example/` (a new work and a new contact in
the ledger) and a mention to the JF2 file source (a new record in the mentions store).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from mkdocs_backlinks.ledger.file import parse_ledger
from mkdocs_backlinks.ledger.format import dumps
from mkdocs_backlinks.mentions.store import dumps_store, load_store

SITE_URL = "https://example.org/blog/"
TEMP_NAME = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp")
DATA_FILES = (
    "ledger.json",
    "mentions.json",
    "moderation.json",
    "outreach.md",
    "outreach.csv",
    "outreach.json",
    "outreach.html",
)


def entry(n: int) -> dict[str, Any]:
    source = f"https://friend{n}.example.net/notes/{n}"
    return {
        "type": "entry",
        "wm-id": 1000 + n,
        "wm-source": source,
        "wm-target": SITE_URL,
        "wm-property": "mention-of",
        "url": source,
        "author": {"type": "card", "name": f"Friend {n}", "url": f"https://friend{n}.example.net/"},
        "published": "2024-02-01T09:00:00Z",
        "content": {"text": f"Mention number {n}"},
    }


class DataSite:
    """The site in `root`, its data folder `root/backlinks`."""

    def __init__(self, root: Path, plugin: dict[str, Any] | None = None, **mkdocs: Any) -> None:
        self.root = root
        self.data = root / "backlinks"
        self.entries: list[dict[str, Any]] = []
        (root / "docs").mkdir(parents=True, exist_ok=True)
        (root / "docs" / "index.md").write_text("# Home\n\nWelcome.\n", encoding="utf-8")
        (root / "mentions").mkdir(exist_ok=True)
        self._write_feed()
        options: dict[str, Any] = {
            "metadata": {"enabled": False},
            "mentions": {"sources": [{"file": "mentions/feed.json"}]},
        }
        options.update(plugin or {})
        config = {
            "site_name": "Data site",
            "site_url": SITE_URL,
            "plugins": [{"backlinks": options}],
            **mkdocs,
        }
        (root / "mkdocs.yml").write_text(yaml.safe_dump(config), encoding="utf-8")

    @property
    def ledger(self) -> Path:
        return self.data / "ledger.json"

    def _write_feed(self) -> None:
        feed = json.dumps({"type": "feed", "children": self.entries})
        (self.root / "mentions" / "feed.json").write_text(feed, encoding="utf-8")

    def change(self, n: int, pages: int = 1) -> None:
        """A page citing `pages` new works from site N, and a mention from friend N."""
        links = "\n".join(f"- [work {k}](https://site{n}.example/work/{k})" for k in range(pages))
        (self.root / "docs" / f"page{n}.md").write_text(
            f"# Page {n}\n\nI learnt this from these.\n\n{links}\n", encoding="utf-8"
        )
        self.entries.append(entry(n))
        self._write_feed()

    # --- processes

    def env(self, **extra: str) -> dict[str, str]:
        return {**os.environ, "MKDOCS_BACKLINKS_OFFLINE": "1", **extra}

    def build_command(self) -> list[str]:
        return [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(self.root / "mkdocs.yml")]

    def command(self, *args: str) -> list[str]:
        config = str(self.root / "mkdocs.yml")
        return [sys.executable, "-m", "mkdocs_backlinks.cli", *args, "-f", config]

    def start(self, argv: list[str], **env: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            argv,
            cwd=self.root,
            env=self.env(**env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def run(self, argv: list[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            argv,
            cwd=self.root,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def build(self) -> subprocess.CompletedProcess[str]:
        result = self.run(self.build_command())
        assert result.returncode == 0, result.stderr
        return result

    def mark(self, contact: str, status: str = "sent") -> subprocess.CompletedProcess[str]:
        result = self.run(self.command("mark", contact, "--status", status))
        assert result.returncode == 0, result.stderr
        return result

    # --- the data folder

    def snapshot(self) -> dict[str, bytes]:
        if not self.data.is_dir():
            return {}
        return {p.name: p.read_bytes() for p in self.data.iterdir() if p.is_file()}

    def temp_files(self) -> list[str]:
        if not self.data.is_dir():
            return []
        return sorted(p.name for p in self.data.iterdir() if TEMP_NAME.fullmatch(p.name))

    def check_whole(self, before: dict[str, bytes]) -> None:
        """Every data file is the version before or a complete one; nothing else is there
        but temporary files a killed writer left (the next writer removes them)."""
        for path in self.data.iterdir():
            name = path.name
            if TEMP_NAME.fullmatch(name):
                continue
            assert name in DATA_FILES, f"unexpected {name} in the data folder"
            data = path.read_bytes()
            if before.get(name) == data:
                continue
            text = data.decode("utf-8")
            if name == "ledger.json":
                assert dumps(parse_ledger(text, path)) == text  # whole, and in its own form
            elif name == "mentions.json":
                assert dumps_store(load_store(path)) == text
            elif name == "outreach.json":
                json.loads(text)
            elif name == "outreach.csv":
                rows = list(csv.reader(io.StringIO(text)))
                assert rows and all(len(row) == len(rows[0]) for row in rows)
            elif name == "outreach.html":
                assert text.rstrip().endswith("</html>"), text[-200:]
            else:
                assert text.endswith("\n")

    def listed_contacts(self) -> dict[str, str]:
        """Contact id -> status, as outreach.json lists them."""
        report = json.loads((self.data / "outreach.json").read_text(encoding="utf-8"))
        return {row["id"]: row["status"] for row in report["contacts"]}

    def ledger_contacts(self) -> dict[str, str]:
        ledger = parse_ledger(self.ledger.read_text(encoding="utf-8"), self.ledger)
        return {cid: c.status for cid, c in ledger.contacts.items()}
