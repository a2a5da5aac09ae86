"""Monthly partitions of the time-series tables on PostgreSQL, and raw-data retention.

Partitioning is an administrator's step, not a migration: ``ioc db partition`` (:func:`convert`)
turns ``observations`` (by ``ts``), ``rollup_hour`` and ``rollup_day`` (by ``bucket``) into
declaratively partitioned tables by RANGE over UNIX seconds, one partition per UTC month
(``observations_p202612`` holds December 2026), plus a DEFAULT partition that takes any row no
monthly partition covers (a backfill of old data, a sensor whose clock runs years ahead): no
row is ever refused for want of a partition. ``rollup_month`` stays a plain table (one row per
series per month). SQLite keeps plain tables; every function here does nothing there.

The scheduler's ``storage.partitions`` job (:func:`maintain`) keeps partitions ``ahead`` months
in advance and moves rows that landed in a DEFAULT partition into their month, so the DEFAULT
partition stays near empty. With ``IOC_RAW_RETENTION_MONTHS`` = N > 0, raw ``observations``
partitions older than N months (plus one month of margin) are dropped, after an optional
gzip CSV archive: the rollups are kept, so charts and reports over years still work. Ingestion
refuses readings older than the retention horizon (:func:`earliest_accepted`) so that a late
reading never recomputes a rollup from raw data that is gone.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import structlog
from sqlalchemy import text
from sqlalchemy.engine import Connection

log = structlog.get_logger(__name__)

#: Partitioned tables and their range column.
PARTITIONED: dict[str, str] = {
    "observations": "ts",
    "rollup_hour": "bucket",
    "rollup_day": "bucket",
}
#: The only table whose old partitions retention drops (rollups are kept).
RAW_TABLE = "observations"

# IOC_RAW_RETENTION_MONTHS of this process (``configure``, from ``ioc.app.boot``); ingestion
# reads it through :func:`ingest_horizon`. 0 keeps every reading.
_retention_months = 0


def configure(retention_months: int) -> None:
    """Apply ``IOC_RAW_RETENTION_MONTHS`` (called by ``ioc.app.boot``)."""
    global _retention_months
    _retention_months = max(retention_months, 0)


def ingest_horizon(now: datetime) -> int | None:
    """The oldest reading ingestion accepts now (UNIX seconds), or None when retention is off."""
    return earliest_accepted(now, _retention_months)


def month_start(year: int, month: int) -> int:
    """UNIX seconds of 00:00 UTC on the first day of ``year``-``month`` (month may overflow)."""
    year += (month - 1) // 12
    month = (month - 1) % 12 + 1
    return int(datetime(year, month, 1, tzinfo=UTC).timestamp())


def month_of(ts: int) -> tuple[int, int]:
    """(year, month) in UTC of UNIX seconds ``ts``."""
    when = datetime.fromtimestamp(ts, UTC)
    return when.year, when.month


def partition_name(table: str, year: int, month: int) -> str:
    """``observations_p202612``: the table's partition for that UTC month."""
    return f"{table}_p{year:04d}{month:02d}"


def is_partition_name(name: str) -> bool:
    """Whether ``name`` is one of the partitions this module creates (migration tooling skips
    them: they are storage, not part of the model)."""
    for table in PARTITIONED:
        if name == f"{table}_default":
            return True
        suffix = name.removeprefix(f"{table}_p")
        if suffix != name and len(suffix) == 6 and suffix.isdigit():
            return True
    return False


def include_name(name: str | None, type_: str, _parents: object) -> bool:
    """Alembic's ``include_name`` hook: compare and autogenerate the model's tables, not the
    monthly partitions this module adds beside them."""
    return not (type_ == "table" and name is not None and is_partition_name(name))


def is_postgres(conn: Connection) -> bool:
    """Partitions exist only on PostgreSQL."""
    return conn.dialect.name == "postgresql"


def existing(conn: Connection, table: str) -> dict[str, tuple[int, int] | None]:
    """The partitions of ``table``: name -> (from, to) in UNIX seconds, None for DEFAULT."""
    rows = conn.execute(
        text(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i"
            " JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent"
            " WHERE p.relname = :t"
        ),
        {"t": table},
    ).all()
    found: dict[str, tuple[int, int] | None] = {}
    for name, bound in rows:
        if bound == "DEFAULT":
            found[name] = None
            continue
        # "FOR VALUES FROM ('1764547200') TO ('1767225600')"
        numbers = [int(p.strip("()' ")) for p in bound.split("FROM")[1].split("TO")]
        found[name] = (numbers[0], numbers[1])
    return found


