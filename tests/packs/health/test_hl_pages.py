"""Health pages, exports, facilities and the demo, through the application."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from helpers import login
from ioc.app import load_registry
from ioc.background import sync_rules
from ioc.core import audit, clock
from ioc.core.entities import EntityError
from ioc.core.models import AuditLog, Entity, Series
from ioc.engines.alerting.evaluate import evaluate_due
from ioc.engines.alerting.models import Alert, AlertRule
from ioc.packs.health import demo, facilities
from ioc.packs.health.pages import overview_tile

NOW = datetime(2026, 3, 10, 5, 0, tzinfo=UTC)


@pytest.fixture
def demo_data(factory: sessionmaker[Session]) -> None:
    clock.set_now(NOW)
    demo.load_demo(factory, end=NOW, hours=24 * 7 * 26)
    yield
    clock.set_now(None)


@pytest.fixture
def viewer(client: TestClient, make_user) -> TestClient:  # type: ignore[no-untyped-def]
    login(client, "lanh-dao", make_user("lanh-dao", role="leader"))
    return client


def test_pages_need_a_signed_in_user(client: TestClient) -> None:
    for path in (
        "/health",
        "/health/surveillance",
        "/health/communes/24169",
        "/health/export/communes",
    ):
        response = client.get(path, follow_redirects=False)
        assert response.status_code in (302, 303) and "/login" in response.headers["location"]


def test_demo_builds_facilities_and_raises_its_outbreak_alerts(
    factory: sessionmaker[Session], demo_data: None
) -> None:
    with factory() as s:
        names = set(
            s.execute(select(Entity.name).where(Entity.type == "MedicalFacility")).scalars()
        )
        newest = s.execute(select(func.max(Series.latest_ts))).scalar_one()
    assert "Bệnh viện Đa khoa vùng Tây Nguyên" in names
    assert "Bệnh viện Đa khoa tỉnh Phú Yên" in names
    assert "Trạm Y tế phường Ea Kao" in names
    assert len(names) > 100  # hospitals, medical centres and one health station per commune
    # Only complete weeks get cases: nothing is stamped in the running week (NOW is a Tuesday).
    assert newest is not None and datetime.fromtimestamp(newest, tz=UTC) < NOW - timedelta(days=1)
    assert demo.load_demo(factory, end=NOW, hours=24 * 7 * 26) == 0  # idempotent
    with factory() as s, s.begin():
        sync_rules(s, load_registry())
        for rule in s.execute(select(AlertRule).where(AlertRule.pack != "health")).scalars():
            rule.enabled = False
        evaluate_due(s, NOW, load_registry(), force=True)
    with factory() as s:
        alerted = {(a.labels["alertname"], a.area_code) for a in s.execute(select(Alert)).scalars()}
        tile = overview_tile(s, "vi")
    assert ("health.dengue_c2", "24169") in alerted
    assert ("health.hfmd_c2", "22015") in alerted
    assert ("health.measles_c2", "24211") in alerted
    assert tile.status == "alarm" and int(tile.figure) >= 3
    assert any("Sốt xuất huyết" in line for line in tile.lines)


def test_pages_show_figures_maps_drill_down_and_surveillance(
    viewer: TestClient, demo_data: None
) -> None:
    page = viewer.get("/health")
    assert page.status_code == 200
    text = page.text
    assert "Giường bệnh/10.000 dân" in text
    assert "Bệnh viện Đa khoa vùng Tây Nguyên" in text
    assert 'href="/health/communes/24169"' in text
    assert 'data-sector-map="communes-map-data"' in text
    assert "Phường Ea Kao" in text and "CẢNH BÁO" in text  # the dengue outbreak is flagged
    commune = viewer.get("/health/communes/24169")
    assert commune.status_code == 200
    assert "Trạm Y tế phường Ea Kao" in commune.text
    assert "Toàn tỉnh Đắk Lắk" in commune.text  # breadcrumb back to the province

    # Surveillance: the alarming commune comes first, with the C2 threshold on the charts.
    page = viewer.get("/health/surveillance?disease=dengue")
    assert page.status_code == 200
    table = page.text.split("<tbody>", 1)[1]
    first_row = table.split("</tr>", 1)[0]
    assert "Phường Ea Kao" in first_row and "CẢNH BÁO" in first_row
    assert "Ngưỡng cảnh báo C2" in page.text  # the threshold line of the charts
    english = viewer.get("/health/surveillance?disease=measles&lang=en")
    assert "Xã Ea Súp" in english.text and "EARS by commune" in english.text


def test_bad_input_is_refused_with_the_field_named(viewer: TestClient) -> None:
    response = viewer.get("/health/surveillance?disease=cholera")
    assert response.status_code == 422 and "disease" in response.text
    assert viewer.get("/health/communes/99999").status_code == 404
    assert viewer.get("/health/export/communes?format=pdf").status_code == 422
    assert viewer.get("/health/export/nothing").status_code == 404


def test_tables_export_to_xlsx_and_csv(viewer: TestClient, demo_data: None) -> None:
    response = viewer.get("/health/export/surveillance?disease=dengue")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    header = next(i for i, r in enumerate(rows) if r[0] == "Mã")
    first = rows[header + 1]
    assert first[:2] == ["24169", "Phường Ea Kao"] and first[3] == 16  # cases last week
    csv = viewer.get("/health/export/facilities?format=csv&commune=24169")
    assert csv.status_code == 200
    body = csv.content.decode("utf-8-sig")
    assert "TYT-24169" in body and "Bệnh viện Đa khoa tỉnh Phú Yên" not in body
    communes = viewer.get("/health/export/communes?format=csv").content.decode("utf-8-sig")
    assert communes.count("\n") == 102 + 1  # header and every commune


def test_facility_action_checks_commune_and_kind_and_audits(
    factory: sessionmaker[Session],
) -> None:
    actor = audit.Actor.system("test")
    with factory() as s, s.begin():
        with pytest.raises(EntityError, match="area_code"):
            facilities.upsert_facility(
                s,
                actor,
                code="X1",
                name="X",
                kind="hospital",
                lat=12.6,
                lon=108.0,
                area_code="00000",
            )
        with pytest.raises(EntityError, match="kind"):
            facilities.upsert_facility(
                s, actor, code="X1", name="X", kind="spa", lat=12.6, lon=108.0, area_code="24169"
            )
        facilities.upsert_facility(
            s,
            actor,
            code="X1",
            name="Phòng khám X",
            kind="private",
            lat=12.625,  # in phường Ea Kao
            lon=108.07,
            area_code="24169",
        )
        # Moved to phường Buôn Ma Thuột: the commune follows the point.
        facilities.upsert_facility(
            s,
            actor,
            code="X1",
            name="Phòng khám X",
            kind="private",
            lat=12.6756,
            lon=108.05,
            area_code="24169",
        )
    with factory() as s:
        [found] = facilities.facilities(s, "24133")
        assert found.code == "X1" and found.kind == "private"
        assert facilities.facilities(s, "24169") == []
        assert s.execute(select(func.count()).select_from(AuditLog)).scalar_one() >= 3


def test_tile_without_case_data_claims_nothing(factory: sessionmaker[Session]) -> None:
    with factory() as s:
        tile = overview_tile(s, "vi")
    assert (tile.figure, tile.status) == ("—", "none")
