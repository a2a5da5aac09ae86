"""The scorecard of a scope and period: every indicator's value from the counts, points by
``points.yaml``, the total and its rescaling to 100 (rules: the package's docstring)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any, Final

from ioc.packs.public_services.indices.counters import (
    Counters,
    FeedbackCounters,
    ProcedureFacts,
    ProcedureUse,
)

__all__ = [
    "INDICATORS",
    "IndicatorDef",
    "IndicatorResult",
    "PointRule",
    "Scorecard",
    "percent",
    "points_for",
    "rules_from_mapping",
    "scorecard",
]


def percent(numerator: Fraction | int, denominator: int | Fraction) -> Decimal | None:
    """numerator / denominator × 100, half-up to 2 decimals; ``None`` for a zero denominator."""
    if not denominator:
        return None
    exact = Fraction(numerator) * 100 / Fraction(denominator)
    return _round2(exact)


def _round2(value: Fraction) -> Decimal:
    as_decimal = Decimal(value.numerator) / Decimal(value.denominator)
    return as_decimal.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class IndicatorDef:
    """One indicator of the 766 set: number, group, whether the IOC can compute it."""

    key: str
    group: int
    computed: bool
    basis: str  # "received" | "finished" | "catalogue" | "feedback" | "none"


INDICATORS: Final[tuple[IndicatorDef, ...]] = (
    IndicatorDef("1.1", 1, False, "none"),
    IndicatorDef("1.2", 1, False, "none"),
    IndicatorDef("1.3", 1, False, "none"),
    IndicatorDef("1.4", 1, True, "received"),
    IndicatorDef("2.1", 2, True, "finished"),
    IndicatorDef("2.2", 2, True, "finished"),
    IndicatorDef("3.1", 3, True, "catalogue"),
    IndicatorDef("3.2", 3, True, "catalogue"),
    IndicatorDef("3.3", 3, True, "received"),
    IndicatorDef("3.4", 3, False, "none"),
    IndicatorDef("3.5", 3, True, "catalogue"),
    IndicatorDef("3.6", 3, True, "received"),
    IndicatorDef("4.1", 4, True, "finished"),
    IndicatorDef("4.2", 4, True, "finished"),
    IndicatorDef("4.3", 4, True, "received"),
    IndicatorDef("4.4", 4, False, "none"),
    IndicatorDef("4.5", 4, False, "none"),
    IndicatorDef("5.1", 5, False, "none"),
    IndicatorDef("5.2", 5, True, "feedback"),
    IndicatorDef("5.3", 5, True, "feedback"),
    IndicatorDef("5.4", 5, True, "finished"),
)


@dataclass(frozen=True)
class PointRule:
    """Maximum points of an indicator and its full-points threshold (%, 100 when none)."""

    max_points: Decimal
    full_at: Decimal = Decimal(100)
    verified: bool = False


def points_for(rate: Decimal | None, rule: PointRule) -> Decimal | None:
    """Points earned: the maximum at or above the threshold, else rate × max / threshold."""
    if rate is None:
        return None
    if rule.max_points == 0:
        return Decimal(0)
    if rate >= rule.full_at:
        return rule.max_points
    value = max(Decimal(0), rate) * rule.max_points / rule.full_at
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class IndicatorResult:
    """One indicator's value for a scope and period.

    ``value`` is the rate (%, or working days for 2.2), ``None`` when the denominator is 0 or
    the IOC has no data for it; ``numerator``/``denominator`` explain it; ``alt_value`` is the
    iGate value shown beside the portal value (3.3).
    """

    key: str
    group: int
    value: Decimal | None
    numerator: int | None = None
    denominator: int | None = None
    points: Decimal | None = None
    max_points: Decimal = Decimal(0)
    full_at: Decimal | None = None
    alt_value: Decimal | None = None
    note: str | None = None  # message key suffix explaining a special case


@dataclass
class Scorecard:
    """All indicators, group points and the total for one scope and period."""

    indicators: dict[str, IndicatorResult] = field(default_factory=dict)
    counters: Counters = field(default_factory=Counters)
    feedback: FeedbackCounters = field(default_factory=FeedbackCounters)

    def get(self, key: str) -> IndicatorResult:
        """One indicator's result."""
        return self.indicators[key]

    def group_points(self, group: int) -> tuple[Decimal | None, Decimal]:
        """(points earned, maximum of the indicators with a value) of a group."""
        results = [r for r in self.indicators.values() if r.group == group]
        scored = [r for r in results if r.points is not None]
        if not scored:
            return None, Decimal(0)
        return sum((r.points for r in scored if r.points is not None), Decimal(0)), sum(
            (r.max_points for r in scored), Decimal(0)
        )

    @property
    def has_dossiers(self) -> bool:
        """Dossiers received or finished in the period. A unit without any is "no data"
        (shown "chưa có hồ sơ"): no score and never ranked, whatever its feedback or
        catalogue indicators say."""
        return self.counters.received > 0 or self.counters.finished > 0

    @property
    def score(self) -> Decimal | None:
        """Total points earned (``None`` when no indicator has a value, or without dossiers)."""
        if not self.has_dossiers:
            return None
        scored = [r.points for r in self.indicators.values() if r.points is not None]
        return sum(scored, Decimal(0)) if scored else None

    @property
    def max_available(self) -> Decimal:
        """Sum of the maxima of the indicators that have a value."""
        return sum(
            (r.max_points for r in self.indicators.values() if r.points is not None), Decimal(0)
        )

    @property
    def score_100(self) -> Decimal | None:
        """``score`` rescaled to 100 over the available maximum (ranking key)."""
        score, top = self.score, self.max_available
        if score is None or not top:
            return None
        return _round2(Fraction(score) * 100 / Fraction(top))

    def value(self, key: str) -> Decimal | None:
        """Shortcut to an indicator's value."""
        result = self.indicators.get(key)
        return None if result is None else result.value


