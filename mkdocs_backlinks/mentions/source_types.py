"""Where incoming mentions come from: the kinds of source, checked as `mkdocs.yml` names them.

Three kinds, named in `mkdocs.yml` under `mentions.sources`:

- `webmention_io`: the webmention.io API for one domain, with a token read from an environment
  variable at fetch time. Fetched incrementally (`since_id`, oldest first, so a page that fails
  midway leaves the unread mentions newer than the saved `since_id`) and page by page
  (`page`/`per-page`), until a page comes back short.
- `jf2`: any JF2 feed URL (a self-hosted receiver, a proxy). Read whole each time, following a
  `Link: <...>; rel="next"` header or a top-level `next_url`/`next` in the document.
- `file`: a JF2 or webmention.io JSON file beside `mkdocs.yml`, read on every build without the
  network (a static export, or the sample site's invented mentions).

How each kind is read is in `fetch`.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from mkdocs_backlinks.links.urls import is_web_url

__all__ = [
    "DEFAULT_API",
    "DEFAULT_TOKEN_ENV",
    "Jf2Feed",
    "LocalFile",
    "Source",
    "WebmentionIo",
    "parse_source",
]

DEFAULT_API = "https://webmention.io/api/mentions.jf2"
DEFAULT_TOKEN_ENV = "WEBMENTION_IO_TOKEN"  # noqa: S105 (the variable's name, not a token)

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DOMAIN = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+")


@dataclass(frozen=True, slots=True)
class WebmentionIo:
    """webmention.io's API for one domain; the token is the value of `token_env`."""

    domain: str
    token_env: str = DEFAULT_TOKEN_ENV
    api: str = DEFAULT_API

    @property
    def name(self) -> str:
        """The key of this source's fetch state in the store."""
        return f"webmention.io:{self.domain}"


@dataclass(frozen=True, slots=True)
class Jf2Feed:
    """A JF2 feed at a URL, read whole."""

    url: str

    @property
    def name(self) -> str:
        return f"jf2:{self.url}"


@dataclass(frozen=True, slots=True)
class LocalFile:
    """A JF2 or webmention.io JSON file, relative to mkdocs.yml."""

    path: str

    @property
    def name(self) -> str:
        return f"file:{self.path}"


Source = WebmentionIo | Jf2Feed | LocalFile

_SHAPES = (
    "{webmention_io: {domain: example.org, token_env: WEBMENTION_IO_TOKEN}}, "
    "{jf2: https://...}, or {file: path/relative/to/mkdocs.yml}"
)


def _http_url(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} must be an http(s) URL, not {value!r}")
    url = value.strip()
    if not is_web_url(url):
        raise ValueError(f"{what} must be an http(s) URL, not {value!r}")
    parts = urlsplit(url)
    if "token=" in (parts.query or "").lower():
        # A token pasted into mkdocs.yml would be committed; it belongs in the environment.
        raise ValueError(
            f"{what} must not carry a token; name an environment variable with token_env"
        )
    return url


def _on_this_machine(host: str | None) -> bool:
    """Whether `host` names this machine (localhost or a loopback address)."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_source(value: object, index: int = 1) -> Source:
    """One item of `mentions.sources`, checked; ValueError says what is wrong with item N."""
    where = f"item {index}"
    if not isinstance(value, dict) or len(value) != 1:
        raise ValueError(f"{where} must be one of {_SHAPES}; got {value!r}")
    ((kind, body),) = value.items()
    if kind == "jf2":
        return Jf2Feed(_http_url(body, f"{where} (jf2)"))
    if kind == "file":
        if not isinstance(body, str) or not body.strip():
            raise ValueError(f"{where} (file) must be a path relative to mkdocs.yml")
        return LocalFile(body.strip())
    if kind == "webmention_io":
        return _webmention_io(body, where)
    raise ValueError(f"{where} has unknown kind {kind!r}; use one of {_SHAPES}")


def _webmention_io(body: object, where: str) -> WebmentionIo:
    """The body of a `webmention_io` item, checked."""
    if not isinstance(body, dict):
        raise ValueError(f"{where} (webmention_io) must be a mapping with domain and token_env")
    unknown = set(body) - {"domain", "token_env", "api"}
    if unknown:
        raise ValueError(
            f"{where} (webmention_io) has unknown key(s) {', '.join(sorted(unknown))}; "
            "use domain, token_env and api"
        )
    domain = body.get("domain")
    if not isinstance(domain, str) or not _DOMAIN.fullmatch(domain.strip().lower()):
        raise ValueError(
            f"{where} (webmention_io): domain must be a domain name like example.org, "
            f"not {domain!r}"
        )
    token_env = body.get("token_env", DEFAULT_TOKEN_ENV)
    if not isinstance(token_env, str) or not _ENV_NAME.fullmatch(token_env):
        raise ValueError(
            f"{where} (webmention_io): token_env must name an environment variable "
            "(the token itself never goes in mkdocs.yml)"
        )
    api = _http_url(body.get("api", DEFAULT_API), f"{where} (webmention_io) api")
    parts = urlsplit(api)
    if parts.scheme == "http" and not _on_this_machine(parts.hostname):
        # The API key goes in the query string: over plain http anyone on the path reads it.
        raise ValueError(
            f"{where} (webmention_io) api must use https, or the token would travel in "
            f"clear text (plain http is accepted only for localhost): {api}"
        )
    return WebmentionIo(domain.strip().lower(), token_env, api)
