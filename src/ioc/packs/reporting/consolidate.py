"""The consolidated provincial report: a DOCX in the NĐ 30/2020/NĐ-CP layout (Phụ lục I) and
an XLSX annex of every table, plus the year-on-year history of indicator totals.

Layout (``shared/domain/document-format-nd30.md``): A4 portrait, margins top/bottom 20 mm,
left 30 mm, right 15 mm; Times New Roman throughout; a borderless header table with the
issuing body (UPPER, 13, bold, short rule under it) and "Số: …/BC-UBND" (13) on the left, the
national motto (12 bold UPPER) and the tagline (13 bold, underlined) and the italic place and
date line (14) on the right; "BÁO CÁO" and the summary line (14 bold) with a short rule; body
14 pt justified, first-line indent 1.27 cm, 6 pt after; "Nơi nhận:" 12 bold italic with
recipients at 11 ending ";" and "- Lưu: VT, …."; signature "KT. CHỦ TỊCH" / "PHÓ CHỦ TỊCH" /
name (14 bold). Page numbers centred in the header from page 2 (none on page 1).
"""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import date
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core.models import Agency
from ioc.engines.exports import Table, safe_cell, to_xlsx
from ioc.engines.exports.nd30 import (  # the one NĐ 30 writer, under this module's old names
    body as _body,
)
from ioc.engines.exports.nd30 import date_line as date_line  # still read from here
from ioc.engines.exports.nd30 import header, new_document, number_line, signature
from ioc.engines.exports.nd30 import para as _para
from ioc.engines.exports.nd30 import rule as _rule
from ioc.packs.reporting import service
from ioc.packs.reporting.models import Campaign, Submission

ISSUER = ("ỦY BAN NHÂN DÂN", "TỈNH ĐẮK LẮK")
RECIPIENTS = (
    "Bộ Xây dựng (để b/c)",
    "TT Tỉnh ủy, TT HĐND tỉnh (để b/c)",
    "CT, các PCT UBND tỉnh",
    "Sở Xây dựng",
    "Các sở, ban, ngành",
)
FILING = "- Lưu: VT, SXD."


# ------------------------------------------------------------------------------- content


def accepted(session: Session, campaign: Campaign) -> list[tuple[Agency, Submission]]:
    """Accepted submissions of the campaign with their agencies, by agency name."""
    rows = session.execute(
        select(Agency, Submission)
        .join(Submission, Submission.agency_id == Agency.id)
        .where(Submission.campaign_id == campaign.id, Submission.status == service.ACCEPTED)
        .order_by(Agency.short_name)
    ).all()
    return [(agency, sub) for agency, sub in rows]


def _fmt(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, float):
        text = f"{value:,.2f}".rstrip("0").rstrip(".")
        return text.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")
    return str(value)


def totals(session: Session, campaign: Campaign) -> dict[tuple[str, str, str], float]:
    """Sum over accepted submissions of each numeric cell of the fixed-row tables (the mean
    for rows in "%": a sum of rates means nothing): (section, row code, column) -> total."""
    out: dict[tuple[str, str, str], float] = defaultdict(float)
    seen: dict[tuple[str, str, str], int] = defaultdict(int)
    percent = {
        (s["key"], r["code"])
        for s in service.table_sections(campaign)
        for r in s.get("rows", [])
        if r.get("unit") == "%"
    }
    for s in service.table_sections(campaign):
        if not s.get("rows"):
            continue
        numeric = [c["key"] for c in s["columns"] if c["type"] == "number"]
        for _agency, sub in accepted(session, campaign):
            for row in service.content(sub).get(s["key"], {}).get("rows", []):
                for col in numeric:
                    if isinstance(row.get(col), (int, float)):
                        out[(s["key"], row["code"], col)] += float(row[col])
                        seen[(s["key"], row["code"], col)] += 1
    return {k: round(v / seen[k], 2) if (k[0], k[1]) in percent else v for k, v in out.items()}


