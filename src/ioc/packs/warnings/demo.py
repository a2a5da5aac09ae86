"""Demo data of the public warnings pack: a heat warning in force for the communes around
Buôn Ma Thuột, drafted by the system and approved by the demo's administrator, so the
public page, the Atom feed and the CAP document have something to show. Idempotent."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ioc.core import clock
from ioc.core.audit import Actor
from ioc.core.communes import communes
from ioc.core.models import User
from ioc.engines.sector.demo import demo_data
from ioc.packs.warnings import service
from ioc.packs.warnings.models import WrWarning

# The warning's content and communes (``demo.yaml``).
_DATA: dict[str, Any] = demo_data("ioc.packs.warnings")
DEMO_AREAS: tuple[str, ...] = tuple(_DATA["areas"])


def _approver(session: Session) -> tuple[Actor, str] | None:
    """The person who approves the demo warning: the demo's administrator (``ioc demo``
    creates it first), else any operator or leader; ``None`` when there is nobody."""
    user = session.scalars(
        select(User)
        .where(User.role.in_(("admin", "operator", "leader")), User.is_active.is_(True))
        .order_by(User.id)
        .limit(1)
    ).first()
    return (Actor(user.id, user.username), user.role) if user is not None else None


def load_demo(
    factory: sessionmaker[Session],
    *,
    end: datetime | None = None,
    **_options: Any,
) -> int:
    """One approved heat warning in force from ``end`` − 3 h for 3 days; nothing when the pack
    already has messages. Returns the number of messages made."""
    now = clock.now()
    start = min(end or now, now) - timedelta(hours=3)
    with factory() as session, session.begin():
        if session.execute(select(func.count()).select_from(WrWarning)).scalar_one():
            return 0
        known = {c.code for c in communes(session)}
        areas = [a for a in DEMO_AREAS if a in known]
        if not areas:
            return 0
        approver = _approver(session)
        data = service.WarningInput(
            **_DATA["warning"],
            effective_at=start,
            expires_at=max(now, start) + timedelta(days=3),
            areas=areas,
        )
        # Drafted by the system (as an automatic draft would be), approved by a person: the
        # two-person rule holds. Without any user the draft waits for someone to approve it.
        warning = service.create_draft(session, Actor.system("demo"), data, now=start, role=None)
        if approver is not None:
            service.approve(
                session,
                approver[0],
                warning,
                now=start + timedelta(minutes=20),
                role=approver[1],
                public_url="",
            )
    return 1
