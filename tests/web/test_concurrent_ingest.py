"""Concurrent batches never answer 500: a new series created by several batches at once, and
rollups of one series rebuilt by several batches at once (on SQLite and PostgreSQL alike).

Every batch must be acknowledged (200), every row stored once, and the rollups must equal a
naive recompute from the stored observations.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ioc.core.models import Indicator, Observation, RollupDay, RollupHour, RollupMonth, Series
from ioc.core.series import hour_bucket

WORKERS = 4


def _run_concurrently(client: TestClient, headers: dict[str, str], bodies: list[Any]) -> list[int]:
    """POST each body from its own thread, all released at once; the status codes in order."""
    start = threading.Barrier(len(bodies))
    statuses: list[int] = [0] * len(bodies)

    def send(i: int) -> None:
        start.wait()
        r = client.post("/api/v1/observations", json=bodies[i], headers=headers)
        statuses[i] = r.status_code

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return statuses


def _rows(entity: str, day: datetime, hours: int, step_min: int) -> list[dict[str, Any]]:
    return [
        {
            "indicator": indicator,
            "entity": entity,
            "time": (day + timedelta(minutes=m)).isoformat(),
            "value": round(10 + (m % 97) * 0.5, 2),
        }
        for m in range(0, hours * 60, step_min)
        for indicator in ("pm25", "pm10")
    ]


def test_new_series_created_by_concurrent_batches(
    client: TestClient, ingest_token: str, factory: sessionmaker[Session]
) -> None:
    from ioc.core import audit
    from ioc.packs.environment import service

    headers = {"Authorization": f"Bearer {ingest_token}"}
    base = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
    sent = 0
    for round_no in range(5):
        # A station with no series yet: every batch of the round creates its two series.
        code = f"DL-CC-{round_no}"
        with factory() as s, s.begin():
            service.upsert_station(
                s,
                audit.Actor.system("test"),
                code=code,
                name=code,
                lat=12.67,
                lon=108.04,
                area_code="24133",
                agency_code="so-nong-nghiep-moi-truong",
            )
        bodies = []
        for worker in range(WORKERS):
            rows = _rows(code, base + timedelta(days=worker), hours=2, step_min=10)
            bodies.append({"observations": rows})
            sent += len(rows)
        statuses = _run_concurrently(client, headers, bodies)
        assert statuses == [200] * WORKERS, statuses
        with factory() as s:
            sent_series = (
                select(func.count())
                .select_from(Series)
                .join(Indicator, Indicator.id == Series.indicator_id)
                .where(Series.subject_code == code, Indicator.code.in_(("pm25", "pm10")))
            )
            assert s.execute(sent_series).scalar_one() == 2
            observed = (
                select(func.count())
                .select_from(Observation)
                .join(Series, Series.id == Observation.series_id)
                .join(Indicator, Indicator.id == Series.indicator_id)
                .where(Indicator.code.in_(("pm25", "pm10")))
            )
            assert s.execute(observed).scalar_one() == sent


def test_rollups_of_one_series_under_concurrent_batches(
    client: TestClient, ingest_token: str, station: str, factory: sessionmaker[Session]
) -> None:
    headers = {"Authorization": f"Bearer {ingest_token}"}
    base = datetime(2026, 4, 1, 0, 0, tzinfo=UTC)
    sent = 0
    for round_no in range(4):
        bodies = []
        for worker in range(WORKERS):
            # One day each, all in the same month: the month bucket is shared by every batch.
            day = base + timedelta(days=round_no * WORKERS + worker)
            rows = _rows(station, day, hours=24, step_min=30)
            bodies.append({"observations": rows})
            sent += len(rows)
        statuses = _run_concurrently(client, headers, bodies)
        assert statuses == [200] * WORKERS, statuses
    with factory() as s:
        sent_ids = set(
            s.execute(
                select(Series.id)
                .join(Indicator, Indicator.id == Series.indicator_id)
                .where(Indicator.code.in_(("pm25", "pm10")))
            ).scalars()
        )
        hours: dict[tuple[int, int], list[float]] = defaultdict(list)
        for sid, ts, value in s.execute(
            select(Observation.series_id, Observation.ts, Observation.value).where(
                Observation.series_id.in_(sent_ids)
            )
        ):
            # pm25 and pm10 are stamped at the end of their hour (QĐ 1459).
            hours[(sid, hour_bucket(ts, label_end=True))].append(value)
        assert sum(len(v) for v in hours.values()) == sent
        stored = {
            (r.series_id, r.bucket): (r.n, r.total)
            for r in s.execute(
                select(RollupHour).where(RollupHour.series_id.in_(sent_ids))
            ).scalars()
        }
        assert len(stored) == len(hours)
        for key, values in hours.items():
            n, total = stored[key]
            assert n == len(values) and abs(total - sum(values)) < 1e-6, key
        day_n = s.execute(
            select(func.sum(RollupDay.n)).where(RollupDay.series_id.in_(sent_ids))
        ).scalar_one()
        month_n = s.execute(
            select(func.sum(RollupMonth.n)).where(RollupMonth.series_id.in_(sent_ids))
        ).scalar_one()
        assert day_n == month_n == sent
