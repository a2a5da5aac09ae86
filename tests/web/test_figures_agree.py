"""One truth per figure: a figure shown as a key-figure tile, in the plan-vs-actual table and on
the overview tile is computed once, so every place shows the same number (health, tourism,
education, from each pack's demo data)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from helpers import login
from ioc.core import clock
from ioc.packs.education import demo as ed_demo
from ioc.packs.health import demo as hl_demo
from ioc.packs.tourism import demo as tr_demo

NOW = datetime(2026, 12, 5, 7, 0, tzinfo=UTC)


@pytest.fixture
def viewer(
    client: TestClient,
    make_user,  # type: ignore[no-untyped-def]
    factory: sessionmaker[Session],
) -> Iterator[TestClient]:
    clock.set_now(NOW)
    for demo in (hl_demo, tr_demo, ed_demo):
        demo.load_demo(factory, end=NOW, hours=24 * 365)
    login(client, "lanh-dao", make_user("lanh-dao", role="leader"))
    yield client
    clock.set_now(None)


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def kpis(html: str) -> dict[str, tuple[str, str]]:
    """Key-figure tiles: label -> (figure without unit, note)."""
    out = {}
    for tile in re.findall(r'<div class="tile status-[^"]*">(.*?)</div>', html, re.S):
        title = re.search(r'<span class="tile-title">(.*?)</span>', tile, re.S)
        figure = re.search(
            r'<span class="tile-figure">(.*?)(?:<span class="tile-unit">|</span>)', tile, re.S
        )
        note = re.search(r'<span class="tile-foot">(.*?)</span>', tile, re.S)
        assert title and figure
        out[_text(title.group(1))] = (_text(figure.group(1)), _text(note.group(1)) if note else "")
    return out


def table(html: str, title: str) -> dict[str, dict[str, str]]:
    """A table under the heading ``title``: first text cell of a row -> {header: cell}."""
    start = html.index(f"<h2>{title}</h2>", html.index('class="chart"'))
    block = html[start : html.index("</table>", start)]
    header = [_text(h) for h in re.findall(r"<th[^>]*>(.*?)</th>", block, re.S)]
    rows = {}
    for tr in re.findall(r"<tr>(.*?)</tr>", block.split("</thead>", 1)[1], re.S):
        cells = [_text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
        named = dict(zip(header, cells, strict=True))
        key = named.get("Chỉ tiêu") or cells[0]
        rows[key] = named
    return rows


def _same_period(row: dict[str, str]) -> str:
    # The table's figure of the latest period (before it had one: its "actual" column).
    for name in ("Số liệu kỳ", "Thực hiện (lũy kế)", "Thực hiện"):
        if name in row:
            return row[name]
    raise AssertionError(row)


# Per page: (key-figure tile, row of the plan-vs-actual table) that must show one figure.
PAIRS: list[tuple[str, list[tuple[str, str]]]] = [
    (
        "/health",
        [
            ("Giường bệnh/10.000 dân", "Số giường bệnh trên 10.000 dân"),
            ("Bác sĩ/10.000 dân", "Số bác sĩ trên 10.000 dân"),
            ("Tiêm chủng đầy đủ (lũy kế năm)", "Tỷ lệ trẻ dưới 1 tuổi được tiêm chủng đầy đủ"),
        ],
    ),
    (
        "/tourism",
        [
            ("Công suất phòng", "Công suất sử dụng phòng bình quân"),
            ("Khách nội địa trong tháng", "Lượt khách du lịch nội địa"),
            ("Khách quốc tế trong tháng", "Lượt khách du lịch quốc tế"),
            ("Tổng thu du lịch trong tháng", "Tổng thu từ khách du lịch"),
        ],
    ),
    (
        "/education",
        [("Đỗ tốt nghiệp THPT (năm gần nhất)", "Tỷ lệ tốt nghiệp THPT toàn tỉnh")],
    ),
]


def check_key_figures_match_the_plan_table(
    viewer: TestClient, page: str, pairs: list[tuple[str, str]]
) -> None:
    html = viewer.get(page).text
    figures = kpis(html)
    plan = table(html, "Thực hiện so với kế hoạch năm")
    for kpi, row in pairs:
        assert kpi in figures, (kpi, sorted(figures))
        value, note = figures[kpi]
        assert value == _same_period(plan[row]), (kpi, value, plan[row])
        # The tile names the period the table shows ("Năm 2025", "Tháng 11/2026").
        period = plan[row].get("Kỳ số liệu") or plan[row].get("Đến kỳ") or ""
        assert period.split()[-1] in note, (kpi, note, period)


def check_overview_tiles_repeat_the_page_figures(viewer: TestClient) -> None:
    tourism = kpis(viewer.get("/tourism").text)
    overview = viewer.get("/").text
    tile = re.search(r'data-pack="tourism">(.*?)</a>', overview, re.S)
    assert tile is not None
    text = _text(tile.group(1))
    assert tourism["Khách nội địa trong tháng"][0] in text
    assert f"Công suất phòng: {tourism['Công suất phòng'][0]} %" in text
    education = kpis(viewer.get("/education").text)
    tile = re.search(r'data-pack="education">(.*?)</a>', overview, re.S)
    assert tile is not None
    assert education["Học sinh"][0] in _text(tile.group(1))
    assert education["Học sinh/giáo viên"][0] in _text(tile.group(1))


def check_counts_have_no_decimals_and_units_follow_the_indicator(viewer: TestClient) -> None:
    plan = table(viewer.get("/tourism").text, "Thực hiện so với kế hoạch năm")
    visitors = plan["Lượt khách du lịch nội địa"]
    counts = [v for k, v in visitors.items() if k.startswith(("Thực hiện", "Kế hoạch", "Cùng kỳ"))]
    assert counts and all(re.fullmatch(r"\d{1,3}(\.\d{3})*", v) for v in counts), visitors
    occupancy = plan["Công suất sử dụng phòng bình quân"]
    assert re.fullmatch(r"\d+,\d", occupancy["Kế hoạch năm"]), occupancy  # % with one decimal


def test_every_place_shows_the_same_figure(viewer: TestClient) -> None:
    """The three packs' demo data are loaded once (a year of data each) and every check reads
    the same pages: tiles against the plan table, the overview against the pages, formats."""
    for page, pairs in PAIRS:
        check_key_figures_match_the_plan_table(viewer, page, pairs)
    check_overview_tiles_repeat_the_page_figures(viewer)
    check_counts_have_no_decimals_and_units_follow_the_indicator(viewer)
