"""Who sees the reporter's identity, and the staff serializers that may show it.

* **IOC staff** (administrators, operators, and users of the intake agency — the IOC) see
  the reporter's name, phone and e-mail of every report.
* **The handling agency** sees its reports, with the identity only when the reporter ticked
  ``share_identity_with_agency`` (Hue-S rule: handling units do not see it by default).
* **Oversight** (leaders) see every report without identity.
* **The public** goes through ``public.py`` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core.models import Agency, User
from ioc.packs.field_reports import public
from ioc.packs.field_reports.models import ModerationEntry, Photo, Report, ReportEvent

__all__ = [
    "Viewer",
    "can_see_identity",
    "can_view",
    "identity",
    "moderation_log",
    "staff_report",
    "staff_text",
    "viewer_for_user",
]

ViewerKind = Literal["ioc", "agency", "oversight"]


@dataclass(frozen=True)
class Viewer:
    """A signed-in staff member as far as field reports are concerned."""

    kind: ViewerKind
    agency_id: int | None = None
    user_id: int | None = None


def viewer_for_user(session: Session, user: User, intake_agency: str = "trung-tam-ioc") -> Viewer:
    """The viewer of ``user``: IOC for administrators, operators and the intake agency's
    staff; agency for agency staff; oversight for leaders."""
    agency_code = None
    if user.agency_id is not None:
        agency_code = session.execute(
            select(Agency.code).where(Agency.id == user.agency_id)
        ).scalar_one_or_none()
    if user.role in ("admin", "operator") or agency_code == intake_agency:
        return Viewer("ioc", user.agency_id, user.id)
    if user.role == "agency_staff":
        return Viewer("agency", user.agency_id, user.id)
    return Viewer("oversight", user.agency_id, user.id)


def can_view(viewer: Viewer, report: Report) -> bool:
    """Whether ``viewer`` may open the staff view of ``report``."""
    if viewer.kind in ("ioc", "oversight"):
        return True
    return viewer.agency_id is not None and viewer.agency_id == report.agency_id


def can_see_identity(viewer: Viewer, report: Report) -> bool:
    """Whether ``viewer`` may see who sent ``report``."""
    if viewer.kind == "ioc":
        return True
    return (
        viewer.kind == "agency"
        and report.share_identity_with_agency
        and viewer.agency_id is not None
        and viewer.agency_id == report.agency_id
    )


def identity(viewer: Viewer, report: Report) -> dict[str, Any] | None:
    """The reporter's name and contacts if ``viewer`` may see them, else None."""
    if not can_see_identity(viewer, report):
        return None
    return {
        "name": report.reporter_name,
        "phone": report.reporter_phone,
        "email": report.reporter_email,
        "shared_with_agency": report.share_identity_with_agency,
    }


def staff_text(viewer: Viewer, report: Report, text: str | None) -> str | None:
    """THE masking of citizen-written text (description, address, supplements, comments,
    notes) for every staff view: list, page, export, map data, tile or alert annotation.

    Shown as written only to a viewer who may see the reporter's identity
    (:func:`can_see_identity`: IOC staff, or the handling agency when the reporter ticked
    ``share_identity_with_agency``); for everyone else phone numbers, e-mail addresses and the
    reporter's own name and contacts are masked as on public pages."""
    if text is None or can_see_identity(viewer, report):
        return text
    return public.mask_contacts(
        text, [report.reporter_name, report.reporter_phone, report.reporter_email]
    )


def staff_report(
    session: Session, viewer: Viewer, report: Report, lang: str = "vi"
) -> dict[str, Any]:
    """The staff view: the public view plus deadlines, all photos, the full timeline with
    internal notes, and the reporter's identity only when allowed. Raises PermissionError
    when the viewer may not open the report."""
    if not can_view(viewer, report):
        raise PermissionError("Phản ánh không thuộc đơn vị của bạn")
    out = public.report_fields(session, report, lang)

    # Without the right to see the identity, free texts are masked as for the public (the
    # reporter may have typed a phone number; a colleague may have noted one).
    def shown(text: str | None) -> str | None:
        return staff_text(viewer, report, text)

    photos = session.execute(
        select(Photo).where(Photo.report_id == report.id).order_by(Photo.id)
    ).scalars()
    events = session.execute(
        select(ReportEvent)
        .where(ReportEvent.report_id == report.id)
        .order_by(ReportEvent.at, ReportEvent.id)
    ).scalars()
    out.update(
        {
            "hidden": report.hidden,
            "hidden_reason": report.hidden_reason,
            "lat": report.lat,
            "lon": report.lon,
            "description": shown(report.description),
            "address": shown(report.address),
            "answer": shown(report.public_answer),
            "resolution": report.resolution,
            "fixed": report.fixed,
            "due_at": report.due_at.isoformat() if report.due_at else None,
            "stage_due_at": report.stage_due_at.isoformat() if report.stage_due_at else None,
            "info_request_due_at": report.info_request_due_at.isoformat()
            if report.info_request_due_at
            else None,
            "reporter": identity(viewer, report),
            "photos": [
                {**public.photo_json(p), "published": p.published, "source": p.source}
                for p in photos
            ],
            "timeline": [
                {
                    "at": e.at.isoformat(),
                    "kind": e.kind,
                    "actor": e.actor,
                    "status_from": e.status_from,
                    "status_to": e.status_to,
                    "public": e.public,
                    "public_text": shown(e.public_text),
                    "note": shown(e.note),
                    "data": e.data,
                }
                for e in events
            ],
        }
    )
    return out


def moderation_log(session: Session, viewer: Viewer, report: Report) -> list[dict[str, Any]]:
    """Moderation history of a report (IOC staff only: it keeps texts before edits)."""
    if viewer.kind != "ioc":
        raise PermissionError("Chỉ cán bộ IOC xem được nhật ký kiểm duyệt")
    rows = session.execute(
        select(ModerationEntry)
        .where(ModerationEntry.report_id == report.id)
        .order_by(ModerationEntry.at, ModerationEntry.id)
    ).scalars()
    return [
        {
            "at": m.at.isoformat(),
            "action": m.action,
            "reason": m.reason,
            "before": m.before,
            "actor": m.actor,
            "photo": m.photo_id,
        }
        for m in rows
    ]
