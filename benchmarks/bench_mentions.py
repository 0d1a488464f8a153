#!/usr/bin/env python3
"""Measure what stored incoming mentions add to ``mkdocs build`` with the plugin.

Usage (with the interpreter that has mkdocs and the plugin installed)::

    python benchmarks/bench_mentions.py                       # 3000 pages, 30000 mentions
    python benchmarks/bench_mentions.py --pages 1000 --mentions 10000 --rounds 3

Method, and why:

* **The same site twice.**  ``bench_build.generate_site`` writes the synthetic site (about ten
  internal and five outside links a page); both configurations enable the plugin, offline,
  with the same options.  ``without.yml`` has an empty data folder; ``with.yml`` has a data
  folder holding a mentions store of ``--mentions`` mentions spread over the pages, in the
  plugin's own format (written with ``mentions.save_store``).  So the difference between the
  two builds is what the mentions cost: loading and re-checking the store, matching targets
  to pages, building the display data and rendering it into the pages.
* **A realistic mix.**  About 40% likes, 15% reposts, 5% bookmarks, 30% replies (with a
  paragraph of HTML) and 10% plain mentions, from 2,000 authors with avatars, targets written
  in the variants receivers send (``http``, ``www.``, ``index.html``, fragments), and 2% of
  them aimed at pages that do not exist.  Pages get a Zipf-like share, so some pages have
  hundreds of mentions and many have a few.  The store is then loaded and saved once by the
  plugin's own functions, so it is in the cleaned form a fetch writes.
* **Measured like bench_build.**  Separate ``mkdocs build`` children, user CPU from
  ``os.wait4``, one untimed warm-up of each, then interleaved rounds (without, with, without,
  with, ...), medians reported with min and max.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_build import generate_site, run_build, write_configs

from mkdocs_backlinks.mentions.model import Mention, MentionsStore
from mkdocs_backlinks.mentions.store import load_store, save_store

SITE_URL = "https://docs.example.com/"
KINDS = (("like", 40), ("repost", 15), ("bookmark", 5), ("reply", 30), ("mention", 10))
REPLY_HTML = (
    "<p>Thanks for writing this up. The part about <em>{a}</em> and {b} was exactly what I "
    'needed; I linked it from <a href="https://{host}/notes/{n}">my notes</a> too.</p>'
)


def page_urls(docs: Path) -> list[str]:
    urls = []
    for path in sorted(docs.rglob("*.md")):
        rel = path.relative_to(docs).as_posix()[: -len(".md")]
        if rel == "index":
            urls.append("")
        elif rel.endswith("/index"):
            urls.append(rel[: -len("index")])
        else:
            urls.append(rel + "/")
    return urls


def variant(rng: random.Random, url: str) -> str:
    roll = rng.random()
    if roll < 0.1:
        return url.replace("https://", "http://www.")
    if roll < 0.15:
        return url + "index.html"
    if roll < 0.2:
        return url + "#comments"
    return url


def make_store(urls: list[str], count: int, seed: int) -> MentionsStore:
    rng = random.Random(f"mentions-{seed}")
    weights = [1 / (rank + 1) ** 0.8 for rank in range(len(urls))]
    targets = rng.choices(urls, weights=weights, k=count)
    kinds = rng.choices([k for k, _ in KINDS], weights=[w for _, w in KINDS], k=count)
    mentions = []
    for number, (path, kind) in enumerate(zip(targets, kinds, strict=True), start=1):
        author = rng.randrange(2000)
        host = f"person{author}.example.net"
        source = f"https://{host}/{kind}s/{number}"
        target = SITE_URL + path
        if rng.random() < 0.02:
            target = SITE_URL + f"gone/page-{number}/"
        html = text = ""
        if kind in ("reply", "mention"):
            a, b = rng.sample(("caching", "anchors", "redirects", "the nav", "search"), 2)
            html = REPLY_HTML.format(a=a, b=b, host=host, n=number)
            text = f"Thanks for writing this up. The part about {a} and {b} was exactly..."
        day = 1 + number % 28
        mentions.append(
            Mention(
                id=str(100000 + number),
                kind=kind,  # type: ignore[arg-type]
                source=source,
                target=variant(rng, target),
                url=source,
                author_name=f"Person {author}",
                author_url=f"https://{host}/",
                author_photo=f"https://{host}/avatar.jpg",
                published=f"2024-{1 + number % 12:02d}-{day:02d}T10:00:00Z",
                received=f"2024-{1 + number % 12:02d}-{day:02d}T10:05:00Z",
                title="A post about it" if kind == "mention" else "",
                content_html=html,
                content_text=text,
            )
        )
    return MentionsStore(tuple(mentions), {})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=3000)
    parser.add_argument("--mentions", type=int, default=30000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)

    base = args.workdir.resolve() if args.workdir else Path(tempfile.mkdtemp(prefix="bench-m-"))
    root = base / f"mentions-{args.pages}"
    if root.exists():
        shutil.rmtree(root)
    (root / "docs").mkdir(parents=True)
    stats, indexes = generate_site(root / "docs", args.pages, args.seed)
    urls = page_urls(root / "docs")
    configs = {}
    for name in ("without", "with"):
        options = {"offline": True, "data_dir": f"data-{name}"}
        written = write_configs(root, indexes, "sections", options)
        path = root / f"{name}.yml"
        written["plugin"].rename(path)
        configs[name] = path
    store_file = root / "data-with" / "mentions.json"
    save_store(store_file, make_store(urls, args.mentions, args.seed))
    # As a fetch would have written it: every field through the plugin's own cleaning.
    save_store(store_file, load_store(store_file))
    size = (root / "data-with" / "mentions.json").stat().st_size
    print(
        f"{stats.total_pages} pages, {args.mentions} mentions ({size / 1e6:.1f} MB store) "
        f"in {root}",
        file=sys.stderr,
    )

    samples: dict[str, list[float]] = {"without": [], "with": []}
    for name, config in configs.items():  # warm-up, untimed
        sample, stderr = run_build(config, root / f"out-{name}", root / f"{name}.log", quiet=False)
        summary = [line for line in stderr.splitlines() if "mentions shown" in line]
        print(f"warm-up {name}: {sample.wall_s:.1f}s {summary[-1:] or ''}", file=sys.stderr)
    for number in range(args.rounds):
        for name, config in configs.items():
            sample, _ = run_build(config, root / f"out-{name}", root / f"{name}.log")
            samples[name].append(sample.user_s)
            print(f"round {number + 1} {name:7}: user {sample.user_s:.2f}s", file=sys.stderr)

    without = statistics.median(samples["without"])
    with_ = statistics.median(samples["with"])
    print(f"## {stats.total_pages} pages, {args.mentions} stored mentions, {args.rounds} rounds\n")
    print("| build | user CPU median | min-max |")
    print("| --- | ---: | ---: |")
    for name in ("without", "with"):
        values = samples[name]
        print(
            f"| plugin, {name} mentions | {statistics.median(values):.2f} s "
            f"| {min(values):.2f}-{max(values):.2f} |"
        )
    print(f"\nWith mentions vs without: {(with_ / without - 1) * 100:+.1f}% user CPU")
    if not args.keep:
        shutil.rmtree(base if not args.workdir else root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
