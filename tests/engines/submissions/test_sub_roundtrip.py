"""Template generation and upload round trip: exactly the agency's indicators, validation
errors naming row and column, all-or-nothing, corrections with history, jump warnings."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from sub_helpers import COL, OFFSET, catalog, fill, obligation, rows_of

from ioc.core import audit
from ioc.core.models import AuditLog
from ioc.engines.submissions import upload
from ioc.engines.submissions.models import SubSubmission, SubValueHistory
from ioc.engines.submissions.periods import parse_period
from ioc.engines.submissions.templates import HEADERS, build_template
from ioc.engines.submissions.values import read_values

AGENCY = "so-tai-chinh"
PERIOD = "2026-02"
ACTOR = audit.Actor(None, "chuyen.vien.stc")


def _template(s: Session, period: str = PERIOD) -> bytes:
    ob, book = obligation(s, AGENCY, period)
    return build_template(s, catalog(), ob, book, offset=OFFSET)


def _good(code: str, area: str, row: int) -> float:
    return {
        "se_budget_revenue": 1234.5,
        "se_public_invest_disbursed": 800.0,
        "se_public_invest_rate": 9.5,
        "se_cpi": 103.2,
    }.get(code, 2.0)


def _submit(
    s: Session, data: bytes, period: str = PERIOD, name: str = "bieu.xlsx"
) -> SubSubmission:
    ob, book = obligation(s, AGENCY, period)
    return upload.submit(
        s, ACTOR, catalog(), ob, book, filename=name, data=data, offset=OFFSET, jump_factor=1.0
    )


def _stored(s: Session, code: str, area: str = "66", period: str = PERIOD) -> float | None:
    indicators = catalog().indicator_rows(s)
    got = read_values(s, indicators, [(code, area)], [parse_period(period)], OFFSET)
    return got.get((code, area, period))


def test_template_has_exactly_the_agencys_indicators(
    factory: sessionmaker[Session], frozen_now: datetime
) -> None:
    with factory() as s:
        ob, book = obligation(s, AGENCY, PERIOD)
        data = _template(s)
    rows = rows_of(data)
    assert list(rows[0]) == [HEADERS[k] for k in COL]
    owned = {spec.code for spec in catalog().owned_by(ob.agency, "P1M")}
    assert {r[0] for r in rows[1:]} == owned
    assert {"se_budget_revenue", "se_cpi", "se_new_enterprises"} <= owned
    assert "se_exports" not in owned  # Sở Công Thương's
    assert "se_grdp_growth" not in owned  # quarterly: not in a monthly template
    # One province row per province-level indicator, one row per commune for new enterprises.
    communes = [r for r in rows[1:] if r[0] == "se_new_enterprises"]
    assert len(communes) == len(book.communes) == 102
    assert all(r[5] == PERIOD for r in rows[1:])
    from io import BytesIO

    from openpyxl import load_workbook

    ws = load_workbook(BytesIO(data))["Số liệu"]
    assert ws.protection.sheet
    assert ws.cell(row=2, column=COL["value"]).protection.locked is False
    assert ws.cell(row=2, column=COL["code"]).protection.locked is True


def test_round_trip_stores_values_and_province_total(
    factory: sessionmaker[Session], frozen_now: datetime
) -> None:
    with factory() as s, s.begin():
        sub = _submit(s, fill(_template(s), _good))
        assert sub.status == "accepted", sub.errors
        assert sub.errors == [] and sub.warnings == []
    with factory() as s:
        assert _stored(s, "se_budget_revenue") == 1234.5
        assert _stored(s, "se_cpi") == 103.2
        assert _stored(s, "se_new_enterprises", "24133") == 2.0
        # The province value of a commune-level flow is the communes' sum.
        assert _stored(s, "se_new_enterprises") == 2.0 * 102
        # The next template shows the stored value, pre-filled for corrections.
        rows = rows_of(_template(s))
        revenue = next(r for r in rows if r[0] == "se_budget_revenue")
        assert revenue[COL["value"] - 1] == 1234.5
        march = rows_of(_template(s, "2026-03"))
        assert next(r for r in march if r[0] == "se_budget_revenue")[COL["previous"] - 1] == 1234.5
        history = s.execute(select(SubValueHistory)).scalars().all()
        assert len(history) == len(sub.rows)
        assert all(h.old_value is None and h.changed_by == "chuyen.vien.stc" for h in history)
        assert (
            s.execute(select(AuditLog).where(AuditLog.action == "submission.upload"))
            .scalar_one()
            .detail["status"]
            == "accepted"
        )


def test_errors_name_row_and_column_and_nothing_is_stored(
    factory: sessionmaker[Session], frozen_now: datetime
) -> None:
    def bad_value(code: str, area: str, row: int) -> object:
        if code == "se_budget_revenue":
            return "một nghìn"
        if code == "se_public_invest_rate":
            return 130  # above 100 %
        return _good(code, area, row)

    def careless(ws) -> None:  # type: ignore[no-untyped-def]
        for row in range(2, ws.max_row + 1):
            code = ws.cell(row=row, column=COL["code"]).value
            if code == "se_cpi":
                ws.cell(row=row, column=COL["unit"]).value = "điểm"
            if (
                code == "se_new_enterprises"
                and ws.cell(row=row, column=COL["area_code"]).value == "24133"
            ):
                ws.cell(row=row, column=COL["area_code"]).value = "99999"
        ws.cell(row=ws.max_row + 1, column=COL["code"]).value = "se_khong_co"
        ws.cell(row=ws.max_row, column=COL["area_code"]).value = "66"
        ws.cell(row=ws.max_row, column=COL["value"]).value = 1

    with factory() as s, s.begin():
        template = _template(s)
        rows = rows_of(template)
        line = {r[0]: i + 1 for i, r in reversed(list(enumerate(rows)))}
        sub = _submit(s, fill(template, bad_value, careless))
        assert sub.status == "rejected"
        found = {(e["row"], e["column"], e["code"]) for e in sub.errors}
        assert (line["se_budget_revenue"], "Giá trị", "not_a_number") in found
        assert (line["se_public_invest_rate"], "Giá trị", "out_of_range") in found
        assert (line["se_cpi"], "Đơn vị tính", "unit_mismatch") in found
        assert any(c == "Mã địa bàn" and k == "unknown_area" for _, c, k in found)
        assert any(c == "Mã chỉ tiêu" and k == "unknown_indicator" for _, c, k in found)
        # The commune whose row was recoded is now missing from the file.
        assert any(k == "missing_row" for _, _, k in found)
        message = next(e for e in sub.errors if e["code"] == "not_a_number")
        assert message["vi"].startswith(f"Dòng {line['se_budget_revenue']}, cột Giá trị (H):")
        assert message["en"].startswith(f"Row {line['se_budget_revenue']}, column Giá trị (H):")
    with factory() as s:
        assert _stored(s, "se_cpi") is None  # all-or-nothing: the good rows were not kept
        assert s.execute(select(SubValueHistory)).first() is None


def test_correction_keeps_history(factory: sessionmaker[Session], frozen_now: datetime) -> None:
    with factory() as s, s.begin():
        first = _submit(s, fill(_template(s), _good))
        assert first.status == "accepted"
    other = audit.Actor(None, "truong.phong.stc")
    with factory() as s, s.begin():
        ob, book = obligation(s, AGENCY, PERIOD)
        corrected = fill(
            _template(s),
            lambda code, area, row: (
                1300.0 if code == "se_budget_revenue" else _good(code, area, row)
            ),
        )
        second = upload.submit(
            s,
            other,
            catalog(),
            ob,
            book,
            filename="sua.xlsx",
            data=corrected,
            offset=OFFSET,
            jump_factor=1.0,
        )
        assert second.status == "accepted" and second.values_changed == 1
    with factory() as s:
        assert _stored(s, "se_budget_revenue") == 1300.0
        indicator = catalog().indicator_rows(s)["se_budget_revenue"]
        trail = (
            s.execute(
                select(SubValueHistory)
                .where(SubValueHistory.indicator_id == indicator.id)
                .order_by(SubValueHistory.id)
            )
            .scalars()
            .all()
        )
        assert [(h.old_value, h.new_value, h.changed_by) for h in trail] == [
            (None, 1234.5, "chuyen.vien.stc"),
            (1234.5, 1300.0, "truong.phong.stc"),
        ]
        assert trail[1].submission_id == second.id and trail[1].period == PERIOD


def test_jump_needs_confirmation_then_stores(
    factory: sessionmaker[Session], frozen_now: datetime
) -> None:
    with factory() as s, s.begin():
        assert _submit(s, fill(_template(s, "2026-01"), _good), "2026-01").status == "accepted"
    with factory() as s, s.begin():
        tripled = fill(
            _template(s),
            lambda code, area, row: (
                4000.0 if code == "se_budget_revenue" else _good(code, area, row)
            ),
        )
        sub = _submit(s, tripled)
        assert sub.status == "received"
        assert [w["code"] for w in sub.warnings] == ["jump"]
        assert sub.warnings[0]["column"] == "Giá trị"
        sub_id = sub.id
    with factory() as s:
        assert _stored(s, "se_budget_revenue") is None  # held until confirmed
    with factory() as s, s.begin():
        sub = s.get(SubSubmission, sub_id)
        assert sub is not None
        _ob, book = obligation(s, AGENCY, PERIOD)
        upload.confirm(s, ACTOR, sub, catalog(), book, offset=OFFSET)
        assert sub.status == "accepted"
        with pytest.raises(upload.SubmissionError):
            upload.confirm(s, ACTOR, sub, catalog(), book, offset=OFFSET)
    with factory() as s:
        assert _stored(s, "se_budget_revenue") == 4000.0


def test_a_new_upload_supersedes_one_waiting_and_blank_keeps_stored(
    factory: sessionmaker[Session], frozen_now: datetime
) -> None:
    with factory() as s, s.begin():
        _submit(s, fill(_template(s, "2026-01"), _good), "2026-01")
        waiting = _submit(
            s,
            fill(
                _template(s), lambda c, a, r: 9000.0 if c == "se_budget_revenue" else _good(c, a, r)
            ),
        )
        assert waiting.status == "received"
        good = _submit(s, fill(_template(s), _good))
        assert good.status == "accepted"
        assert waiting.status == "rejected" and f"#{good.id}" in waiting.note
    with factory() as s, s.begin():
        # Everything blank except the CPI: the stored values stay, the CPI changes.
        blank = fill(_template(s), lambda c, a, r: 104.0 if c == "se_cpi" else None)
        sub = _submit(s, blank)
        assert sub.status == "accepted" and sub.values_changed == 1
    with factory() as s:
        assert _stored(s, "se_cpi") == 104.0 and _stored(s, "se_budget_revenue") == 1234.5


def test_vietnamese_numbers_units_and_refusals(
    factory: sessionmaker[Session], frozen_now: datetime
) -> None:
    assert upload.parse_number("1.234,5") == 1234.5
    assert upload.parse_number("1234.5") == 1234.5
    assert upload.parse_number("103.2") == 103.2
    assert upload.parse_number("18.500") == 18500
    assert upload.parse_number("1.234.567") == 1234567
    assert upload.parse_number("5,2%") == 5.2
    assert upload.parse_number("abc") is None and upload.parse_number(True) is None
    assert upload.unit_factor("triệu đồng", "tỷ đồng") == pytest.approx(0.001)
    assert upload.unit_factor("Tỷ  đồng", "tỷ đồng") == 1.0
    assert upload.unit_factor("người", "tỷ đồng") is None

    def in_millions(ws) -> None:  # type: ignore[no-untyped-def]
        for row in range(2, ws.max_row + 1):
            if ws.cell(row=row, column=COL["code"]).value == "se_budget_revenue":
                ws.cell(row=row, column=COL["unit"]).value = "triệu đồng"
                ws.cell(row=row, column=COL["value"]).value = "1.234.500"

    with factory() as s, s.begin():
        sub = _submit(s, fill(_template(s), _good, in_millions))
        assert sub.status == "received"  # a converted unit is confirmed by the sender
        assert [w["code"] for w in sub.warnings] == ["converted"]
        assert next(r for r in sub.rows if r["code"] == "se_budget_revenue")["value"] == 1234.5
        with pytest.raises(upload.SubmissionError):
            _submit(s, fill(_template(s, "2026-04"), _good), "2026-04")  # future period
        junk = _submit(s, b"not a spreadsheet", name="bieu.xlsx")
        assert junk.status == "rejected" and junk.errors[0]["code"] == "unreadable"
        csv = "Mã chỉ tiêu,Giá trị\nse_cpi,103\n".encode()
        no_area = _submit(s, csv, name="bieu.csv")
        assert no_area.errors[0]["code"] == "missing_column"
        assert no_area.errors[0]["row"] == 1 and no_area.errors[0]["column"] == "Mã địa bàn"
