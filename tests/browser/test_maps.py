"""The province maps in real Chromium, at 1920×1080 and on a 390×844 phone, with no tile server
and no network (every request must stay on localhost; console errors fail).

* Every map draws the province outline, the commune cells and the main roads from the IOC's
  own ``/api/v1/geo/*.geojson`` (SVG paths counted against the layers' features), with each
  layer's attribution and the "ranh giới gần đúng" label of the stand-in communes.
* The six Buôn Ma Thuột stations of the demo, a few km apart, are one cluster showing 6.
* The choropleths per commune draw every commune, a missing figure hatched ("không có số
  liệu"), never as zero.
* The wall's map counts every open alert with a place and says how many have none; the
  markers drawn add up to the alerts placed.
* A citizen on a phone taps the map, then moves the pin with "use my location": the form
  shows the commune the server answers for the final point, and the report is filed there.

Screenshots of each map go to ``$IOC_SCREENSHOT_DIR`` (e.g. ``/tmp/maps``), else ``tmp_path``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from alert_console_helpers import add_alert
from ioc.core import audit
from ioc.core.db import make_sessionmaker
from ioc.engines.alerting import actions
from ioc.packs.field_reports import service as fr_service
from ioc.packs.field_reports.models import Report

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1920, "height": 1080}
PHONE = {"width": 390, "height": 844}
SIZES = [pytest.param(DESKTOP, id="1920x1080"), pytest.param(PHONE, id="390x844")]
BMT_STATIONS = 6  # DL-BMT-01 … 06 of the demo, within ~14 km of each other
TUY_HOA = (13.0950, 109.3200)  # the phone's position for "use my location"

_config: Any = None


@pytest.fixture(autouse=True, scope="module")
def _remember_config(request: pytest.FixtureRequest) -> None:
    global _config
    _config = request.config


def watch_page(page: Any) -> Any:
    """The browser conftest's watcher (off-site requests, console errors) for ``page``."""
    plugin = _config.pluginmanager.get_plugin(str(Path(__file__).with_name("conftest.py")))
    assert plugin is not None, "tests/browser/conftest.py is not loaded"
    return plugin.watch_page(page)


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where screenshots go."""
    folder = Path(os.environ.get("IOC_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def sessions(live_server: Any, engine: Engine) -> sessionmaker[Session]:
    """Sessions on the live server's database (its teardown empties the tables)."""
    return make_sessionmaker(engine)


@pytest.fixture(scope="module")
def map_data(sessions: sessionmaker[Session]) -> dict[str, int]:
    """Field reports in two communes, and open alerts: three with a place (two at their
    station, one at its commune's centre, escalated to an incident) and three without."""
    with sessions() as s, s.begin():
        fr_service.sync_categories(s)
        for lat, lon in ((12.6676, 108.0379), (12.6680, 108.0385), (13.0950, 109.3200)):
            fr_service.submit_report(
                s,
                fr_service.citizen_actor(),
                category_code="duong-hu-hong",
                description="Ổ gà giữa đường",
                lat=lat,
                lon=lon,
                reporter_name="Người dân",
                reporter_email="dan@example.vn",
            )
        add_alert(s, severity="critical", station="DL-BMT-01", summary="VN_AQI 232 tại trạm")
        add_alert(s, severity="warning", station="DL-TH-01", area_code="22015")
        at_commune = add_alert(s, severity="high", area_code="24305", summary="Ngập úng")
        add_alert(s, severity="warning", area_code=None, pack="documents", summary="Quá hạn")
        add_alert(s, severity="info", area_code=None, pack="cybersecurity", summary="TLS")
        add_alert(s, severity="high", area_code=None, station="KHONG-CO-TRAM")
        actions.escalate(s, audit.Actor.system("test"), at_commune.id)
    return {"placed": 3, "unplaced": 3, "incidents": 1}


def new_page(browser: Any, size: dict[str, int]) -> tuple[Any, Any, Any]:
    phone = size["width"] < 500
    ctx = browser.new_context(
        viewport=size,
        device_scale_factor=2 if phone else 1,
        is_mobile=phone,
        has_touch=phone,
        locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh",
    )
    ctx.set_default_timeout(15_000)
    page = ctx.new_page()
    return ctx, page, watch_page(page)


def feature_count(page: Any, server: Any, layer: str) -> int:
    response = page.request.get(server.url(f"/api/v1/geo/{layer}.geojson"))
    assert response.ok
    return len(response.json()["features"])


