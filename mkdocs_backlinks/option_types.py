"""The option types `config.py` builds its options from, beyond MkDocs' own.

Each validates and normalises one kind of value (host names, regular expressions, gitignore-style
page patterns, networks, mention sources, bounded numbers), so that a bad value fails before the
build starts, with the option's name, and the code that uses it never sees an invalid one.
"""

from __future__ import annotations

import math
import re
from typing import Any

import pathspec
from mkdocs.config import config_options as opt
from mkdocs.config.base import BaseConfigOption, ValidationError

from mkdocs_backlinks.http.options import IPNetwork, parse_networks, parse_proxy
from mkdocs_backlinks.links.urls import is_web_url
from mkdocs_backlinks.mentions.source_types import Source, parse_source

REL_VALUES = ("nofollow", "sponsored", "ugc")
"""The `rel` values the `ignore_rel` option understands (the ones search engines define)."""

_LABEL = r"[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?"
_HOST_RE = re.compile(rf"^(\*\.)?{_LABEL}(?:\.{_LABEL})*$")


class DomainPatterns(BaseConfigOption[tuple[str, ...]]):
    """Host names: `example.com` matches it and its subdomains, `*.example.com` only subdomains.

    Validated as host names, because a pasted URL (`https://example.com/`) in this list would
    otherwise silently match nothing.
    """

    def __init__(self, default: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.default: list[str] = list(default)

    def run_validation(self, value: object) -> tuple[str, ...]:
        if isinstance(value, str):  # `exclude_domains: example.com`, the usual slip
            raise ValidationError(f"Expected a list of domain names, like [{value}].")
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValidationError("Expected a list of domain names.")
        out = []
        for raw in value:
            host = raw.strip().lower().rstrip(".")
            if not _HOST_RE.match(host):
                raise ValidationError(
                    f"'{raw}' is not a domain name (write 'example.com' or '*.example.com', "
                    "without scheme or path)."
                )
            out.append(host)
        return tuple(sorted(set(out)))


class DefaultedDomains(DomainPatterns):
    """Host names over shipped defaults: a list replaces them, and the entry `defaults` in it
    stands for them, so `[defaults, example.social]` adds one host and keeps the rest."""

    DEFAULTS_WORD = "defaults"

    def run_validation(self, value: object) -> tuple[str, ...]:
        if isinstance(value, list) and self.DEFAULTS_WORD in value:
            rest = [v for v in value if v != self.DEFAULTS_WORD]
            return tuple(sorted({*self.default, *super().run_validation(rest)}))
        return super().run_validation(value)


class RegexList(BaseConfigOption[tuple["re.Pattern[str]", ...]]):
    """A list of Python regular expressions, compiled at validation time."""

    def __init__(self) -> None:
        super().__init__()
        self.default: list[str] = []

    def run_validation(self, value: object) -> tuple[re.Pattern[str], ...]:
        if isinstance(value, str):
            raise ValidationError(f"Expected a list of regular expressions, like ['{value}'].")
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValidationError("Expected a list of regular expressions.")
        compiled = []
        for raw in value:
            try:
                compiled.append(re.compile(raw))
            except re.error as exc:
                raise ValidationError(f"Invalid regular expression '{raw}': {exc}") from exc
        return tuple(compiled)


class PagePatterns(BaseConfigOption[pathspec.GitIgnoreSpec]):
    """Gitignore-style patterns over page source paths, as in MkDocs' own `exclude_docs`.

    Accepts a list (the natural YAML form for plugin options) or a multi-line string (the form
    `exclude_docs` uses), so both habits work.
    """

    def __init__(self) -> None:
        super().__init__()
        self.default: list[str] = []

    def run_validation(self, value: object) -> pathspec.GitIgnoreSpec:
        if isinstance(value, str):
            lines = value.splitlines()
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            lines = list(value)
        else:
            raise ValidationError("Expected a list of page patterns such as 'drafts/*.md'.")
        try:
            return pathspec.GitIgnoreSpec.from_lines(lines)
        except (ValueError, TypeError) as exc:
            raise ValidationError(f"Invalid page pattern: {exc}") from exc


class RelativeFile(opt.Type[str]):
    """A relative path inside `site_dir`: no absolute paths, no `..` escaping the site."""

    def __init__(self, default: str) -> None:
        super().__init__(str, default=default)

    def run_validation(self, value: object) -> str:
        text = super().run_validation(value)
        parts = text.replace("\\", "/").split("/")
        if not text or text.startswith(("/", "\\")) or ".." in parts or ":" in text:
            raise ValidationError(f"'{text}' must be a relative path inside site_dir.")
        return text


class NetworkList(BaseConfigOption[tuple[IPNetwork, ...]]):
    """Networks in CIDR form (`10.1.0.0/16`, `fd00::/8`) that the address guard lets through."""

    def __init__(self) -> None:
        super().__init__()
        self.default: list[str] = []

    def run_validation(self, value: object) -> tuple[IPNetwork, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValidationError("Expected a list of networks in CIDR form, like 10.1.0.0/16.")
        try:
            return parse_networks(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


class MentionSources(BaseConfigOption[tuple[Source, ...]]):
    """Receivers to read incoming mentions from, each item checked for its shape up front, so
    a typo fails the build with the item's number instead of silently fetching nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.default: list[Any] = []

    def run_validation(self, value: object) -> tuple[Source, ...]:
        if not isinstance(value, list):
            raise ValidationError("Expected a list of sources.")
        try:
            sources = tuple(parse_source(item, index) for index, item in enumerate(value, 1))
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc
        names = [source.name for source in sources]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValidationError(f"Source listed twice: {', '.join(repeated)}")
        return sources


class WholeNumber(opt.Type[int]):
    """A whole number of at least `minimum`.

    A value below the minimum is refused rather than raised to it without a word: a user who
    writes `snippet_length: 0` to turn snippets off should learn that it does not.
    """

    def __init__(self, default: int, *, minimum: int) -> None:
        super().__init__(int, default=default)
        self.minimum = minimum

    def run_validation(self, value: object) -> int:
        if isinstance(value, bool):  # YAML's true is an int to Python
            raise ValidationError(f"Expected a whole number, not {value}.")
        number = super().run_validation(value)
        if number < self.minimum:
            raise ValidationError(
                f"Expected a whole number of at least {self.minimum}, not {number}."
            )
        return number


class PositiveNumber(BaseConfigOption[float]):
    """A number above zero (an int or a float: YAML writes `30` as an int)."""

    def __init__(self, default: float) -> None:
        super().__init__()
        self.default = default

    def run_validation(self, value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise ValidationError(f"Expected a number above zero, not {value!r}.")
        if not math.isfinite(value):  # an endless timeout would let one server hold the build
            raise ValidationError(f"Expected a finite number, not {value!r}.")
        return float(value)


class SiteAliases(BaseConfigOption[tuple[str, ...]]):
    """Other addresses the site was served from (an old domain, a former sub-path)."""

    def __init__(self) -> None:
        super().__init__()
        self.default: list[str] = []

    def run_validation(self, value: object) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValidationError("Expected a list of URLs or domains, like old.example.org.")
        out = []
        for raw in value:
            text = raw.strip()
            url = text if "://" in text else "https://" + text
            if not is_web_url(url) or " " in text:
                raise ValidationError(
                    f"'{raw}' is not a site address (write old.example.org or "
                    "https://old.example.org/blog/)."
                )
            out.append(url)
        return tuple(out)


class Number(opt.Type[float]):
    """A number (int or float) within bounds, for durations and counts given in YAML."""

    def __init__(self, default: float, *, minimum: float, exclusive: bool = False) -> None:
        super().__init__((int, float), default=default)
        self.minimum = minimum
        self.exclusive = exclusive

    def run_validation(self, value: object) -> float:
        if isinstance(value, bool):
            raise ValidationError(f"Expected a number, not {value!r}.")
        number = super().run_validation(value)
        if not math.isfinite(number):
            # .inf as a timeout or deadline would let one hanging server hold the build for
            # ever; .nan compares false with everything, so no bound would apply.
            raise ValidationError(f"Expected a finite number, not {number!r}.")
        low = self.minimum
        if number < low or (self.exclusive and number == low):
            bound = "greater than" if self.exclusive else "at least"
            raise ValidationError(f"Expected a number {bound} {low:g}, not {number!r}.")
        return number


class Proxy(BaseConfigOption[str | None]):
    """`proxy`: none (the default), `env` (the environment's HTTPS_PROXY, HTTP_PROXY or
    ALL_PROXY, read when the network is used), or a proxy URL like `http://proxy:3128`."""

    def __init__(self) -> None:
        super().__init__()
        self.default = None

    def run_validation(self, value: object) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise ValidationError("Expected 'env' or a proxy URL like http://proxy:3128.")
        if value.strip().lower() == "env":
            return "env"
        try:
            return parse_proxy(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


class CaBundle(opt.Optional[str]):
    """`ca_bundle`: a PEM file (or a folder of them), relative to mkdocs.yml; validated to
    exist, so a typo fails the build at once instead of every https request in it."""

    def __init__(self) -> None:
        super().__init__(opt.FilesystemObject(exists=True))
