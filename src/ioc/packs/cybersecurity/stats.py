"""Figures of the cybersecurity page and alert record sources.

Per agency (over a period, default the last 30 days): open incidents (now), mean time to
resolve (MTTR, hours, incidents closed in the period), events by severity (from the hourly
counts), sites down (now). Record sources for the alerting engine:

* ``critical_events`` — critical events of the last hour by agency and category (value = count);
* ``sites_down`` — each site whose last probe found it down (value = minutes down);
* ``sites_defaced`` — each site whose last probe found it possibly defaced (value = similarity %);
* ``cert_expiring`` — each site whose certificate expires within ``IOC_CY_CERT_WARN_DAYS``
  or has expired (value = days left, negative when expired).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from ioc.core.models import Agency
from ioc.core.registry import RecordSample
from ioc.packs.cybersecurity import probes
from ioc.packs.cybersecurity.incidents import OPEN_STATUSES
from ioc.packs.cybersecurity.models import CyEvent, CyEventHour, CyIncident, CySite
from ioc.packs.cybersecurity.parsers import SEVERITIES

HOUR = 3600


@dataclass
class AgencyRow:
    """Indicators of one agency."""

    code: str
    name: str
    open_incidents: int = 0
    closed: int = 0
    mttr_hours: float | None = None
    events: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SEVERITIES, 0))
    sites: int = 0
    sites_down: int = 0

    @property
    def events_total(self) -> int:
        """Events of every severity."""
        return sum(self.events.values())


def agency_names(session: Session) -> dict[str, str]:
    """Agency code → short name."""
    return dict(session.execute(select(Agency.code, Agency.short_name)).all())


def agency_rows(session: Session, now: datetime, days: int = 30) -> list[AgencyRow]:
    """Indicators per agency, ranked by open incidents, then events."""
    names = agency_names(session)
    rows: dict[str, AgencyRow] = {}

    def row(code: str | None) -> AgencyRow:
        key = code or ""
        if key not in rows:
            rows[key] = AgencyRow(key, names.get(key, key or "—"))
        return rows[key]

    start = now - timedelta(days=days)
    for code, n in session.execute(
        select(CyIncident.agency_code, func.count())
        .where(CyIncident.status.in_(OPEN_STATUSES))
        .group_by(CyIncident.agency_code)
    ):
        row(code).open_incidents = int(n)
    durations: dict[str, list[float]] = {}
    for code, opened, closed in session.execute(
        select(CyIncident.agency_code, CyIncident.opened_at, CyIncident.closed_at).where(
            CyIncident.status == "closed", CyIncident.closed_at >= start
        )
    ):
        if closed is not None:
            durations.setdefault(code or "", []).append((closed - opened).total_seconds() / HOUR)
    for code, values in durations.items():
        r = row(code)
        r.closed = len(values)
        r.mttr_hours = sum(values) / len(values)
    lo = int(start.timestamp()) // HOUR * HOUR
    for code, severity, n in session.execute(
        select(CyEventHour.agency_code, CyEventHour.severity, func.sum(CyEventHour.n))
        .where(CyEventHour.bucket >= lo)
        .group_by(CyEventHour.agency_code, CyEventHour.severity)
    ):
        row(code).events[severity] = int(n or 0)
    for code, state in session.execute(
        select(CySite.agency_code, CySite.state).where(CySite.active)
    ):
        r = row(code)
        r.sites += 1
        if state == "down":
            r.sites_down += 1
    return sorted(
        rows.values(),
        key=lambda r: (-r.open_incidents, -r.sites_down, -r.events_total, r.name),
    )


def events_over_time(
    session: Session, now: datetime, hours: int = 24 * 7, agency: str | None = None
) -> tuple[list[int], dict[str, list[int]]]:
    """Hour starts (UNIX s) and event counts per severity for the last ``hours`` hours."""
    end = int(now.timestamp()) // HOUR * HOUR
    start = end - (hours - 1) * HOUR
    buckets = list(range(start, end + HOUR, HOUR))
    index = {b: i for i, b in enumerate(buckets)}
    out = {s: [0] * len(buckets) for s in SEVERITIES}
    stmt = (
        select(CyEventHour.bucket, CyEventHour.severity, func.sum(CyEventHour.n))
        .where(CyEventHour.bucket >= start)
        .group_by(CyEventHour.bucket, CyEventHour.severity)
    )
    if agency is not None:
        stmt = stmt.where(CyEventHour.agency_code == agency)
    for bucket, severity, n in session.execute(stmt):
        if bucket in index and severity in out:
            out[severity][index[bucket]] = int(n or 0)
    return buckets, out


def top_categories(session: Session, now: datetime, days: int = 7) -> list[tuple[str, int]]:
    """Event counts by category over the last ``days`` days, largest first."""
    lo = int((now - timedelta(days=days)).timestamp()) // HOUR * HOUR
    return [
        (c, int(n))
        for c, n in session.execute(
            select(CyEventHour.category, func.sum(CyEventHour.n).label("n"))
            .where(CyEventHour.bucket >= lo)
            .group_by(CyEventHour.category)
            .order_by(func.sum(CyEventHour.n).desc())
        )
    ]


def top_sources(
    session: Session, now: datetime, days: int = 7, limit: int = 10
) -> dict[str, list[tuple[str, int]]]:
    """The devices (hosts) and source IP addresses with the most events in the period."""
    start = now - timedelta(days=days)
    out: dict[str, list[tuple[str, int]]] = {}
    for key, column in (("host", CyEvent.host), ("src_ip", CyEvent.src_ip)):
        out[key] = [
            (str(v), int(n))
            for v, n in session.execute(
                select(column, func.count().label("n"))
                .where(CyEvent.ts >= start, column.is_not(None))
                .group_by(column)
                .order_by(func.count().desc())
                .limit(limit)
            )
        ]
    return out


# ------------------------------------------------------------------------------ records


def critical_events(session: Session, now: datetime) -> list[RecordSample]:
    """Critical events of the last hour, by agency and category."""
    start = now - timedelta(hours=1)
    names = agency_names(session)
    return [
        RecordSample(
            labels={
                "agency": code or "",
                "agency_name": names.get(code or "", code or "—"),
                "category": category,
            },
            value=float(n),
        )
        for code, category, n in session.execute(
            select(CyEvent.agency_code, CyEvent.category, func.count())
            .where(CyEvent.ts >= start, CyEvent.ts <= now, CyEvent.severity_rank == 0)
            .group_by(CyEvent.agency_code, CyEvent.category)
        )
    ]


def _active_sites(session: Session, *conditions: ColumnElement[bool]) -> Sequence[CySite]:
    """The active monitored sites that meet ``conditions``."""
    return session.execute(select(CySite).where(CySite.active, *conditions)).scalars().all()


def _site_labels(site: CySite, **extra: str) -> dict[str, str]:
    """The labels of a site's record sample: code, name, URL, then ``extra``."""
    return {"site": site.code, "name": site.name, "url": site.url, **extra}


