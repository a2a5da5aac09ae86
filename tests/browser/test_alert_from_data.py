"""End to end in real Chromium: a station sends a reading through the API, the server's own
scheduler evaluates the rule and the alert appears on the console by itself; an operator
acknowledges it, the reading falls back, and the operator closes the alert with a reason."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx2
import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from ioc.core import audit, auth, clock
from ioc.core.db import make_sessionmaker
from ioc.engines.alerting import rules as rule_actions
from ioc.engines.alerting.models import Alert, AlertEvent
from ioc.engines.jobs.models import JobRun
from ioc.packs.environment import service as env_service

pytestmark = pytest.mark.browser

# The server of this module runs its scheduler, ticking every second (tests/browser/conftest.py).
LIVE_SETTINGS = {"scheduler": "thread", "alert_tick_seconds": 1.0}
OPERATOR, PASSWORD = "truc.ban.e2e", "mật-khẩu-trực-ban-2026"
STATION = "DL-E2E-01"


@pytest.fixture(scope="module")
def setup(live_server: Any, engine: Engine) -> tuple[sessionmaker[Session], str]:
    """An operator, a gateway token, a station, and a rule watching that station's PM2.5."""
    factory = make_sessionmaker(engine)
    actor = audit.Actor.system("test")
    with factory() as s, s.begin():
        auth.create_user(
            s,
            actor,
            username=OPERATOR,
            password=PASSWORD,
            full_name="Trực ban E2E",
            role="operator",
        )
        token = auth.create_api_token(
            s, actor, owner_username=OPERATOR, name="Cổng trạm", scopes=["ingest"]
        )
        env_service.upsert_station(
            s,
            actor,
            code=STATION,
            name="Trạm thử Hồ Lắk",
            lat=12.41,
            lon=108.19,
            area_code="24133",
            agency_code="so-nong-nghiep-moi-truong",
        )
        rule_actions.create_rule(
            s,
            actor,
            rule_actions.validate(
                {
                    "uid": "environment.e2e_pm25",
                    "title": "PM2.5 vượt 100 µg/m³",
                    "kind": "threshold",
                    "query": {"indicator": "pm25", "entity": STATION},
                    "params": {"op": ">", "threshold": 100},
                    "severity": "critical",
                    "interval_s": 10,
                    "nodata_state": "keep_last",
                    "annotations": {"summary": {"vi": "PM2.5 tại {{ name }} là {{ value }} µg/m³"}},
                }
            ),
        )
    return factory, token.secret


def send(server: Any, token: str, value: float, minutes_ago: int = 0) -> None:
    at = (clock.now() - timedelta(minutes=minutes_ago)).isoformat()
    body = {"observations": [{"indicator": "pm25", "entity": STATION, "time": at, "value": value}]}
    r = httpx2.post(
        server.url("/api/v1/observations"), json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 200, r.text


def test_alert_fires_from_ingested_data_and_is_handled(
    page: Any, watch: Any, live_server: Any, setup: tuple[sessionmaker[Session], str]
) -> None:
    factory, token = setup
    page.goto(live_server.url("/login?next=/alerts"))
    page.fill("#username", OPERATOR)
    page.fill("#password", PASSWORD)
    page.click("form.login-card button[type=submit]")
    page.wait_for_url(live_server.url("/alerts"))

    send(live_server, token, 182.0)
    row = page.locator("tr.alert-row", has_text="Trạm thử Hồ Lắk")
    expect(row).to_have_count(1, timeout=20_000)  # scheduler tick + the list's own polling
    expect(row).to_contain_text("PM2.5 tại Trạm thử Hồ Lắk là 182,0 µg/m³")
    with factory() as s:
        alert = s.execute(
            select(Alert).where(Alert.labels["subject"].as_string() == STATION)
        ).scalar_one()
        runs = [r.job for r in s.execute(select(JobRun)).scalars()]
    assert alert.severity == "critical" and alert.status == "new"
    assert "alerting.evaluate" in runs  # the scheduler did it, not the test

    row.locator("a.alert-title").click()
    page.wait_for_url(live_server.url(f"/alerts/{alert.id}"))
    page.fill("#ack-note", "Đã liên hệ đơn vị vận hành trạm")
    page.click("#form-acknowledge button[type=submit]")
    expect(page.locator("#action-done")).to_have_text("Đã tiếp nhận cảnh báo.")

    # The air clears; the episode ends, but an acknowledged alert waits for the operator.
    send(live_server, token, 24.0)
    deadline = clock.now() + timedelta(seconds=30)
    ended = None
    while clock.now() < deadline:
        with factory() as s:
            ended = s.get(Alert, alert.id)
        if ended is not None and ended.ends_at is not None:
            break
        page.wait_for_timeout(500)
    assert ended is not None and ended.ends_at is not None and ended.status == "acknowledged"

    page.reload()
    page.fill("#cl-reason", "Nguồn bụi do đốt rơm rạ đã được xử lý, số liệu trở lại bình thường")
    page.click("#form-close button[type=submit]")
    expect(page.locator("#action-done")).to_have_text("Đã đóng cảnh báo.")
    with factory() as s:
        closed = s.get(Alert, alert.id)
        kinds = [
            e.kind
            for e in s.execute(
                select(AlertEvent).where(AlertEvent.alert_id == alert.id).order_by(AlertEvent.id)
            ).scalars()
        ]
    assert closed is not None and closed.status == "closed" and closed.closed_by == OPERATOR
    assert kinds[0] == "fired" and {"acknowledged", "resolved", "closed"} <= set(kinds)
    watch.assert_clean()
