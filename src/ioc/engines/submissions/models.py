"""Tables of the submission engine: yearly targets, submissions with their row errors, the
history of every submitted value, and reminders sent.

The values themselves live in the series store (``series``/``observations``, subject kind
``area``); these tables keep who sent what and every change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ioc.core.db import Base
from ioc.core.models import UTCDateTime


class SubTarget(Base):
    """Chỉ tiêu kế hoạch năm: the yearly target of one indicator for one area, with the
    document that set it (e.g. the provincial People's Council resolution)."""

    __tablename__ = "sub_targets"
    __table_args__ = (UniqueConstraint("indicator_id", "area_code", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"), index=True)
    area_code: Mapped[str] = mapped_column(String(16))
    year: Mapped[int] = mapped_column(Integer)
    value: Mapped[float] = mapped_column(Float)
    source_document: Mapped[str] = mapped_column(String(300), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(200))


class SubSubmission(Base):
    """Một lần nộp số liệu: one uploaded file of one agency for one period.

    Status: ``received`` (read and valid, warnings wait for the sender's confirmation),
    ``accepted`` (values stored), ``rejected`` (errors, cancelled or superseded; nothing
    stored). ``rows`` keeps the values read (indicator, area, value, unit, note, row number);
    ``errors`` and ``warnings`` are lists of ``{row, column, code, vi, en}``.
    """

    __tablename__ = "sub_submissions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_code: Mapped[str] = mapped_column(String(64), index=True)
    period: Mapped[str] = mapped_column(String(16), index=True)
    file_name: Mapped[str] = mapped_column(String(300))
    uploaded_by: Mapped[str] = mapped_column(String(200))
    uploaded_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), index=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    rows: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    warnings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    values_changed: Mapped[int] = mapped_column(Integer, default=0)


class SubValueHistory(Base):
    """Lịch sử số liệu: one change of one stored value (first value: ``old_value`` None)."""

    __tablename__ = "sub_value_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int | None] = mapped_column(
        ForeignKey("sub_submissions.id", ondelete="SET NULL"), index=True
    )
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"))
    area_code: Mapped[str] = mapped_column(String(16))
    period: Mapped[str] = mapped_column(String(16))
    old_value: Mapped[float | None] = mapped_column(Float)
    new_value: Mapped[float] = mapped_column(Float)
    changed_by: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class SubReminder(Base):
    """Nhắc nộp số liệu: one reminder sent to an agency for a period (``kind`` ``due_soon`` or
    ``overdue``, at most one of each per agency and period and local day)."""

    __tablename__ = "sub_reminders"
    __table_args__ = (UniqueConstraint("agency_code", "period", "kind", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_code: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    day: Mapped[str] = mapped_column(String(10))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    notification_id: Mapped[int | None] = mapped_column(Integer)


Index(
    "ix_sub_value_history_value",
    SubValueHistory.indicator_id,
    SubValueHistory.area_code,
    SubValueHistory.period,
)
