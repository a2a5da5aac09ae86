"""Field reports end to end in Chromium: a citizen on a phone sends a report with a photo and a
location, an IOC operator assigns, starts, answers and publishes it, the citizen reads the
answer and rates it. Screenshots of the main pages (phone and desktop) go to ``tmp_path``, or
to ``$IOC_SCREENSHOT_DIR`` when set (to look at them)."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy.engine import Engine

from ioc.core import audit, auth
from ioc.core.db import make_sessionmaker
from ioc.packs.field_reports import service

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
BMT_POINT = (12.6676, 108.0379)  # Quảng trường 10/3, phường Buôn Ma Thuột
OPERATOR = ("tructiep", "mật-khẩu-trực-ban-2026")
NAME, PHONE_NO, EMAIL = "Trần Văn Bình", "0912 345 678", "binh.tran@example.vn"


def watch_page(page: Any) -> Any:
    """The browser conftest's watcher (off-site requests, console errors) for ``page``."""
    here = str(Path(__file__).with_name("conftest.py").resolve())
    plugin = _config.pluginmanager.get_plugin(here)
    assert plugin is not None, "tests/browser/conftest.py is not loaded"
    return plugin.watch_page(page)


_config: Any = None


@pytest.fixture(autouse=True, scope="module")
def _remember_config(request: pytest.FixtureRequest) -> None:
    global _config
    _config = request.config


