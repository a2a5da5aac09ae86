"""The vectorised hourly VN_AQI (``aqi_vector.hourly_aqi_run``) equals the scalar reference
``aqi.hourly_aqi`` hour by hour, on random hour arrays with gaps for every pollutant."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ioc.packs.environment import aqi
from ioc.packs.environment.aqi_vector import hourly_aqi_run

HOUR = 3600
FIRST = 1_773_100_800  # an hour label (2026-03-10 00:00 UTC)
SPAN = 40  # hours of data: labels FIRST … FIRST + 27 h see 12 hours back

# Values a station reports: often in the usual range, sometimes zero, at a breakpoint, beyond
# the table, or unusable (negative, NaN, infinite: missing for both).
value = st.one_of(
    st.none(),
    st.floats(min_value=0, max_value=300, allow_nan=False),
    st.sampled_from([0.0, 25.0, 50.0, 80.0, 150.0, 160.0, 10_000.0, 200_000.0, 1e7]),
    st.sampled_from([-1.0, math.nan, math.inf]),
)
series = st.lists(value, min_size=SPAN, max_size=SPAN)
stations = st.dictionaries(st.sampled_from(aqi.POLLUTANTS), series, min_size=1)
policies = st.builds(
    aqi.AqiPolicy,
    nowcast_form=st.sampled_from(["normalised", "literal"]),
    cap=st.sampled_from([500, None]),
)


def _means(data: dict[str, list[float | None]]) -> dict[str, dict[int, float]]:
    """Hourly means keyed by hour start, as the derivation reads them (gaps left out)."""
    start = FIRST - 12 * HOUR
    ordered = {p: data[p] for p in aqi.POLLUTANTS if p in data}
    return {
        p: {start + j * HOUR: v for j, v in enumerate(values) if v is not None}
        for p, values in ordered.items()
    }


@settings(max_examples=300, deadline=None, derandomize=True)
@given(data=stations, policy=policies)
def test_vectorised_hourly_index_equals_the_scalar_one(
    data: dict[str, list[float | None]], policy: aqi.AqiPolicy
) -> None:
    means = _means(data)
    last = FIRST + (SPAN - 13) * HOUR
    got = dict(hourly_aqi_run(means, FIRST, last, policy))
    for label in range(FIRST, last + 1, HOUR):
        windows = {p: [m.get(label - HOUR * i) for i in range(1, 13)] for p, m in means.items()}
        want = aqi.hourly_aqi(windows, policy)
        result = got.get(label)
        if want is None:
            assert result is None, label
            continue
        assert result is not None, label
        assert (result.aqi, result.dominant, result.sub_indices) == (
            want.aqi,
            want.dominant,
            want.sub_indices,
        )
        assert result.concentrations == pytest.approx(want.concentrations, rel=1e-12)


def test_decision_example_and_the_two_of_three_rule() -> None:
    # QĐ 1459 §2.3: PM2.5 09:00 … 20:00 gives index 41; without c2 and c3 there is no NowCast.
    pm = [26.9, 24.7, 20.5, 23.5, 19.5, 16.5, 19.0, 16.5, 20.3, 22.4, 19.6, 20.6]
    label = FIRST + 12 * HOUR
    means = {"pm25": {label - HOUR * (12 - j): v for j, v in enumerate(pm)}}
    ((at, result),) = hourly_aqi_run(means, label, label, aqi.AqiPolicy())
    assert (at, result.aqi, result.dominant) == (label, 41, "pm25")
    del means["pm25"][label - 2 * HOUR], means["pm25"][label - 3 * HOUR]
    assert hourly_aqi_run(means, label, label, aqi.AqiPolicy()) == []
