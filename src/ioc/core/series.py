"""Series store: write observations in batches and keep hour/day/month rollups and latest values
current in the same transaction; read rollups for pages.

Write path (one call per ingestion batch): dedupe → bulk upsert (``executemany`` on SQLite,
``COPY`` into a temporary table on PostgreSQL) → recompute the touched hour buckets from raw
observations → recompute the touched local days from hours → months from days → latest value →
notify listeners (derived indicators such as VN_AQI). Recomputing touched buckets (rather than
adding deltas) keeps rollups exact when a value is corrected or re-sent.

Read path: pages read rollups and ``series.latest_*`` only, never raw history, so a page costs the
same with 1 million or 100 million observations.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache

from sqlalchemy import select, text, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from ioc.core.models import Indicator, Series

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


Listener = Callable[[Session, "WriteResult"], None]
_listeners: list[Listener] = []


def on_observations_written(listener: Listener) -> None:
    """Register a listener called inside the batch transaction after rollups are current."""
    if listener not in _listeners:
        _listeners.append(listener)


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

    Args:
        session: the batch's session; the caller commits (transactions belong to boundaries).
        rows: observations; a later row for the same (series, ts) wins, and a value already
            stored for that (series, ts) is replaced (a corrected re-send).
        label_end: per series id, whether values are stamped at the end of their hour.
        offset: local UTC offset in seconds (day and month buckets).
        notify: call the registered listeners (derived indicators); derived writes pass False.
    """
    result = WriteResult()
    if not rows:
        return result
    dedup: dict[tuple[int, int], tuple[int, int, float, int]] = {}
    for row in rows:
        dedup[(row[0], row[1])] = row
    unique = list(dedup.values())
    conn = session.connection()
    postgres = conn.dialect.name == "postgresql"
    if postgres:
        # Concurrent batches take row locks in one order (series, time), so they wait for each
        # other instead of deadlocking; SQLite has one writer at a time.
        unique.sort()
    _bulk_upsert(conn, unique)
    result.stored = len(unique)

    spans: dict[int, list[int]] = {}
    latest: dict[int, tuple[int, float]] = {}
    for sid, ts, value, quality in unique:
        span = spans.get(sid)
        if span is None:
            spans[sid] = [ts, ts]
        else:
            if ts < span[0]:
                span[0] = ts
            if ts > span[1]:
                span[1] = ts
        if quality < QUALITY_BAD:
            cur = latest.get(sid)
            if cur is None or ts >= cur[0]:
                latest[sid] = (ts, value)
    if postgres:
        # Rollups are recomputed by DELETE + INSERT of the touched buckets. Under READ COMMITTED
        # two batches of one series would both insert the same bucket (a primary-key error):
        # one lock per series, taken in id order and held to commit, serialises them, and the
        # second recompute then reads the first batch's committed observations.
        _exec(
            conn,
            "SELECT pg_advisory_xact_lock(:ns, s) FROM unnest(CAST(:ids AS int[])) AS s ORDER BY s",
            {"ns": _LOCK_NAMESPACE, "ids": sorted(spans)},
        )
    for sid, (lo, hi) in spans.items():
        result.touched[sid] = (lo, hi)
    _recompute_rollups(conn, spans, label_end, offset)
    if latest:
        conn.execute(
            text(
                "UPDATE series SET latest_ts = :ts, latest_value = :v "
                "WHERE id = :sid AND (latest_ts IS NULL OR latest_ts <= :ts)"
            ),
            [{"ts": ts, "v": v, "sid": sid} for sid, (ts, v) in sorted(latest.items())],
        )
    if notify:
        for listener in _listeners:
            listener(session, result)
    return result


def _bulk_upsert(conn: Connection, rows: list[tuple[int, int, float, int]]) -> None:
    """Store the rows in one statement from a staged set: PostgreSQL ``COPY`` into a temporary
    table, SQLite one ``executemany``; a row for a stored (series, time) replaces it."""
    raw = conn.connection.driver_connection
    assert raw is not None
    if conn.dialect.name == "postgresql":
        with raw.cursor() as cur:
            cur.execute(
                "CREATE TEMP TABLE IF NOT EXISTS _obs_in "
                "(series_id integer, ts bigint, value double precision, quality smallint) "
                "ON COMMIT DELETE ROWS"
            )
            with cur.copy("COPY _obs_in (series_id, ts, value, quality) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cur.execute(
                "INSERT INTO observations (series_id, ts, value, quality) "
                "SELECT series_id, ts, value, quality FROM _obs_in "
                "ON CONFLICT (series_id, ts) DO UPDATE "
                "SET value = EXCLUDED.value, quality = EXCLUDED.quality"
            )
            cur.execute("TRUNCATE _obs_in")
        return
    cur = raw.cursor()
    try:
        cur.executemany(
            "INSERT INTO observations (series_id, ts, value, quality) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (series_id, ts) DO UPDATE "
            "SET value = excluded.value, quality = excluded.quality",
            rows,
        )
    finally:
        cur.close()


