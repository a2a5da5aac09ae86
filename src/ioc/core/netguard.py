"""Guard for requests the IOC sends to addresses users configure (website probes, webhooks):
no server-side request forgery into the province's internal network.

One rule for every outbound call, checked when a target is saved (:func:`validate_url`) and
again on every request and every redirect (:func:`check_url`):

* only ``http`` and ``https`` URLs;
* the host is resolved, and **every** address it resolves to must be public: loopback,
  private (RFC 1918, IPv6 ULA), link-local (169.254.0.0/16 with the cloud metadata address
  169.254.169.254, fe80::/10), shared CGNAT space 100.64.0.0/10, multicast, unspecified,
  reserved and documentation ranges are refused — also written as IPv4-mapped
  (``::ffff:127.0.0.1``), NAT64 (``64:ff9b::/96``) or 6to4 (``2002::/16``) IPv6 addresses,
  or as short/decimal IPv4 forms (``127.1``, ``2130706433``), which resolve to the same;
* unless the host name, the address, or a network containing it is on the allow-list
  (``IOC_OUTBOUND_ALLOW``: host names, addresses and CIDR networks; empty by default);
* the connection goes to an address that was checked (:func:`connection`, :func:`opener`):
  the name is not resolved a second time, so a DNS answer that changes between the check
  and the connection (DNS rebinding) cannot lead anywhere else. The ``Host`` header, TLS SNI
  and certificate check still use the name;
* redirects are never followed automatically: callers re-check each ``Location``
  (at most :data:`MAX_REDIRECTS`).

Standard library only; this module knows nothing of settings, web pages or packs (callers
pass the allow-list).
"""

from __future__ import annotations

import functools
import http.client
import ipaddress
import socket
import ssl
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

__all__ = [
    "MAX_REDIRECTS",
    "REDIRECT_CODES",
    "AllowList",
    "BlockedTarget",
    "ResolveError",
    "Target",
    "blocked_reason",
    "check_url",
    "connection",
    "opener",
    "parse_allow",
    "validate_url",
]

MAX_REDIRECTS: Final = 5
REDIRECT_CODES: Final = frozenset({301, 302, 303, 307, 308})
SCHEMES: Final = {"http": 80, "https": 443}

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_CGNAT: Final = ipaddress.ip_network("100.64.0.0/10")
_NAT64: Final = ipaddress.ip_network("64:ff9b::/96")


class BlockedTarget(ValueError):
    """A URL the IOC must not call; the message says why (Vietnamese / English)."""


class ResolveError(OSError):
    """The host name did not resolve (a network problem, not a refusal)."""


@dataclass(frozen=True)
class AllowList:
    """Hosts, addresses and networks the guard lets through although they are internal."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    def allows_host(self, host: str) -> bool:
        """True when the host name itself is on the list."""
        return host.lower().rstrip(".") in self.hosts

    def allows_address(self, address: IPAddress) -> bool:
        """True when the address is on the list or in one of its networks."""
        mapped = _embedded_v4(address)
        return any(
            (address.version == net.version and address in net)
            or (mapped is not None and mapped.version == net.version and mapped in net)
            for net in self.networks
        )


def parse_allow(entries: Iterable[str] | AllowList | None) -> AllowList:
    """An :class:`AllowList` from ``IOC_OUTBOUND_ALLOW`` entries (``portal.example``,
    ``127.0.0.1``, ``10.20.0.0/16``, ``[::1]``). Raises ValueError for a bad network."""
    if isinstance(entries, AllowList):
        return entries
    hosts: set[str] = set()
    networks: list[IPNetwork] = []
    for raw in entries or ():
        entry = str(raw).strip().strip("[]").lower().rstrip(".")
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError as exc:
            if "/" in entry or entry.replace(".", "").isdigit():
                raise ValueError(
                    f"IOC_OUTBOUND_ALLOW: mạng không hợp lệ {raw!r} / invalid network: {exc}"
                ) from exc
            hosts.add(entry)
    return AllowList(frozenset(hosts), tuple(networks))


def _embedded_v4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, NAT64, 6to4), if any."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour


def blocked_reason(address: IPAddress) -> str | None:
    """Why ``address`` is internal (``loopback``, ``private``, ``link-local`` …), or None
    for a public address."""
    embedded = _embedded_v4(address)
    if embedded is not None and isinstance(address, ipaddress.IPv6Address):
        inner = blocked_reason(embedded)
        # A mapped or NAT64 address *is* its IPv4 address; a 6to4 one must pass both checks.
        if inner is not None or address.ipv4_mapped is not None or address in _NAT64:
            return inner
    checks: tuple[tuple[str, bool], ...] = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("CGNAT", isinstance(address, ipaddress.IPv4Address) and address in _CGNAT),
        ("multicast", address.is_multicast),
        ("site-local", isinstance(address, ipaddress.IPv6Address) and address.is_site_local),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
        ("non-global", not address.is_global),
    )
    return next((name for name, hit in checks if hit), None)


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (``addresses``, in order) and what to ask for."""

    url: str
    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[str, ...]


