"""The demo's e-mail goes somewhere, and the alert timeline says what really happened.

``ioc demo`` starts a local SMTP sink (mail lands as .eml files under ``var/demo-mail``) and
points ``IOC_SMTP_*`` at it, so its e-mail contact point no longer fails every tick with
``ConnectionRefusedError``. The timeline of an alert no longer says "Đã gửi thông báo" when
a message was only queued, or failed: it says queued, sent (when) or failed (with a short
Vietnamese reason), and shows the raw error to administrators only.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from notify_support import configure, make_alert
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from helpers import login
from ioc.core import audit, auth, clock
from ioc.engines.alerting.notify.delivery import deliver_due
from ioc.engines.alerting.notify.dispatch import dispatch
from ioc.engines.alerting.notify.models import Outbox
from ioc.settings import Settings, get_settings

T0 = datetime(2026, 3, 10, 5, 0, tzinfo=UTC)
PASSWORD = "mật-khẩu-đủ-dài-123"
MAIL_ONLY = """
contact_points:
  - name: email-truc-ban
    title: "E-mail trực ban IOC"
    kind: email
    settings: {addresses: ["trucban.ioc@daklak.gov.vn"]}
policy:
  contact_point: email-truc-ban
  group_wait: 0s
"""


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens once the socket is closed


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    clock.set_now(T0)
    yield
    clock.set_now(None)


def _raise_and_queue(factory: sessionmaker[Session]) -> int:
    with factory() as session, session.begin():
        configure(session, MAIL_ONLY)
        alert = make_alert(
            session,
            {"alertname": "aqi_high", "severity": "critical", "area": "24133"},
            starts_at=T0,
            title="AQI rất xấu tại trạm Hồ Ea Kao",
        )
        assert dispatch(session, T0, public_url="http://ioc.test") == 1
        return alert.id


def _timeline(client: TestClient, alert_id: int) -> str:
    page = client.get(f"/alerts/{alert_id}").text
    match = re.search(r'<ol class="timeline">.*?</ol>', page, re.S)
    assert match
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(0)).split())


def _person(factory: sessionmaker[Session], client: TestClient, role: str) -> TestClient:
    with factory() as s, s.begin():
        auth.create_user(
            s, audit.Actor.system("test"), username=role, password=PASSWORD,
            full_name=f"Người {role}", role=role,
        )  # fmt: skip
    login(client, role, PASSWORD)
    return client


def test_the_timeline_says_queued_failed_with_a_reason_then_sent(
    client: TestClient, factory: sessionmaker[Session], settings: Settings, tmp_path: Path
) -> None:
    from ioc.engines.alerting.notify.demo_sink import MailSink

    alert_id = _raise_and_queue(factory)
    operator = _person(factory, client, "operator")
    queued = _timeline(operator, alert_id)
    assert "Đã gửi thông báo" not in queued
    assert "E-mail trực ban IOC" in queued and "đang chờ gửi" in queued

    refused = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": closed_port()})
    assert deliver_due(factory, T0, refused).retried == 1
    failed = _timeline(operator, alert_id)
    assert "Đã gửi thông báo" not in failed and "đã gửi lúc" not in failed
    assert "gửi chưa được" in failed and "máy chủ thư không nhận kết nối" in failed
    assert "thử lại lúc" in failed and "lần 1)" in failed
    assert "ConnectionRefusedError" not in failed  # details are for administrators

    operator.post("/logout", data={"csrf_token": "x"})
    admin = _person(factory, TestClient(client.app), "admin")
    assert "ConnectionRefusedError" in _timeline(admin, alert_id)

    sink = MailSink(tmp_path / "demo-mail")
    port = sink.start()
    try:
        later = T0 + timedelta(minutes=5)
        clock.set_now(later)
        working = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port})
        assert deliver_due(factory, later, working).sent == 1
    finally:
        sink.stop()
    sent = _timeline(admin, alert_id)
    assert "đã gửi lúc 10/03/2026 12:05" in sent and "gửi chưa được" not in sent
    (mail,) = list((tmp_path / "demo-mail").glob("*.eml"))
    assert "trucban.ioc@daklak.gov.vn" in mail.read_text(encoding="utf-8", errors="replace")


def test_a_message_given_up_says_so(
    client: TestClient, factory: sessionmaker[Session], settings: Settings
) -> None:
    alert_id = _raise_and_queue(factory)
    refused = settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": closed_port(), "notify_max_attempts": 1}
    )
    assert deliver_due(factory, T0, refused).dead == 1
    text = _timeline(_person(factory, client, "operator"), alert_id)
    assert "gửi thất bại" in text and "máy chủ thư không nhận kết nối" in text
    assert "thử lại lúc" not in text


def test_ioc_demo_serves_its_mail_to_a_local_sink(
    factory: sessionmaker[Session],
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What `ioc demo` does before serving: a sink on a free local port, IOC_SMTP_* pointing
    at it (unless the operator set their own server), mail kept under IOC_DATA_DIR."""
    from ioc.cli import start_demo_mail

    monkeypatch.delenv("IOC_SMTP_HOST", raising=False)
    monkeypatch.delenv("IOC_SMTP_PORT", raising=False)
    sink = start_demo_mail(tmp_path)
    assert sink is not None
    try:
        get_settings.cache_clear()
        served = get_settings()
        assert (served.smtp_host, served.smtp_port) == ("127.0.0.1", sink.port)
        _raise_and_queue(factory)
        demo = settings.model_copy(
            update={"smtp_host": served.smtp_host, "smtp_port": served.smtp_port}
        )
        assert deliver_due(factory, T0, demo).sent == 1
        with factory() as s:
            assert s.execute(select(Outbox.status)).scalar_one() == "sent"
        assert len(list((tmp_path / "demo-mail").glob("*.eml"))) == 1
    finally:
        sink.stop()
        get_settings.cache_clear()
    # An operator's own mail server is respected.
    monkeypatch.setenv("IOC_SMTP_HOST", "mail.daklak.gov.vn")
    assert start_demo_mail(tmp_path) is None
