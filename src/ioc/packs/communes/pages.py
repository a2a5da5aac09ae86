"""Pages of the commune scorecards.

* ``GET /xa`` — the board of a day (default today): heat-map table of the 102 communes × the
  board indicators, sortable (``sort`` = ``rank``, ``name``, ``score`` or an indicator code;
  ``dir`` = ``asc``/``desc``), a choropleth of the scores, "what got worse" since ``compare``
  (default the day before) and the communes that need attention with the reason;
* ``GET /xa/export.xlsx`` — the board as XLSX (the exports engine);
* ``GET /xa/{code}`` — one commune: every figure with its trend and rank, its colour over 90
  days; ``GET /xa/{code}/report.docx`` — the same on one page in the NĐ 30 layout.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from ioc.core import i18n
from ioc.core.registry import Registry
from ioc.engines.exports import DOCX_MIME, Table
from ioc.packs.communes import report, service
from ioc.packs.communes.config import NONE
from ioc.web.deps import request_language
from ioc.web.pagekit import ViewerCall, attachment, table_file
from ioc.web.templating import render

router = APIRouter(include_in_schema=False)

# Fill and text colour of each level (the heat map, the map, the badges, the DOCX).
FILL = {"green": "#2E7D32", "yellow": "#F9A825", "red": "#C62828", NONE: "#ECEFF1"}
INK = {"green": "#FFFFFF", "yellow": "#1A1A1A", "red": "#FFFFFF", NONE: "#5B6777"}
TREND_DAYS = 30
HISTORY_DAYS = 90
CHANGES_SHOWN = 40


def _json(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def parse_day(value: str | None, field: str, lang: str) -> date | None:
    """``yyyy-mm-dd`` or ``dd/mm/yyyy``; empty is None; anything else a 422 naming the field."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        if "/" in text:
            d, m, y = (int(part) for part in text.split("/"))
            return date(y, m, d)
        return date.fromisoformat(text)
    except ValueError:
        raise HTTPException(
            status_code=422, detail=i18n.translate("cb.bad_day", lang, field=field)
        ) from None


def _registry(request: Request) -> Registry:
    reg: Registry = request.app.state.registry
    return reg


def _fmt(value: float | None, decimals: int, lang: str) -> str:
    return i18n.format_number(value, lang, decimals) if value is not None else "—"


@dataclass(frozen=True)
class Reason:
    """One line of why a commune needs attention."""

    kind: str  # red | yellow | worse | missing
    text: str


def reasons(item: service.Attention, lang: str) -> list[Reason]:
    """The reason lines of a commune that needs attention (red, worse, yellow, missing)."""

    def named(col: service.Column, value: float | None) -> str:
        shown = i18n.unit_label(col.unit, lang)
        unit = f" {shown}" if col.unit and col.unit != "%" else col.unit
        return f"{col.name(lang)} {_fmt(value, col.decimals, lang)}{unit}"

    t = i18n.translate
    out: list[Reason] = []
    if item.reds:
        items = "; ".join(named(c, item.line.values.get(c.code)) for c in item.reds)
        out.append(Reason("red", t("cb.reason.red", lang, items=items)))
    worse = [ch for ch in item.worse if ch.column is not None]
    if worse:
        items = "; ".join(
            f"{ch.column.name(lang)} ({t('cb.color.' + ch.before, lang).lower()} → "
            f"{t('cb.color.' + ch.after, lang).lower()})"
            for ch in worse
            if ch.column is not None
        )
        out.append(Reason("worse", t("cb.reason.worse", lang, items=items)))
    if item.yellows:
        items = "; ".join(named(c, item.line.values.get(c.code)) for c in item.yellows)
        out.append(Reason("yellow", t("cb.reason.yellow", lang, items=items)))
    if item.missing:
        out.append(Reason("missing", t("cb.reason.missing", lang, n=len(item.missing))))
    return out


def choropleth(board: service.Board, lang: str) -> dict[str, Any]:
    """The map layer: each commune coloured by its overall level (score classes)."""
    t = i18n.translate
    total = len(board.lines)
    cols = board.board_columns
    notes = {
        ln.code: (
            t("cb.map.note", lang, rank=ln.rank, total=total, reds=len(ln.reds(cols)))
            if ln.rank is not None
            else t("cb.map.unranked", lang)
        )
        for ln in board.lines
    }
    green = i18n.format_number(board.overall_green, lang, 0)
    red = i18n.format_number(board.overall_red, lang, 0)
    return {
        "name": t("cb.map.layer", lang),
        "title": t("cb.map.layer", lang),
        "values": {ln.code: ln.score for ln in board.lines},
        "notes": notes,
        "classes": [
            {"lt": board.overall_red, "color": FILL["red"],
             "label": t("cb.legend.red", lang, v=red)},
            {"lt": board.overall_green, "color": FILL["yellow"],
             "label": t("cb.legend.yellow", lang)},
            {"color": FILL["green"], "label": t("cb.legend.green", lang, v=green)},
        ],
        "decimals": 1,
        "opacity": 0.75,
    }  # fmt: skip


