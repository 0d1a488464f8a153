"""The documentation site builds with `mkdocs build --strict`, offline, with the plugin on, and
its references are the code's: every option and every command and flag is on its page.

Built in a subprocess from a copy of the repository's `mkdocs.yml`, `docs/`, `scripts/` and
`CHANGELOG.md`, so the build writes nothing into the checkout.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from mkdocs.config import config_options as opt

from mkdocs_backlinks.cli.main import build_parser
from mkdocs_backlinks.config import BacklinksConfig

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("docs")
    for name in ("docs", "scripts"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("mkdocs.yml", "CHANGELOG.md"):
        shutil.copy(ROOT / name, root / name)
    env = {"MKDOCS_BACKLINKS_OFFLINE": "1", "DISABLE_MKDOCS_2_WARNING": "true"}
    env["NO_MKDOCS_2_WARNING"] = "1"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(root / "site")],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, **env},
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert "WARNING" not in result.stderr, result.stderr
    return root / "site"


def _options(config_class: type, path: tuple[str, ...] = ()) -> list[str]:
    names = []
    for name, option in config_class._schema:  # type: ignore[attr-defined]
        here = (*path, name)
        if isinstance(option, opt.SubConfig):
            names += _options(option.config_class, here)
        else:
            names.append(".".join(here))
    return names


def _page_text(site: Path, page: str) -> str:
    html = (site / page / "index.html").read_text(encoding="utf-8")
    return re.sub(r"<[^>]+>", "", html)


@pytest.mark.slow
def test_every_option_is_in_the_configuration_reference(built: Path) -> None:
    text = _page_text(built, "reference/configuration")
    missing = [name for name in _options(BacklinksConfig) if name not in text]
    assert not missing
    assert "metadata:\n        ttl:" in text  # the nested YAML that sets it


@pytest.mark.slow
def test_every_command_and_flag_is_in_the_cli_reference(built: Path) -> None:
    text = _page_text(built, "reference/cli")
    parser = build_parser()
    missing = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, command in action.choices.items():
                if f"mkdocs-backlinks {name}" not in text:
                    missing.append(name)
                documented = (
                    a for a in command._actions if not isinstance(a, argparse._HelpAction)
                )
                for flag in (f for a in documented for f in a.option_strings):
                    if flag not in text:
                        missing.append(f"{name} {flag}")
    assert not missing


@pytest.mark.slow
def test_the_docs_show_their_own_credits_and_backlinks(built: Path) -> None:
    html = (built / "getting-started" / "index.html").read_text(encoding="utf-8")
    assert 'class="backlinks backlinks-incoming"' in html
    assert (built / "backlinks.json").is_file()


def test_the_readme_is_a_landing_page() -> None:
    """The README is what PyPI and GitHub show first: short, pointing into the documentation,
    and every page it points to exists (the site's navigation holds each of them)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 200
    assert "pip install mkdocs-backlinks-plugin" in readme
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    linked = re.findall(r"\]\(docs/([^)#]+\.md)\)", readme)
    assert linked
    for page in linked:
        assert (ROOT / "docs" / page).is_file(), page
        assert f": {page}\n" in nav, page


def test_every_page_is_in_the_navigation() -> None:
    """A page left out of `nav` is built but found by nobody (MkDocs only says so at INFO)."""
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    pages = sorted(p.relative_to(ROOT / "docs").as_posix() for p in (ROOT / "docs").rglob("*.md"))
    assert [page for page in pages if f": {page}\n" not in nav] == []
