"""Looking up a hop's host, with a time limit, and checking every address it has.

The checked addresses are what the transport connects to (the URL is rewritten to the IP),
so DNS cannot answer differently between the check and the connect.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from mkdocs_backlinks.http.guard import IPAddress, Target, address_problem
from mkdocs_backlinks.http.options import IPNetwork
from mkdocs_backlinks.http.result import Failure

__all__ = ["resolve", "resolver", "system_resolver"]

_AddrInfo = list[tuple[Any, Any, int, str, tuple[Any, ...]]]

# getaddrinfo's answers that the name has no address: EAI_NONAME is NXDOMAIN (and a name
# unknown to every NSS source); EAI_NODATA, where the C library has it, a name that exists
# without A/AAAA records. Both are answers, where EAI_AGAIN (no DNS server reached, a time-out)
# and EAI_FAIL are the lack of one.
_NO_SUCH_NAME = frozenset(
    code
    for code in (getattr(socket, "EAI_NONAME", None), getattr(socket, "EAI_NODATA", None))
    if code is not None
)


def system_resolver(host: str, port: int) -> _AddrInfo:
    """The operating system's resolver, asked for TCP addresses of `host`."""
    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)


resolver: Callable[[str, int], _AddrInfo] = system_resolver
"""What the address guard asks for a host's addresses, looked up at each request.

A seam for tests, not an option: a machine without internet cannot be relied on to answer
"no such name" (it may as well say "try again"), so tests put here a resolver that fails the
way the system's does, with `socket.gaierror` and its errno, for the names they choose."""


def resolve(
    target: Target, deadline: float, allow_networks: Iterable[IPNetwork]
) -> list[IPAddress] | Failure:
    """Every address of the hop's host, each checked by the address guard.

    One refused address refuses the host: a name that mixes public and private records
    is either misconfigured or a rebinding attempt, and connect fallback must not end up
    on the private one.
    """
    try:
        addresses: list[IPAddress] | Failure = [ipaddress.ip_address(target.host)]
    except ValueError:
        addresses = _look_up(target, deadline)
    if isinstance(addresses, Failure):
        return addresses
    for address in addresses:
        problem = address_problem(address, allow_networks)
        if problem is not None:
            return Failure("refused", f"{target.host}: address {address} is {problem}")
    return addresses


def _look_up(target: Target, deadline: float) -> list[IPAddress] | Failure:
    """The addresses DNS gives for the hop's host name, in the resolver's order."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return Failure("unreachable", f"{target.host}: the deadline passed")
    try:
        infos = _getaddrinfo_within(target.host, target.port, remaining)
    except TimeoutError:
        return Failure("unreachable", f"{target.host}: DNS lookup timed out")
    except socket.gaierror as error:
        if error.errno in _NO_SUCH_NAME:
            return Failure("unreachable", f"{target.host}: no such host (DNS)", no_such_host=True)
        # EAI_AGAIN (no DNS server answered), EAI_FAIL, EAI_SYSTEM...: the resolver
        # could not find out, which is what a network that is down looks like.
        reason = error.strerror or "resolver error"
        return Failure("unreachable", f"{target.host}: DNS lookup failed: {reason}")
    except UnicodeError:
        # The IDNA codec refused the name (an empty label, one over 63 characters): no
        # DNS can hold it, so it is as final as NXDOMAIN.
        return Failure("unreachable", f"{target.host}: invalid host name", no_such_host=True)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        return Failure("unreachable", f"{target.host}: DNS lookup failed: {reason}")
    addresses: list[IPAddress] = []
    for *_info, sockaddr in infos:
        try:
            address = ipaddress.ip_address(str(sockaddr[0]))
        except ValueError:  # not an IP family; TCP lookups do not return those
            continue
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        return Failure("unreachable", f"{target.host}: no IPv4 or IPv6 address")
    return addresses


def _getaddrinfo_within(host: str, port: int, timeout: float) -> _AddrInfo:
    """`socket.getaddrinfo`, given up on after `timeout` seconds.

    getaddrinfo has no timeout of its own and a stuck resolver can take long, so it
    runs in a daemon thread: past the deadline the thread is abandoned (it ends when the
    resolver gives up) and, being a daemon, never holds up the end of the build.
    """
    outcome: list[_AddrInfo | Exception] = []
    done = threading.Event()

    def lookup() -> None:
        try:
            outcome.append(resolver(host, port))
        except Exception as error:  # handed to the waiting thread, which classifies it
            outcome.append(error)
        finally:
            done.set()

    threading.Thread(target=lookup, name="backlinks-dns", daemon=True).start()
    if not done.wait(timeout):
        raise TimeoutError(host)
    result = outcome[0]
    if isinstance(result, Exception):
        raise result
    return result
