"""The citizen's send form (``/phan-anh/gui``): category, description, photos, location on a
map or the phone's position, commune, contact details with the privacy notice; the "is this
yours?" list comes from ``/phan-anh/gui/trung-lap`` (HTMX); success shows the tracking code
and the one-time secret. A refused form comes back filled in, its photos kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from ioc.core import i18n
from ioc.packs.field_reports import duplicates, public, routing, service, upload_slots
from ioc.packs.field_reports import photos as photo_files
from ioc.packs.field_reports.errors import FieldReportError
from ioc.packs.field_reports.pages.context import base_context, categories, communes, error_text
from ioc.web import csrf
from ioc.web.deps import Principal, request_language
from ioc.web.pagekit import Call, Posted, PublicCall, form_fields, query_fields
from ioc.web.proxies import client_address
from ioc.web.templating import render

router = APIRouter(include_in_schema=False)

# The bounds of the citizen's form fields before the service's friendly checks: a free text
# and a short field (the CSRF token, the secret, a phone).
FORM_MAX = 20_000
SHORT_MAX = 200


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
    lang = request_language(request)
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
def send_form(call: PublicCall, linh_vuc: Annotated[str, Query(max_length=64)] = "") -> Response:
    """Gửi phản ánh: the empty form (optionally with a category chosen on the landing page)."""
    request, db, principal = call
    return _form_page(request, db, principal, {**EMPTY_FORM, "category": linh_vuc}, {})


def read_photos(files: list[UploadFile], lang: str) -> list[bytes]:
    """The uploaded photos' bytes; empty file inputs skipped; too many or too big refused
    before anything is decoded (the service checks the content)."""
    return [data for _name, data in _read_named_photos(files, lang)]


def _read_named_photos(
    files: list[UploadFile], lang: str, already: int = 0
) -> list[tuple[str, bytes]]:
    """``(file name, bytes)`` of the uploaded photos (``already`` kept ones count too)."""
    pol = service.policy()
    chosen = [f for f in files if f.filename]
    service.check_photo_count(already + len(chosen), pol)
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


# The text fields of the send form, in the order the form shows them.
SendForm = Annotated[
    Posted,
    Depends(
        form_fields(
            csrf_token=SHORT_MAX,
            **{"category": 200, "description": FORM_MAX, "lat": 40, "lon": 40, "area": 40},
            **{"address": FORM_MAX, "reporter_name": FORM_MAX, "reporter_phone": SHORT_MAX},
            **{"reporter_email": 400, "share_identity": 10},
        )
    ),
]


@router.post("/phan-anh/gui", response_class=HTMLResponse)
def send_report(
    call: PublicCall,
    posted: SendForm,
    photos: Annotated[list[UploadFile] | None, File()] = None,
    photo_slot: Annotated[str, Form(max_length=80)] = "",
    keep_photo: Annotated[list[int] | None, Form()] = None,
) -> Response:
    """Send the report; on success show the tracking code and the one-time secret. On an
    error the form comes back filled in, with the photos kept (``upload_slots``)."""
    request, db, principal = call
    lang = request_language(request)
    data_dir = service.policy().data_dir
    ticked = set(keep_photo or [])
    kept = [k for k in upload_slots.load(data_dir, photo_slot) if k.index in ticked]
    values = {**posted.entered, "share_identity": "1" if posted["share_identity"] else ""}
    form = _Form(call, values, photo_slot)
    if not csrf.valid(request, posted.csrf_token):
        errors = {"form": i18n.translate("frp.error.csrf", lang)}
        return _form_page(request, db, principal, values, errors, status_code=400)
    try:
        chosen = [(k.name, k.data) for k in kept]
        chosen += _read_named_photos(photos or [], lang, already=len(kept))
    except FieldReportError as exc:
        # Too many or too large: the new ones are refused, the ones kept so far stay.
        return form.again({"photos": error_text(exc, lang)}, [(k.name, k.data) for k in kept])
    missing = _missing(values, lang)
    if missing:
        return form.again(missing, chosen)
    try:
        submission = _submit(request, db, values, [data for _name, data in chosen], lang)
    except FieldReportError as exc:
        db.rollback()
        field = exc.field if exc.field in EMPTY_FORM or exc.field == "photos" else None
        # The map pin and the coordinates are one field for the citizen.
        if exc.field == "location":
            field = "location"
        if exc.field == "rate_limit":
            field = "form"
        errors = {field or "form": error_text(exc, lang)}
        if exc.retry_after is None:
            return form.again(errors, chosen)
        page = form.again(errors, chosen, status_code=429)
        page.headers["Retry-After"] = str(exc.retry_after)
        return page
    upload_slots.discard(data_dir, photo_slot)
    view = public.public_report(db, submission.report, lang)
    return render(
        request,
        "field_reports/public/sent.html",
        {**base_context(request), "report": view, "secret": submission.secret},
        principal=principal,
    )


@dataclass(frozen=True)
class _Form:
    """A send form being answered: what the citizen typed and the photo slot it came with."""

    call: Call
    values: dict[str, str]
    photo_slot: str

    def again(
        self, errors: dict[str, str], photos: list[tuple[str, bytes]], status_code: int = 422
    ) -> Response:
        """The form back with ``errors``, the good ``photos`` kept in a new upload slot (the
        old slot is discarded)."""
        token, still = _keep_for_retry(photos, errors, self.call.lang)
        upload_slots.discard(service.policy().data_dir, self.photo_slot)
        return _form_page(
            *self.call,
            self.values,
            errors,
            status_code=status_code,
            slot=token,
            kept=still,
        )


def _submit(
    request: Request, db: Session, values: dict[str, str], photos: list[bytes], lang: str
) -> service.Submission:
    """The citizen's report through ``service.submit_report`` (the web channel)."""
    return service.submit_report(
        db,
        service.citizen_actor(),
        category_code=values["category"],
        description=values["description"],
        lat=_float(values["lat"]),
        lon=_float(values["lon"]),
        area_code=values["area"].strip() or None,
        address=values["address"],
        reporter_name=values["reporter_name"],
        reporter_phone=values["reporter_phone"],
        reporter_email=values["reporter_email"],
        share_identity_with_agency=bool(values["share_identity"]),
        photos=photos,
        channel="web",
        client_key=client_address(request),  # behind a trusted proxy: the citizen's
        lang=lang,
    )


# The category and the pin of the report being written.
NearbyQuery = Annotated[dict[str, str], Depends(query_fields(category=64, lat=40, lon=40))]


@router.get("/phan-anh/gui/trung-lap", response_class=HTMLResponse)
def nearby(call: PublicCall, pin: NearbyQuery) -> Response:
    """“Có phải phản ánh này của bạn?”: open reports of the category near the pin (fragment)."""
    request, db, principal = call
    lang = request_language(request)
    items: list[dict[str, Any]] = []
    resolved = None
    category, lat_f, lon_f = pin["category"], _float(pin["lat"]), _float(pin["lon"])
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
