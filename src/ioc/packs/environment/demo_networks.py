"""Demo data for the water, noise and weather networks (pure generator, no database).

Patterns (documented so the demo reads true to a provincial operator):
- weather: Central Highlands temperatures 17–32 °C with a daily cycle peaking ~14:00, the coast
  warmer and flatter; rain mostly May–October in Buôn Ma Thuột and September–December in Tuy Hòa,
  in afternoon showers; humidity falls as temperature rises;
- noise: LAeq 62–72 dB(A) by day on a main road, 48–56 at night, quieter on Sundays;
  LAmax ~15 above;
- surface water: monthly laboratory samples; Hồ Lắk clean, the Sêrêpốk moderate, the Ba river near
  Tuy Hòa cleaner in the dry season and turbid with more coliform in the flood months.

The stations and the sample ranges are data, in ``demo_networks.yaml``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from typing import Any

from ioc.core import yaml_text
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


@dataclass(frozen=True)
class WaterParameter:
    """How the demo draws one parameter of a laboratory water sample."""

    indicator: str
    range: tuple[float, float]  # uniform draw …
    lake: tuple[float, float] | None  # … or this one at the lake station
    flood: tuple[float, float] | None  # … or this one in the flood months
    river_flood_add: float  # added to a river sample in the flood months
    digits: int


def _pair(value: Any) -> tuple[float, float] | None:
    return None if value is None else (float(value[0]), float(value[1]))


def _load() -> tuple[tuple[NetworkStation, ...], str, tuple[WaterParameter, ...]]:
    """Stations, lake station and sample parameters from ``demo_networks.yaml``."""
    raw: Any = yaml_text.load(
        (files("ioc.packs.environment") / "demo_networks.yaml").read_text(encoding="utf-8")
    )
    stations = tuple(
        NetworkStation(
            str(s["code"]),
            str(s["name"]),
            float(s["lat"]),
            float(s["lon"]),
            str(s["commune_code"]),
            str(s["entity_type"]),
            bool(s["coastal"]),
        )
        for s in raw["stations"]
    )
    parameters = tuple(
        WaterParameter(
            indicator=str(p["indicator"]),
            range=(float(p["range"][0]), float(p["range"][1])),
            lake=_pair(p.get("lake")),
            flood=_pair(p.get("flood")),
            river_flood_add=float(p.get("river_flood_add", 0)),
            digits=int(p["digits"]),
        )
        for p in raw["water_parameters"]
    )
    return stations, str(raw["lake_station"]), parameters


NETWORK_STATIONS, LAKE_STATION, WATER_PARAMETERS = _load()

Reading = tuple[str, str, datetime, float]


def _rainy(month: int, coastal: bool) -> bool:
    return month in (9, 10, 11, 12) if coastal else month in (5, 6, 7, 8, 9, 10)


def generate(start: datetime, hours: int, seed: int = 66) -> Iterator[Reading]:
    """``(station_code, indicator, time UTC, value)`` in time order; hourly values are stamped
    at the end of their hour, water samples at the sampling time (the 10th of each month, 09:00)."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    base = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    weather = [s for s in NETWORK_STATIONS if s.entity_type == "WeatherStation"]
    noise = [s for s in NETWORK_STATIONS if s.entity_type == "NoiseStation"]
    water = [s for s in NETWORK_STATIONS if s.entity_type == "WaterQualityStation"]
    raining = {s.code: 0 for s in weather}
    # One random stream for every network, drawn in a fixed order: weather, noise, water.
    for h in range(1, hours + 1):
        t = base + timedelta(hours=h)
        local = t + LOCAL
        for s in weather:
            yield from _weather_hour(s, t, local, rng, raining)
        for s in noise:
            yield from _noise_hour(s, t, local, rng)
        if local.day == 10 and local.hour == 9:
            for s in water:
                yield from _water_sample(s, t, local, rng)


def _weather_hour(
    s: NetworkStation, t: datetime, local: datetime, rng: random.Random, raining: dict[str, int]
) -> Iterator[Reading]:
    """One hour of a weather station; ``raining`` holds each station's hours of shower left."""
    hour = local.hour
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
    wind = (3.5 if s.coastal else 2.5) + 1.5 * math.sin((hour - 9) / 24 * 2 * math.pi)
    yield s.code, "wind_speed", t, round(max(0.0, wind + rng.gauss(0, 0.8)), 1)
    directions = (60, 90, 110) if s.coastal else (45, 60, 90, 120, 225, 250)
    yield s.code, "wind_dir", t, float(rng.choice(directions))
    pressure = (1009.0 if s.coastal else 948.0) + 2.0 * math.cos((hour - 10) / 12 * 2 * math.pi)
    yield s.code, "pressure", t, round(pressure + rng.gauss(0, 0.4), 1)


def _noise_hour(
    s: NetworkStation, t: datetime, local: datetime, rng: random.Random
) -> Iterator[Reading]:
    """One hour of a noise station: louder by day and at rush hours, quieter on Sundays."""
    hour = local.hour
    day = 6 <= hour < 22
    sunday = local.weekday() == 6
    laeq = (
        (68.0 if day else 52.0) - (3.0 if sunday else 0.0) + (2.0 if hour in (7, 17, 18) else 0.0)
    )
    laeq += rng.gauss(0, 1.5) - (2.0 if s.coastal else 0.0)
    yield s.code, "laeq", t, round(laeq, 1)
    yield s.code, "lamax", t, round(laeq + 14 + abs(rng.gauss(0, 4)), 1)


def _water_sample(
    s: NetworkStation, t: datetime, local: datetime, rng: random.Random
) -> Iterator[Reading]:
    """One laboratory sample of a water station (every parameter of ``WATER_PARAMETERS``)."""
    flood = _rainy(local.month, s.coastal)
    lake = s.code == LAKE_STATION
    for p in WATER_PARAMETERS:
        if flood and p.flood is not None:
            low, high = p.flood
        elif lake and p.lake is not None:
            low, high = p.lake
        else:
            low, high = p.range
        value = rng.uniform(low, high)
        if flood and not lake and p.river_flood_add:
            value += p.river_flood_add
        yield s.code, p.indicator, t, round(value, p.digits)
