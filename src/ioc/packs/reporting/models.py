"""Tables of the reporting pack (chế độ báo cáo), all prefixed ``rp_``.

* :class:`Campaign` — one reporting round (đợt báo cáo): cycle, period, deadline, the template
  snapshot the agencies fill, and the consolidated document's number, date and signer;
* :class:`Submission` — one agency's report in a campaign (its state and content);
* :class:`SubmissionEvent` — the submission's timeline with review comments;
* :class:`Attachment` — a file attached to a submission (bytes kept in the database so backups
  and both database engines carry them);
* :class:`Reminder` — one reminder sent (unique per campaign, agency and kind: never twice);
* :class:`MaturityAssessment` / :class:`MaturityScore` — a yearly maturity self-assessment.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ioc.core.columns import IdKey, TimelineStep, parent_key
from ioc.core.db import Base
from ioc.core.models import UTCDateTime


class Campaign(IdKey, Base):
    """Đợt báo cáo: a round of periodic (annual, quarterly) or ad-hoc reporting."""

    __tablename__ = "rp_campaigns"

    title: Mapped[str] = mapped_column(String(500))
    year: Mapped[int] = mapped_column(Integer, index=True)
    cycle: Mapped[str] = mapped_column(String(16))  # annual | quarterly | ad_hoc
    period_label: Mapped[str] = mapped_column(String(100), default="")  # "Quý III/2026"
    deadline: Mapped[date] = mapped_column(Date)  # last local day to submit on time
    template_key: Mapped[str] = mapped_column(String(64))
    # JSON snapshot of the template's sections when the campaign was created, so editing the
    # YAML later never changes what a past campaign asked for.
    template_json: Mapped[str] = mapped_column(Text)
    recipient_code: Mapped[str] = mapped_column(String(64))  # the reviewing agency
    status: Mapped[str] = mapped_column(String(16), index=True)  # open | closed
    doc_number: Mapped[str] = mapped_column(String(100), default="")  # kept as typed (0124)
    doc_date: Mapped[date | None] = mapped_column(Date)
    signer_name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(200))


class Submission(IdKey, Base):
    """Báo cáo của một đơn vị: its state and the filled sections (JSON)."""

    __tablename__ = "rp_submissions"
    __table_args__ = (UniqueConstraint("campaign_id", "agency_id"),)

    campaign_id: Mapped[int] = parent_key("rp_campaigns")
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    # not_started | draft | submitted | returned | accepted
    status: Mapped[str] = mapped_column(String(16), index=True)
    content_json: Mapped[str] = mapped_column(Text, default="{}")
    first_submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    late: Mapped[bool] = mapped_column(Boolean, default=False)  # first submitted after deadline
    review_comment: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(200), default="")


class SubmissionEvent(TimelineStep, Base):
    """One step of a submission's timeline (saved, submitted, returned with comment …)."""

    __tablename__ = "rp_events"

    submission_id: Mapped[int] = parent_key("rp_submissions")
    action: Mapped[str] = mapped_column(String(32))
    comment: Mapped[str] = mapped_column(Text, default="")


class Attachment(IdKey, Base):
    """Tệp đính kèm of a submission."""

    __tablename__ = "rp_attachments"

    submission_id: Mapped[int] = parent_key("rp_submissions")
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    uploaded_by: Mapped[str] = mapped_column(String(200))


class Reminder(IdKey, Base):
    """Nhắc hạn: one reminder to one agency (kind ``before_5``, ``after_1`` …)."""

    __tablename__ = "rp_reminders"
    __table_args__ = (UniqueConstraint("campaign_id", "agency_id", "kind"),)

    campaign_id: Mapped[int] = parent_key("rp_campaigns")
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    kind: Mapped[str] = mapped_column(String(16))
    sent_on: Mapped[date] = mapped_column(Date)  # local working day it went out
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MaturityAssessment(IdKey, Base):
    """Tự đánh giá mức độ trưởng thành đô thị thông minh for one year."""

    __tablename__ = "rp_maturity_assessments"
    __table_args__ = (UniqueConstraint("year", "criteria_set"),)

    year: Mapped[int] = mapped_column(Integer)
    criteria_set: Mapped[str] = mapped_column(String(64))
    overall_score: Mapped[float | None] = mapped_column(Float)
    level: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(200))


class MaturityScore(IdKey, Base):
    """One criterion's score (0–max) with its evidence."""

    __tablename__ = "rp_maturity_scores"
    __table_args__ = (UniqueConstraint("assessment_id", "criterion"),)

    assessment_id: Mapped[int] = parent_key("rp_maturity_assessments")
    criterion: Mapped[str] = mapped_column(String(32))
    score: Mapped[float] = mapped_column(Float)
    evidence: Mapped[str] = mapped_column(Text, default="")
