"""The IOC's Vietnamese working-day calendar (lịch ngày làm việc), for every deadline.

Three layers decide whether a day is worked, each overriding the one before:

1. the PyPI ``holidays`` package (``holidays.VN``, Vietnamese names): public holidays with their
   substitute days, weekends, and the official swaps it knows (make-up Saturdays are worked);
2. the packaged data file ``ioc/data/calendar_vn.yaml``: official swaps the package lacks
   (e.g. the 2026 New Year swap: 02/01/2026 off, Saturday 10/01/2026 worked);
3. rows of the ``calendar_days`` table, edited by administrators
   (:func:`add_calendar_day`, :func:`remove_calendar_day`): new swaps, province days off,
   typhoon/flood closures.

Deadline rules (:meth:`WorkingCalendar.add_working_days`), in ``Asia/Ho_Chi_Minh``:

* A start on a working day, at any hour, keeps its local time of day: the deadline is that
  time on the N-th working day after the start's date. Working hours play no part, so a report
  received at 22:00 on Tuesday with 1 working day is due at 22:00 on Wednesday: the handler
  always gets N whole working days, whatever the hour of receipt.
* A start on a non-working day (weekend, holiday, closure) counts as received at 00:00 of the
  next working day (the Vietnamese "deemed received on the next working day" practice); the
  deadline is 00:00 on the N-th working day after that, i.e. the end of the N-th working day
  counting the day of deemed receipt as day 1.
* ``days == 0`` gives the (deemed) start itself.

The urgent track counts plain calendar hours (:meth:`WorkingCalendar.add_hours`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from importlib.resources import files
from typing import Any, Literal
from zoneinfo import ZoneInfo

import holidays
from sqlalchemy import Date, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ioc.core import audit, clock, yaml_text
from ioc.core.db import Base
from ioc.core.models import UTCDateTime

__all__ = [
    "CalendarDay",
    "CalendarError",
    "DayKind",
    "ExtraDay",
    "WorkingCalendar",
    "add_calendar_day",
    "default_calendar",
    "load_calendar",
    "remove_calendar_day",
]

DATA_FILE = "calendar_vn.yaml"
ZONE = "Asia/Ho_Chi_Minh"

DayKind = Literal["off", "work"]
DAY_KINDS: tuple[DayKind, ...] = ("off", "work")


class CalendarError(ValueError):
    """A refused calendar change, with a Vietnamese message safe to show (``en`` for English)."""

    def __init__(self, message: str, en: str = "", field: str | None = None) -> None:
        super().__init__(message)
        self.en = en or message
        self.field = field


class CalendarDay(Base):
    """Ngày điều chỉnh: an administrator's override of one day (swap, closure, province day off).

    ``kind`` ``off`` makes the day a non-working day, ``work`` a working day (a make-up
    Saturday); rows win over the package and the data file.
    """

    __tablename__ = "calendar_days"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    kind: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


@dataclass(frozen=True)
class ExtraDay:
    """One override of the package calendar (from the data file or the table)."""

    day: date
    kind: DayKind
    name: str


class WorkingCalendar:
    """Which days are worked in Vietnam's public administration, and deadline arithmetic.

    ``extra`` overrides the ``holidays`` package day by day (later entries of the iterable win,
    so pass the data file first and the database rows after). Instances are immutable and
    safe to share between threads once built.
    """

    def __init__(self, extra: Iterable[ExtraDay] = (), zone: str = ZONE) -> None:
        self._extra: dict[date, ExtraDay] = {}
        for item in extra:
            self._extra[item.day] = item
        self._zone = ZoneInfo(zone)
        # Years are filled on first use, under a lock: the package object mutates itself when
        # it expands to a new year, and a cached calendar is shared between threads.
        self._vn: Any = holidays.country_holidays("VN", years=(), language="vi", expand=False)
        self._makeup: set[date] = set()
        self._years_loaded: set[int] = set()
        self._lock = threading.Lock()

    @property
    def extra_days(self) -> Mapping[date, ExtraDay]:
        """The overrides on top of the package (data file and database rows)."""
        return dict(self._extra)

    def _load_year(self, year: int) -> None:
        if year in self._years_loaded:
            return
        with self._lock:
            if year in self._years_loaded:
                return
            # holidays.VN for one year, Vietnamese names.
            year_days: Any = holidays.country_holidays("VN", years=year, language="vi")
            self._vn.update(year_days)
            # Make-up Saturdays (làm bù) of the swaps the package knows.
            makeup = year_days.weekend_workdays
            self._makeup |= {d for d in makeup if d.year == year}
            self._years_loaded.add(year)

    def is_working_day(self, d: date) -> bool:
        """True when ``d`` is a working day (weekday that is no holiday, or a make-up day)."""
        extra = self._extra.get(d)
        if extra is not None:
            return extra.kind == "work"
        self._load_year(d.year)
        if d in self._vn:
            return False
        if d in self._makeup:
            return True
        return d.weekday() < 5

    def holiday_name(self, d: date) -> str | None:
        """Vietnamese name of the holiday or day off on ``d``; None for working days and for
        ordinary weekends."""
        extra = self._extra.get(d)
        if extra is not None:
            return extra.name if extra.kind == "off" else None
        self._load_year(d.year)
        name = self._vn.get(d)
        return str(name) if name else None

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after ``d``."""
        day = d + timedelta(days=1)
        for _ in range(3660):  # ten years without a working day means a broken calendar
            if self.is_working_day(day):
                return day
            day += timedelta(days=1)
        raise CalendarError("Không tìm thấy ngày làm việc", "No working day found")

    def _local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            raise ValueError("a timezone-aware datetime is required")
        return moment.astimezone(self._zone)

    def deemed_start(self, start: datetime) -> datetime:
        """When a deadline starts counting: ``start`` itself on a working day, else 00:00 local
        of the next working day (returned in the local zone)."""
        local = self._local(start)
        if self.is_working_day(local.date()):
            return local
        first = self.next_working_day(local.date())
        return datetime.combine(first, time(0, 0), tzinfo=self._zone)

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The deadline ``days`` working days after ``start`` (rules in the module docstring).

        Returned in ``start``'s time zone. ``days`` must be >= 0.
        """
        if days < 0:
            raise ValueError("days must be >= 0")
        begin = self.deemed_start(start)
        day = begin.date()
        for _ in range(days):
            day = self.next_working_day(day)
        result = datetime.combine(day, begin.timetz().replace(tzinfo=None), tzinfo=self._zone)
        return result.astimezone(start.tzinfo)

    def add_hours(self, start: datetime, hours: float) -> datetime:
        """``start`` plus ``hours`` calendar hours (urgent track: nights and holidays count)."""
        self._local(start)
        if hours < 0:
            raise ValueError("hours must be >= 0")
        return start + timedelta(hours=hours)

    def working_days_between(self, start: datetime, end: datetime) -> int:
        """Whole working days elapsed from ``start`` to ``end``: the largest ``n`` with
        ``add_working_days(start, n) <= end`` (negative, symmetrically, when ``end`` is before
        ``start``). So ``working_days_between(s, add_working_days(s, n)) == n``."""
        if end < start:
            return -self.working_days_between(end, start)
        begin = self.deemed_start(start)
        stop = self._local(end)
        count = 0
        day = begin.date()
        while True:
            day = self.next_working_day(day)
            if day > stop.date():
                return count
            candidate = datetime.combine(
                day, begin.timetz().replace(tzinfo=None), tzinfo=self._zone
            )
            if candidate > stop:
                return count
            count += 1

    def working_days_in_month(self, year: int, month: int) -> list[date]:
        """The working days of one month (for calendars shown to administrators)."""
        day = date(year, month, 1)
        out = []
        while day.month == month:
            if self.is_working_day(day):
                out.append(day)
            day += timedelta(days=1)
        return out


def _parse_extra(raw: Any, where: str) -> list[ExtraDay]:
    if not isinstance(raw, dict) or not isinstance(raw.get("days", []), list):
        raise ValueError(f"{where}: expected a mapping with a 'days' list")
    out = []
    for i, row in enumerate(raw.get("days") or []):
        if not isinstance(row, dict):
            raise ValueError(f"{where}: days[{i}] must be a mapping")
        day = row.get("date")
        if isinstance(day, str):
            day = date.fromisoformat(day)
        if not isinstance(day, date):
            raise ValueError(f"{where}: days[{i}].date must be an ISO date")
        kind = row.get("kind")
        if kind not in DAY_KINDS:
            raise ValueError(
                f'{where}: days[{i}].kind must be "off" or "work" (quoted: bare off is false)'
            )
        out.append(ExtraDay(day=day, kind=kind, name=str(row.get("name") or "")))
    return out


@lru_cache(maxsize=1)
def packaged_days() -> tuple[ExtraDay, ...]:
    """The overrides of the data file ``ioc/data/calendar_vn.yaml``."""
    text = files("ioc.data").joinpath(DATA_FILE).read_text(encoding="utf-8")
    return tuple(_parse_extra(yaml_text.load(text), DATA_FILE))


@lru_cache(maxsize=1)
def default_calendar() -> WorkingCalendar:
    """The calendar of the package plus the data file (cached; no database rows)."""
    return WorkingCalendar(packaged_days())


def load_calendar(session: Session) -> WorkingCalendar:
    """The full calendar: package, data file, then the administrators' ``calendar_days`` rows."""
    rows = session.execute(select(CalendarDay).order_by(CalendarDay.day)).scalars().all()
    if not rows:
        return default_calendar()
    extra = list(packaged_days())
    extra += [
        ExtraDay(day=r.day, kind="work" if r.kind == "work" else "off", name=r.name) for r in rows
    ]
    return WorkingCalendar(extra)