def _result(
    key: str,
    group: int,
    num: int | None,
    den: int | None,
    rules: Mapping[str, PointRule],
    *,
    value: Decimal | None = None,
    alt: Decimal | None = None,
    note: str | None = None,
) -> IndicatorResult:
    rule = rules.get(key, PointRule(Decimal(0)))
    if value is None and num is not None and den:
        value = percent(num, den)
    return IndicatorResult(
        key=key,
        group=group,
        value=value,
        numerator=num,
        denominator=den,
        points=points_for(value, rule) if rule.max_points else None,
        max_points=rule.max_points,
        full_at=rule.full_at if rule.full_at != 100 else None,
        alt_value=alt,
        note=note,
    )


def _dossier_results(
    c: Counters, rules: Mapping[str, PointRule], single_procedure: bool
) -> list[IndicatorResult]:
    """1.4 sync, 2.1 on time, 2.2 handling time (one procedure only)."""
    avg = (
        _round2(Fraction(c.handling_sum, c.handling_n))
        if single_procedure and c.handling_n
        else None
    )
    return [
        _result(
            "1.4",
            1,
            c.synced if c.sync_known else None,
            c.received if c.sync_known else 0,
            rules,
            note=None if c.sync_known else "sync_unknown",
        ),
        _result(
            "2.1",
            2,
            c.on_time,
            c.on_time + c.late,
            rules,
            note="undetermined" if c.undetermined else None,
        ),
        _result(
            "2.2",
            2,
            c.handling_sum if single_procedure else None,
            c.handling_n if single_procedure else None,
            rules,
            value=avg,
            note=None if single_procedure else "one_procedure",
        ),
    ]


