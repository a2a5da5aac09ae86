"""Actions and figures of the public order and traffic pack: segments, sensors and cameras as
entities; incidents (one action per state change, audited); statistics by commune, hour, day;
map clustering and heat map.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Unpack

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import audit, clock
from ioc.core.entities import upsert_entity
from ioc.core.models import Area, Entity, Indicator, Series
from ioc.engines import geo
from ioc.engines.actions_kit import LabelledFieldError, SiteFields, check_move, same_named
from ioc.packs.security_traffic.congestion import active_entities, policy
from ioc.packs.security_traffic.models import StIncident

KINDS: tuple[str, ...] = ("accident", "violation", "public_order")
STATUSES: tuple[str, ...] = ("open", "handling", "resolved")
TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"handling", "resolved"}),
    "handling": frozenset({"resolved"}),
    "resolved": frozenset({"open"}),
}
CATEGORIES: dict[str, tuple[str, ...]] = {
    "accident": ("collision", "single_vehicle", "pedestrian", "other"),
    "violation": ("red_light", "speeding", "wrong_lane", "no_helmet", "parking", "other"),
    "public_order": ("fight", "theft", "gathering", "racing", "disturbance", "other"),
}
CELL_DEG = 0.02  # heat map cells of about 2 km


class StError(LabelledFieldError):
    """A refused change; names the field, in Vietnamese and English."""


# ------------------------------------------------------------------------------ entities


def _upsert(
    session: Session,
    actor: audit.Actor,
    kind: str,
    code: str,
    name: str,
    point: tuple[float, float],
    attributes: dict[str, Any],
) -> Entity:
    """Create or update this pack's entity ``code`` of type ``kind`` at ``point`` (lat, lon)."""
    entity, _ = upsert_entity(
        session,
        actor,
        code=code,
        type=kind,
        pack="security_traffic",
        name=name,
        lat=point[0],
        lon=point[1],
        attributes=attributes,
    )
    return entity


