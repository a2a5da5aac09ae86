"""Tests for the VN_AQI module (QĐ 1459/QĐ-TCMT) and the QCVN 05:2023 limits.

Every expected number is hand-checked; the arithmetic is in the comment next to it.
Source of the worked examples: QĐ 1459 §2.3, as summarised in the shared domain note
air-quality.md §8 (including the NO2 erratum of the hourly example).
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence

import pytest

from ioc.packs.environment.aqi import (
    BREAKPOINTS,
    CATEGORIES,
    INDEX_LEVELS,
    POLLUTANTS,
    AqiPolicy,
    AqiResult,
    Category,
    category,
    daily_aqi,
    hourly_aqi,
    nowcast,
    qcvn05_limit,
    rolling_8h_means,
    round_half_up,
    sub_index,
    to_ugm3,
)

LITERAL = AqiPolicy(nowcast_form="literal")
UNCAPPED = AqiPolicy(cap=None)

# QĐ 1459 §2.3.a: PM2.5 hourly means printed oldest → newest, 09:00 … 20:00.
NOWCAST_EXAMPLE_OLDEST_FIRST = (
    *(26.9, 24.7, 20.5, 23.5, 19.5, 16.5),  # 09:00 … 14:00
    *(19.0, 16.5, 20.3, 22.4, 19.6, 20.6),  # 15:00 … 20:00
)
# The API wants c1 (the current hour, 20:00) first.
NOWCAST_EXAMPLE = tuple(reversed(NOWCAST_EXAMPLE_OLDEST_FIRST))


# --------------------------------------------------------------------------------------------
# Rounding
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        (0.0, 0),
        (0.5, 1),  # banker's round(0.5) = 0
        (1.5, 2),
        (2.5, 3),  # banker's round(2.5) = 2
        (24.5, 25),  # banker's 24
        (50.5, 51),  # banker's 50: Trung bình instead of Tốt
        (109.5, 110),  # daily example; banker's also 110 only because 110 is even
        (59.35, 59),  # hourly example NO2
        (65.4, 65),  # ceiling would give 66 and contradict the decision
        (44.65, 45),
        (0.4999, 0),
        (2.0, 2),
        (499.5, 500),
    ],
)
def test_round_half_up(x: float, expected: int) -> None:
    assert round_half_up(x) == expected


def test_round_half_up_differs_from_bankers_rounding() -> None:
    assert round(2.5) == 2
    assert round_half_up(2.5) == 3


def test_round_half_up_absorbs_floating_point_noise_below_a_half() -> None:
    # 0.1 * 3 * 5 = 1.5000000000000002 and 1.4999999999999998 are both "1.5" within 1e-9.
    assert round_half_up(1.4999999999999998) == 2
    assert round_half_up(1.4999) == 1


@pytest.mark.parametrize("x", [math.nan, math.inf, -math.inf])
def test_round_half_up_rejects_non_finite(x: float) -> None:
    with pytest.raises(ValueError, match="non-finite"):
        round_half_up(x)


# --------------------------------------------------------------------------------------------
# NowCast
# --------------------------------------------------------------------------------------------


def test_nowcast_worked_example() -> None:
    # w* = Cmin/Cmax = 16.5/26.9 = 0.6134 > 1/2, so w = w*.
    # Σ w^(i-1)·c_i / Σ w^(i-1) with c1 = 20.6 (20:00) … c12 = 26.9 (09:00) = 20.2658,
    # printed 20.3 by the decision. Reversing the list would give a different value.
    value = nowcast(NOWCAST_EXAMPLE)
    assert value is not None
    assert round(value, 2) == 20.27
    assert value == pytest.approx(20.2658, abs=1e-4)
    wrong_way = nowcast(NOWCAST_EXAMPLE_OLDEST_FIRST)
    assert wrong_way is not None
    assert round(wrong_way, 2) != 20.27


def test_nowcast_worked_example_by_hand() -> None:
    # Independent evaluation of Formula 2 with w = 16.5/26.9.
    w = 16.5 / 26.9
    numerator = sum(w**i * c for i, c in enumerate(NOWCAST_EXAMPLE))
    denominator = sum(w**i for i in range(12))
    assert nowcast(NOWCAST_EXAMPLE) == pytest.approx(numerator / denominator)


def test_nowcast_half_weight_normalised() -> None:
    # c = [50, 10 × 11]: w* = 10/50 = 0.2 ≤ 1/2 → w = 1/2.
    # (50 + 10·Σ_{i=1..11} 0.5^i) / Σ_{i=0..11} 0.5^i = (50 + 9.99512) / 1.99951 = 30.00488
    value = nowcast([50.0] + [10.0] * 11)
    assert value == pytest.approx(30.00488, abs=1e-5)
    assert value is not None
    assert round(value, 3) == 30.005


def test_nowcast_half_weight_literal() -> None:
    # 0.5·50 + 10·Σ_{i=2..12} 0.5^i = 25 + 10·(0.5 − 0.5^12) = 25 + 4.99756 = 29.99756
    value = nowcast([50.0] + [10.0] * 11, LITERAL)
    assert value == pytest.approx(29.99756, abs=1e-5)
    assert value is not None
    assert round(value, 3) == 29.998


def test_nowcast_forms_agree_when_weight_above_half() -> None:
    # The policy only changes the w = 1/2 case; the worked example has w = 0.61.
    assert nowcast(NOWCAST_EXAMPLE, LITERAL) == nowcast(NOWCAST_EXAMPLE)


def test_nowcast_two_of_three_c3_missing_gives_a_value() -> None:
    # c1 = 20, c2 = 10: w* = 0.5 → w = 1/2; (20 + 0.5·10) / (1 + 0.5) = 25/1.5 = 16.667
    assert nowcast([20.0, 10.0, None]) == pytest.approx(50 / 3)
    assert nowcast([20.0, 10.0]) == pytest.approx(50 / 3)


def test_nowcast_two_of_three_c1_missing_gives_a_value() -> None:
    # c2 = 12, c3 = 12 present: 2 of 3; w = 1; mean of the present values.
    assert nowcast([None, 12.0, 12.0]) == pytest.approx(12.0)


def test_nowcast_only_c1_present_is_no_data() -> None:
    # Plenty of older values do not help: the rule is about c1, c2, c3.
    assert nowcast([20.0, None, None, 20.0, 20.0, 20.0, 20.0, 20.0, 20.0, 20.0, 20.0, 20.0]) is None
    assert nowcast([20.0]) is None
    assert nowcast([]) is None


def test_nowcast_missing_value_drops_out_with_half_weight() -> None:
    # c = [20, –, 10]: w* = 10/20 = 0.5 → w = 1/2.
    # Normalised: (1·20 + 0.25·10) / (1 + 0.25) = 22.5 / 1.25 = 18.0
    # Literal:    0.5·20 + 0.125·10 = 10 + 1.25 = 11.25
    assert nowcast([20.0, None, 10.0]) == pytest.approx(18.0)
    assert nowcast([20.0, None, 10.0], LITERAL) == pytest.approx(11.25)


def test_nowcast_missing_value_drops_out_with_computed_weight() -> None:
    # c = [30, –, 20, 24]: w* = 20/30 = 2/3.
    # numerator   = 30 + (2/3)²·20 + (2/3)³·24 = 30 + 80/9 + 64/9 = 30 + 16 = 46
    # denominator = 1 + 4/9 + 8/27 = 47/27
    # NowCast = 46 · 27/47 = 1242/47 = 26.4255. Treating "–" as 0 would give w* = 0 instead.
    assert nowcast([30.0, None, 20.0, 24.0]) == pytest.approx(1242 / 47)


def test_nowcast_constant_series_is_that_value() -> None:
    assert nowcast([15.0] * 12) == pytest.approx(15.0)


def test_nowcast_all_zero_is_zero() -> None:
    # w* = 0/0 is undefined; the weighted mean of zeros is 0.
    assert nowcast([0.0] * 12) == 0.0


def test_nowcast_uses_only_twelve_hours() -> None:
    assert nowcast([10.0] * 12 + [1000.0]) == pytest.approx(10.0)


def test_nowcast_treats_invalid_values_as_missing() -> None:
    # NaN and a negative value are QA/QC failures: c1 alone is left → no data.
    assert nowcast([10.0, math.nan, -5.0]) is None
    assert nowcast([10.0, math.nan, 10.0]) == pytest.approx(10.0)


# --------------------------------------------------------------------------------------------
# Sub-index (Formula 1 / Table 2)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "level"),
    [(t, i) for t, bps in BREAKPOINTS.items() for i in range(len(bps))],
)
def test_every_breakpoint_maps_to_its_index_level(table: str, level: int) -> None:
    # Contiguous segments: each BP_i gives exactly I_i, whichever neighbour segment is used.
    assert sub_index(table, BREAKPOINTS[table][level]) == pytest.approx(INDEX_LEVELS[level])


def test_breakpoint_table_is_table_2() -> None:
    assert INDEX_LEVELS == (0, 50, 100, 150, 200, 300, 400, 500)
    assert BREAKPOINTS["pm25"] == (0, 25, 50, 80, 150, 250, 350, 500)
    assert BREAKPOINTS["pm10"] == (0, 50, 150, 250, 350, 420, 500, 600)
    assert BREAKPOINTS["o3_1h"] == (0, 160, 200, 300, 400, 800, 1000, 1200)
    assert BREAKPOINTS["o3_8h"] == (0, 100, 120, 170, 210, 400)
    assert BREAKPOINTS["co"] == (0, 10000, 30000, 45000, 60000, 90000, 120000, 150000)
    assert BREAKPOINTS["so2"] == (0, 125, 350, 550, 800, 1600, 2100, 2630)
    assert BREAKPOINTS["no2"] == (0, 100, 200, 700, 1200, 2350, 3100, 3850)


def test_pm25_boundaries() -> None:
    assert sub_index("pm25", 25) == 50
    assert sub_index("pm25", 50) == 100
    # 50 + (100−50)/(50−25)·(25.0001 − 25) = 50 + 2·0.0001 = 50.0002: no ".1" gap, no jump.
    just_above = sub_index("pm25", 25.0001)
    assert just_above == pytest.approx(50.0002)
    assert just_above is not None
    assert just_above > 50
    assert round_half_up(just_above) == 50


@pytest.mark.parametrize(
    ("table", "concentration", "expected"),
    [
        ("pm25", 12.5, 25.0),  # 50/25 · 12.5
        ("pm25", 65.0, 125.0),  # 100 + 50/30 · 15
        ("pm10", 100.0, 75.0),  # 50 + 50/100 · 50
        ("pm10", 460.0, 350.0),  # 300 + 100/80 · 40
        ("o3_1h", 180.0, 75.0),  # 50 + 50/40 · 20
        ("o3_8h", 110.0, 75.0),  # 50 + 50/20 · 10
        ("co", 20000.0, 75.0),  # 50 + 50/20000 · 10000
        ("so2", 237.5, 75.0),  # 50 + 50/225 · 112.5
        ("no2", 450.0, 125.0),  # 100 + 50/500 · 250
        ("no2", 101.0, 50.5),  # 50 + 50/100 · 1 → rounds to 51 (half-up)
    ],
)
def test_sub_index_interpolates_linearly(table: str, concentration: float, expected: float) -> None:
    assert sub_index(table, concentration) == pytest.approx(expected)


def test_worked_example_hourly_sub_indices() -> None:
    # QĐ 1459 §2.3.b, unrounded:
    # O3 (1h): 50/160 · 136.1 = 42.53125 → 43
    # NO2:     50 + 50/100 · (118.7 − 100) = 59.35 → 59 (the decision prints 60: erratum)
    # PM2.5:   50/25 · 20.3 = 40.6 → 41
    assert sub_index("o3_1h", 136.1) == pytest.approx(42.53125)
    assert sub_index("no2", 118.7) == pytest.approx(59.35)
    assert sub_index("pm25", 20.3) == pytest.approx(40.6)


def test_worked_example_daily_sub_indices() -> None:
    # QĐ 1459 §2.3.c:
    # O3 (8h): 50/100 · 89.3 = 44.65 → 45
    # O3 (1h): 50/160 · 114.6 = 35.8125 → 36
    # NO2:     50 + 50/100 · 30.8 = 65.4 → 65
    # PM2.5:   100 + 50/30 · 5.7 = 109.5 → 110
    cases = [("o3_8h", 89.3, 44.65, 45), ("o3_1h", 114.6, 35.8125, 36)]
    cases += [("no2", 130.8, 65.4, 65), ("pm25", 55.7, 109.5, 110)]
    for table, c, unrounded, rounded in cases:
        value = sub_index(table, c)
        assert value == pytest.approx(unrounded), table
        assert value is not None
        assert round_half_up(value) == rounded, table


def test_o3_8h_above_400_is_not_indexed() -> None:
    assert sub_index("o3_8h", 400) == 300
    assert sub_index("o3_8h", 400.0001) is None
    assert sub_index("o3_8h", 401, UNCAPPED) is None


def test_cap_at_500_above_level_8() -> None:
    assert sub_index("pm25", 500) == 500
    assert sub_index("pm25", 600) == 500
    assert sub_index("co", 1_000_000) == 500


def test_no_cap_extrapolates_last_segment() -> None:
    # PM2.5 last segment 350→500 maps 400→500, slope 100/150:
    # 400 + (100/150)·(600 − 350) = 400 + 166.667 = 566.667
    assert sub_index("pm25", 600, UNCAPPED) == pytest.approx(1700 / 3)
    # PM10 last segment 500→600 maps 400→500, slope 1: 400 + 1·(700 − 500) = 600
    assert sub_index("pm10", 700, UNCAPPED) == pytest.approx(600)


def test_custom_cap() -> None:
    assert sub_index("pm25", 600, AqiPolicy(cap=400)) == 400


@pytest.mark.parametrize("bad", [-0.1, math.nan, math.inf])
def test_sub_index_of_invalid_concentration_is_none(bad: float) -> None:
    assert sub_index("pm25", bad) is None


def test_sub_index_unknown_table() -> None:
    with pytest.raises(ValueError, match="unknown sub-index table 'o3'"):
        sub_index("o3", 10)


# --------------------------------------------------------------------------------------------
# Hourly AQI
# --------------------------------------------------------------------------------------------


def test_hourly_worked_example_expects_59_not_60() -> None:
    # QĐ 1459 §2.3.b. ERRATUM: the decision prints AQI(NO2) = 60 and AQI^h = 60, but
    # 50 + 50/100 · (118.7 − 100) = 59.35, which rounds half-up to 59.
    # PM2.5 uses the NowCast of §2.3.a (20.2658 unrounded): 2 · 20.2658 = 40.53 → 41.
    result = hourly_aqi({"pm25": NOWCAST_EXAMPLE, "o3": [136.1], "no2": [118.7]})
    assert isinstance(result, AqiResult)
    assert (result.aqi, result.dominant) == (59, "no2")
    assert result.sub_indices == {"pm25": 41, "o3": 43, "no2": 59}
    assert result.concentrations == pytest.approx(
        {"pm25": 20.2658, "o3": 136.1, "no2": 118.7}, abs=1e-4
    )
    assert result.category.key == "moderate"


def test_hourly_with_the_printed_nowcast() -> None:
    # The decision's rounded NowCast 20.3 (two equal hours give NowCast 20.3):
    # 2 · 20.3 = 40.6 → 41.
    result = hourly_aqi({"pm25": [20.3, 20.3]})
    assert result is not None
    assert result.sub_indices == {"pm25": 41}
    assert result.aqi == 41


def test_hourly_without_pm_is_none_not_zero() -> None:
    assert hourly_aqi({"o3": [300.0], "no2": [150.0], "so2": [100.0], "co": [5000.0]}) is None
    assert hourly_aqi({}) is None


def test_hourly_pm_without_nowcast_is_none() -> None:
    # Only c1 present: the 2-of-3 rule gives no NowCast, so no VN_AQI even with gases.
    assert hourly_aqi({"pm25": [30.0, None, None], "pm10": [None], "no2": [150.0]}) is None


def test_hourly_pm10_alone_is_enough() -> None:
    # NowCast of [100, 100] = 100; PM10: 50 + 50/100 · 50 = 75
    result = hourly_aqi({"pm10": [100.0, 100.0]})
    assert result is not None
    assert (result.aqi, result.dominant) == (75, "pm10")


def test_hourly_gases_use_the_current_hour_only() -> None:
    # NO2 current hour missing: NO2 is absent even though the previous hour is 1000.
    result = hourly_aqi({"pm25": [10.0, 10.0], "no2": [None, 1000.0], "so2": []})
    assert result is not None
    assert result.sub_indices == {"pm25": 20}  # 2 · 10
    assert result.concentrations == {"pm25": pytest.approx(10.0)}


def test_hourly_rounds_half_up() -> None:
    # 2 · 12.25 = 24.5 → 25 (banker's rounding would give 24).
    result = hourly_aqi({"pm25": [12.25, 12.25]})
    assert result is not None
    assert result.aqi == 25


def test_hourly_cap_and_no_cap() -> None:
    # PM2.5 900 > 500: capped at 500; uncapped 400 + (100/150)·550 = 766.67 → 767.
    capped = hourly_aqi({"pm25": [900.0, 900.0]})
    uncapped = hourly_aqi({"pm25": [900.0, 900.0]}, UNCAPPED)
    assert capped is not None
    assert uncapped is not None
    assert capped.aqi == 500
    assert uncapped.aqi == 767
    assert uncapped.category.key == "hazardous"


def test_hourly_dominant_tie_goes_to_the_first_pollutant() -> None:
    # PM2.5 25 → 50 and PM10 50 → 50: equal, PM2.5 comes first in POLLUTANTS.
    result = hourly_aqi({"pm10": [50.0, 50.0], "pm25": [25.0, 25.0]})
    assert result is not None
    assert result.dominant == "pm25"
    assert list(result.sub_indices) == ["pm25", "pm10"]


def test_hourly_rejects_unknown_pollutant_codes() -> None:
    with pytest.raises(ValueError, match=r"pm2\.5"):
        hourly_aqi({"pm2.5": [10.0, 10.0]})


def test_pollutant_codes() -> None:
    assert POLLUTANTS == ("pm25", "pm10", "o3", "no2", "so2", "co")


# --------------------------------------------------------------------------------------------
# Daily AQI
# --------------------------------------------------------------------------------------------

# QĐ 1459 §2.2.2.a: O3 1-hour means from 18:00 of the previous day to 00:00 of the next day.
O3_PREVIOUS = (15.7, 14.2, 17.7, 18.9, 19.3, 15.7, 19.7)  # 18:00 … 00:00
O3_DAY = (
    *(22.6, 27.1, 29.0, 31.9, 25.3, 34.7, 35.2, 41.6, 45.7, 49.2, 55.8, 69.6),  # 01:00 … 12:00
    *(78.3, 91.5, 97.7, 81.2, 71.8, 43.5, 34.3, 21.5, 20.5, 19.4, 20.4, 21.3),  # 13:00 … 24:00
)
# The decision's 8-hour means, printed to one decimal, 01:00 … 24:00.
O3_8H_PRINTED = (
    *(18.0, 19.4, 21.2, 23.0, 23.8, 25.8, 28.2, 30.9, 33.8, 36.6, 39.9, 44.7),  # 01:00 … 12:00
    *(51.3, 58.4, 66.2, 71.1, 74.4, 73.7, 71.0, 65.0, 57.8, 48.7, 39.1, 31.6),  # 13:00 … 24:00
)


def test_rolling_8h_means_reproduce_the_decision() -> None:
    means = rolling_8h_means(O3_DAY, O3_PREVIOUS)
    assert len(means) == 24
    assert all(m is not None for m in means)
    # 01:00: (15.7+14.2+17.7+18.9+19.3+15.7+19.7+22.6)/8 = 143.8/8 = 17.975, printed 18.0
    assert means[0] == pytest.approx(17.975)
    # Max at 17:00: (49.2+55.8+69.6+78.3+91.5+97.7+81.2+71.8)/8 = 595.1/8 = 74.3875, printed 74.4
    assert max(m for m in means if m is not None) == pytest.approx(74.3875)
    assert means.index(max(m for m in means if m is not None)) == 16
    for hour, (mean, printed) in enumerate(zip(means, O3_8H_PRINTED, strict=True), start=1):
        assert mean is not None
        if hour == 12:
            # A slip in the printed table: 05:00…12:00 = 357.1/8 = 44.6375, printed 44.7.
            assert mean == pytest.approx(44.6375)
            continue
        # Printed to 1 decimal; 03:00 = 170.0/8 = 21.25 is printed 21.2 (a tie printed down).
        assert mean == pytest.approx(printed, abs=0.05 + 1e-9), hour


def test_rolling_8h_means_need_six_of_eight_values() -> None:
    # Without previous hours, 01:00 … 05:00 have 1 … 5 values (< 6): no mean.
    # 06:00 has 6: (22.6+27.1+29.0+31.9+25.3+34.7)/6 = 170.6/6 = 28.4333
    means = rolling_8h_means(O3_DAY)
    assert means[:5] == [None] * 5
    assert means[5] == pytest.approx(170.6 / 6)
    assert rolling_8h_means(O3_DAY, policy=AqiPolicy(min_8h_values=8))[6] is None
    assert rolling_8h_means(O3_DAY, policy=AqiPolicy(min_8h_values=1))[0] == pytest.approx(22.6)


def test_rolling_8h_means_use_the_last_seven_previous_hours() -> None:
    # An extra, older hour in front is ignored; a short list is aligned to 00:00.
    assert rolling_8h_means(O3_DAY, (999.0, *O3_PREVIOUS)) == rolling_8h_means(O3_DAY, O3_PREVIOUS)
    # Previous = only 00:00 (19.7): 01:00 window has 2 values (< 6); 05:00 has 6:
    # (19.7+22.6+27.1+29.0+31.9+25.3)/6 = 155.6/6 = 25.9333
    means = rolling_8h_means(O3_DAY, (19.7,))
    assert means[3] is None
    assert means[4] == pytest.approx(155.6 / 6)


def _daily_example_day() -> dict[str, Sequence[float | None]]:
    """A day reproducing the inputs of QĐ 1459 §2.3.c.

    PM2.5 24-hour mean 55.7; NO2 maximum 130.8; O3 maximum 1-hour 114.6 and maximum 8-hour 89.3:
    the first 8 hours (114.6 + 64.0 + 6·89.3)/8 = (178.6 + 535.8)/8 = 714.4/8 = 89.3, the windows
    ending at 06:00 and 07:00 also average 89.3 (535.8/6, 625.1/7), later windows include 10.0s
    and are lower.
    """
    return {
        "pm25": [55.7] * 24,
        "no2": [130.8] + [50.0] * 23,
        "o3": [114.6, 64.0] + [89.3] * 6 + [10.0] * 16,
    }


def test_daily_worked_example() -> None:
    # O3 = max(44.65, 35.8125) = 44.65 → 45; NO2 65.4 → 65; PM2.5 109.5 → 110; AQI^d = 110.
    result = daily_aqi(_daily_example_day())
    assert result is not None
    assert result.aqi == 110
    assert result.dominant == "pm25"
    assert result.sub_indices == {"pm25": 110, "o3": 45, "no2": 65}
    # O3 concentration reported is the maximum 1-hour mean, even though the 8-hour index won.
    assert result.concentrations == {
        "pm25": pytest.approx(55.7),
        "o3": 114.6,
        "no2": 130.8,
    }
    assert result.category.key == "poor"


def test_daily_o3_from_the_decision_example() -> None:
    # O3 8h max 74.3875 → 50/100 · 74.3875 = 37.19; 1h max 97.7 → 50/160 · 97.7 = 30.53 → O3 = 37.
    result = daily_aqi({"pm25": [10.0] * 24, "o3": O3_DAY}, O3_PREVIOUS)
    assert result is not None
    assert result.sub_indices == {"pm25": 20, "o3": 37}
    assert result.concentrations["o3"] == 97.7


def test_daily_o3_8h_skipped_above_400() -> None:
    # 8 hours at 450: max 8-hour mean 450 > 400 → only the 1-hour maximum counts:
    # O3 (1h) 450: 200 + (300−200)/(800−400) · 50 = 212.5 → 213.
    result = daily_aqi({"pm25": [10.0] * 24, "o3": [450.0] * 8 + [0.0] * 16})
    assert result is not None
    assert result.sub_indices["o3"] == 213
    assert (result.aqi, result.dominant) == (213, "o3")


def test_daily_o3_8h_at_exactly_400_is_indexed() -> None:
    # 8-hour 400 → 300 (last level of O3 (8h)); 1-hour 400 → 200; O3 = 300.
    result = daily_aqi({"pm25": [10.0] * 24, "o3": [400.0] * 8 + [0.0] * 16})
    assert result is not None
    assert result.sub_indices["o3"] == 300


def test_daily_o3_8h_needs_enough_values() -> None:
    # Five hours at 200: 1-hour 200 → 100. An 8-hour mean of 200 would give
    # 150 + (200−150)/(210−170) · 30 = 187.5 → 188, but 5 < 6 values: not computed.
    day: dict[str, Sequence[float | None]] = {"pm25": [10.0] * 24, "o3": [200.0] * 5 + [None] * 19}
    default = daily_aqi(day)
    lenient = daily_aqi(day, policy=AqiPolicy(min_8h_values=5))
    assert default is not None
    assert lenient is not None
    assert default.sub_indices["o3"] == 100
    assert lenient.sub_indices["o3"] == 188


def test_daily_o3_previous_hours_complete_early_windows() -> None:
    # With 6 previous hours at 100, the window ending at 02:00 is 8 × 100 → 8-hour 100 → 50.
    # Without them, the best window is 06:00: (100+100+0+0+0+0)/6 = 33.33 → 16.67, and the
    # 1-hour maximum 100 → 50/160 · 100 = 31.25 → 31 wins.
    day = {"pm25": [10.0] * 24, "o3": [100.0, 100.0] + [0.0] * 22}
    with_previous = daily_aqi(day, [100.0] * 6)
    without = daily_aqi(day)
    assert with_previous is not None
    assert without is not None
    assert with_previous.sub_indices["o3"] == 50
    assert without.sub_indices["o3"] == 31


def test_daily_pm_is_the_mean_of_present_hours() -> None:
    # 12 hours at 40, 12 missing: mean 40 → 50 + 50/25 · 15 = 80.
    result = daily_aqi({"pm25": [40.0] * 12 + [None] * 12})
    assert result is not None
    assert result.sub_indices == {"pm25": 80}
    assert result.concentrations == {"pm25": 40.0}


def test_daily_min_daily_hours() -> None:
    day: dict[str, list[float | None]] = {"pm25": [40.0] * 12 + [None] * 12}
    assert daily_aqi(day, policy=AqiPolicy(min_daily_hours=12)) is not None
    # 12 < 18 valid hours: no PM2.5 mean → no VN_AQI.
    assert daily_aqi(day, policy=AqiPolicy(min_daily_hours=18)) is None


def test_daily_gases_use_the_maximum_hour() -> None:
    # SO2 max 400: 100 + (150−100)/(550−350) · 50 = 112.5 → 113.
    # CO max 12000: 50 + 50/20000 · 2000 = 55.
    result = daily_aqi(
        {"pm25": [10.0] * 24, "so2": [100.0, 400.0, None], "co": [5000.0, 12000.0, 11000.0]}
    )
    assert result is not None
    assert result.sub_indices == {"pm25": 20, "so2": 113, "co": 55}
    assert result.dominant == "so2"


def test_daily_without_pm_is_none_not_zero() -> None:
    assert daily_aqi({"o3": [100.0] * 24, "no2": [50.0] * 24}) is None
    assert daily_aqi({"pm25": [None] * 24, "no2": [50.0] * 24}) is None


def test_daily_rejects_more_than_24_hours() -> None:
    with pytest.raises(ValueError, match="at most 24"):
        daily_aqi({"pm25": [10.0] * 25})


# --------------------------------------------------------------------------------------------
# Categories (Table 1, Tables 4 and 5)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("aqi", "key", "name_vi"),
    [
        (0, "good", "Tốt"),
        (50, "good", "Tốt"),
        (51, "moderate", "Trung bình"),
        (100, "moderate", "Trung bình"),
        (101, "poor", "Kém"),
        (150, "poor", "Kém"),
        (151, "bad", "Xấu"),
        (200, "bad", "Xấu"),
        (201, "very_bad", "Rất xấu"),
        (300, "very_bad", "Rất xấu"),
        (301, "hazardous", "Nguy hại"),
        (500, "hazardous", "Nguy hại"),
        (767, "hazardous", "Nguy hại"),  # only reachable with cap=None
    ],
)
def test_category_boundaries(aqi: int, key: str, name_vi: str) -> None:
    band = category(aqi)
    assert (band.key, band.name_vi) == (key, name_vi)


def test_category_rejects_negative() -> None:
    with pytest.raises(ValueError, match="negative"):
        category(-1)


def test_categories_match_table_1() -> None:
    table_1 = [
        ("good", "Tốt", "Good", "#00E400"),  # RGB 0;228;0
        ("moderate", "Trung bình", "Moderate", "#FFFF00"),  # 255;255;0
        ("poor", "Kém", "Poor", "#FF7E00"),  # 255;126;0
        ("bad", "Xấu", "Bad", "#FF0000"),  # 255;0;0
        ("very_bad", "Rất xấu", "Very bad", "#8F3F97"),  # 143;63;151
        ("hazardous", "Nguy hại", "Hazardous", "#7E0023"),  # 126;0;35
    ]
    assert [(c.key, c.name_vi, c.name_en, c.color) for c in CATEGORIES] == table_1
    assert [c.min_aqi for c in CATEGORIES] == [0, 51, 101, 151, 201, 301]
    for band in CATEGORIES:
        assert band.advice_vi
        assert band.advice_en
    assert "đóng cửa ra vào và cửa sổ" in CATEGORIES[-1].advice_vi


def _relative_luminance(hex_colour: str) -> float:
    """WCAG 2 relative luminance of "#RRGGBB"."""
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    la, lb = sorted((_relative_luminance(a), _relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@pytest.mark.parametrize("band", CATEGORIES, ids=lambda c: c.key)
def test_text_colour_is_the_more_readable_of_black_and_white(band: Category) -> None:
    colour, text = band.color, band.text_color
    assert text in {"#000000", "#FFFFFF"}
    other = "#FFFFFF" if text == "#000000" else "#000000"
    assert _contrast(colour, text) > _contrast(colour, other)
    assert _contrast(colour, text) >= 4.5  # WCAG AA for normal text


# --------------------------------------------------------------------------------------------
# QCVN 05:2023/BTNMT limits
# --------------------------------------------------------------------------------------------


def test_qcvn05_pm25_24h_tightens_on_2026_01_01() -> None:
    assert qcvn05_limit("pm25", "24h", datetime.date(2025, 12, 31)) == 50
    assert qcvn05_limit("pm25", "24h", datetime.date(2026, 1, 1)) == 45
    assert qcvn05_limit("pm25", "year", datetime.date(2026, 1, 1)) == 25


def test_qcvn05_accepts_a_datetime_by_its_own_date() -> None:
    ict = datetime.timezone(datetime.timedelta(hours=7))
    late = datetime.datetime(2025, 12, 31, 23, 30, tzinfo=ict)
    early = datetime.datetime(2026, 1, 1, 0, 30, tzinfo=ict)
    assert qcvn05_limit("pm25", "24h", late) == 50
    assert qcvn05_limit("pm25", "24h", early) == 45


@pytest.mark.parametrize(
    ("pollutant", "averaging", "expected"),
    [
        ("so2", "1h", 350),
        ("so2", "24h", 125),
        ("so2", "year", 50),
        ("so2", "8h", None),
        ("co", "1h", 30000),
        ("co", "8h", 10000),
        ("co", "24h", None),
        ("no2", "1h", 200),
        ("no2", "24h", 100),
        ("no2", "year", 40),
        ("o3", "1h", 200),
        ("o3", "8h", 120),
        ("o3", "year", None),
        ("tsp", "1h", 300),
        ("tsp", "24h", 200),
        ("tsp", "year", 100),
        ("pm10", "24h", 100),
        ("pm10", "year", 50),
        ("pm10", "1h", None),
        ("pm25", "1h", None),
    ],
)
def test_qcvn05_table_1(pollutant: str, averaging: str, expected: float | None) -> None:
    on = datetime.date(2025, 6, 1)
    assert qcvn05_limit(pollutant, averaging, on) == expected  # type: ignore[arg-type]


def test_qcvn05_not_before_its_effective_date() -> None:
    assert qcvn05_limit("pm10", "24h", datetime.date(2023, 9, 12)) == 100
    with pytest.raises(ValueError, match="2023-09-12"):
        qcvn05_limit("pm10", "24h", datetime.date(2023, 9, 11))


def test_qcvn05_rejects_unknown_input() -> None:
    with pytest.raises(ValueError, match="unknown pollutant"):
        qcvn05_limit("pb", "24h", datetime.date(2025, 1, 1))
    with pytest.raises(ValueError, match="unknown averaging"):
        qcvn05_limit("pm25", "1y", datetime.date(2025, 1, 1))  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Unit conversion
# --------------------------------------------------------------------------------------------


def test_to_ugm3_ppm_co() -> None:
    # 1 ppm CO = 1000 ppb · 28.010 / 24.45 = 28010 / 24.45 = 1145.603 µg/m³
    assert to_ugm3("co", 1, "ppm") == pytest.approx(1145.603, abs=1e-3)


def test_to_ugm3_ppb_no2() -> None:
    # 100 ppb NO2 = 100 · 46.0055 / 24.45 = 4600.55 / 24.45 = 188.162 µg/m³
    assert to_ugm3("no2", 100, "ppb") == pytest.approx(188.162, abs=1e-3)


def test_to_ugm3_ppb_so2_and_o3() -> None:
    # 1 ppb SO2 = 64.066/24.45 = 2.62029; 1 ppb O3 = 47.997/24.45 = 1.96307
    assert to_ugm3("so2", 1, "ppb") == pytest.approx(2.62029, abs=1e-5)
    assert to_ugm3("o3", 1, "ppb") == pytest.approx(1.96307, abs=1e-5)


@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        ("µg/m3", 1.2),
        ("ug/m3", 1.2),
        ("µg/m³", 1.2),
        ("ug/m³", 1.2),
        ("μg/m³", 1.2),  # Greek mu rather than the micro sign
        ("UG/M3", 1.2),
        (" ug/m3 ", 1.2),
        ("µg/Nm³", 1.2),
        ("mg/m3", 1200.0),
        ("mg/m³", 1200.0),
        ("MG/M3", 1200.0),
    ],
)
def test_to_ugm3_mass_units(unit: str, expected: float) -> None:
    assert to_ugm3("co", 1.2, unit) == pytest.approx(expected)


def test_to_ugm3_pm_mass_units_work_but_mixing_ratios_do_not() -> None:
    assert to_ugm3("pm25", 0.035, "mg/m3") == pytest.approx(35.0)
    for pm in ("pm25", "pm10"):
        for unit in ("ppb", "PPM"):
            with pytest.raises(ValueError, match="mixing ratio"):
                to_ugm3(pm, 1, unit)


def test_to_ugm3_unknown_unit_is_named() -> None:
    with pytest.raises(ValueError, match="unknown unit 'g/l'"):
        to_ugm3("no2", 1, "g/l")


def test_to_ugm3_unknown_pollutant() -> None:
    with pytest.raises(ValueError, match="unknown pollutant"):
        to_ugm3("nh3", 1, "ppb")


# --------------------------------------------------------------------------------------------
# Policy
# --------------------------------------------------------------------------------------------


def test_policy_defaults() -> None:
    policy = AqiPolicy()
    assert policy.nowcast_form == "normalised"
    assert policy.cap == 500
    assert policy.min_daily_hours == 0
    assert policy.min_8h_values == 6


@pytest.mark.parametrize(
    "kwargs",
    [
        {"nowcast_form": "normalized"},
        {"cap": 0},
        {"min_daily_hours": -1},
        {"min_daily_hours": 25},
        {"min_8h_values": 0},
        {"min_8h_values": 9},
    ],
)
def test_policy_rejects_invalid_settings(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        AqiPolicy(**kwargs)  # type: ignore[arg-type]
