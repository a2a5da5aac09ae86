"""Incidents (``/alerts/incidents``): the list with SOP progress, one incident with its
checklist, alerts and timeline, and the forms that tick or untick a step and close it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from ioc.core.auth import Permission
from ioc.core.registry import Registry
from ioc.engines.alerting import actions, queries
from ioc.engines.alerting.models import IncidentStep
from ioc.web.alerts.common import DONE_KEYS, FormText, page_helpers, run_action
from ioc.web.csrf import CsrfField
from ioc.web.deps import AppRegistry, DbSession, Handler, Principal, Viewer, request_language
from ioc.web.dispatch import register_actions
from ioc.web.templating import render

router = APIRouter()

# Step action -> the ``done`` key shown after it.
STEP_ACTIONS = {"done": "step_done", "reopen": "step_reopened"}
register_actions("incident_step_action", STEP_ACTIONS)


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
            **page_helpers(request, registry),
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
    lang = request_language(request)
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
            **page_helpers(request, registry, db),
            "detail": detail,
            "can_act": can_act and detail.row.status == "open",
            "delivery_details": principal.can(Permission.ADMIN),
            "error": error,
            "done": done if done in DONE_KEYS else None,
        },
        principal=principal,
        status_code=status_code,
    )


def _on_error(
    request: Request, db: Session, registry: Registry, principal: Principal, incident_id: int
) -> Callable[[str, int], Response]:
    """The incident page again, with the reason a form was refused."""
    return lambda msg, code: _incident_page(
        request, db, registry, principal, incident_id, error=msg, status_code=code
    )


@router.get(
    "/alerts/incidents/{incident_id:int}", response_class=HTMLResponse, include_in_schema=False
)
def incident_page(
    request: Request, incident_id: int, principal: Viewer, db: DbSession, registry: AppRegistry
) -> Response:
    """One incident: SOP checklist, its alerts, timeline, closing form."""
    return _incident_page(request, db, registry, principal, incident_id)


@router.post(
    "/alerts/incidents/{incident_id:int}/steps/{step_id:int}/{action:incident_step_action}",
    include_in_schema=False,
)
def step_action(
    request: Request,
    incident_id: int,
    step_id: int,
    action: str,
    principal: Handler,
    db: DbSession,
    registry: AppRegistry,
    csrf_token: CsrfField = "",
    note: FormText = "",
) -> Response:
    """Tick an SOP step (``done``, with an optional note) or untick it (``reopen``; the
    reason is required)."""
    step = db.get(IncidentStep, step_id)
    if step is None or step.incident_id != incident_id:
        raise HTTPException(404, "Không có bước này / no such step")
    actor = principal.actor
    run: dict[str, Callable[[], Any]] = {
        "done": lambda: actions.complete_step(db, actor, step_id, note=note),
        "reopen": lambda: actions.reopen_step(db, actor, step_id, note=note),
    }
    failed = run_action(
        request,
        db,
        csrf_token,
        run[action],
        _on_error(request, db, registry, principal, incident_id),
    )
    return failed or RedirectResponse(
        f"/alerts/incidents/{incident_id}?done={STEP_ACTIONS[action]}#step-{step_id}",
        status_code=303,
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
    failed = run_action(
        request,
        db,
        csrf_token,
        lambda: actions.close_incident(db, principal.actor, incident_id, reason=reason),
        _on_error(request, db, registry, principal, incident_id),
    )
    return failed or RedirectResponse(
        f"/alerts/incidents/{incident_id}?done=incident_closed", status_code=303
    )
