"""Bộ chỉ số 766 (QĐ 766/QĐ-TTg) computed from dossier records — pure functions, no database.

The national portal's formula description (``/work/shared/domain/public-services-766.md``) leaves
choices open; this module settles each of them once, and every page, export, API and alert of
the pack uses these functions.

Which date counts (periods are calendar months in Asia/Ho_Chi_Minh; a quarter or a year is the
sum of its months):

* **Received-based** indicators (1.4 sync, 3.3 online filing, 3.6 online payment, 4.3 data
  reuse) count a dossier in the month it was received (``received_at``).
* **Finished-based** indicators (2.1 on time, 2.2 handling time, 4.1 electronic result,
  4.2 digitised, 5.4 satisfaction with TTHC handling) count it in the month its processing
  ended (``finished_at``: the result was issued, or the dossier was refused or returned).
  A dossier still in progress is in no finished-based denominator; it shows up in the early
  warning (due soon / overdue) instead.
* A **withdrawn** dossier (``status = withdrawn``, rút hồ sơ) counts nowhere.

On time (2.1), :func:`classify`:

* Supplement waiting (chờ bổ sung) is measured per request as the calendar's
  ``working_days_between(requested_at, supplied_at)`` — whole working days, rounded down — and
  summed (S). A request without ``supplied_at`` on a finished dossier waited until
  ``finished_at``; on an unfinished dossier it is still running: the clock is stopped (the
  dossier is never due soon or overdue while it waits) and it is not yet deducted. A source
  may instead send ``supplement_count`` and ``supplement_days`` (S) as iGate computed them.
* The deduction moves the deadline: effective deadline = promised date (``due_at``) plus S
  working days (``add_working_days``); with S = 0 it is the promised date itself.
  On time ⇔ ``finished_at`` ≤ effective deadline.
* **More than one supplement request is late**, whatever the times.
* **Missing promised date**: the rule "end − start − supplement time ≤ the TTHC's time limit"
  is applied as effective deadline = received + (time limit + S) working days, i.e. elapsed
  working time measured to the minute, the same way iGate sets ``NgayHenTra``. The time limit
  is the dossier's ``time_limit_days``, else the procedure catalogue's. Without either the
  dossier is **undetermined**: out of the 2.1 denominator, counted and listed separately.
* Denominator of 2.1 = on time + late (finished in the period, undetermined excluded).

Other indicators (numerator / denominator, all over the chosen scope and months):

* 1.4 synchronised to the national portal: synced / received. Dossiers whose sync state the
  source does not send are unknown; with no known state the value is "—". The portal's "larger
  of two systems" denominator is the iGate count here (the only one the IOC receives).
* 3.1 procedures offering online service (partial or full) / procedures with a declared online
  level; 3.2 of those, procedures that received ≥ 1 online dossier / procedures offering online
  service; 3.5 procedures with fees integrated for online payment / procedures with fees.
  Province scope: the whole active catalogue. Agency or commune scope: the procedures that
  unit received dossiers of in the period. Procedures with an undeclared attribute are left out.
* 3.3 online filing, two values side by side (Chỉ thị 012/CT-UBND asks for both):
  iGate value = online / received; national-portal value = iGate value × sync rate (1.4).
  An online dossier of a procedure returning a paper result counts only if an electronic
  result was issued. Points use the portal value, or the iGate value while sync is unknown.
* 3.6 online payment: paid online / dossiers with a fee.
* 4.1 electronic result: e-result / finished. 4.2 digitised: (digitised input **and**
  e-result) / finished. 4.3 reuse: reused data / received.
* 5.2 feedback (PAKN) handled on time: handled within 15 working days of receipt / feedback
  received in the period whose outcome is known (handled, or unhandled past the limit).
  5.3 = (total − disliked − re-complained − overdue) / total over feedback received in the
  period, counts subtracted as the formula says (an item can be subtracted twice), floor 0.
  The other PAKN step limits (reject 2, supplement 5, publish 2 WD) need step times the
  feeds do not carry and are not scored.
* 5.4 = 100 % − (overdue rate + rate of dossiers with feedback or a dislike), where overdue
  rate = late / (on time + late) and the second rate = such dossiers / finished; floor 0.
* 1.1–1.3, 3.4, 4.4, 4.5, 5.1 need data the dossier feed does not carry (announcement
  decisions, the national TTHC database, VNeID): shown as "no data", never as 0.

Numbers and points:

* % = numerator / denominator × 100 computed exactly, **rounded half-up to 2 decimals** once.
* **Zero denominator → no value** (``None``, shown "—"), never 0, and no points: the
  indicator's maximum leaves the available maximum too.
* Points: rate ≥ full-points threshold → the indicator's maximum; below it
  rate × max / threshold, from the rounded rate, rounded half-up to 2 decimals. Without a
  stated threshold the maximum is reached at 100 %. Maxima and thresholds come from
  ``points.yaml`` (or ``IOC_PS_POINTS_FILE``); the unconfirmed ones are marked there.
* A scorecard's ``score`` is the sum of the points earned; ``score_100`` rescales it to the
  maximum of the indicators that have a value (so units are comparable when some indicator
  has no data); rankings sort by ``score_100``, then on-time rate.
* A scope **without dossiers** in the period (none received, none finished) has no score:
  it is "no data" ("chưa có hồ sơ"), never ranked — feedback or catalogue indicators alone
  (5.2, 5.3, 3.1 …) would otherwise give an agency that handled nothing 100 points.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any, Final

from ioc.packs.public_services.workdays import WorkdayMath

__all__ = [
    "CHANNELS",
    "COUNTER_FIELDS",
    "FEEDBACK_LIMIT_WD",
    "INDICATORS",
    "RESULT_KINDS",
    "STATUSES",
    "Classified",
    "Counters",
    "DossierFacts",
    "FeedbackCounters",
    "IndicatorDef",
    "IndicatorResult",
    "PointRule",
    "ProcedureFacts",
    "ProcedureUse",
    "Scorecard",
    "classify",
    "contributions",
    "month_key",
    "percent",
    "points_for",
    "scorecard",
]

CHANNELS: Final = ("online", "direct", "post")
RESULT_KINDS: Final = ("electronic", "paper")
STATUSES: Final = ("received", "processing", "supplement", "finished", "returned", "withdrawn")
FINISHED_STATUSES: Final = ("finished", "returned")
FEEDBACK_LIMIT_WD: Final = 15
"""PAKN handling limit, working days from receipt (portal description, §4)."""


def month_key(moment: datetime, math: WorkdayMath) -> int:
    """``yyyymm`` of ``moment``'s local date."""
    local = moment.astimezone(math.zone)
    return local.year * 100 + local.month


