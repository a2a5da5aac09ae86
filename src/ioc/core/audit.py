"""Audit log: one row per change, written by the action that makes the change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from ioc.core import clock
from ioc.core.models import AuditLog


@dataclass(frozen=True)
class Actor:
    """Who is acting: a signed-in user, a token's owner, or the system (CLI, jobs)."""

    user_id: int | None
    label: str

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        """An actor for CLI commands and scheduled jobs."""
        return cls(None, label)


def record(
    session: Session,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: str | int | None,
    **detail: Any,
) -> None:
    """Add an audit row in the caller's transaction (never commits on its own)."""
    session.add(
        AuditLog(
            at=clock.now(),
            actor_user_id=actor.user_id,
            actor=actor.label,
            action=action,
            object_type=object_type,
            object_id=None if object_id is None else str(object_id),
            detail=detail,
        )
    )


class Edited(Protocol):
    """A row that keeps who changed it last and when."""

    id: int
    updated_at: datetime
    updated_by: str


def record_edit(
    session: Session,
    actor: Actor,
    row: Edited,
    action: str,
    object_type: str,
    object_id: str | int | None = None,
    **detail: Any,
) -> None:
    """Stamp ``row`` as changed now by ``actor``, flush (so a new row has its id) and audit the
    change on ``object_id`` (by default the row's id)."""
    row.updated_at = clock.now()
    row.updated_by = actor.label
    session.flush()
    target = row.id if object_id is None else object_id
    record(session, actor, action, object_type, target, **detail)
