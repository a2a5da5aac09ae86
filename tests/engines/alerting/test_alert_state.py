"""The instance state machine, transition by transition (shared/domain/alerting.md §3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ioc.engines.alerting.models import ALERTING, ERROR, NODATA, NORMAL, PENDING, RECOVERING
from ioc.engines.alerting.state import (
    STALE_EVALUATIONS,
    InstanceState,
    Outcome,
    Timing,
    Transition,
    step,
)

T0 = datetime(2026, 3, 10, 5, 0, tzinfo=UTC)
B, OK, ND, ER, MISS = (
    Outcome.BREACHED,
    Outcome.OK,
    Outcome.NODATA,
    Outcome.ERROR,
    Outcome.MISSING,
)


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def run(
    outcomes: list[tuple[int, Outcome]], timing: Timing, start: str = NORMAL
) -> list[tuple[str, bool, bool]]:
    """Drive the machine; return (state, fires, resolves) after each evaluation."""
    state = InstanceState(start, T0)
    trace = []
    for seconds, outcome in outcomes:
        transition = step(state, outcome, at(seconds), timing)
        state = transition.state
        trace.append((state.state, transition.fires, transition.resolves))
    return trace


def test_grafana_worked_example_interval_30s_pending_90s() -> None:
    # alerting.md §3.2: 1st eval not met; breached from the 2nd; Alerting at the 5th (90 s
    # after the first breach); resolved at the 6th.
    trace = run([(30, OK), (60, B), (90, B), (120, B), (150, B), (180, OK)], Timing(pending_s=90))
    assert trace == [
        (NORMAL, False, False),
        (PENDING, False, False),
        (PENDING, False, False),
        (PENDING, False, False),
        (ALERTING, True, False),
        (NORMAL, False, True),
    ]


def test_pending_counter_counts_from_the_first_breach() -> None:
    state = step(InstanceState(NORMAL, T0), B, at(60), Timing(pending_s=90)).state
    assert (state.state, state.since) == (PENDING, at(60))
    # Still pending after 89 s; the since stamp does not move while pending.
    t = step(state, B, at(149), Timing(pending_s=90))
    assert t.state is state and not t.fires


def test_single_false_evaluation_resets_pending() -> None:
    trace = run([(0, B), (30, B), (60, OK), (90, B), (120, B), (150, B)], Timing(pending_s=60))
    assert [s for s, _, _ in trace] == [PENDING, PENDING, NORMAL, PENDING, PENDING, ALERTING]
    assert [f for _, f, _ in trace] == [False] * 5 + [True]


def test_zero_pending_fires_on_the_first_breach() -> None:
    assert run([(0, B)], Timing()) == [(ALERTING, True, False)]


def test_alerting_stays_alerting_without_renotifying() -> None:
    trace = run([(0, B), (30, B), (60, B)], Timing())
    assert trace == [(ALERTING, True, False), (ALERTING, False, False), (ALERTING, False, False)]


def test_keep_firing_goes_through_recovering() -> None:
    timing = Timing(keep_firing_s=120)
    trace = run([(0, B), (30, OK), (60, OK), (149, OK), (150, OK)], timing)
    assert trace == [
        (ALERTING, True, False),
        (RECOVERING, False, False),
        (RECOVERING, False, False),
        (RECOVERING, False, False),
        (NORMAL, False, True),  # 120 s after the first false evaluation
    ]


def test_recovering_back_to_alerting_is_the_same_episode() -> None:
    trace = run([(0, B), (30, OK), (60, B), (90, OK)], Timing(keep_firing_s=300))
    assert trace == [
        (ALERTING, True, False),
        (RECOVERING, False, False),
        (ALERTING, False, False),  # no second "firing" notification
        (RECOVERING, False, False),
    ]


def test_without_keep_firing_alerting_resolves_at_once() -> None:
    assert run([(0, B), (30, OK)], Timing()) == [(ALERTING, True, False), (NORMAL, False, True)]


def test_normal_ok_is_a_no_op() -> None:
    prev = InstanceState(NORMAL, T0)
    assert step(prev, OK, at(30), Timing()) == Transition(prev)


@pytest.mark.parametrize("start", [NORMAL, PENDING, ALERTING, RECOVERING])
def test_nodata_default_enters_nodata_at_once(start: str) -> None:
    t = step(InstanceState(start, T0), ND, at(30), Timing(pending_s=600))
    assert t.state.state == NODATA and t.state.reason == "NoData"
    assert t.fires  # NoData is an episode of its own
    assert t.resolves is (start in (ALERTING, RECOVERING))  # a running episode ends first


def test_nodata_repeated_stays_without_refiring() -> None:
    prev = InstanceState(NODATA, T0, "NoData")
    t = step(prev, ND, at(30), Timing())
    assert t.state is prev and not t.fires and not t.resolves


def test_data_back_after_nodata_resolves_it() -> None:
    trace = run([(0, ND), (30, OK)], Timing())
    assert trace == [(NODATA, True, False), (NORMAL, False, True)]


def test_breach_after_nodata_ends_nodata_and_starts_pending() -> None:
    t = step(InstanceState(NODATA, T0), B, at(30), Timing(pending_s=60))
    assert (t.state.state, t.fires, t.resolves) == (PENDING, False, True)
    t = step(InstanceState(NODATA, T0), B, at(30), Timing())
    assert (t.state.state, t.fires, t.resolves) == (ALERTING, True, True)


def test_nodata_as_alerting_goes_through_pending() -> None:
    timing = Timing(pending_s=60, nodata_state="alerting")
    trace = run([(0, ND), (30, ND), (60, ND)], timing)
    assert [s for s, _, _ in trace] == [PENDING, PENDING, ALERTING]
    assert trace[-1][1] is True


def test_nodata_as_normal_resolves_a_firing_instance() -> None:
    t = step(InstanceState(ALERTING, T0), ND, at(30), Timing(nodata_state="normal"))
    assert (t.state.state, t.state.reason, t.resolves) == (NORMAL, "NoData", True)


@pytest.mark.parametrize("start", [NORMAL, PENDING, ALERTING, RECOVERING])
def test_keep_last_changes_nothing(start: str) -> None:
    prev = InstanceState(start, T0)
    timing = Timing(nodata_state="keep_last", error_state="keep_last")
    assert step(prev, ND, at(30), timing) == Transition(prev)
    assert step(prev, ER, at(30), timing) == Transition(prev)


def test_error_default_enters_error_and_resolves_running_episode() -> None:
    t = step(InstanceState(ALERTING, T0), ER, at(30), Timing())
    assert (t.state.state, t.fires, t.resolves, t.state.reason) == (ERROR, True, True, "Error")
    back = step(t.state, OK, at(60), Timing())
    assert (back.state.state, back.resolves) == (NORMAL, True)


def test_error_as_alerting_fires() -> None:
    t = step(InstanceState(NORMAL, T0), ER, at(0), Timing(error_state="alerting"))
    assert (t.state.state, t.fires) == (ALERTING, True)


def test_nodata_choice_error_maps_to_error_state() -> None:
    t = step(InstanceState(NORMAL, T0), ND, at(0), Timing(nodata_state="error"))
    assert t.state.state == ERROR and t.fires


def test_nodata_then_error_switches_episode() -> None:
    t = step(InstanceState(NODATA, T0), ER, at(30), Timing())
    assert (t.state.state, t.fires, t.resolves) == (ERROR, True, True)


@pytest.mark.parametrize("start", [NORMAL, PENDING, ALERTING, RECOVERING, NODATA, ERROR])
def test_missing_series_resolves_after_two_evaluations_and_is_evicted(start: str) -> None:
    prev = InstanceState(start, T0)
    first = step(prev, MISS, at(30), Timing())
    assert first.state.state == start and first.state.missing == 1
    assert not (first.fires or first.resolves or first.evict)
    second = step(first.state, MISS, at(60), Timing())
    assert STALE_EVALUATIONS == 2
    assert second.state.state == NORMAL and second.state.reason == "MissingSeries"
    assert second.evict
    assert second.resolves is (start in (ALERTING, RECOVERING, NODATA, ERROR))


def test_series_back_before_the_second_miss_resets_the_count() -> None:
    first = step(InstanceState(ALERTING, T0), MISS, at(30), Timing())
    back = step(first.state, B, at(60), Timing())
    assert back.state.missing == 0 and back.state.state == ALERTING and not back.fires
