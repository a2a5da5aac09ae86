"""Store security events in the caller's transaction (one multi-row INSERT per batch) and keep
lines that could not be read as dead letters (thư lỗi, source ``syslog``)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

import orjson
from sqlalchemy import Table, insert, select
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
    """Insert prepared ``cy_events`` rows (one Core executemany: no ORM bulk layer) and add
    them to the hourly counts."""
    if not rows:
        return 0
    session.execute(insert(cast(Table, CyEvent.__table__)), list(rows))
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


#: ``cy_events`` columns in the order of :class:`PreparedEvents` rows.
EVENT_COLUMNS = (
    "ts", "received_at", "transport", "format", "host", "app", "agency_code", "category",
    "severity", "severity_rank", "src_ip", "dst_ip", "message", "indicators", "extra",
)  # fmt: skip
_JSON_COLUMNS = frozenset({"indicators", "extra"})
HourKey = tuple[int, str, str, str]
FAST_DIALECTS = frozenset({"sqlite", "postgresql"})


@dataclass
class PreparedEvents:
    """Event rows already in the form the database driver takes (``prepare_rows``, run in
    the listener's parser processes), and their hourly counts: the writer only hands them to
    one ``executemany``, with no per-value work left in its thread."""

    dialect: str
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    counts: dict[HourKey, int] = field(default_factory=dict)
    dicts: list[dict[str, Any]] = field(default_factory=list)  # another dialect: as is

    def __len__(self) -> int:
        return len(self.rows) + len(self.dicts)

    def extend(self, other: PreparedEvents) -> None:
        """Add another chunk's rows and counts."""
        self.rows.extend(other.rows)
        self.dicts.extend(other.dicts)
        for key, n in other.counts.items():
            self.counts[key] = self.counts.get(key, 0) + n


def _sqlite_time(value: datetime) -> str:
    # What SQLAlchemy stores for a UTCDateTime on SQLite: naive UTC, microseconds.
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def json_text(value: Any) -> str:
    """``value`` as JSON text: orjson (several times faster than ``json.dumps``, compact), or
    the standard library for what orjson refuses (a lone surrogate, an integer beyond 64
    bits)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # orjson.JSONEncodeError
        return json.dumps(value)


def prepare_rows(rows: Iterable[dict[str, Any]], dialect: str) -> PreparedEvents:
    """``event_row`` dicts → driver-ready tuples for ``dialect`` (``sqlite``: times as the
    text SQLAlchemy writes, JSON as text; ``postgresql``: aware UTC times, JSON text cast in
    the statement) and the hourly counts of ``cy_event_hours``."""
    prepared = PreparedEvents(dialect)
    if dialect not in FAST_DIALECTS:
        prepared.dicts = list(rows)  # insert_rows does the rest
        return prepared
    counts = prepared.counts
    out = prepared.rows
    convert = _sqlite_time if dialect == "sqlite" else _utc
    # Devices send bursts of events stamped with the same second, and a batch shares one time
    # of reception: each distinct time is converted (and bucketed) once.
    times: dict[datetime, tuple[Any, int]] = {}
    for row in rows:
        ts: datetime = row["ts"]
        received: datetime = row["received_at"]
        done = times.get(ts)
        if done is None:
            done = times[ts] = (convert(ts), int(ts.timestamp()) // 3600 * 3600)
        seen = times.get(received)
        if seen is None:
            seen = times[received] = (convert(received), int(received.timestamp()) // 3600 * 3600)
        out.append(
            (
                done[0],
                seen[0],
                row["transport"],
                row["format"],
                row["host"],
                row["app"],
                row["agency_code"],
                row["category"],
                row["severity"],
                row["severity_rank"],
                row["src_ip"],
                row["dst_ip"],
                row["message"],
                json_text(row["indicators"]),
                json_text(row["extra"]),
            )
        )
        key = (done[1], row["agency_code"] or "", row["category"], row["severity"])
        counts[key] = counts.get(key, 0) + 1
    return prepared


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _insert_sql(dialect: str) -> str:
    if dialect == "sqlite":
        values = ", ".join("?" for _ in EVENT_COLUMNS)
    else:  # psycopg (format paramstyle); JSON given as text
        values = ", ".join("%s::json" if c in _JSON_COLUMNS else "%s" for c in EVENT_COLUMNS)
    return f"INSERT INTO cy_events ({', '.join(EVENT_COLUMNS)}) VALUES ({values})"  # noqa: S608


def insert_prepared(session: Session, prepared: PreparedEvents) -> int:
    """Insert rows made by :func:`prepare_rows` (one driver ``executemany``) and add their
    hourly counts. The dialect must be the session's."""
    if prepared.dicts:
        return insert_rows(session, prepared.dicts)
    if not prepared.rows:
        return 0
    dialect = session.get_bind().dialect.name
    if dialect != prepared.dialect:
        raise ValueError(f"rows prepared for {prepared.dialect}, session is {dialect}")
    session.connection().exec_driver_sql(_insert_sql(dialect), prepared.rows)
    add_hour_counts(session, prepared.counts)
    return len(prepared.rows)


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
