"""Tables to CSV (UTF-8 with BOM, so Excel shows Vietnamese correctly) and XLSX."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font


@dataclass
class Table:
    """A titled table: header row, data rows, and notes printed under the title in XLSX."""

    title: str
    header: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        # Excel has no time zones: write local wall time, and say which zone in the header.
        return value.replace(tzinfo=None)
    return value


def to_csv(table: Table) -> bytes:
    """CSV with a BOM and comma separators; times as ISO 8601 with their offset."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(table.header)
    for row in table.rows:
        writer.writerow([v.isoformat() if isinstance(v, datetime) else v for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(table: Table) -> bytes:
    """One sheet: title, notes, a bold header and the rows (times as local date-times)."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    # Excel refuses / \\ ? * [ ] : in sheet names and more than 31 characters.
    sheet.title = re.sub(r"[\\/?*\[\]:]", "-", table.title)[:31].strip() or "Du_lieu"
    sheet.append([table.title])
    sheet["A1"].font = Font(bold=True, size=13)
    for note in table.notes:
        sheet.append([note])
    sheet.append([])
    sheet.append(table.header)
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append([_cell(v) for v in row])
    for column in sheet.iter_cols(min_row=header_row, max_row=header_row):
        for cell in column:
            if isinstance(cell.value, str):
                sheet.column_dimensions[cell.column_letter].width = max(12, len(cell.value) + 2)
    for row in sheet.iter_rows(min_row=header_row + 1):
        for cell in row:
            if isinstance(cell.value, datetime):
                cell.number_format = "dd/mm/yyyy hh:mm"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