# The touched buckets of a batch, one row per series (hours, days) and per (series, month), in
# temporary tables: each rollup level is then rebuilt for every touched series at once, with
# one DELETE and one INSERT … SELECT … GROUP BY, whatever the number of series in the batch.
_SPAN_TABLES = (
    "CREATE TEMP TABLE IF NOT EXISTS _span "
    "(sid integer, e integer, h_lo bigint, h_hi bigint, d_lo bigint, d_hi bigint)",
    "CREATE TEMP TABLE IF NOT EXISTS _mspan (sid integer, m bigint, m2 bigint)",
)

# Rows of each level inside the touched spans; {t} is the rollup table, {s}/{lo}/{hi} the span
# table and its bounds.
_DELETE_SQLITE = (
    "DELETE FROM {t} WHERE rowid IN (SELECT r.rowid FROM {s} s JOIN {t} r "
    "ON r.series_id = s.sid AND r.bucket >= s.{lo} AND r.bucket < s.{hi})"
)
_DELETE_PG = "DELETE FROM {t} r USING {s} s WHERE r.series_id = s.sid AND r.bucket >= s.{lo} AND r.bucket < s.{hi}"  # noqa: E501

_HOUR_SQL = """
INSERT INTO rollup_hour (series_id, bucket, n, total, vmin, vmax, last_ts, last_value)
SELECT g.series_id, g.b, g.n, g.total, g.vmin, g.vmax, g.last_ts, o.value
FROM (
  SELECT o.series_id, ((o.ts - s.e) / 3600) * 3600 AS b, count(*) AS n, sum(o.value) AS total,
         min(o.value) AS vmin, max(o.value) AS vmax, max(o.ts) AS last_ts
  FROM _span s JOIN observations o
    ON o.series_id = s.sid AND o.ts >= s.h_lo + s.e AND o.ts < s.h_hi + s.e
  WHERE o.quality < 2
  GROUP BY o.series_id, ((o.ts - s.e) / 3600) * 3600
) g JOIN observations o ON o.series_id = g.series_id AND o.ts = g.last_ts
"""

_DAY_SQL = """
INSERT INTO rollup_day (series_id, bucket, n, total, vmin, vmax, last_ts, last_value)
SELECT g.series_id, g.b, g.n, g.total, g.vmin, g.vmax, g.last_ts, h.last_value
FROM (
  SELECT h.series_id, ((h.bucket + :off) / 86400) * 86400 - :off AS b, sum(h.n) AS n,
         sum(h.total) AS total, min(h.vmin) AS vmin, max(h.vmax) AS vmax,
         max(h.last_ts) AS last_ts
  FROM _span s JOIN rollup_hour h
    ON h.series_id = s.sid AND h.bucket >= s.d_lo AND h.bucket < s.d_hi
  GROUP BY h.series_id, ((h.bucket + :off) / 86400) * 86400 - :off
) g JOIN rollup_hour h ON h.series_id = g.series_id AND h.last_ts = g.last_ts
  AND h.bucket >= g.b AND h.bucket < g.b + 86400
"""

_MONTH_SQL = """
INSERT INTO rollup_month (series_id, bucket, n, total, vmin, vmax, last_ts, last_value)
SELECT g.series_id, g.m, g.n, g.total, g.vmin, g.vmax, g.last_ts, d.last_value
FROM (
  SELECT d.series_id, ms.m AS m, ms.m2 AS m2, sum(d.n) AS n, sum(d.total) AS total,
         min(d.vmin) AS vmin, max(d.vmax) AS vmax, max(d.last_ts) AS last_ts
  FROM _mspan ms JOIN rollup_day d
    ON d.series_id = ms.sid AND d.bucket >= ms.m AND d.bucket < ms.m2
  GROUP BY d.series_id, ms.m, ms.m2
) g JOIN rollup_day d ON d.series_id = g.series_id AND d.last_ts = g.last_ts
  AND d.bucket >= g.m AND d.bucket < g.m2
"""


# First key of the PostgreSQL advisory locks taken per series while its rollups are rebuilt.
_LOCK_NAMESPACE = 0x10C

_PG_PARAM = re.compile(r"(?<!:):(\w+)")


@lru_cache(maxsize=64)
def _driver_sql(sql: str, dialect: str) -> str:
    # sqlite3 takes :name parameters as written; psycopg wants %(name)s.
    return _PG_PARAM.sub(r"%(\1)s", sql) if dialect == "postgresql" else sql


def _exec(conn: Connection, sql: str, params: dict[str, int | list[int]]) -> None:
    """Run a fixed statement on the driver cursor (SQLAlchemy's per-statement overhead would
    cost more than these statements on small batches)."""
    raw = conn.connection.driver_connection
    assert raw is not None
    cur = raw.cursor()
    try:
        cur.execute(_driver_sql(sql, conn.dialect.name), params)
    finally:
        cur.close()


def _delete_sql(table: str, spans: str, lo: str, hi: str, dialect: str) -> str:
    template = _DELETE_PG if dialect == "postgresql" else _DELETE_SQLITE
    return template.format(t=table, s=spans, lo=lo, hi=hi)


