"""The scheduler: one runner among workers (database lease), job runs recorded."""

from __future__ import annotations

import itertools
import threading
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ioc.engines.jobs.models import JobRun
from ioc.engines.jobs.scheduler import Job, Scheduler, acquire, holder_of, prune_runs, release

T0 = datetime(2026, 3, 10, 5, 0, tzinfo=UTC)


def test_lease_is_held_by_one_worker_until_it_expires(factory: sessionmaker[Session]) -> None:
    with factory() as s:
        assert acquire(s, "a", T0, 30)
        assert not acquire(s, "b", T0 + timedelta(seconds=10), 30)
        assert acquire(s, "a", T0 + timedelta(seconds=20), 30)  # renewal moves the expiry
        assert not acquire(s, "b", T0 + timedelta(seconds=45), 30)
        assert acquire(s, "b", T0 + timedelta(seconds=51), 30)  # a stopped renewing
        assert holder_of(s) == ("b", T0 + timedelta(seconds=81))
        assert not acquire(s, "a", T0 + timedelta(seconds=60), 30)


def test_release_hands_over_at_once(factory: sessionmaker[Session]) -> None:
    with factory() as s:
        assert acquire(s, "a", datetime.now(UTC), 300)
        release(s, "a")
        assert acquire(s, "b", datetime.now(UTC), 300)


def test_tick_runs_due_jobs_and_records_them(factory: sessionmaker[Session]) -> None:
    calls: list[str] = []

    def work(f: sessionmaker[Session], now: datetime) -> str | None:
        calls.append(now.isoformat())
        return "3 việc"

    def idle(f: sessionmaker[Session], now: datetime) -> str | None:
        return None

    def broken(f: sessionmaker[Session], now: datetime) -> str | None:
        raise RuntimeError("hỏng")

    sched = Scheduler(
        factory,
        [Job("work", 10, work), Job("idle", 10, idle), Job("broken", 10, broken)],
        holder="w1",
    )
    assert sched.tick(T0) == ["work", "idle", "broken"]
    assert sched.tick(T0 + timedelta(seconds=5)) == []  # not due yet
    assert sched.tick(T0 + timedelta(seconds=10)) == ["work", "idle", "broken"]
    assert len(calls) == 2
    with factory() as s:
        runs = list(s.execute(select(JobRun).order_by(JobRun.id)).scalars())
    assert [(r.job, r.status) for r in runs] == [
        ("work", "ok"),
        ("broken", "error"),
        ("work", "ok"),
        ("broken", "error"),
    ]  # idle runs are not recorded
    assert runs[0].detail == "3 việc" and runs[0].worker == "w1"
    assert runs[1].detail == "RuntimeError: hỏng"


def test_a_follower_runs_nothing_until_the_leader_stops(factory: sessionmaker[Session]) -> None:
    ran: list[str] = []

    def job(name: str) -> Job:
        return Job("evaluate", 1, lambda f, now: ran.append(name) or None)

    leader = Scheduler(factory, [job("a")], holder="a", lease_s=30)
    follower = Scheduler(factory, [job("b")], holder="b", lease_s=30)
    assert leader.tick(T0) == ["evaluate"]
    assert follower.tick(T0 + timedelta(seconds=1)) == []
    assert leader.tick(T0 + timedelta(seconds=2)) == ["evaluate"]
    # The leader dies without releasing: the follower takes over after the lease.
    assert follower.tick(T0 + timedelta(seconds=31)) == []
    assert follower.tick(T0 + timedelta(seconds=33)) == ["evaluate"]
    assert ran == ["a", "a", "b"]


def test_two_threaded_workers_never_both_evaluate(factory: sessionmaker[Session]) -> None:
    # Two real schedulers race for 2.5 s; each run notes who ran and when. Their runs must
    # never overlap in time, and exactly one of them ran everything.
    spans: list[tuple[str, float, float]] = []
    lock = threading.Lock()

    def make(name: str) -> Job:
        def run(f: sessionmaker[Session], now: datetime) -> str | None:
            start = time.monotonic()
            time.sleep(0.05)
            with lock:
                spans.append((name, start, time.monotonic()))
            return None

        return Job("alerting.evaluate", 0.1, run)

    workers = [
        Scheduler(factory, [make(name)], holder=name, lease_s=5, tick_s=0.02) for name in ("a", "b")
    ]
    for w in workers:
        w.start()
    time.sleep(2.5)
    for w in workers:
        w._stop.set()  # stop without releasing, like a crash
    for w in workers:
        assert w._thread is not None
        w._thread.join(timeout=10)
    assert len(spans) >= 10
    assert len({name for name, _, _ in spans}) == 1
    ordered = sorted(spans, key=lambda s: s[1])
    for (_, _, end), (_, start, _) in itertools.pairwise(ordered):
        assert start >= end


def test_prune_keeps_the_newest_runs(factory: sessionmaker[Session], monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from ioc.engines.jobs import scheduler

    monkeypatch.setattr(scheduler, "KEEP_RUNS_PER_JOB", 3)
    with factory() as s, s.begin():
        for i in range(5):
            s.add(
                JobRun(
                    job="x",
                    worker="w",
                    started_at=T0 + timedelta(minutes=i),
                    status="ok",
                    detail=str(i),
                )
            )
    assert prune_runs(factory, T0) == "2 lượt chạy cũ đã xóa"
    with factory() as s:
        assert [r.detail for r in s.execute(select(JobRun).order_by(JobRun.id)).scalars()] == [
            "2",
            "3",
            "4",
        ]
