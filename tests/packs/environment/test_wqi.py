"""Tests for the VN_WQI module (QĐ 1460/QĐ-TCMT).

Every expected number is hand-checked; the arithmetic is in the comment next to it. Tables and
formulas: the shared domain note water-quality.md §4–§6.
"""

from __future__ import annotations

import itertools

import pytest

from ioc.packs.environment.wqi import (
    GROUPS,
    PARAMETERS,
    TABLES,
    WQI_CATEGORIES,
    WqiPolicy,
    do_percent,
    do_saturation,
    missing_requirements,
    sub_index,
    vn_wqi,
    wqi_category,
)

EDGE_100 = WqiPolicy(repeated_breakpoint_edge="100")
EDGE_75 = WqiPolicy(repeated_breakpoint_edge="75")
FORMULA_5 = WqiPolicy(formula="5")

# DO_sat(25 °C) = 14.652 − 0.41022·25 + 0.0079910·625 − 0.000077774·15625
#              = 14.652 − 10.2555 + 4.994375 − 1.21521875 = 8.17565625
DO_SAT_25 = 8.17565625


# --------------------------------------------------------------------------------------------
# Policy
# --------------------------------------------------------------------------------------------


def test_policy_defaults() -> None:
    policy = WqiPolicy()
    assert (policy.formula, policy.repeated_breakpoint_edge, policy.outside_ph) == ("3", "75", 10)


@pytest.mark.parametrize(
    "kwargs",
    [{"formula": "4"}, {"repeated_breakpoint_edge": "50"}, {"outside_ph": -1}],
)
def test_policy_rejects_bad_values(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        WqiPolicy(**kwargs)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Tables of groups III, IV and V: breakpoints and interpolation
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parameter", "value", "expected"),
    [
        # BOD5: 4 / 6 / 15 / 25 / 50
        ("bod5", 0, 100),
        ("bod5", 4, 100),  # C ≤ BP1
        ("bod5", 5, 87.5),  # 100 − 25·(5 − 4)/(6 − 4)
        ("bod5", 6, 75),
        ("bod5", 10.5, 62.5),  # 75 − 25·(10.5 − 6)/(15 − 6) = 75 − 12.5
        ("bod5", 15, 50),
        ("bod5", 20, 37.5),  # 50 − 25·5/10
        ("bod5", 25, 25),
        ("bod5", 37.5, 17.5),  # 25 − 15·12.5/25
        ("bod5", 50, 10),  # numeric BP5
        ("bod5", 80, 10),  # above BP5
        # COD: 10 / 15 / 30 / 50 / 150
        ("cod", 10, 100),
        ("cod", 12.5, 87.5),  # 100 − 25·2.5/5
        ("cod", 22.5, 62.5),  # 75 − 25·7.5/15
        ("cod", 40, 37.5),  # 50 − 25·(40 − 30)/(50 − 30)
        ("cod", 100, 17.5),  # 25 − 15·(100 − 50)/(150 − 50)
        ("cod", 150, 10),
        # TOC: same breakpoints as BOD5
        ("toc", 5, 87.5),
        ("toc", 50, 10),
        # N-NH4: 0.3 / 0.3 / 0.6 / 0.9 / 5 (repeated first breakpoint, edge tested below)
        ("nh4", 0.29, 100),
        ("nh4", 0.45, 62.5),  # 75 − 25·(0.45 − 0.3)/(0.6 − 0.3)
        ("nh4", 0.6, 50),
        ("nh4", 0.75, 37.5),  # 50 − 25·0.15/0.3
        ("nh4", 2.95, 17.5),  # 25 − 15·(2.95 − 0.9)/(5 − 0.9) = 25 − 15·0.5
        ("nh4", 5, 10),
        # N-NO3: 2 / 5 / 10 / 15 / >15
        ("no3", 2, 100),
        ("no3", 3.5, 87.5),  # 100 − 25·1.5/3
        ("no3", 12.5, 37.5),  # 50 − 25·2.5/5
        ("no3", 15, 25),  # BP4 still interpolated
        ("no3", 15.01, 10),  # "> 15" → 10, a step, no interpolation
        # N-NO2: 0.05 then ">0.05": only 100 or 10
        ("no2", 0.05, 100),
        ("no2", 0.051, 10),
        # P-PO4: 0.1 / 0.2 / 0.3 / 0.5 / 4
        ("po4", 0.15, 87.5),  # 100 − 25·0.05/0.1
        ("po4", 0.4, 37.5),  # 50 − 25·0.1/0.2
        ("po4", 2.25, 17.5),  # 25 − 15·1.75/3.5
        ("po4", 4, 10),
        # Coliform: 2500 / 5000 / 7500 / 10000 / >10000
        ("coliform", 2500, 100),
        ("coliform", 6250, 62.5),  # 75 − 25·1250/2500
        ("coliform", 10000, 25),
        ("coliform", 10001, 10),  # "> BP5" → 10
        ("coliform", 1e6, 10),
        # E.coli: 20 / 50 / 100 / 200 / >200
        ("ecoli", 35, 87.5),  # 100 − 25·15/30
        ("ecoli", 150, 37.5),  # 50 − 25·50/100
        ("ecoli", 200, 25),
        ("ecoli", 201, 10),
        # Group III
        ("as", 0.01, 100),
        ("as", 0.035, 62.5),  # 75 − 25·(0.035 − 0.02)/(0.05 − 0.02)
        ("as", 0.1, 25),
        ("as", 0.11, 10),  # "> 0.1"
        ("cd", 0.0065, 62.5),  # 75 − 25·0.0015/0.003
        ("cd", 0.055, 17.5),  # 25 − 15·0.045/0.09
        ("cd", 0.1, 10),
        ("pb", 0.03, 62.5),  # 75 − 25·0.01/0.02
        ("pb", 0.5, 10),
        ("cr6", 0.015, 87.5),  # 100 − 25·0.005/0.01
        ("cr6", 0.075, 17.5),  # 25 − 15·0.025/0.05
        ("cu", 0.15, 87.5),  # 100 − 25·0.05/0.1
        ("cu", 0.332, 64),  # 75 − 25·0.132/0.3 = 75 − 11
        ("cu", 3, 10),
        ("zn", 0.75, 87.5),  # 100 − 25·0.25/0.5
        ("zn", 2.5, 17.5),  # 25 − 15·0.5/1
        ("hg", 0.00125, 62.5),  # 75 − 25·0.00025/0.0005
        ("hg", 0.006, 17.5),  # 25 − 15·0.004/0.008
        ("hg", 0.01, 10),
    ],
)
def test_table_sub_indices(parameter: str, value: float, expected: float) -> None:
    result = sub_index(parameter, value)
    assert result == pytest.approx(expected)


