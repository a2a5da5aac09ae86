"""NGSI-LD batch upsert written as one set (issue 18): units converted, every reading of the
request validated in one pass, each entity kept or refused as a whole, the readings of the
kept entities stored in one write (one audit row), and a refused entity leaving nothing
behind, not even a series."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ioc.core import audit, auth
from ioc.core.models import AuditLog, Entity, Indicator, Series
from ioc.packs.environment.aqi import to_ugm3

BASE = "/ngsi-ld/v1"
TYPE = "AirQualityObserved"
ERR = "https://uri.etsi.org/ngsi-ld/errors/"
WHEN = "2026-03-10T03:00:00Z"


def urn(code: str) -> str:
    return f"urn:ngsi-ld:{TYPE}:{code}"


def _token(factory: sessionmaker[Session], make_user: Any, name: str, scopes: list[str]) -> str:
    make_user(name, role="operator")
    with factory() as session, session.begin():
        return auth.create_api_token(
            session, audit.Actor.system("test"), owner_username=name, name=name, scopes=scopes
        ).secret


@pytest.fixture
def token(factory: sessionmaker[Session], make_user: Any) -> str:
    """A gateway that may create entities (ingest + manage)."""
    return _token(factory, make_user, "ngsi-batch", ["ingest", "view", "manage"])


def station(
    code: str, when: str = WHEN, **readings: tuple[float | str, str | None]
) -> dict[str, Any]:
    """An AirQualityObserved entity; each reading is (value, unitCode or None)."""
    doc: dict[str, Any] = {
        "id": urn(code),
        "type": TYPE,
        "dateObserved": {"type": "Property", "value": {"@type": "DateTime", "@value": when}},
        "location": {
            "type": "GeoProperty",
            "value": {"type": "Point", "coordinates": [108.05, 12.68]},
        },
    }
    for attr, (value, unit) in readings.items():
        doc[attr] = {"type": "Property", "value": value}
        if unit is not None:
            doc[attr]["unitCode"] = unit
    return doc


def upsert(client: TestClient, token: str, docs: list[dict[str, Any]]) -> Any:
    return client.post(
        f"{BASE}/entityOperations/upsert",
        params={"options": "update"},
        content=json.dumps(docs),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )


def latest(session: Session, code: str) -> dict[str, float | None]:
    """{indicator code: latest value} of the measured (not derived) series of ``code``."""
    rows = session.execute(
        select(Indicator.code, Series.latest_value)
        .join(Indicator, Indicator.id == Series.indicator_id)
        .where(
            Series.subject_kind == "entity",
            Series.subject_code == code,
            Indicator.derived.is_(False),
        )
    ).all()
    return dict(rows)


def ingest_audits(session: Session) -> list[dict[str, Any]]:
    return [
        a.detail
        for a in session.execute(
            select(AuditLog).where(AuditLog.action == "observations.ingest").order_by(AuditLog.id)
        ).scalars()
    ]


def test_units_converted_and_bad_entities_refused_as_a_whole(
    client: TestClient, token: str, factory: sessionmaker[Session]
) -> None:
    docs = [
        station("SET-1", pm25=(20.0, "GQ"), co=(1.2, "GP")),  # CO sent in mg/m³
        station("SET-2", pm25=(30.0, "GQ"), so2=(10.0, "61")),  # SO₂ sent in ppb
        station("SET-3", pm25=(25.0, "59"), no2=(12.0, None)),  # ppm is meaningless for PM
        station("SET-4", pm25=(10.0, None), pm10=(1.0e7, None)),  # beyond any plausible value
        station("SET-5", pm25=(15.0, None), o3=("nhiều", None)),  # not a number
    ]
    r = upsert(client, token, docs)
    assert r.status_code == 207, r.text
    body = r.json()
    assert sorted(body["success"]) == [urn("SET-1"), urn("SET-2")]
    errors = {e["entityId"]: e["error"] for e in body["errors"]}
    assert set(errors) == {urn("SET-3"), urn("SET-4"), urn("SET-5")}
    assert all(e["type"] == ERR + "BadRequestData" for e in errors.values())
    # Each error names the attribute (and the member) at fault, and only that one.
    assert errors[urn("SET-3")]["detail"].startswith("pm25.unit:")
    assert "no2" not in errors[urn("SET-3")]["detail"]
    assert errors[urn("SET-4")]["detail"].startswith("pm10:")
    assert errors[urn("SET-5")]["detail"].startswith("o3:")
    with factory() as s:
        one = latest(s, "SET-1")
        assert one["pm25"] == 20.0
        assert one["co"] == pytest.approx(to_ugm3("co", 1.2, "mg/m3"))
        assert latest(s, "SET-2")["so2"] == pytest.approx(to_ugm3("so2", 10.0, "ppb"))
        # A refused entity leaves nothing behind: no station, no series, not even for its
        # good readings (no2 of SET-3, pm25 of SET-4 and SET-5).
        for code in ("SET-3", "SET-4", "SET-5"):
            assert s.execute(select(Entity).where(Entity.code == code)).first() is None
            assert latest(s, code) == {}
        # The kept readings were stored as one batch: one audit row for the request.
        audits = ingest_audits(s)
        assert len(audits) == 1
        assert audits[0]["source"] == "ngsi-ld" and audits[0]["stored"] == 4


def test_a_refused_new_entity_leaves_no_series_beside_a_stored_one(
    client: TestClient, token: str, factory: sessionmaker[Session], make_user: Any
) -> None:
    """A token without ``manage`` may send readings of an existing station but may not create
    one: in the same batch, the existing station's readings are stored (a new series too) and
    the new entity is refused (403) without a series or a station."""
    assert upsert(client, token, [station("OLD-1", pm25=(20.0, None))]).status_code == 201
    sensor = _token(factory, make_user, "sensor-only", ["ingest", "view"])
    docs = [
        {
            "id": urn("OLD-1"),
            "type": TYPE,
            "dateObserved": "2026-03-10T04:00:00Z",
            "pm25": 21.0,
            "pm10": 40.0,  # a series OLD-1 does not have yet
        },
        {"id": urn("NEW-1"), "type": TYPE, "dateObserved": "2026-03-10T04:00:00Z", "pm25": 5.0},
    ]
    r = upsert(client, sensor, docs)
    assert r.status_code == 207, r.text
    body = r.json()
    assert body["success"] == [urn("OLD-1")]
    assert [(e["entityId"], e["error"]["status"]) for e in body["errors"]] == [(urn("NEW-1"), 403)]
    with factory() as s:
        assert latest(s, "OLD-1") == {"pm25": 21.0, "pm10": 40.0}
        assert latest(s, "NEW-1") == {}
        assert (
            s.execute(
                select(func.count()).select_from(Entity).where(Entity.code == "NEW-1")
            ).scalar()
            == 0
        )


def test_a_large_batch_is_one_write_and_an_update_of_it_is_another(
    client: TestClient, token: str, factory: sessionmaker[Session]
) -> None:
    """300 stations × 2 readings: created, then updated an hour later; each request is one
    audit row of all its readings, and every station shows its latest values."""
    n = 300
    first = [station(f"BIG-{i:03d}", pm25=(10.0 + i % 50, None), co=(0.5, "GP")) for i in range(n)]
    r = upsert(client, token, first)
    assert r.status_code == 201, r.text
    assert len(r.json()) == n
    later = [
        station(f"BIG-{i:03d}", "2026-03-10T04:00:00Z", pm25=(60.0 - i % 50, None), co=(0.7, "GP"))
        for i in range(n)
    ]
    assert upsert(client, token, later).status_code == 204
    with factory() as s:
        assert [a["stored"] for a in ingest_audits(s)] == [2 * n, 2 * n]
        for i in (0, 17, n - 1):
            values = latest(s, f"BIG-{i:03d}")
            assert values["pm25"] == 60.0 - i % 50
            assert values["co"] == pytest.approx(to_ugm3("co", 0.7, "mg/m3"))


def test_upserts_keep_system_times_deletion_and_geometry(
    client: TestClient, token: str, factory: sessionmaker[Session]
) -> None:
    """What a batch upsert writes on the ``ngsi_entities`` row of a station, batch after batch:
    ``modifiedAt`` moves to each write while ``createdAt`` stays; a deleted entity upserted again
    is created anew (201, new ``createdAt``); a non-Point location is kept until another one is
    sent."""
    from datetime import UTC, datetime, timedelta

    from ioc.core import clock
    from ioc.engines.ngsi_ld.models import NgsiEntity

    auth_only = {"Authorization": f"Bearer {token}"}
    t0 = datetime(2026, 3, 10, 5, 0, tzinfo=UTC)

    def sys_times(code: str) -> tuple[str, str]:
        r = client.get(f"{BASE}/entities/{urn(code)}?options=sysAttrs", headers=auth_only)
        assert r.status_code == 200, r.text
        return r.json()["createdAt"], r.json()["modifiedAt"]

    polygon = {
        "type": "Polygon",
        "coordinates": [[[108.0, 12.6], [108.1, 12.6], [108.1, 12.7], [108.0, 12.6]]],
    }
    try:
        clock.set_now(t0)
        area = station("SYS-2", pm25=(12.0, None))
        area["location"] = {"type": "GeoProperty", "value": polygon}
        first = upsert(client, token, [station("SYS-1", pm25=(10.0, None)), area])
        assert first.status_code == 201, first.text
        assert sys_times("SYS-1") == ("2026-03-10T05:00:00Z", "2026-03-10T05:00:00Z")

        clock.set_now(t0 + timedelta(hours=1))
        later = [
            station("SYS-1", "2026-03-10T04:00:00Z", pm25=(11.0, None)),
            {"id": urn("SYS-2"), "type": TYPE, "dateObserved": WHEN, "pm25": 13.0},
        ]
        assert upsert(client, token, later).status_code == 204
        assert sys_times("SYS-1") == ("2026-03-10T05:00:00Z", "2026-03-10T06:00:00Z")
        assert sys_times("SYS-2") == ("2026-03-10T05:00:00Z", "2026-03-10T06:00:00Z")
        shown = client.get(f"{BASE}/entities/{urn('SYS-2')}", headers=auth_only).json()
        assert shown["location"]["value"] == polygon  # not sent again: kept

        clock.set_now(t0 + timedelta(hours=2))
        gone = client.post(
            f"{BASE}/entityOperations/delete",
            content=json.dumps([urn("SYS-1")]),
            headers={**auth_only, "Content-Type": "application/json"},
        )
        assert gone.status_code == 204, gone.text
        clock.set_now(t0 + timedelta(hours=3))
        again = upsert(client, token, [station("SYS-1", "2026-03-10T07:00:00Z", pm25=(9.0, None))])
        assert again.status_code == 201, again.text
        assert again.json() == [urn("SYS-1")]
        assert sys_times("SYS-1") == ("2026-03-10T08:00:00Z", "2026-03-10T08:00:00Z")
        with factory() as s:
            row = s.execute(
                select(NgsiEntity).where(NgsiEntity.entity_id == urn("SYS-1"))
            ).scalar_one()
            assert row.deleted_at is None
            assert row.modified_at == int((t0 + timedelta(hours=3)).timestamp())
    finally:
        clock.set_now(None)
