"""The SQL of the series store's set write (:func:`ioc.core.series.write_observations`): the
batch's temporary tables and one statement per step. Kept apart from the Python that runs them
so that each reads on its own; nothing here runs anything.
"""

# ruff: noqa: S608 - every statement is fixed text (table and column names, no values)

# Temporary tables of one batch (one set per connection, emptied for each batch): the staged
# rows, the touched series (with their hour-label shift ``e`` and whether their touched hours
# held stored data), and the touched hour, day and month buckets that are recomputed.
STAGE_SQLITE = (
    "CREATE TEMP TABLE IF NOT EXISTS _obs_in (series_id integer NOT NULL, ts integer NOT NULL, "
    "value real NOT NULL, quality integer NOT NULL, PRIMARY KEY (series_id, ts)) WITHOUT ROWID",
    "CREATE TEMP TABLE IF NOT EXISTS _ser "
    "(sid integer PRIMARY KEY, e integer, fresh integer, aligned integer, h_lo integer, "
    "h_hi integer, lt integer, lv real)",
    "CREATE TEMP TABLE IF NOT EXISTS _hb "
    "(sid integer, b integer, e integer, PRIMARY KEY (sid, b)) WITHOUT ROWID",
    "CREATE TEMP TABLE IF NOT EXISTS _db (sid integer, d integer, PRIMARY KEY (sid, d)) "
    "WITHOUT ROWID",
    "CREATE TEMP TABLE IF NOT EXISTS _mb (sid integer, m integer, m2 integer, "
    "PRIMARY KEY (sid, m)) WITHOUT ROWID",
)
# PostgreSQL: one round trip that creates (once per connection) and empties them; rows vanish
# at commit.
STAGE_PG = (
    "CREATE TEMP TABLE IF NOT EXISTS _obs_in (series_id integer, ts bigint, "
    "value double precision, quality smallint) ON COMMIT DELETE ROWS; "
    "CREATE TEMP TABLE IF NOT EXISTS _ser (sid integer, e integer, fresh integer, aligned integer, "
    "h_lo bigint, h_hi bigint, lt bigint, lv double precision) ON COMMIT DELETE ROWS; "
    "CREATE TEMP TABLE IF NOT EXISTS _hb (sid integer, b bigint, e integer) "
    "ON COMMIT DELETE ROWS; "
    "CREATE TEMP TABLE IF NOT EXISTS _db (sid integer, d bigint) ON COMMIT DELETE ROWS; "
    "CREATE TEMP TABLE IF NOT EXISTS _mb (sid integer, m bigint, m2 bigint) "
    "ON COMMIT DELETE ROWS; "
    # Empty unless an earlier write of this transaction filled them.
    "DELETE FROM _obs_in; DELETE FROM _ser; DELETE FROM _hb; DELETE FROM _db; DELETE FROM _mb"
)
SMALL_TABLES = ("_ser", "_hb", "_db", "_mb")
# PostgreSQL types of the ``_obs_in`` columns, for the binary COPY of the staged rows.
STAGE_TYPES = ("int4", "int8", "float8", "int2")

# Observations: plain inserts for fresh series (their span holds no stored row, so no key can
# conflict), an upsert for the others (a re-sent or corrected value replaces the stored one).
INSERT_SQL = (
    "INSERT INTO observations (series_id, ts, value, quality) "
    "SELECT i.series_id, i.ts, i.value, i.quality FROM _ser s {join} _obs_in i "
    "ON i.series_id = s.sid WHERE s.fresh = {fresh} {order}"
)
UPSERT_CLAUSE = (
    " ON CONFLICT (series_id, ts) DO UPDATE SET value = excluded.value, quality = excluded.quality"
)