def upsert_segment(
    session: Session,
    actor: audit.Actor,
    *,
    code: str,
    name: str,
    road: str,
    coordinates: list[list[float]],
    free_flow_kmh: float,
    lanes: int = 2,
    area_code: str | None = None,
) -> Entity:
    """Create or update a road segment (GeoJSON LineString of [lon, lat] points). A segment
    may cross communes: ``area_code`` names the one it is filed under; without it, the commune
    of its middle point (none when that is outside the province)."""
    if len(coordinates) < 2 or not all(len(p) == 2 for p in coordinates):
        raise StError("coordinates", "cần ít nhất 2 điểm [kinh độ, vĩ độ]", "need 2+ [lon, lat]")
    if free_flow_kmh <= 0:
        raise StError("free_flow_kmh", "tốc độ tự do phải dương", "must be positive")
    length = sum(_km(a[1], a[0], b[1], b[0]) for a, b in itertools.pairwise(coordinates))
    mid = coordinates[len(coordinates) // 2]
    attributes = {
        "road": road,
        "geometry": {"type": "LineString", "coordinates": coordinates},
        "freeFlowSpeed": free_flow_kmh,
        "totalLaneNumber": lanes,
        "length": round(length, 2),
    }
    entity = _upsert(session, actor, "RoadSegment", code, name, (mid[1], mid[0]), attributes)
    entity.area_code = area_code or nearest_commune(session, mid[1], mid[0])
    return entity


def upsert_sensor(
    session: Session,
    actor: audit.Actor,
    *,
    code: str,
    name: str,
    segment_code: str,
    lat: float,
    lon: float,
) -> Entity:
    """Create or update a traffic flow sensor placed on a segment (filed under the commune of
    its point; none outside the province)."""
    ref = {"refRoadSegment": f"urn:ngsi-ld:RoadSegment:{segment_code}"}
    entity = _upsert(session, actor, "TrafficFlowSensor", code, name, (lat, lon), ref)
    entity.area_code = nearest_commune(session, lat, lon)
    return entity


def upsert_camera(
    session: Session,
    actor: audit.Actor,
    *,
    stream_url: str | None = None,
    **site: Unpack[SiteFields],
) -> Entity:
    """Create or update a camera (owner agency, optional stream link). Its commune is the
    commune of its point (``area_code`` is ignored when they differ); a point outside the
    province is refused."""
    if stream_url and not stream_url.startswith(("http://", "https://", "rtsp://")):
        raise StError("stream_url", "đường dẫn phải là http(s):// hoặc rtsp://", "bad URL")
    lat, lon = site["lat"], site["lon"]
    try:
        area_code = geo.commune_for_point(session, lat, lon, site.get("area_code"))
    except geo.GeoError as exc:
        raise StError("lat", exc.message, exc.en) from exc
    stream = {"stream_url": stream_url} if stream_url else {}
    entity = _upsert(session, actor, "Camera", site["code"], site["name"], (lat, lon), stream)
    entity.agency_code = site["agency_code"]
    entity.area_code = area_code
    return entity


@dataclass
class CameraState:
    """A camera and whether it is online (heartbeat within ``IOC_ST_CAMERA_OFFLINE_S``)."""

    code: str
    name: str
    lat: float | None
    lon: float | None
    agency_code: str | None
    stream_url: str | None
    last_seen: datetime | None
    online: bool


def camera_states(session: Session, now: datetime) -> list[CameraState]:
    """Every active camera with its heartbeat status."""
    cameras = active_entities(session, "Camera")
    seen = dict(
        session.execute(
            select(Series.subject_code, Series.latest_ts)
            .join(Indicator, Indicator.id == Series.indicator_id)
            .where(
                Indicator.code == "st_camera_heartbeat",
                Series.subject_kind == "entity",
                Series.subject_code.in_([c.code for c in cameras]),
            )
        ).all()
    )
    limit = now.timestamp() - policy().camera_offline_s
    out = []
    for cam in cameras:
        ts = seen.get(cam.code)
        last = datetime.fromtimestamp(ts, tz=now.tzinfo) if ts is not None else None
        out.append(
            CameraState(
                **same_named(cam, "code name lat lon agency_code"),
                stream_url=(cam.attributes or {}).get("stream_url"),
                last_seen=last,
                online=ts is not None and ts >= limit,
            )
        )
    return out


# ------------------------------------------------------------------------------ incidents


def record_incident(
    session: Session,
    actor: audit.Actor,
    *,
    kind: str,
    category: str,
    occurred_at: datetime,
    lat: float | None,
    lon: float | None,
    area_code: str | None = None,
    place: str = "",
    count: int = 1,
    injured: int = 0,
    dead: int = 0,
    camera_code: str | None = None,
    segment_code: str | None = None,
    description: str = "",
    source: str = "manual",
) -> StIncident:
    """Record an incident or event (status ``open``). With coordinates, the commune is the
    commune of the point (an ``area_code`` sent with them is only checked to exist) and a point
    outside the province is refused; without them, ``area_code`` (a current commune or ward)
    is kept."""
    _check_kind(kind, category)
    _check_point_and_time(lat, lon, occurred_at)
    for name, value in (("count", count), ("injured", injured), ("dead", dead)):
        if value < 0 or value > 100000:
            raise StError(name, "số không hợp lệ", "invalid number")
    _check_texts(place, description, camera_code, segment_code)
    if area_code is not None:
        known = session.execute(
            select(Area.code).where(Area.code == area_code, Area.valid_to.is_(None))
        ).first()
        if known is None:
            raise StError("area", "không có xã/phường mã này", "no current commune with this code")
    try:
        area_code = geo.commune_for_point(session, lat, lon, area_code)
    except geo.GeoError as exc:
        raise StError("lat", exc.message, exc.en) from exc
    incident = StIncident(
        kind=kind,
        category=category,
        occurred_at=occurred_at,
        lat=lat,
        lon=lon,
        area_code=area_code,
        place=place[:300],
        status="open",
        count=count if kind == "violation" else 1,
        injured=injured,
        dead=dead,
        camera_code=camera_code,
        segment_code=segment_code,
        description=description[:4000],
        source=source,
    )
    session.add(incident)
    session.flush()
    audit.record(
        session, actor, "st.incident.record", "st_incident", incident.id, kind=kind, source=source
    )
    return incident


def _check_kind(kind: str, category: str) -> None:
    """Refuse a kind or a category (of that kind) the pack does not know."""
    if kind not in KINDS:
        raise StError(
            "kind", "loại vụ việc không hợp lệ", f"kind must be one of {', '.join(KINDS)}"
        )
    if category not in CATEGORIES[kind]:
        raise StError(
            "category",
            "nhóm không hợp lệ",
            f"category must be one of {', '.join(CATEGORIES[kind])}",
        )


def _check_point_and_time(lat: float | None, lon: float | None, occurred_at: datetime) -> None:
    """Refuse half a point, a point off the globe, a time without offset or in the future."""
    if (lat is None) != (lon is None) or (
        lat is not None and lon is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180)
    ):
        raise StError("lat", "tọa độ không hợp lệ", "invalid coordinates")
    if occurred_at.tzinfo is None:
        raise StError("occurred_at", "thời gian thiếu múi giờ", "time has no UTC offset")
    if occurred_at > clock.now() + timedelta(minutes=5):
        raise StError("occurred_at", "thời gian ở tương lai", "time is in the future")


