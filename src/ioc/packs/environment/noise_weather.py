"""Noise (LAeq day/night against limits) and weather flags (heat, heavy rain, strong wind).

The limits and periods are settings: QCVN 26:2010/BTNMT gives day 6–21 h and night 21–6 h with
70/55 dB(A) for ordinary areas, but these figures are unverified here and provinces may use the
special-area limits (55/45) near hospitals and schools.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core.clock import fixed_offset_seconds
from ioc.core.figures import entity_series
from ioc.core.models import Indicator, Series
from ioc.core.series import DAY, HOUR, read_hourly_means


@dataclass(frozen=True)
class NoiseDayNight:
    """Energy-averaged LAeq of the day and night hours of the last 24 hours."""

    day: float | None
    night: float | None
    day_over: bool
    night_over: bool


def energy_mean(levels: Iterable[float]) -> float | None:
    """LAeq of equal-length intervals: 10·log10(mean(10^(L/10))), not the arithmetic mean."""
    values = list(levels)
    if not values:
        return None
    return 10 * math.log10(sum(10 ** (v / 10) for v in values) / len(values))


def is_day_hour(label_hour: int, day_start: int, night_start: int) -> bool:
    """Whether the hour ENDING at local ``label_hour`` (0–23) lies in the daytime period."""
    start_of_hour = (label_hour - 1) % 24
    return day_start <= start_of_hour < night_start


def _series(session: Session, codes: list[str], indicator: str) -> dict[str, tuple[int, int]]:
    columns = (Series.subject_code, Series.id, Series.latest_ts)
    rows = session.execute(entity_series(codes, [indicator], *columns)).all()
    return {code: (sid, ts) for code, sid, ts in rows if ts is not None}


def noise_day_night(
    session: Session, codes: list[str], settings: object
) -> dict[str, NoiseDayNight]:
    """Per station: LAeq of the day and night hours in the 24 hours up to its newest value."""
    offset = fixed_offset_seconds(getattr(settings, "timezone", "Asia/Ho_Chi_Minh"))
    day_start = int(getattr(settings, "noise_day_start_hour", 6))
    night_start = int(getattr(settings, "noise_night_start_hour", 21))
    limit_day = float(getattr(settings, "noise_limit_day_db", 70.0))
    limit_night = float(getattr(settings, "noise_limit_night_db", 55.0))
    out: dict[str, NoiseDayNight] = {}
    for code, (sid, latest) in _series(session, codes, "laeq").items():
        end = (latest - 1) // HOUR * HOUR + HOUR  # start of the hour after the newest value
        means = read_hourly_means(session.connection(), [sid], end - DAY, end)[sid]
        day: list[float] = []
        night: list[float] = []
        for start, value in means.items():
            label_hour = ((start + HOUR + offset) // HOUR) % 24
            (day if is_day_hour(label_hour, day_start, night_start) else night).append(value)
        d, n = energy_mean(day), energy_mean(night)
        out[code] = NoiseDayNight(
            d, n, d is not None and d > limit_day, n is not None and n > limit_night
        )
    return out


def weather_flags(session: Session, codes: list[str], settings: object) -> dict[str, list[str]]:
    """Per station: message keys of the thresholds its latest values cross."""
    hot = float(getattr(settings, "weather_hot_c", 35.0))
    heavy = float(getattr(settings, "weather_rain_24h_mm", 50.0))
    windy = float(getattr(settings, "weather_wind_ms", 10.8))
    flags: dict[str, list[str]] = {code: [] for code in codes}
    latest = session.execute(
        select(
            Series.subject_code, Indicator.code, Series.latest_value, Series.id, Series.latest_ts
        )
        .join(Indicator, Indicator.id == Series.indicator_id)
        .where(
            Series.subject_kind == "entity",
            Series.subject_code.in_(codes),
            Indicator.code.in_(["air_temp", "rain", "wind_speed"]),
        )
    ).all()
    for code, indicator, value, sid, ts in latest:
        if value is None or ts is None:
            continue
        if indicator == "air_temp" and value >= hot:
            flags[code].append("env.flag.hot")
        elif indicator == "wind_speed" and value >= windy:
            flags[code].append("env.flag.wind")
        elif indicator == "rain":
            end = (ts - 1) // HOUR * HOUR + HOUR
            total = sum(
                read_hourly_means(session.connection(), [sid], end - DAY, end)[sid].values()
            )
            if total >= heavy:
                flags[code].append("env.flag.rain")
    return flags
