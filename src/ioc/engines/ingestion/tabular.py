"""Read an uploaded CSV or XLSX table into numbered rows: the one reader every file import of
the IOC uses (dossiers, monthly submissions, water samples …), so row numbers in error messages
always mean the same thing — the row the user sees in Excel (the header is row 1).

Values are kept as the file holds them (text stripped; numbers, dates and times as Python
values from XLSX); each import validates and converts its own columns and reports problems as
``row N, column X``.

Hostile files are refused cheaply: an XLSX is a zip, and the sum of its members' uncompressed
sizes is checked against ``IOC_IMPORT_XLSX_MAX_UNZIPPED_MB`` before openpyxl parses anything
(zipfile never inflates a member past its declared size, so the sum is a real bound); and
reading stops once the sheet has more rows than the limit, blank rows included, so a small
file of a million empty rows costs milliseconds, not half a minute of CPU.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from ioc.settings import Settings

CellValue = str | int | float | bool | datetime | date | time | None

MAX_ROWS: Final = 200_000
XLSX_MAGIC: Final = b"PK\x03\x04"
MAX_UNZIPPED_MB: Final = 50
# An XLSX from Excel has a dozen members; thousands of them is a hostile archive.
MAX_ZIP_MEMBERS: Final = 10_000


class TableError(ValueError):
    """The file as a whole cannot be read (wrong type, bad encoding, no header, too big)."""


@dataclass(frozen=True)
class Limits:
    """Process-wide limits of the reader (set at start-up from the settings)."""

    max_unzipped_bytes: int = MAX_UNZIPPED_MB * 1024 * 1024


_limits = Limits()


def configure_limits(source: Settings | Limits) -> None:
    """Apply ``IOC_IMPORT_XLSX_MAX_UNZIPPED_MB`` (called by ``ioc.app.boot``; tests pass
    :class:`Limits` to restore the previous ones)."""
    global _limits
    if isinstance(source, Limits):
        _limits = source
    else:
        _limits = Limits(max_unzipped_bytes=source.import_xlsx_max_unzipped_mb * 1024 * 1024)


def limits() -> Limits:
    """The limits in force."""
    return _limits


def check_xlsx_size(data: bytes, max_unzipped_bytes: int | None = None) -> None:
    """Refuse an XLSX (a zip) whose members unzip to more than ``max_unzipped_bytes`` (the
    configured limit by default) or that has too many members — before any XML is parsed.

    Raises :class:`TableError` (Vietnamese and English); a file that is no zip at all is left
    to the XLSX reader, which says it is unreadable."""
    limit = _limits.max_unzipped_bytes if max_unzipped_bytes is None else max_unzipped_bytes
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        return
    mb = max(1, limit // (1024 * 1024))
    total = sum(m.file_size for m in members)
    if len(members) > MAX_ZIP_MEMBERS or total > limit:
        raise TableError(
            f"Tệp XLSX khi giải nén lớn hơn {mb} MB (hoặc có quá nhiều thành phần); hãy chia "
            f"nhỏ hoặc xóa các dòng trống thừa (the XLSX unzips to more than {mb} MB, or has "
            "too many parts; split it or delete unused blank rows)"
        )


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
    filename: str,
    data: bytes,
    *,
    sheet: str | None = None,
    max_rows: int = MAX_ROWS,
    max_unzipped_bytes: int | None = None,
) -> Table:
    """Read ``data`` (CSV or XLSX, told apart by content, not only by name).

    Raises :class:`TableError` with a Vietnamese and English message for a file that is not a
    table, a CSV that is not UTF-8, a missing header, duplicate column names, more than
    ``max_rows`` rows after the header (blank rows count: reading stops there) or an XLSX that
    unzips to more than ``max_unzipped_bytes`` (default: the configured limit).
    """
    if data.startswith(XLSX_MAGIC) or filename.lower().endswith((".xlsx", ".xlsm")):
        check_xlsx_size(data, max_unzipped_bytes)
        rows = _xlsx_rows(data, sheet)
    elif filename.lower().endswith((".csv", ".txt")) or not filename:
        rows = _csv_rows(data)
    else:
        raise TableError(f"Tệp {filename!r} không phải CSV hoặc XLSX (the file is not CSV or XLSX)")
    header: list[str] | None = None
    out: list[TableRow] = []
    for number, cells in rows:
        # Every row counts, blank or not: a file of a million empty rows stops here.
        if number > max_rows + 1:
            limit = f"{max_rows:,}".replace(",", ".")
            raise TableError(
                f"Tệp có hơn {limit} dòng (kể cả dòng trống); hãy chia nhỏ "
                f"(more than {limit} rows, blank ones included; split the file)"
            )
        if header is None:
            if all(_blank(c) for c in cells):
                continue
            header = [str(c).strip() if c is not None else "" for c in cells]
            _check_header(header, number)
            continue
        if all(_blank(c) for c in cells):
            continue
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
        # The file's own <dimension> is not trusted: a forged "A1:XFD1048576" would pad the
        # sheet with a million blank rows, a too small one would hide real rows.
        reset = getattr(ws, "reset_dimensions", None)
        if reset is not None:
            reset()
        for number, cells in enumerate(ws.iter_rows(values_only=True), start=1):
            yield number, list(cells)
    finally:
        book.close()
