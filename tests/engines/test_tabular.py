"""The shared CSV/XLSX reader: row numbers as Excel shows them, clear file-level errors."""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Iterator
from datetime import datetime

import pytest
from openpyxl import Workbook

from ioc.engines.ingestion import tabular
from ioc.engines.ingestion.tabular import TableError, read_table
from ioc.settings import Settings

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


SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def raw_xlsx(sheet_xml_parts: Iterator[str], dimension: str | None = None) -> bytes:
    """A minimal XLSX written with zipfile: one sheet whose XML is streamed from the parts."""
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
        'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    workbook = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    workbook_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", content_types)
        zf.writestr("_rels/.rels", rels)
        zf.writestr("xl/workbook.xml", workbook)
        zf.writestr("xl/_rels/workbook.xml.rels", workbook_rels)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            size = f'<dimension ref="{dimension}"/>' if dimension else ""
            sheet.write(f"{SHEET_HEAD}{size}<sheetData>".encode())
            for part in sheet_xml_parts:
                sheet.write(part.encode())
            sheet.write(b"</sheetData></worksheet>")
    return out.getvalue()


HEADER_ROW = '<row r="1"><c r="A1" t="inlineStr"><is><t>ma</t></is></c></row>'


def blank_rows(first: int, last: int, chunk: int = 50_000, cell: bool = False) -> Iterator[str]:
    """Rows ``first``..``last`` without a value (with one empty cell each when ``cell``)."""
    for start in range(first, last + 1, chunk):
        stop = min(start + chunk, last + 1)
        if cell:
            yield "".join(f'<row r="{n}"><c r="A{n}"/></row>' for n in range(start, stop))
        else:
            yield "".join(f'<row r="{n}"/>' for n in range(start, stop))


def test_blank_rows_count_towards_the_row_limit() -> None:
    # Half a million rows holding one empty cell (~17 MB of XML), then one data row: refused as
    # soon as the limit is passed instead of parsing them all.
    data = raw_xlsx(
        iter(
            [
                HEADER_ROW,
                *blank_rows(2, 500_000, cell=True),
                '<row r="500001"><c r="A500001"><v>1</v></c></row>',
            ]
        )
    )
    with pytest.raises(TableError, match=r"hơn 1\.000 dòng"):
        read_table("a.xlsx", data, max_rows=1000)
    # The same with rows left out (openpyxl fills the gap with blank rows).
    gap = raw_xlsx(iter([HEADER_ROW, '<row r="1500001"><c r="A1500001"><v>1</v></c></row>']))
    started = time.monotonic()
    with pytest.raises(TableError, match=r"hơn 1\.000 dòng"):
        read_table("a.xlsx", gap, max_rows=1000)
    assert time.monotonic() - started < 3
    # A forged dimension (A1:A1500000) with no rows is not padded with blank rows either.
    forged = raw_xlsx(iter([HEADER_ROW]), dimension="A1:A1500000")
    started = time.monotonic()
    assert read_table("a.xlsx", forged, max_rows=1000).rows == []
    assert time.monotonic() - started < 5
    # Blank lines of a CSV count too.
    with pytest.raises(TableError, match="hơn 10 dòng"):
        read_table("a.csv", ("a\n" + "\n" * 20 + "1\n").encode(), max_rows=10)


def test_xlsx_that_unzips_too_large_is_refused_before_parsing() -> None:
    # ~60 MB of sheet XML (blank rows) in a file of a few hundred KB.
    data = raw_xlsx(iter([HEADER_ROW, *blank_rows(2, 3_300_000)]))
    assert len(data) < 8 * 1024 * 1024
    started = time.monotonic()
    with pytest.raises(TableError, match="giải nén") as error:
        read_table("a.xlsx", data)
    assert "50 MB" in str(error.value)
    assert time.monotonic() - started < 3
    # The limit is a setting (applied at start-up through configure_limits).
    small = xlsx([["ma"], ["A"]])
    with pytest.raises(TableError, match="giải nén"):
        read_table("a.xlsx", small, max_unzipped_bytes=1000)
    assert Settings().import_xlsx_max_unzipped_mb == 50
    before = tabular.limits()
    try:
        tabular.configure_limits(Settings(import_xlsx_max_unzipped_mb=1))
        assert tabular.limits().max_unzipped_bytes == 1024 * 1024
    finally:
        tabular.configure_limits(before)
    assert [r.text("ma") for r in read_table("a.xlsx", small).rows] == ["A"]
