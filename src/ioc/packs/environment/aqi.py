"""Vietnamese air quality index (VN_AQI) per QĐ 1459/QĐ-TCMT (12/11/2019) and QCVN 05:2023 limits.

Pure functions, no database, no clock: everything needed to compute the hourly (AQI^h) and
daily (AQI^d) index of one automatic monitoring station, to colour it (Table 1), to advise
on health (Tables 4 and 5), and to compare concentrations with the national ambient-air
limits of QCVN 05:2023/BTNMT (:mod:`ioc.packs.environment.qcvn05`, re-exported here).

All concentrations are µg/m³, CO included (Table 2 is in µg/m³; CO in mg/m³ or as an
8-hour value is a known mistake in other implementations). Use :func:`to_ugm3` first.

Decisions where the text is silent or ambiguous (all in :class:`AqiPolicy`):

* NowCast with w = 1/2: the decision prints the sum *without* dividing by the weights.
  We default to the **normalised** form (divide by Σ wⁱ⁻¹, exactly like the w > 1/2 case)
  because it is continuous in w, stays a weighted mean when some cᵢ are missing, and
  differs from the literal form by less than 0.025 % when all 12 values are present
  (30.005 vs 29.998 for c = [50, 10, …, 10]). ``nowcast_form="literal"`` reproduces the text.
* Above level 8 of Table 2 the index is capped at 500 (``cap``); with ``cap=None`` the
  last segment is extrapolated.
* The decision sets no coverage rule for the 24-hour mean or the daily maximum
  (``min_daily_hours=0`` = none) nor for the 8-hour mean; we require 6 of the 8 hourly
  values for an 8-hour mean (``min_8h_values=6``, 75 %, the usual coverage convention).
* Values that are ``None``, NaN, infinite or negative are treated as missing: input is
  meant to have passed QA/QC already, and one bad sample must not sink a station's index.
* NowCast is used unrounded (the decision prints 20.3 and indexes that); the AQI differs
  by at most rounding noise.
* Rounding is half-up (109.5 → 110), never Python's banker's ``round`` nor the ceiling.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal, get_args

from ioc.packs.environment.qcvn05 import QCVN05_2023_EFFECTIVE, Averaging, qcvn05_limit

__all__ = [
    "BLACK",
    "BREAKPOINTS",
    "CATEGORIES",
    "INDEX_LEVELS",
    "MOLAR_VOLUME_L",
    "MOLECULAR_WEIGHTS",
    "POLLUTANTS",
    "QCVN05_2023_EFFECTIVE",
    "WHITE",
    "AqiPolicy",
    "AqiResult",
    "Averaging",
    "Band",
    "Category",
    "category",
    "daily_aqi",
    "hourly_aqi",
    "nowcast",
    "qcvn05_limit",
    "rolling_8h_means",
    "round_half_up",
    "sub_index",
    "to_ugm3",
]

#: Indicator codes, in the order used for results and for breaking ties of the dominant one.
POLLUTANTS: tuple[str, ...] = ("pm25", "pm10", "o3", "no2", "so2", "co")

_PARTICLES: frozenset[str] = frozenset({"pm25", "pm10"})

NowcastForm = Literal["normalised", "literal"]


@dataclass(frozen=True)
class AqiPolicy:
    """Settings for the points QĐ 1459 leaves open; the defaults are the project's choice."""

    #: How NowCast is computed when w = 1/2: ``"normalised"`` divides by Σ wⁱ⁻¹ as in the
    #: w > 1/2 case; ``"literal"`` is the decision's printed formula Σ (1/2)ⁱ·cᵢ.
    nowcast_form: NowcastForm = "normalised"
    #: Upper bound on every sub-index; the decision is silent above level 8 (≥ 500).
    #: ``None`` extrapolates the last segment of Table 2 instead.
    cap: int | None = 500
    #: Minimum number of valid hourly values for a 24-hour mean or a daily 1-hour maximum.
    #: The decision sets none, so 0 means "any value present is enough".
    min_daily_hours: int = 0
    #: Minimum number of valid hourly values (of 8) for an 8-hour O3 mean.
    min_8h_values: int = 6

    def __post_init__(self) -> None:
        # Literal is not enforced at run time; a typo would silently pick the w > 1/2 path.
        if self.nowcast_form not in get_args(NowcastForm):
            raise ValueError(
                f"nowcast_form must be 'normalised' or 'literal', not {self.nowcast_form!r}"
            )
        if self.cap is not None and self.cap <= 0:
            raise ValueError(f"cap must be positive or None, not {self.cap!r}")
        if not 0 <= self.min_daily_hours <= 24:
            raise ValueError(f"min_daily_hours must be in 0..24, not {self.min_daily_hours!r}")
        if not 1 <= self.min_8h_values <= 8:
            raise ValueError(f"min_8h_values must be in 1..8, not {self.min_8h_values!r}")


