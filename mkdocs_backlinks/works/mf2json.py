"""mf2 JSON read defensively: every value checked for its type, every walk bounded.

mf2py's output comes from remote markup, so a property may hold anything; these readers give
back only the shapes the authorship code expects.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeGuard

from mkdocs_backlinks.works.clean import http_url, page_key

__all__ = [
    "MAX_VALUES",
    "all_cards",
    "is_card",
    "mf2_items",
    "mf2_list",
    "mf2_properties",
    "mf2_text",
    "mf2_types",
    "mf2_values",
    "url_keys",
]

# A crafted mf2 structure (or a page full of h-cards) stops being walked.
_MAX_ITEMS = 2000
MAX_VALUES = 50
"""Values read of one property (and of one `<meta>` key)."""


def mf2_list(value: object) -> list[object]:
    """A property's values: mf2 JSON says a list; a bare value is read as a list of one."""
    if isinstance(value, list):
        return value[:MAX_VALUES]
    return [] if value is None else [value]


def mf2_items(value: object) -> list[Mapping[str, object]]:
    return [item for item in mf2_list(value) if isinstance(item, Mapping)]


def mf2_types(item: Mapping[str, object]) -> list[str]:
    return [kind for kind in mf2_list(item.get("type")) if isinstance(kind, str)]


def mf2_properties(item: Mapping[str, object]) -> Mapping[str, object]:
    properties = item.get("properties")
    return properties if isinstance(properties, Mapping) else {}


def mf2_values(item: Mapping[str, object], name: str) -> list[object]:
    return mf2_list(mf2_properties(item).get(name))


def is_card(value: object) -> TypeGuard[Mapping[str, object]]:
    return (
        isinstance(value, Mapping)
        and "h-card" in mf2_types(value)
        and isinstance(value.get("properties"), Mapping)
    )


def mf2_text(value: object) -> str | None:
    """A value's text: a string, or the `value` of an embedded item, image or markup."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        inner = value.get("value")
        return inner if isinstance(inner, str) else None
    return None


def all_cards(mf2: Mapping[str, object]) -> list[Mapping[str, object]]:
    """Every h-card in the parse, nested ones included, in document order (bounded)."""
    cards = []
    stack = list(reversed(mf2_items(mf2.get("items"))))
    seen = 0
    while stack and seen < _MAX_ITEMS:
        item = stack.pop()
        seen += 1
        if is_card(item):
            cards.append(item)
        nested = [
            v for values in mf2_properties(item).values() for v in mf2_items(values) if "type" in v
        ]
        nested.extend(mf2_items(item.get("children")))
        stack.extend(reversed(nested))
    return cards


def url_keys(values: Iterable[object], base: str) -> set[str]:
    keys = (page_key(http_url(mf2_text(value), base)) for value in values)
    return {key for key in keys if key}
