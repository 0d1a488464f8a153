"""A new user's first steps, as the README and the guides tell them, and the mistakes they make
on the way.

The commands the README and the documentation pages show run on a copy of `sample_site`,
offline (MKDOCS_BACKLINKS_OFFLINE=1), in the order of the documentation's navigation, and must
do what they say; each mistake a newcomer makes
(no mkdocs.yml here, a mistyped `-f`, a typo in an option, a command before any build) must be
answered by one line saying what is wrong and what to do, never a traceback.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import OFFLINE, SAMPLE, MakeSite, copy_sample, run_offline
from test_readme import PAGES, README, readme_commands

from mkdocs_backlinks.cli.main import main
from mkdocs_backlinks.ledger.contacts import find_contact
from mkdocs_backlinks.ledger.file import load_ledger

SCRIPT = Path(sys.executable).with_name("mkdocs-backlinks")


def run_script(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The console script a user types, in its own process: what it prints is all there is."""
    return run_offline([str(SCRIPT), *args], cwd, timeout=120)


def build(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_offline([sys.executable, "-m", "mkdocs", "build", *args], root)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh copy of the sample site, built with the README's first command."""
    root = copy_sample(tmp_path_factory.mktemp("journey"))
    command = re.search(r"&& (mkdocs build -f sample_site/mkdocs.yml)\n", README)
    assert command, "the README's first command builds the sample site"
    result = build(root.parent, *shlex.split(command.group(1))[2:])
    assert result.returncode == 0, result.stderr
    assert (root / "site" / "index.html").is_file()  # "the result is in sample_site/site/"
    return root


def test_the_readme_test_command_is_what_ci_runs() -> None:
    command = re.search(r"```sh\n(python -m pip install -e .*)\n```", README)
    assert command
    assert command.group(1) in (SAMPLE.parent / ".ci" / "run").read_text(encoding="utf-8")


# ------------------------------------------------------------------------------ the walk

NEEDS_NETWORK = ("send --discover", "send --yes", "send --source", "fetch --prune")
"""README commands that cannot run offline: each must refuse with exit status 2 and say so."""


SERVES = ("review",)
"""Commands that start a server and wait for the reader (their own tests drive them)."""


def nav_pages(items: list[Any]) -> list[str]:
    """The documentation's pages in the order of its navigation."""
    pages: list[str] = []
    for item in items:
        value = next(iter(item.values())) if isinstance(item, dict) else item
        pages += nav_pages(value) if isinstance(value, list) else [value]
    return pages


def walk_commands() -> list[list[str]]:
    """The README's examples, then each page's in the order a reader meets them, then the
    sample site's own README's, each once."""
    config = yaml.safe_load((SAMPLE.parent / "mkdocs.yml").read_text(encoding="utf-8"))
    pages = [PAGES[name] for name in nav_pages(config["nav"])]
    text = "\n".join([README, *pages, (SAMPLE / "README.md").read_text(encoding="utf-8")])
    argvs = {tuple(shlex.split(line, comments=True)[1:]): None for line in readme_commands(text)}
    return [list(a) for a in argvs if a and "--help" not in a and a[0] not in SERVES]


@pytest.mark.slow
def test_every_readme_command_runs_on_the_sample_site(
    sample: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(sample)
    for name, value in OFFLINE.items():
        monkeypatch.setenv(name, value)
    outputs: dict[str, tuple[int, str, str]] = {}
    marked: dict[str, tuple[str, str]] = {}
    for argv in walk_commands():
        line = shlex.join(["mkdocs-backlinks", *argv])
        if argv[0] == "mark":
            reason = argv[argv.index("--reason") + 1] if "--reason" in argv else ""
            marked[argv[1]] = (argv[argv.index("--status") + 1], reason)
        status = main(argv)
        out, err = capsys.readouterr()
        outputs[line] = (status, out, err)
        offline_refusal = any(f"{w} " in f"{' '.join(argv)} " for w in NEEDS_NETWORK)
        if offline_refusal:
            assert status == 2, (line, err)
            assert "switched off" in err, line
        else:
            assert status == 0, (line, err)
        assert "Traceback" not in out + err
    # mark: by site, by the URL of a work, with a reason; each the contact it names.
    ledger = load_ledger(sample / "backlinks" / "ledger.json")
    assert len(marked) >= 3
    for ref, (status, reason) in marked.items():
        contact = find_contact(ledger, ref)
        assert (contact.status, contact.reason) == (status, reason), ref
    # outreach --site X --format json: only that site.
    json_lines = [line for line in outputs if "outreach --site" in line and "json" in line]
    assert json_lines
    for line in json_lines:
        site = shlex.split(line)[shlex.split(line).index("--site") + 1]
        report = json.loads(outputs[line][1])
        assert report["contacts"]
        assert {row["site"] for row in report["contacts"]} == {site}
    # outreach --status new --format markdown: Markdown, new contacts only.
    markdown = next(out for line, (_s, out, _e) in outputs.items() if "--format markdown" in line)
    assert markdown.startswith("#")
    # mentions list --page P --format json: only that page's mentions, and some.
    listed = [line for line in outputs if "mentions list --page" in line]
    assert listed
    for line in listed:
        rows = json.loads(outputs[line][1])
        page = shlex.split(line)[shlex.split(line).index("--page") + 1]
        assert rows and {row["page"].strip("/") for row in rows} == {page.strip("/")}
    # The moderation commands edited moderation.json; `unhide` took its domain back.
    moderation = json.loads((sample / "backlinks" / "moderation.json").read_text("utf-8"))
    hidden = [line for line in outputs if re.search(r"mentions hide \d+", line)]
    assert hidden
    for line in hidden:
        assert shlex.split(line)[3] in moderation["hidden"]
    assert "spam.example" not in moderation["blocked_domains"]
    assert moderation["blocked_authors"]
    # send: a dry run with a plan, nothing sent.
    plan = outputs.get("mkdocs-backlinks send")
    assert plan is not None and "Dry run" in plan[1]


@pytest.mark.slow
def test_a_rebuild_after_the_walk_still_builds(sample: Path) -> None:
    # Whatever the commands wrote into the data folder, the next build reads it.
    result = build(sample, "--strict")
    assert result.returncode == 0, result.stderr


# ------------------------------------------------------------------------------ mistakes


@pytest.mark.slow
def test_a_command_outside_the_site_folder(tmp_path: Path) -> None:
    result = run_script("outreach", cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"No mkdocs.yml in {tmp_path}" in result.stderr
    assert "-f path/to/mkdocs.yml" in result.stderr
    assert result.stderr.count("\n") == 1  # one line


@pytest.mark.parametrize(
    "command",
    [
        ["outreach"],
        ["mark", "x.org", "--status", "sent"],
        ["send"],
        ["fetch"],
        ["mentions", "list"],
    ],
)
def test_a_mistyped_config_file(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main([*command, "-f", "mkdocs.yaml.bak"]) == 1
    err = capsys.readouterr().err
    assert err == (
        "mkdocs-backlinks: error: -f mkdocs.yaml.bak: no such file. Give the path of your "
        "site's mkdocs.yml.\n"
    )


def test_a_folder_given_as_config_file(
    sample: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(sample.parent)
    assert main(["outreach", "-f", "sample_site"]) == 1
    err = capsys.readouterr().err
    assert "sample_site is a folder" in err
    assert f"(-f {Path('sample_site') / 'mkdocs.yml'})" in err


def test_mkdocs_yaml_is_found_like_mkdocs_finds_it(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    site = make_site({"index.md": "# Home\n\n[w](https://w.example/)\n"})
    site.build()
    site.config_file.rename(site.root / "mkdocs.yaml")
    monkeypatch.chdir(site.root)
    assert main(["outreach", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["contacts"][0]["site"] == "w.example"


def test_config_file_before_the_command(
    make_site: MakeSite,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`mkdocs-backlinks -f site/mkdocs.yml outreach`, the flag before the command."""
    site = make_site({"index.md": "# Home\n\n[w](https://w.example/)\n"})
    site.build()
    monkeypatch.chdir(tmp_path)
    assert main(["-f", str(site.config_file), "outreach", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["contacts"][0]["site"] == "w.example"
    # After the command, it wins.
    assert main(["-f", "elsewhere.yml", "outreach", "-f", str(site.config_file)]) == 0


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"snipet_length": 100}, "Did you mean 'snippet_length'?"),
        ({"snippet_length": "long"}, "option 'snippet_length'"),
        ({"exclude_domains": "example.com"}, "like [example.com]"),
    ],
    ids=["typo", "wrong-type", "string-for-list"],
)
@pytest.mark.slow
def test_a_bad_option_stops_a_command_with_mkdocs_message(
    make_site: MakeSite, options: dict[str, Any], expected: str
) -> None:
    site = make_site({"index.md": "# Home\n"}, options)
    result = run_script("outreach", cwd=site.root)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert expected in result.stderr
    assert "mkdocs.yml: not a valid MkDocs configuration" in result.stderr


def test_a_site_without_the_plugin(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "mkdocs.yml").write_text("site_name: Plain\n", encoding="utf-8")
    assert main(["outreach", "-f", str(tmp_path / "mkdocs.yml")]) == 1
    assert "add '- backlinks' under 'plugins:'" in capsys.readouterr().err


def test_commands_before_any_build(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A data folder that does not exist yet: every command says what makes it."""
    site = make_site(
        {"index.md": "# Home\n\n[w](https://w.example/)\n"},
        {"data_dir": "data/backlinks"},
        site_url="https://me.example/",
    )
    monkeypatch.chdir(site.root)
    assert main(["outreach"]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert "No ledger at" in err and "mkdocs build writes it" in err
    assert main(["mark", "w.example", "--status", "sent"]) == 1
    assert "run mkdocs build first" in capsys.readouterr().err
    assert main(["send"]) == 2
    assert "run mkdocs build" in capsys.readouterr().err
    assert main(["mentions", "hide", "1234"]) == 1
    assert "mkdocs build or mkdocs-backlinks fetch makes it" in capsys.readouterr().err
    assert not (site.root / "data").exists()  # nothing written by a refused command
    # The build makes the folder, parents included; then the same commands work.
    site.build()
    assert (site.root / "data" / "backlinks" / "ledger.json").is_file()
    assert main(["mark", "w.example", "--status", "sent"]) == 0
    assert capsys.readouterr().out == "w.example: sent\n"


def test_a_file_that_cannot_be_written_is_one_line_not_a_traceback(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    site = make_site({"index.md": "# Home\n\n[w](https://w.example/)\n"})
    site.build()
    monkeypatch.chdir(site.root)
    # A folder where `mark` writes the review page (a stray copy, a mount): an OSError.
    page = site.root / "backlinks" / "outreach.html"
    page.unlink()
    page.mkdir()
    assert main(["mark", "w.example", "--status", "sent"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("mkdocs-backlinks: error: ") and "outreach.html" in err
    assert err.count("\n") == 1


def test_snippet_length_below_its_floor_is_refused(make_site: MakeSite) -> None:
    site = make_site({"index.md": "# Home\n"}, {"snippet_length": 0})
    result = site.run_cli()
    assert result.returncode != 0
    assert "option 'snippet_length': Expected a whole number of at least 20, not 0" in (
        result.stderr
    )


# ------------------------------------------------------------------------------ templates


def test_template_override_as_the_readme_says(make_site: MakeSite) -> None:
    """The theming page's snippet (with the `mkdocs` theme), a `credits.html` in the
    custom_dir written from the fields the page lists, and the page's main.html."""
    text = PAGES["theming.md"]
    snippet = re.search(r"```yaml\n([^`]*?custom_dir: overrides[^`]*?)```", text)
    assert snippet
    main_html = re.search(r"```jinja\n(.*?)```", text, re.DOTALL)
    assert main_html
    fields = ["url", "href", "text", "count", "title", "label", "author", "author_url", "status"]
    fields += ["dead"]
    probe = " ".join(f"{f}={{{{ 'ok' if entry.{f} is defined else 'MISSING' }}}}" for f in fields)
    site = make_site(
        {
            "index.md": "# Home\n\nSee [w](https://w.example/) and [other](other.md).\n",
            "other.md": "# Other\n\nBack [home](index.md).\n",
        },
        {"auto_append": False},
        theme={"name": "mkdocs", "custom_dir": "overrides"},
    )
    overrides = site.root / "overrides"
    (overrides / "backlinks").mkdir(parents=True)
    (overrides / "backlinks" / "credits.html").write_text(
        '<aside id="mine"><h2>{{ strings.credits_title }}</h2>{% for group in credits %}'
        "{% for entry in group.entries %}" + probe + "{% endfor %}{% endfor %}</aside>",
        encoding="utf-8",
    )
    (overrides / "main.html").write_text(main_html.group(1), encoding="utf-8")
    site.build()
    home = site.html("index.html")
    assert home.count('<aside id="mine">') == 1  # placed once, by main.html
    assert "<h2>Works cited</h2>" in home and "MISSING" not in home
    assert 'class="backlinks backlinks-credits"' not in home  # the override won
    other = site.html("other/index.html")
    assert 'class="backlinks backlinks-incoming"' in other  # the other template is shipped
