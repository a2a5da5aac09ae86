"""Page ``/traffic``: map of road segments coloured by congestion (LOS A–F), incidents
(grid-clustered in the browser by zoom level), cameras (online/offline, stream link), heat
map, incidents by hour and day, peak-hour traffic profile, statistics per commune (XLSX/CSV)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import clock, i18n
from ioc.core.clock import fixed_offset_seconds
from ioc.core.models import Area, Entity
from ioc.core.registry import Tile
from ioc.engines.exports import XLSX_MIME, Table, to_csv, to_xlsx
from ioc.packs.security_traffic import congestion, service
from ioc.packs.security_traffic.api import segments_geojson
from ioc.packs.security_traffic.models import StIncident
from ioc.web.deps import DbSession, Viewer, request_language
from ioc.web.templating import render

router = APIRouter(include_in_schema=False)

KIND_COLORS = {"accident": "#C62828", "violation": "#EF6C00", "public_order": "#1565C0"}
PERIODS = (1, 7, 30, 90)


def _json(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def overview_tile(session: Session, lang: str) -> Tile:
    """Tile: segments congested (LOS E/F) of those with data, cameras online."""
    now = clock.now()
    states = congestion.segment_states(session, now)
    known = [s for s in states if s.level]
    bad = [s for s in known if s.level in ("E", "F")]
    cams = service.camera_states(session, now)
    title = i18n.translate("st.title", lang)
    if not states and not cams:
        return Tile("security_traffic", title, "—", i18n.translate("st.tile.none", lang),
                    "none", "/traffic")  # fmt: skip
    status = "bad" if any(s.level == "F" for s in bad) else ("warn" if bad else "ok")
    return Tile(
        pack="security_traffic",
        title=title,
        figure=f"{len(bad)}/{len(known)}",
        caption=i18n.translate("st.tile.congested", lang),
        status=status if known else "none",
        href="/traffic",
        lines=(
            i18n.translate(
                "st.tile.cameras", lang, n=sum(1 for c in cams if c.online), total=len(cams)
            ),
        ),
    )


def _period(days: int) -> int:
    return days if days in PERIODS else 7


def _stats(db: Session, days: int, kind: str | None, area: str | None) -> tuple[Any, Any]:
    now = clock.now()
    start = now - timedelta(days=days)
    items = service.incidents(db, start, now, kind, area)
    offset = fixed_offset_seconds()
    return items, service.compute_stats(db, items, start, now, offset)


@router.get("/traffic")
def index(
    request: Request,
    db: DbSession,
    principal: Viewer,
    days: int = 7,
    kind: str | None = None,
    area: str | None = None,
) -> Response:
    """An ninh trật tự và giao thông: map, charts and tables for the period."""
    settings = request.app.state.settings
    lang = request_language(request)
    days = _period(days)
    kind = kind if kind in service.KINDS else None
    area = area or None
    now = clock.now()
    items, st = _stats(db, days, kind, area)
    states = congestion.segment_states(db, now)
    cameras = service.camera_states(db, now)
    sensors = [
        c for (c,) in db.execute(select(Entity.code).where(Entity.type == "TrafficFlowSensor"))
    ]
    profile = congestion.peak_profile(db, sensors, now)
    area_name = db.execute(select(Area.name).where(Area.code == area)).scalar() if area else None

    def tr(key: str, **kw: Any) -> str:
        return i18n.translate(key, lang, **kw)

    place_of = _place_namer(states)
    map_data = _map_data(items, states, cameras, st, place_of, tr, settings)
    return render(
        request,
        "security_traffic/index.html",
        {
            "days": days,
            "periods": PERIODS,
            "kind": kind,
            "area": area,
            "area_name": area_name,
            "kinds": service.KINDS,
            "st": st,
            "items": items[:100],
            "place_of": place_of,
            "states": states,
            "cameras": cameras,
            "levels": congestion.LEVELS,
            "level_colors": congestion.COLORS,
            "bands": congestion.policy().bands,
            "peak": congestion.peak_hour(profile),
            "map_json": _json(map_data),
            "charts_json": _json(
                _charts(st, profile, tr("st.incidents"), tr("st.volume_per_hour"))
            ),
        },
        principal=principal,
    )


def _map_data(
    items: list[StIncident],
    states: list[congestion.SegmentState],
    cameras: list[service.CameraState],
    st: service.Stats,
    place_of: Callable[[Any], str],
    tr: Callable[..., str],
    settings: Any,
) -> dict[str, Any]:
    """What the page's map draws: segments by congestion, located incidents, cameras, the
    heat map cells, and the labels in the page's language."""
    return {
        "segments": segments_geojson(states),
        "incidents": [
            [
                i.lat,
                i.lon,
                i.kind,
                i.id,
                tr(f"st.cat.{i.category}"),
                place_of(i),
                i.occurred_at.isoformat(),
            ]
            for i in items
            if i.lat is not None and i.lon is not None
        ],
        "cameras": [
            {
                "code": c.code,
                "name": c.name,
                "lat": c.lat,
                "lon": c.lon,
                "online": c.online,
                "stream": c.stream_url,
            }
            for c in cameras
            if c.lat is not None
        ],
        "heat": st.heat,
        "cell": service.CELL_DEG,
        "kindColors": KIND_COLORS,
        "kindNames": {k: tr(f"st.kind.{k}") for k in service.KINDS},
        "labels": {
            "online": tr("st.cam.online"),
            "offline": tr("st.cam.offline"),
            "stream": tr("st.cam.stream"),
            "incidents": tr("st.incidents"),
        },
        "tileUrl": settings.map_tile_url,
        "tileAttribution": settings.map_tile_attribution,
    }


