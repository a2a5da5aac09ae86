"""The daily board job, the landing after login and the demo boards."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from ioc.core import auth, clock, i18n, registry
from ioc.core.models import Agency, Area, User
from ioc.packs.communes import service

DEMO_DAYS = 14


def snapshot_job(factory: sessionmaker[Session], now: datetime) -> str | None:
    """Job ``communes.snapshot``: compute and store today's board (replacing the one stored
    earlier today), drop boards past ``IOC_CB_KEEP_DAYS``."""
    reg = registry.active()
    if reg is None:
        return None
    with factory() as session, session.begin():
        board = service.snapshot(session, reg, now)
    return i18n.translate(
        "cb.job.summary",
        "vi",
        day=i18n.format_date(board.day, "vi"),
        n=len(board.lines),
        k=len(board.board_columns),
    )


def landing(session: Session, user: User) -> str | None:
    """Leaders land on the board; the staff of a commune/ward People's Committee on their
    commune's page; everyone else where the IOC sends them."""
    if user.role == auth.Role.LEADER:
        return "/xa"
    if user.role != auth.Role.AGENCY_STAFF or user.agency_id is None:
        return None
    agency = session.get(Agency, user.agency_id)
    if agency is None or agency.kind != "commune_committee" or not agency.area_code:
        return None
    current = (
        session.query(Area.id)
        .filter(Area.code == agency.area_code, Area.valid_to.is_(None))
        .first()
    )
    return f"/xa/{agency.area_code}" if current is not None else None


def load_demo(factory: sessionmaker[Session], *, end: datetime, **_: Any) -> str:
    """Boards of the last ``DEMO_DAYS`` days from the other packs' demo data, each computed as
    of its day's end (the air index is today's for every day: stations keep no daily AQI)."""
    reg = registry.active()
    if reg is None:
        return "no registry"
    last = service.today(end)
    zone = clock.local_zone()
    for back in range(DEMO_DAYS - 1, -1, -1):
        day = last - timedelta(days=back)
        # Each pack's figures are taken as of the end of ``day`` (never later than now).
        at = datetime.combine(day, time(23, 0), zone).astimezone(UTC)
        with factory() as session, session.begin():
            service.snapshot(session, reg, min(at, clock.now()))
    return f"{DEMO_DAYS} bảng điểm"
