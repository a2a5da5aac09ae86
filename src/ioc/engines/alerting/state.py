"""The alert instance state machine: one pure function, :func:`step`.

States and transitions follow Grafana unified alerting (``shared/domain/alerting.md`` §3):

=================  ==============  ==========================================================
from               outcome         to
=================  ==============  ==========================================================
Normal             breached        Pending (or Alerting at once when the pending period is 0)
Pending            breached        Alerting once ``now - since >= pending`` (fires), else Pending
Pending            ok              Normal (a single false evaluation resets the counter)
Alerting           breached        Alerting
Alerting           ok              Recovering when keep-firing-for > 0, else Normal (resolves)
Recovering         breached        Alerting (the same episode goes on; no new notification)
Recovering         ok              Normal once keep-firing-for has passed (resolves)
any                no data         per the rule's ``nodata_state`` (below)
any                error           per the rule's ``error_state`` (below)
any                missing         Normal after ``STALE_EVALUATIONS`` misses, then evicted
NoData / Error     ok              Normal (resolves the NoData / Error episode)
=================  ==============  ==========================================================

What ``nodata_state`` / ``error_state`` mean (our documented choice where Grafana versions
differ): ``nodata`` / ``error`` put the instance in that first-class state **at once** (no
pending period) and open an episode of its own (labelled ``alertstate=nodata|error`` by the
evaluator, so policies can route it apart); an ongoing Alerting episode resolves first.
``alerting`` treats the evaluation as breached (pending period applies), ``normal`` as not
breached, ``keep_last`` leaves the state and its timers as they are.

The keep-firing period is measured from the first false evaluation (``since`` of Recovering):
the evaluator writes instances only on transitions, so "last true" is the evaluation before.

Notifications are due only when an episode starts (``fires``) and when it ends (``resolves``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Final

from ioc.engines.alerting.models import ALERTING, ERROR, NODATA, NORMAL, PENDING, RECOVERING

STALE_EVALUATIONS: Final = 2
"""Consecutive evaluations a series may be missing before its instance resolves (Grafana)."""

NODATA_CHOICES: Final = ("nodata", "alerting", "normal", "keep_last", "error")
ERROR_CHOICES: Final = ("error", "alerting", "normal", "keep_last")


class Outcome(StrEnum):
    """What one evaluation found for one instance."""

    BREACHED = "breached"
    OK = "ok"
    NODATA = "nodata"
    ERROR = "error"
    MISSING = "missing"  # the series vanished while the rule still returns others


@dataclass(frozen=True)
class Timing:
    """The rule settings the state machine needs."""

    pending_s: int = 0
    keep_firing_s: int = 0
    nodata_state: str = "nodata"
    error_state: str = "error"


@dataclass(frozen=True)
class InstanceState:
    """An instance's state, when it entered it, why, and how many evaluations it was missing."""

    state: str
    since: datetime
    reason: str | None = None
    missing: int = 0


@dataclass(frozen=True)
class Transition:
    """Result of one step: the new state and what the evaluator must do about it."""

    state: InstanceState
    fires: bool = False  # an episode starts: open an alert, notify "firing"
    resolves: bool = False  # the running episode ends: notify "resolved"
    evict: bool = False  # forget the instance (stale series)
    # ``state`` is the very ``prev`` object when nothing changed: the evaluator writes an
    # instance only when ``transition.state is not prev``.


_FIRING = frozenset({ALERTING, RECOVERING})
_EPISODE = frozenset({ALERTING, RECOVERING, NODATA, ERROR})


def is_firing(state: str) -> bool:
    """Whether ``state`` counts as firing (an Alerting episode is running)."""
    return state in _FIRING


def step(prev: InstanceState, outcome: Outcome, now: datetime, timing: Timing) -> Transition:
    """The next state of an instance after one evaluation at ``now`` (pure, no I/O)."""
    if outcome is Outcome.MISSING:
        return _missing(prev, now)
    if prev.missing:
        prev = replace(prev, missing=0)
    if outcome is Outcome.NODATA:
        return _special(prev, now, timing, timing.nodata_state, NODATA, "NoData")
    if outcome is Outcome.ERROR:
        return _special(prev, now, timing, timing.error_state, ERROR, "Error")
    return _condition(prev, outcome is Outcome.BREACHED, now, timing, None)


def _condition(
    prev: InstanceState, breached: bool, now: datetime, timing: Timing, reason: str | None
) -> Transition:
    state = prev.state
    if breached:
        if state == ALERTING:
            return Transition(prev)
        if state == RECOVERING:
            return Transition(InstanceState(ALERTING, now, reason), fires=False)
        if state == PENDING:
            if (now - prev.since).total_seconds() >= timing.pending_s:
                return Transition(InstanceState(ALERTING, now, reason), fires=True)
            return Transition(prev)
        # Normal, NoData or Error: a NoData/Error episode ends before the new one starts.
        ends = state in (NODATA, ERROR)
        if timing.pending_s <= 0:
            return Transition(InstanceState(ALERTING, now, reason), fires=True, resolves=ends)
        return Transition(InstanceState(PENDING, now, reason), resolves=ends)
    # Not breached.
    if state == ALERTING:
        if timing.keep_firing_s > 0:
            return Transition(InstanceState(RECOVERING, now, reason))
        return Transition(InstanceState(NORMAL, now, reason), resolves=True)
    if state == RECOVERING:
        if (now - prev.since).total_seconds() >= timing.keep_firing_s:
            return Transition(InstanceState(NORMAL, now, reason), resolves=True)
        return Transition(prev)
    if state == PENDING:
        return Transition(InstanceState(NORMAL, now, reason))
    if state in (NODATA, ERROR):
        return Transition(InstanceState(NORMAL, now, reason), resolves=True)
    return Transition(prev)


def _special(
    prev: InstanceState, now: datetime, timing: Timing, choice: str, own: str, reason: str
) -> Transition:
    if choice == "keep_last":
        return Transition(prev)
    if choice == "alerting":
        return _condition(prev, True, now, timing, reason)
    if choice == "normal":
        return _condition(prev, False, now, timing, reason)
    target = ERROR if choice == "error" else own if choice == own else NODATA
    if prev.state == target:
        return Transition(prev)
    # Entering NoData/Error at once; a running episode (Alerting, Recovering or the other
    # special state) resolves first.
    return Transition(
        InstanceState(target, now, reason), fires=True, resolves=prev.state in _EPISODE
    )


def _missing(prev: InstanceState, now: datetime) -> Transition:
    misses = prev.missing + 1
    if misses < STALE_EVALUATIONS:
        return Transition(replace(prev, missing=misses))
    return Transition(
        InstanceState(NORMAL, now, "MissingSeries"),
        resolves=prev.state in _EPISODE,
        evict=True,
    )