_DEFAULT_POLICY = AqiPolicy()

# ---------------------------------------------------------------------------------------------
# Table 2: breakpoints BP_i (µg/m³) for the index levels I_i. Contiguous segments: there are no
# US-EPA-style ".1" gaps. The last value of each row is the "≥" level 8; O3 (8h) stops at
# level 6 because the 8-hour index is not computed above 400 µg/m³.
# ---------------------------------------------------------------------------------------------

#: Index values I_1 … I_8 of Table 2.
INDEX_LEVELS: tuple[int, ...] = (0, 50, 100, 150, 200, 300, 400, 500)

#: Breakpoints BP_i of Table 2 per sub-index table, aligned with :data:`INDEX_LEVELS`.
BREAKPOINTS: Mapping[str, tuple[float, ...]] = MappingProxyType(
    {
        "o3_1h": (0, 160, 200, 300, 400, 800, 1000, 1200),
        "o3_8h": (0, 100, 120, 170, 210, 400),
        "co": (0, 10000, 30000, 45000, 60000, 90000, 120000, 150000),
        "so2": (0, 125, 350, 550, 800, 1600, 2100, 2630),
        "no2": (0, 100, 200, 700, 1200, 2350, 3100, 3850),
        "pm10": (0, 50, 150, 250, 350, 420, 500, 600),
        "pm25": (0, 25, 50, 80, 150, 250, 350, 500),
    }
)

# Tolerance for half-up rounding: an interpolation that is mathematically x.5 can come out of
# binary floating point as x.4999999999999; 1e-9 is far above that noise and far below any
# meaningful AQI difference.
_HALF_UP_EPSILON = 1e-9


def round_half_up(x: float) -> int:
    """Round to the nearest integer, halves upwards (2.5 → 3, 109.5 → 110).

    Python's ``round`` rounds halves to even (2.5 → 2), which QĐ 1459's examples contradict.
    Halves go towards +∞ (-2.5 → -2); an AQI is never negative anyway. A value within 1e-9
    below a half counts as the half, to absorb floating-point noise. Non-finite input raises
    ``ValueError``.
    """
    if not math.isfinite(x):
        raise ValueError(f"cannot round non-finite value {x!r}")
    floor = math.floor(x)
    # x - floor is exact for the magnitudes an index takes, so the comparison is reliable.
    return int(floor) + (1 if x - floor >= 0.5 - _HALF_UP_EPSILON else 0)


def _valid(value: float | None) -> float | None:
    """The value as a float, or ``None`` when missing, NaN, infinite or negative."""
    if value is None:
        return None
    v = float(value)
    if not math.isfinite(v) or v < 0:
        return None
    return v


def nowcast(values: Sequence[float | None], policy: AqiPolicy = _DEFAULT_POLICY) -> float | None:
    """NowCast of PM2.5 or PM10 (QĐ 1459 §2.2.1.a), unrounded, or ``None`` ("no data").

    ``values[0]`` is c1, the current hour's 1-hour mean; ``values[1]`` the previous hour, and
    so on back to c12 (later items are ignored). Shorter sequences and ``None`` are missing
    hours. At least 2 of c1, c2, c3 must be present, otherwise there is no NowCast. A missing
    cᵢ gets weight 0 (it leaves numerator and denominator). w* = Cmin/Cmax over the present
    values; w = 1/2 when w* ≤ 1/2, else w*. See :class:`AqiPolicy` for the w = 1/2 form.
    """
    window = [_valid(v) for v in list(values)[:12]]
    if sum(1 for c in window[:3] if c is not None) < 2:
        return None
    present = [(i, c) for i, c in enumerate(window) if c is not None]
    c_max = max(c for _, c in present)
    if c_max == 0:
        # All zero: w* = 0/0 is undefined, but every weighted mean of zeros is 0.
        return 0.0
    w_star = min(c for _, c in present) / c_max
    if w_star <= 0.5:
        w = 0.5
        if policy.nowcast_form == "literal":
            # The decision's text: (1/2)·c1 + (1/2)²·c2 + … + (1/2)¹²·c12, no division.
            return sum(w ** (i + 1) * c for i, c in present)
    else:
        w = w_star
    numerator = sum(w**i * c for i, c in present)
    denominator = sum(w**i for i, _ in present)
    return numerator / denominator


