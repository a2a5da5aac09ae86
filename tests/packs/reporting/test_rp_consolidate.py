"""Consolidation: the DOCX in the NĐ 30/2020 layout and the XLSX annex from submitted tables."""

from __future__ import annotations

import io
from datetime import date, datetime

from docx import Document
from docx.shared import Pt
from openpyxl import load_workbook
from rp_helpers import SKHCN, SXD, SYT, doer, filled
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core.models import Agency
from ioc.packs.reporting import consolidate, service
from ioc.packs.reporting.models import Campaign, Submission


def _campaign(db: Session) -> Campaign:
    """A 2026 campaign where Sở Y tế and Sở KH&CN were accepted, Sở Xây dựng never sent."""
    c = service.create_campaign(db, doer(db, SXD), year=2026, agency_codes=[SYT, SKHCN, SXD])
    subs = {
        a.code: s
        for s, a in db.execute(
            select(Submission, Agency).join(Agency).where(Submission.campaign_id == c.id)
        ).all()
    }
    other = filled()
    other["indicators"]["rows"][0]["value"] = 4.0
    other["funding"]["rows"][1]["planned"] = 500.0
    for code, data in ((SYT, filled()), (SKHCN, other)):
        service.submit(db, doer(db, code), subs[code], data)
        service.accept(db, doer(db, SXD), subs[code])
    service.set_document(
        db, doer(db, SXD), c, number="0124", doc_date=date(2026, 11, 5), signer="Trương Công Thái"
    )
    db.flush()
    return c


def _texts(cell_or_doc) -> list[str]:  # type: ignore[no-untyped-def]
    return [p.text for p in cell_or_doc.paragraphs]


def test_docx_layout_nd30(db: Session, frozen_now: datetime) -> None:
    c = _campaign(db)
    doc = Document(io.BytesIO(consolidate.build_docx(db, c, date(2026, 11, 5))))
    sec = doc.sections[0]
    assert (round(sec.page_width.mm), round(sec.page_height.mm)) == (210, 297)
    assert 20 <= round(sec.top_margin.mm) <= 25 and 20 <= round(sec.bottom_margin.mm) <= 25
    assert 30 <= round(sec.left_margin.mm) <= 35 and 15 <= round(sec.right_margin.mm) <= 20
    # Page number in the header from page 2; page 1's header is empty.
    assert sec.different_first_page_header_footer
    assert "PAGE" in sec.header._element.xml and sec.first_page_header.paragraphs[0].text == ""
    head = doc.tables[0]
    left, right = head.cell(0, 0), head.cell(0, 1)
    assert _texts(left)[:2] == ["ỦY BAN NHÂN DÂN", "TỈNH ĐẮK LẮK"]
    assert all(r.bold and r.font.size == Pt(13) for p in left.paragraphs[:2] for r in p.runs)
    assert "w:pBdr" in left.paragraphs[2]._p.xml  # the short rule under the issuing body
    motto, tagline = right.paragraphs[0].runs[0], right.paragraphs[1].runs[0]
    assert (
        motto.text == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
        and motto.bold
        and motto.font.size == Pt(12)
    )
    assert tagline.text == "Độc lập - Tự do - Hạnh phúc" and tagline.bold and tagline.underline
    assert head.cell(1, 0).paragraphs[0].text == "Số: 0124/BC-UBND"
    when = head.cell(1, 1).paragraphs[0].runs[0]
    assert (
        when.text == "Đắk Lắk, ngày 05 tháng 11 năm 2026"
        and when.italic
        and when.font.size == Pt(14)
    )
    body = doc.paragraphs
    texts = [p.text for p in body]
    i = texts.index("BÁO CÁO")
    assert body[i].runs[0].bold and body[i].runs[0].font.size == Pt(14)
    assert texts[i + 1] == "Kết quả thực hiện nhiệm vụ phát triển đô thị thông minh năm 2026"
    justified = [p for p in body if p.alignment == 3 and p.text]  # WD_ALIGN_PARAGRAPH.JUSTIFY
    assert justified and all(p.paragraph_format.first_line_indent is not None for p in justified)
    assert all(r.font.size == Pt(14) for p in justified for r in p.runs)
    assert any("Sở Y tế" in t and "Đã ban hành kế hoạch" in t for t in texts)
    # Every run is Times New Roman (also for Vietnamese/complex scripts).
    for p in body + [
        p for t in doc.tables for row in t.rows for cell in row.cells for p in cell.paragraphs
    ]:
        for r in p.runs:
            assert r.font.name == "Times New Roman"
    sign = doc.tables[-1]
    recv = sign.cell(0, 0).paragraphs
    assert recv[0].text == "Nơi nhận:" and recv[0].runs[0].bold and recv[0].runs[0].italic
    assert recv[0].runs[0].font.size == Pt(12)
    assert all(p.runs[0].font.size == Pt(11) and p.text.startswith("- ") for p in recv[1:])
    assert all(p.text.endswith(";") for p in recv[1:-1]) and recv[-1].text.startswith("- Lưu: VT")
    assert recv[-1].text.endswith(".")
    signer = [p for p in sign.cell(0, 1).paragraphs if p.text]
    assert [p.text for p in signer] == ["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Trương Công Thái"]
    assert all(p.runs[0].bold and p.runs[0].font.size == Pt(14) for p in signer)


