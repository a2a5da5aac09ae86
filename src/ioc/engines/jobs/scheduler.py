"""The scheduler: periodic jobs (alert evaluation, notification delivery, pruning …) run by
exactly one worker at a time.

Election is a lease row in ``scheduler_leases`` taken by one compare-and-set UPDATE::

    UPDATE scheduler_leases SET holder = :me, expires_at = :until
     WHERE name = 'main' AND (holder = :me OR expires_at < :now)

On PostgreSQL a concurrent UPDATE of the same row waits for the first to commit and then
re-checks the WHERE clause against the new row, so only one worker wins; SQLite serialises
writers. The holder renews the lease every tick and checks it before each job; a worker that
stops (crash, deploy) loses it after ``lease_s`` and another takes over. Every run is recorded
in ``job_runs`` (shown at ``/admin/jobs``).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ioc.core import clock
from ioc.engines.jobs.models import JobRun, SchedulerLease

log = logging.getLogger(__name__)

LEASE: Final = "main"
KEEP_RUNS_PER_JOB: Final = 500

# A job gets the session factory and the time of the tick; it returns a one-line summary (or
# None when it had nothing to do) and manages its own transactions.
JobFn = Callable[[sessionmaker[Session], datetime], str | None]


@dataclass(frozen=True)
class Job:
    """A periodic job: its name, how often it runs, what it does."""

    name: str
    every_s: float
    run: JobFn
    record_idle: bool = False  # also record runs that did nothing


def worker_id() -> str:
    """A name for this process: host, pid and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def acquire(
    session: Session, holder: str, now: datetime, lease_s: float, name: str = LEASE
) -> bool:
    """Take or renew the lease ``name`` for ``holder``; True if ``holder`` holds it now.

    Commits: the lease must be visible to other workers at once.
    """
    until = now + timedelta(seconds=lease_s)
    result = session.execute(
        update(SchedulerLease)
        .where(
            SchedulerLease.name == name,
            (SchedulerLease.holder == holder) | (SchedulerLease.expires_at < now),
        )
        .values(holder=holder, expires_at=until)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:  # type: ignore[attr-defined]
        session.commit()
        return True
    session.rollback()
    exists = session.execute(select(func.count()).where(SchedulerLease.name == name)).scalar_one()
    if exists:
        return False
    try:
        session.add(SchedulerLease(name=name, holder=holder, expires_at=until, acquired_at=now))
        session.commit()
    except IntegrityError:  # another worker inserted it first
        session.rollback()
        return False
    return True


def release(session: Session, holder: str, name: str = LEASE) -> None:
    """Give the lease up at once (clean shutdown), so another worker need not wait."""
    session.execute(
        update(SchedulerLease)
        .where(SchedulerLease.name == name, SchedulerLease.holder == holder)
        .values(expires_at=clock.now() - timedelta(seconds=1))
    )
    session.commit()


def holder_of(session: Session, name: str = LEASE) -> tuple[str, datetime] | None:
    """Who holds the lease and until when (None if nobody ever took it)."""
    row = session.get(SchedulerLease, name)
    return None if row is None else (row.holder, row.expires_at)


class Scheduler:
    """Runs due jobs whenever this worker holds the lease; ``tick`` is one pass."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        jobs: list[Job],
        *,
        holder: str | None = None,
        lease_s: float = 30.0,
        tick_s: float = 1.0,
    ) -> None:
        self.factory = factory
        self.jobs = list(jobs)
        self.holder = holder or worker_id()
        self.lease_s = lease_s
        self.tick_s = tick_s
        self._next: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.leading = False

    def tick(self, now: datetime | None = None) -> list[str]:
        """Renew or take the lease, then run every due job; returns the names of jobs run."""
        now = now or clock.now()
        began = time.monotonic()
        with self.factory() as session:
            leading = acquire(session, self.holder, now, self.lease_s)
        if leading and not self.leading:
            log.info("scheduler: %s now runs the periodic jobs", self.holder)
            self._next.clear()  # run everything at once after taking over
        self.leading = leading
        if not leading:
            return []
        ran: list[str] = []
        stamp = now.timestamp()
        for job in self.jobs:
            if self._next.get(job.name, 0.0) > stamp:
                continue
            # The lease is re-checked before every job: a long job must not let a second
            # worker start while this one carries on.
            elapsed = timedelta(seconds=time.monotonic() - began)
            with self.factory() as session:
                if not acquire(session, self.holder, now + elapsed, self.lease_s):
                    self.leading = False
                    break
            self._next[job.name] = stamp + job.every_s
            self.run_job(job, now)
            ran.append(job.name)
        return ran

    def run_job(self, job: Job, now: datetime) -> None:
        """Run one job and record it (errors are recorded, never raised)."""
        started = time.perf_counter()
        status, detail = "ok", None
        try:
            detail = job.run(self.factory, now)
        except Exception as exc:
            log.exception("job %s failed", job.name)
            status, detail = "error", f"{type(exc).__name__}: {exc}"[:2000]
        if detail is None and status == "ok" and not job.record_idle:
            return
        with self.factory() as session, session.begin():
            session.add(
                JobRun(
                    job=job.name,
                    worker=self.holder,
                    started_at=now,
                    finished_at=clock.now(),
                    status=status,
                    detail=detail,
                    duration_ms=round((time.perf_counter() - started) * 1000),
                )
            )

    # Thread ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Run ``tick`` every ``tick_s`` in a daemon thread until :meth:`stop`."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, name="ioc-scheduler", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # a database hiccup must not end the loop
                log.exception("scheduler tick failed")
            self._stop.wait(self.tick_s)

    def stop(self) -> None:
        """Stop the thread and give the lease up."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        if self.leading:
            try:
                with self.factory() as session:
                    release(session, self.holder)
            except Exception:
                log.exception("scheduler: could not release the lease")
            self.leading = False


def prune_runs(factory: sessionmaker[Session], now: datetime) -> str | None:
    """Keep the newest ``KEEP_RUNS_PER_JOB`` runs of each job."""
    removed = 0
    with factory() as session, session.begin():
        for (job,) in session.execute(select(JobRun.job).distinct()).all():
            cutoff = session.execute(
                select(JobRun.id)
                .where(JobRun.job == job)
                .order_by(JobRun.id.desc())
                .offset(KEEP_RUNS_PER_JOB)
                .limit(1)
            ).scalar_one_or_none()
            if cutoff is not None:
                result = session.execute(
                    delete(JobRun).where(JobRun.job == job, JobRun.id <= cutoff)
                )
                removed += result.rowcount  # type: ignore[attr-defined]
    return f"{removed} lượt chạy cũ đã xóa" if removed else None
