"""HTML pages of the environment pack: province map, station page, public air-quality page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from ioc.core import clock, i18n
from ioc.core.registry import Tile, TileTrend
from ioc.core.series import DAY, HOUR, day_bucket, hour_bucket, read_hourly_means
from ioc.packs.environment import aqi, queries, service
from ioc.packs.environment.queries import MAP_PLACES, script_json
from ioc.web.deps import DbSession, Principal, Public, Viewer, request_language
from ioc.web.templating import render

router = APIRouter(include_in_schema=False)


def overview_tile(session: Session, lang: str) -> Tile:
    """Tile for the IOC overview: worst current VN_AQI, stations reporting."""
    summaries = queries.station_summaries(session, lang)
    current = [s for s in summaries if s["current"]]
    title = i18n.translate("tile.environment", lang)
    caption = i18n.translate("tile.stations_reporting", lang, n=len(current), total=len(summaries))
    if not current:
        return Tile("environment", title, "—", caption, "none", "/environment")
    worst = max(current, key=lambda s: s["aqi"]["aqi"])
    cat = aqi.category(worst["aqi"]["aqi"])
    mean = sum(s["aqi"]["aqi"] for s in current) / len(current)
    lines = (
        i18n.translate("tile.worst_station", lang, name=worst["name"]),
        i18n.translate("tile.mean_aqi", lang, value=i18n.format_number(mean, lang)),
    )
    return Tile(
        pack="environment",
        title=title,
        figure=f"{worst['aqi']['aqi']} · {cat.name_vi if lang == 'vi' else cat.name_en}",
        caption=caption,
        status=cat.key,
        href="/environment",
        color=cat.color,
        text_color=cat.text_color,
        lines=lines,
        trend=_daily_worst_aqi(session, lang),
    )


TREND_DAYS = 14


def _daily_worst_aqi(session: Session, lang: str) -> TileTrend | None:
    """The highest hourly VN_AQI of any station on each of the last ``TREND_DAYS`` local days
    (today so far last), from the hourly indices in ``env_aqi``."""
    offset = clock.fixed_offset_seconds()
    today = day_bucket(int(clock.now().timestamp()), offset)
    first = today - (TREND_DAYS - 1) * DAY
    worst = queries.daily_worst(session, first, today + DAY, offset)
    values = tuple(
        None if (v := worst.get(first + i * DAY)) is None else float(v) for i in range(TREND_DAYS)
    )
    if sum(v is not None for v in values) < 2:
        return None
    return TileTrend(
        values=values,
        period="day",
        better="down",
        label=i18n.translate("trend.label.aqi_max", lang),
    )


def _map_page(request: Request, db: Session, principal: Principal, public: bool) -> Response:
    settings = request.app.state.settings
    lang = request_language(request)
    summaries = queries.station_summaries(db, lang)
    prefix = "/public/air" if public else "/environment/stations"
    markers = queries.map_markers(summaries, prefix)
    # Last 7 days of hourly VN_AQI (labels of the hours starting in the window) for every
    # station that has an index.
    now = int(clock.now().timestamp())
    by_station = queries.hourly_by_station(db, now - 7 * DAY + HOUR, now + HOUR)
    chart = {
        "series": [
            {
                "name": s["name"],
                "data": [[queries.iso_local(ts), v] for ts, v in by_station.get(s["code"], [])],
            }
            for s in summaries
            if s["aqi"] is not None
        ],
        "yName": "VN_AQI",
        # Above 100 the air is "Kém", above 150 "Xấu" (QĐ 1459 Table 1).
        "markLines": [
            {
                "value": 100,
                "label": aqi.category(101).name_vi if lang == "vi" else aqi.category(101).name_en,
            },
            {
                "value": 150,
                "label": aqi.category(151).name_vi if lang == "vi" else aqi.category(151).name_en,
            },
        ],
    }
    worst = max((s for s in summaries if s["current"]), key=lambda s: s["aqi"]["aqi"], default=None)
    return render(
        request,
        "environment/public.html" if public else "environment/index.html",
        {
            "stations": summaries,
            "markers_json": script_json(markers),
            "places_json": script_json(MAP_PLACES),
            "choropleth_json": script_json(queries.commune_aqi(db, summaries, lang)),
            "stations_label": i18n.translate("map.stations", lang),
            "chart_json": script_json(chart),
            "categories": aqi.CATEGORIES,
            "worst": worst,
            "worst_category": aqi.category(worst["aqi"]["aqi"]) if worst else None,
            "tile_url": settings.map_tile_url,
            "tile_attribution": settings.map_tile_attribution,
            "pollutants": aqi.POLLUTANTS,
        },
        principal=principal,
    )


@router.get("/environment", response_class=HTMLResponse)
def environment_index(request: Request, db: DbSession, principal: Viewer) -> Response:
    """Môi trường: map of stations coloured by current VN_AQI, table, 7-day chart."""
    return _map_page(request, db, principal, public=False)


@router.get("/public/air", response_class=HTMLResponse)
def public_air(request: Request, db: DbSession, principal: Public) -> Response:
    """Public air-quality page for citizens (no login): map, current index, health advice."""
    return _map_page(request, db, principal, public=True)


def _station_page(
    request: Request, db: Session, principal: Principal, code: str, public: bool
) -> Response:
    lang = request_language(request)
    entity = service.station(db, code)
    if entity is None:
        from ioc.packs.environment.networks import generic_station_page

        return generic_station_page(request, db, principal, code, public)
    now = int(clock.now().timestamp())
    series = service.pollutant_series(db, [code]).get(code, {})
    latest_ts = max((s.latest_ts for s in series.values() if s.latest_ts), default=now)
    end_label = hour_bucket(latest_ts, True) + HOUR
    hourly_points = service.aqi_points(db, entity.id, "hour", end_label - 7 * DAY, end_label)
    daily_points = service.aqi_points(db, entity.id, "day", end_label - 90 * DAY, end_label)
    poll_sids = {p: series[p].id for p in aqi.POLLUTANTS if p in series}
    by_label = _hourly_concentrations(db, poll_sids, end_label)
    hourly_rows = []
    for point in reversed(hourly_points[-48:]):
        hourly_rows.append(
            {"point": point, "conc": {p: by_label[p].get(point.ts) for p in poll_sids}}
        )
    local_end = datetime.fromtimestamp(end_label - HOUR, tz=UTC) + timedelta(
        seconds=service.local_offset()
    )
    last_day = local_end.date()
    stats = service.day_stats(db, code, last_day - timedelta(days=29), last_day)
    daily_by_ts = {p.ts: p for p in daily_points}
    day_rows = []
    for s in stats:
        start = service.local_midnight(s.day)
        day_rows.append({"stats": s, "point": daily_by_ts.get(start)})
    current = (
        hourly_points[-1]
        if hourly_points and now - hourly_points[-1].ts <= queries.STALE_AFTER_SECONDS
        else None
    )
    area = queries.area_names(db, {entity.area_code} if entity.area_code else set())
    return render(
        request,
        "environment/station.html",
        {
            "public": public,
            "station": entity,
            "commune": area.get(entity.area_code or ""),
            "current": current,
            "last": hourly_points[-1] if hourly_points else None,
            "concentrations": {
                p: series[p] for p in aqi.POLLUTANTS if p in series and series[p].latest_ts
            },
            "hourly_rows": hourly_rows,
            "day_rows": day_rows,
            "pollutants": list(poll_sids),
            **_station_charts(lang, by_label, hourly_points, daily_points),
            "categories": aqi.CATEGORIES,
            "to_dt": lambda ts: datetime.fromtimestamp(ts, tz=UTC),
            "pm25_limit": service.pm25_limit(last_day),
        },
        principal=principal,
    )


def _hourly_concentrations(
    db: Session, poll_sids: dict[str, int], end_label: int
) -> dict[str, dict[int, float]]:
    """Hourly mean concentration of each pollutant over the 7 days before ``end_label``,
    labelled by the END of the hour, like the index and QĐ 1459's tables."""
    hour_means = read_hourly_means(
        db.connection(), poll_sids.values(), end_label - 7 * DAY, end_label
    )
    return {
        p: {start + HOUR: mean for start, mean in hour_means[sid].items()}
        for p, sid in poll_sids.items()
    }


