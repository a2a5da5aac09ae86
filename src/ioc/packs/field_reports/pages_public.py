"""Citizen pages of field reports (phản ánh hiện trường), no login, Vietnamese first, phone-first.

* ``/phan-anh`` — what the service is, "Gửi phản ánh", search by tracking code;
* ``/phan-anh/gui`` — the send form (category, description, photos, location on a map or the
  phone's position, commune, contact details with the privacy notice); the "is this yours?"
  list comes from ``/phan-anh/gui/trung-lap`` (HTMX); success shows the tracking code and the
  one-time secret;
* ``/phan-anh/tra-cuu?ma=PA-…`` — status, public timeline, answer, published photos; with the
  secret the reporter supplies information, rates the answer or reopens the report;
* ``/phan-anh/danh-sach`` — the public list and map, filtered and paged.

Everything shown about a report comes from ``public.py`` (no personal data); every change goes
through the ``service`` actions with ``service.citizen_actor()``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.core import i18n
from ioc.core.auth import Permission
from ioc.core.models import Area
from ioc.packs.field_reports import duplicates, public, routing, service, upload_slots
from ioc.packs.field_reports import photos as photo_files
from ioc.packs.field_reports.errors import FieldReportError
from ioc.packs.field_reports.models import Category, Report
from ioc.web import csrf
from ioc.web.deps import DbSession, Principal, require
from ioc.web.proxies import client_address
from ioc.web.templating import render, request_lang

router = APIRouter(include_in_schema=False)

Public = Annotated[Principal, Depends(require(Permission.PUBLIC))]

LIST_PAGE_SIZE = 20
# Statuses a citizen can filter the public list by (hidden and merged reports never show).
LIST_STATUSES = (
    "received",
    "assigned",
    "in_progress",
    "info_requested",
    "published",
    "rated",
    "rejected",
)
# Upper bound on a text field before the friendly checks of the service (abuse guard only).
FORM_MAX = 20_000

# Towns drawn as labels on maps without tiles, so a citizen can find the place to tap.
# Approximate centres (WGS84) of the main towns of Đắk Lắk after the 2025 merger.
MAP_PLACES: tuple[dict[str, Any], ...] = (
    {"name": "Buôn Ma Thuột", "lat": 12.6670, "lon": 108.0380},
    {"name": "Buôn Hồ", "lat": 12.8700, "lon": 108.2700},
    {"name": "Tuy Hòa", "lat": 13.0880, "lon": 109.3000},
    {"name": "Sông Cầu", "lat": 13.4560, "lon": 109.2200},
    {"name": "Ea Kar", "lat": 12.8100, "lon": 108.4500},
    {"name": "Ea Drăng", "lat": 13.2000, "lon": 108.2300},
    {"name": "M'Đrắk", "lat": 12.7000, "lon": 108.7700},
    {"name": "Liên Sơn Lắk", "lat": 12.4000, "lon": 108.1700},
    {"name": "Củng Sơn", "lat": 13.0450, "lon": 108.9800},
)
MAP_CENTER = (12.95, 108.55)
# What the maps show first: the inhabited part of the province, west to east coast.
MAP_BOUNDS = ((12.15, 107.65), (13.6, 109.45))

# Small inline icons (24×24 SVG paths) of the packaged categories; others get the "khac" one.
CATEGORY_ICONS = {
    "duong-hu-hong": "M4 20 9 4h6l5 16M12 6v3m0 3v3m0 3v2",
    "ngap-ung": "M12 3s6 7 6 11a6 6 0 0 1-12 0c0-4 6-11 6-11zM3 21c2-1 4-1 6 0s4 1 6 0 4-1 6 0",
    "rac-thai": "M4 7h16M9 7V4h6v3M6 7l1 14h10l1-14M10 11v6m4-6v6",
    "chieu-sang": "M9 18h6M10 21h4M12 3a6 6 0 0 0-4 10.5c.7.7 1 1.5 1 2.5h6c0-1 .3-1.8 1-2.5"
    "A6 6 0 0 0 12 3z",
    "tieng-on": "M4 9v6h4l5 4V5L8 9H4zm12 0a4 4 0 0 1 0 6m2-9a8 8 0 0 1 0 12",
    "cay-xanh": "M12 22v-7m0 0-4-3m4 3 4-4M12 2a6 6 0 0 0-6 6 5 5 0 0 0 1 3 4 4 0 0 0 5 4 "
    "4 4 0 0 0 5-4 5 5 0 0 0 1-3 6 6 0 0 0-6-6z",
    "trat-tu-do-thi": "M3 21h18M5 21V10l7-5 7 5v11M9 21v-6h6v6",
    "o-nhiem": "M3 21V11l5 3V11l5 3V8l5 3v10H3zM18 6c0-2 2-2 2-4",
    "bien-bao-giao-thong": "M9 2h6a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2H9a2 2 0 0 1-2-2V4a2 2 0 0 1 "
    "2-2zm3 4v0m0 4v0m0 4v0M12 18v4",
    "khac": "M12 22a10 10 0 1 0 0-20 10 10 0 0 0 0 20zM8 12h.01M12 12h.01M16 12h.01",
}


# --- shared helpers (also used by the staff and admin pages) ---------------------------------


def to_json(value: Any) -> str:
    """JSON for a ``<script type="application/json">`` block (``</`` escaped)."""
    return orjson.dumps(value).decode().replace("</", "<\\/")


def parse_iso(value: str | None) -> datetime | None:
    """An ISO 8601 string of the serializers back to an aware datetime (None stays None)."""
    return datetime.fromisoformat(value) if value else None


def error_text(exc: FieldReportError | Exception, lang: str) -> str:
    """The message of a refused action in the page language."""
    if lang == "en":
        return str(getattr(exc, "en", "") or exc)
    return str(exc)


def categories(session: Session, lang: str) -> list[dict[str, Any]]:
    """Active categories in their configured order, with the icon path and short help."""
    rows = session.execute(
        select(Category).where(Category.active.is_(True)).order_by(Category.position, Category.id)
    ).scalars()
    return [
        {
            "code": c.code,
            "name": c.name_en if lang == "en" else c.name_vi,
            "help": c.description,
            "icon": CATEGORY_ICONS.get(c.code, CATEGORY_ICONS["khac"]),
            "urgent": c.urgent_default,
        }
        for c in rows
    ]


def communes(session: Session) -> list[dict[str, str]]:
    """The province's current communes and wards, by name, with a diacritics-free search key."""
    rows = session.execute(
        select(Area.code, Area.name, Area.name_folded)
        .where(
            Area.parent_code == routing.PROVINCE_CODE,
            Area.level.in_(routing.COMMUNE_LEVELS),
            Area.valid_to.is_(None),
        )
        .order_by(Area.name_folded)
    ).all()
    return [{"code": code, "name": name, "folded": folded} for code, name, folded in rows]


