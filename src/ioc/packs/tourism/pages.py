"""Pages of the tourism pack: province overview, commune drill-down, and XLSX/CSV export of
every table (the routes of :func:`ioc.engines.sector.routes.sector_router`), and the overview
tile with the domestic visitors' trend."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ioc.core import clock, i18n
from ioc.core import communes as geo
from ioc.core.auth import Permission
from ioc.core.registry import Tile, TileTrend
from ioc.engines.sector.routes import Web, sector_router
from ioc.packs.tourism import plan, queries
from ioc.packs.tourism.places import SECTOR, places
from ioc.web.deps import get_db, request_language, require
from ioc.web.templating import render

WEB = Web(render, get_db, require(Permission.VIEW, page=True), request_language)
router = sector_router(SECTOR, queries.FIGURES, WEB)


def overview_tile(session: Session, lang: str) -> Tile:
    """Overview tile: visitor arrivals of the last complete month."""
    t = i18n.translate
    now = clock.now()
    official = plan.figures(plan.rows(session, geo.PROVINCE, now), lang)
    data = queries.overview(session, int(now.timestamp()), lang, official=official)
    kpis = {k.label: k for k in data.kpis}
    domestic = kpis.get(t("tr.kpi.domestic", lang))
    international = kpis.get(t("tr.kpi.international", lang))
    occupancy = kpis.get(t("tr.kpi.occupancy", lang))
    return Tile(
        pack="tourism",
        title=t("tr.title", lang),
        figure=domestic.value if domestic else "—",
        caption=t("tr.tile.caption", lang, month=domestic.note if domestic else ""),
        status="ok" if places(session) else "none",
        href=SECTOR.url,
        lines=tuple(
            f"{k.label}: {k.value}{(' ' + i18n.unit_label(k.unit, lang)) if k.unit else ''}"
            for k in (international, occupancy)
            if k is not None
        ),
        trend=_domestic_trend(data.charts, lang),
    )


def _domestic_trend(charts: dict[str, Any], lang: str) -> TileTrend | None:
    """Domestic visitors of each month shown on the page (the tile's figure is the last)."""
    series = (charts.get("arrivals") or {}).get("series") or []
    values = tuple(series[0].get("data") or ()) if series else ()
    if sum(v is not None for v in values) < 2:
        return None
    return TileTrend(
        values=tuple(None if v is None else float(v) for v in values),
        period="month",
        better="up",
        label=i18n.translate("trend.label.tr_domestic", lang),
    )
