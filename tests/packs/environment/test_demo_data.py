"""Tests of the demo air-quality generator (pure, no database)."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from ioc.packs.environment.demo_data import (
    AGENCY_CODE,
    DEMO_STATIONS,
    POLLUTANTS,
    DemoStation,
    expected_rows,
    generate_hourly,
)

ICT = timezone(timedelta(hours=7))
START = datetime(2025, 1, 1, tzinfo=ICT)
YEAR = 8760
COMMUNES = {
    "24133", "24121", "24154", "24163", "24169", "24305", "22015", "22045", "22240", "24175",
}  # fmt: skip

Row = tuple[str, str, datetime, float]


@pytest.fixture(scope="module")
def year_rows() -> list[Row]:
    return list(generate_hourly(DEMO_STATIONS, START, YEAR))


def _station(code: str) -> DemoStation:
    return next(s for s in DEMO_STATIONS if s.code == code)


def _local_start(time: datetime) -> datetime:
    """Local (UTC+7) start of the averaging hour that ends at ``time``."""
    return (time - timedelta(hours=1)).astimezone(ICT)


def test_stations_are_plausible() -> None:
    assert len(DEMO_STATIONS) >= 10
    codes = [s.code for s in DEMO_STATIONS]
    assert len(set(codes)) == len(codes)
    assert {s.commune_code for s in DEMO_STATIONS} <= COMMUNES
    assert _station("DL-BMT-01").name == "Trạm Quảng trường 10/3"
    assert _station("DL-BMT-01").commune_code == "24133"
    for s in DEMO_STATIONS:
        assert 12.1 < s.lat < 13.8 and 107.4 < s.lon < 109.5, s
        assert s.agency_code == AGENCY_CODE
        assert s.name.startswith("Trạm ")
    assert {s.kind for s in DEMO_STATIONS} == {
        "urban_traffic", "urban_background", "industrial", "rural", "coastal",
    }  # fmt: skip


def test_deterministic_for_a_seed() -> None:
    stations = DEMO_STATIONS[:3]
    first = list(generate_hourly(stations, START, 300, seed=7))
    assert first == list(generate_hourly(stations, START, 300, seed=7))
    assert first != list(generate_hourly(stations, START, 300, seed=8))


def test_station_does_not_depend_on_the_others() -> None:
    alone = list(generate_hourly([_station("DL-TH-01")], START, 200))
    together = [r for r in generate_hourly(DEMO_STATIONS, START, 200) if r[0] == "DL-TH-01"]
    assert alone == together


def test_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        next(generate_hourly(DEMO_STATIONS, datetime(2025, 1, 1), 1))  # noqa: DTZ001


def test_expected_rows_is_an_upper_bound(year_rows: list[Row]) -> None:
    assert expected_rows(DEMO_STATIONS, YEAR) == len(DEMO_STATIONS) * 6 * YEAR
    assert len(year_rows) <= expected_rows(DEMO_STATIONS, YEAR)
    assert expected_rows(DEMO_STATIONS, 0) == 0


def test_values_finite_and_non_negative(year_rows: list[Row]) -> None:
    assert all(math.isfinite(v) and v >= 0.0 for *_, v in year_rows)
    assert {p for _, p, _, _ in year_rows} == set(POLLUTANTS)


def test_times_are_aware_utc_ends_of_hours(year_rows: list[Row]) -> None:
    times = {t for _, _, t, _ in year_rows}
    for t in times:
        assert t.tzinfo is UTC
        assert (t.minute, t.second, t.microsecond) == (0, 0, 0)
    # The first row is labelled with the END of the first averaging hour.
    assert min(times) == START + timedelta(hours=1)
    assert max(times) == START + timedelta(hours=YEAR)


def test_missing_share_is_realistic(year_rows: list[Row]) -> None:
    missing = 1.0 - len(year_rows) / expected_rows(DEMO_STATIONS, YEAR)
    assert 0.01 <= missing <= 0.06
    # Outages: somewhere a station is silent for at least 6 consecutive hours.
    hours = defaultdict(set)
    for code, pollutant, t, _ in year_rows:
        if pollutant == "pm25":
            hours[code].add(t)
    longest = 0
    for present in hours.values():
        run = 0
        for h in range(1, YEAR + 1):
            run = 0 if START + timedelta(hours=h) in present else run + 1
            longest = max(longest, run)
    assert longest >= 6


def _means(rows: list[Row], code: str, pollutant: str, key: str) -> dict[int, float]:
    groups: dict[int, list[float]] = defaultdict(list)
    for c, p, t, v in rows:
        if c == code and p == pollutant:
            local = _local_start(t)
            groups[getattr(local, key) if key != "weekday" else local.weekday()].append(v)
    return {k: statistics.fmean(v) for k, v in groups.items()}


def test_dry_season_haze_in_buon_ma_thuot(year_rows: list[Row]) -> None:
    monthly = _means(year_rows, "DL-BMT-01", "pm25", "month")
    assert monthly[3] >= 1.5 * monthly[8]
    # Worst days reach "Kém"/"Xấu" (24 h PM2.5 above 50), never absurd levels.
    daily: dict[date, list[float]] = defaultdict(list)
    for c, p, t, v in year_rows:
        if c == "DL-BMT-01" and p == "pm25":
            daily[_local_start(t).date()].append(v)
    day_means = [statistics.fmean(v) for v in daily.values() if len(v) >= 18]
    assert 60.0 <= max(day_means) <= 200.0
    rainy = [statistics.fmean(v) for d, v in daily.items() if 6 <= d.month <= 9]
    assert sum(m <= 25.0 for m in rainy) / len(rainy) >= 0.7  # mostly "Tốt"


def test_tuy_hoa_is_cleaner(year_rows: list[Row]) -> None:
    def annual(code: str) -> float:
        return statistics.fmean(v for c, p, _, v in year_rows if c == code and p == "pm25")

    assert annual("DL-TH-01") < 0.6 * annual("DL-BMT-01")


def test_ozone_peaks_in_the_afternoon(year_rows: list[Row]) -> None:
    for code in ("DL-BMT-01", "DL-BMT-06", "DL-TH-01"):
        by_hour = _means(year_rows, code, "o3", "hour")
        # hour = local start of the averaging hour: 13 is the hour ending 14:00.
        assert by_hour[13] > 1.5 * by_hour[2], code


def test_traffic_rush_hours_and_sunday(year_rows: list[Row]) -> None:
    by_hour = _means(year_rows, "DL-BMT-01", "no2", "hour")
    assert by_hour[7] > 1.5 * by_hour[13]
    assert by_hour[18] > 1.5 * by_hour[13]
    by_weekday = _means(year_rows, "DL-BMT-01", "no2", "weekday")
    assert by_weekday[6] < 0.9 * by_weekday[2]


def test_pm_higher_at_night(year_rows: list[Row]) -> None:
    by_hour = _means(year_rows, "DL-BMT-03", "pm25", "hour")
    assert by_hour[2] > 1.5 * by_hour[13]


def test_pm10_to_pm25_ratio(year_rows: list[Row]) -> None:
    pairs: dict[tuple[str, datetime], dict[str, float]] = defaultdict(dict)
    for c, p, t, v in year_rows:
        if p in ("pm25", "pm10"):
            pairs[(c, t)][p] = v
    ratios = [d["pm10"] / d["pm25"] for d in pairs.values() if len(d) == 2 and d["pm25"] >= 5]
    assert 1.5 <= statistics.median(ratios) <= 2.2
    assert all(1.3 <= r <= 2.4 for r in ratios)


def test_so2_and_co_levels(year_rows: list[Row]) -> None:
    so2: dict[str, list[float]] = defaultdict(list)
    co: list[float] = []
    for c, p, _, v in year_rows:
        if p == "so2":
            so2[c].append(v)
        elif p == "co":
            co.append(v)
    means = {c: statistics.fmean(v) for c, v in so2.items()}
    assert max(means, key=means.__getitem__) == "DL-BMT-04"  # the industrial cluster
    assert all(m < 15.0 for c, m in means.items() if c != "DL-BMT-04")
    assert 100.0 <= statistics.median(co) <= 3000.0
