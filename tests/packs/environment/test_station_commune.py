"""A station (created by the pack or through NGSI-LD) is filed under the commune of its point."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ioc.core import audit, auth
from ioc.core.models import Entity
from ioc.packs.environment import service
from ioc.packs.environment.service import StationError

SYSTEM = audit.Actor.system("test")
BMT, CU_YANG = "24133", "24406"
NOW = "2026-03-10T03:00:00Z"


def test_a_station_created_at_a_point_gets_its_commune(db: Session) -> None:
    station = service.upsert_station(
        db,
        SYSTEM,
        code="DL-GEO-01",
        name="Trạm thử",
        lat=12.6756,
        lon=108.05,
        area_code=CU_YANG,  # contradicted by the point: ignored
        agency_code=None,
    )
    assert station.area_code == BMT
    # Moved to Cư Yang: the commune follows the point.
    moved = service.upsert_station(
        db, SYSTEM, code="DL-GEO-01", name="Trạm thử", lat=12.86, lon=108.52, area_code=None,
        agency_code=None,
    )  # fmt: skip
    assert moved.area_code == CU_YANG
    with pytest.raises(StationError, match="lat/lon"):
        service.upsert_station(
            db, SYSTEM, code="DL-GEO-02", name="Ngoài tỉnh", lat=15.2, lon=108.8, area_code=None,
            agency_code=None,
        )  # fmt: skip
    db.rollback()


def test_an_ngsi_ld_entity_gets_the_commune_of_its_location(
    client: TestClient,
    factory: sessionmaker[Session],
    make_user,  # type: ignore[no-untyped-def]
) -> None:
    make_user("ngsi-geo", role="operator")
    with factory() as s, s.begin():
        token = auth.create_api_token(
            s, SYSTEM, owner_username="ngsi-geo", name="gw", scopes=["ingest", "manage"]
        ).secret
    doc = {
        "id": "urn:ngsi-ld:AirQualityObserved:DL-NGSI-GEO",
        "type": "AirQualityObserved",
        "dateObserved": {"type": "Property", "value": {"@type": "DateTime", "@value": NOW}},
        "location": {
            "type": "GeoProperty",
            "value": {"type": "Point", "coordinates": [108.05, 12.6756]},
        },
        "pm25": {"type": "Property", "value": 20.0, "unitCode": "GQ"},
    }
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    r = client.post("/ngsi-ld/v1/entities", content=json.dumps(doc), headers=headers)
    assert r.status_code == 201, r.text
    with factory() as s:
        code = s.execute(select(Entity.area_code).where(Entity.code == "DL-NGSI-GEO"))
        assert code.scalar_one() == BMT
