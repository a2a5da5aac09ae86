"""Series store: write observations in batches and keep hour/day/month rollups and latest values
current in the same transaction (pages read the rollups through :mod:`ioc.core.rollups`).

Write path (one call per ingestion batch, written as a set): stage the rows in a temporary table
(multi-row ``INSERT``s of 1000 rows on SQLite, ``COPY`` on PostgreSQL; a later row for the same
series and time wins) → upsert observations from it in one statement → rebuild the touched hour
buckets (from the staged rows where the hours held no stored data, else from the stored
observations) → the touched local days from hours → months from days, one ``INSERT … SELECT …
GROUP BY`` per level for every series at once → latest value → listeners queue their derivations
(VN_AQI) in the same transaction. Recomputing touched buckets (rather than adding deltas) keeps
rollups exact when a value is corrected, re-sent or flagged bad. When that transaction commits,
the store calls its commit listeners (the derive engine wakes its worker; see
:mod:`ioc.core.series_events`): whoever writes, nothing else has to remember to start the
derivation, and a rollback starts none.

Read path (:mod:`ioc.core.rollups`): pages read rollups and ``series.latest_*`` only, never raw
history, so a page costs the same with 1 million or 100 million observations.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from itertools import chain
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from ioc.core.models import Indicator, Series

# The reads of the rollups live in ioc.core.rollups; importers still find them here.
from ioc.core.rollups import Bucket as Bucket
from ioc.core.rollups import read_hourly_means as read_hourly_means
from ioc.core.rollups import read_rollups as read_rollups

# Who hears of a write lives in ioc.core.series_events; packs' listeners still register here.
from ioc.core.series_events import observations_written
from ioc.core.series_events import on_observations_written as on_observations_written
from ioc.core.series_sql import (
    DAY_SQL,
    DB_SQL,
    DELETE_SQL,
    FRESH_SQL,
    HB_SQL,
    HOUR_ALIGNED_SQL,
    HOUR_FRESH_SQL,
    HOUR_SQL,
    INSERT_SQL,
    LATEST_SQL,
    MONTH_SQL,
    SERIES_SQL,
    SMALL_TABLES,
    SQLITE_WRITE_LOCK,
    STAGE_PG,
    STAGE_SQLITE,
    STAGE_TYPES,
    UPSERT_CLAUSE,
)

HOUR = 3600
DAY = 86400

QUALITY_GOOD = 0
QUALITY_SUSPECT = 1
QUALITY_BAD = 2
QUALITY_CODES = {"good": QUALITY_GOOD, "suspect": QUALITY_SUSPECT, "bad": QUALITY_BAD}


@dataclass(frozen=True)
class SeriesInfo:
    """What the write path needs to know about a series."""

    id: int
    indicator_code: str
    subject_kind: str
    subject_code: str
    label_end: bool


@dataclass
class WriteResult:
    """Outcome of one batch write: rows stored and the time span touched per series."""

    stored: int = 0
    touched: dict[int, tuple[int, int]] = field(default_factory=dict)


def hour_bucket(ts: int, label_end: bool) -> int:
    """Start of the hour an observation covers.

    A value stamped at the END of its averaging hour (QĐ 1459 labels hours 01:00 … 24:00) covers
    the interval (H−1h, H]; one stamped at the start or at an instant covers [H, H+1h).
    """
    return ((ts - 1) // HOUR) * HOUR if label_end else (ts // HOUR) * HOUR


def day_bucket(ts: int, offset: int) -> int:
    """Local midnight (UNIX seconds) of the local day containing instant ``ts``."""
    return ((ts + offset) // DAY) * DAY - offset


def month_bucket(ts: int, offset: int) -> int:
    """Local midnight of the first day of the local month containing ``ts``."""
    local = datetime.fromtimestamp(ts + offset, tz=UTC)
    first = datetime(local.year, local.month, 1, tzinfo=UTC)
    return int(first.timestamp()) - offset


def next_month(bucket: int, offset: int) -> int:
    """The month bucket after ``bucket``."""
    local = datetime.fromtimestamp(bucket + offset, tz=UTC)
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    return int(datetime(year, month, 1, tzinfo=UTC).timestamp()) - offset


def local_day_start(d: date, offset: int) -> int:
    """UNIX seconds of local midnight on ``d``."""
    return int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp()) - offset


class SeriesResolver:
    """Finds or creates series ids for (indicator, subject) with an in-memory cache per batch."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._cache: dict[tuple[int, str, str], SeriesInfo] = {}

    def prefetch(self, wanted: Sequence[tuple[Indicator, str, str]]) -> None:
        """Load the existing series of many (indicator, subject) pairs in one query, so that a
        batch naming dozens of series costs one round trip instead of one per series."""
        missing = [w for w in wanted if (w[0].id, w[1], w[2]) not in self._cache]
        if not missing:
            return
        by_id = {w[0].id: w[0] for w in missing}
        keys = [(w[0].id, w[1], w[2]) for w in missing]
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            found = self.session.execute(
                select(
                    Series.id, Series.indicator_id, Series.subject_kind, Series.subject_code
                ).where(
                    tuple_(Series.indicator_id, Series.subject_kind, Series.subject_code).in_(chunk)
                )
            ).all()
            for sid, indicator_id, kind, code in found:
                indicator = by_id[indicator_id]
                self._cache[(indicator_id, kind, code)] = SeriesInfo(
                    id=sid,
                    indicator_code=indicator.code,
                    subject_kind=kind,
                    subject_code=code,
                    label_end=indicator.time_label == "end",
                )

    def get(self, indicator: Indicator, subject_kind: str, subject_code: str) -> SeriesInfo:
        """The series for this indicator and subject, created if it does not exist yet."""
        key = (indicator.id, subject_kind, subject_code)
        info = self._cache.get(key)
        if info is not None:
            return info
        find = select(Series.id).where(
            Series.indicator_id == indicator.id,
            Series.subject_kind == subject_kind,
            Series.subject_code == subject_code,
        )
        row = self.session.execute(find).scalar_one_or_none()
        if row is None:
            # Two batches (HTTP and MQTT, say) may create the same new series at once: insert
            # or do nothing, then read the id either of them made; never a unique-key error.
            dialect = self.session.get_bind().dialect.name
            insert = pg_insert if dialect == "postgresql" else sqlite_insert
            self.session.execute(
                insert(Series)
                .values(
                    indicator_id=indicator.id,
                    subject_kind=subject_kind,
                    subject_code=subject_code,
                )
                .on_conflict_do_nothing(
                    index_elements=["indicator_id", "subject_kind", "subject_code"]
                )
            )
            row = self.session.execute(find).scalar_one()
        info = SeriesInfo(
            id=row,
            indicator_code=indicator.code,
            subject_kind=subject_kind,
            subject_code=subject_code,
            label_end=indicator.time_label == "end",
        )
        self._cache[key] = info
        return info


