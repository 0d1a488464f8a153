"""The benchmark scripts still run: each once, at a toy size, as a user would start it.

They are not imported by the package, so nothing else notices when a change breaks one (one
did break, unnoticed, for a session). No figure is checked: timings belong in the scripts'
output, not in tests; what is checked is that each finishes and prints its table.
"""

from __future__ import annotations

import gc
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def run(tmp_path: Path, script: str, *args: str, offline: str = "1", timeout: int = 180) -> str:
    # Offline as in the README's benchmark commands; temporary folders inside tmp_path.
    env = {**os.environ, "MKDOCS_BACKLINKS_OFFLINE": offline, "TMPDIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.slow
def test_bench_build_and_bench_hooks(tmp_path: Path) -> None:
    out = run(
        tmp_path, "bench_build.py", "--pages", "30", "--rounds", "1", "--edit", "--floor",
        "--workdir", str(tmp_path), "--keep", "--json", str(tmp_path / "out.json"),
    )  # fmt: skip
    assert "| **user CPU (s)** |" in out
    assert "a new citation before each round" in out
    assert "| floor-keep |" in out and "| floor-show |" in out
    site = tmp_path / "site-30"
    # The floor's bare list is on the pages other pages link to, and on none of plain's.
    listed = '<section class="backlinks"><h2>Backlinks</h2><ul><li>'
    floor_pages = [p.read_text() for p in (site / "out-floor-show").rglob("*.html")]
    plain_pages = [p.read_text() for p in (site / "out-plain").rglob("*.html")]
    assert sum(listed in page for page in floor_pages) > 5
    assert not any(listed in page for page in plain_pages)
    # --edit appended one citation of a new site to the home page per round.
    assert "https://edit-0.example.net/notes/" in (site / "docs" / "index.md").read_text()
    assert "edit-0.example.net" in (site / "backlinks" / "ledger.json").read_text()
    hooks = run(tmp_path, "bench_hooks.py", str(site / "plugin.yml"))
    assert "whole build" in hooks


@pytest.mark.slow
def test_bench_build_peers(tmp_path: Path) -> None:
    pytest.importorskip("mkdocs_backlinks_section_plugin", reason="the peer is not installed")
    out = run(
        tmp_path, "bench_build.py", "--peers", "--pages", "20", "--rounds", "1",
        "--workdir", str(tmp_path), "--keep",
    )  # fmt: skip
    for label in (
        "| plain MkDocs (`plugins: []`) |",
        "| mkdocs-backlinks-section-plugin (its defaults) |",
        "| backlinks, internal backlinks only |",
        "| backlinks, every feature |",
        "| backlinks, every feature, first build (empty data folder) |",
        "| backlinks, every feature, after an edit (one page changed) |",
    ):
        assert label in out
    # Each build against plain as medians, and as the median of each round's ratio.
    assert "| user CPU (s) | vs plain | per round | CPU min-max |" in out
    site = tmp_path / "site-20"
    # The peer's section is on its pages, ours on ours, and neither in plain MkDocs' output.
    home = {name: (site / f"out-{name}" / "index.html").read_text() for name in ("plain", "peer")}
    said = "link to this page"  # the peer's description, with or without links
    assert said in home["peer"] and said not in home["plain"]
    assert 'class="backlinks' in (site / "out-internal" / "index.html").read_text()
    # Only the edit's own copy of the site was edited, and only its ledger records it.
    assert "edit-0.example.net" in (site / "docs-edit" / "index.md").read_text()
    assert "edit-0.example.net" not in (site / "docs" / "index.md").read_text()
    assert "edit-0.example.net" in (site / "data-edit" / "ledger.json").read_text()
    assert "edit-0.example.net" not in (site / "data-every" / "ledger.json").read_text()


@pytest.mark.slow
def test_bench_build_pairs_each_build_with_a_plain_one(tmp_path: Path) -> None:
    pytest.importorskip("mkdocs_backlinks_section_plugin", reason="the peer is not installed")
    out = run(
        tmp_path, "bench_build.py", "--peers", "--paired", "--variants", "plain", "peer",
        "internal", "--pages", "20", "--rounds", "1", "--workdir", str(tmp_path), "--keep",
    )  # fmt: skip
    assert "| user CPU (s) | vs plain | per pair | CPU min-max |" in out
    assert "| backlinks, internal backlinks only |" in out
    assert "each build beside a plain build started with it" in out
    # Each variant and the plain build beside it wrote their own site.
    site = tmp_path / "site-20"
    assert 'class="backlinks' in (site / "out-internal" / "index.html").read_text()
    assert "backlinks" not in (site / "out-plain-beside" / "index.html").read_text()


def test_a_paired_build_is_set_against_the_plain_build_beside_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bench = _bench_build(monkeypatch)
    result = bench.SizeResult(pages=2, site=None)
    rounds = ((10.0, 11.0, 20.0, 21.0), (5.0, 6.0, 4.0, 5.0))
    for rnd, (plain_a, a, plain_b, b) in enumerate(rounds):
        result.samples += [
            bench.Sample("plain", rnd, 0.0, plain_a, 0.0, 1, partner="a"),
            bench.Sample("a", rnd, 0.0, a, 0.0, 1),
            bench.Sample("plain", rnd, 0.0, plain_b, 0.0, 1, partner="b"),
            bench.Sample("b", rnd, 0.0, b, 0.0, 1),
        ]
    # a: 11/10 and 6/5; b: 21/20 and 5/4. Medians of two: their means.
    assert bench.per_round_change(result, "a") == pytest.approx((0.1 + 0.2) / 2)
    assert bench.per_round_change(result, "b") == pytest.approx((0.05 + 0.25) / 2)


def test_paired_is_for_the_peers_beside_plain(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bench = _bench_build(monkeypatch)
    for argv in (["--paired"], ["--peers", "--paired", "--variants", "plain"]):
        with pytest.raises(SystemExit):
            bench.parse_args(argv)
        assert "--paired times --peers builds beside plain" in capsys.readouterr().err
    assert bench.parse_args(["--peers", "--paired", "--variants", "plain", "every"]).paired


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("valgrind") is None, reason="Valgrind is not installed")
def test_bench_build_counts_instructions(tmp_path: Path) -> None:
    pytest.importorskip("mkdocs_backlinks_section_plugin", reason="the peer is not installed")
    out = run(
        tmp_path, "bench_build.py", "--peers", "--instructions", "--misses", "--steady-gc",
        "--jobs", "2", "--pages", "5", "--rounds", "0",
        "--variants", "plain", "internal", "every-edit", "--workdir", str(tmp_path), "--keep",
        timeout=900,
    )  # fmt: skip
    assert "| user CPU (s) |" not in out  # --rounds 0: no timed rounds, no table of them
    rows = [line for line in out.splitlines() if line.startswith("| ") and "billions" not in line]
    counts = {row.split(" | ")[1]: float(row.split(" | ")[2]) for row in rows}
    misses = {row.split(" | ")[1]: float(row.split(" | ")[4]) for row in rows}
    assert all(count > 0 for count in misses.values()), out
    assert "| L2 misses (millions) | vs plain |" in out
    assert "garbage collected at fixed points (steady_gc.py)" in out
    assert list(counts) == [
        "plain MkDocs (`plugins: []`)",
        "backlinks, internal backlinks only",
        "backlinks, every feature, after an edit (one page changed)",
    ], out
    assert all(count > 0.5 for count in counts.values()), out
    assert counts["plain MkDocs (`plugins: []`)"] < counts["backlinks, internal backlinks only"]
    assert not (tmp_path / "site-5" / "out-peer").exists()  # only the variants asked for
    # The edit's count is of a build after an edit: its copy of the site was edited once.
    edited = (tmp_path / "site-5" / "docs-edit" / "index.md").read_text()
    assert "edit-0.example.net" in edited


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["internal", "every"])
def test_bench_collect(tmp_path: Path, mode: str) -> None:
    out = run(tmp_path, "bench_collect.py", "--pages", "20", "--rounds", "1", "--mode", mode)
    assert f"mode {mode}; least of 1:" in out
    for part in ("walk", "resolve", "sentences", "collect, all"):
        assert f"\n{part} " in out


