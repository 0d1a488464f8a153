"""Decoding a mentions document (a feed page, a file source, an import) from its text, bounded.

A feed is a stranger's text, and a file source or an import is whatever a user pointed at, so
both are decoded with limits checked before the parser runs: the size (`mentions.max_page_mb`,
checked by whoever read the bytes) and the nesting depth. Python's JSON and YAML parsers
recurse once per level, so a 100,000-deep `[[[[...` would raise `RecursionError` from inside
the parser (in a background thread, unnoticed); here it is a plain reason instead.

JSON is the receivers' format. YAML is read for jekyll-webmention_io's caches, which Ruby
writes with timestamps and with anchors for objects it meets twice (an author both under
`author` and inside `raw`); timestamps become ISO strings, so the result is JSON-shaped data.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any

__all__ = ["MAX_DEPTH", "DocumentError", "decode_json", "decode_yaml", "too_deep"]

MAX_DEPTH = 100
"""Deepest nesting of arrays and objects read. A JF2 feed is about five levels deep, an mf2
document with nested h-cards a dozen; a hundred is far beyond any real one and far below
where the parsers would run out of stack."""

_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")


class DocumentError(ValueError):
    """The text is not a document that can be read; the message says why, without quoting it."""


def too_deep(text: str, limit: int = MAX_DEPTH) -> bool:
    """Whether JSON `text` nests arrays and objects more than `limit` deep.

    Strings are removed first (a bracket inside one is text), then brackets are counted; an
    unbalanced text is left for the parser to refuse.
    """
    structure = _STRINGS.sub("", text)
    depth = 0
    for match in _BRACKETS.finditer(structure):
        if match.group() in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def decode_json(text: str) -> object:
    """The JSON value of `text`; `DocumentError` when it is not JSON or nests too deeply."""
    if too_deep(text):
        raise DocumentError(f"the JSON nests deeper than {MAX_DEPTH} levels")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DocumentError(f"not valid JSON ({exc.msg} at line {exc.lineno})") from exc
    except ValueError as exc:  # a number of more digits than Python converts (4,300)
        raise DocumentError(f"not readable JSON ({exc})") from exc
    except RecursionError as exc:  # only if the depth check missed a shape it should catch
        raise DocumentError("the JSON nests too deeply") from exc


def decode_yaml(text: str) -> object:
    """The YAML value of `text` (timestamps as ISO strings); `DocumentError` when it is not
    YAML, uses tags beyond plain data (Ruby objects), or nests too deeply."""
    import yaml

    class Loader(yaml.SafeLoader):
        """Plain data only, timestamps read as text."""

    def timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
        try:
            value: Any = loader.construct_yaml_timestamp(node)
        except ValueError:  # shaped like a date but none (2024-02-30): the text, to refuse
            return str(node.value)
        return value.isoformat() if isinstance(value, datetime | date) else str(value)

    Loader.add_constructor("tag:yaml.org,2002:timestamp", timestamp)
    try:
        return yaml.load(text, Loader=Loader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "unreadable"
        raise DocumentError(f"not valid YAML ({problem}{where})") from exc
    except ValueError as exc:  # a number of more digits than Python converts (4,300)
        raise DocumentError(f"not readable YAML ({exc})") from exc
    except RecursionError as exc:
        raise DocumentError("the YAML nests too deeply") from exc
