"""Firing episodes: open an :class:`Alert` when an instance starts firing, end it when the
condition clears. The only two writers of ``Alert.starts_at`` / ``Alert.ends_at``.

An alert nobody has touched (still ``new``) closes by itself when its condition ends; one an
operator acknowledged or escalated stays open until the operator closes it, so work in
progress is never pulled from under them.
"""

from __future__ import annotations

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


def open_alert(
    session: Session,
    *,
    rule_id: int,
    instance_id: int,
    fingerprint: str,
    title: str,
    labels: dict[str, str],
    annotations: dict[str, Any],
    severity: str,
    pack: str,
    value: float | None,
    now: datetime,
) -> Alert:
    """Start an episode (status ``new``) and write its "fired" timeline entry."""
    alert = Alert(
        rule_id=rule_id,
        instance_id=instance_id,
        fingerprint=fingerprint,
        title=title[:300],
        labels=labels,
        annotations=annotations,
        severity=severity,
        pack=pack,
        area_code=labels.get("area"),
        agency_code=labels.get("agency"),
        value=value,
        starts_at=now,
        status=ALERT_NEW,
        updated_at=now,
    )
    session.add(alert)
    session.flush()
    session.add(
        AlertEvent(
            alert_id=alert.id,
            at=now,
            kind="fired",
            actor=SYSTEM,
            text=title[:300],
            data={"value": value, "labels": labels},
        )
    )
    return alert


def end(session: Session, alert_id: int, now: datetime, reason: str = "Resolved") -> None:
    """End the episode at ``now``; close it too when nobody has taken it up yet."""
    alert = session.get(Alert, alert_id)
    if alert is None or alert.ends_at is not None:
        return
    alert.ends_at = now
    alert.updated_at = now
    text = END_REASONS.get(reason, reason)
    session.add(
        AlertEvent(
            alert_id=alert.id,
            at=now,
            kind="resolved",
            actor=SYSTEM,
            text=text,
            data={"reason": reason},
        )
    )
    if alert.status == ALERT_NEW:
        alert.status = ALERT_CLOSED
        alert.closed_at = now
        alert.closed_by = SYSTEM
        alert.close_reason = text
