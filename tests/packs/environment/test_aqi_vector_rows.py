"""The rows the derivation stores (``aqi_vector.hourly_index_rows`` and ``daily_index_rows``,
built on ``hour_columns``) equal the scalar references ``aqi.hourly_aqi`` and ``aqi.daily_aqi``
hour by hour and day by day, on random hour arrays with gaps for every pollutant."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ioc.packs.environment import aqi
from ioc.packs.environment.aqi_vector import (
    IndexRow,
    daily_index_rows,
    hour_columns,
    hourly_index_rows,
)

HOUR = 3600
DAY = 24 * HOUR
FIRST_DAY = 1_773_075_600  # local midnight of 2026-03-10 at UTC+7 (17:00 UTC the day before)
DAYS = 3
BASE = FIRST_DAY - 12 * HOUR  # the columns start here: 12 hours before the first label
SPAN = 12 + DAYS * 24  # hours of data

# Values a station reports: often in the usual range, sometimes zero, at a breakpoint, beyond
# the tables, or unusable (negative, NaN, infinite: missing for both).
value = st.one_of(
    st.none(),
    st.floats(min_value=0, max_value=500, allow_nan=False),
    st.sampled_from([0.0, 25.0, 50.0, 80.0, 100.0, 150.0, 160.0, 400.0, 401.0, 10_000.0, 1e7]),
    st.sampled_from([-1.0, math.nan, math.inf]),
)


@st.composite
def series(draw: st.DrawFn) -> list[float | None]:
    """One pollutant's hours: values around a level (equal ones when the spread is 0, so
    sub-indices and 8-hour means tie; O3 above 400 µg/m³ when the level is), a share of
    missing hours (up to nearly all: days with one value, or just the coverage minimum), and
    a few values from ``value`` anywhere."""
    level = draw(st.sampled_from([0.0, 20.0, 150.0, 380.0, 420.0, 5000.0]))
    spread = draw(st.sampled_from([0.0, 0.1, 1.0]))
    missing = draw(st.sampled_from([0.0, 0.05, 0.25, 0.8, 0.97]))
    rnd = draw(st.randoms(use_true_random=False))
    hours: list[float | None] = [
        None if rnd.random() < missing else level * (1 + spread * (rnd.random() - 0.5))
        for _ in range(SPAN)
    ]
    for i, v in draw(st.lists(st.tuples(st.integers(0, SPAN - 1), value), max_size=4)):
        hours[i] = v
    return hours


stations = st.dictionaries(st.sampled_from(aqi.POLLUTANTS), series(), min_size=1)
policies = st.builds(
    aqi.AqiPolicy,
    nowcast_form=st.sampled_from(["normalised", "literal"]),
    cap=st.sampled_from([500, None]),
    min_daily_hours=st.sampled_from([0, 1, 18, 23, 24]),
    min_8h_values=st.sampled_from([1, 6, 8]),
)


def _stored(data: dict[str, list[float | None]]) -> tuple[dict[str, dict[int, float]], list]:
    """Hourly means keyed by hour start as the scalar code reads them, and the same as
    ``(series id, hour start, mean)`` rows as the database returns them (NULL for NaN)."""
    ordered = {p: data[p] for p in aqi.POLLUTANTS if p in data}
    means = {
        p: {BASE + j * HOUR: v for j, v in enumerate(values) if v is not None}
        for p, values in ordered.items()
    }
    rows = [
        (100 + aqi.POLLUTANTS.index(p), ts, None if math.isnan(v) else v)
        for p, m in means.items()
        for ts, v in m.items()
    ]
    # A NULL mean is missing for the scalar code too.
    means = {p: {ts: v for ts, v in m.items() if not math.isnan(v)} for p, m in means.items()}
    return means, rows[::-1]  # in no particular order


def _expected(result: aqi.AqiResult) -> tuple[object, ...]:
    subs = result.sub_indices
    return (result.aqi, result.dominant, *[subs.get(p) for p in aqi.POLLUTANTS])


def _by_label(rows: list[IndexRow]) -> dict[object, tuple[object, ...]]:
    return {row[0]: row[1:] for row in rows}


@settings(max_examples=300, deadline=None, derandomize=True)
@given(data=stations, policy=policies)
def test_stored_rows_equal_the_scalar_indices(
    data: dict[str, list[float | None]], policy: aqi.AqiPolicy
) -> None:
    means, rows = _stored(data)
    sids = {p: 100 + aqi.POLLUTANTS.index(p) for p in means}
    columns = hour_columns(rows, sids, BASE, SPAN)
    assert list(columns) == [p for p in aqi.POLLUTANTS if p in sids]

    first_label, last_label = FIRST_DAY, FIRST_DAY + DAYS * DAY
    hourly = _by_label(hourly_index_rows(columns, BASE, first_label, last_label, policy))
    for label in range(first_label, last_label + 1, HOUR):
        windows = {p: [m.get(label - HOUR * i) for i in range(1, 13)] for p, m in means.items()}
        want = aqi.hourly_aqi(windows, policy)
        assert hourly.get(label) == (None if want is None else _expected(want)), label

    daily = _by_label(daily_index_rows(columns, BASE, FIRST_DAY, DAYS, policy))
    o3 = means.get("o3", {})
    for start in range(FIRST_DAY, FIRST_DAY + DAYS * DAY, DAY):
        day_hours = {p: [m.get(start + HOUR * k) for k in range(24)] for p, m in means.items()}
        o3_prev = [o3.get(start - HOUR * k) for k in range(7, 0, -1)]
        want = aqi.daily_aqi(day_hours, o3_prev, policy)
        assert daily.get(start) == (None if want is None else _expected(want)), start


def test_values_are_plain_python_objects() -> None:
    # The drivers bind neither numpy integers nor NaN: rows hold int, str and None only.
    pm = [30.0] * SPAN
    rows = [(1, BASE + j * HOUR, v) for j, v in enumerate(pm)]
    columns = hour_columns(rows, {"pm25": 1, "co": 2}, BASE, SPAN)
    policy = aqi.AqiPolicy()
    for row in hourly_index_rows(columns, BASE, FIRST_DAY, FIRST_DAY, policy) + daily_index_rows(
        columns, BASE, FIRST_DAY, 1, policy
    ):
        assert [type(v) for v in row] == [int, int, str, int, *[type(None)] * 5]


def test_o3_8h_index_counts_and_stops_above_400() -> None:
    # O3 at 150 µg/m³ all day: the 1-hour index is 47, the 8-hour one 130.
    policy = aqi.AqiPolicy()
    hours = 7 + 24
    start = FIRST_DAY - 7 * HOUR
    pm = [(1, start + j * HOUR, 10.0) for j in range(hours)]
    o3 = [(2, start + j * HOUR, 150.0) for j in range(hours)]
    columns = hour_columns(pm + o3, {"pm25": 1, "o3": 2}, start, hours)
    ((_, index, dominant, _, _, o3_sub, *_),) = daily_index_rows(
        columns, start, FIRST_DAY, 1, policy
    )
    want = aqi.daily_aqi({"pm25": [10.0] * 24, "o3": [150.0] * 24}, [150.0] * 7, policy)
    assert want is not None
    assert (index, dominant, o3_sub) == (want.aqi, "o3", want.sub_indices["o3"])
    # Above 400 µg/m³ the 8-hour index is skipped and the 1-hour one stands.
    columns["o3"][:] = 450.0
    ((_, _, _, _, _, o3_sub, *_),) = daily_index_rows(columns, start, FIRST_DAY, 1, policy)
    assert o3_sub == aqi.round_half_up(aqi.sub_index("o3_1h", 450.0) or 0.0)


def test_buckets_off_the_hour_grid_or_outside_are_ignored() -> None:
    rows = [
        (1, BASE, 5.0),
        (1, BASE + 30 * 60, 7.0),
        (1, BASE - HOUR, 9.0),
        (1, BASE + 3 * HOUR, 8.0),
    ]
    (column,) = hour_columns(rows, {"pm25": 1}, BASE, 3).values()
    assert column.tolist()[0] == 5.0
    assert np.isnan(column[1:]).all()


def test_a_day_not_starting_on_the_hour_has_no_index() -> None:
    # Hourly means are stored per UTC hour: with a half-hour offset no hour starts a local day
    # (the scalar code finds no value either).
    rows = [(1, BASE + j * HOUR, 30.0) for j in range(SPAN)]
    columns = hour_columns(rows, {"pm25": 1}, BASE, SPAN)
    assert daily_index_rows(columns, BASE, FIRST_DAY + 30 * 60, 1, aqi.AqiPolicy()) == []


def test_columns_too_short_are_refused() -> None:
    columns = hour_columns([], {"pm25": 1}, BASE, 12)
    with pytest.raises(ValueError, match="end before"):
        hourly_index_rows(columns, BASE, FIRST_DAY, FIRST_DAY + HOUR, aqi.AqiPolicy())
    with pytest.raises(ValueError, match="7 hours"):
        daily_index_rows(columns, FIRST_DAY - 6 * HOUR, FIRST_DAY, 1, aqi.AqiPolicy())
