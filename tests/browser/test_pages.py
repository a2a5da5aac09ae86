"""End-to-end checks of the pages in real Chromium, as an operator or a citizen sees them.

Each test gets a fresh browser context against the module's live server (72 h of demo air data
ending at the current hour, 10 stations). Expected values come from the public JSON API and the
official VN_AQI table, never from the page under test.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from ioc.core import i18n
from ioc.packs.environment import aqi
from ioc.packs.environment.demo_data import AGENCY_CODE, DEMO_STATIONS

pytestmark = pytest.mark.browser

DEMO_CODES = sorted(s.code for s in DEMO_STATIONS)
STATION = "DL-BMT-01"  # for pages that need any station
NO_VALUE = "—"


def rgb(hex_color: str) -> str:
    """``#RRGGBB`` as the browser's computed ``rgb(r, g, b)``."""
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def computed(locator: Any, prop: str) -> str:
    """A computed CSS property of the element."""
    value: str = locator.evaluate("(e, p) => getComputedStyle(e)[p]", prop)
    return value


def stations_api(page: Any, server: Any) -> list[dict[str, Any]]:
    """The stations as the public JSON API returns them."""
    response = page.request.get(server.url("/api/v1/environment/stations"))
    assert response.ok
    stations: list[dict[str, Any]] = response.json()["stations"]
    return stations


def current_station(page: Any, server: Any) -> str:
    """Code of the first station (by code) whose index is current, according to the API."""
    codes = sorted(s["code"] for s in stations_api(page, server) if s["current"])
    assert codes, "no demo station has a current index"
    return codes[0]


def latest_hourly_aqi(page: Any, server: Any, code: str) -> int:
    """The newest hourly VN_AQI of a station from the JSON API."""
    response = page.request.get(server.url(f"/api/v1/environment/stations/{code}/aqi"))
    assert response.ok
    items = response.json()["items"]
    assert items, f"no hourly index for {code}"
    value: int = items[-1]["aqi"]
    return value


def map_markers(page: Any) -> list[dict[str, Any]]:
    """Every station marker the map holds (static/map.js), drawn or gathered in a cluster."""
    expect(page.locator("#map")).to_have_attribute("data-map-ready", "1")
    held: dict[str, Any] = page.locator("#map").evaluate("n => n._ioc.describe()")
    drawn = page.locator("#map .aqi-label").count()
    # Stations that overlap are one cluster: together they account for every station.
    assert sum(held["clusters"]) + drawn == len(DEMO_STATIONS), (held["clusters"], drawn)
    markers: list[dict[str, Any]] = held["markers"]
    return markers


def map_labels(page: Any) -> dict[str, str]:
    """Station name (marker title) -> number on its marker; a marker drawn on the map shows
    the same number as the component holds for it."""
    labels = {m["title"]: m["label"] for m in map_markers(page)}
    pairs = page.locator("#map .aqi-label").evaluate_all(
        "els => els.map(e => [e.title, e.textContent.trim()])"
    )
    for title, text in pairs:
        assert labels[title] == text, (title, text)
    return labels


def expected_labels(stations: list[dict[str, Any]]) -> dict[str, str]:
    """What the map must show per station: the current index, or a dash when not current."""
    return {s["name"]: str(s["aqi"]["aqi"]) if s["current"] else NO_VALUE for s in stations}


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (fails if the file is not a PNG)."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


# ------------------------------------------------------------------------------ sign-in


