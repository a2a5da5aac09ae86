"""Read an uploaded CSV or XLSX table into numbered rows: the one reader every file import of
the IOC uses (dossiers, monthly submissions, water samples …), so row numbers in error messages
always mean the same thing — the row the user sees in Excel (the header is row 1).

Values are kept as the file holds them (text stripped; numbers, dates and times as Python
values from XLSX); each import validates and converts its own columns and reports problems as
``row N, column X``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Final

CellValue = str | int | float | bool | datetime | date | time | None

MAX_ROWS: Final = 200_000
XLSX_MAGIC: Final = b"PK\x03\x04"


class TableError(ValueError):
    """The file as a whole cannot be read (wrong type, bad encoding, no header, too big)."""


@dataclass(frozen=True)
class TableRow:
    """One data row: its number as shown in a spreadsheet (header = 1) and its cells by column."""

    number: int
    values: dict[str, CellValue]

    def text(self, column: str) -> str:
        """The cell as stripped text ('' when empty)."""
        value = self.values.get(column)
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value).strip()


@dataclass(frozen=True)
class Table:
    """A read table: its header (as written) and its non-empty data rows."""

    columns: list[str]
    rows: list[TableRow]


def read_table(
    filename: str, data: bytes, *, sheet: str | None = None, max_rows: int = MAX_ROWS
) -> Table:
    """Read ``data`` (CSV or XLSX, told apart by content, not only by name).

    Raises :class:`TableError` with a Vietnamese and English message for a file that is not a
    table, a CSV that is not UTF-8, a missing header, duplicate column names or too many rows.
    """
    if data.startswith(XLSX_MAGIC) or filename.lower().endswith((".xlsx", ".xlsm")):
        rows = _xlsx_rows(data, sheet)
    elif filename.lower().endswith((".csv", ".txt")) or not filename:
        rows = _csv_rows(data)
    else:
        raise TableError(f"Tệp {filename!r} không phải CSV hoặc XLSX (the file is not CSV or XLSX)")
    header: list[str] | None = None
    out: list[TableRow] = []
    for number, cells in rows:
        if header is None:
            if all(_blank(c) for c in cells):
                continue
            header = [str(c).strip() if c is not None else "" for c in cells]
            _check_header(header, number)
            continue
        if all(_blank(c) for c in cells):
            continue
        if len(out) >= max_rows:
            raise TableError(
                f"Tệp có hơn {max_rows:,} dòng dữ liệu; hãy chia nhỏ "
                f"(more than {max_rows:,} data rows; split the file)".replace(",", ".")
            )
        values = {
            col: _clean(cells[i]) if i < len(cells) else None for i, col in enumerate(header) if col
        }
        out.append(TableRow(number, values))
    if header is None:
        raise TableError("Tệp không có dòng tiêu đề (the file has no header row)")
    return Table([c for c in header if c], out)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _clean(value: Any) -> CellValue:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value  # type: ignore[no-any-return]


def _check_header(header: list[str], number: int) -> None:
    seen: set[str] = set()
    for col in header:
        if not col:
            continue
        key = col.casefold()
        if key in seen:
            raise TableError(
                f"Dòng {number}: cột {col!r} lặp lại (row {number}: duplicate column {col!r})"
            )
        seen.add(key)
    if not seen:
        raise TableError("Tệp không có dòng tiêu đề (the file has no header row)")


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TableError(
            "Tệp CSV phải mã hóa UTF-8 — trong Excel chọn 'CSV UTF-8' khi lưu "
            f"(the CSV file must be UTF-8; byte {exc.start})"
        ) from exc
    first = text.split("\n", 1)[0]
    # Vietnamese Excel writes ';' when the decimal mark is ','.
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    for number, cells in enumerate(reader, start=1):
        yield number, list(cells)


def _xlsx_rows(data: bytes, sheet: str | None) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a corrupt file
        raise TableError(f"Không đọc được tệp XLSX (unreadable XLSX): {exc}") from exc
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise TableError(f"Không có trang tính {sheet!r} (no sheet named {sheet!r})")
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        for number, cells in enumerate(ws.iter_rows(values_only=True), start=1):
            yield number, list(cells)
    finally:
        book.close()
