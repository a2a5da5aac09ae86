"""The HTTP side of a sector: the routes every sector has (its province page, the drill-down to
one commune, the XLSX/CSV export of each table), the commune lookup of a drill-down and table
downloads.

The pack hands in what only the web layer knows — how a page is rendered, the database session
and the permission dependencies — so this engine imports neither ``ioc.web`` nor a pack.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import clock, i18n
from ioc.core.communes import PROVINCE
from ioc.core.models import Area
from ioc.engines.exports import CSV_MIME, XLSX_MIME, Table, to_csv, to_xlsx
from ioc.engines.sector import maps
from ioc.engines.sector.catalog import Sector
from ioc.engines.sector.overview import Overview, SectorFigures

FORMATS = ("csv", "xlsx")


def commune_or_404(session: Session, code: str) -> Area:
    """The current commune or ward ``code`` of a drill-down (404 when there is none)."""
    area = session.execute(
        select(Area).where(
            Area.code == code, Area.valid_to.is_(None), Area.level.in_(("commune", "ward"))
        )
    ).scalar_one_or_none()
    if area is None:
        raise HTTPException(404, f"Không có xã/phường {code} / no such commune")
    return area


def check_format(fmt: str) -> str:
    """An export format: ``csv`` or ``xlsx`` (422 otherwise)."""
    if fmt not in FORMATS:
        raise HTTPException(422, "format: csv hoặc xlsx / csv or xlsx")
    return fmt


def table_download(table: Table, fmt: str, filename: str) -> Response:
    """A table as an XLSX (``fmt`` "xlsx") or CSV attachment named ``filename``."""
    return Response(
        to_xlsx(table) if fmt == "xlsx" else to_csv(table),
        media_type=XLSX_MIME if fmt == "xlsx" else CSV_MIME,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def dated_download(table: Table, fmt: str, stem: str) -> Response:
    """:func:`table_download` named ``{stem}-{local date}.{fmt}``."""
    day = clock.now().astimezone(clock.local_tz())
    return table_download(table, fmt, f"{stem}-{day:%Y%m%d}.{fmt}")


def no_such_table(sector: Sector, name: str) -> HTTPException:
    """The 404 of an export that names no table of the sector."""
    tables = ", ".join(sector.tables)
    return HTTPException(404, f"Không có bảng {name!r} / no such table ({tables})")


@dataclass(frozen=True)
class Web:
    """What the web layer lends a sector's routes: ``render(request, template, context,
    principal=…)``, the database session dependency, the permission to view (a dependency)
    and a request's language."""

    render: Callable[..., Response]
    session: Callable[..., Any]
    viewer: Callable[..., Any]
    language: Callable[[Request], str]


def overview_with_plan(
    sector: Sector, figures: SectorFigures[Any], session: Session, lang: str, code: str | None
) -> tuple[Overview, Table, dict[str, Any]]:
    """The overview of the province (or commune ``code``) with its plan-vs-actual table and
    chart, the submitted figures read once so that tiles and table agree."""
    area = code or PROVINCE
    now = clock.now()
    rows = sector.plan_rows(session, area, now)
    data = figures.overview(
        session, int(now.timestamp()), lang, commune=code, official=sector.plan_figures(rows, lang)
    )
    plan_table, plan_chart = sector.plan_vs_actual(session, area, now, lang, rows)
    return data, plan_table, plan_chart


def page_context(
    sector: Sector,
    settings: Any,
    lang: str,
    area: Area | None,
    found: tuple[Overview, Table, dict[str, Any]],
    stations: list[dict[str, Any]],
) -> dict[str, Any]:
    """What ``sector/page.html`` reads: the overview, the plan table, the charts' and both
    maps' JSON (the entity map shows ``stations``), the legends and the export links."""
    data, plan_table, plan_chart = found
    label = i18n.translate(sector.page["map_label"], lang)
    return {
        "prefix": sector.prefix,
        "url": sector.url,
        "o": data,
        "commune": area,
        "plan_table": plan_table,
        "charts_json": maps.to_json({**data.charts, "plan": plan_chart}),
        "communes_map_json": maps.map_json(settings, label, data.commune_markers),
        "entities_map_json": maps.map_json(settings, label, stations),
        "entity_map": sector.page["entity_map"],
        "entity_table": sector.tables[1],
        "classes": sector.classes,
        "kind_colors": sector.kind_colors,
        "query": f"?commune={area.code}" if area is not None else "",
    }


def sector_table(
    sector: Sector,
    figures: SectorFigures[Any],
    session: Session,
    name: str,
    lang: str,
    commune: str | None,
) -> Table | None:
    """An exportable table of the sector by name: ``communes`` (the province's), the entity
    table (``sector.tables[1]``, of one commune if given), ``plan``; ``None`` for another."""
    now_ts = int(clock.now().timestamp())
    if name == "communes":
        return figures.overview(session, now_ts, lang).communes
    if name == sector.tables[1]:
        return figures.overview(session, now_ts, lang, commune=commune).entities
    if name == "plan":
        return sector.plan_vs_actual(session, commune or PROVINCE, clock.now(), lang)[0]
    return None


def sector_router(
    sector: Sector,
    figures: SectorFigures[Any],
    web: Web,
    *,
    shown: Callable[[Overview, Area | None], list[dict[str, Any]]] | None = None,
) -> APIRouter:
    """The routes of a sector: ``{url}`` (the province), ``{url}/communes/{code}`` (404 for no
    such commune) and ``{url}/export/{name}?format=&commune=`` (the tables of
    ``sector.tables``), the pages rendered from ``sector.page["template"]``. ``shown``: the
    entity map's markers of a page (default: every entity with a point)."""
    router = APIRouter(include_in_schema=False)
    db_session, may_view = Depends(web.session), Depends(web.viewer)  # the routes' dependencies

    def page(request: Request, db: Session, principal: Any, area: Area | None) -> Response:
        lang = web.language(request)
        found = overview_with_plan(sector, figures, db, lang, area.code if area else None)
        stations = shown(found[0], area) if shown is not None else found[0].entity_markers
        settings = request.app.state.settings
        context = page_context(sector, settings, lang, area, found, stations)
        return web.render(request, sector.page["template"], context, principal=principal)

    @router.get(sector.url, response_class=HTMLResponse, name=f"{sector.name}_index")
    def province(request: Request, db: Session = db_session, principal: Any = may_view) -> Response:
        """The province page: key figures, trends, plan vs actual, maps and tables."""
        return page(request, db, principal, None)

    @router.get(
        f"{sector.url}/communes/{{code}}",
        response_class=HTMLResponse,
        name=f"{sector.name}_commune",
    )
    def commune(
        request: Request, code: str, db: Session = db_session, principal: Any = may_view
    ) -> Response:
        """Drill-down to one commune: its facilities or places and their figures."""
        return page(request, db, principal, commune_or_404(db, code))

    @router.get(f"{sector.url}/export/{{name}}", name=f"{sector.name}_export")
    def export(
        request: Request,
        name: str,
        db: Session = db_session,
        principal: Any = may_view,
        format: str = "xlsx",
        commune: str | None = None,
    ) -> Response:
        """Tải bảng: a table of the sector's pages as XLSX (default) or CSV."""
        check_format(format)
        if commune is not None:
            commune_or_404(db, commune)
        found = sector_table(sector, figures, db, name, web.language(request), commune)
        if found is None:
            raise no_such_table(sector, name)
        stem = f"{sector.export_stem}-{name}" + (f"-{commune}" if commune else "")
        return dated_download(found, format, stem)

    return router
