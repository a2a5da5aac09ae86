"""Water, noise and weather networks and device health: tabs of the environment page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from ioc.core import clock, i18n, ownership
from ioc.core.figures import entity_series
from ioc.core.models import Entity, Indicator, Series
from ioc.core.series import DAY, HOUR, read_hourly_means, read_rollups
from ioc.engines.exports import XLSX_MIME
from ioc.packs.environment import device_health, noise_weather, queries
from ioc.packs.environment.queries import MAP_PLACES, script_json
from ioc.web import csrf
from ioc.web.deps import (
    DbSession,
    Principal,
    Viewer,
    forbid,
    request_language,
    write_scope,
)
from ioc.web.pagekit import EXPORT_FORMATS, Call, IngestorCall, ViewerCall, attachment, table_file
from ioc.web.templating import render

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Network:
    """One monitoring network shown as a tab: its station type and the columns of its table."""

    key: str
    entity_type: str
    title_key: str
    indicators: tuple[str, ...]
    headline: str  # indicator whose latest value colours the map marker


NETWORKS = {
    "water": Network(
        "water",
        "WaterQualityStation",
        "env.tab.water",
        ("vn_wqi", "w_ph", "w_do", "w_bod5", "w_cod", "w_nh4", "w_tss", "w_coliform"),
        "vn_wqi",
    ),
    "noise": Network("noise", "NoiseStation", "env.tab.noise", ("laeq", "lamax"), "laeq"),
    "weather": Network(
        "weather",
        "WeatherStation",
        "env.tab.weather",
        ("air_temp", "humidity", "rain", "wind_speed", "wind_dir", "pressure"),
        "air_temp",
    ),
}


def _latest(db: DbSession, codes: list[str], indicators: tuple[str, ...]) -> dict[str, Any]:
    columns = (Series.subject_code, Indicator.code, Series.latest_value, Series.latest_ts)
    rows = db.execute(entity_series(codes, indicators, *columns)).all()
    out: dict[str, dict[str, tuple[float | None, int | None]]] = {}
    for code, indicator, value, ts in rows:
        out.setdefault(code, {})[indicator] = (value, ts)
    return out


def _marker_colour(network: Network, value: float | None) -> tuple[str | None, str | None]:
    if value is None:
        return None, None
    if network.key == "water":
        from ioc.packs.environment import wqi

        cat = wqi.wqi_category(int(value))
        return cat.color, cat.text_color
    if network.key == "noise":
        # Above 70 dB(A) by day is the QCVN 26:2010 limit for ordinary areas (indicative).
        return ("#FF7E00", "#000000") if value > 70 else ("#00E400", "#000000")
    return "#1565C0", "#FFFFFF"


MAX_UPLOAD_BYTES = 20 * 1024 * 1024


@router.get("/environment/water/template.xlsx")
def water_template(principal: Viewer) -> Response:
    """Mẫu nhập kết quả quan trắc nước mặt (XLSX) with instructions in Vietnamese."""
    from ioc.packs.environment import water

    return attachment(water.xlsx_template(), XLSX_MIME, "mau-ket-qua-nuoc-mat.xlsx")


@router.post("/environment/water/import", response_class=HTMLResponse)
async def water_import(
    call: IngestorCall,
    file: Annotated[UploadFile, File()],
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Nhập kết quả phân tích từ tệp mẫu: valid cells kept, each refused cell named by row and
    column; VN_WQI is derived right after."""
    request, db, principal = call
    from ioc.core.clock import fixed_offset_seconds
    from ioc.packs.environment import water

    if not csrf.valid(request, csrf_token):
        return _network_view(call, "water", flash=("error", "error.csrf"))
    content = await file.read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        return _network_view(call, "water", flash=("error", "env.upload_too_big"))
    settings = request.app.state.settings

    def work() -> water.ImportReport:
        try:
            report = water.import_wide_xlsx(
                db,
                content,
                registry=request.app.state.registry,
                offset=fixed_offset_seconds(settings.timezone),
                actor=principal.actor,
                scope=write_scope(db, principal),
            )
        except ownership.NotYourData as exc:
            raise forbid(db, principal, "environment.water.import", exc) from exc
        db.commit()
        return report

    report = await run_in_threadpool(work)
    return _network_view(call, "water", report=report)


