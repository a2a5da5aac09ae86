"""Actions that leave the status alone: internal notes, moderation (hide, edit), photos."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.core import audit
from ioc.packs.field_reports import photos as photo_files
from ioc.packs.field_reports.errors import FieldReportError
from ioc.packs.field_reports.models import ModerationEntry, Photo, Report, ReportEvent
from ioc.packs.field_reports.service.configuration import Policy, policy
from ioc.packs.field_reports.service.photo_intake import attach_photos, process_photos
from ioc.packs.field_reports.service.steps import add_event, at_or_now, audit_action, clean_text


def add_note(
    session: Session, actor: audit.Actor, report: Report, text: str, *, at: datetime | None = None
) -> ReportEvent:
    """Ghi chú nội bộ: an internal note (staff only, never public)."""
    text = clean_text(text, "text", "ghi chú")
    return _internal_event(session, actor, report, "note", at_or_now(at), "note", note=text)


def _internal_event(
    session: Session,
    actor: audit.Actor,
    report: Report,
    kind: str,
    now: datetime,
    action: str,
    *,
    note: str | None = None,
    data: dict[str, Any] | None = None,
    **detail: Any,
) -> ReportEvent:
    """A staff-only timeline event that leaves the status alone, the report's update time and
    the audit row of ``action`` (with ``detail``)."""
    event = add_event(
        session,
        report,
        kind,
        actor,
        now,
        status_from=report.status,
        public=False,
        note=note,
        data=data,
    )
    report.updated_at = now
    session.flush()
    audit_action(session, actor, action, report, **detail)
    return event


def _moderation(
    session: Session,
    actor: audit.Actor,
    report: Report,
    action: str,
    now: datetime,
    *,
    reason: str = "",
    before: str | None = None,
    photo: Photo | None = None,
) -> None:
    session.add(
        ModerationEntry(
            report_id=report.id,
            photo_id=photo.id if photo else None,
            action=action,
            reason=reason,
            before=before,
            actor=actor.label,
            at=now,
        )
    )
    photo_id = photo.id if photo else None
    _internal_event(
        session,
        actor,
        report,
        action,
        now,
        action,
        note=reason or None,
        data={"photo": photo_id} if photo else {},
        reason=reason,
        photo=photo_id,
    )


def hide(
    session: Session, actor: audit.Actor, report: Report, reason: str, *, at: datetime | None = None
) -> Report:
    """Ẩn phản ánh (moderation): abusive or unlawful content disappears from public pages;
    the workflow goes on."""
    reason = clean_text(reason, "reason", "lý do ẩn")
    if report.hidden:
        raise FieldReportError("Phản ánh đã bị ẩn", "The report is already hidden")
    report.hidden = True
    report.hidden_reason = reason
    _moderation(session, actor, report, "hide", at_or_now(at), reason=reason)
    return report


def unhide(
    session: Session,
    actor: audit.Actor,
    report: Report,
    reason: str = "",
    *,
    at: datetime | None = None,
) -> Report:
    """Bỏ ẩn phản ánh (moderation)."""
    if not report.hidden:
        raise FieldReportError("Phản ánh không bị ẩn", "The report is not hidden")
    report.hidden = False
    report.hidden_reason = None
    _moderation(session, actor, report, "unhide", at_or_now(at), reason=(reason or "").strip())
    return report


def edit_text(
    session: Session,
    actor: audit.Actor,
    report: Report,
    *,
    description: str | None = None,
    address: str | None = None,
    reason: str,
    at: datetime | None = None,
) -> Report:
    """Biên tập nội dung (moderation): remove personal details or abuse from the public text;
    the previous text is kept in the moderation log for moderators."""
    reason = clean_text(reason, "reason", "lý do biên tập")
    before: dict[str, str] = {}
    if description is not None:
        before["description"] = report.description
        report.description = clean_text(description, "description", "nội dung phản ánh")
    if address is not None:
        before["address"] = report.address
        report.address = address.strip()[:500]
    if not before:
        raise FieldReportError("Không có nội dung để sửa", "Nothing to edit", field="description")
    _moderation(
        session,
        actor,
        report,
        "edit_text",
        at_or_now(at),
        reason=reason,
        before=yaml.safe_dump(before, allow_unicode=True),
    )
    return report


def add_photo(
    session: Session,
    actor: audit.Actor,
    report: Report,
    data: bytes,
    *,
    source: str = "staff",
    at: datetime | None = None,
    pol: Policy | None = None,
) -> Photo:
    """Thêm ảnh (e.g. the agency's photo after the repair); checked like the citizen's."""
    pol = pol or policy()
    existing = session.execute(
        select(func.count(Photo.id)).where(Photo.report_id == report.id)
    ).scalar_one()
    processed = process_photos([data], existing, pol)
    now = at_or_now(at)
    (row,) = attach_photos(session, report, processed, now, pol, source)
    _internal_event(
        session,
        actor,
        report,
        "photo_added",
        now,
        "photo_add",
        data={"photo": row.id},
        photo=row.id,
    )
    return row


def publish_photo(
    session: Session,
    actor: audit.Actor,
    photo: Photo,
    published: bool = True,
    *,
    reason: str = "",
    at: datetime | None = None,
) -> Photo:
    """Duyệt ảnh (moderation): publish a photo (after redaction if needed) or withdraw it.
    Photos are never public before this."""
    report = session.get(Report, photo.report_id)
    assert report is not None
    now = at_or_now(at)
    photo.published = bool(published)
    photo.moderated_at = now
    photo.moderated_by = actor.label
    _moderation(
        session,
        actor,
        report,
        "photo_publish" if published else "photo_withdraw",
        now,
        reason=reason,
        photo=photo,
    )
    return photo


def redact_photo(
    session: Session,
    actor: audit.Actor,
    photo: Photo,
    boxes: Sequence[tuple[int, int, int, int]],
    *,
    reason: str = "",
    at: datetime | None = None,
    pol: Policy | None = None,
) -> Photo:
    """Che ảnh (moderation): black boxes over faces, number plates, house numbers. The
    redacted image replaces the served one; the original stays for IOC staff only."""
    pol = pol or policy()
    report = session.get(Report, photo.report_id)
    assert report is not None
    try:
        current = photo_files.read(pol.data_dir, photo.path)
        result = photo_files.redact(current, boxes)
    except photo_files.PhotoError as exc:
        raise FieldReportError(str(exc), exc.en, field="boxes") from exc
    stored = photo_files.store(result, pol.data_dir)
    now = at_or_now(at)
    photo.path = stored.path
    photo.sha256 = result.sha256
    photo.size_bytes = len(result.data)
    photo.redacted = True
    photo.moderated_at = now
    photo.moderated_by = actor.label
    _moderation(session, actor, report, "photo_redact", now, reason=reason, photo=photo)
    return photo
