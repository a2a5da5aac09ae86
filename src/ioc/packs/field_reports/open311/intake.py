"""POST requests: a service request from an app, checked and submitted as a field report
(``service.submit_report``, channel ``open311``), and the per-minute limits of such POSTs."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from ioc.core import audit, auth, i18n, throttle
from ioc.core.auth import Permission
from ioc.core.models import Area
from ioc.packs.field_reports import routing, service
from ioc.packs.field_reports.errors import FieldReportError
from ioc.packs.field_reports.open311.items import active_category
from ioc.packs.field_reports.open311.params import (
    ANONYMOUS_NAME,
    AREA_FIELD,
    MAX_URL,
    Open311Error,
    bad,
    check_jurisdiction,
    param,
)
from ioc.web.proxies import client_address


def _token_actor(session: Session, api_key: str | None) -> audit.Actor:
    found = auth.token_user(session, api_key) if api_key else None
    if (
        found is None
        or Permission.INGEST.value not in found[1].scopes
        or not auth.has_permission(found[0].role, Permission.INGEST)
    ):
        raise Open311Error(
            403,
            "api_key: thiếu hoặc không hợp lệ (cần mã truy cập API phạm vi ingest) / "
            "missing or invalid API key (an IOC API token with the ingest scope)",
        )
    user, token = found
    return audit.Actor(user.id, f"{user.username} (token {token.prefix})")


def commune_from_address(session: Session, address: str) -> Area | None:
    """The current commune of the province named in ``address`` (compared without
    diacritics; a full name first, then the longest), or None."""

    def words(text: str) -> str:
        return " ".join(re.sub(r"[^\w']+", " ", i18n.fold(text)).split())

    folded = f" {words(address)} "
    best: tuple[tuple[bool, int], Area] | None = None
    for area in routing.communes(session):
        # A full name ("phường Tân Lập") beats a bare one ("Tân Lập", maybe a street name).
        for full, name in ((True, words(area.name)), (False, words(area.short_name))):
            score = (full, len(name))
            if name and f" {name} " in folded and (best is None or score > best[0]):
                best = (score, area)
    return best[1] if best else None


def _float(value: str, field: str) -> float:
    try:
        return float(value)
    except ValueError as exc:
        raise bad(field, "phải là số (WGS84)", "must be a number (WGS84)") from exc


# Where a report whose address names no commune is shown until the IOC places it: the
# reference point of the provincial capital's ward (Phường Buôn Ma Thuột), filed under the
# province's own code so that no commune's agency receives it by mistake.
SEAT_AREA = "24133"
UNPLACED_NOTE = (
    "Ứng dụng chỉ gửi địa chỉ, không xác định được xã/phường: IOC xác định vị trí và đơn vị "
    "xử lý khi tiếp nhận. Địa chỉ: {address}"
)


def _location(
    session: Session, form: Mapping[str, Any], *, address_only: bool = True
) -> dict[str, Any]:
    """Point, commune and address of a POST. With a point, ``submit_report`` places it in its
    commune; without one (when ``address_only`` allows it), the commune from
    ``attribute[area_code]``, else from a commune named in ``address_string``, is kept and its
    reference point stands for the location; an address that names no commune is filed under
    the province for the IOC to place (``unplaced``)."""
    lat_raw, lon_raw = param(form, "lat"), param(form, "long")
    address = param(form, "address_string") or ""
    area: Area | None = None
    chosen = param(form, AREA_FIELD)
    if chosen is not None:
        area = routing.commune(session, chosen)
        if area is None:
            raise bad(AREA_FIELD, "không phải mã xã/phường của tỉnh", "unknown commune code")
    elif address:
        area = commune_from_address(session, address)
    out: dict[str, Any] = {"address": address, "area_code": area.code if area else None}
    if lat_raw is not None or lon_raw is not None:
        if lat_raw is None or lon_raw is None:
            raise bad(
                "lat" if lat_raw is None else "long",
                "cần gửi cả lat và long",
                "send both lat and long",
            )
        return {**out, "lat": _float(lat_raw, "lat"), "lon": _float(lon_raw, "long")}
    if not address_only:
        raise bad(
            "lat",
            "cần vị trí: lat và long (tỉnh không nhận phản ánh chỉ có địa chỉ)",
            "a location is required: lat and long (address-only requests are not accepted)",
        )
    if area is not None and area.lat is not None and area.lon is not None:
        # No point given: the commune's reference point stands for it, and the commune stays.
        return {**out, "lat": area.lat, "lon": area.lon, "point_from_area": True}
    if area is None and address.strip():
        seat = routing.commune(session, SEAT_AREA)
        if seat is not None and seat.lat is not None and seat.lon is not None:
            return {
                **out,
                "area_code": routing.PROVINCE_CODE,
                "lat": seat.lat,
                "lon": seat.lon,
                "point_from_area": True,
                "unplaced": True,
            }
    if param(form, "address_id") is not None:
        raise bad(
            "address_id",
            "không được hỗ trợ; hãy gửi lat và long",
            "is not supported; send lat and long",
        )
    raise bad(
        "lat",
        "cần vị trí: lat và long (kèm xã/phường)",
        "a location is required: lat and long (with the commune)",
    )


def _media_note(form: Mapping[str, Any]) -> str | None:
    url = param(form, "media_url")
    if url is None:
        return None
    if len(url) > MAX_URL or not re.match(r"^https?://[^\s]+$", url, re.IGNORECASE):
        raise bad("media_url", "phải là địa chỉ http(s)", "must be an http(s) URL")
    return f"Ảnh/tệp do ứng dụng gửi kèm (chưa kiểm duyệt, chưa tải về): {url}"


def create_request(
    session: Session,
    form: Mapping[str, Any],
    *,
    allow_anonymous: bool = True,
    allow_address_only: bool = True,
) -> dict[str, Any]:
    """POST requests: validate, then submit the report; returns the response item.
    ``allow_anonymous`` and ``allow_address_only`` are the province's settings
    (``IOC_FR_OPEN311_ALLOW_ANONYMOUS``, ``IOC_FR_OPEN311_ALLOW_ADDRESS_ONLY``)."""
    check_jurisdiction(form)
    actor = _token_actor(session, param(form, "api_key"))
    code = param(form, "service_code")
    if code is None:
        raise bad("service_code", "bắt buộc", "is required")
    category = active_category(session, code)
    location = _location(session, form, address_only=allow_address_only)
    unplaced = bool(location.pop("unplaced", False))
    note = _media_note(form)
    name = " ".join(p for p in (param(form, "first_name"), param(form, "last_name")) if p)
    email, phone = param(form, "email"), param(form, "phone")
    if email is None and phone is None and not allow_anonymous:
        raise bad(
            "email",
            "cần email hoặc phone để cơ quan liên hệ khi cần",
            "an email or a phone number is required",
        )
    try:
        submission = service.submit_report(
            session,
            actor,
            category_code=category.code,
            description=param(form, "description") or "",
            reporter_name=name or ANONYMOUS_NAME,
            reporter_phone=phone,
            reporter_email=email,
            channel="open311",
            anonymous=allow_anonymous,
            **location,
        )
        if note:
            service.add_note(session, actor, submission.report, note)
        if unplaced:
            service.add_note(
                session, actor, submission.report, UNPLACED_NOTE.format(address=location["address"])
            )
    except FieldReportError as exc:
        field = {
            "reporter_phone": "phone",
            "reporter_email": "email",
            "location": "lat",
            "area": AREA_FIELD,
        }.get(exc.field or "", exc.field or "request")
        raise bad(field, exc.message, exc.en) from exc
    report = submission.report
    due = i18n.format_datetime(report.due_at, "vi") if report.due_at else "—"
    return {
        "service_request_id": report.code,
        "service_notice": f"Đã tiếp nhận phản ánh {report.code}; hạn xử lý dự kiến {due}",
        "account_id": None,
    }


def rate_limited(session: Session, request: Request, api_key: str | None) -> int | None:
    """Count this POST against ``IOC_FR_OPEN311_RATE_PER_KEY`` (per ``api_key``) and
    ``IOC_FR_OPEN311_RATE_PER_ADDRESS`` (per client address), per minute and in the database
    (every web process counts together; a refused or failed call counts too). ``None`` when
    admitted, else the seconds to wait. Apps relay many citizens, so these limits are higher
    than the web form's. Commits ``session``: the count stays whatever the request's outcome."""
    settings = request.app.state.settings
    window = timedelta(minutes=1)
    checks = [("open311.key", api_key or "", settings.fr_open311_rate_per_key)]
    address = client_address(request)
    if address:
        checks.append(("open311.address", address, settings.fr_open311_rate_per_address))
    waits = [
        throttle.hit(session, bucket, subject, limit=limit, window=window)
        for bucket, subject, limit in checks
    ]
    session.commit()
    refused = [w for w in waits if w is not None]
    return max(refused) if refused else None
