"""Reads shared by the environment API, pages and alert rules: station summaries with their
newest VN_AQI, map markers, the commune choropleth, the map chart and tile trend from
``env_aqi``, the record source of the AQI alert rules, and the JSON-ready shapes of stations
and index values."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.core import clock, i18n
from ioc.core.communes import communes
from ioc.core.models import Area, Entity
from ioc.core.registry import RecordSample
from ioc.core.series import DAY
from ioc.engines.actions_kit import same_named
from ioc.packs.environment import aqi, service
from ioc.packs.environment.models import AirQualityIndex

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


def _active_station_rows(*columns: Any) -> Any:
    """``SELECT columns`` of the hourly indices of active air stations (filters to add)."""
    return (
        select(*columns)
        .join(Entity, Entity.id == AirQualityIndex.entity_id)
        .where(
            Entity.type == service.STATION_TYPE,
            Entity.active,
            AirQualityIndex.resolution == "hour",
        )
    )


def hourly_by_station(session: Session, lo: int, hi: int) -> dict[str, list[tuple[int, int]]]:
    """``{station code: [(label, index), …]}``: hourly VN_AQI with ``lo <= label <= hi`` of
    every active air station, oldest first (the map page's 7-day chart)."""
    out: dict[str, list[tuple[int, int]]] = {}
    rows = session.execute(
        _active_station_rows(Entity.code, AirQualityIndex.ts, AirQualityIndex.aqi)
        .where(AirQualityIndex.ts >= lo, AirQualityIndex.ts <= hi)
        .order_by(Entity.code, AirQualityIndex.ts)
    )
    for code, ts, index in rows:
        out.setdefault(code, []).append((ts, index))
    return out


def daily_worst(session: Session, first: int, end: int, offset: int) -> dict[int, int]:
    """``{local midnight: highest hourly VN_AQI of any active station that day}`` for the days
    starting in ``[first, end)``. An hour belongs to the day its interval lies in: the hour
    labelled 24:00 (the next day's 00:00) closes the day before, as in the day rollups."""
    # Hour-ending labels: the covered hour starts at ts - 1 rounded down, hence ts - 1 here.
    day = ((AirQualityIndex.ts - 1 + offset) // DAY).label("day")
    rows = session.execute(
        _active_station_rows(day, func.max(AirQualityIndex.aqi))
        .where(AirQualityIndex.ts > first, AirQualityIndex.ts <= end)
        .group_by(day)
    )
    return {int(d) * DAY - offset: int(worst) for d, worst in rows}


def aqi_hour_records(session: Session, now: datetime) -> list[RecordSample]:
    """Record source ``environment.aqi_hour`` (the AQI alert rules): one sample per active air
    station whose newest hourly VN_AQI is at most :data:`service.RECORD_MAX_AGE_S` old, valued
    in that index. Labelled like a threshold rule's instance on a station (``subject``,
    ``area``, ``agency``) plus ``name``, which the annotations' ``{{ name }}`` shows."""
    now_ts = int(now.timestamp())
    newest: dict[int, tuple[int, int]] = {}
    rows = session.execute(
        _active_station_rows(
            AirQualityIndex.entity_id, AirQualityIndex.ts, AirQualityIndex.aqi
        ).where(AirQualityIndex.ts >= now_ts - service.RECORD_MAX_AGE_S)
    )
    for eid, ts, index in rows:
        if eid not in newest or ts > newest[eid][0]:
            newest[eid] = (ts, index)
    if not newest:
        return []
    out = []
    for e in session.execute(select(Entity).where(Entity.id.in_(list(newest)))).scalars():
        labels = {"subject": e.code, "name": e.name}
        if e.area_code:
            labels["area"] = e.area_code
        if e.agency_code:
            labels["agency"] = e.agency_code
        out.append(RecordSample(labels=labels, value=float(newest[e.id][1])))
    return sorted(out, key=lambda r: r.labels["subject"])


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


# A commune whose centre is farther than this from every station has no station to stand for
# it on the map ("không có số liệu"): the air 40 km away says little about the commune.
NEAREST_STATION_KM = 25.0


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def commune_aqi(session: Session, summaries: list[dict[str, Any]], lang: str) -> dict[str, Any]:
    """The map's choropleth "VN_AQI by nearest station": each commune takes the current index
    of the station nearest to its centre (within :data:`NEAREST_STATION_KM`). The figures are
    the stations' own from ``summaries`` (:func:`station_summaries`, the station table's); here
    they are only assigned to communes. A commune whose nearest station has no current index,
    or with no station near, has ``None`` (drawn as "không có số liệu", never as 0)."""
    t = i18n.translate
    placed = [s for s in summaries if s["lat"] is not None and s["lon"] is not None]
    values: dict[str, int | None] = {}
    notes: dict[str, str] = {}
    for c in communes(session):
        if c.lat is None or c.lon is None:
            values[c.code] = None
            continue
        lat, lon = c.lat, c.lon
        nearest = min(placed, key=lambda s: _km(lat, lon, s["lat"], s["lon"]), default=None)
        km = _km(lat, lon, nearest["lat"], nearest["lon"]) if nearest else None
        if nearest is None or km is None or km > NEAREST_STATION_KM:
            values[c.code] = None
            notes[c.code] = t("map.aqi.none_near", lang, km=int(NEAREST_STATION_KM))
            continue
        values[c.code] = nearest["aqi"]["aqi"] if nearest["current"] and nearest["aqi"] else None
        notes[c.code] = t(
            "map.aqi.nearest", lang, name=nearest["name"], km=i18n.format_number(km, lang, 0)
        )
    bands = aqi.CATEGORIES
    classes = []
    for i, band in enumerate(bands):
        top = bands[i + 1].min_aqi - 1 if i + 1 < len(bands) else None
        span = f"{band.min_aqi}–{top}" if top is not None else f"{band.min_aqi}+"
        classes.append(
            {
                "max": top,
                "color": band.color,
                "label": f"{span} {band.name_vi if lang == 'vi' else band.name_en}",
            }
        )
    return {
        "name": t("map.aqi.layer", lang),
        "title": t("map.aqi.title", lang, km=int(NEAREST_STATION_KM)),
        "values": values,
        "notes": notes,
        "classes": classes,
        "decimals": 0,
        "opacity": 0.55,
    }


def entity_json(e: Entity) -> dict[str, Any]:
    """Station fields without measurements."""
    return {
        **same_named(e, "code name lat lon"),
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


def script_json(value: Any) -> str:
    """``value`` as JSON for a ``<script type="application/json">`` element of a page."""
    # Escape "</" so data cannot close the tag.
    return orjson.dumps(value).decode().replace("</", "<\\/")


def local_datetime(ts: int) -> datetime:
    """UNIX seconds as an aware datetime in Vietnam time."""
    return datetime.fromtimestamp(ts, tz=clock.local_tz())
