#!/usr/bin/env python3
"""Measure what the ``backlinks`` plugin adds to the cost of ``mkdocs build``.

Usage (run with the interpreter that has mkdocs and the plugin installed)::

    python benchmarks/bench_build.py                      # 1000 and 3000 pages
    python benchmarks/bench_build.py --pages 10000 --rounds 3 --json out.json
    python benchmarks/bench_build.py --pages 200 --rounds 1 --plain-only  # smoke test

Why the method is what it is:

* **Synthetic, deterministic site.**  Real documentation sets of a chosen size
  are not at hand, and the plugin's cost scales with pages and links.  A
  seeded generator gives the same Markdown for the same ``--pages``/``--seed``
  on every machine and run, so numbers can be compared across commits.  Pages
  look like real docs as far as the plugin can tell: nested folders, ``##``
  headings, prose, lists, tables, code, and about ten relative ``.md`` links
  (some with ``#anchor`` to a heading that exists, some to folder
  ``index.md`` pages) plus about five external links per page, drawn from a
  fixed pool of ~2000 URLs on ~300 hosts (some with ``utm_`` tracking
  parameters).  Every link is valid, and the untimed warm-up build is run
  with MkDocs' anchor validation set to ``warn`` and reports warnings, so a
  broken generator shows up rather than silently skewing the work done.
* **Two configs, one docs dir.**  ``plain.yml`` has ``plugins: []`` - not even
  the default ``search`` plugin - and ``plugin.yml`` has only ``backlinks``.
  The only difference between the two builds is the plugin.
* **Small explicit nav by default.**  The built-in ``mkdocs`` theme renders
  the whole nav into every page, so with the auto-generated nav the build is
  quadratic in the page count and, at thousands of pages, the theme's nav
  rendering would dominate the measurement (and make 10,000 pages
  impractical).  The default ``--nav sections`` lists only the home page and
  the section index pages; every other page is still built.  ``--nav auto``
  is available to measure the full-nav case.
* **Separate processes, measured by the kernel.**  Each build is a fresh
  ``python -m mkdocs build`` child, so imports, caches and the garbage
  collector start from the same state every time (``PYTHONHASHSEED=0`` fixes
  string hashing, hence set iteration order, too) and the plugin's memory is not hidden
  inside a long-lived process.  The child's user CPU, system CPU
  and peak resident set size come from ``os.wait4`` (its own
  ``struct rusage``; ``ru_maxrss`` is in KiB on Linux), not from sampling.
* **User CPU is the headline.**  Builds are single-threaded and CPU-bound, so
  user CPU is the work done by MkDocs and the plugin, and it is much less
  sensitive to other load on the machine than wall time.  System CPU here is
  mostly writing thousands of HTML files and page-cache effects - disk
  noise - so it is reported but not relied on.
* **Warm-up, interleaving, medians.**  One untimed build of each config
  warms the page cache and bytecode cache.  Timed builds then alternate
  plain/plugin/plain/plugin..., so slow drift (thermal throttling, other
  jobs) affects both configs alike.  Medians resist the odd outlier; min/max
  are reported so that a noisy machine is visible.  The output directory is
  deleted (untimed) before every build so each one writes a fresh site.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import functools
import importlib
import importlib.metadata
import importlib.util
import itertools
import json
import os
import platform
import posixpath
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

PLUGIN_NAME = "backlinks"
PLUGIN_MODULE = "mkdocs_backlinks"
CONFIGS = ("plain", "plugin")
# With --floor: the same site built with `floor_hooks.py` at its two levels (see that file).
FLOOR_CONFIGS = ("floor-keep", "floor-show")
FLOOR_HOOKS = Path(__file__).resolve().parent / "floor_hooks.py"
# With --steady-gc: the counted builds run mkdocs through this file (see that file).
STEADY_GC = Path(__file__).resolve().parent / "steady_gc.py"
MKDOCS = ("-m", "mkdocs")
# With --peers: the same site built by plain MkDocs, by the fastest peer and by this plugin with
# its internal backlinks only and with every feature, then every feature on a first build (its
# data folder emptied) and after an edit (a page changed since its last build).
PEER_DISTRIBUTION = "mkdocs-backlinks-section-plugin"
PEER_PLUGIN = "backlinks_section"
INTERNAL_ONLY: dict[str, Any] = {
    "credits": False,
    "export": False,
    "metadata": {"enabled": False},
    "outreach": {"enabled": False},
    "mentions": {"enabled": False},
}
PEER_CONFIGS = ("plain", "peer", "internal", "every", "every-first", "every-edit")
PEER_LABELS = {
    "plain": "plain MkDocs (`plugins: []`)",
    "peer": f"{PEER_DISTRIBUTION} (its defaults)",
    "internal": "backlinks, internal backlinks only",
    "every": "backlinks, every feature",
    "every-first": "backlinks, every feature, first build (empty data folder)",
    "every-edit": "backlinks, every feature, after an edit (one page changed)",
}

# A fixed vocabulary: all lowercase ASCII, so that a heading made of these
# words has a predictable ``toc`` slug (the words joined with ``-``).
_VOCABULARY_TEXT = """
    able about above access account action active adapter address admin
    agent alert alias align allow alpha anchor answer apply archive array
    asset attach audit author backend backup badge balance banner base batch
    before beta binary block board branch bridge browser buffer bundle button
    cache call canvas capture card catalog chain change channel chart check
    choice chunk circle class clean client clock cloud cluster code column
    command commit common compile config console contact content context
    control cookie copy core count course cover create credit cursor custom
    cycle daemon data debug default define delta deploy design detail device
    digest direct domain draft driver dynamic edge editor element empty
    engine entry error event example export extend factor feature field
    filter final flag format frame function gamma gateway global graph group
    handle header health helper history host image import index input
    instance issue item kernel key label layer layout legacy level library
    limit line link list local lock logic manual market matrix member memory
    merge message method metric mirror mode model module monitor native
    network node notice number object offset option order output owner
    package page panel parser patch path pattern payload period phase pixel
    plugin policy pool port portal prefix preview primary profile project
    prompt proxy public query queue quota range reader record region release
    remote render report request resource result review route runtime sample
    scale schema scope screen script search section secure select server
    session shadow signal source space stack stage state status storage
    stream string style system table target task template theme thread token
    topic trace track update upload user value vector version view volume
    widget window worker zone
"""
VOCABULARY = tuple(_VOCABULARY_TEXT.split())
TLDS = ("com", "org", "net", "io", "dev", "info")
LANGUAGES = ("python", "yaml", "bash", "json", "text")
ADMONITIONS = ("note", "tip", "warning", "info")


@dataclass(frozen=True)
class PageSpec:
    """What must be known about a page before any page links to it."""

    path: str  # POSIX path relative to the docs dir, e.g. ``section-03/topic-1/page-00042.md``
    title: str
    headings: tuple[str, ...]

    @property
    def slugs(self) -> tuple[str, ...]:
        """The ``toc`` ids of the ``##`` headings (all words are ``[a-z]``)."""
        return tuple("-".join(h.lower().split()) for h in self.headings)


