"""The warning workflow over HTTP: draft from an alert, the two-person rule (the drafter and
anyone who edited cannot approve: 403 with an audit row, nothing published), publication,
the public page per commune, e-mail subscriptions through the outbox, and automatic drafts
from the alerting engine's alerts."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alert_console_helpers import add_alert
from helpers import csrf, login
from ioc.core import clock
from ioc.core.models import AuditLog
from ioc.engines.alerting.models import AlertRule
from ioc.engines.alerting.notify.models import Outbox
from ioc.packs.warnings import sources
from ioc.packs.warnings.models import WrWarning, WrWarningArea

PASSWORD = "mật-khẩu-đủ-dài-123"


def _form(client: TestClient, path: str, **over: Any) -> dict[str, Any]:
    now = clock.now()
    data: dict[str, Any] = {
        "csrf_token": csrf(client, path),
        "hazard": "air_quality",
        "severity": "Severe",
        "urgency": "Immediate",
        "certainty": "Observed",
        "headline_vi": "Cảnh báo ô nhiễm không khí tại Buôn Ma Thuột",
        "instruction_vi": "Hạn chế ra ngoài.",
        "effective_at": "",
        "expires_at": (now + timedelta(hours=12)).isoformat(),
        "areas": ["24133"],
    }
    data.update(over)
    return data


def _client(app: TestClient, user: str) -> TestClient:
    client = TestClient(app.app, raise_server_exceptions=False)
    assert login(client, user, PASSWORD).status_code == 303  # type: ignore[attr-defined]
    return client


def test_two_person_rule_cannot_be_bypassed(
    app: TestClient, factory: sessionmaker[Session], make_user: Any
) -> None:
    make_user("an.soan", role="operator")
    make_user("binh.sua", role="operator")
    make_user("chi.duyet", role="leader")
    make_user("dung.xa", role="agency_staff", agency="so-nong-nghiep-moi-truong")
    with factory() as s, s.begin():
        alert_id = add_alert(s, title="AQI giờ ở mức Xấu", area_code="24133").id
    an = _client(app, "an.soan")

    # The alert page offers the draft; the form is prefilled from the alert.
    assert f'href="/warnings/new?alert={alert_id}"' in an.get(f"/alerts/{alert_id}").text
    form_page = an.get(f"/warnings/new?alert={alert_id}")
    assert form_page.status_code == 200
    assert 'value="24133" checked' in form_page.text
    r = an.post(
        "/warnings",
        data=_form(an, f"/warnings/new?alert={alert_id}", source_kind="alert", source_id=alert_id),
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    wid = int(re.search(r"/warnings/(\d+)", r.headers["location"]).group(1))

    # The drafter cannot approve: 403, audited, still a draft.
    r = an.post(f"/warnings/{wid}/approve", data={"csrf_token": csrf(an, f"/warnings/{wid}")})
    assert r.status_code == 403
    # Someone who edits becomes an author and cannot approve either.
    binh = _client(app, "binh.sua")
    r = binh.post(
        f"/warnings/{wid}/edit",
        data=_form(binh, f"/warnings/{wid}/edit", headline_vi="Ô nhiễm không khí (đã sửa)"),
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    r = binh.post(f"/warnings/{wid}/approve", data={"csrf_token": csrf(binh, f"/warnings/{wid}")})
    assert r.status_code == 403
    # Agency staff may not draft public warnings at all.
    staff = _client(app, "dung.xa")
    r = staff.post("/warnings", data=_form(staff, "/warnings"), follow_redirects=False)
    assert r.status_code == 403
    # Nothing is public yet.
    with factory() as s:
        w = s.get(WrWarning, wid)
        assert w is not None and w.state == "draft" and w.approved_at is None
        identifier = w.identifier
        assert w.source_alert_id == alert_id
    assert app.get(f"/public/warnings/{identifier}.xml").status_code == 404
    assert "Ô nhiễm không khí (đã sửa)" not in app.get("/public/warnings?xa=24133").text

    # A third person (a leader) approves: published.
    chi = _client(app, "chi.duyet")
    r = chi.post(
        f"/warnings/{wid}/approve",
        data={"csrf_token": csrf(chi, f"/warnings/{wid}")},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    assert app.get(f"/public/warnings/{identifier}.xml").status_code == 200
    assert "Ô nhiễm không khí (đã sửa)" in app.get("/public/warnings?xa=24133").text
    assert "Ô nhiễm không khí (đã sửa)" not in app.get("/public/warnings?xa=22015").text
    # Approving twice changes nothing.
    r = chi.post(f"/warnings/{wid}/approve", data={"csrf_token": csrf(chi, f"/warnings/{wid}")})
    assert r.status_code == 409

    with factory() as s:
        rows = s.execute(
            select(AuditLog.action, AuditLog.actor, AuditLog.object_type, AuditLog.object_id)
        ).all()
    actions = [(a, who) for a, who, _, _ in rows]
    assert ("warning.draft", "an.soan") in actions
    assert ("warning.edit", "binh.sua") in actions
    assert ("warning.approve", "chi.duyet") in actions
    denied = [(who, typ) for a, who, typ, _ in rows if a == "access.denied"]
    assert ("an.soan", "warning.approve") in denied
    assert ("binh.sua", "warning.approve") in denied
    assert ("dung.xa", "warning.draft") in denied


def test_bad_input_names_the_field(app: TestClient, make_user: Any) -> None:
    make_user("an.soan", role="operator")
    an = _client(app, "an.soan")
    r = an.post("/warnings", data=_form(an, "/warnings/new", areas=["99999"], severity="Huge"))
    assert r.status_code == 422
    assert 'id="err-areas"' in r.text and "99999" in r.text
    assert 'id="err-severity"' in r.text
    r = an.post(
        "/warnings",
        data=_form(an, "/warnings/new", expires_at=(clock.now() - timedelta(hours=1)).isoformat()),
    )
    assert r.status_code == 422 and 'id="err-expires_at"' in r.text


def test_public_page_and_subscriptions(
    app: TestClient, factory: sessionmaker[Session], make_user: Any
) -> None:
    assert app.get("/public/warnings?xa=00000").status_code == 404
    page = app.get("/public/warnings?xa=24133")
    assert page.status_code == 200 and 'id="none-here"' in page.text
    token = csrf(app, "/public/warnings?xa=24133")
    r = app.post(
        "/public/warnings/subscriptions",
        data={"csrf_token": token, "email": "nguoi.dan@example.vn", "xa": "24133"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    bad = app.post(
        "/public/warnings/subscriptions",
        data={"csrf_token": token, "email": "không-phải-email", "xa": "24133"},
    )
    assert bad.status_code == 422 and "email" in bad.text
    with factory() as s:
        (mail,) = s.scalars(select(Outbox)).all()
    assert mail.kind == "email" and mail.payload["to"] == ["nguoi.dan@example.vn"]
    link = re.search(r"(/public/warnings/subscriptions/confirm\?token=\S+)", mail.payload["text"])
    assert link
    r = app.get(link.group(1), follow_redirects=False)
    assert r.status_code == 303 and "sub=confirmed" in r.headers["location"]

    # A published warning for the commune is mailed to the confirmed subscriber.
    make_user("an.soan", role="operator")
    make_user("chi.duyet", role="operator")
    an, chi = _client(app, "an.soan"), _client(app, "chi.duyet")
    r = an.post("/warnings", data=_form(an, "/warnings/new"), follow_redirects=False)
    wid = int(r.headers["location"].split("/")[2].split("?")[0])
    chi.post(f"/warnings/{wid}/approve", data={"csrf_token": csrf(chi, f"/warnings/{wid}")})
    with factory() as s:
        mails = s.scalars(select(Outbox).order_by(Outbox.id)).all()
    assert len(mails) == 2
    assert mails[1].summary == "Cảnh báo ô nhiễm không khí tại Buôn Ma Thuột"
    assert "nguoi.dan@example.vn" not in app.get("/public/warnings?xa=24133").text


def _rule_alert(s: Session, rule_over: dict[str, Any], **alert_over: Any) -> int:
    alert = add_alert(s, **alert_over)
    rule = s.get(AlertRule, alert.rule_id)
    assert rule is not None
    for key, value in rule_over.items():
        setattr(rule, key, value)
    s.flush()
    return alert.id


def test_automatic_drafts_from_alerts(factory: sessionmaker[Session]) -> None:
    now = clock.now()
    with factory() as s, s.begin():
        aqi_long = _rule_alert(
            s,
            {
                "kind": "record",
                "query": {"source": "environment.aqi_hour"},
                "params": {"op": ">", "threshold": 150},
            },
            area_code="24133",
            value=215.0,
            started=timedelta(hours=2, minutes=5),
        )
        _rule_alert(  # poor for only 30 minutes: no draft yet
            s,
            {
                "kind": "record",
                "query": {"source": "environment.aqi_hour"},
                "params": {"op": ">", "threshold": 150},
            },
            area_code="24169",
            started=timedelta(minutes=30),
        )
        c3 = _rule_alert(
            s,
            {
                "kind": "anomaly",
                "query": {"indicator": "hl_cases_dengue"},
                "params": {"method": "c3", "bucket": "week"},
            },
            pack="health",
            area_code="22015",
            value=4.0,
        )
        _rule_alert(  # EARS C2: not a trigger
            s,
            {"kind": "anomaly", "params": {"method": "c2"}},
            pack="health",
            area_code="22045",
        )
        rain = _rule_alert(
            s,
            {"query": {"indicator": "rain"}, "labels": {"warning_hazard": "heavy_rain"}},
            area_code="24163",
            value=72.0,
        )
        _rule_alert(  # an unrelated rule (PM2.5)
            s,
            {"query": {"indicator": "pm25"}, "params": {"op": ">", "threshold": 45}},
            area_code="24121",
        )

    assert sources.auto_drafts_job(factory, now) is not None
    assert sources.auto_drafts_job(factory, now) is None  # one draft per alert, once
    with factory() as s:
        drafts = {w.source_alert_id: w for w in s.scalars(select(WrWarning))}
        areas = dict(s.execute(select(WrWarningArea.warning_id, WrWarningArea.area_code)).all())
    assert set(drafts) == {aqi_long, c3, rain}
    assert all(w.state == "draft" and w.approved_at is None for w in drafts.values())
    assert all(w.source_kind == "auto" and w.created_by_user_id is None for w in drafts.values())
    assert (drafts[aqi_long].hazard, drafts[aqi_long].severity) == ("air_quality", "Severe")
    assert drafts[c3].hazard == "outbreak" and areas[drafts[c3].id] == "22015"
    assert drafts[rain].hazard == "heavy_rain" and areas[drafts[rain].id] == "24163"
    assert "Phường Buôn Ma Thuột" in drafts[aqi_long].headline_vi


def test_demo_has_an_approved_warning_in_force(
    app: TestClient, factory: sessionmaker[Session], make_user: Any
) -> None:
    from ioc.packs.warnings.demo import load_demo

    make_user("admin", role="admin")
    assert load_demo(factory, end=clock.now()) == 1
    assert load_demo(factory, end=clock.now()) == 0  # idempotent
    with factory() as s:
        (w,) = s.scalars(select(WrWarning)).all()
    assert w.state == "published" and w.approved_by == "admin" and w.created_by_user_id is None
    page = app.get("/public/warnings?xa=24133")
    assert "Cảnh báo nắng nóng tại khu vực Buôn Ma Thuột" in page.text
