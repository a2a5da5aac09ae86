"""Alert rules pages: administrators create, edit, switch off, delete, import and export rules;
others only look. Job runs are visible."""

from __future__ import annotations

from datetime import UTC, datetime

import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from helpers import csrf, login
from ioc.core.models import AuditLog
from ioc.engines.alerting.models import AlertRule
from ioc.engines.jobs.models import JobRun

FORM = {
    "uid": "environment.pm10_cao",
    "title": "PM10 cao",
    "kind": "threshold",
    "severity": "high",
    "interval_s": "60",
    "pending_s": "300",
    "keep_firing_s": "0",
    "nodata_state": "nodata",
    "error_state": "error",
    "sop_key": "",
    "query": "indicator: pm10\n",
    "params": 'op: ">"\nthreshold: 150\n',
    "labels": "team: moi-truong\n",
    "summary_vi": "PM10 tại {{ name }} là {{ value }}",
    "summary_en": "",
}


def as_admin(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    login(client, "quan.tri", make_user("quan.tri", role="admin"))


def test_admin_creates_a_rule_from_the_form(
    client: TestClient, make_user, factory: sessionmaker[Session]
) -> None:  # type: ignore[no-untyped-def]
    as_admin(client, make_user)
    token = csrf(client, "/alerts/rules/new")
    r = client.post(
        "/alerts/rules/save", data={**FORM, "csrf_token": token}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == "/alerts/rules?done=created"
    page = client.get("/alerts/rules?done=created")
    assert "PM10 cao" in page.text and "Đã thêm quy tắc." in page.text
    with factory() as s:
        rule = s.execute(select(AlertRule)).scalar_one()
        assert rule.params == {"op": ">", "threshold": 150} and rule.pending_s == 300
        assert rule.labels == {"team": "moi-truong"} and rule.source == "ui"
        assert rule.annotations == {"summary": {"vi": "PM10 tại {{ name }} là {{ value }}"}}
        assert "alert_rule.create" in set(s.execute(select(AuditLog.action)).scalars())


def test_form_errors_name_the_field_and_keep_the_input(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    as_admin(client, make_user)
    token = csrf(client, "/alerts/rules/new")
    bad = {**FORM, "params": 'op: ">"\nthreshold: nhiều\n', "pending_s": "năm", "csrf_token": token}
    r = client.post("/alerts/rules/save", data=bad)
    assert r.status_code == 422
    assert "pending_s: phải là số nguyên" in r.text
    assert "params.threshold" in r.text
    assert "threshold: nhiều" in r.text  # what the admin typed is still there


def test_editing_changes_version_and_toggle_and_delete(
    client: TestClient, make_user, factory: sessionmaker[Session]
) -> None:  # type: ignore[no-untyped-def]
    as_admin(client, make_user)
    token = csrf(client, "/alerts/rules/new")
    client.post("/alerts/rules/save", data={**FORM, "csrf_token": token})
    with factory() as s:
        rule_id = s.execute(select(AlertRule.id)).scalar_one()
    page = client.get(f"/alerts/rules/{rule_id}")
    assert page.status_code == 200 and 'value="environment.pm10_cao"' in page.text
    edited = {
        **FORM,
        "rule_id": str(rule_id),
        "params": 'op: ">"\nthreshold: 200\n',
        "csrf_token": token,
    }
    assert client.post("/alerts/rules/save", data=edited, follow_redirects=False).status_code == 303
    client.post(f"/alerts/rules/{rule_id}/toggle", data={"csrf_token": token})
    with factory() as s:
        rule = s.get(AlertRule, rule_id)
        assert rule is not None and rule.params["threshold"] == 200 and not rule.enabled
        assert rule.version == 3
    r = client.post(
        f"/alerts/rules/{rule_id}/delete", data={"csrf_token": "forged"}, follow_redirects=False
    )
    assert r.headers["location"] == "/alerts/rules?done=csrf"
    client.post(f"/alerts/rules/{rule_id}/delete", data={"csrf_token": token})
    with factory() as s:
        assert s.get(AlertRule, rule_id) is None


def test_import_export_round_trip(
    client: TestClient, make_user, factory: sessionmaker[Session]
) -> None:  # type: ignore[no-untyped-def]
    as_admin(client, make_user)
    token = csrf(client, "/alerts/rules")
    text = """
rules:
  - {uid: environment.a, title: A, kind: threshold, query: {indicator: pm25}, params: {op: ">", threshold: 1}}
  - {uid: environment.b, title: B, kind: nodata, query: {indicator: pm25}, params: {max_age_s: 3600}}
sops:
  - {key: environment.x, title: X, steps: [Một, Hai]}
"""
    r = client.post(
        "/alerts/rules/import", data={"text": text, "csrf_token": token}, follow_redirects=False
    )
    assert r.status_code == 303
    exported = yaml.safe_load(client.get("/alerts/rules.yaml").text)
    assert [r["uid"] for r in exported["rules"]] == ["environment.a", "environment.b"]
    assert exported["sops"] == [{"key": "environment.x", "title": "X", "steps": ["Một", "Hai"]}]
    bad = client.post(
        "/alerts/rules/import", data={"text": "rules: [{uid: x}]", "csrf_token": token}
    )
    assert bad.status_code == 422 and "rules[1]" in bad.text
    with factory() as s:
        assert len(list(s.execute(select(AlertRule)).scalars())) == 2


def test_leaders_see_rules_but_cannot_change_them(
    client: TestClient, make_user, factory: sessionmaker[Session]
) -> None:  # type: ignore[no-untyped-def]
    login(client, "lanh.dao", make_user("lanh.dao", role="leader"))
    assert client.get("/alerts/rules").status_code == 200
    assert client.get("/alerts/rules/new", follow_redirects=False).status_code == 403
    token = csrf(client, "/alerts/rules")
    r = client.post(
        "/alerts/rules/save", data={**FORM, "csrf_token": token}, follow_redirects=False
    )
    assert r.status_code == 403
    with factory() as s:
        assert s.execute(select(AlertRule)).first() is None


def test_job_runs_page(client: TestClient, make_user, factory: sessionmaker[Session]) -> None:  # type: ignore[no-untyped-def]
    with factory() as s, s.begin():
        s.add(
            JobRun(
                job="alerting.evaluate",
                worker="may-chu-1",
                started_at=datetime(2026, 3, 10, 5, 0, tzinfo=UTC),
                status="ok",
                detail="4 quy tắc, 1 cảnh báo mới",
                duration_ms=12,
            )
        )
    login(client, "van.hanh", make_user("van.hanh", role="operator"))
    page = client.get("/admin/jobs")
    assert page.status_code == 200
    assert "4 quy tắc, 1 cảnh báo mới" in page.text and "10/03/2026 12:00" in page.text
