"""Time the relationship ledger on a large site: what each build does with it.

The ledger is read before and written after every build, so its cost is paid on top of the
build. This measures it on synthetic data of a chosen size (default 20,000 citations of 8,000
works on 1,500 sites, from 3,000 pages), in process, with CPU time, and prints each step. Put it
next to `bench_build.py`'s plain-build figure for the same page count to see the fraction.

    python benchmarks/bench_ledger.py --citations 20000 --pages 3000
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from mkdocs_backlinks.ledger.gather import Observed
from mkdocs_backlinks.outreach.desk import OutreachDesk
from mkdocs_backlinks.outreach.lists import LIST_FILES
from mkdocs_backlinks.outreach.settings import Settings


def synthetic(citations: int, pages: int, works: int, sites: int, seed: int) -> list[Observed]:
    rng = random.Random(seed)
    words = [
        "link",
        "credit",
        "thanks",
        "source",
        "idea",
        "post",
        "note",
        "work",
        "site",
        "page",
        "writer",
        "reader",
    ]
    hosts = [f"site-{i:04d}.example.org" for i in range(sites)]
    urls = [f"https://{rng.choice(hosts)}/posts/{i:05d}/" for i in range(works)]
    out = []
    for index in range(citations):
        page = f"section-{index % 30:02d}/page-{rng.randrange(pages):05d}.md"
        sentence = " ".join(rng.choice(words) for _ in range(rng.randint(8, 20))).capitalize()
        out.append(
            Observed(
                url=rng.choice(urls),
                page=page,
                page_title=page.rsplit("/", 1)[-1],
                page_url=f"https://example.com/{page[:-3]}/",
                text=" ".join(rng.choice(words) for _ in range(3)),
                context=sentence + ".",
            )
        )
    return out


def timed(
    rounds: int, step: Callable[[], object], setup: Callable[[], object] | None = None
) -> tuple[float, float]:
    """Median CPU seconds and wall seconds of `rounds` runs (`setup` runs untimed before each)."""
    cpu, wall = [], []
    for _ in range(rounds):
        if setup is not None:
            setup()
        c0, w0 = time.process_time(), time.perf_counter()
        step()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return statistics.median(cpu), statistics.median(wall)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--citations", type=int, default=20000)
    parser.add_argument("--pages", type=int, default=3000)
    parser.add_argument("--works", type=int, default=8000)
    parser.add_argument("--sites", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    observed = synthetic(args.citations, args.pages, args.works, args.sites, args.seed)
    settings = Settings(
        site_name="Bench",
        site_url="https://example.com/",
        author="Bench",
        author_url="https://example.com/",
        sign_off="Thanks,",
        tone="friendly",
        done_statuses=("sent", "replied", "linked-back", "skipped"),
        exclude_sites=(),
        note_template=None,
        config_file="mkdocs.yml",
        today="2026-11-24",
    )
    extra = synthetic(1, args.pages, 1, 1, args.seed + 1)  # one citation of a new site
    extra = [extra[0]._replace(url="https://brand-new.example.net/post/")]

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)

        def fresh_desk() -> OutreachDesk:
            desk = OutreachDesk(folder, settings)
            desk.load()
            return desk

        def first_build() -> None:
            for name in ("ledger.json", *LIST_FILES):
                (folder / name).unlink(missing_ok=True)
            fresh_desk().record(observed)

        def restore() -> None:
            for name, content in snapshot.items():
                (folder / name).write_bytes(content)

        first_build()
        snapshot = {name: (folder / name).read_bytes() for name in ("ledger.json", *LIST_FILES)}
        scenarios: list[tuple[str, Callable[[], object], Callable[[], object] | None]] = [
            ("first build: new ledger, all lists", first_build, None),
            ("rebuild, nothing changed", lambda: fresh_desk().record(observed), restore),
            ("rebuild, one new citation", lambda: fresh_desk().record(observed + extra), restore),
        ]
        size = (folder / "ledger.json").stat().st_size
        print(
            f"{args.citations} citations from {args.pages} pages; "
            f"ledger.json {size / 1e6:.1f} MB, outreach.html "
            f"{(folder / 'outreach.html').stat().st_size / 1e6:.1f} MB"
        )
        print("| what the build does with the ledger | CPU s (median) | wall s |")
        print("|---|---:|---:|")
        for name, step, setup in scenarios:
            cpu, wall = timed(args.rounds, step, setup)
            print(f"| {name} | {cpu:.3f} | {wall:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