def map_opts(request: Request) -> dict[str, Any]:
    """Options of the pack's Leaflet maps (tile server if configured, else offline labels)."""
    settings = request.app.state.settings
    return {
        "tileUrl": settings.map_tile_url,
        "tileAttribution": settings.map_tile_attribution,
        "center": list(MAP_CENTER),
        "bounds": [list(corner) for corner in MAP_BOUNDS],
        "places": list(MAP_PLACES),
    }


def base_context(request: Request) -> dict[str, Any]:
    """Helpers every page of the pack uses in its templates."""
    lang = request_lang(request, request.app.state.settings.default_language)

    def when(value: str | datetime | None, with_time: bool = True) -> str:
        moment = parse_iso(value) if isinstance(value, str) else value
        return "—" if moment is None else i18n.format_when(moment, lang, with_time)

    return {"when": when, "map_opts_json": to_json(map_opts(request))}


def _lang(request: Request) -> str:
    return request_lang(request, request.app.state.settings.default_language)


# --- landing ---------------------------------------------------------------------------------


@router.get("/phan-anh", response_class=HTMLResponse)
def landing(request: Request, db: DbSession, principal: Public) -> Response:
    """Phản ánh hiện trường: what it is, send, follow by code, the public list."""
    lang = _lang(request)
    visible = (Report.hidden.is_(False), Report.merged_into_id.is_(None))
    total = db.execute(select(func.count(Report.id)).where(*visible)).scalar_one()
    answered = db.execute(
        select(func.count(Report.id)).where(
            *visible, Report.status.in_(public.PUBLIC_STATUSES_WITH_ANSWER)
        )
    ).scalar_one()
    # The latest published answers, rated or not yet rated.
    latest = sorted(
        public.public_reports(db, status="published", limit=3, lang=lang)
        + public.public_reports(db, status="rated", limit=3, lang=lang),
        key=lambda r: r.get("published_at") or "",
        reverse=True,
    )[:3]
    return render(
        request,
        "field_reports/public/landing.html",
        {
            **base_context(request),
            "total": total,
            "answered": answered,
            "latest": latest,
            "categories": categories(db, lang),
        },
        principal=principal,
    )


