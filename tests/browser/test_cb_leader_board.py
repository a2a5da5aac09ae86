"""Commune board in real Chromium: a leader signs in and lands on the board, sorts it by an
indicator, sees the map, and opens a red commune's page.

Data: traffic incidents of the last days in three communes, scored by a board of the two
traffic indicators (the figures of the other packs would depend on the demo); the expected
order and colours follow from those hand-made counts, never from the page under test.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy.engine import Engine

from ioc.core import clock
from ioc.core.db import make_sessionmaker
from ioc.packs.communes import config
from ioc.packs.communes.config import BoardConfig, Rule
from ioc.packs.communes.jobs import snapshot_job
from ioc.packs.security_traffic.models import StIncident

pytestmark = pytest.mark.browser

BMT, BUON_HO, BINH_KIEN = "24133", "24305", "22045"
COUNTS = {BMT: 9, BUON_HO: 4, BINH_KIEN: 1}  # red, yellow, green (green ≤ 2, red > 6)
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.fixture(scope="module")
def board_data(live_server: Any, engine: Engine) -> Iterator[None]:
    config.set_board_config(
        BoardConfig(rules=(Rule("st.incidents", 1, 2, 6), Rule("st.accidents", 1, 1, 3)))
    )
    factory = make_sessionmaker(engine)
    with factory() as s, s.begin():
        for area, n in COUNTS.items():
            for i in range(n):
                s.add(
                    StIncident(
                        kind="accident" if i % 2 else "public_order",
                        category="collision",
                        occurred_at=clock.now() - timedelta(days=1, minutes=i),
                        area_code=area,
                    )
                )
    assert snapshot_job(factory, clock.now())
    yield
    config.set_board_config(None)


def test_leader_sorts_the_board_and_opens_a_red_commune(
    page: Any, watch: Any, live_server: Any, board_data: None
) -> None:
    page.goto(live_server.url("/login"))
    page.fill("#username", live_server.username)
    page.fill("#password", live_server.password)
    page.click("form.login-card button[type=submit]")
    page.wait_for_url(live_server.url("/xa"))  # leaders land on the board
    expect(page.locator("h1.page-title")).to_have_text("Bảng theo dõi 102 xã, phường")
    expect(page.locator("#cb-table tbody tr")).to_have_count(102)
    # The map colours the communes once their boundaries are loaded.
    page.wait_for_function(
        "document.querySelectorAll('#cb-map path.leaflet-interactive').length >= 100"
    )

    page.click("#cb-table th[data-sort='st.incidents'] a")  # ascending: fewest first
    page.wait_for_url("**sort=st.incidents**")
    page.click("#cb-table th[data-sort='st.incidents'] a")  # again: most first
    page.wait_for_url("**dir=desc**")
    rows = page.locator("#cb-table tbody tr")
    assert rows.evaluate_all("els => els.slice(0, 3).map(e => e.dataset.code)") == [
        BMT,
        BUON_HO,
        BINH_KIEN,
    ]
    first = rows.first
    expect(first).to_have_attribute("data-color", "red")
    expect(first.locator("td[data-ind='st.incidents']")).to_have_text("9")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "cb-board.png"), full_page=True)

    first.locator("td a").first.click()
    page.wait_for_url(f"**/xa/{BMT}**")
    expect(page.locator("h1.page-title")).to_have_text("Bảng điểm Phường Buôn Ma Thuột")
    expect(page.locator("#cb-level")).to_have_text("Yếu")
    expect(page.locator("#cb-rank")).to_have_text("Hạng 102/102")
    incidents = page.locator("#cb-figures tr[data-ind='st.incidents']")
    expect(incidents).to_have_attribute("data-color", "red")
    expect(page.locator("#cb-figures tbody tr")).to_have_count(2)  # the board's two
    page.screenshot(path=str(SHOTS / "cb-commune.png"), full_page=True)
    watch.assert_clean()
