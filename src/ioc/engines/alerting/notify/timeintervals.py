"""Recurring time intervals (Alertmanager ``time_intervals``) for mute and active timings.

One interval is a mapping; an instant is inside it when every field that is given holds::

    times: ["22:00-06:00"]             # or [{start_time: "22:00", end_time: "06:00"}]
    weekdays: ["monday:friday", "sunday"]
    days_of_month: ["1:5", "-1"]       # negative counts from the end of the month
    months: ["january:march", "12"]
    years: ["2026:2027"]
    location: Asia/Ho_Chi_Minh         # IANA zone the fields are read in (our default)
    working_days: true                 # IOC extension: only on (false: never on) Vietnamese
                                       # working days (holidays and swapped days included)

Time ranges are ``[start, end)`` in minutes of the local day; ``24:00`` is allowed as an end. A
range that crosses midnight (``22:00-06:00``) is split into ``22:00-24:00`` and ``00:00-06:00``
of the *same* local day, as if both had been written (so with ``weekdays: [friday]`` it covers
Friday 00:00-06:00 and 22:00-24:00). Ranges are inclusive elsewhere (``monday:friday``); a
weekday range may wrap (``saturday:monday``).
"""

from __future__ import annotations

import calendar
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

log = logging.getLogger(__name__)

DEFAULT_LOCATION = "Asia/Ho_Chi_Minh"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
FIELDS = ("times", "weekdays", "days_of_month", "months", "years", "location", "working_days")
_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")

Range = tuple[int, int]


class TimeIntervalError(ValueError):
    """An interval that cannot be read; the message names the field (Vietnamese / English)."""


def _err(field: str, value: Any, vi: str, en: str) -> TimeIntervalError:
    return TimeIntervalError(f"Khung giờ, trường {field} = {value!r}: {vi} / {en}")


def _minutes(text: str, field: str, *, end: bool) -> int:
    found = _HHMM.match(text.strip())
    if not found:
        raise _err(field, text, "giờ phải có dạng HH:MM", "time must be HH:MM")
    hour, minute = int(found.group(1)), int(found.group(2))
    total = hour * 60 + minute
    if minute > 59 or total > 24 * 60 or (total == 24 * 60 and not end):
        raise _err(field, text, "giờ không hợp lệ", "invalid time of day")
    return total


def _parse_times(value: Any) -> tuple[Range, ...]:
    if not isinstance(value, list):
        raise _err("times", value, "phải là danh sách", "must be a list")
    ranges: list[Range] = []
    for item in value:
        if isinstance(item, str):
            if "-" not in item:
                raise _err("times", item, "cần dạng HH:MM-HH:MM", "expected HH:MM-HH:MM")
            start_text, end_text = item.split("-", 1)
        elif isinstance(item, Mapping):
            start_raw, end_raw = item.get("start_time"), item.get("end_time")
            if not isinstance(start_raw, str) or not isinstance(end_raw, str):
                raise _err("times", dict(item), "cần start_time và end_time", "needs start and end")
            start_text, end_text = start_raw, end_raw
        else:
            raise _err("times", item, "cần dạng HH:MM-HH:MM", "expected HH:MM-HH:MM")
        start = _minutes(start_text, "times", end=False)
        end = _minutes(end_text, "times", end=True)
        if start == end:
            raise _err("times", item, "giờ bắt đầu trùng giờ kết thúc", "empty time range")
        if start < end:
            ranges.append((start, end))
        else:
            # Crosses midnight: split into the evening part and the early-morning part.
            ranges.append((start, 24 * 60))
            if end > 0:
                ranges.append((0, end))
    return tuple(ranges)


def _number_or_name(text: str, field: str, names: tuple[str, ...], base: int) -> int:
    lowered = text.strip().lower()
    if lowered in names:
        return names.index(lowered) + base
    try:
        return int(lowered)
    except ValueError:
        raise _err(field, text, "giá trị không hợp lệ", "invalid value") from None


def _parse_ranges(
    value: Any,
    field: str,
    *,
    names: tuple[str, ...] = (),
    base: int = 1,
    low: int,
    high: int,
    allow_negative: bool = False,
    allow_wrap: bool = False,
) -> tuple[Range, ...]:
    if not isinstance(value, list):
        raise _err(field, value, "phải là danh sách", "must be a list")
    ranges: list[Range] = []
    for item in value:
        text = str(item)
        parts = text.split(":", 1) if ":" in text else [text, text]
        start = _number_or_name(parts[0], field, names, base)
        end = _number_or_name(parts[1], field, names, base)
        for bound in (start, end):
            ok = low <= bound <= high or (allow_negative and -high <= bound <= -1)
            if not ok:
                raise _err(field, item, "ngoài khoảng cho phép", "out of range")
        same_sign = (start < 0) == (end < 0)
        if same_sign and start > end and not allow_wrap:
            raise _err(field, item, "đầu khoảng lớn hơn cuối", "range start after end")
        ranges.append((start, end))
    return tuple(ranges)


