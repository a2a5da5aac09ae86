"""The public-services tile of the IOC overview: on-time rate this month, overdue dossiers.

Colour: ``bad`` when the on-time rate of the month is below :data:`BAD_BELOW` % or more than
:data:`BAD_OVERDUE` dossiers are overdue; ``warn`` below :data:`WARN_BELOW` % or with any
overdue dossier; ``ok`` otherwise; ``none`` without any dossier.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.core import clock, i18n
from ioc.core.registry import Tile
from ioc.engines.tiles import rate_tile
from ioc.packs.public_services import scores
from ioc.packs.public_services.early_warning import overdue_condition
from ioc.packs.public_services.models import PsDossier

__all__ = ["BAD_BELOW", "BAD_OVERDUE", "HREF", "WARN_BELOW", "tile"]

HREF = "/public-services"
WARN_BELOW = Decimal(95)
BAD_BELOW = Decimal(85)
BAD_OVERDUE = 50


def tile(session: Session, lang: str, now: datetime | None = None) -> Tile:
    """The overview tile (``PackManifest.tile``)."""
    now = now or clock.now()
    month = scores.current_month(now)
    period = scores.Period("month", month, month)
    card = scores.scorecard_for(session, scores.Scope(), period, now)
    rate = card.value("2.1")
    overdue = int(
        session.execute(
            select(func.count()).select_from(PsDossier).where(*overdue_condition(now))
        ).scalar_one()
    )
    if rate is None and not overdue and not card.counters.received:
        status = "none"
    elif (rate is not None and rate < BAD_BELOW) or overdue > BAD_OVERDUE:
        status = "bad"
    elif (rate is not None and rate < WARN_BELOW) or overdue:
        status = "warn"
    else:
        status = "ok"
    score = card.score_100
    return rate_tile(
        "public_services",
        "ps",
        lang,
        rate,
        status=status,
        href=HREF,
        lines=(
            i18n.translate("ps.tile.overdue", lang, n=i18n.format_number(overdue, lang)),
            i18n.translate(
                "ps.tile.score",
                lang,
                score="—" if score is None else i18n.format_number(float(score), lang, 1),
            ),
        ),
    )
