"""Dữ liệu quan trắc không khí mẫu (demo air-quality data) for `ioc demo`.

A pure generator, no database: it yields one row per station, pollutant and hour, with values
shaped like real automatic monitoring data in Đắk Lắk:

* Buôn Ma Thuột and Buôn Hồ (Central Highlands, about 500 m): dry season Nov–Apr with
  agricultural burning and regional haze peaking Feb–Apr, rainy season May–Oct that washes the
  air clean.
* Tuy Hòa (coast of the former Phú Yên): cleaner sea-breeze air, rainy season Sep–Dec, a milder
  dry-season maximum.

Values are hourly means in µg/m³ for every pollutant (CO included, as VN_AQI expects), the time
is the aware UTC end of the averaging hour. Missing data is represented by rows that are simply
not yielded. The output depends only on the seed, the stations and the time window; each station
draws from its own random streams, so adding or removing a station does not change the others.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

__all__ = [
    "AGENCY_CODE",
    "DEMO_STATIONS",
    "POLLUTANTS",
    "DemoStation",
    "StationKind",
    "expected_rows",
    "generate_hourly",
]

StationKind = Literal["urban_traffic", "urban_background", "industrial", "rural", "coastal"]

#: Sở Nông nghiệp và Môi trường (Department of Agriculture and Environment) operates the network.
AGENCY_CODE = "so-nong-nghiep-moi-truong"

#: Pollutant codes as in the FIWARE `AirQualityObserved` model; all values in µg/m³.
POLLUTANTS: tuple[str, ...] = ("pm25", "pm10", "o3", "no2", "so2", "co")


@dataclass(frozen=True)
class DemoStation:
    """Trạm quan trắc không khí tự động (automatic air monitoring station) for demo data."""

    code: str
    name: str
    lat: float
    lon: float
    commune_code: str
    agency_code: str
    kind: StationKind


def _station(
    code: str, name: str, lat: float, lon: float, commune_code: str, kind: StationKind
) -> DemoStation:
    return DemoStation(code, name, lat, lon, commune_code, AGENCY_CODE, kind)


# Coordinates are plausible real places (to about 100 m), not surveyed station sites.
DEMO_STATIONS: tuple[DemoStation, ...] = (
    _station("DL-BMT-01", "Trạm Quảng trường 10/3", 12.6676, 108.0379, "24133", "urban_traffic"),
    _station(
        "DL-BMT-02", "Trạm đường Nguyễn Tất Thành", 12.6835, 108.0560, "24121", "urban_traffic"
    ),
    _station("DL-BMT-03", "Trạm Thành Nhất", 12.6940, 108.0175, "24154", "urban_background"),
    _station("DL-BMT-04", "Trạm Cụm công nghiệp Tân An", 12.7160, 108.0490, "24163", "industrial"),
    _station("DL-BMT-05", "Trạm hồ Ea Kao", 12.6250, 108.0690, "24169", "urban_background"),
    _station("DL-BMT-06", "Trạm Hòa Phú", 12.5930, 107.9830, "24175", "rural"),
    _station("DL-BH-01", "Trạm Buôn Hồ", 12.9170, 108.2690, "24305", "urban_background"),
    _station("DL-TH-01", "Trạm bãi biển Tuy Hòa", 13.0950, 109.3265, "22015", "coastal"),
    _station("DL-TH-02", "Trạm Quốc lộ 1 Bình Kiến", 13.1150, 109.2850, "22045", "urban_traffic"),
    _station("DL-TH-03", "Trạm Phú Yên", 13.0600, 109.2050, "22240", "urban_background"),
)


def expected_rows(stations: Sequence[DemoStation], hours: int) -> int:
    """Upper bound of the rows `generate_hourly` yields (for progress bars); gaps make it less."""
    return len(stations) * len(POLLUTANTS) * max(hours, 0)


# --------------------------------------------------------------------------------------------
# Climatology tables
# --------------------------------------------------------------------------------------------

# Vietnam keeps UTC+7 all year (no daylight saving); diurnal and weekly cycles follow local time.
_LOCAL_OFFSET = timedelta(hours=7)
_HOUR = timedelta(hours=1)

Region = Literal["highlands", "coast"]

# Seasonal cycle of PM2.5, mid-month anchors (Jan … Dec), about 1.0 on average over the year.
# Highlands: the dry season builds from November, crop-residue and forest burning plus stagnant
# clear-sky nights give the haze maximum Feb–Apr (March worst); the first rains in May and the
# south-west monsoon Jun–Oct wash the air out (August cleanest).
# Coast: the north-east monsoon rains Sep–Dec are the clean season; Jan–Aug is drier, with a
# mild maximum in Mar–Apr when regional haze from the west reaches the coast.
_PM_SEASON: dict[Region, tuple[float, ...]] = {
    "highlands": (1.25, 1.6, 1.95, 1.7, 1.0, 0.65, 0.55, 0.5, 0.55, 0.7, 0.85, 1.05),
    "coast": (1.15, 1.2, 1.3, 1.3, 1.15, 1.1, 1.05, 1.0, 0.85, 0.65, 0.6, 0.8),
}

# Other pollutants follow the same weather (washout, inversion strength) but less strongly:
# multiplier = PM2.5 multiplier ** exponent. O3 is positive too: the sunny dry season with
# burning precursors is the ozone season in mainland South-East Asia. PM10 has a coarse
# (road and soil dust) part that is less tied to burning.
_SEASON_EXPONENT = {"pm25": 1.0, "pm10": 0.85, "o3": 0.35, "no2": 0.3, "so2": 0.3, "co": 0.5}

# Regional level: the coast is cleaner (sea breeze, fewer sources) for primary pollutants.
_REGION_FACTOR: dict[Region, dict[str, float]] = {
    "highlands": {"pm25": 1.0, "pm10": 1.0, "o3": 1.0, "no2": 1.0, "so2": 1.0, "co": 1.0},
    "coast": {"pm25": 0.62, "pm10": 0.7, "o3": 1.0, "no2": 0.8, "so2": 0.9, "co": 0.8},
}

# Annual mean (µg/m³) by station kind, before the regional factor. CO sits in the hundreds to
# low thousands; SO2 is low everywhere except near the industrial cluster; O3 is lowest at
# traffic sites (titration by fresh NO) and highest at rural and coastal sites.
_BASE: dict[StationKind, dict[str, float]] = {
    "urban_traffic": {"pm25": 27.0, "o3": 35.0, "no2": 32.0, "so2": 6.0, "co": 1100.0},
    "urban_background": {"pm25": 21.0, "o3": 50.0, "no2": 16.0, "so2": 4.0, "co": 700.0},
    "industrial": {"pm25": 25.0, "o3": 45.0, "no2": 22.0, "so2": 22.0, "co": 850.0},
    "rural": {"pm25": 18.0, "o3": 58.0, "no2": 6.0, "so2": 2.5, "co": 450.0},
    "coastal": {"pm25": 17.0, "o3": 55.0, "no2": 9.0, "so2": 3.0, "co": 420.0},
}

# PM10 / PM2.5 ratio by kind, inside the usual 1.5–2.2: road dust at traffic and industrial
# sites, unpaved roads at rural sites, sea salt on the coast. The ratio also moves with the
# seasons (see _SEASON_EXPONENT): burning haze is mostly fine particles, so the ratio is lowest
# in the haze months and highest in the clean rainy months.
_PM10_RATIO: dict[StationKind, float] = {
    "urban_traffic": 1.9,
    "urban_background": 1.7,
    "industrial": 2.05,
    "rural": 1.85,
    "coastal": 1.95,
}
_PM10_RATIO_RANGE = (1.4, 2.3)

# Relative traffic by local hour (index = start of the averaging hour). Motorbike traffic in a
# provincial city: morning rush peaking ~07:00, a lunchtime lull, evening rush ~17:00–19:00.
_TRAFFIC = (
    0.25, 0.15, 0.12, 0.12, 0.2, 0.55, 1.2, 1.75, 1.5, 1.15, 1.05, 1.05,
    1.0, 0.95, 1.0, 1.1, 1.35, 1.7, 1.8, 1.45, 1.1, 0.85, 0.6, 0.4,
)  # fmt: skip

# Relative inverse mixing height: a shallow nocturnal inversion traps ground-level emissions
# (high at night), the convective boundary layer dilutes them around 12:00–15:00.
_MIXING = (
    1.6, 1.65, 1.7, 1.7, 1.7, 1.65, 1.45, 1.2, 0.95, 0.8, 0.68, 0.6,
    0.56, 0.55, 0.56, 0.6, 0.7, 0.9, 1.15, 1.35, 1.45, 1.5, 1.55, 1.6,
)  # fmt: skip

# Evening household cooking and burning of garden and crop waste (PM and CO), 18:00–21:00.
_EVENING_BURN = tuple(1.0 if 17 <= h <= 21 else 0.0 for h in range(24))

# Coastal afternoon sea breeze brings clean marine air and dilutes primary pollutants.
_SEA_BREEZE = tuple(0.72 if 11 <= h <= 17 else 1.0 for h in range(24))

# Industrial cluster working hours (two shifts) for the SO2 and CO sources.
_WORKING = tuple(1.0 if 6 <= h <= 21 else 0.45 for h in range(24))

# Share of a primary pollutant that comes from local traffic (rest is regional background).
_TRAFFIC_SHARE: dict[str, dict[StationKind, float]] = {
    "pm25": {
        "urban_traffic": 0.35,
        "urban_background": 0.2,
        "industrial": 0.25,
        "rural": 0.1,
        "coastal": 0.15,
    },
    "no2": {
        "urban_traffic": 0.8,
        "urban_background": 0.6,
        "industrial": 0.5,
        "rural": 0.3,
        "coastal": 0.5,
    },
    "co": {
        "urban_traffic": 0.7,
        "urban_background": 0.5,
        "industrial": 0.4,
        "rural": 0.2,
        "coastal": 0.4,
    },
    "so2": {
        "urban_traffic": 0.3,
        "urban_background": 0.2,
        "industrial": 0.1,
        "rural": 0.1,
        "coastal": 0.2,
    },
}

# O3 at night as a share of its early-afternoon peak: fresh NO from traffic titrates ozone away
# at night, rural and coastal sites keep a higher background.
_O3_NIGHT_SHARE: dict[StationKind, float] = {
    "urban_traffic": 0.12,
    "urban_background": 0.25,
    "industrial": 0.22,
    "rural": 0.45,
    "coastal": 0.55,
}

# Weekly cycle of traffic (Monday = 0): lighter on Saturday, much lighter on Sunday, and no
# commuter morning rush on Sunday.
_WEEKDAY_TRAFFIC = (1.0, 1.0, 1.0, 1.0, 1.02, 0.9, 0.7)
_SUNDAY_MORNING = 0.75  # extra factor 06:00–09:00 on Sunday

# Log-normal noise amplitudes (standard deviation of the log) per pollutant:
#   regional: a synoptic weather process shared by all stations of a region (AR(1), ~2.5 days),
#             which makes bad days cluster into multi-day haze or clean-air episodes;
#   station:  local wind and emission changes (AR(1), ~8 h), shared by a station's analyzers;
#   analyzer: hour-to-hour variability of one analyzer (AR(1), ~3 h).
_SIGMA_REGIONAL = {"pm25": 0.34, "o3": 0.18, "no2": 0.2, "so2": 0.2, "co": 0.25}
_SIGMA_STATION = {"pm25": 0.18, "o3": 0.12, "no2": 0.2, "so2": 0.25, "co": 0.18}
_SIGMA_ANALYZER = {"pm25": 0.15, "o3": 0.1, "no2": 0.18, "so2": 0.2, "co": 0.15}
# Stack plumes make SO2 near the industrial cluster far more variable.
_SIGMA_INDUSTRIAL_SO2 = (0.45, 0.45)  # station, analyzer
_SIGMA_PM10_EXTRA = 0.08  # coarse fraction varies a little independently of PM2.5
_PHI_REGIONAL = math.exp(-1.0 / 60.0)
_PHI_STATION = math.exp(-1.0 / 8.0)
_PHI_ANALYZER = math.exp(-1.0 / 3.0)

# Missing data, as at real automatic stations:
#   ~1.5 % of hours the whole station is missing (datalogger or transmission glitch),
#   in ~3 % of hours one analyzer drops a value (QA/QC rejected, zero/span check), ~0.5 % of
#   each analyzer's hours, so ~2 % isolated missing rows in all;
#   a few multi-hour outages a year (power cut, analyzer repair), 6–48 h each; three in four
#   take the whole station down, the rest one analyzer.
_P_STATION_GAP = 0.015
_P_ANALYZER_GAP = 0.03
_OUTAGES_PER_YEAR = 3.0
_OUTAGE_HOURS = (6, 48)
_P_OUTAGE_WHOLE_STATION = 0.75


def _region(station: DemoStation) -> Region:
    """Climate region: east of the M'Drắk pass (~108.6° E) is the coastal plain of Tuy Hòa."""
    return "coast" if station.lon > 108.6 else "highlands"


