"""The commune board from real pack data: the daily snapshot job, the pages, the exports and
where leaders and commune staff land.

Data: traffic incidents (the security_traffic pack's records) in three communes over the last
30 days; the board narrowed to the incidents indicator (green ≤ 2, red > 6). Every other
commune has 0 incidents (the pack holds incident data, so "none happened" is a figure), and
every other pack holds nothing, so their indicators are missing everywhere.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from docx import Document
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from helpers import login
from ioc.core import clock
from ioc.packs.communes import config
from ioc.packs.communes.config import BoardConfig, Rule
from ioc.packs.communes.jobs import snapshot_job
from ioc.packs.communes.models import CbBoardDay, CbBoardRow
from ioc.packs.security_traffic.models import StIncident

BMT, BUON_HO, BINH_KIEN = "24133", "24305", "22045"  # Buôn Ma Thuột, Buôn Hồ, Bình Kiến
NOW = datetime(2026, 3, 10, 5, 0, tzinfo=UTC)  # 12:00 in Vietnam
TODAY = date(2026, 3, 10)


@pytest.fixture(autouse=True)
def board(client: TestClient) -> Iterator[None]:
    # After the app is built: its start-up loads the shipped board.
    config.set_board_config(
        BoardConfig(rules=(Rule("st.incidents", 1, 2, 6), Rule("fr.on_time", 2, 90, 70)))
    )
    clock.set_now(NOW)
    yield
    clock.set_now(None)
    config.set_board_config(None)


def incidents(factory: sessionmaker[Session], area: str, n: int, days_ago: float = 1) -> None:
    with factory() as s, s.begin():
        for i in range(n):
            s.add(
                StIncident(
                    kind="accident" if i % 2 else "public_order",
                    category="collision",
                    occurred_at=clock.now() - timedelta(days=days_ago, minutes=i),
                    area_code=area,
                )
            )


def test_the_daily_job_stores_the_board_once_per_day(factory: sessionmaker[Session]) -> None:
    incidents(factory, BMT, 8)  # red
    incidents(factory, BUON_HO, 4)  # yellow
    incidents(factory, BINH_KIEN, 1)  # green
    incidents(factory, BINH_KIEN, 5, days_ago=40)  # outside the 30 days: not counted
    summary = snapshot_job(factory, clock.now())
    assert summary and "102" in summary
    snapshot_job(factory, clock.now())  # again the same day: replaces, never duplicates
    with factory() as s:
        assert s.execute(select(func.count()).select_from(CbBoardDay)).scalar_one() == 1
        rows = {r.area_code: r for r in s.execute(select(CbBoardRow)).scalars()}
    assert len(rows) == 102
    assert rows[BMT].values["st.incidents"] == 8 and rows[BMT].colors["st.incidents"] == "red"
    assert rows[BUON_HO].colors["st.incidents"] == "yellow"
    assert rows[BINH_KIEN].values["st.incidents"] == 1
    # No field report in the IOC: the on-time rate is missing, not 0, and does not count.
    assert rows[BMT].values["fr.on_time"] is None and rows[BMT].colors["fr.on_time"] == "none"
    assert rows[BINH_KIEN].score == 100.0 and rows[BMT].score == 0.0
    assert rows[BMT].rank == 102 and rows[BUON_HO].rank == 101

    # The next day B.M.T. improves, Bình Kiến gets worse: the board compares the two days.
    incidents(factory, BINH_KIEN, 6, days_ago=0.1)
    with factory() as s, s.begin():
        s.query(StIncident).filter(StIncident.area_code == BMT).delete()
    clock.set_now(NOW + timedelta(days=1))
    snapshot_job(factory, clock.now())
    with factory() as s:
        days = list(s.execute(select(CbBoardDay.day).order_by(CbBoardDay.day)).scalars())
    assert days == [TODAY, TODAY + timedelta(days=1)]


@pytest.fixture
def leader(client: TestClient, make_user):  # type: ignore[no-untyped-def]
    """Signs a leader in (call it after moving the clock: a session lasts hours, not days)."""

    def sign_in() -> TestClient:
        login(client, "lanh.dao", make_user("lanh.dao", role="leader"))
        return client

    return sign_in


def test_the_board_page_sorts_compares_and_lists_attention(
    factory: sessionmaker[Session], leader: Callable[[], TestClient]
) -> None:
    incidents(factory, BMT, 1)
    incidents(factory, BINH_KIEN, 1)
    snapshot_job(factory, clock.now())  # yesterday's board, as far as the next day goes
    incidents(factory, BMT, 7, days_ago=0.1)  # B.M.T.: 8 incidents -> red
    clock.set_now(NOW + timedelta(days=1))
    snapshot_job(factory, clock.now())
    client = leader()
    page = client.get("/xa?sort=st.incidents&dir=desc")
    assert page.status_code == 200
    html = page.text
    assert "Phường Buôn Ma Thuột" in html
    # Sorted by incidents, most first: B.M.T.'s row comes before every other commune's.
    first_row = html.index('<tr data-code="', html.index('id="cb-table"'))
    assert html[first_row:].startswith(f'<tr data-code="{BMT}"')
    # What got worse since yesterday, and the reason it needs attention.
    worse = html[html.index('id="cb-worse"') : html.index('id="cb-map-card"')]
    assert f'data-code="{BMT}"' in worse and f'data-code="{BINH_KIEN}"' not in worse
    attention = html[html.index('id="cb-attention"') : html.index('id="cb-worse"')]
    assert "Vụ việc ANTT và tai nạn giao thông 8" in attention
    # Compare any two dates: against a day without a board, nothing to compare.
    other = client.get(f"/xa?compare={(TODAY - timedelta(days=30)).isoformat()}").text
    assert "Không có bảng điểm lưu ngày" in other
    # An earlier stored day reads back as it was.
    past = client.get(f"/xa?day={TODAY.isoformat()}").text

    assert f'<tr data-code="{BMT}" data-color="green">' in past


def test_the_commune_page_shows_every_figure_rank_and_missing(
    factory: sessionmaker[Session], leader: Callable[[], TestClient]
) -> None:
    incidents(factory, BMT, 8)
    snapshot_job(factory, clock.now())
    client = leader()
    html = client.get(f"/xa/{BMT}").text
    assert "Bảng điểm Phường Buôn Ma Thuột" in html
    assert "Hạng 102/102" in html
    row = html[html.index('data-ind="st.incidents"') :]
    assert "102/102" in row[: row.index("</tr>")]
    missing = html[html.index('data-ind="fr.on_time"') :]
    assert "không có số liệu" in missing[: missing.index("</tr>")]
    assert 'data-color="red"' in html[html.index('id="cb-history"') :]
    assert client.get("/xa/99999").status_code == 404
    bad = client.get("/xa?day=31-02-2026")
    assert bad.status_code == 422 and "day" in bad.text


def test_exports_xlsx_and_a_one_page_docx(
    factory: sessionmaker[Session], leader: Callable[[], TestClient]
) -> None:
    incidents(factory, BMT, 8)
    snapshot_job(factory, clock.now())
    client = leader()
    r = client.get(f"/xa/export.xlsx?day={TODAY.isoformat()}")
    assert r.status_code == 200 and r.headers["content-type"].startswith(
        "application/vnd.openxmlformats"
    )
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert sheet is not None
    rows = [row for row in sheet.iter_rows(values_only=True) if row and row[1]]
    header_at = next(i for i, row in enumerate(rows) if row[0] == "Hạng")
    body = rows[header_at + 1 :]
    assert len(body) == 102
    bmt = next(row for row in body if row[1] == BMT)
    assert bmt[0] == 102 and bmt[4] == "Yếu" and 8 in bmt
    assert bmt[-1] is None  # the on-time rate: an empty cell, not 0

    r = client.get(f"/xa/{BMT}/report.docx")
    assert r.status_code == 200
    doc = Document(io.BytesIO(r.content))
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    assert "BÁO CÁO" in text and "Phường Buôn Ma Thuột" in text
    assert any(c.startswith("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM") for c in cells)
    assert "xếp hạng 102/102" in text
    section = doc.sections[0]
    assert round(section.left_margin.mm) == 30 and round(section.right_margin.mm) == 15
    assert "Chưa có số liệu" in text  # the missing indicators are named as missing


@pytest.mark.parametrize(
    ("role", "agency", "home"),
    [
        ("leader", None, "/xa"),
        ("agency_staff", "ubnd-24133", "/xa/24133"),
        ("agency_staff", "so-y-te", "/alerts?agency=so-y-te"),
        ("operator", "trung-tam-ioc", "/alerts"),
        ("admin", None, "/"),
    ],
)
def test_leaders_land_on_the_board_and_commune_staff_on_their_commune(
    client: TestClient, make_user, role: str, agency: str | None, home: str
) -> None:  # type: ignore[no-untyped-def]
    password = make_user("nguoi.dung", role=role, agency=agency)
    r = login(client, "nguoi.dung", password)
    assert r.headers["location"] == home  # type: ignore[attr-defined]
    assert client.get(home).status_code == 200


def test_every_pack_hook_answers_and_a_failing_one_is_skipped(
    factory: sessionmaker[Session],
) -> None:
    from ioc.app import load_registry
    from ioc.core.registry import CommuneFigure, PackManifest, Registry

    incidents(factory, BMT, 3)
    registry = load_registry()
    hooks = {p.name: p.commune_figures for p in registry.packs if p.commune_figures}
    assert {
        "field_reports", "public_services", "documents", "health", "environment",
        "security_traffic", "communes",
    } <= set(hooks)  # fmt: skip
    with factory() as s:
        for name, hook in hooks.items():
            found = hook(s, TODAY)  # nothing raises on (almost) empty data
            assert all(isinstance(f, CommuneFigure) for f in found), name
            assert all(f.better in ("up", "down") for f in found), name

    def broken(_s: Session, _d: date) -> list[CommuneFigure]:
        raise RuntimeError("nguồn hỏng")

    def fine(_s: Session, _d: date) -> list[CommuneFigure]:
        return [CommuneFigure("x", "X", "X", "", "up", {BMT: 1.0})]

    own = Registry()
    own.register(PackManifest("a", "a", list, commune_figures=broken))
    own.register(PackManifest("b", "b", list, commune_figures=fine))
    with factory() as s:
        from ioc.packs.communes import service

        assert [f.code for f in service.collect(s, own, TODAY)] == ["x"]
