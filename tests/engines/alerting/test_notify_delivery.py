"""Delivery of the outbox: real SMTP (aiosmtpd) and HTTP servers, retries with backoff, leases
that survive a crash, dead letters that block nothing, and the in-app inbox."""

from __future__ import annotations

import email
import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from notify_support import ADMIN, configure, make_alert
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ioc.core import audit, auth, clock
from ioc.core.models import Agency
from ioc.engines.alerting.notify import inbox
from ioc.engines.alerting.notify.config import send_test
from ioc.engines.alerting.notify.delivery import claim_due, deliver_due, retry_outbox
from ioc.engines.alerting.notify.dispatch import dispatch
from ioc.engines.alerting.notify.models import InAppNotification, Outbox
from ioc.settings import Settings

T0 = datetime(2026, 3, 10, 5, 0, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[_Mailbox, int]]:
    """A real SMTP server on a free local port."""
    box = _Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


class _Web:
    """A local webhook receiver: answers ``codes`` in turn (then 200), or hangs."""

    def __init__(self, codes: list[int], hang_s: float = 0.0) -> None:
        self.codes = list(codes)
        self.hang_s = hang_s
        self.bodies: list[dict[str, Any]] = []
        web = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                web.bodies.append(json.loads(self.rfile.read(length)))
                if web.hang_s:
                    time.sleep(web.hang_s)
                code = web.codes.pop(0) if web.codes else 200
                self.send_response(code)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def web() -> Iterator[Any]:
    servers: list[_Web] = []

    def make(codes: list[int], hang_s: float = 0.0) -> _Web:
        server = _Web(codes, hang_s)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()


def conf(settings: Settings, **changes: Any) -> Settings:
    return settings.model_copy(update=changes)


def points_yaml(mail_to: str = "trucban@example.vn", url: str = "http://127.0.0.1:9/x") -> str:
    return f"""
contact_points:
  - name: mail
    title: "E-mail trực ban"
    kind: email
    settings: {{addresses: ["{mail_to}"]}}
  - name: hook
    kind: webhook
    settings: {{url: "{url}"}}
  - name: ops
    kind: inapp
    settings: {{roles: [operator]}}
  - name: env
    kind: inapp
    settings: {{agencies: [so-nong-nghiep-moi-truong]}}
policy:
  contact_point: ops
  group_wait: 0s
  routes:
    - matchers: ['kind="mail"']
      contact_point: mail
    - matchers: ['kind="hook"']
      contact_point: hook
    - matchers: ['kind="env"']
      contact_point: env
"""


def _queue(factory: sessionmaker[Session], text: str, *kinds: str) -> list[int]:
    """Configure, raise one alert per kind and dispatch at T0; returns the outbox ids."""
    clock.set_now(T0)
    with factory() as session, session.begin():
        configure(session, text)
        for kind in kinds:
            make_alert(
                session,
                {"alertname": f"aqi_{kind}", "kind": kind, "severity": "critical", "area": "24133"},
                starts_at=T0,
                title=f"AQI rất xấu tại trạm Hồ Ea Kao ({kind})",
            )
        dispatch(session, T0, public_url="http://ioc.test")
        return list(session.execute(select(Outbox.id).order_by(Outbox.id)).scalars())


def _row(factory: sessionmaker[Session], row_id: int) -> Outbox:
    with factory() as session:
        row = session.get(Outbox, row_id)
        assert row is not None
        return row


@pytest.fixture(autouse=True)
def _unfreeze() -> Iterator[None]:
    yield
    clock.set_now(None)


def test_email_is_received_by_a_real_smtp_server(factory, settings, smtp) -> None:  # type: ignore[no-untyped-def]
    box, port = smtp
    (row_id,) = _queue(factory, points_yaml(), "mail")
    stats = deliver_due(factory, T0, conf(settings, smtp_host="127.0.0.1", smtp_port=port))
    assert (stats.claimed, stats.sent) == (1, 1)
    assert len(box.messages) == 1
    msg = box.messages[0]
    assert box.envelopes[0].rcpt_tos == ["trucban@example.vn"]
    subject = str(email.header.make_header(email.header.decode_header(msg["Subject"])))
    assert subject.startswith("[Đang cảnh báo] AQI rất xấu tại trạm Hồ Ea Kao")
    parts = {
        p.get_content_type(): p.get_payload(decode=True).decode()
        for p in msg.walk()
        if not p.is_multipart()
    }
    assert "http://ioc.test/alerts/" in parts["text/plain"]
    assert "Hồ Ea Kao" in parts["text/html"]
    row = _row(factory, row_id)
    assert (row.status, row.attempts, row.sent_at) == ("sent", 1, T0)
    # Nothing is due any more.
    assert deliver_due(factory, T0 + timedelta(hours=1), settings).claimed == 0


