"""Public pages (no sign-in, no personal data): the warnings in force for a commune (phone
first), the Atom feed, the CAP 1.2 documents and the e-mail subscription links."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Path, Query
from fastapi.responses import RedirectResponse, Response

from ioc.core import clock
from ioc.core.communes import communes
from ioc.packs.warnings import documents, service
from ioc.packs.warnings.cap import atom_feed
from ioc.packs.warnings.hazards import SEVERITY_COLORS
from ioc.packs.warnings.models import PUBLISHED
from ioc.packs.warnings.pages.context import ATOM_TYPE, CAP_TYPE, Token, check_csrf, public_base
from ioc.web.deps import request_language
from ioc.web.pagekit import PublicCall
from ioc.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/public/warnings.atom")
def feed(call: PublicCall) -> Response:
    """Atom feed of the warnings in force (and cancellations of the last day)."""
    request, db, _principal = call
    now = clock.now()
    lang = request_language(request)
    base = public_base(request)
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
    call: PublicCall, identifier: Annotated[str, Path(max_length=120, pattern=r"^[A-Za-z0-9._-]+$")]
) -> Response:
    """The CAP 1.2 document of a published message (drafts are never public)."""
    request, db, _principal = call
    message = service.by_identifier(db, identifier)
    if message is None or message.state != PUBLISHED:
        raise HTTPException(404, "Không có bản tin này / no such warning")
    return Response(documents.render(db, message, public_base(request)), media_type=CAP_TYPE)


@router.get("/public/warnings")
def public_page(
    call: PublicCall,
    xa: Annotated[str, Query(max_length=16)] = "",
    sub: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """Cảnh báo cho người dân: the warnings in force for a chosen commune (phone first)."""
    request, db, principal = call
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
    call: PublicCall,
    csrf_token: Token = "",
    email: Annotated[str, Form(max_length=254)] = "",
    xa: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    """Đăng ký nhận cảnh báo qua e-mail (xác nhận bằng liên kết gửi đến hộp thư)."""
    request, db, _principal = call
    check_csrf(request, csrf_token)
    try:
        service.subscribe(
            db,
            email,
            xa,
            lang=request_language(request),
            now=clock.now(),
            public_url=public_base(request),
        )
    except service.WarningInputError as exc:
        field, message = next(iter(exc.errors.items()))
        raise HTTPException(422, f"{field}: {message}") from exc
    return RedirectResponse(f"/public/warnings?xa={xa}&sub=sent", status_code=303)


@router.get("/public/warnings/subscriptions/confirm")
def confirm(call: PublicCall, token: Annotated[str, Query(max_length=200)] = "") -> Response:
    """Xác nhận đăng ký từ liên kết trong thư."""
    request, db, principal = call
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
    call: PublicCall, token: Annotated[str, Query(max_length=200)] = ""
) -> Response:
    """Hủy đăng ký: a button (a link alone must not unsubscribe: mail scanners open links)."""
    request, _db, principal = call
    return render(
        request, "warnings/subscription.html", {"state": "ask", "token": token}, principal=principal
    )


@router.post("/public/warnings/subscriptions/unsubscribe")
def unsubscribe(call: PublicCall, csrf_token: Token = "", token: Token = "") -> Response:
    """Hủy đăng ký."""
    request, db, principal = call
    check_csrf(request, csrf_token)
    found = service.unsubscribe(db, token, now=clock.now()) if token else None
    state = "unknown" if found is None else "stopped"
    return render(
        request,
        "warnings/subscription.html",
        {"state": state},
        principal=principal,
        status_code=404 if found is None else 200,
    )
