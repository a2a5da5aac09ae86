"""Bảng điều hành cảnh báo: the operations console of the IOC.

* ``/alerts`` — open alerts, worst first, refreshed every few seconds (HTMX polling of
  ``/alerts/partials/list``), with counts by severity and filters (pack, commune, severity,
  status, agency);
* ``/alerts/{id}`` — one alert: labels, annotations, timeline and the handling forms
  (acknowledge, assign, comment, escalate, close, reopen);
* ``/alerts/incidents`` and ``/alerts/incidents/{id}`` — incidents with their SOP checklist;
* ``/alerts/history`` — closed alerts, paged;
* ``GET /api/v1/alerts`` — open alerts and counts as JSON.

Viewing needs ``Permission.VIEW``; every POST needs ``Permission.HANDLE_ALERTS`` and goes
through one action of :mod:`ioc.engines.alerting.actions`, which also enforces the agency
scope of agency staff.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from ioc.core import clock, i18n
from ioc.core.auth import Permission
from ioc.core.registry import Registry
from ioc.engines.alerting import actions, label_names, queries
from ioc.engines.alerting.models import ALERT_STATUSES, SEVERITIES, IncidentStep
from ioc.engines.alerting.queries import AlertFilters, FilterError
from ioc.web import csrf
from ioc.web.api_models import AlertList, model_response
from ioc.web.deps import AppRegistry, AppSettings, DbSession, Principal, require
from ioc.web.templating import render, request_lang

router = APIRouter()

Viewer = Annotated[Principal, Depends(require(Permission.VIEW, page=True))]
ViewerApi = Annotated[Principal, Depends(require(Permission.VIEW))]
Handler = Annotated[Principal, Depends(require(Permission.HANDLE_ALERTS, page=True))]

Text = Annotated[str, Query(max_length=200)]
FormText = Annotated[str, Form(max_length=4000)]
CsrfField = Annotated[str, Form(max_length=128)]

# Severity colours (critical đỏ, high cam, warning vàng, info xanh) live in alerts.css.
DONE_KEYS = frozenset(
    {
        "acknowledged",
        "assigned",
        "commented",
        "escalated",
        "closed",
        "reopened",
        "step_done",
        "step_reopened",
        "incident_closed",
    }
)


# ------------------------------------------------------------------ shared helpers


def since(value: datetime | None, lang: str, now: datetime | None = None) -> str:
    """How long ago ``value`` was, in words (``5 phút trước``)."""
    if value is None:
        return "—"
    seconds = max(0, int(((now or clock.now()) - value).total_seconds()))
    if seconds < 60:
        return i18n.translate("alerts.since.now", lang)
    minutes = seconds // 60
    if minutes < 60:
        return i18n.translate("alerts.since.minutes", lang, n=minutes)
    hours = minutes // 60
    if hours < 24:
        rest = minutes % 60
        if hours < 6 and rest:
            return i18n.translate("alerts.since.hours_minutes", lang, h=hours, m=rest)
        return i18n.translate("alerts.since.hours", lang, n=hours)
    days, rest_hours = divmod(hours, 24)
    if days < 3 and rest_hours:
        return i18n.translate("alerts.since.days_hours", lang, d=days, h=rest_hours)
    return i18n.translate("alerts.since.days", lang, n=days)


def pack_labeler(registry: Registry, lang: str) -> Callable[[str], str]:
    """``name -> title`` of a pack (its own title key), the name itself when unknown."""
    titles = {p.name: i18n.translate(p.title_key, lang) for p in registry.packs}
    titles["ops"] = i18n.translate("ops.title", lang)  # the IOC's own rules (ops.notify_dead)

    def label(name: str) -> str:
        return titles.get(name, name)

    return label


def _lang(request: Request) -> str:
    return request_lang(request, request.app.state.settings.default_language)


def _helpers(request: Request, registry: Registry, db: Session | None = None) -> dict[str, Any]:
    lang = _lang(request)
    now = clock.now()
    helpers: dict[str, Any] = {}
    if db is not None:
        # Labels are shown by name (``Bệnh: Sởi``), never as ``disease=measles``.
        names = label_names.LabelNamer(db, registry, lang)
        helpers = {
            "label_name": names.name,
            "label_value": names.value,
            "label_pairs": names.pairs,
        }
    return {
        **helpers,
        "since": lambda value: since(value, lang, now),
        "pack_label": pack_labeler(registry, lang),
        "severities": SEVERITIES,
        "statuses": ALERT_STATUSES,
        "now": now,
    }


def _parse_filters(
    db: Session,
    registry: Registry,
    *,
    pack: str,
    area: str,
    severity: str,
    status: str,
    agency: str,
    lang: str,
) -> tuple[AlertFilters, list[str]]:
    """Filters from the query string; a bad value is dropped and reported (never a 500)."""
    errors: list[str] = []
    values: dict[str, str | None] = {
        "pack": pack.strip() or None,
        "severity": severity.strip() or None,
        "status": status.strip() or None,
        "agency": agency.strip() or None,
        "area": None,
    }
    try:
        values["area"] = queries.resolve_area(db, area)
    except FilterError as exc:
        errors.append(exc.en if lang == "en" else exc.vi)
    packs = {p.name for p in registry.packs} | set(queries.packs_with_alerts(db))
    checks = {
        "pack": AlertFilters(pack=values["pack"]),
        "severity": AlertFilters(severity=values["severity"]),
        "status": AlertFilters(status=values["status"]),
    }
    for name, check in checks.items():
        try:
            queries.check_filters(check, packs)
        except FilterError as exc:
            errors.append(exc.en if lang == "en" else exc.vi)
            values[name] = None
    if values["agency"] and values["agency"] not in {o.value for o in queries.agency_options(db)}:
        errors.append(
            i18n.translate("alerts.filter.bad_agency", lang, value=values["agency"] or "")
        )
        values["agency"] = None
    filters = AlertFilters(
        pack=values["pack"],
        area=values["area"],
        severity=values["severity"],
        status=values["status"],
        agency=values["agency"],
    )
    return filters, errors


def _query(filters: AlertFilters, **extra: Any) -> str:
    pairs = {
        "pack": filters.pack,
        "area": filters.area,
        "severity": filters.severity,
        "status": filters.status,
        "agency": filters.agency,
        "from": filters.date_from.isoformat() if filters.date_from else None,
        "to": filters.date_to.isoformat() if filters.date_to else None,
        **extra,
    }
    return urlencode({k: v for k, v in pairs.items() if v not in (None, "")})


def _console_context(
    request: Request, db: Session, registry: Registry, filters: AlertFilters
) -> dict[str, Any]:
    lang = _lang(request)
    rows = queries.open_alerts(db, filters, lang)
    return {
        **_helpers(request, registry, db),
        "rows": rows,
        "groups": queries.group_alerts(
            rows, queries.rule_titles(db, {r.rule_id for r in rows if r.rule_id})
        ),
        "counts": queries.severity_counts(db, filters),
        "filters": filters,
        "query": _query(filters),
        "query_with": lambda **changes: _query(filters, **changes),
    }


# ------------------------------------------------------------------ console


@router.get("/alerts", response_class=HTMLResponse, include_in_schema=False)
def console(
    request: Request,
    principal: Viewer,
    db: DbSession,
    registry: AppRegistry,
    settings: AppSettings,
    pack: Text = "",
    area: Text = "",
    severity: Text = "",
    status: Text = "",
    agency: Text = "",
) -> Response:
    """Bảng điều hành: open alerts with counts and filters, refreshing itself."""
    lang = _lang(request)
    filters, errors = _parse_filters(
        db,
        registry,
        pack=pack,
        area=area,
        severity=severity,
        status=status,
        agency=agency,
        lang=lang,
    )
    context = _console_context(request, db, registry, filters)
    area_text = area
    if filters.area:
        area_text = queries.area_names(db, [filters.area]).get(filters.area, filters.area)
    context.update(
        {
            "errors": errors,
            "area_text": area_text if not errors or filters.area else area,
            "areas": queries.area_options(db),
            "agencies": queries.agency_options(db),
            "packs": sorted({p.name for p in registry.packs} | set(queries.packs_with_alerts(db))),
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
def console_fragment(
    request: Request,
    principal: Viewer,
    db: DbSession,
    registry: AppRegistry,
    pack: Text = "",
    area: Text = "",
    severity: Text = "",
    status: Text = "",
    agency: Text = "",
) -> Response:
    """The counts and the table alone, for the console's self-refresh (HTMX)."""
    filters, _errors = _parse_filters(
        db,
        registry,
        pack=pack,
        area=area,
        severity=severity,
        status=status,
        agency=agency,
        lang=_lang(request),
    )
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
    pack: Text = "",
    area: Text = "",
    severity: Text = "",
    status: Text = "",
    agency: Text = "",
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict[str, Any]:
    """Open alerts (not closed) with severity, commune, status, assignee, times in ISO 8601
    (UTC), and the number of open alerts per severity. A bad filter answers 422."""
    lang = _lang(request)
    filters, errors = _parse_filters(
        db,
        registry,
        pack=pack,
        area=area,
        severity=severity,
        status=status,
        agency=agency,
        lang=lang,
    )
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


