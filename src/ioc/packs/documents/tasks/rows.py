"""Where each task stands at a moment (done, done late, cancelled, overdue, due soon, in
progress, assigned), the lists built on it and the alerting record source of overdue tasks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core.calendar import load_calendar
from ioc.core.models import Agency
from ioc.core.registry import RecordSample
from ioc.engines.actions_kit import same_named
from ioc.packs.documents.models import Directive, Task
from ioc.packs.documents.tasks.rules import CANCELLED, DONE, OPEN_STATUSES, policy

__all__ = ["TaskRow", "due_soon_tasks", "overdue_task_records", "overdue_tasks", "task_rows"]

#: The fields of a :class:`TaskRow` taken over from its :class:`Task` as they are.
_TASK_FIELDS = (
    "id ref title status progress due_at original_due_at extensions done_at last_update_at"
    " directive_id agency_id coordinating"
)


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
    soon = policy().due_soon_days
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
                **same_named(task, _TASK_FIELDS),
                directive_number=number,
                directive_issued_on=issued_on,
                agency_code=code,
                agency_name=name,
                state=state,
                days_left=days_left,
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
