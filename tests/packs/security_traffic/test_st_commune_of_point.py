"""Cameras and incidents are filed under the commune of their point; a commune clerk's
incident is owner-checked against that commune, not against the code it sends."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ioc.core import audit, auth
from ioc.packs.security_traffic import service
from ioc.packs.security_traffic.models import StIncident

ACTOR = audit.Actor.system("test")
BMT, TAN_LAP, CU_YANG = "24133", "24121", "24406"
IN_BMT = (12.6756, 108.05)
IN_TAN_LAP = (12.678, 108.028)


def test_camera_and_incident_take_the_commune_of_their_point(
    db: Session, frozen_now: datetime
) -> None:
    cam = service.upsert_camera(
        db, ACTOR, code="CAM-G", name="Cam", lat=IN_BMT[0], lon=IN_BMT[1],
        agency_code=None, area_code=CU_YANG,
    )  # fmt: skip
    assert cam.area_code == BMT
    at = datetime(2026, 3, 9, 1, 0, tzinfo=UTC)
    placed = service.record_incident(
        db, ACTOR, kind="accident", category="collision", occurred_at=at,
        lat=IN_BMT[0], lon=IN_BMT[1], area_code=CU_YANG,
    )  # fmt: skip
    assert placed.area_code == BMT
    named = service.record_incident(
        db, ACTOR, kind="accident", category="collision", occurred_at=at,
        lat=None, lon=None, area_code=CU_YANG,
    )  # fmt: skip
    assert named.area_code == CU_YANG  # no point: the code sent stays
    with pytest.raises(service.StError) as caught:
        service.record_incident(
            db, ACTOR, kind="accident", category="collision", occurred_at=at,
            lat=15.2, lon=108.8,
        )  # fmt: skip
    assert caught.value.field == "lat" and "ngoài địa bàn" in caught.value.message
    db.rollback()


def test_a_commune_clerk_cannot_file_another_communes_incident_under_its_own_code(
    client: TestClient,
    factory: sessionmaker[Session],
    make_user,
    frozen_now: datetime,  # type: ignore[no-untyped-def]
) -> None:
    make_user("can.bo.tan.lap", role="agency_staff", agency=f"ubnd-{TAN_LAP}")
    with factory() as s, s.begin():
        token = auth.create_api_token(
            s, ACTOR, owner_username="can.bo.tan.lap", name="t", scopes=["ingest"]
        ).secret
    headers = {"Authorization": f"Bearer {token}"}
    item = {"kind": "accident", "category": "collision", "time": "2026-03-10T09:00:00+07:00"}
    elsewhere = {**item, "lat": IN_BMT[0], "lon": IN_BMT[1], "area": TAN_LAP}
    r = client.post("/api/v1/traffic/incidents", json={"incidents": [elsewhere]}, headers=headers)
    assert r.status_code == 403, r.text
    own = {**item, "lat": IN_TAN_LAP[0], "lon": IN_TAN_LAP[1], "area": TAN_LAP}
    r = client.post("/api/v1/traffic/incidents", json={"incidents": [own]}, headers=headers)
    assert r.status_code == 200, r.text
    with factory() as s:
        assert s.execute(select(StIncident.area_code)).scalars().all() == [TAN_LAP]
