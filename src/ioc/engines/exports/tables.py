"""Tables to CSV (UTF-8 with BOM, so Excel shows Vietnamese correctly) and XLSX.

Every CSV or XLSX the app writes goes through :func:`safe_cell` (directly via ``to_csv`` /
``to_xlsx``, or via :func:`safe_row` for the few hand-built workbooks such as the submission
templates): a text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
would be read by Excel or LibreOffice as a formula (``=HYPERLINK(...)``, DDE), so it gets a
leading single quote (OWASP "CSV injection"). Numbers, dates and empty cells are unchanged.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
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


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` made safe for a spreadsheet cell: text that a spreadsheet would run as a
    formula (it starts with = + - @, a tab or a carriage return) gets a leading ``'``; every
    other value (numbers, including negative ones, dates, None) is returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def safe_row(row: Iterable[Any]) -> list[Any]:
    """:func:`safe_cell` of each value of ``row`` (for ``sheet.append`` / ``writer.writerow``)."""
    return [safe_cell(v) for v in row]


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        # Excel has no time zones: write local wall time, and say which zone in the header.
        return value.replace(tzinfo=None)
    return safe_cell(value)


def to_csv(table: Table) -> bytes:
    """CSV with a BOM and comma separators; times as ISO 8601 with their offset."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(safe_row(table.header))
    for row in table.rows:
        writer.writerow([v.isoformat() if isinstance(v, datetime) else safe_cell(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(table: Table) -> bytes:
    """One sheet: title, notes, a bold header and the rows (times as local date-times)."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    # Excel refuses / \\ ? * [ ] : in sheet names and more than 31 characters.
    sheet.title = re.sub(r"[\\/?*\[\]:]", "-", table.title)[:31].strip() or "Du_lieu"
    sheet.append([safe_cell(table.title)])
    sheet["A1"].font = Font(bold=True, size=13)
    for note in table.notes:
        sheet.append([safe_cell(note)])
    sheet.append([])
    sheet.append(safe_row(table.header))
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
