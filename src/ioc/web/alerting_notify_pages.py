"""Thông báo cảnh báo: the notification layer's pages at ``/alerts/notifications``.

Tabs: contact points (with "send test"), the policy tree (inherited values shown), silences
(create / expire), mute timings, the outbox (pending / sent / dead, with retry) and the
signed-in user's in-app inbox. Everyone with ``view`` may look; changes need ``admin`` (except
marking one's own in-app notifications read).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.core import clock
from ioc.core.auth import Permission
from ioc.core.i18n import to_local
from ioc.engines.alerting.notify import inbox
from ioc.engines.alerting.notify.config import ConfigError, send_test
from ioc.engines.alerting.notify.delivery import retry_outbox
from ioc.engines.alerting.notify.matchers import MatcherError, split_matchers
from ioc.engines.alerting.notify.models import (
    OUTBOX_STATUSES,
    ContactPoint,
    MuteTiming,
    Outbox,
    Silence,
)
from ioc.engines.alerting.notify.policy import load_tree, walk
from ioc.engines.alerting.notify.silences import (
    SilenceError,
    create_silence,
    expire_silence,
    silence_state,
)
from ioc.web import csrf
from ioc.web.deps import AppSettings
from ioc.web.pagekit import AdminCall, Call, Posted, ViewerCall, form_fields
from ioc.web.templating import render

router = APIRouter(include_in_schema=False)


BASE = "/alerts/notifications"
INBOX = "inbox"
TABS = ("contacts", "policies", "silences", "timings", "outbox", INBOX)
OUTBOX_FILTERS = (*OUTBOX_STATUSES, "all")
DONE = frozenset(
    {
        "test_queued",
        "silence_created",
        "silence_expired",
        "retried",
        "read",
        "csrf",
        "error",
    }
)
PAGE_LIMIT = 200
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


def _duration(seconds: int) -> str:
    if seconds % 3600 == 0 and seconds >= 3600:
        return f"{seconds // 3600}h"
    if seconds % 60 == 0 and seconds >= 60:
        return f"{seconds // 60}m"
    return f"{seconds}s"


def _contacts(db: Session) -> list[dict[str, Any]]:
    return [
        {
            "name": c.name,
            "title": c.title or c.name,
            "kind": c.kind,
            "settings": c.settings,
            "send_resolved": c.send_resolved,
            "disabled": c.disabled,
            "updated_at": c.updated_at,
            "updated_by": c.updated_by,
        }
        for c in db.execute(select(ContactPoint).order_by(ContactPoint.name)).scalars()
    ]


def _policies(db: Session) -> list[dict[str, Any]]:
    tree = load_tree(db)
    if tree is None:
        return []
    rows = []
    for depth, node, eff in walk(tree):
        rows.append(
            {
                "depth": depth,
                "matchers": [str(m) for m in node.matchers],
                "comment": node.comment,
                "contact_point": eff.contact_point,
                "contact_own": node.contact_point is not None,
                "group_by": ["..."] if eff.group_by_all else list(eff.group_by),
                "group_by_own": node.group_by is not None,
                "timers": [
                    (_duration(eff.group_wait_s), node.group_wait_s is not None),
                    (_duration(eff.group_interval_s), node.group_interval_s is not None),
                    (_duration(eff.repeat_interval_s), node.repeat_interval_s is not None),
                ],
                "continue": node.continue_matching,
                "mute_timings": list(eff.mute_timings),
                "mute_own": bool(node.mute_timings),
                "active_timings": list(eff.active_timings),
                "active_own": bool(node.active_timings),
            }
        )
    return rows


def _silences(db: Session) -> list[dict[str, Any]]:
    now = clock.now()
    rows = db.execute(
        select(Silence).order_by(Silence.ends_at.desc(), Silence.id.desc()).limit(PAGE_LIMIT)
    ).scalars()
    items = [
        {
            "id": s.id,
            "matchers": s.matchers,
            "starts_at": s.starts_at,
            "ends_at": s.ends_at,
            "comment": s.comment,
            "created_by": s.created_by,
            "expired_by": s.expired_by,
            "state": silence_state(s, now),
        }
        for s in rows
    ]
    order = {"active": 0, "pending": 1, "expired": 2}
    return sorted(items, key=lambda i: order[i["state"]])


def _timings(db: Session) -> list[dict[str, Any]]:
    return [
        {"name": m.name, "comment": m.comment, "intervals": m.intervals}
        for m in db.execute(select(MuteTiming).order_by(MuteTiming.name)).scalars()
    ]


def _outbox(db: Session, status: str) -> tuple[list[Outbox], dict[str, int]]:
    stmt = select(Outbox).order_by(Outbox.created_at.desc(), Outbox.id.desc()).limit(PAGE_LIMIT)
    if status != "all":
        stmt = stmt.where(Outbox.status == status)
    counts: dict[str, int] = {
        row[0]: row[1]
        for row in db.execute(select(Outbox.status, func.count()).group_by(Outbox.status))
    }
    return list(db.execute(stmt).scalars()), counts


def _page(
    call: Call,
    tab: str,
    *,
    status: str = "dead",
    done: str | None = None,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The notifications page open on ``tab`` (outbox filtered by ``status``), with the notice
    of the last action (``done``) or a refused form (``error``, what was entered: ``form``)."""
    request, db, principal = call
    context: dict[str, Any] = {
        "tab": tab,
        "tabs": TABS if principal.can(Permission.OPERATIONS) else (INBOX,),
        "base": BASE,
        "done": done if done in DONE else None,
        "error": error,
        "can_edit": principal.can(Permission.ADMIN),
    }
    if tab == "contacts":
        context["contacts"] = _contacts(db)
    elif tab == "policies":
        context["policies"] = _policies(db)
    elif tab == "silences":
        context["silences"] = _silences(db)
        now = to_local(clock.now()).replace(second=0, microsecond=0)
        context["form"] = form or {
            "matchers": request.query_params.get("matchers", ""),
            "starts": now.strftime(LOCAL_FORMAT),
            "ends": (now + timedelta(hours=2)).strftime(LOCAL_FORMAT),
            "comment": "",
        }
    elif tab == "timings":
        context["timings"] = _timings(db)
    elif tab == "outbox":
        rows, counts = _outbox(db, status)
        context.update(outbox=rows, counts=counts, status=status, statuses=OUTBOX_FILTERS)
    else:
        assert principal.user is not None
        context["inbox"] = inbox.unread(db, principal.user, limit=PAGE_LIMIT)
    return render(
        request, "notify/index.html", context, principal=principal, status_code=status_code
    )