def build_docx(session: Session, campaign: Campaign, on: date) -> bytes:
    """The consolidated report as DOCX bytes."""
    meta = service.template_meta(campaign)
    doc = new_document()  # A4 portrait, NĐ 30 margins, Times New Roman, page numbers
    _docx_header(doc, campaign, on)
    _para(doc, "", 14)
    _para(doc, "BÁO CÁO", 14, bold=True)
    _para(doc, meta.get("summary_vi", campaign.title), 14, bold=True)
    _rule(doc, 5.0, 16.5)
    _para(doc, "Kính gửi: Bộ Xây dựng.", 14, after=6)
    _docx_body(doc, session, campaign, meta)
    _para(doc, "", 14)
    _docx_signature(doc, campaign)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _docx_header(doc: Any, campaign: Campaign, on: date) -> None:
    """The header table: issuing body | national motto; number | place and date."""
    header(doc, ISSUER, number_line(campaign.doc_number), campaign.doc_date or on)


def _docx_body(doc: Any, session: Session, campaign: Campaign, meta: dict[str, Any]) -> None:
    """The legal grounds, the opening sentence and one part per template section: the
    agencies' texts, the table totals, or the count of tasks."""
    _body(
        doc,
        "Căn cứ Nghị định số 269/2025/NĐ-CP ngày 14/10/2025 của Chính phủ về phát triển đô thị "
        "thông minh;",
        italic=True,
    )
    _body(
        doc,
        "Căn cứ Quyết định số 950/QĐ-TTg ngày 01/8/2018 của Thủ tướng Chính phủ phê duyệt Đề án "
        "phát triển đô thị thông minh bền vững Việt Nam giai đoạn 2018 - 2025 và định hướng đến "
        "năm 2030.",
        italic=True,
    )
    subs = accepted(session, campaign)
    summary = str(meta.get("summary_vi") or campaign.title)
    if campaign.cycle != "annual" and campaign.period_label:
        summary += f" ({campaign.period_label})"
    total = session.query(Submission).filter(Submission.campaign_id == campaign.id).count()
    _body(
        doc,
        f"Trên cơ sở báo cáo của {len(subs)}/{total} cơ quan, đơn vị do Sở Xây dựng tổng hợp, "
        f"Ủy ban nhân dân tỉnh Đắk Lắk báo cáo {summary[0].lower()}{summary[1:]} như sau:",
    )
    numerals = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")
    totals_map = totals(session, campaign)
    for i, s in enumerate(service.sections(campaign)):
        _body(doc, f"{numerals[i % len(numerals)]}. {s['title_vi'].upper()}", bold=True)
        if s["kind"] == "text":
            written = [
                (a, service.content(sub).get(s["key"], {}).get("text", "")) for a, sub in subs
            ]
            written = [(a, t) for a, t in written if t]
            if not written:
                _body(doc, "Chưa có nội dung từ các cơ quan, đơn vị.")
            for agency, text in written:
                for k, chunk in enumerate(p for p in text.splitlines() if p.strip()):
                    _body(doc, f"- {agency.short_name}: {chunk}" if k == 0 else chunk)
        elif s.get("rows"):
            numeric = [col for col in s["columns"] if col["type"] == "number"]
            for row in s["rows"]:
                keys = [(col, (s["key"], row["code"], col["key"])) for col in numeric]
                figures = "; ".join(
                    f"{col['title_vi'].lower()}: {_fmt(totals_map[key])}"
                    for col, key in keys
                    if key in totals_map
                )
                if figures:
                    _body(doc, f"- {row['name_vi']} ({row.get('unit', '')}): {figures}.")
            _body(doc, "(Chi tiết tại Phụ lục kèm theo.)", italic=True)
        else:
            count = sum(
                len(service.content(sub).get(s["key"], {}).get("rows", [])) for _a, sub in subs
            )
            _body(doc, f"Các cơ quan, đơn vị báo cáo {count} nhiệm vụ (chi tiết tại Phụ lục).")


def _docx_signature(doc: Any, campaign: Campaign) -> None:
    """The recipients (left) and the signature block (right)."""
    signature(
        doc,
        RECIPIENTS,
        FILING,
        ("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"),
        campaign.signer_name or service.policy().signer_name,
    )