@dataclass
class SiteStats:
    """Facts about a generated site, recorded in the JSON output."""

    content_pages: int = 0
    index_pages: int = 0
    markdown_bytes: int = 0
    internal_links: int = 0
    anchor_links: int = 0
    index_links: int = 0
    external_links: int = 0
    distinct_external_urls: int = 0
    generate_seconds: float = 0.0

    @property
    def total_pages(self) -> int:
        return self.content_pages + self.index_pages


@dataclass
class Sample:
    """One timed build."""

    config: str
    round: int
    wall_s: float
    user_s: float
    sys_s: float
    maxrss_kib: int
    partner: str = ""
    """With --paired, for a plain build: the variant built beside it, started at the same time."""


@dataclass
class SizeResult:
    """All measurements for one ``--pages`` value."""

    pages: int
    site: SiteStats
    warmup_warnings: dict[str, int] = field(default_factory=dict)
    samples: list[Sample] = field(default_factory=list)
    instructions: dict[str, int] = field(default_factory=dict)
    """With --instructions: each build's instruction count under Valgrind, by config."""
    misses: dict[str, int] = field(default_factory=dict)
    """With --misses: each build's misses of the modelled second-level cache, by config."""


# --------------------------------------------------------------------------
# Site generation
# --------------------------------------------------------------------------


def external_url_pool(rng: random.Random, hosts: int = 300, urls: int = 2000) -> list[str]:
    """Return ``urls`` distinct external URLs spread over ``hosts`` hosts."""
    host_names: set[str] = set()
    while len(host_names) < hosts:
        sub = rng.choice(("www", "docs", "blog", "api", "dev", "wiki"))
        a, b = rng.sample(VOCABULARY, 2)
        host_names.add(f"{sub}.{a}{b}.{rng.choice(TLDS)}")
    ordered_hosts = sorted(host_names)
    pool: set[str] = set()
    while len(pool) < urls:
        host = rng.choice(ordered_hosts)
        depth = rng.randint(0, 3)
        path = "/".join(rng.choices(VOCABULARY, k=depth))
        url = f"https://{host}/{path}"
        if depth and rng.random() < 0.3:
            url += rng.choice(("/", ".html"))
        if rng.random() < 0.15:
            url += f"?utm_source={rng.choice(VOCABULARY)}&utm_medium=docs"
        elif rng.random() < 0.05:
            url += f"#{rng.choice(VOCABULARY)}"
        pool.add(url)
    return sorted(pool)


def words(rng: random.Random, low: int, high: int) -> list[str]:
    return rng.choices(VOCABULARY, k=rng.randint(low, high))


def heading_text(rng: random.Random, taken: set[str]) -> str:
    """Return a 2-4 word heading whose slug is not in ``taken`` (and reserve it)."""
    while True:
        ws = words(rng, 2, 4)
        slug = "-".join(ws)
        if slug not in taken:
            taken.add(slug)
            return " ".join(ws).capitalize()


