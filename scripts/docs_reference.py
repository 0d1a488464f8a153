"""MkDocs hook of this project's documentation site: the configuration and command-line
references, generated from the code at build time so they cannot drift from it.

A page holds `<!-- reference:options -->` or `<!-- reference:cli -->`; `on_page_markdown`
replaces the marker with Markdown made from `mkdocs_backlinks.config` (every option, its type,
its default, the docstring written under it, and the nested YAML that sets it) and from the
`mkdocs-backlinks` argument parser (every command, its arguments and their help).

The docstrings are read from the source with `ast`: Python keeps no docstring for a class
attribute at run time, and the comment-like string under each option is the documentation the
config classes carry (the README's tests check that every option has one).
"""

from __future__ import annotations

import argparse
import ast
import inspect
import itertools
import textwrap
from collections.abc import Iterator
from typing import Any

import yaml
from mkdocs.config import base
from mkdocs.config import config_options as opt

from mkdocs_backlinks import config as config_module
from mkdocs_backlinks import option_types
from mkdocs_backlinks.cli.main import build_parser
from mkdocs_backlinks.sections.locales import ENGLISH

OPTIONS_MARKER = "<!-- reference:options -->"
CLI_MARKER = "<!-- reference:cli -->"

_CUSTOM_TYPES: dict[type[Any], str] = {
    option_types.DomainPatterns: "list of domains (`example.com` covers its subdomains)",
    option_types.RegexList: "list of regular expressions",
    option_types.PagePatterns: "list of gitignore-style patterns over source paths",
    option_types.RelativeFile: "relative file path",
    option_types.NetworkList: "list of networks in CIDR notation",
    option_types.MentionSources: "list of sources",
    option_types.PositiveNumber: "positive number",
    option_types.SiteAliases: "list of URLs or paths",
    option_types.Number: "number",
}
_PLAIN_TYPES = {bool: "boolean", str: "string", int: "integer", float: "number", list: "list"}


def on_page_markdown(markdown: str, **_: Any) -> str:
    """Replace the reference markers of a page with the references."""
    if OPTIONS_MARKER in markdown:
        markdown = markdown.replace(OPTIONS_MARKER, options_reference())
    if CLI_MARKER in markdown:
        markdown = markdown.replace(CLI_MARKER, cli_reference())
    return markdown


# ----------------------------------------------------------------------------- options


def option_docstrings() -> dict[str, dict[str, str]]:
    """Class name to option name to the docstring written under the option."""
    tree = ast.parse(inspect.getsource(config_module))
    found: dict[str, dict[str, str]] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        docs: dict[str, str] = {}
        body = node.body
        for here, after in itertools.pairwise(body):
            if (
                isinstance(here, ast.Assign)
                and len(here.targets) == 1
                and isinstance(here.targets[0], ast.Name)
                and isinstance(after, ast.Expr)
                and isinstance(after.value, ast.Constant)
                and isinstance(after.value.value, str)
            ):
                docs[here.targets[0].id] = inspect.cleandoc(after.value.value)
        found[node.name] = docs
    return found


def options_reference() -> str:
    """Every option of the plugin, section by section, as Markdown."""
    docs = option_docstrings()
    parts: list[str] = ["## General\n"]
    for path, option, owner in _walk(config_module.BacklinksConfig, ()):
        name = ".".join(path)
        doc = docs.get(owner.__name__, {}).get(path[-1], "")
        if isinstance(option, opt.SubConfig):
            parts.append(f"## `{name}`\n\n{doc}\n")
            continue
        default = _default(option)
        if path[0] == "strings" and default is None:
            # Unset, a string follows the site's language (the docstring says so); the
            # English wording is the default to show.
            default = ENGLISH[path[-1]]
        parts.append(
            f"### `{name}` {{ #{'-'.join(path)} }}\n\n{doc}\n\n"
            f"**Type**: {_type_of(option)}. **Default**: `{_yaml_inline(default)}`.\n\n"
            "```yaml\n" + _example(path, default) + "```\n"
        )
    return "\n".join(parts)