def sub_index(
    table: str, concentration: float, policy: AqiPolicy = _DEFAULT_POLICY
) -> float | None:
    """Unrounded sub-index AQI_x of one concentration (Formula 1 of QĐ 1459), or ``None``.

    ``table`` is one of ``"pm25"``, ``"pm10"``, ``"o3_1h"``, ``"o3_8h"``, ``"co"``, ``"so2"``,
    ``"no2"`` (µg/m³). Linear interpolation between the breakpoints of Table 2; above level 8
    the result is capped (``policy.cap``) or the last segment extrapolated. ``None`` for an
    O3 8-hour value above 400 µg/m³ (the decision does not index it), and for negative,
    NaN or infinite input.
    """
    try:
        bps = BREAKPOINTS[table]
    except KeyError:
        raise ValueError(
            f"unknown sub-index table {table!r}; expected one of {sorted(BREAKPOINTS)}"
        ) from None
    c = _valid(concentration)
    if c is None:
        return None
    if c > bps[-1]:
        if table == "o3_8h":
            return None
        # Beyond the "≥" level 8: continue the last segment's slope; the cap below bounds it.
        segment = len(bps) - 2
    else:
        # First segment whose upper bound reaches c; at a breakpoint both neighbours agree.
        segment = next(i for i in range(len(bps) - 1) if c <= bps[i + 1])
    bp_lo, bp_hi = bps[segment], bps[segment + 1]
    i_lo, i_hi = INDEX_LEVELS[segment], INDEX_LEVELS[segment + 1]
    value = (i_hi - i_lo) / (bp_hi - bp_lo) * (c - bp_lo) + i_lo
    if policy.cap is not None:
        value = min(value, float(policy.cap))
    return value


# ---------------------------------------------------------------------------------------------
# Table 1 (categories, colours) with Tables 4 and 5 (health effects, recommended activities).
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Band:
    """One band of an index scale (VN_AQI, VN_WQI): key, names and colours."""

    key: str
    name_vi: str
    name_en: str
    #: Official fill colour as "#RRGGBB".
    color: str
    #: Text colour readable on :attr:`color` (the higher WCAG 2 contrast of black and white).
    text_color: str


#: The text colours of the bands.
BLACK = "#000000"
WHITE = "#FFFFFF"


@dataclass(frozen=True)
class Category(Band):
    """One band of Table 1: name, colour and short health advice (Tables 4 and 5)."""

    advice_vi: str
    advice_en: str
    #: Lowest AQI of the band (inclusive); the band ends where the next one starts.
    min_aqi: int


