"""The wall's tiles fit their screen: at 1920×1080 and at 3840×2160, with the demo's figures
and with the longest values a province can produce (long agency and commune names, large
numbers, long phrases), no text of any tile is cut, leaves its tile or lies over another text
of the tile. The type shrinks instead (static/wall.js ``fitTiles``), never below a readable
size.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from ioc.core import clock
from ioc.core.db import make_sessionmaker
from ioc.core.registry import Tile, TileTrend

pytestmark = pytest.mark.browser

SIZES = {"1080p": (1920, 1080), "4k": (3840, 2160)}
# Smallest type the fitting may reach (CSS px) for a figure and for the other texts, per size.
MIN_PX = {"1080p": (18.0, 9.0), "4k": (36.0, 18.0)}

# Every pack's tile function, as the manifests import it when the tile is drawn.
TILE_FUNCTIONS = (
    ("ioc.packs.environment.pages", "overview_tile"),
    ("ioc.packs.field_reports.tile", "tile"),
    ("ioc.packs.documents.tile", "tile"),
    ("ioc.packs.health.pages", "overview_tile"),
    ("ioc.packs.education.pages", "overview_tile"),
    ("ioc.packs.tourism.pages", "overview_tile"),
    ("ioc.packs.socio_economic.pages", "overview_tile"),
    ("ioc.packs.public_services.tile", "tile"),
    ("ioc.packs.cybersecurity.pages", "overview_tile"),
    ("ioc.packs.security_traffic.pages", "overview_tile"),
    ("ioc.packs.guides.tile", "tile"),
    ("ioc.packs.reporting.pages", "tile"),
)
LONG_NAMES = (
    "Ủy ban nhân dân xã Ea Ktur – Cư Kuin (sáp nhập từ xã Ea Tiêu, Ea Bhốk, Dray Bhăng)",
    "Sở Văn hóa, Thể thao và Du lịch cùng Trung tâm Xúc tiến Đầu tư – Thương mại",
    "Phường Buôn Ma Thuột, phường Tân An, phường Tân Lập và 27 xã, phường khác",
)


def _longest(pack: str, n: int) -> Tile:
    name = LONG_NAMES[n % len(LONG_NAMES)]
    figure = ("1.234.567.890", "117 · Rất xấu cho sức khỏe", "99,9 %", "12.345/67.890")[n % 4]
    return Tile(
        pack=pack,
        title=f"Giám sát {name.lower()}",
        figure=figure,
        caption=f"{name}: 1.234.567 hồ sơ, 98.765 quá hạn, 4.321 đang chờ bổ sung giấy tờ",
        status=("ok", "warn", "bad", "none")[n % 4],
        href="/",
        lines=(
            f"Đơn vị chậm nhất: {LONG_NAMES[(n + 1) % len(LONG_NAMES)]} (1.234 ngày)",
            f"Cập nhật: {LONG_NAMES[(n + 2) % len(LONG_NAMES)]} lúc 23:59 ngày 31/12/2026",
            "Dòng thứ ba chỉ trang tổng quan hiển thị",
        ),
        trend=TileTrend(values=(1_000.0, 3_456_789.0, 1_234_567.0, 9_876_543.0), better="up"),
    )


@pytest.fixture(scope="module")
def with_every_pack(live_server: Any, engine: Engine) -> Iterator[None]:
    """The demo of every pack (72 hours), then one alert evaluation, on the live server."""
    from ioc.app import load_registry
    from ioc.engines.alerting.evaluate import evaluate_due

    factory = make_sessionmaker(engine)
    registry = load_registry()
    end = clock.now().replace(minute=0, second=0, microsecond=0)
    for pack in registry.packs:
        if pack.demo is not None and pack.name != "environment":
            pack.demo(factory, end=end, hours=72, offset=7 * 3600)
    with factory() as session, session.begin():
        evaluate_due(session, clock.now(), registry, force=True)
    yield


@pytest.fixture
def longest(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every pack's tile at its longest (the server thread reads the patched functions)."""
    import importlib

    for n, (module, name) in enumerate(TILE_FUNCTIONS):
        pack = module.split(".")[2]

        def fake(session: Any, lang: str, *args: Any, _pack: str = pack, _n: int = n) -> Tile:
            return _longest(_pack, _n)

        monkeypatch.setattr(importlib.import_module(module), name, fake)