_KEYS = {"observations": "series_id, ts"}
# Tables with a foreign key to ``series`` (the rollups have none since migration 0023).
_SERIES_FK = frozenset({"observations"})


def is_partitioned(conn: Connection) -> bool:
    """Whether ``observations`` is a partitioned table here (after :func:`convert`)."""
    if not is_postgres(conn):
        return False
    found = conn.execute(
        text(
            "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid"
            " WHERE c.relname = 'observations'"
        )
    ).first()
    return found is not None


def _rebuild(conn: Connection, table: str, partition_by: str | None) -> str:
    """Rename ``table`` aside (keys renamed with it) and create it again, partitioned by
    ``partition_by`` or plain, with the same key and foreign key (if it has one); returns the
    old name."""
    old = f"{table}_old"
    conn.execute(text(f'ALTER TABLE "{table}" RENAME TO "{old}"'))
    conn.execute(text(f'ALTER TABLE "{old}" RENAME CONSTRAINT "pk_{table}" TO "pk_{old}"'))
    fk = f"fk_{table}_series_id_series"
    if table in _SERIES_FK:
        conn.execute(
            text(f'ALTER TABLE "{old}" RENAME CONSTRAINT "{fk}" TO "fk_{old}_series_id_series"')
        )
    tail = f" PARTITION BY RANGE ({partition_by})" if partition_by else ""
    conn.execute(text(f'CREATE TABLE "{table}" (LIKE "{old}" INCLUDING DEFAULTS){tail}'))
    key = _KEYS.get(table, "series_id, bucket")
    conn.execute(text(f'ALTER TABLE "{table}" ADD CONSTRAINT "pk_{table}" PRIMARY KEY ({key})'))
    if table in _SERIES_FK:
        conn.execute(
            text(
                f'ALTER TABLE "{table}" ADD CONSTRAINT "{fk}"'
                " FOREIGN KEY (series_id) REFERENCES series (id)"
            )
        )
    return old


def convert(conn: Connection, now: datetime, *, ahead: int = 3) -> list[str]:
    """Partition the time-series tables by month, keeping every row, in the caller's
    transaction (``ioc db partition``); returns the tables converted (none when already done
    or on SQLite). Takes an exclusive lock and copies the tables: run it in a quiet hour."""
    if not is_postgres(conn) or is_partitioned(conn):
        return []
    for table, column in PARTITIONED.items():
        old = _rebuild(conn, table, column)
        conn.execute(text(f'CREATE TABLE "{table}_default" PARTITION OF "{table}" DEFAULT'))
        span = f'SELECT min({column}), max({column}) FROM "{old}"'  # noqa: S608 - fixed names
        lo, hi = conn.execute(text(span)).one()
        if lo is not None:
            year, month = month_of(int(lo))
            while (year, month) <= month_of(int(hi)):
                ensure_month(conn, table, year, month)
                year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        conn.execute(text(f'INSERT INTO "{table}" SELECT * FROM "{old}"'))  # noqa: S608
        conn.execute(text(f'DROP TABLE "{old}"'))
    maintain(conn, now, ahead=ahead)
    return list(PARTITIONED)


def unconvert(conn: Connection) -> list[str]:
    """Back to plain tables, keeping every row (``ioc db partition --undo``)."""
    if not is_partitioned(conn):
        return []
    for table in PARTITIONED:
        old = _rebuild(conn, table, None)
        conn.execute(text(f'INSERT INTO "{table}" SELECT * FROM "{old}"'))  # noqa: S608
        conn.execute(text(f'DROP TABLE "{old}" CASCADE'))
    return list(PARTITIONED)


def ensure_month(conn: Connection, table: str, year: int, month: int) -> bool:
    """Create ``table``'s partition for one UTC month if missing; True when created.

    Rows of that month already in the DEFAULT partition are moved into it in the same
    transaction (PostgreSQL refuses to attach a range the DEFAULT partition still holds).
    """
    name = partition_name(table, year, month)
    parts = existing(conn, table)
    if name in parts:
        return False
    column = PARTITIONED[table]
    lo, hi = month_start(year, month), month_start(year, month + 1)
    conn.execute(text(f'CREATE TABLE "{name}" (LIKE "{table}" INCLUDING DEFAULTS)'))
    default = f"{table}_default"
    if default in parts:
        bounds = {"lo": lo, "hi": hi}
        where = f"{column} >= :lo AND {column} < :hi"
        conn.execute(
            text(f'INSERT INTO "{name}" SELECT * FROM "{default}" WHERE {where}'),  # noqa: S608
            bounds,
        )
        conn.execute(text(f'DELETE FROM "{default}" WHERE {where}'), bounds)  # noqa: S608
    conn.execute(
        text(f'ALTER TABLE "{table}" ATTACH PARTITION "{name}" FOR VALUES FROM ({lo}) TO ({hi})')
    )
    return True


