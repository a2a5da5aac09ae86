"""The client's address, behind reverse proxies too (``IOC_TRUSTED_PROXIES``).

Every per-client limit (the public field-report form, Open311, the login lock) asks
:func:`client_address`, the one place that reads ``X-Forwarded-For``. The header is believed only
when the connection comes from a trusted proxy; then the client is the right-most address that is
not itself a trusted proxy (each proxy appends the address it saw, so everything to the left of
that may have been written by the client). ``ioc serve`` gives the same list to uvicorn
(``forwarded_allow_ips``), which then rewrites the connection's address the same way.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from starlette.requests import Request

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_ADDRESS = 64  # longest address returned (an unparsable header entry is cut)


@lru_cache(maxsize=16)
def networks(trusted: tuple[str, ...]) -> tuple[Network, ...]:
    """``IOC_TRUSTED_PROXIES`` as networks (a single address is a /32 or /128)."""
    return tuple(ipaddress.ip_network(item, strict=False) for item in trusted)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An address from a header entry: ``1.2.3.4``, ``1.2.3.4:5678``, ``[::1]:80``, ``::1``."""
    text = text.strip().strip('"')
    if text.startswith("["):
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        found = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(found, ipaddress.IPv6Address) and found.ipv4_mapped is not None:
        return found.ipv4_mapped
    return found


def is_trusted(address: str | None, trusted: tuple[Network, ...]) -> bool:
    """Whether ``address`` belongs to one of the ``trusted`` proxy networks."""
    parsed = _address(address) if address else None
    return parsed is not None and any(parsed in net for net in trusted)


def client_address(request: Request) -> str | None:
    """The address of the client behind ``request`` (``None`` when unknown)."""
    peer = request.client.host if request.client else None
    settings = request.app.state.settings
    trusted = networks(tuple(getattr(settings, "trusted_proxies", None) or ()))
    if not trusted or not is_trusted(peer, trusted):
        return peer
    hops = [
        hop.strip()
        for value in request.headers.getlist("x-forwarded-for")
        for hop in value.split(",")
        if hop.strip()
    ]
    for hop in reversed(hops):
        parsed = _address(hop)
        if parsed is None:
            return hop[:MAX_ADDRESS]  # not an address: certainly not one of our proxies
        if not any(parsed in net for net in trusted):
            return str(parsed)
    if hops:  # every hop is a trusted proxy: the left-most is the farthest we know
        first = _address(hops[0])
        return str(first) if first is not None else hops[0][:MAX_ADDRESS]
    return peer
