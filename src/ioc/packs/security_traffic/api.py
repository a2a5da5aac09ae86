"""JSON API of the public order and traffic pack.

* ``GET /api/v1/traffic/segments`` (view) — GeoJSON FeatureCollection of road segments with
  speed, free-flow speed and level of service A–F.
* ``GET /api/v1/traffic/cameras`` (view) — cameras with online/offline and stream link.
* ``POST /api/v1/traffic/incidents`` (ingest) — ``{"incidents": [{kind, category, time, lat,
  lon, area?, place?, count?, injured?, dead?, camera?, segment?, description?}]}`` (``area``
  = commune/ward code); invalid items
  are listed by row and field (422), valid ones stored.

Flow readings use the common doors: ``POST /api/v1/observations`` (indicators ``st_*``, entity
= sensor code), NGSI-LD ``TrafficFlowObserved`` and MQTT.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ioc.core import clock, ownership
from ioc.engines import geo
from ioc.packs.security_traffic import congestion, service
from ioc.packs.security_traffic.schemas import CamerasAnswer, SegmentsAnswer
from ioc.web.api_kit import batch_report, read_items, row_error
from ioc.web.api_models import BatchReport
from ioc.web.batch_doors import batch_door
from ioc.web.deps import DbSession, Ingestor, Principal, ViewerApi, forbid, write_scope

router = APIRouter(prefix="/api/v1/traffic", tags=["traffic"])

MAX_ITEMS = 5000


def segments_geojson(states: list[congestion.SegmentState]) -> dict[str, Any]:
    """Segments as a GeoJSON FeatureCollection."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": s.code,
                "geometry": s.geometry,
                "properties": {
                    "code": s.code,
                    "name": s.name,
                    "road": s.road,
                    "speed": None if s.speed is None else round(s.speed, 1),
                    "freeFlowSpeed": s.free_flow,
                    "intensity": s.intensity,
                    "level": s.level or None,
                    "color": s.color,
                },
            }
            for s in states
            if s.geometry
        ],
    }


@router.get(
    "/segments",
    summary="Đoạn đường và mức ùn tắc / road segments and congestion",
    responses={200: {"model": SegmentsAnswer, "description": "GeoJSON FeatureCollection"}},
)
def segments(principal: ViewerApi, db: DbSession) -> dict[str, Any]:
    """GeoJSON of the segments with their current level of service."""
    return segments_geojson(congestion.segment_states(db, clock.now()))


@router.get(
    "/cameras",
    summary="Camera / cameras",
    responses={200: {"model": CamerasAnswer, "description": "Cameras and their status"}},
)
def cameras(principal: ViewerApi, db: DbSession) -> dict[str, Any]:
    """Cameras with location, owner, online status and stream link."""
    return {
        "items": [
            {
                "code": c.code,
                "name": c.name,
                "lat": c.lat,
                "lon": c.lon,
                "agency": c.agency_code,
                "online": c.online,
                "last_seen": c.last_seen.isoformat() if c.last_seen else None,
                "stream_url": c.stream_url,
            }
            for c in service.camera_states(db, clock.now())
        ]
    }


def _int(item: dict[str, Any], key: str, default: int) -> int:
    value = item.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise service.StError(key, "phải là số nguyên", "must be an integer")
    return value


def _float(item: dict[str, Any], key: str) -> float | None:
    value = item.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise service.StError(key, "phải là số", "must be a number")
    return float(value)


def _time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise service.StError("time", "thiếu thời gian ISO 8601", "ISO 8601 time required")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise service.StError(
            "time", "thời gian phải theo ISO 8601", "time must be ISO 8601"
        ) from exc
    if parsed.tzinfo is None:
        raise service.StError("time", "thời gian thiếu múi giờ", "time has no UTC offset")
    return parsed


def _item_area(db: DbSession, item: dict[str, Any]) -> str | None:
    """The commune ``record_incident`` will file the item under (None when its point is
    invalid or outside the province: that row is refused there)."""
    lat, lon = item.get("lat"), item.get("lon")
    if lat is not None and lon is not None:
        try:
            return geo.locate(db, float(lat), float(lon)).code
        except (geo.GeoError, TypeError, ValueError):
            return None
    return str(item["area"]) if item.get("area") else None


def _check_owners(db: DbSession, principal: Principal, items: list[Any]) -> None:
    """A caller bound to an agency may charge incidents only to its own cameras and road
    segments, and commune staff only to their own commune — the commune the incident will be
    filed under, i.e. that of its point when it has one; 403 and an audit row otherwise."""
    scope = write_scope(db, principal)
    if scope.everything:
        return
    entities: set[str] = set()
    areas: set[str] = set()
    for item in items:
        if not isinstance(item, dict):
            continue
        entities.update(str(item[k]) for k in ("camera", "segment") if item.get(k))
        area = _item_area(db, item)
        if area:
            areas.add(area)
    try:
        ownership.check_entities(db, scope, entities)
        outside = sorted(a for a in areas if not scope.may_area(a))
        if outside:
            raise ownership.NotYourData(
                f"Không được ghi vụ việc của xã, phường khác: {', '.join(outside[:20])}",
                f"you may not record incidents of another commune: {', '.join(outside[:20])}",
                owners=outside,
            )
    except ownership.NotYourData as exc:
        raise forbid(db, principal, "traffic.incidents", exc) from exc


# Its summary, its answers and the body it reads itself: batch_doors.yaml.
@router.post("/incidents", **batch_door("ioc.packs.security_traffic", "incidents", BatchReport))
async def post_incidents(request: Request, principal: Ingestor, db: DbSession) -> JSONResponse:
    """Store incidents; each invalid item is reported with its row and field."""
    items = read_items(
        await request.body(),
        "incidents",
        MAX_ITEMS,
        not_a_list='Cần {"incidents": [...]} / expected {"incidents": [...]}',
        too_many=f"Tối đa {MAX_ITEMS} / at most {MAX_ITEMS}",
    )
    if isinstance(items, JSONResponse):
        return items
    _check_owners(db, principal, items)
    errors: list[dict[str, Any]] = []
    stored = 0
    for number, item in enumerate(items, start=1):
        try:
            if not isinstance(item, dict):
                raise service.StError("*", "phải là đối tượng JSON", "must be an object")
            with db.begin_nested():
                service.record_incident(
                    db,
                    principal.actor,
                    kind=str(item.get("kind", "")),
                    category=str(item.get("category", "other")),
                    occurred_at=_time(item.get("time")),
                    lat=_float(item, "lat"),
                    lon=_float(item, "lon"),
                    area_code=str(item["area"]) if item.get("area") else None,
                    place=str(item.get("place", "")),
                    count=_int(item, "count", 1),
                    injured=_int(item, "injured", 0),
                    dead=_int(item, "dead", 0),
                    camera_code=str(item["camera"]) if item.get("camera") else None,
                    segment_code=str(item["segment"]) if item.get("segment") else None,
                    description=str(item.get("description", "")),
                    source="api",
                )
            stored += 1
        except service.StError as exc:
            errors.append(row_error(number, exc.field, exc.message, exc.en))
    return batch_report(len(items), stored, len(errors), errors)