@pytest.mark.slow
def test_bench_ledger(tmp_path: Path) -> None:
    out = run(
        tmp_path, "bench_ledger.py", "--citations", "60", "--pages", "10", "--works", "20",
        "--sites", "5", "--rounds", "1",
    )  # fmt: skip
    assert "| rebuild, one new citation |" in out


@pytest.mark.slow
def test_bench_mentions(tmp_path: Path) -> None:
    out = run(tmp_path, "bench_mentions.py", "--pages", "20", "--mentions", "50", "--rounds", "1")
    assert "With mentions vs without" in out


@pytest.mark.slow
def test_bench_metadata(tmp_path: Path) -> None:
    out = run(
        tmp_path, "bench_metadata.py", "--works", "10", "--hosts", "2", "--delay", "0",
        "--rounds", "1", "--per-page", "2",
    )  # fmt: skip
    assert "| concurrency |" in out


@pytest.mark.slow
@pytest.mark.parametrize("offline", ["1", ""])
def test_bench_send(tmp_path: Path, offline: str) -> None:
    # The sends go to local servers, so the benchmark works whatever the offline switch says.
    args = ("--pages", "6", "--cites", "2", "--works", "4")
    out = run(tmp_path, "bench_send.py", *args, offline=offline)
    assert "| --yes --interval 0 |" in out
    assert "needs the network" not in out


