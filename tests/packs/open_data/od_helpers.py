"""Builders of the open-data tests: hand-made series with observations."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from helpers import login
from ioc.core import clock
from ioc.core.models import Entity, Indicator, Series
from ioc.core.series import write_observations


def station(db: Session, code: str, *, lat: float = 12.6745, lon: float = 108.0475) -> Entity:
    """An air station entity (environment pack) in phường Buôn Ma Thuột."""
    e = Entity(
        code=code,
        type="AirQualityStation",
        pack="environment",
        name=f"Trạm {code}",
        name_folded=f"tram {code.lower()}",
        lat=lat,
        lon=lon,
        area_code="24133",
        agency_code="so-nong-nghiep-moi-truong",
        attributes={},
        active=True,
    )
    db.add(e)
    db.flush()
    return e


def series(db: Session, indicator: str, kind: str, subject: str) -> Series:
    """The series (indicator, subject), created."""
    ind = db.execute(select(Indicator).where(Indicator.code == indicator)).scalar_one()
    s = Series(indicator_id=ind.id, subject_kind=kind, subject_code=subject)
    db.add(s)
    db.flush()
    return s


def write(db: Session, s: Series, rows: list[tuple[int, float, int]], *, end: bool = True) -> None:
    """Store ``(ts, value, quality)`` rows of ``s`` with rollups."""
    write_observations(
        db,
        [(s.id, ts, value, q) for ts, value, q in rows],
        {s.id: end},
        clock.fixed_offset_seconds(),
        notify=False,
    )
    db.flush()


def operator_client(
    client: TestClient,
    make_user: Any,
    role: str = "operator",
    agency: str | None = None,
    name: str = "od-op",
) -> TestClient:
    """``client`` signed in as a new user of ``role``."""
    password = make_user(name, role=role, agency=agency)
    resp = login(client, name, password)
    assert getattr(resp, "status_code", 0) in (302, 303)
    return client
