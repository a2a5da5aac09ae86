"""Traffic and public-order incidents: API with row-level errors, statistics by commune, hour
and day, the /traffic page with its map data and exports, the demo."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from helpers import login
from ioc.core import audit, clock
from ioc.core.admin_data import commune_centroids
from ioc.core.models import AuditLog
from ioc.packs.security_traffic import congestion, service
from ioc.packs.security_traffic.demo import load_demo
from ioc.packs.security_traffic.models import StIncident

ACTOR = audit.Actor.system("test")


def test_incidents_api_stores_valid_items_and_names_bad_fields(
    client: TestClient, ingest_token: str, factory: sessionmaker[Session], frozen_now: datetime
) -> None:
    body = {"incidents": [
        {"kind": "accident", "category": "collision", "time": "2026-03-10T07:15:00+07:00",
         "lat": 12.6745, "lon": 108.0475, "area": "24133", "place": "Ngã Sáu", "injured": 2},
        {"kind": "violation", "category": "red_light", "time": "2026-03-10T08:00:00+07:00",
         "lat": 13.096, "lon": 109.30, "count": 17, "camera": "CAM-TH-1"},
        {"kind": "accident", "category": "collision", "time": "2026-03-10T08:00:00+07:00", "area": "99999"},
        {"kind": "flood", "category": "x", "time": "2026-03-10T08:00:00+07:00"},
        {"kind": "public_order", "category": "fight", "time": "2026-03-10 08:00"},
        {"kind": "accident", "category": "collision", "time": "2026-03-10T08:00:00+07:00", "lat": 95, "lon": 1},
    ]}  # fmt: skip
    r = client.post("/api/v1/traffic/incidents", json=body,
                    headers={"Authorization": f"Bearer {ingest_token}"})  # fmt: skip
    assert r.status_code == 422
    data = r.json()
    assert (data["stored"], data["rejected"]) == (2, 4)
    assert [(e["row"], e["field"]) for e in data["errors"]] == [
        (3, "area"), (4, "kind"), (5, "time"), (6, "lat"),
    ]  # fmt: skip
    with factory() as s:
        items = s.execute(select(StIncident).order_by(StIncident.id)).scalars().all()
        audits = (
            s.execute(select(AuditLog.action).where(AuditLog.object_type == "st_incident"))
            .scalars()
            .all()
        )
    # The commune of an incident is the commune of its point: without boundaries imported, the
    # stand-in cell of the nearest shipped commune centre.
    centres = commune_centroids()
    nearest = min(
        centres, key=lambda c: (centres[c][0] - 13.096) ** 2 + (centres[c][1] - 109.30) ** 2
    )
    assert [(i.kind, i.count, i.area_code) for i in items] == [
        ("accident", 1, "24133"),
        ("violation", 17, nearest),
    ]
    assert audits == ["st.incident.record", "st.incident.record"]


def test_status_changes_and_statistics(db: Session, frozen_now: datetime) -> None:
    at = datetime(2026, 3, 9, 0, 30, tzinfo=UTC)  # 07:30 local on 9/3
    a = service.record_incident(db, ACTOR, kind="accident", category="collision", occurred_at=at,
                                lat=12.6745, lon=108.0475, area_code="24133", injured=1, dead=1)  # fmt: skip
    service.record_incident(db, ACTOR, kind="violation", category="no_helmet", occurred_at=at,
                            lat=12.6745, lon=108.0475, area_code="24133", count=5)  # fmt: skip
    service.record_incident(db, ACTOR, kind="public_order", category="theft",
                            occurred_at=datetime(2026, 3, 10, 3, 0, tzinfo=UTC), lat=13.09, lon=109.30)  # fmt: skip
    service.change_incident_status(db, ACTOR, a, "handling")
    service.change_incident_status(db, ACTOR, a, "resolved")
    try:
        service.change_incident_status(db, ACTOR, a, "handling")
        raise AssertionError("resolved → handling is not allowed")
    except service.StError as exc:
        assert exc.field == "status"
    start = datetime(2026, 3, 8, 17, 0, tzinfo=UTC)  # 9/3 00:00 local
    items = service.incidents(db, start, clock.now())
    st = service.compute_stats(db, items, start, clock.now(), 7 * 3600)
    assert st.by_kind == {"accident": 1, "violation": 5, "public_order": 1}
    assert (st.dead, st.injured) == (1, 1)
    assert st.by_hour["violation"][7] == 5 and st.by_hour["public_order"][10] == 1
    assert st.by_day == ["2026-03-09", "2026-03-10"]
    assert st.by_day_counts["accident"] == [1, 0]
    by_area = {r["code"]: r for r in st.by_area}
    assert by_area["24133"]["total"] == 6
    assert sum(cell[2] for cell in st.heat) == 7


def test_traffic_page_map_and_exports(
    client: TestClient, make_user, factory: sessionmaker[Session]
) -> None:  # type: ignore[no-untyped-def]
    password = make_user("cs", role="leader")
    assert load_demo(factory, end=clock.now(), hours=72) > 1000
    assert load_demo(factory, end=clock.now(), hours=72) == 0  # idempotent
    with factory() as s:
        states = {x.code: x for x in congestion.segment_states(s, clock.now())}
        assert states["BMT-NTT-01"].level == "F"  # the demo's jam
        assert all(x.level for x in states.values())
        cams = service.camera_states(s, clock.now())
        assert sum(1 for c in cams if not c.online) == 1
    login(client, "cs", password)
    page = client.get("/traffic?days=7")
    assert page.status_code == 200
    assert "An ninh trật tự và giao thông" in page.text
    data = json.loads(re.search(r'id="st-map-data">(.*?)</script>', page.text, re.S).group(1))  # type: ignore[union-attr]
    features = data["segments"]["features"]
    assert len(features) == 9 and all(f["geometry"]["type"] == "LineString" for f in features)
    jam = next(f for f in features if f["id"] == "BMT-NTT-01")
    assert jam["properties"]["color"] == congestion.COLORS["F"]
    assert data["incidents"] and data["cameras"] and data["heat"]
    drill = client.get("/traffic?days=7&area=24133&kind=accident")
    assert drill.status_code == 200 and "Buôn Ma Thuột" in drill.text
    xlsx = client.get("/traffic/export?days=30&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    csv = client.get("/traffic/export?days=30&format=csv").content.decode("utf-8-sig")
    assert "Xã, phường" in csv.splitlines()[0]
    assert client.get("/traffic/export?format=pdf").status_code == 400
    geo = client.get("/api/v1/traffic/segments")
    assert geo.status_code == 200 and geo.json()["type"] == "FeatureCollection"
