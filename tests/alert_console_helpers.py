"""Arrange alerts for the console, action and wall tests: a rule, its instance, an open alert
and its "fired" timeline entry, as the evaluation engine would leave them."""

from __future__ import annotations

import hashlib
import itertools
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from ioc.core import audit, auth, clock
from ioc.core.models import Agency
from ioc.engines.alerting.models import (
    ALERTING,
    Alert,
    AlertEvent,
    AlertInstance,
    AlertRule,
    SopTemplate,
)

PASSWORD = "mật-khẩu-đủ-dài-123"
_seq = itertools.count(1)


def add_alert(
    session: Session,
    *,
    title: str = "VN_AQI vượt 150",
    summary: str | None = None,
    severity: str = "high",
    pack: str = "environment",
    area_code: str | None = "24133",
    agency_code: str | None = "so-nong-nghiep-moi-truong",
    station: str | None = None,
    value: float | None = 172.0,
    sop_key: str | None = None,
    started: timedelta = timedelta(minutes=25),
    status: str = "new",
    extra_labels: dict[str, str] | None = None,
) -> Alert:
    """One open alert (status ``new``) with its rule and alerting instance; flushed."""
    n = next(_seq)
    now = clock.now()
    labels: dict[str, Any] = {"alertname": f"test_rule_{n}", "pack": pack, "severity": severity}
    if area_code:
        labels["area"] = area_code
    if agency_code:
        labels["agency"] = agency_code
    if station:
        labels["station"] = station
    labels.update(extra_labels or {})
    fingerprint = hashlib.sha256(repr(sorted(labels.items())).encode()).hexdigest()
    rule = AlertRule(
        uid=f"{pack}.test_rule_{n}",
        title=title,
        pack=pack,
        kind="threshold",
        query={"indicator": "aqi_hour"},
        params={"op": ">", "threshold": 150},
        severity=severity,
        labels={},
        annotations={},
        sop_key=sop_key,
        updated_at=now,
    )
    session.add(rule)
    session.flush()
    starts = now - started
    instance = AlertInstance(
        rule_id=rule.id,
        fingerprint=fingerprint,
        labels=labels,
        state=ALERTING,
        state_since=starts,
        value=value,
    )
    session.add(instance)
    session.flush()
    text = summary or title
    alert = Alert(
        rule_id=rule.id,
        instance_id=instance.id,
        fingerprint=fingerprint,
        title=title,
        labels=labels,
        annotations={
            "summary": {"vi": text, "en": f"EN: {text}"},
            "description": {"vi": f"Mô tả: {text}", "en": f"Description: {text}"},
        },
        severity=severity,
        pack=pack,
        area_code=area_code,
        agency_code=agency_code,
        value=value,
        starts_at=starts,
        status=status,
        updated_at=starts,
    )
    session.add(alert)
    session.flush()
    instance.alert_id = alert.id
    session.add(
        AlertEvent(
            alert_id=alert.id, at=starts, kind="fired", actor="system", data={"value": value}
        )
    )
    session.flush()
    return alert


def add_sop(session: Session, key: str, steps: list[str], title: str = "Quy trình thử") -> None:
    """An SOP template as a pack's YAML would load it."""
    session.add(SopTemplate(key=key, title=title, steps=steps, source="yaml"))
    session.flush()


def make_person(
    factory: sessionmaker[Session],
    username: str,
    role: str = "operator",
    agency_code: str | None = None,
) -> int:
    """Create a user (optionally of an agency); returns the user id."""
    with factory() as session, session.begin():
        user = auth.create_user(
            session,
            audit.Actor.system("test"),
            username=username,
            password=PASSWORD,
            full_name=f"Người dùng {username}",
            role=role,
            agency_code=agency_code,
        )
        return user.id


def agency_id(session: Session, code: str) -> int:
    """Id of the agency with ``code``."""
    agency = session.query(Agency).filter(Agency.code == code).one()
    return agency.id


def at(delta_minutes: int = 0) -> datetime:
    """Now (the frozen clock) plus ``delta_minutes``."""
    return clock.now() + timedelta(minutes=delta_minutes)
