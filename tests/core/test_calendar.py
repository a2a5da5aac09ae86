"""The working-day calendar: the vectors of working-days.md §3, the data file, the admins'
rows, and deadline arithmetic across Tết 2026 and a make-up Saturday."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import audit, clock
from ioc.core.calendar import (
    CalendarError,
    ExtraDay,
    WorkingCalendar,
    add_calendar_day,
    default_calendar,
    load_calendar,
    remove_calendar_day,
)
from ioc.core.models import AuditLog

VN = clock.local_zone()
ADMIN = audit.Actor(None, "test-admin")


def local(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=VN)


@pytest.fixture
def cal() -> WorkingCalendar:
    return default_calendar()


# --- working-days.md §3 ----------------------------------------------------------------------


def test_make_up_saturday_2025_is_worked(cal: WorkingCalendar) -> None:
    assert cal.is_working_day(date(2025, 4, 26))


def test_swap_day_off_2025(cal: WorkingCalendar) -> None:
    assert not cal.is_working_day(date(2025, 5, 2))
    assert cal.holiday_name(date(2025, 5, 2)) is not None


def test_five_working_days_over_reunification_day(cal: WorkingCalendar) -> None:
    assert cal.add_working_days(local(2025, 4, 28), 5).date() == date(2025, 5, 8)


def test_tet_2025(cal: WorkingCalendar) -> None:
    days = [date(2025, 1, 27) + timedelta(days=i) for i in range(6)]  # 27/1 … 1/2
    assert all(not cal.is_working_day(d) for d in days)
    assert cal.holiday_name(date(2025, 1, 27)) == "29 Tết"
    assert cal.is_working_day(date(2025, 1, 24))
    assert cal.is_working_day(date(2025, 2, 3))


def test_hung_kings_2025(cal: WorkingCalendar) -> None:
    assert not cal.is_working_day(date(2025, 4, 7))
    assert "Hùng Vương" in (cal.holiday_name(date(2025, 4, 7)) or "")


def test_national_day_2025(cal: WorkingCalendar) -> None:
    assert not cal.is_working_day(date(2025, 9, 1))
    assert not cal.is_working_day(date(2025, 9, 2))
    assert cal.holiday_name(date(2025, 9, 2)) == "Quốc khánh"
    assert cal.is_working_day(date(2025, 9, 3))


def test_tet_2026(cal: WorkingCalendar) -> None:
    for offset in range(5):
        d = date(2026, 2, 16) + timedelta(days=offset)
        assert not cal.is_working_day(d), d
        assert cal.holiday_name(d)
    assert cal.is_working_day(date(2026, 2, 13))
    assert cal.is_working_day(date(2026, 2, 23))


def test_hung_kings_2026_sunday_observed_monday(cal: WorkingCalendar) -> None:
    assert cal.holiday_name(date(2026, 4, 26)) is not None
    assert not cal.is_working_day(date(2026, 4, 27))
    assert "nghỉ bù" in (cal.holiday_name(date(2026, 4, 27)) or "")


def test_swap_2026(cal: WorkingCalendar) -> None:
    assert not cal.is_working_day(date(2026, 8, 31))
    assert cal.is_working_day(date(2026, 8, 22))
    assert cal.holiday_name(date(2026, 8, 22)) is None


def test_culture_day_2026(cal: WorkingCalendar) -> None:
    assert not cal.is_working_day(date(2026, 11, 24))
    assert cal.holiday_name(date(2026, 11, 24)) == "Ngày Văn hóa Việt Nam"


def test_new_year_swap_2026_from_the_data_file(cal: WorkingCalendar) -> None:
    # Missing from holidays 0.109; supplied by ioc/data/calendar_vn.yaml.
    bare = WorkingCalendar()
    assert bare.is_working_day(date(2026, 1, 2))
    assert not bare.is_working_day(date(2026, 1, 10))
    assert not cal.is_working_day(date(2026, 1, 2))
    assert cal.is_working_day(date(2026, 1, 10))
    assert "10/01/2026" in (cal.holiday_name(date(2026, 1, 2)) or "")


def test_ordinary_weekend_is_not_named(cal: WorkingCalendar) -> None:
    assert not cal.is_working_day(date(2026, 3, 14))
    assert cal.holiday_name(date(2026, 3, 14)) is None
    assert cal.holiday_name(date(2026, 3, 10)) is None


# --- deadlines -------------------------------------------------------------------------------


def test_deadline_across_tet_2026(cal: WorkingCalendar) -> None:
    # Thursday 12/02/2026 10:00 + 3 WD: Fri 13/2, (Tết 16–20/2 and two weekends), Mon 23/2,
    # Tue 24/2.
    due = cal.add_working_days(local(2026, 2, 12, 10), 3)
    assert due == local(2026, 2, 24, 10)
    assert cal.working_days_between(local(2026, 2, 12, 10), due) == 3


def test_fifteen_working_days_across_tet_2026(cal: WorkingCalendar) -> None:
    # From Monday 09/02/2026: 10–13/2 (4), 23–27/2 (5), 2–6/3 (5), 9/3 (1).
    assert cal.add_working_days(local(2026, 2, 9, 8, 30), 15) == local(2026, 3, 9, 8, 30)


def test_deadline_across_make_up_saturday_2026(cal: WorkingCalendar) -> None:
    # Thursday 20/8/2026 + 2 WD: Fri 21/8, then Saturday 22/8 is worked.
    assert cal.add_working_days(local(2026, 8, 20, 14), 2) == local(2026, 8, 22, 14)
    # Friday 28/8 + 1 WD skips the weekend and Mon 31/8 (swap), 1/9 and 2/9 (National Day).
    assert cal.add_working_days(local(2026, 8, 28, 14), 1) == local(2026, 9, 3, 14)


def test_start_on_a_non_working_day_counts_from_the_next_working_day(
    cal: WorkingCalendar,
) -> None:
    # Saturday 14/3/2026 15:00 is deemed received Monday 16/3 00:00; 1 WD -> Tue 17/3 00:00
    # (the end of Monday).
    due = cal.add_working_days(local(2026, 3, 14, 15), 1)
    assert due == local(2026, 3, 17, 0)
    # A report on Tết's first day, 2 WD: deemed 23/2 00:00 -> 25/2 00:00.
    assert cal.add_working_days(local(2026, 2, 17, 10), 2) == local(2026, 2, 25, 0)
    assert cal.add_working_days(local(2026, 3, 14, 15), 0) == local(2026, 3, 16, 0)


def test_after_hours_keeps_the_time_of_day(cal: WorkingCalendar) -> None:
    assert cal.add_working_days(local(2026, 3, 10, 22, 30), 1) == local(2026, 3, 11, 22, 30)


def test_result_keeps_the_start_zone(cal: WorkingCalendar) -> None:
    start = local(2026, 3, 10, 12).astimezone(UTC)
    due = cal.add_working_days(start, 1)
    assert due.tzinfo == UTC
    assert due == datetime(2026, 3, 11, 5, tzinfo=UTC)


def test_add_hours_counts_calendar_hours_through_tet(cal: WorkingCalendar) -> None:
    assert cal.add_hours(local(2026, 2, 16, 20), 12) == local(2026, 2, 17, 8)


def test_working_days_between(cal: WorkingCalendar) -> None:
    start = local(2026, 3, 10, 12)
    assert cal.working_days_between(start, local(2026, 3, 11, 11, 59)) == 0
    assert cal.working_days_between(start, local(2026, 3, 11, 12)) == 1
    assert cal.working_days_between(start, local(2026, 3, 16, 12)) == 4
    assert cal.working_days_between(local(2026, 3, 16, 12), start) == -4


def test_next_working_day(cal: WorkingCalendar) -> None:
    assert cal.next_working_day(date(2026, 2, 13)) == date(2026, 2, 23)
    assert cal.next_working_day(date(2026, 1, 9)) == date(2026, 1, 10)  # make-up Saturday
    assert cal.next_working_day(date(2026, 3, 10)) == date(2026, 3, 11)


def test_naive_datetimes_and_negative_days_are_refused(cal: WorkingCalendar) -> None:
    with pytest.raises(ValueError):
        cal.add_working_days(datetime(2026, 3, 10, 9), 1)  # noqa: DTZ001 - the point
    with pytest.raises(ValueError):
        cal.add_working_days(local(2026, 3, 10), -1)


def test_later_overrides_win() -> None:
    cal = WorkingCalendar(
        [
            ExtraDay(date(2026, 3, 12), "off", "Bão số 3"),
            ExtraDay(date(2026, 3, 12), "work", "Hủy nghỉ"),
        ]
    )
    assert cal.is_working_day(date(2026, 3, 12))


# --- the administrators' rows ----------------------------------------------------------------


def test_admin_closure_and_make_up_day(db: Session) -> None:
    typhoon = date(2026, 3, 12)  # a Thursday
    saturday = date(2026, 3, 21)
    add_calendar_day(db, ADMIN, typhoon, "off", "Nghỉ tránh bão")
    add_calendar_day(db, ADMIN, saturday, "work", "Làm bù ngày nghỉ tránh bão")
    cal = load_calendar(db)
    assert not cal.is_working_day(typhoon)
    assert cal.holiday_name(typhoon) == "Nghỉ tránh bão"
    assert cal.is_working_day(saturday)
    # The data file still applies under the rows.
    assert not cal.is_working_day(date(2026, 1, 2))
    # Wed 11/3 + 2 WD: Thu 12/3 is now off -> Fri 13/3, Mon 16/3.
    assert cal.add_working_days(local(2026, 3, 11, 9), 2) == local(2026, 3, 16, 9)
    actions = db.execute(select(AuditLog.action).where(AuditLog.object_type == "calendar_day"))
    assert sorted(actions.scalars()) == ["calendar.add_day", "calendar.add_day"]

    remove_calendar_day(db, ADMIN, typhoon)
    assert load_calendar(db).is_working_day(typhoon)
    assert default_calendar().is_working_day(typhoon)


def test_admin_day_input_is_checked(db: Session) -> None:
    with pytest.raises(CalendarError) as bad_kind:
        add_calendar_day(db, ADMIN, date(2026, 3, 12), "holiday", "X")
    assert bad_kind.value.field == "kind"
    with pytest.raises(CalendarError) as no_name:
        add_calendar_day(db, ADMIN, date(2026, 3, 12), "off", "  ")
    assert no_name.value.field == "name"
    add_calendar_day(db, ADMIN, date(2026, 3, 12), "off", "Bão")
    with pytest.raises(CalendarError, match="đã được điều chỉnh"):
        add_calendar_day(db, ADMIN, date(2026, 3, 12), "work", "Khác")
    with pytest.raises(CalendarError, match="không có trong danh sách"):
        remove_calendar_day(db, ADMIN, date(2026, 3, 13))