@pytest.mark.slow
def test_bench_big_page(tmp_path: Path) -> None:
    args = ("--citations", "60", "--backlinks", "30", "--rounds", "1")
    out = run(tmp_path, "bench_big_page.py", *args)
    assert "| backlinks, rebuild, no sections |" in out
    assert "backlinks, ledger written whole vs plugins: []:" in out


def _script(monkeypatch: pytest.MonkeyPatch, name: str) -> ModuleType:
    """`benchmarks/<name>.py` as a module (the benchmarks are scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Dataclasses look their module up while it loads; gone again after the test.
    monkeypatch.setitem(sys.modules, name, module)
    spec.loader.exec_module(module)
    return module


def _bench_build(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    return _script(monkeypatch, "bench_build")


def _cache_level(folder: Path, level: str, kind: str, size: str, ways: str) -> None:
    folder.mkdir(parents=True)
    for name, value in (
        ("level", level),
        ("type", kind),
        ("size", size),
        ("ways_of_associativity", ways),
        ("coherency_line_size", "64"),
    ):
        (folder / name).write_text(value + "\n")


def test_the_modelled_cache_is_the_second_level_linux_describes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bench = _bench_build(monkeypatch)
    sysfs = tmp_path / "cache"
    _cache_level(sysfs / "index0", "1", "Data", "32K", "8")
    _cache_level(sysfs / "index1", "1", "Instruction", "32K", "8")
    _cache_level(sysfs / "index2", "2", "Unified", "2048K", "16")
    _cache_level(sysfs / "index3", "3", "Unified", "32768K", "16")
    assert bench.second_level_cache(sysfs) == (2048 * 1024, 16, 64)
    # No description, or one that does not parse: a common second level is assumed.
    assert bench.second_level_cache(tmp_path / "nothing") == (1024 * 1024, 8, 64)
    (sysfs / "index2" / "ways_of_associativity").write_text("many\n")
    assert bench.second_level_cache(sysfs) == (1024 * 1024, 8, 64)


def test_steady_gc_collects_at_the_same_points_of_every_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    steady = _script(monkeypatch, "steady_gc")
    from mkdocs.commands import build
    from mkdocs.config import load_config

    for name in steady.STEPS:  # put back as they were after the test
        monkeypatch.setattr(build, name, getattr(build, name))
    monkeypatch.setattr(steady, "YOUNG_EVERY", 2)
    monkeypatch.setattr(steady, "FULL_EVERY", 5)
    docs = tmp_path / "docs"
    docs.mkdir()
    for n in range(4):
        (docs / f"page-{n}.md").write_text(
            f"# Page {n}\n\nOn to [the next](page-{(n + 1) % 4}.md).\n"
        )
    (tmp_path / "mkdocs.yml").write_text("site_name: Steady\n")
    started: list[int] = []

    def record(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started.append(info["generation"])

    gc.callbacks.append(record)
    try:
        steady.install()
        assert not gc.isenabled()
        build.build(load_config(str(tmp_path / "mkdocs.yml"), site_dir=str(tmp_path / "site")))
    finally:
        gc.callbacks.remove(record)
        gc.enable()
    # Four pages converted, then four rendered: eight steps. The young generations at steps
    # 2, 4, 6 and 8, everything at step 5, and nothing else.
    assert started == [1, 1, 2, 1, 1]
    assert (tmp_path / "site" / "page-3" / "index.html").is_file()


def test_steady_gc_is_for_counted_builds(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bench = _bench_build(monkeypatch)
    with pytest.raises(SystemExit):
        bench.parse_args(["--peers", "--steady-gc"])
    assert "--steady-gc comes with --instructions" in capsys.readouterr().err
