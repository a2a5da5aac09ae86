"""The notifications pages (/alerts/notifications): who may see and change what, every POST
action with its CSRF check, and the audit rows the actions leave."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from helpers import csrf, login
from ioc.core import audit, clock
from ioc.core.models import AuditLog
from ioc.engines.alerting.notify.config import default_config_text, load_config
from ioc.engines.alerting.notify.models import InAppNotification, Outbox, Silence
from ioc.web.alerting_notify_pages import BASE, router

ADMIN = audit.Actor.system("test")


@pytest.fixture
def web(client: TestClient, factory: sessionmaker[Session], frozen_now: datetime) -> TestClient:
    """The app with the notifications router (mounted here until the app mounts it) and the
    default configuration loaded."""
    if not any(getattr(r, "path", "") == BASE for r in client.app.routes):  # type: ignore[attr-defined]
        client.app.include_router(router)  # type: ignore[attr-defined]
    with factory() as session, session.begin():
        load_config(session, default_config_text(), ADMIN)
    return client


def _admin(web: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    login(web, "quan.tri", make_user("quan.tri", role="admin"))


def _actions(factory: sessionmaker[Session]) -> list[str]:
    with factory() as s:
        return list(s.execute(select(AuditLog.action).order_by(AuditLog.id)).scalars())


def test_anonymous_goes_to_login(web: TestClient) -> None:
    r = web.get(BASE, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


@pytest.mark.parametrize("tab", ["contacts", "policies", "silences", "timings", "outbox", "inbox"])
def test_operator_sees_every_tab_without_buttons(web: TestClient, make_user, tab: str) -> None:  # type: ignore[no-untyped-def]
    login(web, "truc.ban", make_user("truc.ban", role="operator"))
    r = web.get(f"{BASE}?tab={tab}")
    assert r.status_code == 200
    assert "Thông báo cảnh báo" in r.text
    assert "Gửi thử" not in r.text and "Tạo lệnh tạm tắt" not in r.text


def test_policy_tree_shows_inherited_values(web: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    login(web, "truc.ban", make_user("truc.ban", role="operator"))
    r = web.get(f"{BASE}?tab=policies")
    assert r.text.count('class="notify-node"') == 4
    assert 'data-depth="1"' in r.text
    assert "severity=~&#34;critical|high&#34;" in r.text
    # The environment child inherits group_by and timers from the root (shown in italics).
    assert re.search(r'class="inherited">alertname, area<', r.text)
    assert "ngoai-gio-hanh-chinh" in r.text


def test_operator_cannot_change_anything(web: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    login(web, "truc.ban", make_user("truc.ban", role="operator"))
    token = csrf(web, f"{BASE}?tab=silences")
    r = web.post(
        f"{BASE}/silences",
        data={
            "csrf_token": token,
            "matchers": 'area="1"',
            "starts": "2026-03-10T12:00",
            "ends": "2026-03-10T14:00",
            "comment": "x",
        },
        follow_redirects=False,
    )
    assert r.status_code == 403
    r = web.post(f"{BASE}/contact-points/truc-ban-ioc/test", data={"csrf_token": token})
    assert r.status_code == 403


def test_send_test_queues_an_outbox_row(web: TestClient, make_user, factory) -> None:  # type: ignore[no-untyped-def]
    _admin(web, make_user)
    token = csrf(web, BASE)
    r = web.post(
        f"{BASE}/contact-points/email-truc-ban/test",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303 and "done=test_queued" in r.headers["location"]
    with factory() as s:
        row = s.execute(select(Outbox)).scalar_one()
        assert (row.contact_point, row.kind, row.status) == ("email-truc-ban", "email", "pending")
    assert "notify.contact_point_test" in _actions(factory)
    r = web.post(f"{BASE}/contact-points/nope/test", data={"csrf_token": token})
    assert r.status_code == 404 and "Không có điểm nhận" in r.text


def test_post_without_csrf_changes_nothing(web: TestClient, make_user, factory) -> None:  # type: ignore[no-untyped-def]
    _admin(web, make_user)
    web.get(BASE)
    r = web.post(
        f"{BASE}/contact-points/email-truc-ban/test",
        data={"csrf_token": "forged.token"},
        follow_redirects=False,
    )
    assert "done=csrf" in r.headers["location"]
    r = web.post(
        f"{BASE}/silences",
        data={
            "csrf_token": "forged.token",
            "matchers": 'area="1"',
            "starts": "2026-03-10T12:00",
            "ends": "2026-03-10T14:00",
            "comment": "x",
        },
        follow_redirects=False,
    )
    assert "done=csrf" in r.headers["location"]
    with factory() as s:
        assert s.execute(select(Outbox)).first() is None
        assert s.execute(select(Silence)).first() is None


def test_create_and_expire_a_silence_in_local_time(web: TestClient, make_user, factory) -> None:  # type: ignore[no-untyped-def]
    _admin(web, make_user)
    token = csrf(web, f"{BASE}?tab=silences")
    r = web.post(
        f"{BASE}/silences",
        data={
            "csrf_token": token,
            "matchers": 'alertname="environment.aqi_unhealthy"\narea="24133"',
            "starts": "2026-03-10T12:00",
            "ends": "2026-03-10T18:30",
            "comment": "Bảo trì trạm Quảng trường 10/3",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and "done=silence_created" in r.headers["location"]
    with factory() as s:
        silence = s.execute(select(Silence)).scalar_one()
        assert silence.matchers == ['alertname="environment.aqi_unhealthy"', 'area="24133"']
        assert silence.starts_at == datetime(2026, 3, 10, 5, 0, tzinfo=UTC)
        assert silence.ends_at == datetime(2026, 3, 10, 11, 30, tzinfo=UTC)
        assert silence.created_by == "quan.tri"
        silence_id = silence.id
    page = web.get(f"{BASE}?tab=silences")
    assert "Đang hiệu lực" in page.text and "10/03/2026 18:30" in page.text
    r = web.post(
        f"{BASE}/silences/{silence_id}/expire", data={"csrf_token": token}, follow_redirects=False
    )
    assert "done=silence_expired" in r.headers["location"]
    with factory() as s:
        silence = s.get(Silence, silence_id)
        assert silence is not None and silence.expired_at == clock.now()
    r = web.post(f"{BASE}/silences/{silence_id}/expire", data={"csrf_token": token})
    assert r.status_code == 409 and "đã hết hiệu lực" in r.text
    assert _actions(factory)[-2:] == ["notify.silence_create", "notify.silence_expire"]


@pytest.mark.parametrize(
    ("matchers", "starts", "ends", "message"),
    [
        ('severity=~"(high"', "2026-03-10T12:00", "2026-03-10T14:00", "biểu thức chính quy sai"),
        ("", "2026-03-10T12:00", "2026-03-10T14:00", "Cần ít nhất một điều kiện"),
        ('area=~".*"', "2026-03-10T12:00", "2026-03-10T14:00", "khớp mọi cảnh báo"),
        ('area="1"', "2026-03-10T14:00", "2026-03-10T12:00", "phải sau thời điểm bắt đầu"),
        ('area="1"', "hôm nay", "2026-03-10T12:00", "Bắt đầu / start"),
        ('area="1"', "2026-03-09T08:00", "2026-03-09T09:00", "đã qua"),
    ],
)
def test_bad_silence_form_is_shown_again_with_the_reason(  # type: ignore[no-untyped-def]
    web: TestClient, make_user, factory, matchers: str, starts: str, ends: str, message: str
) -> None:
    _admin(web, make_user)
    token = csrf(web, f"{BASE}?tab=silences")
    r = web.post(
        f"{BASE}/silences",
        data={
            "csrf_token": token,
            "matchers": matchers,
            "starts": starts,
            "ends": ends,
            "comment": "lý do",
        },
    )
    assert r.status_code == 422
    assert message in r.text
    assert "lý do" in r.text  # the form keeps what was typed
    with factory() as s:
        assert s.execute(select(Silence)).first() is None


def test_retry_a_dead_notification(web: TestClient, make_user, factory) -> None:  # type: ignore[no-untyped-def]
    now = clock.now()
    with factory() as s, s.begin():
        dead = Outbox(
            contact_point="email-truc-ban",
            kind="email",
            payload={"subject": "x", "text": "y"},
            status="dead",
            attempts=8,
            next_attempt_at=now - timedelta(hours=1),
            created_at=now - timedelta(hours=2),
            last_error="ConnectionRefusedError: [Errno 111]",
            summary="[Đang cảnh báo] AQI xấu",
        )
        s.add(dead)
        s.flush()
        dead_id = dead.id
    _admin(web, make_user)
    page = web.get(f"{BASE}?tab=outbox&status=dead")
    assert "ConnectionRefusedError" in page.text and "Gửi lại" in page.text
    token = csrf(web, f"{BASE}?tab=outbox")
    r = web.post(
        f"{BASE}/outbox/{dead_id}/retry",
        data={"csrf_token": token, "status": "dead"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and "done=retried" in r.headers["location"]
    with factory() as s:
        row = s.get(Outbox, dead_id)
        assert row is not None and (row.status, row.attempts) == ("pending", 0)
    r = web.post(f"{BASE}/outbox/{dead_id + 1000}/retry", data={"csrf_token": token})
    assert r.status_code == 409
    assert "notify.outbox_retry" in _actions(factory)


def test_inbox_lists_and_marks_read(web: TestClient, make_user, factory) -> None:  # type: ignore[no-untyped-def]
    login(web, "truc.ban", make_user("truc.ban", role="operator"))
    with factory() as s, s.begin():
        s.add(
            InAppNotification(
                role="operator",
                title="[Đang cảnh báo] Ngập tại Tân Lập",
                body="Mực nước 0,4 m",
                link="/alerts/7",
                created_at=clock.now(),
            )
        )
        s.add(
            InAppNotification(role="leader", title="Cho lãnh đạo", body="", created_at=clock.now())
        )
    page = web.get(f"{BASE}?tab=inbox")
    assert "Ngập tại Tân Lập" in page.text and "Cho lãnh đạo" not in page.text
    token = csrf(web, f"{BASE}?tab=inbox")
    r = web.post(f"{BASE}/inbox/read", data={"csrf_token": token}, follow_redirects=False)
    assert "done=read" in r.headers["location"]
    assert "Ngập tại Tân Lập" not in web.get(f"{BASE}?tab=inbox").text


def test_english_page(web: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    login(web, "truc.ban", make_user("truc.ban", role="operator"))
    r = web.get(f"{BASE}?tab=timings&lang=en")
    assert "Mute timings" in r.text and "days off and holidays" in r.text
