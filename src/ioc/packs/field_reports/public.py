"""The ONLY serializers for public pages and public APIs (tracking page, list, map, Open311).

What leaves here: the report's code, category, description, location, commune, address,
status, track, dates and deadline, the handling agency, the published answer, the rating,
duplicate back-links, published photos and the public steps of the timeline.

What never leaves here: the reporter's name, phone, e-mail, secret, client fingerprint and
identity-sharing choice; internal notes; actors' names; unpublished photos; the answer before
publication; anything of a hidden report but its code and status. As a second guard, free
texts have phone numbers, e-mail addresses and the reporter's own name and contacts masked.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import clock
from ioc.core.i18n import translate
from ioc.core.models import Agency, Area
from ioc.engines.actions_kit import same_named
from ioc.packs.field_reports.models import Category, Photo, Report, ReportEvent

__all__ = [
    "MASK",
    "PUBLIC_STATUSES_WITH_ANSWER",
    "mask_contacts",
    "photo_json",
    "public_photo",
    "public_report",
    "public_reports",
    "public_timeline",
    "report_fields",
]

MASK = "[…]"
PUBLIC_STATUSES_WITH_ANSWER = frozenset({"published", "rated"})
# Coordinates are rounded to about 11 m: enough for a map pin and for "is this yours?".
COORD_DECIMALS = 4

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Vietnamese phone numbers: +84, (+84), 84 or 0 then 8–10 digits, with spaces, dots or dashes
# between (0912 345 678, 0912.345.678, +84 912345678, (+84) 912 345 678, 0262-3852-852).
_ADDRESS_FORMS = "anh|chị|em|ông|bà|cô|chú|bác|cậu|dì|người dân|công dân"
_PHONE = re.compile(r"(?<!\d)(?:\(?\+?84\)?|0)(?:[\s.\-]?\d){8,10}(?!\d)")


def mask_contacts(text: str | None, extra: Sequence[str | None] = ()) -> str | None:
    """``text`` with e-mail addresses, phone numbers and each string of ``extra`` (the
    reporter's name first, then contacts) replaced by ``[…]``; the given name is also masked
    after a form of address ("chị Hoa" -> "chị […]")."""
    if text is None:
        return None
    out = _EMAIL.sub(MASK, text)
    out = _PHONE.sub(MASK, out)
    for item in extra:
        if item and len(item.strip()) >= 3:
            out = re.sub(re.escape(item.strip()), MASK, out, flags=re.IGNORECASE)
    names = [n for n in extra[:1] if n and n.strip()]
    if names:
        # Staff often write "chị Hoa", "anh Nam": the given name after a form of address.
        given = names[0].split()[-1]
        out = re.sub(
            rf"\b({_ADDRESS_FORMS})\s+{re.escape(given)}\b",
            lambda m: f"{m.group(1)} {MASK}",
            out,
            flags=re.IGNORECASE,
        )
    return out


def _iso(value: datetime | None) -> str | None:
    # Whole seconds: Open311 clients and people read these, microseconds mean nothing to them.
    return value.astimezone(clock.local_zone()).isoformat(timespec="seconds") if value else None


def _status_label(status: str, lang: str) -> str:
    return translate(f"fr.status.{status}", lang)


def _private_strings(report: Report) -> list[str | None]:
    # Read only to mask them out of free texts; never emitted.
    return [report.reporter_name, report.reporter_phone, report.reporter_email]


def public_photo(session: Session, photo_id: int) -> Photo | None:
    """The photo ``photo_id`` if the public may see it (published, report not hidden)."""
    photo = session.get(Photo, photo_id)
    if photo is None or not photo.published:
        return None
    report = session.get(Report, photo.report_id)
    if report is None or report.hidden:
        return None
    return photo


def public_timeline(session: Session, report: Report, lang: str = "vi") -> list[dict[str, Any]]:
    """The public steps of a report's history (no internal notes, no actor names)."""
    if report.hidden:
        return []
    events = session.execute(
        select(ReportEvent)
        .where(ReportEvent.report_id == report.id, ReportEvent.public.is_(True))
        .order_by(ReportEvent.at, ReportEvent.id)
    ).scalars()
    private = _private_strings(report)
    return [
        {
            "id": e.id,
            "at": _iso(e.at),
            "kind": e.kind,
            "label": translate(f"fr.event.{e.kind}", lang),
            "status": e.status_to,
            "text": mask_contacts(e.public_text, private),
        }
        for e in events
    ]


def public_report(
    session: Session, report: Report, lang: str = "vi", *, timeline: bool = False
) -> dict[str, Any]:
    """A report as the public sees it (tracking page, list, map, API); a hidden report shows
    only its code and status."""
    if report.hidden:
        return {
            "code": report.code,
            "status": report.status,
            "status_label": _status_label(report.status, lang),
            "hidden": True,
        }
    base = report_fields(session, report, lang)
    if timeline:
        base["timeline"] = public_timeline(session, report, lang)
    return base


def photo_json(photo: Photo) -> dict[str, Any]:
    """A photo's public fields: id, size, content type and whether faces or plates were
    painted over."""
    return same_named(photo, "id width height content_type redacted")


def report_fields(session: Session, report: Report, lang: str = "vi") -> dict[str, Any]:
    """The public fields of ``report`` whether hidden or not: the base of the staff views
    (``privacy.staff_report``). Public callers use :func:`public_report`."""
    base: dict[str, Any] = {
        "code": report.code,
        "status": report.status,
        "status_label": _status_label(report.status, lang),
        "hidden": report.hidden,
    }
    category = session.get(Category, report.category_id)
    area = session.execute(
        select(Area).where(Area.code == report.area_code, Area.valid_to.is_(None))
    ).scalar_one_or_none()
    agency = session.get(Agency, report.agency_id) if report.agency_id else None
    merged_into = session.get(Report, report.merged_into_id) if report.merged_into_id else None
    duplicates = session.execute(
        select(Report.code).where(Report.merged_into_id == report.id).order_by(Report.id)
    ).scalars()
    photos = session.execute(
        select(Photo)
        .where(Photo.report_id == report.id, Photo.published.is_(True))
        .order_by(Photo.id)
    ).scalars()
    private = _private_strings(report)
    answer_public = report.status in PUBLIC_STATUSES_WITH_ANSWER
    base.update(
        {
            "category": {
                "code": category.code if category else None,
                "name": (category.name_en if lang == "en" else category.name_vi)
                if category
                else None,
            },
            "description": mask_contacts(report.description, private),
            "lat": round(report.lat, COORD_DECIMALS),
            "lon": round(report.lon, COORD_DECIMALS),
            "area": {
                "code": report.area_code,
                "name": area.name if area else None,
            },
            "address": mask_contacts(report.address, private),
            "track": report.track,
            "channel": report.channel,
            "received_at": _iso(report.received_at),
            "expected_at": _iso(report.due_at) if not report.closed else None,
            "updated_at": _iso(report.updated_at),
            "agency": {"code": agency.code, "name": agency.name} if agency else None,
            "closed": report.closed,
            "closed_at": _iso(report.closed_at) if report.closed else None,
            "fixed": report.fixed if answer_public else None,
            "resolution": report.resolution
            if answer_public or report.resolution in ("rejected", "duplicate")
            else None,
            "answer": mask_contacts(report.public_answer, private) if answer_public else None,
            "answered_at": _iso(report.answered_at) if answer_public else None,
            "published_at": _iso(report.published_at) if answer_public else None,
            "reject_reason": mask_contacts(report.reject_reason, private),
            "info_request": mask_contacts(report.info_request_text, private)
            if report.status == "info_requested"
            else None,
            "rating": {"satisfied": report.rating_satisfied, "really_fixed": report.rating_fixed}
            if report.rated_at
            else None,
            "reopen_count": report.reopen_count,
            "merged_into": merged_into.code if merged_into else None,
            "duplicates": list(duplicates),
            "photos": [photo_json(p) for p in photos],
        }
    )
    return base


def public_reports(
    session: Session,
    *,
    category_code: str | None = None,
    area_code: str | None = None,
    status: str | None = None,
    open_only: bool = False,
    limit: int = 100,
    offset: int = 0,
    lang: str = "vi",
) -> list[dict[str, Any]]:
    """The public list (newest first) of visible reports, filtered; hidden reports and
    merged duplicates are left out (the report they were merged into stands for them)."""
    query = select(Report).where(Report.hidden.is_(False), Report.merged_into_id.is_(None))
    if category_code:
        query = query.join(Category, Category.id == Report.category_id).where(
            Category.code == category_code
        )
    if area_code:
        query = query.where(Report.area_code == area_code)
    if status:
        query = query.where(Report.status == status)
    if open_only:
        query = query.where(Report.closed.is_(False))
    limit = max(1, min(int(limit), 1000))
    rows = session.execute(
        query.order_by(Report.received_at.desc(), Report.id.desc()).limit(limit).offset(offset)
    ).scalars()
    return [public_report(session, r, lang) for r in rows]
