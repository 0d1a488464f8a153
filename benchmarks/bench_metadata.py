"""Benchmark: metadata of 1,000 cited works from local servers that answer each in 50 ms.

Two questions:

1. **Resolving.** How long do 1,000 distinct cited URLs take, against the ideal
   `works x delay / concurrency`? Servers listen on several loopback addresses
   (127.0.0.2, 127.0.0.3, ...; Linux answers on all of 127/8), each a separate host for the
   HTTP layer's per-host limit, so that politeness is not what is measured; `--hosts 1`
   measures it instead.
2. **Building.** What does the plugin add to `mkdocs build` of a site citing those works: a cold
   build (empty cache, everything fetched), and a warm rebuild (everything in the cache, no
   request), against a plain build without the plugin and one with `metadata.enabled: false`?

Only the standard library and the installed plugin; every build is a `python -m mkdocs build`
child process. Run from the repository root:

    python benchmarks/bench_metadata.py                 # 1,000 works, 50 hosts, 5 rounds
    python benchmarks/bench_metadata.py --hosts 1       # everything on one host
    python benchmarks/bench_metadata.py --concurrency 8 32
    python benchmarks/bench_metadata.py --hosts 1 --resolve-only   # the per-host limit at work
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

PAGE = """<!doctype html><html><head><title>Work {n}</title>
<meta property="og:site_name" content="Site {host}"></head><body>
<article class="h-entry"><h1 class="p-name">Cited work number {n}</h1>
<a class="p-author h-card" href="/about">Author {n}</a><p class="e-content">Text.</p>
</article></body></html>"""


class Slow(BaseHTTPRequestHandler):
    delay = 0.05
    # HTTP/1.0: one connection per request, as for 1,000 works on as many real sites.
    protocol_version = "HTTP/1.0"
    counter = 0
    lock = threading.Lock()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        with Slow.lock:
            Slow.counter += 1
        time.sleep(self.delay)
        body = PAGE.format(n=self.path.strip("/"), host=self.server.server_address[0]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


@contextlib.contextmanager
def servers(hosts: int) -> Iterator[list[str]]:
    running = []
    try:
        for index in range(hosts):
            server = Server((f"127.0.0.{index + 2}", 0), Slow)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            running.append(server)
        yield [f"http://{s.server_address[0]}:{s.server_address[1]}" for s in running]
    finally:
        for server in running:
            server.shutdown()
            server.server_close()


def urls_for(bases: list[str], works: int) -> list[str]:
    return [f"{bases[n % len(bases)]}/{n}" for n in range(works)]


def resolve(urls: list[str], concurrency: int, per_host: int, cache: Path) -> tuple[float, int]:
    """Wall seconds for the resolver to fetch and read every URL (cold cache)."""
    from mkdocs_backlinks.graph.linkgraph import LinkGraph
    from mkdocs_backlinks.http.options import HttpOptions
    from mkdocs_backlinks.works.resolver import MetadataSettings, WorkResolver

    http = HttpOptions(
        allow_networks=(ipaddress.ip_network("127.0.0.0/8"),),
        concurrency=concurrency,
        per_host=per_host,
        deadline=30,
        batch_deadline=600,
    )
    settings = MetadataSettings(
        online=True,
        ttl=7 * 86400,
        failure_ttl=86400,
        deadline=600,
        concurrency=concurrency,
        http=lambda: http,
        per_host=per_host,
    )
    shutil.rmtree(cache, ignore_errors=True)
    resolver = WorkResolver(settings, cache)
    resolver.start({})
    started = time.perf_counter()
    resolver.want(urls)
    resolver.collect(LinkGraph())
    elapsed = time.perf_counter() - started
    resolver.close()
    titled = sum(1 for meta in resolver.known.values() if meta.title)
    return elapsed, titled


def write_site(root: Path, urls: list[str], per_page: int) -> None:
    docs = root / "docs"
    shutil.rmtree(root, ignore_errors=True)
    docs.mkdir(parents=True)
    pages = [urls[i : i + per_page] for i in range(0, len(urls), per_page)]
    for number, cited in enumerate(pages):
        lines = [f"# Page {number}", ""]
        for i, url in enumerate(cited):
            lines.append(f"Paragraph {i} of page {number} cites [work {i}]({url}) in a sentence.")
            lines.append("")
        if number:
            lines.append(f"Back to [the previous page](page-{number - 1}.md).")
        (docs / f"page-{number}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (docs / "index.md").write_text("# Home\n\nSee [the first page](page-0.md).\n")
    common = "site_name: Bench\nsite_url: https://bench.example/\nmarkdown_extensions: [toc]\n"
    (root / "plain.yml").write_text(common + "plugins: []\n")
    (root / "nometa.yml").write_text(
        common + "plugins:\n  - backlinks:\n      metadata: {enabled: false}\n"
    )
    (root / "plugin.yml").write_text(
        common
        + "plugins:\n  - backlinks:\n      allow_networks: [127.0.0.0/8]\n"
        + "      metadata: {concurrency: 8, deadline: 600}\n"
    )


def build(root: Path, config: str) -> float:
    out = root / f"out-{config}"
    shutil.rmtree(out, ignore_errors=True)
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    env.pop("MKDOCS_BACKLINKS_OFFLINE", None)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(root / config), "-d", str(out)],
        check=True,
        env=env,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--works", type=int, default=1000)
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--delay", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--per-page", type=int, default=10, help="cited works per page")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--resolve-only", action="store_true", help="skip the builds")
    args = parser.parse_args()
    Slow.delay = args.delay
    results: dict[str, Any] = {"works": args.works, "hosts": args.hosts, "delay": args.delay}
    with tempfile.TemporaryDirectory() as tmp, servers(args.hosts) as bases:
        work = Path(tmp)
        urls = urls_for(bases, args.works)
        print(f"{args.works} works on {args.hosts} hosts, {args.delay * 1000:.0f} ms each\n")
        print("| concurrency | per host | wall | ideal | wall / ideal | with title |")
        print("| ---: | ---: | ---: | ---: | ---: | ---: |")
        results["resolve"] = []
        for concurrency in args.concurrency:
            # The default per-host limit (2), or enough for the pool when the hosts are many.
            per_host = 2 if args.hosts == 1 else max(2, -(-concurrency // args.hosts))
            elapsed, titled = resolve(urls, concurrency, per_host, work / "cache")
            ideal = args.works * args.delay / concurrency
            results["resolve"].append(
                {"concurrency": concurrency, "per_host": per_host, "wall": elapsed, "ideal": ideal}
            )
            print(
                f"| {concurrency} | {per_host} | {elapsed:.2f} s | {ideal:.2f} s | "
                f"{f'{elapsed / ideal:.2f}' if ideal else '-'} | {titled} |"
            )

        if args.resolve_only:
            return
        site = work / "site"
        write_site(site, urls, args.per_page)
        before = Slow.counter
        cold = build(site, "plugin.yml")
        cold_requests = Slow.counter - before
        samples: dict[str, list[float]] = {"plain.yml": [], "nometa.yml": [], "plugin.yml": []}
        build(site, "plain.yml")  # warm-ups: imports in the page cache
        build(site, "nometa.yml")
        before = Slow.counter
        for _ in range(args.rounds):
            for config in samples:
                samples[config].append(build(site, config))
        warm_requests = Slow.counter - before
        med = {config: statistics.median(values) for config, values in samples.items()}
        results["build"] = {"cold": cold, "cold_requests": cold_requests, "median": med,
                            "warm_requests": warm_requests, "samples": samples}  # fmt: skip
        pages = -(-args.works // args.per_page) + 1
        print(f"\nSite of {pages} pages citing the {args.works} works; median of {args.rounds}:\n")
        print("| build | wall | requests |")
        print("| --- | ---: | ---: |")
        print(f"| plain `mkdocs build` (no plugin) | {med['plain.yml']:.2f} s | 0 |")
        print(f"| plugin, `metadata.enabled: false` | {med['nometa.yml']:.2f} s | 0 |")
        print(f"| plugin, cold cache (one build) | {cold:.2f} s | {cold_requests} |")
        print(f"| plugin, warm cache | {med['plugin.yml']:.2f} s | {warm_requests} |")
        overhead = med["plugin.yml"] - med["nometa.yml"]
        print(
            f"\nWarm rebuild: {overhead * 1000:+.0f} ms against the plugin without metadata, "
            f"{(med['plugin.yml'] - med['plain.yml']) * 1000:+.0f} ms against plain MkDocs."
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
