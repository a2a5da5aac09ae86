"""Firing episodes: open an :class:`Alert` when an instance starts firing, end it when the
condition clears. The only two writers of ``Alert.starts_at`` / ``Alert.ends_at``.

An alert nobody has touched (still ``new``) closes by itself when its condition ends; one an
operator acknowledged or escalated stays open until the operator closes it, so work in
progress is never pulled from under them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy.orm import Session

from ioc.engines.alerting.models import ALERT_CLOSED, ALERT_NEW, Alert, AlertEvent

SYSTEM: Final = "system"

# Why an episode ended (Grafana's state reasons), as the operator reads it.
END_REASONS: Final = {
    "Resolved": "Tự hết: điều kiện không còn",
    "MissingSeries": "Tự hết: chuỗi số liệu không còn",
    "NoData": "Tự hết: không có dữ liệu để đánh giá",
    "Error": "Tự hết: lỗi đánh giá quy tắc",
    "Updated": "Tự đóng: quy tắc đã được sửa",
    "Paused": "Tự đóng: quy tắc đã tắt",
    "RuleDeleted": "Tự đóng: quy tắc đã bị xóa",
}


@dataclass(frozen=True)
class Opening:
    """An episode to open: the instance it belongs to and what the alert shows."""

    rule_id: int
    instance_id: int
    fingerprint: str
    title: str
    labels: dict[str, str]
    annotations: dict[str, Any]
    severity: str
    pack: str
    value: float | None


def system_event(
    alert_id: int,
    now: datetime,
    kind: str,
    text: str,
    data: dict[str, Any],
    *,
    actor: str = SYSTEM,
) -> AlertEvent:
    """A timeline entry of an alert written by the IOC itself (``actor`` names the part of
    it that acted; no user)."""
    return AlertEvent(alert_id=alert_id, at=now, kind=kind, actor=actor, text=text, data=data)


def open_alerts(session: Session, openings: list[Opening], now: datetime) -> list[Alert]:
    """Start episodes (status ``new``) and write their "fired" timeline entries, in bulk (an
    alert storm opens a thousand at once)."""
    alerts = [
        Alert(
            rule_id=o.rule_id,
            instance_id=o.instance_id,
            fingerprint=o.fingerprint,
            title=o.title[:300],
            labels=o.labels,
            annotations=o.annotations,
            severity=o.severity,
            pack=o.pack,
            area_code=o.labels.get("area"),
            agency_code=o.labels.get("agency"),
            value=o.value,
            starts_at=now,
            status=ALERT_NEW,
            updated_at=now,
        )
        for o in openings
    ]
    session.add_all(alerts)
    session.flush()
    session.add_all(
        system_event(
            alert.id, now, "fired", alert.title, {"value": alert.value, "labels": alert.labels}
        )
        for alert in alerts
    )
    return alerts


def end(session: Session, alert_id: int, now: datetime, reason: str = "Resolved") -> None:
    """End the episode at ``now``; close it too when nobody has taken it up yet."""
    alert = session.get(Alert, alert_id)
    if alert is None or alert.ends_at is not None:
        return
    alert.ends_at = now
    alert.updated_at = now
    text = END_REASONS.get(reason, reason)
    session.add(system_event(alert.id, now, "resolved", text, {"reason": reason}))
    if alert.status == ALERT_NEW:
        alert.status = ALERT_CLOSED
        alert.closed_at = now
        alert.closed_by = SYSTEM
        alert.close_reason = text
