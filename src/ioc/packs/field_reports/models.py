"""Tables of the field-reports pack (phản ánh hiện trường), all prefixed ``fr_``.

Privacy: the reporter's name, phone, e-mail and client fingerprint live in :class:`Report`
itself but are read only by the private serializers of ``privacy.py``; the public serializers
of ``public.py`` never touch them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ioc.core.columns import IdKey, TimelineStep, parent_key
from ioc.core.db import Base
from ioc.core.models import UTCDateTime


class Category(IdKey, Base):
    """Lĩnh vực phản ánh: a kind of problem, with its own deadlines and duplicate radius."""

    __tablename__ = "fr_categories"

    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    group_code: Mapped[str] = mapped_column(String(64), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Normal track, in working days: handle (from receipt/transfer/supplement), reject or route
    # (intake decision), request more information, publish the answer, citizen's reply window.
    handle_days: Mapped[int] = mapped_column(Integer, default=15)
    reject_days: Mapped[int] = mapped_column(Integer, default=2)
    info_days: Mapped[int] = mapped_column(Integer, default=5)
    publish_days: Mapped[int] = mapped_column(Integer, default=2)
    reply_days: Mapped[int] = mapped_column(Integer, default=5)
    # Urgent track, in calendar hours: handle, and intake decision.
    urgent_hours: Mapped[int] = mapped_column(Integer, default=24)
    urgent_intake_hours: Mapped[int] = mapped_column(Integer, default=2)
    urgent_default: Mapped[bool] = mapped_column(Boolean, default=False)
    duplicate_radius_m: Mapped[int | None] = mapped_column(Integer)
    default_agency_code: Mapped[str | None] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(200), default="system")


class RoutingRule(IdKey, Base):
    """Quy tắc chuyển xử lý: category × commune -> responsible agency (either side may be
    "any", stored as NULL). The most specific rule wins; see ``routing.py``."""

    __tablename__ = "fr_routing_rules"
    __table_args__ = (UniqueConstraint("category_id", "area_code"),)

    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("fr_categories.id", ondelete="CASCADE")
    )
    area_code: Mapped[str | None] = mapped_column(String(16))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(200))


class Report(IdKey, Base):
    """Phản ánh: one citizen report and where it stands in the workflow."""

    __tablename__ = "fr_reports"

    code: Mapped[str] = mapped_column(String(32), unique=True)  # PA-2026-000123
    category_id: Mapped[int] = mapped_column(ForeignKey("fr_categories.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    area_code: Mapped[str] = mapped_column(String(16), index=True)
    address: Mapped[str] = mapped_column(String(500), default="")
    channel: Mapped[str] = mapped_column(String(16), default="web")  # web|app|hotline|open311
    # --- private: reporter identity (IOC staff only; the agency only with the share flag) ---
    reporter_name: Mapped[str] = mapped_column(String(200))
    reporter_phone: Mapped[str | None] = mapped_column(String(32))
    reporter_email: Mapped[str | None] = mapped_column(String(200))
    share_identity_with_agency: Mapped[bool] = mapped_column(Boolean, default=False)
    citizen_secret_hash: Mapped[str] = mapped_column(String(64))
    client_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    # --- workflow ---
    track: Mapped[str] = mapped_column(String(8), default="normal")  # normal | urgent
    status: Mapped[str] = mapped_column(String(16), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Handling deadline (Open311 expected_datetime), and the deadline of the current step.
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stage_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    info_request_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    info_request_text: Mapped[str | None] = mapped_column(Text)
    info_return_status: Mapped[str | None] = mapped_column(String(16))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    public_answer: Mapped[str | None] = mapped_column(Text)
    reject_reason: Mapped[str | None] = mapped_column(Text)
    # Closed (handling finished) and fixed (the problem is gone) are different facts.
    closed: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution: Mapped[str | None] = mapped_column(String(24))
    fixed: Mapped[bool] = mapped_column(Boolean, default=False)
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rating_satisfied: Mapped[bool | None] = mapped_column(Boolean)
    rating_fixed: Mapped[bool | None] = mapped_column(Boolean)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("fr_reports.id"), index=True)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden_reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class Photo(IdKey, Base):
    """Ảnh của phản ánh: a verified, metadata-free image file under ``data_dir``.

    ``path`` is the file served after moderation (redacted when ``redacted``);
    ``original_path`` keeps the unredacted upload for IOC staff only.
    """

    __tablename__ = "fr_photos"

    report_id: Mapped[int] = parent_key("fr_reports")
    path: Mapped[str] = mapped_column(String(300))
    original_path: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)
    redacted: Mapped[bool] = mapped_column(Boolean, default=False)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(16), default="citizen")  # citizen | staff
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    moderated_by: Mapped[str | None] = mapped_column(String(200))


class ReportEvent(TimelineStep, Base):
    """Dòng thời gian: one step of a report's history.

    ``public`` events appear on public pages with only ``public_text``; ``note`` is internal
    (staff only) and never leaves the staff views.
    """

    __tablename__ = "fr_events"

    report_id: Mapped[int] = parent_key("fr_reports")
    kind: Mapped[str] = mapped_column(String(24))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    status_from: Mapped[str | None] = mapped_column(String(16))
    status_to: Mapped[str | None] = mapped_column(String(16))
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    public_text: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ResponseTemplate(IdKey, Base):
    """Mẫu trả lời: a reusable answer text for a status (and optionally one category)."""

    __tablename__ = "fr_templates"

    code: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # the step it answers: answered|rejected|…
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("fr_categories.id", ondelete="CASCADE")
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(200))


class ModerationEntry(IdKey, Base):
    """Nhật ký kiểm duyệt: what moderators did (hide, edit text, publish or redact a photo),
    with the text before an edit; visible to moderators only."""

    __tablename__ = "fr_moderation"

    report_id: Mapped[int] = parent_key("fr_reports")
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("fr_photos.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(Text, default="")
    before: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


Index("ix_fr_reports_cat_open", Report.category_id, Report.closed, Report.received_at)
