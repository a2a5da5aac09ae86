"""Set-based rollups equal a naive recompute (issue 18).

The store rebuilds the touched hour, day and month buckets of every series of a batch at once
(one DELETE and one INSERT … SELECT … GROUP BY per level). Random batches — several series, both
time labels, duplicates within a batch, corrections of earlier values across batches,
bad-quality flags that remove a reading from the rollups, spans across a local month boundary —
must leave exactly the rollups that a plain Python recompute from the stored observations gives.
Runs on SQLite and, with IOC_TEST_DATABASE=postgres, on PostgreSQL.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from ioc.core.models import Indicator
from ioc.core.series import (
    QUALITY_BAD,
    SeriesResolver,
    day_bucket,
    hour_bucket,
    month_bucket,
    write_observations,
)

OFFSET = 7 * 3600
# 30/03/2026 12:00 UTC: three days of readings cross the local month boundary (1/4 00:00 +07).
BASE = int(datetime(2026, 3, 30, 12, 0, tzinfo=UTC).timestamp())
LABEL_END = (True, False, True)

Row = tuple[int, int, float, int]  # (series index, seconds after BASE, value, quality)

rows_strategy = st.lists(
    st.tuples(
        st.integers(0, 2),
        # A coarse grid of times so that batches repeat and correct each other's readings.
        st.integers(0, 3 * 24 * 6).map(lambda k: k * 600),
        st.integers(-20, 500).map(float),
        st.sampled_from((0, 0, 0, 1, 2)),
    ),
    min_size=1,
    max_size=40,
)


def _series_ids(session: Session) -> list[int]:
    indicator = session.execute(select(Indicator).where(Indicator.code == "pm25")).scalar_one()
    resolver = SeriesResolver(session)
    return [resolver.get(indicator, "entity", f"PROP-{i}").id for i in range(3)]


def _naive(session: Session, sids: list[int]) -> dict[str, set[tuple[object, ...]]]:
    """Every rollup level recomputed in Python from the stored observations."""
    obs = session.execute(
        text(
            "SELECT series_id, ts, value, quality FROM observations "
            "WHERE series_id IN (:a, :b, :c) ORDER BY series_id, ts"
        ),
        {"a": sids[0], "b": sids[1], "c": sids[2]},
    ).all()
    levels: dict[str, dict[tuple[int, int], list[tuple[int, float]]]] = {
        "hour": defaultdict(list),
        "day": defaultdict(list),
        "month": defaultdict(list),
    }
    for sid, ts, value, quality in obs:
        if quality >= QUALITY_BAD:
            continue
        hour = hour_bucket(ts, LABEL_END[sids.index(sid)])
        day = day_bucket(hour, OFFSET)
        levels["hour"][(sid, hour)].append((ts, value))
        levels["day"][(sid, day)].append((ts, value))
        levels["month"][(sid, month_bucket(day, OFFSET))].append((ts, value))
    out: dict[str, set[tuple[object, ...]]] = {}
    for level, buckets in levels.items():
        out[level] = {
            (
                sid,
                bucket,
                len(values),
                round(sum(v for _, v in values), 6),
                min(v for _, v in values),
                max(v for _, v in values),
                max(values)[0],
                max(values)[1],
            )
            for (sid, bucket), values in buckets.items()
        }
    return out


def _stored(session: Session, sids: list[int]) -> dict[str, set[tuple[object, ...]]]:
    out: dict[str, set[tuple[object, ...]]] = {}
    for level in ("hour", "day", "month"):
        rows = session.execute(
            text(
                f"SELECT series_id, bucket, n, total, vmin, vmax, last_ts, last_value "  # noqa: S608
                f"FROM rollup_{level} WHERE series_id IN (:a, :b, :c)"
            ),
            {"a": sids[0], "b": sids[1], "c": sids[2]},
        ).all()
        out[level] = {(r[0], r[1], r[2], round(r[3], 6), r[4], r[5], r[6], r[7]) for r in rows}
    return out


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(batches=st.lists(rows_strategy, min_size=1, max_size=4))
def test_set_based_rollups_equal_a_naive_recompute(
    factory: sessionmaker[Session], batches: list[list[Row]]
) -> None:
    with factory() as s, s.begin():
        sids = _series_ids(s)
        for table in ("observations", "rollup_hour", "rollup_day", "rollup_month"):
            s.execute(
                text(f"DELETE FROM {table} WHERE series_id IN (:a, :b, :c)"),  # noqa: S608
                {"a": sids[0], "b": sids[1], "c": sids[2]},
            )
    label_end = {sid: LABEL_END[i] for i, sid in enumerate(sids)}
    for batch in batches:
        with factory() as s, s.begin():
            rows = [(sids[i], BASE + dt, value, q) for i, dt, value, q in batch]
            write_observations(s, rows, label_end, OFFSET, notify=False)
        with factory() as s:
            assert _stored(s, sids) == _naive(s, sids)