def plan_pages(rng: random.Random, n_pages: int) -> tuple[list[PageSpec], list[PageSpec]]:
    """Lay out ``n_pages`` content pages in nested folders, plus folder index pages.

    Returns ``(content_pages, index_pages)``.
    """
    n_sections = max(1, -(-n_pages // 250))
    sec_width = max(2, len(str(n_sections)))
    page_width = max(5, len(str(n_pages)))
    folders: list[str] = []  # folders that can hold pages
    index_paths = ["index.md"]
    for s in range(1, n_sections + 1):
        section = f"section-{s:0{sec_width}d}"
        folders.append(section)
        index_paths.append(f"{section}/index.md")
        for t in range(1, rng.randint(3, 8) + 1):
            folders.append(f"{section}/topic-{t}")
            index_paths.append(f"{section}/topic-{t}/index.md")
    section_folders = [f for f in folders if "/" not in f]
    topic_folders = [f for f in folders if "/" in f]

    def spec(path: str, title: str) -> PageSpec:
        taken = {"-".join(title.lower().split())}
        heads = tuple(heading_text(rng, taken) for _ in range(rng.randint(3, 5)))
        return PageSpec(path=path, title=title, headings=heads)

    content = []
    for i in range(n_pages):
        # ~10% of pages live directly in a section folder, the rest in topics.
        folder = rng.choice(section_folders if rng.random() < 0.1 else topic_folders)
        title = f"{' '.join(words(rng, 2, 4)).capitalize()} {i:0{page_width}d}"
        content.append(spec(f"{folder}/page-{i:0{page_width}d}.md", title))
    indexes = []
    for path in index_paths:
        folder = posixpath.dirname(path)
        name = folder.replace("/", " ").replace("-", " ").title() if folder else "Home"
        indexes.append(spec(path, name))
    return content, indexes


class PageWriter:
    """Render page Markdown; holds what every page needs to pick link targets."""

    def __init__(
        self, rng: random.Random, pages: list[PageSpec], indexes: list[PageSpec], urls: list[str]
    ) -> None:
        self.rng = rng
        self.pages = pages
        self.indexes = indexes
        self.all_pages = pages + indexes
        self.urls = urls
        self.stats = SiteStats(content_pages=len(pages), index_pages=len(indexes))
        self.used_urls: set[str] = set()

    def sentence(self) -> list[str]:
        ws = words(self.rng, 8, 20)
        ws[0] = ws[0].capitalize()
        return ws

    def internal_link(self, source: PageSpec) -> str:
        rng = self.rng
        roll = rng.random()
        target = rng.choice(self.indexes if roll < 0.15 else self.all_pages)
        if target is source:
            target = self.indexes[0] if source is not self.indexes[0] else self.pages[0]
        if target.path.endswith("index.md"):
            self.stats.index_links += 1
        href = relative_href(source.path, target.path)
        if 0.15 <= roll < 0.45:
            href += "#" + rng.choice(target.slugs)
            self.stats.anchor_links += 1
        self.stats.internal_links += 1
        return f"[{' '.join(words(rng, 1, 4))}]({href})"

    def external_link(self) -> str:
        url = self.rng.choice(self.urls)
        self.used_urls.add(url)
        self.stats.external_links += 1
        return f"[{' '.join(words(self.rng, 1, 3))}]({url})"

    def render(self, page: PageSpec) -> str:
        rng = self.rng
        n_sections = len(page.headings) + 1  # intro + one per ``##`` heading
        n_paragraphs = rng.randint(6, 10)
        # Every section gets at least one paragraph; the rest are spread randomly.
        per_section = [1] * n_sections
        for _ in range(max(0, n_paragraphs - n_sections)):
            per_section[rng.randrange(n_sections)] += 1
        paragraphs = [
            [self.sentence() for _ in range(rng.randint(2, 6))] for _ in range(sum(per_section))
        ]
        # Put the links inside sentences, after a word.
        sentences = [s for p in paragraphs for s in p]
        links = [self.internal_link(page) for _ in range(rng.randint(8, 12))]
        links += [self.external_link() for _ in range(rng.randint(3, 7))]
        for link in links:
            s = rng.choice(sentences)
            s.insert(rng.randint(1, len(s)), link)

        out = [f"# {page.title}", ""]
        cut = list(itertools.accumulate(per_section))
        extras = rng.sample(range(n_sections), k=min(n_sections, 3))  # where list/table/code go
        for sec in range(n_sections):
            if sec:
                out += [f"## {page.headings[sec - 1]}", ""]
            start = cut[sec - 1] if sec else 0
            for para in paragraphs[start : cut[sec]]:
                out.append(" ".join(" ".join(s) + "." for s in para))
                if rng.random() < 0.1:
                    out.append("{: .lead }")
                out.append("")
            if sec == extras[0]:
                out += [f"- {' '.join(words(rng, 2, 8))}" for _ in range(rng.randint(3, 6))]
                out.append("")
            if len(extras) > 1 and sec == extras[1] and rng.random() < 0.35:
                out += self.table()
            if len(extras) > 2 and sec == extras[2] and rng.random() < 0.4:
                out += self.code_block()
            if rng.random() < 0.08:
                kind = rng.choice(ADMONITIONS)
                out += [f'!!! {kind} "{" ".join(words(rng, 1, 3)).capitalize()}"', ""]
                out += ["    " + " ".join(self.sentence()) + ".", ""]
        return "\n".join(out)

    def table(self) -> list[str]:
        rng = self.rng
        cols = rng.randint(3, 5)
        rows = [
            "| " + " | ".join(w.capitalize() for w in rng.sample(VOCABULARY, cols)) + " |",
            "|" + "---|" * cols,
        ]
        for _ in range(rng.randint(3, 8)):
            cells = [
                str(rng.randint(0, 9999)) if rng.random() < 0.3 else " ".join(words(rng, 1, 3))
                for _ in range(cols)
            ]
            rows.append("| " + " | ".join(cells) + " |")
        return [*rows, ""]

    def code_block(self) -> list[str]:
        rng = self.rng
        lines = [f"```{rng.choice(LANGUAGES)}"]
        for _ in range(rng.randint(3, 12)):
            a, b, c = rng.choices(VOCABULARY, k=3)
            lines.append(f'{a}_{b} = {c}("{rng.choice(VOCABULARY)}", {rng.randint(0, 99)})')
        return [*lines, "```", ""]


@functools.cache
def _relative_dir(from_dir: str, to_dir: str) -> str:
    return posixpath.relpath(to_dir or ".", from_dir or ".")


def relative_href(source: str, target: str) -> str:
    """Return the relative link from page ``source`` to page ``target`` (POSIX paths).

    Same as ``posixpath.relpath(target, dirname(source))``, cached per folder pair
    because there are far fewer folders than links.
    """
    src_dir, _, _ = source.rpartition("/")
    tgt_dir, _, name = target.rpartition("/")
    up = _relative_dir(src_dir, tgt_dir)
    return name if up == "." else f"{up}/{name}"


def generate_site(docs_dir: Path, n_pages: int, seed: int) -> tuple[SiteStats, list[PageSpec]]:
    """Write the synthetic docs into ``docs_dir``; return stats and the index pages."""
    started = time.perf_counter()
    urls = external_url_pool(random.Random(f"urls-{seed}"))
    rng = random.Random(f"site-{seed}-{n_pages}")
    pages, indexes = plan_pages(rng, n_pages)
    writer = PageWriter(rng, pages, indexes, urls)
    for folder in sorted({posixpath.dirname(p.path) for p in writer.all_pages}):
        (docs_dir / folder).mkdir(parents=True, exist_ok=True)
    # Rendering holds the GIL; file creation mostly waits on the file system, so a few
    # writer threads overlap it with rendering.  Output does not depend on write order.
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        futures = []
        for page in writer.all_pages:
            data = writer.render(page).encode()
            writer.stats.markdown_bytes += len(data)
            futures.append(pool.submit((docs_dir / page.path).write_bytes, data))
        for future in futures:
            future.result()  # re-raise any write error
    writer.stats.distinct_external_urls = len(writer.used_urls)
    writer.stats.generate_seconds = time.perf_counter() - started
    return writer.stats, indexes


def nav_lines(indexes: list[PageSpec], nav_mode: str) -> list[str]:
    """The explicit `nav:` of `--nav sections` (home and section index pages), else none."""
    if nav_mode != "sections":
        return []
    lines = ["nav:"]
    for spec in indexes:
        if spec.path.count("/") <= 1:  # home and section index pages
            lines.append(f"  - {json.dumps(spec.title)}: {json.dumps(spec.path)}")
    return lines


def common_lines(indexes: list[PageSpec], nav_mode: str, docs_dir: str = "docs") -> list[str]:
    """What every config of a site says before `plugins:`; only the plugins differ."""
    return [
        "site_name: Backlinks benchmark",
        "site_url: https://docs.example.com/",  # real sites set it; link handling may use it
        "site_author: Pat Example",  # and sign their notes: no "notes are not signed" warning
        f"docs_dir: {docs_dir}",
        "theme:",
        "  name: mkdocs",
        "markdown_extensions:",
        "  - toc:",
        "      permalink: true",
        "  - attr_list",
        "  - admonition",
        "  - tables",
        "validation:",
        "  nav:",
        "    omitted_files: ignore",  # with --nav sections most pages are deliberately not in nav
        "  links:",
        "    anchors: warn",  # so that the warm-up build reports a broken generator
        *nav_lines(indexes, nav_mode),
    ]


def write_configs(
    root: Path,
    indexes: list[PageSpec],
    nav_mode: str,
    plugin_options: dict[str, Any],
    baseline: tuple[str, ...] = (),
    floor: bool = False,
) -> dict[str, Path]:
    """Write ``plain.yml`` and ``plugin.yml`` next to ``docs/``; return their paths.

    ``baseline`` names plugins both configs enable (``search``: the site as MkDocs' default
    config builds it), so the comparison is "the same site without our plugin". With
    ``floor``, ``floor.yml`` is the plain config plus ``floor_hooks.py`` as a hooks module.
    """
    common = common_lines(indexes, nav_mode)
    # JSON is valid YAML flow syntax, so the options can be embedded as-is.
    plugin_entry = (
        f"  - {PLUGIN_NAME}: {json.dumps(plugin_options)}"
        if plugin_options
        else f"  - {PLUGIN_NAME}"
    )
    others = [f"  - {name}" for name in baseline]
    bodies = {
        "plain": [*common, "plugins:", *others] if others else [*common, "plugins: []"],
        "plugin": [*common, "plugins:", *others, plugin_entry],
    }
    if floor:
        bodies["floor"] = [*bodies["plain"], "hooks:", f"  - {json.dumps(str(FLOOR_HOOKS))}"]
    paths = {}
    for name, lines in bodies.items():
        path = root / f"{name}.yml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths[name] = path
    return paths


# --------------------------------------------------------------------------
# Measurement
# --------------------------------------------------------------------------


class BuildFailed(RuntimeError):
    pass


def run_build(
    config: Path,
    out_dir: Path,
    log_path: Path,
    *,
    quiet: bool = True,
    name: str | None = None,
    extra_env: dict[str, str] | None = None,
    wrapper: Iterable[str] = (),
    launcher: Iterable[str] = MKDOCS,
) -> tuple[Sample, str]:
    """Run one ``mkdocs build`` child (under `wrapper`, a command such as Valgrind's, when
    given); return its measurements and its stderr. `launcher` is what Python runs to start
    MkDocs: `-m mkdocs`, or a script that runs it (`steady_gc.py`)."""
    if out_dir.exists():
        shutil.rmtree(out_dir)
    cmd = [
        *wrapper,
        sys.executable,
        *launcher,
        "build",
        *(["-q"] if quiet else []),
        "-f",
        str(config),
        "-d",
        str(out_dir),
    ]
    # Same set/dict iteration order every run.
    env = {**os.environ, "PYTHONHASHSEED": "0", **(extra_env or {})}
    # The warm-up must leave bytecode behind, as `pip install` does for an installed plugin:
    # with PYTHONDONTWRITEBYTECODE set (some CI images set it), an editable checkout would be
    # compiled again in every timed build, about 60 ms charged to the plugin.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    with log_path.open("wb") as log:
        started = time.perf_counter()
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log,
            cwd=config.parent,
            env=env,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)  # we reaped it, so tell Popen
    stderr = log_path.read_text(encoding="utf-8", errors="replace")
    if proc.returncode != 0:
        tail = "\n".join(stderr.splitlines()[-25:])
        raise BuildFailed(f"{' '.join(cmd)}\nexited with {proc.returncode}; stderr tail:\n{tail}")
    sample = Sample(
        config=name or config.stem,
        round=-1,
        wall_s=wall,
        user_s=usage.ru_utime,
        sys_s=usage.ru_stime,
        # KiB on Linux, bytes on macOS.
        maxrss_kib=usage.ru_maxrss // 1024 if sys.platform == "darwin" else usage.ru_maxrss,
    )
    return sample, stderr


def edit_page(docs_dir: Path, indexes: list[PageSpec], round_: int) -> None:
    """Cite a new site from the home page, as an author's edit does between two builds.

    Untimed, before both configs build. Without it, every timed build sees the ledger of the
    build before, unchanged, and takes the ledger's fast path; with it, the plugin build also
    merges the citation and rewrites the ledger and the four outreach lists, which is what a
    build after a real edit costs.
    """
    home = docs_dir / indexes[0].path
    with home.open("a", encoding="utf-8") as page:
        page.write(
            f"\nAn edit in round {round_} cites "
            f"[a new source](https://edit-{round_}.example.net/notes/) for the first time.\n"
        )


def _build(
    configs: dict[str, Path], name: str, root: Path, *, quiet: bool = True
) -> tuple[Sample, str]:
    """Build config `name`: a floor level is the floor config with its level in the env."""
    if name in FLOOR_CONFIGS:
        level = name.removeprefix("floor-")
        return run_build(
            configs["floor"], root / f"out-{name}", root / f"{name}.log", quiet=quiet,
            name=name, extra_env={"BACKLINKS_FLOOR": level},
        )  # fmt: skip
    return run_build(configs[name], root / f"out-{name}", root / f"{name}.log", quiet=quiet)


def bench_size(
    n_pages: int, base: Path, args: argparse.Namespace, plugin_options: dict[str, Any]
) -> SizeResult:
    root = base / f"site-{n_pages}"
    if root.exists():
        shutil.rmtree(root)
    (root / "docs").mkdir(parents=True)
    stats, indexes = generate_site(root / "docs", n_pages, args.seed)
    configs = write_configs(
        root, indexes, args.nav, plugin_options, tuple(args.baseline), floor=args.floor
    )
    names = ("plain",) if args.plain_only else CONFIGS + (FLOOR_CONFIGS if args.floor else ())
    log(
        f"[{n_pages} pages] generated {stats.total_pages} files ({stats.index_pages} index), "
        f"{stats.markdown_bytes / 1e6:.1f} MB, {stats.internal_links} internal / "
        f"{stats.external_links} external links in {stats.generate_seconds:.2f}s -> {root}"
    )
    result = SizeResult(pages=n_pages, site=stats)
    for name in names:  # untimed warm-up, not quiet, to surface warnings
        sample, stderr = _build(configs, name, root, quiet=False)
        warnings = [line for line in stderr.splitlines() if line.startswith("WARNING")]
        result.warmup_warnings[name] = len(warnings)
        log(
            f"[{n_pages} pages] warm-up {name}: {sample.wall_s:.2f}s wall, {len(warnings)} warnings"
        )
        for line in warnings[:5]:
            log(f"    {line}")
    for rnd in range(args.rounds):
        if args.edit:
            edit_page(root / "docs", indexes, rnd)
        for name in names:
            sample, _ = _build(configs, name, root)
            sample.round = rnd
            result.samples.append(sample)
            log(
                f"[{n_pages} pages] round {rnd + 1}/{args.rounds} {name:6}: "
                f"user {sample.user_s:6.2f}s sys {sample.sys_s:5.2f}s "
                f"wall {sample.wall_s:6.2f}s rss {sample.maxrss_kib / 1024:6.1f} MiB"
            )
    if not args.keep:
        for name in names:
            shutil.rmtree(root / f"out-{name}", ignore_errors=True)
    return result


def peer_installed() -> bool:
    """Whether the peer's entry point is registered in this environment."""
    names = {ep.name for ep in importlib.metadata.entry_points(group="mkdocs.plugins")}
    return PEER_PLUGIN in names


def write_peer_configs(
    root: Path, indexes: list[PageSpec], nav_mode: str, plugin_options: dict[str, Any]
) -> dict[str, Path]:
    """One config per `PEER_CONFIGS` name over the same site; return their paths.

    Each every-feature variant has its own data and cache folders, so a first build's empty
    folder or an edit's changed ledger never reaches the steady-state build; the edit variant
    also reads its own copy of `docs/` (`docs-edit/`), the only one that gets edited. Every
    variant of this plugin is offline: the figures are the plugin's, not the network's.
    """
    every = {"offline": True, **plugin_options}
    options = {
        "internal": {**INTERNAL_ONLY, "offline": True, **plugin_options},
        "every": {**every, "data_dir": "data-every", "cache_dir": ".cache/every"},
        "every-first": {**every, "data_dir": "data-first", "cache_dir": ".cache/first"},
        "every-edit": {**every, "data_dir": "data-edit", "cache_dir": ".cache/edit"},
    }
    shutil.copytree(root / "docs", root / "docs-edit", dirs_exist_ok=True)
    paths = {}
    for name in PEER_CONFIGS:
        lines = common_lines(indexes, nav_mode, "docs-edit" if name == "every-edit" else "docs")
        if name == "plain":
            lines.append("plugins: []")
        elif name == "peer":
            lines += ["plugins:", f"  - {PEER_PLUGIN}"]
        else:
            # JSON is valid YAML flow syntax, so the options can be embedded as-is.
            lines += ["plugins:", f"  - {PLUGIN_NAME}: {json.dumps(options[name])}"]
        path = root / f"{name}.yml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths[name] = path
    return paths


def _prepare_peer_build(root: Path, name: str, indexes: list[PageSpec], round_: int) -> None:
    """Untimed: empty the first build's folders, or change a page before the edit's build."""
    if name == "every-first":
        shutil.rmtree(root / "data-first", ignore_errors=True)
        shutil.rmtree(root / ".cache" / "first", ignore_errors=True)
    elif name == "every-edit" and round_ >= 0:
        edit_page(root / "docs-edit", indexes, round_)


def _round_order(names: list[str], rnd: int) -> list[str]:
    """`names` in round `rnd`'s order: each round starts one build later, so no build always
    runs first or after the same one (on a machine whose speed drifts within a round, a fixed
    order favours some)."""
    shift = rnd % len(names)
    return [*names[shift:], *names[:shift]]


def _timed_rounds(
    root: Path,
    configs: Mapping[str, Path],
    indexes: list[PageSpec],
    args: argparse.Namespace,
    n_pages: int,
) -> list[Sample]:
    """Rounds of every variant, one build at a time."""
    samples: list[Sample] = []
    for rnd in range(args.rounds):
        for name in _round_order(args.variants, rnd):
            _prepare_peer_build(root, name, indexes, rnd)
            sample, _ = run_build(
                configs[name], root / f"out-{name}", root / f"{name}.log", name=name
            )
            sample.round = rnd
            samples.append(sample)
            log(
                f"[{n_pages} pages] round {rnd + 1}/{args.rounds} {name:11}: "
                f"user {sample.user_s:6.2f}s rss {sample.maxrss_kib / 1024:6.1f} MiB"
            )
    return samples


def _timed_pairs(
    root: Path,
    configs: Mapping[str, Path],
    indexes: list[PageSpec],
    args: argparse.Namespace,
    n_pages: int,
) -> list[Sample]:
    """Rounds of pairs: each variant built at the same moment as a plain build, one on each
    core. A machine whose speed drifts (a shared virtual machine's neighbours) then slows both
    builds of a pair alike, and their ratio holds still where sequential builds minutes apart
    do not; both builds also share the last-level cache, which weighs on a plugin's misses."""
    others = [name for name in args.variants if name != "plain"]
    samples: list[Sample] = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        for rnd in range(args.rounds):
            for name in _round_order(others, rnd):
                _prepare_peer_build(root, name, indexes, rnd)
                beside = pool.submit(
                    run_build, configs["plain"], root / "out-plain-beside",
                    root / "plain-beside.log", name="plain",
                )  # fmt: skip
                built = pool.submit(
                    run_build, configs[name], root / f"out-{name}", root / f"{name}.log",
                    name=name,
                )  # fmt: skip
                plain, _ = beside.result()
                sample, _ = built.result()
                plain.round = sample.round = rnd
                plain.partner = name
                samples += [plain, sample]
                log(
                    f"[{n_pages} pages] round {rnd + 1}/{args.rounds} {name:11}: "
                    f"user {sample.user_s:6.2f}s beside plain {plain.user_s:6.2f}s "
                    f"({sample.user_s / plain.user_s - 1:+.1%}), rss "
                    f"{sample.maxrss_kib / 1024:6.1f} MiB"
                )
    return samples


def bench_peers(
    n_pages: int, base: Path, args: argparse.Namespace, plugin_options: dict[str, Any]
) -> SizeResult:
    """Every `PEER_CONFIGS` build of one generated site: a warm-up each, then rounds of all
    of them in turn, so drift on the machine reaches each alike."""
    root = base / f"site-{n_pages}"
    if root.exists():
        shutil.rmtree(root)
    (root / "docs").mkdir(parents=True)
    stats, indexes = generate_site(root / "docs", n_pages, args.seed)
    configs = write_peer_configs(root, indexes, args.nav, plugin_options)
    log(
        f"[{n_pages} pages] generated {stats.total_pages} files, {stats.internal_links} "
        f"internal / {stats.external_links} external links -> {root}"
    )
    result = SizeResult(pages=n_pages, site=stats)
    for name in args.variants:  # untimed warm-up, not quiet, to surface warnings
        _prepare_peer_build(root, name, indexes, -1)
        sample, stderr = run_build(
            configs[name], root / f"out-{name}", root / f"{name}.log", quiet=False, name=name
        )
        warnings = [line for line in stderr.splitlines() if line.startswith("WARNING")]
        result.warmup_warnings[name] = len(warnings)
        log(f"[{n_pages} pages] warm-up {name}: {sample.wall_s:.0f}s, {len(warnings)} warnings")
        for line in warnings[:5]:
            log(f"    {line}")
    timed = _timed_pairs if args.paired else _timed_rounds
    result.samples.extend(timed(root, configs, indexes, args, n_pages))
    if args.instructions:
        counted = count_instructions(
            configs, root, args.variants,
            lambda name: _prepare_peer_build(root, name, indexes, args.rounds),
            jobs=args.jobs, cache=second_level_cache() if args.misses else None,
            steady_gc=args.steady_gc,
        )  # fmt: skip
        result.instructions = {name: count for name, (count, _) in counted.items()}
        result.misses = {name: miss for name, (_, miss) in counted.items() if miss is not None}
    if not args.keep:
        for name in [*args.variants, "plain-beside"]:
            shutil.rmtree(root / f"out-{name}", ignore_errors=True)
    return result


# Valgrind's cachegrind counts the instructions a process executes; without its cache
# simulation it runs a build about 16 times slower than natively. The count depends only on
# the program and its input, not on what else the machine is doing.
VALGRIND = "valgrind"
_INSTRUCTIONS = re.compile(r"==\d+== I\s+refs:\s+([\d,]+)")
_LAST_LEVEL_MISSES = re.compile(r"==\d+== LL misses:\s+([\d,]+)")
_SYSFS_CACHE = Path("/sys/devices/system/cpu/cpu0/cache")


def second_level_cache(sysfs: Path = _SYSFS_CACHE) -> tuple[int, int, int]:
    """Size in bytes, ways and line size of this machine's second-level cache.

    Cachegrind models two levels, the first and the last, and takes the machine's last level
    for its own: on a shared server that is a third-level cache tens of MiB large (shared with
    other tenants, or reported as hundreds by a virtual machine), which a build's working set
    never misses. Modelling the per-core second level instead counts what does cost time: the
    misses that go out to the shared level or to memory. Linux says what the level is in
    sysfs; elsewhere a common one is assumed (1 MiB, 8 ways, 64-byte lines).
    """
    for index in sorted(sysfs.glob("index*")):
        try:
            level = (index / "level").read_text().strip()
            kind = (index / "type").read_text().strip()
            size = (index / "size").read_text().strip()
            ways = int((index / "ways_of_associativity").read_text())
            line = int((index / "coherency_line_size").read_text())
        except (OSError, ValueError):
            continue
        if level == "2" and kind in ("Unified", "Data") and size.endswith("K") and ways > 0:
            return int(size[:-1]) * 1024, ways, line
    return 1024 * 1024, 8, 64


def cachegrind(cache: tuple[int, int, int] | None = None) -> tuple[str, ...]:
    """The command a counted build runs under: cachegrind, simulating no cache, or with `cache`
    (size, ways and line in bytes) as the modelled last level."""
    simulation = (
        ("--cache-sim=no",)
        if cache is None
        else ("--cache-sim=yes", "--LL={},{},{}".format(*cache))
    )
    return (VALGRIND, "--tool=cachegrind", *simulation, "--cachegrind-out-file=/dev/null")


def count_instructions(
    configs: dict[str, Path],
    root: Path,
    names: Iterable[str],
    prepare: Callable[[str], None],
    jobs: int = 1,
    cache: tuple[int, int, int] | None = None,
    steady_gc: bool = False,
) -> dict[str, tuple[int, int | None]]:
    """One build of each named config under Valgrind: the instructions it executed and, with
    `cache` (size, ways and line of the cache to model as the last level), its misses there.

    Steadier than CPU time by far on a busy or small machine (the same count, to within a few
    parts in a hundred thousand, whatever else runs), so a change of a percent is visible in
    one build; for the same reason `jobs` builds may run at once, each counted alone whatever
    runs beside it. Instructions alone do not see what costs time without costing
    instructions: the memory a build touches beyond its core's caches, which the misses count
    (simulated, so as steady; about twice as slow again). With `steady_gc` each build
    collects its garbage at fixed points (`steady_gc.py`), so that where one variant's
    allocations would have set off one more full collection than another's, the misses still
    compare.
    """
    names = tuple(names)
    for name in names:  # each touches only its own folders
        prepare(name)
    wrapper = cachegrind(cache)
    launcher = (str(STEADY_GC),) if steady_gc else MKDOCS

    def count(name: str) -> tuple[int, int | None]:
        _, stderr = run_build(
            configs[name], root / f"out-{name}", root / f"{name}.log", name=name,
            wrapper=wrapper, launcher=launcher,
        )  # fmt: skip
        found = _INSTRUCTIONS.findall(stderr)
        if not found:
            raise BuildFailed(f"no instruction count from Valgrind for {name}:\n{stderr[-2000:]}")
        instructions = int(found[-1].replace(",", ""))
        misses = None
        if cache is not None:
            missed = _LAST_LEVEL_MISSES.findall(stderr)
            if not missed:
                raise BuildFailed(f"no cache misses from Valgrind for {name}:\n{stderr[-2000:]}")
            misses = int(missed[-1].replace(",", ""))
        extra = "" if misses is None else f", {misses / 1e6:7.2f} million misses"
        log(f"[{root.name}] instructions {name:11}: {instructions / 1e9:7.2f} billion{extra}")
        return instructions, misses

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(jobs, 1)) as pool:
        return dict(zip(names, pool.map(count, names), strict=True))


