"""Who hears of a write to the series store (:mod:`ioc.core.series`).

Two kinds of listeners, so that the data path runs one way (ingestion → series store → derive
→ alerting → pages) and no writer has to remember the next step:

* listeners (``on_observations_written``) run inside the writer's transaction once rollups are
  current: a pack queues the derivations a batch needs there, durable exactly when the data is;
* commit listeners (``on_observations_committed``) run once that transaction has committed: the
  derive engine wakes its worker there. ``write_observations`` marks its session, and two
  SQLAlchemy session events, registered once for every session, turn the mark into one call
  after the outermost commit and drop it on a rollback (a commit that wrote observations always
  wakes, a rollback never does).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import structlog
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

if TYPE_CHECKING:
    from ioc.core.series import WriteResult

log = structlog.get_logger(__name__)

Listener = Callable[[Session, "WriteResult"], None]
CommitListener = Callable[[Session], None]
_listeners: list[Listener] = []
_commit_listeners: list[CommitListener] = []

# ``Session.info`` keys: the open transaction wrote observations; its outermost commit is done.
_WROTE = "ioc.series.wrote"
_COMMITTED = "ioc.series.committed"


def on_observations_written(listener: Listener) -> None:
    """Register a listener called inside the batch transaction after rollups are current."""
    if listener not in _listeners:
        _listeners.append(listener)


def on_observations_committed(listener: CommitListener) -> None:
    """Register a listener called once after each commit of a session whose transaction wrote
    observations (with ``notify``), never after a rollback. It runs inside the writer's
    ``Session.commit()`` once its connection is released: keep it short (wake a worker)."""
    if listener not in _commit_listeners:
        _commit_listeners.append(listener)


def observations_written(session: Session, result: WriteResult) -> None:
    """The store wrote a batch in ``session``'s transaction: call the listeners now and mark
    the session for the commit listeners (O(1))."""
    for listener in _listeners:
        listener(session, result)
    session.info[_WROTE] = True


@event.listens_for(Session, "after_commit")
def _note_commit(session: Session) -> None:
    # A savepoint's release fires this too; only the outermost commit makes the rows durable.
    if not session.in_nested_transaction() and session.info.pop(_WROTE, False):
        session.info[_COMMITTED] = True


@event.listens_for(Session, "after_transaction_end")
def _after_outermost_end(session: Session, transaction: SessionTransaction) -> None:
    """Call the commit listeners when the outermost transaction that wrote observations ended
    committed; forget the mark when it was rolled back or closed uncommitted."""
    if transaction.parent is not None:
        return
    info = session.info
    info.pop(_WROTE, None)
    if not info.pop(_COMMITTED, False):
        return
    for listener in _commit_listeners:
        try:
            listener(session)
        except Exception:  # the data is committed: a failed wake-up must not fail the write
            log.exception("series_commit_listener_failed")
