"""The network options shared by the build and the commands: offline, allow_networks, cache."""

from __future__ import annotations

import argparse
import ipaddress
from pathlib import Path

import pytest
from mkdocs.config import load_config

from mkdocs_backlinks.cli.common import add_network_arguments
from mkdocs_backlinks.config import BacklinksConfig
from mkdocs_backlinks.http.options import (
    parse_network,
    parse_networks,
)
from mkdocs_backlinks.plugin import BacklinksPlugin
from mkdocs_backlinks.settings import http_options, site_paths


def test_parse_networks_sorts_and_dedupes() -> None:
    nets = parse_networks(["127.0.0.0/8", "::1", "10.1.0.0/16", "127.0.0.0/8"])
    assert nets == (
        ipaddress.ip_network("10.1.0.0/16"),
        ipaddress.ip_network("127.0.0.0/8"),
        ipaddress.ip_network("::1/128"),
    )


@pytest.mark.parametrize("bad", ["10.1.2.3/16", "localhost", "10.0.0.0/33", "", "http://10.0.0.1/"])
def test_parse_network_refuses_what_is_not_a_network(bad: str) -> None:
    with pytest.raises(ValueError, match="CIDR"):
        parse_network(bad)


def test_cli_flag_is_repeatable_and_validated(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    add_network_arguments(parser)
    args = parser.parse_args(["--allow-network", "127.0.0.0/8", "--allow-network", "fd00::/8"])
    assert args.allow_networks == [
        ipaddress.ip_network("127.0.0.0/8"),
        ipaddress.ip_network("fd00::/8"),
    ]
    assert args.offline is False
    with pytest.raises(SystemExit):
        parser.parse_args(["--allow-network", "10.1.2.3/16"])
    assert "CIDR" in capsys.readouterr().err


def test_bad_network_option_names_the_option_and_value() -> None:
    cfg = BacklinksConfig()
    cfg.load_dict({"allow_networks": ["127.0.0.0/8", "10.1.2.3/16"]})
    failed, _warnings = cfg.validate()
    assert [key for key, _ in failed] == ["allow_networks"]
    assert "10.1.2.3/16" in str(failed[0][1])
    cfg = BacklinksConfig()
    cfg.load_dict({"allow_networks": "127.0.0.0/8"})
    failed, _warnings = cfg.validate()
    assert [key for key, _ in failed] == ["allow_networks"]


def test_network_options_reach_the_http_layer(tmp_path: Path) -> None:
    config_file = tmp_path / "mkdocs.yml"
    config_file.write_text(
        "site_name: t\nplugins:\n  - backlinks:\n      offline: true\n"
        "      cache_dir: c\n      allow_networks: [127.0.0.0/8]\n",
        encoding="utf-8",
    )
    (tmp_path / "docs").mkdir()
    config = load_config(str(config_file))
    plugin = config.plugins["backlinks"]
    assert isinstance(plugin, BacklinksPlugin)
    options = http_options(plugin.config, allow=[ipaddress.ip_network("10.0.0.0/8")])
    assert options.offline is True
    assert options.allow_networks == (
        ipaddress.ip_network("127.0.0.0/8"),
        ipaddress.ip_network("10.0.0.0/8"),
    )
    assert site_paths(plugin.config, config).cache == tmp_path.resolve() / "c"


def imported_by_build(
    root: Path, plugin_options: str | None, env: dict[str, str] | None = None
) -> set[str]:
    """The modules a real `mkdocs build` of a two-page site imports (Python's own import
    log), with `plugin_options` as the YAML under `- backlinks:`; None builds the site an
    earlier call made in `root` again."""
    import subprocess
    import sys

    if plugin_options is not None:
        (root / "docs").mkdir()
        (root / "docs" / "index.md").write_text(
            "# Home\n\nSee [a work](https://example.org/work) and [me](other.md).\n",
            encoding="utf-8",
        )
        (root / "docs" / "other.md").write_text("# Other\n", encoding="utf-8")
        (root / "mkdocs.yml").write_text(
            "site_name: t\nsite_url: https://example.com/\nplugins:\n  - backlinks:\n"
            + plugin_options,
            encoding="utf-8",
        )
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "mkdocs", "build", "-f", "mkdocs.yml"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return {
        line.rsplit("|", 1)[-1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }


@pytest.mark.slow
def test_an_offline_build_never_loads_the_http_stack(tmp_path: Path) -> None:
    """requests, ssl and nh3 cost ~14 MB and a tenth of a second: a build that cannot use them
    must not load them (checked with Python's own import log, in a real `mkdocs build`)."""
    import os

    imported = imported_by_build(
        tmp_path,
        "      mentions:\n        sources:\n          - jf2: https://example.net/feed\n",
        {**os.environ, "MKDOCS_BACKLINKS_OFFLINE": "1"},
    )
    assert "mkdocs_backlinks.works.resolver" in imported  # the log is real
    assert not imported & {"requests", "ssl", "urllib3", "nh3", "bs4", "mf2py"}


@pytest.mark.slow
def test_a_feature_that_is_off_is_never_loaded(tmp_path: Path) -> None:
    """Internal backlinks only: the outreach, the ledger, the mentions desk and the works'
    resolver are not imported at all (Python's own import log, in a real `mkdocs build`)."""
    imported = imported_by_build(
        tmp_path,
        "      credits: false\n      export: false\n      metadata: {enabled: false}\n"
        "      outreach: {enabled: false}\n      mentions: {enabled: false}\n",
    )
    assert "mkdocs_backlinks.links.collect" in imported  # the log is real
    off = {
        "mkdocs_backlinks.outreach.desk",
        "mkdocs_backlinks.ledger.file",
        "mkdocs_backlinks.mentions.desk",
        "mkdocs_backlinks.works.resolver",
        "requests",
    }
    assert not imported & off
    other = (tmp_path / "site" / "other" / "index.html").read_text(encoding="utf-8")
    assert 'class="backlinks' in other  # the one feature on is there


@pytest.mark.slow
def test_a_build_that_changes_nothing_never_loads_the_lists_writers(tmp_path: Path) -> None:
    """The outreach report and the lists' formats (the review page's template among them) are
    for a build that writes the lists: a rebuild that finds the ledger current compares
    fingerprints only, and must not even import them. The first build must, or the check
    below would pass for a log that never lists them."""
    import os

    env = {**os.environ, "MKDOCS_BACKLINKS_OFFLINE": "1"}
    writers = {
        "mkdocs_backlinks.outreach.report",
        "mkdocs_backlinks.outreach.formats",
        "mkdocs_backlinks.outreach.records",
    }
    first = imported_by_build(tmp_path, "      outreach: {author: Pat}\n", env)
    assert (tmp_path / "backlinks" / "outreach.html").is_file()
    assert writers <= first
    again = imported_by_build(tmp_path, None, env)
    assert "mkdocs_backlinks.outreach.desk" in again  # outreach ran: the ledger was checked
    assert not again & writers
    (tmp_path / "docs" / "other.md").write_text(
        "# Other\n\nAnd [another](https://example.net/new).\n", encoding="utf-8"
    )
    changed = imported_by_build(tmp_path, None, env)
    assert writers <= changed
    assert "example.net" in (tmp_path / "backlinks" / "outreach.md").read_text(encoding="utf-8")
