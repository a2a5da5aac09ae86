"""Names an operator reads instead of codes: communes, agencies, users, incidents."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from ioc.core.models import Agency, Area, User
from ioc.engines.alerting.models import (
    Alert,
    Incident,
)
from ioc.engines.alerting.queries.rows import AlertRow

# ------------------------------------------------------------------ names


def area_names(session: Session, codes: Iterable[str | None]) -> dict[str, str]:
    """Names of administrative units by code (the current unit when a code was reused)."""
    wanted = {c for c in codes if c}
    if not wanted:
        return {}
    names: dict[str, str] = {}
    rows = session.execute(
        select(Area.code, Area.name, Area.valid_to).where(Area.code.in_(wanted))
    ).all()
    for code, name, _valid_to in sorted(rows, key=lambda r: r[2] is None):
        names[code] = name  # current rows (valid_to None) sort last and win
    return names


def agency_names(session: Session, ids: Iterable[int | None]) -> dict[int, tuple[str, str]]:
    """``(short name, code)`` of agencies by id."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(
        select(Agency.id, Agency.short_name, Agency.code).where(Agency.id.in_(wanted))
    ).all()
    return {i: (name, code) for i, name, code in rows}


def _labels_by_id(
    session: Session,
    id_column: InstrumentedAttribute[int],
    label_column: InstrumentedAttribute[str],
    ids: Iterable[int | None],
) -> dict[int, str]:
    """``{id: label}`` of the rows whose ``id_column`` is among ``ids`` (None skipped)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(select(id_column, label_column).where(id_column.in_(wanted))).all()
    return dict(rows)


def localized(annotations: dict[str, Any], key: str, lang: str) -> str:
    """Annotation ``key`` (``summary``, ``description``) in ``lang``, else Vietnamese."""
    value = annotations.get(key) if isinstance(annotations, dict) else None
    if isinstance(value, dict):
        return str(value.get(lang) or value.get("vi") or "")
    return str(value or "")


def alert_rows(session: Session, alerts: list[Alert], lang: str) -> list[AlertRow]:
    """The console rows of ``alerts``, with the names an operator reads."""
    areas = area_names(session, (a.area_code for a in alerts))
    agencies = agency_names(session, (a.assignee_agency_id for a in alerts))
    users = _labels_by_id(session, User.id, User.full_name, (a.assignee_user_id for a in alerts))
    incidents = _labels_by_id(session, Incident.id, Incident.code, (a.incident_id for a in alerts))
    out = []
    for a in alerts:
        agency = agencies.get(a.assignee_agency_id) if a.assignee_agency_id else None
        out.append(
            AlertRow(
                id=a.id,
                title=a.title,
                summary=localized(a.annotations, "summary", lang) or a.title,
                severity=a.severity,
                pack=a.pack,
                area_code=a.area_code,
                area_name=areas.get(a.area_code) if a.area_code else None,
                station=(a.labels or {}).get("station"),
                value=a.value,
                starts_at=a.starts_at,
                ends_at=a.ends_at,
                status=a.status,
                assignee_agency=agency[0] if agency else None,
                assignee_agency_code=agency[1] if agency else None,
                assignee_agency_id=a.assignee_agency_id,
                assignee_user=users.get(a.assignee_user_id) if a.assignee_user_id else None,
                incident_id=a.incident_id,
                incident_code=incidents.get(a.incident_id) if a.incident_id else None,
                closed_at=a.closed_at,
                closed_by=a.closed_by,
                close_reason=a.close_reason,
                updated_at=a.updated_at,
                rule_id=a.rule_id,
                labels=dict(a.labels or {}),
            )
        )
    return out
