"""Gửi phản ánh: a new report, checked, placed in its commune and stored in ``received``."""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.core import audit, clock
from ioc.core.calendar import WorkingCalendar, load_calendar
from ioc.packs.field_reports import routing
from ioc.packs.field_reports.errors import FieldReportError
from ioc.packs.field_reports.models import Category, Report
from ioc.packs.field_reports.service.catalog import get_category
from ioc.packs.field_reports.service.configuration import Policy, policy
from ioc.packs.field_reports.service.photo_intake import attach_photos, process_photos
from ioc.packs.field_reports.service.reporter import hash_secret, new_secret, normalize_secret
from ioc.packs.field_reports.service.states import MAX_DESCRIPTION, NORMAL, RECEIVED, URGENT
from ioc.packs.field_reports.service.steps import (
    add_event,
    at_or_now,
    audit_action,
    clean_text,
    handle_due,
    intake_due,
    tell_reporter,
)

_PHONE_RE = re.compile(r"^\+?\d{9,12}$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Submission:
    """What :func:`submit_report` gives back: the report and the reporter's secret (shown
    once, needed to supply information, rate or reopen; only its hash is stored)."""

    report: Report
    secret: str


def _clean_phone(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    compact = re.sub(r"[\s.\-()]", "", value)
    if not _PHONE_RE.match(compact):
        raise FieldReportError(
            "Số điện thoại không hợp lệ", "Invalid phone number", field="reporter_phone"
        )
    return compact


def _clean_email(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    email = value.strip()
    if len(email) > 200 or not _EMAIL_RE.match(email):
        raise FieldReportError("Email không hợp lệ", "Invalid e-mail", field="reporter_email")
    return email


def _client_hash(client_key: str | None) -> str | None:
    if not client_key:
        return None
    return hashlib.sha256(f"fr-client:{client_key}".encode()).hexdigest()


def _check_rate_limit(
    session: Session, client_hash: str | None, now: datetime, pol: Policy
) -> None:
    if client_hash is None or pol.rate_limit_per_hour <= 0:
        return
    recent, oldest = session.execute(
        select(func.count(Report.id), func.min(Report.received_at)).where(
            Report.client_hash == client_hash, Report.received_at > now - timedelta(hours=1)
        )
    ).one()
    if recent >= pol.rate_limit_per_hour:
        wait = ((oldest or now) + timedelta(hours=1) - now).total_seconds()
        raise FieldReportError(
            "Bạn đã gửi quá nhiều phản ánh trong một giờ; vui lòng thử lại sau",
            "Too many reports from this client in an hour; try again later",
            field="rate_limit",
            retry_after=max(1, math.ceil(wait)),
        )


def submit_report(
    session: Session,
    actor: audit.Actor,
    *,
    category_code: str,
    description: str,
    lat: float | None,
    lon: float | None,
    reporter_name: str,
    reporter_phone: str | None = None,
    reporter_email: str | None = None,
    area_code: str | None = None,
    point_from_area: bool = False,
    address: str = "",
    share_identity_with_agency: bool = False,
    urgent: bool | None = None,
    photos: Sequence[bytes] = (),
    channel: str = "web",
    client_key: str | None = None,
    at: datetime | None = None,
    pol: Policy | None = None,
    lang: str = "vi",
    anonymous: bool = False,
) -> Submission:
    """Gửi phản ánh: validate and store a new report in ``received``.

    ``anonymous`` accepts a report without phone or e-mail (Open311 allows it when the province
    does): it is tracked by its code alone. ``area_code`` may be the province's own code with
    ``point_from_area`` for an address that names no commune: the IOC places it at intake.

    ``lang`` is the language the reporter wrote in (``vi`` or ``en``): the messages telling
    them of progress use it (see ``citizen_notice``).

    The commune is decided on the server from the point (see :func:`_commune_of`).
    ``urgent`` None takes the category's default track.
    ``client_key`` (the client's IP address) feeds the hourly rate limit of the public form and
    is stored hashed.
    Returns the report and the reporter's secret.
    """
    pol = pol or policy()
    now = at_or_now(at)
    category = get_category(session, category_code)
    fields = _checked_fields(
        session,
        description=description,
        lat=lat,
        lon=lon,
        contacts=(reporter_name, reporter_phone, reporter_email, anonymous),
        address=address,
        area_code=area_code,
        point_from_area=point_from_area,
        channel=channel,
    )
    fields["share_identity_with_agency"] = bool(share_identity_with_agency)
    fields["client_hash"] = client_hash = _client_hash(client_key)
    _check_rate_limit(session, client_hash, now, pol)
    processed = process_photos(photos, 0, pol)

    track = URGENT if (category.urgent_default if urgent is None else urgent) else NORMAL
    secret = new_secret()
    report = _new_report(session, category, track, now, secret, **fields)
    attach_photos(session, report, processed, now, pol, "citizen")
    written_in = "en" if lang == "en" else "vi"
    data = {"track": track, "photos": len(processed), "channel": channel, "lang": written_in}
    event = add_event(
        session, report, "submitted", actor, now, status_from=None, public=True, data=data
    )
    session.flush()
    audit_action(
        session, actor, "submit", report, category=category.code, area=report.area_code, track=track
    )
    tell_reporter(session, report, event, actor, pol)
    return Submission(report=report, secret=secret)


def _checked_fields(
    session: Session,
    *,
    description: str,
    lat: float | None,
    lon: float | None,
    contacts: tuple[str, str | None, str | None, bool],
    address: str,
    area_code: str | None,
    point_from_area: bool,
    channel: str,
) -> dict[str, Any]:
    """The report's columns from what the reporter sent, checked in the order the form shows
    them (the first problem is the one reported)."""
    description = _clean_description(description)
    lat_f, lon_f = routing.check_point(lat, lon)
    name, phone, email = _contacts(*contacts)
    address = (address or "").strip()
    if len(address) > 500:
        raise FieldReportError("Địa chỉ quá dài", "Address too long", field="address")
    area = _commune_of(session, lat_f, lon_f, area_code, point_from_area)
    if channel not in ("web", "app", "hotline", "open311", "staff"):
        raise FieldReportError("Kênh tiếp nhận không hợp lệ", "Invalid channel", field="channel")
    return {
        "description": description,
        "lat": lat_f,
        "lon": lon_f,
        "area_code": area,
        "address": address,
        "channel": channel,
        "reporter_name": name,
        "reporter_phone": phone,
        "reporter_email": email,
    }


def _clean_description(description: str) -> str:
    """The report's text, required and at most ``MAX_DESCRIPTION`` characters."""
    text = clean_text(description, "description", "nội dung phản ánh")
    if len(text) > MAX_DESCRIPTION:
        raise FieldReportError(
            f"Nội dung phản ánh tối đa {MAX_DESCRIPTION} ký tự",
            f"The description is limited to {MAX_DESCRIPTION} characters",
            field="description",
        )
    return text


def _contacts(
    reporter_name: str, reporter_phone: str | None, reporter_email: str | None, anonymous: bool
) -> tuple[str, str | None, str | None]:
    """Name, phone and e-mail of the reporter, checked (a phone or an e-mail unless the
    report may be ``anonymous``)."""
    name = clean_text(reporter_name, "reporter_name", "họ tên")
    if len(name) > 200:
        raise FieldReportError("Họ tên quá dài", "Name too long", field="reporter_name")
    phone = _clean_phone(reporter_phone)
    email = _clean_email(reporter_email)
    if phone is None and email is None and not anonymous:
        raise FieldReportError(
            "Vui lòng nhập số điện thoại hoặc email để cơ quan liên hệ khi cần",
            "Give a phone number or an e-mail address",
            field="reporter_phone",
        )
    return name, phone, email


def _commune_of(
    session: Session, lat: float, lon: float, area_code: str | None, point_from_area: bool
) -> str | None:
    """The commune the report is filed under: the commune of the point (``routing.place``).

    An ``area_code`` sent with the point is checked to exist and otherwise ignored, so a point
    in one commune is never filed under another. ``point_from_area`` says the caller had no
    point and sent the reference point of ``area_code`` instead (Open311 without
    ``lat``/``long``): then ``area_code`` is kept."""
    unplaced = point_from_area and area_code == routing.PROVINCE_CODE
    if area_code and not unplaced and routing.commune(session, area_code) is None:
        raise FieldReportError(
            "Xã/phường không hợp lệ", f"Unknown commune {area_code}", field="area"
        )
    # The point decides the commune, unless it only stands for the commune the caller named.
    return area_code if point_from_area and area_code else routing.place(session, lat, lon)


def _first_deadlines(
    cal: WorkingCalendar, category: Category, track: str, now: datetime
) -> dict[str, datetime]:
    """The deadlines of a report received ``now``: answer, intake decision and the latest
    request for information."""
    return {
        "due_at": handle_due(cal, category, track, now),
        "stage_due_at": intake_due(cal, category, track, now),
        "info_request_due_at": (
            cal.add_working_days(now, category.info_days)
            if track == NORMAL
            else cal.add_hours(now, category.urgent_intake_hours)
        ),
    }


def _new_report(
    session: Session, category: Category, track: str, now: datetime, secret: str, **fields: Any
) -> Report:
    """The new report's row in ``received``, with its first deadlines and its tracking code."""
    report = Report(
        code=f"TMP-{secrets.token_hex(8)}",
        category_id=category.id,
        citizen_secret_hash=hash_secret(normalize_secret(secret)),
        track=track,
        status=RECEIVED,
        received_at=now,
        closed=False,
        fixed=False,
        reopen_count=0,
        hidden=False,
        updated_at=now,
        **fields,
        **_first_deadlines(load_calendar(session), category, track, now),
    )
    session.add(report)
    session.flush()
    # The tracking code follows the row id: unique without a counter table or a race.
    local_year = now.astimezone(clock.local_zone()).year
    report.code = f"PA-{local_year}-{report.id:06d}"
    return report
