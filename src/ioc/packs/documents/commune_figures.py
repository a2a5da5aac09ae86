"""Directive tasks of the commune/ward People's Committees for the commune scorecards
(``/xa``): tasks overdue now and the share of tasks done by their deadline over the last
365 days (the states of :func:`ioc.packs.documents.tasks.task_rows`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import clock
from ioc.core.models import Agency
from ioc.core.registry import CommuneFigure


def figures(session: Session, day: date) -> list[CommuneFigure]:
    """``doc.tasks_overdue`` and ``doc.tasks_on_time`` per commune. A commune whose committee
    was given no task has neither figure (missing)."""
    from ioc.packs.documents import tasks

    end = datetime.combine(day + timedelta(days=1), time(0), clock.local_zone()).astimezone(UTC)
    now = min(clock.now(), end)
    area_of: dict[str, str] = {
        code: area
        for code, area in session.execute(
            select(Agency.code, Agency.area_code).where(Agency.kind == "commune_committee")
        )
        if area
    }
    rows = [r for r in tasks.task_rows(session, now) if r.agency_code in area_of]
    if not rows:
        return []
    since = now - timedelta(days=365)
    overdue: dict[str, float | None] = {}
    done: dict[str, int] = {}
    in_time: dict[str, int] = {}
    for r in rows:
        area = area_of[r.agency_code]
        overdue.setdefault(area, 0.0)
        if r.state == "overdue":
            overdue[area] = (overdue[area] or 0.0) + 1
        if r.state in ("done", "done_late") and r.done_at is not None and r.done_at >= since:
            done[area] = done.get(area, 0) + 1
            in_time[area] = in_time.get(area, 0) + (1 if r.state == "done" else 0)
    on_time: dict[str, float | None] = {
        a: round(100.0 * in_time.get(a, 0) / n, 1) for a, n in done.items()
    }
    href = "/documents/tasks"
    return [
        CommuneFigure(
            "doc.tasks_overdue", "Nhiệm vụ được giao quá hạn", "Assigned tasks overdue",
            "nhiệm vụ", "down", overdue, 0, "hiện tại", "now", href,
        ),
        CommuneFigure(
            "doc.tasks_on_time", "Nhiệm vụ hoàn thành đúng hạn", "Tasks done on time", "%",
            "up", on_time, 1, "12 tháng qua", "last 12 months", href,
        ),
    ]  # fmt: skip