# Per series of the batch: first and last time, the last time (and value) of a reading that is
# not flagged bad (the series' latest value), whether all its times have one phase within the
# hour, and its number of rows.
SERIES_SQL = """
SELECT g.series_id, g.lo, g.hi, g.lt, i.value, g.aligned, g.n
FROM (
  SELECT series_id, min(ts) AS lo, max(ts) AS hi,
         max(CASE WHEN quality < 2 THEN ts END) AS lt,
         CASE WHEN min(ts % 3600) = max(ts % 3600) THEN 1 ELSE 0 END AS aligned, count(*) AS n
  FROM _obs_in GROUP BY series_id
) g LEFT JOIN _obs_in i ON i.series_id = g.series_id AND i.ts = g.lt
"""

# A series is "fresh" when no stored observation falls in the hours its rows touch: its
# touched hour buckets are then exactly its staged rows. Checked before the upsert, with the
# series locked against concurrent batches.
FRESH_SQL = (
    "UPDATE _ser SET fresh = 0 WHERE EXISTS (SELECT 1 FROM observations o "
    "WHERE o.series_id = _ser.sid AND o.ts >= _ser.h_lo + _ser.e AND o.ts < _ser.h_hi + _ser.e)"
)
# The newest good reading of each series of the batch becomes its latest value, unless a newer
# one is stored already: one statement for every series of the batch.
LATEST_SQL = (
    "UPDATE series SET latest_ts = s.lt, latest_value = s.lv FROM _ser s "
    "WHERE series.id = s.sid AND s.lt IS NOT NULL "
    "AND (series.latest_ts IS NULL OR series.latest_ts <= s.lt)"
)
# SQLite: take the database's write lock (waiting for it like any write) before the first read
# of the batch's transaction. A read first would pin a snapshot that a concurrent writer can
# make stale, and the upsert would then fail as busy instead of waiting.
SQLITE_WRITE_LOCK = "UPDATE series SET id = id WHERE 0"

ROLLUP_COLUMNS = "(series_id, bucket, n, total, vmin, vmax, last_ts, last_value)"
ON_CONFLICT_REPLACE = (
    " ON CONFLICT (series_id, bucket) DO UPDATE SET n = excluded.n, total = excluded.total, "
    "vmin = excluded.vmin, vmax = excluded.vmax, last_ts = excluded.last_ts, "
    "last_value = excluded.last_value"
)

# Hour buckets of fresh series, from the staged rows alone (upserted: nothing to delete).
HOUR_FRESH_SQL = (
    f"INSERT INTO rollup_hour {ROLLUP_COLUMNS} "
    """
SELECT g.series_id, g.b, g.n, g.total, g.vmin, g.vmax, g.last_ts, i.value
FROM (
  SELECT i.series_id, ((i.ts - s.e) / 3600) * 3600 AS b, count(*) AS n, sum(i.value) AS total,
         min(i.value) AS vmin, max(i.value) AS vmax, max(i.ts) AS last_ts
  FROM _ser s {join} _obs_in i ON i.series_id = s.sid
  WHERE s.fresh = 1 AND s.aligned = 0 AND i.quality < 2
  GROUP BY i.series_id, ((i.ts - s.e) / 3600) * 3600
) g JOIN _obs_in i ON i.series_id = g.series_id AND i.ts = g.last_ts
WHERE true {order}""" + ON_CONFLICT_REPLACE
)
# The same for fresh series whose rows all share one phase within the hour (hourly values,
# the usual case): distinct times then fall in distinct hours, each bucket is one reading and
# needs no grouping.
HOUR_ALIGNED_SQL = (
    f"INSERT INTO rollup_hour {ROLLUP_COLUMNS} "
    """
SELECT i.series_id, ((i.ts - s.e) / 3600) * 3600, 1, i.value, i.value, i.value, i.ts, i.value
FROM _ser s {join} _obs_in i ON i.series_id = s.sid
WHERE s.fresh = 1 AND s.aligned = 1 AND i.quality < 2 {order}""" + ON_CONFLICT_REPLACE
)

