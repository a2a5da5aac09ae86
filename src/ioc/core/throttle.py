"""Sliding-window counters in the database, shared by every web process.

A limit is "at most ``limit`` events of ``bucket`` for one ``subject`` within ``window``" (Open311
POSTs per API key or per client address, failed logins per account or per address). Each event
is a :class:`~ioc.core.models.ThrottleHit` row; the subject is stored only as a hash (an API key
or a citizen's address never sits in the table). Rows older than :data:`KEEP` are purged as new
ones are written.
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ioc.core import clock
from ioc.core.models import ThrottleHit

KEEP = timedelta(days=1)  # longest window any limit may use


def subject_hash(bucket: str, subject: str) -> str:
    """The stored form of ``subject`` (SHA-256, hex)."""
    return hashlib.sha256(f"{bucket}:{subject}".encode()).hexdigest()


def count(
    session: Session, bucket: str, subject: str, since: datetime
) -> tuple[int, datetime | None]:
    """How many events of ``subject`` happened after ``since``, and the oldest of them."""
    found, oldest = session.execute(
        select(func.count(ThrottleHit.id), func.min(ThrottleHit.at)).where(
            ThrottleHit.bucket == bucket,
            ThrottleHit.subject == subject_hash(bucket, subject),
            ThrottleHit.at > since,
        )
    ).one()
    return int(found), oldest


def record(session: Session, bucket: str, subject: str, at: datetime | None = None) -> None:
    """Count one event of ``subject`` (in the caller's transaction), purging expired rows."""
    now = at or clock.now()
    session.execute(delete(ThrottleHit).where(ThrottleHit.at < now - KEEP))
    session.add(ThrottleHit(bucket=bucket, subject=subject_hash(bucket, subject), at=now))
    session.flush()


def forget(session: Session, bucket: str, subject: str) -> None:
    """Drop every counted event of ``subject`` (a successful login, an administrator's unlock)."""
    session.execute(
        delete(ThrottleHit).where(
            ThrottleHit.bucket == bucket, ThrottleHit.subject == subject_hash(bucket, subject)
        )
    )


def hit(
    session: Session,
    bucket: str,
    subject: str,
    *,
    limit: int,
    window: timedelta,
    at: datetime | None = None,
) -> int | None:
    """Count one request of ``subject`` unless it already made ``limit`` within ``window``:
    ``None`` when admitted, else the seconds to wait before the oldest counted one expires
    (for ``Retry-After``). ``limit`` 0 admits everything and counts nothing."""
    if limit <= 0:
        return None
    now = at or clock.now()
    found, oldest = count(session, bucket, subject, now - window)
    if found >= limit:
        wait = ((oldest or now) + window - now).total_seconds()
        return max(1, math.ceil(wait))
    record(session, bucket, subject, now)
    return None
