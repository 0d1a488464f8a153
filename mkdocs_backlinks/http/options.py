"""The HTTP layer's settings, and how the plugin's options and the command line make them.

Kept apart from the client so that the build and every command (`send`, `fetch`, ...) apply
the same `offline`, `allow_networks` and cache folder, and so that deciding whether and how to
go online does not import `requests`, `ssl` and their codecs: a build that stays offline, or
finds everything it needs in its cache, never loads them.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from mkdocs_backlinks import __version__

if TYPE_CHECKING:
    pass

__all__ = [
    "CA_BUNDLE_ENV",
    "OFFLINE_ENV",
    "PROXY_ENV",
    "USER_AGENT",
    "HttpOptions",
    "IPNetwork",
    "ca_bundle_from_env",
    "env_flag",
    "offline_from_env",
    "parse_network",
    "parse_networks",
    "parse_proxy",
    "proxy_from_env",
]

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

OFFLINE_ENV = "MKDOCS_BACKLINKS_OFFLINE"
"""Set to 1 (or true/yes/on) to make every request fail at once as "unreachable", e.g. on a
plane or in a sandboxed CI job."""

USER_AGENT = (
    f"mkdocs-backlinks-plugin/{__version__} (+https://pypi.org/project/mkdocs-backlinks-plugin/)"
)


CA_BUNDLE_ENV = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE")
"""Variables naming the CA bundle to verify TLS with, first set first: requests' own two, then
OpenSSL's. Company networks that inspect TLS set one of them for pip, curl and git already."""

PROXY_ENV = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")
"""Variables read for `proxy: env`, first set first; one proxy carries every request."""


def env_flag(name: str) -> bool:
    """Whether environment variable `name` is switched on (1, true, yes or on)."""
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def offline_from_env() -> bool:
    """Whether the environment asks every part of the plugin to stay off the network."""
    return env_flag(OFFLINE_ENV)


def ca_bundle_from_env() -> tuple[str, str] | None:
    """`(variable, path)` of the first CA bundle variable set, None when none is.

    Only the CA bundle is taken from the environment: the client never reads proxies or
    `.netrc` from it (`trust_env` stays off), because a proxy it was not asked to use moves
    connections past the address guard, and `.netrc` adds credentials nobody chose to send."""
    for name in CA_BUNDLE_ENV:
        value = os.environ.get(name, "").strip()
        if value:
            return name, value
    return None


def proxy_from_env() -> str | None:
    """The proxy URL the environment names (see `PROXY_ENV`), for `proxy: env` only."""
    for name in PROXY_ENV:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


@dataclass(frozen=True)
class HttpOptions:
    """Limits for every request; the defaults suit a documentation build.

    The tests shrink the timeouts and open `allow_networks` to 127.0.0.0/8, where their servers
    run; a site that cites an intranet can list its networks the same way.
    """

    connect_timeout: float = 5.0
    """Seconds to establish one TCP connection."""
    read_timeout: float = 10.0
    """Seconds any single read may wait for the server."""
    deadline: float = 20.0
    """Wall-clock seconds for a whole `fetch`: DNS, connects, TLS, redirects, retries, body."""
    batch_deadline: float = 120.0
    """Wall-clock seconds for a whole `fetch_many`."""
    max_bytes: int = 1_000_000
    """Largest decoded body accepted; a larger one gives "too-large" and no body."""
    max_redirects: int = 5
    """Redirects followed before "too-many-redirects"."""
    user_agent: str = USER_AGENT
    """Identifies the plugin to site owners, with a link to explain what it is."""
    per_host: int = 2
    """Concurrent requests to one host name, to stay polite."""
    concurrency: int = 8
    """Concurrent requests in total."""
    retries: int = 2
    """Extra attempts after a 429 or 503."""
    backoff: float = 1.0
    """First wait before a retry when the server gives no Retry-After; doubles each time."""
    max_retry_wait: float = 30.0
    """Longest wait before a retry; a longer Retry-After gives up at once."""
    allow_networks: tuple[IPNetwork, ...] = ()
    """Networks the address guard lets through although they are not public. Every address of
    a host must pass, so "localhost" needs ::1/128 as well as 127.0.0.0/8 where it has both."""
    ca_bundle: str | None = None
    """CA bundle (a PEM file, or a folder of them) to verify TLS with, instead of the one
    requests ships (certifi). None: the environment's (`CA_BUNDLE_ENV`), else certifi."""
    proxy: str | None = None
    """http(s)://host:port of a proxy that carries every request, None for direct connections.
    Through a proxy the address guard checks each hop's name (an address written in the URL,
    `localhost`) but not the address the proxy connects to: the proxy resolves the name."""
    offline: bool = False
    """Never touch the network: every call is "unreachable" with error "offline"."""

    def __post_init__(self) -> None:
        for name in ("connect_timeout", "read_timeout", "deadline", "batch_deadline"):
            if not getattr(self, name) > 0:
                raise ValueError(f"HttpOptions.{name} must be a positive number of seconds")
        for name in ("max_bytes", "per_host", "concurrency"):
            if getattr(self, name) < 1:
                raise ValueError(f"HttpOptions.{name} must be at least 1")
        for name in ("max_redirects", "retries", "backoff", "max_retry_wait"):
            if getattr(self, name) < 0:
                raise ValueError(f"HttpOptions.{name} must not be negative")
        if self.proxy is not None:
            parse_proxy(self.proxy)
        for network in self.allow_networks:
            if not isinstance(network, ipaddress.IPv4Network | ipaddress.IPv6Network):
                raise ValueError(
                    "HttpOptions.allow_networks must hold ipaddress.ip_network values, "
                    f"not {network!r}"
                )


def parse_network(value: str) -> IPNetwork:
    """One network in CIDR form; a bare address means that address alone (/32 or /128).

    Host bits must be zero (`10.1.2.3/16` is refused): a typo there would open a network
    the author did not mean.
    """
    text = value.strip()
    try:
        return ipaddress.ip_network(text, strict=True)
    except ValueError as exc:
        raise ValueError(
            f"'{value}' is not a network in CIDR form (write it like 127.0.0.0/8 or 10.1.0.0/16)"
        ) from exc


def parse_networks(values: Iterable[str]) -> tuple[IPNetwork, ...]:
    """Several networks, de-duplicated and sorted so the options compare equal across runs."""
    networks = {parse_network(value) for value in values}
    return tuple(sorted(networks, key=lambda n: (n.version, n.network_address, n.prefixlen)))


def parse_proxy(value: str) -> str:
    """A proxy URL, checked: http or https, a host, a port if any that is a number.

    Credentials in it (`http://user:pass@host:3128`) are kept: a company proxy may need them,
    and they go to the proxy alone, never to the sites asked through it."""
    text = value.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"'{value}' is not a proxy URL (write it like http://proxy:3128)") from exc
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"'{value}' is not a proxy URL (write it like http://proxy:3128)")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"'{value}': a proxy URL has no path, query or fragment")
    del port
    return text