# Touched hour buckets of the other series, and their recompute from stored observations.
HB_SQL = (
    "INSERT INTO _hb (sid, b, e) SELECT DISTINCT i.series_id, ((i.ts - s.e) / 3600) * 3600, s.e "
    "FROM _ser s JOIN _obs_in i ON i.series_id = s.sid WHERE s.fresh = 0"
)
HOUR_SQL = f"""
INSERT INTO rollup_hour {ROLLUP_COLUMNS}
SELECT g.series_id, g.b, g.n, g.total, g.vmin, g.vmax, g.last_ts, o.value
FROM (
  SELECT h.sid AS series_id, h.b AS b, count(*) AS n, sum(o.value) AS total,
         min(o.value) AS vmin, max(o.value) AS vmax, max(o.ts) AS last_ts
  FROM _hb h JOIN observations o
    ON o.series_id = h.sid AND o.ts >= h.b + h.e AND o.ts < h.b + h.e + 3600
  WHERE o.quality < 2
  GROUP BY h.sid, h.b
) g JOIN observations o ON o.series_id = g.series_id AND o.ts = g.last_ts
"""

# Touched local days (of the touched hours) and their recompute from the hour buckets. When
# every series of the batch has at least as many rows as its span has days (the usual case),
# ``_write_set`` lists every day of each span itself instead of running ``DB_SQL``: a day of
# the span without rows is recomputed from its unchanged hours to what it was, and listing at
# most one day per row costs less than finding the distinct days of every row. Buckets are
# disjoint and ordered, so the newest reading of a day lies in its latest hour bucket: its
# time and value are read by primary key (``lb``) instead of by another aggregate.
DB_SQL = (
    "INSERT INTO _db (sid, d) SELECT DISTINCT i.series_id, "
    "((((i.ts - s.e) / 3600) * 3600 + :off) / 86400) * 86400 - :off "
    "FROM _ser s JOIN _obs_in i ON i.series_id = s.sid"
)
DAY_SQL = f"""
INSERT INTO rollup_day {ROLLUP_COLUMNS}
SELECT g.sid, g.d, g.n, g.total, g.vmin, g.vmax, h.last_ts, h.last_value
FROM (
  SELECT d.sid AS sid, d.d AS d, sum(h.n) AS n, sum(h.total) AS total, min(h.vmin) AS vmin,
         max(h.vmax) AS vmax, max(h.bucket) AS lb
  FROM _db d JOIN rollup_hour h
    ON h.series_id = d.sid AND h.bucket >= d.d AND h.bucket < d.d + 86400
  GROUP BY d.sid, d.d
) g JOIN rollup_hour h ON h.series_id = g.sid AND h.bucket = g.lb
"""

# Touched local months and their recompute from the day buckets (last time and value: latest
# day).
MONTH_SQL = f"""
INSERT INTO rollup_month {ROLLUP_COLUMNS}
SELECT g.sid, g.m, g.n, g.total, g.vmin, g.vmax, d.last_ts, d.last_value
FROM (
  SELECT mb.sid AS sid, mb.m AS m, sum(d.n) AS n, sum(d.total) AS total,
         min(d.vmin) AS vmin, max(d.vmax) AS vmax, max(d.bucket) AS lb
  FROM _mb mb JOIN rollup_day d
    ON d.series_id = mb.sid AND d.bucket >= mb.m AND d.bucket < mb.m2
  GROUP BY mb.sid, mb.m
) g JOIN rollup_day d ON d.series_id = g.sid AND d.bucket = g.lb
"""

# The touched buckets of one level are deleted before their recompute (a bucket whose readings
# are all flagged bad disappears).
DELETE_SQL = {
    "rollup_hour": "DELETE FROM rollup_hour WHERE (series_id, bucket) IN (SELECT sid, b FROM _hb)",
    "rollup_day": "DELETE FROM rollup_day WHERE (series_id, bucket) IN (SELECT sid, d FROM _db)",
    "rollup_month": "DELETE FROM rollup_month "
    "WHERE (series_id, bucket) IN (SELECT sid, m FROM _mb)",
}
