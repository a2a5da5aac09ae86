"""Reminders go out on the right working days, once, only to agencies that have not sent."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from rp_helpers import SKHCN, SXD, SYT, doer, filled
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ioc.core import clock
from ioc.packs.reporting import reminders, service
from ioc.packs.reporting.models import Reminder, Submission


def _at(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, 1, 0, tzinfo=UTC)  # 08:00 local


def test_reminder_days_for_31_october_2026(factory: sessionmaker[Session]) -> None:
    clock.set_now(_at(date(2026, 10, 1)))
    try:
        with factory() as s, s.begin():
            c = service.create_campaign(s, doer(s, SXD), year=2026, agency_codes=[SYT, SKHCN])
            sub = s.execute(
                select(Submission).where(Submission.agency_id == doer(s, SKHCN).agency_id)
            ).scalar_one()
            service.submit(s, doer(s, SKHCN), sub, filled())
            cid = c.id
        sent_days: dict[str, date] = {}
        day = date(2026, 10, 1)
        while day <= date(2026, 11, 15):
            for hour in (1, 5):  # the job runs every hour: twice a day must not double
                at = datetime(day.year, day.month, day.day, hour, 0, tzinfo=UTC)
                clock.set_now(at)
                reminders.remind_job(factory, at)
            day += timedelta(days=1)
        with factory() as s:
            rows = list(s.execute(select(Reminder).where(Reminder.campaign_id == cid)).scalars())
            for r in rows:
                sent_days[r.kind] = r.sent_on
            # Only Sở Y tế (not sent) is reminded; once per kind.
            assert {r.agency_id for r in rows} == {doer(s, SYT).agency_id}
        assert len(rows) == 4
        # 31/10/2026 is a Saturday. 5 working days before: Fri 23/10; 1 before: Thu 29/10.
        # After: counted from the next working day (Mon 2/11): 1 after Tue 3/11, 5 after Mon 9/11.
        assert sent_days == {
            "before_5": date(2026, 10, 23),
            "before_1": date(2026, 10, 29),
            "after_1": date(2026, 11, 3),
            "after_5": date(2026, 11, 9),
        }
        assert "Quá hạn" in next(r.message for r in rows if r.kind == "after_1")
    finally:
        clock.set_now(None)


def test_no_reminder_on_a_holiday(db: Session) -> None:
    from ioc.core.calendar import default_calendar

    cal = default_calendar()
    # Deadline Fri 2026-09-04: counting skips Mon 31/8 (swap day) and 1-2/9 (Quốc khánh), so
    # 5 working days before is Tue 25/8 (26, 27, 28/8, 3, 4/9), not Sat 29/8 or Wed 26/8.
    assert reminders.due_kind(cal, date(2026, 9, 4), date(2026, 9, 2)) is None
    assert reminders.due_kind(cal, date(2026, 9, 4), date(2026, 8, 31)) is None
    assert reminders.due_kind(cal, date(2026, 9, 4), date(2026, 8, 26)) is None
    assert reminders.due_kind(cal, date(2026, 9, 4), date(2026, 8, 25)) == "before_5"
    assert reminders.due_kind(cal, date(2026, 9, 4), date(2026, 9, 3)) == "before_1"