def add_calendar_day(
    session: Session, actor: audit.Actor, day: date, kind: str, name: str
) -> CalendarDay:
    """Thêm ngày điều chỉnh: declare ``day`` worked (``work``) or not (``off``)."""
    if kind not in DAY_KINDS:
        raise CalendarError(
            "Loại ngày phải là 'off' (nghỉ) hoặc 'work' (làm việc)",
            "Kind must be 'off' or 'work'",
            field="kind",
        )
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise CalendarError(
            "Tên ngày điều chỉnh bắt buộc (tối đa 200 ký tự)",
            "A name is required (at most 200 characters)",
            field="name",
        )
    existing = session.execute(
        select(CalendarDay).where(CalendarDay.day == day)
    ).scalar_one_or_none()
    if existing is not None:
        raise CalendarError(
            f"Ngày {day:%d/%m/%Y} đã được điều chỉnh ({existing.name}); hãy xóa trước",
            f"{day.isoformat()} is already adjusted; remove it first",
            field="day",
        )
    row = CalendarDay(day=day, kind=kind, name=name, created_by=actor.label, created_at=clock.now())
    session.add(row)
    session.flush()
    audit.record(
        session, actor, "calendar.add_day", "calendar_day", day.isoformat(), kind=kind, name=name
    )
    return row


def remove_calendar_day(session: Session, actor: audit.Actor, day: date) -> None:
    """Xóa ngày điều chỉnh: the day goes back to the package and data-file rules."""
    row = session.execute(select(CalendarDay).where(CalendarDay.day == day)).scalar_one_or_none()
    if row is None:
        raise CalendarError(
            f"Ngày {day:%d/%m/%Y} không có trong danh sách điều chỉnh",
            f"{day.isoformat()} is not an adjusted day",
            field="day",
        )
    detail = {"kind": row.kind, "name": row.name}
    session.delete(row)
    session.flush()
    audit.record(session, actor, "calendar.remove_day", "calendar_day", day.isoformat(), **detail)
