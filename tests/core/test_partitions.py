"""Monthly partitions and raw-data retention on PostgreSQL (issue 19).

With IOC_TEST_DATABASE=postgres the module partitions ``observations``, ``rollup_hour`` and
``rollup_day`` of the worker's database (``ioc db partition``) and undoes it at the end; these tests write through the real write path and check
that rows land in their month, that rows parked in the DEFAULT partition are filed into their
month without loss, and that retention drops (and archives) only old raw partitions while the
rollups stay. On SQLite the tables are plain and the maintenance is a no-op.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from ioc.core import partitions
from ioc.core.models import Indicator
from ioc.core.series import SeriesResolver, write_observations

OFFSET = 7 * 3600


def _ts(year: int, month: int, day: int, hour: int = 0) -> int:
    return int(datetime(year, month, day, hour, tzinfo=UTC).timestamp())


def _series(session: Session, code: str) -> int:
    indicator = session.execute(select(Indicator).where(Indicator.code == "pm25")).scalar_one()
    return SeriesResolver(session).get(indicator, "entity", code).id


def _where(session: Session, table: str, sid: int) -> dict[str, int]:
    """Rows of series ``sid`` by the physical partition that holds them."""
    rows = session.execute(
        text(
            f"SELECT tableoid::regclass::text, count(*) FROM {table}"  # noqa: S608
            " WHERE series_id = :s GROUP BY 1"
        ),
        {"s": sid},
    ).all()
    return {str(name): int(n) for name, n in rows}


@pytest.fixture(scope="module")
def pg(engine: Engine) -> Iterator[Engine]:
    """The worker's PostgreSQL database with its time-series tables partitioned for this module
    (``ioc db partition``), plain again afterwards."""
    if engine.dialect.name != "postgresql":
        pytest.skip("partitions exist on PostgreSQL only (IOC_TEST_DATABASE=postgres)")
    with engine.begin() as conn:
        assert partitions.convert(conn, datetime(2026, 12, 5, tzinfo=UTC)) == list(
            partitions.PARTITIONED
        )
    yield engine
    with engine.begin() as conn:
        partitions.unconvert(conn)


@pytest.fixture
def old_parts(pg: Engine) -> Iterator[None]:
    """Drop the partitions a test creates for 2019-2021 (other tests never write there)."""
    yield
    with pg.begin() as conn:
        for table in partitions.PARTITIONED:
            for name in partitions.existing(conn, table):
                if name[-6:-2] in ("2019", "2020", "2021"):
                    conn.execute(text(f'DROP TABLE "{name}"'))


def test_month_arithmetic() -> None:
    assert partitions.month_start(2026, 13) == _ts(2027, 1, 1)
    assert partitions.month_start(2026, 0) == _ts(2025, 12, 1)
    assert partitions.month_of(_ts(2026, 12, 31, 23)) == (2026, 12)
    assert partitions.partition_name("observations", 2026, 3) == "observations_p202603"
    assert partitions.is_partition_name("observations_p202603")
    assert partitions.is_partition_name("rollup_day_default")
    assert not partitions.is_partition_name("observations")
    assert not partitions.is_partition_name("observations_p2026")
    now = datetime(2026, 12, 5, 19, 0, tzinfo=UTC)
    # Retention of 12 months: readings from 1 December 2025 are accepted; raw partitions that
    # end on or before 1 November 2025 (one month of margin) are dropped.
    assert partitions.earliest_accepted(now, 12) == _ts(2025, 12, 1)
    assert partitions.retention_cutoff(now, 12) == _ts(2025, 11, 1)
    assert partitions.earliest_accepted(now, 0) is None
    assert partitions.retention_cutoff(now, 0) is None


def test_sqlite_maintenance_is_a_no_op(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the SQLite case")
    with engine.begin() as conn:
        done = partitions.maintain(conn, datetime(2026, 12, 5, tzinfo=UTC), retention_months=1)
    assert done.summary() is None


def test_tables_are_partitioned_by_month(pg: Engine) -> None:
    with pg.connect() as conn:
        partitioned = {
            r[0]
            for r in conn.execute(
                text(
                    "SELECT c.relname FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid"
                )
            )
        }
        assert partitioned == {"observations", "rollup_hour", "rollup_day"}
        for table in partitions.PARTITIONED:
            parts = partitions.existing(conn, table)
            assert parts[f"{table}_default"] is None
            # The conversion keeps three months ahead of the day it ran.
            monthly = [b for b in parts.values() if b is not None]
            assert len(monthly) >= 4
            assert all(hi > lo for lo, hi in monthly)


def test_default_rows_are_filed_into_their_month(
    pg: Engine, factory: sessionmaker[Session], old_parts: None
) -> None:
    with factory() as session:
        sid = _series(session, "PART-1")
        # Two readings in March 2020: no partition covers that month, so they go to DEFAULT.
        rows = [(sid, _ts(2020, 3, 1, 5), 10.0, 0), (sid, _ts(2020, 3, 31, 23), 30.0, 0)]
        write_observations(session, rows, {sid: True}, OFFSET, notify=False)
        session.commit()
        assert _where(session, "observations", sid) == {"observations_default": 2}
        before_rollups = session.execute(
            text("SELECT bucket, n, total FROM rollup_day WHERE series_id = :s ORDER BY bucket"),
            {"s": sid},
        ).all()
    with pg.begin() as conn:
        done = partitions.maintain(conn, datetime(2026, 12, 5, tzinfo=UTC))
    assert "observations_p202003" in done.created
    with factory() as session:
        assert _where(session, "observations", sid) == {"observations_p202003": 2}
        # Day buckets are local midnights (+07:00) as UNIX seconds: 1/3 local is 29/2 17:00
        # UTC (February's partition), 1/4 local is 31/3 17:00 UTC (March's).
        assert set(_where(session, "rollup_day", sid)) <= {
            "rollup_day_p202002",
            "rollup_day_p202003",
        }
        after_rollups = session.execute(
            text("SELECT bucket, n, total FROM rollup_day WHERE series_id = :s ORDER BY bucket"),
            {"s": sid},
        ).all()
        assert after_rollups == before_rollups
        # A correction after filing goes to the new partition and recomputes the rollup.
        write_observations(session, [(sid, _ts(2020, 3, 1, 5), 12.0, 0)], {sid: True}, OFFSET)
        session.commit()
        value = session.execute(
            text("SELECT value FROM observations WHERE series_id = :s AND ts = :t"),
            {"s": sid, "t": _ts(2020, 3, 1, 5)},
        ).scalar_one()
        assert value == 12.0
        assert _where(session, "observations", sid) == {"observations_p202003": 2}


def test_retention_drops_old_raw_partitions_and_keeps_rollups(
    pg: Engine, factory: sessionmaker[Session], old_parts: None, tmp_path: Path
) -> None:
    with factory() as session:
        sid = _series(session, "PART-2")
        rows = [
            (sid, _ts(2020, 1, 15, 3), 5.0, 0),
            (sid, _ts(2020, 2, 15, 3), 6.0, 0),
            (sid, _ts(2020, 6, 15, 3), 7.0, 0),
        ]
        write_observations(session, rows, {sid: True}, OFFSET, notify=False)
        session.commit()
    with pg.begin() as conn:
        partitions.maintain(conn, datetime(2020, 6, 20, tzinfo=UTC))
    # Three months of retention on 20 June 2020: readings from 1 March are accepted, raw
    # partitions ending on or before 1 February are dropped (January), February is the margin.
    with pg.begin() as conn:
        done = partitions.maintain(
            conn, datetime(2020, 6, 20, tzinfo=UTC), retention_months=3, archive_dir=tmp_path
        )
    assert done.dropped == ["observations_p202001"]
    with factory() as session:
        kept = session.execute(
            text("SELECT ts FROM observations WHERE series_id = :s ORDER BY ts"), {"s": sid}
        ).scalars()
        assert list(kept) == [_ts(2020, 2, 15, 3), _ts(2020, 6, 15, 3)]
        months = session.execute(
            text("SELECT count(*) FROM rollup_month WHERE series_id = :s"), {"s": sid}
        ).scalar_one()
        hours = session.execute(
            text("SELECT count(*) FROM rollup_hour WHERE series_id = :s"), {"s": sid}
        ).scalar_one()
        assert (months, hours) == (3, 3)  # January's rollups stay
    archived = tmp_path / "observations_p202001.csv.gz"
    lines = gzip.decompress(archived.read_bytes()).decode().splitlines()
    assert lines[0] == "series_id,ts,value,quality"
    assert lines[1:] == [f"{sid},{_ts(2020, 1, 15, 3)},5,0"]


def test_ingestion_refuses_readings_older_than_retention(
    pg: Engine, factory: sessionmaker[Session], frozen_now: datetime
) -> None:
    from ioc.app import load_registry
    from ioc.core import audit
    from ioc.engines.ingestion.parse import RawRow
    from ioc.engines.ingestion.service import ingest
    from ioc.packs.environment import service as env_service

    with factory() as session, session.begin():
        env_service.upsert_station(
            session,
            audit.Actor.system("test"),
            code="PART-3",
            name="Trạm thử phân vùng",
            lat=12.68,
            lon=108.04,
            area_code="24121",
            agency_code=None,
        )
    rows = [
        {"indicator": "pm25", "entity": "PART-3", "time": "2025-11-30T23:00:00Z", "value": 20},
        {"indicator": "pm25", "entity": "PART-3", "time": "2025-12-01T00:00:00Z", "value": 21},
        {"indicator": "pm25", "entity": "PART-3", "time": "2026-03-10T10:00:00+07:00", "value": 22},
    ]
    partitions.configure(3)  # on 10 March 2026: readings from 1 December 2025
    try:
        with factory() as session, session.begin():
            report = ingest(
                session,
                [RawRow(i, r) for i, r in enumerate(rows, start=1)],
                registry=load_registry(),
                offset=OFFSET,
            )
    finally:
        partitions.configure(0)
    assert report.stored == 2
    assert [(e.row, e.field, e.code) for e in report.errors] == [
        (1, "time", "older_than_retention")
    ]
    assert "2025-12-01" in report.errors[0].message


def test_convert_and_undo_keep_every_row(pg: Engine, factory: sessionmaker[Session]) -> None:
    with factory() as session:
        sid = _series(session, "PART-4")
        rows = [(sid, _ts(2026, 11, d, 3), float(d), 0) for d in range(1, 29)]
        write_observations(session, rows, {sid: True}, OFFSET, notify=False)
        session.commit()

    def snapshot() -> list[tuple[object, ...]]:
        with pg.connect() as conn:
            return [
                tuple(r)
                for r in conn.execute(
                    text(
                        "SELECT 'o', ts, value FROM observations WHERE series_id = :s UNION ALL "
                        "SELECT 'h', bucket, total FROM rollup_hour WHERE series_id = :s UNION ALL "
                        "SELECT 'd', bucket, total FROM rollup_day WHERE series_id = :s "
                        "ORDER BY 1, 2"
                    ),
                    {"s": sid},
                )
            ]

    before = snapshot()
    assert len(before) == 28 * 3
    with pg.begin() as conn:
        assert partitions.unconvert(conn) == list(partitions.PARTITIONED)
        assert not partitions.is_partitioned(conn)
        assert partitions.unconvert(conn) == []  # nothing left to undo
    assert snapshot() == before
    with pg.begin() as conn:
        partitions.convert(conn, datetime(2026, 12, 5, tzinfo=UTC))
        assert partitions.is_partitioned(conn)
        assert partitions.convert(conn, datetime(2026, 12, 5, tzinfo=UTC)) == []
    assert snapshot() == before
    with factory() as session:
        assert _where(session, "observations", sid) == {"observations_p202611": 28}
