"""One action over several alerts at once, each in its own savepoint."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from ioc.engines.alerting.actions.checks import AlertActionError

# ------------------------------------------------------------------ several alerts at once


@dataclass
class BulkResult:
    """What one action over several alerts did: the alerts it changed and, for the others,
    why not (already acknowledged, another agency's, closed meanwhile …)."""

    done: list[int] = field(default_factory=list)
    skipped: list[tuple[int, AlertActionError]] = field(default_factory=list)


def for_each_alert(
    session: Session, alert_ids: Sequence[int], action: Callable[[int], Any]
) -> BulkResult:
    """Run ``action(alert_id)`` — one of this module's actions, with its checks, timeline
    entry and audit row — for every alert, each in its own savepoint: an alert the actor may
    not handle, or whose state forbids it, is skipped with the reason; the others go through.
    In the caller's transaction (never commits)."""
    result = BulkResult()
    for alert_id in dict.fromkeys(alert_ids):  # each once, in the given order
        try:
            with session.begin_nested():
                action(alert_id)
        except AlertActionError as exc:
            result.skipped.append((alert_id, exc))
        else:
            result.done.append(alert_id)
    return result
