"""Series store: rollups and latest values stay exact on insert, re-send and correction."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from ioc.core.models import Indicator, RollupDay, RollupHour, RollupMonth, Series
from ioc.core.series import (
    SeriesResolver,
    day_bucket,
    hour_bucket,
    month_bucket,
    read_rollups,
    write_observations,
)

OFFSET = 7 * 3600


def ts(*args: int) -> int:
    """UNIX seconds of a UTC wall time."""
    return int(datetime(*args, tzinfo=UTC).timestamp())  # type: ignore[misc]


def _series(session: Session, code: str = "pm25", subject: str = "DL-X") -> tuple[int, bool]:
    indicator = session.execute(select(Indicator).where(Indicator.code == code)).scalar_one()
    info = SeriesResolver(session).get(indicator, "entity", subject)
    return info.id, info.label_end


def test_bucket_helpers_follow_local_time() -> None:
    # 2026-03-09 17:30 UTC is 2026-03-10 00:30 in Vietnam: local day and month start at 17:00 UTC.
    t = ts(2026, 3, 9, 17, 30)
    assert day_bucket(t, OFFSET) == ts(2026, 3, 9, 17, 0)
    assert month_bucket(t, OFFSET) == ts(2026, 2, 28, 17, 0)
    # End-labelled hourly value at 01:00 covers 00:00–01:00; start-labelled covers 01:00–02:00.
    assert hour_bucket(ts(2026, 3, 10, 1, 0), True) == ts(2026, 3, 10, 0, 0)
    assert hour_bucket(ts(2026, 3, 10, 1, 0), False) == ts(2026, 3, 10, 1, 0)
    assert hour_bucket(ts(2026, 3, 10, 0, 30), True) == ts(2026, 3, 10, 0, 0)


def test_rollups_exact_for_minute_data(factory: sessionmaker[Session]) -> None:
    with factory() as s, s.begin():
        sid, _ = _series(s, "co")  # time_label end, but minute readings are instants
        rows = [(sid, ts(2026, 3, 10, 2, m), float(m), 0) for m in range(0, 60, 10)]
        rows.append((sid, ts(2026, 3, 10, 3, 5), 100.0, 0))
        write_observations(s, rows, {sid: True}, OFFSET)
    with factory() as s:
        hours = read_rollups(s.connection(), "hour", [sid], 0, 2**40)[sid]
        # (02:00 is the end of the 01:00–02:00 hour; 02:10 … 02:50 fall in 02:00–03:00)
        assert [(b.start, b.n) for b in hours] == [
            (ts(2026, 3, 10, 1, 0), 1),
            (ts(2026, 3, 10, 2, 0), 5),
            (ts(2026, 3, 10, 3, 0), 1),
        ]
        assert hours[1].mean == (10 + 20 + 30 + 40 + 50) / 5
        assert hours[1].vmin == 10 and hours[1].vmax == 50 and hours[1].last == 50
        day = s.execute(select(RollupDay).where(RollupDay.series_id == sid)).scalar_one()
        assert day.n == 7 and day.total == sum(range(0, 60, 10)) + 100
        assert day.bucket == day_bucket(ts(2026, 3, 10, 2, 0), OFFSET)
        series = s.get(Series, sid)
        assert series is not None and series.latest_value == 100.0


def test_resend_and_correction_keep_rollups_exact(factory: sessionmaker[Session]) -> None:
    with factory() as s, s.begin():
        sid, end = _series(s)
        hours = [(sid, ts(2026, 3, 10, h), 10.0 * h, 0) for h in range(1, 6)]
        write_observations(s, hours, {sid: end}, OFFSET)
        # The same batch again (a retry) and a corrected value for 03:00.
        write_observations(s, hours, {sid: end}, OFFSET)
        write_observations(s, [(sid, ts(2026, 3, 10, 3), 99.0, 0)], {sid: end}, OFFSET)
    with factory() as s:
        day = s.execute(select(RollupDay).where(RollupDay.series_id == sid)).scalar_one()
        assert day.n == 5
        assert day.total == 10 + 20 + 99 + 40 + 50
        month = s.execute(select(RollupMonth).where(RollupMonth.series_id == sid)).scalar_one()
        assert (month.n, month.total, month.vmax) == (5, day.total, 99.0)


def test_bad_quality_excluded_and_bucket_removed(factory: sessionmaker[Session]) -> None:
    with factory() as s, s.begin():
        sid, end = _series(s)
        write_observations(
            s,
            [(sid, ts(2026, 3, 10, 1), 5.0, 0), (sid, ts(2026, 3, 10, 2), 7.0, 1)],
            {sid: end},
            OFFSET,
        )
        # The 01:00 value is later flagged bad by QA/QC: its hour disappears from the rollup.
        write_observations(s, [(sid, ts(2026, 3, 10, 1), 5.0, 2)], {sid: end}, OFFSET)
    with factory() as s:
        buckets = s.execute(select(RollupHour.bucket).where(RollupHour.series_id == sid)).all()
        assert [b for (b,) in buckets] == [ts(2026, 3, 10, 1)]  # only the suspect 02:00 value
        day = s.execute(select(RollupDay).where(RollupDay.series_id == sid)).scalar_one()
        assert (day.n, day.total) == (1, 7.0)


def test_month_boundary_in_local_time(factory: sessionmaker[Session]) -> None:
    with factory() as s, s.begin():
        sid, _ = _series(s, "pm10")
        # 31/3 23:30 local and 1/4 00:30 local belong to different months.
        rows = [(sid, ts(2026, 3, 31, 16, 30), 1.0, 0), (sid, ts(2026, 3, 31, 17, 30), 2.0, 0)]
        write_observations(s, rows, {sid: False}, OFFSET)
    with factory() as s:
        months = s.execute(
            select(RollupMonth.bucket, RollupMonth.total)
            .where(RollupMonth.series_id == sid)
            .order_by(RollupMonth.bucket)
        ).all()
        assert months == [(ts(2026, 2, 28, 17), 1.0), (ts(2026, 3, 31, 17), 2.0)]


def test_latest_value_not_moved_back_by_old_data(factory: sessionmaker[Session]) -> None:
    with factory() as s, s.begin():
        sid, end = _series(s)
        write_observations(s, [(sid, ts(2026, 3, 10, 5), 50.0, 0)], {sid: end}, OFFSET)
        write_observations(s, [(sid, ts(2026, 3, 1, 5), 1.0, 0)], {sid: end}, OFFSET)
    with factory() as s:
        series = s.get(Series, sid)
        assert series is not None
        assert (series.latest_ts, series.latest_value) == (ts(2026, 3, 10, 5), 50.0)


def test_latest_values_of_a_batch_per_series(factory: sessionmaker[Session]) -> None:
    # One batch, two series: each series' newest good reading becomes its latest value; a newer
    # reading flagged bad does not, and a series whose readings are all bad keeps no latest.
    with factory() as s, s.begin():
        a, end_a = _series(s, "pm25", "DL-A")
        b, end_b = _series(s, "pm10", "DL-B")
        c, end_c = _series(s, "pm25", "DL-C")
        rows = [
            (a, ts(2026, 3, 10, 1), 10.0, 0),
            (b, ts(2026, 3, 10, 1), 20.0, 0),
            (a, ts(2026, 3, 10, 2), 11.0, 1),
            (b, ts(2026, 3, 10, 3), 99.0, 2),
            (c, ts(2026, 3, 10, 3), 5.0, 2),
        ]
        write_observations(s, rows, {a: end_a, b: end_b, c: end_c}, OFFSET)
    with factory() as s:
        latest = {
            sid: (row.latest_ts, row.latest_value)
            for sid in (a, b, c)
            if (row := s.get(Series, sid)) is not None
        }
        assert latest == {
            a: (ts(2026, 3, 10, 2), 11.0),
            b: (ts(2026, 3, 10, 1), 20.0),
            c: (None, None),
        }


def _day_rows(session: Session, sid: int) -> list[tuple[int, int, float]]:
    rows = session.execute(
        select(RollupDay.bucket, RollupDay.n, RollupDay.total)
        .where(RollupDay.series_id == sid)
        .order_by(RollupDay.bucket)
    ).all()
    return [(r[0], r[1], r[2]) for r in rows]


def test_days_of_dense_and_sparse_batches(factory: sessionmaker[Session]) -> None:
    # A batch whose series have at least one row per day of their span lists every day of the
    # span (an untouched day in a gap is recomputed to what it was: nothing); a batch with a
    # series of two readings forty days apart finds its touched days from the rows instead.
    # Both must leave exactly the days that hold readings, next to days written before.
    with factory() as s, s.begin():
        a, end_a = _series(s, "pm25", "DL-DENSE")
        b, end_b = _series(s, "pm10", "DL-SPARSE")
        ends = {a: end_a, b: end_b}
        write_observations(s, [(a, ts(2026, 3, 3, 5), 7.0, 0)], ends, OFFSET)
        dense = [(a, ts(2026, 3, d, h), float(d), 0) for d in (1, 2, 5) for h in (4, 6)]
        write_observations(s, dense, ends, OFFSET)
        write_observations(s, [(b, ts(2026, 2, 1, 5), 1.0, 0)], ends, OFFSET)
        sparse = [(b, ts(2026, 2, 1, 6), 2.0, 0), (b, ts(2026, 3, 13, 5), 3.0, 0)]
        result = write_observations(s, sparse + dense[:1], ends, OFFSET)
        assert result.stored == 3
    with factory() as s:
        assert _day_rows(s, a) == [
            (day_bucket(ts(2026, 3, d, 5), OFFSET), n, total)
            for d, n, total in ((1, 2, 2.0), (2, 2, 4.0), (3, 1, 7.0), (5, 2, 10.0))
        ]
        assert _day_rows(s, b) == [
            (day_bucket(ts(2026, 2, 1, 5), OFFSET), 2, 3.0),
            (day_bucket(ts(2026, 3, 13, 5), OFFSET), 1, 3.0),
        ]


def test_staging_chunks_keep_the_later_row(factory: sessionmaker[Session]) -> None:
    # 1234 rows are staged as one 1000-row, two 100-row, three 10-row statements and four
    # single rows; a duplicate in another chunk than its first copy still replaces it.
    with factory() as s, s.begin():
        sid, end = _series(s, "pm25", "DL-CHUNK")
        base = ts(2026, 3, 1)
        rows = [(sid, base + 60 * i, float(i), 0) for i in range(1230)]
        rows += [(sid, base, 500.0, 0), (sid, base + 60 * 1100, 1.5, 0)]
        rows += [(sid, base + 60 * 1229, 9.0, 2), (sid, base + 60 * 5, 2.5, 0)]
        result = write_observations(s, rows, {sid: end}, OFFSET)
        assert result.stored == 1230
    with factory() as s:
        stored = dict(
            s.execute(
                text("SELECT ts, value FROM observations WHERE series_id = :s"), {"s": sid}
            ).all()
        )
        assert len(stored) == 1230
        assert stored[base] == 500.0 and stored[base + 60 * 1100] == 1.5
        assert stored[base + 60 * 5] == 2.5 and stored[base + 60 * 1229] == 9.0
        expected = sum(float(i) for i in range(1229)) - 0 - 1100 - 5 + 500.0 + 1.5 + 2.5
        total = s.execute(
            select(func.sum(RollupDay.total)).where(RollupDay.series_id == sid)
        ).scalar_one()
        assert total == expected