# --- send form -------------------------------------------------------------------------------

EMPTY_FORM: dict[str, str] = {
    "category": "",
    "description": "",
    "lat": "",
    "lon": "",
    "area": "",
    "address": "",
    "reporter_name": "",
    "reporter_phone": "",
    "reporter_email": "",
    "share_identity": "",
}


def _form_page(
    request: Request,
    db: Session,
    principal: Principal,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
    *,
    slot: str | None = None,
    kept: list[upload_slots.KeptPhoto] | None = None,
) -> Response:
    lang = _lang(request)
    pol = service.policy()
    kept = kept or []
    return render(
        request,
        "field_reports/public/send.html",
        {
            **base_context(request),
            "values": values,
            "errors": errors,
            "categories": categories(db, lang),
            "communes": communes(db),
            "photo_max_mb": max(1, pol.photo_max_bytes // (1024 * 1024)),
            "photo_max_bytes": pol.photo_max_bytes,
            "photo_max_count": pol.photo_max_count,
            "photo_room": max(0, pol.photo_max_count - len(kept)),
            "photo_slot": slot if kept else None,
            "kept_photos": kept,
        },
        principal=principal,
        status_code=status_code,
    )


@router.get("/phan-anh/gui", response_class=HTMLResponse)
def send_form(
    request: Request,
    db: DbSession,
    principal: Public,
    linh_vuc: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """Gửi phản ánh: the empty form (optionally with a category chosen on the landing page)."""
    return _form_page(request, db, principal, {**EMPTY_FORM, "category": linh_vuc}, {})


def _read_photos(files: list[UploadFile], lang: str) -> list[bytes]:
    """The uploaded photos' bytes; empty file inputs skipped; too many or too big refused
    before anything is decoded (the service checks the content)."""
    return [data for _name, data in _read_named_photos(files, lang)]


def _read_named_photos(
    files: list[UploadFile], lang: str, already: int = 0
) -> list[tuple[str, bytes]]:
    """``(file name, bytes)`` of the uploaded photos (``already`` kept ones count too)."""
    pol = service.policy()
    chosen = [f for f in files if f.filename]
    if already + len(chosen) > pol.photo_max_count:
        raise FieldReportError(
            f"Tối đa {pol.photo_max_count} ảnh cho một phản ánh",
            f"At most {pol.photo_max_count} photos per report",
            field="photos",
        )
    out = []
    for upload in chosen:
        data = upload.file.read(pol.photo_max_bytes + 1)
        if len(data) > pol.photo_max_bytes:
            mb = max(1, pol.photo_max_bytes // (1024 * 1024))
            raise FieldReportError(
                f"Ảnh “{upload.filename}” quá lớn (tối đa {mb} MB)",
                f"Photo “{upload.filename}” is too large (at most {mb} MB)",
                field="photos",
            )
        if data:
            out.append((upload.filename or "anh", data))
    return out


def _keep_for_retry(
    values: list[tuple[str, bytes]], errors: dict[str, str], lang: str
) -> tuple[str | None, list[upload_slots.KeptPhoto]]:
    """After a form error: keep the photos that pass the photo checks in a new upload slot
    (cleaned of metadata); a photo that does not is named in ``errors["photos"]``."""
    pol = service.policy()
    good: list[tuple[str, bytes]] = []
    refused: list[str] = []
    for name, blob in values:
        try:
            cleaned = photo_files.process(
                blob,
                max_bytes=pol.photo_max_bytes,
                max_side=pol.photo_max_side,
                max_pixels=pol.photo_max_pixels,
            )
        except photo_files.PhotoError as exc:
            reason = exc.en if lang == "en" else str(exc)
            refused.append(i18n.translate("frn.photo_refused", lang, name=name, reason=reason))
            continue
        good.append((name, cleaned.data))
    if refused and "photos" not in errors:
        errors["photos"] = " ".join(refused)
    token = upload_slots.save(pol.data_dir, good)
    kept = upload_slots.load(pol.data_dir, token) if token else []
    return token, kept


def _float(value: str) -> float | None:
    try:
        return float(value) if value.strip() else None
    except ValueError:
        return float("nan")  # refused by routing.check_point with a message naming the field


# Empty required fields, all reported at once (the service stops at the first problem; a
# phone user should not have to send the form five times). Same texts as the service.
REQUIRED: tuple[tuple[tuple[str, ...], str, str, str], ...] = (
    (("category",), "category", "Vui lòng chọn lĩnh vực phản ánh", "Choose a category"),
    (("description",), "description", "Vui lòng nhập nội dung phản ánh", "Describe the problem"),
    (
        ("lat", "lon"),
        "location",
        "Vui lòng chọn vị trí trên bản đồ hoặc lấy vị trí từ điện thoại",
        "Pick a location on the map or use the phone's position",
    ),
    (("reporter_name",), "reporter_name", "Vui lòng nhập họ tên", "Give your name"),
    (
        ("reporter_phone", "reporter_email"),
        "reporter_phone",
        "Vui lòng nhập số điện thoại hoặc email để cơ quan liên hệ khi cần",
        "Give a phone number or an e-mail address",
    ),
)


def _missing(values: dict[str, str], lang: str) -> dict[str, str]:
    """Required fields left empty -> message (for a location or a contact, every part of it
    empty for the contact, any part empty for the location)."""
    out = {}
    for names, field, vi, en in REQUIRED:
        empty = [not values[n].strip() for n in names]
        if all(empty) if field == "reporter_phone" else any(empty):
            out[field] = en if lang == "en" else vi
    return out


@router.post("/phan-anh/gui", response_class=HTMLResponse)
def send_report(
    request: Request,
    db: DbSession,
    principal: Public,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    category: Annotated[str, Form(max_length=200)] = "",
    description: Annotated[str, Form(max_length=FORM_MAX)] = "",
    lat: Annotated[str, Form(max_length=40)] = "",
    lon: Annotated[str, Form(max_length=40)] = "",
    area: Annotated[str, Form(max_length=40)] = "",
    address: Annotated[str, Form(max_length=FORM_MAX)] = "",
    reporter_name: Annotated[str, Form(max_length=FORM_MAX)] = "",
    reporter_phone: Annotated[str, Form(max_length=200)] = "",
    reporter_email: Annotated[str, Form(max_length=400)] = "",
    share_identity: Annotated[str, Form(max_length=10)] = "",
    photos: Annotated[list[UploadFile] | None, File()] = None,
    photo_slot: Annotated[str, Form(max_length=80)] = "",
    keep_photo: Annotated[list[int] | None, Form()] = None,
) -> Response:
    """Send the report; on success show the tracking code and the one-time secret. On an
    error the form comes back filled in, with the photos kept (``upload_slots``)."""
    lang = _lang(request)
    pol = service.policy()
    ticked = set(keep_photo or [])
    kept = [k for k in upload_slots.load(pol.data_dir, photo_slot) if k.index in ticked]
    values = {
        "category": category,
        "description": description,
        "lat": lat,
        "lon": lon,
        "area": area,
        "address": address,
        "reporter_name": reporter_name,
        "reporter_phone": reporter_phone,
        "reporter_email": reporter_email,
        "share_identity": "1" if share_identity else "",
    }
    if not csrf.valid(request, csrf_token):
        return _form_page(
            request,
            db,
            principal,
            values,
            {"form": i18n.translate("frp.error.csrf", lang)},
            status_code=400,
        )
    try:
        chosen = [(k.name, k.data) for k in kept]
        chosen += _read_named_photos(photos or [], lang, already=len(kept))
    except FieldReportError as exc:
        # Too many or too large: the new ones are refused, the ones kept so far stay.
        errors = {"photos": error_text(exc, lang)}
        token, still = _keep_for_retry([(k.name, k.data) for k in kept], errors, lang)
        upload_slots.discard(pol.data_dir, photo_slot)
        return _form_page(
            request, db, principal, values, errors, status_code=422, slot=token, kept=still
        )
    missing = _missing(values, lang)
    if missing:
        token, still = _keep_for_retry(chosen, missing, lang)
        upload_slots.discard(pol.data_dir, photo_slot)
        return _form_page(
            request, db, principal, values, missing, status_code=422, slot=token, kept=still
        )
    try:
        blobs = [data for _name, data in chosen]
        submission = service.submit_report(
            db,
            service.citizen_actor(),
            category_code=category,
            description=description,
            lat=_float(lat),
            lon=_float(lon),
            area_code=area.strip() or None,
            address=address,
            reporter_name=reporter_name,
            reporter_phone=reporter_phone,
            reporter_email=reporter_email,
            share_identity_with_agency=bool(share_identity),
            photos=blobs,
            channel="web",
            client_key=client_address(request),  # behind a trusted proxy: the citizen's
            lang=lang,
        )
    except FieldReportError as exc:
        db.rollback()
        field = exc.field if exc.field in EMPTY_FORM or exc.field == "photos" else None
        # The map pin and the coordinates are one field for the citizen.
        if exc.field == "location":
            field = "location"
        if exc.field == "rate_limit":
            field = "form"
        errors = {field or "form": error_text(exc, lang)}
        token, still = _keep_for_retry(chosen, errors, lang)
        upload_slots.discard(pol.data_dir, photo_slot)
        page = _form_page(
            request,
            db,
            principal,
            values,
            errors,
            status_code=422 if exc.retry_after is None else 429,
            slot=token,
            kept=still,
        )
        if exc.retry_after is not None:
            page.headers["Retry-After"] = str(exc.retry_after)
        return page
    upload_slots.discard(pol.data_dir, photo_slot)
    report = submission.report
    view = public.public_report(db, report, lang)
    return render(
        request,
        "field_reports/public/sent.html",
        {**base_context(request), "report": view, "secret": submission.secret},
        principal=principal,
    )


@router.get("/phan-anh/gui/trung-lap", response_class=HTMLResponse)
def nearby(
    request: Request,
    db: DbSession,
    principal: Public,
    category: Annotated[str, Query(max_length=64)] = "",
    lat: Annotated[str, Query(max_length=40)] = "",
    lon: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    """“Có phải phản ánh này của bạn?”: open reports of the category near the pin (fragment)."""
    lang = _lang(request)
    items: list[dict[str, Any]] = []
    resolved = None
    lat_f, lon_f = _float(lat), _float(lon)
    if category and lat_f is not None and lon_f is not None:
        try:
            items = duplicates.nearby_open(db, category, lat_f, lon_f, lang=lang)
            code = routing.resolve_area(db, lat_f, lon_f)
            area = routing.commune(db, code) if code else None
            resolved = {"code": area.code, "name": area.name} if area else None
        except FieldReportError:
            items = []
    return render(
        request,
        "field_reports/public/_nearby.html",
        {**base_context(request), "items": items, "resolved": resolved},
        principal=principal,
    )


# --- tracking --------------------------------------------------------------------------------


def _track_page(
    request: Request,
    db: Session,
    principal: Principal,
    code: str,
    *,
    errors: dict[str, str] | None = None,
    form: str = "",
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    lang = _lang(request)
    report_view = None
    not_found = False
    if code:
        try:
            report = service.get_report(db, code)
        except FieldReportError:
            not_found = True
        else:
            report_view = public.public_report(db, report, lang, timeline=True)
    done = request.query_params.get("done", "")
    return render(
        request,
        "field_reports/public/track.html",
        {
            **base_context(request),
            "code": code,
            "report": report_view,
            "not_found": not_found,
            "errors": errors or {},
            "form": form,
            "values": values or {},
            "done": done if done in ("info", "rated", "reopened") else "",
            "actions": service.ACTIONS,
        },
        principal=principal,
        status_code=404 if not_found else status_code,
    )


@router.get("/phan-anh/tra-cuu", response_class=HTMLResponse)
def track(
    request: Request,
    db: DbSession,
    principal: Public,
    ma: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    """Tra cứu phản ánh: status, public timeline, answer and photos of report ``ma``."""
    return _track_page(request, db, principal, ma.strip())


def _citizen_action(
    request: Request,
    db: Session,
    principal: Principal,
    code: str,
    form: str,
    csrf_token: str,
    values: dict[str, str],
    run: Any,
    done: str,
) -> Response:
    lang = _lang(request)
    try:
        report = service.get_report(db, code)
    except FieldReportError as exc:
        raise HTTPException(404, str(exc)) from exc
    if report.hidden:
        raise HTTPException(404, "Phản ánh không hiển thị")
    if not csrf.valid(request, csrf_token):
        return _track_page(
            request,
            db,
            principal,
            report.code,
            errors={"form": i18n.translate("frp.error.csrf", lang)},
            form=form,
            values=values,
            status_code=400,
        )
    try:
        run(report)
    except FieldReportError as exc:
        db.rollback()
        return _track_page(
            request,
            db,
            principal,
            code,
            errors={exc.field or "form": error_text(exc, lang)},
            form=form,
            values=values,
            status_code=422,
        )
    return RedirectResponse(f"/phan-anh/tra-cuu?ma={report.code}&done={done}", status_code=303)


@router.post("/phan-anh/tra-cuu/{code}/bo-sung", response_class=HTMLResponse)
def provide_info(
    request: Request,
    code: str,
    db: DbSession,
    principal: Public,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    secret: Annotated[str, Form(max_length=200)] = "",
    text: Annotated[str, Form(max_length=FORM_MAX)] = "",
    photos: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    """Bổ sung thông tin (the reporter, with the secret)."""
    lang = _lang(request)

    def run(report: Report) -> None:
        blobs = _read_photos(photos or [], lang)
        service.provide_info(
            db, service.citizen_actor(), report, text, photos=blobs, secret=secret.strip()
        )

    return _citizen_action(
        request, db, principal, code, "info", csrf_token, {"text": text}, run, "info"
    )


@router.post("/phan-anh/tra-cuu/{code}/danh-gia", response_class=HTMLResponse)
def rate(
    request: Request,
    code: str,
    db: DbSession,
    principal: Public,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    secret: Annotated[str, Form(max_length=200)] = "",
    satisfied: Annotated[str, Form(max_length=10)] = "",
    really_fixed: Annotated[str, Form(max_length=10)] = "",
    comment: Annotated[str, Form(max_length=FORM_MAX)] = "",
) -> Response:
    """Đánh giá kết quả (the reporter, with the secret): satisfied? really fixed?"""
    values = {"satisfied": satisfied, "really_fixed": really_fixed, "comment": comment}

    def run(report: Report) -> None:
        if satisfied not in ("yes", "no"):
            raise FieldReportError(
                "Vui lòng chọn hài lòng hoặc không hài lòng",
                "Choose satisfied or not satisfied",
                field="satisfied",
            )
        if really_fixed not in ("yes", "no"):
            raise FieldReportError(
                "Vui lòng cho biết sự việc đã thực sự được khắc phục chưa",
                "Say whether the problem was really fixed",
                field="really_fixed",
            )
        service.rate(
            db,
            service.citizen_actor(),
            report,
            satisfied=satisfied == "yes",
            really_fixed=really_fixed == "yes",
            comment=comment,
            secret=secret.strip(),
        )

    return _citizen_action(request, db, principal, code, "rate", csrf_token, values, run, "rated")


@router.post("/phan-anh/tra-cuu/{code}/mo-lai", response_class=HTMLResponse)
def reopen(
    request: Request,
    code: str,
    db: DbSession,
    principal: Public,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    secret: Annotated[str, Form(max_length=200)] = "",
    reason: Annotated[str, Form(max_length=FORM_MAX)] = "",
) -> Response:
    """Mở lại phản ánh (the reporter, with the secret): the problem is back or not solved."""

    def run(report: Report) -> None:
        service.reopen(db, service.citizen_actor(), report, reason, secret=secret.strip())

    return _citizen_action(
        request, db, principal, code, "reopen", csrf_token, {"reason": reason}, run, "reopened"
    )


# --- public list -----------------------------------------------------------------------------


@router.get("/phan-anh/danh-sach", response_class=HTMLResponse)
def public_list(
    request: Request,
    db: DbSession,
    principal: Public,
    linh_vuc: Annotated[str, Query(max_length=64)] = "",
    xa: Annotated[str, Query(max_length=16)] = "",
    trang_thai: Annotated[str, Query(max_length=20)] = "",
    trang: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """Danh sách phản ánh: published and in-progress reports with their answers, and a map."""
    lang = _lang(request)
    status = trang_thai if trang_thai in LIST_STATUSES else ""
    rows = public.public_reports(
        db,
        category_code=linh_vuc or None,
        area_code=xa or None,
        status=status or None,
        limit=LIST_PAGE_SIZE + 1,
        offset=(trang - 1) * LIST_PAGE_SIZE,
        lang=lang,
    )
    has_next = len(rows) > LIST_PAGE_SIZE
    rows = rows[:LIST_PAGE_SIZE]
    markers = [
        {
            "code": r["code"],
            "lat": r["lat"],
            "lon": r["lon"],
            "status": r["status"],
            "label": r["status_label"],
            "category": r["category"]["name"],
            "url": f"/phan-anh/tra-cuu?ma={r['code']}",
        }
        for r in rows
        if not r.get("hidden")
    ]
    query = {"linh_vuc": linh_vuc, "xa": xa, "trang_thai": status}
    return render(
        request,
        "field_reports/public/list.html",
        {
            **base_context(request),
            "rows": rows,
            "markers_json": to_json(markers),
            "categories": categories(db, lang),
            "communes": communes(db),
            "statuses": LIST_STATUSES,
            "filters": query,
            "page": trang,
            "has_next": has_next,
            "query_base": urlencode({k: v for k, v in query.items() if v}),
        },
        principal=principal,
    )
