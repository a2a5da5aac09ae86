"""Vietnamese surface-water quality index (VN_WQI) per QĐ 1460/QĐ-TCMT (12/11/2019).

Pure functions, no database, no clock: the sub-indices WQI_SI of every parameter of groups
I–V, the group aggregates, the final index (Formulas 3, 4 and 5), the data requirements and
the six categories with their official colours.

Parameter names are the water indicator codes without their ``w_`` prefix: ``ph`` (group I);
``aldrin``, ``bhc``, ``dieldrin``, ``ddts``, ``heptachlor`` (II, µg/L); ``as``, ``cd``, ``pb``,
``cr6``, ``cu``, ``zn``, ``hg`` (III, mg/L); ``do``, ``bod5``, ``cod``, ``toc``, ``nh4``,
``no3``, ``no2``, ``po4`` (IV, mg/L); ``coliform``, ``ecoli`` (V, MPN/100 mL). ``temp`` is the
water temperature (°C) that DO needs.

The tables come from two open-source implementations, not from the decision's own text
(see the shared domain note water-quality.md §8). Decisions where they are silent or
disagree (the open ones are in :class:`WqiPolicy`):

* Formula 3 (square root of WQI_IV·WQI_V) by default; Formula 5 (weighted cube root) on
  request; Formula 4 (WQI_IV alone) applies automatically whenever group V is absent.
* Repeated first breakpoint (N-NH4, Cd, Pb, Hg, where BP1 = BP2): below BP1 gives 100,
  above it the curve runs from 75. The value *exactly at* BP1 gives 75 by default
  (``repeated_breakpoint_edge="75"``), which is how the source tables read ("< BP1 → 100;
  BP1 → 75"); ``"100"`` instead treats BP1 as still within the 100 band (C ≤ BP1 → 100),
  as the general rule "C ≤ BP1 gives 100" of the other tables would.
* A BP5 written ">x" (N-NO3, N-NO2, As, Coliform, E.coli): any value above the last
  numeric breakpoint gives 10 (no interpolation, a step). A numeric BP5: interpolate from
  q = 25 at BP4 to q = 10 at BP5; at or above BP5 gives 10.
* pH below 5.5 or above 9 gives ``outside_ph`` (10; the old QĐ 879 gave 1).
* DO% below 20 or above 200 gives 10.
* Values that are ``None``, NaN, infinite or negative are missing (input has passed QA/QC).
* Sub-indices and group values are kept unrounded; only VN_WQI is rounded, half-up.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal, get_args

from ioc.packs.environment.aqi import BLACK, WHITE, Band, round_half_up

__all__ = [
    "GROUPS",
    "GROUP_NAMES_VI",
    "PARAMETERS",
    "PESTICIDE_LIMITS",
    "TABLES",
    "WQI_CATEGORIES",
    "Table",
    "WqiCategory",
    "WqiPolicy",
    "WqiResult",
    "do_percent",
    "do_saturation",
    "missing_requirements",
    "sub_index",
    "vn_wqi",
    "wqi_category",
]

Formula = Literal["3", "5"]
Edge = Literal["100", "75"]


@dataclass(frozen=True)
class WqiPolicy:
    """Settings for the points the available sources leave open; the defaults are ours."""

    #: Final formula when group V is present: ``"3"`` = (WQI_IV·WQI_V)^(1/2),
    #: ``"5"`` = (WQI_IV²·WQI_V)^(1/3). Without group V, Formula 4 applies regardless.
    formula: Formula = "3"
    #: Sub-index of a value exactly at the repeated first breakpoint of N-NH4, Cd, Pb, Hg:
    #: ``"75"`` (source tables: "BP1 gives 75") or ``"100"`` (C ≤ BP1 gives 100).
    repeated_breakpoint_edge: Edge = "75"
    #: Sub-index of pH below 5.5 or above 9 (QĐ 1460: 10; QĐ 879 used 1).
    outside_ph: int = 10

    def __post_init__(self) -> None:
        # Literal is not enforced at run time; a typo must not silently pick a branch.
        if self.formula not in get_args(Formula):
            raise ValueError(f"formula must be '3' or '5', not {self.formula!r}")
        if self.repeated_breakpoint_edge not in get_args(Edge):
            raise ValueError(
                "repeated_breakpoint_edge must be '100' or '75', "
                f"not {self.repeated_breakpoint_edge!r}"
            )
        if not 0 <= self.outside_ph <= 100:
            raise ValueError(f"outside_ph must be in 0..100, not {self.outside_ph!r}")


_DEFAULT_POLICY = WqiPolicy()

# ---------------------------------------------------------------------------------------------
# Groups and tables.
# ---------------------------------------------------------------------------------------------

#: Parameters per group, in the order of the decision.
GROUPS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "I": ("ph",),
        "II": ("aldrin", "bhc", "dieldrin", "ddts", "heptachlor"),
        "III": ("as", "cd", "pb", "cr6", "cu", "zn", "hg"),
        "IV": ("do", "bod5", "cod", "toc", "nh4", "no3", "no2", "po4"),
        "V": ("coliform", "ecoli"),
    }
)

#: Vietnamese group names for messages.
GROUP_NAMES_VI: Mapping[str, str] = MappingProxyType(
    {
        "I": "nhóm I (pH)",
        "II": "nhóm II (thuốc bảo vệ thực vật)",
        "III": "nhóm III (kim loại nặng)",
        "IV": "nhóm IV (chất hữu cơ và dinh dưỡng)",
        "V": "nhóm V (vi sinh)",
    }
)

#: Every parameter with a sub-index, groups I to V.
PARAMETERS: tuple[str, ...] = tuple(p for group in GROUPS.values() for p in group)

_GROUP_OF: Mapping[str, str] = MappingProxyType({p: g for g, ps in GROUPS.items() for p in ps})

#: Labels used in messages (the decision's spelling).
_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "ph": "pH",
        "aldrin": "Aldrin",
        "bhc": "BHC",
        "dieldrin": "Dieldrin",
        "ddts": "DDTs",
        "heptachlor": "Heptachlor & Heptachlorepoxide",
        "as": "As",
        "cd": "Cd",
        "pb": "Pb",
        "cr6": "Cr6+",
        "cu": "Cu",
        "zn": "Zn",
        "hg": "Hg",
        "do": "DO",
        "bod5": "BOD5",
        "cod": "COD",
        "toc": "TOC",
        "nh4": "N-NH4",
        "no3": "N-NO3",
        "no2": "N-NO2",
        "po4": "P-PO4",
        "coliform": "Coliform",
        "ecoli": "E.coli",
    }
)

#: Keys :func:`vn_wqi` accepts besides :data:`PARAMETERS`: the temperature DO needs, and
#: water indicators outside the index (ignored).
TEMPERATURE = "temp"
_IGNORED: frozenset[str] = frozenset({"tss", "turbidity"})

#: Group II limits (µg/L): ≤ limit gives 100, above gives 10 (= QCVN 08:2023/BTNMT limits).
PESTICIDE_LIMITS: Mapping[str, float] = MappingProxyType(
    {"aldrin": 0.1, "bhc": 0.02, "dieldrin": 0.1, "ddts": 1.0, "heptachlor": 0.2}
)

#: q values at BP1 … BP5 of the group III, IV and V tables.
TABLE_Q: tuple[int, ...] = (100, 75, 50, 25, 10)


@dataclass(frozen=True)
class Table:
    """One row of the group III/IV/V tables: numeric breakpoints and the kind of BP5.

    ``breakpoints`` are BP1 … BPk (k ≤ 5) for q = 100, 75, … of :data:`TABLE_Q`. When
    ``open_top`` is true the table's last column reads "> BPk" (any value above BPk gives 10);
    otherwise BP5 is numeric and the curve runs from 25 at BP4 to 10 at BP5.
    """

    breakpoints: tuple[float, ...]
    open_top: bool = False

    @property
    def repeated_first(self) -> bool:
        """True for N-NH4, Cd, Pb and Hg, whose BP1 equals BP2."""
        return len(self.breakpoints) > 1 and self.breakpoints[0] == self.breakpoints[1]


#: Tables 1 and 2 (groups III, IV without DO, and V). mg/L; Coliform and E.coli MPN/100 mL.
TABLES: Mapping[str, Table] = MappingProxyType(
    {
        # Group IV
        "bod5": Table((4, 6, 15, 25, 50)),
        "cod": Table((10, 15, 30, 50, 150)),
        "toc": Table((4, 6, 15, 25, 50)),
        "nh4": Table((0.3, 0.3, 0.6, 0.9, 5)),
        "no3": Table((2, 5, 10, 15), open_top=True),
        "no2": Table((0.05,), open_top=True),
        "po4": Table((0.1, 0.2, 0.3, 0.5, 4)),
        # Group V
        "coliform": Table((2500, 5000, 7500, 10000), open_top=True),
        "ecoli": Table((20, 50, 100, 200), open_top=True),
        # Group III
        "as": Table((0.01, 0.02, 0.05, 0.1), open_top=True),
        "cd": Table((0.005, 0.005, 0.008, 0.01, 0.1)),
        "pb": Table((0.02, 0.02, 0.04, 0.05, 0.5)),
        "cr6": Table((0.01, 0.02, 0.04, 0.05, 0.1)),
        "cu": Table((0.1, 0.2, 0.5, 1.0, 2.0)),
        "zn": Table((0.5, 1.0, 1.5, 2.0, 3.0)),
        "hg": Table((0.001, 0.001, 0.0015, 0.002, 0.01)),
    }
)

#: pH curve: (pH, q) points; below the first or above the last gives ``outside_ph``.
PH_POINTS: tuple[tuple[float, float], ...] = ((5.5, 50), (6, 100), (8.5, 100), (9, 50))

#: DO% curve: (DO%, q) points; below the first or above the last gives 10.
DO_POINTS: tuple[tuple[float, float], ...] = (
    (20, 25),
    (50, 50),
    (75, 75),
    (88, 100),
    (112, 100),
    (125, 75),
    (150, 50),
    (200, 25),
)

_FLOOR = 10.0


def _valid(value: float | None) -> float | None:
    """The value as a float, or ``None`` when missing, NaN, infinite or negative."""
    if value is None:
        return None
    v = float(value)
    if not math.isfinite(v) or v < 0:
        return None
    return v


def _line(x: float, x0: float, q0: float, x1: float, q1: float) -> float:
    """The straight line through (x0, q0) and (x1, q1) at x: Formulas 1 and 2 of the decision
    are both this line (falling and rising); callers never pass x0 == x1."""
    return (q1 - q0) / (x1 - x0) * (x - x0) + q0


def _curve(x: float, points: tuple[tuple[float, float], ...], outside: float) -> float:
    """Piecewise-linear curve through ``points`` (inclusive ends); ``outside`` beyond them."""
    if x < points[0][0] or x > points[-1][0]:
        return outside
    for (x0, q0), (x1, q1) in itertools.pairwise(points):
        if x <= x1:
            return _line(x, x0, q0, x1, q1)
    return points[-1][1]  # unreachable: x ≤ the last point was checked above


# ---------------------------------------------------------------------------------------------
# Dissolved oxygen.
# ---------------------------------------------------------------------------------------------


def do_saturation(temp_c: float) -> float:
    """Saturated dissolved oxygen (mg/L) at water temperature ``temp_c`` (°C).

    DO_sat = 14.652 − 0.41022·T + 0.0079910·T² − 0.000077774·T³ (25 °C → 8.1757).
    """
    t = float(temp_c)
    return 14.652 - 0.41022 * t + 0.0079910 * t**2 - 0.000077774 * t**3


def do_percent(do_mg_l: float, temp_c: float) -> float:
    """Dissolved oxygen as percent saturation: DO / DO_sat(T) × 100."""
    return float(do_mg_l) / do_saturation(temp_c) * 100


# ---------------------------------------------------------------------------------------------
# Sub-indices.
# ---------------------------------------------------------------------------------------------


def _table_index(table: Table, c: float, policy: WqiPolicy) -> float:
    bps = table.breakpoints
    if c < bps[0]:
        return 100.0
    if c == bps[0]:
        if table.repeated_first and policy.repeated_breakpoint_edge == "75":
            return float(TABLE_Q[1])
        return 100.0
    if table.open_top and c > bps[-1]:
        return _FLOOR
    if c >= bps[-1]:
        # Numeric BP5 (or the last numeric breakpoint of an open table, reached exactly).
        return float(TABLE_Q[len(bps) - 1])
    # bps[0] < c < bps[-1]: the first segment whose upper end reaches c. A zero-width
    # segment (BP1 = BP2) is never chosen because c > BP1 = BP2 already.
    i = next(k for k in range(len(bps) - 1) if c <= bps[k + 1])
    return _line(c, bps[i], TABLE_Q[i], bps[i + 1], TABLE_Q[i + 1])


def sub_index(
    parameter: str,
    value: float,
    *,
    temperature: float | None = None,
    policy: WqiPolicy = _DEFAULT_POLICY,
) -> float | None:
    """Unrounded sub-index WQI_SI (10 … 100) of one parameter, or ``None`` ("no value").

    ``parameter`` is a name of :data:`PARAMETERS` (a leading ``w_`` is accepted). DO (mg/L)
    needs the water ``temperature`` (°C) for DO%; without it the result is ``None``.
    ``None`` too for a value that is missing, NaN, infinite or negative.
    """
    name = _name(parameter)
    if name not in _GROUP_OF:
        raise ValueError(f"unknown WQI parameter {parameter!r}; expected one of {PARAMETERS}")
    c = _valid(value)
    if c is None:
        return None
    if name == "ph":
        return _curve(c, PH_POINTS, float(policy.outside_ph))
    if name == "do":
        t = None if temperature is None else float(temperature)
        if t is None or not math.isfinite(t) or do_saturation(t) <= 0:
            return None
        return _curve(do_percent(c, t), DO_POINTS, _FLOOR)
    limit = PESTICIDE_LIMITS.get(name)
    if limit is not None:
        return 100.0 if c <= limit else _FLOOR
    return _table_index(TABLES[name], c, policy)


def _name(key: str) -> str:
    return key[2:] if key.startswith("w_") else key


# ---------------------------------------------------------------------------------------------
# Categories (Table 7 of the guide).
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WqiCategory(Band):
    """One VN_WQI band: name, official colour and suitable water use."""

    #: Lowest VN_WQI of the band (inclusive); the band ends where the next better one starts.
    min_wqi: int
    use_vi: str
    use_en: str


#: The six bands, from best to worst. English names keep the order monotone ("Kém" is
#: literally "poor" but ranks below "Xấu" here).
WQI_CATEGORIES: tuple[WqiCategory, ...] = (
    WqiCategory(
        key="very_good",
        min_wqi=91,
        name_vi="Rất tốt",
        name_en="Very good",
        color="#3333FF",  # RGB 51;51;255 — white 6.9:1, black 3.1:1
        text_color=WHITE,
        use_vi="Sử dụng tốt cho mục đích cấp nước sinh hoạt",
        use_en="Good for domestic water supply",
    ),
    WqiCategory(
        key="good",
        min_wqi=76,
        name_vi="Tốt",
        name_en="Good",
        color="#00E400",  # RGB 0;228;0
        text_color=BLACK,
        use_vi="Sử dụng cho mục đích cấp nước sinh hoạt nhưng cần các biện pháp xử lý phù hợp",
        use_en="Domestic water supply with appropriate treatment",
    ),
    WqiCategory(
        key="medium",
        min_wqi=51,
        name_vi="Trung bình",
        name_en="Medium",
        color="#FFFF00",  # RGB 255;255;0
        text_color=BLACK,
        use_vi="Sử dụng cho mục đích tưới tiêu và các mục đích tương đương khác",
        use_en="Irrigation and similar uses",
    ),
    WqiCategory(
        key="bad",
        min_wqi=26,
        name_vi="Xấu",
        name_en="Bad",
        color="#FF7E00",  # RGB 255;126;0
        text_color=BLACK,
        use_vi="Sử dụng cho giao thông thủy và các mục đích tương đương khác",
        use_en="Waterway transport and similar uses",
    ),
    WqiCategory(
        key="very_bad",
        min_wqi=10,
        name_vi="Kém",
        name_en="Very bad",
        color="#FF0000",  # RGB 255;0;0 — black 5.25:1, white 4.0:1
        text_color=BLACK,
        use_vi="Nước ô nhiễm nặng, cần các biện pháp xử lý trong tương lai",
        use_en="Heavily polluted water; treatment needed in future",
    ),
    WqiCategory(
        key="heavily_polluted",
        min_wqi=0,
        name_vi="Ô nhiễm rất nặng",
        name_en="Seriously polluted",
        color="#7E0023",  # RGB 126;0;35
        text_color=WHITE,
        use_vi="Nước nhiễm độc, cần có biện pháp khắc phục, xử lý",
        use_en="Toxic water; remediation and treatment needed",
    ),
)


def wqi_category(wqi: int) -> WqiCategory:
    """The band of a (rounded) VN_WQI: 91–100, 76–90, 51–75, 26–50, 10–25, < 10."""
    if not 0 <= wqi <= 100:
        raise ValueError(f"VN_WQI must be in 0..100, not {wqi!r}")
    return next(band for band in WQI_CATEGORIES if wqi >= band.min_wqi)


# ---------------------------------------------------------------------------------------------
# The index.
# ---------------------------------------------------------------------------------------------


@dataclass
class WqiResult:
    """VN_WQI of one sample (or one day of an automatic station)."""

    #: The index, rounded half-up.
    wqi: int
    category: WqiCategory
    #: Unrounded WQI_I … WQI_V of the groups present.
    groups: dict[str, float]
    #: Unrounded WQI_SI per parameter used, in :data:`PARAMETERS` order.
    sub_indices: dict[str, float]
    #: "3", "4" or "5".
    formula: str


@dataclass(frozen=True)
class _Analysis:
    sub_indices: dict[str, float]
    problems: list[str]


def _analyse(values: Mapping[str, float | None], policy: WqiPolicy) -> _Analysis:
    clean: dict[str, float] = {}
    for key, raw in values.items():
        name = _name(key)
        if name in _IGNORED:
            continue
        if name != TEMPERATURE and name not in _GROUP_OF:
            raise ValueError(
                f"unknown WQI parameter {key!r}; expected {TEMPERATURE!r} or one of {PARAMETERS}"
            )
        if raw is None:
            continue
        v = float(raw)
        if math.isfinite(v) and (v >= 0 or name == TEMPERATURE):
            clean[name] = v
    temperature = clean.get(TEMPERATURE)
    subs: dict[str, float] = {}
    for p in PARAMETERS:
        if p in clean:
            si = sub_index(p, clean[p], temperature=temperature, policy=policy)
            if si is not None:
                subs[p] = si
    present = [g for g, ps in GROUPS.items() if any(p in subs for p in ps)]
    n_iv = sum(1 for p in GROUPS["IV"] if p in subs)
    problems: list[str] = []
    if n_iv < 3:
        used = ", ".join(_LABELS[p] for p in GROUPS["IV"] if p in subs) or "không có"
        problems.append(
            f"Thiếu {GROUP_NAMES_VI['IV']}: bắt buộc có ít nhất 3 thông số trong "
            f"{', '.join(_LABELS[p] for p in GROUPS['IV'])} (hiện có {n_iv}: {used})."
        )
    if len(present) < 3:
        have = ", ".join(GROUP_NAMES_VI[g] for g in present) or "không có nhóm nào"
        problems.append(
            f"Cần số liệu của ít nhất 3 trong 5 nhóm thông số (hiện có {len(present)}: {have})."
        )
    if problems and "do" in clean and "do" not in subs:
        problems.append("DO không được tính vì thiếu nhiệt độ nước (cần để tính DO% bão hòa).")
    return _Analysis(subs, problems)


def missing_requirements(
    values: Mapping[str, float | None], policy: WqiPolicy = _DEFAULT_POLICY
) -> list[str]:
    """Why no VN_WQI can be computed from ``values``, in Vietnamese; empty when it can."""
    return _analyse(values, policy).problems


def _geometric_mean(xs: list[float]) -> float:
    # On the 0–1 scale a group of 100s gives exactly 1.0 (exp/log would give 1.0000000000000004
    # and nudge a result sitting on a half). Sub-indices are ≥ 1, so the product cannot underflow.
    return math.prod(x / 100 for x in xs) ** (1 / len(xs)) * 100


def vn_wqi(
    values: Mapping[str, float | None], policy: WqiPolicy = _DEFAULT_POLICY
) -> WqiResult | None:
    """VN_WQI of one sample, or ``None`` when the data requirements fail (never 0 then).

    ``values`` maps parameter names (see :data:`PARAMETERS`, a ``w_`` prefix is accepted) and
    ``"temp"`` (°C) to values in the units of the tables. ``tss`` and ``turbidity`` are
    ignored; other unknown keys raise ``ValueError``. Requirements: at least 3 of the 5 groups,
    group IV with at least 3 parameters (DO counts only with a temperature).
    Groups: WQI_I = pH; WQI_II, WQI_III geometric means; WQI_IV, WQI_V arithmetic means; a
    missing group I, II or III is a factor 1. VN_WQI = (WQI_I/100)(WQI_II/100)(WQI_III/100)·X
    with X = (WQI_IV·WQI_V)^(1/2) (Formula 3), (WQI_IV²·WQI_V)^(1/3) (Formula 5, if the
    policy says so) or WQI_IV (Formula 4, when group V is absent). Rounded half-up.
    """
    analysis = _analyse(values, policy)
    if analysis.problems:
        return None
    subs = analysis.sub_indices
    groups: dict[str, float] = {}
    for group, params in GROUPS.items():
        xs = [subs[p] for p in params if p in subs]
        if not xs:
            continue
        if group in ("II", "III"):
            groups[group] = _geometric_mean(xs)
        else:  # I has one parameter; IV and V are arithmetic means
            groups[group] = sum(xs) / len(xs)
    factor = 1.0
    for group in ("I", "II", "III"):
        factor *= groups.get(group, 100.0) / 100
    iv = groups["IV"]
    v = groups.get("V")
    if v is None:
        formula, core = "4", iv
    elif policy.formula == "5":
        formula, core = "5", (iv * iv * v) ** (1 / 3)
    else:
        formula, core = "3", math.sqrt(iv * v)
    wqi = round_half_up(factor * core)
    return WqiResult(
        wqi=wqi,
        category=wqi_category(wqi),
        groups=groups,
        sub_indices=subs,
        formula=formula,
    )
