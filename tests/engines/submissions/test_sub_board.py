"""Status board (submitted on time, late, waiting, pending, overdue against a working-day
deadline) and the reminder job (in-app notifications to the agency, each sent once)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from sub_helpers import OFFSET, catalog, fill, obligation

from ioc.core import audit, clock
from ioc.core.calendar import default_calendar
from ioc.engines.alerting.notify.models import InAppNotification
from ioc.engines.submissions import board, upload
from ioc.engines.submissions.models import SubReminder
from ioc.engines.submissions.periods import parse_period
from ioc.engines.submissions.templates import build_template

FEB = parse_period("2026-02")  # due end of Friday 6/3/2026 (5th working day)


def _send(s: Session, agency: str, at: datetime, value: float = 100.0) -> None:
    clock.set_now(at)
    ob, book = obligation(s, agency, FEB.key)
    data = fill(build_template(s, catalog(), ob, book, offset=OFFSET), lambda c, a, r: value)
    sub = upload.submit(
        s,
        audit.Actor(None, agency),
        catalog(),
        ob,
        book,
        filename="b.xlsx",
        data=data,
        offset=OFFSET,
        jump_factor=1.0,
    )
    assert sub.errors == []


def _status(rows: list[board.BoardRow]) -> dict[str, str]:
    return {r.agency: r.status for r in rows}


def test_board_statuses_against_the_deadline(factory: sessionmaker[Session]) -> None:
    try:
        with factory() as s, s.begin():
            _send(s, "so-tai-chinh", datetime(2026, 3, 5, 3, tzinfo=UTC))  # Thursday: on time
            _send(s, "so-cong-thuong", datetime(2026, 3, 9, 3, tzinfo=UTC))  # Monday: late
        now = datetime(2026, 3, 10, 5, tzinfo=UTC)
        with factory() as s:
            rows = board.board(s, catalog(), FEB, now, calendar=default_calendar(), deadline_days=5)
            status = _status(rows)
            assert status["so-tai-chinh"] == "submitted"
            assert status["so-cong-thuong"] == "submitted_late"
            assert status["so-noi-vu"] == "overdue"
            communes = [r for r in rows if r.obligation.agency.kind == "commune_committee"]
            assert len(communes) == 102 and {r.status for r in communes} == {"overdue"}
            assert rows[0].deadline == datetime(2026, 3, 6, 16, 59, 59, tzinfo=UTC)
            counts = board.summary(rows)
            assert counts["submitted"] == 1 and counts["submitted_late"] == 1
            # Before the deadline the same agencies are only pending.
            early = board.board(
                s,
                catalog(),
                FEB,
                datetime(2026, 3, 4, 3, tzinfo=UTC),
                calendar=default_calendar(),
                deadline_days=5,
            )
            assert _status(early)["so-noi-vu"] == "pending"
            assert next(r for r in early if r.agency == "so-noi-vu").working_days_left == 2
    finally:
        clock.set_now(None)


def test_reminders_are_posted_once_to_the_agency(factory: sessionmaker[Session]) -> None:
    due_soon = datetime(2026, 3, 4, 2, tzinfo=UTC)  # Wednesday, 2 working days before
    assert board.remind(factory, due_soon, catalog(), deadline_days=5, days_before=2)
    assert board.remind(factory, due_soon, catalog(), deadline_days=5, days_before=2) is None
    with factory() as s:
        notes = s.execute(select(InAppNotification)).scalars().all()
        agencies = {n.agency_id for n in notes}
        from ioc.engines.submissions.catalog import load_agency

        stc = load_agency(s, "so-tai-chinh")
        assert stc is not None and stc.id in agencies
        note = next(n for n in notes if n.agency_id == stc.id and "02/2026" in n.title)
        assert note.title.startswith("Sắp đến hạn") and note.link == "/submissions?period=2026-02"
        kinds = {(r.period, r.kind) for r in s.execute(select(SubReminder)).scalars()}
        # February is due soon; 2025-Q4 and the year 2025 were due in January: overdue.
        assert ("2026-02", "due_soon") in kinds and ("2026-02", "overdue") not in kinds
        assert ("2025-Q4", "overdue") in kinds and ("2025", "overdue") in kinds
    # Sở Tài chính submits; after the deadline only the others are told they are overdue.
    try:
        with factory() as s, s.begin():
            _send(s, "so-tai-chinh", datetime(2026, 3, 5, 3, tzinfo=UTC))
    finally:
        clock.set_now(None)
    overdue = datetime(2026, 3, 9, 2, tzinfo=UTC)  # Monday
    summary = board.remind(factory, overdue, catalog(), deadline_days=5, days_before=2)
    assert summary is not None
    with factory() as s:
        late = s.execute(select(SubReminder).where(SubReminder.kind == "overdue")).scalars().all()
        assert "so-noi-vu" in {r.agency_code for r in late}
        assert not [r for r in late if r.agency_code == "so-tai-chinh" and r.period == "2026-02"]
    # Same day again: nothing new; next working day: a new overdue reminder.
    assert board.remind(factory, overdue, catalog(), deadline_days=5, days_before=2) is None
    next_day = datetime(2026, 3, 10, 2, tzinfo=UTC)
    assert board.remind(factory, next_day, catalog(), deadline_days=5, days_before=2)
