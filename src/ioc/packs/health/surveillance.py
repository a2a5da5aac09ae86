"""Disease surveillance: weekly case counts per commune, incidence, EARS statistics.

Cases are stored per commune (series of subject kind ``area``) and summed into ISO weeks
(Monday–Sunday, Vietnam time) from the day rollups — the same weeks the alerting engine's
``anomaly`` rules with ``bucket: week`` use. The EARS statistics come from
:mod:`ioc.engines.alerting.ears` (never recomputed here), with the thresholds and minimum SD of
the pack's alert rules as currently configured, so the page and the alerts agree.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import clock
from ioc.core.models import Indicator, Series
from ioc.core.series import DAY, read_rollups
from ioc.engines.alerting import ears
from ioc.engines.alerting.models import AlertRule
from ioc.packs.health.geo import Commune

WEEK: Final = 7 * DAY
DISEASES: Final = ("dengue", "hfmd", "measles", "influenza")
METHODS: Final = ("c1", "c2", "c3")
DEFAULT_MIN_SIGMA: Final = 1.0
INCIDENCE_WEEKS: Final = 4  # incidence per 100,000 over the last 4 complete weeks


def indicator_code(disease: str) -> str:
    """Indicator of a disease's weekly cases (``hl_cases_dengue`` …)."""
    return f"hl_cases_{disease}"


def offset() -> int:
    """Vietnam's UTC offset in seconds."""
    return clock.fixed_offset_seconds()


def week_start(ts: int) -> int:
    """Local Monday 00:00 (UNIX seconds) of the week containing instant ``ts``."""
    off = offset()
    days = (ts + off) // DAY
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    return (days - weekday) * DAY - off


def last_complete_week(now_ts: int) -> int:
    """Start of the last week that has ended."""
    return week_start(now_ts) - WEEK


@dataclass(frozen=True)
class MethodParams:
    """Threshold, SD floor and state of one EARS rule of a disease."""

    threshold: float
    min_sigma: float
    enabled: bool


def rule_params(session: Session, disease: str) -> dict[str, MethodParams]:
    """The EARS settings of the disease's rules (``health.<disease>_<method>``), defaults for
    a rule that does not exist (CDC thresholds, SD floor 1)."""
    uids = {f"health.{disease}_{m}": m for m in METHODS}
    found = {
        uids[uid]: MethodParams(
            float(params.get("threshold", ears.THRESHOLDS[uids[uid]])),
            float(params.get("min_sigma", DEFAULT_MIN_SIGMA)),
            bool(enabled),
        )
        for uid, params, enabled in session.execute(
            select(AlertRule.uid, AlertRule.params, AlertRule.enabled).where(
                AlertRule.uid.in_(uids)
            )
        )
    }
    for m in METHODS:
        found.setdefault(m, MethodParams(ears.THRESHOLDS[m], DEFAULT_MIN_SIGMA, m == "c2"))
    return found