def _place_namer(states: list[congestion.SegmentState]) -> Callable[[Any], str]:
    """Where an incident happened, in words: a segment's road name, never its code."""
    segment_names = {s.code: s.name for s in states}

    def place_of(incident: Any) -> str:
        place = str(incident.place or "")
        if place in segment_names:
            return segment_names[place]
        if not place and incident.segment_code:
            return segment_names.get(incident.segment_code, str(incident.segment_code))
        return place

    return place_of


def _charts(
    st: service.Stats, profile: list[float | None], incidents: str, volume: str
) -> dict[str, Any]:
    """The page's three bar charts: incidents by hour of day and by day of the period (all
    kinds together), and the mean traffic volume by hour; ``incidents`` and ``volume`` are
    the series names in the page's language."""
    hour_total = [sum(st.by_hour[k][h] for k in service.KINDS) for h in range(24)]
    day_total = [sum(st.by_day_counts[k][i] for k in service.KINDS) for i in range(len(st.by_day))]
    return {
        "hour": {
            "data": [
                {"name": f"{h:02d}h", "value": v, "color": "#1565C0"}
                for h, v in enumerate(hour_total)
            ],
            "seriesName": incidents,
            "showValues": False,
        },
        "day": {
            "data": [
                {"date": d, "value": v, "color": "#6A1B9A"}
                for d, v in zip(st.by_day, day_total, strict=True)
            ],
            "seriesName": incidents,
            "showValues": False,
        },
        "profile": {
            "data": [
                {"name": f"{h:02d}h", "value": None if v is None else round(v), "color": "#2E7D32"}
                for h, v in enumerate(profile)
            ],
            "seriesName": volume,
            "showValues": False,
        },
    }  # fmt: skip


@router.get("/traffic/export")
def export(
    request: Request, db: DbSession, principal: Viewer, days: int = 7, format: str = "xlsx"
) -> Response:
    """Thống kê vụ việc theo xã/phường của kỳ, XLSX hoặc CSV."""
    if format not in ("csv", "xlsx"):
        return Response("format: csv | xlsx", status_code=400, media_type="text/plain")
    lang = request_language(request)
    days = _period(days)
    _, st = _stats(db, days, None, None)

    def tr(key: str) -> str:
        return i18n.translate(key, lang)

    table = Table(
        tr("st.by_area"),
        [tr("st.col.area"), *[tr(f"st.kind.{k}") for k in service.KINDS], tr("st.col.total")],
        notes=[i18n.translate("st.period_days", lang, n=days)],
    )
    for r in st.by_area:
        table.rows.append([r["name"], *[r[k] for k in service.KINDS], r["total"]])
    body, media = (to_xlsx(table), XLSX_MIME) if format == "xlsx" else (to_csv(table), "text/csv")
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="antt-giao-thong-{days}d.{format}"'},
    )
