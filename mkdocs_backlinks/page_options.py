"""The `backlinks:` key of a page's front matter, validated like the plugin's options so a
mistake names the page and the key before the page is collected."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

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


class PageSwitches(NamedTuple):
    """A page's three switches once validated: what the build reads on every page.

    A plain tuple rather than the `PageOptions` it was validated with: each attribute of a
    MkDocs `Config` is read through a descriptor and a mapping lookup, code that would run
    for every page of a site although nearly none has the key.
    """

    track: bool = True
    credits: bool = True
    backlinks: bool = True


ALL_ON = PageSwitches()
"""The switches of a page without the key: everything on."""


def page_options(meta: Mapping[str, Any], src_uri: str) -> PageSwitches:
    """Validate a page's `backlinks` front-matter key, defaulting every switch to on."""
    raw = meta.get("backlinks", True)
    if raw is True:
        return ALL_ON  # the common case: no front matter, no validation to run
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
    return PageSwitches(options.track, options.credits, options.backlinks)
