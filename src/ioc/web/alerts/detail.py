"""One alert (``/alerts/{id}``): labels, annotations, timeline, and the handling forms
(acknowledge, assign, comment, escalate, close, reopen) posted to one action route."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ioc.core.registry import Registry
from ioc.engines.alerting import actions, queries
from ioc.web.alerts.common import (
    HandlingForm,
    Refusal,
    found,
    handling_page,
    may_act,
    run_action,
)
from ioc.web.deps import AppRegistry
from ioc.web.dispatch import register_actions
from ioc.web.pagekit import Call, HandlerCall, ViewerCall

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
    call: Call, registry: Registry, alert_id: int, refusal: Refusal | None = None
) -> Response:
    db = call.db
    detail = found(queries.alert_detail(db, alert_id, call.lang), "cảnh báo này / no such alert")
    can_act = may_act(call, detail.row.assignee_agency_id)
    return handling_page(
        call,
        registry,
        "alerts/detail.html",
        {
            "detail": detail,
            "row": detail.row,
            "can_act": can_act,
            "agencies": queries.agency_options(db) if can_act else [],
            "users": queries.assignee_options(db) if can_act else [],
        },
        refusal,
    )


@router.get("/alerts/{alert_id:int}", response_class=HTMLResponse, include_in_schema=False)
def alert_page(alert_id: int, call: ViewerCall, registry: AppRegistry) -> Response:
    """One alert: what, where, since when, its timeline and the handling forms."""
    return _alert_page(call, registry, alert_id)


@router.post("/alerts/{alert_id:int}/{action:alert_action}", include_in_schema=False)
def alert_action(
    alert_id: int,
    action: str,
    call: HandlerCall,
    registry: AppRegistry,
    posted: HandlingForm,
) -> Response:
    """One handling form of an alert (``ALERT_ACTIONS``), through the one action function of
    :mod:`ioc.engines.alerting.actions`; back to the alert, or to the new incident after an
    escalation. A refused action shows the alert again with the reason."""
    db = call.db
    actor = call.principal.actor
    note, reason = posted["note"], posted["reason"]
    agency, user = posted["agency"], posted["user"]
    run: dict[str, Callable[[], Any]] = {
        "acknowledge": lambda: actions.acknowledge(db, actor, alert_id, note=note),
        "assign": lambda: actions.assign(
            db, actor, alert_id, agency_code=agency, username=user, note=note
        ),
        "comment": lambda: actions.comment(db, actor, alert_id, body=posted["body"]),
        "escalate": lambda: actions.escalate(db, actor, alert_id, title=posted["title"], note=note),
        "close": lambda: actions.close_alert(db, actor, alert_id, reason=reason),
        "reopen": lambda: actions.reopen_alert(db, actor, alert_id, reason=reason),
    }
    result: dict[str, Any] = {}

    def perform() -> None:
        result["value"] = run[action]()

    failed = run_action(
        call,
        posted.csrf_token,
        perform,
        lambda refusal: _alert_page(call, registry, alert_id, refusal),
    )
    if failed is not None:
        return failed
    done = ALERT_ACTIONS[action]
    value = result.get("value")
    if done == "escalated" and value is not None:
        return RedirectResponse(f"/alerts/incidents/{value.id}?done=escalated", status_code=303)
    return RedirectResponse(f"/alerts/{alert_id}?done={done}", status_code=303)