def assert_base_layers(page: Any, server: Any, selector: str) -> None:
    """The map drew the outline, every commune cell and every road, without any tile."""
    node = page.locator(selector)
    expect(node).to_have_attribute("data-map-ready", "1")
    drawn = node.evaluate(
        """n => ({
            land: n.querySelectorAll('.leaflet-ioc-land-pane path').length,
            edge: n.querySelectorAll('.leaflet-ioc-edge-pane path').length,
            communes: n.querySelectorAll('.leaflet-ioc-communes-pane path').length,
            roads: n.querySelectorAll('.leaflet-ioc-roads-pane path').length,
            tiles: n.querySelectorAll('img.leaflet-tile').length,
            roadWidth: n.querySelector('.leaflet-ioc-roads-pane svg').getBoundingClientRect().width,
            attribution: n.querySelector('.leaflet-control-attribution').textContent,
        })"""
    )
    assert drawn["land"] >= 1 and drawn["edge"] >= 1, drawn
    assert drawn["roads"] == feature_count(page, server, "basemap"), drawn
    assert drawn["communes"] == feature_count(page, server, "communes"), drawn
    assert drawn["roadWidth"] > 100, drawn  # really painted, not squeezed to nothing
    assert drawn["tiles"] == 0
    for credit in ("OpenStreetMap", "Open Development Vietnam", "ranh giới gần đúng"):
        assert credit in drawn["attribution"], drawn["attribution"]


def rgb(hex_color: str) -> str:
    """``#RRGGBB`` as the browser's computed ``rgb(r, g, b)``."""
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def bmt_names(page: Any, server: Any) -> set[str]:
    """Names of the Buôn Ma Thuột stations, from the public API."""
    stations = page.request.get(server.url("/api/v1/environment/stations")).json()["stations"]
    names = {s["name"] for s in stations if s["code"].startswith("DL-BMT-")}
    assert len(names) == BMT_STATIONS
    return names


def describe(page: Any, selector: str) -> dict[str, Any]:
    """What the map component holds: markers of every overlay, clusters drawn now."""
    found: dict[str, Any] = page.locator(selector).evaluate("n => n._ioc.describe()")
    return found


# ------------------------------------------------------------------ every map, both sizes

MAPS = [
    # (name, path, map selector)
    ("environment", "/environment", "#map"),
    ("public-air", "/public/air", "#map"),
    ("field-report-stats", "/field-reports/stats", "#fr-heat"),
    ("field-report-form", "/phan-anh/gui", "#fr-pick-map"),
    ("field-report-list", "/phan-anh/danh-sach", "[data-fr-map=reports]"),
    ("wall", "/wall?view=map&rotate=0", "#wall-map"),
    ("overview", "/", "#overview-map"),
    ("health-surveillance", "/health/surveillance", "#map-surv"),
    ("public-services", "/public-services", "#ps-map"),
    ("environment-water", "/environment/water", "#map"),
]


@pytest.mark.usefixtures("map_data")
@pytest.mark.parametrize("size", SIZES)
def test_every_map_draws_province_communes_and_roads_offline(
    browser: Any, live_server: Any, sign_in: Any, shots: Path, size: dict[str, int]
) -> None:
    ctx, page, watch = new_page(browser, size)
    try:
        sign_in(page, "/")
        for name, path, selector in MAPS:
            page.goto(live_server.url(path))
            if not page.locator(selector).count():
                continue  # e.g. a network page without stations draws no map
            assert_base_layers(page, live_server, selector)
            page.locator(selector).scroll_into_view_if_needed()
            page.wait_for_timeout(150)
            page.screenshot(path=str(shots / f"{name}-{size['width']}x{size['height']}.png"))
            # No sideways scrolling on a phone.
            width = page.evaluate("() => document.documentElement.scrollWidth")
            if name != "wall":  # the wall is a big screen, not a phone page
                assert width <= size["width"], (name, width)
        watch.assert_clean()
    finally:
        ctx.close()


# ------------------------------------------------------------------ clusters and choropleths


def test_six_buon_ma_thuot_stations_are_one_cluster(
    browser: Any, live_server: Any, sign_in: Any
) -> None:
    ctx, page, watch = new_page(browser, DESKTOP)
    try:
        sign_in(page, "/environment")
        expect(page.locator("#map")).to_have_attribute("data-map-ready", "1")
        clusters = page.locator("#map .ioc-cluster")
        expect(clusters.filter(has_text=re.compile(rf"^{BMT_STATIONS}$"))).to_have_count(1)
        held = describe(page, "#map")
        assert len(held["markers"]) == 10  # every station is on the map, clustered or not
        visible = page.locator("#map .aqi-label").count()
        assert sum(held["clusters"]) + visible == 10, (held["clusters"], visible)
        # The cluster wears the colour of its worst station.
        worst = max(
            (m for m in held["markers"] if m["title"] in bmt_names(page, live_server)),
            key=lambda m: m["value"] if m["value"] is not None else -1,
        )
        cluster = clusters.filter(has_text=re.compile(rf"^{BMT_STATIONS}$")).locator("span")
        fill = cluster.evaluate("e => getComputedStyle(e).backgroundColor")
        assert fill == rgb(worst["color"] or "#C4CAD1"), (fill, worst)
        # A click zooms into the cluster: the stations come apart.
        clusters.filter(has_text=re.compile(rf"^{BMT_STATIONS}$")).click()
        expect(page.locator("#map .aqi-label").nth(1)).to_be_visible()
        watch.assert_clean()
    finally:
        ctx.close()


