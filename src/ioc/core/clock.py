"""The one place that reads the wall clock (tests freeze it with :func:`set_now`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

_frozen: datetime | None = None


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
