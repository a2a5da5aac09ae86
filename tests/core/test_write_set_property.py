"""The set-based batch write equals a naive recompute (issue 18, section 2).

``write_observations`` stages a batch, upserts it in one statement and rebuilds the touched hour,
day and month buckets with one ``INSERT … SELECT … GROUP BY`` per level. It takes one of three
routes per series: hourly values in fresh hours (one reading per bucket, no grouping), other
readings in fresh hours (grouped from the staged rows) and hours that already held data
(recomputed from the stored observations). Random batches exercise all three at once, on
SQLite and (``IOC_TEST_DATABASE=postgres``) PostgreSQL: several series with both time labels,
hourly and sub-hourly readings, duplicates within a batch (the later row wins), re-sends and
corrections across batches, bad-quality flags that take a reading out of the rollups, and spans
across a local month boundary. After every batch, the stored observations, every rollup level,
each series' latest value and the write's own report must equal what plain Python computes.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from ioc.core.models import Indicator, Series
from ioc.core.series import (
    QUALITY_BAD,
    SeriesResolver,
    day_bucket,
    hour_bucket,
    month_bucket,
    write_observations,
)

OFFSET = 7 * 3600
# 31/03/2026 00:00 UTC (07:00 local): four days of readings cross the local month boundary.
BASE = int(datetime(2026, 3, 31, 0, 0, tzinfo=UTC).timestamp())
# Series 0 and 2 are stamped at the end of their hour, 1 and 3 at its start.
LABEL_END = (True, False, True, False)
SERIES = len(LABEL_END)

Row = tuple[int, int, float, int]  # (series index, seconds after BASE, value, quality)

hourly = st.tuples(
    st.integers(0, SERIES - 1),
    st.integers(0, 96).map(lambda h: h * 3600),  # on the hour: one reading per bucket
    st.integers(-50, 900).map(lambda v: v / 4),
    st.sampled_from((0, 0, 0, 0, 1, 2)),
)
sub_hourly = st.tuples(
    st.integers(0, SERIES - 1),
    # Quarter hours, around local midnight of 1 April (17:00 UTC on 31 March) and the next
    # days' noon: several readings per bucket, and groups that cross a day and a month.
    st.sampled_from((14, 16, 17, 40, 64)).flatmap(
        lambda h: st.integers(0, 12).map(lambda q, h=h: h * 3600 + q * 900)
    ),
    st.integers(-50, 900).map(lambda v: v / 4),
    st.sampled_from((0, 0, 0, 1, 2)),
)
batch_strategy = st.one_of(
    st.lists(hourly, min_size=1, max_size=60),
    st.lists(sub_hourly, min_size=1, max_size=60),
    st.lists(st.one_of(hourly, sub_hourly), min_size=1, max_size=60),
)


def _series_ids(session: Session) -> list[int]:
    indicator = session.execute(select(Indicator).where(Indicator.code == "pm25")).scalar_one()
    resolver = SeriesResolver(session)
    return [resolver.get(indicator, "entity", f"SETW-{i}").id for i in range(SERIES)]


def _ids_sql(sids: list[int]) -> str:
    return ", ".join(str(int(s)) for s in sids)


def _naive_rollups(
    obs: dict[tuple[int, int], tuple[float, int]], sids: list[int]
) -> dict[str, set[tuple[object, ...]]]:
    """Every rollup level recomputed in Python from the expected observations."""
    levels: dict[str, dict[tuple[int, int], list[tuple[int, float]]]] = {
        "hour": defaultdict(list),
        "day": defaultdict(list),
        "month": defaultdict(list),
    }
    for (sid, ts), (value, quality) in obs.items():
        if quality >= QUALITY_BAD:
            continue
        hour = hour_bucket(ts, LABEL_END[sids.index(sid)])
        day = day_bucket(hour, OFFSET)
        levels["hour"][(sid, hour)].append((ts, value))
        levels["day"][(sid, day)].append((ts, value))
        levels["month"][(sid, month_bucket(day, OFFSET))].append((ts, value))
    return {
        level: {
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
        for level, buckets in levels.items()
    }


def _stored_rollups(session: Session, sids: list[int]) -> dict[str, set[tuple[object, ...]]]:
    out: dict[str, set[tuple[object, ...]]] = {}
    for level in ("hour", "day", "month"):
        rows = session.execute(
            text(
                "SELECT series_id, bucket, n, total, vmin, vmax, last_ts, last_value "  # noqa: S608
                f"FROM rollup_{level} WHERE series_id IN ({_ids_sql(sids)})"
            )
        ).all()
        out[level] = {(r[0], r[1], r[2], round(r[3], 6), r[4], r[5], r[6], r[7]) for r in rows}
    return out


@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(batches=st.lists(batch_strategy, min_size=1, max_size=5))
def test_set_write_equals_a_naive_recompute(
    factory: sessionmaker[Session], batches: list[list[Row]]
) -> None:
    with factory() as s, s.begin():
        sids = _series_ids(s)
        for table in ("observations", "rollup_hour", "rollup_day", "rollup_month"):
            s.execute(text(f"DELETE FROM {table} WHERE series_id IN ({_ids_sql(sids)})"))  # noqa: S608
        s.execute(
            text(
                "UPDATE series SET latest_ts = NULL, latest_value = NULL "  # noqa: S608
                f"WHERE id IN ({_ids_sql(sids)})"
            )
        )
    label_end = {sid: LABEL_END[i] for i, sid in enumerate(sids)}
    expected: dict[tuple[int, int], tuple[float, int]] = {}
    latest: dict[int, tuple[int, float]] = {}
    for batch in batches:
        rows = [(sids[i], BASE + dt, value, q) for i, dt, value, q in batch]
        with factory() as s, s.begin():
            result = write_observations(s, rows, label_end, OFFSET, notify=False)
        # What the batch should have done: the later row of a (series, time) wins, within the
        # batch and over what was stored; the newest good reading becomes the latest value
        # unless a newer one is already known.
        in_batch = {(r[0], r[1]): r for r in rows}
        assert result.stored == len(in_batch)
        spans: dict[int, tuple[int, int]] = {}
        newest: dict[int, tuple[int, float]] = {}
        for sid, ts, value, q in in_batch.values():
            expected[(sid, ts)] = (value, q)
            lo, hi = spans.get(sid, (ts, ts))
            spans[sid] = (min(lo, ts), max(hi, ts))
            if q < QUALITY_BAD and (sid not in newest or ts > newest[sid][0]):
                newest[sid] = (ts, value)
        assert result.touched == spans
        for sid, (ts, value) in newest.items():
            if sid not in latest or latest[sid][0] <= ts:
                latest[sid] = (ts, value)
        with factory() as s:
            stored = s.execute(
                text(
                    "SELECT series_id, ts, value, quality FROM observations "  # noqa: S608
                    f"WHERE series_id IN ({_ids_sql(sids)})"
                )
            ).all()
            assert {(r[0], r[1]): (r[2], r[3]) for r in stored} == expected
            assert len(stored) == len(expected)
            assert _stored_rollups(s, sids) == _naive_rollups(expected, sids)
            got = {
                sid: (ts, value)
                for sid, ts, value in s.execute(
                    select(Series.id, Series.latest_ts, Series.latest_value).where(
                        Series.id.in_(sids)
                    )
                )
                if ts is not None
            }
            assert got == latest
