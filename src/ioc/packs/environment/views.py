"""Shapes shared by the environment API and pages (JSON-ready dictionaries)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy.orm import Session

from ioc.core import clock
from ioc.core.models import Area, Entity
from ioc.packs.environment import aqi, service

STALE_AFTER_SECONDS = 3 * 3600  # an index older than this is shown as "no current data"


def iso_local(ts: int) -> str:
    """UNIX seconds as ISO 8601 with the +07:00 offset."""
    return datetime.fromtimestamp(ts, tz=clock.local_tz()).isoformat()


def point_json(point: service.AqiPoint, lang: str = "vi") -> dict[str, Any]:
    """One index value as the API returns it."""
    cat = point.category
    return {
        "time": iso_local(point.ts),
        "aqi": point.aqi,
        "category": cat.key,
        "category_name": cat.name_vi if lang == "vi" else cat.name_en,
        "color": cat.color,
        "dominant": point.dominant,
        "sub_indices": point.sub_indices,
    }


def area_names(session: Session, codes: set[str]) -> dict[str, str]:
    """Current names of administrative units by code."""
    from sqlalchemy import select

    if not codes:
        return {}
    rows = session.execute(
        select(Area.code, Area.name).where(Area.code.in_(codes), Area.valid_to.is_(None))
    )
    return {code: name for code, name in rows}  # noqa: C416 - Row to tuple


def station_summaries(session: Session, lang: str) -> list[dict[str, Any]]:
    """Every station with its newest hourly VN_AQI and newest concentrations."""
    entities = service.stations(session)
    latest = service.latest_points(session, [e.id for e in entities])
    series = service.pollutant_series(session, [e.code for e in entities])
    names = area_names(session, {e.area_code for e in entities if e.area_code})
    now = int(clock.now().timestamp())
    out = []
    for e in entities:
        point = latest.get(e.id)
        current = point is not None and now - point.ts <= STALE_AFTER_SECONDS
        concentrations = {
            p: {"value": s.latest_value, "time": iso_local(s.latest_ts)}
            for p, s in series.get(e.code, {}).items()
            if p in aqi.POLLUTANTS and s.latest_ts is not None
        }
        out.append(
            {
                "code": e.code,
                "name": e.name,
                "lat": e.lat,
                "lon": e.lon,
                "commune_code": e.area_code,
                "commune": names.get(e.area_code or ""),
                "agency": e.agency_code,
                "aqi": point_json(point, lang) if point else None,
                "current": current,
                "concentrations": concentrations,
            }
        )
    return out


def map_markers(summaries: list[dict[str, Any]], url_prefix: str) -> list[dict[str, Any]]:
    """Stations in the shape ``IOC.aqiMap`` draws (grey when the index is not current)."""
    markers = []
    for s in summaries:
        point = s["aqi"] if s["current"] else None
        cat = aqi.category(point["aqi"]) if point else None
        markers.append(
            {
                "code": s["code"],
                "name": s["name"],
                "lat": s["lat"],
                "lon": s["lon"],
                "aqi": point["aqi"] if point else None,
                "category": cat.key if cat else None,
                "category_label": point["category_name"] if point else None,
                "color": cat.color if cat else None,
                "text_color": cat.text_color if cat else None,
                "time": point["time"] if point else None,
                "url": f"{url_prefix}/{s['code']}",
            }
        )
    return markers


def entity_json(e: Entity) -> dict[str, Any]:
    """Station fields without measurements."""
    return {
        "code": e.code,
        "name": e.name,
        "lat": e.lat,
        "lon": e.lon,
        "commune_code": e.area_code,
        "agency": e.agency_code,
    }


def parse_time(value: str, field: str) -> int:
    """An ISO 8601 date or datetime (with offset) as UNIX seconds; dates are local midnight."""
    try:
        if len(value) == 10:
            dt = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=clock.local_tz())
        else:
            dt = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{field}: cần ISO 8601, ví dụ 2026-03-01T00:00:00+07:00") from exc
    if dt.tzinfo is None:
        raise ValueError(f"{field}: thiếu múi giờ (+07:00)")
    if not clock.accepted(dt):
        raise ValueError(f"{field}: ngoài khoảng cho phép {clock.RANGE_TEXT}")
    return int(dt.astimezone(UTC).timestamp())


# Town names drawn on the map so it reads without a tile server (display only: placed just
# south of each town, clear of the station markers).
MAP_PLACES = (
    {"name": "Buôn Ma Thuột", "lat": 12.5900, "lon": 108.1300},
    {"name": "Buôn Hồ", "lat": 12.8700, "lon": 108.2700},
    {"name": "Tuy Hòa", "lat": 13.0300, "lon": 109.3000},
)


def _json(value: Any) -> str:
    # Embedded in <script type="application/json">: escape "</" so data cannot close the tag.
    return orjson.dumps(value).decode().replace("</", "<\\/")


def local_datetime(ts: int) -> datetime:
    """UNIX seconds as an aware datetime in Vietnam time."""
    return datetime.fromtimestamp(ts, tz=clock.local_tz())
