"""The alerts console: open alerts, counts, one alert's detail and the history."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ioc.engines.alerting.models import (
    ALERT_CLOSED,
    SEVERITIES,
    Alert,
    AlertEvent,
    AlertRule,
)
from ioc.engines.alerting.notify.outcome import delivery_of
from ioc.engines.alerting.queries.filters import apply_filters, severity_order
from ioc.engines.alerting.queries.names import alert_rows, localized
from ioc.engines.alerting.queries.rows import (
    OPEN_STATUSES,
    PER_PAGE,
    AlertDetail,
    AlertFilters,
    AlertRow,
    EventRow,
    Page,
)

# ------------------------------------------------------------------ console


def open_alerts(
    session: Session, filters: AlertFilters, lang: str, *, limit: int = 500
) -> list[AlertRow]:
    """Alerts not yet closed, worst severity first, then newest first."""
    stmt = select(Alert).where(Alert.status != ALERT_CLOSED)
    stmt = apply_filters(session, stmt, filters)
    stmt = stmt.order_by(severity_order(), Alert.starts_at.desc(), Alert.id.desc()).limit(limit)
    return alert_rows(session, list(session.execute(stmt).scalars()), lang)


def severity_counts(session: Session, filters: AlertFilters | None = None) -> dict[str, int]:
    """Open alerts per severity (every severity present, zero included), under ``filters``
    except their severity (so the counts stay a choice of the severity filter)."""
    stmt = select(Alert.severity, func.count()).where(Alert.status != ALERT_CLOSED)
    stmt = apply_filters(session, stmt, filters or AlertFilters(), skip_severity=True)
    counts = dict.fromkeys(SEVERITIES, 0)
    for row in session.execute(stmt.group_by(Alert.severity)).all():
        counts[row[0]] = counts.get(row[0], 0) + int(row[1])
    return counts


def status_counts(session: Session) -> dict[str, int]:
    """Open alerts per handling status."""
    counts = dict.fromkeys(OPEN_STATUSES, 0)
    rows = session.execute(
        select(Alert.status, func.count())
        .where(Alert.status != ALERT_CLOSED)
        .group_by(Alert.status)
    ).all()
    for status, n in rows:
        counts[status] = n
    return counts


def alert_timeline(session: Session, condition: Any) -> list[EventRow]:
    """The timeline entries matching ``condition``, each notification with its delivery."""
    rows = list(
        session.execute(
            select(AlertEvent).where(condition).order_by(AlertEvent.at, AlertEvent.id)
        ).scalars()
    )
    # A "notified" entry is written when the message is queued: its outcome is the outbox's.
    outbox_ids = [
        int(e.data["outbox_id"])
        for e in rows
        if e.kind == "notified" and isinstance((e.data or {}).get("outbox_id"), int)
    ]
    deliveries = delivery_of(session, outbox_ids)
    return [
        EventRow(
            e.id,
            e.at,
            e.kind,
            e.actor,
            e.text,
            dict(e.data or {}),
            e.alert_id,
            e.incident_id,
            deliveries.get(int((e.data or {}).get("outbox_id") or 0))
            if e.kind == "notified"
            else None,
        )
        for e in rows
    ]


def alert_detail(session: Session, alert_id: int, lang: str) -> AlertDetail | None:
    """The alert with its labels, annotations, rule and timeline (its incident's steps
    included); ``None`` when there is no such alert."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        return None
    rule = session.get(AlertRule, alert.rule_id)
    condition: Any = AlertEvent.alert_id == alert.id
    if alert.incident_id is not None:
        condition = or_(
            condition,
            (AlertEvent.incident_id == alert.incident_id) & AlertEvent.alert_id.is_(None),
        )
    runbook = (alert.annotations or {}).get("runbook") or (
        (rule.annotations or {}).get("runbook") if rule else None
    )
    return AlertDetail(
        row=alert_rows(session, [alert], lang)[0],
        labels=dict(alert.labels or {}),
        description=localized(alert.annotations, "description", lang),
        rule_uid=rule.uid if rule else None,
        rule_title=rule.title if rule else None,
        sop_key=rule.sop_key if rule else None,
        runbook=str(runbook) if runbook else None,
        timeline=alert_timeline(session, condition),
        rule_kind=rule.kind if rule else None,
        rule_params=dict(rule.params or {}) if rule else {},
    )


def history(session: Session, filters: AlertFilters, lang: str, page: int = 1) -> Page:
    """Closed alerts, most recently closed first, ``PER_PAGE`` a page."""
    base = apply_filters(session, select(Alert).where(Alert.status == ALERT_CLOSED), filters)
    total = session.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    page = max(1, page)
    stmt = (
        base.order_by(Alert.closed_at.desc(), Alert.id.desc())
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE)
    )
    items = alert_rows(session, list(session.execute(stmt).scalars()), lang)
    return Page(items, total, page, PER_PAGE)
