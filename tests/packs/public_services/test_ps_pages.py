"""Early warning, the overview tile, and the pages: overview, agency page, dossier list with
drill-down, exports, dossier detail and the XLSX/CSV import — as a leader and an operator."""

from __future__ import annotations

import io
import re
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from ps_helpers import AGENCY, COMMUNE, OTHER, dossier, ingest, iso
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from helpers import csrf, login
from ioc.packs.public_services import early_warning, manifest, tile
from ioc.packs.public_services.models import PsDossier

# frozen_now: Tue 10/03/2026 12:00 +07:00. Due-soon window: 2 WD → Thu 12/03 12:00.
SET = [
    dossier("L1", finished_at=iso(2026, 3, 9)),  # late (due Fri 06/03 16:00)
    dossier("L2", finished_at=iso(2026, 3, 2, 15), supplement_count=2),  # late: 2 requests
    dossier("T1", finished_at=iso(2026, 3, 5)),  # on time
    dossier("O1", due_at=iso(2026, 3, 9)),  # open, overdue since Monday
    dossier("O2", due_at=iso(2026, 3, 10, 11)),  # open, overdue by an hour
    dossier("S1", due_at=iso(2026, 3, 11)),  # due soon
    dossier("S2", due_at=iso(2026, 3, 12, 11)),  # due soon (Thu 11:00 < 12:00)
    dossier("F1", due_at=iso(2026, 3, 12, 13)),  # not yet due soon
    dossier("W1", due_at=iso(2026, 3, 9), status="supplement",
            supplement_count=1, supplement_open=True),  # clock stopped
    dossier("X1", agency=OTHER, due_at=iso(2026, 3, 3)),  # other agency, overdue
    dossier("X2", agency=OTHER, due_at=iso(2026, 3, 3), status="withdrawn"),  # withdrawn
    dossier("N1", due_at=None),  # no deadline at all: never warned
]  # fmt: skip


@pytest.fixture
def data(db: Session, frozen_now: datetime) -> None:
    report = ingest(db, SET)
    assert report.ok, report.errors


@pytest.fixture
def leader(client: TestClient, make_user: Any, data: None) -> TestClient:
    login(client, "lanhdao", make_user("lanhdao", role="leader"))
    return client


def codes(html: str) -> set[str]:
    return set(re.findall(r'<tr data-code="([^"]+)" data-outcome', html))


# --- early warning --------------------------------------------------------------------------


def test_warning_counts_and_record_sources(db: Session, data: None, frozen_now: datetime) -> None:
    counts = early_warning.warning_counts(db, frozen_now)
    assert counts == {AGENCY: (2, 2), OTHER: (0, 1)}
    over = early_warning.overdue_records(db, frozen_now)
    # One sample per agency (sorted by code), valued in its number of overdue dossiers.
    assert [(r.labels, r.value) for r in over] == [
        ({"agency": OTHER}, 1.0),
        ({"agency": AGENCY}, 2.0),
    ]
    soon = early_warning.due_soon_records(db, frozen_now)
    assert [(r.labels["agency"], r.value) for r in soon] == [(AGENCY, 2.0)]
    sources = manifest().record_sources
    assert sources["overdue"](db, frozen_now) == over


def test_tile(db: Session, data: None, frozen_now: datetime) -> None:
    t = tile.tile(db, "vi", frozen_now)
    # March: 1 on time of 3 decided = 33,3 %; 3 overdue
    assert t.figure == "33,3%" and t.status == "bad" and t.href == "/public-services"
    assert "3 hồ sơ đang quá hạn" in t.lines[0]
    empty = tile.tile(db, "en", datetime.fromisoformat("2030-01-15T05:00:00+00:00"))
    assert empty.figure == "—"


