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
from ioc.packs.warnings import service
from ioc.packs.warnings.models import WrWarning

DEMO_AREAS = ("24133", "24163", "24169", "24121")


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
            hazard="heat",
            severity="Moderate",
            urgency="Expected",
            certainty="Likely",
            headline_vi="Cảnh báo nắng nóng tại khu vực Buôn Ma Thuột",
            headline_en="Heat warning for the Buôn Ma Thuột area",
            description_vi=(
                "Nắng nóng diện rộng, nhiệt độ cao nhất 36–38 °C, độ ẩm thấp nhất 35–40 %, "
                "từ trưa đến chiều trong 3 ngày tới."
            ),
            description_en=(
                "Widespread heat, highs of 36–38 °C and humidity down to 35–40 % from noon to "
                "late afternoon over the next 3 days."
            ),
            instruction_vi=(
                "Hạn chế ra ngoài từ 11 giờ đến 16 giờ; uống đủ nước; chú ý người già, trẻ nhỏ; "
                "phòng chống cháy nổ, cháy rừng; tiết kiệm điện, nước."
            ),
            instruction_en=(
                "Avoid going out from 11:00 to 16:00; drink enough water; look after the elderly "
                "and small children; prevent fires; save power and water."
            ),
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