def test_webhook_retried_with_backoff_then_delivered(factory, settings, web) -> None:  # type: ignore[no-untyped-def]
    hook = web([500, 500])
    (row_id,) = _queue(factory, points_yaml(url=hook.url), "hook")
    first = deliver_due(factory, T0, settings)
    assert (first.sent, first.retried) == (0, 1)
    row = _row(factory, row_id)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.next_attempt_at == T0 + timedelta(seconds=30)
    assert "500" in (row.last_error or "")
    assert deliver_due(factory, T0 + timedelta(seconds=29), settings).claimed == 0
    second = deliver_due(factory, T0 + timedelta(seconds=30), settings)
    assert second.retried == 1
    assert _row(factory, row_id).next_attempt_at == T0 + timedelta(seconds=90)  # 60 s more
    third = deliver_due(factory, T0 + timedelta(seconds=90), settings)
    assert third.sent == 1
    row = _row(factory, row_id)
    assert (row.status, row.attempts, row.last_error) == ("sent", 3, None)
    assert len(hook.bodies) == 3
    body = hook.bodies[-1]
    assert body["version"] == "4" and body["status"] == "firing"
    alert = body["alerts"][0]
    assert alert["startsAt"] == "2026-03-10T12:00:00+07:00"
    assert alert["labels"]["area"] == "24133"
    assert alert["generatorURL"].startswith("http://ioc.test/alerts/")


def test_gives_up_after_max_attempts_and_admin_can_retry(factory, settings, web) -> None:  # type: ignore[no-untyped-def]
    hook = web([503] * 3)
    (row_id,) = _queue(factory, points_yaml(url=hook.url), "hook")
    short = conf(settings, notify_max_attempts=3)
    at = T0
    for _ in range(3):
        deliver_due(factory, at, short)
        at += timedelta(hours=1)
    row = _row(factory, row_id)
    assert (row.status, row.attempts) == ("dead", 3)
    assert deliver_due(factory, at, short).claimed == 0  # dead rows stay put
    clock.set_now(at)
    with factory() as session, session.begin():
        retry_outbox(session, ADMIN, row_id)
    assert deliver_due(factory, at, short).sent == 1  # the receiver works again
    assert _row(factory, row_id).status == "sent"


def test_client_error_is_dead_at_once(factory, settings, web) -> None:  # type: ignore[no-untyped-def]
    hook = web([404])
    (row_id,) = _queue(factory, points_yaml(url=hook.url), "hook")
    assert deliver_due(factory, T0, settings).dead == 1
    row = _row(factory, row_id)
    assert (row.status, row.attempts) == ("dead", 1)


def test_crash_mid_delivery_loses_nothing(factory, settings, smtp, web) -> None:  # type: ignore[no-untyped-def]
    box, port = smtp
    hook = web([])
    text = points_yaml(url=hook.url)
    ids = _queue(factory, text, "mail", "hook", "env")
    assert len(ids) == 3
    s = conf(settings, smtp_port=port, notify_lease_s=300)
    # A worker claims everything and dies before delivering anything.
    claimed = claim_due(factory, T0, s)
    assert sorted(i for i, _lease in claimed) == ids
    assert {_row(factory, i).status for i in ids} == {"sending"}
    # Another worker: the lease still holds, nothing to do.
    assert deliver_due(factory, T0 + timedelta(seconds=299), s).claimed == 0
    # After the lease, everything is delivered.
    stats = deliver_due(factory, T0 + timedelta(seconds=301), s)
    assert (stats.claimed, stats.sent) == (3, 3)
    assert {_row(factory, i).status for i in ids} == {"sent"}
    assert len(box.messages) == 1 and len(hook.bodies) == 1
    with factory() as session:
        assert len(list(session.execute(select(InAppNotification)).scalars())) == 1


def test_crash_after_sending_delivers_again_at_least_once(factory, settings, web) -> None:  # type: ignore[no-untyped-def]
    hook = web([])
    (row_id,) = _queue(factory, points_yaml(url=hook.url), "hook")
    # The first worker sends, then dies before recording it.
    [(claimed_id, _lease)] = claim_due(factory, T0, settings)
    from ioc.engines.alerting.notify.delivery import send_webhook

    send_webhook(settings, {"url": hook.url}, _row(factory, claimed_id).payload)
    stats = deliver_due(factory, T0 + timedelta(seconds=settings.notify_lease_s + 1), settings)
    assert stats.sent == 1
    assert len(hook.bodies) == 2  # at least once: a duplicate, never a loss
    assert _row(factory, row_id).status == "sent"


