"""The overview (key figures per agency, ranking, charts, the task board) and the document
list."""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.core import clock, i18n
from ioc.packs.documents import queries, tasks
from ioc.packs.documents.indicators import Rate
from ioc.packs.documents.models import Directive
from ioc.packs.documents.pages.context import (
    STATE_CLASS,
    agency_menu,
    doc_filter,
    or_default,
    to_json,
)
from ioc.packs.documents.params import doer, parse_period, scope, today
from ioc.packs.documents.queries import AgencyFigures
from ioc.web.deps import request_language

__all__ = ["bar", "rate_class", "router"]

from ioc.web.pagekit import ViewerCall, page

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 100
CHART_MAX = 25
GOOD_RATE = 90.0
FAIR_RATE = 70.0
COLORS = {"good": "#1b873f", "fair": "#f0a202", "poor": "#c62828", "none": "#9aa3ad"}


def rate_class(rate: Rate) -> str:
    """``good`` (≥ 90 %), ``fair`` (≥ 70 %), ``poor`` or ``none``."""
    value = rate.value
    if value is None:
        return "none"
    if value >= GOOD_RATE:
        return "good"
    return "fair" if value >= FAIR_RATE else "poor"


def bar(rows: list[AgencyFigures], which: str, series: str) -> dict[str, Any]:
    """ECharts bar data of one rate per agency, coloured by :func:`rate_class`."""
    data = []
    for row in rows:
        rate: Rate = getattr(row.figures, which)
        data.append(
            {
                "name": row.name,
                "value": None if rate.value is None else round(rate.value, 1),
                "color": COLORS[rate_class(rate)],
            }
        )
    return {"data": data, "seriesName": series, "yName": "%"}


def _board(rows: list[tasks.TaskRow], db: Session) -> list[dict[str, Any]]:
    by_directive: dict[int, list[tasks.TaskRow]] = defaultdict(list)
    for row in rows:
        by_directive[row.directive_id].append(row)
    if not by_directive:
        return []
    directives = {
        d.id: d
        for d in db.execute(select(Directive).where(Directive.id.in_(list(by_directive)))).scalars()
    }
    board: list[dict[str, Any]] = []
    for directive_id, items in by_directive.items():
        d = directives[directive_id]
        open_items = [r for r in items if r.state != "cancelled"]
        mean = round(sum(r.progress for r in open_items) / len(open_items)) if open_items else 0
        board.append(
            {
                "id": directive_id,
                "issued": d.issued_on.toordinal(),
                "directive": d,
                "tasks": sorted(items, key=lambda r: (r.ref, r.id)),
                "progress": mean,
                "overdue": sum(r.state == "overdue" for r in items),
                "done": sum(r.status == tasks.DONE for r in items),
            }
        )
    board.sort(key=lambda b: (-b["issued"], b["id"]))
    return board


@router.get("/documents")
def overview(call: ViewerCall) -> Response:
    """Văn bản và điều hành: key figures per agency, ranking, charts, the task board."""
    request, db, principal = call
    now = clock.now()
    period, error = or_default(
        lambda: parse_period(request.query_params), lambda: queries.Period.default(today())
    )
    group = request.query_params.get("group", "departments")
    if group not in queries.GROUPS:
        group = "departments"
    only = scope(principal)
    # One aggregate query: the ranking of the group and the totals of every agency.
    everyone = queries.figures_by_agency(db, period, now, "all")
    if only is not None:
        everyone = [r for r in everyone if r.agency_id == only]
    total = queries.sum_figures([r.figures for r in everyone])
    rows = queries.ranking([r for r in everyone if queries.in_group(r.kind, group)])
    chart_rows = rows[:CHART_MAX] if group != "communes" else rows[-CHART_MAX:]
    task_list = tasks.task_rows(db, now, agency_id=only)
    counts: dict[str, int] = defaultdict(int)
    for r in task_list:
        counts[r.state] += 1
    lang = request_language(request)
    query = urlencode(
        {"from": period.start.isoformat(), "to": period.end.isoformat(), "group": group}
    )
    context = {
        "period": period,
        "group": group,
        "groups": queries.GROUPS,
        "error": error,
        "total": total,
        "rows": rows,
        "rate_class": rate_class,
        "query": query,
        "period_query": urlencode({"from": period.start.isoformat(), "to": period.end.isoformat()}),
        "board": _board(task_list, db),
        "overdue_tasks": [r for r in task_list if r.state == "overdue"],
        "due_soon_tasks": [r for r in task_list if r.state == "due_soon"],
        "task_counts": counts,
        "task_total": len(task_list),
        "state_class": STATE_CLASS,
        "due_soon_days": tasks.policy().due_soon_days,
        "charts_json": to_json(
            {
                "on_time": bar(chart_rows, "on_time_rate", i18n.translate("doc.kpi.on_time", lang)),
                "signature": bar(
                    chart_rows, "signature_rate", i18n.translate("doc.kpi.signature", lang)
                ),
                "electronic": bar(
                    chart_rows, "electronic_rate", i18n.translate("doc.kpi.electronic", lang)
                ),
            }
        ),
        "can_manage": tasks.may(doer(principal), "directive"),
    }
    return page(call, "documents/overview.html", context, refused=error)


@router.get("/documents/list")
def document_list(call: ViewerCall) -> Response:
    """Danh sách văn bản with filters (agency, direction, state, period, text)."""
    request, db, principal = call
    now = clock.now()
    flt, error = or_default(
        lambda: doc_filter(request, db, principal),
        lambda: queries.DocFilter(agency_id=scope(principal)),
    )
    try:
        page_no = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        page_no = 1
    stmt = queries.document_query(flt, now)
    count = db.execute(
        select(func.count()).select_from(stmt.order_by(None).subquery())
    ).scalar_one()
    items = [
        {"doc": doc, "agency_code": code, "agency_name": name, "state": queries.doc_state(doc, now)}
        for doc, code, name in db.execute(stmt.limit(PAGE_SIZE).offset((page_no - 1) * PAGE_SIZE))
    ]
    params = {k: v for k, v in request.query_params.items() if k != "page" and v}
    context = {
        "items": items,
        "count": count,
        "page": page_no,
        "pages": max(1, (count + PAGE_SIZE - 1) // PAGE_SIZE),
        "params": params,
        "query": urlencode(params),
        "states": queries.DOC_STATES,
        "agencies": agency_menu(db, scope(principal)),
        "error": error,
        "now": now,
    }
    return page(call, "documents/list.html", context, refused=error)