@pytest.fixture(scope="module")
def fr_data(live_server: Any, engine: Engine) -> Iterator[dict[str, str]]:
    """Categories, an IOC operator and an open pothole report at the square (for "is this
    yours?"), on the live server's database."""
    factory = make_sessionmaker(engine)
    with factory() as s, s.begin():
        service.sync_categories(s)
        auth.create_user(
            s,
            audit.Actor.system("test"),
            username=OPERATOR[0],
            password=OPERATOR[1],
            full_name="Trực ban IOC",
            role="operator",
            agency_code="trung-tam-ioc",
        )
        earlier = service.submit_report(
            s,
            service.citizen_actor(),
            category_code="duong-hu-hong",
            description="Ổ gà lớn trước Quảng trường 10/3",
            lat=BMT_POINT[0] + 0.0001,
            lon=BMT_POINT[1],
            area_code="24133",
            reporter_name="Người khác",
            reporter_email="khac@example.vn",
        ).report
    yield {"earlier": earlier.code}


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where screenshots go."""
    folder = Path(os.environ.get("IOC_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def jpeg(path: Path) -> Path:
    """A small real JPEG photo (a grey road with a dark pothole)."""
    image = Image.new("RGB", (640, 480), (120, 120, 125))
    for x in range(250, 390):
        for y in range(200, 290):
            if ((x - 320) / 70) ** 2 + ((y - 245) / 45) ** 2 <= 1:
                image.putpixel((x, y), (40, 35, 30))
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=85)
    path.write_bytes(buf.getvalue())
    return path


def phone_context(browser: Any) -> Any:
    ctx = browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh",
        geolocation={"latitude": BMT_POINT[0], "longitude": BMT_POINT[1]},
        permissions=["geolocation"],
    )
    ctx.set_default_timeout(10_000)
    return ctx


def desktop_context(browser: Any) -> Any:
    ctx = browser.new_context(viewport=DESKTOP, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    ctx.set_default_timeout(10_000)
    return ctx


def test_citizen_reports_staff_answer_citizen_rates(
    browser: Any, live_server: Any, fr_data: dict[str, str], tmp_path: Path, shots: Path
) -> None:
    photo = jpeg(tmp_path / "o-ga.jpg")
    citizen = phone_context(browser)
    staff = desktop_context(browser)
    try:
        # --- the citizen, on a phone ---------------------------------------------------------
        page = citizen.new_page()
        watch = watch_page(page)
        page.goto(live_server.url("/phan-anh"))
        expect(page.locator("#fr-send-link")).to_be_visible()
        page.screenshot(path=str(shots / "phone-landing.png"), full_page=True)
        page.click("#fr-send-link")
        page.wait_for_url(live_server.url("/phan-anh/gui"))
        expect(page.locator("#fr-pick-map.leaflet-container")).to_be_visible()
        page.screenshot(path=str(shots / "phone-send-empty.png"), full_page=True)

        page.click("label.fr-cat-option:has(input[value=duong-hu-hong])")
        expect(page.locator("input[value=duong-hu-hong]")).to_be_checked()
        page.fill("#fr-description", "Ổ gà sâu khoảng 1 m giữa đường, xe máy dễ té ngã")
        page.set_input_files("#fr-photos", str(photo))
        expect(page.locator("#fr-photo-list li")).to_have_text(re.compile(r"o-ga\.jpg"))

        # Tap on the map: the pin sets the coordinates.
        pick = page.locator("#fr-pick-map")
        pick.scroll_into_view_if_needed()
        box = pick.bounding_box()
        assert box is not None
        pick.click(position={"x": box["width"] / 2, "y": box["height"] / 2})
        expect(page.locator("#fr-pin-state")).to_have_class(re.compile("is-set"))
        lat = float(page.input_value("#fr-lat"))
        assert 11.9 < lat < 13.9
        # "Dùng vị trí của tôi" moves the pin to the phone's position, next to an open report
        # of the same category: the "is this yours?" box offers to follow it.
        page.click("#fr-geo")
        expect(page.locator("#fr-lat")).to_have_value(re.compile(r"^12\.6676"))
        dupes = page.locator("#fr-nearby .fr-dupes")
        expect(dupes).to_contain_text("Có phải phản ánh này của bạn?")
        expect(dupes).to_contain_text(fr_data["earlier"])
        # The commune: typed without diacritics, picked from the searchable list.
        page.fill("#fr-area-filter", "buon ma thuot")
        expect(page.locator("#fr-area")).to_have_value("24133")
        page.fill("#fr-name", NAME)
        page.fill("#fr-phone", PHONE_NO)
        page.fill("#fr-email", EMAIL)
        page.check("input[name=share_identity]")
        page.locator("#fld-category").screenshot(path=str(shots / "phone-send-category.png"))
        page.screenshot(path=str(shots / "phone-send-filled.png"), full_page=True)
        page.click("#fr-submit")

        expect(page.locator("#fr-sent")).to_be_visible()
        code = page.inner_text("#fr-code").strip()
        secret = page.inner_text("#fr-secret").strip()
        assert re.fullmatch(r"PA-\d{4}-\d{6}", code)
        assert re.fullmatch(r"[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}", secret)  # short, unambiguous
        page.screenshot(path=str(shots / "phone-sent.png"), full_page=True)
        for value in (NAME, PHONE_NO, EMAIL):
            assert value not in page.content()
        watch.assert_clean()

        # --- the IOC operator, on a desktop --------------------------------------------------
        desk = staff.new_page()
        staff_watch = watch_page(desk)
        desk.goto(live_server.url("/login?next=/field-reports"))
        desk.fill("#username", OPERATOR[0])
        desk.fill("#password", OPERATOR[1])
        desk.click("form.login-card button[type=submit]")
        desk.wait_for_url(live_server.url("/field-reports"))
        row = desk.locator(f"#fr-inbox tr[data-code='{code}']")
        expect(row).to_be_visible()
        expect(row.locator(".fr-due")).to_have_class(re.compile("fr-due-ok"))
        desk.screenshot(path=str(shots / "desktop-inbox.png"), full_page=True)
        row.locator("a.fr-code").click()
        desk.wait_for_url(live_server.url(f"/field-reports/{code}"))
        expect(desk.locator("#fr-identity")).to_contain_text(NAME)
        expect(desk.locator(".fr-staff-photo img")).to_have_count(1)
        assert desk.eval_on_selector(".fr-staff-photo img", "img => img.naturalWidth") == 640
        desk.screenshot(path=str(shots / "desktop-detail-received.png"), full_page=True)

        desk.click("form[data-action=assign] button[type=submit]")
        expect(desk.locator("#fr-done")).to_have_text("Đã chuyển đơn vị xử lý.")
        desk.click("form[data-action=start] button[type=submit]")
        expect(desk.locator("#fr-done")).to_have_text("Đã bắt đầu xử lý.")
        desk.fill("#answer-text", "Ngày 10/3 tổ duy tu đã vá ổ gà bằng bê tông nhựa.")
        desk.select_option("#answer-resolution", "fixed")
        desk.click("form[data-action=answer] button[type=submit]")
        expect(desk.locator("#fr-done")).to_contain_text("Đã lưu trả lời")
        desk.click("form[data-action=photo_publish] button[type=submit]")
        expect(desk.locator("#fr-done")).to_have_text("Đã công khai ảnh.")
        desk.click("form[data-action=publish] button[type=submit]")
        expect(desk.locator("#fr-done")).to_have_text("Đã công khai kết quả xử lý.")
        desk.screenshot(path=str(shots / "desktop-detail-published.png"), full_page=True)
        staff_watch.assert_clean()

        # --- the citizen reads the answer and rates it ---------------------------------------
        page.goto(live_server.url(f"/phan-anh/tra-cuu?ma={code}"))
        expect(page.locator("#fr-answer")).to_contain_text("đã vá ổ gà bằng bê tông nhựa")
        expect(page.locator(".fr-photos img")).to_have_count(1)
        page.screenshot(path=str(shots / "phone-track-published.png"), full_page=True)
        page.click("#fr-rate label:has(input[name=satisfied][value=yes])")
        page.click("#fr-rate label:has(input[name=really_fixed][value=yes])")
        page.fill("#rate-secret", secret)
        page.click("#fr-rate button[type=submit]")
        expect(page.locator("#fr-done")).to_have_text("Cảm ơn bạn đã đánh giá kết quả xử lý.")
        expect(page.locator("#fr-rating")).to_contain_text("Hài lòng")
        expect(page.locator("#fr-report")).to_have_attribute("data-status", "rated")
        page.screenshot(path=str(shots / "phone-track-rated.png"), full_page=True)
        for value in (NAME, PHONE_NO, EMAIL):
            assert value not in page.content()
        watch.assert_clean()
    finally:
        citizen.close()
        staff.close()


def test_a_late_commune_answer_keeps_the_citizens_choice(
    browser: Any, live_server: Any, fr_data: dict[str, str]
) -> None:
    """The pin asks the server for its commune; when the answer arrives after the citizen has
    picked a commune in the list, the citizen's choice stays (it once flipped back)."""
    citizen = phone_context(browser)
    try:
        page = citizen.new_page()
        watch = watch_page(page)
        held: list[Any] = []
        page.route("**/api/v1/geo/commune*", lambda route: held.append(route))
        page.goto(live_server.url("/phan-anh/gui"))
        page.click("#fr-geo")
        expect(page.locator("#fr-lat")).to_have_value(re.compile(r"^12\.6676"))
        expect(page.locator("#fr-commune")).to_have_attribute("data-state", "wait")
        page.fill("#fr-area-filter", "buon ma thuot")
        expect(page.locator("#fr-area")).to_have_value("24133")
        assert held, "the commune of the pin was asked"
        for route in held:
            route.continue_()
        box = page.locator("#fr-commune")
        expect(box).to_have_attribute("data-state", "set")
        # The late answer names the pin's own ward, not the one the citizen chose …
        assert box.get_attribute("data-code") not in (None, "24133")
        # … and the list keeps the citizen's choice.
        expect(page.locator("#fr-area")).to_have_value("24133")
        watch.assert_clean()
    finally:
        citizen.close()