def percent(numerator: Fraction | int, denominator: int | Fraction) -> Decimal | None:
    """numerator / denominator × 100, half-up to 2 decimals; ``None`` for a zero denominator."""
    if not denominator:
        return None
    exact = Fraction(numerator) * 100 / Fraction(denominator)
    return _round2(exact)


def _round2(value: Fraction) -> Decimal:
    as_decimal = Decimal(value.numerator) / Decimal(value.denominator)
    return as_decimal.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# --------------------------------------------------------------------------- one dossier


@dataclass(frozen=True)
class DossierFacts:
    """What the source says about a dossier (after validation), times aware.

    ``supplement_days`` is S in working days (already measured), ``supplement_open`` says a
    request is waiting for the citizen now. ``paper_result_procedure`` is the catalogue's
    "returns a paper result" flag of the procedure (``None`` when unknown).
    """

    received_at: datetime
    channel: str
    status: str
    due_at: datetime | None = None
    time_limit_days: int | None = None
    finished_at: datetime | None = None
    supplement_count: int = 0
    supplement_days: int = 0
    supplement_open: bool = False
    result_kind: str | None = None
    fee_required: bool = False
    paid_online: bool = False
    digitised: bool = False
    reused: bool = False
    synced: bool | None = None
    feedback: bool = False
    rating: str | None = None
    paper_result_procedure: bool | None = None


@dataclass(frozen=True)
class Classified:
    """The derived facts stored on the dossier row (and everything the aggregates need)."""

    counted: bool
    recv_month: int
    fin_month: int | None
    effective_due_at: datetime | None
    on_time: bool | None
    late_reason: str | None  # "time" | "supplements"
    handling_days: int | None
    online_counted: bool
    complaint: bool
    is_open: bool


