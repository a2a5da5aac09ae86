"""Monthly figures submitted on time per commune, from the submissions engine
(:mod:`ioc.engines.submissions`): of the last six closed months whose deadline has passed, the
share a commune/ward People's Committee had accepted by the deadline. While nobody has sent
a single file in those months the engine is not in use, and the figure is missing rather than
0 % everywhere."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session

from ioc.core import clock, registry
from ioc.core.calendar import load_calendar
from ioc.core.registry import CommuneFigure
from ioc.engines.submissions import catalog_from_registry
from ioc.engines.submissions.board import board
from ioc.engines.submissions.catalog import AreaBook
from ioc.engines.submissions.periods import last_closed
from ioc.packs.communes.config import deadline_days

MONTHS = 6


def figures(session: Session, day: date) -> list[CommuneFigure]:
    """``sub.on_time`` per commune that owed monthly figures (others: missing)."""
    reg = registry.active()
    if reg is None:
        return []
    catalog = catalog_from_registry(reg)
    if not catalog:
        return []
    end = datetime.combine(day + timedelta(days=1), time(0), clock.local_zone()).astimezone(UTC)
    now = min(clock.now(), end)
    calendar = load_calendar(session)
    book = AreaBook.load(session)
    owed: dict[str, int] = {}
    kept: dict[str, int] = {}
    any_file = False
    period = last_closed("P1M", now)
    for _ in range(MONTHS):
        for row in board(
            session, catalog, period, now, calendar=calendar,
            deadline_days=deadline_days(), book=book,
        ):  # fmt: skip
            agency = row.obligation.agency
            any_file = any_file or row.latest is not None
            if agency.kind != "commune_committee" or not agency.area_code:
                continue
            if row.status in ("pending", "waiting"):
                continue  # deadline not passed yet, or waiting for the sender
            owed[agency.area_code] = owed.get(agency.area_code, 0) + 1
            if row.status == "submitted":
                kept[agency.area_code] = kept.get(agency.area_code, 0) + 1
        period = period.previous()
    if not owed or not any_file:
        return []  # the province does not collect monthly figures through the IOC (yet)
    values: dict[str, float | None] = {
        a: round(100.0 * kept.get(a, 0) / n, 1) for a, n in owed.items()
    }
    return [
        CommuneFigure(
            "sub.on_time", "Nộp số liệu tháng đúng hạn", "Monthly figures submitted on time",
            "%", "up", values, 1, f"{MONTHS} tháng gần nhất", f"last {MONTHS} months",
            "/submissions",
        )
    ]  # fmt: skip
