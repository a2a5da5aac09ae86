"""Durable queue of derivation work (see README.md for the life cycle)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from sqlalchemy import delete, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ioc.core import clock, metrics
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
        taken, finished = _run_round(factory, limit)
        done += finished
        metrics.derived(finished)
        if taken < limit or finished == 0:
            return done


# A key whose transaction finds SQLite's write lock held (an ingestion batch is writing) is
# tried again after these pauses; then it stays queued for the next round.
_BUSY_PAUSES_S = (0.05, 0.1, 0.2, 0.4, 0.8)


def _run_round(factory: sessionmaker[Session], limit: int) -> tuple[int, int]:
    """Read up to ``limit`` queued rows, merge them per key and derive each key in its own short
    transaction. Returns (rows read, rows done).

    One transaction per key (not one for the round) is what keeps VN_AQI current while data
    flows on SQLite: a busy database delays one key by a fraction of a second instead of
    discarding a whole round of work, and ingestion never waits behind a long derive.
    """
    with factory() as session:
        rows = session.execute(
            select(
                PendingDerivation.id,
                PendingDerivation.kind,
                PendingDerivation.key,
                PendingDerivation.lo,
                PendingDerivation.hi,
            )
            .order_by(PendingDerivation.id)
            .limit(limit)
        ).all()
        session.rollback()  # no read snapshot held while deriving
    merged: dict[tuple[str, str], Span] = {}
    for row_id, kind, key, lo, hi in rows:
        cur = merged.get((kind, key))
        merged[(kind, key)] = (
            Span((row_id,), lo, hi)
            if cur is None
            else Span((*cur.ids, row_id), min(cur.lo, lo), max(cur.hi, hi))
        )
    done = 0
    # Keys in a fixed order: with the per-key locks below, two runners never deadlock.
    for (kind, key), span in sorted(merged.items()):
        handler = _handlers.get(kind)
        if handler is None:
            log.warning("derive_no_handler", kind=kind, key=key)
            continue
        done += _derive_key(factory, handler, kind, key, span)
    return len(rows), done


def _derive_key(
    factory: sessionmaker[Session], handler: Handler, kind: str, key: str, span: Span
) -> int:
    """Derive one key over its span and delete its queue rows, in one transaction; returns the
    number of queue rows done (0 when left queued: busy database, or the handler failed)."""
    for attempt, pause in enumerate((*_BUSY_PAUSES_S, None)):
        with factory() as session:
            try:
                if session.get_bind().dialect.name == "postgresql":
                    # Another runner may hold rows of the same key: wait for it to commit so the
                    # two never write the same derived rows at once.
                    session.execute(
                        text("SELECT pg_advisory_xact_lock(:ns, hashtext(:k))"),
                        {"ns": _LOCK_NAMESPACE, "k": f"{kind}:{key}"},
                    )
                # Rows another runner finished meanwhile are gone: derive only if some remain.
                remaining = list(
                    session.execute(
                        select(PendingDerivation.id).where(PendingDerivation.id.in_(span.ids))
                    ).scalars()
                )
                if not remaining:
                    session.rollback()
                    return 0
                handler(session, key, span.lo, span.hi)
                session.execute(
                    delete(PendingDerivation).where(PendingDerivation.id.in_(remaining))
                )
                session.commit()
                return len(remaining)
            except OperationalError as exc:
                session.rollback()
                if "locked" not in str(exc) or pause is None:
                    if "locked" in str(exc):
                        log.info("derive_busy", kind=kind, key=key, attempts=attempt + 1)
                    else:
                        log.exception("derive_failed", kind=kind, key=key, lo=span.lo, hi=span.hi)
                    return 0
            except Exception:
                session.rollback()
                log.exception("derive_failed", kind=kind, key=key, lo=span.lo, hi=span.hi)
                return 0
        threading.Event().wait(pause)
    return 0


def has_pending(factory: sessionmaker[Session]) -> bool:
    """Whether any derivation work is queued."""
    with factory() as session:
        return session.execute(select(PendingDerivation.id).limit(1)).first() is not None


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
            left = False
            try:
                run_pending(self.factory)
                left = has_pending(self.factory)
            except Exception:
                log.exception("derive_round_failed")
            # Work left (a busy database): come back after the short delay, not the idle wait.
            self._wake.wait(self.delay if left else self.idle)
            self._wake.clear()
            # Gather the batches of a burst so each span is derived once, not once per batch.
            self._stop.wait(self.delay)
