"""Hourly VN_AQI of one station over a run of hours at once, with numpy (issue 18).

The derive engine publishes the index of every hour a batch touched (and the 11 after it,
which NowCast still sees). Computing each hour with :func:`ioc.packs.environment.aqi.hourly_aqi`
rebuilt twelve-value windows per pollutant per hour in Python; here each pollutant's hourly
means become one array, its windows a strided view of it, and NowCast, the sub-indices and the
half-up rounding run over all hours together. :func:`~ioc.packs.environment.aqi.hourly_aqi`
stays the reference: a property test compares both on random hour arrays with gaps.

The derivation itself uses :func:`hour_columns` (the hourly means read once per station and
span, as arrays), :func:`hourly_index_rows` and :func:`daily_index_rows` (the daily index of
every local day of the span at once: 24-hour means, daily maxima, O3's rolling 8-hour means),
which return the stored rows directly; property tests compare them with
:func:`~ioc.packs.environment.aqi.hourly_aqi` and :func:`~ioc.packs.environment.aqi.daily_aqi`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from itertools import chain

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
    """Unrounded sub-index of each concentration (NaN stays NaN), as ``aqi.sub_index``: NaN
    also for infinite input (``aqi._valid``) and for an O3 8-hour value above the last
    breakpoint (the decision does not index it)."""
    upper, bps, levels = _TABLES[table]
    # First segment whose upper bound reaches c; beyond the last level (and NaN, which sorts
    # last), the last segment.
    segment = np.minimum(np.searchsorted(upper, c, side="left"), len(upper) - 1)
    bp_lo, bp_hi = bps[segment], bps[segment + 1]
    i_lo, i_hi = levels[segment], levels[segment + 1]
    value: Floats = (i_hi - i_lo) / (bp_hi - bp_lo) * (c - bp_lo) + i_lo
    if policy.cap is not None:
        value = np.minimum(value, float(policy.cap))
    # A sum of huge values can overflow to infinity, which the scalar code treats as missing.
    unusable = ~np.isfinite(c)
    if table == "o3_8h":
        unusable |= c > bps[-1]
    if unusable.any():
        value = np.where(unusable, np.nan, value)
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


# ------------------------------------------------------------------ rows for the derivation

DAY = 24 * HOUR
_O3_8H_LAGS = np.arange(7, -1, -1)[:, None]  # an 8-hour window, oldest hour first

#: One stored index: its label, the index, the dominant pollutant, then the rounded sub-index
#: of each of :data:`~ioc.packs.environment.aqi.POLLUTANTS` (``None`` where it has none).
IndexRow = tuple[object, ...]


def hour_columns(
    rows: Sequence[tuple[int, int, float | None]], sids: Mapping[str, int], base: int, hours: int
) -> dict[str, Floats]:
    """One array per pollutant of ``sids`` (``{pollutant: series id}``), in
    :data:`~ioc.packs.environment.aqi.POLLUTANTS` order, from ``(series id, hour start, mean)``
    rows: element j is the mean of the hour starting ``base + j`` hours, NaN where it is
    missing, negative or not finite (missing, as in ``aqi._valid``)."""
    ordered = [p for p in POLLUTANTS if p in sids]
    matrix = np.full((len(ordered), hours), np.nan)
    if rows and ordered:
        try:
            # fromiter over the flattened rows: half the time of np.array's type discovery.
            flat = chain.from_iterable(rows)
            table = np.fromiter(flat, np.float64, 3 * len(rows)).reshape(-1, 3)
        except TypeError:  # a NULL mean (no values in the hour)
            table = np.array(rows, dtype=np.float64)  # None becomes NaN
        keys = np.array([sids[p] for p in ordered], dtype=np.float64)
        order = np.argsort(keys)
        found = np.minimum(np.searchsorted(keys[order], table[:, 0]), len(keys) - 1)
        since = table[:, 1] - base
        slot = since // HOUR
        # Rows of these series only, and buckets on the hour grid within the span: the scalar
        # code looks hours up by their exact start, so nothing else can be seen.
        usable = (
            (keys[order][found] == table[:, 0]) & (since % HOUR == 0) & (slot >= 0) & (slot < hours)
        )
        matrix[order[found[usable]], slot[usable].astype(np.intp)] = table[usable, 2]
    matrix[~np.isfinite(matrix) | (matrix < 0)] = np.nan
    return dict(zip(ordered, matrix, strict=True))


def _index_rows(first: int, step: int, index: Mapping[str, Floats]) -> list[IndexRow]:
    """Rows (see :data:`IndexRow`) labelled ``first + k·step`` from unrounded sub-indices per
    pollutant (NaN = none), for the labels where PM2.5 or PM10 has one; as ``aqi._result``."""
    ordered = list(index)
    particles = [r for r, p in enumerate(ordered) if p in _PARTICLES]
    if not particles:
        return []
    stacked = np.vstack([index[p] for p in ordered])
    keep = np.flatnonzero((~np.isnan(stacked[particles])).any(axis=0))
    if not len(keep):
        return []
    stacked = stacked[:, keep]
    present = ~np.isnan(stacked)
    rounded = _round_half_up(np.where(present, stacked, 0.0))
    # argmax keeps the first of equal values, like max() over POLLUTANTS order.
    dominant = np.where(present, stacked, -np.inf).argmax(axis=0)
    # Columns as lists of Python objects (the drivers bind neither numpy integers nor NaN),
    # zipped into rows in C rather than built value by value.
    subs = rounded.astype(object)
    subs[~present] = None
    by_pollutant = dict(zip(ordered, subs.tolist(), strict=True))
    absent = [None] * len(keep)
    return list(
        zip(
            (first + keep * step).tolist(),
            rounded[dominant, np.arange(len(keep))].tolist(),
            np.array(ordered, dtype=object)[dominant].tolist(),
            *(by_pollutant.get(p, absent) for p in POLLUTANTS),
            strict=True,
        )
    )


def hourly_index_rows(
    columns: Mapping[str, Floats], base: int, first_label: int, last_label: int, policy: AqiPolicy
) -> list[IndexRow]:
    """Hourly index rows for every label in ``[first_label, last_label]`` that has an index,
    from :func:`hour_columns` starting at hour ``base``; each equals ``aqi.hourly_aqi`` of the
    twelve hours before its label."""
    count = (last_label - first_label) // HOUR + 1
    if count <= 0 or not any(p in columns for p in _PARTICLES):
        return []
    start, misaligned = divmod(first_label - WINDOW * HOUR - base, HOUR)
    if misaligned or start < 0:
        raise ValueError("hour columns must start on the hour, 12 hours before the first label")
    index: dict[str, Floats] = {}
    with np.errstate(divide="ignore", invalid="ignore"):  # 0/0 and NaN are expected here
        for p, values in columns.items():
            column = values[start : start + count + WINDOW - 1]
            if len(column) < count + WINDOW - 1:
                raise ValueError("hour columns end before the last label")
            c = _nowcast(column, count, policy) if p in _PARTICLES else column[WINDOW - 1 :]
            index[p] = _sub_index("o3_1h" if p == "o3" else p, c, policy)
    return _index_rows(first_label, HOUR, index)


def daily_index_rows(
    columns: Mapping[str, Floats], base: int, first_day: int, days: int, policy: AqiPolicy
) -> list[IndexRow]:
    """Daily index rows for the ``days`` days from ``first_day`` (local midnight) that have an
    index, from :func:`hour_columns` starting at hour ``base`` (at least 7 hours before the
    first day: O3's first 8-hour windows reach back there). Each equals ``aqi.daily_aqi`` of
    the day's 24 hours and the 7 hours before. A day that does not start on the hour has no
    hourly value, hence no index (hourly means are stored per UTC hour)."""
    if days <= 0 or not any(p in columns for p in _PARTICLES):
        return []
    start, misaligned = divmod(first_day - base, HOUR)
    if misaligned:
        return []
    if start < 7:
        raise ValueError("hour columns must start at least 7 hours before the first day")
    needed = start + 24 * days
    min_hours = max(1, policy.min_daily_hours)
    index: dict[str, Floats] = {}
    with np.errstate(divide="ignore", invalid="ignore"):  # 0/0 and NaN are expected here
        for p, column in columns.items():
            if len(column) < needed:
                raise ValueError("hour columns end before the last day")
            values = column[start:needed].reshape(days, 24)
            present = ~np.isnan(values)
            counts = present.sum(axis=1)
            if p in _PARTICLES:
                # cumsum adds the hours in order like the scalar sum (a missing one adds 0).
                mean = np.cumsum(np.where(present, values, 0.0), axis=1)[:, -1] / counts
                sub = _sub_index(p, mean, policy)
            else:
                sub = _sub_index(
                    "o3_1h" if p == "o3" else p, np.fmax.reduce(values, axis=1), policy
                )
                if p == "o3":
                    sub = np.fmax(sub, _o3_8h_index(column, start, days, policy))
            index[p] = np.where(counts >= min_hours, sub, np.nan)
    return _index_rows(first_day, DAY, index)


def _o3_8h_index(column: Floats, start: int, days: int, policy: AqiPolicy) -> Floats:
    """Per day, the O3 (8h) sub-index of the day's largest rolling 8-hour mean (NaN when no
    mean is complete enough or it is above the table), as in ``aqi.daily_aqi``."""
    ends = start + np.arange(24 * days)
    windows = column[ends[None, :] - _O3_8H_LAGS]  # (8, hours): row 0 the oldest hour
    present = ~np.isnan(windows)
    counts = present.sum(axis=0)
    means = np.cumsum(np.where(present, windows, 0.0), axis=0)[-1] / counts
    means = np.where(counts >= policy.min_8h_values, means, np.nan)
    return _sub_index("o3_8h", np.fmax.reduce(means.reshape(days, 24), axis=1), policy)