def _walk(
    config_class: type[base.Config], path: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], Any, type[base.Config]]]:
    """Each option of `config_class`: its own options first, then each sub-section's."""
    schema = list(config_class._schema)
    for name, option in schema:
        if not isinstance(option, opt.SubConfig):
            yield (*path, name), option, config_class
    for name, option in schema:
        if isinstance(option, opt.SubConfig):
            yield (*path, name), option, config_class
            sub: type[base.Config] = option.config_class
            yield from _walk(sub, (*path, name))


def _default(option: Any) -> Any:
    default = option.default
    if isinstance(default, tuple):
        default = list(default)
    return default


def _type_of(option: Any) -> str:
    for kind, text in _CUSTOM_TYPES.items():
        if isinstance(option, kind):
            return text
    if isinstance(option, option_types.WholeNumber):
        return f"whole number, at least {option.minimum}"
    if isinstance(option, opt.Optional):
        return _type_of(option.option) + ", or null"
    if isinstance(option, opt.Choice):
        return "one of " + ", ".join(f"`{choice}`" for choice in option.choices)
    if isinstance(option, opt.ListOfItems):
        return "list, each " + _type_of(option.option_type)
    if isinstance(option, opt.Type):
        kind = option._type
        if isinstance(kind, tuple):
            return " or ".join(_PLAIN_TYPES.get(k, k.__name__) for k in kind)
        return _PLAIN_TYPES.get(kind, kind.__name__)
    return type(option).__name__


def _example(path: tuple[str, ...], value: Any) -> str:
    """The nested YAML that sets the option at `path` to `value` under `plugins:`."""
    nested: Any = value
    for key in reversed(path):
        nested = {key: nested}
    body = yaml.safe_dump(nested, sort_keys=False, allow_unicode=True, default_flow_style=False)
    return "plugins:\n  - backlinks:\n" + textwrap.indent(body, "      ")


def _yaml_inline(value: Any) -> str:
    text = str(yaml.safe_dump(value, default_flow_style=True, allow_unicode=True))
    return text.strip().removesuffix("...").strip()


# --------------------------------------------------------------------------- commands


def cli_reference() -> str:
    """Every `mkdocs-backlinks` command with its arguments, as Markdown."""
    parser = build_parser()
    parts = [_usage(parser, "mkdocs-backlinks", "")]
    for name, command, summary in _subcommands(parser):
        parts.append(f"## `mkdocs-backlinks {name}`\n")
        parts.append(_usage(command, f"mkdocs-backlinks {name}", summary))
        for child, sub, sub_summary in _subcommands(command):
            parts.append(f"### `mkdocs-backlinks {name} {child}`\n")
            parts.append(_usage(sub, f"mkdocs-backlinks {name} {child}", sub_summary))
    return "\n".join(parts)


def _subcommands(
    parser: argparse.ArgumentParser,
) -> Iterator[tuple[str, argparse.ArgumentParser, str]]:
    """Each subcommand: its name, its parser and the one-line help it is listed with."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            summaries = {choice.dest: choice.help or "" for choice in action._choices_actions}
            for name, command in action.choices.items():
                yield name, command, summaries.get(name, "")


def _usage(parser: argparse.ArgumentParser, prog: str, summary: str) -> str:
    parser.prog = prog
    text = parser.description or summary
    lines = [text[:1].upper() + text[1:] + ("" if text.endswith(".") or not text else "."), ""]
    lines += ["```text", parser.format_usage().strip(), "```", ""]
    rows = []
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
            continue
        names = ", ".join(f"`{flag}`" for flag in action.option_strings) or f"`{action.dest}`"
        help_text = (action.help or "").replace("|", "\\|").replace("\n", " ")
        if "%(" in help_text:
            help_text = help_text % {"default": action.default, "prog": prog}
        rows.append(f"| {names} | {help_text} |")
    if rows:
        lines += ["| argument | what it does |", "| --- | --- |", *rows, ""]
    return "\n".join(lines)