def test_login_then_overview_tile_in_official_aqi_colour(page: Any, watch: Any, live_server: Any):
    page.goto(live_server.url("/"))
    page.wait_for_url(live_server.url("/login?next=/"))
    expect(page.locator("h1")).to_have_text(i18n.translate("login.title", "vi"))

    page.fill("#username", live_server.username)
    page.fill("#password", "sai-mật-khẩu-hoàn-toàn")
    page.click("form.login-card button[type=submit]")
    expect(page.locator(".flash-error")).to_have_text("Tên đăng nhập hoặc mật khẩu không đúng")
    assert "/login" in page.url
    expect(page.locator("#password")).to_have_value("")  # the password is not echoed back
    # The refused login answers 401, which Chromium logs as a failed load: expected here.
    assert all("status of 401" in e and "/login" in e for e in watch.errors), watch.errors
    watch.errors.clear()

    page.fill("#username", live_server.username)
    page.fill("#password", live_server.password)
    page.click("form.login-card button[type=submit]")
    page.wait_for_url(live_server.url("/xa"))  # a leader lands on the commune board (issue 20)
    page.goto(live_server.url("/"))
    expect(page.locator("h1")).to_have_text(i18n.translate("overview.title", "vi"))
    expect(page.locator(".topbar .user")).to_have_text(live_server.full_name)

    tile = page.locator("#tiles a.tile[data-pack=environment]")
    expect(tile).to_have_count(1)
    assert tile.get_attribute("href") == "/environment"
    figure = tile.locator(".tile-figure")
    match = re.fullmatch(r"(\d+) · (.+)", figure.inner_text().strip())
    assert match, f"unexpected tile figure {figure.inner_text()!r}"
    shown = int(match.group(1))
    category = aqi.category(shown)
    assert match.group(2) == category.name_vi
    assert computed(figure, "backgroundColor") == rgb(category.color)
    assert computed(figure, "color") == rgb(category.text_color)

    # The figure is the worst current index of the province.
    current = [s["aqi"]["aqi"] for s in stations_api(page, live_server) if s["current"]]
    assert current, "the demo data should be current"
    assert shown == max(current)
    expect(tile).to_contain_text(
        i18n.translate("tile.stations_reporting", "vi", n=len(current), total=len(DEMO_STATIONS))
    )
    watch.assert_clean()


@pytest.mark.parametrize("path", ["/environment", f"/environment/stations/{STATION}"])
def test_internal_pages_need_login_and_return_there(
    page: Any, live_server: Any, sign_in: Any, path: str
):
    page.goto(live_server.url(path))
    page.wait_for_url(live_server.url(f"/login?next={quote(path)}"))
    expect(page.locator("#username")).to_be_visible()
    assert page.locator("input[name=next]").get_attribute("value") == path

    page.fill("#username", live_server.username)
    page.fill("#password", live_server.password)
    page.click("form.login-card button[type=submit]")
    page.wait_for_url(live_server.url(path))
    expect(page.locator(".topbar .user")).to_have_text(live_server.full_name)


# ------------------------------------------------------------------------------ environment


def test_environment_map_and_table_match_api(page: Any, watch: Any, live_server: Any, sign_in):
    sign_in(page, "/environment")
    stations = stations_api(page, live_server)
    assert sorted(s["code"] for s in stations) == DEMO_CODES
    assert sum(s["current"] for s in stations) >= len(DEMO_CODES) // 2  # a meaningful check

    assert map_labels(page) == expected_labels(stations)
    # One marker per station, filled with the official colour of its category.
    fills = [m["color"].upper() for m in map_markers(page)]
    assert sorted(fills) == sorted(
        aqi.category(s["aqi"]["aqi"]).color if s["current"] else "#C4CAD1" for s in stations
    )

    rows = page.locator("#stations-table tbody tr[data-station]")
    expect(rows).to_have_count(len(DEMO_STATIONS))
    assert sorted(rows.evaluate_all("els => els.map(e => e.dataset.station)")) == DEMO_CODES
    for s in stations:
        badge = page.locator(f"tr[data-station='{s['code']}'] .badge")
        expect(badge).to_have_text(str(s["aqi"]["aqi"]) if s["current"] else NO_VALUE)

    # The 7-day chart of all stations is drawn.
    expect(page.locator("#aqi-chart canvas").first).to_be_visible()
    watch.assert_clean()


def test_station_link_opens_station_with_current_index(page: Any, live_server: Any, sign_in):
    sign_in(page, "/environment")
    code = current_station(page, live_server)
    name = page.locator(f"tr[data-station='{code}'] a").inner_text()
    page.click(f"tr[data-station='{code}'] a")
    page.wait_for_url(live_server.url(f"/environment/stations/{code}"))

    expect(page.locator("h1")).to_have_text(name)
    latest = latest_hourly_aqi(page, live_server, code)
    badge = page.locator("#current-aqi .badge")
    expect(badge).to_have_text(str(latest))
    category = aqi.category(latest)
    expect(page.locator("#current-aqi strong")).to_have_text(category.name_vi)
    assert computed(badge, "backgroundColor") == rgb(category.color)
    # Internal page: the operating agency is shown to staff.
    expect(page.locator(".page-head")).to_contain_text(AGENCY_CODE)