@pytest.mark.parametrize("parameter", ["nh4", "cd", "pb", "hg"])
def test_repeated_first_breakpoint_edge_both_policies(parameter: str) -> None:
    bp1 = TABLES[parameter].breakpoints[0]
    assert TABLES[parameter].repeated_first
    # Just below BP1: 100 under both policies; exactly at BP1: the policy decides.
    assert sub_index(parameter, bp1 * 0.99, policy=EDGE_75) == 100
    assert sub_index(parameter, bp1 * 0.99, policy=EDGE_100) == 100
    assert sub_index(parameter, bp1, policy=EDGE_75) == 75
    assert sub_index(parameter, bp1, policy=EDGE_100) == 100
    # Just above BP1 the curve starts from 75 under both (no jump back to 100).
    above = bp1 * 1.0001
    for policy in (EDGE_75, EDGE_100):
        value = sub_index(parameter, above, policy=policy)
        assert value is not None
        assert 74.9 < value < 75


def test_default_edge_is_75() -> None:
    assert sub_index("nh4", 0.3) == 75  # N-NH4 = BP1 = BP2 = 0.3 → q of BP2


def test_edge_policy_does_not_touch_other_tables() -> None:
    # BOD5 has no repeated breakpoint: C = BP1 gives 100 whatever the policy.
    assert sub_index("bod5", 4, policy=EDGE_75) == 100
    assert sub_index("as", 0.01, policy=EDGE_75) == 100


def test_table_results_are_monotonic_and_bounded() -> None:
    for parameter, table in TABLES.items():
        top = table.breakpoints[-1] * 3
        xs = [top * k / 997 for k in range(998)]
        values = [sub_index(parameter, x) for x in xs]
        present = [v for v in values if v is not None]
        assert len(present) == len(values), parameter
        assert all(10 <= v <= 100 for v in present), parameter
        assert all(a >= b for a, b in itertools.pairwise(present)), parameter


# --------------------------------------------------------------------------------------------
# pH, pesticides, DO
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ph", "expected"),
    [
        (4.0, 10),
        (5.49, 10),  # < 5.5
        (5.5, 50),
        (5.75, 75),  # 50 + 50·0.25/0.5
        (6.0, 100),
        (7.0, 100),
        (8.5, 100),
        (8.6, 90),  # 100 − 50·0.1/0.5
        (8.75, 75),
        (9.0, 50),
        (9.01, 10),  # > 9
        (12, 10),
    ],
)
def test_ph_bands(ph: float, expected: float) -> None:
    assert sub_index("ph", ph) == pytest.approx(expected)


