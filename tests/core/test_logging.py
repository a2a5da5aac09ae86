"""Secrets never reach the logs: API keys and tokens in logged URLs are masked."""

from __future__ import annotations

import logging
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
import structlog
import uvicorn
from sqlalchemy.engine import Engine

from ioc.app import create_app
from ioc.core.logging import configure_logging, redact_url
from ioc.settings import Settings


def test_redact_url_masks_secret_parameters_only() -> None:
    url = (
        "/open311/v2/requests.json?api_key=ioc_ab12_SECRET&lang=vi&token=T0K"
        "&access_token=A1&secret=S1&password=P1&key=K1&page=2"
    )
    shown = redact_url(url)
    for secret in ("ioc_ab12_SECRET", "T0K", "A1", "S1", "P1", "K1"):
        assert secret not in shown
    assert shown == (
        "/open311/v2/requests.json?api_key=***&lang=vi&token=***"
        "&access_token=***&secret=***&password=***&key=***&page=2"
    )
    assert redact_url("/public/air?lang=en&station=DL-01") == "/public/air?lang=en&station=DL-01"
    assert redact_url("/x?API_KEY=abc") == "/x?API_KEY=***"  # names compared without case


def test_structlog_events_mask_urls(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(settings)
    structlog.get_logger("t").warning("csp_violation", document_uri="https://ioc/x?token=T0P")
    err = capsys.readouterr().err
    assert "T0P" not in err and "token=***" in err


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def served(settings: Settings, engine: Engine) -> Iterator[str]:
    """The application under a real uvicorn server (its access log on), on a free port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(settings, engine), host="127.0.0.1", port=port, log_level="info"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "the server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def test_access_log_never_shows_an_api_key(served: str, factory: object) -> None:
    capture = _Capture()
    access = logging.getLogger("uvicorn.access")
    access.addHandler(capture)
    try:
        url = f"{served}/open311/v2/requests.json?api_key=ioc_abcd_SUPERSECRET&lang=vi"
        request = urllib.request.Request(url, data=b"service_code=x", method="POST")  # noqa: S310
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(request, timeout=10)  # noqa: S310 - our own local server
        deadline = time.monotonic() + 5
        while not capture.lines and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        access.removeHandler(capture)
    logged = "\n".join(capture.lines)
    assert "/open311/v2/requests.json" in logged  # the request is logged …
    assert "SUPERSECRET" not in logged  # … without its key
    assert "api_key=***" in logged
