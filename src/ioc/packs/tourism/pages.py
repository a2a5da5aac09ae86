"""Pages of the tourism pack: province overview, commune drill-down, and XLSX/CSV export of
every table."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import clock, i18n
from ioc.core import communes as geo
from ioc.core.auth import Permission
from ioc.core.models import Area
from ioc.core.registry import Tile, TileTrend
from ioc.engines.exports import Table, to_csv, to_xlsx
from ioc.packs.tourism import plan, views
from ioc.packs.tourism.places import places
from ioc.web.deps import DbSession, Principal, require
from ioc.web.templating import render, request_lang

router = APIRouter(include_in_schema=False)

Viewer = Annotated[Principal, Depends(require(Permission.VIEW, page=True))]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _lang(request: Request) -> str:
    return request_lang(request, request.app.state.settings.default_language)


def _map(request: Request, lang: str, stations: list[dict[str, object]]) -> str:
    settings = request.app.state.settings
    return views.to_json(
        {
            "stations": stations,
            "opts": {
                "tileUrl": settings.map_tile_url,
                "tileAttribution": settings.map_tile_attribution,
                "aqiLabel": i18n.translate("tr.map_label", lang),
                "radius": 11,
            },
            "places": views.MAP_PLACES,
        }
    )


def _commune(db: Session, code: str) -> Area:
    area = db.execute(
        select(Area).where(
            Area.code == code, Area.valid_to.is_(None), Area.level.in_(("commune", "ward"))
        )
    ).scalar_one_or_none()
    if area is None:
        raise HTTPException(404, f"Không có xã/phường {code} / no such commune")
    return area


def _page(request: Request, db: Session, principal: Principal, code: str | None) -> Response:
    lang = _lang(request)
    area = _commune(db, code) if code is not None else None
    now = clock.now()
    rows = plan.rows(db, code or geo.PROVINCE, now)  # read once: tiles and table agree
    data = views.overview(
        db, int(now.timestamp()), lang, commune=code, official=plan.figures(rows, lang)
    )
    plan_table, plan_chart = plan.plan_vs_actual(db, code or geo.PROVINCE, now, lang, rows)
    shown = data.place_markers
    return render(
        request,
        "tourism/index.html",
        {
            "o": data,
            "commune": area,
            "plan_table": plan_table,
            "charts_json": views.to_json({**data.charts, "plan": plan_chart}),
            "communes_map_json": _map(request, lang, data.commune_markers),
            "places_map_json": _map(request, lang, shown),
            "classes": views.VISIT_CLASSES,
            "kind_colors": views.KIND_COLORS,
            "query": f"?commune={code}" if code else "",
        },
        principal=principal,
    )


@router.get("/tourism", response_class=HTMLResponse)
def tourism_index(request: Request, db: DbSession, principal: Viewer) -> Response:
    """Du lịch: key figures, trends, plan vs actual, places and communes on maps, tables."""
    return _page(request, db, principal, None)


@router.get("/tourism/communes/{code}", response_class=HTMLResponse)
def tourism_commune(request: Request, code: str, db: DbSession, principal: Viewer) -> Response:
    """Drill-down to one commune: its destinations, accommodation and their figures."""
    return _page(request, db, principal, code)


def _table(request: Request, db: Session, name: str, lang: str, commune: str | None) -> Table:
    if commune is not None:
        _commune(db, commune)
    now_ts = int(clock.now().timestamp())
    if name == "communes":
        return views.overview(db, now_ts, lang).communes
    if name == "places":
        return views.overview(db, now_ts, lang, commune=commune).places
    if name == "plan":
        return plan.plan_vs_actual(db, commune or geo.PROVINCE, clock.now(), lang)[0]
    raise HTTPException(404, f"Không có bảng {name!r} / no such table (communes, places, plan)")


@router.get("/tourism/export/{name}")
def tourism_export(
    request: Request,
    name: str,
    db: DbSession,
    principal: Viewer,
    format: str = "xlsx",
    commune: str | None = None,
) -> Response:
    """Tải bảng: a table of the tourism pages as XLSX (default) or CSV."""
    if format not in ("csv", "xlsx"):
        raise HTTPException(422, "format: csv hoặc xlsx / csv or xlsx")
    table = _table(request, db, name, _lang(request), commune)
    stem = f"du-lich-{name}" + (f"-{commune}" if commune else "")
    filename = f"{stem}-{clock.now().astimezone(clock.local_tz()):%Y%m%d}.{format}"
    return Response(
        to_xlsx(table) if format == "xlsx" else to_csv(table),
        media_type=XLSX if format == "xlsx" else "text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def overview_tile(session: Session, lang: str) -> Tile:
    """Overview tile: visitor arrivals of the last complete month."""
    t = i18n.translate
    now = clock.now()
    official = plan.figures(plan.rows(session, geo.PROVINCE, now), lang)
    data = views.overview(session, int(now.timestamp()), lang, official=official)
    figures = {k.label: k for k in data.kpis}
    domestic = figures.get(t("tr.kpi.domestic", lang))
    international = figures.get(t("tr.kpi.international", lang))
    occupancy = figures.get(t("tr.kpi.occupancy", lang))
    return Tile(
        pack="tourism",
        title=t("tr.title", lang),
        figure=domestic.value if domestic else "—",
        caption=t("tr.tile.caption", lang, month=domestic.note if domestic else ""),
        status="ok" if places(session) else "none",
        href="/tourism",
        lines=tuple(
            f"{k.label}: {k.value}{(' ' + k.unit) if k.unit else ''}"
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