def test_number_and_date_rules() -> None:
    assert consolidate.number_line("7") == "Số: 07/BC-UBND"
    assert consolidate.number_line("0124") == "Số: 0124/BC-UBND"
    assert consolidate.date_line(date(2026, 1, 5)) == "Đắk Lắk, ngày 05 tháng 01 năm 2026"
    assert consolidate.date_line(date(2025, 11, 26)) == "Đắk Lắk, ngày 26 tháng 11 năm 2025"
    assert consolidate.date_line(date(2026, 3, 9)) == "Đắk Lắk, ngày 09 tháng 3 năm 2026"


def test_xlsx_annex_matches_submitted_tables(db: Session, frozen_now: datetime) -> None:
    c = _campaign(db)
    book = load_workbook(io.BytesIO(consolidate.build_xlsx(db, c)))
    assert book.sheetnames == ["PL1", "PL2", "PL3", "Tinh hinh"]
    submitted = {code: filled() for code in (SYT, SKHCN)}
    submitted[SKHCN]["indicators"]["rows"][0]["value"] = 4.0
    submitted[SKHCN]["funding"]["rows"][1]["planned"] = 500.0
    names = {
        a.short_name: a.code
        for a in db.execute(select(Agency).where(Agency.code.in_([SYT, SKHCN]))).scalars()
    }
    for sheet_name, section in (("PL1", "indicators"), ("PL2", "tasks"), ("PL3", "funding")):
        rows = list(book[sheet_name].iter_rows(values_only=True))
        head_at = next(i for i, r in enumerate(rows) if r[0] == "Đơn vị")
        data = rows[head_at + 1 :]
        expected = sum(len(submitted[code][section]["rows"]) for code in submitted)
        assert len(data) == expected
        for r in data:
            code = names.get(str(r[0]))
            assert code, r
            got = submitted[code][section]["rows"]
            if section == "tasks":
                assert list(r[1:]) == [got[0]["task"], got[0]["progress"], got[0]["status"], None]
            else:
                match = next(x for x in got if x["code"] == r[1])
                keys = ["value", "note"] if section == "indicators" else ["planned", "disbursed"]
                assert [v if v != "" else None for v in r[4:]] == [
                    match[k] if match[k] != "" else None for k in keys
                ]
    status = list(book["Tinh hinh"].iter_rows(values_only=True))
    assert any(r[0] == "Sở Xây dựng" and r[1] == "not_started" for r in status)


def test_history_side_by_side(db: Session, frozen_now: datetime) -> None:
    c = _campaign(db)
    old = service.create_campaign(db, doer(db, SXD), year=2025, agency_codes=[SYT])
    sub = db.execute(select(Submission).where(Submission.campaign_id == old.id)).scalar_one()
    service.submit(db, doer(db, SYT), sub, filled(2025))
    service.accept(db, doer(db, SXD), sub)
    db.flush()
    h = consolidate.history(db, "smart_city_annual")
    assert [y for _i, y, _p in h["columns"]] == [2025, 2026]
    ct01 = next(r for r in h["rows"] if r["label"].startswith("Số dịch vụ đô thị thông minh"))
    assert ct01["values"] == {old.id: 3.0, c.id: 7.0}
