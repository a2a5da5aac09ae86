"""Is a series up to date? Judged against the expected interval its indicator declares in the
catalog (``frequency``), never against one fixed age.

``frequency`` is an ISO 8601 duration (``PT5M``, ``PT1H``, ``P1D``, ``P1W``, ``P1M``, ``P3M``,
``P1Y``) or ``sampled`` — samples taken on a programme rather than a clock (laboratory water
samples), expected at least every ``IOC_FRESHNESS_SAMPLED_DAYS`` days.

A value stamped at the *start* of its period (``time_label: start``: a month's figure on the
1st, a week's count on Monday) is only known once the period is over, so its age is measured
from the period's end; a value stamped at the end of its period, or a sample stamped at its
sampling time, from the stamp itself. A series is on time while that age is at most
``interval × grace`` (``IOC_FRESHNESS_GRACE``): with 1.5 an hourly series is late 90 minutes
after its hour, a monthly one about six weeks after its month ended.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from ioc.settings import Settings

SAMPLED: Final = "sampled"
"""Frequency of series sampled on a programme (no fixed clock)."""

_DAY: Final = 86400
_DURATION: Final = re.compile(
    r"^P(?:(?P<y>\d+)Y)?(?:(?P<mo>\d+)M)?(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?"
    r"(?:T(?:(?P<h>\d+)H)?(?:(?P<mi>\d+)M)?(?:(?P<s>\d+)S)?)?$"
)
# The longest month and year, so a period never counts as over too early.
_UNITS: Final = {
    "y": 366 * _DAY,
    "mo": 31 * _DAY,
    "w": 7 * _DAY,
    "d": _DAY,
    "h": 3600,
    "mi": 60,
    "s": 1,
}


def interval_seconds(frequency: str, sampled_days: int) -> int | None:
    """Expected seconds between two values of a series of ``frequency`` (``None``: not a
    frequency the IOC understands)."""
    if frequency == SAMPLED:
        return sampled_days * _DAY
    match = _DURATION.match(frequency or "")
    if match is None:
        return None
    total = sum(int(v) * _UNITS[k] for k, v in match.groupdict().items() if v)
    return total or None


def is_fresh(
    frequency: str,
    time_label: str,
    latest_ts: int | None,
    now: int,
    *,
    grace: float,
    sampled_days: int,
) -> bool:
    """True when a series' newest value (stamped ``latest_ts``) is on time for its frequency
    (rules in the module docstring); a series that never reported, or whose frequency is not
    understood, is not."""
    interval = interval_seconds(frequency, sampled_days)
    if latest_ts is None or interval is None:
        return False
    known_at = latest_ts + interval if time_label == "start" and frequency != SAMPLED else latest_ts
    return now - known_at <= interval * grace


@dataclass(frozen=True)
class Policy:
    """The grace factor and the sampling interval in force (``IOC_FRESHNESS_*``)."""

    grace: float = 1.5
    sampled_days: int = 35


_policy = Policy()


def configure(settings: Settings) -> None:
    """Apply ``IOC_FRESHNESS_GRACE`` and ``IOC_FRESHNESS_SAMPLED_DAYS`` (``ioc.app.boot``)."""
    global _policy
    _policy = Policy(settings.freshness_grace, settings.freshness_sampled_days)


def policy() -> Policy:
    """The freshness policy in force."""
    return _policy


def on_time(frequency: str, time_label: str, latest_ts: int | None, now: int) -> bool:
    """:func:`is_fresh` under the configured policy."""
    return is_fresh(
        frequency,
        time_label,
        latest_ts,
        now,
        grace=_policy.grace,
        sampled_days=_policy.sampled_days,
    )
