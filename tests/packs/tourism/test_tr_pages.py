"""Tourism pack: destinations and accommodation, plan vs actual from submitted figures, pages,
drill-down and exports."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from helpers import login
from ioc.core import audit, clock
from ioc.core.entities import EntityError
from ioc.core.models import Entity, Indicator
from ioc.core.series import SeriesResolver, write_observations
from ioc.engines.submissions.targets import set_target
from ioc.packs.tourism import demo, plan
from ioc.packs.tourism.places import upsert_place

NOW = datetime(2026, 3, 10, 5, 0, tzinfo=UTC)
OFFSET = 7 * 3600


def month(m: int, year: int = 2026) -> int:
    return int(datetime(year, m, 1, tzinfo=UTC).timestamp()) - OFFSET


@pytest.fixture
def now() -> Iterator[None]:
    clock.set_now(NOW)
    yield
    clock.set_now(None)


@pytest.fixture
def viewer(client: TestClient, make_user) -> TestClient:  # type: ignore[no-untyped-def]
    login(client, "lanh-dao", make_user("lanh-dao", role="leader"))
    return client


def test_plan_vs_actual_of_submitted_arrivals(factory: sessionmaker[Session], now: None) -> None:
    actor = audit.Actor.system("test")
    with factory() as s, s.begin():
        ind = s.execute(
            select(Indicator).where(Indicator.code == "tr_visitors_domestic")
        ).scalar_one()
        info = SeriesResolver(s).get(ind, "area", "66")
        rows = [
            (info.id, month(1), 600_000.0, 0),
            (info.id, month(2), 900_000.0, 0),
            (info.id, month(1, 2025), 500_000.0, 0),
            (info.id, month(2, 2025), 700_000.0, 0),
        ]
        write_observations(s, rows, {info.id: False}, OFFSET)
        set_target(s, actor, indicator=ind, area_code="66", year=2026, value=8_000_000.0)
    with factory() as s:
        table, chart = plan.plan_vs_actual(s, "66", NOW, "vi")
    [row] = [r for r in table.rows if r[0] == "Lượt khách du lịch nội địa"]
    # Through February: 1.5 M of 8 M = 18.75 %; same period 2025: 1.2 M (+25 %); February
    # alone 0.9 M. Visitors are counts: whole numbers.
    assert row[2] == "Tháng 02/2026"
    assert row[3:9] == [900_000, 1_500_000, 8_000_000, 18.8, 1_200_000, 25.0]
    assert all(type(v) is int for v in (row[3], row[4], row[5], row[7]))
    # Rated on the run-rate forecast: 1.5 M × 12 / 2 = 9 M ≥ 8 M.
    assert row[9] == "Đạt"
    assert chart["categories"][0] == "Lượt khách du lịch nội địa"
    assert chart["series"][0]["data"][0] == {"value": 18.8, "color": "#1b873f"}


def test_place_action_checks_type_kind_and_commune(factory: sessionmaker[Session]) -> None:
    actor = audit.Actor.system("test")
    with factory() as s, s.begin():
        with pytest.raises(EntityError, match="type"):
            upsert_place(
                s,
                actor,
                type="Museum",
                code="X",
                name="X",
                kind="culture",
                lat=None,
                lon=None,
                area_code="24133",
            )
        with pytest.raises(EntityError, match="kind"):
            upsert_place(
                s,
                actor,
                type="Accommodation",
                code="X",
                name="X",
                kind="beach",
                lat=None,
                lon=None,
                area_code="24133",
            )
        with pytest.raises(EntityError, match="area_code"):
            upsert_place(
                s,
                actor,
                type="TouristDestination",
                code="X",
                name="X",
                kind="beach",
                lat=None,
                lon=None,
                area_code="1",
            )


def test_demo_pages_drill_down_and_exports(
    factory: sessionmaker[Session], viewer: TestClient, now: None
) -> None:
    demo.load_demo(factory, end=NOW, hours=24 * 365)
    assert demo.load_demo(factory, end=NOW, hours=24 * 365) == 0
    with factory() as s:
        names = set(
            s.execute(
                select(Entity.name).where(Entity.type.in_(("TouristDestination", "Accommodation")))
            ).scalars()
        )
    assert {"Hồ Lắk", "Thác Dray Nur", "Gành Đá Đĩa", "Bãi Xép", "Khu du lịch Buôn Đôn"} <= names
    page = viewer.get("/tourism")
    assert page.status_code == 200
    assert "Khách quốc tế trong tháng" in page.text and "Gành Đá Đĩa" in page.text
    assert 'href="/tourism/communes/24580"' in page.text  # Hồ Lắk's commune
    commune = viewer.get("/tourism/communes/24580")
    assert commune.status_code == 200
    assert "Hồ Lắk" in commune.text and "Gành Đá Đĩa" not in commune.text
    sheet = load_workbook(io.BytesIO(viewer.get("/tourism/export/communes").content)).active
    assert sheet is not None
    rows = {r[0]: r for r in ([c.value for c in row] for row in sheet.iter_rows()) if r[0]}
    assert rows["24580"][2:5] == [1, 1, 30]  # Hồ Lắk; Lak Resort with 30 rooms
    assert rows["24121"][2:5] == [0, 0, 0]
    assert viewer.get("/tourism/communes/abc").status_code == 404
    assert viewer.get("/tourism/export/places?format=pdf").status_code == 422
