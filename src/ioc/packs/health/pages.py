"""Pages of the health pack: province overview, disease surveillance, commune drill-down, and
XLSX/CSV export of every table."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import clock, i18n
from ioc.core.auth import Permission
from ioc.core.models import Area
from ioc.core.registry import Tile
from ioc.engines.exports import Table, to_csv, to_xlsx
from ioc.packs.health import geo, plan, surveillance, views
from ioc.packs.health.surveillance import DISEASES
from ioc.web.deps import DbSession, Principal, require
from ioc.web.templating import render, request_lang

router = APIRouter(include_in_schema=False)

Viewer = Annotated[Principal, Depends(require(Permission.VIEW, page=True))]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _lang(request: Request) -> str:
    return request_lang(request, request.app.state.settings.default_language)


def _map_opts(request: Request, lang: str, label_key: str) -> dict[str, object]:
    settings = request.app.state.settings
    return {
        "tileUrl": settings.map_tile_url,
        "tileAttribution": settings.map_tile_attribution,
        "aqiLabel": i18n.translate(label_key, lang),
        "radius": 11,
    }


def _now_ts() -> int:
    return int(clock.now().timestamp())


def _disease(value: str) -> str:
    if value not in DISEASES:
        raise HTTPException(
            422, f"disease: bệnh không hợp lệ {value!r} / must be one of {', '.join(DISEASES)}"
        )
    return value


def _commune(db: Session, code: str) -> Area:
    area = db.execute(
        select(Area).where(
            Area.code == code, Area.valid_to.is_(None), Area.level.in_(("commune", "ward"))
        )
    ).scalar_one_or_none()
    if area is None:
        raise HTTPException(404, f"Không có xã/phường {code} / no such commune")
    return area


@router.get("/health", response_class=HTMLResponse)
def health_index(request: Request, db: DbSession, principal: Viewer) -> Response:
    """Y tế: key figures, trends, facilities and communes on maps, commune table."""
    lang = _lang(request)
    now = clock.now()
    rows = plan.rows(db, geo.PROVINCE, now)  # read once: tiles and table agree
    data = views.overview(db, int(now.timestamp()), lang, official=plan.figures(rows, lang))
    plan_table, plan_chart = plan.plan_vs_actual(db, geo.PROVINCE, now, lang, rows)
    return render(
        request,
        "health/index.html",
        {
            "o": data,
            "commune": None,
            "plan_table": plan_table,
            "charts_json": views.to_json({**data.charts, "plan": plan_chart}),
            "communes_map_json": views.to_json(
                {
                    "stations": data.commune_markers,
                    "opts": _map_opts(request, lang, "hl.map_label_incidence"),
                    "places": views.MAP_PLACES,
                }
            ),
            "facilities_map_json": views.to_json(
                {
                    # Hospitals and medical centres: the 102 commune stations are in the table
                    # and on each commune's page.
                    "stations": [m for m in data.facility_markers if m["kind"] != "health_station"],
                    "opts": _map_opts(request, lang, "hl.map_label_occupancy"),
                    "places": views.MAP_PLACES,
                }
            ),
            "classes": views.INCIDENCE_CLASSES,
            "kind_colors": {k: c for k, c in views.KIND_COLORS.items() if k != "health_station"},
        },
        principal=principal,
    )


@router.get("/health/surveillance", response_class=HTMLResponse)
def health_surveillance(
    request: Request, db: DbSession, principal: Viewer, disease: str = "dengue"
) -> Response:
    """Giám sát dịch bệnh: communes by incidence, EARS C1/C2/C3 of the last complete week,
    weekly cases with the C2 threshold per disease."""
    lang = _lang(request)
    data = views.surveillance_page(db, _disease(disease), _now_ts(), lang)
    return render(
        request,
        "health/surveillance.html",
        {
            **data,
            "charts_json": views.to_json(data["charts"]),
            "map_json": views.to_json(
                {
                    "stations": data["markers"],
                    "opts": _map_opts(request, lang, "hl.map_label_incidence"),
                    "places": views.MAP_PLACES,
                    "choropleths": data["choropleths"],
                }
            ),
            "classes": views.INCIDENCE_CLASSES,
        },
        principal=principal,
    )


@router.get("/health/communes/{code}", response_class=HTMLResponse)
def health_commune(request: Request, code: str, db: DbSession, principal: Viewer) -> Response:
    """Drill-down to one commune: its facilities, figures and weekly cases per disease."""
    lang = _lang(request)
    area = _commune(db, code)
    now = clock.now()
    now_ts = int(now.timestamp())
    rows = plan.rows(db, code, now)
    data = views.overview(db, now_ts, lang, commune=code, official=plan.figures(rows, lang))
    plan_table, plan_chart = plan.plan_vs_actual(db, code, now, lang, rows)
    charts = {
        **data.charts,
        "plan": plan_chart,
        **{f"d_{d}": c for d, c in views.commune_charts(db, code, now_ts, lang).items()},
    }
    return render(
        request,
        "health/commune.html",
        {
            "o": data,
            "commune": area,
            "plan_table": plan_table,
            "charts_json": views.to_json(charts),
            "facilities_map_json": views.to_json(
                {
                    "stations": data.facility_markers + data.commune_markers,
                    "opts": {
                        **_map_opts(request, lang, "hl.map_label_occupancy"),
                        "fitMaxZoom": 12,
                    },
                }
            ),
            "kind_colors": views.KIND_COLORS,
            "diseases": DISEASES,
        },
        principal=principal,
    )


def _table(
    request: Request, db: Session, name: str, lang: str, disease: str, commune: str | None
) -> Table:
    now_ts = _now_ts()
    if commune is not None:
        _commune(db, commune)
    if name == "communes":
        return views.overview(db, now_ts, lang).communes
    if name == "facilities":
        return views.overview(db, now_ts, lang, commune=commune).facilities
    if name == "plan":
        return plan.plan_vs_actual(db, commune or geo.PROVINCE, clock.now(), lang)[0]
    if name == "surveillance":
        table: Table = views.surveillance_page(db, _disease(disease), now_ts, lang)["table"]
        return table
    raise HTTPException(
        404, f"Không có bảng {name!r} / no such table (communes, facilities, plan, surveillance)"
    )


@router.get("/health/export/{name}")
def health_export(
    request: Request,
    name: str,
    db: DbSession,
    principal: Viewer,
    format: str = "xlsx",
    disease: str = "dengue",
    commune: str | None = None,
) -> Response:
    """Tải bảng: a table of the health pages as XLSX (default) or CSV."""
    if format not in ("csv", "xlsx"):
        raise HTTPException(422, "format: csv hoặc xlsx / csv or xlsx")
    table = _table(request, db, name, _lang(request), disease, commune)
    stem = f"y-te-{name}" + (f"-{disease}" if name == "surveillance" else "")
    stem += f"-{commune}" if commune else ""
    filename = f"{stem}-{clock.now().astimezone(clock.local_tz()):%Y%m%d}.{format}"
    return Response(
        to_xlsx(table) if format == "xlsx" else to_csv(table),
        media_type=XLSX if format == "xlsx" else "text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def overview_tile(session: Session, lang: str) -> Tile:
    """Overview tile: communes with an outbreak alarm in the last complete week."""
    t = i18n.translate
    now_ts = _now_ts()
    communes = geo.communes(session)
    counts = surveillance.alarm_counts(session, communes, now_ts)
    total = sum(counts.values())
    reporting = surveillance.weekly_counts(
        session, [surveillance.indicator_code(d) for d in surveillance.DISEASES], now_ts, 0
    )
    if not any(reporting.values()):  # no case series at all: nothing to judge
        return Tile("health", t("hl.title", lang), "—", t("hl.no_data", lang), "none", "/health")
    lines = tuple(
        t("hl.tile.line", lang, disease=views.disease_name(d, lang), n=n)
        for d, n in counts.items()
        if n
    )
    return Tile(
        pack="health",
        title=t("hl.title", lang),
        figure=i18n.format_number(total, lang),
        caption=t(
            "hl.tile.caption",
            lang,
            week=views.week_text(surveillance.last_complete_week(now_ts)),
        ),
        status="alarm" if total else "ok",
        href="/health/surveillance",
        lines=lines,
    )
