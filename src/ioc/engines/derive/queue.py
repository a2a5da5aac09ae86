"""Durable queue of derivation work (see README.md for the life cycle)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from sqlalchemy import delete, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ioc.core import clock
from ioc.core.models import PendingDerivation

log = structlog.get_logger(__name__)

# First key of the PostgreSQL advisory locks taken per derivation key (series use 0x10C).
_LOCK_NAMESPACE = 0x10D

Handler = Callable[[Session, str, int, int], None]

_handlers: dict[str, Handler] = {}


def register_handler(kind: str, handler: Handler) -> None:
    """Register the function that performs ``kind`` work (a pack does this at start-up)."""
    _handlers[kind] = handler


def enqueue(session: Session, kind: str, key: str, lo: int, hi: int) -> None:
    """Queue work in the caller's transaction: recompute ``kind`` for ``key`` over ``[lo, hi]``."""
    session.add(PendingDerivation(kind=kind, key=key, lo=lo, hi=hi, created_at=clock.now()))


@dataclass(frozen=True)
class Span:
    """Merged work for one key: the queue rows it covers and the time span."""

    ids: tuple[int, ...]
    lo: int
    hi: int


def run_pending(factory: sessionmaker[Session], *, limit: int = 5000) -> int:
    """Do all queued work (in rounds of ``limit`` rows); returns the number of rows done."""
    done = 0
    while True:
        took = _run_round(factory, limit)
        done += took
        if took < limit:
            return done


def _run_round(factory: sessionmaker[Session], limit: int) -> int:
    with factory() as session:
        query = select(PendingDerivation).order_by(PendingDerivation.id).limit(limit)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = list(session.execute(query).scalars())
        if not rows:
            session.rollback()
            return 0
        merged: dict[tuple[str, str], Span] = {}
        for row in rows:
            cur = merged.get((row.kind, row.key))
            merged[(row.kind, row.key)] = (
                Span((row.id,), row.lo, row.hi)
                if cur is None
                else Span((*cur.ids, row.id), min(cur.lo, row.lo), max(cur.hi, row.hi))
            )
        postgres = session.get_bind().dialect.name == "postgresql"
        # Each key in its own savepoint: one failing handler must not block the others.
        # Keys in a fixed order: with the per-key locks below, two runners never deadlock.
        for (kind, key), span in sorted(merged.items()):
            handler = _handlers.get(kind)
            if handler is None:
                log.warning("derive_no_handler", kind=kind, key=key)
                continue
            if postgres:
                # Another runner may hold other queued rows of the same key (rows are claimed
                # with SKIP LOCKED): wait for it to commit so the two never write the same
                # derived rows at once; ours then recompute over its committed result.
                session.execute(
                    text("SELECT pg_advisory_xact_lock(:ns, hashtext(:k))"),
                    {"ns": _LOCK_NAMESPACE, "k": f"{kind}:{key}"},
                )
            try:
                with session.begin_nested():
                    handler(session, key, span.lo, span.hi)
                    session.execute(
                        delete(PendingDerivation).where(PendingDerivation.id.in_(span.ids))
                    )
            except OperationalError as exc:
                if "locked" not in str(exc):
                    raise
                # SQLite: an ingestion batch holds the write lock. Ingestion has priority (a
                # sender is waiting); the work stays queued and the next round takes it.
                log.info("derive_busy", kind=kind, key=key)
                session.rollback()
                return 0
            except Exception:
                log.exception("derive_failed", kind=kind, key=key, lo=span.lo, hi=span.hi)
        session.commit()
        return len(rows)


class DeriveWorker:
    """A background thread that drains the queue soon after new data arrives."""

    def __init__(
        self, factory: sessionmaker[Session], *, delay_ms: int = 500, idle_s: float = 30.0
    ) -> None:
        self.factory = factory
        self.delay = delay_ms / 1000
        self.idle = idle_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="ioc-derive", daemon=True)

    def start(self) -> None:
        """Start the thread (it also drains whatever a previous run left in the queue)."""
        self._thread.start()

    def notify(self) -> None:
        """New data was committed: drain the queue soon."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the current round and stop."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                run_pending(self.factory)
            except Exception:
                log.exception("derive_round_failed")
            self._wake.wait(self.idle)
            self._wake.clear()
            # Gather the batches of a burst so each span is derived once, not once per batch.
            self._stop.wait(self.delay)
