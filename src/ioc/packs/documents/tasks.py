"""Directives and their tasks (nhiệm vụ được giao): one action function per state change.

Every action checks who acts (:func:`may`), that the transition is allowed from the task's
status, changes the task, writes a timeline event (``doc_task_events``) and an audit row, in
the caller's transaction (actions never commit). Routes, the CLI and the demo call them.

States and transitions
======================

================  ======================  ===========================  =======================
action            from                    to                           who
================  ======================  ===========================  =======================
assign_task       —                       ``assigned``                 leader, operator, admin
post_progress     assigned, in_progress   ``in_progress``              the task's agency staff,
                                                                       operator, admin
mark_done         assigned, in_progress   ``done`` (100 %, evidence)   as post_progress
reopen            done, cancelled         ``in_progress``/``assigned`` leader, operator, admin
extend_deadline   assigned, in_progress   unchanged (new deadline)     leader, operator, admin
cancel            assigned, in_progress   ``cancelled``                leader, operator, admin
================  ======================  ===========================  =======================

"Overdue" is not a status: an open task (assigned or in progress) whose deadline has passed.
"Due soon": an open task due within ``IOC_DOC_DUE_SOON_DAYS`` working days. A task done after
its deadline is "done late". Deadlines given as a date end at 23:59:59 local time.

Agency staff act only on their own agency's tasks; leaders, operators and admins see all.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import audit, clock
from ioc.core.calendar import load_calendar
from ioc.core.files import write_durably
from ioc.core.models import Agency
from ioc.core.registry import RecordSample
from ioc.packs.documents.indicators import day_end
from ioc.packs.documents.models import Directive, Task, TaskEvent

if TYPE_CHECKING:
    from ioc.settings import Settings

__all__ = [
    "ASSIGNED",
    "CANCELLED",
    "DONE",
    "IN_PROGRESS",
    "OPEN_STATUSES",
    "Doer",
    "Evidence",
    "Policy",
    "TaskError",
    "TaskRow",
    "assign_task",
    "cancel",
    "configure",
    "create_directive",
    "due_soon_tasks",
    "evidence_path",
    "extend_deadline",
    "mark_done",
    "may",
    "overdue_task_records",
    "overdue_tasks",
    "policy",
    "post_progress",
    "reopen",
    "task_rows",
]

ASSIGNED = "assigned"
IN_PROGRESS = "in_progress"
DONE = "done"
CANCELLED = "cancelled"
STATUSES = (ASSIGNED, IN_PROGRESS, DONE, CANCELLED)
OPEN_STATUSES = frozenset({ASSIGNED, IN_PROGRESS})

# action -> statuses it may start from
TRANSITIONS: dict[str, frozenset[str]] = {
    "progress": OPEN_STATUSES,
    "done": OPEN_STATUSES,
    "reopen": frozenset({DONE, CANCELLED}),
    "extend": OPEN_STATUSES,
    "cancel": OPEN_STATUSES,
}
STAFF_ACTIONS = frozenset({"progress", "done"})
LEAD_ACTIONS = frozenset({"directive", "assign", "extend", "reopen", "cancel"})
_STATUS_VI = {
    ASSIGNED: "mới giao",
    IN_PROGRESS: "đang thực hiện",
    DONE: "đã hoàn thành",
    CANCELLED: "đã hủy",
}
EVIDENCE_TYPES = frozenset(
    {"pdf", "doc", "docx", "xls", "xlsx", "odt", "ods", "jpg", "jpeg", "png", "zip"}
)
_LINK = re.compile(r"^https?://\S+$", re.IGNORECASE)


class TaskError(ValueError):
    """A refused action, with a Vietnamese message, an English one and the field concerned."""

    def __init__(self, message: str, en: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.en = en
        self.field = field


@dataclass(frozen=True)
class Policy:
    """Pack settings the actions need (from ``IOC_DOC_*``)."""

    data_dir: Path = Path("var")
    due_soon_days: int = 5
    evidence_max_bytes: int = 10 * 1024 * 1024


_policy = Policy()


def configure(settings: Settings) -> None:
    """Take the pack's settings (called at start-up)."""
    global _policy
    _policy = Policy(
        data_dir=Path(settings.data_dir),
        due_soon_days=settings.doc_due_soon_days,
        evidence_max_bytes=settings.doc_evidence_max_bytes,
    )