def _interpolate_month(anchors: tuple[float, ...], day_of_year: int) -> float:
    """Linear interpolation between mid-month anchors (cyclic): no step at month ends."""
    position = (day_of_year - 15.5) / (365.25 / 12.0)  # 0.0 at mid-January
    low = math.floor(position)
    frac = position - low
    return anchors[low % 12] * (1.0 - frac) + anchors[(low + 1) % 12] * frac


def _season_log_table(region: Region, pollutant: str) -> list[float]:
    """log(seasonal multiplier) by day of year (index 1..366)."""
    exponent = _SEASON_EXPONENT[pollutant]
    anchors = _PM_SEASON[region]
    return [0.0] + [exponent * math.log(_interpolate_month(anchors, day)) for day in range(1, 367)]


def _diurnal_log_table(kind: StationKind, region: Region, pollutant: str) -> list[float]:
    """log(diurnal × weekly shape), index weekday * 24 + local hour, normalised to mean 1."""
    shape: list[float] = []
    for weekday in range(7):
        for hour in range(24):
            traffic = _TRAFFIC[hour] * _WEEKDAY_TRAFFIC[weekday]
            if weekday == 6 and 6 <= hour <= 9:
                traffic *= _SUNDAY_MORNING
            if pollutant == "o3":
                # Photochemistry: a bell peaking around 13:30–14:30 with the strongest sunshine,
                # falling to the night background after dusk.
                night = _O3_NIGHT_SHARE[kind]
                photo = math.exp(-(((hour + 0.5 - 14.0) / 3.6) ** 2))
                value = night + (1.0 - night) * photo
            elif pollutant == "so2" and kind == "industrial":
                # Stack emissions in working hours, mixed down to the ground at midday
                # (fumigation), so the inversion does not raise SO2 at night.
                sunday = 0.8 if weekday == 6 else 1.0
                value = (0.15 + 0.85 * _WORKING[hour] * sunday) * _MIXING[hour] ** -0.3
            else:
                share = _TRAFFIC_SHARE["pm25" if pollutant == "pm10" else pollutant][kind]
                emission = (1.0 - share) + share * traffic
                if pollutant in ("pm25", "pm10", "co"):
                    emission += 0.25 * _EVENING_BURN[hour]
                if kind == "industrial" and pollutant in ("co", "pm25", "pm10"):
                    emission *= 0.8 + 0.2 * _WORKING[hour]
                # Inversion: primary pollutants (and PM in particular) are higher at night.
                alpha = {"pm25": 0.85, "pm10": 0.8, "co": 0.9, "no2": 0.8, "so2": 0.5}[pollutant]
                value = emission * _MIXING[hour] ** alpha
            if region == "coast" and pollutant != "o3":
                value *= _SEA_BREEZE[hour]
            shape.append(value)
    mean = sum(shape) / len(shape)
    return [math.log(v / mean) for v in shape]


