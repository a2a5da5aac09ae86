"""Pages of the health pack: province overview, disease surveillance, commune drill-down, and
XLSX/CSV export of every table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from ioc.core import clock, i18n
from ioc.core.registry import Tile
from ioc.engines.exports import Table
from ioc.engines.sector import maps
from ioc.engines.sector.routes import (
    check_format,
    commune_or_404,
    dated_download,
    no_such_table,
    overview_with_plan,
    sector_table,
)
from ioc.packs.health import geo, queries, signals, surveillance
from ioc.packs.health.facilities import SECTOR
from ioc.packs.health.surveillance import DISEASES
from ioc.web.deps import DbSession, Lang, Viewer
from ioc.web.pagekit import ViewerCall
from ioc.web.templating import render

router = APIRouter(include_in_schema=False)


def _label(key: str, lang: str) -> str:
    return i18n.translate(key, lang)


def _now_ts() -> int:
    return int(clock.now().timestamp())


def _disease(value: str) -> str:
    if value not in DISEASES:
        raise HTTPException(
            422, f"disease: bệnh không hợp lệ {value!r} / must be one of {', '.join(DISEASES)}"
        )
    return value


def _shared(lang: str) -> dict[str, object]:
    """What every health template reads: the pack's i18n prefix, the alarm cell's text."""
    return {"prefix": SECTOR.prefix, "alarm_text": _label("hl.alarm", lang)}


@router.get("/health", response_class=HTMLResponse)
def health_index(request: Request, db: DbSession, principal: Viewer, lang: Lang) -> Response:
    """Y tế: key figures, trends, facilities and communes on maps, commune table."""
    settings = request.app.state.settings
    data, plan_table, plan_chart = overview_with_plan(SECTOR, queries.FIGURES, db, lang, None)
    # Hospitals and medical centres: the 102 commune stations are in the table and on each
    # commune's page.
    hospitals = [m for m in data.entity_markers if m["kind"] != "health_station"]
    return render(
        request,
        "health/index.html",
        {
            **_shared(lang),
            "o": data,
            "commune": None,
            "plan_table": plan_table,
            "charts_json": maps.to_json({**data.charts, "plan": plan_chart}),
            "communes_map_json": maps.map_json(
                settings, _label("hl.map_label_incidence", lang), data.commune_markers
            ),
            "facilities_map_json": maps.map_json(
                settings, _label("hl.map_label_occupancy", lang), hospitals
            ),
            "classes": SECTOR.classes,
            "kind_colors": {k: c for k, c in SECTOR.kind_colors.items() if k != "health_station"},
        },
        principal=principal,
    )


@router.get("/health/surveillance", response_class=HTMLResponse)
def health_surveillance(
    request: Request, db: DbSession, principal: Viewer, lang: Lang, disease: str = "dengue"
) -> Response:
    """Giám sát dịch bệnh: communes by incidence, EARS C1/C2/C3 of the last complete week,
    weekly cases with the C2 threshold per disease."""
    data = signals.surveillance_page(db, _disease(disease), _now_ts(), lang)
    return render(
        request,
        "health/surveillance.html",
        {
            **_shared(lang),
            **data,
            "charts_json": maps.to_json(data["charts"]),
            "map_json": maps.map_json(
                request.app.state.settings,
                _label("hl.map_label_incidence", lang),
                data["markers"],
                choropleths=data["choropleths"],
            ),
            "classes": SECTOR.classes,
        },
        principal=principal,
    )


@router.get("/health/communes/{code}", response_class=HTMLResponse)
def health_commune(
    request: Request, code: str, db: DbSession, principal: Viewer, lang: Lang
) -> Response:
    """Drill-down to one commune: its facilities, figures and weekly cases per disease."""
    area = commune_or_404(db, code)
    now = clock.now()
    now_ts = int(now.timestamp())
    rows = SECTOR.plan_rows(db, code, now)
    data = queries.overview(
        db, now_ts, lang, commune=code, official=SECTOR.plan_figures(rows, lang)
    )
    plan_table, plan_chart = SECTOR.plan_vs_actual(db, code, now, lang, rows)
    charts = {
        **data.charts,
        "plan": plan_chart,
        **{f"d_{d}": c for d, c in signals.commune_charts(db, code, now_ts, lang).items()},
    }
    return render(
        request,
        "health/commune.html",
        {
            **_shared(lang),
            "o": data,
            "commune": area,
            "plan_table": plan_table,
            "charts_json": maps.to_json(charts),
            "facilities_map_json": maps.map_json(
                request.app.state.settings,
                _label("hl.map_label_occupancy", lang),
                data.entity_markers + data.commune_markers,
                places=False,
                opts={"fitMaxZoom": 12},
            ),
            "kind_colors": SECTOR.kind_colors,
            "diseases": DISEASES,
        },
        principal=principal,
    )


def _table(db: Session, name: str, lang: str, disease: str, commune: str | None) -> Table:
    if commune is not None:
        commune_or_404(db, commune)
    if name == "surveillance":
        table: Table = signals.surveillance_page(db, _disease(disease), _now_ts(), lang)["table"]
        return table
    found = sector_table(SECTOR, queries.FIGURES, db, name, lang, commune)
    if found is None:
        raise no_such_table(SECTOR, name)
    return found


@dataclass(frozen=True)
class _Download:
    """The query of a table download: its format, the disease of the surveillance table and
    the commune the table is narrowed to."""

    format: str = "xlsx"
    disease: str = "dengue"
    commune: str | None = None


@router.get("/health/export/{name}")
def health_export(call: ViewerCall, name: str, query: Annotated[_Download, Depends()]) -> Response:
    """Tải bảng: a table of the health pages as XLSX (default) or CSV."""
    disease, commune = query.disease, query.commune
    check_format(query.format)
    table = _table(call.db, name, call.lang, disease, commune)
    stem = f"{SECTOR.export_stem}-{name}" + (f"-{disease}" if name == "surveillance" else "")
    stem += f"-{commune}" if commune else ""
    return dated_download(table, query.format, stem)


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
        t("hl.tile.line", lang, disease=signals.disease_name(d, lang), n=n)
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
            week=signals.week_text(surveillance.last_complete_week(now_ts)),
        ),
        status="alarm" if total else "ok",
        href="/health/surveillance",
        lines=lines,
    )
