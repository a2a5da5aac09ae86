"""Webhooks cannot be aimed at the internal network: contact points with internal addresses are
refused when saved (the error names the field), sending re-checks the address and every
redirect, and an allowed local receiver still works (``IOC_OUTBOUND_ALLOW``)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from notify_support import ADMIN
from sqlalchemy.orm import Session

from ioc.engines.alerting.notify.config import ConfigError, ensure_config, load_config
from ioc.engines.alerting.notify.delivery import DeliveryError, send_webhook
from ioc.settings import Settings


class _Hook:
    """A local receiver: POSTs are counted; ``location`` makes it answer 307 there."""

    def __init__(self, location: str | None = None) -> None:
        self.location = location
        self.posts = 0
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", "0")))
                hook.posts += 1
                if hook.location:
                    self.send_response(307)
                    self.send_header("Location", hook.location)
                else:
                    self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hooks() -> Iterator[Any]:
    made: list[_Hook] = []

    def make(location: str | None = None) -> _Hook:
        made.append(_Hook(location))
        return made[-1]

    yield make
    for hook in made:
        hook.close()


def point(url: str) -> str:
    return f"contact_points: [{{name: hook, kind: webhook, settings: {{url: '{url}'}}}}]"


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:5432/",
        "http://localhost:6379/",
        "http://[::1]/x",
        "http://[::ffff:127.0.0.1]/x",
        "http://10.0.0.1/hook",
        "ftp://example.com/x",
    ],
)
def test_saving_an_internal_webhook_is_refused_naming_the_field(db: Session, url: str) -> None:
    with pytest.raises(ConfigError, match=r"contact_points\[hook\]\.settings\.url"):
        load_config(db, point(url), ADMIN, allow=())


def test_start_up_config_file_is_checked_with_the_allow_list(
    db: Session, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "notify.yaml"
    path.write_text(point("http://127.0.0.1:5432/"), encoding="utf-8")
    strict = settings.model_copy(update={"outbound_allow": [], "notify_config_file": str(path)})
    with pytest.raises(ConfigError, match=r"settings\.url"):
        ensure_config(db, strict)
    db.rollback()
    allowed = strict.model_copy(update={"outbound_allow": ["127.0.0.1"]})
    assert not ensure_config(db, allowed).unchanged


def test_sending_rechecks_the_address(settings: Settings, hooks: Any) -> None:
    hook = hooks()
    strict = settings.model_copy(update={"outbound_allow": []})
    with pytest.raises(DeliveryError, match=r"127\.0\.0\.1") as error:
        send_webhook(strict, {"url": hook.url}, {"body": {"x": 1}})
    assert error.value.permanent and hook.posts == 0
    allowed = settings.model_copy(update={"outbound_allow": ["127.0.0.1"]})
    send_webhook(allowed, {"url": hook.url}, {"body": {"x": 1}})
    assert hook.posts == 1


@pytest.mark.parametrize(
    "location",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:{port}/hook",
        "ftp://127.0.0.1/hook",
        "http://10.0.0.1/hook",
    ],
)
def test_redirects_are_rechecked(settings: Settings, hooks: Any, location: str) -> None:
    final = hooks()
    hook = hooks(location.format(port=final.port))
    allowed = settings.model_copy(update={"outbound_allow": ["127.0.0.1"]})
    with pytest.raises(DeliveryError) as error:
        send_webhook(allowed, {"url": hook.url}, {"body": {"x": 1}})
    assert error.value.permanent
    assert hook.posts == 1 and final.posts == 0


def test_allowed_redirect_is_followed_at_most_five_times(settings: Settings, hooks: Any) -> None:
    allowed = settings.model_copy(update={"outbound_allow": ["127.0.0.1"]})
    final = hooks()
    hook = hooks(final.url)
    send_webhook(allowed, {"url": hook.url}, {"body": {"x": 1}})
    assert final.posts == 1
    loop = hooks()
    loop.location = loop.url  # redirects to itself forever
    with pytest.raises(DeliveryError, match="redirect"):
        send_webhook(allowed, {"url": loop.url}, {"body": {"x": 1}})
    assert loop.posts == 6  # the first request and five redirects