@router.get(BASE, response_class=HTMLResponse)
def notifications_page(
    call: ViewerCall,
    tab: Annotated[str, Query(max_length=20)] = "contacts",
    status: Annotated[str, Query(max_length=20)] = "dead",
    done: Annotated[str | None, Query(max_length=30)] = None,
) -> Response:
    """Thông báo: contact points, policies, silences, mute timings, outbox, inbox. Staff
    outside the IOC (agency staff) read only their own inbox: the other tabs answer 403."""
    request, principal = call.request, call.principal
    if not principal.can(Permission.OPERATIONS):
        if request.query_params.get("tab", INBOX) != INBOX:
            raise HTTPException(403, "Không đủ quyền / permission denied")
        tab = INBOX
    return _page(
        call,
        tab if tab in TABS else "contacts",
        status=status if status in OUTBOX_FILTERS else "dead",
        done=done,
    )


def _back(tab: str, done: str, status: str | None = None) -> RedirectResponse:
    extra = f"&status={status}" if status in OUTBOX_FILTERS else ""
    return RedirectResponse(f"{BASE}?tab={tab}&done={done}{extra}", status_code=303)


def _form_action(
    call: Call,
    csrf_token: str,
    tab: str,
    action: Callable[[], object],
    done: str,
    refused: tuple[type[Exception], ...],
    refused_status: int,
    *,
    status: str | None = None,
    form: dict[str, str] | None = None,
    undo: bool = False,
) -> Response:
    """A form of ``tab``: after the CSRF check, run ``action`` and go back to the tab with
    ``done``; an exception of ``refused`` shows the tab again with the reason
    (``refused_status``) and what was entered (``form``), the session rolled back if ``undo``
    (an action that may have written before it failed)."""
    request, db = call.request, call.db
    if not csrf.valid(request, csrf_token):
        return _back(tab, "csrf", status)
    try:
        action()
    except refused as exc:
        if undo:
            db.rollback()
        return _page(
            call,
            tab,
            status="dead" if status is None else status,
            error=str(exc),
            form=form,
            status_code=refused_status,
        )
    return _back(tab, done, status)


