"""Pages of the socio-economic pack: ``/socio-economic`` (province, or one commune with
``?area=``) with key figures, trend charts, plan-vs-actual bars and table, the commune map and
table with drill-down, and XLSX/CSV exports of every table."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from ioc.core import clock, i18n
from ioc.core.clock import fixed_offset_seconds
from ioc.core.registry import Tile
from ioc.engines.exports import Table
from ioc.engines.sector import maps
from ioc.engines.submissions.catalog import AreaBook, AreaInfo, Catalog
from ioc.engines.submissions.periods import ZONE
from ioc.engines.submissions.progress import STATUS_COLORS, figure_text
from ioc.engines.submissions.report import Row, progress_rows
from ioc.web.deps import DbSession
from ioc.web.pagekit import ViewerCall, table_file
from ioc.web.templating import render

router = APIRouter(include_in_schema=False)

KEY_FIGURES = (
    "se_grdp_growth",
    "se_budget_revenue",
    "se_public_invest_rate",
    "se_cpi",
    "se_exports",
    "se_retail_sales",
)
TRENDS = ("se_budget_revenue", "se_exports", "se_retail_sales", "se_public_invest_rate")
DEFAULT_MAP = "se_new_enterprises"
SCALE_HIGHER = ("#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c")
SCALE_LOWER = ("#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15")


def catalog() -> Catalog:
    """This pack's submitted indicators."""
    from ioc.packs.socio_economic import _indicators

    return _cached_catalog(tuple(_indicators()))


@lru_cache(maxsize=1)
def _cached_catalog(specs: tuple[Any, ...]) -> Catalog:
    return Catalog(specs)


def value_text(value: float | None, lang: str) -> str:
    """A figure with as many decimals as it needs (at most 2)."""
    return figure_text(value, lang)


def _pct(value: float | None, lang: str) -> str:
    return i18n.NO_VALUE if value is None else i18n.format_number(value, lang, 1) + " %"


def _signed_pct(value: float | None, lang: str) -> str:
    if value is None:
        return i18n.NO_VALUE
    sign = "+" if value > 0 else ""
    return sign + i18n.format_number(value, lang, 1) + " %"


def _signed_points(value: float | None, lang: str) -> str:
    if value is None:
        return i18n.NO_VALUE
    sign = "+" if value > 0 else ""
    return sign + i18n.format_number(value, lang, 2) + (" điểm %" if lang == "vi" else " pp")


def _year(year: int | None) -> int:
    return year or clock.now().astimezone(ZONE).year


def _rows(
    request: Request, db: Session, year: int, area: str, codes: list[str] | None = None
) -> list[Row]:
    cat = catalog()
    settings = request.app.state.settings
    wanted = codes or list(cat.specs)
    found = progress_rows(
        db,
        cat,
        wanted,
        [area],
        year,
        offset=fixed_offset_seconds(settings.timezone),
        warn_ratio=settings.sub_warn_ratio,
    )
    return [found[(c, area)] for c in wanted if (c, area) in found]


def _row_view(row: Row, lang: str, year: int) -> dict[str, Any]:
    p = row.progress
    latest = row.latest
    spec = row.spec
    return {
        "code": spec.code,
        "name": spec.name_vi if lang == "vi" else spec.name_en,
        "unit": spec.unit,
        "aggregation": spec.aggregation,
        "latest_label": latest[0].label(lang) if latest else i18n.NO_VALUE,
        "latest": value_text(latest[1], lang) if latest else i18n.NO_VALUE,
        "ytd": value_text(p.ytd, lang),
        "ytd_raw": p.ytd,
        "target": value_text(p.target, lang),
        "plan_pct": _pct(p.plan_pct, lang),
        "last_year": value_text(p.last_year_ytd, lang),
        # For figures in %, a change in percentage points reads better than a % of a %.
        "change": _signed_points(p.change_points, lang)
        if spec.unit == "%"
        else _signed_pct(p.change_pct, lang),
        "forecast": value_text(p.forecast, lang),
        "forecast_pct": _pct(p.forecast_pct, lang),
        "forecast_pct_raw": p.forecast_pct,
        "status": p.status,
        "color": p.color,
        "source": row.source_document,
        "direction": spec.direction,
        "months": p.through_month,
    }


