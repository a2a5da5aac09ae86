"""The field-reports tile of the IOC overview: new reports today, overdue now, on-time rate.

Colour by the number of reports past the deadline of their current step: none is ``ok``,
1 to :data:`BAD_AT` − 1 is ``warn``, :data:`BAD_AT` or more is ``bad``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ioc.core import i18n
from ioc.core.registry import Tile, TileTrend
from ioc.packs.field_reports.stats import tile_figures

__all__ = ["BAD_AT", "HREF", "tile"]

BAD_AT = 5
HREF = "/field-reports/stats"


def tile(session: Session, lang: str, now: datetime | None = None) -> Tile:
    """The overview tile (``PackManifest.tile``)."""
    figures = tile_figures(session, now)
    if figures.overdue == 0:
        status = "ok"
    elif figures.overdue < BAD_AT:
        status = "warn"
    else:
        status = "bad"
    rate = figures.on_time.value
    rate_text = "—" if rate is None else f"{i18n.format_number(rate, lang, 0)} %"
    return Tile(
        pack="field_reports",
        title=i18n.translate("fr.title", lang),
        figure=i18n.format_number(figures.today, lang),
        caption=i18n.translate("frs.tile.today", lang),
        status=status,
        href=HREF,
        lines=(
            i18n.translate("frs.tile.overdue", lang, n=i18n.format_number(figures.overdue, lang)),
            i18n.translate(
                "frs.tile.on_time",
                lang,
                rate=rate_text,
                n=i18n.format_number(figures.on_time.total, lang),
            ),
        ),
        # New reports per day: today against yesterday, and the last two weeks.
        trend=TileTrend(
            values=tuple(float(n) for n in figures.daily),
            period="day",
            label=i18n.translate("trend.label.fr_new", lang),
        )
        if figures.daily
        else None,
    )