def classify(facts: DossierFacts, math: WorkdayMath) -> Classified:
    """Derive the on-time verdict, effective deadline, months and flags (rules above)."""
    s = facts.supplement_days
    if facts.due_at is not None:
        effective = facts.due_at if s == 0 else math.add(facts.due_at, s)
    elif facts.time_limit_days is not None:
        effective = math.add(facts.received_at, facts.time_limit_days + s)
    else:
        effective = None
    counted = facts.status != "withdrawn"
    finished = counted and facts.finished_at is not None
    on_time: bool | None = None
    reason: str | None = None
    handling: int | None = None
    fin_month: int | None = None
    if finished:
        assert facts.finished_at is not None
        fin_month = month_key(facts.finished_at, math)
        if facts.supplement_count > 1:
            on_time, reason = False, "supplements"
        elif effective is not None:
            on_time = facts.finished_at <= effective
            reason = None if on_time else "time"
        handling = max(0, math.between(facts.received_at, facts.finished_at) - s)
    online_counted = facts.channel == "online" and (
        facts.paper_result_procedure is not True or facts.result_kind == "electronic"
    )
    return Classified(
        counted=counted,
        recv_month=month_key(facts.received_at, math),
        fin_month=fin_month,
        effective_due_at=effective,
        on_time=on_time,
        late_reason=reason,
        handling_days=handling,
        online_counted=online_counted,
        complaint=facts.feedback or facts.rating == "dislike",
        is_open=counted and not finished,
    )


# --------------------------------------------------------------------------- counters


@dataclass
class Counters:
    """Additive counts of a set of dossiers (one aggregate row, or a sum of them).

    Received-based: ``received`` … ``reused``; finished-based: ``finished`` … ``handling_n``.
    """

    received: int = 0
    online: int = 0
    online_counted: int = 0
    sync_known: int = 0
    synced: int = 0
    fee: int = 0
    paid_online: int = 0
    reused: int = 0
    finished: int = 0
    on_time: int = 0
    late: int = 0
    late_supplements: int = 0
    undetermined: int = 0
    e_result: int = 0
    digitised: int = 0
    complaint: int = 0
    handling_sum: int = 0
    handling_n: int = 0

    def add(self, other: Counters, sign: int = 1) -> None:
        """Add (or with ``sign=-1`` subtract) ``other`` in place."""
        mine, theirs = self.__dict__, other.__dict__
        for name in COUNTER_FIELDS:
            mine[name] += sign * theirs[name]

    def is_zero(self) -> bool:
        """True when every count is 0."""
        return all(getattr(self, name) == 0 for name in COUNTER_FIELDS)

    @classmethod
    def total(cls, items: Iterable[Counters]) -> Counters:
        """The sum of ``items``."""
        out = cls()
        for item in items:
            out.add(item)
        return out


COUNTER_FIELDS: Final = tuple(f.name for f in fields(Counters))
RECEIVED_FIELDS: Final = COUNTER_FIELDS[: COUNTER_FIELDS.index("finished")]
FINISHED_FIELDS: Final = COUNTER_FIELDS[COUNTER_FIELDS.index("finished") :]


@dataclass(frozen=True)
class DossierRow:
    """The stored columns contributions are computed from (one dossier)."""

    counted: bool
    recv_month: int
    fin_month: int | None
    channel: str
    online_counted: bool
    synced: bool | None
    fee_required: bool
    paid_online: bool
    reused: bool
    on_time: bool | None
    late_reason: str | None
    result_kind: str | None
    digitised: bool
    complaint: bool
    handling_days: int | None


def contributions(row: DossierRow) -> list[tuple[int, Counters]]:
    """What one dossier adds to the aggregates: ``[(month, counters), …]`` (received month,
    and finished month when finished; one entry when they are the same month)."""
    if not row.counted:
        return []
    rec = Counters(
        received=1,
        online=int(row.channel == "online"),
        online_counted=int(row.online_counted),
        sync_known=int(row.synced is not None),
        synced=int(row.synced is True),
        fee=int(row.fee_required),
        paid_online=int(row.fee_required and row.paid_online),
        reused=int(row.reused),
    )
    if row.fin_month is None:
        return [(row.recv_month, rec)]
    fin = Counters(
        finished=1,
        on_time=int(row.on_time is True),
        late=int(row.on_time is False),
        late_supplements=int(row.late_reason == "supplements"),
        undetermined=int(row.on_time is None),
        e_result=int(row.result_kind == "electronic"),
        digitised=int(row.digitised and row.result_kind == "electronic"),
        complaint=int(row.complaint),
        handling_sum=row.handling_days or 0,
        handling_n=int(row.handling_days is not None),
    )
    if fin.handling_n == 0:
        fin.handling_sum = 0
    if row.fin_month == row.recv_month:
        rec.add(fin)
        return [(row.recv_month, rec)]
    return [(row.recv_month, rec), (row.fin_month, fin)]