def _online_results(
    c: Counters,
    rules: Mapping[str, PointRule],
    procedures: Sequence[ProcedureFacts],
    uses: Sequence[ProcedureUse],
) -> list[IndicatorResult]:
    """Group 3: online service offered (3.1), used (3.2), online filing with the portal's
    and iGate's values (3.3), payment integrated (3.5) and paid online (3.6)."""
    declared = [p for p in procedures if p.online is not None]
    offering = [p for p in declared if p.online in ("full", "partial")]
    used_online = {u.code for u in uses if u.online > 0}
    out = [
        _result("3.1", 3, len(offering), len(declared), rules),
        _result("3.2", 3, sum(1 for p in offering if p.code in used_online), len(offering), rules),
    ]
    sync_rate = Fraction(c.synced, c.received) if c.sync_known and c.received else None
    igate = percent(c.online_counted, c.received)
    if sync_rate is not None and c.received:
        portal = _round2(Fraction(c.online_counted, c.received) * sync_rate * 100)
        out.append(_result("3.3", 3, c.online_counted, c.received, rules, value=portal, alt=igate))
    else:
        out.append(
            _result(
                "3.3",
                3,
                c.online_counted,
                c.received,
                rules,
                alt=igate,
                note="sync_unknown" if c.received else None,
            )
        )
    with_fee = [p for p in procedures if p.has_fee is True and p.payment_integrated is not None]
    integrated = [p for p in with_fee if p.payment_integrated]
    out.append(_result("3.5", 3, len(integrated), len(with_fee), rules))
    out.append(_result("3.6", 3, c.paid_online, c.fee, rules))
    return out


def _digital_and_satisfaction_results(
    c: Counters, fb: FeedbackCounters, rules: Mapping[str, PointRule]
) -> list[IndicatorResult]:
    """Group 4 (electronic result, digitised, reuse) and group 5 (feedback handled on time,
    feedback satisfaction, satisfaction with TTHC handling)."""
    known = fb.handled_on_time + fb.handled_late + fb.open_overdue
    satisfied = max(0, fb.total - fb.disliked - fb.recomplained - fb.overdue)
    decided = c.on_time + c.late
    if c.finished and decided:
        exact = 100 - (Fraction(c.late, decided) + Fraction(c.complaint, c.finished)) * 100
        v54: Decimal | None = _round2(max(Fraction(0), exact))
    else:
        v54 = None
    return [
        _result("4.1", 4, c.e_result, c.finished, rules),
        _result("4.2", 4, c.digitised, c.finished, rules),
        _result("4.3", 4, c.reused, c.received, rules),
        _result("5.2", 5, fb.handled_on_time, known, rules),
        _result("5.3", 5, satisfied, fb.total, rules),
        _result("5.4", 5, None, c.finished, rules, value=v54),
    ]


def scorecard(
    counters: Counters,
    *,
    rules: Mapping[str, PointRule],
    procedures: Sequence[ProcedureFacts] = (),
    uses: Sequence[ProcedureUse] = (),
    feedback: FeedbackCounters | None = None,
    single_procedure: bool = False,
) -> Scorecard:
    """Every indicator for one scope and period from its counts (rules: module docstring).

    ``procedures`` are the catalogue entries in scope (3.1, 3.2, 3.5), ``uses`` the dossier
    counts per procedure (3.2), ``feedback`` the PAKN counts (5.2, 5.3);
    ``single_procedure`` shows 2.2 (average handling time), which the portal shows only when
    one procedure is selected.
    """
    c = counters
    fb = feedback or FeedbackCounters()
    results = [
        *(
            _result(d.key, d.group, None, None, rules, note="no_data")
            for d in INDICATORS
            if not d.computed
        ),
        *_dossier_results(c, rules, single_procedure),
        *_online_results(c, rules, procedures, uses),
        *_digital_and_satisfaction_results(c, fb, rules),
    ]
    out = {r.key: r for r in results}
    ordered = {d.key: out[d.key] for d in INDICATORS}
    return Scorecard(indicators=ordered, counters=c, feedback=fb)


def rules_from_mapping(raw: Mapping[str, Any]) -> dict[str, PointRule]:
    """Point rules from the ``indicators:`` mapping of ``points.yaml``."""
    out: dict[str, PointRule] = {}
    for key, spec in raw.items():
        if not isinstance(spec, Mapping):
            raise ValueError(f"points: {key} must be a mapping")
        out[str(key)] = PointRule(
            max_points=Decimal(str(spec.get("max", 0))),
            full_at=Decimal(str(spec.get("full_at") or 100)),
            verified=bool(spec.get("verified", False)),
        )
    return out