@dataclass(frozen=True)
class TimeInterval:
    """One parsed interval (empty tuple = the field is not restricted)."""

    times: tuple[Range, ...] = ()
    weekdays: tuple[Range, ...] = ()  # Monday = 0
    days_of_month: tuple[Range, ...] = ()
    months: tuple[Range, ...] = ()
    years: tuple[Range, ...] = ()
    location: str = DEFAULT_LOCATION
    working_days: bool | None = None

    def contains(self, instant: datetime) -> bool:
        """Whether the aware ``instant`` falls inside this interval (read in ``location``)."""
        local = instant.astimezone(ZoneInfo(self.location))
        if self.times:
            minute = local.hour * 60 + local.minute
            if not any(start <= minute < end for start, end in self.times):
                return False
        if self.weekdays and not any(_in_wrapping(local.weekday(), s, e) for s, e in self.weekdays):
            return False
        if self.days_of_month:
            last = calendar.monthrange(local.year, local.month)[1]
            if not any(_day(s, last) <= local.day <= _day(e, last) for s, e in self.days_of_month):
                return False
        if self.months and not any(s <= local.month <= e for s, e in self.months):
            return False
        if self.years and not any(s <= local.year <= e for s, e in self.years):
            return False
        return self.working_days is None or is_working_day(local.date()) == self.working_days


def _in_wrapping(value: int, start: int, end: int) -> bool:
    return start <= value <= end if start <= end else value >= start or value <= end


def _day(bound: int, last: int) -> int:
    return bound if bound > 0 else last + 1 + bound


def is_working_day(day: date) -> bool:
    """Vietnamese working day (weekends, public holidays and swapped days considered)."""
    # Imported here: the calendar module is needed only for ``working_days``.
    try:
        from ioc.core.calendar import default_calendar
    except ImportError:  # pragma: no cover - only while the calendar module is missing
        log.warning("ioc.core.calendar missing; working days taken as Monday to Friday")
        return day.weekday() < 5
    return bool(default_calendar().is_working_day(day))


def parse_interval(spec: Mapping[str, Any]) -> TimeInterval:
    """Read one interval mapping; raises :class:`TimeIntervalError` naming the bad field."""
    if not isinstance(spec, Mapping):
        raise _err("time_intervals", spec, "mỗi khoảng phải là một bảng", "must be a mapping")
    unknown = sorted(set(spec) - set(FIELDS))
    if unknown:
        raise _err(unknown[0], spec[unknown[0]], "trường không được hỗ trợ", "unknown field")
    location = spec.get("location") or DEFAULT_LOCATION
    if not isinstance(location, str):
        raise _err("location", location, "phải là tên múi giờ", "must be a zone name")
    try:
        ZoneInfo(location)
    except (ZoneInfoNotFoundError, ValueError):
        raise _err("location", location, "múi giờ không tồn tại", "unknown time zone") from None
    working = spec.get("working_days")
    if working is not None and not isinstance(working, bool):
        raise _err("working_days", working, "phải là true hoặc false", "must be true or false")
    return TimeInterval(
        times=_parse_times(spec["times"]) if spec.get("times") is not None else (),
        weekdays=_parse_ranges(
            spec.get("weekdays") or [],
            "weekdays",
            names=WEEKDAYS,
            base=0,
            low=0,
            high=6,
            allow_wrap=True,
        )
        if _given(spec, "weekdays")
        else (),
        days_of_month=_parse_ranges(
            spec.get("days_of_month") or [], "days_of_month", low=1, high=31, allow_negative=True
        )
        if _given(spec, "days_of_month")
        else (),
        months=_parse_ranges(spec.get("months") or [], "months", names=MONTHS, low=1, high=12)
        if _given(spec, "months")
        else (),
        years=_parse_ranges(spec.get("years") or [], "years", low=1970, high=9999)
        if _given(spec, "years")
        else (),
        location=location,
        working_days=working,
    )


def _given(spec: Mapping[str, Any], name: str) -> bool:
    value = spec.get(name)
    if value is not None and not isinstance(value, list):
        raise _err(name, value, "phải là danh sách", "must be a list")
    return bool(value)


def parse_intervals(specs: Iterable[Mapping[str, Any]] | None) -> list[TimeInterval]:
    """Read a list of intervals (a named mute timing)."""
    if specs is None:
        return []
    if not isinstance(specs, list):
        raise _err("time_intervals", specs, "phải là danh sách", "must be a list")
    return [parse_interval(s) for s in specs]


def any_contains(intervals: Iterable[TimeInterval], instant: datetime) -> bool:
    """Whether ``instant`` is inside at least one of ``intervals``."""
    return any(i.contains(instant) for i in intervals)
