"""Durable queue of derivation work (see README.md for the life cycle)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import structlog
from sqlalchemy import insert, select, text
from sqlalchemy.engine import Connection, CursorResult
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ioc.core import clock, metrics
from ioc.core.models import PendingDerivation
from ioc.core.series import WriteResult
from ioc.core.series_events import on_observations_committed

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


# The entity series of some indicators among some series ids (``enqueue_touched``).
_TOUCHED_ENTITY_SERIES = (
    "SELECT s.id, s.subject_code FROM series s JOIN indicators i ON i.id = s.indicator_id "
    "WHERE s.id {ids} AND s.subject_kind = 'entity' AND i.code {codes}"
)
_TOUCHED_ENTITY_SERIES_SQLITE = _TOUCHED_ENTITY_SERIES.format(
    ids="IN (SELECT value FROM json_each(?))", codes="IN (SELECT value FROM json_each(?))"
)
_TOUCHED_ENTITY_SERIES_PG = _TOUCHED_ENTITY_SERIES.format(
    ids="= ANY(CAST(%s AS int[]))", codes="= ANY(CAST(%s AS text[]))"
)


def enqueue_touched(
    session: Session, result: WriteResult, kind: str, indicator_codes: Collection[str]
) -> None:
    """Queue ``kind`` work for each entity whose series of ``indicator_codes`` a batch touched,
    keyed by the entity's code, over the time span of its touched series (a pack's listener on
    the series store calls this)."""
    if not result.touched:
        return
    # The driver's own SQL with the ids as one parameter: SQLAlchemy's expanding IN of a few
    # hundred ids (an NGSI-LD batch touches one series per reading) cost more than the query.
    conn = session.connection()
    ids, codes = list(result.touched), list(indicator_codes)
    if conn.dialect.name == "postgresql":
        rows = conn.exec_driver_sql(_TOUCHED_ENTITY_SERIES_PG, (ids, codes)).all()
    else:
        rows = conn.exec_driver_sql(
            _TOUCHED_ENTITY_SERIES_SQLITE,
            (orjson.dumps(ids).decode(), orjson.dumps(codes).decode()),
        ).all()
    spans: dict[str, tuple[int, int]] = {}
    for sid, code in rows:
        lo, hi = result.touched[sid]
        cur = spans.get(code)
        spans[code] = (lo, hi) if cur is None else (min(cur[0], lo), max(cur[1], hi))
    if spans:
        # One executemany for the batch's keys (one INSERT per key cost ~8 ms a 100-station batch).
        now = clock.now()
        session.execute(
            insert(PendingDerivation),
            [
                {"kind": kind, "key": code, "lo": lo, "hi": hi, "created_at": now}
                for code, (lo, hi) in spans.items()
            ],
        )


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


# The driver's own SQL (``{ids}`` becomes one placeholder per id: ``?`` for SQLite, ``%s`` for
# psycopg): one key is derived per transaction, and SQLAlchemy's handling of an expanding
# ``IN`` cost twice the statement itself, paid twice per station per round.
_REMAINING = "SELECT id FROM pending_derivations WHERE id IN ({ids})"
_DONE = "DELETE FROM pending_derivations WHERE id IN ({ids})"


def _in_list(conn: Connection, statement: str, ids: Sequence[int]) -> CursorResult[Any]:
    """Run ``statement`` with its ``IN`` list bound to ``ids`` (not empty)."""
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    return conn.exec_driver_sql(statement.format(ids=", ".join([mark] * len(ids))), tuple(ids))


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
                conn = session.connection()
                remaining = list(_in_list(conn, _REMAINING, span.ids).scalars())
                if not remaining:
                    session.rollback()
                    return 0
                handler(session, key, span.lo, span.hi)
                _in_list(conn, _DONE, remaining)
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


# ``Session.info`` key (set on a session factory): whom that factory's commits wake.
_WAKE = "ioc.derive.wake"


@dataclass
class _Wake:
    """Who derives after a commit of one session factory's sessions."""

    factory: sessionmaker[Session]
    inline: bool = False
    worker: DeriveWorker | None = None

    def __call__(self) -> None:
        if self.worker is not None:
            self.worker.notify()
        elif self.inline:
            run_pending(self.factory)


