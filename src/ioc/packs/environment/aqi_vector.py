"""Hourly VN_AQI of one station over a run of hours at once, with numpy (issue 18).

The derive engine publishes the index of every hour a batch touched (and the 11 after it,
which NowCast still sees). Computing each hour with :func:`ioc.packs.environment.aqi.hourly_aqi`
rebuilt twelve-value windows per pollutant per hour in Python; here each pollutant's hourly
means become one array, its windows a strided view of it, and NowCast, the sub-indices and the
half-up rounding run over all hours together. :func:`~ioc.packs.environment.aqi.hourly_aqi`
stays the reference: a property test compares both on random hour arrays with gaps.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from ioc.packs.environment.aqi import (
    _HALF_UP_EPSILON,
    BREAKPOINTS,
    INDEX_LEVELS,
    POLLUTANTS,
    AqiPolicy,
    AqiResult,
)

HOUR = 3600
WINDOW = 12  # NowCast looks at c1 … c12
_PARTICLES = ("pm25", "pm10")
Floats = NDArray[np.float64]


def _column(means: Mapping[int, float], first_label: int, count: int) -> Floats:
    """Hourly means for the hours starting ``first_label - 12 h`` … ``last label - 1 h``
    (NaN where missing, negative or not finite: missing, as in ``aqi._valid``)."""
    start = first_label - WINDOW * HOUR
    get = means.get
    values = np.array(
        [get(start + j * HOUR, np.nan) for j in range(count + WINDOW - 1)], dtype=np.float64
    )
    values[~np.isfinite(values) | (values < 0)] = np.nan
    return values


@lru_cache(maxsize=64)
def _lags(count: int) -> NDArray[np.intp]:
    """Indices into a column (see :func:`_column`): row i, column k is c_(i+1) of label k."""
    return (WINDOW - 1 - np.arange(WINDOW))[:, None] + np.arange(count)[None, :]


def _nowcast(column: Floats, count: int, policy: AqiPolicy) -> Floats:
    """NowCast for each of ``count`` labels over ``column`` (see :func:`_column`), NaN for no
    NowCast. Row i of the (12, count) matrices is c_(i+1) of every label. ``cumsum`` adds the
    terms c1 → c12 one after the other like the scalar function's ``sum``, so both give the
    same floats (a missing c_i adds an exact 0)."""
    present = ~np.isnan(column)
    lags = _lags(count)
    c = column[lags]
    filled = np.where(present, column, 0.0)[lags]
    weight = present.astype(np.float64)[lags]
    enough = weight[0] + weight[1] + weight[2] >= 2
    c_max = np.fmax.reduce(c, axis=0)  # fmax/fmin skip NaN (missing hours)
    c_min = np.fmin.reduce(c, axis=0)
    w_star = c_min / c_max
    half = w_star <= 0.5
    w = np.where(half, 0.5, w_star)
    powers = w ** np.arange(WINDOW + 1, dtype=np.float64)[:, None]  # w⁰ … w¹²
    numerator = np.cumsum(powers[:WINDOW] * filled, axis=0)[-1]
    denominator = np.cumsum(powers[:WINDOW] * weight, axis=0)[-1]
    out = numerator / denominator
    if policy.nowcast_form == "literal":
        literal = np.cumsum(powers[1:] * filled, axis=0)[-1]
        out = np.where(half, literal, out)
    out = np.where(c_max == 0, 0.0, out)  # all zero: every weighted mean of zeros is 0
    return np.where(enough, out, np.nan)


# Table 2 as arrays: upper breakpoints (for the segment search), lower ones, index levels.
_TABLES = {
    name: (
        np.asarray(bps[1:], dtype=np.float64),
        np.asarray(bps, dtype=np.float64),
        np.asarray(INDEX_LEVELS, dtype=np.float64),
    )
    for name, bps in BREAKPOINTS.items()
}


def _sub_index(table: str, c: Floats, policy: AqiPolicy) -> Floats:
    """Unrounded sub-index of each concentration (NaN stays NaN), as ``aqi.sub_index``."""
    upper, bps, levels = _TABLES[table]
    # First segment whose upper bound reaches c; beyond the last level (and NaN, which sorts
    # last), the last segment.
    segment = np.minimum(np.searchsorted(upper, c, side="left"), len(upper) - 1)
    bp_lo, bp_hi = bps[segment], bps[segment + 1]
    i_lo, i_hi = levels[segment], levels[segment + 1]
    value: Floats = (i_hi - i_lo) / (bp_hi - bp_lo) * (c - bp_lo) + i_lo
    if policy.cap is not None:
        value = np.minimum(value, float(policy.cap))
    return value


def _round_half_up(x: Floats) -> NDArray[np.int64]:
    """``aqi.round_half_up`` element-wise (finite input)."""
    floor = np.floor(x)
    return floor.astype(np.int64) + (x - floor >= 0.5 - _HALF_UP_EPSILON)


def hourly_aqi_run(
    means: Mapping[str, Mapping[int, float]], first_label: int, last_label: int, policy: AqiPolicy
) -> list[tuple[int, AqiResult]]:
    """``(label, result)`` for every hour label in ``[first_label, last_label]`` (step one
    hour) that has an index; ``means[p]`` maps the START of an hour to pollutant ``p``'s
    hourly mean. Each result equals ``aqi.hourly_aqi`` of that label's last twelve hours."""
    count = (last_label - first_label) // HOUR + 1
    if count <= 0 or not any(p in means for p in _PARTICLES):
        return []
    conc: dict[str, Floats] = {}
    index: dict[str, Floats] = {}
    with np.errstate(divide="ignore", invalid="ignore"):  # 0/0 and NaN are expected here
        for p in POLLUTANTS:
            if p not in means:
                continue
            column = _column(means[p], first_label, count)
            if p in _PARTICLES:
                conc[p] = _nowcast(column, count, policy)
            else:
                conc[p] = column[WINDOW - 1 :]
            index[p] = _sub_index("o3_1h" if p == "o3" else p, conc[p], policy)
    ordered = list(index)
    stacked = np.vstack([index[p] for p in ordered])
    present = ~np.isnan(stacked)
    has_pm = np.zeros(count, dtype=bool)
    for r, p in enumerate(ordered):
        if p in _PARTICLES:
            has_pm |= present[r]
    rounded = _round_half_up(np.where(present, stacked, 0.0))
    # argmax keeps the first of equal values, like max() over POLLUTANTS order.
    dominant = np.where(present, stacked, -np.inf).argmax(axis=0)
    present_rows = present.T.tolist()
    rounded_rows = rounded.T.tolist()
    conc_rows = np.vstack([conc[p] for p in ordered]).T.tolist()
    out: list[tuple[int, AqiResult]] = []
    for k in np.flatnonzero(has_pm).tolist():
        rows = [r for r, here in enumerate(present_rows[k]) if here]
        d = int(dominant[k])
        out.append(
            (
                first_label + k * HOUR,
                AqiResult(
                    aqi=rounded_rows[k][d],
                    dominant=ordered[d],
                    sub_indices={ordered[r]: rounded_rows[k][r] for r in rows},
                    concentrations={ordered[r]: conc_rows[k][r] for r in rows},
                ),
            )
        )
    return out
