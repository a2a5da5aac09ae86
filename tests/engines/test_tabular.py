"""The shared CSV/XLSX reader: row numbers as Excel shows them, clear file-level errors."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from openpyxl import Workbook

from ioc.engines.ingestion.tabular import TableError, read_table

MARCH_1 = datetime(2026, 3, 1)  # noqa: DTZ001 - Excel cells carry naive dates


def xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    ws = book.active
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_rows_keep_excel_numbers_and_types() -> None:
    data = xlsx(
        [
            [],
            ["Mã", "Ngày", "Giá trị"],
            ["A", MARCH_1, 12.5],
            [None, None, None],
            ["B", None, 3],
        ]
    )
    table = read_table("so-lieu.xlsx", data)
    assert table.columns == ["Mã", "Ngày", "Giá trị"]
    assert [r.number for r in table.rows] == [3, 5]  # blank rows skipped, numbering kept
    assert table.rows[0].values == {"Mã": "A", "Ngày": MARCH_1, "Giá trị": 12.5}
    assert table.rows[1].text("Giá trị") == "3" and table.rows[1].text("Ngày") == ""


def test_csv_with_semicolons_and_bom() -> None:
    data = "\ufeffmã;giá trị\nA; 1,5 \n\nB;2\n".encode()
    table = read_table("a.csv", data)
    assert table.columns == ["mã", "giá trị"]
    assert [(r.number, r.text("giá trị")) for r in table.rows] == [(2, "1,5"), (4, "2")]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("a.csv", "mã,giá trị\n".encode("utf-16"), "UTF-8"),
        ("a.pdf", b"%PDF-1.4", "không phải CSV hoặc XLSX"),
        ("a.xlsx", b"PK\x03\x04garbage", "Không đọc được tệp XLSX"),
        ("a.csv", b"\n\n", "không có dòng tiêu đề"),
        ("a.csv", "mã,Mã\n1,2\n".encode(), "lặp lại"),
    ],
)
def test_unreadable_files_say_why(name: str, data: bytes, message: str) -> None:
    with pytest.raises(TableError, match=message):
        read_table(name, data)


def test_row_limit() -> None:
    data = ("a\n" + "1\n" * 11).encode()
    with pytest.raises(TableError, match="hơn 10 dòng"):
        read_table("a.csv", data, max_rows=10)
