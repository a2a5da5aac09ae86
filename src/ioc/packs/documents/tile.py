"""The documents pack's overview tile: on-time rate of the last 12 months, overdue documents
and tasks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ioc.core import clock, i18n
from ioc.core.registry import Tile
from ioc.engines.tiles import rate_tile
from ioc.packs.documents import tasks
from ioc.packs.documents.queries import Period, total_figures

__all__ = ["tile"]


def tile(session: Session, lang: str, now: datetime | None = None) -> Tile:
    """Overview tile: on-time rate of the last 12 months, overdue documents and tasks."""
    now = now or clock.now()
    today = now.astimezone(clock.local_zone()).date()
    figures = total_figures(session, Period.default(today), now)
    overdue_tasks = len(tasks.overdue_tasks(session, now))
    rate = figures.on_time_rate.value
    if figures.total == 0 and overdue_tasks == 0:
        status = "none"
    elif overdue_tasks == 0 and (rate is None or rate >= 90):
        status = "ok"
    elif overdue_tasks >= 5 or (rate is not None and rate < 70):
        status = "bad"
    else:
        status = "warn"
    return rate_tile(
        "documents",
        "doc",
        lang,
        rate,
        status=status,
        href="/documents",
        lines=(
            i18n.translate(
                "doc.tile.overdue_docs", lang, n=i18n.format_number(figures.overdue, lang)
            ),
            i18n.translate(
                "doc.tile.overdue_tasks", lang, n=i18n.format_number(overdue_tasks, lang)
            ),
        ),
    )
