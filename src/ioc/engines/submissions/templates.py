"""Biểu mẫu nhập số liệu: the XLSX template of one agency for one period.

Sheet 1 ``Số liệu`` is the table the upload reads (header in row 1, one row per indicator and
area, exactly the agency's indicators for the period): code, name, unit, area code and name,
period, last period's value for reference, the value to fill in (pre-filled with the stored
value when the period was already submitted, so a correction is "download, change, upload"),
and a note. Only the value and note cells are unlocked; the sheet is protected without a
password, against slips rather than intent. Sheet 2 ``Hướng dẫn`` explains how to fill it in
(Vietnamese, then English) and lists each indicator's unit and allowed range.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.orm import Session

from ioc.core import i18n
from ioc.engines.exports import safe_row
from ioc.engines.submissions.catalog import AreaBook, Catalog, Obligation
from ioc.engines.submissions.periods import Period
from ioc.engines.submissions.values import read_values

DATA_SHEET = "Số liệu"
HELP_SHEET = "Hướng dẫn"


@dataclass(frozen=True)
class Column:
    """One template column: key, Vietnamese header (what the upload matches), English alias."""

    key: str
    header: str
    alias: str
    width: int


COLUMNS: tuple[Column, ...] = (
    Column("code", "Mã chỉ tiêu", "indicator code", 24),
    Column("name", "Tên chỉ tiêu", "indicator", 48),
    Column("unit", "Đơn vị tính", "unit", 14),
    Column("area_code", "Mã địa bàn", "area code", 12),
    Column("area_name", "Địa bàn", "area", 28),
    Column("period", "Kỳ báo cáo", "period", 12),
    Column("previous", "Kỳ trước", "previous period", 14),
    Column("value", "Giá trị", "value", 16),
    Column("note", "Ghi chú", "note", 30),
)
EDITABLE = frozenset({"value", "note"})
LETTERS = {c.key: chr(ord("A") + i) for i, c in enumerate(COLUMNS)}
HEADERS = {c.key: c.header for c in COLUMNS}

_HEAD_FILL = PatternFill("solid", fgColor="0B2545")
_INPUT_FILL = PatternFill("solid", fgColor="FFF4C2")
_REF_FILL = PatternFill("solid", fgColor="EEF1F5")


def template_filename(agency_code: str, period: Period) -> str:
    """Download name of the template."""
    return f"mau-so-lieu-{agency_code}-{period.key}.xlsx"


def build_template(
    session: Session,
    catalog: Catalog,
    obligation: Obligation,
    book: AreaBook,
    *,
    offset: int,
    deadline_text: str = "",
) -> bytes:
    """The XLSX template of ``obligation`` (an agency's indicators for a period)."""
    period = obligation.period
    indicators = catalog.indicator_rows(session)
    pairs = {(code, area) for code, areas in obligation.areas.items() for area in areas}
    stored = read_values(session, indicators, pairs, [period, period.previous()], offset)

    workbook = Workbook()
    ws = workbook.active
    assert ws is not None
    ws.title = DATA_SHEET
    _header(ws)
    for spec in obligation.indicators:
        for area in obligation.areas[spec.code]:
            info = book.by_code.get(area)
            prev = stored.get((spec.code, area, period.previous().key))
            current = stored.get((spec.code, area, period.key))
            ws.append(
                safe_row(
                    [
                        spec.code,
                        spec.name_vi,
                        spec.unit,
                        area,
                        info.name if info else area,
                        period.key,
                        prev,
                        current,
                        None,
                    ]
                )
            )
            _style_row(ws, ws.max_row)
    _protect(ws, ws.max_row)

    _help_sheet(workbook, obligation, deadline_text)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _header(ws: Worksheet) -> None:
    """The header row of the data sheet, with the hint on the value column."""
    ws.append([c.header for c in COLUMNS])
    for i, col in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=i)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = _HEAD_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        ws.column_dimensions[cell.column_letter].width = col.width
    ws.cell(row=1, column=len(COLUMNS) - 1).comment = Comment(
        "Nhập số (dấu phẩy là dấu thập phân nếu gõ dạng chữ). Enter a number.", "IOC"
    )