def instructions_table(results: list[SizeResult], labels: Mapping[str, str]) -> str:
    """Each build's instruction count (and, with --misses, its second-level cache misses)
    against plain MkDocs' build of the same site."""
    misses = any(result.misses for result in results)
    header = "| pages | build | instructions (billions) | vs plain |"
    rule = "|---:|---|---:|---:|"
    if misses:
        header += " L2 misses (millions) | vs plain |"
        rule += "---:|---:|"
    lines = [header, rule]
    for result in results:
        plain = result.instructions.get("plain")
        plain_misses = result.misses.get("plain")
        for name, count in result.instructions.items():
            cells = [str(result.site.total_pages), labels.get(name, name), f"{count / 1e9:.2f}"]
            cells.append(_versus(count, plain, name))
            if misses:
                missed = result.misses.get(name)
                cells.append("" if missed is None else f"{missed / 1e6:.2f}")
                cells.append(_versus(missed, plain_misses, name))
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _versus(value: int | None, plain: int | None, name: str) -> str:
    if name == "plain" or not plain or value is None:
        return ""
    return f"{(value / plain - 1) * 100:+.1f}%"


def peers_table(results: list[SizeResult], paired: bool = False) -> str:
    """Each build's user CPU and peak memory, medians with their range, against plain."""
    per = "per pair" if paired else "per round"
    return versus_plain(results, PEER_CONFIGS, PEER_LABELS, cpu_range=True, per=per)


