"""Pages of the education pack: province overview, commune drill-down, and XLSX/CSV export of
every table (the routes of :func:`ioc.engines.sector.routes.sector_router`), and the overview
tile."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ioc.core import i18n
from ioc.core.auth import Permission
from ioc.core.models import Area
from ioc.core.registry import Tile
from ioc.engines.sector.overview import Overview
from ioc.engines.sector.routes import Web, sector_router
from ioc.packs.education import queries
from ioc.packs.education.schools import SECTOR, schools
from ioc.web.deps import get_db, request_language, require
from ioc.web.templating import render


def _shown(data: Overview, area: Area | None) -> list[dict[str, Any]]:
    """The province map shows upper-secondary schools (the others are in the table and on each
    commune's page, where every school is drawn)."""
    return [m for m in data.entity_markers if area is not None or m["kind"] in queries.UPPER]


WEB = Web(render, get_db, require(Permission.VIEW, page=True), request_language)
router = sector_router(SECTOR, queries.FIGURES, WEB, shown=_shown)


def overview_tile(session: Session, lang: str) -> Tile:
    """Overview tile: pupils and pupils per teacher."""
    t = i18n.translate
    items = schools(session)
    pupils = sum(s.pupils for s in items)
    teachers = sum(s.teachers for s in items)
    ratio = i18n.format_number(queries.ratio(pupils, teachers), lang, 1)
    return Tile(
        pack="education",
        title=t("ed.title", lang),
        figure=i18n.format_number(pupils, lang) if items else "—",
        caption=t("ed.tile.caption", lang, n=i18n.format_number(len(items), lang)),
        status="ok" if items else "none",
        href=SECTOR.url,
        lines=(t("ed.tile.ratio", lang, r=ratio),),
    )
