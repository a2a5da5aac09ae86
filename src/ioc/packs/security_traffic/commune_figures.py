"""Incidents per commune for the commune scorecards (``/xa``): traffic accidents and
public-order incidents of the last 30 days (camera-counted violations are left out: they
count cameras as much as behaviour)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.core import clock
from ioc.core.communes import communes
from ioc.core.registry import CommuneFigure

DAYS = 30


def figures(session: Session, day: date) -> list[CommuneFigure]:
    """``st.incidents`` and ``st.accidents`` per commune (0 where none happened); nothing
    when the IOC holds no incident at all."""
    from ioc.packs.security_traffic.models import StIncident

    if session.execute(select(StIncident.id).limit(1)).first() is None:
        return []
    end = datetime.combine(day + timedelta(days=1), time(0), clock.local_zone()).astimezone(UTC)
    stop = min(clock.now(), end)
    start = stop - timedelta(days=DAYS)
    every = {c.code: 0.0 for c in communes(session)}
    incidents: dict[str, float | None] = dict(every)
    accidents: dict[str, float | None] = dict(every)
    rows = session.execute(
        select(StIncident.area_code, StIncident.kind, func.count())
        .where(
            StIncident.kind.in_(("accident", "public_order")),
            StIncident.occurred_at >= start,
            StIncident.occurred_at < stop,
            StIncident.area_code.is_not(None),
        )
        .group_by(StIncident.area_code, StIncident.kind)
    )
    for area, kind, n in rows:
        if area is None:
            continue
        incidents[area] = (incidents.get(area) or 0.0) + n
        if kind == "accident":
            accidents[area] = (accidents.get(area) or 0.0) + n
    href = "/traffic?days=30&area={code}"
    return [
        CommuneFigure(
            "st.incidents", "Vụ việc ANTT và tai nạn giao thông",
            "Public-order incidents and accidents", "vụ", "down", incidents, 0,
            f"{DAYS} ngày qua", f"last {DAYS} days", href,
        ),
        CommuneFigure(
            "st.accidents", "Tai nạn giao thông", "Traffic accidents", "vụ", "down", accidents, 0,
            f"{DAYS} ngày qua", f"last {DAYS} days", href,
        ),
    ]  # fmt: skip