def sites_down(session: Session, now: datetime) -> list[RecordSample]:
    """Sites whose last probe found them down (value = minutes since first seen down)."""
    return [
        RecordSample(
            labels=_site_labels(s, agency=s.agency_code or ""),
            value=round((now - (s.down_since or now)).total_seconds() / 60, 1),
        )
        for s in _active_sites(session, CySite.state == "down")
    ]


def sites_defaced(session: Session, now: datetime) -> list[RecordSample]:
    """Sites whose last probe found them possibly defaced (value = similarity in %)."""
    return [
        RecordSample(
            labels=_site_labels(s, keywords=", ".join(s.keywords_found or [])),
            value=None if s.similarity is None else round(s.similarity * 100, 1),
        )
        for s in _active_sites(session, CySite.state == "defaced")
    ]


def cert_expiring(session: Session, now: datetime) -> list[RecordSample]:
    """Sites whose TLS certificate expires within the warning period (value = days left)."""
    limit = now + timedelta(days=probes.current_config().cert_warn_days)
    return [
        RecordSample(
            labels=_site_labels(s),
            value=round((s.cert_not_after - now).total_seconds() / 86400, 1),
        )
        for s in _active_sites(
            session, CySite.cert_not_after.is_not(None), CySite.cert_not_after < limit
        )
        if s.cert_not_after is not None
    ]
