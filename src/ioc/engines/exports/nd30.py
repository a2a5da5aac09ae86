"""DOCX documents in the NĐ 30/2020/NĐ-CP layout (Phụ lục I): the one writer of the IOC's
administrative documents (the reporting pack's consolidated report, a commune's scorecard).

Layout (``shared/domain/document-format-nd30.md``): A4 portrait, margins top/bottom 20 mm,
left 30 mm, right 15 mm; Times New Roman throughout; a borderless header table with the
issuing body (UPPER, 13, bold, short rule under it) and "Số: …" (13) on the left, the national
motto (12 bold UPPER), the tagline (13 bold, underlined) and the italic place and date line
(14) on the right; the kind ("BÁO CÁO") and the summary line (14 bold) with a short rule; body
14 pt justified, first-line indent 1.27 cm, 6 pt after; "Nơi nhận:" 12 bold italic with
recipients at 11 ending ";" and "- Lưu: VT, …."; signature lines and name (14 bold). Page
numbers centred in the header from page 2 (none on page 1).

Use :class:`Nd30Document` (``header`` → ``title`` → ``body``/``table`` → ``signature`` →
``to_bytes``); the low-level helpers stay public for writers that need a different shape.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt
from docx.text.paragraph import Paragraph

FONT = "Times New Roman"
PLACE = "Đắk Lắk"
MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
TAGLINE = "Độc lập - Tự do - Hạnh phúc"
TEXT_WIDTH_CM = 16.5  # A4 minus the 30 mm and 15 mm margins


def number_line(number: str, suffix: str = "BC-UBND") -> str:
    """ "Số: 0124/BC-UBND" — the number as typed, a lone digit padded; blank leaves room to
    write it by hand."""
    n = number.strip()
    if len(n) == 1 and n.isdigit():
        n = "0" + n
    return f"Số: {n or '      '}/{suffix}"


def date_line(d: date, place: str = PLACE) -> str:
    """ "Đắk Lắk, ngày 05 tháng 01 năm 2026": day < 10 and months 1–2 padded."""
    month = f"{d.month:02d}" if d.month <= 2 else str(d.month)
    return f"{place}, ngày {d.day:02d} tháng {month} năm {d.year}"


def _font_on_all_scripts(rpr: Any) -> None:
    """Name :data:`FONT` for every script (ASCII, high ANSI, East Asian, complex) of the run
    properties ``rpr``: Word picks the font by script, so one name alone is not enough."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), FONT)


def font(run: Any, size: float, *, bold: bool = False, italic: bool = False) -> None:
    """Times New Roman at ``size`` pt on every script of ``run``."""
    run.font.name = FONT
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.italic = italic
    _font_on_all_scripts(run._element.get_or_add_rPr())


def para(
    container: Any,
    text: str,
    size: float,
    *,
    bold: bool = False,
    italic: bool = False,
    underline: bool = False,
    align: Any = WD_ALIGN_PARAGRAPH.CENTER,
    after: float = 0,
    indent: float | None = None,
) -> Paragraph:
    """A paragraph of one run."""
    p: Paragraph = container.add_paragraph()
    p.alignment = align
    fmt = p.paragraph_format
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(after)
    if indent is not None:
        fmt.first_line_indent = Cm(indent)
    run = p.add_run(text)
    font(run, size, bold=bold, italic=italic)
    run.font.underline = underline
    return p


def rule(container: Any, width_cm: float, box_cm: float) -> Paragraph:
    """A short centred horizontal rule (a top border on a narrow, indented empty paragraph)."""
    p: Paragraph = container.add_paragraph()
    side = max((box_cm - width_cm) / 2, 0)
    p.paragraph_format.left_indent = Cm(side)
    p.paragraph_format.right_indent = Cm(side)
    p.paragraph_format.space_before = Pt(3)
    p.paragraph_format.space_after = Pt(0)
    p.paragraph_format.line_spacing = Pt(4)
    ppr = p._p.get_or_add_pPr()
    border = OxmlElement("w:pBdr")
    top = OxmlElement("w:top")
    for k, v in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        top.set(qn(k), v)
    border.append(top)
    ppr.append(border)
    return p


def no_borders(table: Any) -> None:
    """Hide every border of ``table``."""
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "nil")
        borders.append(el)
    tbl_pr.append(borders)


def widths(table: Any, *widths_cm: float) -> None:
    """Fixed column widths (grid and every cell: Word and LibreOffice read different ones)."""
    table.autofit = False
    tbl_pr = table._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tbl_pr.append(layout)
    for col, width in zip(table.columns, widths_cm, strict=True):
        col.width = Cm(width)
        for c in col.cells:
            c.width = Cm(width)


def cell(table: Any, row: int, col: int, width_cm: float) -> Any:
    """An emptied cell of ``table`` (python-docx starts each with one empty paragraph)."""
    c = table.cell(row, col)
    c.width = Cm(width_cm)
    for p in list(c.paragraphs):
        p._p.getparent().remove(p._p)
    return c


def page_numbers(section: Any) -> None:
    """Centred PAGE field in the header, with a different (empty) first-page header."""
    section.different_first_page_header_footer = True
    p = section.header.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run()
    font(run, 13)
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), kind)
            run._r.append(fld)
        else:
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)


def new_document() -> Any:
    """An empty A4 portrait document with the NĐ 30 margins, font and page numbers."""
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(14)
    _font_on_all_scripts(normal.element.get_or_add_rPr())
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    page_numbers(section)
    return doc