def test_station_page_draws_charts_and_tables(page: Any, watch: Any, live_server: Any, sign_in):
    page.goto(live_server.url("/login"))
    code = current_station(page, live_server)
    sign_in(page, f"/environment/stations/{code}")
    for chart in ("hourly-chart", "pollutant-chart", "daily-chart"):
        canvas = page.locator(f"#{chart} canvas").first
        expect(canvas).to_be_visible()
        box = canvas.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 100, (chart, box)
        # Something was painted: count non-transparent pixels of the chart's canvas.
        page.wait_for_function(
            """id => {
                const c = document.querySelector('#' + id + ' canvas');
                const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                let n = 0;
                for (let i = 3; i < d.length; i += 4) { if (d[i]) { n++; } }
                return n > 1000;
            }""",
            arg=chart,
        )

    hourly = page.locator("#hourly-table tbody tr")
    assert hourly.count() >= 24
    expect(page.locator("#hourly-table td.empty")).to_have_count(0)
    first = hourly.first.locator(".badge")
    expect(first).to_have_text(str(latest_hourly_aqi(page, live_server, code)))

    expect(page.locator("#daily-table")).to_be_visible()
    assert page.locator("#daily-table tbody tr").count() >= 1
    watch.assert_clean()


# ------------------------------------------------------------------------------ public


def test_public_air_page_without_login_leaks_nothing(page: Any, watch: Any, live_server: Any):
    page.goto(live_server.url("/public/air"))
    assert page.url == live_server.url("/public/air")  # no redirect to the login page
    expect(page.locator("h1")).to_have_text(i18n.translate("public.title", "vi"))

    stations = stations_api(page, live_server)
    assert map_labels(page) == expected_labels(stations)
    expect(page.locator("#stations-table tbody tr[data-station]")).to_have_count(len(DEMO_STATIONS))
    # Station links stay on the public side.
    hrefs = page.locator("#stations-table a").evaluate_all("els => els.map(e => e.pathname)")
    assert hrefs and all(h.startswith("/public/air/") for h in hrefs), hrefs
    expect(page.locator("a[href^='/environment']")).to_have_count(0)

    advice = page.locator("section", has=page.locator("h2", has_text="Khuyến nghị sức khỏe"))
    expect(advice.locator("tbody tr")).to_have_count(len(aqi.CATEGORIES))
    for category in aqi.CATEGORIES:
        expect(advice).to_contain_text(category.name_vi)
        expect(advice).to_contain_text(category.advice_vi)

    code = current_station(page, live_server)
    page.click(f"tr[data-station='{code}'] a")
    page.wait_for_url(live_server.url(f"/public/air/{code}"))
    expect(page.locator("#current-aqi .badge")).to_have_text(
        str(latest_hourly_aqi(page, live_server, code))
    )
    expect(page.locator(".page-head")).not_to_contain_text(AGENCY_CODE)

    for path in ("/public/air", f"/public/air/{code}"):
        page.goto(live_server.url(path))
        html = page.content()
        for secret in (
            live_server.username,
            live_server.full_name,
            i18n.translate("nav.logout", "vi"),
            AGENCY_CODE,
        ):
            assert secret not in html, f"{secret!r} appears on {path}"
        expect(page.locator("form[action='/logout']")).to_have_count(0)
    watch.assert_clean()


