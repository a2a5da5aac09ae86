"""First-login tour and guide pages in Chromium: a new user sees the tour on the overview,
dismissing it persists across visits, and a guide page shows its screenshot."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_tour_shows_once_and_guide_shows_its_image(
    page: Any, watch: Any, live_server: Any, sign_in: Any
) -> None:
    sign_in(page, "/")
    tour = page.locator("#gd-tour")
    expect(tour).to_be_visible()
    expect(tour.locator("li")).to_have_count(5)
    expect(page.locator("#gd-tour-guides")).to_have_text("Xem hướng dẫn")
    page.click("#gd-tour-dismiss")
    page.wait_for_url(live_server.url("/"))
    expect(page.locator("#tiles")).to_be_visible()
    page.reload()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#gd-tour")).to_have_count(0)

    page.goto(live_server.url("/guides"))
    page.click("text=Trang tổng quan")
    page.wait_for_url(live_server.url("/guides/tong-quan"))
    image = page.locator("#gd-shot")
    expect(image).to_be_visible()
    # Visible is not loaded: wait for the browser to finish decoding the PNG before measuring.
    page.wait_for_function("document.getElementById('gd-shot').complete")
    width = page.evaluate("document.getElementById('gd-shot').naturalWidth")
    assert width == 1280  # the PNG really loaded
    watch.assert_clean()