# --------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------

METRICS = (  # (Sample attribute, summary key, table label, scale, format)
    ("user_s", "user_s", "user CPU (s)", 1.0, "{:.2f}"),
    ("maxrss_kib", "maxrss_mib", "peak RSS (MiB)", 1 / 1024, "{:.1f}"),
    ("wall_s", "wall_s", "wall (s)", 1.0, "{:.2f}"),
    ("sys_s", "sys_s", "system CPU (s)", 1.0, "{:.2f}"),
)


def summarize(result: SizeResult) -> dict[str, dict[str, dict[str, float]]]:
    """Return ``{metric: {config: {median, min, max}}}`` in reporting units."""
    summary: dict[str, dict[str, dict[str, float]]] = {}
    for attr, key, _, scale, _ in METRICS:
        summary[key] = {}
        for name in dict.fromkeys(s.config for s in result.samples):
            values = [getattr(s, attr) * scale for s in result.samples if s.config == name]
            if values:
                summary[key][name] = {
                    "median": statistics.median(values),
                    "min": min(values),
                    "max": max(values),
                }
    return summary


def relative_change(
    summary: dict[str, dict[str, dict[str, float]]], key: str, config: str = "plugin"
) -> float | None:
    """Return `config` median / plain median - 1 for one metric, if both were measured."""
    plain, plugin = summary[key].get("plain"), summary[key].get(config)
    if not plain or not plugin or not plain["median"]:
        return None
    return plugin["median"] / plain["median"] - 1


