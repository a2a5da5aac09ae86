"""Stored XSS through a station name: the name is shown as text wherever a map draws it.

An ingest token can name (or rename) a station. A name such as
``<img src=x onerror=window.__xss=1>`` once ran on ``/wall?view=map`` because the wall handed it
to Leaflet's ``bindTooltip`` as an HTML string. Here such a station is created through the
service layer, given an open alert (the wall labels alerting stations only), and the pages that
draw station names on a map are opened in Chromium: the script must not run, no ``<img>`` may
appear where the name is drawn, and the name must read as the literal text.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy.engine import Engine

from alert_console_helpers import add_alert
from ioc.core import audit
from ioc.core.db import make_sessionmaker
from ioc.packs.environment import service

pytestmark = pytest.mark.browser

EVIL = "<img src=x onerror=window.__xss=1>"
CODE = "DL-XSS-01"


@pytest.fixture(scope="module")
def evil_station(live_server: Any, engine: Engine) -> Iterator[str]:
    """A station named like markup, near Buôn Ma Thuột, with an open critical alert."""
    factory = make_sessionmaker(engine)
    with factory() as session, session.begin():
        service.upsert_station(
            session,
            audit.Actor.system("test"),
            code=CODE,
            name=EVIL,
            lat=12.70,
            lon=108.05,
            area_code="24133",
            agency_code="so-nong-nghiep-moi-truong",
        )
        add_alert(session, severity="critical", station=CODE, summary=f"VN_AQI cao tại {EVIL}")
    yield CODE  # the live server's teardown empties every table


def assert_not_run(page: Any) -> None:
    """The injected handler never ran (give a failed image load time to fire it)."""
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.__xss") is None
    assert page.evaluate("() => document.querySelectorAll('img[src=\"x\"]').length") == 0


@pytest.mark.usefixtures("evil_station")
def test_wall_map_draws_station_name_as_text(page: Any, live_server: Any, sign_in: Any) -> None:
    sign_in(page, "/wall")
    page.goto(live_server.url("/wall?view=map&rotate=0"))
    # The only alerting station is ours, so the wall labels exactly one marker.
    tip = page.locator("#wall-map .leaflet-tooltip.wall-tip")
    expect(tip).to_have_count(1)
    assert_not_run(page)
    assert tip.evaluate("e => e.textContent") == EVIL
    assert tip.locator("img").count() == 0
    side = page.locator("#wall-side-list strong").filter(has_text=EVIL)
    expect(side).to_have_count(1)
    assert side.evaluate("e => e.textContent") == EVIL
    assert_not_run(page)


@pytest.mark.usefixtures("evil_station")
@pytest.mark.parametrize("path", ["/environment", "/public/air"])
def test_environment_map_draws_station_name_as_text(
    page: Any, live_server: Any, sign_in: Any, path: str
) -> None:
    sign_in(page, path)
    label = page.locator("#map .aqi-label").filter(has=page.locator("span"))
    expect(label.first).to_be_visible()
    # Near Buôn Ma Thuột the stations are one cluster: zoom in until ours stands alone.
    expect(page.locator("#map")).to_have_attribute("data-map-ready", "1")
    page.locator("#map").evaluate("n => n._ioc.map.setView([12.70, 108.05], 15, {animate: false})")
    marker = page.locator("#map .aqi-label").and_(page.get_by_title(EVIL, exact=True))
    expect(marker).to_have_count(1)
    assert marker.locator("img").count() == 0
    marker.dispatch_event("click")  # (a real click may land under the sticky top bar)
    popup = page.locator("#map .leaflet-popup .aqi-popup-name")
    expect(popup).to_have_text(EVIL)
    assert page.locator("#map .leaflet-popup img").count() == 0
    # The station table and the chart legend name it too (Jinja escapes; ECharts draws text).
    expect(page.get_by_text(EVIL, exact=True).first).to_be_visible()
    assert_not_run(page)