def body(
    doc: Any, text: str, *, bold: bool = False, italic: bool = False, size: float = 14
) -> None:
    """A body paragraph: justified, first-line indent 1.27 cm, 6 pt after, line 1.15."""
    p = para(
        doc, text, size, bold=bold, italic=italic, align=WD_ALIGN_PARAGRAPH.JUSTIFY, after=6,
        indent=1.27,
    )  # fmt: skip
    p.paragraph_format.line_spacing = 1.15


def header(doc: Any, issuer: Sequence[str], number: str, on: date, place: str = PLACE) -> None:
    """The borderless header table: issuing body (with a short rule under it) and ``number``
    on the left; motto, tagline and the place/date line on the right."""
    left_w, right_w = 6.3, 10.2
    head = doc.add_table(rows=2, cols=2)
    head.alignment = WD_TABLE_ALIGNMENT.CENTER
    widths(head, left_w, right_w)
    no_borders(head)
    c = cell(head, 0, 0, left_w)
    for line in issuer:
        para(c, line, 13, bold=True)
    rule(c, 2.0, left_w)
    c = cell(head, 0, 1, right_w)
    para(c, MOTTO, 12, bold=True)
    para(c, TAGLINE, 13, bold=True, underline=True)
    c = cell(head, 1, 0, left_w)
    para(c, number, 13)
    c = cell(head, 1, 1, right_w)
    para(c, date_line(on, place), 14, italic=True)


def signature(
    doc: Any, recipients: Sequence[str], filing: str, lines: Sequence[str], name: str
) -> None:
    """ "Nơi nhận:" with its list and ``filing`` on the left; the signature ``lines``, room to
    sign and the signer's ``name`` on the right."""
    sign = doc.add_table(rows=1, cols=2)
    widths(sign, 8.0, 8.5)
    no_borders(sign)
    c = cell(sign, 0, 0, 8.0)
    para(c, "Nơi nhận:", 12, bold=True, italic=True, align=WD_ALIGN_PARAGRAPH.LEFT)
    for r in recipients:
        para(c, f"- {r};", 11, align=WD_ALIGN_PARAGRAPH.LEFT)
    para(c, filing, 11, align=WD_ALIGN_PARAGRAPH.LEFT)
    c = cell(sign, 0, 1, 8.5)
    for line in lines:
        para(c, line, 14, bold=True)
    for _ in range(4):
        para(c, "", 14)
    para(c, name, 14, bold=True)


class Nd30Document:
    """An administrative document in the NĐ 30 layout, built top to bottom."""

    def __init__(self) -> None:
        self.doc = new_document()

    def header(self, issuer: Sequence[str], number: str, on: date, place: str = PLACE) -> None:
        """Issuing body and number on the left; motto, tagline and place/date on the right."""
        header(self.doc, issuer, number, on, place)

    def title(self, kind: str, summary: str) -> None:
        """ "BÁO CÁO" and its summary line with a short rule under it."""
        para(self.doc, "", 14)
        para(self.doc, kind, 14, bold=True)
        para(self.doc, summary, 14, bold=True)
        rule(self.doc, 5.0, TEXT_WIDTH_CM)

    def body(
        self, text: str, *, bold: bool = False, italic: bool = False, size: float = 14
    ) -> None:
        """A body paragraph."""
        body(self.doc, text, bold=bold, italic=italic, size=size)

    def table(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[str]],
        widths_cm: Sequence[float],
        *,
        size: float = 11,
        fills: Sequence[Sequence[str | None]] | None = None,
    ) -> None:
        """A bordered table (header row bold and centred); ``fills`` gives each body cell's
        background colour (hex ``RRGGBB`` or None)."""
        t = self.doc.add_table(rows=1 + len(rows), cols=len(header))
        t.style = "Table Grid"
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        widths(t, *widths_cm)
        for j, text in enumerate(header):
            para(cell(t, 0, j, widths_cm[j]), text, size, bold=True)
        for i, row in enumerate(rows, start=1):
            for j, text in enumerate(row):
                align = WD_ALIGN_PARAGRAPH.LEFT if j == 0 else WD_ALIGN_PARAGRAPH.CENTER
                c = cell(t, i, j, widths_cm[j])
                para(c, text, size, align=align)
                fill = fills[i - 1][j] if fills is not None else None
                if fill:
                    shade = OxmlElement("w:shd")
                    shade.set(qn("w:val"), "clear")
                    shade.set(qn("w:color"), "auto")
                    shade.set(qn("w:fill"), fill)
                    c._tc.get_or_add_tcPr().append(shade)

    def signature(
        self,
        recipients: Sequence[str],
        filing: str,
        lines: Sequence[str],
        name: str,
    ) -> None:
        """An empty line, then the recipients and the signature block (:func:`signature`)."""
        para(self.doc, "", 14)
        signature(self.doc, recipients, filing, lines, name)

    def to_bytes(self) -> bytes:
        """The document as DOCX bytes."""
        buf = io.BytesIO()
        self.doc.save(buf)
        return buf.getvalue()


__all__ = [
    "FONT",
    "Nd30Document",
    "body",
    "cell",
    "date_line",
    "font",
    "header",
    "new_document",
    "no_borders",
    "number_line",
    "page_numbers",
    "para",
    "rule",
    "signature",
    "widths",
]