def per_round_change(result: SizeResult, config: str, attr: str = "user_s") -> float | None:
    """The median, over rounds, of `config`'s sample against plain's sample of the same round,
    minus one. Each round's builds run minutes apart, so a machine whose speed drifts over
    the run moves both sides of each ratio alike, where it moves the two medians apart."""
    by_round: dict[int, dict[str, float]] = {}
    for sample in result.samples:
        # With --paired, each variant is set against the plain build that ran beside it.
        name = f"plain beside {sample.partner}" if sample.partner else sample.config
        by_round.setdefault(sample.round, {})[name] = getattr(sample, attr)
    ratios = []
    for builds in by_round.values():
        plain = builds.get(f"plain beside {config}") or builds.get("plain")
        if plain and config in builds:
            ratios.append(builds[config] / plain)
    return statistics.median(ratios) - 1 if ratios else None


def markdown_table(results: list[SizeResult]) -> str:
    lines = [
        "| pages | metric | plain median | plugin median | plugin vs plain "
        "| plain min-max | plugin min-max |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        summary = summarize(result)
        for _, key, label, _, fmt in METRICS:
            cells = [summary[key].get(name) for name in CONFIGS]
            medians = [fmt.format(c["median"]) if c else "-" for c in cells]
            spreads = [
                f"{fmt.format(c['min'])}-{fmt.format(c['max'])}" if c else "-" for c in cells
            ]
            change = relative_change(summary, key)
            ratio = "-" if change is None else f"{change * 100:+.1f}%"
            if key == "user_s":  # the headline
                label = f"**{label}**"
                ratio = ratio if change is None else f"**{ratio}**"
            lines.append(
                f"| {result.site.total_pages} | {label} | {medians[0]} | {medians[1]} | {ratio} "
                f"| {spreads[0]} | {spreads[1]} |"
            )
    return "\n".join(lines)


def environment() -> dict[str, Any]:
    def version(dist: str) -> str | None:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return None

    return {
        "python": sys.version.split()[0],
        "executable": sys.executable,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "mkdocs": version("mkdocs"),
        "markdown": version("markdown"),
        "plugin_distribution": _plugin_distribution_version(),
    }


def _plugin_distribution_version() -> str | None:
    for ep in importlib.metadata.entry_points(group="mkdocs.plugins"):
        if ep.name == PLUGIN_NAME and ep.dist is not None:
            return f"{ep.dist.metadata['Name']} {ep.dist.version}"
    return None


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def check_plugin() -> None:
    """Exit with a clear message unless the plugin imports and is registered."""
    try:
        module = importlib.import_module(PLUGIN_MODULE)
    except Exception as exc:  # any import failure means "not usable"
        sys.exit(
            f"error: cannot import {PLUGIN_MODULE!r} with {sys.executable}: "
            f"{type(exc).__name__}: {exc}\n"
            "Install the plugin into this environment (e.g. `pip install -e .`) "
            "or use --plain-only."
        )
    names = {ep.name for ep in importlib.metadata.entry_points(group="mkdocs.plugins")}
    if PLUGIN_NAME not in names:
        sys.exit(
            f"error: {PLUGIN_MODULE!r} imports, but no 'mkdocs.plugins' entry point named "
            f"{PLUGIN_NAME!r} is installed; reinstall the package so that its entry points "
            "are registered."
        )
    log(f"plugin OK: {PLUGIN_MODULE} from {getattr(module, '__file__', '?')}")


def floor_table(results: list[SizeResult]) -> str:
    """Each build's user CPU and peak memory against plain, floor levels included."""
    return versus_plain(results, ("plain", *FLOOR_CONFIGS, "plugin"))


def versus_plain(
    results: list[SizeResult],
    names: Iterable[str],
    labels: Mapping[str, str] | None = None,
    *,
    cpu_range: bool = False,
    per: str = "per round",
) -> str:
    """A Markdown table of the named builds' median user CPU and peak memory, each with its
    change against plain (and, with `cpu_range`, the range of the CPU samples)."""
    names = tuple(names)
    head = ["pages", "build", "user CPU (s)", "vs plain"]
    head += [per, "CPU min-max"] if cpu_range else []
    head += ["peak RSS (MiB)", "vs plain"]
    lines = ["| " + " | ".join(head) + " |", "|---:|---|" + "---:|" * (len(head) - 2)]
    for result in results:
        summary = summarize(result)
        for name in names:
            cpu, rss = summary["user_s"].get(name), summary["maxrss_mib"].get(name)
            if not cpu or not rss:
                continue
            changes = [relative_change(summary, key, name) for key in ("user_s", "maxrss_mib")]
            ratios = ["" if c is None or name == "plain" else f"{c * 100:+.1f}%" for c in changes]
            cells = [str(result.site.total_pages), (labels or {}).get(name, name)]
            cells += [f"{cpu['median']:.2f}", ratios[0]]
            if cpu_range:
                paired = None if name == "plain" else per_round_change(result, name)
                cells += ["" if paired is None else f"{paired * 100:+.1f}%"]
                cells += [f"{cpu['min']:.2f}-{cpu['max']:.2f}"]
            cells += [f"{rss['median']:.1f}", ratios[1]]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--pages",
        type=int,
        nargs="+",
        default=[1000, 3000],
        help="content page counts to benchmark (default: 1000 3000)",
    )
    parser.add_argument(
        "--rounds", type=int, default=5, help="timed builds per config and page count (default: 5)"
    )
    parser.add_argument(
        "--seed", type=int, default=1, help="seed for the generated site (default: 1)"
    )
    parser.add_argument(
        "--plugin-options",
        type=json.loads,
        default=None,
        metavar="JSON",
        help="JSON object merged into the plugin's options",
    )
    parser.add_argument(
        "--baseline",
        action="append",
        default=[],
        metavar="PLUGIN",
        help="a plugin both configs enable, e.g. 'search' (MkDocs' default); repeatable",
    )
    parser.add_argument(
        "--nav",
        choices=("sections", "auto"),
        default="sections",
        help="'sections': small explicit nav (default); 'auto': MkDocs' full nav",
    )
    parser.add_argument(
        "--workdir", type=Path, help="where to generate sites (default: a new temporary directory)"
    )
    parser.add_argument("--keep", action="store_true", help="keep generated sites and build output")
    parser.add_argument(
        "--json", type=Path, metavar="PATH", help="write all raw samples and summaries to PATH"
    )
    parser.add_argument(
        "--check-plugin", action="store_true", help=f"fail fast unless {PLUGIN_MODULE} imports"
    )
    parser.add_argument(
        "--edit",
        action="store_true",
        help="before each round, add a citation of a new site to the home page (untimed), "
        "so each plugin build records a change: the cost of a build after an edit",
    )
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also build the site with benchmarks/floor_hooks.py at its two levels ('keep': "
        "every link's href and text kept; 'show': plus a bare backlinks list): what the job "
        "itself costs, against which the plugin's cost is read",
    )
    parser.add_argument(
        "--peers",
        action="store_true",
        help=f"build plain MkDocs, {PEER_DISTRIBUTION} (installed beforehand; see "
        "benchmarks/README.md), this plugin with internal backlinks only and with every "
        "feature (also on a first build and after an edit), interleaved, and print each "
        "against plain",
    )
    parser.add_argument(
        "--variants",
        nargs="+",
        choices=PEER_CONFIGS,
        default=list(PEER_CONFIGS),
        metavar="NAME",
        help=f"with --peers: the builds to run, of {', '.join(PEER_CONFIGS)} (default: all)",
    )
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="with --peers: after the timed rounds, build each config once more under "
        "Valgrind and count the instructions it executes (about 16 times slower than a build; "
        "--rounds 0 skips the timed rounds)",
    )
    parser.add_argument(
        "--misses",
        action="store_true",
        help="with --instructions: also model this machine's second-level cache and count "
        "each build's misses there (what costs time without costing instructions; about "
        "twice as slow again)",
    )
    parser.add_argument(
        "--steady-gc",
        action="store_true",
        help="with --instructions: the counted builds collect garbage at fixed points "
        "(benchmarks/steady_gc.py) instead of when allocations set it off, so one variant's "
        "extra collection does not move its misses",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="with --instructions: builds counted at once (default 1); the counts do not "
        "depend on it, only how long they take",
    )
    parser.add_argument(
        "--paired",
        action="store_true",
        help="with --peers: time each build beside a plain build started at the same moment "
        "(needs two cores), instead of one build at a time; steadier ratios on a machine whose "
        "speed drifts",
    )
    parser.add_argument(
        "--plain-only",
        action="store_true",
        help="build only plain.yml (smoke test without the plugin)",
    )
    args = parser.parse_args(argv)
    if args.rounds < (0 if args.instructions else 1) or any(n < 1 for n in args.pages):
        parser.error("--rounds and --pages must be positive (--rounds 0 with --instructions)")
    if args.misses and not args.instructions:
        parser.error("--misses comes with --instructions")
    if args.steady_gc and not args.instructions:
        parser.error("--steady-gc comes with --instructions")
    if args.paired and not (args.peers and "plain" in args.variants and len(args.variants) > 1):
        parser.error("--paired times --peers builds beside plain: add --peers, plain and another")
    if args.instructions and not args.peers:
        parser.error("--instructions counts the --peers builds: add --peers")
    if args.instructions and shutil.which(VALGRIND) is None:
        parser.error("--instructions needs Valgrind (Debian: apt-get install valgrind)")
    if args.plugin_options is not None and not isinstance(args.plugin_options, dict):
        parser.error("--plugin-options must be a JSON object")
    if args.peers and (args.plain_only or args.floor or args.edit or args.baseline):
        parser.error("--peers builds its own configs: no --plain-only, --floor, --edit, --baseline")
    return args