@router.post(BASE + "/contact-points/{name}/test")
def contact_point_test(
    name: str, call: AdminCall, settings: AppSettings, csrf_token: csrf.CsrfField = ""
) -> Response:
    """Queue a test notification to one contact point."""
    return _form_action(
        call,
        csrf_token,
        "contacts",
        lambda: send_test(call.db, call.principal.actor, name, settings.public_url),
        "test_queued",
        (ConfigError,),
        404,
    )


def _parse_local(value: str, field: str) -> datetime:
    try:
        naive = datetime.strptime(value.strip(), LOCAL_FORMAT)  # noqa: DTZ007 - local, below
    except ValueError:
        raise SilenceError(
            f"{field}: cần ngày giờ dạng YYYY-MM-DDTHH:MM / expected a date and time"
        ) from None
    return naive.replace(tzinfo=clock.local_zone())


# A silence as its form posts it (local times).
SilenceForm = Annotated[
    Posted, Depends(form_fields(matchers=2000, starts=32, ends=32, comment=2000))
]


@router.post(BASE + "/silences")
def silence_create(call: AdminCall, posted: SilenceForm) -> Response:
    """Create a silence from the form (times are local, Asia/Ho_Chi_Minh)."""
    return _form_action(
        call,
        posted.csrf_token,
        "silences",
        lambda: create_silence(
            call.db,
            call.principal.actor,
            matchers=split_matchers(posted["matchers"]),
            starts_at=_parse_local(posted["starts"], "Bắt đầu / start"),
            ends_at=_parse_local(posted["ends"], "Kết thúc / end"),
            comment=posted["comment"],
        ),
        "silence_created",
        (SilenceError, MatcherError),
        422,
        form=posted.entered,
        undo=True,
    )


@router.post(BASE + "/silences/{silence_id}/expire")
def silence_expire(silence_id: int, call: AdminCall, csrf_token: csrf.CsrfField = "") -> Response:
    """End a silence now."""
    return _form_action(
        call,
        csrf_token,
        "silences",
        lambda: expire_silence(call.db, call.principal.actor, silence_id),
        "silence_expired",
        (SilenceError,),
        409,
    )


# The outbox's retry button, with the filter of the list it was pressed on.
OutboxForm = Annotated[Posted, Depends(form_fields(status=(20, "dead")))]


@router.post(BASE + "/outbox/{outbox_id}/retry")
def outbox_retry(outbox_id: int, call: AdminCall, posted: OutboxForm) -> Response:
    """Put a dead notification back in the queue."""
    return _form_action(
        call,
        posted.csrf_token,
        "outbox",
        lambda: retry_outbox(call.db, call.principal.actor, outbox_id),
        "retried",
        (ValueError,),
        409,
        status=posted["status"],
    )


@router.post(BASE + "/inbox/read")
def inbox_read(
    call: ViewerCall,
    csrf_token: csrf.CsrfField = "",
    notification_id: Annotated[int | None, Form()] = None,
) -> Response:
    """Mark one (or every) in-app notification read for the signed-in user."""
    request, db, principal = call
    if not csrf.valid(request, csrf_token):
        return _back("inbox", "csrf")
    assert principal.user is not None
    inbox.mark_read(db, principal.user, notification_id)
    return _back("inbox", "read")
