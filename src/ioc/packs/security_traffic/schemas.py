"""Pydantic models of the traffic API's answers, for the OpenAPI document only (the routes build
their answers themselves; see ``ioc.web.api_models``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

__all__ = ["CamerasAnswer", "SegmentsAnswer"]


class CameraStatus(BaseModel):
    """A camera, whether it is online (heartbeat recent enough) and its stream link."""

    code: str
    name: str
    lat: float | None
    lon: float | None
    agency: str | None
    online: bool
    last_seen: str | None
    stream_url: str | None


class CamerasAnswer(BaseModel):
    items: list[CameraStatus]


class SegmentProperties(BaseModel):
    """A road segment's current level of service (speeds in km/h)."""

    code: str
    name: str
    road: str
    speed: float | None
    freeFlowSpeed: float | None  # the Smart Data Models name
    intensity: float | None = Field(description="vehicles per hour")
    level: str | None = Field(description="level of service, A–F (null: no data)")
    color: str


class SegmentFeature(BaseModel):
    type: str = Field(description="Feature")
    id: str
    geometry: dict[str, Any] = Field(description="GeoJSON LineString")
    properties: SegmentProperties


class SegmentsAnswer(BaseModel):
    """GeoJSON FeatureCollection of the road segments with their current level of service."""

    type: str = Field(description="FeatureCollection")
    features: list[SegmentFeature]
