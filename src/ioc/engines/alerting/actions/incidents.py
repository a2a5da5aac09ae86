"""Actions on an incident: its SOP steps and its closing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.core import audit, clock
from ioc.core.audit import Actor
from ioc.engines.alerting.actions.alerts import mark_closed
from ioc.engines.alerting.actions.checks import (
    INCIDENT_CLOSED,
    AlertActionError,
    AlertNotFound,
    add_event,
    check_scope,
    checked_text,
    locked_incident,
    when_text,
)
from ioc.engines.alerting.models import (
    ALERT_CLOSED,
    Alert,
    Incident,
    IncidentStep,
)

# ------------------------------------------------------------------ incident actions


def _step(session: Session, step_id: int) -> tuple[IncidentStep, Incident]:
    step = session.execute(
        select(IncidentStep).where(IncidentStep.id == step_id).with_for_update()
    ).scalar_one_or_none()
    if step is None:
        raise AlertNotFound(f"Không có bước xử lý số {step_id}", f"No SOP step {step_id}")
    return step, locked_incident(session, step.incident_id)


def _refuse_closed_incident(incident: Incident) -> None:
    if incident.status == INCIDENT_CLOSED:
        raise AlertActionError(
            f"Sự cố {incident.code} đã đóng lúc {when_text(incident.closed_at)} "
            f"({incident.closed_by})",
            f"Incident {incident.code} is already closed",
        )


def _touch_alerts(session: Session, incident_id: int) -> None:
    # The console lists alerts by recent change; a step ticked is a change to follow.
    now = clock.now()
    for alert in session.execute(select(Alert).where(Alert.incident_id == incident_id)).scalars():
        alert.updated_at = now


def _mark_step(
    session: Session,
    actor: Actor,
    step: IncidentStep,
    incident_id: int,
    *,
    done: bool,
    note: str | None,
    **audit_data: Any,
) -> None:
    """Tick (``done``) or untick ``step``, then write the timeline entry (``step_done`` /
    ``step_reopened``, with ``note``) and the audit row (``incident.step_done`` /
    ``incident.step_reopen``, with ``audit_data``)."""
    step.done_at = clock.now() if done else None
    step.done_by = actor.label if done else None
    step.note = note if done else None
    _touch_alerts(session, incident_id)
    add_event(
        session,
        "step_done" if done else "step_reopened",
        actor,
        incident_id=incident_id,
        note=note,
        position=step.position,
        title=step.title,
    )
    action = "incident.step_done" if done else "incident.step_reopen"
    audit.record(
        session, actor, action, "incident", incident_id, position=step.position, **audit_data
    )


def complete_step(
    session: Session, actor: Actor, step_id: int, *, note: str | None = None
) -> IncidentStep:
    """Hoàn thành bước: tick an SOP step of an open incident, with an optional note."""
    step, incident = _step(session, step_id)
    check_scope(session, actor, incident.agency_id)
    note = checked_text(note, "ghi chú", "note", required=False)
    _refuse_closed_incident(incident)
    if step.done_at is not None:
        raise AlertActionError(
            f"Bước {step.position} đã hoàn thành lúc {when_text(step.done_at)} ({step.done_by})",
            f"Step {step.position} is already done",
        )
    _mark_step(session, actor, step, incident.id, done=True, note=note)
    return step


def reopen_step(session: Session, actor: Actor, step_id: int, *, note: str) -> IncidentStep:
    """Làm lại bước: untick a step of an open incident; the reason is required."""
    step, incident = _step(session, step_id)
    check_scope(session, actor, incident.agency_id)
    why = checked_text(note, "lý do làm lại bước", "reason for reopening the step", required=True)
    _refuse_closed_incident(incident)
    if step.done_at is None:
        raise AlertActionError(
            f"Bước {step.position} chưa hoàn thành", f"Step {step.position} is not done"
        )
    _mark_step(session, actor, step, incident.id, done=False, note=why, reason=why)
    return step


def close_incident(session: Session, actor: Actor, incident_id: int, *, reason: str) -> Incident:
    """Đóng sự cố with a resolution reason; its alerts still open are closed with it.

    Unfinished SOP steps do not block closing (the situation may end before the checklist),
    but their number is recorded on the timeline and in the audit row.
    """
    incident = locked_incident(session, incident_id)
    check_scope(session, actor, incident.agency_id)
    why = checked_text(reason, "lý do đóng", "closing reason", required=True)
    _refuse_closed_incident(incident)
    open_steps = session.execute(
        select(func.count())
        .select_from(IncidentStep)
        .where(IncidentStep.incident_id == incident.id, IncidentStep.done_at.is_(None))
    ).scalar_one()
    now = clock.now()
    incident.status = INCIDENT_CLOSED
    incident.closed_at = now
    incident.closed_by = actor.label
    incident.close_reason = why
    closed: list[int] = []
    alerts: Sequence[Alert] = (
        session.execute(
            select(Alert)
            .where(Alert.incident_id == incident.id, Alert.status != ALERT_CLOSED)
            .with_for_update()
        )
        .scalars()
        .all()
    )
    for alert in alerts:
        mark_closed(session, actor, alert, why or "", incident=incident.code)
        closed.append(alert.id)
    add_event(
        session,
        "incident_closed",
        actor,
        incident_id=incident.id,
        note=why,
        open_steps=open_steps,
        alerts=closed,
    )
    audit.record(
        session,
        actor,
        "incident.close",
        "incident",
        incident.id,
        code=incident.code,
        reason=why,
        open_steps=open_steps,
        alerts=closed,
    )
    return incident
