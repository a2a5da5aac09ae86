"""Incidents: the list and one incident's detail with its steps."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ioc.engines.actions_kit import same_named
from ioc.engines.alerting.models import (
    Alert,
    AlertEvent,
    Incident,
    IncidentStep,
)
from ioc.engines.alerting.queries.console import alert_timeline
from ioc.engines.alerting.queries.names import agency_names, alert_rows, area_names
from ioc.engines.alerting.queries.rows import PER_PAGE, IncidentDetail, IncidentRow, Page, StepRow

# ------------------------------------------------------------------ incidents

_INCIDENT_FIELDS = (
    "id code title severity pack area_code agency_id status opened_at opened_by closed_at"
    " closed_by close_reason"
)
"""The columns an :class:`IncidentRow` shows as they are."""


def _incident_rows(session: Session, incidents: list[Incident]) -> list[IncidentRow]:
    ids = [i.id for i in incidents]
    steps: dict[int, tuple[int, int]] = {}
    alerts: dict[int, int] = {}
    if ids:
        for incident_id, total, done in session.execute(
            select(
                IncidentStep.incident_id,
                func.count(),
                func.count(IncidentStep.done_at),
            )
            .where(IncidentStep.incident_id.in_(ids))
            .group_by(IncidentStep.incident_id)
        ).all():
            steps[incident_id] = (done, total)
        for owner, n in session.execute(
            select(Alert.incident_id, func.count())
            .where(Alert.incident_id.in_(ids))
            .group_by(Alert.incident_id)
        ).all():
            if owner is not None:
                alerts[owner] = n
    areas = area_names(session, (i.area_code for i in incidents))
    agencies = agency_names(session, (i.agency_id for i in incidents))
    return [
        IncidentRow(
            **same_named(i, _INCIDENT_FIELDS),
            area_name=areas.get(i.area_code) if i.area_code else None,
            agency_name=agencies[i.agency_id][0] if i.agency_id in agencies else None,
            steps_done=steps.get(i.id, (0, 0))[0],
            steps_total=steps.get(i.id, (0, 0))[1],
            alert_count=alerts.get(i.id, 0),
        )
        for i in incidents
    ]


def incidents(session: Session, status: str = "open", page: int = 1) -> Page:
    """Incidents (``open``, ``closed`` or ``all``), newest first."""
    base = select(Incident)
    if status in ("open", "closed"):
        base = base.where(Incident.status == status)
    total = session.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    page = max(1, page)
    rows = list(
        session.execute(
            base.order_by(Incident.opened_at.desc(), Incident.id.desc())
            .offset((page - 1) * PER_PAGE)
            .limit(PER_PAGE)
        ).scalars()
    )
    return Page(_incident_rows(session, rows), total, page, PER_PAGE)


def incident_detail(session: Session, incident_id: int, lang: str) -> IncidentDetail | None:
    """The incident with its SOP steps, alerts and timeline; ``None`` when unknown."""
    incident = session.get(Incident, incident_id)
    if incident is None:
        return None
    steps = [
        StepRow(s.id, s.position, s.title, s.done_at, s.done_by, s.note)
        for s in session.execute(
            select(IncidentStep)
            .where(IncidentStep.incident_id == incident.id)
            .order_by(IncidentStep.position)
        ).scalars()
    ]
    alerts = list(
        session.execute(
            select(Alert).where(Alert.incident_id == incident.id).order_by(Alert.starts_at)
        ).scalars()
    )
    alert_ids = [a.id for a in alerts]
    condition: Any = AlertEvent.incident_id == incident.id
    if alert_ids:
        condition = or_(condition, AlertEvent.alert_id.in_(alert_ids))
    return IncidentDetail(
        row=_incident_rows(session, [incident])[0],
        steps=steps,
        alerts=alert_rows(session, alerts, lang),
        timeline=alert_timeline(session, condition),
    )
