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

Modules: ``dossier`` (one dossier's facts and :func:`classify`), ``counters`` (what a dossier
adds to the aggregates, catalogue and feedback counts), ``scorecard`` (indicators, points,
totals).
"""

from __future__ import annotations

from ioc.packs.public_services.indices.counters import (
    COUNTER_FIELDS,
    FINISHED_FIELDS,
    RECEIVED_FIELDS,
    Counters,
    DossierRow,
    FeedbackCounters,
    ProcedureFacts,
    ProcedureUse,
    Vector,
    contribution_vectors,
    contributions,
    sum_vectors,
)
from ioc.packs.public_services.indices.dossier import (
    CHANNELS,
    FEEDBACK_LIMIT_WD,
    FINISHED_STATUSES,
    RESULT_KINDS,
    STATUSES,
    Classified,
    DossierFacts,
    classify,
    month_key,
)
from ioc.packs.public_services.indices.scorecard import (
    INDICATORS,
    IndicatorDef,
    IndicatorResult,
    PointRule,
    Scorecard,
    percent,
    points_for,
    rules_from_mapping,
    scorecard,
)

__all__ = [
    "CHANNELS",
    "COUNTER_FIELDS",
    "FEEDBACK_LIMIT_WD",
    "FINISHED_FIELDS",
    "FINISHED_STATUSES",
    "INDICATORS",
    "RECEIVED_FIELDS",
    "RESULT_KINDS",
    "STATUSES",
    "Classified",
    "Counters",
    "DossierFacts",
    "DossierRow",
    "FeedbackCounters",
    "IndicatorDef",
    "IndicatorResult",
    "PointRule",
    "ProcedureFacts",
    "ProcedureUse",
    "Scorecard",
    "Vector",
    "classify",
    "contribution_vectors",
    "contributions",
    "month_key",
    "percent",
    "points_for",
    "rules_from_mapping",
    "scorecard",
    "sum_vectors",
]