@router.get("/environment/compare", response_class=HTMLResponse)
def compare_page(call: ViewerCall, indicator: str = "pm25", days: int = 7) -> Response:
    """So sánh trạm: one parameter at several stations on one chart (hourly means)."""
    request, db, principal = call
    lang = request_language(request)
    chosen = [c for c in request.query_params.getlist("station") if c][:8]
    days = min(max(days, 1), 90)
    indicators = list(
        db.execute(
            select(Indicator)
            .where(Indicator.pack == "environment", Indicator.frequency == "PT1H")
            .order_by(Indicator.id)
        ).scalars()
    )
    ind = next((i for i in indicators if i.code == indicator), None)
    stations = list(
        db.execute(
            select(Entity).where(Entity.pack == "environment", Entity.active).order_by(Entity.code)
        ).scalars()
    )
    chart = None
    if ind is not None and chosen:
        rows = db.execute(
            select(Series.subject_code, Series.id).where(
                Series.indicator_id == ind.id,
                Series.subject_kind == "entity",
                Series.subject_code.in_(chosen),
            )
        ).all()
        sids = {code: sid for code, sid in rows}  # noqa: C416 - Row to tuple
        now = int(clock.now().timestamp())
        end = (now // HOUR + 1) * HOUR
        means = read_hourly_means(db.connection(), sids.values(), end - days * DAY, end)
        shift = HOUR if ind.time_label == "end" else 0
        names = {s.code: s.name for s in stations}
        chart = {
            "series": [
                {
                    "name": names.get(code, code),
                    "data": [
                        [queries.iso_local(t + shift), round(v, 2)]
                        for t, v in sorted(means[sid].items())
                    ],
                }
                for code, sid in sids.items()
            ],
            "yName": "" if ind.unit == "1" else ind.unit,
            "decimals": 1,
        }
    return render(
        request,
        "environment/compare.html",
        {
            "tab": "compare",
            "stations": stations,
            "chosen": chosen,
            "indicators": indicators,
            "indicator": indicator,
            "days": days,
            "chart_json": script_json(chart) if chart else None,
            "name_attr": "name_vi" if lang == "vi" else "name_en",
        },
        principal=principal,
    )


@router.get("/environment/{tab}", response_class=HTMLResponse)
def network_page(call: ViewerCall, tab: str) -> Response:
    """Nước / Tiếng ồn / Khí tượng: map and table of a network's stations with latest values."""
    return _network_view(call, tab)


def _network_view(
    call: Call, tab: str, flash: tuple[str, str] | None = None, report: Any = None
) -> Response:
    """A network's page, with the answer of an upload (``flash``, ``report``) when there is one."""
    request, db, principal = call
    if tab == "devices":
        return devices_page(request, db, principal)
    network = NETWORKS.get(tab)
    if network is None:
        raise HTTPException(404, "Không có mục này")
    lang = request_language(request)
    stations = list(
        db.execute(
            select(Entity)
            .where(Entity.type == network.entity_type, Entity.active)
            .order_by(Entity.code)
        ).scalars()
    )
    indicators = {
        i.code: i
        for i in db.execute(
            select(Indicator).where(Indicator.code.in_(network.indicators))
        ).scalars()
    }
    settings = request.app.state.settings
    rows, markers = _network_rows(db, network, stations, settings)
    trend = _wqi_trend(db, stations) if tab == "water" else None
    return render(
        request,
        "environment/network.html",
        {
            "tab": tab,
            "network": network,
            "rows": rows,
            "indicators": [indicators[c] for c in network.indicators if c in indicators],
            "markers_json": script_json(markers),
            "places_json": script_json(MAP_PLACES),
            "stations_label": i18n.translate(network.title_key, lang),
            "tile_url": request.app.state.settings.map_tile_url,
            "tile_attribution": request.app.state.settings.map_tile_attribution,
            "name_attr": "name_vi" if lang == "vi" else "name_en",
            "flash": flash,
            "trend_json": script_json(trend) if trend else None,
            "noise_limits": (settings.noise_limit_day_db, settings.noise_limit_night_db),
            "report": report,
        },
        principal=principal,
        status_code=400 if flash else 200,
    )


def _network_rows(
    db: DbSession, network: Network, stations: list[Entity], settings: Any
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The table rows (latest values, commune, day/night noise, weather flags) and the map
    markers (coloured by the network's headline indicator) of a network's stations."""
    latest = _latest(db, [s.code for s in stations], network.indicators)
    names = queries.area_names(db, {s.area_code for s in stations if s.area_code})
    codes = [s.code for s in stations]
    noise = noise_weather.noise_day_night(db, codes, settings) if network.key == "noise" else {}
    flags = noise_weather.weather_flags(db, codes, settings) if network.key == "weather" else {}
    rows = []
    markers = []
    for s in stations:
        values = latest.get(s.code, {})
        head = values.get(network.headline, (None, None))[0]
        color, text = _marker_colour(network, head)
        newest = max((ts for _, ts in values.values() if ts), default=None)
        rows.append(
            {
                "station": s,
                "commune": names.get(s.area_code or ""),
                "latest": {k: v for k, (v, _) in values.items()},
                "time": datetime.fromtimestamp(newest, tz=UTC) if newest else None,
                "noise": noise.get(s.code),
                "flags": flags.get(s.code, []),
            }
        )
        if s.lat is not None and s.lon is not None:
            markers.append(
                {
                    "code": s.code,
                    "name": s.name,
                    "lat": s.lat,
                    "lon": s.lon,
                    "aqi": None if head is None else round(head),
                    "color": color,
                    "text_color": text,
                    "url": f"/environment/stations/{s.code}",
                }
            )
    return rows, markers


def _wqi_trend(db: DbSession, stations: list[Entity]) -> dict[str, Any] | None:
    """Monthly mean VN_WQI of each water station over the last 24 months (from rollups)."""
    codes = [s.code for s in stations]
    rows = db.execute(entity_series(codes, ["vn_wqi"], Series.subject_code, Series.id))
    sids = {code: sid for code, sid in rows}  # noqa: C416 - Row to tuple
    if not sids:
        return None
    now = int(clock.now().timestamp())
    months = read_rollups(db.connection(), "month", sids.values(), now - 730 * DAY, now + DAY)
    names = {s.code: s.name for s in stations}
    return {
        "series": [
            {
                "name": names[code],
                "data": [[queries.iso_local(b.start), round(b.mean, 1)] for b in months[sid]],
            }
            for code, sid in sids.items()
            if months[sid]
        ],
        "yName": "VN_WQI",
        "yMin": 0,
        "yMax": 100,
        "markLines": [{"value": 50, "label": ""}, {"value": 75, "label": ""}],
    }


def devices_page(request: Request, db: DbSession, principal: Principal) -> Response:
    """Tình trạng thiết bị: stations by completeness, last seen, battery, sortable."""
    sort = request.query_params.get("sort", "health")
    items = device_health.sorted_health(device_health.station_health(db), sort)
    return render(
        request,
        "environment/devices.html",
        {
            "tab": "devices",
            "items": items,
            "sort": sort,
            "to_dt": lambda ts: datetime.fromtimestamp(ts, tz=UTC),
        },
        principal=principal,
    )


def generic_station_page(
    request: Request, db: DbSession, principal: Principal, code: str, public: bool
) -> Response:
    """Station page of a water, noise or weather station: latest values and 7-day charts."""
    entity = db.execute(
        select(Entity).where(Entity.code == code, Entity.pack == "environment")
    ).scalar_one_or_none()
    if entity is None or (public and entity.type != "AirQualityStation"):
        raise HTTPException(404, f"Không có trạm {code}")
    lang = request_language(request)
    rows = db.execute(
        select(Series, Indicator)
        .join(Indicator, Indicator.id == Series.indicator_id)
        .where(Series.subject_kind == "entity", Series.subject_code == code)
        .order_by(Indicator.id)
    ).all()
    newest = max((s.latest_ts for s, _ in rows if s.latest_ts), default=None)
    charts = []
    if newest is not None:
        end = (newest // HOUR + 1) * HOUR
        means = read_hourly_means(db.connection(), [s.id for s, _ in rows], end - 7 * DAY, end)
        for series, indicator in rows:
            points = sorted(means[series.id].items())
            if not points:
                continue
            shift = HOUR if indicator.time_label == "end" else 0
            charts.append(
                {
                    "id": f"chart-{indicator.code}",
                    "title": getattr(indicator, "name_vi" if lang == "vi" else "name_en"),
                    "cfg": {
                        "series": [
                            {
                                "name": indicator.name_vi if lang == "vi" else indicator.name_en,
                                "data": [
                                    [queries.iso_local(t + shift), round(v, 2)] for t, v in points
                                ],
                            }
                        ],
                        "yName": "" if indicator.unit == "1" else indicator.unit,
                        "decimals": 1,
                        # Levels such as pressure or temperature read better around their data.
                        "yMin": None if indicator.aggregation == "sum" else "dataMin",
                    },
                }
            )
    names = queries.area_names(db, {entity.area_code} if entity.area_code else set())
    return render(
        request,
        "environment/station_generic.html",
        {
            "station": entity,
            "commune": names.get(entity.area_code or ""),
            "rows": rows,
            "charts": charts,
            "charts_json": script_json([c["cfg"] for c in charts]),
            "to_dt": lambda ts: datetime.fromtimestamp(ts, tz=UTC),
            "name_attr": "name_vi" if lang == "vi" else "name_en",
            "public": public,
        },
        principal=principal,
    )


EXPORT_DAYS_MAX = 366


@router.get("/environment/stations/{code}/export")
def station_export(call: ViewerCall, code: str, format: str = "csv", days: int = 7) -> Response:
    """Tải số liệu: hourly means of every parameter of a station (the data behind its charts)
    as CSV or XLSX, times in Vietnam time, hours labelled as their charts label them."""
    request, db, _principal = call
    from ioc.engines.exports import Table

    if format not in EXPORT_FORMATS:
        raise HTTPException(422, "format: csv hoặc xlsx")
    if not 1 <= days <= EXPORT_DAYS_MAX:
        raise HTTPException(422, f"days: từ 1 đến {EXPORT_DAYS_MAX}")
    entity = db.execute(
        select(Entity).where(Entity.code == code, Entity.pack == "environment")
    ).scalar_one_or_none()
    if entity is None:
        raise HTTPException(404, f"Không có trạm {code}")
    lang = request_language(request)
    rows = db.execute(
        select(Series, Indicator)
        .join(Indicator, Indicator.id == Series.indicator_id)
        .where(
            Series.subject_kind == "entity",
            Series.subject_code == code,
            # Daily indices have their own table; the export is the hourly data of the charts.
            Indicator.code.not_like("%\\_day", escape="\\"),
        )
        .order_by(Indicator.id)
    ).all()
    newest = max((s.latest_ts for s, _ in rows if s.latest_ts), default=None) or 0
    end = (newest // HOUR + 1) * HOUR
    means = read_hourly_means(db.connection(), [s.id for s, _ in rows], end - days * DAY, end)
    by_time: dict[int, dict[str, float]] = {}
    for series, indicator in rows:
        shift = HOUR if indicator.time_label == "end" else 0
        for start, value in means[series.id].items():
            by_time.setdefault(start + shift, {})[indicator.code] = round(value, 3)
    names = [getattr(i, "name_vi" if lang == "vi" else "name_en") for _, i in rows]
    units = ["" if i.unit == "1" else f" ({i.unit})" for _, i in rows]
    local = queries.local_datetime
    table = Table(
        title=entity.name,
        header=["Thời gian (UTC+07:00)" if lang == "vi" else "Time (UTC+07:00)"]
        + [n + u for n, u in zip(names, units, strict=True)],
        rows=[
            [local(t)] + [values.get(i.code) for _, i in rows]
            for t, values in sorted(by_time.items())
        ],
        notes=[
            f"{entity.code} · {'trung bình giờ' if lang == 'vi' else 'hourly means'} · {days} "
            + ("ngày" if lang == "vi" else "days"),
        ],
    )
    return table_file(table, format, f"{entity.code}-{days}d")