def test_ph_outside_value_is_a_policy() -> None:
    # QĐ 879 gave 1 outside 5.5–9; QĐ 1460 gives 10.
    assert sub_index("ph", 4.0, policy=WqiPolicy(outside_ph=1)) == 1
    assert sub_index("ph", 7.0, policy=WqiPolicy(outside_ph=1)) == 100


@pytest.mark.parametrize(
    ("parameter", "limit"),
    [("aldrin", 0.1), ("bhc", 0.02), ("dieldrin", 0.1), ("ddts", 1.0), ("heptachlor", 0.2)],
)
def test_pesticides_pass_or_fail(parameter: str, limit: float) -> None:
    assert sub_index(parameter, 0) == 100
    assert sub_index(parameter, limit) == 100  # ≤ limit passes
    assert sub_index(parameter, limit * 1.01) == 10  # above fails: no interpolation


def test_do_saturation_at_25c() -> None:
    assert do_saturation(25) == pytest.approx(8.1757, abs=5e-5)
    assert do_saturation(25) == pytest.approx(DO_SAT_25)
    # T = 0: the constant term only.
    assert do_saturation(0) == pytest.approx(14.652)


def test_do_percent() -> None:
    # 8.17565625 mg/L at 25 °C is exactly saturated; half of it is 50 %.
    assert do_percent(DO_SAT_25, 25) == pytest.approx(100)
    assert do_percent(DO_SAT_25 / 2, 25) == pytest.approx(50)


@pytest.mark.parametrize(
    ("percent", "expected"),
    [
        (10, 10),  # < 20
        (19.9, 10),
        (20, 25),
        (35, 37.5),  # 25 + 25·15/30
        (50, 50),
        (60, 60),  # 50 + 25·10/25
        (75, 75),
        (81.5, 87.5),  # 75 + 25·6.5/13
        (88, 100),
        (100, 100),
        (112, 100),
        (118.5, 87.5),  # 100 − 25·6.5/13
        (137.5, 62.5),  # 75 − 25·12.5/25
        (150, 50),
        (175, 37.5),  # 50 − 25·25/50
        (200, 25),
        (200.5, 10),  # > 200
    ],
)
def test_do_percent_bands(percent: float, expected: float) -> None:
    do = percent / 100 * DO_SAT_25  # the DO (mg/L) that is ``percent`` % saturated at 25 °C
    assert sub_index("do", do, temperature=25) == pytest.approx(expected)


def test_do_needs_temperature() -> None:
    assert sub_index("do", 7.0) is None
    assert sub_index("do", 7.0, temperature=float("nan")) is None
    # DO = 6.5 mg/L at 25 °C: DO% = 6.5/8.17565625·100 = 79.50407; 75 + 25·4.50407/13 = 83.6621
    assert sub_index("do", 6.5, temperature=25) == pytest.approx(83.6621, abs=1e-4)


def test_sub_index_input_handling() -> None:
    assert sub_index("w_bod5", 5) == 87.5  # the indicator code is accepted too
    assert sub_index("bod5", -1) is None
    assert sub_index("bod5", float("nan")) is None
    assert sub_index("bod5", float("inf")) is None
    with pytest.raises(ValueError, match="unknown WQI parameter"):
        sub_index("tss", 10)


def test_every_parameter_has_a_sub_index() -> None:
    assert len(PARAMETERS) == 23
    for parameter in PARAMETERS:
        value = sub_index(parameter, 0.001, temperature=25)
        assert value is not None, parameter


# --------------------------------------------------------------------------------------------
# The index: Formulas 3, 4, 5
# --------------------------------------------------------------------------------------------

# Sub-indices of SAMPLE (see test_table_sub_indices for each line):
#   I:   pH 7.2 → 100
#   II:  Aldrin 0.05 → 100, DDTs 0.5 → 100                    → WQI_II = (100·100)^(1/2) = 100
#   III: As 0.005 → 100, Cu 0.332 → 64                         → WQI_III = (100·64)^(1/2) = 80
#   IV:  BOD5 5 → 87.5, COD 40 → 37.5, N-NH4 0.45 → 62.5, P-PO4 0.15 → 87.5
#                                                 → WQI_IV = (87.5 + 37.5 + 62.5 + 87.5)/4 = 68.75
#   V:   Coliform 10000 → 25, E.coli 200 → 25                 → WQI_V = 25
SAMPLE: dict[str, float] = {
    "ph": 7.2,
    "aldrin": 0.05,
    "ddts": 0.5,
    "as": 0.005,
    "cu": 0.332,
    "bod5": 5,
    "cod": 40,
    "nh4": 0.45,
    "po4": 0.15,
    "coliform": 10000,
    "ecoli": 200,
}


