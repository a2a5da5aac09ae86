"""Statistics page of field reports (``/field-reports/stats``) and its CSV/XLSX exports.

Signed-in staff (``Permission.VIEW``). Aggregates only: no report, reporter or free text is
shown; the heat map is a grid of about 1 km cells. Definitions in ``stats.py``.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from ioc.core import clock, i18n
from ioc.core.communes import communes
from ioc.packs.field_reports import stats
from ioc.packs.field_reports.errors import FieldReportError
from ioc.web.pagekit import EXPORT_FORMATS, ViewerCall, invalid_parameters, page, table_file

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

BAR_COLOR = "#1565c0"
TOP_AREAS = 20


def _json(value: Any) -> str:
    """JSON safe inside a ``<script type="application/json">`` block."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _bar(rows: list[stats.Row], series: str) -> dict[str, Any]:
    return {
        "data": [{"name": r.name, "value": r.received, "color": BAR_COLOR} for r in rows],
        "seriesName": series,
        "yName": series,
    }


def area_choropleths(
    db: Session, rows: list[stats.Row], period_label: str, lang: str
) -> list[dict[str, Any]]:
    """The map's layers "still open" and "overdue now" per commune: the rows of the page's
    commune table (``stats.compute(...).by_area``), for every current commune — one with no
    row received no report in the period and has none overdue (0: the IOC holds every
    report, so zero is a count here, not a missing value)."""
    by_code = {r.key: r for r in rows}
    codes = [c.code for c in communes(db)]
    out = []
    for key, attr, active in (
        ("frs.col.still_open", "still_open", True),
        ("frs.col.overdue_now", "overdue_now", False),
    ):
        name = i18n.translate(key, lang)
        out.append(
            {
                "name": name,
                "title": f"{name} — {period_label}"
                if attr == "still_open"
                else i18n.translate("map.fr.overdue_title", lang, name=name),
                "values": {c: getattr(by_code[c], attr) if c in by_code else 0 for c in codes},
                "scale": "count",
                "active": active,
                "decimals": 0,
            }
        )
    return out


def _form(request: Request, period: stats.Period) -> dict[str, str]:
    """The filter form's values: the chosen period, other fields pre-filled sensibly."""
    q = request.query_params
    today = clock.now().astimezone(clock.local_zone()).date()
    params = period.params()
    return {
        "period": period.kind,
        "month": params.get("month") or q.get("month") or f"{today:%Y-%m}",
        "quarter": params.get("quarter")
        or q.get("quarter")
        or f"{today.year}-Q{(today.month - 1) // 3 + 1}",
        "year": params.get("year") or q.get("year") or str(today.year),
        "from": params.get("from") or q.get("from") or f"{today:%Y-%m}-01",
        "to": params.get("to") or q.get("to") or today.isoformat(),
    }


@router.get("/field-reports/stats")
def stats_page(call: ViewerCall) -> Response:
    """Thống kê phản ánh: volumes, on-time rate, handling time, ratings, heat map."""
    request, db, _principal = call
    settings = request.app.state.settings
    lang = call.lang
    today = clock.now().astimezone(clock.local_zone()).date()
    error: FieldReportError | None = None
    try:
        period = stats.parse_period(request.query_params, today)
    except FieldReportError as exc:
        error = exc
        period = stats.parse_period({}, today)
    result = stats.compute(db, period, lang)
    query = urlencode(period.params())
    received = i18n.translate("frs.col.received", lang)
    context = {
        "s": result,
        "period": period,
        "period_label": period.label(lang),
        "form": _form(request, period),
        "error": error,
        "query": query,
        "min_n": stats.MIN_N,
        "groupings": stats.GROUPINGS,
        "charts_json": _json(
            {
                "category": _bar(result.by_category, received),
                "area": _bar(result.by_area[:TOP_AREAS], received),
                "agency": _bar(result.by_agency, received),
            }
        ),
        "heat_json": _json(
            {
                "cells": result.heat,
                "cell": stats.HEAT_CELL_DEG,
                "places": result.places,
                "tileUrl": settings.map_tile_url,
                "tileAttribution": settings.map_tile_attribution,
                "label": received,
                "heatName": i18n.translate("map.fr.heat", lang),
                "choropleths": area_choropleths(db, result.by_area, period.label(lang), lang),
            }
        ),
    }
    return page(call, "field_reports/stats/index.html", context, refused=error)


@router.get("/field-reports/stats/export")
def stats_export(call: ViewerCall, format: str = "csv", by: str = "category") -> Response:
    """Tải bảng thống kê: one grouping of the period as CSV (UTF-8 with BOM) or XLSX."""
    lang = call.lang
    problems = []
    if format not in EXPORT_FORMATS:
        problems.append("format: csv | xlsx")
    if by not in stats.GROUPINGS:
        problems.append("by: category | area | agency")
    today = clock.now().astimezone(clock.local_zone()).date()
    try:
        period = stats.parse_period(call.request.query_params, today)
    except FieldReportError as exc:
        problems.append(f"{exc.field}: {exc.message} / {exc.en}")
    if problems:
        return invalid_parameters(*problems)
    table = stats.export_table(stats.compute(call.db, period, lang), by, lang)
    stem = "-".join(["thong-ke-phan-anh", by, *list(period.params().values())[1:]])
    return table_file(table, format, stem)
