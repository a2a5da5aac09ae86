"""client_address: the one reader of X-Forwarded-For, believed only from trusted proxies."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from starlette.requests import Request

from ioc.web.proxies import client_address


def request(peer: str | None, forwarded: list[str], trusted: list[str]) -> Request:
    app = SimpleNamespace(state=SimpleNamespace(settings=SimpleNamespace(trusted_proxies=trusted)))
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "headers": [(b"x-forwarded-for", value.encode()) for value in forwarded],
        "client": (peer, 1234) if peer else None,
        "app": app,
    }
    return Request(scope)


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "expected"),
    [
        # No trusted proxy: the header is anyone's to write, so it is ignored.
        ("198.51.100.1", ["6.6.6.6"], [], "198.51.100.1"),
        # From an untrusted peer: ignored too.
        ("198.51.100.1", ["6.6.6.6"], ["10.0.0.0/8"], "198.51.100.1"),
        # From the trusted nginx: the address nginx appended.
        ("10.0.0.7", ["198.51.100.1"], ["10.0.0.7"], "198.51.100.1"),
        # A client-written entry on the left does not count: right-most untrusted wins.
        ("10.0.0.7", ["6.6.6.6, 198.51.100.1"], ["10.0.0.7"], "198.51.100.1"),
        # Two proxies (a load balancer, then nginx), both trusted, over two header lines.
        ("10.0.0.7", ["6.6.6.6, 198.51.100.1", "10.0.0.9"], ["10.0.0.0/24"], "198.51.100.1"),
        # Ports and IPv6 brackets are removed; IPv4-mapped IPv6 is IPv4.
        ("10.0.0.7", ["198.51.100.1:5555"], ["10.0.0.7"], "198.51.100.1"),
        ("::1", ["[2001:db8::5]:443"], ["::1"], "2001:db8::5"),
        ("::ffff:10.0.0.7", ["198.51.100.1"], ["10.0.0.7"], "198.51.100.1"),
        # Every hop trusted: the left-most is the farthest known.
        ("10.0.0.7", ["10.0.0.8, 10.0.0.9"], ["10.0.0.0/24"], "10.0.0.8"),
        # A trusted proxy that sent no header: the proxy itself.
        ("10.0.0.7", [], ["10.0.0.7"], "10.0.0.7"),
        # Garbage right of the trusted hops is untrusted (returned, cut): never a proxy.
        ("10.0.0.7", ["unknown"], ["10.0.0.7"], "unknown"),
    ],
)
def test_client_address(peer: str, forwarded: list[str], trusted: list[str], expected: str) -> None:
    assert client_address(request(peer, forwarded, trusted)) == expected


def test_no_peer_is_none() -> None:
    assert client_address(request(None, ["1.2.3.4"], ["10.0.0.7"])) is None
