"""Pages of the education pack: province overview, commune drill-down, and XLSX/CSV export of
every table."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import clock, i18n
from ioc.core import communes as geo
from ioc.core.auth import Permission
from ioc.core.models import Area
from ioc.core.registry import Tile
from ioc.engines.exports import Table, to_csv, to_xlsx
from ioc.packs.education import plan, views
from ioc.packs.education.schools import schools
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
                "aqiLabel": i18n.translate("ed.map_label", lang),
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
    # The province map shows upper-secondary schools (the others are in the table and on each
    # commune's page, where every school is drawn).
    shown = [
        m
        for m in data.school_markers
        if code is not None or m["kind"] in ("upper_secondary", "gifted")
    ]
    return render(
        request,
        "education/index.html",
        {
            "o": data,
            "commune": area,
            "plan_table": plan_table,
            "charts_json": views.to_json({**data.charts, "plan": plan_chart}),
            "communes_map_json": _map(request, lang, data.commune_markers),
            "schools_map_json": _map(request, lang, shown),
            "classes": views.RATIO_CLASSES,
            "level_colors": views.LEVEL_COLORS,
            "query": f"?commune={code}" if code else "",
        },
        principal=principal,
    )


@router.get("/education", response_class=HTMLResponse)
def education_index(request: Request, db: DbSession, principal: Viewer) -> Response:
    """Giáo dục: key figures, trends, plan vs actual, schools and communes on maps, tables."""
    return _page(request, db, principal, None)


@router.get("/education/communes/{code}", response_class=HTMLResponse)
def education_commune(request: Request, code: str, db: DbSession, principal: Viewer) -> Response:
    """Drill-down to one commune: its schools and their figures."""
    return _page(request, db, principal, code)


def _table(request: Request, db: Session, name: str, lang: str, commune: str | None) -> Table:
    if commune is not None:
        _commune(db, commune)
    now_ts = int(clock.now().timestamp())
    if name == "communes":
        return views.overview(db, now_ts, lang).communes
    if name == "schools":
        return views.overview(db, now_ts, lang, commune=commune).schools
    if name == "plan":
        return plan.plan_vs_actual(db, commune or geo.PROVINCE, clock.now(), lang)[0]
    raise HTTPException(404, f"Không có bảng {name!r} / no such table (communes, schools, plan)")


@router.get("/education/export/{name}")
def education_export(
    request: Request,
    name: str,
    db: DbSession,
    principal: Viewer,
    format: str = "xlsx",
    commune: str | None = None,
) -> Response:
    """Tải bảng: a table of the education pages as XLSX (default) or CSV."""
    if format not in ("csv", "xlsx"):
        raise HTTPException(422, "format: csv hoặc xlsx / csv or xlsx")
    table = _table(request, db, name, _lang(request), commune)
    stem = f"giao-duc-{name}" + (f"-{commune}" if commune else "")
    filename = f"{stem}-{clock.now().astimezone(clock.local_tz()):%Y%m%d}.{format}"
    return Response(
        to_xlsx(table) if format == "xlsx" else to_csv(table),
        media_type=XLSX if format == "xlsx" else "text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def overview_tile(session: Session, lang: str) -> Tile:
    """Overview tile: pupils and pupils per teacher."""
    t = i18n.translate
    items = schools(session)
    pupils = sum(s.pupils for s in items)
    teachers = sum(s.teachers for s in items)
    return Tile(
        pack="education",
        title=t("ed.title", lang),
        figure=i18n.format_number(pupils, lang) if items else "—",
        caption=t("ed.tile.caption", lang, n=i18n.format_number(len(items), lang)),
        status="ok" if items else "none",
        href="/education",
        lines=(
            t("ed.tile.ratio", lang, r=i18n.format_number(views.ratio(pupils, teachers), lang, 1)),
        ),
    )