def _recompute_rollups(
    conn: Connection, spans: dict[int, list[int]], label_end: dict[int, bool], offset: int
) -> None:
    """Rebuild the hour, day and month buckets that the observation spans touch, for every
    series at once (the buckets are replaced, so corrections and bad-quality flags are exact:
    one DELETE and one INSERT … SELECT … GROUP BY per level, whatever the number of series)."""
    span_rows: list[tuple[int, int, int, int, int, int]] = []
    month_rows: list[tuple[int, int, int]] = []
    for sid in sorted(spans):
        lo, hi = spans[sid]
        end = label_end.get(sid, False)
        e = 1 if end else 0
        h_lo = hour_bucket(lo, end)
        h_hi = hour_bucket(hi, end) + HOUR
        d_lo = day_bucket(h_lo, offset)
        d_hi = day_bucket(h_hi - HOUR, offset) + DAY
        span_rows.append((sid, e, h_lo, h_hi, d_lo, d_hi))
        m = month_bucket(d_lo, offset)
        while m < d_hi:
            m2 = next_month(m, offset)
            month_rows.append((sid, m, m2))
            m = m2
    dialect = conn.dialect.name
    raw = conn.connection.driver_connection
    assert raw is not None
    cur = raw.cursor()
    try:
        mark = "%s" if dialect == "postgresql" else "?"
        for ddl in _SPAN_TABLES:
            cur.execute(ddl)
        cur.execute("DELETE FROM _span")
        cur.execute("DELETE FROM _mspan")
        cur.executemany(f"INSERT INTO _span VALUES ({', '.join([mark] * 6)})", span_rows)  # noqa: S608
        cur.executemany(f"INSERT INTO _mspan VALUES ({mark}, {mark}, {mark})", month_rows)  # noqa: S608
        if dialect == "postgresql":
            cur.execute("ANALYZE _span")
        cur.execute(_delete_sql("rollup_hour", "_span", "h_lo", "h_hi", dialect))
        cur.execute(_driver_sql(_HOUR_SQL, dialect))
        cur.execute(_delete_sql("rollup_day", "_span", "d_lo", "d_hi", dialect))
        cur.execute(_driver_sql(_DAY_SQL, dialect), {"off": offset})
        cur.execute(_delete_sql("rollup_month", "_mspan", "m", "m2", dialect))
        cur.execute(_driver_sql(_MONTH_SQL, dialect))
    finally:
        cur.close()


@dataclass(frozen=True)
class Bucket:
    """One rollup bucket as read by pages: start (UNIX seconds), count, mean, min, max."""

    start: int
    n: int
    mean: float
    vmin: float
    vmax: float
    last: float


_TABLES = {"hour": "rollup_hour", "day": "rollup_day", "month": "rollup_month"}


def read_rollups(
    conn: Connection, resolution: str, series_ids: Iterable[int], lo: int, hi: int
) -> dict[int, list[Bucket]]:
    """Buckets with ``lo <= start < hi`` per series, in time order."""
    table = _TABLES[resolution]
    ids = list(series_ids)
    out: dict[int, list[Bucket]] = {sid: [] for sid in ids}
    if not ids:
        return out
    placeholders = ", ".join(f":s{i}" for i in range(len(ids)))
    params: dict[str, int] = {f"s{i}": sid for i, sid in enumerate(ids)}
    params.update({"lo": lo, "hi": hi})
    result = conn.execute(
        text(
            f"SELECT series_id, bucket, n, total, vmin, vmax, last_value FROM {table} "  # noqa: S608 - table from a fixed map
            f"WHERE series_id IN ({placeholders}) AND bucket >= :lo AND bucket < :hi "
            "ORDER BY series_id, bucket"
        ),
        params,
    )
    for sid, bucket, n, total, vmin, vmax, last in result:
        out[sid].append(Bucket(bucket, n, total / n if n else float("nan"), vmin, vmax, last))
    return out


def read_hourly_means(
    conn: Connection, series_ids: Iterable[int], lo: int, hi: int
) -> dict[int, dict[int, float]]:
    """``{series_id: {hour start: mean}}`` for ``lo <= start < hi``: the light-weight read that
    derivations and pages use (no objects per bucket)."""
    ids = list(series_ids)
    out: dict[int, dict[int, float]] = {sid: {} for sid in ids}
    if not ids:
        return out
    placeholders = ", ".join(f":s{i}" for i in range(len(ids)))
    params: dict[str, int] = {f"s{i}": sid for i, sid in enumerate(ids)}
    params.update({"lo": lo, "hi": hi})
    rows = conn.execute(
        text(
            "SELECT series_id, bucket, total / n FROM rollup_hour "  # noqa: S608 - placeholders only
            f"WHERE series_id IN ({placeholders}) AND bucket >= :lo AND bucket < :hi"
        ),
        params,
    )
    for sid, bucket, mean in rows:
        out[sid][bucket] = mean
    return out