def test_full_sample_formula_3() -> None:
    # (100/100)·(100/100)·(80/100)·(68.75·25)^(1/2) = 0.8·√1718.75 = 0.8·41.4578 = 33.166 → 33
    result = vn_wqi(SAMPLE)
    assert result is not None
    assert result.formula == "3"
    assert result.groups == pytest.approx({"I": 100, "II": 100, "III": 80, "IV": 68.75, "V": 25})
    assert result.sub_indices == pytest.approx(
        {
            "ph": 100,
            "aldrin": 100,
            "ddts": 100,
            "as": 100,
            "cu": 64,
            "bod5": 87.5,
            "cod": 37.5,
            "nh4": 62.5,
            "po4": 87.5,
            "coliform": 25,
            "ecoli": 25,
        }
    )
    assert result.wqi == 33
    assert result.category.key == "bad"  # 26–50 Xấu


def test_full_sample_formula_5() -> None:
    # 0.8·(68.75²·25)^(1/3) = 0.8·(4726.5625·25)^(1/3) = 0.8·118164.06^(1/3) = 0.8·49.0716
    #   = 39.257 → 39
    result = vn_wqi(SAMPLE, FORMULA_5)
    assert result is not None
    assert (result.wqi, result.formula) == (39, "5")


def test_formula_4_without_group_v() -> None:
    # No Coliform / E.coli: 0.8·68.75 = 55.0 → 55, whichever formula the policy names.
    sample = {k: v for k, v in SAMPLE.items() if k not in GROUPS["V"]}
    for policy in (WqiPolicy(), FORMULA_5):
        result = vn_wqi(sample, policy)
        assert result is not None
        assert (result.wqi, result.formula) == (55, "4")
        assert "V" not in result.groups
        assert result.category.key == "medium"


def test_missing_groups_i_to_iii_count_as_one() -> None:
    # Groups I, IV, V only (II and III factor 1): pH 8.75 → 75; IV = 68.75; V = 25
    # 0.75·√(68.75·25) = 0.75·41.4578 = 31.093 → 31
    sample = {"ph": 8.75, "bod5": 5, "cod": 40, "nh4": 0.45, "po4": 0.15, "coliform": 10000}
    result = vn_wqi(sample)
    assert result is not None
    assert set(result.groups) == {"I", "IV", "V"}
    assert result.wqi == 31


def test_failing_pesticide_drags_the_index_down() -> None:
    # BHC 0.03 > 0.02 → 10; WQI_II = (100·100·10)^(1/3) = (10^5)^(1/3) = 46.416
    # 0.46416·0.8·41.4578 = 15.394 → 15 (Kém)
    result = vn_wqi({**SAMPLE, "bhc": 0.03})
    assert result is not None
    assert result.groups["II"] == pytest.approx(46.4159, abs=1e-4)
    assert result.wqi == 15
    assert result.category.key == "very_bad"


def test_do_with_temperature_in_group_iv() -> None:
    # pH 7 → 100; Cu 0.1 → 100; DO 6.5 at 25 °C → 83.6621; BOD5 5 → 87.5; COD 12.5 → 87.5
    # WQI_IV = (83.6621 + 87.5 + 87.5)/3 = 86.2207; Formula 4 → 86 (Tốt)
    result = vn_wqi({"ph": 7, "cu": 0.1, "do": 6.5, "temp": 25, "bod5": 5, "cod": 12.5})
    assert result is not None
    assert result.groups["IV"] == pytest.approx(86.2207, abs=1e-4)
    assert (result.wqi, result.category.key) == (86, "good")


def test_rounding_is_half_up() -> None:
    # pH 7 → 100, Cu 0.1 → 100, IV = (87.5 + 37.5 + 62.5)/3 = 62.5 → 63 (banker's round: 62)
    result = vn_wqi({"ph": 7, "cu": 0.1, "bod5": 5, "cod": 40, "nh4": 0.45})
    assert result is not None
    assert result.wqi == 63


def test_indicator_codes_and_ignored_keys_are_accepted() -> None:
    by_code = {f"w_{k}": v for k, v in SAMPLE.items()} | {"w_tss": 12.0, "w_turbidity": 5.0}
    result = vn_wqi(by_code)
    assert result is not None
    assert result.wqi == 33
    with pytest.raises(ValueError, match="unknown WQI parameter"):
        vn_wqi({**SAMPLE, "pm25": 10})


