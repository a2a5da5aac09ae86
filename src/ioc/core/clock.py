"""The one place that reads the wall clock (tests freeze it with :func:`set_now`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

_frozen: datetime | None = None

# Instants the IOC accepts from callers (readings, report times, query windows). From the day
# after the UNIX epoch: rollup buckets use integer division, exact for positive times only. To
# the start of year 9000: date arithmetic on an accepted time (next month, a 90-day window,
# working-day deadlines) stays far inside ``datetime``'s years 1–9999.
EARLIEST = datetime(1970, 1, 2, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
RANGE_TEXT = "1970-01-02 … 8999-12-31"


def accepted(value: datetime) -> bool:
    """Whether the aware ``value`` lies in the range of times the IOC accepts."""
    try:
        return EARLIEST <= value.astimezone(UTC) < LATEST
    except OverflowError:  # beyond year 1 or 9999 once in UTC
        return False


def now() -> datetime:
    """Current time, aware, in UTC."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC)


def set_now(value: datetime | None) -> None:
    """Freeze the clock at ``value`` (aware) or unfreeze with ``None``; for tests and demos."""
    global _frozen
    if value is not None and value.tzinfo is None:
        raise ValueError("frozen time must be timezone-aware")
    _frozen = value


@lru_cache(maxsize=8)
def local_zone(name: str = "Asia/Ho_Chi_Minh") -> ZoneInfo:
    """The IANA zone used for display and local-day buckets."""
    return ZoneInfo(name)


@lru_cache(maxsize=8)
def fixed_offset_seconds(name: str = "Asia/Ho_Chi_Minh") -> int:
    """UTC offset of ``name`` in seconds, checked to be constant (Vietnam has no DST since 1975).

    Day and month rollups are computed with integer arithmetic on this offset, so a zone with
    daylight saving would silently shift buckets; refuse it instead.
    """
    zone = local_zone(name)
    offsets = {
        zone.utcoffset(datetime(2000, month, 15, tzinfo=UTC).replace(tzinfo=None))
        for month in (1, 4, 7, 10)
    }
    if len(offsets) != 1:
        raise ValueError(
            f"time zone {name} has daylight saving; local-day rollups need a fixed offset"
        )
    (offset,) = offsets
    assert offset is not None
    return int(offset.total_seconds())


def local_tz(name: str = "Asia/Ho_Chi_Minh") -> timezone:
    """A fixed-offset ``timezone`` equal to ``name`` (fast for bulk conversions)."""
    return timezone(timedelta(seconds=fixed_offset_seconds(name)))
