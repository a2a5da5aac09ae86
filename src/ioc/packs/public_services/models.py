"""Tables of the public-services pack (prefix ``ps_``).

* ``ps_procedures`` — thủ tục hành chính: the catalogue attributes indicators 3.1/3.2/3.5 need;
* ``ps_dossiers`` — hồ sơ TTHC from iGate, one row per dossier id (updated as it moves), with
  the derived columns of :func:`ioc.packs.public_services.indices.classify`;
* ``ps_stats`` — additive counts per agency × commune × procedure × month, kept current on
  every upsert (delta of the dossier's old and new contributions), so every score reads this
  small table instead of the dossiers;
* ``ps_feedback`` — phản ánh, kiến nghị (PAKN) about procedures, for 5.2 and 5.3.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ioc.core.columns import IdKey, count_column
from ioc.core.db import Base
from ioc.core.models import UTCDateTime

__all__ = ["PsDossier", "PsFeedback", "PsProcedure", "PsStat"]


class PsProcedure(IdKey, Base):
    """Thủ tục hành chính: one procedure of the province's catalogue."""

    __tablename__ = "ps_procedures"

    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(500))
    field: Mapped[str] = mapped_column(String(200), default="")
    level: Mapped[str | None] = mapped_column(String(16))  # province | commune
    time_limit_days: Mapped[int | None] = mapped_column(Integer)
    online: Mapped[str | None] = mapped_column(String(8))  # full | partial | none
    has_fee: Mapped[bool | None] = mapped_column(Boolean)
    payment_integrated: Mapped[bool | None] = mapped_column(Boolean)
    paper_result: Mapped[bool | None] = mapped_column(Boolean)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PsDossier(IdKey, Base):
    """Hồ sơ TTHC: the latest known state of one dossier, plus derived columns."""

    __tablename__ = "ps_dossiers"
    __table_args__ = (
        Index("ix_ps_dossiers_agency_recv", "agency_code", "recv_month"),
        Index("ix_ps_dossiers_agency_fin", "agency_code", "fin_month"),
        Index("ix_ps_dossiers_area_recv", "area_code", "recv_month"),
        Index("ix_ps_dossiers_open_due", "is_open", "effective_due_at"),
        Index("ix_ps_dossiers_fin_month", "fin_month"),
        Index("ix_ps_dossiers_recv_month", "recv_month"),
    )

    code: Mapped[str] = mapped_column(String(64), unique=True)
    procedure_code: Mapped[str] = mapped_column(String(64), index=True)
    procedure_name: Mapped[str] = mapped_column(String(500))
    agency_code: Mapped[str] = mapped_column(String(64))
    area_code: Mapped[str] = mapped_column(String(16), default="")
    channel: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    time_limit_days: Mapped[int | None] = mapped_column(Integer)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    supplement_count: Mapped[int] = count_column()
    supplement_days: Mapped[int] = count_column()
    supplement_open: Mapped[bool] = mapped_column(Boolean, default=False)
    result_kind: Mapped[str | None] = mapped_column(String(12))
    fee_required: Mapped[bool] = mapped_column(Boolean, default=False)
    paid_online: Mapped[bool] = mapped_column(Boolean, default=False)
    digitised: Mapped[bool] = mapped_column(Boolean, default=False)
    reused: Mapped[bool] = mapped_column(Boolean, default=False)
    synced: Mapped[bool | None] = mapped_column(Boolean)
    feedback: Mapped[bool] = mapped_column(Boolean, default=False)
    rating: Mapped[str | None] = mapped_column(String(8))
    source_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Derived (indices.classify); the aggregates are computed from these columns only.
    counted: Mapped[bool] = mapped_column(Boolean, default=True)
    recv_month: Mapped[int] = mapped_column(Integer)
    fin_month: Mapped[int | None] = mapped_column(Integer)
    effective_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    on_time: Mapped[bool | None] = mapped_column(Boolean)
    late_reason: Mapped[str | None] = mapped_column(String(12))
    handling_days: Mapped[int | None] = mapped_column(Integer)
    online_counted: Mapped[bool] = mapped_column(Boolean, default=False)
    complaint: Mapped[bool] = mapped_column(Boolean, default=False)
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)


class PsStat(Base):
    """Counts of dossiers per agency × commune × procedure × month (see ``indices.Counters``).

    Received-based counts sit in the month of receipt, finished-based ones in the month the
    dossier was finished.
    """

    __tablename__ = "ps_stats"
    __table_args__ = (Index("ix_ps_stats_month", "month"),)

    agency_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    area_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    procedure_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    received: Mapped[int] = count_column()
    online: Mapped[int] = count_column()
    online_counted: Mapped[int] = count_column()
    sync_known: Mapped[int] = count_column()
    synced: Mapped[int] = count_column()
    fee: Mapped[int] = count_column()
    paid_online: Mapped[int] = count_column()
    reused: Mapped[int] = count_column()
    finished: Mapped[int] = count_column()
    on_time: Mapped[int] = count_column()
    late: Mapped[int] = count_column()
    late_supplements: Mapped[int] = count_column()
    undetermined: Mapped[int] = count_column()
    e_result: Mapped[int] = count_column()
    digitised: Mapped[int] = count_column()
    complaint: Mapped[int] = count_column()
    handling_sum: Mapped[int] = count_column()
    handling_n: Mapped[int] = count_column()


class PsFeedback(IdKey, Base):
    """Phản ánh, kiến nghị về TTHC: one feedback item and its handling."""

    __tablename__ = "ps_feedback"
    __table_args__ = (Index("ix_ps_feedback_agency_month", "agency_code", "recv_month"),)

    code: Mapped[str] = mapped_column(String(64), unique=True)
    dossier_code: Mapped[str | None] = mapped_column(String(64))
    agency_code: Mapped[str] = mapped_column(String(64))
    area_code: Mapped[str] = mapped_column(String(16), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    disliked: Mapped[bool] = mapped_column(Boolean, default=False)
    recomplained: Mapped[bool] = mapped_column(Boolean, default=False)
    recv_month: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
