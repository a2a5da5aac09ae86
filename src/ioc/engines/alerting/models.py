"""Alerting tables: rules, their instances (evaluation state), alerts (firing episodes an
operator handles), the alert timeline, incidents with SOP steps, and SOP templates.

Two layers, as in Grafana/Alertmanager (see ``shared/domain/alerting.md``):

* **evaluation** — :class:`AlertRule` -> :class:`AlertInstance` (one per label set, carrying
  the state machine's state);
* **handling** — each time an instance enters ``alerting`` an :class:`Alert` (one firing
  episode) is opened; operators acknowledge, assign, comment, escalate it to an
  :class:`Incident` and close it with a reason. :class:`AlertEvent` is the timeline of both.

The notification layer (policies, contact points, silences, outbox) has its own tables in
``ioc.engines.alerting.notify.models`` and reads :class:`Alert` rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ioc.core.db import Base
from ioc.core.models import UTCDateTime

# Instance states (Grafana unified alerting, lower-case).
NORMAL = "normal"
PENDING = "pending"
ALERTING = "alerting"
RECOVERING = "recovering"
NODATA = "nodata"
ERROR = "error"
INSTANCE_STATES = (NORMAL, PENDING, ALERTING, RECOVERING, NODATA, ERROR)

# Handling status of an alert (one firing episode).
ALERT_NEW = "new"
ALERT_ACKNOWLEDGED = "acknowledged"
ALERT_ESCALATED = "escalated"
ALERT_CLOSED = "closed"
ALERT_STATUSES = (ALERT_NEW, ALERT_ACKNOWLEDGED, ALERT_ESCALATED, ALERT_CLOSED)

SEVERITIES = ("critical", "high", "warning", "info")


class AlertRule(Base):
    """Quy tắc cảnh báo: a condition over series (or over a pack's records), evaluated
    periodically; every matching series or record yields an instance keyed by its labels."""

    __tablename__ = "alert_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(120), unique=True)  # "environment.aqi_unhealthy"
    title: Mapped[str] = mapped_column(String(300))
    pack: Mapped[str] = mapped_column(String(64), index=True)
    # threshold | nodata | rate | anomaly | record
    kind: Mapped[str] = mapped_column(String(16))
    # What to evaluate: {"indicator": "aqi_hour", "entity": "...", "area": "...", "source": ...}
    query: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Kind-specific parameters: {"op": ">", "threshold": 150, "window_s": 86400, ...}
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    severity: Mapped[str] = mapped_column(String(16), default="warning")
    interval_s: Mapped[int] = mapped_column(Integer, default=60)
    pending_s: Mapped[int] = mapped_column(Integer, default=0)
    keep_firing_s: Mapped[int] = mapped_column(Integer, default=0)
    # What NoData / Error turn into: nodata | error | alerting | normal | keep_last
    nodata_state: Mapped[str] = mapped_column(String(16), default="nodata")
    error_state: Mapped[str] = mapped_column(String(16), default="error")
    labels: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # {"summary": {"vi": "...", "en": "..."}, "description": {...}, "runbook": "..."}
    annotations: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    sop_key: Mapped[str | None] = mapped_column(String(120))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    source: Mapped[str] = mapped_column(String(16), default="ui")  # yaml | ui
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(200), default="system")
    last_eval_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    health: Mapped[str] = mapped_column(String(16), default="ok")  # ok | nodata | error
    last_error: Mapped[str | None] = mapped_column(Text)


class AlertInstance(Base):
    """One label set of a rule and its evaluation state (written only on transitions)."""

    __tablename__ = "alert_instances"
    __table_args__ = (UniqueConstraint("rule_id", "fingerprint"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("alert_rules.id", ondelete="CASCADE"))
    fingerprint: Mapped[str] = mapped_column(String(64))  # sha256 of the sorted label set
    labels: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default=NORMAL, index=True)
    state_reason: Mapped[str | None] = mapped_column(String(32))
    state_since: Mapped[datetime] = mapped_column(UTCDateTime)
    value: Mapped[float | None] = mapped_column(Float)
    last_eval_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    missing_count: Mapped[int] = mapped_column(Integer, default=0)
    alert_id: Mapped[int | None] = mapped_column(Integer)  # the open firing episode, if any


class Alert(Base):
    """Cảnh báo: one firing episode of an instance, from entering ``alerting`` until it
    resolves; carries the operator's handling (acknowledge, assign, escalate, close)."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("alert_rules.id", ondelete="CASCADE"))
    # SET NULL: a stale instance is evicted, its alerts stay as history.
    instance_id: Mapped[int | None] = mapped_column(
        ForeignKey("alert_instances.id", ondelete="SET NULL"), index=True
    )
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(String(300))
    labels: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # Rendered annotations: {"summary": {"vi":..., "en":...}, "description": {...}}
    annotations: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    severity: Mapped[str] = mapped_column(String(16), index=True)
    pack: Mapped[str] = mapped_column(String(64), index=True)
    area_code: Mapped[str | None] = mapped_column(String(16), index=True)
    agency_code: Mapped[str | None] = mapped_column(String(64))
    value: Mapped[float | None] = mapped_column(Float)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # When the condition ended (instance back to normal); None while firing.
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default=ALERT_NEW, index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    assignee_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    assignee_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    incident_id: Mapped[int | None] = mapped_column(Integer)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(200))
    close_reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class AlertEvent(Base):
    """Dòng thời gian: one entry of an alert's (and its incident's) timeline."""

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int | None] = mapped_column(
        ForeignKey("alerts.id", ondelete="CASCADE"), index=True
    )
    incident_id: Mapped[int | None] = mapped_column(Integer, index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    # fired | resolved | acknowledged | assigned | commented | escalated | closed | notified |
    # step_done | incident_closed | reopened
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(200))
    text: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Incident(Base):
    """Sự cố: an alert escalated for coordinated handling, run through its SOP steps."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # SC-2026-0001
    title: Mapped[str] = mapped_column(String(300))
    severity: Mapped[str] = mapped_column(String(16))
    pack: Mapped[str] = mapped_column(String(64))
    area_code: Mapped[str | None] = mapped_column(String(16))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    sop_key: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open|closed
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_by: Mapped[str] = mapped_column(String(200))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(200))
    close_reason: Mapped[str | None] = mapped_column(Text)


class IncidentStep(Base):
    """One step of an incident's standard operating procedure (quy trình xử lý)."""

    __tablename__ = "incident_steps"
    __table_args__ = (UniqueConstraint("incident_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)


class SopTemplate(Base):
    """Quy trình xử lý chuẩn: the checklist an incident of a given alert type starts from."""

    __tablename__ = "sop_templates"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    steps: Mapped[list[str]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(16), default="yaml")


Index("ix_alerts_open", Alert.status, Alert.starts_at)
