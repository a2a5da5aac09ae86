"""Store security events in the caller's transaction (one multi-row INSERT per batch) and keep
lines that could not be read as dead letters (thư lỗi, source ``syslog``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ioc.core import clock
from ioc.engines.mqtt.store import Incoming, add_dead_letter
from ioc.packs.cybersecurity.models import CyEvent, CyEventHour, CyHost
from ioc.packs.cybersecurity.parsers import SEVERITY_RANK, SecurityEvent

DEAD_LETTER_SOURCE = "syslog"


def host_agencies(session: Session) -> dict[str, str]:
    """Known hosts → agency code (lower-case host names)."""
    return {h.lower(): a for h, a in session.execute(select(CyHost.host, CyHost.agency_code)).all()}


def event_row(
    event: SecurityEvent, transport: str, received: datetime, hosts: dict[str, str]
) -> dict[str, Any]:
    """The ``cy_events`` row of an event (agency from the event, else from its host)."""
    agency = event.agency or (hosts.get(event.host.lower()) if event.host else None)
    return {
        "ts": event.time,
        "received_at": received,
        "transport": transport,
        "format": event.format[:16],
        "host": event.host,
        "app": event.app,
        "agency_code": agency,
        "category": event.category,
        "severity": event.severity,
        "severity_rank": SEVERITY_RANK[event.severity],
        "src_ip": event.src_ip,
        "dst_ip": event.dst_ip,
        "message": event.message,
        "indicators": event.indicators,
        "extra": event.extra,
    }


def insert_rows(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Insert prepared ``cy_events`` rows (executemany) and add them to the hourly counts."""
    if not rows:
        return 0
    session.execute(insert(CyEvent), list(rows))
    counts: dict[tuple[int, str, str, str], int] = {}
    for row in rows:
        key = (
            int(row["ts"].timestamp()) // 3600 * 3600,
            row["agency_code"] or "",
            row["category"],
            row["severity"],
        )
        counts[key] = counts.get(key, 0) + 1
    add_hour_counts(session, counts)
    return len(rows)


def add_hour_counts(session: Session, counts: dict[tuple[int, str, str, str], int]) -> None:
    """Add to ``cy_event_hours`` (an upsert that increments, on SQLite and PostgreSQL)."""
    if not counts:
        return
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert  # type: ignore[assignment]
    stmt = dialect_insert(CyEventHour)
    stmt = stmt.on_conflict_do_update(
        index_elements=["bucket", "agency_code", "category", "severity"],
        set_={"n": CyEventHour.n + stmt.excluded.n},
    )
    session.execute(
        stmt,
        [
            {"bucket": b, "agency_code": a, "category": c, "severity": s, "n": n}
            for (b, a, c, s), n in sorted(counts.items())
        ],
    )


def store_events(
    session: Session,
    events: Sequence[SecurityEvent],
    *,
    transport: str,
    received: datetime | None = None,
    hosts: dict[str, str] | None = None,
) -> int:
    """Insert normalised events; returns how many."""
    at = received or clock.now()
    known = hosts if hosts is not None else host_agencies(session)
    return insert_rows(session, [event_row(e, transport, at, known) for e in events])


def keep_bad_line(
    session: Session, where: str, payload: bytes, reason: str, at: datetime | None = None
) -> None:
    """A line that could not be read → a dead letter (``where`` = ``udp://peer`` …)."""
    add_dead_letter(session, DEAD_LETTER_SOURCE, Incoming(where, payload), reason, at)
