"""JSON events API (row-level errors), the incident workflow (one audited action per change),
indicators per agency, the /cybersecurity page with drill-down and exports, the demo."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from helpers import csrf, login
from ioc.core import audit, clock
from ioc.core.models import AuditLog
from ioc.packs.cybersecurity import incidents, stats
from ioc.packs.cybersecurity.demo import load_demo
from ioc.packs.cybersecurity.models import CyEvent, CyIncident, CyIncidentStep, CySite
from ioc.packs.cybersecurity.store import insert_rows

ACTOR = audit.Actor.system("test")


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_json_events_api_stores_good_rows_and_names_bad_fields(
    client: TestClient, ingest_token: str, factory: sessionmaker[Session]
) -> None:
    body = {
        "events": [
            {"time": "2026-03-10T11:00:00+07:00", "source": "waf-soyte", "agency": "so-y-te",
             "severity": "critical", "category": "web_attack",
             "message": "SQL injection on /tra-cuu from 45.134.26.17"},
            {"time": "10/03/2026", "severity": "urgent", "message": ""},
            {"severity": 9, "message": "Ransomware beacon to evil-c2.example.net"},
        ]
    }  # fmt: skip
    response = client.post("/api/v1/security/events", json=body, headers=_bearer(ingest_token))
    assert response.status_code == 422
    data = response.json()
    assert (data["received"], data["stored"], data["rejected"]) == (3, 2, 1)
    assert {(e["row"], e["field"]) for e in data["errors"]} == {
        (2, "time"), (2, "severity"), (2, "message"),
    }  # fmt: skip
    with factory() as s:
        events = s.execute(select(CyEvent).order_by(CyEvent.id)).scalars().all()
    assert [(e.severity, e.category, e.transport) for e in events] == [
        ("critical", "web_attack", "http"), ("critical", "malware", "http"),
    ]  # fmt: skip
    assert events[1].indicators == [{"type": "domain", "value": "evil-c2.example.net"}]
    # No token: refused; not JSON: a clear 400.
    assert client.post("/api/v1/security/events", json=body).status_code == 401
    bad = client.post(
        "/api/v1/security/events",
        content=b"{oops",
        headers={**_bearer(ingest_token), "Content-Type": "application/json"},
    )
    assert bad.status_code == 400 and "JSON" in bad.json()["detail"]


def _event(db: Session, **kw: object) -> CyEvent:
    values: dict[str, object] = {
        "ts": clock.now(), "received_at": clock.now(), "transport": "udp", "format": "rfc5424",
        "host": "fw-01", "agency_code": "so-y-te", "category": "malware", "severity": "critical",
        "severity_rank": 0, "message": "Trojan on PC-12", "indicators": [], "extra": {},
    }  # fmt: skip
    values.update(kw)
    event = CyEvent(**values)
    db.add(event)
    db.flush()
    return event


def test_incident_workflow_is_audited_and_feeds_the_indicators(db: Session) -> None:
    now = clock.now()
    event = _event(db)
    incident = incidents.open_from_event(db, ACTOR, event)
    assert event.incident_id == incident.id
    try:
        incidents.change_status(db, ACTOR, incident, "closed")
        raise AssertionError("closing needs a cause")
    except incidents.IncidentError as exc:
        assert exc.field == "status"
    incidents.change_status(db, ACTOR, incident, "investigating", "Đang xác minh máy PC-12")
    incidents.add_note(db, ACTOR, incident, "Đã cách ly máy PC-12 khỏi mạng")
    try:
        incidents.close_incident(db, ACTOR, incident, "  ")
        raise AssertionError("a cause is required")
    except incidents.IncidentError as exc:
        assert exc.field == "cause"
    incidents.close_incident(db, ACTOR, incident, "USB nhiễm mã độc")
    incident.opened_at = now - timedelta(hours=6)
    incident.closed_at = now
    db.flush()
    other = incidents.open_incident(db, ACTOR, title="Dò mật khẩu VPN", agency_code="so-y-te",
                                    category="brute_force", severity="high")  # fmt: skip
    actions = db.execute(
        select(AuditLog.action).where(AuditLog.object_type == "cy_incident").order_by(AuditLog.id)
    ).scalars().all()  # fmt: skip
    assert actions == [
        "cy.incident.open", "cy.incident.status", "cy.incident.note", "cy.incident.close",
        "cy.incident.open",
    ]  # fmt: skip
    kinds = [s.kind for s in incidents.steps(db, incident.id)]
    assert kinds == ["status", "status", "note", "close"]
    rows = {r.code: r for r in stats.agency_rows(db, now, 30)}
    soyte = rows["so-y-te"]
    assert soyte.open_incidents == 1 and other.status == "open"
    assert soyte.mttr_hours == 6.0
    incidents.reopen_incident(db, ACTOR, incident, "Tái nhiễm")
    assert incident.status == "open" and incident.cause is None
    assert db.execute(select(func.count()).select_from(CyIncidentStep)).scalar_one() == 6


def test_critical_events_record_source_groups_by_agency(db: Session) -> None:
    _event(db)
    _event(db, category="dos")
    _event(db, ts=clock.now() - timedelta(hours=3))  # too old
    _event(db, severity="high", severity_rank=1)  # not critical
    samples = stats.critical_events(db, clock.now())
    assert sorted((s.labels["category"], s.value) for s in samples) == [
        ("dos", 1.0),
        ("malware", 1.0),
    ]
    assert samples[0].labels["agency_name"] == "Sở Y tế"


def test_page_drill_down_actions_and_exports(
    client: TestClient, make_user, factory: sessionmaker[Session]
) -> None:  # type: ignore[no-untyped-def]
    password = make_user("soc", role="operator")
    with factory() as s, s.begin():
        load_demo(factory, end=clock.now(), hours=48)
    with factory() as s, s.begin():
        # The demo opens incidents for up to 24 critical events; how many it draws depends on
        # the hour it runs, so the test adds a fresh critical event of its own.
        insert_rows(
            s,
            [
                {
                    "ts": clock.now(),
                    "received_at": clock.now(),
                    "transport": "test",
                    "format": "rfc5424",
                    "host": "fw-so-y-te.daklak.local",
                    "app": "firewall",
                    "agency_code": "so-y-te",
                    "category": "malware",
                    "severity": "critical",
                    "severity_rank": 0,
                    "src_ip": "185.220.101.7",
                    "dst_ip": "10.66.3.4",
                    "message": "Malware beacon to 185.220.101.7",
                    "indicators": [{"type": "ip", "value": "185.220.101.7"}],
                    "extra": {},
                }
            ],
        )
    with factory() as s:
        event_id = s.execute(
            select(CyEvent.id)
            .where(CyEvent.severity_rank == 0, CyEvent.incident_id.is_(None))
            .order_by(CyEvent.id.desc())
            .limit(1)
        ).scalar_one()
        assert s.execute(select(func.count()).select_from(CySite)).scalar_one() == 14
    assert client.get("/cybersecurity", follow_redirects=False).status_code == 303  # login first
    login(client, "soc", password)
    page = client.get("/cybersecurity")
    assert page.status_code == 200
    assert "Giám sát an toàn thông tin mạng" in page.text
    assert "Cổng Thông tin điện tử tỉnh Đắk Lắk" in page.text
    assert "Không truy cập được" in page.text  # the demo's down portal
    drill = client.get("/cybersecurity?agency=so-y-te")
    assert drill.status_code == 200 and "Sở Y tế" in drill.text
    token = csrf(client, "/cybersecurity")
    opened = client.post("/cybersecurity/incidents", data={"csrf_token": token, "event_id": event_id},
                         follow_redirects=False)  # fmt: skip
    assert opened.status_code == 303
    path = opened.headers["location"]
    closed = client.post(
        f"{path}/close", data={"csrf_token": token, "text": ""}, follow_redirects=False
    )
    assert "error=" in closed.headers["location"]  # a cause is required: named, no 500
    closed = client.post(f"{path}/close", data={"csrf_token": token, "text": "Đã vá lỗ hổng"},
                         follow_redirects=False)  # fmt: skip
    detail = client.get(path)
    assert "Đã đóng" in detail.text and "Đã vá lỗ hổng" in detail.text
    with factory() as s:
        incident_id = int(path.rsplit("/", 1)[1])
        incident = s.get(CyIncident, incident_id)
        assert incident is not None and incident.status == "closed"
    xlsx = client.get("/cybersecurity/export?table=agencies&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    csv = client.get("/cybersecurity/export?table=sites&format=csv")
    # The demo's sites point at the local portal simulator, never the real *.gov.vn portals.
    assert "/soyte/" in csv.content.decode("utf-8-sig")
    assert client.get("/cybersecurity/export?table=nope").status_code == 400
    api = client.get("/cybersecurity")  # still renders after the changes
    assert api.status_code == 200


def test_demo_is_idempotent(factory: sessionmaker[Session]) -> None:
    end = clock.now()
    assert load_demo(factory, end=end, hours=24) > 100
    assert load_demo(factory, end=end, hours=24) == 0