def _trend(row: Row, lang: str) -> dict[str, Any]:
    """Line chart config: this year and last year's same months on one axis."""
    this = [[f"{row.year}-{m:02d}-01T00:00:00+07:00", v] for m, v in sorted(row.values.items())]
    last = [[f"{row.year}-{m:02d}-01T00:00:00+07:00", v] for m, v in sorted(row.last_year.items())]
    spec = row.spec
    label = i18n.translate("se.same_period", lang, year=row.year - 1)
    return {
        "series": [
            {"name": str(row.year), "data": this, "color": "#1565C0"},
            {"name": label, "data": last, "color": "#9AA3AD"},
        ],
        "yName": spec.unit,
        "unit": spec.unit,
        "dataZoom": False,
        "decimals": 1,
    }


def _map_markers(
    request: Request, db: Session, book: AreaBook, code: str, year: int, lang: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Markers of the commune map (YTD for flows, latest level otherwise) and table rows."""
    cat = catalog()
    spec = cat.get(code)
    if spec is None or spec.area_level != "commune":
        return [], []
    settings = request.app.state.settings
    areas = [a.code for a in book.communes]
    found = progress_rows(
        db,
        cat,
        [code],
        areas,
        year,
        offset=fixed_offset_seconds(settings.timezone),
        warn_ratio=settings.sub_warn_ratio,
    )
    values = {a: found[(code, a)].progress.ytd for a in areas if (code, a) in found}
    present = sorted(v for v in values.values() if v is not None)
    scale = SCALE_LOWER if spec.direction == "lower" else SCALE_HIGHER
    markers: list[dict[str, Any]] = []
    table: list[dict[str, Any]] = []
    order: dict[str, float | None] = {}
    for area in book.communes:
        value = values.get(area.code)
        color, text = "#c4cad1", "#2b333d"
        if value is not None and present:
            rank = sum(1 for v in present if v <= value) / len(present)
            k = min(4, int(rank * 5 - 1e-9))
            color, text = scale[k], ("#000000" if k < 3 else "#ffffff")
        lat, lon = area.lat, area.lon  # the shipped centroids cover every current commune
        url = f"/socio-economic?area={area.code}&year={year}"
        if lat is not None and lon is not None:
            markers.append(
                {
                    "code": area.code,
                    "name": area.name,
                    "lat": lat,
                    "lon": lon,
                    "aqi": None if value is None else round(value, 2),
                    "color": color,
                    "text_color": text,
                    "url": url,
                }
            )
        order[area.code] = value
        table.append(
            {
                "code": area.code,
                "name": area.name,
                "value": value,
                "text": value_text(value, lang),
                "color": color,
                "url": url,
            }
        )
    table.sort(key=lambda r: (order[r["code"]] is None, -(order[r["code"]] or 0.0)))
    return markers, table


def _key_figures(
    rows: list[Row], views: list[dict[str, Any]], codes: list[str], is_province: bool, lang: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The key-figure tiles and the trend charts: the province's chosen indicators, or every
    indicator of a commune (yearly ones have no monthly trend)."""
    by_code = {v["code"]: v for v in views}
    key_codes = KEY_FIGURES if is_province else tuple(codes)
    keys = [by_code[c] for c in key_codes if c in by_code]
    trend_codes = TRENDS if is_province else tuple(codes)
    trends = [
        {
            "code": r.spec.code,
            "name": by_code[r.spec.code]["name"],
            "json": maps.to_json(_trend(r, lang)),
        }
        for r in rows
        if r.spec.code in trend_codes and r.spec.frequency != "P1Y"
    ]
    return keys, trends


def _bars(views: list[dict[str, Any]], lang: str) -> tuple[str, bool]:
    """The plan-vs-actual bars (the year's forecast as % of the target) as the chart's JSON,
    and whether there is any bar."""
    bars = [
        {
            "name": v["name"],
            "value": round(v["forecast_pct_raw"], 1),
            "color": v["color"],
        }
        for v in views
        if v["forecast_pct_raw"] is not None
    ]
    chart = {
        "data": bars,
        "seriesName": i18n.translate("se.forecast_pct", lang),
        "yName": "%",
        "markLines": [{"value": 100, "label": i18n.translate("se.plan", lang), "unit": "%"}],
    }
    return maps.to_json(chart), bool(bars)


def _commune_map(
    request: Request, db: Session, book: AreaBook, wanted: str, year: int, lang: str, shown: bool
) -> dict[str, Any]:
    """The commune map of one commune-level indicator (``wanted`` when it is one, else the
    default) with its table; empty when not ``shown`` (a commune's own page)."""
    cat = catalog()
    map_specs = [s for s in cat.specs.values() if s.area_level == "commune"]
    map_code = (
        wanted
        if cat.get(wanted) is not None and wanted in {s.code for s in map_specs}
        else (DEFAULT_MAP)
    )
    markers, commune_rows = (
        _map_markers(request, db, book, map_code, year, lang) if shown else ([], [])
    )
    map_spec = cat.specs.get(map_code)
    settings = request.app.state.settings
    return {
        "map_specs": map_specs,
        "map_code": map_code,
        "map_name": (map_spec.name_vi if lang == "vi" else map_spec.name_en) if map_spec else "",
        "map_unit": map_spec.unit if map_spec else "",
        "map_json": maps.to_json(
            {
                "stations": markers,
                "opts": {
                    "tileUrl": settings.map_tile_url,
                    "tileAttribution": settings.map_tile_attribution,
                    "aqiLabel": map_spec.unit if map_spec else "",
                    "radius": 13,
                    "cluster": False,  # one marker per commune: nothing piles up
                    "linkText": i18n.translate("se.drill", lang),
                },
            }
        ),
        "commune_rows": commune_rows,
    }


# The year asked for (this year when absent).
YearQuery = Annotated[int | None, Query(ge=2000, le=2100)]
# A download's format.
FormatQuery = Annotated[str, Query(pattern="^(xlsx|csv)$")]


@dataclass(frozen=True)
class _Place:
    """The year and the area (``?year=``, ``?area=``: this year, the province when absent) a
    page or a download shows, with the book of areas."""

    year: int
    book: AreaBook
    code: str

    def area(self) -> AreaInfo:
        """The area shown; 404 when there is no such area."""
        info = self.book.by_code.get(self.code)
        if info is None:
            raise HTTPException(404, "Không có địa bàn này / no such area")
        return info


def _place(
    db: DbSession,
    year: YearQuery = None,
    area: Annotated[str | None, Query(max_length=16)] = None,
) -> _Place:
    """The dependency reading the year and the area of a page (see :class:`_Place`)."""
    book = AreaBook.load(db)
    return _Place(_year(year), book, area or book.province.code)


Place = Annotated[_Place, Depends(_place)]


@router.get("/socio-economic", response_class=HTMLResponse)
def index(
    call: ViewerCall, place: Place, map: Annotated[str, Query(max_length=64)] = DEFAULT_MAP
) -> Response:
    """Chỉ tiêu KT-XH: key figures, trends, plan vs actual, commune map and drill-down."""
    request, db, principal = call
    info = place.area()
    year, book, area_code, lang = place.year, place.book, place.code, call.lang
    cat = catalog()
    is_province = area_code == book.province.code
    codes = (
        list(cat.specs)
        if is_province
        else [s.code for s in cat.specs.values() if s.area_level == "commune"]
    )
    rows = _rows(request, db, year, area_code, codes)
    views = [_row_view(r, lang, year) for r in rows]
    keys, trends = _key_figures(rows, views, codes, is_province, lang)
    bars_json, has_bars = _bars(views, lang)
    return render(
        request,
        "socio_economic/index.html",
        {
            "year": year,
            "years": list(range(_year(None), _year(None) - 4, -1)),
            "area": info,
            "is_province": is_province,
            "keys": keys,
            "rows": views,
            "trends": trends,
            "bars_json": bars_json,
            "has_bars": has_bars,
            **_commune_map(request, db, book, map, year, lang, is_province),
            "status_colors": STATUS_COLORS,
        },
        principal=principal,
    )


# The columns of the plan-vs-actual download (``se.col.<name>`` their headings).
EXPORT_COLUMNS = (
    "code",
    "indicator",
    "unit",
    "latest_period",
    "latest",
    "ytd",
    "target",
    "plan_pct",
    "last_year",
    "change",
    "change_points",
    "forecast",
    "forecast_pct",
    "status",
    "source",
)


@router.get("/socio-economic/export")
def export(call: ViewerCall, place: Place, format: FormatQuery = "xlsx") -> Response:
    """Plan-vs-actual table of the province (or a commune) as XLSX or CSV."""
    info = place.area()
    request, db, lang, year, area_code = call.request, call.db, call.lang, place.year, place.code

    def t(key: str, **kw: Any) -> str:
        return i18n.translate(key, lang, **kw)

    table = Table(
        title=f"{t('se.title')} {year} — {info.name}",
        header=[t(f"se.col.{column}") for column in EXPORT_COLUMNS],
        notes=[t("se.export.note")],
    )
    for r in _rows(request, db, year, area_code):
        p = r.progress
        latest = r.latest
        table.rows.append(
            [
                r.spec.code,
                r.spec.name_vi if lang == "vi" else r.spec.name_en,
                r.spec.unit,
                latest[0].key if latest else None,
                latest[1] if latest else None,
                p.ytd,
                p.target,
                None if p.plan_pct is None else round(p.plan_pct, 1),
                p.last_year_ytd,
                None if p.change_pct is None else round(p.change_pct, 1),
                None if p.change_points is None else round(p.change_points, 2),
                None if p.forecast is None else round(p.forecast, 2),
                None if p.forecast_pct is None else round(p.forecast_pct, 1),
                t(f"se.status.{p.status}"),
                r.source_document,
            ]
        )
    return table_file(table, format, f"kt-xh_{area_code}_{year}")


@router.get("/socio-economic/communes/export")
def communes_export(
    call: ViewerCall,
    indicator: Annotated[str, Query(max_length=64)] = DEFAULT_MAP,
    year: YearQuery = None,
    format: FormatQuery = "xlsx",
) -> Response:
    """One commune-level indicator for every commune (the map's table) as XLSX or CSV."""
    request, db, lang = call.request, call.db, call.lang
    year = _year(year)
    spec = catalog().get(indicator)
    if spec is None or spec.area_level != "commune":
        raise HTTPException(404, "Không có chỉ tiêu cấp xã này / no such commune indicator")
    book = AreaBook.load(db)
    _markers, rows = _map_markers(request, db, book, indicator, year, lang)
    name = spec.name_vi if lang == "vi" else spec.name_en
    table = Table(
        title=f"{name} {year}",
        header=[
            i18n.translate("se.col.area_code", lang),
            i18n.translate("se.col.area", lang),
            f"{i18n.translate('se.col.ytd', lang)} ({spec.unit})",
        ],
    )
    for r in rows:
        table.rows.append([r["code"], r["name"], r["value"]])
    return table_file(table, format, f"kt-xh_{indicator}_{year}")


def overview_tile(session: Session, lang: str) -> Tile:
    """Overview tile: how many province indicators with a target are on track this year."""
    from ioc.settings import get_settings

    settings = get_settings()
    cat = catalog()
    book = AreaBook.load(session)
    year = _year(None)
    found = progress_rows(
        session,
        cat,
        list(cat.specs),
        [book.province.code],
        year,
        offset=fixed_offset_seconds(settings.timezone),
        warn_ratio=settings.sub_warn_ratio,
    )
    counts = {"ok": 0, "warn": 0, "bad": 0}
    for row in found.values():
        if row.progress.status in counts:
            counts[row.progress.status] += 1
    title = i18n.translate("se.title", lang)
    rated = sum(counts.values())
    if not rated:
        return Tile(
            "socio_economic",
            title,
            "—",
            i18n.translate("se.tile.none", lang),
            "none",
            "/socio-economic",
        )
    status = (
        "ok"
        if counts["bad"] == 0 and counts["warn"] <= 1
        else ("bad" if counts["bad"] > rated // 3 else "warn")
    )
    revenue = found.get(("se_budget_revenue", book.province.code))
    lines: tuple[str, ...] = ()
    if revenue is not None and revenue.progress.plan_pct is not None:
        lines = (
            i18n.translate(
                "se.tile.revenue",
                lang,
                pct=i18n.format_number(revenue.progress.plan_pct, lang, 1),
            ),
        )
    return Tile(
        pack="socio_economic",
        title=title,
        figure=f"{counts['ok']}/{rated}",
        caption=i18n.translate(
            "se.tile.caption", lang, warn=counts["warn"], bad=counts["bad"], year=year
        ),
        status=status,
        href="/socio-economic",
        color=STATUS_COLORS[status],
        text_color="#000000" if status == "warn" else "#ffffff",
        lines=lines,
    )