def test_phone_station_list_and_markers_read_without_scrolling(
    browser: Any, live_server: Any
) -> None:
    ctx, page, watch = new_page(browser, PHONE)
    try:
        page.goto(live_server.url("/public/air"))
        expect(page.locator("#map")).to_have_attribute("data-map-ready", "1")
        # Every station is accounted for: alone, or counted in a cluster.
        held = describe(page, "#map")
        visible = page.locator("#map .aqi-label").count()
        assert sum(held["clusters"]) + visible == 10
        for marker in page.locator("#map .ioc-cluster, #map .aqi-label").all():
            box = marker.bounding_box()
            assert box and box["width"] >= 28  # a finger-sized, readable marker
        font = page.locator("#map .ioc-cluster-dot").first.evaluate(
            "e => parseFloat(getComputedStyle(e).fontSize)"
        )
        assert font >= 12
        # The station list shows the VN_AQI of every station inside the screen.
        table = page.locator("#stations-table")
        assert table.evaluate("t => t.scrollWidth <= t.parentElement.clientWidth")
        for badge in table.locator("tbody .badge").all():
            box = badge.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        watch.assert_clean()
    finally:
        ctx.close()


@pytest.mark.usefixtures("map_data")
def test_choropleths_hatch_missing_values(browser: Any, live_server: Any, sign_in: Any) -> None:
    ctx, page, watch = new_page(browser, DESKTOP)
    try:
        communes = None
        for path, selector, block in (
            ("/environment", "#map", "#choropleth-data"),
            ("/field-reports/stats", "#fr-heat", "#heat-data"),
            ("/public-services", "#ps-map", "#map-data"),
        ):
            if communes is None:
                sign_in(page, path)
                communes = feature_count(page, live_server, "communes")
            else:
                page.goto(live_server.url(path))
            node = page.locator(selector)
            expect(node).to_have_attribute("data-map-ready", "1")
            fills = node.evaluate(
                "n => Array.from(n.querySelectorAll('.leaflet-ioc-choropleth-pane path'))"
                ".map(p => p.getAttribute('fill'))"
            )
            assert len(fills) == communes, path
            raw = page.locator(block).evaluate("e => JSON.parse(e.textContent)")
            layer = raw if "values" in raw else (raw.get("choropleth") or raw["choropleths"][0])
            missing = [c for c, v in layer["values"].items() if v is None]
            hatched = [f for f in fills if f == "url(#ioc-map-hatch)"]
            # Communes without a figure (or absent from it) are hatched, the others coloured.
            absent = communes - len(layer["values"])
            assert len(hatched) == len(missing) + absent, path
            legend = page.locator(f"{selector} + .ioc-map-legend")
            expect(legend).to_contain_text("không có số liệu")
            expect(legend).to_contain_text("ranh giới gần đúng")
        # The AQI layer uses the official VN_AQI colours.
        page.goto(live_server.url("/environment"))
        expect(page.locator("#map")).to_have_attribute("data-map-ready", "1")
        colours = set(
            page.locator("#map .leaflet-ioc-choropleth-pane path").evaluate_all(
                "ps => ps.map(p => p.getAttribute('fill').toUpperCase())"
            )
        )
        official = {"#00E400", "#FFFF00", "#FF7E00", "#FF0000", "#8F3F97", "#7E0023"}
        assert colours - {"URL(#IOC-MAP-HATCH)"} <= official and colours & official
        watch.assert_clean()
    finally:
        ctx.close()


# ------------------------------------------------------------------ the wall's count