# ---------------------------------------------------------------------------------- annex


def annex_tables(session: Session, campaign: Campaign) -> list[Table]:
    """One table per template table section (rows of every accepted agency), then the board."""
    subs = accepted(session, campaign)
    tables: list[Table] = []
    for n, s in enumerate(service.table_sections(campaign), start=1):
        fixed = {r["code"]: r for r in s.get("rows", [])}
        header = ["Đơn vị"]
        if fixed:
            header += ["Mã", "Chỉ tiêu", "Đơn vị tính"]
        header += [c["title_vi"] for c in s["columns"]]
        rows: list[list[Any]] = []
        for agency, sub in subs:
            for row in service.content(sub).get(s["key"], {}).get("rows", []):
                line: list[Any] = [agency.short_name]
                if fixed:
                    spec = fixed.get(row.get("code", ""), {})
                    line += [row.get("code", ""), spec.get("name_vi", ""), spec.get("unit", "")]
                line += [row.get(c["key"]) for c in s["columns"]]
                rows.append(line)
        tables.append(
            Table(
                title=f"Phụ lục {n}. {s['title_vi']}",
                header=header,
                rows=rows,
                notes=[campaign.title, f"Kỳ báo cáo: {campaign.period_label}"],
            )
        )
    on = service.today()
    tables.append(
        Table(
            title="Tình hình gửi báo cáo",
            header=["Đơn vị", "Trạng thái", "Nộp muộn", "Gửi lúc"],
            rows=[
                [
                    r["agency"].short_name,
                    r["state"],
                    "x" if r["late"] else "",
                    r["sub"].submitted_at,
                ]
                for r in service.board(session, campaign, on)
            ],
        )
    )
    return tables


def build_xlsx(session: Session, campaign: Campaign) -> bytes:
    """The annex: each table rendered by ``ioc.engines.exports.to_xlsx`` as one sheet of a
    single workbook (sheets named "PL1", "PL2" … and "Tinh hinh")."""
    book = Workbook()
    default = book.active
    tables = annex_tables(session, campaign)
    for i, table in enumerate(tables, start=1):
        source = load_workbook(io.BytesIO(to_xlsx(table))).active
        assert source is not None
        name = f"PL{i}" if i < len(tables) else "Tinh hinh"
        sheet = book.create_sheet(name)
        for row in source.iter_rows():
            for cell in row:
                # The values come from to_xlsx (already neutralised); safe_cell again so a
                # copied text can never turn into a formula here.
                value = safe_cell(cell.value)
                target = sheet.cell(row=cell.row, column=cell.column, value=value)
                if cell.font is not None and cell.font.b:
                    target.font = Font(bold=True, size=cell.font.sz)
                if cell.number_format != "General":
                    target.number_format = cell.number_format
        for letter, dim in source.column_dimensions.items():
            sheet.column_dimensions[letter].width = dim.width
    if default is not None:
        book.remove(default)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


# -------------------------------------------------------------------------------- history


def history(session: Session, template_key: str, cycle: str = "annual") -> dict[str, Any]:
    """Indicator totals of every campaign of a template and cycle, side by side by year."""
    campaigns = list(
        session.execute(
            select(Campaign)
            .where(Campaign.template_key == template_key, Campaign.cycle == cycle)
            .order_by(Campaign.year, Campaign.id)
        ).scalars()
    )
    columns = [(c.id, c.year, c.period_label) for c in campaigns]
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for c in campaigns:
        tot = totals(session, c)
        for s in service.table_sections(c):
            for spec in s.get("rows", []):
                for col in s["columns"]:
                    if col["type"] != "number":
                        continue
                    key = (s["key"], spec["code"], col["key"])
                    entry = rows.setdefault(
                        key,
                        {
                            "label": f"{spec['name_vi']} — {col['title_vi']}",
                            "unit": spec.get("unit", ""),
                            "values": {},
                        },
                    )
                    entry["values"][c.id] = tot.get(key)
    return {"columns": columns, "rows": list(rows.values())}