def _station_charts(
    lang: str,
    by_label: dict[str, dict[int, float]],
    hourly_points: list[service.AqiPoint],
    daily_points: list[service.AqiPoint],
) -> dict[str, str]:
    """The station page's three charts as embedded JSON: pollutants (CO apart, its scale is
    a thousand times larger), hourly VN_AQI coloured by category, daily VN_AQI calendar."""
    pollutant_chart = {
        "series": [
            {
                "name": i18n.translate(f"pollutant.{p}", lang),
                "data": [
                    [queries.iso_local(t), round(v, 1)] for t, v in sorted(by_label[p].items())
                ],
            }
            for p in by_label
            if p != "co"
        ],
        "yName": "µg/m³",
        "decimals": 1,
    }
    hourly_chart = {
        "series": [
            {
                "name": "VN_AQI",
                "data": [[queries.iso_local(p.ts), p.aqi] for p in hourly_points],
            }
        ],
        "yName": "VN_AQI",
        "colorByAqi": True,
    }
    daily_chart = {
        "data": [
            {
                "date": datetime.fromtimestamp(p.ts + service.local_offset(), tz=UTC)
                .date()
                .isoformat(),
                "value": p.aqi,
                "color": p.category.color,
            }
            for p in daily_points
        ],
        "seriesName": "VN_AQI",
    }
    return {
        "hourly_chart_json": script_json(hourly_chart),
        "pollutant_chart_json": script_json(pollutant_chart),
        "daily_chart_json": script_json(daily_chart),
    }


@router.get("/environment/stations/{code}", response_class=HTMLResponse)
def station_page(request: Request, code: str, db: DbSession, principal: Viewer) -> Response:
    """Trang trạm: current index, hourly and daily tables, charts, QCVN 05 exceedances."""
    return _station_page(request, db, principal, code, public=False)


@router.get("/public/air/{code}", response_class=HTMLResponse)
def public_station_page(request: Request, code: str, db: DbSession, principal: Public) -> Response:
    """The same station page for citizens (air-quality data is public)."""
    return _station_page(request, db, principal, code, public=True)