def write_observations(
    session: Session,
    rows: Sequence[tuple[int, int, float, int]],
    label_end: dict[int, bool],
    offset: int,
    *,
    notify: bool = True,
) -> WriteResult:
    """Store ``(series_id, ts, value, quality)`` rows and bring rollups up to date.

    The batch is written as a set, whatever its size: the rows are staged in a temporary table
    (SQLite: multi-row ``INSERT``s; PostgreSQL: ``COPY``), observations are upserted from it in
    one statement, and each rollup level is rebuilt for every touched bucket of every series at
    once with one ``INSERT … SELECT … GROUP BY``. A series whose touched hours held no stored
    observation before the batch (data arriving in time order, the usual case) has its hour
    buckets computed from the staged rows alone; any other series has its touched hours
    recomputed from the stored observations, so a corrected or re-sent value replaces the old
    one and a value flagged bad leaves the buckets (corrections stay exact).

    Args:
        session: the batch's session; the caller commits (transactions belong to boundaries).
        rows: observations; a later row for the same (series, ts) wins, and a value already
            stored for that (series, ts) is replaced (a corrected re-send).
        label_end: per series id, whether values are stamped at the end of their hour.
        offset: local UTC offset in seconds (day and month buckets).
        notify: call the registered listeners (derived indicators) now and the commit
            listeners after the session's commit; derived writes pass False.
    """
    result = WriteResult()
    if not rows:
        return result
    conn = session.connection()
    dialect = conn.dialect.name
    raw = conn.connection.driver_connection
    assert raw is not None
    cur = raw.cursor()
    try:
        _stage(cur, dialect, rows)
        result.stored = _write_set(cur, dialect, label_end, offset, result.touched)
    finally:
        cur.close()
    if notify:
        observations_written(session, result)
    return result


