"""The Jinja environment the sections are rendered in, made cheap to render a page with.

The templates in `templates/backlinks/` are the one source of the sections' HTML, whether
the shipped files or a user's (a file of the same name in `custom_dir` wins). Every page of a
build renders them, so what Jinja does around the template's own work is paid thousands of
times; three parts of a plain `Template.render` are done otherwise here, none of which
changes a byte of what a template writes:

- Output escaping. Jinja's compiled code wraps every `{{ value }}` in markupsafe's `escape`,
  which builds a `Markup` object per value only for it to be joined into the page's string.
  Each compiled template's module is given `esc` instead: the same characters for every
  value, without the object for a plain string that needs no escaping (most of them).
- The context. `render()` copies the environment's globals and the call's arguments into a
  new dict for every call; `Prepared` merges what every page shares once and adds the page's
  own values to a copy of that.
- `strings.title` looks the word up as an attribute first, as Jinja does for any `a.b`; on a
  plain dict that fails, raises and is caught before the key is tried. `Strings` has each
  word as an attribute too.

Each build loads the templates into a new environment (`mkdocs serve` makes one each rebuild,
so an edited template is read again); Jinja's code for them is kept in the cache folder
between builds (`template_cache`), and compiled again only when a template's source changes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping
from pathlib import Path
from types import CodeType
from typing import Any

import jinja2
import markupsafe
from markupsafe import Markup

__all__ = ["TEMPLATES_DIR", "Prepared", "Strings", "environment", "esc"]

TEMPLATES_DIR = Path(__file__).parent / "templates"


def esc(value: Any) -> str:
    """What `{{ value }}` prints in an autoescaping template."""
    if type(value) is str and not (
        "&" in value or "<" in value or ">" in value or "'" in value or '"' in value
    ):
        return value
    return markupsafe.escape(value)


class _Template(jinja2.Template):
    """A template whose compiled code escapes its output with `esc`."""

    @classmethod
    def from_code(
        cls,
        environment: jinja2.Environment,
        code: CodeType,
        globals: MutableMapping[str, Any],
        uptodate: Callable[[], bool] | None = None,
    ) -> jinja2.Template:
        template = super().from_code(environment, code, globals, uptodate)
        # The module namespace of Jinja's compiled code, shared by its macros: its `escape`
        # is the name Jinja's code generator writes around each output expression (and
        # nowhere else). Another Jinja that named it otherwise keeps its own: slower, same.
        module = template.root_render_func.__globals__
        if module.get("escape") is markupsafe.escape:
            module["escape"] = esc
        return template


def environment(
    loader: jinja2.BaseLoader | None, cache: jinja2.BytecodeCache | None = None
) -> jinja2.Environment:
    """An autoescaping environment over `loader` (the theme's), then our own templates,
    compiled ones kept in `cache` (`template_cache`).

    MkDocs' theme environment does not escape, and every value the sections show (anchor
    text, snippets, other sites' names) is data, not markup. A missing variable is an error,
    so a misspelt name in a user's template fails the build instead of showing nothing.
    """
    own = jinja2.FileSystemLoader(str(TEMPLATES_DIR))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([loader, own]) if loader else own,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        # One build's environment: its templates do not change while it renders.
        auto_reload=False,
        bytecode_cache=cache,
    )
    env.template_class = _Template
    return env


class Strings(dict[str, Any]):
    """The sections' words, readable as `strings.title` and `strings["title"]` alike."""

    def __init__(self, words: Mapping[str, Any]) -> None:
        super().__init__(words)
        # Each key is an attribute too: `strings.title` resolves without a failed attribute
        # lookup. The keys are option names, none of which is a dict method's.
        self.__dict__ = self


class Prepared:
    """One template and the values every render of it shares in a build."""

    def __init__(self, template: jinja2.Template, shared: Mapping[str, Any]) -> None:
        self.template = template
        self._shared = {**template.globals, **shared}

    def render(self, **values: Any) -> Markup:
        """The template's output for the shared values plus `values`."""
        template = self.template
        context = template.new_context({**self._shared, **values}, shared=True)
        try:
            html = template.environment.concat(template.root_render_func(context))
        except Exception:
            # Jinja's own handling: the traceback names the template's file and line.
            template.environment.handle_exception()
        return Markup(html)  # noqa: S704  # the output of an autoescaping template
