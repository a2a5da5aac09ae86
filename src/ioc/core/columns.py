"""Column declarations the packs' tables share: an integer ``id`` key, a count that starts at 0,
a child row's key to its parent row, and the columns of one step of a record's timeline (a
field report's events, a submission's steps, an incident's handling steps)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ioc.core.models import UTCDateTime

__all__ = ["IdKey", "TimelineStep", "count_column", "parent_key"]


class IdKey:
    """Mixin of a table keyed by an integer ``id`` (its first column; the database numbers the
    rows)."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True, sort_order=-1)  # first, as usual


def count_column() -> Mapped[int]:
    """A count kept in the row, 0 until something is counted."""
    return mapped_column(Integer, default=0)


def parent_key(table: str) -> Mapped[int]:
    """The key of a child row to its parent row in ``table`` (by ``id``): indexed, and the
    child deleted with its parent."""
    return mapped_column(ForeignKey(f"{table}.id", ondelete="CASCADE"), index=True)


class TimelineStep(IdKey):
    """Mixin of a timeline step's table: its ``id``, when it happened (``at``) and who did it
    (``actor``, the audit actor's name). The table adds its parent key (:func:`parent_key`)
    and what the step was; ``at`` and ``actor`` come after its own columns in the declared
    order (the tables themselves are made by the migrations)."""

    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(200))