# ------------------------------------------------------------------ groups

MAX_GROUP_ACTION = 1000  # alerts one group action goes through (the console shows at most 500)


def _group_page(
    request: Request,
    db: Session,
    registry: Registry,
    principal: Principal,
    key: str,
    *,
    result: dict[str, Any] | None = None,
) -> Response:
    lang = _lang(request)
    group = queries.alert_group(db, key, lang)
    if group is None and result is None:
        raise HTTPException(404, "Không có nhóm cảnh báo này / no such alert group")
    can_act = principal.can(Permission.HANDLE_ALERTS)
    allowed = (
        {
            a.id
            for a in group.alerts
            if actions.may_handle(db, principal.actor, a.assignee_agency_id)
        }
        if group is not None and can_act
        else set()
    )
    return render(
        request,
        "alerts/group.html",
        {
            **_helpers(request, registry, db),
            "key": key,
            "group": group,
            "can_act": can_act and bool(allowed),
            "allowed": allowed,
            "agencies": queries.agency_options(db) if can_act else [],
            "users": queries.assignee_options(db) if can_act else [],
            "result": result,
        },
        principal=principal,
    )


@router.get("/alerts/groups/{key}", response_class=HTMLResponse, include_in_schema=False)
def group_page(
    request: Request,
    key: Annotated[str, Path(max_length=40)],
    principal: Viewer,
    db: DbSession,
    registry: AppRegistry,
) -> Response:
    """One group of alerts (one rule, one cause): every alert, and the forms that acknowledge
    or assign the whole group at once."""
    return _group_page(request, db, registry, principal, key)


