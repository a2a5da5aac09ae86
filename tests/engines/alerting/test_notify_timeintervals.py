"""Mute timings: recurring intervals read in Asia/Ho_Chi_Minh, ranges across midnight, and
Vietnamese working days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from ioc.engines.alerting.notify.timeintervals import (
    TimeIntervalError,
    any_contains,
    parse_interval,
    parse_intervals,
)

VN = timezone(timedelta(hours=7))


def local(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=VN)


def test_night_window_across_midnight_in_vietnam() -> None:
    night = parse_interval({"times": ["22:00-06:00"]})
    assert night.contains(local(2026, 3, 10, 23, 30))
    assert night.contains(local(2026, 3, 10, 5, 59))
    assert night.contains(local(2026, 3, 10, 0, 0))
    assert night.contains(local(2026, 3, 10, 22, 0))
    assert not night.contains(local(2026, 3, 10, 6, 0))  # end is exclusive
    assert not night.contains(local(2026, 3, 10, 21, 59))
    assert not night.contains(local(2026, 3, 10, 12, 0))
    # 16:30 UTC is 23:30 in Vietnam: inside, although 16:30 is not in 22:00-06:00.
    assert night.contains(datetime(2026, 3, 10, 16, 30, tzinfo=UTC))
    # 22:59 UTC is 05:59 the next morning in Vietnam: inside.
    assert night.contains(datetime(2026, 3, 10, 22, 59, tzinfo=UTC))
    assert not night.contains(datetime(2026, 3, 10, 23, 0, tzinfo=UTC))  # 06:00 local


def test_alertmanager_dict_form_and_end_of_day() -> None:
    evening = parse_interval({"times": [{"start_time": "17:00", "end_time": "24:00"}]})
    assert evening.contains(local(2026, 3, 10, 23, 59))
    assert not evening.contains(local(2026, 3, 11, 0, 0))


def test_weekday_is_the_vietnamese_one() -> None:
    weekend = parse_interval({"weekdays": ["saturday:sunday"]})
    # Friday 2026-03-13 18:00 UTC is Saturday 01:00 in Vietnam.
    friday_utc = datetime(2026, 3, 13, 18, 0, tzinfo=UTC)
    assert friday_utc.weekday() == 4
    assert weekend.contains(friday_utc)
    # In UTC the same interval says otherwise.
    assert not parse_interval({"weekdays": ["saturday:sunday"], "location": "UTC"}).contains(
        friday_utc
    )
    workdays = parse_interval({"weekdays": ["monday:friday"]})
    assert workdays.contains(local(2026, 3, 13, 12))
    assert not workdays.contains(friday_utc)
    # A wrapping range: Saturday to Monday.
    assert parse_interval({"weekdays": ["saturday:monday"]}).contains(local(2026, 3, 16, 9))


def test_days_of_month_months_years() -> None:
    last_day = parse_interval({"days_of_month": ["-1"]})
    assert last_day.contains(local(2026, 2, 28, 10))
    assert not last_day.contains(local(2026, 2, 27, 10))
    assert last_day.contains(local(2024, 2, 29, 10))
    first_week = parse_interval({"days_of_month": ["1:7"], "months": ["january:march", "12"]})
    assert first_week.contains(local(2026, 3, 5, 10))
    assert not first_week.contains(local(2026, 4, 5, 10))
    assert first_week.contains(local(2026, 12, 1, 10))
    years = parse_interval({"years": ["2026"]})
    assert years.contains(local(2026, 1, 1, 0))
    # 2025-12-31 17:30 UTC is already 2026 in Vietnam.
    assert years.contains(datetime(2025, 12, 31, 17, 30, tzinfo=UTC))


def test_fields_combine_and_intervals_any() -> None:
    office_nights = parse_intervals(
        [{"times": ["17:00-07:00"], "weekdays": ["monday:friday"]}, {"weekdays": ["sunday"]}]
    )
    assert any_contains(office_nights, local(2026, 3, 10, 20))  # Tuesday evening
    assert not any_contains(office_nights, local(2026, 3, 10, 10))  # Tuesday morning
    assert any_contains(office_nights, local(2026, 3, 15, 10))  # Sunday
    assert not any_contains(office_nights, local(2026, 3, 14, 20))  # Saturday evening


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"times": ["25:00-26:00"]}, "times"),
        ({"times": ["08:00"]}, "times"),
        ({"times": ["08:00-08:00"]}, "times"),
        ({"weekdays": ["funday"]}, "weekdays"),
        ({"days_of_month": ["0"]}, "days_of_month"),
        ({"days_of_month": ["10:5"]}, "days_of_month"),
        ({"months": ["13"]}, "months"),
        ({"location": "Mars/Base"}, "location"),
        ({"working_days": "yes"}, "working_days"),
        ({"hours": ["1"]}, "hours"),
    ],
)
def test_bad_interval_names_the_field(spec: dict, field: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(TimeIntervalError) as err:
        parse_interval(spec)
    assert field in str(err.value)


def test_working_days_use_the_vietnamese_calendar() -> None:
    calendar = pytest.importorskip("ioc.core.calendar")
    cal = calendar.default_calendar()
    working = parse_interval({"working_days": True})
    off = parse_interval({"working_days": False})
    # 2026-09-02 (Wednesday) is National Day: a holiday although a weekday.
    national_day = local(2026, 9, 2, 10)
    assert not cal.is_working_day(date(2026, 9, 2))
    assert not working.contains(national_day)
    assert off.contains(national_day)
    # An ordinary Tuesday.
    assert working.contains(local(2026, 3, 10, 10))
    assert not off.contains(local(2026, 3, 10, 10))
    # Saturday and Sunday.
    assert off.contains(local(2026, 3, 14, 10))
    # The working-day test is done on the Vietnamese date: Tuesday 2026-09-01 20:00 UTC is
    # already Wednesday 2 September (holiday) in Vietnam.
    assert not working.contains(datetime(2026, 9, 1, 20, 0, tzinfo=UTC))
    office = parse_intervals([{"times": ["07:00-17:00"], "working_days": True}])
    assert any_contains(office, local(2026, 3, 10, 9))
    assert not any_contains(office, local(2026, 3, 10, 18))
    assert not any_contains(office, national_day)
