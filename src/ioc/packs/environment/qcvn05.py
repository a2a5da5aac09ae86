"""QCVN 05:2023/BTNMT, Table 1: basic parameters of ambient air, µg/Nm³ (25 °C, 760 mmHg).

The national limits the station page compares concentrations with (exceedances), by pollutant,
averaging period and measurement date. Pure data and one lookup, no database; re-exported by
:mod:`ioc.packs.environment.aqi`.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal, get_args

__all__ = ["QCVN05_2023_EFFECTIVE", "Averaging", "qcvn05_limit"]

Averaging = Literal["1h", "8h", "24h", "year"]

#: QCVN 05:2023/BTNMT takes effect (TT 01/2023/TT-BTNMT); before it QCVN 05:2013 applied.
QCVN05_2023_EFFECTIVE = datetime.date(2023, 9, 12)
_PM25_24H_TIGHTENED = datetime.date(2026, 1, 1)

_QCVN05_2023: Mapping[str, Mapping[str, float]] = MappingProxyType(
    {
        "so2": {"1h": 350, "24h": 125, "year": 50},
        "co": {"1h": 30000, "8h": 10000},
        "no2": {"1h": 200, "24h": 100, "year": 40},
        "o3": {"1h": 200, "8h": 120},
        "tsp": {"1h": 300, "24h": 200, "year": 100},
        "pm10": {"24h": 100, "year": 50},
        "pm25": {"24h": 50, "year": 25},
    }
)


def qcvn05_limit(pollutant: str, averaging: Averaging, on: datetime.date) -> float | None:
    """QCVN 05:2023/BTNMT limit (µg/Nm³) for a pollutant and averaging period on a date.

    ``pollutant`` is a code of :data:`POLLUTANTS` or ``"tsp"``; ``None`` when the standard sets
    no limit for that averaging period (e.g. PM2.5 1 h). ``on`` is the *measurement* date, not
    today: the PM2.5 24-hour limit is 50 before 2026-01-01 and 45 from then. A ``datetime`` is
    reduced to its own date. Dates before 2023-09-12 raise ``ValueError``: QCVN 05:2013 applied
    then, with different values (PM10 24 h = 150), and a silent 2023 value would be wrong.
    """
    if isinstance(on, datetime.datetime):
        # datetime is a date subclass but refuses to compare with a plain date.
        on = on.date()
    limits = _QCVN05_2023.get(pollutant)
    if limits is None:
        raise ValueError(f"unknown pollutant {pollutant!r}; expected one of {sorted(_QCVN05_2023)}")
    if averaging not in get_args(Averaging):
        raise ValueError(f"unknown averaging {averaging!r}; expected one of {get_args(Averaging)}")
    if on < QCVN05_2023_EFFECTIVE:
        raise ValueError(
            f"QCVN 05:2023/BTNMT applies from {QCVN05_2023_EFFECTIVE.isoformat()}, "
            f"not to {on.isoformat()} (QCVN 05:2013 applied then)"
        )
    if pollutant == "pm25" and averaging == "24h" and on >= _PM25_24H_TIGHTENED:
        return 45.0
    limit = limits.get(averaging)
    return None if limit is None else float(limit)