def _group_action(
    request: Request,
    db: Session,
    registry: Registry,
    principal: Principal,
    key: str,
    csrf_token: str,
    alert_ids: list[int] | None,
    action: Callable[[int], Any],
    done: str,
) -> Response:
    """Run ``action`` once per posted alert of the group (each through the one action
    function, audited, in the actor's agency scope) and show what it did and skipped."""
    lang = _lang(request)
    if not csrf.valid(request, csrf_token):
        raise HTTPException(400, i18n.translate("error.csrf", lang))
    alert_ids = (alert_ids or [])[:MAX_GROUP_ACTION]
    group = queries.alert_group(db, key, lang)
    members = {a.id for a in group.alerts} if group is not None else set()
    outside = [i for i in dict.fromkeys(alert_ids) if i not in members]
    outcome = actions.for_each_alert(db, [i for i in alert_ids if i in members], action)
    db.commit()
    skipped = [(i, exc.message(lang)) for i, exc in outcome.skipped]
    skipped += [(i, i18n.translate("alerts.group.not_in_group", lang)) for i in outside]
    return _group_page(
        request,
        db,
        registry,
        principal,
        key,
        result={"done": done, "n": len(outcome.done), "skipped": skipped},
    )


AlertIds = Annotated[list[int] | None, Form(alias="alert_id")]


@router.post("/alerts/groups/{key}/acknowledge", include_in_schema=False)
def group_acknowledge(
    request: Request,
    key: Annotated[str, Path(max_length=40)],
    principal: Handler,
    db: DbSession,
    registry: AppRegistry,
    alert_ids: AlertIds = None,
    csrf_token: CsrfField = "",
    note: FormText = "",
) -> Response:
    """Tiếp nhận cả nhóm: one acknowledgement per alert."""
    return _group_action(
        request,
        db,
        registry,
        principal,
        key,
        csrf_token,
        alert_ids,
        lambda alert_id: actions.acknowledge(db, principal.actor, alert_id, note=note),
        "acknowledged",
    )


