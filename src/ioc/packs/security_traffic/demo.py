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

# ruff: noqa: E501 - data tables read best one record per line
from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ioc.core import clock
from ioc.core.audit import Actor
from ioc.core.models import Entity, Indicator, Series
from ioc.core.series import SeriesResolver, write_observations
from ioc.engines.geo import current_locator
from ioc.packs.security_traffic import service
from ioc.packs.security_traffic.congestion import ref_code
from ioc.packs.security_traffic.models import StIncident

# code, name, road, [lon, lat] points, free-flow km/h, lanes, commune code
SEGMENTS: tuple[tuple[str, str, str, list[list[float]], float, int, str], ...] = (
    ("BMT-NTT-01", "Nguyễn Tất Thành (Ngã Sáu – Lê Duẩn)", "Nguyễn Tất Thành",
     [[108.0383, 12.6680], [108.0441, 12.6702], [108.0502, 12.6731]], 45, 4, "24133"),
    ("BMT-NTT-02", "Nguyễn Tất Thành (Lê Duẩn – Vòng xoay Km5)", "Nguyễn Tất Thành",
     [[108.0502, 12.6731], [108.0580, 12.6770], [108.0667, 12.6812]], 55, 4, "24121"),
    ("QL14-N-01", "QL14 Buôn Ma Thuột – Ea Drăng", "QL14",
     [[108.0530, 12.6950], [108.1100, 12.7700], [108.1600, 12.8500], [108.2700, 12.9000]], 70, 2, "24181"),
    ("QL14-S-01", "QL14 Buôn Ma Thuột – Hòa Phú", "QL14",
     [[108.0330, 12.6600], [108.0000, 12.6200], [107.9550, 12.5600]], 70, 2, "24175"),
    ("QL26-01", "QL26 Buôn Ma Thuột – Krông Pắc", "QL26",
     [[108.0700, 12.6950], [108.2000, 12.7100], [108.3200, 12.7300]], 70, 2, "24490"),
    ("QL26-02", "QL26 Krông Pắc – Ea Kar", "QL26",
     [[108.3200, 12.7300], [108.4000, 12.7800], [108.4500, 12.8100]], 70, 2, "24502"),
    ("QL27-01", "QL27 Buôn Ma Thuột – Lắk", "QL27",
     [[108.0500, 12.6500], [108.1000, 12.5500], [108.1800, 12.4100]], 60, 2, "24169"),
    ("QL1A-TH-01", "QL1A qua phường Tuy Hòa (phía bắc)", "QL1A",
     [[109.2950, 13.1600], [109.2990, 13.1200], [109.3010, 13.0900]], 60, 4, "22015"),
    ("QL1A-TH-02", "QL1A qua phường Tuy Hòa (cầu Đà Rằng)", "QL1A",
     [[109.3010, 13.0900], [109.3050, 13.0600], [109.3070, 13.0300]], 60, 4, "22045"),
)  # fmt: skip

CAMERAS: tuple[tuple[str, str, float, float, str], ...] = (
    ("CAM-BMT-NGASAU", "Ngã Sáu Buôn Ma Thuột", 12.6680, 108.0383, "24133"),
    ("CAM-BMT-LEDUAN", "Nguyễn Tất Thành – Lê Duẩn", 12.6731, 108.0502, "24133"),
    ("CAM-BMT-KM5", "Vòng xoay Km5", 12.6812, 108.0667, "24121"),
    ("CAM-BMT-PHANBOICHAU", "Phan Bội Châu – Y Jút", 12.6655, 108.0420, "24133"),
    ("CAM-QL14-EATU", "QL14 – Ea Tu", 12.7200, 108.0800, "24154"),
    ("CAM-QL26-KRONGPAC", "QL26 – trung tâm Krông Pắc", 12.7300, 108.3200, "24490"),
    ("CAM-TH-HUNGVUONG", "Hùng Vương – Trần Hưng Đạo (Tuy Hòa)", 13.0960, 109.3000, "22015"),
    ("CAM-TH-DARANG", "Đầu cầu Đà Rằng (Tuy Hòa)", 13.0600, 109.3050, "22045"),
)  # fmt: skip

CLASS_SHARE = {"st_count_motorcycle": 0.78, "st_count_car": 0.15, "st_count_truck": 0.05,
               "st_count_bus": 0.02}  # fmt: skip
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


