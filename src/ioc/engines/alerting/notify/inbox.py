"""The in-app inbox: notifications addressed to a user, their role or their agency, each
person with their own read marks."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from ioc.core import clock
from ioc.engines.alerting.notify.models import InAppNotification, InAppReceipt


class Reader(Protocol):
    """Who reads: anything with ``id``, ``role`` and ``agency_id`` (a user row or info)."""

    @property
    def id(self) -> int: ...

    @property
    def role(self) -> str: ...

    @property
    def agency_id(self) -> int | None: ...


def _addressed(user: Reader):  # type: ignore[no-untyped-def]
    conditions = [InAppNotification.user_id == user.id, InAppNotification.role == user.role]
    if user.agency_id is not None:
        conditions.append(InAppNotification.agency_id == user.agency_id)
    return or_(*conditions)


def _read_by(user: Reader):  # type: ignore[no-untyped-def]
    return exists().where(
        InAppReceipt.notification_id == InAppNotification.id, InAppReceipt.user_id == user.id
    )


def unread(session: Session, user: Reader, limit: int = 50) -> list[InAppNotification]:
    """The user's unread notifications, newest first."""
    return list(
        session.execute(
            select(InAppNotification)
            .where(_addressed(user), ~_read_by(user))
            .order_by(InAppNotification.created_at.desc(), InAppNotification.id.desc())
            .limit(limit)
        ).scalars()
    )


def unread_count(session: Session, user: Reader) -> int:
    """How many notifications the user has not read."""
    return session.execute(
        select(func.count()).select_from(InAppNotification).where(_addressed(user), ~_read_by(user))
    ).scalar_one()


def mark_read(session: Session, user: Reader, notification_id: int | None = None) -> int:
    """Mark one notification (or, with ``None``, all of them) read for this user; returns how
    many were newly marked. Personal state, so not audited."""
    stmt = select(InAppNotification).where(_addressed(user), ~_read_by(user))
    if notification_id is not None:
        stmt = stmt.where(InAppNotification.id == notification_id)
    now = clock.now()
    count = 0
    for note in session.execute(stmt).scalars():
        session.add(InAppReceipt(notification_id=note.id, user_id=user.id, read_at=now))
        if note.read_at is None:
            note.read_at = now
        count += 1
    return count