def test_english_switch_persists_across_pages(page: Any, live_server: Any, context: Any):
    page.goto(live_server.url("/public/air?lang=en"))
    title_en = i18n.translate("public.title", "en")
    assert title_en == "Air quality in Đắk Lắk province"
    expect(page.locator("h1")).to_have_text(title_en)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert {c["name"]: c["value"] for c in context.cookies()}.get("ioc_lang") == "en"

    page.goto(live_server.url("/public/air"))  # no ?lang=: the cookie decides
    expect(page.locator("h1")).to_have_text(title_en)
    expect(page.locator("body")).to_contain_text(aqi.CATEGORIES[0].advice_en)
    page.goto(live_server.url("/login"))
    expect(page.locator("h1")).to_have_text(i18n.translate("login.title", "en"))

    page.click(".lang-switch")  # "Tiếng Việt"
    expect(page.locator("h1")).to_have_text(i18n.translate("login.title", "vi"))
    page.goto(live_server.url("/public/air"))
    expect(page.locator("h1")).to_have_text(i18n.translate("public.title", "vi"))


# ------------------------------------------------------------------------------ offline, errors


def test_pages_stay_on_localhost_without_script_errors(
    page: Any, watch: Any, live_server: Any, sign_in
):
    paths = [
        "/public/air",
        f"/public/air/{STATION}",
        "/public/air?lang=en",
        "/",
        "/environment",
        f"/environment/stations/{STATION}",
        "/environment?lang=vi",
    ]
    # The guard itself works: an off-site request is recorded and never reaches the network.
    # (On about:blank: our pages' Content-Security-Policy would block the fetch before it.)
    page.evaluate("fetch('http://192.0.2.1/canary').catch(() => null)")
    assert watch.offsite == ["http://192.0.2.1/canary"]
    watch.offsite.clear()
    watch.errors.clear()  # Chromium logs the aborted load as a console error
    sign_in(page, "/")  # visits /login first
    for path in paths:
        page.goto(live_server.url(path))  # waits for "load": scripts, styles, fonts, images
    # The overview refreshes its tiles through HTMX; exercise that request as well.
    page.clock.install()
    page.goto(live_server.url("/"))
    with page.expect_response(lambda r: "/partials/tiles" in r.url) as info:
        page.clock.fast_forward("01:05")  # past overview_refresh_seconds (60 s)
    assert info.value.ok
    expect(page.locator("#tiles a.tile[data-pack=environment]")).to_have_count(1)
    watch.assert_clean()


# ------------------------------------------------------------------------------ wall screens


@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (3840, 2160)])
def test_wall_sized_screenshots(
    browser: Any, live_server: Any, sign_in: Any, tmp_path: Path, width: int, height: int
):
    context = browser.new_context(
        viewport={"width": width, "height": height}, device_scale_factor=1, locale="vi-VN"
    )
    try:
        page = context.new_page()
        sign_in(page, "/")
        for name, path, ready in (
            ("overview", "/", "#tiles a.tile[data-pack=environment]"),
            ("environment", "/environment", "#map[data-map-ready='1'] .aqi-label >> nth=0"),
        ):
            page.goto(live_server.url(path))
            expect(page.locator(ready)).to_be_visible()
            shot = tmp_path / f"{name}-{width}x{height}.png"
            page.screenshot(path=str(shot))
            assert png_size(shot) == (width, height)
            assert shot.stat().st_size > 20_000, f"{shot.name}: {shot.stat().st_size} bytes"
    finally:
        context.close()


# ------------------------------------------------------------------ error pages and redirects


def test_unknown_station_shows_not_found_page_when_signed_in(
    page: Any, live_server: Any, sign_in: Any
):
    sign_in(page, "/")
    response = page.goto(live_server.url("/environment/stations/KHONG-CO"))
    assert response is not None
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("404")
    expect(page.locator(".flash-error")).to_have_text(i18n.translate("error.not_found", "vi"))
    expect(page.locator(".topbar .user")).to_have_text(live_server.full_name)


def test_language_switch_on_login_keeps_the_page_to_return_to(page: Any, live_server: Any):
    path = f"/environment/stations/{STATION}"
    page.goto(live_server.url(path))
    page.wait_for_url(live_server.url(f"/login?next={quote(path)}"))
    page.click(".lang-switch")
    expect(page.locator("h1")).to_have_text(i18n.translate("login.title", "en"))
    assert page.locator("input[name=next]").get_attribute("value") == path
    page.fill("#username", live_server.username)
    page.fill("#password", live_server.password)
    page.click("form.login-card button[type=submit]")
    page.wait_for_url(live_server.url(path))
