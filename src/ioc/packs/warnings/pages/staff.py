"""Pages of the operations centre: the list of warnings, drafting (from scratch, an alert
or an incident), editing, approval (two-person rule), discard, update and cancel."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

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
from ioc.web.deps import Principal, forbid
from ioc.web.pagekit import HandlerCall, ViewerCall
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
    now = clock.now()
    kind = source_kind if source_kind in ("alert", "incident") and source_id else "manual"
    source = {"kind": kind, "id": source_id} if kind != "manual" else {}
    assert principal.user is not None
    try:
        service.check_drafter(principal.user.role)
        data = service.validate(db, values, now=now)
        warning = service.create_draft(
            db,
            principal.actor,
            data,
            now=now,
            role=principal.user.role,
            source_kind=kind,
            source_alert_id=source_id if kind == "alert" else None,
            source_incident_id=source_id if kind == "incident" else None,
        )
    except service.Refused as exc:
        raise forbid(db, principal, "warning.draft", exc) from exc
    except service.WarningInputError as exc:
        return form_page(
            request,
            db,
            principal,
            values=values,
            action="/warnings",
            errors=exc.errors,
            source=source,
            status_code=422,
        )
    return RedirectResponse(f"/warnings/{warning.id}?done=drafted", status_code=303)


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
    now = clock.now()
    assert principal.user is not None
    with refusals(db, principal, "warning.edit", warning=warning_id):
        try:
            service.check_drafter(principal.user.role)
            data = service.validate(db, values, now=now)
            service.edit_draft(
                db, principal.actor, warning, data, now=now, role=principal.user.role
            )
        except service.WarningInputError as exc:
            return form_page(
                request,
                db,
                principal,
                values=values,
                warning=warning,
                action=f"/warnings/{warning.id}/edit",
                errors=exc.errors,
                status_code=422,
            )
    return RedirectResponse(f"/warnings/{warning.id}?done=edited", status_code=303)


@router.post("/warnings/{warning_id}/approve")
def approve(call: ViewerCall, warning_id: WarningId, csrf_token: Token = "") -> Response:
    """Duyệt và phát hành (two-person rule: never by one of its authors)."""
    request, db, principal = call
    check_csrf(request, csrf_token)
    warning = get_warning(db, warning_id)
    role = principal.user.role if principal.user else None
    with refusals(db, principal, "warning.approve", warning=warning_id):
        service.approve(
            db,
            principal.actor,
            warning,
            now=clock.now(),
            role=role,
            public_url=public_base(request),
        )
    return RedirectResponse(f"/warnings/{warning.id}?done=published", status_code=303)


@router.post("/warnings/{warning_id}/discard")
def discard(call: HandlerCall, warning_id: WarningId, csrf_token: Token = "") -> Response:
    """Bỏ bản nháp."""
    request, db, principal = call
    check_csrf(request, csrf_token)
    warning = get_warning(db, warning_id)
    assert principal.user is not None
    with refusals(db, principal, "warning.discard", warning=warning_id):
        service.discard(db, principal.actor, warning, now=clock.now(), role=principal.user.role)
    return RedirectResponse(f"/warnings/{warning.id}?done=discarded", status_code=303)


def _follow_up(
    request: Request, db: Session, principal: Principal, warning_id: int, token: str, kind: str
) -> Response:
    check_csrf(request, token)
    original = get_warning(db, warning_id)
    assert principal.user is not None
    with refusals(db, principal, f"warning.{kind.lower()}", warning=warning_id):
        draft = service.follow_up(
            db, principal.actor, original, kind, now=clock.now(), role=principal.user.role
        )
    return RedirectResponse(f"/warnings/{draft.id}/edit", status_code=303)


@router.post("/warnings/{warning_id}/update")
def update(call: HandlerCall, warning_id: WarningId, csrf_token: Token = "") -> Response:
    """Soạn bản cập nhật (CAP ``Update``) của một cảnh báo đang có hiệu lực."""
    request, db, principal = call
    return _follow_up(request, db, principal, warning_id, csrf_token, "Update")


@router.post("/warnings/{warning_id}/cancel")
def cancel(call: HandlerCall, warning_id: WarningId, csrf_token: Token = "") -> Response:
    """Soạn bản hủy (CAP ``Cancel``) của một cảnh báo đang có hiệu lực."""
    request, db, principal = call
    return _follow_up(request, db, principal, warning_id, csrf_token, "Cancel")