def heat_rows(
    lines: list[service.Line],
    columns: list[service.Column],
    day: date,
    before: dict[str, float | None] | None,
    lang: str,
) -> list[Markup]:
    """The heat-map rows, one ``<tr>`` each, built here rather than in the template: 102 × 20
    cells through Jinja2's call machinery (or ``Markup.format``) cost most of the page. Every
    text from the data is escaped with :func:`markupsafe.escape` before it is joined. A cell's
    colour is its class (``cb-green`` …, in the page's style sheet) and its level
    ``data-color``; a missing figure says so in its title."""
    t = i18n.translate
    missing = str(escape(t("cb.missing", lang)))
    names = [(str(escape(c.code)), c.code, str(escape(c.name(lang))), c.decimals) for c in columns]
    style = {c: f"background:{FILL[c]};color:{INK[c]}" for c in FILL}
    iso = day.isoformat()
    out = []
    for ln in lines:
        code = str(escape(ln.code))
        name = str(escape(ln.name))
        color = ln.color if ln.color in FILL else NONE
        parts = [
            f'<tr data-code="{code}" data-color="{color}">'
            f'<td class="num">{ln.rank if ln.rank is not None else "—"}</td>'
            f'<td><a href="/xa/{code}?day={iso}">{name}</a></td>'
            f'<td class="num" style="{style[color]};font-weight:700" '
            f'data-score="{"" if ln.score is None else ln.score}">{_fmt(ln.score, 1, lang)}</td>'
        ]
        if before is not None:
            old = before.get(ln.code)
            if old is None or ln.score is None:
                change = "—"
            else:
                delta = ln.score - old
                change = (
                    f"▲ {_fmt(delta, 1, lang)}" if delta > 0
                    else f"▼ {_fmt(-delta, 1, lang)}" if delta < 0 else "="
                )  # fmt: skip
            parts.append(f'<td class="num small">{change}</td>')
        for ind, raw_code, ind_name, decimals in names:
            v = ln.values.get(raw_code)
            if v is None:
                parts.append(
                    f'<td class="cb-none" data-ind="{ind}" title="{name} · {ind_name}: '
                    f'{missing}">—</td>'
                )
                continue
            c = ln.colors.get(raw_code, NONE)
            c = c if c in FILL else NONE
            parts.append(
                f'<td class="num cb-{c}" data-ind="{ind}" data-color="{c}">'
                f"{_fmt(v, decimals, lang)}</td>"
            )
        parts.append("</tr>")
        out.append(Markup("".join(parts)))  # noqa: S704 - every data text escaped above
    return out


def _sort_links(sort: str, descending: bool) -> Any:
    def link(key: str) -> str:
        flip = "asc" if key == sort and descending else "desc" if key == sort else "asc"
        return f"sort={key}&dir={flip}"

    return link


@router.get("/xa")
def board_page(
    call: ViewerCall,
    day: str | None = None,
    compare: str | None = None,
    sort: str = "rank",
    dir: str = "asc",
) -> Response:
    """Bảng điểm xã, phường: the board of a day with its heat map, map and changes."""
    request, db, principal = call
    lang = request_language(request)
    chosen = parse_day(day, "day", lang) or service.today()
    names = dict(service.commune_list(db))
    board = service.board_for(db, _registry(request), chosen, names)
    earlier_day = parse_day(compare, "compare", lang) or chosen - timedelta(days=1)
    earlier = service.load(db, earlier_day, names)
    found = service.changes(board, earlier)
    needing = service.attention(board, found)
    keys = {"rank", "name", "score"} | {c.code for c in board.board_columns}
    sort = sort if sort in keys else "rank"
    descending = dir == "desc"
    lines = service.sort_lines(board, sort, descending)
    counts = dict.fromkeys(("green", "yellow", "red", NONE), 0)
    for ln in board.lines:
        counts[ln.color if ln.color in counts else NONE] += 1
    settings = request.app.state.settings
    map_data = {
        "choropleth": choropleth(board, lang),
        "day": chosen.isoformat(),
        "tileUrl": settings.map_tile_url,
        "tileAttribution": settings.map_tile_attribution,
    }
    score_before = {ln.code: ln.score for ln in earlier.lines} if earlier else {}
    return render(
        request,
        "communes/board.html",
        {
            "board": board,
            "lines": lines,
            "rows": heat_rows(
                lines, board.board_columns, chosen, score_before if earlier else None, lang
            ),
            "columns": board.board_columns,
            "sort": sort,
            "descending": descending,
            "sort_link": _sort_links(sort, descending),
            "day": chosen,
            "compare": earlier_day,
            "earlier": earlier,
            "changes": found[:CHANGES_SHOWN],
            "more_changes": max(0, len(found) - CHANGES_SHOWN),
            "attention": [(a, reasons(a, lang)) for a in needing],
            "score_before": score_before,
            "counts": counts,
            "days": service.stored_days(db, 120),
            "fill": FILL,
            "ink": INK,
            "map_json": _json(map_data),
        },
        principal=principal,
    )


