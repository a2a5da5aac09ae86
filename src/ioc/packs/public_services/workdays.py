"""Memoised working-day arithmetic over the IOC's one calendar, for millions of dossiers.

:class:`WorkdayMath` answers exactly what :class:`ioc.core.calendar.WorkingCalendar` answers
(``add_working_days``, ``working_days_between``) — the calendar still decides every day — but
caches the day-level part of each answer, because a year of dossiers asks the same questions
(“15 working days after a Tuesday in March”) hundreds of thousands of times. The time-of-day
part follows the calendar's rules (module docstring of ``ioc.core.calendar``): a start on a
working day keeps its local time; a start on a non-working day counts from 00:00 of the next
working day. Tests check both paths give the same results.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

from ioc.core.calendar import ZONE, WorkingCalendar

__all__ = ["WorkdayMath"]

MIDNIGHT = time(0, 0)


def _fast_zone(name: str) -> tzinfo:
    """The zone as a fixed offset when it has one offset all year from 1976 on (Vietnam: no
    daylight saving time since 1975) — conversions are then cheaper; else the IANA zone."""
    zone = ZoneInfo(name)
    offsets = {
        datetime(year, month, 15, tzinfo=zone).utcoffset()
        for year in range(1976, 2101, 4)
        for month in (1, 7)
    }
    if len(offsets) == 1:
        (offset,) = offsets
        assert offset is not None
        return timezone(offset, name)
    return zone


class WorkdayMath:
    """Cached deadline arithmetic on one :class:`WorkingCalendar` (immutable, thread-safe
    enough: the caches only ever hold values the calendar computed)."""

    def __init__(self, calendar: WorkingCalendar, zone: str = ZONE) -> None:
        self.calendar = calendar
        self.zone = _fast_zone(zone)
        self.is_working = lru_cache(maxsize=None)(calendar.is_working_day)
        self._nth = lru_cache(maxsize=200_000)(self._nth_uncached)
        self._count = lru_cache(maxsize=200_000)(self._count_uncached)

    def _nth_uncached(self, start: date, days: int) -> date:
        day = start
        for _ in range(days):
            day = self.calendar.next_working_day(day)
        return day

    def _count_uncached(self, start: date, end: date) -> int:
        """Working days ``d`` with ``start < d <= end``."""
        n = 0
        day = start + timedelta(days=1)
        while day <= end:
            if self.is_working(day):
                n += 1
            day += timedelta(days=1)
        return n

    def _begin(self, moment: datetime) -> tuple[date, time]:
        """The calendar's deemed start (local date, local time of day)."""
        local = moment.astimezone(self.zone)
        if self.is_working(local.date()):
            return local.date(), local.time()
        return self.calendar.next_working_day(local.date()), MIDNIGHT

    def add(self, start: datetime, days: int) -> datetime:
        """``WorkingCalendar.add_working_days(start, days)``, in ``start``'s time zone."""
        if days < 0:
            raise ValueError("days must be >= 0")
        day, at = self._begin(start)
        result = datetime.combine(self._nth(day, days), at, tzinfo=self.zone)
        return result.astimezone(start.tzinfo)

    def between(self, start: datetime, end: datetime) -> int:
        """``WorkingCalendar.working_days_between(start, end)``: whole working days elapsed."""
        if end < start:
            return -self.between(end, start)
        day, at = self._begin(start)
        stop = end.astimezone(self.zone)
        if stop.date() <= day:
            return 0
        n = self._count(day, stop.date())
        # The last candidate (the end's own date, if worked) counts only once its time is reached.
        if self.is_working(stop.date()) and stop.time() < at:
            n -= 1
        return n