def _split(url: str) -> tuple[str, str, int, str]:
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise BlockedTarget(
            f"Chỉ cho phép địa chỉ http:// hoặc https:// (không phải {scheme or 'trống'}://) "
            f"/ only http and https URLs are allowed: {url[:200]!r}"
        )
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise BlockedTarget(f"URL thiếu tên máy / URL has no host: {url[:200]!r}")
    try:
        port = parts.port or SCHEMES[scheme]
    except ValueError as exc:
        raise BlockedTarget(f"Cổng không hợp lệ / invalid port: {url[:200]!r}") from exc
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, host, port, path


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ResolveError(f"Không phân giải được tên {host!r} / cannot resolve: {exc}") from exc
    out: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in out:
            out.append(address)
    if not out:
        raise ResolveError(f"Tên {host!r} không có địa chỉ / no address for the host")
    return out


def _refuse(host: str, address: IPAddress, reason: str) -> BlockedTarget:
    return BlockedTarget(
        f"Không được gửi yêu cầu tới địa chỉ nội bộ {address} ({reason}) của {host!r}; "
        "thêm vào IOC_OUTBOUND_ALLOW nếu đây là đích hợp lệ / refusing an internal address "
        f"{address} ({reason}) for {host!r}; add it to IOC_OUTBOUND_ALLOW if it is intended"
    )


def check_url(url: str, allow: Iterable[str] | AllowList | None = ()) -> Target:
    """Check ``url`` for a request now: scheme, and every address its host resolves to.

    Raises :class:`BlockedTarget` (refused) or :class:`ResolveError` (no DNS answer); returns
    the :class:`Target` whose ``addresses`` the caller must connect to."""
    allowed = parse_allow(allow)
    scheme, host, port, path = _split(url)
    addresses = _resolve(host, port)
    if not allowed.allows_host(host):
        for address in addresses:
            reason = blocked_reason(address)
            if reason is not None and not allowed.allows_address(address):
                raise _refuse(host, address, reason)
    return Target(url, scheme, host, port, path, tuple(str(a) for a in addresses))


def validate_url(url: str, allow: Iterable[str] | AllowList | None = ()) -> None:
    """Check ``url`` when it is saved (a contact point, a probe target): like
    :func:`check_url`, but a name that does not resolve right now is accepted (it is checked
    again on every request). Raises :class:`BlockedTarget`."""
    try:
        check_url(url, allow)
    except ResolveError:
        return


# --------------------------------------------------------------------------- connections


def _open_socket(
    addresses: Sequence[str], port: int, timeout: Any, source: tuple[str, int] | None
) -> socket.socket:
    error: OSError | None = None
    for address in addresses:
        try:
            # An address literal: create_connection does no DNS lookup of its own.
            return socket.create_connection((address, port), timeout, source)
        except OSError as exc:
            error = exc
    raise error or OSError("no address to connect to")


class PinnedHTTPConnection(http.client.HTTPConnection):
    """``http.client.HTTPConnection`` that connects to checked addresses only."""

    def __init__(self, host: str, *args: Any, addresses: Sequence[str], **kwargs: Any) -> None:
        super().__init__(host, *args, **kwargs)
        self.pinned = tuple(addresses)

    def connect(self) -> None:
        """Connect to the first reachable pinned address (no name resolution)."""
        source = getattr(self, "source_address", None)
        self.sock = _open_socket(self.pinned, self.port, self.timeout, source)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    """``http.client.HTTPSConnection`` to checked addresses; SNI and the certificate's host
    name check use the URL's host name."""

    def __init__(self, host: str, *args: Any, addresses: Sequence[str], **kwargs: Any) -> None:
        super().__init__(host, *args, **kwargs)
        self.pinned = tuple(addresses)

    def connect(self) -> None:
        """Connect to a pinned address, then TLS with the host name as server name."""
        source = getattr(self, "source_address", None)
        sock = _open_socket(self.pinned, self.port, self.timeout, source)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        context: ssl.SSLContext = self._context  # type: ignore[attr-defined]
        self.sock = context.wrap_socket(sock, server_hostname=self.host)


def connection(
    target: Target, *, timeout: float, context: ssl.SSLContext | None = None
) -> http.client.HTTPConnection:
    """An ``http.client`` connection to ``target`` pinned to its checked addresses."""
    if target.scheme == "https":
        return PinnedHTTPSConnection(
            target.host,
            target.port,
            timeout=timeout,
            context=context or ssl.create_default_context(),
            addresses=target.addresses,
        )
    return PinnedHTTPConnection(
        target.host, target.port, timeout=timeout, addresses=target.addresses
    )


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects come back as ``HTTPError`` (3xx); the caller checks the new target."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class _PinnedHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, addresses: Sequence[str]) -> None:
        super().__init__()
        self._pinned = tuple(addresses)

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        factory = functools.partial(PinnedHTTPConnection, addresses=self._pinned)
        return self.do_open(factory, req)


class _PinnedHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, addresses: Sequence[str], context: ssl.SSLContext) -> None:
        super().__init__(context=context)
        self._pinned = tuple(addresses)
        self._pinned_context = context

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        factory = functools.partial(PinnedHTTPSConnection, addresses=self._pinned)
        return self.do_open(factory, req, context=self._pinned_context)


def opener(target: Target, context: ssl.SSLContext | None = None) -> urllib.request.OpenerDirector:
    """A ``urllib`` opener for one request to ``target``: connects to its checked addresses,
    ignores proxy environment variables, and does not follow redirects."""
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}),
        _NoRedirect(),
        _PinnedHTTPHandler(target.addresses),
        _PinnedHTTPSHandler(target.addresses, context or ssl.create_default_context()),
    )
