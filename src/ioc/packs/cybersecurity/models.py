"""Tables of the cybersecurity pack (giám sát an toàn thông tin mạng), all prefixed ``cy_``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from ioc.core.columns import TimelineStep, parent_key
from ioc.core.db import Base
from ioc.core.models import UTCDateTime


class CyEvent(Base):
    """Sự kiện ATTT: one normalised security event (syslog, CEF or JSON)."""

    __tablename__ = "cy_events"
    __table_args__ = (
        Index("ix_cy_events_agency_ts", "agency_code", "ts"),
        Index("ix_cy_events_rank_ts", "severity_rank", "ts"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    ts: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    transport: Mapped[str] = mapped_column(String(8))  # udp | tcp | http | demo
    format: Mapped[str] = mapped_column(String(16))
    host: Mapped[str | None] = mapped_column(String(200))
    app: Mapped[str | None] = mapped_column(String(100))
    agency_code: Mapped[str | None] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    severity_rank: Mapped[int] = mapped_column(SmallInteger)  # 0 critical … 4 info
    src_ip: Mapped[str | None] = mapped_column(String(45))
    dst_ip: Mapped[str | None] = mapped_column(String(45))
    message: Mapped[str] = mapped_column(Text)
    indicators: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("cy_incidents.id", ondelete="SET NULL"), index=True
    )


class CyHost(Base):
    """A known device (máy chủ, tường lửa …) and the agency it belongs to: events that name no
    agency are attributed through their host."""

    __tablename__ = "cy_hosts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    host: Mapped[str] = mapped_column(String(200), unique=True)
    agency_code: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(300), default="")


class CySite(Base):
    """Cổng/trang thông tin điện tử monitored: availability, response time, TLS, defacement.

    ``state`` is the verdict of the last probe: ``up``, ``slow``, ``down``, ``defaced`` or
    ``unknown`` (never probed). The defacement baseline is the normalised text of the page as
    an operator accepted it (set on the first successful probe, reset by an action).
    """

    __tablename__ = "cy_sites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    url: Mapped[str] = mapped_column(String(500))
    agency_code: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    state: Mapped[str] = mapped_column(String(16), default="unknown")
    http_status: Mapped[int | None] = mapped_column(Integer)
    response_ms: Mapped[float | None] = mapped_column(Float)
    cert_not_after: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cert_error: Mapped[str | None] = mapped_column(String(300))
    similarity: Mapped[float | None] = mapped_column(Float)
    keywords_found: Mapped[list[str]] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(String(500))
    baseline_text: Mapped[str | None] = mapped_column(Text)
    baseline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_probe_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    down_since: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CySiteCheck(Base):
    """One probe of a site (history for availability and response-time charts)."""

    __tablename__ = "cy_site_checks"
    __table_args__ = (Index("ix_cy_site_checks_site_at", "site_id", "at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("cy_sites.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16))
    http_status: Mapped[int | None] = mapped_column(Integer)
    response_ms: Mapped[float | None] = mapped_column(Float)


class CyIncident(Base):
    """Sự cố ATTT of an agency: opened from events or by hand, handled in steps, closed with a
    cause. Status: ``open`` → ``investigating`` → ``contained`` → ``closed`` (any open state
    may be closed; a closed incident may be reopened)."""

    __tablename__ = "cy_incidents"
    __table_args__ = (Index("ix_cy_incidents_agency_status", "agency_code", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    agency_code: Mapped[str | None] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="open")
    description: Mapped[str] = mapped_column(Text, default="")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    opened_by: Mapped[str] = mapped_column(String(200))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cause: Mapped[str | None] = mapped_column(Text)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("cy_sites.id", ondelete="SET NULL"))


class CyIncidentStep(TimelineStep, Base):
    """A handling step of an incident (what was done, by whom, when)."""

    __tablename__ = "cy_incident_steps"

    incident_id: Mapped[int] = parent_key("cy_incidents")
    kind: Mapped[str] = mapped_column(String(16))  # note | status | close | reopen | link
    text: Mapped[str] = mapped_column(Text)


class CyEventHour(Base):
    """Hourly event counts by agency, category and severity, kept up to date by every insert
    of events: what the pages and indicators read instead of the raw events. ``agency_code``
    is ``""`` for events no agency could be attributed to."""

    __tablename__ = "cy_event_hours"

    bucket: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # UNIX s, start of hour
    agency_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    severity: Mapped[str] = mapped_column(String(16), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)
