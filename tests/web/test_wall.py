"""The big screen (/wall): what it shows, how it rotates and refreshes, who may see it."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from alert_console_helpers import PASSWORD, add_alert, make_person
from helpers import login
from ioc.app import create_app
from ioc.core.audit import Actor
from ioc.core.models import Area
from ioc.engines.alerting import actions
from ioc.settings import Settings

pytestmark = pytest.mark.usefixtures("frozen_now")


@pytest.fixture
def viewer(client: TestClient, factory: sessionmaker[Session]) -> TestClient:
    make_person(factory, "lanh.dao", "leader")
    login(client, "lanh.dao", PASSWORD)
    return client


def test_wall_needs_sign_in(client: TestClient) -> None:
    r = client.get("/wall", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/wall"
    assert client.get("/wall/data").status_code == 401


def test_wall_page_shows_clock_counts_and_views(
    viewer: TestClient, factory: sessionmaker[Session]
) -> None:
    with factory() as s, s.begin():
        add_alert(s, severity="critical", summary="Cháy rừng tại xã Ea Kar", area_code="24373")
        add_alert(s, severity="warning", summary="Nhiệt độ 37 °C", area_code="24133")
    page = viewer.get("/wall")
    assert page.status_code == 200
    html = page.text
    assert 'class="bigscreen wall"' in html and "/static/wall.css" in html
    assert "Thứ Ba, 10/03/2026" in html and ">12:00<" in html
    assert 'data-rotate="20"' in html and 'data-refresh="5"' in html
    for view in ("tiles", "map", "alerts"):
        assert f'data-view="{view}"' in html
    assert '<section class="wall-view is-active" data-view="tiles"' in html
    counts = dict(re.findall(r'data-severity="(\w+)">\s*<span class="wall-count-n">(\d+)', html))
    assert counts == {"critical": "1", "high": "0", "warning": "1", "info": "0"}
    titles = re.findall(r'<div class="wall-alert-title">([^<]+)</div>', html)
    assert titles == ["Cháy rừng tại xã Ea Kar", "Nhiệt độ 37 °C"]
    assert "Xã Ea Kar" in html and "25 phút trước" in html
    assert 'hx-get="/wall/partials/alerts" hx-trigger="every 5s"' in html
    assert 'hx-get="/wall/partials/tiles" hx-trigger="every 60s"' in html
    # Every asset is served locally (closed government network).
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_rotation_period_from_query(viewer: TestClient) -> None:
    assert 'data-rotate="45"' in viewer.get("/wall?rotate=45").text
    assert 'data-rotate="0"' in viewer.get("/wall?rotate=0").text  # 0: no rotation
    assert 'data-rotate="5"' in viewer.get("/wall?rotate=1").text  # too fast for a wall
    assert 'data-rotate="20"' in viewer.get("/wall?rotate=abc").text  # bad value: the default
    page = viewer.get("/wall?view=map").text
    assert '<section class="wall-view is-active" data-view="map"' in page
    assert viewer.get("/wall?view=nonsense").status_code == 200


@pytest.fixture
def slow_wall(
    settings: Settings, engine: Engine, factory: sessionmaker[Session]
) -> Iterator[TestClient]:
    app = create_app(settings.model_copy(update={"wall_rotate_seconds": 30}), engine)
    with TestClient(app) as client:
        yield client


def test_rotation_period_from_setting(
    slow_wall: TestClient, factory: sessionmaker[Session]
) -> None:
    make_person(factory, "lanh.dao", "leader")
    login(slow_wall, "lanh.dao", PASSWORD)
    assert 'data-rotate="30"' in slow_wall.get("/wall").text


def test_calm_wall_and_overflowing_list(viewer: TestClient, factory: sessionmaker[Session]) -> None:
    calm = viewer.get("/wall").text
    assert "Không có cảnh báo nào đang mở — tình hình ổn định" in calm
    with factory() as s, s.begin():
        for i in range(11):
            add_alert(s, severity="high", summary=f"Cảnh báo số {i}")
    html = viewer.get("/wall").text
    assert len(re.findall(r'<li class="wall-alert ', html)) == 8
    assert "và 3 cảnh báo khác" in html


def test_alert_partial_swaps_counts_out_of_band(
    viewer: TestClient, factory: sessionmaker[Session]
) -> None:
    with factory() as s, s.begin():
        alert = add_alert(s, severity="info", summary="Trạm mất kết nối")
        actions.escalate(s, Actor.system(), alert.id)
    part = viewer.get("/wall/partials/alerts")
    assert part.status_code == 200 and "<html" not in part.text
    assert '<div id="wall-counts" class="wall-counts" hx-swap-oob="true">' in part.text
    assert "Trạm mất kết nối" in part.text and "SC-2026-0001" in part.text
    incidents = re.search(r'wall-count-incidents">\s*<span class="wall-count-n">(\d+)', part.text)
    assert incidents and incidents.group(1) == "1"


def test_tiles_partial(viewer: TestClient, factory: sessionmaker[Session]) -> None:
    with factory() as s, s.begin():
        add_alert(s, severity="critical")
        add_alert(s, severity="warning")
    part = viewer.get("/wall/partials/tiles").text
    assert 'class="wall-tile wall-tile-alerts sev-critical"' in part
    assert '<span class="wall-tile-figure">2</span>' in part
    assert "1 khẩn cấp · 1 cảnh báo" in part
    assert 'data-pack="environment"' in part and 'data-pack="core"' in part


def test_map_data_places_every_open_alert_or_counts_it_unplaced(
    viewer: TestClient, factory: sessionmaker[Session], station: str
) -> None:
    with factory() as s, s.begin():
        add_alert(s, severity="critical", station=station, summary="VN_AQI 320")
        on_area = add_alert(s, severity="high", area_code="24373", summary="Cháy rừng")
        add_alert(s, severity="warning", area_code=None, pack="documents")
        add_alert(s, severity="info", area_code=None, station="TRAM-KHONG-CO")
        actions.escalate(s, Actor.system(), on_area.id)
        centre = s.execute(
            select(Area.lat, Area.lon).where(Area.code == "24373", Area.valid_to.is_(None))
        ).one()
    body = viewer.get("/wall/data").json()
    # Every open alert is either on the map or counted as having no place.
    assert (body["placed"], body["unplaced"], body["total"]) == (2, 2, 4)
    assert body["total"] == sum(body["counts"].values())
    at = {a["how"]: a for a in body["alerts"]}
    assert at["entity"]["lat"] == pytest.approx(12.6745)  # the station's own position
    assert at["entity"]["place"] == "Trạm thử nghiệm Quảng trường 10/3"
    assert (at["commune"]["lat"], at["commune"]["lon"]) == pytest.approx(tuple(centre))
    assert at["commune"]["place"] == "Xã Ea Kar" and at["commune"]["url"].startswith("/alerts/")
    (incident,) = body["incidents"]
    assert (incident["lat"], incident["lon"]) == pytest.approx(tuple(centre))
    assert incident["code"] == "SC-2026-0001"


def test_map_data_colours_stations_by_their_worst_alert(
    viewer: TestClient, factory: sessionmaker[Session], station: str
) -> None:
    body = viewer.get("/wall/data").json()
    assert [m["severity"] for m in body["markers"]] == [None]
    with factory() as s, s.begin():
        add_alert(s, severity="warning", station=station, summary="Nhiệt độ cao")
        add_alert(s, severity="critical", station=station, summary="VN_AQI 320")
        add_alert(s, severity="high", station="TRAM-KHONG-CO")
    body = viewer.get("/wall/data").json()
    (marker,) = body["markers"]
    assert marker["code"] == station and marker["severity"] == "critical"
    assert marker["lat"] == pytest.approx(12.6745) and marker["lon"] == pytest.approx(108.0475)
    assert sorted(marker["alerts"]) == ["Nhiệt độ cao", "VN_AQI 320"]
    assert body["counts"] == {"critical": 1, "high": 1, "warning": 1, "info": 0}
    assert body["severity_labels"]["critical"] == "Khẩn cấp"