def policy() -> Policy:
    """The current settings of the pack."""
    return _policy


def set_policy(new: Policy) -> None:
    """Replace the settings (tests)."""
    global _policy
    _policy = new


@dataclass(frozen=True)
class Doer:
    """Who acts: the audit actor, their role and agency."""

    actor: audit.Actor
    role: str
    agency_id: int | None = None

    @classmethod
    def system(cls, label: str = "system") -> Doer:
        """The CLI, jobs and the demo: may do everything."""
        return cls(audit.Actor.system(label), "admin", None)


def may(doer: Doer, action: str, agency_id: int | None = None) -> bool:
    """Whether ``doer`` may take ``action`` (``directive``, ``assign``, ``progress``,
    ``done``, ``reopen``, ``extend``, ``cancel``) on a task of ``agency_id``."""
    if doer.role in ("admin", "operator"):
        return True
    if doer.role == "leader":
        return action in LEAD_ACTIONS
    if doer.role == "agency_staff":
        return (
            action in STAFF_ACTIONS and doer.agency_id is not None and doer.agency_id == agency_id
        )
    return False


def _check(doer: Doer, action: str, task: Task | None = None) -> None:
    if not may(doer, action, task.agency_id if task is not None else None):
        raise TaskError(
            "Bạn không có quyền thực hiện thao tác này với nhiệm vụ này",
            "you may not take this action on this task",
            "permission",
        )
    if task is not None and action in TRANSITIONS and task.status not in TRANSITIONS[action]:
        raise TaskError(
            f"Không thể thực hiện khi nhiệm vụ {_STATUS_VI.get(task.status, task.status)}",
            f"not allowed while the task is {task.status}",
            "status",
        )


def _clean(text: str | None, field_name: str, label: str, limit: int, *, required: bool) -> str:
    value = " ".join((text or "").split()) if field_name != "note" else (text or "").strip()
    if required and not value:
        raise TaskError(f"Thiếu {label}", f"{field_name} is required", field_name)
    if len(value) > limit:
        raise TaskError(
            f"{label.capitalize()} dài quá {limit} ký tự",
            f"{field_name} is longer than {limit} characters",
            field_name,
        )
    return value


@dataclass(frozen=True)
class Evidence:
    """Minh chứng: a link, and/or a file (name as uploaded, content)."""

    link: str = ""
    filename: str = ""
    data: bytes | None = None

    @property
    def empty(self) -> bool:
        """True when neither a link nor a file was given."""
        return not self.link.strip() and not self.data


@dataclass
class _Stored:
    link: str = ""
    file: str = ""
    name: str = ""


def _store_evidence(task: Task, evidence: Evidence | None) -> _Stored:
    out = _Stored()
    if evidence is None:
        return out
    link = evidence.link.strip()
    if link:
        if len(link) > 1000 or not _LINK.match(link):
            raise TaskError(
                "Đường dẫn minh chứng phải bắt đầu bằng http:// hoặc https://",
                "the evidence link must start with http:// or https://",
                "evidence_link",
            )
        out.link = link
    if evidence.data:
        name = Path(evidence.filename or "minh-chung").name[:200]
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if ext not in EVIDENCE_TYPES:
            raise TaskError(
                "Tệp minh chứng phải là PDF, Word, Excel, ảnh JPG/PNG hoặc ZIP",
                "the evidence file must be PDF, Word, Excel, JPG/PNG or ZIP",
                "evidence_file",
            )
        limit = _policy.evidence_max_bytes
        if len(evidence.data) > limit:
            raise TaskError(
                f"Tệp minh chứng lớn quá {limit // (1024 * 1024)} MB",
                f"the evidence file is larger than {limit // (1024 * 1024)} MB",
                "evidence_file",
            )
        stored = f"{task.id}-{secrets.token_hex(8)}.{ext}"
        folder = _policy.data_dir / "documents" / "evidence"
        write_durably(folder / stored, evidence.data)
        out.file, out.name = stored, name
    return out


def evidence_path(stored: str) -> Path | None:
    """The file of a stored evidence name, when it exists (no path tricks)."""
    if not re.fullmatch(r"\d+-[0-9a-f]{16}\.[a-z0-9]{2,4}", stored):
        return None
    path = _policy.data_dir / "documents" / "evidence" / stored
    return path if path.is_file() else None


