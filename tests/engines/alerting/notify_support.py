"""Helpers for the notification tests: alerts rows and a small configuration."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import audit
from ioc.engines.alerting.models import Alert, AlertInstance, AlertRule
from ioc.engines.alerting.notify.config import load_config

ADMIN = audit.Actor.system("test")


def make_alert(
    session: Session,
    labels: dict[str, str],
    *,
    starts_at: datetime,
    title: str | None = None,
    ends_at: datetime | None = None,
    status: str = "new",
) -> Alert:
    """An alert row (with its rule and instance) carrying ``labels``."""
    labels = {"pack": "environment", "severity": "warning", **labels}
    uid = labels["alertname"]
    rule = session.execute(select(AlertRule).where(AlertRule.uid == uid)).scalar_one_or_none()
    if rule is None:
        rule = AlertRule(
            uid=uid,
            title=f"Quy tắc {uid}",
            pack=labels["pack"],
            kind="threshold",
            severity=labels["severity"],
            updated_at=starts_at,
        )
        session.add(rule)
        session.flush()
    fingerprint = hashlib.sha256(json.dumps(labels, sort_keys=True).encode()).hexdigest()
    instance = session.execute(
        select(AlertInstance).where(
            AlertInstance.rule_id == rule.id, AlertInstance.fingerprint == fingerprint
        )
    ).scalar_one_or_none()
    if instance is None:
        instance = AlertInstance(
            rule_id=rule.id,
            fingerprint=fingerprint,
            labels=labels,
            state="alerting",
            state_since=starts_at,
        )
        session.add(instance)
        session.flush()
    alert = Alert(
        rule_id=rule.id,
        instance_id=instance.id,
        fingerprint=fingerprint,
        title=title or f"Cảnh báo {uid} {labels.get('station', labels.get('area', ''))}".strip(),
        labels=labels,
        annotations={
            "summary": {"vi": f"Tóm tắt {uid}", "en": f"Summary {uid}"},
            "description": {"vi": "Mô tả chi tiết", "en": "Details"},
        },
        severity=labels["severity"],
        pack=labels["pack"],
        area_code=labels.get("area"),
        agency_code=labels.get("agency"),
        starts_at=starts_at,
        ends_at=ends_at,
        status=status,
        updated_at=starts_at,
    )
    session.add(alert)
    session.flush()
    return alert


def configure(session: Session, text: str) -> None:
    """Load a YAML notification configuration as the test's admin (webhooks to the local test
    servers on 127.0.0.1 allowed, as ``IOC_OUTBOUND_ALLOW`` would)."""
    load_config(session, text, ADMIN, allow=["127.0.0.1"])


SIMPLE = """
contact_points:
  - name: ops
    kind: inapp
    settings: {roles: [operator]}
    send_resolved: true
  - name: ops-quiet
    kind: inapp
    settings: {roles: [operator]}
    send_resolved: false
  - name: mail
    kind: email
    settings: {addresses: ["trucban@example.vn"]}
policy:
  contact_point: ops
  group_by: [alertname]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 4h
"""


def payload_ids(payload: dict[str, Any]) -> list[int]:
    """Alert ids carried by an outbox payload."""
    return list(payload["alert_ids"])
