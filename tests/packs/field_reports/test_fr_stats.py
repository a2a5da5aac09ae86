"""Statistics: periods, hand-built on-time rate and median handling time in working days,
groupings, ratings, exports, the statistics page and the overview tile."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime

import pytest
from fastapi.testclient import TestClient
from fr_helpers import REPORTER, STAFF, Submit, at_local
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from helpers import login
from ioc.packs.field_reports import manifest, service, stats, tile
from ioc.packs.field_reports.errors import FieldReportError
from ioc.packs.field_reports.models import Report

CITIZEN = service.citizen_actor()
MARCH = stats.Period("month", date(2026, 3, 1), date(2026, 3, 31))
TODAY = date(2026, 3, 10)


# --- periods ----------------------------------------------------------------------------------


def test_parse_period() -> None:
    assert stats.parse_period({}, TODAY) == MARCH
    assert stats.parse_period({"period": "month", "month": "2026-02"}, TODAY) == stats.Period(
        "month", date(2026, 2, 1), date(2026, 2, 28)
    )
    assert stats.parse_period({"period": "quarter", "quarter": "2025-Q4"}, TODAY) == (
        stats.Period("quarter", date(2025, 10, 1), date(2025, 12, 31))
    )
    assert stats.parse_period({"period": "quarter"}, TODAY).start == date(2026, 1, 1)
    assert stats.parse_period({"period": "year", "year": "2025"}, TODAY) == stats.Period(
        "year", date(2025, 1, 1), date(2025, 12, 31)
    )
    custom = stats.parse_period({"period": "custom", "from": "2026-01-15"}, TODAY)
    assert (custom.start, custom.end) == (date(2026, 1, 15), TODAY)
    # The bounds are Vietnam days: 1 March 00:00 +07:00 is 28 February 17:00 UTC.
    begin, stop = MARCH.bounds()
    assert begin.isoformat() == "2026-02-28T17:00:00+00:00"
    assert stop.isoformat() == "2026-03-31T17:00:00+00:00"
    assert stats.parse_period(MARCH.params(), TODAY) == MARCH
    assert MARCH.label("vi") == "Tháng 03/2026"

    for params, field in (
        ({"period": "week"}, "period"),
        ({"period": "month", "month": "2026-13"}, "month"),
        ({"period": "quarter", "quarter": "2026-Q5"}, "quarter"),
        ({"period": "year", "year": "26"}, "year"),
        ({"period": "custom", "from": "hôm qua"}, "from"),
        ({"period": "custom", "from": "2026-03-01", "to": "2026-02-01"}, "to"),
        ({"period": "custom", "from": "2020-01-01", "to": "2026-01-01"}, "to"),
    ):
        with pytest.raises(FieldReportError) as caught:
            stats.parse_period(params, TODAY)
        assert caught.value.field == field


# --- hand-built figures -----------------------------------------------------------------------


def answered(
    db: Session, fr: Submit, received: datetime, answer_at: datetime, **overrides: object
) -> service.Submission:
    sub = fr(at=received, **overrides)
    service.assign(db, STAFF, sub.report, at=received)
    service.answer(db, STAFF, sub.report, "Đã xử lý", at=answer_at)
    return sub


@pytest.fixture
def four(db: Session, fr: Submit) -> list[service.Submission]:
    """Four pothole reports (handling limit 2 working days) answered in March 2026 around a
    weekend (6 March is a Friday):

    ====  ======================  ======================  ===  =====================
    case  received                answered                WD   deadline (2 WD)
    ====  ======================  ======================  ===  =====================
    A     Fri 06/03 09:00         Mon 09/03 10:00         1    Tue 10/03 09:00 on time
    B     Thu 05/03 09:00         Tue 10/03 10:00         3    Mon 09/03 09:00 late
    C     Sat 07/03 15:00 (-> Mon 00:00)  Mon 09/03 16:00  0    Wed 11/03 00:00 on time
    D     Mon 02/03 09:00         Fri 06/03 09:00         4    Wed 04/03 09:00 late
    ====  ======================  ======================  ===  =====================
    """
    service.update_category(db, STAFF, "duong-hu-hong", handle_days=2)
    return [
        answered(db, fr, at_local(2026, 3, 6, 9), at_local(2026, 3, 9, 10)),
        answered(db, fr, at_local(2026, 3, 5, 9), at_local(2026, 3, 10, 10)),
        answered(db, fr, at_local(2026, 3, 7, 15), at_local(2026, 3, 9, 16)),
        answered(db, fr, at_local(2026, 3, 2, 9), at_local(2026, 3, 6, 9)),
    ]


def test_on_time_rate_and_median_working_days(db: Session, four: list[service.Submission]) -> None:
    due = [s.report.due_at for s in four]
    assert due == [
        at_local(2026, 3, 10, 9),
        at_local(2026, 3, 9, 9),
        at_local(2026, 3, 11, 0),
        at_local(2026, 3, 4, 9),
    ]
    result = stats.compute(db, MARCH)
    total = result.total
    assert sorted(total.days) == [0, 1, 3, 4]
    assert total.median_days == 2.0
    assert (total.answered, total.on_time) == (4, 2)
    assert total.on_time_rate.value == 50.0 and total.on_time_rate.low_n
    assert total.fixed_rate.value == 100.0
    # The ward handled all four; the IOC holds one overdue step (D's publication was due
    # Tue 10/03 09:00), so it has a row of its own.
    agency, ioc = result.by_agency
    assert agency.name == "Ủy ban nhân dân phường Buôn Ma Thuột"
    assert (ioc.received, ioc.answered, ioc.overdue_now) == (0, 0, 1)
    assert (agency.received, agency.answered, agency.on_time, agency.median_days) == (4, 4, 2, 2.0)
    (category,) = result.by_category
    assert category.name == "Hư hỏng đường, ổ gà" and category.on_time_rate.value == 50.0


def test_ratings_and_periods(db: Session, fr: Submit, four: list[service.Submission]) -> None:
    a, b = four[0], four[1]
    for sub, satisfied, fixed in ((a, True, True), (b, False, False)):
        service.publish(db, STAFF, sub.report, at=at_local(2026, 3, 10, 11))
        service.rate(
            db,
            CITIZEN,
            sub.report,
            satisfied=satisfied,
            really_fixed=fixed,
            secret=sub.secret,
            at=at_local(2026, 3, 10, 11, 30),
        )
    # Received in February, answered in March: counts as answered in March, not as received.
    answered(db, fr, at_local(2026, 2, 26, 9), at_local(2026, 3, 3, 9), category_code="rac-thai")
    # Rejected at intake: received, not answered.
    service.reject(db, STAFF, fr(category_code="rac-thai").report, "Trùng")
    still_open = fr(category_code="tieng-on").report

    march = stats.compute(db, MARCH)
    t = march.total
    assert (t.received, t.still_open, t.answered, t.rated) == (6, 1, 5, 2)
    assert (t.satisfaction.hits, t.satisfaction.total) == (1, 2)
    assert (t.really_fixed_rate.hits, t.really_fixed_rate.total) == (1, 2)
    by_cat = {r.name: r for r in march.by_category}
    assert by_cat["Rác thải, vệ sinh môi trường"].received == 1
    assert by_cat["Rác thải, vệ sinh môi trường"].answered == 1
    assert by_cat["Tiếng ồn"].still_open == 1
    unassigned = next(r for r in march.by_agency if r.key == stats.NO_AGENCY)
    assert unassigned.name == "(chưa giao đơn vị)" and unassigned.received == 2
    assert [r.name for r in march.by_area] == ["Phường Buôn Ma Thuột"]
    assert sum(n for _, _, n in march.heat) == 6

    february = stats.compute(db, stats.Period("month", date(2026, 2, 1), date(2026, 2, 28)))
    assert (february.total.received, february.total.answered) == (1, 0)
    assert still_open.code  # the open report stays open


def test_overdue_now_by_holder(db: Session, fr: Submit, frozen_now: datetime) -> None:
    # Received a week ago and never decided: the intake step (2 working days) is overdue.
    late = fr(at=at_local(2026, 3, 2, 9)).report
    fr()  # received now: not overdue
    result = stats.compute(db, MARCH, now=frozen_now)
    assert result.total.overdue_now == 1
    (holder,) = [r for r in result.by_agency if r.overdue_now]
    assert holder.name.startswith("Trung tâm")  # the IOC holds the intake step
    assert late.status == "received"


def test_export_tables(db: Session, four: list[service.Submission]) -> None:
    table = stats.export_table(stats.compute(db, MARCH), "agency", "vi")
    assert table.header[0] == "Đơn vị xử lý" and "Tỷ lệ đúng hạn" in table.header
    first, _ioc, total = table.rows
    assert first[0] == "Ủy ban nhân dân phường Buôn Ma Thuột" and total[0] == "Toàn tỉnh"
    row = dict(zip(table.header, total, strict=True))
    assert row["Tỷ lệ đúng hạn"] == 50.0
    assert row["Thời gian xử lý (trung vị, ngày làm việc)"] == 2.0
    assert "Tháng 03/2026" in table.title


# --- page, exports, tile ----------------------------------------------------------------------


@pytest.fixture
def viewer(client: TestClient, make_user) -> TestClient:  # type: ignore[no-untyped-def]
    login(client, "thong-ke", make_user("thong-ke", role="leader"))
    return client


def test_stats_page(viewer: TestClient, db: Session, four: list[service.Submission]) -> None:
    db.commit()
    page = viewer.get("/field-reports/stats?period=month&month=2026-03")
    assert page.status_code == 200
    html = page.text
    assert "Tháng 03/2026" in html
    assert 'id="kpi-on-time"' in html and "50,0 %" in html
    assert "Ủy ban nhân dân phường Buôn Ma Thuột" in html and "Hư hỏng đường, ổ gà" in html
    assert "/static/vendor/leaflet/leaflet.js" in html and "echarts.min.js" in html
    assert "format=xlsx&amp;by=agency&amp;period=month&amp;month=2026-03" in html
    # Aggregates only: no reporter, no free text.
    for value in (REPORTER["reporter_name"], REPORTER["reporter_email"], "Đã xử lý"):
        assert value not in html

    bad = viewer.get("/field-reports/stats?period=month&month=2026-13")
    assert bad.status_code == 400 and "Tháng không hợp lệ" in bad.text

    other = viewer.get("/field-reports/stats?period=year&year=2025")
    assert other.status_code == 200 and "Năm 2025" in other.text


def test_stats_need_a_login(client: TestClient) -> None:
    r = client.get("/field-reports/stats", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert client.get("/field-reports/stats/export", follow_redirects=False).status_code == 303


def test_stats_exports(viewer: TestClient, db: Session, four: list[service.Submission]) -> None:
    db.commit()
    r = viewer.get("/field-reports/stats/export?format=csv&by=category&period=month&month=2026-03")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "thong-ke-phan-anh-category-2026-03.csv" in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][0] == "Lĩnh vực"
    assert rows[1][:2] == ["Hư hỏng đường, ổ gà", "4"]

    r = viewer.get("/field-reports/stats/export?format=xlsx&by=area&period=quarter&quarter=2026-Q1")
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert sheet is not None
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0][0] == "Thống kê phản ánh hiện trường — Quý 1/2026"
    assert values[-2][:2] == ["Phường Buôn Ma Thuột", 4]

    r = viewer.get("/field-reports/stats/export?format=pdf&by=commune")
    assert r.status_code == 400 and "format" in r.text and "by" in r.text


def test_tile(
    db: Session, fr: Submit, four: list[service.Submission], frozen_now: datetime
) -> None:
    # `four` answered 2 of 4 on time in the last 30 days; D's answer (Fri 06/03) was due to
    # be published by Tue 10/03 09:00, so the IOC holds one overdue step. One report today.
    fr()
    t = tile.tile(db, "vi")
    assert t.href == "/field-reports/stats" and t.pack == "field_reports"
    assert t.title == "Phản ánh hiện trường"
    assert (t.figure, t.caption) == ("1", "phản ánh mới hôm nay")
    assert t.status == "warn"
    assert t.lines == ("1 phản ánh quá hạn", "Đúng hạn 30 ngày qua: 50 % (4 đã trả lời)")

    for day in (2, 3, 4):
        fr(at=at_local(2026, 3, day, 9))
    t = tile.tile(db, "en")
    assert t.lines[0] == "4 overdue reports" and t.status == "warn"
    assert (t.figure, t.caption) == ("1", "new reports today")  # the others are older
    fr(at=at_local(2026, 3, 4, 10))
    assert tile.tile(db, "vi").status == "bad"
    # The manifest hook gives the same tile to the overview page.
    hook = manifest().tile
    assert hook is not None and hook(db, "vi") == tile.tile(db, "vi")


def test_tile_without_data(db: Session, frozen_now: datetime) -> None:
    t = tile.tile(db, "vi")
    assert (t.figure, t.status) == ("0", "ok")
    assert t.lines == ("0 phản ánh quá hạn", "Đúng hạn 30 ngày qua: — (0 đã trả lời)")
    assert db.query(Report).count() == 0


def test_tile_on_the_overview_page(viewer: TestClient, db: Session, fr: Submit) -> None:
    fr()
    db.commit()
    page = viewer.get("/").text
    match = re.search(
        r'<a class="tile status-ok" href="/field-reports/stats"[^>]*data-pack="field_reports">'
        r"(.*?)</a>",
        page,
        re.S,
    )
    assert match, page
    assert re.search(r'tile-figure"\s*>1<', match.group(0)), match.group(0)
    assert "phản ánh mới hôm nay" in match.group(1)