@dataclass
class _Channel:
    """One analyzer at one station: its precomputed tables and noise state."""

    pollutant: str
    log_base: float  # log of the annual mean, corrected for the log-normal noise bias
    diurnal: list[float]
    season: list[float]
    sigma_regional: float
    sigma_station: float
    sigma_analyzer: float
    missing: bytearray
    state: float = 0.0


def _missing_hours(rng: random.Random, hours: int) -> tuple[bytearray, list[bytearray]]:
    """Station-wide and per-analyzer missing-hour masks (1 = missing)."""
    station = bytearray(hours)
    analyzers = [bytearray(hours) for _ in POLLUTANTS]
    for h in range(hours):
        if rng.random() < _P_STATION_GAP:
            station[h] = 1
        if rng.random() < _P_ANALYZER_GAP:
            analyzers[rng.randrange(len(POLLUTANTS))][h] = 1
    # Outages arrive as a Poisson process (exponential gaps between their starts).
    rate = _OUTAGES_PER_YEAR / 8760.0
    start = rng.expovariate(rate)
    while start < hours:
        length = rng.randint(*_OUTAGE_HOURS)
        mask = station if rng.random() < _P_OUTAGE_WHOLE_STATION else rng.choice(analyzers)
        first = int(start)
        for h in range(first, min(first + length, hours)):
            mask[h] = 1
        start += length + rng.expovariate(rate)
    return station, analyzers