MEASURE = """
() => {
  const texts = '.wall-tile-title, .wall-tile-figure, .wall-tile-caption, .wall-tile-foot, .tile-trend';
  return Array.from(document.querySelectorAll('#view-tiles .wall-tile')).map((tile) => {
    const problems = [];
    const box = tile.getBoundingClientRect();
    if (tile.scrollHeight > tile.clientHeight + 1) problems.push('tile cut vertically');
    if (tile.scrollWidth > tile.clientWidth + 1) problems.push('tile cut horizontally');
    const els = Array.from(tile.querySelectorAll(texts));
    const rects = els.map((el) => el.getBoundingClientRect());
    els.forEach((el, i) => {
      const name = el.className.baseVal !== undefined ? 'svg' : el.className.split(' ')[0];
      const r = rects[i];
      if (el.scrollHeight > el.clientHeight + 1) problems.push(name + ' cut vertically');
      if (el.scrollWidth > el.clientWidth + 1) problems.push(name + ' cut horizontally');
      if (r.height < 1 || r.width < 1) problems.push(name + ' not shown');
      if (r.top < box.top - 1 || r.bottom > box.bottom + 1 || r.left < box.left - 1 ||
          r.right > box.right + 1) problems.push(name + ' leaves its tile');
      for (let j = i + 1; j < els.length; j++) {
        const o = rects[j];
        const w = Math.min(r.right, o.right) - Math.max(r.left, o.left);
        const h = Math.min(r.bottom, o.bottom) - Math.max(r.top, o.top);
        if (w > 1 && h > 1) problems.push(name + ' overlaps ' + els[j].className.split(' ')[0]);
      }
    });
    const size = (sel) => {
      const el = tile.querySelector(sel);
      return el ? parseFloat(getComputedStyle(el).fontSize) : null;
    };
    return {pack: tile.dataset.pack, problems: problems, figure: size('.wall-tile-figure'),
            caption: size('.wall-tile-caption'), texts: els.length};
  });
}
"""


def _measure(browser: Any, live_server: Any, size: str) -> list[dict[str, Any]]:
    width, height = SIZES[size]
    context = browser.new_context(
        viewport={"width": width, "height": height}, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh"
    )
    try:
        page = context.new_page()
        page.goto(live_server.url("/login?next=/wall?rotate=0"))
        page.fill("#username", live_server.username)
        page.fill("#password", live_server.password)
        page.click("form.login-card button[type=submit]")
        page.wait_for_url("**/wall?rotate=0")
        page.wait_for_selector("#wall-tiles[data-fitted]", state="attached", timeout=10_000)
        result: list[dict[str, Any]] = page.evaluate(MEASURE)
        return result
    finally:
        context.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_demo_tiles_fit_the_wall(
    browser: Any, live_server: Any, with_every_pack: None, size: str
) -> None:
    tiles = _measure(browser, live_server, size)
    assert len(tiles) == 14, [t["pack"] for t in tiles]  # open alerts, 12 packs, data intake
    _assert_fit(tiles, size)


@pytest.mark.parametrize("size", list(SIZES))
def test_the_longest_values_fit_the_wall(
    browser: Any, live_server: Any, with_every_pack: None, longest: None, size: str
) -> None:
    tiles = _measure(browser, live_server, size)
    assert len(tiles) == 14
    assert all(t["texts"] >= 5 for t in tiles if t["pack"] not in ("alerts", "core")), tiles
    _assert_fit(tiles, size)


def _assert_fit(tiles: list[dict[str, Any]], size: str) -> None:
    bad = {t["pack"]: t["problems"] for t in tiles if t["problems"]}
    assert bad == {}, f"{size}: {bad}"
    figure_min, text_min = MIN_PX[size]
    small = {
        t["pack"]: (t["figure"], t["caption"])
        for t in tiles
        if (t["figure"] or 0) < figure_min or (t["caption"] or 0) < text_min
    }
    assert small == {}, f"{size}: shrunk below a readable size: {small}"
