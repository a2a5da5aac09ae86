"""Demo data for the water, noise and weather networks (pure generator, no database).

Patterns (documented so the demo reads true to a provincial operator):
- weather: Central Highlands temperatures 17–32 °C with a daily cycle peaking ~14:00, the coast
  warmer and flatter; rain mostly May–October in Buôn Ma Thuột and September–December in Tuy Hòa,
  in afternoon showers; humidity falls as temperature rises;
- noise: LAeq 62–72 dB(A) by day on a main road, 48–56 at night, quieter on Sundays;
  LAmax ~15 above;
- surface water: monthly laboratory samples; Hồ Lắk clean, the Sêrêpốk moderate, the Ba river near
  Tuy Hòa cleaner in the dry season and turbid with more coliform in the flood months.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ioc.packs.environment.demo_data import AGENCY_CODE

LOCAL = timedelta(hours=7)


@dataclass(frozen=True)
class NetworkStation:
    """A demo station of another network."""

    code: str
    name: str
    lat: float
    lon: float
    commune_code: str
    entity_type: str
    coastal: bool
    agency_code: str = AGENCY_CODE


NETWORK_STATIONS: tuple[NetworkStation, ...] = (
    NetworkStation(
        "DL-KT-BMT",
        "Trạm khí tượng Buôn Ma Thuột",
        12.6660,
        108.0500,
        "24133",
        "WeatherStation",
        False,
    ),
    NetworkStation(
        "DL-KT-TH", "Trạm khí tượng Tuy Hòa", 13.0860, 109.2950, "22015", "WeatherStation", True
    ),
    NetworkStation(
        "DL-ON-BMT",
        "Trạm tiếng ồn ngã sáu Buôn Ma Thuột",
        12.6670,
        108.0385,
        "24133",
        "NoiseStation",
        False,
    ),
    NetworkStation(
        "DL-ON-TH",
        "Trạm tiếng ồn Quốc lộ 1 Tuy Hòa",
        13.1120,
        109.2900,
        "22045",
        "NoiseStation",
        True,
    ),
    NetworkStation(
        "DL-NM-HL",
        "Điểm quan trắc nước Hồ Lắk",
        12.4150,
        108.1950,
        "24580",
        "WaterQualityStation",
        False,
    ),
    NetworkStation(
        "DL-NM-SRP",
        "Điểm quan trắc sông Sêrêpốk (Buôn Đôn)",
        12.8850,
        107.8000,
        "24235",
        "WaterQualityStation",
        False,
    ),
    NetworkStation(
        "DL-NM-SB",
        "Điểm quan trắc sông Ba (cầu Đà Rằng)",
        13.0750,
        109.2750,
        "22015",
        "WaterQualityStation",
        True,
    ),
)


def _rainy(month: int, coastal: bool) -> bool:
    return month in (9, 10, 11, 12) if coastal else month in (5, 6, 7, 8, 9, 10)


def generate(
    start: datetime, hours: int, seed: int = 66
) -> Iterator[tuple[str, str, datetime, float]]:
    """``(station_code, indicator, time UTC, value)`` in time order; hourly values are stamped
    at the end of their hour, water samples at the sampling time (the 10th of each month, 09:00)."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    base = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    weather = [s for s in NETWORK_STATIONS if s.entity_type == "WeatherStation"]
    noise = [s for s in NETWORK_STATIONS if s.entity_type == "NoiseStation"]
    water = [s for s in NETWORK_STATIONS if s.entity_type == "WaterQualityStation"]
    raining = {s.code: 0 for s in weather}
    for h in range(1, hours + 1):
        t = base + timedelta(hours=h)
        local = t + LOCAL
        hour = local.hour
        for s in weather:
            season = math.cos((local.timetuple().tm_yday - 110) / 365 * 2 * math.pi)
            mean = (26.5 if s.coastal else 23.0) + (2.0 if s.coastal else 2.5) * season
            swing = 3.0 if s.coastal else 5.5
            temp = mean + swing * math.cos((hour - 14) / 24 * 2 * math.pi) + rng.gauss(0, 0.6)
            rainy = _rainy(local.month, s.coastal)
            if raining[s.code] > 0:
                raining[s.code] -= 1
            elif rainy and 13 <= hour <= 18 and rng.random() < 0.12:
                raining[s.code] = rng.randint(1, 4)
            rain = round(rng.expovariate(1 / 6.0), 1) if raining[s.code] else 0.0
            humidity = min(
                99.0,
                max(35.0, 92 - 2.6 * (temp - mean + swing) + (8 if rain else 0) + rng.gauss(0, 3)),
            )
            yield s.code, "air_temp", t, round(temp, 1)
            yield s.code, "humidity", t, round(humidity, 0)
            yield s.code, "rain", t, rain
            yield (
                s.code,
                "wind_speed",
                t,
                round(
                    max(
                        0.0,
                        (3.5 if s.coastal else 2.5)
                        + 1.5 * math.sin((hour - 9) / 24 * 2 * math.pi)
                        + rng.gauss(0, 0.8),
                    ),
                    1,
                ),
            )
            yield (
                s.code,
                "wind_dir",
                t,
                float(
                    rng.choice((45, 60, 90, 120, 225, 250))
                    if not s.coastal
                    else rng.choice((60, 90, 110))
                ),
            )
            yield (
                s.code,
                "pressure",
                t,
                round(
                    (1009.0 if s.coastal else 948.0)
                    + 2.0 * math.cos((hour - 10) / 12 * 2 * math.pi)
                    + rng.gauss(0, 0.4),
                    1,
                ),
            )
        for s in noise:
            day = 6 <= hour < 22
            sunday = local.weekday() == 6
            laeq = (
                (68.0 if day else 52.0)
                - (3.0 if sunday else 0.0)
                + (2.0 if hour in (7, 17, 18) else 0.0)
            )
            laeq += rng.gauss(0, 1.5) - (2.0 if s.coastal else 0.0)
            yield s.code, "laeq", t, round(laeq, 1)
            yield s.code, "lamax", t, round(laeq + 14 + abs(rng.gauss(0, 4)), 1)
        if local.day == 10 and hour == 9:
            for s in water:
                flood = _rainy(local.month, s.coastal)
                lake = s.code == "DL-NM-HL"
                yield s.code, "w_ph", t, round(rng.uniform(6.8, 7.6), 2)
                yield s.code, "w_temp", t, round(rng.uniform(24, 29), 1)
                yield (
                    s.code,
                    "w_do",
                    t,
                    round(rng.uniform(6.2, 7.4) if lake else rng.uniform(5.0, 6.8), 2),
                )
                yield (
                    s.code,
                    "w_bod5",
                    t,
                    round(
                        rng.uniform(2.0, 4.0)
                        if lake
                        else rng.uniform(3.5, 7.0) + (2 if flood else 0),
                        1,
                    ),
                )
                yield (
                    s.code,
                    "w_cod",
                    t,
                    round(
                        rng.uniform(6, 11) if lake else rng.uniform(10, 18) + (5 if flood else 0), 1
                    ),
                )
                yield (
                    s.code,
                    "w_nh4",
                    t,
                    round(rng.uniform(0.05, 0.25) if lake else rng.uniform(0.1, 0.45), 3),
                )
                yield s.code, "w_no3", t, round(rng.uniform(0.3, 1.5), 2)
                yield (
                    s.code,
                    "w_po4",
                    t,
                    round(rng.uniform(0.02, 0.08) if lake else rng.uniform(0.05, 0.22), 3),
                )
                yield (
                    s.code,
                    "w_tss",
                    t,
                    round(rng.uniform(8, 20) if not flood else rng.uniform(40, 120), 0),
                )
                yield (
                    s.code,
                    "w_coliform",
                    t,
                    round(
                        rng.uniform(800, 2000)
                        if lake
                        else rng.uniform(1800, 6500) + (3000 if flood else 0),
                        0,
                    ),
                )
