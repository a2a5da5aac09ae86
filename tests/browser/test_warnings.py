"""In real Chromium: an operator drafts a public warning from an alert, a second person
approves it, and the public page on a phone (390×844) shows it for an affected commune and not
for an unaffected one. Screenshots of the draft form and the public page go to the test's
temporary folder (``IOC_SCREENSHOTS=<dir>`` keeps them elsewhere)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy.engine import Engine

from alert_console_helpers import add_alert
from conftest import watch_page
from ioc.core import audit, auth
from ioc.core.db import make_sessionmaker

pytestmark = pytest.mark.browser

DRAFTER, APPROVER, PASSWORD = "truc.ban.canh.bao", "lanh.dao.duyet", "mật-khẩu-cảnh-báo-2026"
HEADLINE = "Ô nhiễm không khí mức Xấu tại phường Buôn Ma Thuột"


@pytest.fixture(scope="module")
def alert_id(live_server: Any, engine: Engine) -> int:
    factory = make_sessionmaker(engine)
    with factory() as s, s.begin():
        for username, role in ((DRAFTER, "operator"), (APPROVER, "leader")):
            auth.create_user(
                s,
                audit.Actor.system("test"),
                username=username,
                password=PASSWORD,
                full_name=f"Người {username}",
                role=role,
            )
        return add_alert(s, title="AQI giờ ở mức Xấu (> 150)", area_code="24133").id


def _login(page: Any, server: Any, username: str, next_path: str) -> None:
    page.goto(server.url(f"/login?next={next_path}"))
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("form.login-card button[type=submit]")
    page.wait_for_url(server.url(next_path))


def _shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("IOC_SCREENSHOTS", str(tmp_path)))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_draft_approve_and_public_phone_page(
    browser: Any, live_server: Any, alert_id: int, tmp_path: Path
) -> None:
    shots = _shots(tmp_path)
    # 1. The operator opens the alert and drafts a warning from it.
    ctx = browser.new_context(
        viewport={"width": 1440, "height": 900}, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh"
    )
    page = ctx.new_page()
    watch = watch_page(page)
    _login(page, live_server, DRAFTER, f"/alerts/{alert_id}")
    page.click("#draft-warning")
    page.wait_for_url(f"**/warnings/new?alert={alert_id}")
    expect(page.locator("#from-source")).to_be_visible()
    expect(page.locator("input[name=areas][value='24133']")).to_be_checked()
    # Communes can be picked on the map too: the map draws the commune polygons.
    expect(page.locator("#wr-map path.leaflet-interactive").first).to_be_attached()
    page.select_option("#f-severity", "Severe")
    page.fill("#f-headline_vi", HEADLINE)
    page.fill("#f-headline_en", "Poor air quality in Buôn Ma Thuột ward")
    page.fill("#wr-filter", "tan an")
    page.check("input[name=areas][value='24163']")
    expect(page.locator("#wr-count")).to_have_text("2")
    page.screenshot(path=str(shots / "warning-draft-form.png"), full_page=True)
    page.click("#save-draft")
    page.wait_for_url("**/warnings/*?done=drafted")
    expect(page.locator("#own-draft")).to_be_visible()  # the drafter cannot approve it
    expect(page.locator("#form-approve")).to_have_count(0)
    warning_url = page.url.split("?")[0]
    watch.assert_clean()
    ctx.close()

    # 2. Another person (a leader) approves it.
    ctx = browser.new_context(viewport={"width": 1440, "height": 900}, locale="vi-VN")
    page = ctx.new_page()
    path = warning_url.replace(live_server.base_url, "")
    _login(page, live_server, APPROVER, path)
    page.click("#form-approve button[type=submit]")
    page.wait_for_url("**?done=published")
    expect(page.locator("#approved-by")).to_contain_text(APPROVER)
    ctx.close()

    # 3. A citizen's phone: the affected commune shows it, an unaffected one does not.
    phone = browser.new_context(
        viewport={"width": 390, "height": 844},
        locale="vi-VN",
        is_mobile=True,
        has_touch=True,
        timezone_id="Asia/Ho_Chi_Minh",
    )
    page = phone.new_page()
    watch = watch_page(page)
    page.goto(live_server.url("/public/warnings"))
    page.select_option("#xa", "24133")
    page.click("#pick-commune button[type=submit]")
    page.wait_for_url("**/public/warnings?xa=24133")
    card = page.locator(".wr-card", has_text=HEADLINE)
    expect(card).to_be_visible()
    expect(card).to_contain_text("Nghiêm trọng")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    page.screenshot(path=str(shots / "warning-public-phone.png"), full_page=True)
    page.goto(live_server.url("/public/warnings?xa=22015"))
    expect(page.locator("#none-here")).to_be_visible()
    expect(page.locator(".wr-card", has_text=HEADLINE)).to_have_count(0)
    watch.assert_clean()
    phone.close()
