#!/usr/bin/env python3
"""Measure the peak memory the ``backlinks`` plugin adds for one page that cites thousands of works.

Usage (with the interpreter that has mkdocs and the plugin installed)::

    python benchmarks/bench_big_page.py                        # one page citing 7,000 works
    python benchmarks/bench_big_page.py --citations 20000 --rounds 3
    python benchmarks/bench_big_page.py --plugin-options '{"max_entries": 0}'
    python benchmarks/bench_big_page.py --theme material

Method, and why:

* **The long page of real sites.**  Release notes and changelogs cite one pull request or
  issue per line, thousands on one page (FastAPI's release notes cite about 4,500 works).
  ``big.md`` is such a page: ``--citations`` list items, each citing a distinct work, most
  of them on one forge (one large site group), the rest spread over a few hundred hosts, and
  ``--backlinks`` small pages that link to it, so both of its sections are long.  A few
  ordinary pages surround it.  The Markdown is the same for the same arguments.
* **Plugin on vs plugin off.**  ``plain.yml`` has ``plugins: []``; ``plugin.yml`` has only
  ``backlinks`` (offline, with ``--plugin-options``); ``quiet.yml`` is the plugin with both
  sections switched off, to tell what the sections hold from what collecting the links holds;
  ``fresh.yml`` is the plugin whose data folder is removed before each build, so the ledger
  and the outreach lists are written whole every time (a first build, or one after the
  citations changed), where the others find their ledger unchanged since the warm-up (a
  rebuild).  Each config has its own data folder, so none rewrites another's ledger.
  Everything else (theme, Markdown extensions, pages) is the same.
* **Peak RSS from the kernel.**  Each build is a separate ``mkdocs build`` child, measured
  by ``bench_build.run_build`` (``ru_maxrss`` from ``os.wait4``): the whole process's peak,
  so nothing the plugin keeps can hide.  One untimed warm-up of each config, then
  interleaved rounds; medians reported with min and max.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_build import run_build

CONFIGS = ("plain", "plugin", "quiet", "fresh")
WORDS = (
    "search", "navigation", "theme", "plugin", "anchors", "tables", "cache", "redirects",
    "headings", "footnotes", "dark mode", "the sitemap", "code blocks", "admonitions",
)  # fmt: skip


def big_page(citations: int) -> str:
    """A changelog: one line per work, each work cited once, in versions of 50 lines."""
    lines = ["# Release notes", ""]
    for number in range(citations):
        if number % 50 == 0:
            lines += ["", f"## Version 0.{number // 50}.0", ""]
        topic = WORDS[number % len(WORDS)]
        other = WORDS[(number * 7 + 3) % len(WORDS)]
        if number % 4:
            url = f"https://github.com/example/project/pull/{number + 1}"
            text = f"#{number + 1}"
        else:
            url = f"https://site{number % 300}.example.net/posts/{number}/notes-on-{number % 97}"
            text = f"a post about {topic}"
        lines.append(f"- Fixed {topic} when {other} is on, reported in [{text}]({url}) by a user.")
    return "\n".join(lines) + "\n"


def generate(docs: Path, citations: int, backlinks: int) -> None:
    docs.mkdir(parents=True)
    (docs / "index.md").write_text(
        "# Home\n\nRead [the release notes](big.md) and [the guide](guide.md).\n",
        encoding="utf-8",
    )
    (docs / "guide.md").write_text(
        "# Guide\n\nSee [the release notes](big.md#version-000) and "
        "[the theme docs](https://www.mkdocs.org/user-guide/choosing-your-theme/).\n",
        encoding="utf-8",
    )
    (docs / "big.md").write_text(big_page(citations), encoding="utf-8")
    notes = docs / "notes"
    notes.mkdir()
    for number in range(backlinks):
        (notes / f"note-{number}.md").write_text(
            f"# Note {number}\n\nThis change is listed in [the release notes](../big.md) "
            f"under version {number}.\n",
            encoding="utf-8",
        )


def write_configs(root: Path, options: dict[str, Any], theme: str = "mkdocs") -> dict[str, Path]:
    common = [
        "site_name: Big page benchmark",
        "site_url: https://docs.example.com/",
        "docs_dir: docs",
        "theme:",
        f"  name: {theme}",
        "markdown_extensions:",
        "  - toc:",
        "      permalink: true",
        "  - attr_list",
        "validation:",
        "  nav:",
        "    omitted_files: ignore",
        "nav:",
        "  - Home: index.md",
        "  - Release notes: big.md",
    ]
    plugin = {"offline": True, **options}
    quiet = {**plugin, "credits": False, "backlinks": False, "data_dir": "data-quiet"}
    fresh = {**plugin, "data_dir": "data-fresh"}
    bodies = {
        "plain": [*common, "plugins: []"],
        # JSON is valid YAML flow syntax, so the options can be embedded as they are.
        "plugin": [*common, "plugins:", f"  - backlinks: {json.dumps(plugin)}"],
        "quiet": [*common, "plugins:", f"  - backlinks: {json.dumps(quiet)}"],
        "fresh": [*common, "plugins:", f"  - backlinks: {json.dumps(fresh)}"],
    }
    paths = {}
    for name, lines in bodies.items():
        paths[name] = root / f"{name}.yml"
        paths[name].write_text("\n".join(lines) + "\n", encoding="utf-8")
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--citations", type=int, default=7000)
    parser.add_argument("--backlinks", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--plugin-options", type=json.loads, default={})
    parser.add_argument(
        "--theme", default="mkdocs", help="material: the theme of the sites that cite the most"
    )
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)

    base = args.workdir.resolve() if args.workdir else Path(tempfile.mkdtemp(prefix="bench-b-"))
    root = base / f"big-{args.citations}"
    if root.exists():
        shutil.rmtree(root)
    generate(root / "docs", args.citations, args.backlinks)
    configs = write_configs(root, args.plugin_options, args.theme)
    print(f"one page citing {args.citations} works, in {root}", file=sys.stderr)

    peaks: dict[str, list[int]] = {name: [] for name in CONFIGS}
    for name in CONFIGS:  # warm-up, unmeasured: bytecode and page cache
        run_build(configs[name], root / f"out-{name}", root / f"{name}.log")
    for number in range(args.rounds):
        for name in CONFIGS:
            shutil.rmtree(root / "data-fresh", ignore_errors=True)
            sample, _ = run_build(configs[name], root / f"out-{name}", root / f"{name}.log")
            peaks[name].append(sample.maxrss_kib)
            print(
                f"round {number + 1} {name:6}: {sample.maxrss_kib / 1024:.1f} MiB", file=sys.stderr
            )

    page = (root / "out-plugin" / "big" / "index.html").stat().st_size
    print(
        f"## One page citing {args.citations} works, {args.backlinks} pages linking to it, "
        f"theme {args.theme}, {args.rounds} rounds\n"
    )
    print("| build | peak RSS median | min-max |")
    print("| --- | ---: | ---: |")
    labels = {
        "plain": "plugins: []",
        "plugin": "backlinks, rebuild",
        "quiet": "backlinks, rebuild, no sections",
        "fresh": "backlinks, ledger written whole",
    }
    for name in CONFIGS:
        values = peaks[name]
        print(
            f"| {labels[name]} | {statistics.median(values) / 1024:.1f} MiB "
            f"| {min(values) / 1024:.1f}-{max(values) / 1024:.1f} |"
        )
    plain = statistics.median(peaks["plain"])
    for name in CONFIGS[1:]:
        change = (statistics.median(peaks[name]) / plain - 1) * 100
        print(f"\n{labels[name]} vs plugins: []: {change:+.1f}% peak RSS", end="")
    print(f"\n\nThe big page's HTML with the plugin: {page / 1024:.0f} KiB")
    if not args.keep:
        shutil.rmtree(base if not args.workdir else root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
