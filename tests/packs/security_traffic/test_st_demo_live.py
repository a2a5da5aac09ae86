"""The traffic demo looks like a normal day, not a dead network.

The demo used to write readings up to the hour it was built and never again: half an hour
later every segment showed "—" and, five minutes later, 8/8 cameras "without signal". Now the
demo feeds TrafficFlowObserved readings over the whole demo year and keeps feeding the recent
hours (a periodic job, on demo sensors only), with heartbeats of its cameras but one that is
really offline. Segment codes never stand in for road names.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from helpers import login
from ioc.core import audit, clock
from ioc.core.models import Indicator, Observation, Series
from ioc.packs.security_traffic import congestion, service
from ioc.packs.security_traffic.demo import SEGMENTS, feed_live, load_demo

BUILT = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)  # Tuesday 08:00 local: the demo is built


@pytest.fixture
def built(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    clock.set_now(BUILT)
    assert load_demo(factory, end=BUILT, hours=24 * 100) > 0
    yield factory
    clock.set_now(None)


def _oldest_speed(factory: sessionmaker[Session]) -> datetime:
    with factory() as s:
        ts = s.execute(
            select(func.min(Observation.ts))
            .join(Series, Series.id == Observation.series_id)
            .join(Indicator, Indicator.id == Series.indicator_id)
            .where(Indicator.code == "st_speed")
        ).scalar_one()
    return datetime.fromtimestamp(ts, tz=UTC)


def test_readings_cover_the_demo_period_not_only_six_weeks(built: sessionmaker[Session]) -> None:
    assert _oldest_speed(built) <= BUILT - timedelta(days=99)


@pytest.mark.parametrize("later", [timedelta(hours=3), timedelta(days=2, hours=9)])
def test_on_a_normal_day_segments_have_a_level_and_cameras_a_signal(
    built: sessionmaker[Session], later: timedelta
) -> None:
    now = BUILT + later
    clock.set_now(now)
    with built() as s:  # what the page showed before: nothing fresh at all
        assert not any(x.level for x in congestion.segment_states(s, now))
    summary = feed_live(built, now)
    assert summary
    with built() as s:
        states = congestion.segment_states(s, now)
        cameras = service.camera_states(s, now)
    known = [x for x in states if x.level]
    assert len(known) >= len(SEGMENTS) - 1, [(x.code, x.level) for x in states]
    offline = [c.code for c in cameras if not c.online]
    assert 1 <= len(offline) <= 2 and len(cameras) == 8, offline
    # Fed again a minute later: nothing to add for the sensors, heartbeats only.
    clock.set_now(now + timedelta(minutes=1))
    feed_live(built, now + timedelta(minutes=1))
    with built() as s:
        assert sum(1 for c in service.camera_states(s, now + timedelta(minutes=1)) if c.online) >= 6


def test_the_feed_leaves_real_sensors_alone(factory: sessionmaker[Session]) -> None:
    clock.set_now(BUILT)
    try:
        with factory() as s, s.begin():
            actor = audit.Actor.system("test")
            coords = [[108.0383, 12.6680], [108.0502, 12.6731]]
            service.upsert_segment(s, actor, code="THAT-01", name="Đường thật", road="QL14",
                                   coordinates=coords, free_flow_kmh=50)  # fmt: skip
            service.upsert_sensor(s, actor, code="TF-THAT-01", name="Cảm biến thật",
                                  segment_code="THAT-01", lat=12.67, lon=108.04)  # fmt: skip
        assert feed_live(factory, BUILT + timedelta(hours=1)) is None
        with factory() as s:
            assert s.execute(select(func.count()).select_from(Observation)).scalar_one() == 0
    finally:
        clock.set_now(None)


def test_segment_codes_show_as_road_names(
    client: TestClient, make_user, built: sessionmaker[Session]
) -> None:  # type: ignore[no-untyped-def]
    with built() as s, s.begin():
        service.record_incident(
            s, audit.Actor.system("test"), kind="accident", category="collision",
            occurred_at=BUILT - timedelta(hours=1), lat=12.70, lon=108.09,
            place="QL14-N-01", segment_code="QL14-N-01", area_code="24181",
        )  # fmt: skip
    login(client, "xem", make_user("xem", role="leader"))
    page = client.get("/traffic?days=7").text
    incidents = re.search(r'<section class="card" id="st-incidents".*?</section>', page, re.S)
    listed = incidents.group(0) if incidents else page
    codes = [seg[0] for seg in SEGMENTS]
    for code in codes:
        assert f">{code}<" not in listed, code
    assert "QL14 Buôn Ma Thuột – Ea Drăng" in listed
    data = json.loads(re.search(r'id="st-map-data">(.*?)</script>', page, re.S).group(1))  # type: ignore[union-attr]
    places = {row[5] for row in data["incidents"]}
    assert not places & set(codes), places & set(codes)