# First key of the PostgreSQL advisory locks taken per series while its rollups are rebuilt.
_LOCK_NAMESPACE = 0x10C

_PG_PARAM = re.compile(r"(?<!:):(\w+)")


@lru_cache(maxsize=64)
def _driver_sql(sql: str, dialect: str) -> str:
    # sqlite3 takes :name parameters as written; psycopg wants %(name)s.
    return _PG_PARAM.sub(r"%(\1)s", sql) if dialect == "postgresql" else sql


# PostgreSQL types of the columns of the small temporary tables (``_fill``).
_FILL_TYPES = {
    "_ser": ("int4", "int4", "int4", "int4", "int8", "int8", "int8", "float8"),
    "_hb": ("int4", "int8", "int4"),
    "_db": ("int4", "int8"),
    "_mb": ("int4", "int8", "int8"),
}


@lru_cache(maxsize=2 * len(_FILL_TYPES))
def _fill_sql(table: str, dialect: str) -> str:
    """The ``INSERT`` of :func:`_fill`."""
    types = _FILL_TYPES[table]
    if dialect == "postgresql":
        arrays = ", ".join(f"CAST(%s AS {t}[])" for t in types)
        return f"INSERT INTO {table} SELECT * FROM unnest({arrays})"  # noqa: S608 - fixed names
    return f"INSERT INTO {table} VALUES ({', '.join(['?'] * len(types))})"  # noqa: S608