# --- pages ------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client: TestClient) -> None:
    r = client.get("/public-services", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_overview_shows_scores_rankings_and_warnings(leader: TestClient) -> None:
    r = leader.get("/public-services?period=month&month=2026-03")
    assert r.status_code == 200
    html = r.text
    assert "Giám sát dịch vụ công trực tuyến" in html and "Tháng 03/2026" in html
    row = re.search(r'<tr id="ind-2-1".*?</tr>', html, re.S)
    assert row is not None and "33,33%" in row.group(0) and "1/3" in row.group(0)
    late_link = (
        "/public-services/dossiers?period=month&amp;month=2026-03&amp;indicator=2.1&amp;part=miss"
    )
    assert late_link in html
    assert 'id="agency-ranking"' in html and f'data-code="{AGENCY}"' in html
    assert 'id="commune-map"' in html and f"/public-services/communes/{COMMUNE}?" in html
    warn = re.search(r'<table class="data-table" id="warn-table">.*?</table>', html, re.S)
    assert warn is not None and f"warn=overdue&amp;agency={AGENCY}" in warn.group(0)


def test_overview_bad_period_is_a_400_naming_the_field(leader: TestClient) -> None:
    r = leader.get("/public-services?period=quarter&quarter=2026-Q9")
    assert r.status_code == 400 and 'id="period-error"' in r.text and "(quarter)" in r.text


def test_drill_down_from_the_on_time_rate_lists_exactly_the_late_dossiers(
    leader: TestClient,
) -> None:
    r = leader.get(f"/public-services/dossiers?agency={AGENCY}&period=month&month=2026-03"
                   "&indicator=2.1&part=miss")  # fmt: skip
    assert r.status_code == 200
    assert codes(r.text) == {"L1", "L2"} and 'id="drill-banner"' in r.text
    hit = leader.get("/public-services/dossiers?period=month&month=2026-03&indicator=2.1&part=hit")
    assert codes(hit.text) == {"T1"}


def test_dossier_list_filters_and_warnings(leader: TestClient) -> None:
    assert codes(leader.get("/public-services/dossiers?warn=overdue").text) == {"O1", "O2", "X1"}
    assert codes(leader.get(f"/public-services/dossiers?warn=due_soon&agency={AGENCY}").text) == {
        "S1", "S2"}  # fmt: skip
    assert codes(leader.get("/public-services/dossiers?q=X").text) == {"X1", "X2"}
    bad = leader.get("/public-services/dossiers?outcome=maybe")
    assert bad.status_code == 400 and "(outcome)" in bad.text


def test_dossier_list_export_xlsx_and_csv(leader: TestClient) -> None:
    query = f"agency={AGENCY}&period=month&month=2026-03&indicator=2.1&part=miss"
    r = leader.get(f"/public-services/dossiers/export?format=xlsx&{query}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd")
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    header_at = next(i for i, row in enumerate(values) if row and row[0] == "Mã hồ sơ")
    body = [row for row in values[header_at + 1 :] if row and row[0]]
    assert sorted(row[0] for row in body) == ["L1", "L2"]
    outcome = values[header_at].index("Kết quả xử lý")
    assert {row[outcome] for row in body} == {"Trễ hạn", "Trễ hạn (bổ sung > 1 lần)"}
    csv = leader.get(f"/public-services/dossiers/export?format=csv&{query}")
    assert csv.status_code == 200 and csv.content.startswith(b"\xef\xbb\xbf")
    assert csv.text.count("\n") == 3
    assert leader.get("/public-services/dossiers/export?format=pdf").status_code == 400


@pytest.mark.parametrize("table", ["indicators", "agencies", "communes", "warnings", "procedures"])
def test_overview_tables_export(leader: TestClient, table: str) -> None:
    r = leader.get(f"/public-services/export?table={table}&format=xlsx&period=month&month=2026-03")
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert sheet is not None and sheet.max_row >= 4


def test_agency_page_and_dossier_detail(leader: TestClient) -> None:
    r = leader.get(f"/public-services/agencies/{AGENCY}?period=month&month=2026-03")
    assert r.status_code == 200
    overdue = re.search(r'<section class="card" id="overdue">.*?</section>', r.text, re.S)
    assert overdue is not None and codes(overdue.group(0)) == {"O1", "O2"}
    soon = re.search(r'<section class="card" id="due-soon">.*?</section>', r.text, re.S)
    assert soon is not None and codes(soon.group(0)) == {"S1", "S2"}
    assert 'id="late-link"' in r.text
    assert leader.get("/public-services/agencies/khong-co").status_code == 404
    assert leader.get(f"/public-services/communes/{COMMUNE}").status_code == 200
    d = leader.get("/public-services/dossiers/L2")
    assert d.status_code == 200 and "Trễ hạn (bổ sung &gt; 1 lần)" in d.text
    assert leader.get("/public-services/dossiers/KHONG").status_code == 404


# --- import -----------------------------------------------------------------------------------


def naive(y: int, m: int, d: int, hh: int) -> datetime:
    """An Excel date-time cell: no zone (the import reads it as Vietnam time)."""
    return datetime(y, m, d, hh, 0)  # noqa: DTZ001 - spreadsheet cells carry no zone


def _xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_import_xlsx_with_vietnamese_headers(
    client: TestClient, make_user: Any, db: Session, frozen_now: datetime
) -> None:
    login(client, "motcua", make_user("motcua", role="operator"))
    token = csrf(client, "/public-services/import")
    content = _xlsx([
        ["Mã hồ sơ", "Mã thủ tục", "Tên thủ tục", "Mã cơ quan", "Mã xã phường", "Kênh nộp",
         "Ngày tiếp nhận", "Ngày hẹn trả", "Ngày hoàn thành", "Kết quả"],
        ["I1", "2.000815", "Chứng thực bản sao", "ubnd-24133", "24133", "trực tuyến",
         naive(2026, 3, 2, 8), naive(2026, 3, 3, 8), naive(2026, 3, 2, 15),
         "điện tử"],
        ["I2", "2.000815", "Chứng thực bản sao", "ubnd-24133", "24133", "fax",
         naive(2026, 3, 2, 8), None, None, None],
    ])  # fmt: skip
    r = client.post(
        "/public-services/import",
        data={"csrf_token": token},
        files={"file": ("igate.xlsx", content, "application/octet-stream")},
    )
    assert r.status_code == 422
    assert 'id="import-result"' in r.text
    errors = re.search(r'<table class="data-table" id="import-errors">.*?</table>', r.text, re.S)
    assert (
        errors is not None
        and '<td class="num">3</td><td>I2</td><td data-field="channel">Kênh nộp</td>'
        in errors.group(0)
    )
    stored = db.execute(select(PsDossier).where(PsDossier.code == "I1")).scalar_one()
    # Excel times without a zone are Vietnam time.
    assert stored.received_at == datetime.fromisoformat("2026-03-02T01:00:00+00:00")
    assert stored.result_kind == "electronic" and stored.on_time is True
    assert db.execute(select(func.count()).select_from(PsDossier)).scalar_one() == 1


def test_import_refuses_non_tables_and_leaders(client: TestClient, make_user: Any) -> None:
    login(client, "motcua", make_user("motcua", role="operator"))
    token = csrf(client, "/public-services/import")
    r = client.post("/public-services/import", data={"csrf_token": token},
                    files={"file": ("a.pdf", b"%PDF-1.4", "application/pdf")})  # fmt: skip
    assert r.status_code == 400 and 'id="file-error"' in r.text
    no_csrf = client.post("/public-services/import", data={"csrf_token": "x"},
                          files={"file": ("a.csv", b"id\n", "text/csv")})  # fmt: skip
    assert no_csrf.status_code == 400
    client.cookies.clear()
    login(client, "lanhdao", make_user("lanhdao", role="leader"))
    assert client.get("/public-services/import").status_code == 403
