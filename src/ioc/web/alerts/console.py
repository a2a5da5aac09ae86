"""The console of open alerts (``/alerts``, refreshed by ``/alerts/partials/list``), its JSON
twin ``GET /api/v1/alerts``, and the history of closed alerts (``/alerts/history``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from ioc.core import i18n
from ioc.core.auth import Permission
from ioc.core.registry import Registry
from ioc.engines.alerting import queries
from ioc.engines.alerting.queries import AlertFilters
from ioc.web.alerts.common import (
    FilterQuery,
    FilterText,
    Text,
    filter_query,
    page_helpers,
    parse_filters,
)
from ioc.web.api_models import AlertList, model_response
from ioc.web.deps import AppRegistry, AppSettings, DbSession, ViewerApi, request_language
from ioc.web.pagekit import ViewerCall
from ioc.web.templating import render

router = APIRouter()


def _console_context(
    request: Request, db: Session, registry: Registry, filters: AlertFilters
) -> dict[str, Any]:
    lang = request_language(request)
    rows = queries.open_alerts(db, filters, lang)
    return {
        **page_helpers(request, registry, db),
        "rows": rows,
        "groups": queries.group_alerts(
            rows, queries.rule_titles(db, {r.rule_id for r in rows if r.rule_id})
        ),
        "counts": queries.severity_counts(db, filters),
        "filters": filters,
        "query": filter_query(filters),
        "query_with": lambda **changes: filter_query(filters, **changes),
    }


def _limit(limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> int:
    """How many alerts the API answers (a dependency, so that the OpenAPI document lists it
    after the filters, as before they were one dependency)."""
    return limit


Limit = Annotated[int, Depends(_limit)]


def _pack_choices(db: Session, registry: Registry) -> list[str]:
    """The packs a filter may name: every loaded pack and any pack that raised an alert."""
    return sorted({p.name for p in registry.packs} | set(queries.packs_with_alerts(db)))


# ------------------------------------------------------------------ console


@router.get("/alerts", response_class=HTMLResponse, include_in_schema=False)
def console(
    call: ViewerCall, registry: AppRegistry, settings: AppSettings, text: FilterQuery
) -> Response:
    """Bảng điều hành: open alerts with counts and filters, refreshing itself."""
    request, db, principal = call
    filters, errors = parse_filters(db, registry, text, call.lang)
    context = _console_context(request, db, registry, filters)
    area_text = text.area
    if filters.area:
        area_text = queries.area_names(db, [filters.area]).get(filters.area, filters.area)
    context.update(
        {
            "errors": errors,
            "area_text": area_text if not errors or filters.area else text.area,
            "areas": queries.area_options(db),
            "agencies": queries.agency_options(db),
            "packs": _pack_choices(db, registry),
            "refresh": settings.alerts_refresh_seconds,
            "incident_count": queries.incidents(db, "open").total,
            "can_operate": principal.can(Permission.OPERATIONS),
        }
    )
    return render(
        request,
        "alerts/console.html",
        context,
        principal=principal,
        status_code=400 if errors else 200,
    )


@router.get("/alerts/partials/list", response_class=HTMLResponse, include_in_schema=False)
def console_fragment(call: ViewerCall, registry: AppRegistry, text: FilterQuery) -> Response:
    """The counts and the table alone, for the console's self-refresh (HTMX)."""
    request, db, principal = call
    filters, _errors = parse_filters(db, registry, text, call.lang)
    return render(
        request,
        "alerts/_list.html",
        _console_context(request, db, registry, filters),
        principal=principal,
    )


@router.get(
    "/api/v1/alerts",
    tags=["alerts"],
    summary="Cảnh báo đang mở / open alerts, worst first",
    responses={200: model_response(AlertList, "Open alerts and counts per severity")},
)
def alerts_api(
    request: Request,
    principal: ViewerApi,
    db: DbSession,
    registry: AppRegistry,
    text: FilterQuery,
    limit: Limit,
) -> dict[str, Any]:
    """Open alerts (not closed) with severity, commune, status, assignee, times in ISO 8601
    (UTC), and the number of open alerts per severity. A bad filter answers 422."""
    lang = request_language(request)
    filters, errors = parse_filters(db, registry, text, lang)
    if errors:
        raise HTTPException(422, "; ".join(errors))
    rows = queries.open_alerts(db, filters, lang, limit=limit)
    return {
        "counts": queries.severity_counts(db, filters),
        "items": [
            {
                "id": r.id,
                "title": r.title,
                "summary": r.summary,
                "severity": r.severity,
                "pack": r.pack,
                "area_code": r.area_code,
                "area_name": r.area_name,
                "station": r.station,
                "value": r.value,
                "starts_at": r.starts_at.isoformat(),
                "ends_at": r.ends_at.isoformat() if r.ends_at else None,
                "status": r.status,
                "assignee_agency": r.assignee_agency_code,
                "assignee_user": r.assignee_user,
                "incident": r.incident_code,
                "url": f"/alerts/{r.id}",
            }
            for r in rows
        ],
    }


# ------------------------------------------------------------------ history


def _parse_date(value: str, field: str, lang: str, errors: list[str]) -> date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append(i18n.translate("alerts.filter.bad_date", lang, field=field, value=value))
        return None


@router.get("/alerts/history", response_class=HTMLResponse, include_in_schema=False)
def history_page(
    call: ViewerCall,
    registry: AppRegistry,
    pack: Text = "",
    area: Text = "",
    severity: Text = "",
    agency: Text = "",
    date_from: Annotated[str, Query(alias="from", max_length=20)] = "",
    date_to: Annotated[str, Query(alias="to", max_length=20)] = "",
    page: Annotated[str, Query(max_length=8)] = "1",
) -> Response:
    """Lịch sử: closed alerts, most recently closed first, with filters and paging."""
    request, db, principal = call
    lang = call.lang
    filters, errors = parse_filters(
        db, registry, FilterText(pack=pack, area=area, severity=severity, agency=agency), lang
    )
    start = _parse_date(date_from, i18n.translate("alerts.filter.from", lang), lang, errors)
    end = _parse_date(date_to, i18n.translate("alerts.filter.to", lang), lang, errors)
    filters = AlertFilters(
        pack=filters.pack,
        area=filters.area,
        severity=filters.severity,
        agency=filters.agency,
        date_from=start,
        date_to=end,
    )
    page_no = int(page) if page.isdigit() and int(page) > 0 else 1
    result = queries.history(db, filters, lang, page_no)
    area_text = (
        queries.area_names(db, [filters.area]).get(filters.area, "") if filters.area else area
    )
    return render(
        request,
        "alerts/history.html",
        {
            **page_helpers(request, registry),
            "result": result,
            "filters": filters,
            "errors": errors,
            "area_text": area_text,
            "areas": queries.area_options(db),
            "agencies": queries.agency_options(db),
            "packs": _pack_choices(db, registry),
            "query_for": lambda n: filter_query(filters, page=n),
        },
        principal=principal,
        status_code=400 if errors else 200,
    )