def load_demo(
    factory: sessionmaker[Session],
    *,
    end: datetime,
    hours: int = 24 * 30,
    offset: int = 7 * 3600,
    progress: Callable[[int], None] | None = None,
    **_options: Any,
) -> int:
    """Create segments, sensors, cameras, readings and incidents; does nothing when road
    segments exist. Returns the number of observations and incidents stored."""
    rng = random.Random(27)  # noqa: S311 - demo figures, not secrets
    actor = Actor.system("demo")
    stored = 0
    with factory() as session, session.begin():
        if session.execute(
            select(func.count()).select_from(Entity).where(Entity.type == "RoadSegment")
        ).scalar_one():
            return 0
        for code, name, road, coords, free, lanes, area in SEGMENTS:
            service.upsert_segment(session, actor, code=code, name=name, road=road,
                                   coordinates=coords, free_flow_kmh=free, lanes=lanes,
                                   area_code=area)  # fmt: skip
            mid = coords[len(coords) // 2]
            _mark_demo(service.upsert_sensor(session, actor, code=f"TF-{code}", name=f"Điểm đo {name}",
                                             segment_code=code, lat=mid[1], lon=mid[0]))  # fmt: skip
        # Each demo point stays inside its commune, whatever boundaries are loaded.
        locator = current_locator(session)
        placed = {code: locator.point_in(area, lat, lon) for code, _, lat, lon, area in CAMERAS}
        for code, name, _lat, _lon, area in CAMERAS:
            stream = "rtsp://camera.daklak.local/ngasau" if code == "CAM-BMT-NGASAU" else None
            lat, lon = placed[code]
            _mark_demo(service.upsert_camera(session, actor, code=code, name=name, lat=lat, lon=lon,
                                             agency_code="cong-an-tinh", area_code=area, stream_url=stream))  # fmt: skip
        indicators = {
            i.code: i
            for i in session.execute(
                select(Indicator).where(Indicator.pack == "security_traffic")
            ).scalars()
        }
        resolver = SeriesResolver(session)
        rows: list[tuple[int, int, float, int]] = []
        label_end: dict[int, bool] = {}

        def add(indicator: str, subject: str, ts: int, value: float) -> None:
            info = resolver.get(indicators[indicator], "entity", subject)
            label_end[info.id] = info.label_end
            rows.append((info.id, ts, value, 0))

        areas = {seg[0]: seg[6] for seg in SEGMENTS}
        names = {seg[0]: seg[1] for seg in SEGMENTS}
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
                        add(ind, sensor, ts, value)
                if len(rows) > 20000:
                    stored += write_observations(session, rows, label_end, offset).stored
                    rows.clear()
                    if progress is not None:
                        progress(stored)
        for code, *_rest in CAMERAS:
            add(
                "st_camera_heartbeat",
                code,
                int(end.timestamp()) - (7200 if code in OFFLINE else 60),
                1,
            )
        stored += write_observations(session, rows, label_end, offset).stored
        # Incidents: accidents mostly on national roads, violations at camera intersections,
        # public order in the two cities.
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
            city = rng.choice(((12.668, 108.038, "24133"), (13.09, 109.30, "22015")))
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
        for inc in session.execute(select(StIncident)).scalars():
            if inc.occurred_at < end - timedelta(days=2):
                inc.status = "resolved"
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
        indicators = {
            i.code: i
            for i in session.execute(
                select(Indicator).where(Indicator.pack == "security_traffic")
            ).scalars()
        }
        resolver = SeriesResolver(session)
        rows: list[tuple[int, int, float, int]] = []
        label_end: dict[int, bool] = {}

        def add(indicator: str, subject: str, ts: int, value: float) -> None:
            info = resolver.get(indicators[indicator], "entity", subject)
            label_end[info.id] = info.label_end
            rows.append((info.id, ts, value, 0))

        for entity in demo:
            if entity.type == "Camera":
                last = latest.get(("st_camera_heartbeat", entity.code))
                if entity.code not in OFFLINE and (last is None or now_ts - last >= HEARTBEAT_S):
                    add("st_camera_heartbeat", entity.code, now_ts, 1)
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
                    add(ind, entity.code, ts, value)
        stored = write_observations(session, rows, label_end, offset).stored
    return f"{stored} giá trị giao thông mẫu" if stored else None
