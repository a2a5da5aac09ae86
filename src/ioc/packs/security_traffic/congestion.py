"""Congestion of road segments: level of service (LOS) A–F from the average speed as a share
of the segment's free-flow speed, and the peak-hour profile of traffic volume.

Bands (``IOC_ST_LOS_BANDS``, default ``[85, 67, 50, 40, 30]``), after the Highway Capacity
Manual 2010, Exhibit 16-4 (urban street facilities, travel speed as % of base free-flow speed):

====  ===================  =====================
LOS   speed / free-flow    shown as
====  ===================  =====================
A     > 85 %               thông thoáng (free)
B     > 67 – 85 %          ổn định (stable)
C     > 50 – 67 %          đông (busy)
D     > 40 – 50 %          chậm (slow)
E     > 30 – 40 %          ùn ứ (congested)
F     ≤ 30 %               tắc nghẽn (severe)
====  ===================  =====================

A segment's speed is the mean of the latest ``st_speed`` of its sensors that are at most
``IOC_ST_FLOW_MAX_AGE_S`` old; with no fresh reading its level is unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core.models import Entity, Indicator, Series
from ioc.core.registry import RecordSample
from ioc.core.series import read_rollups

LEVELS: tuple[str, ...] = ("A", "B", "C", "D", "E", "F")
COLORS: dict[str, str] = {
    "A": "#2E7D32",
    "B": "#7CB342",
    "C": "#FDD835",
    "D": "#FB8C00",
    "E": "#E53935",
    "F": "#7B1FA2",
    "": "#9AA3AD",
}
DEFAULT_BANDS: tuple[float, ...] = (85, 67, 50, 40, 30)
HOUR = 3600


@dataclass(frozen=True)
class Policy:
    """Bands and freshness used by this process (set from the settings at start-up)."""

    bands: tuple[float, ...] = DEFAULT_BANDS
    max_age_s: int = 1800
    camera_offline_s: int = 300


_policy = Policy()


def configure(settings: Any) -> None:
    """Take the bands and ages from the settings (the pack's start-up hook)."""
    global _policy
    bands = tuple(float(b) for b in settings.st_los_bands)
    if len(bands) != 5 or list(bands) != sorted(bands, reverse=True):
        raise ValueError("IOC_ST_LOS_BANDS: 5 decreasing percentages, e.g. [85, 67, 50, 40, 30]")
    _policy = Policy(bands, settings.st_flow_max_age_s, settings.st_camera_offline_s)


def policy() -> Policy:
    """The policy of this process."""
    return _policy


def level(
    speed: float | None, free_flow: float | None, bands: tuple[float, ...] | None = None
) -> str:
    """LOS letter A–F for ``speed`` on a segment of free-flow speed ``free_flow`` (km/h);
    ``""`` when either is missing or the free-flow speed is not positive."""
    if speed is None or free_flow is None or free_flow <= 0 or speed < 0:
        return ""
    ratio = 100 * speed / free_flow
    for letter, bound in zip(LEVELS, bands or _policy.bands, strict=False):
        if ratio > bound:
            return letter
    return "F"


@dataclass
class SegmentState:
    """A segment with its current congestion."""

    code: str
    name: str
    road: str
    area_code: str | None
    geometry: dict[str, Any] | None
    free_flow: float | None
    speed: float | None
    intensity: float | None
    level: str
    sensors: int

    @property
    def color(self) -> str:
        """Map colour of the level."""
        return COLORS[self.level]

    @property
    def ratio(self) -> float | None:
        """Speed as % of free-flow speed."""
        if self.speed is None or not self.free_flow:
            return None
        return 100 * self.speed / self.free_flow


def ref_code(value: Any) -> str | None:
    """Segment code of a ``refRoadSegment`` (``urn:ngsi-ld:RoadSegment:QL14-01`` or a code)."""
    if not isinstance(value, str) or not value:
        return None
    prefix = "urn:ngsi-ld:RoadSegment:"
    return value[len(prefix) :] if value.startswith(prefix) else value.rsplit(":", 1)[-1]


def _latest(session: Session, codes: list[str], indicator: str) -> dict[str, tuple[int, float]]:
    if not codes:
        return {}
    rows = session.execute(
        select(Series.subject_code, Series.latest_ts, Series.latest_value)
        .join(Indicator, Indicator.id == Series.indicator_id)
        .where(
            Indicator.code == indicator,
            Series.subject_kind == "entity",
            Series.subject_code.in_(codes),
            Series.latest_ts.is_not(None),
        )
    )
    return {c: (int(t), float(v)) for c, t, v in rows if t is not None and v is not None}


def active_entities(session: Session, kind: str) -> list[Entity]:
    """The active entities of type ``kind``, by code."""
    return list(
        session.execute(
            select(Entity).where(Entity.type == kind, Entity.active).order_by(Entity.code)
        ).scalars()
    )


def segment_states(session: Session, now: datetime) -> list[SegmentState]:
    """Every active road segment with its current speed, volume and level."""
    segments = active_entities(session, "RoadSegment")
    sensors = list(
        session.execute(
            select(Entity).where(Entity.type == "TrafficFlowSensor", Entity.active)
        ).scalars()
    )
    by_segment: dict[str, list[str]] = {}
    for sensor in sensors:
        ref = ref_code((sensor.attributes or {}).get("refRoadSegment"))
        if ref:
            by_segment.setdefault(ref, []).append(sensor.code)
    codes = [s.code for s in sensors]
    speeds = _latest(session, codes, "st_speed")
    volumes = _latest(session, codes, "st_intensity")
    oldest = int(now.timestamp()) - _policy.max_age_s
    out = []
    for seg in segments:
        attrs = seg.attributes or {}
        fresh = [
            speeds[c][1]
            for c in by_segment.get(seg.code, [])
            if c in speeds and speeds[c][0] >= oldest
        ]
        vols = [
            volumes[c][1]
            for c in by_segment.get(seg.code, [])
            if c in volumes and volumes[c][0] >= oldest
        ]
        speed = sum(fresh) / len(fresh) if fresh else None
        free = attrs.get("freeFlowSpeed")
        free_flow = float(free) if isinstance(free, int | float) else None
        geometry = attrs.get("geometry")
        out.append(
            SegmentState(
                code=seg.code,
                name=seg.name,
                road=str(attrs.get("road", "")),
                area_code=seg.area_code,
                geometry=geometry if isinstance(geometry, dict) else None,
                free_flow=free_flow,
                speed=speed,
                intensity=sum(vols) if vols else None,
                level=level(speed, free_flow),
                sensors=len(by_segment.get(seg.code, [])),
            )
        )
    return out


def severe_segments(session: Session, now: datetime) -> list[RecordSample]:
    """Record source ``congestion_severe``: segments at level F (value = speed % of free flow)."""
    return [
        RecordSample(
            labels={"segment": s.code, "name": s.name, "road": s.road},
            value=None if s.ratio is None else round(s.ratio, 1),
        )
        for s in segment_states(session, now)
        if s.level == "F"
    ]


def peak_profile(
    session: Session, sensor_codes: list[str], now: datetime, days: int = 28, offset: int = 7 * HOUR
) -> list[float | None]:
    """Mean traffic volume (vehicles/hour) by local hour of day 0–23 over the last ``days``
    days, from the hourly rollups of ``st_intensity`` (all sensors summed per hour)."""
    if not sensor_codes:
        return [None] * 24
    sids = [
        sid
        for (sid,) in session.execute(
            select(Series.id)
            .join(Indicator, Indicator.id == Series.indicator_id)
            .where(
                Indicator.code == "st_intensity",
                Series.subject_kind == "entity",
                Series.subject_code.in_(sensor_codes),
            )
        )
    ]
    end = int(now.timestamp()) // HOUR * HOUR
    start = end - days * 86400
    per_hour: dict[int, float] = {}
    for buckets in read_rollups(session.connection(), "hour", sids, start, end).values():
        for b in buckets:
            per_hour[b.start] = per_hour.get(b.start, 0.0) + b.mean * b.n
    sums = [0.0] * 24
    counts = [0] * 24
    for start_ts, total in per_hour.items():
        h = ((start_ts + offset) // HOUR) % 24
        sums[h] += total
        counts[h] += 1
    return [sums[h] / counts[h] if counts[h] else None for h in range(24)]


def peak_hour(profile: list[float | None]) -> int | None:
    """The local hour (0–23) with the highest mean volume."""
    known = [(v, h) for h, v in enumerate(profile) if v is not None]
    return max(known)[1] if known else None
