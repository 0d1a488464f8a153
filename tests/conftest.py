"""Shared helpers: write a real MkDocs site into a temporary folder and build it.

Builds run MkDocs' own `build()` on a config loaded from the written `mkdocs.yml`, exactly what
`mkdocs build` does after parsing its arguments; `run_cli` runs the real command in a
subprocess where the exit status matters (`--strict`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.config.defaults import MkDocsConfig

from tests.http_servers import HttpServer


@dataclass
class Site:
    """A site written to disk: its root, and helpers to build it and read the output."""

    root: Path

    @property
    def config_file(self) -> Path:
        return self.root / "mkdocs.yml"

    @property
    def site_dir(self) -> Path:
        return self.root / "site"

    def build(self, strict: bool = False, **overrides: Any) -> None:
        config = load_config(str(self.config_file), strict=strict, **overrides)
        # As `mkdocs build` does: plugins that MkDocs keeps across builds (ours, for serve)
        # learn which command runs, so a serve-like test does not leak into the next one.
        config.plugins.on_startup(command="build", dirty=False)
        try:
            build(config)
        finally:
            config.plugins.on_shutdown()

    def run_cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "-f", str(self.config_file), *args],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    def html(self, path: str) -> str:
        return (self.site_dir / path).read_text(encoding="utf-8")

    def pages(self) -> dict[str, str]:
        """Every HTML page of the output by its path, without the build date MkDocs' own
        themes end a page with, so two builds of the same site compare equal."""
        return {
            str(path.relative_to(self.site_dir)): _BUILD_DATE.sub("", path.read_text("utf-8"))
            for path in sorted(self.site_dir.rglob("*.html"))
        }

    def graph(self, name: str = "backlinks.json") -> dict[str, Any]:
        return json.loads((self.site_dir / name).read_text(encoding="utf-8"))

    def write(self, path: str, text: str) -> None:
        target = self.root / "docs" / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text), encoding="utf-8")


_BUILD_DATE = re.compile(r"Build Date UTC : [^\n]*")

SAMPLE = Path(__file__).resolve().parent.parent / "sample_site"
OFFLINE = {"MKDOCS_BACKLINKS_OFFLINE": "1"}
"""Builds and commands run from what is committed, as on a machine without network."""


def run_offline(
    command: list[str], cwd: Path | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """A command in its own process, offline, with what it printed and its exit status."""
    return subprocess.run(
        command,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, **OFFLINE},
    )


def copy_sample(parent: Path) -> Path:
    """A fresh copy of `sample_site/` in `parent`, without anything a build of the checkout
    left there (its site, outreach lists and cache)."""
    root = parent / "sample_site"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns("site", "outreach.*", ".cache"))
    return root


MakeSite = Callable[..., Site]

NO_METADATA = {"metadata": {"enabled": False}}
"""Test sites cite real sites (example.org, indieweb.org): their builds must not check them.
A test of the metadata features passes its own `metadata` options and cites local servers."""


def with_test_defaults(options: dict[str, Any] | None) -> dict[str, Any]:
    """Plugin options for a test site: `NO_METADATA` unless the test sets `metadata`."""
    return {**NO_METADATA, **(options or {})}


@pytest.fixture
def make_site(tmp_path: Path) -> MakeSite:
    """`make_site(pages, plugin_options=None, **mkdocs_options)` writes a site and returns it.

    `pages` maps a path under docs/ to its Markdown (dedented). `plugin_options` go under
    `plugins: - backlinks:`; other keyword arguments are top-level mkdocs.yml settings.
    """
    counter = 0

    def factory(
        pages: dict[str, str],
        plugin_options: dict[str, Any] | None = None,
        *,
        plugins: list[Any] | None = None,
        **mkdocs_options: Any,
    ) -> Site:
        nonlocal counter
        counter += 1
        root = tmp_path / f"site{counter}"
        site = Site(root)
        for path, text in pages.items():
            site.write(path, text)
        config: dict[str, Any] = {
            "site_name": "Test site",
            "markdown_extensions": [
                "toc",
                "attr_list",
                "admonition",
                "tables",
                "footnotes",
                "md_in_html",
            ],
        }
        config.update(mkdocs_options)
        if plugins is None:
            plugins = [{"backlinks": with_test_defaults(plugin_options)}]
        config["plugins"] = plugins
        site.config_file.parent.mkdir(parents=True, exist_ok=True)
        site.config_file.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        return site

    return factory


@pytest.fixture(autouse=True)
def fresh_plugin_instances() -> Iterator[None]:
    """Forget the plugin instances MkDocs keeps between loads in one process.

    MkDocs caches the instance of a plugin that defines `on_startup` (for `mkdocs serve`
    rebuilds), for the whole process. A test that calls `on_startup(command="serve")` would
    otherwise leave an instance that skips the ledger (`outreach.on_serve` is off) for every
    later in-process build.
    """
    cache = dict(MkDocsConfig._schema)["plugins"].plugin_cache
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def server() -> Iterator[HttpServer]:
    """A real HTTP server on 127.0.0.1 with no routes yet: each test adds what it serves.
    Test files whose server needs the same routes in every test define their own."""
    with HttpServer() as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright, as `scripts/screenshots.py` launches
    it (one launcher for the browser tests and the docs' screenshots). Missing, the tests are
    skipped locally and fail under CI, which installs it."""
    from scripts.screenshots import CHROMIUM, chromium

    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing (install Debian's chromium to run browser tests)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI installs it, so this is a broken CI setup")
        pytest.skip(message)
    pytest.importorskip(
        "playwright.sync_api", reason="the playwright package is missing (pip install playwright)"
    )
    with chromium() as launched:
        yield launched
