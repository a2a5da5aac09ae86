"""Pages of the operations centre: the list of warnings, drafting (from scratch, an alert
or an incident), editing, approval (two-person rule), discard, update and cancel."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from ioc.core import clock
from ioc.core.communes import communes
from ioc.packs.warnings import service, sources
from ioc.packs.warnings.hazards import SEVERITY_COLORS
from ioc.packs.warnings.models import DRAFT, WrWarning
from ioc.packs.warnings.pages.context import (
    ContentForm,
    SourceForm,
    SourceId,
    Token,
    WarningId,
    check_csrf,
    form_page,
    get_warning,
    public_base,
    refusals,
)
from ioc.web.pagekit import Call, HandlerCall, ViewerCall
from ioc.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/warnings")
def index(call: ViewerCall) -> Response:
    """Cảnh báo công cộng: drafts waiting for approval, warnings in force, recent messages."""
    request, db, principal = call
    now = clock.now()
    rows = list(db.scalars(select(WrWarning).order_by(WrWarning.updated_at.desc()).limit(200)))
    areas = service.areas_of(db, [w.id for w in rows])
    names = {c.code: c.name for c in communes(db)}
    current_ids = {w.id for w in service.current(db, now)}
    return render(
        request,
        "warnings/list.html",
        {
            "drafts": [w for w in rows if w.state == DRAFT],
            "in_force": [w for w in rows if w.id in current_ids],
            "others": [w for w in rows if w.state != DRAFT and w.id not in current_ids][:50],
            "areas": areas,
            "names": names,
            "colors": SEVERITY_COLORS,
            "now": now,
        },
        principal=principal,
    )


@router.get("/warnings/new")
def new(
    call: HandlerCall,
    alert: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    incident: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Response:
    """Soạn cảnh báo: from scratch, or prefilled from an alert or an incident."""
    request, db, principal = call
    now = clock.now()
    values: dict[str, Any] | None = None
    source: dict[str, Any] = {}
    if alert is not None:
        values = sources.from_alert(db, alert, now)
        source = {"kind": "alert", "id": alert}
    elif incident is not None:
        values = sources.from_incident(db, incident, now)
        source = {"kind": "incident", "id": incident}
    if (alert is not None or incident is not None) and values is None:
        raise HTTPException(404, "Không có cảnh báo/sự cố này / no such alert or incident")
    if values is None:
        vi, en = sources.GENERIC_INSTRUCTION
        values = {
            "hazard": "",
            "severity": "Moderate",
            "urgency": "Expected",
            "certainty": "Likely",
            "instruction_vi": vi,
            "instruction_en": en,
            "effective_at": now,
            "expires_at": now.replace(microsecond=0) + timedelta(hours=24),
            "areas": [],
        }
    return form_page(request, db, principal, values=values, action="/warnings", source=source)


@router.post("/warnings")
def create(
    call: HandlerCall, values: ContentForm, origin: SourceForm, source_id: SourceId = None
) -> Response:
    """Lưu bản nháp."""
    request, db, principal = call
    check_csrf(request, origin.csrf_token)
    source_kind = origin["source_kind"]
    kind = source_kind if source_kind in ("alert", "incident") and source_id else "manual"
    source = {"kind": kind, "id": source_id} if kind != "manual" else {}

    def save(data: service.WarningInput, now: datetime, role: str) -> str:
        warning = service.create_draft(
            db,
            principal.actor,
            data,
            now=now,
            role=role,
            source_kind=kind,
            source_alert_id=source_id if kind == "alert" else None,
            source_incident_id=source_id if kind == "incident" else None,
        )
        return f"/warnings/{warning.id}?done=drafted"

    return _save_draft(call, values, ("warning.draft", {}), save, action="/warnings", source=source)


@router.get("/warnings/{warning_id}")
def detail(
    call: ViewerCall, warning_id: WarningId, done: Annotated[str, Query(max_length=20)] = ""
) -> Response:
    """Một bản tin: content, areas, history and the actions the caller may take."""
    request, db, principal = call
    warning = get_warning(db, warning_id)
    now = clock.now()
    codes = service.areas_of(db, [warning.id])[warning.id]
    names = {c.code: c.name for c in communes(db)}
    user = principal.user
    is_author = user is not None and (
        user.id == warning.created_by_user_id or user.id in (warning.authors or [])
    )
    in_force = warning.id in {w.id for w in service.current(db, now)}
    chain = service.reference_chain(db, warning)
    followers = list(db.scalars(select(WrWarning).where(WrWarning.references_id == warning.id)))
    return render(
        request,
        "warnings/detail.html",
        {
            "w": warning,
            "areas": [(c, names.get(c, c)) for c in codes],
            "colors": SEVERITY_COLORS,
            "is_author": is_author,
            "can_draft": user is not None and user.role in service.DRAFT_ROLES,
            "can_approve": user is not None and user.role in service.APPROVE_ROLES,
            "in_force": in_force,
            "chain": chain,
            "followers": followers,
            "done": done,
            "now": now,
        },
        principal=principal,
    )


@router.get("/warnings/{warning_id}/edit")
def edit_form(call: HandlerCall, warning_id: WarningId) -> Response:
    """Sửa bản nháp."""
    request, db, principal = call
    warning = get_warning(db, warning_id)
    if warning.state != DRAFT:
        return RedirectResponse(f"/warnings/{warning.id}", status_code=303)
    codes = service.areas_of(db, [warning.id])[warning.id]
    return form_page(
        request,
        db,
        principal,
        values=service.as_values(warning, codes),
        action=f"/warnings/{warning.id}/edit",
        warning=warning,
    )


@router.post("/warnings/{warning_id}/edit")
def edit(
    call: HandlerCall, warning_id: WarningId, values: ContentForm, csrf_token: Token = ""
) -> Response:
    """Lưu thay đổi của bản nháp."""
    request, db, principal = call
    check_csrf(request, csrf_token)
    warning = get_warning(db, warning_id)

    def save(data: service.WarningInput, now: datetime, role: str) -> str:
        service.edit_draft(db, principal.actor, warning, data, now=now, role=role)
        return f"/warnings/{warning.id}?done=edited"

    door = ("warning.edit", {"warning": warning_id})
    action = f"/warnings/{warning.id}/edit"
    return _save_draft(call, values, door, save, warning=warning, action=action)


def _save_draft(
    call: Call,
    values: dict[str, Any],
    door: tuple[str, dict[str, Any]],
    save: Callable[[service.WarningInput, datetime, str], str],
    **form: Any,
) -> Response:
    """Check that the caller may draft and that ``values`` are valid, then ``save`` the
    validated content (with the time and the caller's role) and go to the page it names. A
    refusal is audited under ``door`` (its name and details); invalid values show the form
    again (``form``: its action, the warning or the source) with the errors (422)."""
    request, db, principal = call
    assert principal.user is not None
    role = principal.user.role
    now = clock.now()
    name, detail = door
    with refusals(db, principal, name, **detail):
        try:
            service.check_drafter(role)
            target = save(service.validate(db, values, now=now), now, role)
        except service.WarningInputError as exc:
            return form_page(
                request, db, principal, values=values, errors=exc.errors, status_code=422, **form
            )
    return RedirectResponse(target, status_code=303)


def _warning_action(
    call: Call,
    warning_id: int,
    csrf_token: str,
    door: str,
    run: Callable[[WrWarning, str | None], str],
) -> Response:
    """A button of warning ``warning_id``: check the form, ``run`` the action with the
    warning and the caller's role (refusals audited under ``door``) and go to the page it
    names."""
    request, db, principal = call
    check_csrf(request, csrf_token)
    warning = get_warning(db, warning_id)
    role = principal.user.role if principal.user else None
    with refusals(db, principal, door, warning=warning_id):
        target = run(warning, role)
    return RedirectResponse(target, status_code=303)


@router.post("/warnings/{warning_id}/approve")
def approve(call: ViewerCall, warning_id: WarningId, csrf_token: Token = "") -> Response:
    """Duyệt và phát hành (two-person rule: never by one of its authors)."""

    def run(warning: WrWarning, role: str | None) -> str:
        public_url = public_base(call.request)
        service.approve(
            call.db,
            call.principal.actor,
            warning,
            now=clock.now(),
            role=role,
            public_url=public_url,
        )
        return f"/warnings/{warning.id}?done=published"

    return _warning_action(call, warning_id, csrf_token, "warning.approve", run)


@router.post("/warnings/{warning_id}/discard")
def discard(call: HandlerCall, warning_id: WarningId, csrf_token: Token = "") -> Response:
    """Bỏ bản nháp."""

    def run(warning: WrWarning, role: str | None) -> str:
        service.discard(call.db, call.principal.actor, warning, now=clock.now(), role=role)
        return f"/warnings/{warning.id}?done=discarded"

    return _warning_action(call, warning_id, csrf_token, "warning.discard", run)


# A follow-up of a warning in force (the last segment of its path) -> its CAP message type.
FOLLOW_UPS = {"update": "Update", "cancel": "Cancel"}


@router.post("/warnings/{warning_id}/update")
@router.post("/warnings/{warning_id}/cancel")
def follow_up(call: HandlerCall, warning_id: WarningId, csrf_token: Token = "") -> Response:
    """Soạn bản cập nhật (CAP ``Update``, ``…/update``) hoặc bản hủy (CAP ``Cancel``,
    ``…/cancel``) của một cảnh báo đang có hiệu lực, then open the draft for editing."""
    action = call.request.url.path.rsplit("/", 1)[1]
    kind = FOLLOW_UPS[action]

    def run(original: WrWarning, role: str | None) -> str:
        draft = service.follow_up(
            call.db, call.principal.actor, original, kind, now=clock.now(), role=role
        )
        return f"/warnings/{draft.id}/edit"

    return _warning_action(call, warning_id, csrf_token, f"warning.{action}", run)
