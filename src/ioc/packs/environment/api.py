"""JSON API of the environment pack (public air-quality data: no personal data here)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query

from ioc.core import clock
from ioc.core.series import DAY, HOUR
from ioc.packs.environment import queries, service
from ioc.packs.environment.schemas import StationAqiAnswer, StationsAnswer
from ioc.web.deps import DbSession, Public
from ioc.web.openapi_doc import ERROR_REF, json_response

router = APIRouter(prefix="/api/v1/environment", tags=["environment"])

# Air-quality indices are published to citizens (QĐ 1459 Table 3), so these reads are ``Public``.

MAX_HOURS = 24 * 93
MAX_DAYS = 3 * 366


@router.get(
    "/stations",
    summary="Trạm quan trắc không khí và VN_AQI hiện tại",
    responses={200: {"model": StationsAnswer, "description": "Stations and their newest index"}},
)
def list_stations(
    db: DbSession, principal: Public, lang: Literal["vi", "en"] = "vi"
) -> dict[str, Any]:
    """Stations with location, commune, operator, newest hourly VN_AQI and concentrations."""
    return {"stations": queries.station_summaries(db, lang)}


@router.get(
    "/stations/{code}/aqi",
    summary="VN_AQI theo giờ hoặc theo ngày của một trạm",
    responses={
        200: {"model": StationAqiAnswer, "description": "Index values of the period"},
        404: json_response(ERROR_REF, "No such station"),
    },
)
def station_aqi(
    code: str,
    db: DbSession,
    principal: Public,
    resolution: Literal["hour", "day"] = "hour",
    from_: Annotated[str | None, Query(alias="from", max_length=40)] = None,
    to: Annotated[str | None, Query(max_length=40)] = None,
    lang: Literal["vi", "en"] = "vi",
) -> dict[str, Any]:
    """Index values in ``[from, to]`` (ISO 8601 with offset, or a date = local midnight).

    Defaults: the last 48 hours (hour) or the last 30 days (day). Hour values are labelled with
    the end of the hour, day values with local midnight, as QĐ 1459/QĐ-TCMT does.
    """
    entity = service.station(db, code)
    if entity is None:
        raise HTTPException(404, f"Không có trạm {code} / no such station")
    now = int(clock.now().timestamp())
    try:
        hi = queries.parse_time(to, "to") if to else now
        default_span = 48 * HOUR if resolution == "hour" else 30 * DAY
        lo = queries.parse_time(from_, "from") if from_ else hi - default_span
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    if lo > hi:
        raise HTTPException(422, "from: phải trước to / from must be before to")
    limit = MAX_HOURS * HOUR if resolution == "hour" else MAX_DAYS * DAY
    if hi - lo > limit:
        raise HTTPException(422, f"Khoảng thời gian quá dài (tối đa {limit // DAY} ngày)")
    points = service.aqi_points(db, entity.id, resolution, lo, hi)
    return {
        "station": queries.entity_json(entity),
        "resolution": resolution,
        "from": queries.iso_local(lo),
        "to": queries.iso_local(hi),
        "method": "VN_AQI, QĐ 1459/QĐ-TCMT",
        "items": [queries.point_json(p, lang) for p in points],
    }
