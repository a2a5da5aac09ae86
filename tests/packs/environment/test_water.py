"""Water stations, the lab-results XLSX template and import, and VN_WQI derived after ingestion."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from helpers import login
from ioc.app import load_registry
from ioc.core import audit
from ioc.core.models import Entity, Indicator, Observation, Series
from ioc.core.registry import Registry
from ioc.engines.derive import run_pending
from ioc.engines.ingestion.parse import PayloadError, RawRow
from ioc.engines.ingestion.service import ingest
from ioc.packs.environment import water
from ioc.packs.environment.service import StationError
from ioc.packs.environment.wqi import WqiPolicy, vn_wqi

OFFSET = 7 * 3600
ACTOR = audit.Actor.system("test")
LAB = "DL-NM-01"
AUTO = "DL-NM-AUTO"


@pytest.fixture(scope="module")
def registry() -> Registry:
    return load_registry()


def make_station(factory: sessionmaker[Session], code: str = LAB, kind: str = "lab") -> str:
    with factory() as session, session.begin():
        water.upsert_water_station(
            session,
            ACTOR,
            code=code,
            name="Sông Sêrêpốk - cầu 14",
            lat=12.70,
            lon=107.98,
            area_code="24133",
            agency_code="so-nong-nghiep-moi-truong",
            waterbody="Sông Sêrêpốk",
            kind=kind,  # type: ignore[arg-type]
        )
    return code


def fill_template(rows: list[dict[str, Any]]) -> bytes:
    """The template with ``rows`` written under the header (by column code)."""
    workbook = load_workbook(io.BytesIO(water.xlsx_template()))
    sheet = workbook[water.RESULTS_SHEET]
    header = [c.value for c in sheet[1]]
    for row in rows:
        sheet.append([row.get(str(h)) for h in header])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def wqi_values(session: Session, station_code: str) -> dict[int, tuple[float, int]]:
    """Stored vn_wqi observations of a station: ``{ts: (value, quality)}``."""
    rows = session.execute(
        select(Observation.ts, Observation.value, Observation.quality)
        .join(Series, Series.id == Observation.series_id)
        .join(Indicator, Indicator.id == Series.indicator_id)
        .where(Indicator.code == "vn_wqi", Series.subject_code == station_code)
    ).all()
    return {ts: (value, quality) for ts, value, quality in rows}


def ts_of(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp())


# Sample 1 (row 2): every group; by hand (see test_wqi.SAMPLE): 0.8·√(68.75·25) = 33.17 → 33.
SAMPLE_1 = {
    "w_ph": 7.2,
    "w_aldrin": 0.05,
    "w_ddts": 0.5,
    "w_as": 0.005,
    "w_cu": 0.332,
    "w_bod5": 5,
    "w_cod": 40,
    "w_nh4": 0.45,
    "w_po4": 0.15,
    "w_coliform": 10000,
    "w_ecoli": 200,
    "w_tss": 20,
}
# Sample 2 (row 3): pH "abc" is refused; the rest is kept. Without pH: groups III, IV, V.
#   III: Cu 0.1 → 100
#   IV:  DO 6.5 at 25 °C → DO% 79.504 → 83.6621; BOD5 5 → 87.5; COD 12.5 → 87.5 → 86.2207
#   V:   Coliform 3000 → 100 − 25·500/2500 = 95
#   Formula 3: √(86.2207·95) = √8190.97 = 90.504 → 91 (Rất tốt)
SAMPLE_2 = {
    "w_ph": "abc",
    "w_temp": 25,
    "w_do": 6.5,
    "w_bod5": 5,
    "w_cod": "12,5",  # decimal comma, as Vietnamese spreadsheets write it
    "w_cu": 0.1,
    "w_coliform": 3000,
}
TIME_1 = "2026-03-10T09:00:00+07:00"
TIME_2 = "2026-03-11T09:30:00+07:00"


def test_template_layout() -> None:
    workbook = load_workbook(io.BytesIO(water.xlsx_template()))
    assert workbook.sheetnames == ["Ket_qua", "Huong_dan"]
    header = [c.value for c in workbook["Ket_qua"][1]]
    assert header[:5] == ["station", "time", "w_ph", "w_temp", "w_do"]
    assert {"w_coliform", "w_ecoli", "w_as", "w_hg", "w_aldrin", "w_heptachlor"} <= set(header)
    assert "vn_wqi" not in header  # derived, never imported
    assert workbook["Ket_qua"].max_row == 1  # no example row that could be imported by mistake
    guide = [
        [c for c in row if c is not None]
        for row in workbook["Huong_dan"].iter_rows(values_only=True)
    ]
    text = " ".join(str(c) for row in guide for c in row)
    assert "2026-03-10T09:00:00+07:00" in text
    units = {row[0]: row[2] for row in guide if len(row) >= 3 and str(row[0]).startswith("w_")}
    assert units["w_coliform"] == "MPN/100mL"
    assert units["w_aldrin"] == "µg/L"
    assert units["w_bod5"] == "mg/L"


def test_import_two_samples_then_vn_wqi_is_derived(
    factory: sessionmaker[Session], registry: Registry
) -> None:
    make_station(factory)
    body = fill_template(
        [
            {"station": LAB, "time": TIME_1, **SAMPLE_1},
            {"station": LAB, "time": TIME_2, **SAMPLE_2},
        ]
    )
    with factory() as session, session.begin():
        report = water.import_wide_xlsx(
            session, body, registry=registry, offset=OFFSET, actor=ACTOR
        )
    assert report.rows == 2
    assert report.received == len(SAMPLE_1) + len(SAMPLE_2)
    assert report.stored == report.received - 1
    assert [(e.row, e.column, e.code) for e in report.errors] == [(3, "w_ph", "bad_number")]
    assert "số" in report.errors[0].message  # Vietnamese message from the ingestion engine

    run_pending(factory)
    expected_1 = vn_wqi({k: float(v) for k, v in SAMPLE_1.items()})
    expected_2 = vn_wqi(
        {"temp": 25, "do": 6.5, "bod5": 5, "cod": 12.5, "cu": 0.1, "coliform": 3000}
    )
    assert expected_1 is not None and expected_2 is not None
    assert (expected_1.wqi, expected_2.wqi) == (33, 91)  # by hand, see SAMPLE_1 / SAMPLE_2
    with factory() as session:
        stored = wqi_values(session, LAB)
    assert stored == {ts_of(TIME_1): (33.0, 0), ts_of(TIME_2): (91.0, 0)}


def test_import_reports_station_and_time_once_per_row(
    factory: sessionmaker[Session], registry: Registry
) -> None:
    make_station(factory)
    body = fill_template(
        [
            {"station": "KHONG-CO", "time": TIME_1, "w_ph": 7, "w_bod5": 5},
            {"station": LAB, "time": "10/03/2026 09:00", "w_ph": 7, "w_bod5": 5},
            {"station": LAB, "time": TIME_1},
            {"station": LAB, "time": "2026-03-10T09:00:00", "w_cod": 12},
        ]
    )
    with factory() as session, session.begin():
        report = water.import_wide_xlsx(
            session, body, registry=registry, offset=OFFSET, actor=ACTOR
        )
    assert report.stored == 0
    assert [(e.row, e.column, e.code) for e in report.errors] == [
        (2, "station", "unknown_entity"),
        (3, "time", "bad_time"),
        (4, "*", "no_values"),
        (5, "time", "missing_offset"),
    ]


def test_import_unknown_column_and_excel_dates(
    factory: sessionmaker[Session], registry: Registry
) -> None:
    make_station(factory)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Ket_qua"
    sheet.append(["Station", "Time", "w_ph", "ghi chú", "w_bod5"])
    # An Excel date cell has no time zone: read as local time (UTC+7).
    sheet.append([LAB, datetime(2026, 3, 10, 9, 0), 7.0, "mẫu lặp", 5])  # noqa: DTZ001
    out = io.BytesIO()
    workbook.save(out)
    with factory() as session, session.begin():
        report = water.import_wide_xlsx(
            session, out.getvalue(), registry=registry, offset=OFFSET, actor=ACTOR
        )
    assert [(e.row, e.column, e.code) for e in report.errors] == [(1, "ghi chú", "unknown_column")]
    assert report.stored == 2
    with factory() as session:
        times = set(session.execute(select(Observation.ts)).scalars())
    assert times == {ts_of(TIME_1)}


def test_import_refuses_unreadable_or_headless_files(
    factory: sessionmaker[Session], registry: Registry
) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["w_ph", "w_bod5"])
    out = io.BytesIO()
    workbook.save(out)
    with factory() as session:
        with pytest.raises(PayloadError, match="station, time"):
            water.import_wide_xlsx(
                session, out.getvalue(), registry=registry, offset=OFFSET, actor=ACTOR
            )
        with pytest.raises(PayloadError):
            water.import_wide_xlsx(
                session, b"not a workbook", registry=registry, offset=OFFSET, actor=ACTOR
            )


def _ingest(factory: sessionmaker[Session], registry: Registry, rows: list[dict[str, Any]]) -> None:
    with factory() as session, session.begin():
        report = ingest(
            session,
            [RawRow(i, r) for i, r in enumerate(rows, start=1)],
            registry=registry,
            offset=OFFSET,
        )
        assert report.ok, report.errors


def test_automatic_station_uses_daily_means(
    factory: sessionmaker[Session], registry: Registry
) -> None:
    make_station(factory, AUTO, "automatic")
    values = {  # two readings per parameter on 10/3 (local): 08:00 and 20:00
        "w_ph": (7.0, 9.0),  # mean 8 → 100
        "w_bod5": (4.0, 6.0),  # mean 5 → 87.5
        "w_cod": (30.0, 50.0),  # mean 40 → 37.5
        "w_nh4": (0.4, 0.5),  # mean 0.45 → 62.5
        "w_cu": (0.1, 0.1),  # → 100
    }
    rows = [
        {"indicator": code, "entity": AUTO, "time": f"2026-03-10T{hh}:00:00+07:00", "value": v}
        for code, pair in values.items()
        for hh, v in zip(("08", "20"), pair, strict=True)
    ]
    _ingest(factory, registry, rows)
    run_pending(factory)
    # Formula 4 (no group V): 1·1·(87.5 + 37.5 + 62.5)/3 = 62.5 → 63, stored at local midnight.
    midnight = ts_of("2026-03-10T00:00:00+07:00")
    with factory() as session:
        assert wqi_values(session, AUTO) == {midnight: (63.0, 0)}


def test_index_is_withdrawn_when_a_sample_stops_qualifying(
    factory: sessionmaker[Session], registry: Registry
) -> None:
    make_station(factory)
    rows = [
        {"indicator": code, "entity": LAB, "time": TIME_1, "value": v}
        for code, v in {"w_ph": 7, "w_cu": 0.1, "w_bod5": 5, "w_cod": 40, "w_nh4": 0.45}.items()
    ]
    _ingest(factory, registry, rows)
    run_pending(factory)
    with factory() as session:
        assert wqi_values(session, LAB) == {ts_of(TIME_1): (63.0, 0)}  # 62.5 → 63
    # The lab withdraws COD (re-sent as "bad"): group IV keeps 2 parameters, no index.
    bad = {"indicator": "w_cod", "entity": LAB, "time": TIME_1, "value": 40, "quality": "bad"}
    _ingest(factory, registry, [bad])
    run_pending(factory)
    with factory() as session:
        assert wqi_values(session, LAB) == {ts_of(TIME_1): (63.0, 2)}


def test_suspect_input_makes_the_index_suspect(
    factory: sessionmaker[Session], registry: Registry
) -> None:
    make_station(factory)
    values = {"w_ph": 7, "w_cu": 0.1, "w_bod5": 5, "w_cod": 40, "w_nh4": 0.45}
    rows = [{"indicator": c, "entity": LAB, "time": TIME_1, "value": v} for c, v in values.items()]
    rows[0]["quality"] = "suspect"
    _ingest(factory, registry, rows)
    run_pending(factory)
    with factory() as session:
        assert wqi_values(session, LAB) == {ts_of(TIME_1): (63.0, 1)}


def test_policy_from_settings_is_applied(
    factory: sessionmaker[Session], registry: Registry
) -> None:
    make_station(factory)
    rows = [
        {"indicator": f"w_{k}", "entity": LAB, "time": TIME_1, "value": v}
        for k, v in {
            "ph": 7.2,
            "as": 0.005,
            "cu": 0.332,
            "bod5": 5,
            "cod": 40,
            "nh4": 0.45,
            "po4": 0.15,
            "coliform": 10000,
        }.items()
    ]
    previous = water.policy()
    water.configure(WqiPolicy(formula="5"))
    try:
        _ingest(factory, registry, rows)
        run_pending(factory)
    finally:
        water.configure(previous)
    # Formula 5: 0.8·(68.75²·25)^(1/3) = 0.8·49.0716 = 39.26 → 39 (Formula 3 would give 33).
    with factory() as session:
        assert wqi_values(session, LAB) == {ts_of(TIME_1): (39.0, 0)}


def test_upsert_water_station(factory: sessionmaker[Session], station: str) -> None:
    make_station(factory)
    with factory() as session:
        entity = session.execute(select(Entity).where(Entity.code == LAB)).scalar_one()
        assert entity.type == water.WATER_STATION
        assert entity.attributes == {"waterbody": "Sông Sêrêpốk", "kind": "lab"}
    with factory() as session:
        with pytest.raises(StationError, match="kind"):
            water.upsert_water_station(
                session,
                ACTOR,
                code="X",
                name="x",
                lat=12,
                lon=108,
                area_code=None,
                agency_code=None,
                waterbody="Hồ Lắk",
                kind="manual",  # type: ignore[arg-type]
            )
        # The air station's code cannot be taken over by a water station.
        with pytest.raises(StationError, match="AirQualityStation"):
            water.upsert_water_station(
                session,
                ACTOR,
                code=station,
                name="x",
                lat=12,
                lon=108,
                area_code=None,
                agency_code=None,
                waterbody="Hồ Lắk",
                kind="lab",
            )


def test_other_entities_are_ignored(factory: sessionmaker[Session], station: str) -> None:
    with factory() as session:
        assert water.compute_wqi_for(session, station, 0, 2**40) == 0
        assert water.compute_wqi_for(session, "KHONG-CO", 0, 2**40) == 0


def test_water_page_template_download_and_import(
    client: TestClient,
    factory: sessionmaker[Session],
    make_user,  # type: ignore[no-untyped-def]
) -> None:
    code = make_station(factory)
    password = make_user("can.bo.nuoc", role="agency_staff", agency="so-nong-nghiep-moi-truong")
    login(client, "can.bo.nuoc", password)
    template = client.get("/environment/water/template.xlsx")
    assert template.status_code == 200
    assert load_workbook(io.BytesIO(template.content))[water.RESULTS_SHEET]["A1"].value == "station"
    body = fill_template(
        [
            {
                "station": code,
                "time": "2026-03-10T09:00:00+07:00",
                "w_ph": "abc",
                "w_do": 6.5,
                "w_temp": 27,
                "w_bod5": 5,
                "w_cod": 12,
                "w_nh4": 0.2,
                "w_coliform": 3000,
                "w_as": 0.005,
            },
        ]
    )
    page = client.get("/environment/water")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    r = client.post(
        "/environment/water/import",
        data={"csrf_token": token},
        files={"file": ("ket-qua.xlsx", body, "application/octet-stream")},
    )
    assert r.status_code == 200, r.text
    assert 'id="import-report"' in r.text and "Dòng 2, cột w_ph" in r.text
    with factory() as s:
        assert wqi_values(s, code)  # groups III, IV, V valid (pH refused): derived
    page = client.get("/environment/water").text
    assert 'id="wqi-trend"' in page and "Diễn biến VN_WQI" in page
    forged = client.post(
        "/environment/water/import", data={"csrf_token": "x.y"}, files={"file": ("a.xlsx", body)}
    )
    assert forged.status_code == 400
