"""The alerts console and the big screen in real Chromium.

(a) An operator opens the console, sees an alert appear without reloading, acknowledges it,
escalates it to an incident, ticks an SOP step and closes the incident with a reason.
(b) The wall at 1920×1080 and 3840×2160: screenshots of its three views (kept in the pytest
tmp dir), type that grows with the screen, nothing overflowing, no request leaving the host.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from alert_console_helpers import PASSWORD, add_alert, add_sop
from ioc.core import audit, auth
from ioc.core.db import make_sessionmaker
from ioc.engines.alerting.models import Alert, AlertEvent, Incident

pytestmark = pytest.mark.browser

OPERATOR = "truc.ban.ioc"


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG header."""
    with path.open("rb") as f:
        header = f.read(24)
    width, height = struct.unpack(">II", header[16:24])
    return width, height


@pytest.fixture(scope="module")
def sessions(live_server: Any, engine: Engine) -> sessionmaker[Session]:
    """Sessions on the live server's database (the module's server empties it at the end)."""
    factory = make_sessionmaker(engine)
    with factory() as s, s.begin():
        auth.create_user(
            s,
            audit.Actor.system("test"),
            username=OPERATOR,
            password=PASSWORD,
            full_name="Cán bộ trực ban",
            role="operator",
        )
    return factory


@pytest.fixture
def clean_alerts(sessions: sessionmaker[Session]) -> Iterator[None]:
    """No alert left over from another test of this module."""

    def wipe() -> None:
        with sessions() as s, s.begin():
            s.execute(delete(AlertEvent))
            s.execute(delete(Alert))
            s.execute(delete(Incident))

    wipe()
    yield
    wipe()


def sign_in_as(page: Any, server: Any, username: str, password: str, path: str) -> None:
    page.goto(server.url(f"/login?next={path}"))
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("form.login-card button[type=submit]")
    page.wait_for_url(server.url(path))


# ------------------------------------------------------------------ (a) operator flow