def print_report(
    args: argparse.Namespace, results: list[SizeResult], plugin_options: dict[str, Any]
) -> None:
    """The plain-against-plugin report (and the floor's table with --floor)."""
    if args.plain_only:
        config_desc = "plain only (smoke test)"
    else:
        options = json.dumps(plugin_options) if plugin_options else "(default options)"
        config_desc = f"plain vs plugin {options}"
    print(f"## mkdocs build: {config_desc}\n")
    print(
        f"{args.rounds} timed round(s) per config after 1 warm-up; nav={args.nav}; "
        f"baseline plugins: {', '.join(args.baseline) or 'none'}; "
        f"{'a new citation before each round; ' if args.edit else ''}"
        f"seed={args.seed}; mkdocs {importlib.metadata.version('mkdocs')}, "
        f"Python {sys.version.split()[0]}, {platform.machine()}\n"
    )
    print(markdown_table(results))
    if args.floor and not args.plain_only:
        print(
            "\nThe floor (benchmarks/floor_hooks.py): 'floor-keep' keeps every link's page, "
            "href and text; 'floor-show' also lists each page's citing pages.\n"
        )
        print(floor_table(results))
    print(
        "\nUser CPU is the headline figure: builds are single-threaded and CPU-bound. "
        "System CPU is mostly disk/page-cache noise from writing thousands of files; wall "
        "time includes it and any other load on the machine. Peak RSS is the child's "
        'ru_maxrss. "pages" counts all Markdown files, including folder index pages.'
    )


