"""Incidents (``/alerts/incidents``): the list with SOP progress, one incident with its
checklist, alerts and timeline, and the forms that tick or untick a step and close it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ioc.core.registry import Registry
from ioc.engines.alerting import actions, queries
from ioc.engines.alerting.models import IncidentStep
from ioc.web.alerts.common import (
    HandlingForm,
    Refusal,
    found,
    handling_page,
    may_act,
    page_helpers,
    run_action,
)
from ioc.web.deps import AppRegistry
from ioc.web.dispatch import register_actions
from ioc.web.pagekit import Call, HandlerCall, ViewerCall, query_fields
from ioc.web.templating import render

router = APIRouter()

# Step action -> the ``done`` key shown after it.
STEP_ACTIONS = {"done": "step_done", "reopen": "step_reopened"}
register_actions("incident_step_action", STEP_ACTIONS)


# Which incidents (open, closed, all) and the page of the list.
IncidentsQuery = Annotated[
    dict[str, str], Depends(query_fields(status=(10, "open"), page=(8, "1")))
]


@router.get("/alerts/incidents", response_class=HTMLResponse, include_in_schema=False)
def incidents_page(call: ViewerCall, registry: AppRegistry, query: IncidentsQuery) -> Response:
    """Sự cố: open (or closed, or all) incidents with their SOP progress."""
    request, db, principal = call
    status, page = query["status"], query["page"]
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
    call: Call, registry: Registry, incident_id: int, refusal: Refusal | None = None
) -> Response:
    detail = found(
        queries.incident_detail(call.db, incident_id, call.lang), "sự cố này / no such incident"
    )
    can_act = may_act(call, detail.row.agency_id)
    return handling_page(
        call,
        registry,
        "alerts/incident.html",
        {"detail": detail, "can_act": can_act and detail.row.status == "open"},
        refusal,
    )


def _handled(
    call: Call, registry: Registry, incident_id: int, csrf_token: str, action: Callable[[], Any]
) -> Response | None:
    """Run a form's ``action`` on the incident (see :func:`run_action`): ``None`` when done,
    else the incident page again with the reason it was refused."""
    return run_action(
        call,
        csrf_token,
        action,
        lambda refusal: _incident_page(call, registry, incident_id, refusal),
    )


@router.get(
    "/alerts/incidents/{incident_id:int}", response_class=HTMLResponse, include_in_schema=False
)
def incident_page(incident_id: int, call: ViewerCall, registry: AppRegistry) -> Response:
    """One incident: SOP checklist, its alerts, timeline, closing form."""
    return _incident_page(call, registry, incident_id)


@router.post(
    "/alerts/incidents/{incident_id:int}/steps/{step_id:int}/{action:incident_step_action}",
    include_in_schema=False,
)
def step_action(
    incident_id: int,
    step_id: int,
    action: str,
    call: HandlerCall,
    registry: AppRegistry,
    posted: HandlingForm,
) -> Response:
    """Tick an SOP step (``done``, with an optional note) or untick it (``reopen``; the
    reason is required)."""
    _, db, principal = call
    note = posted["note"]
    step = db.get(IncidentStep, step_id)
    if step is None or step.incident_id != incident_id:
        raise HTTPException(404, "Không có bước này / no such step")
    actor = principal.actor
    run: dict[str, Callable[[], Any]] = {
        "done": lambda: actions.complete_step(db, actor, step_id, note=note),
        "reopen": lambda: actions.reopen_step(db, actor, step_id, note=note),
    }
    failed = _handled(call, registry, incident_id, posted.csrf_token, run[action])
    return failed or RedirectResponse(
        f"/alerts/incidents/{incident_id}?done={STEP_ACTIONS[action]}#step-{step_id}",
        status_code=303,
    )


@router.post("/alerts/incidents/{incident_id:int}/close", include_in_schema=False)
def incident_close(
    incident_id: int,
    call: HandlerCall,
    registry: AppRegistry,
    posted: HandlingForm,
) -> Response:
    """Close the incident (and its open alerts) with a reason."""
    _, db, principal = call
    reason = posted["reason"]
    failed = _handled(
        call,
        registry,
        incident_id,
        posted.csrf_token,
        lambda: actions.close_incident(db, principal.actor, incident_id, reason=reason),
    )
    return failed or RedirectResponse(
        f"/alerts/incidents/{incident_id}?done=incident_closed", status_code=303
    )