#: The six bands of Table 1, from best to worst.
CATEGORIES: tuple[Category, ...] = (
    Category(
        key="good",
        name_vi="Tốt",
        name_en="Good",
        color="#00E400",
        text_color=BLACK,
        advice_vi=(
            "Chất lượng không khí tốt, không ảnh hưởng tới sức khỏe. "
            "Tự do thực hiện các hoạt động ngoài trời."
        ),
        advice_en=(
            "Air quality is good and poses no health risk. Outdoor activities are unrestricted."
        ),
        min_aqi=0,
    ),
    Category(
        key="moderate",
        name_vi="Trung bình",
        name_en="Moderate",
        color="#FFFF00",
        text_color=BLACK,
        advice_vi=(
            "Chất lượng không khí ở mức chấp nhận được; người nhạy cảm (người già, trẻ em, "
            "người mắc bệnh hô hấp, tim mạch) có thể chịu tác động nhất định. Người nhạy "
            "cảm nên theo dõi các triệu chứng như ho hoặc khó thở, nhưng vẫn có thể hoạt động "
            "bên ngoài."
        ),
        advice_en=(
            "Air quality is acceptable; sensitive people (the elderly, children, people with "
            "respiratory or heart disease) may be somewhat affected. Sensitive people should watch "
            "for symptoms such as coughing or shortness of breath but can still be active outdoors."
        ),
        min_aqi=51,
    ),
    Category(
        key="poor",
        name_vi="Kém",
        name_en="Poor",
        color="#FF7E00",
        text_color=BLACK,
        advice_vi=(
            "Người nhạy cảm gặp các vấn đề về sức khỏe, người bình thường ít bị ảnh hưởng. "
            "Người có triệu chứng đau mắt, ho hoặc đau họng nên cân nhắc giảm hoạt động ngoài "
            "trời; người nhạy cảm nên giảm hoạt động mạnh và thời gian ở ngoài trời."
        ),
        advice_en=(
            "Sensitive people experience health effects; the general public is little "
            "affected. People with sore eyes, cough or sore throat should consider reducing "
            "outdoor activity; sensitive people should reduce strenuous activity and time "
            "outdoors."
        ),
        min_aqi=101,
    ),
    Category(
        key="bad",
        name_vi="Xấu",
        name_en="Bad",
        color="#FF0000",
        # WCAG contrast on pure red: black 5.25:1, white 4.00:1.
        text_color=BLACK,
        advice_vi=(
            "Mọi người bắt đầu bị ảnh hưởng tới sức khỏe, người nhạy cảm có thể gặp vấn đề "
            "nghiêm trọng hơn. Mọi người nên giảm hoạt động mạnh ngoài trời; người nhạy cảm nên "
            "ở trong nhà, nếu cần ra ngoài hãy đeo khẩu trang đạt tiêu chuẩn."
        ),
        advice_en=(
            "Everyone may begin to experience health effects; sensitive people may suffer more "
            "serious effects. Everyone should reduce strenuous outdoor activity; sensitive people "
            "should stay indoors and wear a certified mask if they must go out."
        ),
        min_aqi=151,
    ),
    Category(
        key="very_bad",
        name_vi="Rất xấu",
        name_en="Very bad",
        color="#8F3F97",
        text_color=WHITE,
        advice_vi=(
            "Cảnh báo sức khỏe: mọi người bị ảnh hưởng tới sức khỏe nghiêm trọng hơn. Hạn chế "
            "tối đa hoạt động ngoài trời, nếu cần ra ngoài hãy đeo khẩu trang đạt tiêu chuẩn; "
            "người nhạy cảm nên ở trong nhà và giảm hoạt động mạnh."
        ),
        advice_en=(
            "Health alert: everyone may experience more serious health effects. Keep outdoor "
            "activity to a minimum and wear a certified mask if you must go out; sensitive people "
            "should stay indoors and avoid strenuous activity."
        ),
        min_aqi=201,
    ),
    Category(
        key="hazardous",
        name_vi="Nguy hại",
        name_en="Hazardous",
        color="#7E0023",
        text_color=WHITE,
        advice_vi=(
            "Cảnh báo khẩn cấp về sức khỏe: toàn bộ dân số bị ảnh hưởng nghiêm trọng. Mọi người "
            "nên ở trong nhà, đóng cửa ra vào và cửa sổ; nếu cần ra ngoài hãy đeo khẩu trang "
            "đạt tiêu chuẩn."
        ),
        advice_en=(
            "Health emergency: the entire population is seriously affected. Everyone should stay "
            "indoors with doors and windows closed and wear a certified mask if they must go out."
        ),
        min_aqi=301,
    ),
)


def category(aqi: int) -> Category:
    """The Table 1 band of a (rounded) AQI; values above 500 stay "Nguy hại" (hazardous)."""
    if aqi < 0:
        raise ValueError(f"AQI cannot be negative: {aqi!r}")
    found = CATEGORIES[0]
    for band in CATEGORIES:
        if aqi >= band.min_aqi:
            found = band
    return found


# ---------------------------------------------------------------------------------------------
# Hourly and daily index.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AqiResult:
    """A station's VN_AQI for one hour or one day."""

    #: The index: the largest sub-index, rounded half-up.
    aqi: int
    #: Pollutant code with the highest sub-index ("o3" for either O3 table); the decision
    #: requires it to be marked on web and mobile.
    dominant: str
    #: Rounded AQI_x per pollutant present, in :data:`POLLUTANTS` order.
    sub_indices: dict[str, int]
    #: The C_x used per pollutant present (µg/m³): NowCast for PM and the current 1-hour mean
    #: for gases in the hourly index; 24-hour mean for PM and maximum 1-hour mean for gases
    #: (O3 included, even when its 8-hour index is the larger) in the daily index.
    concentrations: dict[str, float]

    @property
    def category(self) -> Category:
        """The Table 1 band of :attr:`aqi`."""
        return category(self.aqi)


