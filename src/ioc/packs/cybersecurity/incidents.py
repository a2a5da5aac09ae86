"""Sự cố ATTT: the actions of the incident workflow. Each action checks the transition,
changes the state, adds a handling step and writes one audit row, in the caller's transaction.

States and transitions::

    open ──► investigating ──► contained
      │            │               │
      └────────────┴───────────────┴──► closed (with a cause) ──► open (reopen, with a reason)
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ioc.core import audit, clock
from ioc.engines.actions_kit import LabelledFieldError, check_move
from ioc.packs.cybersecurity.models import CyEvent, CyIncident, CyIncidentStep
from ioc.packs.cybersecurity.parsers import CATEGORIES, SEVERITIES

STATUSES: tuple[str, ...] = ("open", "investigating", "contained", "closed")
OPEN_STATUSES: tuple[str, ...] = ("open", "investigating", "contained")
TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"investigating", "contained"}),
    "investigating": frozenset({"contained"}),
    "contained": frozenset({"investigating"}),
    "closed": frozenset(),
}
MAX_TEXT = 4000


class IncidentError(LabelledFieldError):
    """A refused incident action; names the field, in Vietnamese and English."""


def _text(value: str | None, field: str, *, required: bool, limit: int = MAX_TEXT) -> str:
    text = (value or "").strip()
    if required and not text:
        raise IncidentError(field, "bắt buộc nhập", "is required")
    if len(text) > limit:
        raise IncidentError(field, f"dài quá {limit} ký tự", f"longer than {limit} characters")
    return text


def _step(session: Session, incident: CyIncident, actor: audit.Actor, kind: str, text: str) -> None:
    session.add(
        CyIncidentStep(
            incident_id=incident.id, at=clock.now(), actor=actor.label[:200], kind=kind, text=text
        )
    )


def open_incident(
    session: Session,
    actor: audit.Actor,
    *,
    title: str,
    agency_code: str | None,
    category: str,
    severity: str,
    description: str = "",
    event_ids: Sequence[int] = (),
    site_id: int | None = None,
) -> CyIncident:
    """Open an incident (by hand, or from events whose ids are given: they are linked)."""
    title = _text(title, "title", required=True, limit=300)
    if category not in CATEGORIES:
        raise IncidentError("category", "nhóm sự cố không hợp lệ", "unknown category")
    if severity not in SEVERITIES:
        raise IncidentError("severity", "mức độ không hợp lệ", "unknown severity")
    incident = CyIncident(
        title=title,
        agency_code=(agency_code or None),
        category=category,
        severity=severity,
        status="open",
        description=_text(description, "description", required=False),
        opened_at=clock.now(),
        opened_by=actor.label[:200],
        site_id=site_id,
    )
    session.add(incident)
    session.flush()
    linked = 0
    if event_ids:
        result = session.execute(
            update(CyEvent)
            .where(CyEvent.id.in_(list(event_ids)), CyEvent.incident_id.is_(None))
            .values(incident_id=incident.id)
        )
        linked = int(getattr(result, "rowcount", 0) or 0)
    _step(session, incident, actor, "status", "open")
    audit.record(
        session,
        actor,
        "cy.incident.open",
        "cy_incident",
        incident.id,
        agency=incident.agency_code,
        severity=severity,
        events=linked,
    )
    return incident


def open_from_event(session: Session, actor: audit.Actor, event: CyEvent) -> CyIncident:
    """Open an incident from one event (title, agency, category, severity taken from it)."""
    if event.incident_id is not None:
        raise IncidentError("event", "sự kiện đã thuộc một sự cố", "event already in an incident")
    incident = open_incident(
        session,
        actor,
        title=event.message[:300] or event.category,
        agency_code=event.agency_code,
        category=event.category,
        severity=event.severity,
        description=f"{event.host or ''} {event.src_ip or ''}".strip(),
        event_ids=[event.id],
    )
    session.refresh(event, ["incident_id"])  # linked by the bulk UPDATE above
    return incident


def add_note(session: Session, actor: audit.Actor, incident: CyIncident, text: str) -> None:
    """Record a handling step (what was done)."""
    body = _text(text, "text", required=True)
    _step(session, incident, actor, "note", body)
    audit.record(session, actor, "cy.incident.note", "cy_incident", incident.id)


def change_status(
    session: Session, actor: audit.Actor, incident: CyIncident, status: str, note: str = ""
) -> None:
    """Move an open incident to another open status (closing needs :func:`close_incident`)."""
    check_move(TRANSITIONS, incident.status, status, IncidentError)
    before = incident.status
    incident.status = status
    text = _text(note, "note", required=False)
    _step(session, incident, actor, "status", f"{status}: {text}" if text else status)
    audit.record(
        session,
        actor,
        "cy.incident.status",
        "cy_incident",
        incident.id,
        before=before,
        after=status,
    )


def close_incident(session: Session, actor: audit.Actor, incident: CyIncident, cause: str) -> None:
    """Close an open incident with its cause (nguyên nhân)."""
    if incident.status == "closed":
        raise IncidentError("status", "sự cố đã đóng", "incident already closed")
    incident.cause = _text(cause, "cause", required=True)
    before = incident.status
    incident.status = "closed"
    incident.closed_at = clock.now()
    _step(session, incident, actor, "close", incident.cause)
    audit.record(session, actor, "cy.incident.close", "cy_incident", incident.id, before=before)


def reopen_incident(
    session: Session, actor: audit.Actor, incident: CyIncident, reason: str
) -> None:
    """Reopen a closed incident (the cause is kept in the steps)."""
    if incident.status != "closed":
        raise IncidentError("status", "chỉ mở lại sự cố đã đóng", "only a closed incident")
    text = _text(reason, "reason", required=True)
    incident.status = "open"
    incident.closed_at = None
    incident.cause = None
    _step(session, incident, actor, "reopen", text)
    audit.record(session, actor, "cy.incident.reopen", "cy_incident", incident.id)


def steps(session: Session, incident_id: int) -> list[CyIncidentStep]:
    """Handling steps of an incident, oldest first."""
    return list(
        session.execute(
            select(CyIncidentStep)
            .where(CyIncidentStep.incident_id == incident_id)
            .order_by(CyIncidentStep.at, CyIncidentStep.id)
        ).scalars()
    )


def resolve_hours(incident: CyIncident, now: datetime | None = None) -> float | None:
    """Hours from opening to closing (None while open)."""
    if incident.closed_at is None:
        return None
    return (incident.closed_at - incident.opened_at).total_seconds() / 3600
