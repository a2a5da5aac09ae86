"""The catalog a batch is validated against is the database's as it is now: the indicators,
entity codes and area codes built for one batch are reused by the next only when the rows they
were built from are unchanged, so a station added or deactivated, or an indicator's bounds
edited, by any process, is seen by the very next batch."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from ioc.app import load_registry
from ioc.core import audit
from ioc.core.registry import Registry
from ioc.engines.ingestion import service
from ioc.engines.ingestion.parse import RawRow
from ioc.packs.environment import service as env_service

ROW = {"indicator": "pm25", "time": "2026-03-10T08:00:00+07:00", "value": 21.5}


@pytest.fixture(scope="module")
def registry() -> Registry:
    return load_registry()


@pytest.fixture
def pm25_bounds(factory: sessionmaker[Session]) -> Iterator[None]:
    """Restore pm25's bounds after the test (indicators are reference data, kept between
    tests)."""
    with factory() as s:
        lo, hi = s.execute(
            text("SELECT min_value, max_value FROM indicators WHERE code = 'pm25'")
        ).one()
    yield
    with factory() as s, s.begin():
        s.execute(
            text("UPDATE indicators SET min_value = :lo, max_value = :hi WHERE code = 'pm25'"),
            {"lo": lo, "hi": hi},
        )


def _send(
    factory: sessionmaker[Session], registry: Registry, entity: str, value: float = 21.5
) -> service.IngestReport:
    rows = [RawRow(1, {**ROW, "entity": entity, "value": value})]
    with factory() as s, s.begin():
        return service.ingest(s, rows, registry=registry, offset=7 * 3600)


def _codes(report: service.IngestReport) -> list[str]:
    return [e.code for e in report.errors]


def _station(factory: sessionmaker[Session], code: str) -> None:
    with factory() as s, s.begin():
        env_service.upsert_station(
            s,
            audit.Actor.system("test"),
            code=code,
            name=code,
            lat=12.6745,
            lon=108.0475,
            area_code="24133",
            agency_code="so-nong-nghiep-moi-truong",
        )


def test_next_batch_sees_stations_added_and_deactivated(
    factory: sessionmaker[Session], registry: Registry
) -> None:
    _station(factory, "DL-LK-01")
    assert _send(factory, registry, "DL-LK-01").stored == 1
    assert _codes(_send(factory, registry, "DL-LK-02")) == ["unknown_entity"]
    _station(factory, "DL-LK-02")
    assert _send(factory, registry, "DL-LK-02").stored == 1
    with factory() as s, s.begin():
        s.execute(text("UPDATE entities SET active = false WHERE code = 'DL-LK-01'"))
    assert _codes(_send(factory, registry, "DL-LK-01")) == ["unknown_entity"]
    with factory() as s, s.begin():
        s.execute(text("UPDATE entities SET active = true WHERE code = 'DL-LK-01'"))
    assert _send(factory, registry, "DL-LK-01").stored == 1


def test_next_batch_sees_an_indicator_edited(
    factory: sessionmaker[Session], registry: Registry, pm25_bounds: None
) -> None:
    _station(factory, "DL-LK-03")
    assert _send(factory, registry, "DL-LK-03", 21.5).stored == 1
    with factory() as s, s.begin():
        s.execute(text("UPDATE indicators SET max_value = 20 WHERE code = 'pm25'"))
    report = _send(factory, registry, "DL-LK-03", 21.5)
    assert _codes(report) == ["out_of_range"]
    assert report.errors[0].message_en.endswith("– 20")


def test_unchanged_catalog_is_reused_and_outlives_the_session(
    factory: sessionmaker[Session], registry: Registry
) -> None:
    with factory() as s:
        first = service.load_lookups(s, registry)
    with factory() as s:
        again = service.load_lookups(s, registry)
    assert again.indicators is first.indicators
    assert again.entity_codes is first.entity_codes
    # Not tied to a session: readable after both sessions are closed.
    assert first.indicators["pm25"].unit == again.indicators["pm25"].unit