def _check_texts(
    place: str, description: str, camera_code: str | None, segment_code: str | None
) -> None:
    """Refuse codes longer than their column and any NUL character."""
    for name, code in (("camera", camera_code), ("segment", segment_code)):
        if code is not None and len(code) > 64:
            raise StError(name, "mã dài quá 64 ký tự", "code longer than 64 characters")
    texts = (("place", place), ("description", description), ("camera", camera_code or ""))
    for name, text in (*texts, ("segment", segment_code or "")):
        if "\x00" in text:  # PostgreSQL cannot store it
            raise StError(name, "chứa ký tự NUL (\\x00)", "contains a NUL character")


def change_incident_status(
    session: Session, actor: audit.Actor, incident: StIncident, status: str
) -> None:
    """Move an incident to ``status`` if the transition is allowed; audited."""
    check_move(TRANSITIONS, incident.status, status, StError)
    before = incident.status
    incident.status = status
    audit.record(
        session,
        actor,
        "st.incident.status",
        "st_incident",
        incident.id,
        before=before,
        after=status,
    )


def nearest_commune(session: Session, lat: float, lon: float) -> str | None:
    """Code of the commune of the point (its boundary, or the nearest within the snap distance;
    see :mod:`ioc.engines.geo`), None outside the province."""
    try:
        return geo.locate(session, lat, lon).code
    except geo.GeoError:
        return None


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))


# ------------------------------------------------------------------------------ statistics


@dataclass
class Stats:
    """Incident figures of a period."""

    by_kind: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    by_area: list[dict[str, Any]] = field(default_factory=list)
    by_hour: dict[str, list[int]] = field(default_factory=dict)
    by_day: list[str] = field(default_factory=list)
    by_day_counts: dict[str, list[int]] = field(default_factory=dict)
    heat: list[list[float]] = field(default_factory=list)
    injured: int = 0
    dead: int = 0


def incidents(
    session: Session,
    start: datetime,
    end: datetime | None = None,
    kind: str | None = None,
    area: str | None = None,
) -> list[StIncident]:
    """Incidents from ``start`` until ``end`` (default: now), newest first, optionally of one
    kind or commune."""
    end = end or clock.now()
    stmt = select(StIncident).where(StIncident.occurred_at >= start, StIncident.occurred_at < end)
    if kind:
        stmt = stmt.where(StIncident.kind == kind)
    if area:
        stmt = stmt.where(StIncident.area_code == area)
    return list(session.execute(stmt.order_by(StIncident.occurred_at.desc())).scalars())


def compute_stats(
    session: Session, items: list[StIncident], start: datetime, end: datetime, offset_s: int
) -> Stats:
    """By kind, by commune, by local hour of day, by local day, heat map cells."""
    out = Stats()
    names = dict(session.execute(select(Area.code, Area.name).where(Area.valid_to.is_(None))).all())
    per_area: dict[str, Counter[str]] = {}
    out.by_hour = {k: [0] * 24 for k in KINDS}
    first_day = (start + timedelta(seconds=offset_s)).date()
    last_day = (end - timedelta(seconds=1) + timedelta(seconds=offset_s)).date()
    days = (last_day - first_day).days + 1
    out.by_day = [(first_day + timedelta(days=i)).isoformat() for i in range(days)]
    out.by_day_counts = {k: [0] * days for k in KINDS}
    heat: Counter[tuple[int, int]] = Counter()
    for inc in items:
        weight = inc.count
        out.by_kind[inc.kind] += weight
        out.injured += inc.injured
        out.dead += inc.dead
        per_area.setdefault(inc.area_code or "", Counter())[inc.kind] += weight
        local = inc.occurred_at + timedelta(seconds=offset_s)
        out.by_hour[inc.kind][local.hour] += weight
        index = (local.date() - first_day).days
        if 0 <= index < days:
            out.by_day_counts[inc.kind][index] += weight
        if inc.lat is not None and inc.lon is not None:
            heat[(math.floor(inc.lat / CELL_DEG), math.floor(inc.lon / CELL_DEG))] += weight
    out.by_area = sorted(
        (
            {
                "code": code,
                "name": names.get(code, code or "—"),
                **{k: counts[k] for k in KINDS},
                "total": sum(counts.values()),
            }
            for code, counts in per_area.items()
        ),
        key=lambda r: (-int(r["total"]), str(r["name"])),
    )
    out.heat = [
        [round((i + 0.5) * CELL_DEG, 5), round((j + 0.5) * CELL_DEG, 5), n]
        for (i, j), n in heat.items()
    ]
    return out
