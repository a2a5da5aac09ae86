"""A commune's scorecard on one page: DOCX in the NĐ 30/2020 layout, written by the one NĐ 30
writer of the exports engine (:mod:`ioc.engines.exports.nd30`)."""

from __future__ import annotations

from datetime import date

from ioc.core import i18n
from ioc.engines.exports.nd30 import Nd30Document, number_line
from ioc.packs.communes.config import NONE
from ioc.packs.communes.service import Board, FigureRow, Line

ISSUER = ("ỦY BAN NHÂN DÂN", "TỈNH ĐẮK LẮK")
RECIPIENTS = ("UBND {name}", "Lãnh đạo UBND tỉnh (để b/c)", "Trung tâm Giám sát, điều hành")
FILING = "- Lưu: VT, IOC."
LEVEL = {"green": "Tốt", "yellow": "Cần cố gắng", "red": "Yếu", NONE: "Không có số liệu"}
# Light fills of the levels (printable), hex without '#'.
SHADE = {"green": "C8E6C9", "yellow": "FFF3C4", "red": "FFCDD2"}


def _num(value: float | None, decimals: int) -> str:
    return i18n.format_number(value, "vi", decimals) if value is not None else "—"


def commune_docx(board: Board, line: Line, rows: list[FigureRow], on: date) -> bytes:
    """The one-page report of ``line`` on ``board`` (Vietnamese, the language of the form)."""
    total = len(board.lines)
    doc = Nd30Document()
    doc.header(ISSUER, number_line("", "BC-UBND"), on)
    doc.title("BÁO CÁO", f"Bảng điểm {line.name} ngày {i18n.format_date(board.day, 'vi')}")
    if line.score is None:
        standing = "chưa được xếp hạng vì chưa có số liệu của chỉ tiêu nào trong bảng điểm."
    else:
        standing = (
            f"đạt {_num(line.score, 1)} điểm, mức {LEVEL[line.color].lower()}, "
            f"xếp hạng {line.rank}/{total} xã, phường của tỉnh."
        )
    doc.body(f"Ngày {i18n.format_date(board.day, 'vi')}, {line.name} {standing}")
    reds = [r for r in rows if r.column.on_board and r.color == "red"]
    if reds:
        doc.body(
            "Các chỉ tiêu ở mức yếu: "
            + "; ".join(f"{r.column.name_vi} ({_num(r.value, r.column.decimals)})" for r in reds)
            + "."
        )
    missing = [r for r in rows if r.column.on_board and r.value is None]
    if missing:
        doc.body(
            "Chưa có số liệu: " + "; ".join(r.column.name_vi for r in missing) + ".",
            italic=True,
        )
    table_rows = []
    fills = []
    for r in rows:
        rank = f"{r.rank}/{total}" if r.rank is not None else "—"
        level = LEVEL.get(r.color, "") if r.column.on_board else "Tham khảo"
        value = _num(r.value, r.column.decimals)
        if r.value is not None and r.column.unit:
            value += f" {r.column.unit}" if r.column.unit != "%" else "%"
        table_rows.append([r.column.name_vi, value, level, rank])
        fills.append([None, None, SHADE.get(r.color), None])
    doc.table(["Chỉ tiêu", "Giá trị", "Mức", "Hạng"], table_rows, (7.5, 3.4, 3.0, 2.6), fills=fills)
    doc.body(
        "Điểm là bình quân gia quyền điểm các chỉ tiêu có số liệu (tốt 100, cần cố gắng 50, "
        "yếu 0); chỉ tiêu không có số liệu không được tính là 0.",
        italic=True,
        size=12,
    )
    doc.signature(
        [r.format(name=line.name) for r in RECIPIENTS],
        FILING,
        ("TL. CHỦ TỊCH", "GIÁM ĐỐC TRUNG TÂM"),
        "",
    )
    return doc.to_bytes()
