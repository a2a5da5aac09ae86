"""In real Chromium: the top bar of an administrator (the longest menu) fits the screen in
Vietnamese and English, from a tablet to a wide screen: no sideways scrolling, and the sign-out
button stays on the screen (English labels are longer and once pushed it off at 1280 px)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.engine import Engine

from conftest import watch_page
from ioc.core import audit, auth
from ioc.core.db import make_sessionmaker

pytestmark = pytest.mark.browser

ADMIN, PASSWORD = "quan.tri.thanh.dieu.huong", "mật-khẩu-thanh-điều-hướng-2026"
WIDTHS = (800, 1024, 1100, 1200, 1280, 1440, 1920)


@pytest.fixture(scope="module")
def admin(live_server: Any, engine: Engine) -> str:
    factory = make_sessionmaker(engine)
    with factory() as s, s.begin():
        auth.create_user(
            s,
            audit.Actor.system("test"),
            username=ADMIN,
            password=PASSWORD,
            full_name="Quản Trị Viên Có Tên Khá Dài",
            role="admin",
        )
    return ADMIN


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_top_bar_fits_every_screen_width(
    browser: Any, live_server: Any, admin: str, lang: str
) -> None:
    ctx = browser.new_context(viewport={"width": 1440, "height": 900}, locale="vi-VN")
    ctx.set_default_timeout(10_000)
    page = ctx.new_page()
    watch = watch_page(page)
    try:
        page.goto(live_server.url(f"/login?next=/&lang={lang}"))
        page.fill("#username", admin)
        page.fill("#password", PASSWORD)
        page.click("form.login-card button[type=submit]")
        page.wait_for_url(live_server.url("/"))
        page.wait_for_load_state("networkidle")
        too_wide = []
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.wait_for_timeout(50)
            scroll = page.evaluate("document.documentElement.scrollWidth")
            right = page.evaluate(
                "document.querySelector('form[action=\"/logout\"] button')"
                ".getBoundingClientRect().right"
            )
            if scroll > width or right > width:
                too_wide.append((width, scroll, round(right)))
        assert not too_wide, f"{lang}: (screen, page width, sign-out right edge) {too_wide}"
        watch.assert_clean()
    finally:
        ctx.close()
