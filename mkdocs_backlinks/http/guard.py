"""The address guard: which hosts and addresses a request may go to.

A cited URL is chosen by whoever wrote the page, and every redirect by whoever runs the
server, so any of them may point at the build machine's own network (cloud metadata at
169.254.169.254, a router, a database on localhost). Every hop's URL is parsed here, and every
address its host resolves to is checked here before anything connects.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import requests

from mkdocs_backlinks.http.addresses import IPAddress, address_problem, local_host_problem
from mkdocs_backlinks.http.options import IPNetwork

__all__ = [
    "IPAddress",
    "Refused",
    "Target",
    "address_problem",
    "parse_target",
    "proxied_problem",
]

DEFAULT_PORTS = {"http": 80, "https": 443}


def proxied_problem(target: Target, allow_networks: Iterable[IPNetwork] = ()) -> str | None:
    """Why a hop must not go through the proxy, or None when it may.

    Through a proxy the name is resolved by the proxy, so only what the URL itself says can
    be checked: an address written in it, and `localhost`, which every resolver answers with
    loopback. A name that the proxy's DNS maps to a private address is not seen here; that
    is the trade-off of `proxy`, documented with the option."""
    return local_host_problem(target.host.lower(), allow_networks)


@dataclass(frozen=True)
class Target:
    """One hop's URL, validated and normalised (IDNA host, default port made explicit)."""

    url: str
    scheme: str
    host: str
    port: int

    def same_origin(self, other: Target) -> bool:
        """Whether credentials for `self` may go to `other`: same host and port, or the
        plain http://host upgraded to https://host on the default ports."""
        if self.host != other.host:
            return False
        if (self.scheme, self.port) == (other.scheme, other.port):
            return True
        return (self.scheme, self.port, other.scheme, other.port) == ("http", 80, "https", 443)

    @property
    def host_is_ip(self) -> bool:
        try:
            ipaddress.ip_address(self.host)
        except ValueError:
            return False
        return True

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if DEFAULT_PORTS[self.scheme] == self.port else f"{host}:{self.port}"

    def pinned_url(self, address: IPAddress) -> str:
        """This URL with the host replaced by `address`, so nothing resolves it again."""
        if isinstance(address, ipaddress.IPv6Address):
            text = str(address).replace("%", "%25")
            netloc = f"[{text}]:{self.port}"
        else:
            netloc = f"{address}:{self.port}"
        parts = urlsplit(self.url)
        return urlunsplit((self.scheme, netloc, parts.path or "/", parts.query, ""))


class Refused(Exception):
    """A URL the client will not request; the message says why."""


def parse_target(url: str) -> Target:
    """Validate one hop's URL: only http(s), a host, a valid port; drop userinfo and fragment.

    Userinfo is dropped because requests would turn it into a Basic Authorization header,
    which a redirect could then aim at any host.
    """
    try:
        parts = urlsplit(url.strip())
    except ValueError as error:
        raise Refused("invalid URL") from error
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise Refused(f"scheme {scheme or '(none)'!r} is not allowed; only http and https")
    netloc = parts.netloc.rpartition("@")[2]
    cleaned = urlunsplit((scheme, netloc, parts.path, parts.query, ""))
    prepared = requests.PreparedRequest()
    try:
        prepared.prepare_url(cleaned, None)
        normal = urlsplit(prepared.url or "")
        port = normal.port or DEFAULT_PORTS[scheme]
    except (requests.RequestException, ValueError) as error:
        raise Refused("invalid URL") from error
    host = normal.hostname
    if not host:
        raise Refused("URL has no host")
    return Target(url=normal.geturl(), scheme=scheme, host=host, port=port)
