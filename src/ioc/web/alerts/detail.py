"""One alert (``/alerts/{id}``): labels, annotations, timeline, and the handling forms
(acknowledge, assign, comment, escalate, close, reopen) posted to one action route."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from ioc.core.auth import Permission
from ioc.core.registry import Registry
from ioc.engines.alerting import actions, queries
from ioc.web.alerts.common import (
    DONE_KEYS,
    AgencyField,
    FormText,
    UserField,
    page_helpers,
    run_action,
)
from ioc.web.csrf import CsrfField
from ioc.web.deps import AppRegistry, DbSession, Handler, Principal, Viewer, request_language
from ioc.web.dispatch import register_actions
from ioc.web.templating import render

router = APIRouter()

# Alert action (the last segment of its URL) -> the ``done`` key shown after it.
ALERT_ACTIONS = {
    "acknowledge": "acknowledged",  # Tiếp nhận
    "assign": "assigned",  # Giao xử lý cho đơn vị và/hoặc người
    "comment": "commented",  # Ghi chú vào dòng thời gian
    "escalate": "escalated",  # Chuyển thành sự cố (then shows the incident)
    "close": "closed",  # Đóng cảnh báo với lý do
    "reopen": "reopened",  # Mở lại cảnh báo đóng nhầm
}
register_actions("alert_action", ALERT_ACTIONS)


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
    lang = request_language(request)
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
            **page_helpers(request, registry, db),
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


@router.post("/alerts/{alert_id:int}/{action:alert_action}", include_in_schema=False)
def alert_action(
    request: Request,
    alert_id: int,
    action: str,
    principal: Handler,
    db: DbSession,
    registry: AppRegistry,
    csrf_token: CsrfField = "",
    note: FormText = "",
    body: FormText = "",
    reason: FormText = "",
    title: Annotated[str, Form(max_length=300)] = "",
    agency: AgencyField = "",
    user: UserField = "",
) -> Response:
    """One handling form of an alert (``ALERT_ACTIONS``), through the one action function of
    :mod:`ioc.engines.alerting.actions`; back to the alert, or to the new incident after an
    escalation. A refused action shows the alert again with the reason."""
    actor = principal.actor
    run: dict[str, Callable[[], Any]] = {
        "acknowledge": lambda: actions.acknowledge(db, actor, alert_id, note=note),
        "assign": lambda: actions.assign(
            db, actor, alert_id, agency_code=agency, username=user, note=note
        ),
        "comment": lambda: actions.comment(db, actor, alert_id, body=body),
        "escalate": lambda: actions.escalate(db, actor, alert_id, title=title, note=note),
        "close": lambda: actions.close_alert(db, actor, alert_id, reason=reason),
        "reopen": lambda: actions.reopen_alert(db, actor, alert_id, reason=reason),
    }
    result: dict[str, Any] = {}

    def perform() -> None:
        result["value"] = run[action]()

    failed = run_action(
        request,
        db,
        csrf_token,
        perform,
        lambda msg, code: _alert_page(
            request, db, registry, principal, alert_id, error=msg, status_code=code
        ),
    )
    if failed is not None:
        return failed
    done = ALERT_ACTIONS[action]
    value = result.get("value")
    if done == "escalated" and value is not None:
        return RedirectResponse(f"/alerts/incidents/{value.id}?done=escalated", status_code=303)
    return RedirectResponse(f"/alerts/{alert_id}?done={done}", status_code=303)