def print_peers(args: argparse.Namespace, results: list[SizeResult]) -> None:
    """The --peers report: each build against plain, in time and (--instructions) count."""
    print("## mkdocs build: plain MkDocs, the peer, and this plugin\n")
    if not args.rounds:
        timed = "no timed rounds"
    elif args.paired:
        timed = f"{args.rounds} timed round(s), each build beside a plain build started with it"
    else:
        timed = f"{args.rounds} timed round(s) of every build, interleaved"
    print(
        f"{timed}, after 1 warm-up each; nav={args.nav}; seed={args.seed}; this plugin offline; "
        f"mkdocs {importlib.metadata.version('mkdocs')}, {PEER_DISTRIBUTION} "
        f"{importlib.metadata.version(PEER_DISTRIBUTION)}, Python "
        f"{sys.version.split()[0]}, {platform.machine()}\n"
    )
    if args.rounds:
        print(peers_table(results, args.paired))
    if args.instructions:
        counted = "Instructions executed"
        if args.misses:
            size, ways, _ = second_level_cache()
            counted += f" and misses of a modelled {size // 1024} KiB {ways}-way L2 cache"
        if args.steady_gc:
            counted += ", garbage collected at fixed points (steady_gc.py)"
        print(f"\n{counted}, one build of each under Valgrind (cachegrind):\n")
        print(instructions_table(results, PEER_LABELS))
    print(
        "\nInternal backlinks only: credits, export, metadata, outreach and mentions off. First "
        "build: the variant's data and cache folders are removed before each build. After an "
        "edit: a citation of a new site is added to the home page of the variant's own copy of "
        "docs/ before each build."
        + (
            " Medians of the user CPU and peak RSS of each build's child process (os.wait4);"
            + (
                " 'per pair': the median of each build's ratio to the plain build beside it;"
                " plain's figures are those of every plain build of the pairs."
                if args.paired
                else " 'per round': the median of each round's ratio to that round's plain build."
            )
            if args.rounds
            else ""
        )
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if importlib.util.find_spec("mkdocs") is None:
        sys.exit(f"error: mkdocs is not installed for {sys.executable}")
    if args.check_plugin or args.peers:
        check_plugin()
    if args.peers and not peer_installed():
        sys.exit(
            f"error: --peers needs {PEER_DISTRIBUTION} (entry point {PEER_PLUGIN!r}) in this "
            f"environment: {sys.executable} -m pip install '{PEER_DISTRIBUTION}==0.1.0'"
        )
    plugin_options: dict[str, Any] = args.plugin_options or {}

    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
        base = args.workdir.resolve()
        cleanup = [base / f"site-{n}" for n in args.pages]
    else:
        base = Path(tempfile.mkdtemp(prefix="bench-backlinks-"))
        cleanup = [base]

    results: list[SizeResult] = []
    try:
        for n_pages in args.pages:
            bench = bench_peers if args.peers else bench_size
            results.append(bench(n_pages, base, args, plugin_options))
    except BuildFailed as exc:
        log(f"error: build failed:\n{exc}")
        log(f"(site left in {base} for inspection)")
        return 1
    except KeyboardInterrupt:
        log(f"interrupted (site left in {base})")
        return 130
    else:
        if args.keep:
            log(f"kept generated sites in {base}")
        else:
            for path in cleanup:
                shutil.rmtree(path, ignore_errors=True)

    if args.peers:
        print_peers(args, results)
    else:
        print_report(args, results, plugin_options)

    if args.json:
        entries = []
        for r in results:
            summary = summarize(r)
            entries.append(
                {
                    "pages": r.pages,
                    "site": {**asdict(r.site), "total_pages": r.site.total_pages},
                    "warmup_warnings": r.warmup_warnings,
                    "summary": summary,
                    "plugin_vs_plain": {
                        key: relative_change(summary, key) for _, key, *_ in METRICS
                    },
                    "samples": [asdict(s) for s in r.samples],
                    "instructions": r.instructions,
                    "l2_misses": r.misses,
                }
            )
        payload = {
            "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
            "environment": environment(),
            "results": entries,
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        log(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