def _fill(cur: Any, dialect: str, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert ``rows`` into one of the small temporary tables: SQLite binds them one by one
    (in process, cheap); PostgreSQL takes one array per column in one statement (one
    ``executemany`` would execute one statement per row on the server)."""
    if not rows:
        return
    if dialect == "postgresql":
        cur.execute(_fill_sql(table, dialect), [list(column) for column in zip(*rows, strict=True)])
    else:
        cur.executemany(_fill_sql(table, dialect), rows)


def _prepare_tables(cur: Any, dialect: str) -> None:
    """Create the batch's temporary tables if this connection has none yet, and empty them."""
    if dialect == "postgresql":
        cur.execute(STAGE_PG)
        return
    for ddl in STAGE_SQLITE:
        cur.execute(ddl)
    for table in ("_obs_in", *SMALL_TABLES):
        cur.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed names


# Rows per multi-row ``INSERT`` on SQLite (largest first; the last size is 1 so every row goes
# in). 1000 rows are 4000 parameters, well under SQLite's default limit of 32766.
_STAGE_CHUNKS = (1000, 100, 10, 1)


@lru_cache(maxsize=len(_STAGE_CHUNKS))
def _stage_sql(size: int) -> str:
    """SQLite's staging ``INSERT`` of ``size`` rows."""
    marks = ", ".join(["(?, ?, ?, ?)"] * size)
    return f"INSERT OR REPLACE INTO _obs_in VALUES {marks}"  # noqa: S608 - placeholders only


def _stage(cur: Any, dialect: str, rows: Sequence[tuple[int, int, float, int]]) -> None:
    """Put the batch in ``_obs_in`` (a later row for the same series and time wins)."""
    _prepare_tables(cur, dialect)
    if dialect == "postgresql":
        unique = {(r[0], r[1]): r for r in rows}
        # Binary COPY with the column types given: no text formatting of numbers on either
        # side (a third of the CPU of text COPY) and doubles sent bit for bit.
        with cur.copy(
            "COPY _obs_in (series_id, ts, value, quality) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(STAGE_TYPES)
            write = copy.write_row
            for row in unique.values():
                write(row)
        return
    # The primary key of the staging table drops earlier duplicates as the rows go in (rows
    # of one multi-row VALUES go in in order too, so the later row still wins). Binding
    # 1000 rows per statement step costs a third less than one step per row.
    flat = list(chain.from_iterable(rows))
    start, total = 0, len(rows)
    # An SQLite built with a lower parameter limit (999 before 3.32) takes smaller chunks.
    limit = cur.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    for size in (s for s in _STAGE_CHUNKS if 4 * s <= limit):
        end = start + (total - start) // size * size
        if end > start:
            width = 4 * size
            cur.executemany(
                _stage_sql(size), [flat[i : i + width] for i in range(4 * start, 4 * end, width)]
            )
        start = end


def _write_set(
    cur: Any,
    dialect: str,
    label_end: dict[int, bool],
    offset: int,
    touched: dict[int, tuple[int, int]],
) -> int:
    """Upsert the staged rows, rebuild their rollups and move the series' latest values;
    fills ``touched`` and returns the number of distinct rows staged."""
    postgres = dialect == "postgresql"
    cur.execute(SERIES_SQL)
    series = cur.fetchall()
    ser_rows: list[tuple[int, int, int, int, int, int, int | None, float | None]] = []
    month_rows: list[tuple[int, int, int]] = []
    day_rows: list[tuple[int, int]] | None = []
    stored = 0
    for sid, lo, hi, last_good, value, aligned, n in series:
        stored += n
        touched[sid] = (lo, hi)
        end = label_end.get(sid, False)
        h_lo = hour_bucket(lo, end)
        h_hi = hour_bucket(hi, end) + HOUR
        ser_rows.append((sid, 1 if end else 0, 1, aligned, h_lo, h_hi, last_good, value))
        d_lo, d_last = day_bucket(h_lo, offset), day_bucket(h_hi - HOUR, offset)
        month_rows.extend(_months(d_lo, d_last, sid, offset))
        if day_rows is not None:
            if (d_last - d_lo) // DAY + 1 <= n:
                day_rows.extend((sid, d) for d in range(d_lo, d_last + 1, DAY))
            else:
                day_rows = None  # sparse rows over a long span: the days come from SQL
    ser_rows.sort()
    _fill(cur, dialect, "_ser", ser_rows)
    if postgres:
        # Rollups of a series are rebuilt by DELETE + INSERT of its touched buckets and its
        # freshness is read before the upsert. One lock per series, taken in id order and held
        # to commit, serialises concurrent batches of a series (READ COMMITTED would otherwise
        # let both insert the same bucket), and the second then reads the first's rows.
        cur.execute(
            "SELECT pg_advisory_xact_lock(%(ns)s, s) FROM unnest(CAST(%(ids)s AS int[])) AS s "
            "ORDER BY s",
            {"ns": _LOCK_NAMESPACE, "ids": [r[0] for r in ser_rows]},
        )
    else:
        cur.execute(SQLITE_WRITE_LOCK)
    cur.execute(FRESH_SQL)
    stale = cur.rowcount
    # Rows are written in key order (cheaper index inserts; on PostgreSQL, row locks taken in
    # one order). PostgreSQL sorts; SQLite reads the series first (CROSS JOIN fixes the loop
    # order) and each one's staged rows by primary key, so they come in key order already.
    shape = (
        {"order": "ORDER BY 1, 2", "join": "JOIN"}
        if postgres
        else {"order": "", "join": "CROSS JOIN"}
    )
    if stale < len(ser_rows):
        cur.execute(INSERT_SQL.format(fresh=1, **shape))
    if stale:
        cur.execute(INSERT_SQL.format(fresh=0, **shape) + UPSERT_CLAUSE)
    if any(r[3] for r in ser_rows):
        cur.execute(HOUR_ALIGNED_SQL.format(**shape))
    if not all(r[3] for r in ser_rows):
        cur.execute(HOUR_FRESH_SQL.format(**shape))
    if stale:
        cur.execute(HB_SQL)
        cur.execute(DELETE_SQL["rollup_hour"])
        cur.execute(HOUR_SQL)
    if day_rows is None:
        cur.execute(_driver_sql(DB_SQL, dialect), {"off": offset})
    else:
        day_rows.sort()
        _fill(cur, dialect, "_db", day_rows)
    _rebuild_days_months(cur, dialect, month_rows)
    cur.execute(LATEST_SQL)
    return stored


def _months(d_lo: int, d_last: int, sid: int, offset: int) -> list[tuple[int, int, int]]:
    """``(sid, month start, next month start)`` of every local month from day ``d_lo`` to day
    ``d_last``."""
    return [(sid, m, m2) for m, m2 in _month_spans(d_lo, d_last, offset)]


@lru_cache(maxsize=1024)
def _month_spans(d_lo: int, d_last: int, offset: int) -> tuple[tuple[int, int], ...]:
    """``(month start, next month start)`` of every local month from day ``d_lo`` to day
    ``d_last`` (cached: the series of one batch mostly share their span, and a batch of 600
    one-reading series once spent a tenth of its write on calendar arithmetic)."""
    out: list[tuple[int, int]] = []
    m = month_bucket(d_lo, offset)
    while m <= d_last:
        m2 = next_month(m, offset)
        out.append((m, m2))
        m = m2
    return tuple(out)


def _rebuild_days_months(cur: Any, dialect: str, month_rows: list[tuple[int, int, int]]) -> None:
    """Recompute the days listed in ``_db`` from hours, then ``month_rows`` from days."""
    cur.execute(DELETE_SQL["rollup_day"])
    cur.execute(DAY_SQL)
    _fill(cur, dialect, "_mb", sorted(month_rows))
    cur.execute(DELETE_SQL["rollup_month"])
    cur.execute(MONTH_SQL)


def _recompute_rollups(
    conn: Connection, spans: dict[int, list[int]], label_end: dict[int, bool], offset: int
) -> None:
    """Rebuild every hour, day and month bucket that the ``[lo, hi]`` spans cover from the
    stored observations (the write path's recompute, over whole spans: used to check that
    stored rollups are what a recompute gives)."""
    dialect = conn.dialect.name
    hours: list[tuple[int, int, int]] = []
    days: list[tuple[int, int]] = []
    months: list[tuple[int, int, int]] = []
    for sid in sorted(spans):
        lo, hi = spans[sid]
        end = label_end.get(sid, False)
        e = 1 if end else 0
        h_lo, h_hi = hour_bucket(lo, end), hour_bucket(hi, end) + HOUR
        hours.extend((sid, b, e) for b in range(h_lo, h_hi, HOUR))
        d_lo, d_last = day_bucket(h_lo, offset), day_bucket(h_hi - HOUR, offset)
        days.extend((sid, d) for d in range(d_lo, d_last + 1, DAY))
        months.extend(_months(d_lo, d_last, sid, offset))
    raw = conn.connection.driver_connection
    assert raw is not None
    cur = raw.cursor()
    try:
        _prepare_tables(cur, dialect)
        _fill(cur, dialect, "_hb", hours)
        _fill(cur, dialect, "_db", days)
        cur.execute(DELETE_SQL["rollup_hour"])
        cur.execute(HOUR_SQL)
        _rebuild_days_months(cur, dialect, months)
    finally:
        cur.close()


def rebuild_months(conn: Connection, months: Sequence[tuple[int, int, int]]) -> None:
    """Recompute the ``(series_id, month start, next month start)`` month buckets from the day
    buckets (tools that write days directly, such as the bench's history copies)."""
    dialect = conn.dialect.name
    raw = conn.connection.driver_connection
    assert raw is not None
    cur = raw.cursor()
    try:
        _prepare_tables(cur, dialect)
        _fill(cur, dialect, "_mb", sorted(months))
        cur.execute(DELETE_SQL["rollup_month"])
        cur.execute(MONTH_SQL)
    finally:
        cur.close()
