"""The `backlinks:` key of a page's front matter, validated like the plugin's options so a
mistake names the page and the key before the page is collected."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mkdocs.config import base
from mkdocs.config import config_options as opt


class PageOptions(base.Config):
    """The `backlinks:` key of a page's front matter.

    `backlinks: false` is shorthand for turning all three off.
    """

    track = opt.Type(bool, default=True)
    """Collect the links this page makes."""

    credits = opt.Type(bool, default=True)
    """Render the credits section on this page."""

    backlinks = opt.Type(bool, default=True)
    """Render the backlinks section on this page."""


class PageOptionsError(ValueError):
    """Front matter that does not validate; the message names the key."""


def page_options(meta: Mapping[str, Any], src_uri: str) -> PageOptions:
    """Validate a page's `backlinks` front-matter key, defaulting every switch to on."""
    raw = meta.get("backlinks", True)
    if raw is True:
        return _ALL_ON  # the common case: no front matter, no validation to run
    if isinstance(raw, bool):
        raw = {"track": raw, "credits": raw, "backlinks": raw}
    if not isinstance(raw, dict):
        raise PageOptionsError(
            f"{src_uri}: front matter 'backlinks' must be true, false or a mapping with "
            f"track/credits/backlinks, not {raw!r}"
        )
    options = PageOptions()
    options.load_dict(raw)
    failed, warnings = options.validate()
    problems = [f"{key}: {err}" for key, err in failed]
    problems += [f"{key}: {msg}" for key, msg in warnings]
    if problems:
        raise PageOptionsError(
            f"{src_uri}: front matter 'backlinks' is invalid: " + "; ".join(problems)
        )
    return options


_ALL_ON = PageOptions()
_ALL_ON.load_dict({})
_ALL_ON.validate()
