"""Field reports per commune for the commune scorecards (``/xa``): open and overdue now, the
on-time rate of the last 30 days and the satisfaction of the last 90 days (the statistics
page's own definitions, :mod:`ioc.packs.field_reports.stats`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.core import clock
from ioc.core.communes import communes
from ioc.core.registry import CommuneFigure


def _as_of(day: date) -> datetime:
    end = datetime.combine(day + timedelta(days=1), time(0), clock.local_zone()).astimezone(UTC)
    return min(clock.now(), end)


def figures(session: Session, day: date) -> list[CommuneFigure]:
    """``fr.open``, ``fr.overdue``, ``fr.on_time``, ``fr.satisfaction`` per commune. Without
    any report in the IOC every figure is missing; otherwise a commune without reports has 0
    open/overdue and no rate."""
    from ioc.packs.field_reports import deadlines, stats
    from ioc.packs.field_reports.models import Report

    if session.execute(select(Report.id).limit(1)).first() is None:
        return []
    now = _as_of(day)
    open_now: dict[str, float | None] = {}
    for area, n in session.execute(
        select(Report.area_code, func.count())
        .where(Report.closed.is_(False), Report.received_at <= now)
        .group_by(Report.area_code)
    ):
        open_now[area] = float(n)
    overdue: dict[str, float | None] = {}
    for item in deadlines.overdue(session, now):
        overdue[item.area_code] = (overdue.get(item.area_code) or 0.0) + 1
    local = now.astimezone(clock.local_zone()).date()
    month = stats.compute(
        session, stats.Period("custom", local - timedelta(days=29), local), now=now
    )
    quarter = stats.compute(
        session, stats.Period("custom", local - timedelta(days=89), local), now=now
    )
    on_time = {r.key: r.on_time_rate.value for r in month.by_area}
    satisfied = {r.key: r.satisfaction.value for r in quarter.by_area}
    codes = {c for (c,) in session.execute(select(Report.area_code).distinct())}
    every = [c.code for c in communes(session)]
    href = "/field-reports/stats?by=area"
    return [
        CommuneFigure(
            "fr.open", "Phản ánh đang xử lý", "Reports being handled", "phản ánh", "down",
            {c: open_now.get(c, 0.0) for c in every}, 0, "hiện tại", "now", href,
        ),
        CommuneFigure(
            "fr.overdue", "Phản ánh quá hạn", "Reports overdue", "phản ánh", "down",
            {c: overdue.get(c, 0.0) for c in every}, 0, "hiện tại", "now", href,
        ),
        CommuneFigure(
            "fr.on_time", "Phản ánh trả lời đúng hạn", "Reports answered on time", "%", "up",
            {c: on_time.get(c) for c in codes}, 1, "30 ngày qua", "last 30 days", href,
        ),
        CommuneFigure(
            "fr.satisfaction", "Người phản ánh hài lòng", "Reporters satisfied", "%", "up",
            {c: satisfied.get(c) for c in codes}, 1, "90 ngày qua", "last 90 days", href,
        ),
    ]  # fmt: skip
