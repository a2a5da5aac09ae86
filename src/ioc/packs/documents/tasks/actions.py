"""The actions on directives and tasks (one per state change, rules in the package's
docstring): each checks who acts and from which status, changes the task, writes a timeline
event and an audit row, in the caller's transaction."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import audit, clock
from ioc.core.models import Agency
from ioc.packs.documents.indicators import day_end
from ioc.packs.documents.models import Directive, Task, TaskEvent
from ioc.packs.documents.tasks.evidence import Evidence, store_evidence
from ioc.packs.documents.tasks.rules import (
    ASSIGNED,
    CANCELLED,
    DONE,
    IN_PROGRESS,
    Doer,
    TaskError,
    check,
    clean,
)

__all__ = [
    "assign_task",
    "cancel",
    "create_directive",
    "extend_deadline",
    "mark_done",
    "post_progress",
    "reopen",
]

R = TypeVar("R")


def _stored(session: Session, row: R) -> R:
    """``row`` added to the session and flushed, so that it has its ``id``."""
    session.add(row)
    session.flush()
    return row


def _event(
    session: Session, doer: Doer, task: Task, kind: str, at: datetime, **values: Any
) -> TaskEvent:
    task.last_update_at = at
    by = {"actor": doer.actor.label, "actor_user_id": doer.actor.user_id}
    return _stored(session, TaskEvent(task_id=task.id, at=at, kind=kind, **by, **values))


def _report_work(
    session: Session,
    doer: Doer,
    task: Task,
    kind: str,
    at: datetime,
    status: str,
    percent: int,
    note: str,
    evidence: Evidence | None,
) -> TaskEvent:
    """Store the evidence of a progress report or completion, set the task's status and
    progress, and add the timeline event ``kind``."""
    stored = store_evidence(task, evidence)
    task.status = status
    task.progress = percent
    return _event(session, doer, task, kind, at, percent=percent, note=note, **stored.columns())


def _with_reason(
    doer: Doer, action: str, task: Task, reason: str, label_vi: str, at: datetime | None
) -> tuple[datetime, str]:
    """Check that ``doer`` may take ``action`` on ``task``; the moment of the action and its
    required reason, cleaned (``label_vi`` names it in a refusal)."""
    check(doer, action, task)
    return at or clock.now(), clean(reason, "reason", label_vi, 2000, required=True)


def create_directive(
    session: Session,
    doer: Doer,
    *,
    number: str,
    issued_on: date,
    issuer: str,
    summary: str,
    signer: str = "",
    at: datetime | None = None,
) -> Directive:
    """Ghi nhận văn bản chỉ đạo: number, date, issuer and summary (all required)."""
    check(doer, "directive")
    at = at or clock.now()
    texts = {  # each cleaned, under its column's name
        "number": clean(number, "number", "số ký hiệu", 100, required=True),
        "issuer": clean(issuer, "issuer", "cơ quan ban hành", 300, required=True),
        "summary": clean(summary, "summary", "trích yếu", 4000, required=True),
        "signer": clean(signer, "signer", "người ký", 200, required=False),
    }
    if issued_on > at.astimezone(clock.local_zone()).date():
        raise TaskError("Ngày ban hành ở tương lai", "issue date is in the future", "issued_on")
    directive = _stored(
        session,
        Directive(**texts, issued_on=issued_on, created_at=at, created_by=doer.actor.label),
    )
    audit.record(
        session,
        doer.actor,
        "doc.directive.create",
        "doc_directive",
        directive.id,
        number=texts["number"],
    )
    return directive


def assign_task(
    session: Session,
    doer: Doer,
    directive: Directive,
    *,
    agency_code: str,
    title: str,
    due_on: date,
    ref: str = "",
    coordinating: str = "",
    at: datetime | None = None,
) -> Task:
    """Giao nhiệm vụ: one task of ``directive`` for the lead agency, due at the end of
    ``due_on`` (local)."""
    check(doer, "assign")
    at = at or clock.now()
    agency = session.execute(select(Agency).where(Agency.code == agency_code)).scalar_one_or_none()
    if agency is None:
        raise TaskError(f"Không có đơn vị mã {agency_code!r}", "unknown agency", "agency")
    title = clean(title, "title", "nội dung nhiệm vụ", 4000, required=True)
    ref = clean(ref, "ref", "mục", 32, required=False)
    coordinating = clean(coordinating, "coordinating", "đơn vị phối hợp", 500, required=False)
    due = day_end(due_on)
    if due < at:
        raise TaskError("Hạn hoàn thành đã qua", "the deadline is in the past", "due_on")
    task = Task(
        directive_id=directive.id,
        ref=ref,
        title=title,
        agency_id=agency.id,
        coordinating=coordinating,
        status=ASSIGNED,
        progress=0,
        due_at=due,
        original_due_at=due,
        extensions=0,
        assigned_at=at,
        last_update_at=at,
    )
    _stored(session, task)
    _event(session, doer, task, "assign", at, new_due_at=due, note=title[:500])
    audit.record(
        session,
        doer.actor,
        "doc.task.assign",
        "doc_task",
        task.id,
        directive=directive.number,
        agency=agency_code,
        due=due.isoformat(),
    )
    return task


def post_progress(
    session: Session,
    doer: Doer,
    task: Task,
    *,
    percent: int,
    note: str,
    evidence: Evidence | None = None,
    at: datetime | None = None,
) -> TaskEvent:
    """Báo cáo tiến độ: percent done (0–99; 100 is "mark done"), a note, optional evidence."""
    check(doer, "progress", task)
    at = at or clock.now()
    if not isinstance(percent, int) or not 0 <= percent <= 99:
        raise TaskError(
            "Tiến độ phải từ 0 đến 99% (100% thì chọn 'Hoàn thành' kèm minh chứng)",
            "progress must be 0–99% (use 'mark done' with evidence for 100%)",
            "percent",
        )
    note = clean(note, "note", "nội dung báo cáo", 4000, required=True)
    event = _report_work(session, doer, task, "progress", at, IN_PROGRESS, percent, note, evidence)
    audit.record(session, doer.actor, "doc.task.progress", "doc_task", task.id, percent=percent)
    return event


def mark_done(
    session: Session,
    doer: Doer,
    task: Task,
    *,
    evidence: Evidence,
    note: str = "",
    at: datetime | None = None,
) -> TaskEvent:
    """Hoàn thành: 100 %, with evidence (a file or a link) and an optional note."""
    check(doer, "done", task)
    at = at or clock.now()
    if evidence is None or evidence.empty:
        raise TaskError(
            "Cần minh chứng hoàn thành (tệp hoặc đường dẫn văn bản báo cáo)",
            "evidence is required (a file or a link)",
            "evidence",
        )
    note = clean(note, "note", "ghi chú", 4000, required=False)
    event = _report_work(session, doer, task, "done", at, DONE, 100, note, evidence)
    task.done_at = at
    audit.record(session, doer.actor, "doc.task.done", "doc_task", task.id, late=at > task.due_at)
    return event


def reopen(
    session: Session, doer: Doer, task: Task, *, reason: str, at: datetime | None = None
) -> TaskEvent:
    """Mở lại: a done or cancelled task goes back to work, with its last reported progress."""
    at, reason = _with_reason(doer, "reopen", task, reason, "lý do", at)
    previous = session.execute(
        select(TaskEvent.percent)
        .where(TaskEvent.task_id == task.id, TaskEvent.kind == "progress")
        .order_by(TaskEvent.at.desc(), TaskEvent.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    was = task.status
    task.progress = previous or 0
    task.status = IN_PROGRESS if task.progress > 0 else ASSIGNED
    task.done_at = None
    event = _event(session, doer, task, "reopen", at, percent=task.progress, note=reason)
    audit.record(
        session, doer.actor, "doc.task.reopen", "doc_task", task.id, was=was, reason=reason
    )
    return event


def extend_deadline(
    session: Session,
    doer: Doer,
    task: Task,
    *,
    new_due_on: date,
    reason: str,
    at: datetime | None = None,
) -> TaskEvent:
    """Gia hạn: a later deadline (end of ``new_due_on``) with a reason; the old one stays in
    the timeline and ``original_due_at`` keeps the first."""
    at, reason = _with_reason(doer, "extend", task, reason, "lý do gia hạn", at)
    new_due = day_end(new_due_on)
    if new_due <= task.due_at:
        raise TaskError(
            "Hạn mới phải sau hạn hiện tại",
            "the new deadline must be after the current one",
            "new_due_on",
        )
    old = task.due_at
    task.due_at = new_due
    task.extensions += 1
    event = _event(
        session, doer, task, "extend", at, note=reason, old_due_at=old, new_due_at=new_due
    )
    audit.record(
        session,
        doer.actor,
        "doc.task.extend",
        "doc_task",
        task.id,
        old=old.isoformat(),
        new=new_due.isoformat(),
        reason=reason,
    )
    return event


def cancel(
    session: Session, doer: Doer, task: Task, *, reason: str, at: datetime | None = None
) -> TaskEvent:
    """Hủy nhiệm vụ (no longer required), with a reason."""
    at, reason = _with_reason(doer, "cancel", task, reason, "lý do hủy", at)
    task.status = CANCELLED
    event = _event(session, doer, task, "cancel", at, note=reason)
    audit.record(session, doer.actor, "doc.task.cancel", "doc_task", task.id, reason=reason)
    return event