def _channels(station: DemoStation, seed: int, hours: int) -> list[_Channel]:
    region = _region(station)
    kind = station.kind
    gaps_rng = random.Random(f"{seed}/gaps/{station.code}")  # noqa: S311 - demo data, not security
    station_gaps, analyzer_gaps = _missing_hours(gaps_rng, hours)
    channels: list[_Channel] = []
    for index, pollutant in enumerate(POLLUTANTS):
        missing = bytearray(a | b for a, b in zip(station_gaps, analyzer_gaps[index], strict=True))
        key = "pm25" if pollutant == "pm10" else pollutant
        s_reg = _SIGMA_REGIONAL[key]
        s_sta, s_ana = _SIGMA_STATION[key], _SIGMA_ANALYZER[key]
        if kind == "industrial" and pollutant == "so2":
            s_sta, s_ana = _SIGMA_INDUSTRIAL_SO2
        diurnal = _diurnal_log_table(kind, region, pollutant)
        season = _season_log_table(region, pollutant)
        if pollutant == "pm10":
            # PM10 is PM2.5 times a ratio: this channel holds log(ratio), i.e. the PM10 shapes
            # relative to the PM2.5 ones, and only the coarse-fraction noise of its own.
            s_reg, s_sta, s_ana = 0.0, 0.0, _SIGMA_PM10_EXTRA
            fine_diurnal = _diurnal_log_table(kind, region, "pm25")
            fine_season = _season_log_table(region, "pm25")
            diurnal = [a - b for a, b in zip(diurnal, fine_diurnal, strict=True)]
            season = [a - b for a, b in zip(season, fine_season, strict=True)]
            mean = (
                _PM10_RATIO[kind] * _REGION_FACTOR[region]["pm10"] / _REGION_FACTOR[region]["pm25"]
            )
        else:
            mean = _BASE[kind][pollutant] * _REGION_FACTOR[region][pollutant]
        # E[exp(σZ)] = exp(σ²/2): subtract it so the annual mean stays close to the table value.
        variance = s_reg**2 + s_sta**2 + s_ana**2
        channels.append(
            _Channel(
                pollutant=pollutant,
                log_base=math.log(mean) - variance / 2.0,
                diurnal=diurnal,
                season=season,
                sigma_regional=s_reg,
                sigma_station=s_sta,
                sigma_analyzer=s_ana,
                missing=missing,
            )
        )
    return channels


