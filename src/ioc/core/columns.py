"""Column declarations the packs' tables share: a child row's key to its parent row, and the
columns of one step of a record's timeline (a field report's events, a submission's steps, an
incident's handling steps)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ioc.core.models import UTCDateTime

__all__ = ["TimelineStep", "parent_key"]


def parent_key(table: str) -> Mapped[int]:
    """The key of a child row to its parent row in ``table`` (by ``id``): indexed, and the
    child deleted with its parent."""
    return mapped_column(ForeignKey(f"{table}.id", ondelete="CASCADE"), index=True)


class TimelineStep:
    """Mixin of a timeline step's table: its ``id``, when it happened (``at``) and who did it
    (``actor``, the audit actor's name). The table adds its parent key (:func:`parent_key`)
    and what the step was; ``at`` and ``actor`` come after its own columns in the declared
    order (the tables themselves are made by the migrations)."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True, sort_order=-1)  # first, as usual
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(200))