def _event(
    session: Session, doer: Doer, task: Task, kind: str, at: datetime, **values: Any
) -> TaskEvent:
    event = TaskEvent(
        task_id=task.id,
        at=at,
        kind=kind,
        actor=doer.actor.label,
        actor_user_id=doer.actor.user_id,
        **values,
    )
    session.add(event)
    task.last_update_at = at
    session.flush()
    return event


# ----------------------------------------------------------------------------- actions


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
    _check(doer, "directive")
    at = at or clock.now()
    number = _clean(number, "number", "số ký hiệu", 100, required=True)
    issuer = _clean(issuer, "issuer", "cơ quan ban hành", 300, required=True)
    summary = _clean(summary, "summary", "trích yếu", 4000, required=True)
    signer = _clean(signer, "signer", "người ký", 200, required=False)
    if issued_on > at.astimezone(clock.local_zone()).date():
        raise TaskError("Ngày ban hành ở tương lai", "issue date is in the future", "issued_on")
    directive = Directive(
        number=number,
        issued_on=issued_on,
        issuer=issuer,
        summary=summary,
        signer=signer,
        created_at=at,
        created_by=doer.actor.label,
    )
    session.add(directive)
    session.flush()
    audit.record(
        session, doer.actor, "doc.directive.create", "doc_directive", directive.id, number=number
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
    _check(doer, "assign")
    at = at or clock.now()
    agency = session.execute(select(Agency).where(Agency.code == agency_code)).scalar_one_or_none()
    if agency is None:
        raise TaskError(f"Không có đơn vị mã {agency_code!r}", "unknown agency", "agency")
    title = _clean(title, "title", "nội dung nhiệm vụ", 4000, required=True)
    ref = _clean(ref, "ref", "mục", 32, required=False)
    coordinating = _clean(coordinating, "coordinating", "đơn vị phối hợp", 500, required=False)
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
    session.add(task)
    session.flush()
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
    _check(doer, "progress", task)
    at = at or clock.now()
    if not isinstance(percent, int) or not 0 <= percent <= 99:
        raise TaskError(
            "Tiến độ phải từ 0 đến 99% (100% thì chọn 'Hoàn thành' kèm minh chứng)",
            "progress must be 0–99% (use 'mark done' with evidence for 100%)",
            "percent",
        )
    note = _clean(note, "note", "nội dung báo cáo", 4000, required=True)
    stored = _store_evidence(task, evidence)
    task.status = IN_PROGRESS
    task.progress = percent
    event = _event(
        session,
        doer,
        task,
        "progress",
        at,
        percent=percent,
        note=note,
        evidence_link=stored.link,
        evidence_file=stored.file,
        evidence_name=stored.name,
    )
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
    _check(doer, "done", task)
    at = at or clock.now()
    if evidence is None or evidence.empty:
        raise TaskError(
            "Cần minh chứng hoàn thành (tệp hoặc đường dẫn văn bản báo cáo)",
            "evidence is required (a file or a link)",
            "evidence",
        )
    note = _clean(note, "note", "ghi chú", 4000, required=False)
    stored = _store_evidence(task, evidence)
    task.status = DONE
    task.progress = 100
    task.done_at = at
    event = _event(
        session,
        doer,
        task,
        "done",
        at,
        percent=100,
        note=note,
        evidence_link=stored.link,
        evidence_file=stored.file,
        evidence_name=stored.name,
    )
    audit.record(session, doer.actor, "doc.task.done", "doc_task", task.id, late=at > task.due_at)
    return event


def reopen(
    session: Session, doer: Doer, task: Task, *, reason: str, at: datetime | None = None
) -> TaskEvent:
    """Mở lại: a done or cancelled task goes back to work, with its last reported progress."""
    _check(doer, "reopen", task)
    at = at or clock.now()
    reason = _clean(reason, "reason", "lý do", 2000, required=True)
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
    _check(doer, "extend", task)
    at = at or clock.now()
    reason = _clean(reason, "reason", "lý do gia hạn", 2000, required=True)
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
    _check(doer, "cancel", task)
    at = at or clock.now()
    reason = _clean(reason, "reason", "lý do hủy", 2000, required=True)
    task.status = CANCELLED
    event = _event(session, doer, task, "cancel", at, note=reason)
    audit.record(session, doer.actor, "doc.task.cancel", "doc_task", task.id, reason=reason)
    return event


# ----------------------------------------------------------------------------- lists


@dataclass(frozen=True)
class TaskRow:
    """A task with its directive and agency, and where it stands at ``now``."""

    id: int
    ref: str
    title: str
    status: str
    progress: int
    due_at: datetime
    original_due_at: datetime
    extensions: int
    done_at: datetime | None
    last_update_at: datetime
    directive_id: int
    directive_number: str
    directive_issued_on: date
    agency_code: str
    agency_name: str
    agency_id: int
    state: str  # done | done_late | cancelled | overdue | due_soon | in_progress | assigned
    days_left: int  # working days to the deadline (negative: overdue)
    coordinating: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_open(self) -> bool:
        """Assigned or in progress."""
        return self.status in OPEN_STATUSES


def task_rows(
    session: Session,
    now: datetime,
    *,
    agency_id: int | None = None,
    directive_id: int | None = None,
    task_ids: list[int] | None = None,
) -> list[TaskRow]:
    """Tasks (optionally of one agency or directive), each with its state at ``now``:
    overdue first, then due soon, open by deadline, then done and cancelled."""
    stmt = (
        select(Task, Directive.number, Directive.issued_on, Agency.code, Agency.short_name)
        .join(Directive, Directive.id == Task.directive_id)
        .join(Agency, Agency.id == Task.agency_id)
    )
    if agency_id is not None:
        stmt = stmt.where(Task.agency_id == agency_id)
    if directive_id is not None:
        stmt = stmt.where(Task.directive_id == directive_id)
    if task_ids is not None:
        stmt = stmt.where(Task.id.in_(task_ids))
    calendar = load_calendar(session)
    soon = _policy.due_soon_days
    out = []
    for task, number, issued_on, code, name in session.execute(stmt):
        days_left = calendar.working_days_between(now, task.due_at)
        if task.status == DONE:
            state = "done_late" if task.done_at and task.done_at > task.due_at else "done"
        elif task.status == CANCELLED:
            state = "cancelled"
        elif task.due_at < now:
            state = "overdue"
        elif days_left < soon:
            state = "due_soon"
        else:
            state = task.status
        out.append(
            TaskRow(
                id=task.id,
                ref=task.ref,
                title=task.title,
                status=task.status,
                progress=task.progress,
                due_at=task.due_at,
                original_due_at=task.original_due_at,
                extensions=task.extensions,
                done_at=task.done_at,
                last_update_at=task.last_update_at,
                directive_id=task.directive_id,
                directive_number=number,
                directive_issued_on=issued_on,
                agency_code=code,
                agency_name=name,
                agency_id=task.agency_id,
                state=state,
                days_left=days_left,
                coordinating=task.coordinating,
            )
        )
    order = {
        "overdue": 0,
        "due_soon": 1,
        "in_progress": 2,
        "assigned": 2,
        "done_late": 3,
        "done": 3,
        "cancelled": 4,
    }
    out.sort(key=lambda r: (order[r.state], r.due_at, r.id))
    return out


def overdue_tasks(session: Session, now: datetime, agency_id: int | None = None) -> list[TaskRow]:
    """Open tasks past their deadline, most overdue first."""
    return [r for r in task_rows(session, now, agency_id=agency_id) if r.state == "overdue"]


def due_soon_tasks(session: Session, now: datetime, agency_id: int | None = None) -> list[TaskRow]:
    """Open tasks due within ``IOC_DOC_DUE_SOON_DAYS`` working days, soonest first."""
    return [r for r in task_rows(session, now, agency_id=agency_id) if r.state == "due_soon"]


def overdue_task_records(session: Session, now: datetime) -> list[RecordSample]:
    """Record source ``documents.overdue_tasks``: one sample per overdue task, labelled
    task/directive/agency, valued in days overdue (calendar days, one decimal)."""
    return [
        RecordSample(
            labels={
                "task": str(r.id),
                "directive": r.directive_number,
                "agency": r.agency_code,
            },
            value=round((now - r.due_at).total_seconds() / 86400, 1),
        )
        for r in overdue_tasks(session, now)
    ]
