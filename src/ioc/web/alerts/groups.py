"""One group of alerts (one rule, one cause: ``/alerts/groups/{key}``) and the forms that
acknowledge or assign the whole group at once, one audited action per alert."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Path
from fastapi.responses import HTMLResponse, Response

from ioc.core import i18n
from ioc.core.auth import Permission
from ioc.core.registry import Registry
from ioc.engines.alerting import actions, queries
from ioc.web import csrf
from ioc.web.alerts.common import HandlingForm, page_helpers
from ioc.web.deps import AppRegistry
from ioc.web.dispatch import register_actions
from ioc.web.pagekit import Call, HandlerCall, ViewerCall
from ioc.web.templating import render

router = APIRouter()

MAX_GROUP_ACTION = 1000  # alerts one group action goes through (the console shows at most 500)
GroupKey = Annotated[str, Path(max_length=40)]
AlertIds = Annotated[list[int] | None, Form(alias="alert_id")]
# Group action -> the ``done`` key of its result.
GROUP_ACTIONS = {"acknowledge": "acknowledged", "assign": "assigned"}
register_actions("alert_group_action", GROUP_ACTIONS)


def _group_page(
    call: Call, registry: Registry, key: str, result: dict[str, Any] | None = None
) -> Response:
    request, db, principal = call
    group = queries.alert_group(db, key, call.lang)
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
            **page_helpers(request, registry, db),
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
def group_page(key: GroupKey, call: ViewerCall, registry: AppRegistry) -> Response:
    """One group of alerts (one rule, one cause): every alert, and the forms that acknowledge
    or assign the whole group at once."""
    return _group_page(call, registry, key)


@router.post("/alerts/groups/{key}/{action:alert_group_action}", include_in_schema=False)
def group_action(
    key: GroupKey,
    action: str,
    call: HandlerCall,
    registry: AppRegistry,
    posted: HandlingForm,
    alert_ids: AlertIds = None,
) -> Response:
    """Tiếp nhận cả nhóm (one acknowledgement per alert) or giao cả nhóm (one assignment per
    alert, to the same agency and/or person); each through the one action function, audited,
    in the actor's agency scope. Shows what it did and what it skipped."""
    request, db, principal = call
    lang = call.lang
    note, agency, user = posted["note"], posted["agency"], posted["user"]
    csrf.check(request, posted.csrf_token, status=400, detail=i18n.translate("error.csrf", lang))
    actor = principal.actor
    per_alert: dict[str, Callable[[int], Any]] = {
        "acknowledge": lambda alert_id: actions.acknowledge(db, actor, alert_id, note=note),
        "assign": lambda alert_id: actions.assign(
            db, actor, alert_id, agency_code=agency, username=user, note=note
        ),
    }
    alert_ids = (alert_ids or [])[:MAX_GROUP_ACTION]
    group = queries.alert_group(db, key, lang)
    members = {a.id for a in group.alerts} if group is not None else set()
    outside = [i for i in dict.fromkeys(alert_ids) if i not in members]
    outcome = actions.for_each_alert(db, [i for i in alert_ids if i in members], per_alert[action])
    db.commit()
    skipped = [(i, exc.message(lang)) for i, exc in outcome.skipped]
    skipped += [(i, i18n.translate("alerts.group.not_in_group", lang)) for i in outside]
    result = {"done": GROUP_ACTIONS[action], "n": len(outcome.done), "skipped": skipped}
    return _group_page(call, registry, key, result)
