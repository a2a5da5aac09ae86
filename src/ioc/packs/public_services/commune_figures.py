"""QĐ 766 indices of the commune-level dossiers (those the commune/ward People's Committee
handles) for the commune scorecards (``/xa``): the score over 100 and indicator 2.1 (dossiers
finished on time), over the running month and the two before it, computed by the pack's own
:func:`ioc.packs.public_services.scores.scorecards`."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core.models import Agency
from ioc.core.registry import CommuneFigure

MONTHS = 3


def figures(session: Session, day: date) -> list[CommuneFigure]:
    """``ps.score`` and ``ps.on_time`` per commune; a commune whose committee has no dossier
    in the period has neither (missing, never 0)."""
    from ioc.packs.public_services import scores

    last = day.year * 100 + day.month
    first = last
    for _ in range(MONTHS - 1):
        first = first - 1 if first % 100 > 1 else (first // 100 - 1) * 100 + 12
    period = scores.Period("range", first, last)
    cards = scores.scorecards(session, scores.Scope(), period, ("agency_code",))
    if not cards:
        return []
    area_of = dict(
        session.execute(
            select(Agency.code, Agency.area_code).where(
                Agency.kind == "commune_committee", Agency.area_code.is_not(None)
            )
        ).all()
    )
    score: dict[str, float | None] = {}
    on_time: dict[str, float | None] = {}
    for (agency,), card in cards.items():
        area = area_of.get(agency)
        if area is None:
            continue
        s = card.score_100
        v = card.value("2.1")
        score[area] = float(s) if s is not None else None
        on_time[area] = float(v) if v is not None else None
    period_vi = f"{MONTHS} tháng gần nhất"
    period_en = f"last {MONTHS} months"
    href = "/public-services"
    return [
        CommuneFigure(
            "ps.score", "Điểm dịch vụ công (QĐ 766)", "Public-service score (QĐ 766)", "/100",
            "up", score, 1, period_vi, period_en, href,
        ),
        CommuneFigure(
            "ps.on_time", "Hồ sơ giải quyết đúng hạn", "Dossiers finished on time", "%", "up",
            on_time, 1, period_vi, period_en, href,
        ),
    ]  # fmt: skip
