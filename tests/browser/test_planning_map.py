"""A citizen opens the planning map, clicks a point, sees its planning zone and the assets
nearby, and reports a broken street light — a field report linked to the asset."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.engine import Engine

from conftest import watch_page
from ioc.core import audit
from ioc.core.db import make_sessionmaker
from ioc.core.ownership import WriteScope
from ioc.packs.field_reports import service as fr
from ioc.packs.planning import service
from ioc.packs.planning.models import PlAsset, PlAssetReport
from planning_helpers import P, assets, good_zones

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def planning_data(
    live_server: Any, engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> Any:
    factory = make_sessionmaker(engine)
    before = fr.policy()
    fr.configure(fr.Policy(data_dir=tmp_path_factory.mktemp("fr"), rate_limit_per_hour=50))
    with factory() as s, s.begin():
        fr.sync_categories(s)
        actor = audit.Actor.system("test")
        service.import_zones(s, actor, WriteScope.province(), good_zones(), "so-xay-dung")
        service.import_assets(s, actor, WriteScope.province(), assets(), "so-xay-dung")
    yield factory
    fr.configure(before)


def test_citizen_clicks_point_and_reports_broken_light(
    browser: Any, live_server: Any, planning_data: Any, tmp_path: Path
) -> None:
    shots = Path(os.environ.get("IOC_SCREENSHOTS", str(tmp_path)))
    shots.mkdir(parents=True, exist_ok=True)
    ctx = browser.new_context(
        viewport={"width": 1440, "height": 900}, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh"
    )
    page = ctx.new_page()
    watch = watch_page(page)
    page.goto(live_server.url("/public/quy-hoach"))
    expect(
        page.locator("#pl-map .leaflet-container, #pl-map.leaflet-container").first
    ).to_be_attached()
    # The layers are toggles of the shared map's layer control.
    expect(page.locator(".leaflet-control-layers")).to_contain_text("Khu quy hoạch")
    expect(page.locator(".leaflet-control-layers")).to_contain_text("Hạ tầng đô thị")
    page.wait_for_function("window.IOC_PLANNING && window.IOC_PLANNING.map.map")
    page.evaluate(
        "([lat, lon]) => window.IOC_PLANNING.map.map.setView([lat, lon], 18, {animate: false})",
        [P[0], P[1]],
    )
    page.wait_for_timeout(300)
    # Click the map exactly at P (the centre of the view).
    point = page.evaluate(
        """([lat, lon]) => {
          const p = window.IOC_PLANNING.map.map.latLngToContainerPoint([lat, lon]);
          const r = document.getElementById('pl-map').getBoundingClientRect();
          return [r.left + p.x, r.top + p.y];
        }""",
        [P[0], P[1]],
    )
    page.mouse.click(point[0], point[1])
    expect(page.locator("#pl-zones")).to_contain_text("A1 — Đất ở đô thị")
    expect(page.locator("#pl-zones")).to_contain_text("1234/QĐ-UBND")
    expect(page.locator("#pl-zones")).not_to_contain_text("OLD")  # expired plan
    assets_list = page.locator("#pl-assets")
    expect(assets_list).to_contain_text("Đèn Lê Duẩn 1")
    expect(assets_list).to_contain_text("Hư hỏng")
    expect(assets_list).to_contain_text("Cống dọc Lê Duẩn")
    expect(assets_list).not_to_contain_text("Đèn Lê Duẩn 2")  # 60 m away
    page.screenshot(path=str(shots / "planning-lookup.png"), full_page=True)
    # Report the broken street light.
    page.locator("li.pl-asset[data-code='DCS-001'] .pl-report-btn").click()
    page.fill("#pl-report textarea[name=description]", "Đèn không sáng ba đêm nay")
    page.fill("#pl-report input[name=reporter_name]", "Phạm Văn Dũng")
    page.fill("#pl-report input[name=reporter_phone]", "0905 111 222")
    page.click("#pl-report-send")
    done = page.locator("#pl-report-done")
    expect(done).to_contain_text("Đã gửi phản ánh")
    code = done.locator("p").first.inner_text().split()[-1]
    # The panel is refreshed: the light now shows its open report.
    expect(page.locator("li.pl-asset[data-code='DCS-001'] .pl-open")).to_contain_text(code)
    page.screenshot(path=str(shots / "planning-reported.png"), full_page=True)
    with planning_data() as s:
        asset = s.execute(select(PlAsset).where(PlAsset.code == "DCS-001")).scalar_one()
        links = s.execute(
            select(PlAssetReport.report_code).where(PlAssetReport.asset_id == asset.id)
        ).scalars()
        assert list(links) == [code]
    # The asset shows its open report.
    detail = page.request.get(live_server.url("/api/v1/planning/assets/DCS-001")).json()
    assert [r["code"] for r in detail["open_reports"]] == [code]
    assert "Phạm Văn Dũng" not in json.dumps(detail, ensure_ascii=False)
    watch.assert_clean()
    ctx.close()