def board_table(board: service.Board, lang: str) -> Table:
    """The board as an export table: rank, commune, score, level, every board indicator."""
    t = i18n.translate
    cols = board.board_columns
    header = [
        t("cb.col.rank", lang), "Mã" if lang == "vi" else "Code", t("cb.col.commune", lang),
        t("cb.col.score", lang), t("cb.col.color", lang),
        *[f"{c.name(lang)} ({i18n.unit_label(c.unit, lang)})" if c.unit else c.name(lang)
          for c in cols],
    ]  # fmt: skip
    table = Table(
        t("cb.export.title", lang, day=i18n.format_date(board.day, lang)),
        header,
        notes=[t("cb.export.note", lang)],
    )
    for ln in service.sort_lines(board, "rank", False):
        table.rows.append(
            [
                ln.rank,
                ln.code,
                ln.name,
                ln.score,
                t(f"cb.color.{ln.color}", lang),
                *[ln.values.get(c.code) for c in cols],
            ]
        )
    return table


@router.get("/xa/export.xlsx")
def board_export(call: ViewerCall, day: str | None = None) -> Response:
    """Bảng điểm của ngày dưới dạng XLSX."""
    request, db, _principal = call
    lang = request_language(request)
    chosen = parse_day(day, "day", lang) or service.today()
    board = service.board_for(db, _registry(request), chosen)
    return table_file(board_table(board, lang), "xlsx", f"bang-diem-xa-{chosen}")


def _commune(
    request: Request, db: Session, code: str, day: str | None
) -> tuple[service.Board, service.Line, date]:
    lang = request_language(request)
    chosen = parse_day(day, "day", lang) or service.today()
    names = dict(service.commune_list(db))
    if code not in names:
        raise HTTPException(
            status_code=404, detail=i18n.translate("cb.unknown_commune", lang, code=code[:16])
        )
    board = service.board_for(db, _registry(request), chosen, names)
    line = board.line(code)
    if line is None:  # a past day without a stored board: the commune with nothing known
        line = service.Line(code, names[code], None, NONE, None, {}, {})
    return board, line, chosen


@router.get("/xa/{code}")
def commune_page(call: ViewerCall, code: str, day: str | None = None) -> Response:
    """Bảng điểm của một xã, phường: every figure with its trend and rank, 90-day colours."""
    request, db, principal = call
    board, line, chosen = _commune(request, db, code, day)
    past = service.history(db, code, chosen, TREND_DAYS)
    strip = service.history(db, code, chosen, HISTORY_DAYS)
    if not board.stored:  # today's board computed live: today's cell is the live one
        strip[-1] = service.DayState(
            chosen, line.color, line.score, line.rank, dict(line.values), dict(line.colors)
        )
    rows = service.commune_rows(board, line, past)
    return render(
        request,
        "communes/commune.html",
        {
            "board": board,
            "line": line,
            "day": chosen,
            "scored": [r for r in rows if r.column.on_board],
            "others": [r for r in rows if not r.column.on_board],
            "strip": [
                (chosen - timedelta(days=HISTORY_DAYS - 1 - i), s) for i, s in enumerate(strip)
            ],
            "has_history": any(s is not None for s in strip),
            "total": len(board.lines),
            "fill": FILL,
            "ink": INK,
        },
        principal=principal,
    )


@router.get("/xa/{code}/report.docx")
def commune_report(call: ViewerCall, code: str, day: str | None = None) -> Response:
    """Báo cáo một trang của xã, phường (thể thức NĐ 30/2020)."""
    request, db, _principal = call
    board, line, chosen = _commune(request, db, code, day)
    past = service.history(db, code, chosen, TREND_DAYS)
    body = report.commune_docx(board, line, service.commune_rows(board, line, past), chosen)
    return attachment(body, DOCX_MIME, f"bang-diem-{code}-{chosen}.docx")