@pytest.mark.usefixtures("clean_alerts")
def test_operator_handles_an_alert_to_a_closed_incident(
    page: Any,
    watch: Any,
    live_server: Any,
    sessions: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    with sessions() as s, s.begin():
        add_sop(
            s,
            "environment.aqi_unhealthy",
            [
                "Kiểm tra thiết bị và số liệu trạm",
                "Thông báo UBND phường và Sở Y tế",
                "Khuyến cáo người dân hạn chế ra ngoài",
            ],
        )
        add_alert(
            s,
            severity="warning",
            summary="Nhiệt độ 36 °C tại trạm Buôn Hồ",
            area_code="24305",
            station="DL-BH-01",
        )
    sign_in_as(page, live_server, OPERATOR, PASSWORD, "/alerts")
    expect(page.locator("tr.alert-row")).to_have_count(1)

    # A new alert shows up by itself (the list polls every few seconds), worst first.
    with sessions() as s, s.begin():
        alert_id = add_alert(
            s,
            severity="critical",
            title="VN_AQI vượt 200",
            summary="VN_AQI 232 (Rất xấu) tại trạm Quảng trường 10/3",
            area_code="24133",
            station="DL-BMT-01",
            value=232,
            sop_key="environment.aqi_unhealthy",
            started=timedelta(minutes=7),
        ).id
    first = page.locator("tr.alert-row").first
    expect(first).to_have_attribute("data-id", str(alert_id), timeout=12_000)
    expect(first).to_contain_text("VN_AQI 232 (Rất xấu)")
    expect(first).to_contain_text("Phường Buôn Ma Thuột")
    expect(first).to_contain_text("7 phút trước")
    expect(page.locator(".sev-count.sev-critical .sev-count-n")).to_have_text("1")
    page.screenshot(path=str(tmp_path / "console.png"), full_page=True)

    first.locator("a.alert-title").click()
    page.wait_for_url(live_server.url(f"/alerts/{alert_id}"))
    page.screenshot(path=str(tmp_path / "alert.png"), full_page=True)
    page.fill("#ack-note", "Đã gọi trạm kiểm tra")
    page.click("#form-acknowledge button[type=submit]")
    expect(page.locator("#action-done")).to_have_text("Đã tiếp nhận cảnh báo.")
    expect(page.locator(".alert-hero .status-badge")).to_have_text("Đã tiếp nhận")
    expect(page.locator(".timeline")).to_contain_text("Đã gọi trạm kiểm tra")

    page.fill("#esc-title", "Ô nhiễm bụi mịn khu trung tâm Buôn Ma Thuột")
    page.click("#form-escalate button[type=submit]")
    page.wait_for_url("**/alerts/incidents/*?done=escalated")
    expect(page.locator("h1")).to_contain_text("SC-")
    steps = page.locator(".sop-step")
    expect(steps).to_have_count(3)
    expect(steps.nth(0)).to_contain_text("Kiểm tra thiết bị và số liệu trạm")
    steps.nth(0).locator("input[name=note]").fill("Thiết bị hoạt động bình thường")
    steps.nth(0).locator("button").click()
    expect(page.locator("#action-done")).to_have_text("Đã đánh dấu hoàn thành bước.")
    expect(page.locator(".sop-step").nth(0)).to_have_class("sop-step is-done")
    expect(page.locator(".sop-progress-text")).to_have_text("1/3 bước")
    page.screenshot(path=str(tmp_path / "incident.png"), full_page=True)

    # Closing needs a reason: the browser refuses an empty one before anything is sent.
    page.click("#form-close-incident button[type=submit]")
    expect(page.locator("#incident-status")).to_have_text("Đang xử lý")
    page.fill("#ci-reason", "VN_AQI đã về dưới 100, đã khuyến cáo người dân")
    page.click("#form-close-incident button[type=submit]")
    expect(page.locator("#incident-status")).to_have_text("Đã đóng")
    expect(page.locator(".incident-alerts")).to_contain_text("Đã đóng")
    expect(page.locator(".timeline")).to_contain_text("VN_AQI đã về dưới 100")

    with sessions() as s:
        alert = s.get(Alert, alert_id)
        assert alert is not None and alert.status == "closed"
        assert alert.closed_by == OPERATOR
        incident = s.execute(select(Incident)).scalar_one()
        assert incident.status == "closed" and incident.opened_by == OPERATOR
    page.goto(live_server.url("/alerts"))
    expect(page.locator("tr.alert-row")).to_have_count(1)  # only the warning is left
    watch.assert_clean()


# ------------------------------------------------------------------ (b) the wall


@pytest.fixture
def wall_alerts(sessions: sessionmaker[Session], clean_alerts: None) -> None:
    """A realistic morning: a few alerts on demo stations and communes."""
    with sessions() as s, s.begin():
        add_alert(
            s,
            severity="critical",
            summary="VN_AQI 232 (Rất xấu) tại trạm Quảng trường 10/3",
            area_code="24133",
            station="DL-BMT-01",
            started=timedelta(minutes=12),
        )
        add_alert(
            s,
            severity="high",
            summary="Bụi PM2.5 vượt QCVN 05:2023 tại Cụm công nghiệp Tân An",
            area_code="24163",
            station="DL-BMT-04",
            started=timedelta(hours=1, minutes=20),
        )
        add_alert(
            s,
            severity="warning",
            summary="Trạm bãi biển Tuy Hòa mất kết nối hơn 2 giờ",
            area_code="22015",
            station="DL-TH-01",
            started=timedelta(hours=2, minutes=5),
        )
        add_alert(
            s,
            severity="info",
            summary="Phản ánh hiện trường quá hạn xử lý tại xã Ea Kar",
            pack="field_reports",
            area_code="24373",
            started=timedelta(days=1, hours=3),
        )


@pytest.mark.usefixtures("wall_alerts")
@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (3840, 2160)])
def test_wall_is_legible_at_full_hd_and_4k(
    request: pytest.FixtureRequest,
    browser: Any,
    live_server: Any,
    tmp_path: Path,
    width: int,
    height: int,
) -> None:
    # tests/browser/conftest.py is registered under its path ("conftest" alone is ambiguous).
    browser_conftest = request.config.pluginmanager.get_plugin(
        str(Path(__file__).resolve().parent / "conftest.py")
    )
    watch_page = browser_conftest.watch_page
    context = browser.new_context(
        viewport={"width": width, "height": height},
        device_scale_factor=1,
        locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh",
    )
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        watch = watch_page(page)
        # The live server's user is a leader: "/" would send them to the commune board.
        sign_in_as(page, live_server, live_server.username, live_server.password, "/environment")
        for view in ("alerts", "tiles", "map"):
            page.goto(live_server.url(f"/wall?view={view}&rotate=0"))
            active = page.locator(f".wall-view.is-active[data-view={view}]")
            expect(active).to_be_visible()
            if view == "map":
                # Every open alert at its place (three stations, one commune's centre), each
                # place listed beside the map and named on it unless names would overlap.
                expect(page.locator("#wall-map")).to_have_attribute("data-map-ready", "1")
                data = page.request.get(live_server.url("/wall/data")).json()
                assert (data["placed"], data["unplaced"]) == (4, 0)
                expect(page.locator("#wall-map-placed")).to_have_attribute("data-n", "4")
                dots = page.locator("#wall-map .ioc-dot-marker").count()
                piled = page.locator("#wall-map .ioc-cluster").all_inner_texts()
                assert dots + sum(int(n) for n in piled) == 4
                expect(page.locator("#wall-side-list li")).to_have_count(4)
                assert page.locator("#wall-map .wall-tip").count() in (3, 4)
            elif view == "tiles":
                expect(page.locator(".wall-tile[data-pack=environment]")).to_be_visible()
            else:
                expect(page.locator(".wall-alert")).to_have_count(4)
            expect(page.locator("#wall-time .wall-sec")).to_be_visible()  # clock ticking
            shot = tmp_path / f"wall-{view}-{width}x{height}.png"
            page.screenshot(path=str(shot))
            assert png_size(shot) == (width, height)
            assert shot.stat().st_size > 20_000

            sizes = page.evaluate(
                """() => ({
                    scrollW: document.documentElement.scrollWidth,
                    scrollH: document.documentElement.scrollHeight,
                    root: parseFloat(getComputedStyle(document.documentElement).fontSize),
                    clock: parseFloat(getComputedStyle(document.getElementById('wall-time')).fontSize),
                    count: parseFloat(getComputedStyle(document.querySelector('.wall-count-n')).fontSize),
                })"""
            )
            assert sizes["scrollW"] <= width, f"horizontal overflow in {view}: {sizes}"
            assert sizes["scrollH"] <= height, f"vertical overflow in {view}: {sizes}"
            # Legible across the room: the root size follows the screen (≈ 1/80 of its width).
            assert sizes["root"] >= width / 82
            assert sizes["clock"] >= width / 40 and sizes["count"] >= width / 50
            # Nothing on screen spills past the right edge.
            overflowing = page.evaluate(
                """(w) => Array.from(document.querySelectorAll('.wall-view.is-active *, .wall-top *, .wall-counts *'))
                    // The map clips its own panes (Leaflet keeps off-screen helpers there).
                    .filter(e => !e.closest('.leaflet-container'))
                    .filter(e => e.getClientRects().length && e.getBoundingClientRect().right > w + 1)
                    .map(e => e.className || e.tagName).slice(0, 5)""",
                width,
            )
            assert overflowing == [], f"{view}: {overflowing}"

        page.goto(live_server.url("/wall?view=alerts&rotate=0"))
        title = page.locator(".wall-alert-title").first
        expect(title).to_have_text("VN_AQI 232 (Rất xấu) tại trạm Quảng trường 10/3")
        title_px = float(title.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
        assert title_px >= width / 60, f"alert title {title_px}px on a {width}px wall"
        meta_px = float(
            page.locator(".wall-alert-meta").first.evaluate(
                "e => parseFloat(getComputedStyle(e).fontSize)"
            )
        )
        assert meta_px >= width / 90
        expect(page.locator(".wall-count.sev-critical .wall-count-n")).to_have_text("1")
        expect(page.locator("#wall-date")).to_contain_text("/")
        watch.assert_clean()
    finally:
        context.close()


@pytest.mark.usefixtures("wall_alerts")
def test_wall_rotates_and_refreshes_without_reload(
    page: Any, watch: Any, live_server: Any, sign_in: Any, sessions: sessionmaker[Session]
) -> None:
    sign_in(page, "/")
    page.goto(live_server.url("/wall?rotate=5&view=tiles"))
    expect(page.locator(".wall-view.is-active")).to_have_attribute("data-view", "tiles")
    page.evaluate("window.__sameDocument = true")
    expect(page.locator(".wall-view.is-active")).to_have_attribute(
        "data-view", "map", timeout=8_000
    )
    expect(page.locator("#wall-viewname")).to_have_text("Bản đồ trạm và cảnh báo")
    with sessions() as s, s.begin():
        add_alert(
            s,
            severity="critical",
            summary="Cháy rừng tại xã Ea Kar",
            area_code="24373",
            started=timedelta(minutes=1),
        )
    expect(page.locator(".wall-count.sev-critical .wall-count-n")).to_have_text("2", timeout=10_000)
    expect(page.locator(".wall-view.is-active")).to_have_attribute(
        "data-view", "alerts", timeout=8_000
    )
    expect(page.locator(".wall-alert-title").first).to_contain_text("Cháy rừng")
    assert page.evaluate("window.__sameDocument") is True  # no reload happened
    watch.assert_clean()
