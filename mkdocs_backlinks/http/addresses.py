"""Which addresses are nobody's on the public web: what the HTTP layer refuses to connect to,
and what the link collector refuses to count as a cited work.

Apart from `http/guard.py` because the collector needs it on every build and `guard` brings
`requests` with it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from mkdocs_backlinks.http.options import IPNetwork

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# IPv6 prefixes that carry an IPv4 address a gateway will connect to (NAT64, RFC 6052/8215).
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
# Deprecated IPv4-compatible addresses (::a.b.c.d): `ipaddress` calls them global.
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for, if a stack or gateway would reach it.

    `::ffff:10.0.0.1` is 10.0.0.1 on a dual-stack socket; 6to4 and NAT64 addresses are relayed
    to the IPv4 address inside them. Checking only the IPv6 form would let those through.
    """
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if any(address in network for network in _NAT64):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_problem(address: IPAddress, allow_networks: Iterable[IPNetwork] = ()) -> str | None:
    """Why the plugin must not connect to `address`, or None when it may.

    Only globally routable unicast addresses pass: loopback, private, link-local (cloud
    metadata), shared (100.64/10), unspecified, multicast, reserved, documentation and other
    special-purpose ranges are refused, also when wrapped in an IPv6 form. An address inside
    one of `allow_networks` always passes (or whose embedded IPv4 address is inside one).
    """
    allowed = tuple(allow_networks)
    embedded = _embedded_ipv4(address) if isinstance(address, ipaddress.IPv6Address) else None
    for candidate in (address, embedded):
        if candidate is not None and any(
            candidate.version == network.version and candidate in network for network in allowed
        ):
            return None
    if address.is_loopback:
        return "loopback"
    if address.is_unspecified:
        return "unspecified"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if isinstance(address, ipaddress.IPv6Address):
        if address.is_site_local:
            return "site-local"
        if address in _IPV4_COMPATIBLE:
            return "IPv4-compatible (deprecated)"
        if embedded is not None:
            inner = address_problem(embedded)
            return None if inner is None else f"embeds {embedded}, which is {inner}"
    if address.is_private:
        return "private"
    if address.is_reserved:
        return "reserved"
    if not address.is_global:
        return "not globally routable"
    return None


def local_host_problem(host: str, allow_networks: Iterable[IPNetwork] = ()) -> str | None:
    """Why a URL's `host` (lower case, no brackets, as `urlsplit` gives it) is this machine or
    a private network, or None: an address written in it that is not globally routable
    (outside `allow_networks`), or `localhost`, which every resolver answers with loopback.
    Other names are not looked up: what they resolve to is checked where they are resolved
    (`http/dns.py`), or by the proxy."""
    name = host.rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        problem = address_problem(ipaddress.ip_address("127.0.0.1"), allow_networks)
        return None if problem is None else "localhost is loopback"
    if not host or not (host[0].isdigit() or ":" in host):
        return None  # a name: the common case, decided without parsing
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    problem = address_problem(address, allow_networks)
    return None if problem is None else f"address {host} is {problem}"
