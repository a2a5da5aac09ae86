"""QĐ 766 rules as pure functions: on-time verdicts with supplement deductions, missing promised
dates, working days across holidays, exact rates and points from hand-built dossier sets, zero
denominators, and the points table."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ioc.core.calendar import default_calendar
from ioc.packs.public_services.config import load_points
from ioc.packs.public_services.indices import (
    Counters,
    DossierFacts,
    FeedbackCounters,
    PointRule,
    ProcedureFacts,
    ProcedureUse,
    classify,
    contributions,
    percent,
    points_for,
    scorecard,
)
from ioc.packs.public_services.ingest import dossier_row
from ioc.packs.public_services.workdays import WorkdayMath

VN = ZoneInfo("Asia/Ho_Chi_Minh")
MATH = WorkdayMath(default_calendar())
RULES = load_points(None).rules


def at(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> datetime:
    """A local Vietnam time."""
    return datetime(y, m, d, hh, mm, tzinfo=VN)


def facts(**kw: object) -> DossierFacts:
    base: dict[str, object] = {"received_at": at(2026, 3, 2), "channel": "direct"}
    base["status"] = "finished" if kw.get("finished_at") else "processing"
    base.update(kw)
    return DossierFacts(**base)  # type: ignore[arg-type]


# --- working days -----------------------------------------------------------------------------


def test_workday_math_agrees_with_the_calendar() -> None:
    cal = default_calendar()
    rng = random.Random(7)
    start = at(2025, 1, 1, 0, 0)
    for _ in range(600):
        a = start + timedelta(minutes=rng.randint(0, 60 * 24 * 800))
        n = rng.randint(0, 30)
        assert MATH.add(a, n) == cal.add_working_days(a, n), (a, n)
        b = a + timedelta(minutes=rng.randint(0, 60 * 24 * 60))
        assert MATH.between(a, b) == cal.working_days_between(a, b), (a, b)
        assert MATH.between(b, a) == cal.working_days_between(b, a), (b, a)


def test_working_day_vectors() -> None:
    assert MATH.add(at(2025, 4, 28), 5) == at(2025, 5, 8)  # 30/4, 1/5 and the 2/5 swap day
    assert MATH.add(at(2026, 2, 13), 1) == at(2026, 2, 23)  # Tết 2026: 16–20/02
    assert MATH.between(at(2026, 2, 12), at(2026, 2, 23, 9, 0)) == 2


# --- one dossier ------------------------------------------------------------------------------


def test_on_time_and_late_by_the_promised_date() -> None:
    due = at(2026, 3, 5, 16, 0)
    on = classify(facts(due_at=due, finished_at=due), MATH)
    assert on.on_time is True and on.effective_due_at == due and on.late_reason is None
    late = classify(facts(due_at=due, finished_at=due + timedelta(minutes=1)), MATH)
    assert late.on_time is False and late.late_reason == "time"


def test_supplement_waiting_moves_the_deadline_across_tet() -> None:
    # Received Mon 09/02/2026, promised Thu 12/02 09:00; the citizen took 2 working days to
    # supplement. Deadline = 12/02 + 2 WD = Fri 13/02, then Tết (16–20/02) → Mon 23/02 09:00.
    kw = {"received_at": at(2026, 2, 9), "due_at": at(2026, 2, 12), "supplement_count": 1,
          "supplement_days": 2}  # fmt: skip
    early = classify(facts(finished_at=at(2026, 2, 23, 8, 59), **kw), MATH)
    assert early.effective_due_at == at(2026, 2, 23, 9, 0)
    assert early.on_time is True
    late = classify(facts(finished_at=at(2026, 2, 23, 9, 1), **kw), MATH)
    assert late.on_time is False and late.late_reason == "time"
    # Without the deduction the same finish would be late by a week.
    plain = classify(facts(received_at=at(2026, 2, 9), due_at=at(2026, 2, 12),
                           finished_at=at(2026, 2, 23, 8, 59)), MATH)  # fmt: skip
    assert plain.on_time is False
    # Handling time: 4 whole working days elapsed (10–13/02; Tết is not counted and 23/02
    # 09:00 is not reached) minus 2 waiting = 2.
    assert MATH.between(at(2026, 2, 9), at(2026, 2, 23, 8, 59)) == 4
    assert early.handling_days == 2


def test_more_than_one_supplement_request_is_late() -> None:
    verdict = classify(
        facts(due_at=at(2026, 3, 10), finished_at=at(2026, 3, 3), supplement_count=2), MATH
    )
    assert verdict.on_time is False and verdict.late_reason == "supplements"
    one = classify(
        facts(due_at=at(2026, 3, 10), finished_at=at(2026, 3, 3), supplement_count=1), MATH
    )
    assert one.on_time is True


def test_missing_promised_date_uses_the_time_limit_across_hung_vuong() -> None:
    # Thu 23/04/2026 10:00 + 2 WD: Fri 24/04, then Sat, Sun 26/04 (Giỗ Tổ, observed Mon 27/04)
    # → Tue 28/04 10:00.
    kw = {"received_at": at(2026, 4, 23, 10, 0), "time_limit_days": 2}
    ok = classify(facts(finished_at=at(2026, 4, 28, 9, 59), **kw), MATH)
    assert ok.effective_due_at == at(2026, 4, 28, 10, 0) and ok.on_time is True
    assert classify(facts(finished_at=at(2026, 4, 28, 10, 1), **kw), MATH).on_time is False
    # With one supplement of 1 WD the limit grows to 3 WD → Wed 29/04 10:00.
    sup = classify(facts(finished_at=at(2026, 4, 29, 9, 0), supplement_count=1,
                         supplement_days=1, **kw), MATH)  # fmt: skip
    assert sup.effective_due_at == at(2026, 4, 29, 10, 0) and sup.on_time is True


def test_received_on_a_make_up_saturday_counts_that_day() -> None:
    # Sat 26/04/2025 was worked (swap for Fri 02/05): + 1 WD = Mon 28/04 10:00.
    v = classify(facts(received_at=at(2025, 4, 26, 10, 0), time_limit_days=1,
                       finished_at=at(2025, 4, 28, 10, 0)), MATH)  # fmt: skip
    assert v.effective_due_at == at(2025, 4, 28, 10, 0) and v.on_time is True
    # Received on an ordinary Sunday: counts from Monday 00:00, due Tue 00:00.
    s = classify(facts(received_at=at(2026, 3, 8, 15, 0), time_limit_days=1), MATH)
    assert s.effective_due_at == at(2026, 3, 10, 0, 0)


def test_without_any_deadline_the_dossier_is_undetermined() -> None:
    v = classify(facts(finished_at=at(2026, 3, 20)), MATH)
    assert v.on_time is None and v.late_reason is None and v.fin_month == 202603
    rows = contributions(dossier_row(_stored(facts(finished_at=at(2026, 3, 20)))))
    assert rows[0][1].undetermined == 1 and rows[0][1].on_time == rows[0][1].late == 0


def test_withdrawn_dossier_counts_nowhere() -> None:
    f = facts(status="withdrawn", due_at=at(2026, 3, 5))
    assert classify(f, MATH).counted is False
    assert contributions(dossier_row(_stored(f))) == []


def test_months_are_local_dates() -> None:
    # 31/03 23:30 in Vietnam is 16:30 UTC the same day, 1/4 00:30 is still 31/03 in UTC.
    v = classify(facts(received_at=at(2026, 3, 31, 23, 30), finished_at=at(2026, 4, 1, 0, 30),
                       due_at=at(2026, 4, 2)), MATH)  # fmt: skip
    assert (v.recv_month, v.fin_month) == (202603, 202604)


def test_online_dossier_of_a_paper_result_procedure_needs_an_electronic_result() -> None:
    paper = {"channel": "online", "paper_result_procedure": True, "finished_at": at(2026, 3, 3)}
    assert classify(facts(result_kind="paper", **paper), MATH).online_counted is False
    assert classify(facts(result_kind="electronic", **paper), MATH).online_counted is True
    assert classify(facts(channel="online"), MATH).online_counted is True


def _stored(f: DossierFacts) -> dict[str, object]:
    c = classify(f, MATH)
    return {
        "counted": c.counted, "recv_month": c.recv_month, "fin_month": c.fin_month,
        "channel": f.channel, "online_counted": c.online_counted, "synced": f.synced,
        "fee_required": f.fee_required, "paid_online": f.paid_online, "reused": f.reused,
        "on_time": c.on_time, "late_reason": c.late_reason, "result_kind": f.result_kind,
        "digitised": f.digitised, "complaint": c.complaint, "handling_days": c.handling_days,
    }  # fmt: skip


def _counters(items: list[DossierFacts]) -> Counters:
    total = Counters()
    for f in items:
        for _month, c in contributions(dossier_row(_stored(f))):
            total.add(c)
    return total


# --- a hand-built set -------------------------------------------------------------------------

DUE = at(2026, 3, 10)
ON = at(2026, 3, 9)
LATE = at(2026, 3, 12)
SET = [
    # 1 online, paid, digitised + e-result, reused, synced, on time
    facts(channel="online", due_at=DUE, finished_at=ON, result_kind="electronic",
          fee_required=True, paid_online=True, digitised=True, reused=True, synced=True),
    # 2 online, fee not paid online, paper result, late
    facts(channel="online", due_at=DUE, finished_at=LATE, result_kind="paper",
          fee_required=True, synced=True),
    # 3 online but its procedure returns paper and the result was paper: not counted online
    facts(channel="online", due_at=DUE, finished_at=ON, result_kind="paper",
          paper_result_procedure=True, synced=True, digitised=True),
    # 4 direct, e-result but input not digitised, dislike, on time
    facts(due_at=DUE, finished_at=ON, result_kind="electronic", synced=True, rating="dislike"),
    # 5 post, two supplement requests → late; e-result, digitised
    facts(channel="post", due_at=DUE, finished_at=ON, result_kind="electronic",
          supplement_count=2, supplement_days=1, digitised=True, synced=False),
    # 6 direct, no deadline at all → undetermined; feedback
    facts(finished_at=ON, result_kind="paper", synced=True, feedback=True),
    # 7 direct, still open (no finished-based counts)
    facts(due_at=DUE, synced=True, fee_required=True),
    # 8 online, open
    facts(channel="online", due_at=DUE, synced=True, reused=True),
]  # fmt: skip


def test_hand_built_set_counts() -> None:
    c = _counters(SET)
    assert (c.received, c.online, c.online_counted) == (8, 4, 3)
    assert (c.sync_known, c.synced, c.fee, c.paid_online, c.reused) == (8, 7, 3, 1, 2)
    assert (c.finished, c.on_time, c.late, c.late_supplements, c.undetermined) == (6, 3, 2, 1, 1)
    assert (c.e_result, c.digitised, c.complaint) == (3, 2, 2)


def test_hand_built_set_indicators_and_points() -> None:
    procs = [
        ProcedureFacts("A", "full", True, True),
        ProcedureFacts("B", "partial", True, False),
        ProcedureFacts("C", "none", False, None),
        ProcedureFacts("D", None, None, None),  # undeclared: left out
    ]
    uses = [ProcedureUse("A", 5, 3), ProcedureUse("B", 2, 0), ProcedureUse("C", 1, 0)]
    fb = FeedbackCounters(total=4, handled_on_time=2, handled_late=1, open_overdue=0,
                          disliked=1, recomplained=0)  # fmt: skip
    card = scorecard(_counters(SET), rules=RULES, procedures=procs, uses=uses, feedback=fb)
    v = {k: r.value for k, r in card.indicators.items()}
    p = {k: r.points for k, r in card.indicators.items()}
    # 1.4: 7/8 synced = 87.5 %; no threshold: 4 × 87.5 / 100 = 3.5
    assert (v["1.4"], p["1.4"]) == (Decimal("87.50"), Decimal("3.50"))
    # 2.1: 3 on time of 5 decided (the undetermined one is out) = 60 %; 20 × 0.6 = 12
    assert (v["2.1"], p["2.1"]) == (Decimal("60.00"), Decimal("12.00"))
    assert card.get("2.1").denominator == 5 and card.get("2.1").note == "undetermined"
    # 2.2 needs one procedure
    assert v["2.2"] is None and card.get("2.2").note == "one_procedure"
    # 3.1: A, B offer online of A, B, C declared = 66.67 %; < 80: 4 × 66.67 / 80 = 3.3335 → 3.33
    assert (v["3.1"], p["3.1"]) == (Decimal("66.67"), Decimal("3.33"))
    # 3.2: of A, B only A received online dossiers = 50 %
    assert (v["3.2"], p["3.2"]) == (Decimal("50.00"), Decimal("1.00"))
    # 3.3: iGate 3/8 = 37.5 %; portal 3/8 × 7/8 = 32.8125 → 32.81; 8 × 32.81 / 50 = 5.2496 → 5.25
    assert card.get("3.3").alt_value == Decimal("37.50")
    assert (v["3.3"], p["3.3"]) == (Decimal("32.81"), Decimal("5.25"))
    # 3.5: A, B have fees, A integrated = 50 %: 4 × 50 / 80 = 2.5
    assert (v["3.5"], p["3.5"]) == (Decimal("50.00"), Decimal("2.50"))
    # 3.6: 1 paid online of 3 with a fee = 33.33 %
    assert (v["3.6"], p["3.6"]) == (Decimal("33.33"), Decimal("1.33"))
    # 4.1: 3 e-results of 6 finished; 4.2: 2 digitised with e-result; 4.3: 2 reused of 8
    assert (v["4.1"], v["4.2"], v["4.3"]) == (Decimal("50.00"), Decimal("33.33"), Decimal("25.00"))
    assert (p["4.2"], p["4.3"]) == (Decimal("2.50"), Decimal("1.88"))  # 6×33.33/80, 6×25/80
    # 5.2: 2 of 3 known = 66.67 %; 5.3: (4 − 1 − 0 − 1) / 4 = 50 %
    assert (v["5.2"], v["5.3"]) == (Decimal("66.67"), Decimal("50.00"))
    # 5.4: 100 − (2/5 late + 2/6 with feedback or dislike) × 100 = 26.666… → 26.67
    assert v["5.4"] == Decimal("26.67") and p["5.4"] == Decimal("1.78")  # 6 × 26.67 / 90
    for key in ("1.1", "1.2", "1.3", "3.4", "4.4", "4.5", "5.1"):
        assert v[key] is None and p[key] is None and card.get(key).note == "no_data"
    earned = sum((x for x in p.values() if x is not None), Decimal(0))
    assert card.score == earned
    # Available maximum: 1.4 (4) 2.1 (20) 3.1 (4) 3.2 (2) 3.3 (8) 3.5 (4) 3.6 (4) 4.1 (4)
    # 4.2 (6) 4.3 (6) 5.2 (5) 5.3 (5) 5.4 (6) = 78
    assert card.max_available == 78
    expected = (Fraction(earned) * 100 / 78).limit_denominator(10**9)
    assert card.score_100 == percent(expected, 100)
    assert card.group_points(2) == (Decimal("12.00"), Decimal(20))


def test_single_procedure_shows_average_handling_time() -> None:
    items = [
        facts(received_at=at(2026, 3, 2), due_at=at(2026, 3, 9), finished_at=at(2026, 3, 5)),
        facts(received_at=at(2026, 3, 2), due_at=at(2026, 3, 9), finished_at=at(2026, 3, 4)),
    ]
    card = scorecard(_counters(items), rules=RULES, single_procedure=True)
    assert card.value("2.2") == Decimal("2.50")  # (3 + 2) / 2 working days
    assert card.get("2.2").points is None


def test_zero_denominators_give_no_value_and_no_points() -> None:
    card = scorecard(Counters(), rules=RULES)
    assert all(r.value is None and r.points is None for r in card.indicators.values())
    assert card.score is None and card.score_100 is None and card.max_available == 0
    # Only open dossiers: received-based rates exist, finished-based ones do not.
    open_only = scorecard(_counters([facts(due_at=DUE, synced=True)]), rules=RULES)
    assert open_only.value("4.3") == Decimal("0.00") and open_only.value("2.1") is None
    assert open_only.value("5.4") is None and open_only.get("2.1").denominator == 0


def test_sync_unknown_falls_back_to_the_igate_online_value() -> None:
    card = scorecard(_counters([facts(channel="online"), facts()]), rules=RULES)
    assert card.value("1.4") is None and card.get("1.4").note == "sync_unknown"
    assert card.value("3.3") == card.get("3.3").alt_value == Decimal("50.00")
    assert card.get("3.3").points == Decimal("8")  # 50 % is the full-points threshold


def test_percent_rounds_half_up() -> None:
    assert percent(1, 800) == Decimal("0.13")  # 0.125 (banker's rounding would give 0.12)
    assert percent(2, 3) == Decimal("66.67")
    assert percent(1, 3) == Decimal("33.33")
    assert percent(5, 0) is None


def test_points_thresholds() -> None:
    rule = PointRule(Decimal(6), Decimal(90))
    assert points_for(Decimal("90.00"), rule) == Decimal(6)
    assert points_for(Decimal("95.10"), rule) == Decimal(6)
    assert points_for(Decimal("45.00"), rule) == Decimal("3.00")
    assert points_for(Decimal("89.99"), rule) == Decimal("6.00")  # 5.9993 rounds to 6.00
    assert points_for(None, rule) is None
    assert points_for(Decimal("40"), PointRule(Decimal(20))) == Decimal("8.00")


def test_points_table_adds_up_and_bad_tables_are_refused(tmp_path: Path) -> None:
    points = load_points(None)
    assert sum(points.groups.values()) == 100
    assert points.rules["1.1"].max_points == 4 and points.rules["1.1"].verified
    assert points.rules["5.4"].max_points == 6 and points.rules["5.4"].full_at == 90
    assert points.rules["3.3"].full_at == 50 and not points.rules["3.3"].verified
    bad = tmp_path / "points.yaml"
    bad.write_text('groups: {2: 20}\nindicators:\n  "2.1": {max: 19}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="group 2"):
        load_points(bad)
    bad.write_text('groups: {}\nindicators:\n  "6.1": {max: 20}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="unknown indicators"):
        load_points(bad)
