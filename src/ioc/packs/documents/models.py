"""Tables of the documents pack (văn bản và điều hành), all prefixed ``doc_``.

* :class:`Document` — one incoming (văn bản đến) or outgoing (văn bản đi) document of an
  agency, as the document-management system reports it (upserted by its own id);
* :class:`Directive` — a directing document (chỉ thị, công văn chỉ đạo, kế hoạch …) whose
  tasks the IOC follows;
* :class:`Task` — one task of a directive assigned to one agency, with its deadline, status
  and progress;
* :class:`TaskEvent` — the task's timeline: assignment, progress reports, completion,
  reopening, deadline extensions (old and new deadline kept) and cancellation.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ioc.core.columns import parent_key
from ioc.core.db import Base
from ioc.core.models import UTCDateTime


class Document(Base):
    """Văn bản: one document of an agency's register, with its handling facts."""

    __tablename__ = "doc_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The document system's own id: the ingest key (a batch sent twice updates, never doubles).
    external_id: Mapped[str] = mapped_column(String(128), unique=True)
    source: Mapped[str] = mapped_column(String(64), default="")
    direction: Mapped[str] = mapped_column(String(8))  # incoming | outgoing
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    number: Mapped[str] = mapped_column(String(100), default="")  # số, ký hiệu
    doc_type: Mapped[str] = mapped_column(String(100), default="")  # loại văn bản
    summary: Mapped[str] = mapped_column(Text, default="")  # trích yếu
    counterpart: Mapped[str] = mapped_column(String(300), default="")  # nơi gửi / nơi nhận
    issued_on: Mapped[date | None] = mapped_column(Date)  # ngày ký ban hành (on the paper)
    # When it entered the agency's register: received (incoming) or issued (outgoing). Periods
    # and per-agency figures count documents by this moment.
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    deadline_text: Mapped[str] = mapped_column(String(100), default="")  # as sent
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    digitally_signed: Mapped[bool] = mapped_column(Boolean, default=False)  # ký số
    via_axis: Mapped[bool] = mapped_column(Boolean, default=False)  # trục liên thông
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Directive(Base):
    """Văn bản chỉ đạo: number, date, issuer and summary of a document that assigns tasks."""

    __tablename__ = "doc_directives"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(100))  # số, ký hiệu
    issued_on: Mapped[date] = mapped_column(Date)
    issuer: Mapped[str] = mapped_column(String(300))  # cơ quan ban hành
    signer: Mapped[str] = mapped_column(String(200), default="")  # người ký
    summary: Mapped[str] = mapped_column(Text)  # trích yếu
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(200))


class Task(Base):
    """Nhiệm vụ được giao: one task of a directive for one lead agency (cơ quan chủ trì)."""

    __tablename__ = "doc_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    directive_id: Mapped[int] = parent_key("doc_directives")
    ref: Mapped[str] = mapped_column(String(32), default="")  # mục trong văn bản: "1.a"
    title: Mapped[str] = mapped_column(Text)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    coordinating: Mapped[str] = mapped_column(String(500), default="")  # đơn vị phối hợp
    status: Mapped[str] = mapped_column(String(16), index=True)
    progress: Mapped[int] = mapped_column(Integer, default=0)  # percent, 0–100
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    original_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    extensions: Mapped[int] = mapped_column(Integer, default=0)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_update_at: Mapped[datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TaskEvent(Base):
    """One entry of a task's timeline (who, when, what; evidence and deadline changes)."""

    __tablename__ = "doc_task_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("doc_tasks.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(16))  # assign|progress|done|reopen|extend|cancel
    actor: Mapped[str] = mapped_column(String(200))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    percent: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    evidence_link: Mapped[str] = mapped_column(String(1000), default="")
    evidence_file: Mapped[str] = mapped_column(String(200), default="")  # stored name
    evidence_name: Mapped[str] = mapped_column(String(300), default="")  # name as uploaded
    old_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    new_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


Index("ix_doc_task_events_task", TaskEvent.task_id, TaskEvent.at)
Index("ix_doc_documents_agency_time", Document.agency_id, Document.registered_at)