def test_a_hanging_webhook_does_not_block_an_email(factory, settings, smtp, web) -> None:  # type: ignore[no-untyped-def]
    box, port = smtp
    hook = web([], hang_s=2.0)
    ids = _queue(factory, points_yaml(url=hook.url), "hook", "mail")
    s = conf(settings, smtp_port=port, notify_timeout_s=0.5, notify_max_attempts=1)
    stats = deliver_due(factory, T0, s)
    assert (stats.claimed, stats.sent, stats.dead) == (2, 1, 1)
    statuses = {_row(factory, i).kind: _row(factory, i).status for i in ids}
    assert statuses == {"webhook": "dead", "email": "sent"}
    assert "timed out" in (_row(factory, ids[0]).last_error or "").lower()
    assert len(box.messages) == 1


def test_in_app_inbox_by_role_and_agency(factory, settings, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("truc", role="operator")
    make_user("lanhdao", role="leader")
    _queue(factory, points_yaml(), "ops", "env")
    assert deliver_due(factory, T0, settings).sent == 2
    with factory() as session, session.begin():
        agency_id = session.execute(
            select(Agency.id).where(Agency.code == "so-nong-nghiep-moi-truong")
        ).scalar_one()
        staff = auth.create_user(
            session,
            audit.Actor.system("test"),
            username="canbo",
            password="mật-khẩu-đủ-dài-123",
            full_name="Cán bộ Sở",
            role="agency_staff",
            agency_code="so-nong-nghiep-moi-truong",
        )
        assert staff.agency_id == agency_id
    from ioc.core.models import User

    with factory() as session, session.begin():
        users = {u.username: u for u in session.execute(select(User)).scalars()}
        ops_unread = inbox.unread(session, users["truc"])
        assert [n.title for n in ops_unread] == [
            "[Đang cảnh báo] AQI rất xấu tại trạm Hồ Ea Kao (ops) (Nghiêm trọng)"
        ]
        assert ops_unread[0].link.startswith("/alerts/")
        assert inbox.unread_count(session, users["lanhdao"]) == 0
        assert [n.title for n in inbox.unread(session, users["canbo"])] == [
            "[Đang cảnh báo] AQI rất xấu tại trạm Hồ Ea Kao (env) (Nghiêm trọng)"
        ]
        assert inbox.mark_read(session, users["truc"], ops_unread[0].id) == 1
        assert inbox.mark_read(session, users["truc"], ops_unread[0].id) == 0
    with factory() as session:
        assert inbox.unread_count(session, users["truc"]) == 0


def test_test_message_goes_through_the_outbox(factory, settings, smtp) -> None:  # type: ignore[no-untyped-def]
    box, port = smtp
    clock.set_now(T0)
    with factory() as session, session.begin():
        configure(session, points_yaml())
        send_test(session, ADMIN, "mail", "http://ioc.test")
    assert deliver_due(factory, T0, conf(settings, smtp_port=port)).sent == 1
    subject = str(email.header.make_header(email.header.decode_header(box.messages[0]["Subject"])))
    assert subject == "[Gửi thử] Thông báo thử tới E-mail trực ban"


def test_jobs_take_an_alert_to_the_operators_inbox(factory, settings, make_user) -> None:  # type: ignore[no-untyped-def]
    from ioc.core.models import User
    from ioc.engines.alerting.notify import deliver_job, dispatch_job

    make_user("truc", role="operator")
    clock.set_now(T0)
    with factory() as session, session.begin():
        configure(session, points_yaml())
        make_alert(
            session,
            {"alertname": "flood", "pack": "disaster"},
            starts_at=T0,
            title="Ngập sâu tại phường Tân Lập",
        )
    assert dispatch_job(factory, settings) == 1  # group_wait 0 s in this configuration
    assert deliver_job(factory, settings).sent == 1
    assert dispatch_job(factory, settings) == 0
    with factory() as session:
        user = session.execute(select(User).where(User.username == "truc")).scalar_one()
        [note] = inbox.unread(session, user)
        assert note.title == "[Đang cảnh báo] Ngập sâu tại phường Tân Lập (Cảnh báo)"


# ------------------------------------------------------------------ issue 19: lease, retry window
def test_a_claim_holds_a_short_lease_that_a_live_worker_renews(factory, settings, web) -> None:  # type: ignore[no-untyped-def]
    from ioc.engines.alerting.notify.delivery import LeaseKeeper, renew_lease

    hook = web([])
    ids = _queue(factory, points_yaml(url=hook.url), "hook", "env")
    assert settings.notify_lease_s == 30  # the default: a crash delays a message 30 s, not 5 min
    claimed = claim_due(factory, T0, settings)
    (token,) = {t for _i, t in claimed}
    assert {_row(factory, i).locked_until for i in ids} == {T0 + timedelta(seconds=30)}
    # A dead worker does not renew: another worker takes its rows once the 30 s are over.
    assert deliver_due(factory, T0 + timedelta(seconds=29), settings).claimed == 0
    # A live one does: renewing moves the lease, so the rows stay with it.
    assert renew_lease(factory, token, T0 + timedelta(seconds=60)) == 2
    assert deliver_due(factory, T0 + timedelta(seconds=45), settings).claimed == 0
    # The keeper thread renews on its own every third of the lease until the run ends.
    with LeaseKeeper(factory, token, T0 + timedelta(seconds=60), lease_s=0.3) as keeper:
        deadline = time.monotonic() + 10
        while keeper.renewals < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert keeper.renewals >= 2
    assert all(_row(factory, i).locked_until > T0 + timedelta(seconds=60) for i in ids)
    # Another worker's claim after the lease lapsed wins; the first worker's token is stale.
    later = T0 + timedelta(hours=1)
    stats = deliver_due(factory, later, settings)
    assert (stats.claimed, stats.sent) == (2, 2)
    assert renew_lease(factory, token, later) == 0
    assert len(hook.bodies) == 1


def test_a_crashed_worker_delays_messages_by_one_short_lease(factory, settings, web) -> None:  # type: ignore[no-untyped-def]
    hook = web([])
    (row_id,) = _queue(factory, points_yaml(url=hook.url), "hook")
    claim_due(factory, T0, settings)  # then the worker dies
    stats = deliver_due(factory, T0 + timedelta(seconds=settings.notify_lease_s), settings)
    assert stats.sent == 1 and _row(factory, row_id).status == "sent"


def test_failures_are_retried_for_a_day_with_backoff_then_dead_and_alerted(  # type: ignore[no-untyped-def]
    factory, settings, web
) -> None:
    from ioc.app import load_registry
    from ioc.background import sync_rules
    from ioc.engines.alerting.evaluate import evaluate_due
    from ioc.engines.alerting.models import Alert, AlertRule
    from ioc.engines.alerting.notify.delivery import dead_records

    assert (settings.notify_max_attempts, settings.notify_retry_hours) == (0, 24.0)
    hook = web([503] * 40)
    (row_id,) = _queue(factory, points_yaml(url=hook.url), "hook")
    at, offsets = T0, []
    while _row(factory, row_id).status == "pending":
        offsets.append(int((at - T0).total_seconds()))
        deliver_due(factory, at, settings)
        at = _row(factory, row_id).next_attempt_at
    # 30 s, 1, 2, 4, 8, 16, 32 min, then hourly; the last try exactly a day after the first.
    expected = [0, 30, 90, 210, 450, 930, 1890, 3810]
    expected += [3810 + 3600 * k for k in range(1, 23)] + [86400]
    assert offsets == expected
    row = _row(factory, row_id)
    assert (row.status, row.attempts) == ("dead", 31)
    assert row.give_up_at == T0 + timedelta(hours=24)
    assert len(hook.bodies) == 31
    # Anything dead raises the IOC's own alert, through the one rule/alert/notification path.
    now = T0 + timedelta(days=1, minutes=5)
    registry = load_registry()
    with factory() as session, session.begin():
        assert [(r.labels["contact_point"], r.value) for r in dead_records(session, now)] == [
            ("hook", 1.0)
        ]
        sync_rules(session, registry)
        rule = session.execute(
            select(AlertRule).where(AlertRule.uid == "ops.notify_dead")
        ).scalar_one()
        assert rule.pack == "ops"
        evaluate_due(session, now, registry)
    with factory() as session:
        alerts = list(session.execute(select(Alert).where(Alert.rule_id == rule.id)).scalars())
        assert len(alerts) == 1
        assert alerts[0].severity == "high"
        assert alerts[0].labels["contact_point"] == "hook"
    # An admin's retry opens a fresh window.
    clock.set_now(now)
    with factory() as session, session.begin():
        retry_outbox(session, ADMIN, row_id)
    row = _row(factory, row_id)
    assert (row.status, row.attempts, row.give_up_at) == ("pending", 0, None)
