"""The state changes of a warning: draft, edit, discard, approve (two-person rule), update
and cancel. Each checks the transition, changes the rows and writes the audit row."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from ioc.core import audit, i18n
from ioc.core.audit import Actor
from ioc.engines.actions_kit import same_named
from ioc.packs.warnings.models import DISCARDED, DRAFT, PUBLISHED, WrWarning, WrWarningArea
from ioc.packs.warnings.queries import areas_of
from ioc.packs.warnings.service.subscriptions import notify_subscribers
from ioc.packs.warnings.service.validation import (
    APPROVE_ROLES,
    CONTENT_FIELDS,
    DRAFT_ROLES,
    MAX_HEADLINE,
    Refused,
    WarningConflict,
    WarningInput,
)


def _refuse(vi: str, en: str) -> Refused:
    return Refused(vi, en, owners=["warnings"])


def check_drafter(role: str | None) -> None:
    """Only the operations centre writes warnings."""
    if role not in DRAFT_ROLES:
        raise _refuse(
            "Chỉ Trung tâm IOC (trực ban, quản trị) được soạn cảnh báo công cộng",
            "only the operations centre (operators, administrators) writes public warnings",
        )


def new_identifier(now: datetime) -> str:
    """``DLK-20260310-1a2b3c4d``: the province, the local date and a random part."""
    return f"DLK-{i18n.to_local(now):%Y%m%d}-{secrets.token_hex(4)}"


def _set_content(session: Session, warning: WrWarning, data: WarningInput) -> None:
    for name in CONTENT_FIELDS:
        setattr(warning, name, getattr(data, name))
    session.execute(delete(WrWarningArea).where(WrWarningArea.warning_id == warning.id))
    session.add_all(WrWarningArea(warning_id=warning.id, area_code=a) for a in data.areas)


def create_draft(
    session: Session,
    actor: Actor,
    data: WarningInput,
    *,
    now: datetime,
    role: str | None,
    msg_type: str = "Alert",
    references: WrWarning | None = None,
    source_kind: str = "manual",
    source_alert_id: int | None = None,
    source_incident_id: int | None = None,
) -> WrWarning:
    """Soạn bản tin: a new draft. ``role`` ``None`` is the system (automatic drafts)."""
    if actor.user_id is not None:
        check_drafter(role)
    warning = WrWarning(
        identifier=new_identifier(now),
        msg_type=msg_type,
        state=DRAFT,
        references_id=references.id if references is not None else None,
        **same_named(data, "hazard severity urgency certainty headline_vi effective_at expires_at"),
        source_kind=source_kind,
        source_alert_id=source_alert_id,
        source_incident_id=source_incident_id,
        created_at=now,
        created_by=actor.label[:200],
        created_by_user_id=actor.user_id,
        authors=[actor.user_id] if actor.user_id is not None else [],
        updated_at=now,
    )
    session.add(warning)
    session.flush()
    _set_content(session, warning, data)
    session.flush()
    audit.record(
        session,
        actor,
        "warning.draft",
        "warning",
        warning.id,
        identifier=warning.identifier,
        msg_type=msg_type,
        hazard=data.hazard,
        areas=data.areas[:50],
        source=source_kind,
        source_alert_id=source_alert_id,
        source_incident_id=source_incident_id,
        references=references.identifier if references is not None else None,
    )
    return warning


def _draft(warning: WrWarning) -> None:
    if warning.state != DRAFT:
        raise WarningConflict("Bản tin không còn là bản nháp / the message is no longer a draft")


def edit_draft(
    session: Session,
    actor: Actor,
    warning: WrWarning,
    data: WarningInput,
    *,
    now: datetime,
    role: str | None,
) -> WrWarning:
    """Sửa bản nháp; the editor becomes one of its authors (so cannot approve it)."""
    check_drafter(role)
    _draft(warning)
    _set_content(session, warning, data)
    if actor.user_id is not None and actor.user_id not in (warning.authors or []):
        warning.authors = [*(warning.authors or []), actor.user_id]
    warning.updated_at = now
    session.flush()
    audit.record(
        session,
        actor,
        "warning.edit",
        "warning",
        warning.id,
        identifier=warning.identifier,
        areas=data.areas[:50],
    )
    return warning


def discard(
    session: Session, actor: Actor, warning: WrWarning, *, now: datetime, role: str | None
) -> None:
    """Bỏ bản nháp (kept for the record, never published)."""
    check_drafter(role)
    _draft(warning)
    warning.state = DISCARDED
    warning.updated_at = now
    audit.record(
        session, actor, "warning.discard", "warning", warning.id, identifier=warning.identifier
    )


def approve(
    session: Session,
    actor: Actor,
    warning: WrWarning,
    *,
    now: datetime,
    role: str | None,
    public_url: str,
) -> WrWarning:
    """Duyệt và phát hành: publish a draft. Refused (:class:`Refused`) to anyone but a
    signed-in approver who wrote none of it; :class:`WarningConflict` when the draft expired
    or the message it updates/cancels was already superseded. Queues the e-mails to the
    confirmed subscribers of its communes."""
    if actor.user_id is None or role not in APPROVE_ROLES:
        raise _refuse(
            "Chỉ trực ban, lãnh đạo hoặc quản trị được duyệt cảnh báo",
            "only operators, leaders or administrators approve warnings",
        )
    if actor.user_id == warning.created_by_user_id or actor.user_id in (warning.authors or []):
        raise _refuse(
            "Nguyên tắc hai người: người soạn hoặc sửa bản tin không được tự duyệt",
            "two-person rule: whoever drafted or edited a warning may not approve it",
        )
    _draft(warning)
    if warning.expires_at <= now:
        raise WarningConflict(
            "Bản nháp đã quá thời điểm hết hiệu lực; sửa lại thời gian trước khi duyệt / "
            "the draft has already expired; change its times before approving"
        )
    earlier = session.get(WrWarning, warning.references_id) if warning.references_id else None
    if earlier is not None and (earlier.state != PUBLISHED or earlier.superseded_by_id):
        raise WarningConflict(
            "Bản tin được cập nhật/hủy đã có bản tin khác thay thế / "
            "the message this one updates or cancels was already superseded"
        )
    warning.state = PUBLISHED
    warning.approved_at = now
    warning.approved_by = actor.label[:200]
    warning.approved_by_user_id = actor.user_id
    warning.updated_at = now
    if earlier is not None:
        earlier.superseded_by_id = warning.id
        earlier.updated_at = now
    session.flush()
    sent = notify_subscribers(session, warning, now=now, public_url=public_url)
    audit.record(
        session,
        actor,
        "warning.approve",
        "warning",
        warning.id,
        identifier=warning.identifier,
        msg_type=warning.msg_type,
        drafted_by=warning.created_by,
        references=earlier.identifier if earlier is not None else None,
        emails_queued=sent,
    )
    return warning


def follow_up(
    session: Session,
    actor: Actor,
    original: WrWarning,
    msg_type: str,
    *,
    now: datetime,
    role: str | None,
) -> WrWarning:
    """Start an ``Update`` or ``Cancel`` of a published message: a draft with its content,
    referencing it; published like any draft (by another person)."""
    if msg_type not in ("Update", "Cancel"):
        raise ValueError(msg_type)
    check_drafter(role)
    if (
        original.state != PUBLISHED
        or original.superseded_by_id is not None
        or original.msg_type == "Cancel"
    ):
        raise WarningConflict(
            "Chỉ cập nhật/hủy được bản tin đang có hiệu lực / "
            "only a warning in force can be updated or cancelled"
        )
    areas = areas_of(session, [original.id])[original.id]
    headline_vi, headline_en = original.headline_vi, original.headline_en
    if msg_type == "Cancel":
        headline_vi = f"Hủy cảnh báo: {original.headline_vi}"[:MAX_HEADLINE]
        headline_en = f"Cancelled: {original.headline_en}"[:MAX_HEADLINE] if headline_en else ""
    data = WarningInput(
        hazard=original.hazard,
        severity=original.severity,
        urgency="Past" if msg_type == "Cancel" else original.urgency,
        certainty=original.certainty,
        headline_vi=headline_vi,
        headline_en=headline_en,
        description_vi=original.description_vi,
        description_en=original.description_en,
        instruction_vi=(
            "Cảnh báo trước đây đã được hủy bỏ. Tiếp tục theo dõi thông tin của chính quyền."
            if msg_type == "Cancel"
            else original.instruction_vi
        ),
        instruction_en=(
            "The earlier warning is cancelled. Keep following the authorities' information."
            if msg_type == "Cancel"
            else original.instruction_en
        ),
        effective_at=now if msg_type == "Cancel" else original.effective_at,
        expires_at=max(original.expires_at, now + timedelta(hours=1)),
        areas=areas,
    )
    return create_draft(
        session,
        actor,
        data,
        now=now,
        role=role,
        msg_type=msg_type,
        references=original,
        source_kind=original.source_kind,
        source_alert_id=None,
    )
