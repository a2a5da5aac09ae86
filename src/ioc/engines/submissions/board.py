"""Bảng theo dõi nộp số liệu: who has submitted a period's figures, who is late, and the
reminder job.

Deadline: the end of the ``IOC_SUB_DEADLINE_WORKING_DAYS``-th working day after the period ends
(working days from :mod:`ioc.core.calendar`). Status of an agency for a period:

* ``submitted`` — a file was accepted by the deadline; ``submitted_late`` — accepted after it;
* ``waiting`` — a valid file waits for the sender to confirm its warnings;
* ``pending`` — nothing accepted yet, deadline not passed; ``overdue`` — deadline passed.

Reminders (:func:`remind`, a periodic job): for the last closed period of each frequency, an
agency without an accepted file gets an in-app notification (addressed to its staff) once when
the deadline is ``IOC_SUB_REMIND_DAYS_BEFORE`` working days away or less, and once per working
day after the deadline. Each reminder is recorded in ``sub_reminders``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ioc.core.calendar import WorkingCalendar, load_calendar
from ioc.engines.alerting.notify.models import InAppNotification
from ioc.engines.submissions.catalog import AreaBook, Catalog, Obligation
from ioc.engines.submissions.models import SubReminder, SubSubmission
from ioc.engines.submissions.periods import FREQUENCIES, Period, last_closed, local_today

STATUSES = ("submitted", "submitted_late", "waiting", "pending", "overdue")
DONE = frozenset({"submitted", "submitted_late"})


@dataclass(frozen=True)
class BoardRow:
    """One agency's line for one period."""

    obligation: Obligation
    deadline: datetime
    status: str
    accepted: SubSubmission | None
    latest: SubSubmission | None
    attempts: int
    working_days_left: int

    @property
    def agency(self) -> str:
        """Agency code."""
        return self.obligation.agency.code


def board(
    session: Session,
    catalog: Catalog,
    period: Period,
    now: datetime,
    *,
    calendar: WorkingCalendar,
    deadline_days: int,
    book: AreaBook | None = None,
) -> list[BoardRow]:
    """Every agency that owes figures for ``period``, with its status."""
    book = book or AreaBook.load(session)
    deadline = period.deadline(calendar, deadline_days)
    subs: dict[str, list[SubSubmission]] = {}
    for sub in session.execute(
        select(SubSubmission)
        .where(SubSubmission.period == period.key)
        .order_by(SubSubmission.uploaded_at, SubSubmission.id)
    ).scalars():
        subs.setdefault(sub.agency_code, []).append(sub)
    left = calendar.working_days_between(now, deadline) if now < deadline else 0
    rows: list[BoardRow] = []
    for ob in catalog.obligations(session, period, book):
        mine = subs.get(ob.agency.code, [])
        accepted = [s for s in mine if s.status == "accepted"]
        first = accepted[0] if accepted else None
        if first is not None:
            on_time = first.decided_at is not None and first.decided_at <= deadline
            status = "submitted" if on_time else "submitted_late"
        elif any(s.status == "received" for s in mine):
            status = "waiting"
        else:
            status = "overdue" if now > deadline else "pending"
        rows.append(
            BoardRow(
                obligation=ob,
                deadline=deadline,
                status=status,
                accepted=accepted[-1] if accepted else None,
                latest=mine[-1] if mine else None,
                attempts=len(mine),
                working_days_left=left,
            )
        )
    return rows


def summary(rows: list[BoardRow]) -> dict[str, int]:
    """Count of agencies per status (every status present, zeros included)."""
    out = dict.fromkeys(STATUSES, 0)
    for row in rows:
        out[row.status] += 1
    return out


def remind(
    factory: sessionmaker[Session],
    now: datetime,
    catalog: Catalog,
    *,
    deadline_days: int,
    days_before: int,
) -> str | None:
    """Post due and overdue reminders for the last closed period of each frequency; returns a
    summary for the job log, None when nothing was sent."""
    sent = 0
    with factory() as session, session.begin():
        calendar = load_calendar(session)
        book = AreaBook.load(session)
        today = local_today(now)
        day_key = today.isoformat()
        for frequency in FREQUENCIES:
            period = last_closed(frequency, now)
            for row in board(
                session,
                catalog,
                period,
                now,
                calendar=calendar,
                deadline_days=deadline_days,
                book=book,
            ):
                if row.status in DONE:
                    continue
                kind = _reminder_kind(row, now, days_before)
                if kind is None:
                    continue
                if kind == "overdue" and not calendar.is_working_day(today):
                    continue
                if _already(session, row, kind, day_key):
                    continue
                note = _post(session, row, kind, now)
                session.add(
                    SubReminder(
                        agency_code=row.agency,
                        period=period.key,
                        kind=kind,
                        day=day_key,
                        sent_at=now,
                        notification_id=note.id,
                    )
                )
                sent += 1
    return f"{sent} lời nhắc nộp số liệu" if sent else None


def _reminder_kind(row: BoardRow, now: datetime, days_before: int) -> str | None:
    if now > row.deadline:
        return "overdue"
    if row.working_days_left <= days_before:
        return "due_soon"
    return None


def _already(session: Session, row: BoardRow, kind: str, day_key: str) -> bool:
    stmt = select(SubReminder.id).where(
        SubReminder.agency_code == row.agency,
        SubReminder.period == row.obligation.period.key,
        SubReminder.kind == kind,
    )
    if kind == "overdue":
        stmt = stmt.where(SubReminder.day == day_key)
    return session.execute(stmt.limit(1)).first() is not None


def _post(session: Session, row: BoardRow, kind: str, now: datetime) -> InAppNotification:
    period = row.obligation.period
    from ioc.core import i18n

    deadline = i18n.format_datetime(row.deadline, "vi", True)
    if kind == "overdue":
        title = f"Quá hạn nộp số liệu {period.label('vi')}"
        body = (
            f"{row.obligation.agency.name} chưa nộp số liệu {period.label('vi')} "
            f"({len(row.obligation.indicators)} chỉ tiêu); hạn nộp {deadline}. "
            f"Overdue: figures for {period.key} were due {deadline}."
        )
    else:
        title = f"Sắp đến hạn nộp số liệu {period.label('vi')}"
        body = (
            f"Hạn nộp số liệu {period.label('vi')} là {deadline} "
            f"({len(row.obligation.indicators)} chỉ tiêu). "
            f"Reminder: figures for {period.key} are due {deadline}."
        )
    note = InAppNotification(
        agency_id=row.obligation.agency.id,
        title=title[:300],
        body=body,
        link=f"/submissions?period={period.key}",
        created_at=now,
    )
    session.add(note)
    session.flush()
    return note


def reminder_job_fn(
    catalog: Callable[[], Catalog], deadline_days: int, days_before: int
) -> Callable[[sessionmaker[Session], datetime], str | None]:
    """The job function ``(factory, now) -> summary`` the scheduler runs (see ``jobs``)."""

    def run(factory: sessionmaker[Session], now: datetime) -> str | None:
        return remind(factory, now, catalog(), deadline_days=deadline_days, days_before=days_before)

    return run