def test_wall_map_counts_placed_and_unplaced_alerts(
    browser: Any, live_server: Any, sign_in: Any, map_data: dict[str, int]
) -> None:
    ctx, page, watch = new_page(browser, DESKTOP)
    try:
        sign_in(page, "/")
        page.goto(live_server.url("/wall?view=map&rotate=0"))
        expect(page.locator("#wall-map")).to_have_attribute("data-map-ready", "1")
        placed = page.locator("#wall-map-placed")
        unplaced = page.locator("#wall-map-unplaced")
        expect(placed).to_have_attribute("data-n", str(map_data["placed"]))
        expect(unplaced).to_have_attribute("data-n", str(map_data["unplaced"]))
        expect(unplaced).to_have_text(f"{map_data['unplaced']} cảnh báo chưa có vị trí")
        # Together they are every open alert (the counts by severity on top of the wall).
        counts = page.locator("#wall-counts .wall-count[data-severity] .wall-count-n")
        total = sum(int(n) for n in counts.all_inner_texts())
        assert total == map_data["placed"] + map_data["unplaced"]
        # The map draws each placed alert: alone, or counted in a cluster.
        dots = page.locator("#wall-map .ioc-dot-marker:not(.wall-incident)").count()
        clusters = [int(n) for n in page.locator("#wall-map .ioc-cluster").all_inner_texts()]
        assert dots + sum(clusters) == map_data["placed"]
        expect(page.locator("#wall-map .wall-incident")).to_have_count(map_data["incidents"])
        data = page.request.get(live_server.url("/wall/data")).json()
        assert (data["placed"], data["unplaced"]) == (map_data["placed"], map_data["unplaced"])
        assert {a["how"] for a in data["alerts"]} == {"entity", "commune"}
        # The overview shows the same numbers.
        page.goto(live_server.url("/"))
        expect(page.locator("#overview-map-placed")).to_have_attribute(
            "data-n", str(map_data["placed"])
        )
        expect(page.locator("#overview-map-unplaced")).to_have_attribute(
            "data-n", str(map_data["unplaced"])
        )
        watch.assert_clean()
    finally:
        ctx.close()


# ------------------------------------------------------------------ a citizen's pin


@pytest.mark.usefixtures("map_data")
def test_citizen_pin_is_filed_under_the_commune_of_its_final_point(
    browser: Any, live_server: Any, sessions: sessionmaker[Session], shots: Path
) -> None:
    ctx = browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh",
        geolocation={"latitude": TUY_HOA[0], "longitude": TUY_HOA[1]},
        permissions=["geolocation"],
    )
    ctx.set_default_timeout(15_000)
    try:
        page = ctx.new_page()
        watch = watch_page(page)
        page.goto(live_server.url("/phan-anh/gui"))
        expect(page.locator("#fr-pick-map")).to_have_attribute("data-map-ready", "1")
        page.click("label.fr-cat-option:has(input[value=duong-hu-hong])")
        page.fill("#fr-description", "Cống thoát nước bị vỡ, nước tràn ra đường")

        # A tap on the map: the pin, and the commune the server decides for it.
        pick = page.locator("#fr-pick-map")
        pick.scroll_into_view_if_needed()
        box = pick.bounding_box()
        assert box is not None
        pick.tap(position={"x": box["width"] * 0.4, "y": box["height"] * 0.55})
        commune = page.locator("#fr-commune")
        expect(commune).to_have_attribute("data-state", "set")
        first = commune.get_attribute("data-code")
        lat, lon = page.input_value("#fr-lat"), page.input_value("#fr-lon")
        answer = page.request.get(live_server.url(f"/api/v1/geo/commune?lat={lat}&lon={lon}"))
        assert answer.ok and answer.json()["code"] == first
        expect(commune).to_contain_text(answer.json()["name"])
        page.locator("#fld-location").screenshot(path=str(shots / "pin-tapped-390x844.png"))

        # "Dùng vị trí của tôi": the pin moves to the phone's position, the commune follows.
        page.click("#fr-geo")
        expect(page.locator("#fr-lat")).to_have_value(re.compile(r"^13\.095"))
        final = page.request.get(
            live_server.url(f"/api/v1/geo/commune?lat={TUY_HOA[0]}&lon={TUY_HOA[1]}")
        ).json()
        assert final["code"] != first  # the test moves the pin to another commune
        expect(commune).to_have_attribute("data-code", final["code"])
        expect(commune).to_contain_text(final["name"])
        expect(commune).to_contain_text("ranh giới gần đúng")
        expect(page.locator("#fr-area")).to_have_value(final["code"])
        page.locator("#fld-location").screenshot(path=str(shots / "pin-moved-390x844.png"))

        page.fill("#fr-name", "Lê Thị Hoa")
        page.fill("#fr-phone", "0905 123 456")
        page.click("#fr-submit")
        expect(page.locator("#fr-sent")).to_be_visible()
        code = page.inner_text("#fr-code").strip()
        with sessions() as s:
            filed = s.execute(select(Report.area_code).where(Report.code == code)).scalar_one()
        assert filed == final["code"]
        watch.assert_clean()
    finally:
        ctx.close()