def test_missing_and_invalid_values_are_skipped() -> None:
    sample: dict[str, float | None] = {**SAMPLE, "toc": None, "no3": float("nan"), "zn": -1}
    result = vn_wqi(sample)
    assert result is not None
    assert result.wqi == 33
    assert not {"toc", "no3", "zn"} & set(result.sub_indices)


# --------------------------------------------------------------------------------------------
# Data requirements
# --------------------------------------------------------------------------------------------


def test_only_two_groups_is_refused() -> None:
    sample = {"ph": 7, "bod5": 5, "cod": 40, "nh4": 0.45}  # groups I and IV
    assert vn_wqi(sample) is None
    reasons = missing_requirements(sample)
    assert len(reasons) == 1
    assert "ít nhất 3 trong 5 nhóm" in reasons[0]
    assert "hiện có 2" in reasons[0]


def test_group_iv_with_two_parameters_is_refused() -> None:
    sample = {"ph": 7, "cu": 0.1, "bod5": 5, "cod": 40, "coliform": 3000}  # 4 groups, IV has 2
    assert vn_wqi(sample) is None
    (reason,) = missing_requirements(sample)
    assert "nhóm IV" in reason
    assert "hiện có 2: BOD5, COD" in reason


def test_group_iv_absent_is_refused() -> None:
    sample = {"ph": 7, "cu": 0.1, "aldrin": 0.01, "coliform": 3000}  # I, II, III, V
    assert vn_wqi(sample) is None
    (reason,) = missing_requirements(sample)
    assert "hiện có 0: không có" in reason


def test_do_without_temperature_is_not_counted() -> None:
    sample = {"ph": 7, "cu": 0.1, "do": 6.5, "bod5": 5, "cod": 40}
    assert vn_wqi(sample) is None  # DO without temperature: group IV has 2 parameters
    reasons = missing_requirements(sample)
    assert any("nhiệt độ" in r for r in reasons)
    assert vn_wqi({**sample, "temp": 25}) is not None


def test_no_values_at_all() -> None:
    assert vn_wqi({}) is None
    assert len(missing_requirements({})) == 2


def test_requirements_met_gives_no_reasons() -> None:
    assert missing_requirements(SAMPLE) == []


def test_result_is_none_not_zero() -> None:
    # A heavily polluted but complete sample gives a low index; an incomplete one gives None.
    bad = {"ph": 4, "bod5": 80, "cod": 300, "nh4": 9, "coliform": 1e6}
    result = vn_wqi(bad)
    assert result is not None
    assert result.wqi == 1  # 0.1·√(10·10) = 1
    assert result.category.key == "heavily_polluted"
    assert vn_wqi({"ph": 4, "bod5": 80}) is None


# --------------------------------------------------------------------------------------------
# Categories
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wqi", "key", "name_vi", "color"),
    [
        (0, "heavily_polluted", "Ô nhiễm rất nặng", "#7E0023"),
        (9, "heavily_polluted", "Ô nhiễm rất nặng", "#7E0023"),
        (10, "very_bad", "Kém", "#FF0000"),
        (25, "very_bad", "Kém", "#FF0000"),
        (26, "bad", "Xấu", "#FF7E00"),
        (50, "bad", "Xấu", "#FF7E00"),
        (51, "medium", "Trung bình", "#FFFF00"),
        (75, "medium", "Trung bình", "#FFFF00"),  # not "Tốt": that band starts at 76
        (76, "good", "Tốt", "#00E400"),
        (90, "good", "Tốt", "#00E400"),
        (91, "very_good", "Rất tốt", "#3333FF"),
        (100, "very_good", "Rất tốt", "#3333FF"),
    ],
)
def test_category_boundaries(wqi: int, key: str, name_vi: str, color: str) -> None:
    band = wqi_category(wqi)
    assert (band.key, band.name_vi, band.color) == (key, name_vi, color)


@pytest.mark.parametrize("wqi", [-1, 101])
def test_category_out_of_range(wqi: int) -> None:
    with pytest.raises(ValueError):
        wqi_category(wqi)


def _luminance(hex_color: str) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def test_category_text_colour_has_the_better_contrast() -> None:
    for band in WQI_CATEGORIES:
        lum = _luminance(band.color)
        on_black = (lum + 0.05) / 0.05
        on_white = 1.05 / (lum + 0.05)
        expected = "#000000" if on_black >= on_white else "#FFFFFF"
        assert band.text_color == expected, band.key


def test_categories_cover_0_to_100_in_order() -> None:
    mins = [band.min_wqi for band in WQI_CATEGORIES]
    assert mins == [91, 76, 51, 26, 10, 0]
    assert all(band.use_vi and band.use_en and band.name_en for band in WQI_CATEGORIES)
