"""Reading the hour/day/month rollups of series for pages and derivations (the write side,
which keeps them current, is :mod:`ioc.core.series`). Pages read rollups, never raw history, so
a page costs the same with 1 million or 100 million observations.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection


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


def _span_params(ids: list[int], lo: int, hi: int) -> tuple[str, dict[str, int]]:
    """The ``IN`` placeholders of ``ids`` and the bound parameters of a ``[lo, hi)`` read."""
    placeholders = ", ".join(f":s{i}" for i in range(len(ids)))
    params: dict[str, int] = {f"s{i}": sid for i, sid in enumerate(ids)}
    params.update({"lo": lo, "hi": hi})
    return placeholders, params


def read_rollups(
    conn: Connection, resolution: str, series_ids: Iterable[int], lo: int, hi: int
) -> dict[int, list[Bucket]]:
    """Buckets with ``lo <= start < hi`` per series, in time order."""
    table = _TABLES[resolution]
    ids = list(series_ids)
    out: dict[int, list[Bucket]] = {sid: [] for sid in ids}
    if not ids:
        return out
    placeholders, params = _span_params(ids, lo, hi)
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
    placeholders, params = _span_params(ids, lo, hi)
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


def read_hourly_rows(
    conn: Connection, series_ids: Iterable[int], lo: int, hi: int
) -> list[tuple[int, int, float | None]]:
    """``(series_id, hour start, mean)`` rows for ``lo <= start < hi``, in no particular order:
    the plain rows of :func:`read_hourly_means` for derivations that build arrays from them."""
    ids = list(series_ids)
    if not ids:
        return []
    mark = "%s" if conn.dialect.name == "postgresql" else "?"
    # The driver's cursor in the connection's transaction: a derive round reads about a
    # thousand rows per station, and fetching them through SQLAlchemy's result rows cost
    # about as much as the query itself.
    raw = conn.connection.driver_connection
    assert raw is not None
    cur = raw.cursor()
    try:
        cur.execute(
            "SELECT series_id, bucket, total / n FROM rollup_hour "  # noqa: S608 - placeholders only
            f"WHERE series_id IN ({', '.join([mark] * len(ids))}) "
            f"AND bucket >= {mark} AND bucket < {mark}",
            (*ids, lo, hi),
        )
        rows: list[tuple[int, int, float | None]] = cur.fetchall()
    finally:
        cur.close()
    return rows
