"""The README and the documentation pages against the code, compared mechanically so the two
cannot drift apart.

A new user follows the documentation to the letter: every option example the generated
configuration reference shows must validate to that option's default, every `mkdocs-backlinks`
command the pages show must parse with the real parser, every command and flag the parser has
must be explained in a hand-written page (not only in the generated reference), and the export
schema the export page shows must be what a build of `sample_site` writes. Each test reads both
sides, so a change to either fails it.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import importlib.util
import json
import re
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import SAMPLE, copy_sample, run_offline
from mkdocs.config import base
from mkdocs.config import config_options as opt

from mkdocs_backlinks import config as config_module
from mkdocs_backlinks.cli.main import build_parser
from mkdocs_backlinks.config import BacklinksConfig
from mkdocs_backlinks.graph.linkgraph import BacklinkEntry, CreditEntry, CreditGroup
from mkdocs_backlinks.sections.locales import ENGLISH

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
PAGES = {
    path.relative_to(ROOT / "docs").as_posix(): path.read_text(encoding="utf-8")
    for path in sorted((ROOT / "docs").rglob("*.md"))
}
"""The documentation site's pages as written (the references' generated parts are markers)."""
DOCS = "\n".join([README, *PAGES.values()])


# ------------------------------------------------------------------------------ reading it


def tables(text: str) -> list[list[list[str]]]:
    """Each Markdown table in `text` as rows of cells, header and delimiter row included."""
    found: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
            current.append(cells)
        elif current:
            found.append(current)
            current = []
    return found


def code_spans(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


def config_options(
    cls: type[base.Config], prefix: str = ""
) -> Iterator[tuple[str, base.BaseConfigOption[Any]]]:
    """Every leaf option of a config class, sub-configs flattened to `outer.inner`."""
    for name, option in cls._schema:
        if isinstance(option, opt.SubConfig):
            yield from config_options(option.config_class, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}", option


def validated(values: dict[str, Any]) -> BacklinksConfig:
    config = BacklinksConfig()
    config.load_dict(values)
    failed, warnings = config.validate()
    assert not failed, failed
    assert not warnings, warnings
    return config


def value_of(config: BacklinksConfig, name: str) -> Any:
    value: Any = config
    for part in name.split("."):
        value = value[part]
    return value


def nested(name: str, value: Any) -> dict[str, Any]:
    *parents, leaf = name.split(".")
    out: dict[str, Any] = {leaf: value}
    for parent in reversed(parents):
        out = {parent: out}
    return out


# ------------------------------------------------------------------------------ options


def _reference_module() -> Any:
    """`scripts/docs_reference.py`, the hook that writes the configuration reference."""
    spec = importlib.util.spec_from_file_location(
        "docs_reference", ROOT / "scripts" / "docs_reference.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def reference_examples() -> list[tuple[str, dict[str, Any]]]:
    """(option heading, the plugin's settings in its YAML example) for every option of the
    generated configuration reference."""
    text = _reference_module().options_reference()
    found = re.findall(r"### `([^`]+)`.*?```yaml\n(.*?)```", text, re.DOTALL)
    examples = []
    for name, block in found:
        plugins = yaml.safe_load(block)["plugins"]
        assert len(plugins) == 1 and set(plugins[0]) == {"backlinks"}, block
        examples.append((name, plugins[0]["backlinks"]))
    return examples


def leaf(settings: dict[str, Any]) -> str:
    """The dotted name of the one option a nested example sets."""
    key, value = next(iter(settings.items()))
    assert len(settings) == 1, settings
    return f"{key}.{leaf(value)}" if isinstance(value, dict) and value else key


def test_every_option_has_a_reference_example_that_validates_to_its_default() -> None:
    """Each option's example, written into `mkdocs.yml` as shown, is accepted and gives the
    option's own default: the reference cannot show a default or a nesting the plugin refuses."""
    examples = reference_examples()
    names = [leaf(settings) for _name, settings in examples]
    in_code = {name for name, _option in config_options(BacklinksConfig)}
    assert sorted(names) == sorted(in_code)
    defaults = validated({})
    for name, settings in zip(names, (s for _n, s in examples), strict=True):
        shown = value_of(validated(settings), name)
        if name.startswith("strings."):  # unset, so the reader's language fills it
            assert value_of(defaults, name) is None, name
            assert shown == ENGLISH[name.removeprefix("strings.")], name
            continue
        assert shown == value_of(defaults, name), name


def test_every_option_has_a_docstring() -> None:
    """The docstrings are the configuration reference's text: an option without one would be
    listed with nothing to say what it does."""
    tree = ast.parse(Path(config_module.__file__).read_text(encoding="utf-8"))
    missing = []
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        if not any(isinstance(b, ast.Attribute) and b.attr == "Config" for b in node.bases):
            continue
        body = node.body
        for i, statement in enumerate(body):
            if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Call):
                after = body[i + 1] if i + 1 < len(body) else None
                documented = (
                    isinstance(after, ast.Expr)
                    and isinstance(after.value, ast.Constant)
                    and isinstance(after.value.value, str)
                )
                if not documented:
                    missing.append(f"{node.name}.{ast.unparse(statement.targets[0])}")
    assert missing == []


# ------------------------------------------------------------------------------ commands


def readme_commands(text: str) -> list[str]:
    """Every `mkdocs-backlinks ...` command line: in shell blocks, and in inline code."""
    commands = []
    in_shell = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("```"):
            in_shell = stripped in ("```sh", "```bash", "```console")
            continue
        if in_shell and stripped.startswith("mkdocs-backlinks"):
            commands.append(stripped)
    commands += re.findall(r"`(mkdocs-backlinks(?:\s[^`]*)?)`", text)
    return commands


def subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


COMMANDS = readme_commands(DOCS) + readme_commands(
    (SAMPLE / "README.md").read_text(encoding="utf-8")
)


@pytest.mark.parametrize("line", COMMANDS)
def test_every_command_shown_parses(line: str) -> None:
    argv = shlex.split(line, comments=True)
    assert argv[0] == "mkdocs-backlinks"
    try:
        build_parser().parse_args(argv[1:])
    except SystemExit as exc:  # argparse's way of refusing a command line (or of --help)
        if exc.code != 0:
            pytest.fail(f"{line!r} does not parse (exit {exc.code})")


def test_every_command_and_flag_is_explained() -> None:
    """A subcommand or a flag nobody can read about does not exist for users: each is shown
    or named in a hand-written page, not only listed by the generated reference."""
    undocumented = []
    parsers: list[tuple[str, argparse.ArgumentParser]] = []
    for name, command in subparsers(build_parser()).items():
        parsers.append((name, command))
        parsers += [(f"{name} {sub}", parser) for sub, parser in subparsers(command).items()]
    for where, parser in parsers:
        if not any(f"{line} ".startswith(f"mkdocs-backlinks {where} ") for line in COMMANDS):
            undocumented.append(where)
        for action in parser._actions:
            for flag in action.option_strings:
                if flag.startswith("--") and flag != "--help" and flag not in DOCS:
                    undocumented.append(f"{where} {flag}")
    assert undocumented == []


def test_send_flag_table_is_the_parser() -> None:
    send = subparsers(build_parser())["send"]
    table = next(t for t in tables(PAGES["sending.md"]) if t[0][:2] == ["flag", "default"])
    documented: dict[str, str] = {}
    for cells in table[2:]:
        for flag in re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", cells[0]):
            documented[flag] = cells[1]
    actions = {
        flag: action
        for action in send._actions
        for flag in action.option_strings
        if flag not in ("-h", "--help")
    }
    assert sorted(documented) == sorted(actions)
    for flag, written in documented.items():
        action = actions[flag]
        if isinstance(action, argparse._StoreTrueAction):
            assert written == "off", flag
        elif isinstance(action.default, float):
            assert float(written.strip("`")) == action.default, flag
            assert f"(default: {written.strip('`')})" in (action.help or ""), flag


# ------------------------------------------------------------------------------ the export


@pytest.fixture(scope="module")
def sample_export(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """`backlinks.json` of the sample site, built as the README's first command builds it."""
    root = copy_sample(tmp_path_factory.mktemp("readme"))
    result = run_offline([sys.executable, "-m", "mkdocs", "build", "-f", str(root / "mkdocs.yml")])
    assert result.returncode == 0, result.stderr
    document: dict[str, Any] = json.loads((root / "site" / "backlinks.json").read_text("utf-8"))
    return document


def readme_export() -> dict[str, Any]:
    body = PAGES["export.md"]
    block = re.search(r"```json\n(.*?)\n```", body, re.DOTALL)
    assert block
    document: dict[str, Any] = json.loads(block.group(1))
    return document


def shape(value: Any) -> Any:
    """The keys of a mapping with the JSON type of each value."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    return type(value).__name__


@pytest.mark.slow
def test_export_example_is_what_the_sample_site_exports(sample_export: dict[str, Any]) -> None:
    example = readme_export()
    assert {k: example[k] for k in ("schema", "version", "site_url")} == {
        k: sample_export[k] for k in ("schema", "version", "site_url")
    }
    assert set(example) == set(sample_export)
    (name, page), *_ = example["pages"].items()
    real = sample_export["pages"][name]
    # Every field of a page, with its JSON type, and of each kind of list entry.
    assert shape({k: v for k, v in page.items() if not isinstance(v, list)}) == shape(
        {k: v for k, v in real.items() if not isinstance(v, list)}
    )
    assert set(page) == set(real)
    for kind in ("citations", "links", "backlinks"):
        assert page[kind], f"the example shows no entry of {kind}"
        kinds = {json.dumps(shape(entry), sort_keys=True) for entry in real[kind]}
        assert kinds == {json.dumps(shape(page[kind][0]), sort_keys=True)}, kind
        assert page[kind][0] in real[kind], f"the {kind} entry shown is not the sample's"
    for key in ("url", "absolute_url", "title"):
        assert page[key] == real[key], key


def test_export_field_table_names_every_field(sample_export: dict[str, Any]) -> None:
    table = tables(PAGES["export.md"])[0]
    documented = {name for cells in table[2:] for name in code_spans(cells[0])}
    fields = set(sample_export)
    for page in sample_export["pages"].values():
        fields |= set(page)
        for kind in ("citations", "links", "backlinks"):
            for entry in page[kind]:
                fields |= set(entry)
    # `source`, `href`, `anchor` and `target` are explained in the rows of their lists.
    explained = {"source", "href", "anchor", "target"}
    table_text = "\n".join(" | ".join(cells) for cells in table)
    for name in explained:
        assert f"`{name}`" in table_text, name
    assert sorted(fields - explained) == sorted(documented - explained)


# ------------------------------------------------------------------------------ templates


def test_template_context_fields_are_documented() -> None:
    """The fields the theming page lists for a theme (and for overridden templates) are the
    fields the data has, so a template written from that page finds each of them."""
    text = PAGES["theming.md"]
    for cls in (CreditGroup, CreditEntry, BacklinkEntry):
        names = [f.name for f in dataclasses.fields(cls)]
        names += [n for n, v in vars(cls).items() if isinstance(v, property)]
        missing = [name for name in names if f"`{name}`" not in text]
        assert missing == [], cls.__name__
