"""Plan vs actual arithmetic (pure functions, no database, no clock).

Values of one indicator and area for one year are given as ``{last month of the period:
value}`` — month m for a monthly value, 3/6/9/12 for quarters, 12 for the year — so monthly,
quarterly and yearly indicators share one arithmetic.

Year to date follows the indicator's aggregation:

* ``sum`` (flows: budget revenue, exports, new enterprises) — the sum of the periods so far;
* ``avg`` (rates given per period: CPI against the same month last year) — their mean;
* ``last`` (already cumulative: GRDP growth so far this year, disbursement % of plan) — the
  latest value;
* ``min`` / ``max`` — the smallest / largest value.

Forecast to year end (documented choice: a linear run-rate, no seasonality): for ``sum`` the
year to date divided by the months covered times 12; for the others the year-to-date figure
itself (the best estimate of a rate is its latest level). An indicator may ask for the other
method (catalog ``forecast: run_rate`` for a cumulative share that grows to its target during
the year, such as disbursement % of plan).

Status colour compares the forecast with the yearly target in the indicator's direction:
``higher`` — forecast ≥ target is ``ok`` (green), ≥ target × warn ratio is ``warn`` (amber),
else ``bad`` (red); ``lower`` — forecast ≤ target is ``ok``, ≤ target ÷ warn ratio ``warn``,
else ``bad``; no target, no value or direction ``none`` — ``none`` (grey).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


def figure_text(value: float | None, lang: str) -> str:
    """A figure as pages and messages show it: locale separators (``1.234,5`` in Vietnamese),
    as many decimals as it needs (at most 2), ``—`` when missing."""
    from ioc.core import i18n

    if value is None:
        return i18n.NO_VALUE
    if abs(value) >= 1000 or float(value).is_integer():
        decimals = 0
    elif abs(value) >= 100:
        decimals = 1
    else:
        decimals = 2 if abs(round(value, 2) - round(value, 1)) > 1e-9 else 1
    return i18n.format_number(value, lang, decimals)


STATUS_COLORS = {"ok": "#1b873f", "warn": "#f0a202", "bad": "#c62828", "none": "#9aa3ad"}


def _upto(values: Mapping[int, float], through_month: int) -> dict[int, float]:
    return {m: v for m, v in values.items() if m <= through_month}


def year_to_date(
    values: Mapping[int, float], aggregation: str, through_month: int = 12
) -> float | None:
    """Lũy kế / bình quân từ đầu năm: the year-to-date figure through ``through_month``."""
    upto = _upto(values, through_month)
    if not upto:
        return None
    if aggregation == "sum":
        return sum(upto.values())
    if aggregation == "avg":
        return sum(upto.values()) / len(upto)
    if aggregation == "min":
        return min(upto.values())
    if aggregation == "max":
        return max(upto.values())
    return upto[max(upto)]  # "last": the latest cumulative figure


def months_covered(values: Mapping[int, float], through_month: int = 12) -> int:
    """The last month with a value (0 when none): how much of the year the figures cover."""
    upto = _upto(values, through_month)
    return max(upto) if upto else 0


def forecast_year_end(
    values: Mapping[int, float],
    aggregation: str,
    through_month: int = 12,
    method: str | None = None,
) -> float | None:
    """Ước cả năm: linear run-rate for flows, the year-to-date level for rates (``method``
    ``run_rate`` or ``level`` overrides the default of the aggregation)."""
    ytd = year_to_date(values, aggregation, through_month)
    if ytd is None:
        return None
    if (method or ("run_rate" if aggregation == "sum" else "level")) == "run_rate":
        covered = months_covered(values, through_month)
        return ytd * 12 / covered if covered else None
    return ytd


def plan_pct(actual: float | None, target: float | None) -> float | None:
    """Actual as a percentage of the target (None without both, or for a zero target)."""
    if actual is None or target is None or target == 0:
        return None
    return actual / target * 100


def change_pct(current: float | None, previous: float | None) -> float | None:
    """Change against the same period last year, in % (None without both, or from zero)."""
    if current is None or previous is None or previous == 0:
        return None
    return (current - previous) / abs(previous) * 100


def status(
    direction: str, forecast: float | None, target: float | None, warn_ratio: float = 0.9
) -> str:
    """``ok`` / ``warn`` / ``bad`` / ``none`` (rules in the module docstring)."""
    if direction not in ("higher", "lower") or forecast is None or target is None:
        return "none"
    if direction == "higher":
        if forecast >= target:
            return "ok"
        return "warn" if forecast >= target * warn_ratio else "bad"
    if forecast <= target:
        return "ok"
    return "warn" if forecast <= target / warn_ratio else "bad"


@dataclass(frozen=True)
class Progress:
    """Plan-vs-actual figures of one indicator and area for one year."""

    ytd: float | None
    target: float | None
    plan_pct: float | None
    last_year_ytd: float | None
    change_pct: float | None
    change_points: float | None
    forecast: float | None
    forecast_pct: float | None
    status: str
    through_month: int

    @property
    def color(self) -> str:
        """Hex colour of the status."""
        return STATUS_COLORS[self.status]


def progress(
    values: Mapping[int, float],
    last_year: Mapping[int, float],
    *,
    aggregation: str,
    direction: str,
    target: float | None,
    through_month: int = 12,
    warn_ratio: float = 0.9,
    forecast: str | None = None,
) -> Progress:
    """Everything a plan-vs-actual row shows. Last year is compared through the same month as
    this year's figures reach (cùng kỳ), not through ``through_month``."""
    ytd = year_to_date(values, aggregation, through_month)
    covered = months_covered(values, through_month)
    ly = year_to_date(last_year, aggregation, covered) if covered else None
    fc = forecast_year_end(values, aggregation, through_month, forecast)
    return Progress(
        ytd=ytd,
        target=target,
        plan_pct=plan_pct(ytd, target),
        last_year_ytd=ly,
        change_pct=change_pct(ytd, ly),
        change_points=None if ytd is None or ly is None else ytd - ly,
        forecast=fc,
        forecast_pct=plan_pct(fc, target),
        status=status(direction, fc, target, warn_ratio),
        through_month=covered,
    )
