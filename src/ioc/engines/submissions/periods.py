"""Reporting periods (kỳ báo cáo): month ``2026-03``, quarter ``2026-Q1``, year ``2026``.

A period's value is stored in the series store at local midnight of the period's first day
(``time_label`` start), so the month rollup of that month holds it. Deadlines count working
days with the one IOC calendar (:mod:`ioc.core.calendar`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ioc.core.calendar import WorkingCalendar

FREQUENCIES = ("P1M", "P3M", "P1Y")
"""Frequencies of submitted indicators: monthly, quarterly, yearly."""

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")

_KEY = re.compile(r"^(\d{4})(?:-(\d{2})|-Q([1-4]))?$")


class PeriodError(ValueError):
    """A period text that is not ``YYYY-MM``, ``YYYY-Qn`` or ``YYYY``."""


@dataclass(frozen=True, order=True)
class Period:
    """One reporting period: ``year`` and ``index`` (month 1–12, quarter 1–4, or 1 for a year)."""

    frequency: str
    year: int
    index: int

    @property
    def key(self) -> str:
        """Text form: ``2026-03``, ``2026-Q1`` or ``2026``."""
        if self.frequency == "P1M":
            return f"{self.year}-{self.index:02d}"
        if self.frequency == "P3M":
            return f"{self.year}-Q{self.index}"
        return str(self.year)

    @property
    def first_month(self) -> int:
        """Month the period starts in."""
        if self.frequency == "P1M":
            return self.index
        if self.frequency == "P3M":
            return 3 * self.index - 2
        return 1

    @property
    def last_month(self) -> int:
        """Month the period ends in (the key of year-to-date arithmetic)."""
        if self.frequency == "P1M":
            return self.index
        if self.frequency == "P3M":
            return 3 * self.index
        return 12

    @property
    def start(self) -> date:
        """First day."""
        return date(self.year, self.first_month, 1)

    @property
    def end(self) -> date:
        """Last day."""
        month = self.last_month
        nxt = date(self.year + 1, 1, 1) if month == 12 else date(self.year, month + 1, 1)
        return nxt - timedelta(days=1)

    def label(self, lang: str = "vi") -> str:
        """Human label: ``Tháng 03/2026``, ``Quý I/2026``, ``Năm 2026``."""
        roman = {1: "I", 2: "II", 3: "III", 4: "IV"}
        if self.frequency == "P1M":
            return f"{'Tháng' if lang == 'vi' else 'Month'} {self.index:02d}/{self.year}"
        if self.frequency == "P3M":
            return f"{'Quý' if lang == 'vi' else 'Q'} {roman[self.index]}/{self.year}"
        return f"{'Năm' if lang == 'vi' else 'Year'} {self.year}"

    def ts(self, offset: int) -> int:
        """UNIX seconds the period's value is stored at: local midnight of its first day."""
        d = self.start
        return int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp()) - offset

    def previous(self) -> Period:
        """The period before (last month, last quarter, last year)."""
        if self.frequency == "P1Y" or self.index == 1:
            last = {"P1M": 12, "P3M": 4, "P1Y": 1}[self.frequency]
            return Period(self.frequency, self.year - 1, last)
        return Period(self.frequency, self.year, self.index - 1)

    def next(self) -> Period:
        """The period after."""
        last = {"P1M": 12, "P3M": 4, "P1Y": 1}[self.frequency]
        if self.index == last:
            return Period(self.frequency, self.year + 1, 1)
        return Period(self.frequency, self.year, self.index + 1)

    def same_last_year(self) -> Period:
        """The same period one year earlier (cùng kỳ năm trước)."""
        return Period(self.frequency, self.year - 1, self.index)

    def deadline(self, calendar: WorkingCalendar, working_days: int) -> datetime:
        """End (23:59:59 local) of the ``working_days``-th working day after the period ends;
        with 0, the end of the period's last day."""
        day = self.end
        for _ in range(working_days):
            day = calendar.next_working_day(day)
        return datetime.combine(day, time(23, 59, 59), tzinfo=ZONE).astimezone(UTC)


def parse_period(text: str) -> Period:
    """``2026-03`` / ``2026-Q1`` / ``2026`` → :class:`Period`."""
    match = _KEY.match(text.strip())
    if not match:
        raise PeriodError(f"Kỳ báo cáo không hợp lệ: {text!r} (invalid period)")
    year = int(match.group(1))
    if not 2000 <= year <= 2100:
        raise PeriodError(f"Năm ngoài phạm vi: {year} (year out of range)")
    if match.group(2):
        month = int(match.group(2))
        if not 1 <= month <= 12:
            raise PeriodError(f"Tháng không hợp lệ: {text!r} (invalid month)")
        return Period("P1M", year, month)
    if match.group(3):
        return Period("P3M", year, int(match.group(3)))
    return Period("P1Y", year, 1)


def period_of(frequency: str, day: date) -> Period:
    """The period of ``frequency`` containing ``day``."""
    if frequency == "P1M":
        return Period("P1M", day.year, day.month)
    if frequency == "P3M":
        return Period("P3M", day.year, (day.month - 1) // 3 + 1)
    return Period("P1Y", day.year, 1)


def local_today(now: datetime) -> date:
    """The local (Asia/Ho_Chi_Minh) date of ``now``."""
    return now.astimezone(ZONE).date()


def last_closed(frequency: str, now: datetime) -> Period:
    """The latest period of ``frequency`` that has ended by ``now`` (the one being reported)."""
    return period_of(frequency, local_today(now)).previous()


def recent_periods(now: datetime, months: int = 12) -> list[Period]:
    """Closed periods to choose from on the board: last ``months`` months, the quarters and
    years they touch; newest first within each frequency."""
    out: list[Period] = []
    for frequency, count in (("P1M", months), ("P3M", max(1, months // 3)), ("P1Y", 2)):
        p = last_closed(frequency, now)
        for _ in range(count):
            out.append(p)
            p = p.previous()
    return out


def months_of_year(frequency: str, year: int) -> list[Period]:
    """Every period of ``frequency`` in ``year``, in order."""
    count = {"P1M": 12, "P3M": 4, "P1Y": 1}[frequency]
    return [Period(frequency, year, i) for i in range(1, count + 1)]