def _check_pollutants(data: Mapping[str, object]) -> None:
    unknown = sorted(set(data) - set(POLLUTANTS))
    if unknown:
        raise ValueError(
            f"unknown pollutant code(s) {unknown}; expected a subset of {list(POLLUTANTS)}"
        )


def _result(indices: dict[str, float], concentrations: dict[str, float]) -> AqiResult | None:
    """Combine unrounded sub-indices; ``None`` without PM2.5 or PM10 (no VN_AQI, not 0)."""
    if not _PARTICLES & indices.keys():
        return None
    ordered = [p for p in POLLUTANTS if p in indices]
    # max() keeps the first of equal values, so ties go to the earlier code in POLLUTANTS.
    dominant = max(ordered, key=lambda p: indices[p])
    # Rounding the maximum equals the maximum of the rounded values (half-up is monotonic).
    return AqiResult(
        aqi=round_half_up(indices[dominant]),
        dominant=dominant,
        sub_indices={p: round_half_up(indices[p]) for p in ordered},
        concentrations={p: concentrations[p] for p in ordered},
    )


def hourly_aqi(
    last_hours: Mapping[str, Sequence[float | None]], policy: AqiPolicy = _DEFAULT_POLICY
) -> AqiResult | None:
    """Hourly VN_AQI (AQI^h, QĐ 1459 §2.2.1) of one station, or ``None``.

    ``last_hours[p][0]`` is pollutant ``p``'s 1-hour mean for the current hour, ``[1]`` the
    previous hour, and so on (µg/m³). PM2.5 and PM10 use NowCast over up to 12 values; gases
    use ``[0]`` only, O3 against the O3 (1h) table. A pollutant without a usable value is left
    out. Returns ``None`` when neither PM2.5 nor PM10 has a NowCast: there is no VN_AQI then.
    """
    _check_pollutants(last_hours)
    indices: dict[str, float] = {}
    concentrations: dict[str, float] = {}
    for pollutant, values in last_hours.items():
        c: float | None
        if pollutant in _PARTICLES:
            c = nowcast(values, policy)
        else:
            c = _valid(values[0]) if len(values) > 0 else None
        if c is None:
            continue
        index = sub_index("o3_1h" if pollutant == "o3" else pollutant, c, policy)
        if index is not None:
            indices[pollutant] = index
            concentrations[pollutant] = c
    return _result(indices, concentrations)


def _day(values: Sequence[float | None], what: str) -> list[float | None]:
    if len(values) > 24:
        raise ValueError(f"{what}: a day has at most 24 hourly values, got {len(values)}")
    return [_valid(v) for v in values]


def rolling_8h_means(
    day_values: Sequence[float | None],
    previous_hours: Sequence[float | None] = (),
    policy: AqiPolicy = _DEFAULT_POLICY,
) -> list[float | None]:
    """The day's 24 rolling 8-hour means, each ending at one hour of the day (QĐ 1459 §2.2.2.a).

    ``day_values`` are the day's hourly means labelled 01:00 … 24:00 (missing trailing hours
    may be omitted); ``previous_hours`` are the hours just before the day, oldest first (only
    the last 7 are used). Each mean is the plain mean of the valid values among its 8 hours,
    or ``None`` when fewer than ``policy.min_8h_values`` are valid.
    """
    day = _day(day_values, "day_values")
    day += [None] * (24 - len(day))
    previous = [_valid(v) for v in list(previous_hours)[-7:]]
    # Right-align: a short list holds the hours immediately before 01:00.
    hours: list[float | None] = [None] * (7 - len(previous))
    hours += previous + day
    means: list[float | None] = []
    for end in range(7, 31):
        window = [v for v in hours[end - 7 : end + 1] if v is not None]
        means.append(sum(window) / len(window) if len(window) >= policy.min_8h_values else None)
    return means