# --------------------------------------------------------------------------- catalogue, feedback


@dataclass(frozen=True)
class ProcedureFacts:
    """Catalogue attributes of a procedure (``None`` = not declared)."""

    code: str
    online: str | None = None  # "full" | "partial" | "none"
    has_fee: bool | None = None
    payment_integrated: bool | None = None


@dataclass(frozen=True)
class ProcedureUse:
    """Dossiers of one procedure in the scope and period (for 3.2)."""

    code: str
    received: int
    online: int


@dataclass
class FeedbackCounters:
    """PAKN (feedback) counts for 5.2 and 5.3, over feedback received in the period."""

    total: int = 0
    handled_on_time: int = 0
    handled_late: int = 0
    open_overdue: int = 0
    disliked: int = 0
    recomplained: int = 0

    @property
    def overdue(self) -> int:
        """Handled late or still unhandled past the limit."""
        return self.handled_late + self.open_overdue


# --------------------------------------------------------------------------- indicators


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
    out: dict[str, IndicatorResult] = {}

    def put(result: IndicatorResult) -> None:
        out[result.key] = result

    for d in INDICATORS:
        if not d.computed:
            put(_result(d.key, d.group, None, None, rules, note="no_data"))

    sync_rate = Fraction(c.synced, c.received) if c.sync_known and c.received else None
    put(
        _result(
            "1.4",
            1,
            c.synced if c.sync_known else None,
            c.received if c.sync_known else 0,
            rules,
            note=None if c.sync_known else "sync_unknown",
        )
    )
    put(
        _result(
            "2.1",
            2,
            c.on_time,
            c.on_time + c.late,
            rules,
            note="undetermined" if c.undetermined else None,
        )
    )
    avg = (
        _round2(Fraction(c.handling_sum, c.handling_n))
        if single_procedure and c.handling_n
        else None
    )
    put(
        _result(
            "2.2",
            2,
            c.handling_sum if single_procedure else None,
            c.handling_n if single_procedure else None,
            rules,
            value=avg,
            note=None if single_procedure else "one_procedure",
        )
    )
    declared = [p for p in procedures if p.online is not None]
    offering = [p for p in declared if p.online in ("full", "partial")]
    put(_result("3.1", 3, len(offering), len(declared), rules))
    used_online = {u.code for u in uses if u.online > 0}
    put(_result("3.2", 3, sum(1 for p in offering if p.code in used_online), len(offering), rules))
    igate = percent(c.online_counted, c.received)
    if sync_rate is not None and c.received:
        portal = _round2(Fraction(c.online_counted, c.received) * sync_rate * 100)
        put(_result("3.3", 3, c.online_counted, c.received, rules, value=portal, alt=igate))
    else:
        put(
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
    put(_result("3.5", 3, len(integrated), len(with_fee), rules))
    put(_result("3.6", 3, c.paid_online, c.fee, rules))
    put(_result("4.1", 4, c.e_result, c.finished, rules))
    put(_result("4.2", 4, c.digitised, c.finished, rules))
    put(_result("4.3", 4, c.reused, c.received, rules))
    known = fb.handled_on_time + fb.handled_late + fb.open_overdue
    put(_result("5.2", 5, fb.handled_on_time, known, rules))
    satisfied = max(0, fb.total - fb.disliked - fb.recomplained - fb.overdue)
    put(_result("5.3", 5, satisfied, fb.total, rules))
    decided = c.on_time + c.late
    if c.finished and decided:
        exact = 100 - (Fraction(c.late, decided) + Fraction(c.complaint, c.finished)) * 100
        v54: Decimal | None = _round2(max(Fraction(0), exact))
    else:
        v54 = None
    put(_result("5.4", 5, None, c.finished, rules, value=v54))
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