def _style_row(ws: Worksheet, row: int) -> None:
    """One data row: the cells an agency fills unlocked, the others read-only."""
    for i, col in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=row, column=i)
        if col.key in EDITABLE:
            cell.protection = Protection(locked=False)
            if col.key == "value":
                cell.fill = _INPUT_FILL
                cell.number_format = "#,##0.###"
        elif col.key == "previous":
            cell.fill = _REF_FILL
            cell.number_format = "#,##0.###"
        else:
            cell.number_format = "@"  # codes stay text (leading zeros, "2026-03")


def _protect(ws: Worksheet, last: int) -> None:
    """Numbers only in the value column, frozen header, filter, and the sheet protected."""
    if last > 1:
        check = DataValidation(
            type="decimal",
            operator="between",
            formula1="-1000000000000000",
            formula2="1000000000000000",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="Giá trị không hợp lệ",
            error="Hãy nhập một số / enter a number",
        )
        ws.add_data_validation(check)
        check.add(f"{LETTERS['value']}2:{LETTERS['value']}{last}")
    ws.freeze_panes = "C2"
    ws.auto_filter.ref = f"A1:{LETTERS['note']}{max(last, 1)}"
    ws.protection.sheet = True
    ws.protection.autoFilter = False
    ws.protection.sort = False
    ws.protection.formatColumns = False


def _help_sheet(workbook: Workbook, obligation: Obligation, deadline_text: str) -> None:
    period = obligation.period
    ws = workbook.create_sheet(HELP_SHEET)
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 60
    ws.column_dimensions["C"].width = 16
    ws.column_dimensions["D"].width = 16
    ws.column_dimensions["E"].width = 16
    lines: list[list[object]] = [
        ["BIỂU MẪU NHẬP SỐ LIỆU — IOC ĐẮK LẮK"],
        ["Đơn vị / Agency", f"{obligation.agency.name} ({obligation.agency.code})"],
        ["Kỳ báo cáo / Period", f"{period.label('vi')} ({period.key})"],
        ["Hạn nộp / Deadline", deadline_text],
        [],
        ["Hướng dẫn"],
        ["1.", "Chỉ nhập vào cột “Giá trị” (ô màu vàng) và “Ghi chú”; các cột khác đã khóa."],
        ["2.", "Nhập số theo đúng đơn vị tính của từng dòng; không thêm, xóa hay đổi mã dòng."],
        ["3.", "Cột “Kỳ trước” là số đã nộp kỳ trước, để đối chiếu."],
        ["4.", "Số thay đổi quá nhiều so với kỳ trước sẽ được hỏi xác nhận khi tải lên."],
        ["5.", "Tải tệp lên tại trang Nộp số liệu; lỗi được báo theo dòng và cột."],
        ["6.", "Muốn sửa số đã nộp: tải lại biểu mẫu (đã điền số hiện có), sửa, tải lên lại."],
        [],
        ["Instructions (English)"],
        ["1.", "Fill in only the yellow “Giá trị” (value) and the “Ghi chú” (note) columns."],
        ["2.", "Use each row's unit; do not add, delete or recode rows."],
        ["3.", "“Kỳ trước” is last period's value, for reference."],
        ["4.", "Large changes against last period ask for confirmation on upload."],
        ["5.", "Upload on the submissions page; errors name the row and the column."],
        ["6.", "To correct: download the template again (pre-filled), edit, upload again."],
        [],
        ["Mã chỉ tiêu", "Tên chỉ tiêu", "Đơn vị tính", "Tối thiểu", "Tối đa"],
    ]
    for line in lines:
        ws.append(safe_row(line))
    ws["A1"].font = Font(bold=True, size=13)
    for row in (6, 14, len(lines)):
        for cell in ws[row]:
            cell.font = Font(bold=True)
    for spec in obligation.indicators:
        ws.append(safe_row([spec.code, spec.name_vi, spec.unit, spec.min_value, spec.max_value]))
    for row in ws.iter_rows(min_row=7, max_row=20, min_col=2, max_col=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True)


def deadline_label(deadline: datetime, lang: str = "vi") -> str:
    """A deadline as local date and time text."""
    return i18n.format_datetime(deadline, lang, True)