def daily_aqi(
    day_hours: Mapping[str, Sequence[float | None]],
    o3_previous_hours: Sequence[float | None] = (),
    policy: AqiPolicy = _DEFAULT_POLICY,
) -> AqiResult | None:
    """Daily VN_AQI (AQI^d, QĐ 1459 §2.2.2) of one station, or ``None``.

    ``day_hours[p]`` are the day's hourly means in order, labelled 01:00 … 24:00 (00:00 of the
    next day); ``None`` is a missing hour. PM2.5 and PM10 use the mean of the valid hours;
    SO2, NO2 and CO the maximum 1-hour mean. O3 takes the larger of the index of its maximum
    1-hour mean (O3 (1h) table) and of its maximum 8-hour mean (O3 (8h) table, see
    :func:`rolling_8h_means`; ``o3_previous_hours`` completes the early windows). The 8-hour
    index is skipped when the day's maximum 8-hour mean is above 400 µg/m³ or when no 8-hour
    mean is complete enough. A pollutant needs at least ``policy.min_daily_hours`` valid hours
    (and at least one). Returns ``None`` without PM2.5 or PM10.
    """
    _check_pollutants(day_hours)
    indices: dict[str, float] = {}
    concentrations: dict[str, float] = {}
    for pollutant, values in day_hours.items():
        day = _day(values, pollutant)
        present = [v for v in day if v is not None]
        if not present or len(present) < policy.min_daily_hours:
            continue
        index: float | None
        if pollutant in _PARTICLES:
            c = sum(present) / len(present)
            index = sub_index(pollutant, c, policy)
        elif pollutant == "o3":
            c = max(present)
            candidates = [sub_index("o3_1h", c, policy)]
            rolling = rolling_8h_means(day, o3_previous_hours, policy)
            means_8h = [m for m in rolling if m is not None]
            if means_8h:
                # sub_index returns None above 400 µg/m³: the decision's 8-hour skip rule.
                candidates.append(sub_index("o3_8h", max(means_8h), policy))
            valid = [i for i in candidates if i is not None]
            index = max(valid) if valid else None
        else:
            c = max(present)
            index = sub_index(pollutant, c, policy)
        if index is not None:
            indices[pollutant] = index
            concentrations[pollutant] = c
    return _result(indices, concentrations)


# ---------------------------------------------------------------------------------------------
# Unit conversion.
# ---------------------------------------------------------------------------------------------

#: Litres per mole of ideal gas at 25 °C and 760 mmHg, the reference of QCVN 05 (Nm³).
MOLAR_VOLUME_L = 24.45

#: Molecular weights (g/mol) for ppb/ppm conversion.
MOLECULAR_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {"no2": 46.0055, "so2": 64.066, "o3": 47.997, "co": 28.010}
)

# Per normalised unit: (factor to µg/m³ or to ppb, whether it is a gas mixing ratio that
# needs a molecular weight).
_UNIT_FACTORS: Mapping[str, tuple[float, bool]] = MappingProxyType(
    {
        "ug/m3": (1.0, False),
        "ug/nm3": (1.0, False),
        "mg/m3": (1000.0, False),
        "mg/nm3": (1000.0, False),
        "ppb": (1.0, True),
        "ppm": (1000.0, True),
    }
)


def _normalise_unit(unit: str) -> str:
    # Both the micro sign (U+00B5) and Greek mu (U+03BC) occur in instrument exports.
    return (
        unit.strip().lower().replace("µ", "u").replace("μ", "u").replace("³", "3").replace(" ", "")
    )


def to_ugm3(pollutant: str, value: float, unit: str) -> float:
    """Convert a concentration to µg/m³ (25 °C, 760 mmHg for mixing ratios).

    Units, case-insensitive: ``µg/m3``, ``ug/m3``, ``µg/m³``, ``ug/m³``, ``mg/m3``, ``mg/m³``
    (``Nm³`` spellings too), ``ppb`` and ``ppm``. ppb/ppm use µg/m³ = ppb × M / 24.45 with the
    molecular weight M of :data:`MOLECULAR_WEIGHTS`; they are meaningless for PM and raise
    ``ValueError``, as do an unknown pollutant or unit.
    """
    if pollutant not in POLLUTANTS:
        raise ValueError(f"unknown pollutant {pollutant!r}; expected one of {list(POLLUTANTS)}")
    entry = _UNIT_FACTORS.get(_normalise_unit(unit))
    if entry is None:
        raise ValueError(
            f"unknown unit {unit!r}; expected µg/m3, ug/m3, µg/m³, mg/m3, mg/m³, ppb or ppm"
        )
    factor, mixing_ratio = entry
    if not mixing_ratio:
        return value * factor
    weight = MOLECULAR_WEIGHTS.get(pollutant)
    if weight is None:
        raise ValueError(f"unit {unit!r} is a gas mixing ratio and cannot apply to {pollutant!r}")
    return value * factor * weight / MOLAR_VOLUME_L
