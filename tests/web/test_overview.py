"""The IOC overview: one tile per pack with status colour and key figure, plus data intake."""

from __future__ import annotations

import re
from datetime import datetime

from fastapi.testclient import TestClient

from helpers import login


def _post(client: TestClient, token: str, rows: list[dict[str, object]]) -> None:
    r = client.post(
        "/api/v1/observations",
        json={"observations": rows},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 200, r.text


def test_overview_tiles(
    client: TestClient, make_user, station: str, ingest_token: str, frozen_now: datetime
) -> None:  # type: ignore[no-untyped-def]
    # Frozen at 12:00 local: PM2.5 of 60 µg/m³ for the last 12 hours → NowCast 60 → AQI
    # (150-100)/(80-50) × (60-50) + 100 = 116.67 → 117, "Kém", orange #FF7E00.
    rows = [
        {
            "indicator": "pm25",
            "entity": station,
            "time": f"2026-03-10T{h:02d}:00:00+07:00",
            "value": 60,
        }
        for h in range(1, 13)
    ]
    rows += [
        {"indicator": "pm10", "entity": station, "time": "2026-03-09T12:00:00+07:00", "value": 60}
    ]
    _post(client, ingest_token, rows)
    login(client, "leader", make_user("leader", role="leader"))
    page = client.get("/").text
    env_tile = re.search(
        r'<a class="tile[^"]*" href="/environment"[^>]*data-pack="environment">(.*?)</a>',
        page,
        re.S,
    )
    assert env_tile, page
    assert "117 · Kém" in env_tile.group(1)
    assert "#FF7E00" in env_tile.group(0)
    assert "1/1 trạm có dữ liệu" in env_tile.group(1)
    # Intake: pm25 reported at 12:00 (fresh), pm10 a day ago (stale) → 50 %.
    intake = re.search(r'data-pack="core">(.*?)</a>', page, re.S)
    assert intake and "50 %" in intake.group(1) and "1/2 chuỗi số liệu" in intake.group(1)
    # The partial the page polls returns the same tiles.
    assert "117 · Kém" in client.get("/partials/tiles").text


def test_overview_in_english(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    login(client, "l2", make_user("l2", role="leader"))
    page = client.get("/?lang=en").text
    assert "Data intake" in page and "Overview" in page


def test_a_failing_tile_does_not_take_the_overview_down(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    registry = client.app.state.registry  # type: ignore[attr-defined]
    pack = next(p for p in registry.packs if p.name == "environment")
    original = pack.tile

    def broken(db: object, lang: str) -> None:
        raise RuntimeError("bảng chưa có")

    pack.tile = broken
    try:
        login(client, "lanh.dao", make_user("lanh.dao", role="leader"))
        page = client.get("/")
        assert page.status_code == 200
        assert "Chưa lấy được số liệu của lĩnh vực này" in page.text
        assert "Phản ánh hiện trường" in page.text  # the other services still show
    finally:
        pack.tile = original


def test_tiles_are_reused_for_the_cache_period(engine, factory) -> None:  # type: ignore[no-untyped-def]
    from ioc.app import load_registry
    from ioc.web.core_pages import pack_tiles

    registry = load_registry()
    pack = next(p for p in registry.packs if p.name == "environment")
    calls: list[str] = []
    original = pack.tile

    def counting(db, lang):  # type: ignore[no-untyped-def]
        calls.append(lang)
        return original(db, lang) if original else None

    pack.tile = counting
    with factory() as s:
        pack_tiles(s, registry, "vi", cache_s=60)
        pack_tiles(s, registry, "vi", cache_s=60)
        pack_tiles(s, registry, "en", cache_s=60)
        pack_tiles(s, registry, "vi", cache_s=0)
    assert calls == ["vi", "en", "vi"]  # the second "vi" came from the cache


# --- open alerts on the overview, and the change vs the previous period ----------------------


def _tile_html(page: str, pack: str) -> str:
    match = re.search(rf'<a class="tile[^"]*"[^>]*data-pack="{pack}">(.*?)</a>', page, re.S)
    assert match, f"no {pack} tile"
    return match.group(0)


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_overview_counts_open_alerts_by_severity_like_the_wall(
    client: TestClient, make_user, factory, frozen_now: datetime
) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from alert_console_helpers import add_alert

    with factory() as s, s.begin():
        add_alert(s, severity="critical", started=timedelta(minutes=30))
        add_alert(s, severity="warning", started=timedelta(minutes=40))
        add_alert(s, severity="warning", started=timedelta(days=1, hours=2))  # open since yesterday
    login(client, "lanh.dao", make_user("lanh.dao", role="leader"))
    page = client.get("/").text
    tile = _tile_html(page, "alerts")
    assert 'href="/alerts"' in tile
    text = _text(tile)
    assert "Cảnh báo đang mở" in text and " 3 " in f" {text} "
    assert "1 khẩn cấp · 2 cảnh báo" in text
    # Against the end of yesterday (1 open then): up by 2, shown as bad news, with a sparkline.
    assert re.search(r'class="tile-trend trend-bad" data-direction="up"', tile)
    assert "▲" in text and "+2" in text and "so với hôm qua" in text
    assert re.search(r'<svg class="tile-spark"[^>]*>\s*<polyline points="[\d., ]+"', tile)
    # The wall shows the same figure, from the same function.
    wall = client.get("/wall/partials/tiles").text
    alerts_tile = re.search(
        r'<div class="wall-tile wall-tile-alerts[^"]*"[^>]*>(.*?)</div>\s*(?=<div class="wall-tile|</div>)',
        wall,
        re.S,
    )
    assert alerts_tile, wall
    wall_text = _text(alerts_tile.group(0))
    assert "1 khẩn cấp · 2 cảnh báo" in wall_text and "+2" in wall_text


def test_a_tile_with_a_series_shows_its_change_and_sparkline(
    client: TestClient, make_user, factory, frozen_now: datetime
) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from ioc.packs.field_reports import service

    with factory() as s, s.begin():
        service.sync_categories(s)
        s.flush()
        for back in (timedelta(hours=1), timedelta(hours=2), timedelta(hours=3), timedelta(days=1)):
            service.submit_report(
                s, service.citizen_actor(), category_code="duong-hu-hong",
                description="Ổ gà", lat=12.6745, lon=108.0475, reporter_name="A",
                reporter_phone="0905123456", at=frozen_now - back,
            )  # fmt: skip
    login(client, "lanh.dao", make_user("lanh.dao", role="leader"))
    tile = _tile_html(client.get("/").text, "field_reports")
    text = _text(tile)
    assert "+2" in text and "so với hôm qua" in text and "▲" in text
    assert 'data-direction="up"' in tile
    assert "<polyline" in tile
    # A tile without a series has no arrow.
    assert "tile-trend" not in _tile_html(client.get("/").text, "guides")