def test_public_list_and_validation_on_phone_and_desktop(
    browser: Any, live_server: Any, fr_data: dict[str, str], shots: Path
) -> None:
    for name, ctx in (("phone", phone_context(browser)), ("desktop", desktop_context(browser))):
        try:
            page = ctx.new_page()
            watch = watch_page(page)
            page.goto(live_server.url("/phan-anh/danh-sach"))
            expect(page.locator("#fr-list .fr-card").first).to_be_visible()
            # The reports on the map: a marker each, or a cluster where they pile up.
            expect(
                page.locator(".fr-map.leaflet-container").locator(".ioc-marker, .ioc-cluster").first
            ).to_be_attached()
            page.screenshot(path=str(shots / f"{name}-list.png"), full_page=True)
            if name == "desktop":
                page.goto(live_server.url("/phan-anh"))
                page.screenshot(path=str(shots / "desktop-landing.png"), full_page=True)
            # Sending an empty form: errors next to each field, nothing lost.
            page.goto(live_server.url("/phan-anh/gui"))
            page.fill("#fr-description", "Đèn đường tắt cả tuần")
            page.click("#fr-submit")
            expect(page.locator("#fr-errors")).to_be_visible()
            expect(page.locator("#err-category")).to_contain_text("Vui lòng chọn lĩnh vực")
            expect(page.locator("#fr-description")).to_have_value("Đèn đường tắt cả tuần")
            page.screenshot(path=str(shots / f"{name}-send-errors.png"), full_page=True)
            # The refused form comes back as 422, which Chromium logs; nothing else may.
            watch.errors = [e for e in watch.errors if "status of 422" not in e]
            watch.assert_clean()
        finally:
            ctx.close()


def test_admin_calendar_and_routing_pages(
    browser: Any, live_server: Any, engine: Engine, shots: Path, fr_data: dict[str, str]
) -> None:
    factory = make_sessionmaker(engine)
    with factory() as s, s.begin():
        auth.create_user(
            s,
            audit.Actor.system("test"),
            username="quantri-fr",
            password="mật-khẩu-quản-trị-2026",
            full_name="Quản trị",
            role="admin",
        )
    ctx = desktop_context(browser)
    try:
        page = ctx.new_page()
        watch = watch_page(page)
        page.goto(live_server.url("/login?next=/field-reports/admin/calendar"))
        page.fill("#username", "quantri-fr")
        page.fill("#password", "mật-khẩu-quản-trị-2026")
        page.click("form.login-card button[type=submit]")
        page.wait_for_url(live_server.url("/field-reports/admin/calendar"))
        expect(page.locator("#fr-cal .fr-cal-day[data-day]")).to_have_count(60)
        page.screenshot(path=str(shots / "desktop-admin-calendar.png"), full_page=True)
        page.goto(live_server.url("/field-reports/admin/routing"))
        page.select_option("#r-cat", "ngap-ung")
        page.select_option("#r-agency", "so-xay-dung")
        page.click("#fr-rule-form button[type=submit]")
        expect(page.locator("#fr-rules tbody tr[data-rule]")).to_have_count(1)
        page.screenshot(path=str(shots / "desktop-admin-routing.png"), full_page=True)
        watch.assert_clean()
    finally:
        ctx.close()
