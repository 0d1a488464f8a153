"""Where the plugin's CPU goes: process time of each of its hooks over one real build.

`bench_build.py` says how much the plugin adds to a build; this says which part of the plugin
it is. It runs `mkdocs build` in process with every hook of `BacklinksPlugin` (and the link
collection, which runs inside Markdown's conversion of each page) wrapped in a timer, and
prints the totals. Process time, so another job on the machine disturbs it far less than wall
time; garbage collections are counted and timed separately because they are charged to
whichever code happens to allocate when one starts.

    python benchmarks/bench_build.py --pages 3000 --rounds 1 --keep --workdir /tmp/b
    MKDOCS_BACKLINKS_OFFLINE=1 python benchmarks/bench_hooks.py /tmp/b/site-3000/plugin.yml
"""

from __future__ import annotations

import argparse
import collections
import functools
import gc
import resource
import tempfile
import time
from collections.abc import Callable
from typing import Any

from mkdocs.commands.build import build
from mkdocs.config import load_config

from mkdocs_backlinks import plugin
from mkdocs_backlinks.links import collect

HOOKS = (
    "on_config",
    "on_pre_build",
    "on_nav",
    "on_page_markdown",
    "on_page_content",
    "on_env",
    "on_page_context",
    "on_post_page",
    "on_post_build",
)


def timed(totals: collections.Counter[str], name: str, func: Callable[..., Any]) -> Any:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return func(*args, **kwargs)
        finally:
            totals[name] += time.process_time() - started

    return wrapper


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("config", help="mkdocs.yml of a site that enables the plugin")
    args = parser.parse_args()

    totals: collections.Counter[str] = collections.Counter()
    for hook in HOOKS:
        setattr(
            plugin.BacklinksPlugin, hook, timed(totals, hook, getattr(plugin.BacklinksPlugin, hook))
        )
    # Runs inside Markdown's conversion, so no hook sees it.
    collect.LinkCollector.collect = timed(
        totals, "collect (in conversion)", collect.LinkCollector.collect
    )  # type: ignore[method-assign]

    collections_seen: collections.Counter[str] = collections.Counter()

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections_seen["seconds"] -= time.process_time()
            collections_seen[f"gen{info['generation']}"] += 1
        else:
            collections_seen["seconds"] += time.process_time()

    gc.callbacks.append(on_gc)
    with tempfile.TemporaryDirectory() as site_dir:
        config = load_config(args.config, site_dir=site_dir)
        config.plugins.on_startup(command="build", dirty=False)
        started = time.process_time()
        build(config)
        whole = time.process_time() - started

    for name, seconds in totals.most_common():
        print(f"{name:26s} {seconds:7.3f} s")
    print(f"{'plugin, all of the above':26s} {sum(totals.values()):7.3f} s")
    print(f"{'whole build':26s} {whole:7.3f} s")
    print(
        f"garbage collection: {collections_seen['seconds']:.3f} s in "
        f"{collections_seen['gen0']}/{collections_seen['gen1']}/{collections_seen['gen2']} "
        "collections of generation 0/1/2 (charged to whatever ran)"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.1f} MiB")


if __name__ == "__main__":
    main()