@router.post("/alerts/groups/{key}/assign", include_in_schema=False)
def group_assign(
    request: Request,
    key: Annotated[str, Path(max_length=40)],
    principal: Handler,
    db: DbSession,
    registry: AppRegistry,
    alert_ids: AlertIds = None,
    csrf_token: CsrfField = "",
    agency: Annotated[str, Form(max_length=64)] = "",
    user: Annotated[str, Form(max_length=64)] = "",
    note: FormText = "",
) -> Response:
    """Giao cả nhóm: one assignment per alert, to the same agency and/or person."""
    return _group_action(
        request,
        db,
        registry,
        principal,
        key,
        csrf_token,
        alert_ids,
        lambda alert_id: actions.assign(
            db, principal.actor, alert_id, agency_code=agency, username=user, note=note
        ),
        "assigned",
    )


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
    request: Request,
    principal: Viewer,
    db: DbSession,
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
    lang = _lang(request)
    filters, errors = _parse_filters(
        db,
        registry,
        pack=pack,
        area=area,
        severity=severity,
        status="",
        agency=agency,
        lang=lang,
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
            **_helpers(request, registry),
            "result": result,
            "filters": filters,
            "errors": errors,
            "area_text": area_text,
            "areas": queries.area_options(db),
            "agencies": queries.agency_options(db),
            "packs": sorted({p.name for p in registry.packs} | set(queries.packs_with_alerts(db))),
            "query_for": lambda n: _query(filters, page=n),
        },
        principal=principal,
        status_code=400 if errors else 200,
    )


# ------------------------------------------------------------------ incidents


@router.get("/alerts/incidents", response_class=HTMLResponse, include_in_schema=False)
def incidents_page(
    request: Request,
    principal: Viewer,
    db: DbSession,
    registry: AppRegistry,
    status: Annotated[str, Query(max_length=10)] = "open",
    page: Annotated[str, Query(max_length=8)] = "1",
) -> Response:
    """Sự cố: open (or closed, or all) incidents with their SOP progress."""
    status = status if status in ("open", "closed", "all") else "open"
    page_no = int(page) if page.isdigit() and int(page) > 0 else 1
    return render(
        request,
        "alerts/incidents.html",
        {
            **_helpers(request, registry),
            "result": queries.incidents(db, status, page_no),
            "status": status,
        },
        principal=principal,
    )