def generate_hourly(
    stations: Sequence[DemoStation], start: datetime, hours: int, seed: int = 66
) -> Iterator[tuple[str, str, datetime, float]]:
    """Yield ``(station_code, pollutant, time, value_µg_m3)`` hour by hour.

    Args:
        stations: the stations to simulate (for example `DEMO_STATIONS`).
        start: aware start of the first averaging hour; it is truncated to the hour.
        hours: number of hours to generate.
        seed: the same seed, stations and window always give the same rows.

    Returns:
        An iterator in time order (then station, then pollutant). ``time`` is the aware UTC end
        of the averaging hour; missing hours are not yielded. Values are rounded to 0.1.
    """
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("start must be an aware datetime")
    start = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)

    regions = sorted({_region(s) for s in stations})
    region_rngs = {r: random.Random(f"{seed}/region/{r}") for r in regions}  # noqa: S311 - demo data
    region_state = {r: region_rngs[r].gauss(0.0, 1.0) for r in regions}
    station_rngs = [random.Random(f"{seed}/noise/{s.code}") for s in stations]  # noqa: S311 - demo data
    station_state = [rng.gauss(0.0, 1.0) for rng in station_rngs]
    station_region = [_region(s) for s in stations]
    all_channels = [_channels(s, seed, hours) for s in stations]
    for channels, rng in zip(all_channels, station_rngs, strict=True):
        for channel in channels:
            channel.state = rng.gauss(0.0, 1.0)  # start each process in its stationary state

    # Innovation scale that keeps each AR(1) process at unit variance.
    innov_reg = math.sqrt(1.0 - _PHI_REGIONAL**2)
    innov_sta = math.sqrt(1.0 - _PHI_STATION**2)
    innov_ana = math.sqrt(1.0 - _PHI_ANALYZER**2)
    exp = math.exp

    for h in range(hours):
        hour_start = start + h * _HOUR
        end = hour_start + _HOUR
        local = hour_start + _LOCAL_OFFSET
        slot = local.weekday() * 24 + local.hour
        day = local.timetuple().tm_yday
        for region, rng in region_rngs.items():
            region_state[region] = _PHI_REGIONAL * region_state[region] + innov_reg * rng.gauss(
                0.0, 1.0
            )
        for index, station in enumerate(stations):
            rng = station_rngs[index]
            z_station = _PHI_STATION * station_state[index] + innov_sta * rng.gauss(0.0, 1.0)
            station_state[index] = z_station
            z_region = region_state[station_region[index]]
            code = station.code
            pm25 = 0.0
            for channel in all_channels[index]:
                # Every process advances even when the hour is missing, so gaps never change
                # the values of the hours that are present.
                z = _PHI_ANALYZER * channel.state + innov_ana * rng.gauss(0.0, 1.0)
                channel.state = z
                log_value = (
                    channel.log_base
                    + channel.diurnal[slot]
                    + channel.season[day]
                    + channel.sigma_regional * z_region
                    + channel.sigma_station * z_station
                    + channel.sigma_analyzer * z
                )
                value = exp(log_value)
                if channel.pollutant == "pm25":
                    pm25 = value
                elif channel.pollutant == "pm10":
                    # The PM10 channel carries the PM10/PM2.5 ratio; keep it physical.
                    value = pm25 * min(max(value, _PM10_RATIO_RANGE[0]), _PM10_RATIO_RANGE[1])
                if channel.missing[h]:
                    continue
                yield code, channel.pollutant, end, round(value, 1)
