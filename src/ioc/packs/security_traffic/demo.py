"""Demo data of the public order and traffic pack: road segments on QL14, QL26, QL27, QL1A
through Tuy Hòa and Nguyễn Tất Thành in Buôn Ma Thuột (approximate geometry), one flow sensor
per segment with hourly TrafficFlowObserved readings over the whole demo period (speed and
volume; occupancy and vehicle classes for the last six weeks; rush hours slower), cameras at
main intersections (one offline), accidents, camera-counted violations and public-order
incidents over the last ``INCIDENT_DAYS`` days. Invented figures; idempotent.

The demo keeps living after it is built: :func:`feed_live` (the pack's periodic job) adds a
reading every ``FEED_STEP_S`` to each *demo* sensor and a heartbeat to each demo camera that is
not in ``OFFLINE`` — entities marked ``{"demo": true}`` by :func:`load_demo`; real sensors and
cameras are never touched. Without it the page showed "—" on every segment half an hour after
the demo was built, and every camera without signal five minutes later."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from importlib.resources import files
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ioc.core import clock, yaml_text
from ioc.core.audit import Actor
from ioc.core.models import Entity, Indicator, Series
from ioc.core.series import SeriesResolver, write_observations
from ioc.engines.geo import Locator, current_locator
from ioc.engines.sector.demo import DemoRun, pack_demo
from ioc.packs.security_traffic import service
from ioc.packs.security_traffic.congestion import ref_code
from ioc.packs.security_traffic.models import StIncident

Segment = tuple[str, str, str, list[list[float]], float, int, str]
Camera = tuple[str, str, float, float, str]


def _load() -> tuple[
    tuple[Segment, ...], tuple[Camera, ...], dict[str, str], dict[str, float], list[Any]
]:
    """Segments, cameras, camera streams, vehicle-class shares and public-order centres from
    ``demo.yaml``."""
    raw: Any = yaml_text.load(
        (files("ioc.packs.security_traffic") / "demo.yaml").read_text(encoding="utf-8")
    )
    segments = tuple(
        (s["code"], s["name"], s["road"], s["points"], s["free_flow_kmh"], s["lanes"], s["commune"])
        for s in raw["segments"]
    )
    cameras = tuple(
        (c["code"], c["name"], c["lat"], c["lon"], c["commune"]) for c in raw["cameras"]
    )
    streams = {c["code"]: c["stream"] for c in raw["cameras"] if c.get("stream")}
    return segments, cameras, streams, dict(raw["class_share"]), list(raw["public_order_centres"])


# SEGMENTS: code, name, road, [lon, lat] points, free-flow km/h, lanes, commune code;
# CAMERAS: code, name, lat, lon, commune code (the data is in demo.yaml).
SEGMENTS, CAMERAS, STREAMS, CLASS_SHARE, PUBLIC_ORDER_CENTRES = _load()
DETAIL_HOURS = 24 * 42  # occupancy and vehicle classes: the last six weeks only
INCIDENT_DAYS = 90  # the traffic page's longest period
OFFLINE = frozenset({"CAM-QL14-EATU"})  # a camera really out of order in the demo
FEED_STEP_S = 300  # the live demo feed: one reading every five minutes …
HEARTBEAT_S = 60  # … and a camera heartbeat every minute
FEED_BACKFILL_S = 6 * 3600  # after a long pause, the gap is filled for the last hours only
JAM_SEGMENT = "BMT-NTT-01"  # jammed at rush hour (and at the end of the built history)


def _rush(local_hour: int) -> float:
    """Traffic demand 0–1 by local hour: morning and evening peaks."""
    return min(1.0, 0.15 + 0.85 * (math.exp(-((local_hour - 7) ** 2) / 2.0)
                                   + math.exp(-((local_hour - 17.5) ** 2) / 2.5)))  # fmt: skip


def _reading(
    code: str, ts: int, free: float, lanes: int, offset: int, rng: random.Random
) -> dict[str, float]:
    """One TrafficFlowObserved reading of segment ``code`` at ``ts``: volume, speed,
    occupancy and the vehicle classes."""
    local_hour = ((ts + offset) // 3600) % 24
    demand = _rush(local_hour) * rng.uniform(0.85, 1.1)
    volume = 900 * lanes * demand
    speed = free * max(0.15, 1 - 0.75 * demand**2) * rng.uniform(0.92, 1.05)
    out = {
        "st_intensity": round(volume),
        "st_speed": round(speed, 1),
        "st_occupancy": round(min(95, 100 * demand * 0.6), 1),
    }
    out.update({ind: round(volume * share) for ind, share in CLASS_SHARE.items()})
    return out


def _mark_demo(entity: Entity) -> None:
    entity.attributes = {**(entity.attributes or {}), "demo": True}


class _Batch:
    """Observations of the pack's indicators about demo sensors and cameras, gathered for
    ``write_observations``."""

    def __init__(self, session: Session) -> None:
        self.indicators = {
            i.code: i
            for i in session.execute(
                select(Indicator).where(Indicator.pack == "security_traffic")
            ).scalars()
        }
        self.resolver = SeriesResolver(session)
        self.rows: list[tuple[int, int, float, int]] = []
        self.label_end: dict[int, bool] = {}

    def add(self, indicator: str, subject: str, ts: int, value: float) -> None:
        """One value of ``indicator`` about entity ``subject`` at ``ts``."""
        info = self.resolver.get(self.indicators[indicator], "entity", subject)
        self.label_end[info.id] = info.label_end
        self.rows.append((info.id, ts, value, 0))

    def write(self, session: Session, offset: int) -> int:
        """Store the gathered values; returns how many were stored."""
        stored = write_observations(session, self.rows, self.label_end, offset).stored
        self.rows.clear()
        return stored


def _has_segments(session: Session) -> bool:
    return bool(
        session.execute(
            select(func.count()).select_from(Entity).where(Entity.type == "RoadSegment")
        ).scalar_one()
    )


def _generate(run: DemoRun) -> int:
    """Create segments, sensors, cameras, readings and incidents; does nothing when road
    segments exist. Returns the number of observations and incidents stored."""
    rng = random.Random(27)  # noqa: S311 - demo figures, not secrets
    actor = Actor.system("demo")
    end, hours = run.end, run.hours
    with run.factory() as session, session.begin():
        locator, placed = _create_places(session, actor)
        stored = _store_readings(session, end, hours, run.offset, rng, run.progress)
        stored += _record_incidents(session, actor, end, hours, rng, locator, placed)
        for inc in session.execute(select(StIncident)).scalars():
            if inc.occurred_at < end - timedelta(days=2):
                inc.status = "resolved"
    return stored


load_demo = pack_demo(_generate, hours=24 * 30, loaded=_has_segments)


def _create_places(
    session: Session, actor: Actor
) -> tuple[Locator, dict[str, tuple[float, float]]]:
    """Road segments with their flow sensors, and cameras (each kept inside its commune,
    whatever boundaries are loaded); returns the locator and where each camera was put."""
    for code, name, road, coords, free, lanes, area in SEGMENTS:
        service.upsert_segment(session, actor, code=code, name=name, road=road,
                               coordinates=coords, free_flow_kmh=free, lanes=lanes,
                               area_code=area)  # fmt: skip
        mid = coords[len(coords) // 2]
        _mark_demo(service.upsert_sensor(session, actor, code=f"TF-{code}", name=f"Điểm đo {name}",
                                         segment_code=code, lat=mid[1], lon=mid[0]))  # fmt: skip
    locator = current_locator(session)
    placed = {code: locator.point_in(area, lat, lon) for code, _, lat, lon, area in CAMERAS}
    for code, name, _lat, _lon, area in CAMERAS:
        lat, lon = placed[code]
        _mark_demo(service.upsert_camera(session, actor, code=code, name=name, lat=lat, lon=lon,
                                         agency_code="cong-an-tinh", area_code=area,
                                         stream_url=STREAMS.get(code)))  # fmt: skip
    return locator, placed


def _store_readings(
    session: Session,
    end: datetime,
    hours: int,
    offset: int,
    rng: random.Random,
    progress: Callable[[int], None] | None,
) -> int:
    """Hourly readings of every sensor over ``hours`` up to ``end`` and a heartbeat of every
    camera; returns the number of observations stored."""
    batch = _Batch(session)
    stored = 0
    for code, _, _, _, free, lanes, _ in SEGMENTS:
        sensor = f"TF-{code}"
        # One segment ends in a jam, so the map and the alert rule have something to show.
        jam = code == JAM_SEGMENT
        for h in range(hours, -1, -1):
            # The newest reading a minute before ``end``, so the map is current.
            ts = int(end.timestamp()) - 60 - h * 3600
            reading = _reading(code, ts, free, lanes, offset, rng)
            if jam and h <= 2:
                reading["st_speed"] = round(free * 0.2, 1)
            for ind, value in reading.items():
                # A year of speed and volume; the finer detail for recent weeks.
                if h <= DETAIL_HOURS or ind in ("st_speed", "st_intensity"):
                    batch.add(ind, sensor, ts, value)
            if len(batch.rows) > 20000:
                stored += batch.write(session, offset)
                if progress is not None:
                    progress(stored)
    for code, *_rest in CAMERAS:
        batch.add(
            "st_camera_heartbeat",
            code,
            int(end.timestamp()) - (7200 if code in OFFLINE else 60),
            1,
        )
    return stored + batch.write(session, offset)


def _record_incidents(
    session: Session,
    actor: Actor,
    end: datetime,
    hours: int,
    rng: random.Random,
    locator: Locator,
    placed: dict[str, tuple[float, float]],
) -> int:
    """Accidents mostly on national roads, violations at camera intersections, public order
    in the two cities, over the last ``INCIDENT_DAYS`` days at most; returns how many."""
    stored = 0
    areas = {seg[0]: seg[6] for seg in SEGMENTS}
    names = {seg[0]: seg[1] for seg in SEGMENTS}
    days = max(1, min(hours // 24, INCIDENT_DAYS))
    hours = min(hours, days * 24)
    for _ in range(days * 2):
        code, _, _, coords, *_ = rng.choice(SEGMENTS)
        a, b = rng.sample(coords, 2)
        f = rng.random()
        at = end - timedelta(hours=rng.uniform(0, hours))
        service.record_incident(
            session, actor, kind="accident",
            category=rng.choice(("collision", "collision", "single_vehicle", "pedestrian")),
            occurred_at=at, lat=a[1] + f * (b[1] - a[1]), lon=a[0] + f * (b[0] - a[0]),
            place=names[code], injured=rng.randint(0, 3), dead=1 if rng.random() < 0.12 else 0,
            area_code=areas[code],
            segment_code=code, source="demo",
        )  # fmt: skip
        stored += 1
    for d in range(days):
        for code, name, _lat, _lon, area in CAMERAS[:6]:
            lat, lon = placed[code]
            service.record_incident(
                session, actor, kind="violation",
                category=rng.choice(("red_light", "no_helmet", "wrong_lane", "speeding")),
                occurred_at=end - timedelta(days=d, hours=rng.uniform(0, 23)), lat=lat, lon=lon,
                place=name, count=rng.randint(3, 40), camera_code=code, area_code=area,
                source="demo",
            )  # fmt: skip
            stored += 1
    for _ in range(days):
        city = rng.choice(PUBLIC_ORDER_CENTRES)
        lat, lon = locator.point_in(
            city[2], city[0] + rng.gauss(0, 0.012), city[1] + rng.gauss(0, 0.012)
        )
        service.record_incident(
            session, actor, kind="public_order",
            category=rng.choice(("fight", "theft", "gathering", "racing", "disturbance")),
            occurred_at=end - timedelta(hours=rng.uniform(0, hours)),
            lat=lat, lon=lon, area_code=city[2], source="demo",
        )  # fmt: skip
        stored += 1
    return stored


def feed_live(factory: sessionmaker[Session], now: datetime) -> str | None:
    """Periodic job (``security_traffic.demo_feed``): keep the demo's traffic current.

    Each demo sensor (``{"demo": true}``) gets a reading every ``FEED_STEP_S`` up to ``now``
    (at most the last ``FEED_BACKFILL_S`` after a pause), the jam segment slows to a crawl at
    rush hour, and each demo camera but those in ``OFFLINE`` sends a heartbeat. Does nothing
    (returns ``None``) where there is no demo data: real sensors and cameras are never fed."""
    offset = clock.fixed_offset_seconds()
    now_ts = int(now.timestamp())
    with factory() as session, session.begin():
        demo = [
            e
            for e in session.execute(
                select(Entity).where(
                    Entity.type.in_(("TrafficFlowSensor", "Camera")), Entity.active
                )
            ).scalars()
            if (e.attributes or {}).get("demo") is True
        ]
        if not demo:
            return None
        segments = {
            e.code: e
            for e in session.execute(select(Entity).where(Entity.type == "RoadSegment")).scalars()
        }
        latest = {
            (ind, code): ts
            for ind, code, ts in session.execute(
                select(Indicator.code, Series.subject_code, Series.latest_ts)
                .join(Series, Series.indicator_id == Indicator.id)
                .where(
                    Series.subject_kind == "entity",
                    Series.subject_code.in_([e.code for e in demo]),
                    Indicator.code.in_(("st_speed", "st_camera_heartbeat")),
                )
            )
        }
        batch = _Batch(session)
        for entity in demo:
            if entity.type == "Camera":
                last = latest.get(("st_camera_heartbeat", entity.code))
                if entity.code not in OFFLINE and (last is None or now_ts - last >= HEARTBEAT_S):
                    batch.add("st_camera_heartbeat", entity.code, now_ts, 1)
                continue
            code = ref_code((entity.attributes or {}).get("refRoadSegment")) or ""
            segment = segments.get(code)
            attrs = (segment.attributes or {}) if segment is not None else {}
            free = float(attrs.get("freeFlowSpeed") or 50)
            lanes = int(attrs.get("totalLaneNumber") or 2)
            last = latest.get(("st_speed", entity.code)) or 0
            start = max(last + FEED_STEP_S, now_ts - FEED_BACKFILL_S) // FEED_STEP_S * FEED_STEP_S
            for ts in range(start, now_ts + 1, FEED_STEP_S):
                rng = random.Random(f"{code}:{ts}")  # noqa: S311 - demo figures, not secrets
                reading = _reading(code, ts, free, lanes, offset, rng)
                local_hour = ((ts + offset) // 3600) % 24
                if code == JAM_SEGMENT and local_hour in (7, 17):
                    reading["st_speed"] = round(free * 0.2, 1)
                for ind, value in reading.items():
                    batch.add(ind, entity.code, ts, value)
        stored = batch.write(session, offset)
    return f"{stored} giá trị giao thông mẫu" if stored else None
