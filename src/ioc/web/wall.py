"""Màn hình tường: the big-screen mode of the IOC for the video wall.

``/wall`` is a full-screen dark page that rotates every ``IOC_WALL_ROTATE_SECONDS`` (or
``?rotate=N``; ``0`` stops) through three views — the packs' tiles, a map of stations and
alerts, the open alerts in large type — under a clock and the counts by severity that stay on
screen. The data refresh without reloading the page: the alert list and counts (HTMX, every
``IOC_ALERTS_REFRESH_SECONDS``), the tiles (every ``IOC_OVERVIEW_REFRESH_SECONDS``) and the
map markers (``/wall/data``, JSON, read by ``static/wall.js``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from ioc.core import clock, i18n
from ioc.core.registry import Registry, Tile
from ioc.engines.alerting import places, queries
from ioc.engines.alerting.models import SEVERITIES
from ioc.engines.alerting.queries import AlertFilters
from ioc.web.alerts import since
from ioc.web.core_pages import pack_tiles
from ioc.web.deps import AppRegistry, AppSettings, DbSession, ViewerApi, request_language
from ioc.web.pagekit import ViewerCall, query_fields
from ioc.web.templating import render

router = APIRouter(include_in_schema=False)


VIEWS = ("tiles", "map", "alerts")
WALL_ALERTS = 8  # rows that stay legible on one screen at 1080p and at 4K alike
MAP_ALERTS = 100_000  # the map counts every open alert (placed or not), not the first 500
# Towns named on the wall map, so a map drawn without tiles (closed network) still reads.
WALL_PLACES = (
    {"name": "Buôn Ma Thuột", "lat": 12.59, "lon": 108.13},
    {"name": "Buôn Hồ", "lat": 12.87, "lon": 108.27},
    {"name": "Ea Kar", "lat": 12.80, "lon": 108.45},
    {"name": "Tuy Hòa", "lat": 13.03, "lon": 109.30},
    {"name": "Sông Cầu", "lat": 13.45, "lon": 109.22},
)
WEEKDAYS = {
    "vi": ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}


def clock_date(lang: str) -> str:
    """Today in words for the wall clock: ``Thứ Ba, 10/03/2026``."""
    local = i18n.to_local(clock.now())
    names = WEEKDAYS.get(lang, WEEKDAYS["vi"])
    return f"{names[local.weekday()]}, {local:%d/%m/%Y}"


def _tiles(db: Session, registry: Registry, lang: str, cache_s: float = 0) -> list[Tile]:
    return pack_tiles(db, registry, lang, cache_s)


def _alerts_context(db: Session, lang: str) -> dict[str, Any]:
    rows = queries.open_alerts(db, AlertFilters(), lang)
    counts = queries.severity_counts(db)
    now = clock.now()
    return {
        "worst": next((s for s in SEVERITIES if counts.get(s)), None),
        "rows": rows[:WALL_ALERTS],
        "more": max(0, len(rows) - WALL_ALERTS),
        "total": len(rows),
        "counts": counts,
        "incidents_open": queries.incidents(db, "open").total,
        "severities": SEVERITIES,
        "since": lambda value: since(value, lang, now),
        "now": now,
    }


def _rotate(value: str, default: int) -> int:
    # A bad ?rotate= keeps the configured period (a wall screen has nobody to read an error).
    value = value.strip()
    if value.isdigit():
        seconds = int(value)
        return 0 if seconds == 0 else min(max(seconds, 5), 3600)
    return default


# The wall's rotation period (seconds) and the view it opens on.
WallQuery = Annotated[dict[str, str], Depends(query_fields(rotate=8, view=(10, "tiles")))]


@router.get("/wall", response_class=HTMLResponse)
def wall_page(
    call: ViewerCall, registry: AppRegistry, settings: AppSettings, query: WallQuery
) -> Response:
    """The big screen: clock, counts by severity and the three rotating views."""
    request, db, principal = call
    rotate, view = query["rotate"], query["view"]
    lang = call.lang
    context = _alerts_context(db, lang)
    context.update(
        {
            "tiles": _tiles(db, registry, lang, settings.tile_cache_seconds),
            "views": VIEWS,
            "view": view if view in VIEWS else VIEWS[0],
            "rotate": _rotate(rotate, settings.wall_rotate_seconds),
            "refresh": settings.alerts_refresh_seconds,
            "tiles_refresh": settings.overview_refresh_seconds,
            "clock_time": i18n.to_local(clock.now()).strftime("%H:%M"),
            "clock_date": clock_date(lang),
            "tile_url": settings.map_tile_url,
        }
    )
    return render(request, "wall/wall.html", context, principal=principal)


@router.get("/wall/partials/alerts", response_class=HTMLResponse)
def wall_alerts(call: ViewerCall) -> Response:
    """The large alert list, with the counts swapped out of band (HTMX)."""
    request, db, principal = call
    return render(request, "wall/_alerts.html", _alerts_context(db, call.lang), principal=principal)


@router.get("/wall/partials/tiles", response_class=HTMLResponse)
def wall_tiles(call: ViewerCall, registry: AppRegistry) -> Response:
    """The packs' tiles for the wall."""
    request, db, principal = call
    lang = call.lang
    context = _alerts_context(db, lang)
    cache_s = request.app.state.settings.tile_cache_seconds
    context["tiles"] = _tiles(db, registry, lang, cache_s)
    return render(request, "wall/_tiles.html", context, principal=principal)


@router.get("/wall/data")
def wall_data(request: Request, principal: ViewerApi, db: DbSession) -> dict[str, Any]:
    """Map data: every open alert at its place (its entity, else the centre of its commune)
    and how many have no place, the open incidents, and the stations (with a position)
    coloured by their worst open alert."""
    lang = request_language(request)
    rows = queries.open_alerts(db, AlertFilters(), lang, limit=MAP_ALERTS)
    markers = queries.wall_markers(db, rows)
    return {
        **places.alert_points(db, rows).as_json(),
        "generated_at": clock.now().isoformat(),
        "counts": queries.severity_counts(db),
        "severity_labels": {s: i18n.translate(f"alerts.severity.{s}", lang) for s in SEVERITIES},
        "ok_label": i18n.translate("wall.station_ok", lang),
        "places": list(WALL_PLACES),
        "markers": [
            {
                "code": m.code,
                "name": m.name,
                "lat": m.lat,
                "lon": m.lon,
                "severity": m.severity,
                "alerts": m.alerts,
            }
            for m in markers
        ],
    }
