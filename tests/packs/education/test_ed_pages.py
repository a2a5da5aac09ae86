"""Education pack: schools as entities, pupils per teacher, pages, drill-down and exports."""

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
from ioc.packs.education import demo, queries
from ioc.packs.education.schools import upsert_school

NOW = datetime(2026, 3, 10, 5, 0, tzinfo=UTC)
FEB = int(datetime(2026, 2, 1, tzinfo=UTC).timestamp()) - 7 * 3600  # local 01/02/2026


@pytest.fixture
def now() -> Iterator[None]:
    clock.set_now(NOW)
    yield
    clock.set_now(None)


@pytest.fixture
def viewer(client: TestClient, make_user) -> TestClient:  # type: ignore[no-untyped-def]
    login(client, "lanh-dao", make_user("lanh-dao", role="leader"))
    return client


def put(session: Session, code: str, figures: dict[str, float], ts: int = FEB) -> None:
    resolver = SeriesResolver(session)
    rows, label_end = [], {}
    for indicator, value in figures.items():
        ind = session.execute(select(Indicator).where(Indicator.code == indicator)).scalar_one()
        info = resolver.get(ind, "entity", code)
        rows.append((info.id, ts, value, 0))
        label_end[info.id] = False
    write_observations(session, rows, label_end, 7 * 3600)


def test_pupils_per_teacher_and_attendance_by_commune(
    factory: sessionmaker[Session], now: None
) -> None:
    actor = audit.Actor.system("test")
    with factory() as s, s.begin():
        for code, kind in (("TH-A", "primary"), ("THCS-B", "lower_secondary")):
            upsert_school(
                s,
                actor,
                code=code,
                name=f"Trường {code}",
                kind=kind,
                lat=12.6745,  # in phường Buôn Ma Thuột
                lon=108.0475,
                area_code="24133",
            )
        put(s, "TH-A", {"ed_pupils": 800, "ed_teachers": 40, "ed_attendance": 96.0})
        put(s, "THCS-B", {"ed_pupils": 400, "ed_teachers": 25, "ed_attendance": 90.0})
    with factory() as s:
        data = queries.overview(s, int(NOW.timestamp()), "vi")
    row = next(r for r in data.communes.rows if r[0] == "24133")
    # 1,200 pupils / 65 teachers; attendance weighted by pupils: (800×96 + 400×90) / 1,200.
    assert row[2:6] == [2, 1200, 65, round(1200 / 65, 1)]
    assert row[6] == pytest.approx(94.0)
    kpis = {k.label: k.value for k in data.kpis}
    assert kpis["Học sinh/giáo viên"] == "18,5"
    assert kpis["Chuyên cần tháng gần nhất"] == "94,0"
    empty = next(r for r in data.communes.rows if r[0] == "22015")
    assert empty[2:6] == [0, 0, 0, None]  # no school: no ratio rather than a division by zero


def test_school_action_refuses_bad_level_and_commune(factory: sessionmaker[Session]) -> None:
    actor = audit.Actor.system("test")
    with factory() as s, s.begin():
        with pytest.raises(EntityError, match="kind"):
            upsert_school(
                s,
                actor,
                code="X",
                name="X",
                kind="university",
                lat=None,
                lon=None,
                area_code="24133",
            )
        with pytest.raises(EntityError, match="area_code"):
            upsert_school(
                s,
                actor,
                code="X",
                name="X",
                kind="primary",
                lat=None,
                lon=None,
                area_code="99999",
            )


def test_demo_pages_drill_down_and_exports(
    factory: sessionmaker[Session], viewer: TestClient, now: None
) -> None:
    demo.load_demo(factory, end=NOW, hours=24 * 365)
    assert demo.load_demo(factory, end=NOW, hours=24 * 365) == 0
    with factory() as s:
        names = set(s.execute(select(Entity.name).where(Entity.type == "School")).scalars())
    assert "Trường THPT Chuyên Nguyễn Du" in names
    assert "Trường THPT Chuyên Lương Văn Chánh" in names
    page = viewer.get("/education")
    assert page.status_code == 200
    assert "Học sinh/giáo viên" in page.text and "Thực hiện so với kế hoạch năm" in page.text
    assert 'href="/education/communes/24133"' in page.text
    commune = viewer.get("/education/communes/24133")
    assert commune.status_code == 200
    assert "Trường Tiểu học Buôn Ma Thuột" in commune.text
    assert "Trường Tiểu học Tuy Hòa" not in commune.text
    # Plan vs actual: 2025's submitted figures against 2025's targets.
    plan = load_workbook(io.BytesIO(viewer.get("/education/export/plan").content)).active
    assert plan is not None
    rows = {r[0]: r for r in ([c.value for c in row] for row in plan.iter_rows()) if r[0]}
    lower = rows["Tỷ lệ trẻ 11–14 tuổi đi học THCS"]
    assert lower[3:6] == [94.6, 95.0, round(94.6 / 95.0 * 100, 1)]
    schools = viewer.get("/education/export/schools?format=csv&commune=24133")
    body = schools.content.decode("utf-8-sig")
    assert "THPT-CNGUYENDU" in body and "TH-22015" not in body


def test_bad_input_and_anonymous_access(client: TestClient, viewer: TestClient) -> None:
    assert viewer.get("/education/communes/12345").status_code == 404
    assert viewer.get("/education/export/schools?format=ods").status_code == 422
    assert viewer.get("/education/export/grades").status_code == 404
    viewer.cookies.clear()
    response = viewer.get("/education", follow_redirects=False)
    assert response.status_code in (302, 303) and "/login" in response.headers["location"]
