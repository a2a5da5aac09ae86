"""The outbound-request guard: only http(s), no internal addresses unless allow-listed, the
connection pinned to the address that was checked."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from ioc.core import netguard

BLOCKED = [
    "http://127.0.0.1/",
    "http://127.0.0.1:5432/",
    "http://127.1/",  # short form of 127.0.0.1
    "http://2130706433/",  # decimal form of 127.0.0.1
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/",  # CGNAT
    "http://224.0.0.1/",
    "http://0.0.0.0/",
    "http://240.0.0.1/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:169.254.169.254]/",
    "http://[fd00::1]/",
    "http://[fe80::1]/",
    "http://[::]/",
    "http://[ff02::1]/",
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 form of 169.254.169.254
    "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
    "http://localhost/",
    "https://localhost:8443/",
]


@pytest.mark.parametrize("url", BLOCKED)
def test_internal_targets_are_refused(url: str) -> None:
    with pytest.raises(netguard.BlockedTarget):
        netguard.check_url(url)


@pytest.mark.parametrize("url", ["ftp://example.com/", "file:///etc/passwd", "gopher://x/", "//x"])
def test_only_http_and_https(url: str) -> None:
    with pytest.raises(netguard.BlockedTarget, match="http"):
        netguard.check_url(url)


def test_public_addresses_pass_and_are_pinned() -> None:
    target = netguard.check_url("https://93.184.216.34:8443/a?b=1")
    assert target.scheme == "https" and target.port == 8443 and target.path == "/a?b=1"
    assert target.addresses == ("93.184.216.34",)
    assert netguard.check_url("http://[2606:4700::1111]/").addresses == ("2606:4700::1111",)


def test_allow_list_of_hosts_addresses_and_networks() -> None:
    assert netguard.check_url("http://127.0.0.1:9/", ["127.0.0.1"]).addresses == ("127.0.0.1",)
    assert netguard.check_url("http://10.1.2.3/", ["10.0.0.0/8"]).addresses == ("10.1.2.3",)
    assert netguard.check_url("http://localhost/", ["LOCALHOST"]).host == "localhost"
    with pytest.raises(netguard.BlockedTarget, match=r"10\.1\.2\.3"):
        netguard.check_url("http://10.1.2.3/", ["10.0.0.0/16", "127.0.0.1"])
    with pytest.raises(ValueError, match="IOC_OUTBOUND_ALLOW"):
        netguard.parse_allow(["10.0.0.0/33"])


def test_a_name_with_one_internal_address_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    def fake(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    with pytest.raises(netguard.BlockedTarget, match=r"10\.0\.0\.7"):
        netguard.check_url("http://portal.example/")


def test_save_time_validation_names_the_problem_and_tolerates_no_dns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(netguard.BlockedTarget, match=r"169\.254\.169\.254"):
        netguard.validate_url("http://169.254.169.254/")

    def no_dns(*args: Any, **kwargs: Any) -> list[Any]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    netguard.validate_url("https://portal.example/")  # checked again when used
    with pytest.raises(netguard.ResolveError):
        netguard.check_url("https://portal.example/")


class _Echo:
    """An HTTP server on 127.0.0.1 that records the Host header of each request."""

    def __init__(self) -> None:
        owner = self
        self.hosts: list[str] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.hosts.append(self.headers.get("Host", ""))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def echo() -> Iterator[_Echo]:
    server = _Echo()
    yield server
    server.close()


def test_connection_goes_to_the_checked_address_whatever_dns_says_later(
    monkeypatch: pytest.MonkeyPatch, echo: _Echo
) -> None:
    answers = iter(["127.0.0.1", "10.9.9.9", "10.9.9.9", "10.9.9.9"])
    real = socket.getaddrinfo

    def rebinding(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if host == "portal.rebind.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    target = netguard.check_url(f"http://portal.rebind.test:{echo.port}/", ["127.0.0.1"])
    conn = netguard.connection(target, timeout=5)
    try:
        conn.request("GET", target.path)
        assert conn.getresponse().status == 204
    finally:
        conn.close()
    assert echo.hosts == [f"portal.rebind.test:{echo.port}"]