def default_months(conn: Connection, table: str) -> list[tuple[int, int]]:
    """The UTC months that have rows in ``table``'s DEFAULT partition."""
    column = PARTITIONED[table]
    month = f"date_trunc('month', to_timestamp({column}) AT TIME ZONE 'UTC')"
    sql = f'SELECT DISTINCT {month} FROM "{table}_default"'  # noqa: S608 - fixed table names
    rows = conn.execute(text(sql)).all()
    return sorted((r[0].year, r[0].month) for r in rows)


@dataclass
class Maintenance:
    """What one run of :func:`maintain` did."""

    created: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    archived: list[str] = field(default_factory=list)

    def summary(self) -> str | None:
        """A line for the job log, or None when nothing changed."""
        parts = []
        if self.created:
            parts.append(f"tạo {len(self.created)} phân vùng")
        if self.dropped:
            parts.append(f"xoá {len(self.dropped)} phân vùng dữ liệu gốc cũ")
        if self.archived:
            parts.append(f"lưu trữ {len(self.archived)} tệp")
        return ", ".join(parts) or None


def retention_cutoff(now: datetime, months: int) -> int | None:
    """UNIX seconds before which raw partitions are dropped: the UTC month that starts
    ``months`` + 1 months before the current one (one month of margin beyond
    :func:`earliest_accepted`, so a local-time day or month rollup next to the horizon is
    always recomputed from complete raw data). None when retention is off (``months`` = 0)."""
    if months <= 0:
        return None
    utc = now.astimezone(UTC)
    return month_start(utc.year, utc.month - months - 1)


def earliest_accepted(now: datetime, months: int) -> int | None:
    """UNIX seconds of the oldest reading ingestion accepts with retention on: the first day
    (UTC) of the month ``months`` months before the current one; None when retention is off."""
    if months <= 0:
        return None
    utc = now.astimezone(UTC)
    return month_start(utc.year, utc.month - months)


def maintain(
    conn: Connection,
    now: datetime,
    *,
    ahead: int = 3,
    retention_months: int = 0,
    archive_dir: Path | None = None,
) -> Maintenance:
    """Create partitions from last month to ``ahead`` months on, file rows out of the DEFAULT
    partitions, and apply raw-data retention. Runs in the caller's transaction; a no-op on
    SQLite or on a database whose tables are not partitioned."""
    done = Maintenance()
    if not is_postgres(conn):
        return done
    utc = now.astimezone(UTC)
    for table in PARTITIONED:
        if not existing(conn, table):
            continue  # not partitioned (a database restored from elsewhere): leave it
        months = {month_of(month_start(utc.year, utc.month + k)) for k in range(-1, ahead + 1)}
        if f"{table}_default" in existing(conn, table):
            months |= set(default_months(conn, table))
        cutoff = retention_cutoff(now, retention_months) if table == RAW_TABLE else None
        for year, month in sorted(months):
            if cutoff is not None and month_start(year, month + 1) <= cutoff:
                continue  # would be dropped at once
            if ensure_month(conn, table, year, month):
                done.created.append(partition_name(table, year, month))
    cutoff = retention_cutoff(now, retention_months)
    if cutoff is not None and existing(conn, RAW_TABLE):
        for name, bounds in sorted(existing(conn, RAW_TABLE).items()):
            if bounds is None or bounds[1] > cutoff:
                continue
            if archive_dir is not None:
                done.archived.append(str(archive(conn, name, archive_dir)))
            conn.execute(text(f'ALTER TABLE "{RAW_TABLE}" DETACH PARTITION "{name}"'))
            conn.execute(text(f'DROP TABLE "{name}"'))
            done.dropped.append(name)
            log.info("raw_partition_dropped", partition=name)
    return done


def archive(conn: Connection, name: str, folder: Path) -> Path:
    """Write one partition as gzip CSV (header: series_id, ts, value, quality) before it is
    dropped; returns the file."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}.csv.gz"
    raw = conn.connection.driver_connection
    with gzip.open(target, "wb") as out, raw.cursor() as cur:  # type: ignore[union-attr]
        rows = f'SELECT * FROM "{name}" ORDER BY series_id, ts'  # noqa: S608 - our partition
        query = f"COPY ({rows}) TO STDOUT WITH CSV HEADER"
        with cur.copy(query) as copy:
            for chunk in copy:
                out.write(bytes(chunk))
    return target