def weekly_counts(
    session: Session, indicators: list[str], first_week: int, weeks: int
) -> dict[str, dict[str, list[float]]]:
    """``{indicator: {area code: [count per week]}}`` for ``weeks`` weeks from ``first_week``;
    weeks without a rollup count zero (a count series reports cases, not readings)."""
    rows = session.execute(
        select(Series.id, Indicator.code, Series.subject_code)
        .join(Indicator, Indicator.id == Series.indicator_id)
        .where(Indicator.code.in_(indicators), Series.subject_kind == "area")
    ).all()
    out: dict[str, dict[str, list[float]]] = {code: {} for code in indicators}
    if not rows:
        return out
    end = first_week + weeks * WEEK
    buckets = read_rollups(session.connection(), "day", [r[0] for r in rows], first_week, end)
    for sid, code, area in rows:
        counts = [0.0] * weeks
        for b in buckets[sid]:
            counts[(week_start(b.start) - first_week) // WEEK] += b.mean * b.n
        out[code][area] = counts
    return out


def c2_bounds(values: list[float], params: MethodParams) -> list[float | None]:
    """The count at which C2 reaches its threshold, for every week (``None`` before the first
    testable week). C2 is affine in the current count — (Y − Ȳ)/S over a baseline that does not
    include it — so evaluating the EARS module's C2 at Y = 0 and Y = 1 gives Ȳ and S exactly."""
    span = ears.needed("c2")
    out: list[float | None] = []
    for t in range(len(values)):
        if t + 1 < span:
            out.append(None)
            continue
        window = list(values[t + 1 - span : t])
        at0 = ears.latest([*window, 0.0], "c2", params.min_sigma)
        at1 = ears.latest([*window, 1.0], "c2", params.min_sigma)
        if at0 is None or at1 is None or at1 == at0:
            out.append(None)
            continue
        sd = 1.0 / (at1 - at0)
        mean = -at0 * sd
        out.append(round(mean + params.threshold * sd, 2))
    return out


@dataclass
class CommuneRow:
    """One commune's surveillance figures for a disease."""

    code: str
    name: str
    population: int | None
    reported: bool  # has a case series at all
    counts: list[float]
    last_week: float
    cases_recent: float
    incidence: float | None  # per 100,000 over the last INCIDENCE_WEEKS weeks
    stats: dict[str, float | None] = field(default_factory=dict)
    breaches: dict[str, bool] = field(default_factory=dict)  # statistic ≥ its threshold
    enabled: tuple[str, ...] = ()  # methods whose alert rule is on

    @property
    def alarm(self) -> bool:
        """Whether a method whose rule is enabled breaches in the last complete week."""
        return any(self.breaches.get(m, False) for m in self.enabled)


@dataclass
class Surveillance:
    """A disease over the province: weeks shown, communes, province totals and bounds."""

    disease: str
    weeks: list[int]
    params: dict[str, MethodParams]
    rows: list[CommuneRow]
    province: list[float]
    province_bound: list[float | None]

    @property
    def alarms(self) -> list[CommuneRow]:
        """Communes alarming in the last complete week, worst C2 first."""
        return sorted((r for r in self.rows if r.alarm), key=lambda r: -(r.stats.get("c2") or 0.0))


def incidence(cases: float, population: int | None) -> float | None:
    """Cases per 100,000 people (``None`` without a population)."""
    if not population:
        return None
    return round(cases / population * 100_000, 1)


def _row(
    c: Commune, counts: list[float] | None, weeks: int, params: dict[str, MethodParams]
) -> CommuneRow:
    reported = counts is not None
    values = counts if counts is not None else [0.0] * weeks
    recent = sum(values[-INCIDENCE_WEEKS:])
    row = CommuneRow(
        code=c.code,
        name=c.name,
        population=c.population,
        reported=reported,
        counts=values,
        last_week=values[-1],
        cases_recent=recent,
        incidence=incidence(recent, c.population),
        enabled=tuple(m for m in METHODS if params[m].enabled),
    )
    for method in METHODS:
        stat = ears.METHODS[method](values, params[method].min_sigma)[-1] if reported else None
        row.stats[method] = round(stat, 2) if stat is not None else None
        row.breaches[method] = stat is not None and stat >= params[method].threshold
    return row


def surveillance(
    session: Session,
    disease: str,
    communes: list[Commune],
    now_ts: int,
    weeks: int = 26,
) -> Surveillance:
    """Weekly counts up to the last complete week, EARS per commune, province totals."""
    weeks = max(weeks, ears.needed("c3"))
    last = last_complete_week(now_ts)
    first = last - (weeks - 1) * WEEK
    code = indicator_code(disease)
    counts = weekly_counts(session, [code], first, weeks)[code]
    params = rule_params(session, disease)
    rows = [_row(c, counts.get(c.code), weeks, params) for c in communes]
    province = [0.0] * weeks
    for row in rows:  # the communes asked for (one commune on its drill-down page)
        for i, v in enumerate(row.counts):
            province[i] += v
    return Surveillance(
        disease=disease,
        weeks=[first + i * WEEK for i in range(weeks)],
        params=params,
        rows=rows,
        province=province,
        province_bound=c2_bounds(province, params["c2"]),
    )


def commune_weekly(
    session: Session, code: str, now_ts: int, weeks: int = 26
) -> tuple[list[int], dict[str, list[float]], dict[str, MethodParams]]:
    """One commune's weekly counts of every disease and the diseases' C2 settings."""
    last = last_complete_week(now_ts)
    first = last - (weeks - 1) * WEEK
    found = weekly_counts(session, [indicator_code(d) for d in DISEASES], first, weeks)
    counts = {d: found[indicator_code(d)].get(code, [0.0] * weeks) for d in DISEASES}
    params = {d: rule_params(session, d)["c2"] for d in DISEASES}
    return [first + i * WEEK for i in range(weeks)], counts, params


def alarm_counts(session: Session, communes: list[Commune], now_ts: int) -> dict[str, int]:
    """Per disease, how many communes alarm in the last complete week."""
    return {
        d: len(surveillance(session, d, communes, now_ts, ears.needed("c3")).alarms)
        for d in DISEASES
    }


def by_commune(rows: list[CommuneRow]) -> dict[str, CommuneRow]:
    """Rows keyed by commune code."""
    return {r.code: r for r in rows}


def province_counts(session: Session, now_ts: int, weeks: int) -> dict[str, list[float]]:
    """Province weekly totals per disease up to the last complete week."""
    last = last_complete_week(now_ts)
    first = last - (weeks - 1) * WEEK
    found = weekly_counts(session, [indicator_code(d) for d in DISEASES], first, weeks)
    out: dict[str, list[float]] = defaultdict(lambda: [0.0] * weeks)
    for d in DISEASES:
        totals = [0.0] * weeks
        for values in found[indicator_code(d)].values():
            for i, v in enumerate(values):
                totals[i] += v
        out[d] = totals
    return dict(out)
