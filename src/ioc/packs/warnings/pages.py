"""Pages of the public warnings pack.

Operations centre (signed in): ``/warnings`` (list), ``/warnings/new`` (from scratch, or
``?alert=<id>`` / ``?incident=<id>``), ``/warnings/{id}`` (detail: approve, discard, update,
cancel), ``/warnings/{id}/edit``.

Public (no sign-in, no personal data): ``/public/warnings?xa=<code>`` (phone-first list of the
warnings in force for a commune, and the e-mail subscription form), ``/public/warnings.atom``,
``/public/warnings/{identifier}.xml`` (CAP 1.2), the subscription confirm/unsubscribe links.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import clock, i18n
from ioc.core.auth import Permission
from ioc.core.communes import communes
from ioc.packs.warnings import documents, service, sources
from ioc.packs.warnings.cap import atom_feed
from ioc.packs.warnings.hazards import (
    CERTAINTIES,
    HAZARDS,
    SEVERITIES,
    SEVERITY_COLORS,
    URGENCIES,
)
from ioc.packs.warnings.models import DRAFT, PUBLISHED, WrWarning
from ioc.web import csrf
from ioc.web.deps import DbSession, Principal, forbid, require
from ioc.web.templating import render, request_lang

router = APIRouter(include_in_schema=False)

Viewer = Annotated[Principal, Depends(require(Permission.VIEW, page=True))]
Drafter = Annotated[Principal, Depends(require(Permission.HANDLE_ALERTS, page=True))]
Public = Annotated[Principal, Depends(require(Permission.PUBLIC))]
Short = Annotated[str, Form(max_length=40)]
Headline = Annotated[str, Form(max_length=service.MAX_HEADLINE + 1)]
Long = Annotated[str, Form(max_length=service.MAX_TEXT + 1)]
Token = Annotated[str, Form(max_length=200)]
WarningId = Annotated[int, Path(ge=1, le=2**31 - 1)]
CAP_TYPE = "application/cap+xml; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"


def _lang(request: Request) -> str:
    return request_lang(request, request.app.state.settings.default_language)


def _base(request: Request) -> str:
    url: str = request.app.state.settings.public_url
    return url.rstrip("/")


def _json(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _local_input(value: Any) -> str:
    """A datetime as a ``datetime-local`` field value in province time."""
    if isinstance(value, datetime):
        return i18n.to_local(value).strftime("%Y-%m-%dT%H:%M")
    return str(value or "")


def _choices(lang: str) -> dict[str, Any]:
    def t(key: str) -> str:
        return i18n.translate(key, lang)

    return {
        "hazards": [(h.key, t(f"wr.hazard.{h.key}")) for h in HAZARDS],
        "severities": [(v, t(f"wr.severity.{v}")) for v in SEVERITIES],
        "urgencies": [(v, t(f"wr.urgency.{v}")) for v in URGENCIES],
        "certainties": [(v, t(f"wr.certainty.{v}")) for v in CERTAINTIES],
        "colors": SEVERITY_COLORS,
    }


def _get(db: Session, warning_id: int) -> WrWarning:
    warning = db.get(WrWarning, warning_id)
    if warning is None:
        raise HTTPException(404, "Không có cảnh báo này / no such warning")
    return warning


def _form_page(
    request: Request,
    db: Session,
    principal: Principal,
    *,
    values: dict[str, Any],
    action: str,
    warning: WrWarning | None = None,
    errors: dict[str, str] | None = None,
    source: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    lang = _lang(request)
    shown = dict(values)
    shown["effective_at"] = _local_input(values.get("effective_at"))
    shown["expires_at"] = _local_input(values.get("expires_at"))
    all_communes = communes(db)
    return render(
        request,
        "warnings/form.html",
        {
            **_choices(lang),
            "values": shown,
            "selected": set(values.get("areas") or []),
            "communes": all_communes,
            "action": action,
            "warning": warning,
            "errors": errors or {},
            "source": source or {},
            "map_json": _json(
                {
                    "selected": list(values.get("areas") or []),
                    "tileUrl": request.app.state.settings.map_tile_url,
                    "tileAttribution": request.app.state.settings.map_tile_attribution,
                }
            ),
        },
        principal=principal,
        status_code=status_code,
    )


def _form_values(
    hazard: str,
    severity: str,
    urgency: str,
    certainty: str,
    headline_vi: str,
    headline_en: str,
    description_vi: str,
    description_en: str,
    instruction_vi: str,
    instruction_en: str,
    effective_at: str,
    expires_at: str,
    areas: list[str],
) -> dict[str, Any]:
    return {
        "hazard": hazard,
        "severity": severity,
        "urgency": urgency,
        "certainty": certainty,
        "headline_vi": headline_vi,
        "headline_en": headline_en,
        "description_vi": description_vi,
        "description_en": description_en,
        "instruction_vi": instruction_vi,
        "instruction_en": instruction_en,
        "effective_at": effective_at,
        "expires_at": expires_at,
        "areas": areas,
    }


def _check_csrf(request: Request, token: str) -> None:
    if not csrf.valid(request, token):
        raise HTTPException(400, i18n.translate("error.csrf", _lang(request)))


# ------------------------------------------------------------------------------ operators


@router.get("/warnings")
def index(request: Request, db: DbSession, principal: Viewer) -> Response:
    """Cảnh báo công cộng: drafts waiting for approval, warnings in force, recent messages."""
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
    request: Request,
    db: DbSession,
    principal: Drafter,
    alert: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    incident: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Response:
    """Soạn cảnh báo: from scratch, or prefilled from an alert or an incident."""
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
    return _form_page(request, db, principal, values=values, action="/warnings", source=source)


@router.post("/warnings")
def create(
    request: Request,
    db: DbSession,
    principal: Drafter,
    csrf_token: Token = "",
    hazard: Short = "",
    severity: Short = "",
    urgency: Short = "",
    certainty: Short = "",
    headline_vi: Headline = "",
    headline_en: Headline = "",
    description_vi: Long = "",
    description_en: Long = "",
    instruction_vi: Long = "",
    instruction_en: Long = "",
    effective_at: Short = "",
    expires_at: Short = "",
    areas: Annotated[list[str], Form(max_length=120)] = [],  # noqa: B006 - FastAPI default
    source_kind: Short = "manual",
    source_id: Annotated[int | None, Form(ge=1, le=2**31 - 1)] = None,
) -> Response:
    """Lưu bản nháp."""
    _check_csrf(request, csrf_token)
    now = clock.now()
    values = _form_values(
        hazard,
        severity,
        urgency,
        certainty,
        headline_vi,
        headline_en,
        description_vi,
        description_en,
        instruction_vi,
        instruction_en,
        effective_at,
        expires_at,
        areas,
    )
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
        return _form_page(
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
    request: Request,
    db: DbSession,
    principal: Viewer,
    warning_id: WarningId,
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """Một bản tin: content, areas, history and the actions the caller may take."""
    warning = _get(db, warning_id)
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
def edit_form(
    request: Request, db: DbSession, principal: Drafter, warning_id: WarningId
) -> Response:
    """Sửa bản nháp."""
    warning = _get(db, warning_id)
    if warning.state != DRAFT:
        return RedirectResponse(f"/warnings/{warning.id}", status_code=303)
    codes = service.areas_of(db, [warning.id])[warning.id]
    return _form_page(
        request,
        db,
        principal,
        values=service.as_values(warning, codes),
        action=f"/warnings/{warning.id}/edit",
        warning=warning,
    )


@router.post("/warnings/{warning_id}/edit")
def edit(
    request: Request,
    db: DbSession,
    principal: Drafter,
    warning_id: WarningId,
    csrf_token: Token = "",
    hazard: Short = "",
    severity: Short = "",
    urgency: Short = "",
    certainty: Short = "",
    headline_vi: Headline = "",
    headline_en: Headline = "",
    description_vi: Long = "",
    description_en: Long = "",
    instruction_vi: Long = "",
    instruction_en: Long = "",
    effective_at: Short = "",
    expires_at: Short = "",
    areas: Annotated[list[str], Form(max_length=120)] = [],  # noqa: B006 - FastAPI default
) -> Response:
    """Lưu thay đổi của bản nháp."""
    _check_csrf(request, csrf_token)
    warning = _get(db, warning_id)
    now = clock.now()
    values = _form_values(
        hazard,
        severity,
        urgency,
        certainty,
        headline_vi,
        headline_en,
        description_vi,
        description_en,
        instruction_vi,
        instruction_en,
        effective_at,
        expires_at,
        areas,
    )
    assert principal.user is not None
    try:
        service.check_drafter(principal.user.role)
        data = service.validate(db, values, now=now)
        service.edit_draft(db, principal.actor, warning, data, now=now, role=principal.user.role)
    except service.Refused as exc:
        raise forbid(db, principal, "warning.edit", exc, warning=warning_id) from exc
    except service.WarningInputError as exc:
        return _form_page(
            request,
            db,
            principal,
            values=values,
            warning=warning,
            action=f"/warnings/{warning.id}/edit",
            errors=exc.errors,
            status_code=422,
        )
    except service.WarningConflict as exc:
        raise HTTPException(409, str(exc)) from exc
    return RedirectResponse(f"/warnings/{warning.id}?done=edited", status_code=303)


@router.post("/warnings/{warning_id}/approve")
def approve(
    request: Request,
    db: DbSession,
    principal: Viewer,
    warning_id: WarningId,
    csrf_token: Token = "",
) -> Response:
    """Duyệt và phát hành (two-person rule: never by one of its authors)."""
    _check_csrf(request, csrf_token)
    warning = _get(db, warning_id)
    role = principal.user.role if principal.user else None
    try:
        service.approve(
            db, principal.actor, warning, now=clock.now(), role=role, public_url=_base(request)
        )
    except service.Refused as exc:
        raise forbid(db, principal, "warning.approve", exc, warning=warning_id) from exc
    except service.WarningConflict as exc:
        raise HTTPException(409, str(exc)) from exc
    return RedirectResponse(f"/warnings/{warning.id}?done=published", status_code=303)


@router.post("/warnings/{warning_id}/discard")
def discard(
    request: Request,
    db: DbSession,
    principal: Drafter,
    warning_id: WarningId,
    csrf_token: Token = "",
) -> Response:
    """Bỏ bản nháp."""
    _check_csrf(request, csrf_token)
    warning = _get(db, warning_id)
    assert principal.user is not None
    try:
        service.discard(db, principal.actor, warning, now=clock.now(), role=principal.user.role)
    except service.Refused as exc:
        raise forbid(db, principal, "warning.discard", exc, warning=warning_id) from exc
    except service.WarningConflict as exc:
        raise HTTPException(409, str(exc)) from exc
    return RedirectResponse(f"/warnings/{warning.id}?done=discarded", status_code=303)


def _follow_up(
    request: Request, db: Session, principal: Principal, warning_id: int, token: str, kind: str
) -> Response:
    _check_csrf(request, token)
    original = _get(db, warning_id)
    assert principal.user is not None
    try:
        draft = service.follow_up(
            db, principal.actor, original, kind, now=clock.now(), role=principal.user.role
        )
    except service.Refused as exc:
        raise forbid(db, principal, f"warning.{kind.lower()}", exc, warning=warning_id) from exc
    except service.WarningConflict as exc:
        raise HTTPException(409, str(exc)) from exc
    return RedirectResponse(f"/warnings/{draft.id}/edit", status_code=303)


@router.post("/warnings/{warning_id}/update")
def update(
    request: Request,
    db: DbSession,
    principal: Drafter,
    warning_id: WarningId,
    csrf_token: Token = "",
) -> Response:
    """Soạn bản cập nhật (CAP ``Update``) của một cảnh báo đang có hiệu lực."""
    return _follow_up(request, db, principal, warning_id, csrf_token, "Update")


@router.post("/warnings/{warning_id}/cancel")
def cancel(
    request: Request,
    db: DbSession,
    principal: Drafter,
    warning_id: WarningId,
    csrf_token: Token = "",
) -> Response:
    """Soạn bản hủy (CAP ``Cancel``) của một cảnh báo đang có hiệu lực."""
    return _follow_up(request, db, principal, warning_id, csrf_token, "Cancel")


# ------------------------------------------------------------------------------ public


@router.get("/public/warnings.atom")
def feed(request: Request, db: DbSession, principal: Public) -> Response:
    """Atom feed of the warnings in force (and cancellations of the last day)."""
    now = clock.now()
    lang = _lang(request)
    base = _base(request)
    rows = service.current(db, now) + service.recent_cancels(db, now)
    rows.sort(key=lambda w: w.approved_at or w.updated_at, reverse=True)
    updated = max((w.approved_at or w.updated_at for w in rows), default=now)
    body = atom_feed(
        [documents.feed_entry(w, base, lang) for w in rows],
        self_url=f"{base}/public/warnings.atom",
        page_url=f"{base}/public/warnings",
        updated=updated,
        lang=lang,
    )
    return Response(body, media_type=ATOM_TYPE, headers={"Cache-Control": "public, max-age=60"})


@router.get("/public/warnings/{identifier}.xml")
def cap_document(
    request: Request,
    db: DbSession,
    principal: Public,
    identifier: Annotated[str, Path(max_length=120, pattern=r"^[A-Za-z0-9._-]+$")],
) -> Response:
    """The CAP 1.2 document of a published message (drafts are never public)."""
    message = service.by_identifier(db, identifier)
    if message is None or message.state != PUBLISHED:
        raise HTTPException(404, "Không có bản tin này / no such warning")
    return Response(documents.render(db, message, _base(request)), media_type=CAP_TYPE)


@router.get("/public/warnings")
def public_page(
    request: Request,
    db: DbSession,
    principal: Public,
    xa: Annotated[str, Query(max_length=16)] = "",
    sub: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """Cảnh báo cho người dân: the warnings in force for a chosen commune (phone first)."""
    now = clock.now()
    all_communes = communes(db)
    names = {c.code: c.name for c in all_communes}
    status = 200
    error = None
    if xa and xa not in names:
        error = "wr.public.unknown_commune"
        status = 404
    rows = service.current(db, now, xa) if xa and not error else []
    province = service.current(db, now) if not xa else []
    areas = service.areas_of(db, [w.id for w in rows + province])
    return render(
        request,
        "warnings/public.html",
        {
            "xa": xa if not error else "",
            "xa_name": names.get(xa, ""),
            "communes": all_communes,
            "names": names,
            "rows": rows,
            "province": province,
            "areas": areas,
            "colors": SEVERITY_COLORS,
            "error": error,
            "sub": sub,
            "now": now,
        },
        principal=principal,
        status_code=status,
    )


@router.post("/public/warnings/subscriptions")
def subscribe(
    request: Request,
    db: DbSession,
    principal: Public,
    csrf_token: Token = "",
    email: Annotated[str, Form(max_length=254)] = "",
    xa: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    """Đăng ký nhận cảnh báo qua e-mail (xác nhận bằng liên kết gửi đến hộp thư)."""
    _check_csrf(request, csrf_token)
    try:
        service.subscribe(
            db, email, xa, lang=_lang(request), now=clock.now(), public_url=_base(request)
        )
    except service.WarningInputError as exc:
        field, message = next(iter(exc.errors.items()))
        raise HTTPException(422, f"{field}: {message}") from exc
    return RedirectResponse(f"/public/warnings?xa={xa}&sub=sent", status_code=303)


@router.get("/public/warnings/subscriptions/confirm")
def confirm(
    request: Request,
    db: DbSession,
    principal: Public,
    token: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """Xác nhận đăng ký từ liên kết trong thư."""
    found = service.confirm(db, token, now=clock.now()) if token else None
    if found is None:
        return render(
            request,
            "warnings/subscription.html",
            {"state": "unknown"},
            principal=principal,
            status_code=404,
        )
    return RedirectResponse(f"/public/warnings?xa={found.area_code}&sub=confirmed", 303)


@router.get("/public/warnings/subscriptions/unsubscribe")
def unsubscribe_form(
    request: Request,
    principal: Public,
    token: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """Hủy đăng ký: a button (a link alone must not unsubscribe: mail scanners open links)."""
    return render(
        request, "warnings/subscription.html", {"state": "ask", "token": token}, principal=principal
    )


@router.post("/public/warnings/subscriptions/unsubscribe")
def unsubscribe(
    request: Request,
    db: DbSession,
    principal: Public,
    csrf_token: Token = "",
    token: Token = "",
) -> Response:
    """Hủy đăng ký."""
    _check_csrf(request, csrf_token)
    found = service.unsubscribe(db, token, now=clock.now()) if token else None
    state = "unknown" if found is None else "stopped"
    return render(
        request,
        "warnings/subscription.html",
        {"state": state},
        principal=principal,
        status_code=404 if found is None else 200,
    )