def _incident_page(
    request: Request,
    db: Session,
    registry: Registry,
    principal: Principal,
    incident_id: int,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    lang = _lang(request)
    detail = queries.incident_detail(db, incident_id, lang)
    if detail is None:
        raise HTTPException(404, "Không có sự cố này / no such incident")
    done = request.query_params.get("done")
    can_act = principal.can(Permission.HANDLE_ALERTS) and actions.may_handle(
        db, principal.actor, detail.row.agency_id
    )
    return render(
        request,
        "alerts/incident.html",
        {
            **_helpers(request, registry, db),
            "detail": detail,
            "can_act": can_act and detail.row.status == "open",
            "delivery_details": principal.can(Permission.ADMIN),
            "error": error,
            "done": done if done in DONE_KEYS else None,
        },
        principal=principal,
        status_code=status_code,
    )


@router.get(
    "/alerts/incidents/{incident_id:int}", response_class=HTMLResponse, include_in_schema=False
)
def incident_page(
    request: Request, incident_id: int, principal: Viewer, db: DbSession, registry: AppRegistry
) -> Response:
    """One incident: SOP checklist, its alerts, timeline, closing form."""
    return _incident_page(request, db, registry, principal, incident_id)


def _run(
    request: Request,
    db: Session,
    csrf_token: str,
    action: Callable[[], Any],
    on_error: Callable[[str, int], Response],
) -> Response | None:
    """Run ``action`` after the CSRF check; a refused action re-renders the page with the
    reason (403 when the actor may not act, 409 for an illegal transition)."""
    lang = _lang(request)
    if not csrf.valid(request, csrf_token):
        return on_error(i18n.translate("error.csrf", lang), 400)
    try:
        action()
    except actions.AlertNotFound as exc:
        db.rollback()
        raise HTTPException(404, exc.message(lang)) from exc
    except actions.AlertForbidden as exc:
        db.rollback()
        return on_error(exc.message(lang), 403)
    except actions.AlertActionError as exc:
        db.rollback()
        return on_error(exc.message(lang), 409)
    db.commit()
    return None


def _step_incident(db: Session, step_id: int) -> int:
    step = db.get(IncidentStep, step_id)
    if step is None:
        raise HTTPException(404, "Không có bước này / no such step")
    return step.incident_id


@router.post(
    "/alerts/incidents/{incident_id:int}/steps/{step_id:int}/done", include_in_schema=False
)
def step_done(
    request: Request,
    incident_id: int,
    step_id: int,
    principal: Handler,
    db: DbSession,
    registry: AppRegistry,
    csrf_token: CsrfField = "",
    note: FormText = "",
) -> Response:
    """Tick an SOP step (with an optional note)."""
    if _step_incident(db, step_id) != incident_id:
        raise HTTPException(404, "Không có bước này / no such step")
    failed = _run(
        request,
        db,
        csrf_token,
        lambda: actions.complete_step(db, principal.actor, step_id, note=note),
        lambda msg, code: _incident_page(
            request, db, registry, principal, incident_id, error=msg, status_code=code
        ),
    )
    return failed or RedirectResponse(
        f"/alerts/incidents/{incident_id}?done=step_done#step-{step_id}", status_code=303
    )


@router.post(
    "/alerts/incidents/{incident_id:int}/steps/{step_id:int}/reopen", include_in_schema=False
)
def step_reopen(
    request: Request,
    incident_id: int,
    step_id: int,
    principal: Handler,
    db: DbSession,
    registry: AppRegistry,
    csrf_token: CsrfField = "",
    note: FormText = "",
) -> Response:
    """Untick an SOP step; the reason is required."""
    if _step_incident(db, step_id) != incident_id:
        raise HTTPException(404, "Không có bước này / no such step")
    failed = _run(
        request,
        db,
        csrf_token,
        lambda: actions.reopen_step(db, principal.actor, step_id, note=note),
        lambda msg, code: _incident_page(
            request, db, registry, principal, incident_id, error=msg, status_code=code
        ),
    )
    return failed or RedirectResponse(
        f"/alerts/incidents/{incident_id}?done=step_reopened#step-{step_id}", status_code=303
    )


@router.post("/alerts/incidents/{incident_id:int}/close", include_in_schema=False)
def incident_close(
    request: Request,
    incident_id: int,
    principal: Handler,
    db: DbSession,
    registry: AppRegistry,
    csrf_token: CsrfField = "",
    reason: FormText = "",
) -> Response:
    """Close the incident (and its open alerts) with a reason."""
    failed = _run(
        request,
        db,
        csrf_token,
        lambda: actions.close_incident(db, principal.actor, incident_id, reason=reason),
        lambda msg, code: _incident_page(
            request, db, registry, principal, incident_id, error=msg, status_code=code
        ),
    )
    return failed or RedirectResponse(
        f"/alerts/incidents/{incident_id}?done=incident_closed", status_code=303
    )


# ------------------------------------------------------------------ one alert


def _alert_page(
    request: Request,
    db: Session,
    registry: Registry,
    principal: Principal,
    alert_id: int,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    lang = _lang(request)
    detail = queries.alert_detail(db, alert_id, lang)
    if detail is None:
        raise HTTPException(404, "Không có cảnh báo này / no such alert")
    can_act = principal.can(Permission.HANDLE_ALERTS) and actions.may_handle(
        db, principal.actor, detail.row.assignee_agency_id
    )
    done = request.query_params.get("done")
    return render(
        request,
        "alerts/detail.html",
        {
            **_helpers(request, registry, db),
            "detail": detail,
            "row": detail.row,
            "can_act": can_act,
            "agencies": queries.agency_options(db) if can_act else [],
            "users": queries.assignee_options(db) if can_act else [],
            "error": error,
            "done": done if done in DONE_KEYS else None,
            "delivery_details": principal.can(Permission.ADMIN),
        },
        principal=principal,
        status_code=status_code,
    )


@router.get("/alerts/{alert_id:int}", response_class=HTMLResponse, include_in_schema=False)
def alert_page(
    request: Request, alert_id: int, principal: Viewer, db: DbSession, registry: AppRegistry
) -> Response:
    """One alert: what, where, since when, its timeline and the handling forms."""
    return _alert_page(request, db, registry, principal, alert_id)


def _alert_action(
    request: Request,
    db: Session,
    registry: Registry,
    principal: Principal,
    alert_id: int,
    csrf_token: str,
    action: Callable[[], Any],
    done: str,
) -> Response:
    result: dict[str, Any] = {}

    def run() -> None:
        result["value"] = action()

    failed = _run(
        request,
        db,
        csrf_token,
        run,
        lambda msg, code: _alert_page(
            request, db, registry, principal, alert_id, error=msg, status_code=code
        ),
    )
    if failed is not None:
        return failed
    value = result.get("value")
    if done == "escalated" and value is not None:
        return RedirectResponse(f"/alerts/incidents/{value.id}?done=escalated", status_code=303)
    return RedirectResponse(f"/alerts/{alert_id}?done={done}", status_code=303)


@router.post("/alerts/{alert_id:int}/acknowledge", include_in_schema=False)
def alert_acknowledge(
    request: Request,
    alert_id: int,
    principal: Handler,
    db: DbSession,
    registry: AppRegistry,
    csrf_token: CsrfField = "",
    note: FormText = "",
) -> Response:
    """Tiếp nhận."""
    return _alert_action(
        request,
        db,
        registry,
        principal,
        alert_id,
        csrf_token,
        lambda: actions.acknowledge(db, principal.actor, alert_id, note=note),
        "acknowledged",
    )


@router.post("/alerts/{alert_id:int}/assign", include_in_schema=False)
def alert_assign(
    request: Request,
    alert_id: int,
    principal: Handler,
    db: DbSession,
    registry: AppRegistry,
    csrf_token: CsrfField = "",
    agency: Annotated[str, Form(max_length=64)] = "",
    user: Annotated[str, Form(max_length=64)] = "",
    note: FormText = "",
) -> Response:
    """Giao xử lý cho đơn vị và/hoặc người."""
    return _alert_action(
        request,
        db,
        registry,
        principal,
        alert_id,
        csrf_token,
        lambda: actions.assign(
            db, principal.actor, alert_id, agency_code=agency, username=user, note=note
        ),
        "assigned",
    )


@router.post("/alerts/{alert_id:int}/comment", include_in_schema=False)
def alert_comment(
    request: Request,
    alert_id: int,
    principal: Handler,
    db: DbSession,
    registry: AppRegistry,
    csrf_token: CsrfField = "",
    body: FormText = "",
) -> Response:
    """Ghi chú vào dòng thời gian."""
    return _alert_action(
        request,
        db,
        registry,
        principal,
        alert_id,
        csrf_token,
        lambda: actions.comment(db, principal.actor, alert_id, body=body),
        "commented",
    )


@router.post("/alerts/{alert_id:int}/escalate", include_in_schema=False)
def alert_escalate(
    request: Request,
    alert_id: int,
    principal: Handler,
    db: DbSession,
    registry: AppRegistry,
    csrf_token: CsrfField = "",
    title: Annotated[str, Form(max_length=300)] = "",
    note: FormText = "",
) -> Response:
    """Chuyển thành sự cố (then shows the incident)."""
    return _alert_action(
        request,
        db,
        registry,
        principal,
        alert_id,
        csrf_token,
        lambda: actions.escalate(db, principal.actor, alert_id, title=title, note=note),
        "escalated",
    )


@router.post("/alerts/{alert_id:int}/close", include_in_schema=False)
def alert_close(
    request: Request,
    alert_id: int,
    principal: Handler,
    db: DbSession,
    registry: AppRegistry,
    csrf_token: CsrfField = "",
    reason: FormText = "",
) -> Response:
    """Đóng cảnh báo với lý do."""
    return _alert_action(
        request,
        db,
        registry,
        principal,
        alert_id,
        csrf_token,
        lambda: actions.close_alert(db, principal.actor, alert_id, reason=reason),
        "closed",
    )


@router.post("/alerts/{alert_id:int}/reopen", include_in_schema=False)
def alert_reopen(
    request: Request,
    alert_id: int,
    principal: Handler,
    db: DbSession,
    registry: AppRegistry,
    csrf_token: CsrfField = "",
    reason: FormText = "",
) -> Response:
    """Mở lại cảnh báo đóng nhầm."""
    return _alert_action(
        request,
        db,
        registry,
        principal,
        alert_id,
        csrf_token,
        lambda: actions.reopen_alert(db, principal.actor, alert_id, reason=reason),
        "reopened",
    )
