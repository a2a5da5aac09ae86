"""Website probes cannot be turned against the internal network: internal targets are refused
before any connection (unless on ``IOC_OUTBOUND_ALLOW``), redirects are checked hop by hop,
targets are checked when saved, and the probe's error text (a port-scan oracle) is shown to
administrators only."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from helpers import login
from ioc.core import audit
from ioc.packs.cybersecurity import probes
from ioc.packs.cybersecurity.models import CySite

PAGE = "<html><body><h1>Cổng thông tin</h1><p>Tin tức sự kiện trong tỉnh.</p></body></html>"


class _Server:
    """A local web server counting requests; ``location`` makes it answer 302 there."""

    def __init__(self, location: str | None = None) -> None:
        owner = self
        self.hits = 0
        self.location = location

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.hits += 1
                body = PAGE.encode()
                if owner.location:
                    self.send_response(302)
                    self.send_header("Location", owner.location)
                else:
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def servers() -> Iterator[Any]:
    made: list[_Server] = []

    def make(location: str | None = None) -> _Server:
        made.append(_Server(location))
        return made[-1]

    yield make
    for server in made:
        server.close()


STRICT = probes.ProbeConfig(timeout_s=3, allow=())
LOCAL = probes.ProbeConfig(timeout_s=3, allow=("127.0.0.1",))


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/",
        "http://localhost:{port}/",
        "http://[::1]:{port}/",
        "http://[::ffff:127.0.0.1]:{port}/",
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
    ],
)
def test_internal_targets_are_refused_without_connecting(servers: Any, url: str) -> None:
    server = servers()
    started = time.monotonic()
    result = probes.probe_url(url.format(port=server.port), STRICT)
    assert not result.ok and result.error is not None
    assert "IOC_OUTBOUND_ALLOW" in result.error
    assert server.hits == 0
    assert time.monotonic() - started < 2  # refused before any connection attempt
    assert probes.verdict(result, None, STRICT).state == "down"


def test_an_allowed_local_server_is_probed(servers: Any) -> None:
    server = servers()
    result = probes.probe_url(server.url, LOCAL)
    assert result.ok and result.http_status == 200 and server.hits == 1


@pytest.mark.parametrize(
    "location",
    [
        "http://10.0.0.1/",
        "ftp://127.0.0.1/pub/",
        "http://[::1]:{port}/",
        "http://169.254.169.254/latest/meta-data/",
    ],
)
def test_redirects_to_refused_targets_stop_the_probe(servers: Any, location: str) -> None:
    final = servers()
    first = servers(location.format(port=final.port))
    result = probes.probe_url(first.url, LOCAL)
    assert not result.ok and result.error is not None
    assert first.hits == 1 and final.hits == 0


def test_allowed_redirects_are_followed_at_most_five_times(servers: Any) -> None:
    final = servers()
    result = probes.probe_url(servers(final.url).url, LOCAL)
    assert result.ok and result.http_status == 200 and final.hits == 1
    loop = servers()
    loop.location = loop.url
    result = probes.probe_url(loop.url, LOCAL)
    assert not result.ok and "redirect" in (result.error or "")
    assert loop.hits == 6


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:5432/", "http://169.254.169.254/", "ftp://portal.example/", "http://[::1]/"],
)
def test_probe_targets_are_checked_when_saved(db: Session, url: str) -> None:
    with pytest.raises(probes.ProbeTargetError) as error:
        probes.add_site(db, audit.Actor.system("test"), code="x", name="X", url=url, allow=())
    assert error.value.field == "url" and "url" in str(error.value)
    site = probes.add_site(
        db, audit.Actor.system("test"), code="ok", name="OK", url="https://93.184.216.34/"
    )
    assert site.id is not None


def _error_site(factory: sessionmaker[Session]) -> None:
    with factory() as s, s.begin():
        s.add(
            CySite(
                code="noi-bo",
                name="Cổng nội bộ",
                url="http://10.66.1.5:8080/",
                state="down",
                error="ConnectionRefusedError: [Errno 111] Connection refused",
            )
        )


@pytest.mark.parametrize(("role", "details"), [("leader", False), ("operator", False),
                                                ("admin", True)])  # fmt: skip
def test_probe_error_details_for_admins_only(
    client: TestClient, make_user, factory: sessionmaker[Session], role: str, details: bool
) -> None:  # type: ignore[no-untyped-def]
    _error_site(factory)
    login(client, "u", make_user("u", role=role))
    page = client.get("/cybersecurity").text
    assert ("Errno 111" in page) is details
    # Everyone reads the failure in words; only administrators also get its kind and text.
    assert "Không kết nối được" in page
    assert ("máy chủ từ chối" in page) is details
    english = client.get("/cybersecurity?lang=en").text
    assert "Could not connect" in english
    assert ("Errno 111" in english) is details
