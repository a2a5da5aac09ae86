"""Derive engine: durable, merged, isolated derivation work after ingestion."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ioc.app import create_app
from ioc.core.db import make_sessionmaker
from ioc.core.models import Indicator, PendingDerivation
from ioc.core.series import SeriesResolver, write_observations
from ioc.engines.derive import (
    DeriveWorker,
    enqueue,
    follow_commits,
    register_handler,
    run_pending,
)
from ioc.settings import Settings


def pending(factory: sessionmaker[Session]) -> int:
    with factory() as s:
        return s.execute(select(func.count()).select_from(PendingDerivation)).scalar_one()


def test_spans_merge_and_rows_are_deleted(factory: sessionmaker[Session]) -> None:
    calls: list[tuple[str, int, int]] = []
    register_handler("test.merge", lambda s, key, lo, hi: calls.append((key, lo, hi)))
    with factory() as s, s.begin():
        enqueue(s, "test.merge", "A", 100, 200)
        enqueue(s, "test.merge", "A", 50, 150)
        enqueue(s, "test.merge", "B", 7, 7)
    assert pending(factory) == 3
    assert run_pending(factory) == 3
    assert sorted(calls) == [("A", 50, 200), ("B", 7, 7)]
    assert pending(factory) == 0


def test_failing_handler_keeps_its_work_and_others_go_on(factory: sessionmaker[Session]) -> None:
    done: list[str] = []

    def flaky(session: Session, key: str, lo: int, hi: int) -> None:
        if key == "broken":
            raise RuntimeError("station data unreadable")
        done.append(key)

    register_handler("test.flaky", flaky)
    with factory() as s, s.begin():
        enqueue(s, "test.flaky", "broken", 1, 2)
        enqueue(s, "test.flaky", "fine", 1, 2)
    run_pending(factory)
    assert done == ["fine"]
    with factory() as s:
        left = s.execute(select(PendingDerivation.key)).scalars().all()
    assert left == ["broken"]  # retried on the next round, nothing lost


def test_work_rolled_back_with_its_batch(factory: sessionmaker[Session]) -> None:
    with pytest.raises(RuntimeError), factory() as s, s.begin():
        enqueue(s, "test.merge", "X", 1, 1)
        raise RuntimeError("batch failed")
    assert pending(factory) == 0


def _rows(station: str) -> list[dict[str, Any]]:
    return [
        {
            "indicator": "pm25",
            "entity": station,
            "time": f"2026-03-10T{h:02d}:00:00+07:00",
            "value": 20,
        }
        for h in range(1, 5)
    ]


def test_background_worker_derives_after_the_response(
    settings: Settings, engine: Any, factory: sessionmaker[Session], station: str, ingest_token: str
) -> None:
    app = create_app(settings.model_copy(update={"derive_delay_ms": 50}), engine)
    with TestClient(app) as client:  # runs the lifespan: the derive thread is started
        r = client.post(
            "/api/v1/observations",
            json={"observations": _rows(station)},
            headers={"Authorization": f"Bearer {ingest_token}"},
        )
        assert r.status_code == 200
        deadline = time.monotonic() + 10
        items: list[Any] = []
        while time.monotonic() < deadline and len(items) < 3:
            items = client.get(
                f"/api/v1/environment/stations/{station}/aqi",
                params={"from": "2026-03-10", "to": "2026-03-10T06:00:00+07:00"},
            ).json()["items"]
            time.sleep(0.05)
    assert [i["aqi"] for i in items] == [40, 40, 40]  # 02:00, 03:00, 04:00
    assert pending(factory) == 0


class _CountingWorker(DeriveWorker):
    """A derive worker that counts its wake-ups."""

    wakes = 0

    def notify(self) -> None:
        self.wakes += 1
        super().notify()


def _write_pm25(session: Session, hour: int, *, notify: bool = True) -> None:
    indicator = session.execute(select(Indicator).where(Indicator.code == "pm25")).scalar_one()
    info = SeriesResolver(session).get(indicator, "entity", "DL-WAKE")
    row = (info.id, 1773100800 + hour * 3600, 20.0, 0)
    write_observations(session, [row], {}, 7 * 3600, notify=notify)


def test_the_store_wakes_derivation_after_a_commit_never_after_a_rollback(
    engine: Any, factory: sessionmaker[Session]
) -> None:
    own = make_sessionmaker(engine)
    follow_commits(own, inline=False)
    worker = _CountingWorker(own, delay_ms=10, idle_s=60)
    worker.start()
    try:
        with own() as s:
            _write_pm25(s, 1)
            s.rollback()  # nothing durable: no wake-up
            _write_pm25(s, 2)
            s.close()  # closed uncommitted: none either
            assert worker.wakes == 0
            _write_pm25(s, 3)
            s.commit()
            assert worker.wakes == 1
            s.commit()  # a commit that wrote nothing wakes no one
            with s.begin_nested():
                _write_pm25(s, 4)  # a savepoint's release is not the commit
            assert worker.wakes == 1
            s.commit()
            assert worker.wakes == 2
            with s.begin_nested():
                _write_pm25(s, 5)
            s.rollback()  # the savepoint was released, then its transaction rolled back
            assert worker.wakes == 2
        with own() as s, s.begin():
            _write_pm25(s, 6, notify=False)  # a handler's derived writes wake no one
        assert worker.wakes == 2
    finally:
        worker.stop()
    # Sessions of a factory nobody follows wake nothing (``ioc import`` derives at its end).
    with factory() as s, s.begin():
        _write_pm25(s, 7)
    assert worker.wakes == 2
