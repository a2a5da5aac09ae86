"""Website probes against servers on 127.0.0.1: a local HTTPS server with a short-lived
self-signed certificate (made with the openssl CLI) raises the certificate-expiry alert; a
changed page is flagged as defaced; a stopped server is down."""

from __future__ import annotations

import http.server
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ioc import background
from ioc.app import load_registry
from ioc.core import clock
from ioc.engines.alerting.evaluate import evaluate_due
from ioc.engines.alerting.models import Alert, AlertRule
from ioc.packs.cybersecurity import probes, stats
from ioc.packs.cybersecurity.models import CySite, CySiteCheck

# The test servers listen on 127.0.0.1: on the allow-list (IOC_OUTBOUND_ALLOW) of the probes.
LOCAL = ("127.0.0.1",)
PAGE = (
    "<html><head><title>Cổng TTĐT tỉnh Đắk Lắk</title><script>var x = 1;</script></head><body>"
    "<h1>Cổng Thông tin điện tử tỉnh Đắk Lắk</h1><p>Tin tức sự kiện: UBND tỉnh họp phiên thường kỳ "
    "tháng 3, đánh giá tình hình kinh tế xã hội quý I, triển khai nhiệm vụ chuyển đổi số, cải cách "
    "hành chính, thu hút đầu tư, phát triển du lịch cà phê Buôn Ma Thuột và biển Phú Yên.</p>"
    "<p>Văn bản chỉ đạo điều hành, lịch công tác, thủ tục hành chính, dịch vụ công trực tuyến.</p>"
    "</body></html>"
)


class _Server:
    """A tiny web server on 127.0.0.1 serving ``self.page`` (HTTP or HTTPS)."""

    def __init__(self, cert: tuple[Path, Path] | None = None) -> None:
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = owner.page.encode("utf-8")
                self.send_response(owner.status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.page = PAGE
        self.status = 200
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if cert is not None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(str(cert[0]), str(cert[1]))
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def short_cert(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 valid for 3 days."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl CLI not available")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
         "-out", str(cert), "-days", "3", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def probe_config() -> Iterator[None]:
    before = probes.current_config()
    yield
    probes.configure(before)


def _site(factory: sessionmaker[Session], url: str) -> int:
    with factory() as s, s.begin():
        site = CySite(code="test", name="Cổng thử nghiệm", url=url, agency_code="so-y-te")
        s.add(site)
        s.flush()
        return site.id


def test_short_lived_certificate_raises_the_expiry_alert(
    factory: sessionmaker[Session], short_cert: tuple[Path, Path], probe_config: None
) -> None:
    server = _Server(short_cert)
    try:
        probes.configure(probes.ProbeConfig(timeout_s=5, ca_file=str(short_cert[0]), allow=LOCAL))
        site_id = _site(factory, f"https://127.0.0.1:{server.port}/")
        now = clock.now()
        assert probes.probe_sites(factory, now) == "up=1"
    finally:
        server.close()
    with factory() as s:
        site = s.get(CySite, site_id)
        assert site is not None and site.state == "up" and site.cert_error is None
        assert site.cert_not_after is not None
        days_left = (site.cert_not_after - now).total_seconds() / 86400
        assert 2.9 < days_left <= 3.01
        samples = stats.cert_expiring(s, now)
        assert [x.labels["site"] for x in samples] == ["test"]
    registry = load_registry()
    with factory() as s, s.begin():
        background.sync_rules(s, registry)
        evaluate_due(s, now, registry, force=True)
    with factory() as s:
        alerts = s.execute(
            select(Alert).join(AlertRule, AlertRule.id == Alert.rule_id).where(
                AlertRule.uid == "cybersecurity.cert_expiring"
            )
        ).scalars().all()  # fmt: skip
    assert len(alerts) == 1
    assert alerts[0].labels["site"] == "test"
    assert alerts[0].value is not None and alerts[0].value < 14


def test_untrusted_certificate_is_reported_and_still_read(
    factory: sessionmaker[Session], short_cert: tuple[Path, Path], probe_config: None
) -> None:
    server = _Server(short_cert)
    try:
        probes.configure(probes.ProbeConfig(timeout_s=5, allow=LOCAL))  # system trust store only
        result = probes.probe_url(f"https://127.0.0.1:{server.port}/")
    finally:
        server.close()
    assert result.ok and result.http_status == 200
    assert result.cert_error is not None and "self" in result.cert_error.lower()
    assert result.cert_not_after is not None
    assert result.cert_not_after - clock.now() < timedelta(days=3, minutes=1)


def test_changed_page_is_flagged_as_defaced(
    factory: sessionmaker[Session], probe_config: None
) -> None:
    probes.configure(
        probes.ProbeConfig(timeout_s=5, keywords=("hacked by", "defaced"), allow=LOCAL)
    )
    server = _Server()
    try:
        site_id = _site(factory, f"http://127.0.0.1:{server.port}/")
        assert probes.probe_sites(factory, clock.now()) == "up=1"  # first probe sets the baseline
        # A small news update is not defacement.
        server.page = PAGE.replace("tháng 3", "tháng 4")
        assert probes.probe_sites(factory, clock.now()) == "up=1"
        # A replaced page is.
        server.page = (
            "<html><body><h1>Hacked by Nobody</h1><p>your security is low</p></body></html>"
        )
        assert probes.probe_sites(factory, clock.now()) == "defaced=1"
        with factory() as s:
            site = s.get(CySite, site_id)
            assert site is not None
            assert site.keywords_found == ["hacked by"]
            assert site.similarity is not None and site.similarity < 0.1
            assert [x.labels["site"] for x in stats.sites_defaced(s, clock.now())] == ["test"]
        # Replaced without any forbidden word: caught by similarity alone.
        server.page = "<html><body>" + "Trang đang bảo trì. " * 20 + "</body></html>"
        assert probes.probe_sites(factory, clock.now()) == "defaced=1"
        # Server errors count as down.
        server.status = 503
        assert probes.probe_sites(factory, clock.now()) == "down=1"
    finally:
        server.close()
    assert probes.probe_sites(factory, clock.now()) == "down=1"  # nothing listening any more
    with factory() as s:
        site = s.get(CySite, site_id)
        assert site is not None and site.error is not None
        assert [x.labels["site"] for x in stats.sites_down(s, clock.now())] == ["test"]
        checks = s.execute(select(CySiteCheck.state).order_by(CySiteCheck.id)).scalars().all()
    assert checks == ["up", "up", "defaced", "defaced", "down", "down"]


def test_similarity_and_normalised_text() -> None:
    text = probes.normalise_text(PAGE)
    assert "var x" not in text and "<h1>" not in text and "cổng thông tin điện tử" in text
    assert probes.similarity(text, text) == 1.0
    assert probes.similarity(text, probes.normalise_text(PAGE.replace("tháng 3", "tháng 4"))) > 0.8
    assert probes.similarity(text, "hacked by someone") == 0.0
