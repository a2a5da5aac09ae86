"""Portal simulator of the demo: the website probe job of ``ioc demo`` checks these local pages,
never the province's real portals (the demo sends no traffic off the machine).

:func:`start_demo_portals` starts, on a loopback address (``127.0.66.1`` where the system
allows binding it — Linux routes all of 127.0.0.0/8 to the loopback interface — else
``127.0.0.1``) and free ports:

* an HTTP server with one page per demo site (``/<code>/``): most answer at once; the
  :data:`SLOW` one after ~3.2 s (over ``IOC_CY_PROBE_SLOW_MS``); the :data:`DEFACED` one
  shows a "hacked by" page; the :data:`DOWN` one answers 503;
* an HTTPS server for the :data:`EXPIRING` site with a self-signed certificate made at start
  with the ``openssl`` command and valid for :data:`CERT_DAYS` days, so the certificate-expiry
  alert fires (without ``openssl`` that site is served over HTTP).

It then points the demo sites' URLs at the simulator (the ports change at every start) and
puts the simulator's address — only it — on ``IOC_OUTBOUND_ALLOW`` for this process, so the
probes may reach it (internal addresses are refused otherwise).
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ioc.packs.cybersecurity.models import CySite

__all__ = [
    "CERT_DAYS",
    "DEFACED",
    "DEMO_HOST",
    "DOWN",
    "EXPIRING",
    "SLOW",
    "DemoPortals",
    "demo_url",
    "start_demo_portals",
]

DEMO_HOST: Final = "127.0.66.1"
FALLBACK_HOST: Final = "127.0.0.1"
# Port written by ``load_demo`` before the simulator runs (discard: nothing answers there).
PLACEHOLDER_PORT: Final = 9
SLOW: Final = "snv"
DOWN: Final = "phuyen"
EXPIRING: Final = "sgddt"
DEFACED: Final = "stp"
SLOW_SECONDS: Final = 3.2
CERT_DAYS: Final = 9

_NEWS = (
    "Tin tức sự kiện: Ủy ban nhân dân tỉnh họp phiên thường kỳ, đánh giá tình hình kinh tế xã "
    "hội, triển khai nhiệm vụ chuyển đổi số, cải cách hành chính, thu hút đầu tư và phát triển "
    "du lịch. Văn bản chỉ đạo điều hành, lịch công tác, thủ tục hành chính, dịch vụ công trực "
    "tuyến, hỏi đáp và tiếp nhận phản ánh kiến nghị của người dân, doanh nghiệp."
)


def demo_url(code: str, host: str = DEMO_HOST, port: int = PLACEHOLDER_PORT) -> str:
    """URL of a demo site on the simulator (``http``, or ``https`` for :data:`EXPIRING`)."""
    scheme = "https" if code == EXPIRING else "http"
    return f"{scheme}://{host}:{port}/{code}/"


def _page(code: str) -> str:
    if code == DEFACED:
        return (
            "<html><head><title>Hacked</title></head><body><h1>Hacked by Demo Crew</h1>"
            "<p>greetz to all. Trang này chỉ là mô phỏng cho bản demo.</p></body></html>"
        )
    return (
        f"<html><head><title>Cổng thông tin {code}</title></head><body>"
        f"<h1>Cổng thông tin điện tử ({code}) — mô phỏng</h1><p>{_NEWS}</p></body></html>"
    )


def _bindable(host: str) -> bool:
    try:
        with socket.socket() as s:
            s.bind((host, 0))
    except OSError:
        return False
    return True


def _certificate(folder: Path, host: str, days: int) -> tuple[Path, Path] | None:
    """A self-signed certificate for ``host`` valid ``days`` days (openssl CLI), or None."""
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    cert, key = folder / "portal-cert.pem", folder / "portal-key.pem"
    try:
        subprocess.run(  # noqa: S603 - fixed arguments, no shell
            [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
             "-out", str(cert), "-days", str(days), "-subj", f"/CN={host}",
             "-addext", f"subjectAltName=IP:{host}"],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return cert, key


class DemoPortals:
    """The running simulator: ``url(code)``, ``requests`` served, :meth:`stop`."""

    def __init__(self, codes: list[str]) -> None:
        self.codes = list(codes)
        self.host = DEMO_HOST if _bindable(DEMO_HOST) else FALLBACK_HOST
        self.slow, self.down, self.expiring, self.defaced = SLOW, DOWN, EXPIRING, DEFACED
        self.requests = 0
        self._lock = threading.Lock()
        self._servers: list[http.server.ThreadingHTTPServer] = []
        self._folder = tempfile.TemporaryDirectory(prefix="ioc-demo-portals-")
        self.http_port = 0
        self.https_port: int | None = None

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            server_version = "IOC-demo-portal/1.0"

            def do_GET(self) -> None:
                with owner._lock:
                    owner.requests += 1
                code = self.path.strip("/").split("/", 1)[0]
                if code not in owner.codes:
                    self.send_error(404)
                    return
                if code == owner.down:
                    # The reason phrase goes out as latin-1: no Vietnamese there.
                    self.send_error(503, "Service Unavailable (simulated)")
                    return
                if code == owner.slow:
                    time.sleep(SLOW_SECONDS)
                body = _page(code).encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    def _serve(self, context: ssl.SSLContext | None = None) -> int:
        server = http.server.ThreadingHTTPServer((self.host, 0), self._handler())
        server.daemon_threads = True
        if context is not None:
            server.socket = context.wrap_socket(server.socket, server_side=True)
        self._servers.append(server)
        threading.Thread(target=server.serve_forever, name="demo-portals", daemon=True).start()
        return int(server.server_address[1])

    def start(self) -> DemoPortals:
        """Start the HTTP server, and the HTTPS one when a certificate could be made."""
        self.http_port = self._serve()
        cert = _certificate(Path(self._folder.name), self.host, CERT_DAYS)
        if cert is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(cert[0]), str(cert[1]))
            self.https_port = self._serve(context)
        return self

    def url(self, code: str) -> str:
        """Where the probe finds ``code``'s simulated portal."""
        if code == self.expiring and self.https_port is not None:
            return demo_url(code, self.host, self.https_port)
        return f"http://{self.host}:{self.http_port}/{code}/"

    def point_sites(self, factory: sessionmaker[Session]) -> int:
        """Point the demo sites (by code) at this simulator; returns how many."""
        with factory() as session, session.begin():
            sites = session.execute(select(CySite).where(CySite.code.in_(self.codes))).scalars()
            count = 0
            for site in sites:
                site.url = self.url(site.code)
                count += 1
        return count

    def stop(self) -> None:
        """Stop the servers and remove the certificate."""
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self._servers.clear()
        self._folder.cleanup()


def start_demo_portals(factory: sessionmaker[Session]) -> DemoPortals:
    """Start the simulator for the demo sites, point them at it and allow its address for the
    probes of this process (``IOC_OUTBOUND_ALLOW``; the caller clears the cached settings)."""
    from ioc.packs.cybersecurity.demo import SITES

    portals = DemoPortals([code for code, *_rest in SITES]).start()
    portals.point_sites(factory)
    raw = os.environ.get("IOC_OUTBOUND_ALLOW", "").strip()
    current = json.loads(raw) if raw.startswith("[") else [e for e in raw.split(",") if e.strip()]
    os.environ["IOC_OUTBOUND_ALLOW"] = ",".join([*map(str, current), portals.host])
    return portals