def _wake_of(factory: sessionmaker[Session]) -> _Wake:
    """The factory's wake-up (its sessions carry it in ``info``), made on first use."""
    info: dict[str, object] = factory.kw.setdefault("info", {})
    wake = info.get(_WAKE)
    if not isinstance(wake, _Wake):
        wake = info[_WAKE] = _Wake(factory)
    return wake


def follow_commits(factory: sessionmaker[Session], *, inline: bool) -> None:
    """Derive after every commit of ``factory``'s sessions that wrote observations: the
    factory's running :class:`DeriveWorker` is woken or, while none runs and ``inline`` is
    true (embedded use, the test client), the queue is drained at once so the index is
    current when the writer reads it back. Without either, a separate ``ioc derive`` polls.
    Call before the factory's first session."""
    _wake_of(factory).inline = inline


def _wake_after_commit(session: Session) -> None:
    """The series store's commit listener: wake whoever derives for this session's factory."""
    wake = session.info.get(_WAKE)
    if isinstance(wake, _Wake):
        wake()


on_observations_committed(_wake_after_commit)


def has_pending(factory: sessionmaker[Session]) -> bool:
    """Whether any derivation work is queued."""
    with factory() as session:
        return session.execute(select(PendingDerivation.id).limit(1)).first() is not None


# How the worker spaces its rounds. Work committed while a round runs waits for the next one,
# which starts at least ``spacing`` after the previous one started: twice that round's CPU
# time, at least _SPACING_MIN_S and at most the worker's ``delay``. So deriving never takes
# much more than a third of the process's CPU however fast data comes (web requests share the
# interpreter lock with this thread), and a busy stream's spans of one key are merged; but a
# round that ran long (much work, or slowed down by busy web threads) has already gathered
# what came meanwhile, so the next one starts at once, and the last batch of a stream is
# derived within tens of milliseconds instead of after the full delay. CPU time, not wall time,
# sets the spacing: a round slowed down by web threads should not make the next wait longer.
# After a wake-up the worker always waits _GATHER_S, so commits close together (a burst of
# small upserts) make one round.
_SPACING_FACTOR = 2.0
_SPACING_MIN_S = 0.1
_GATHER_S = 0.01


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
        """Start the thread (it also drains whatever a previous run left in the queue); from
        now on every commit of the factory's sessions that wrote observations wakes it."""
        _wake_of(self.factory).worker = self
        self._thread.start()

    def notify(self) -> None:
        """New data was committed: drain the queue soon."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the current round and stop."""
        wake = _wake_of(self.factory)
        if wake.worker is self:
            wake.worker = None
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def spacing_s(self, round_cpu_s: float) -> float:
        """The least time between the starts of two rounds, after one that took
        ``round_cpu_s`` seconds of CPU."""
        return min(self.delay, max(_SPACING_MIN_S, _SPACING_FACTOR * round_cpu_s))

    def _loop(self) -> None:
        while not self._stop.is_set():
            left = False
            started, started_cpu = time.monotonic(), time.thread_time()
            try:
                run_pending(self.factory)
                left = has_pending(self.factory)
            except Exception:
                log.exception("derive_round_failed")
            next_start = started + self.spacing_s(time.thread_time() - started_cpu)
            # Work left (a busy database): come back after the short delay, not the idle wait.
            self._wake.wait(self.delay if left else self.idle)
            self._wake.clear()
            # Gather the batches of a burst so each span is derived once, not once per batch.
            self._stop.wait(max(_GATHER_S, next_start - time.monotonic()))
