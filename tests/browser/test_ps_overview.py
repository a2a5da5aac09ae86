"""Public services in real Chromium: a leader opens the overview, picks last month, drills from
an agency's on-time rate to its late dossiers and exports them to XLSX.

The dossiers are hand-built for last month (so the test does not depend on today's date); the
expected late set comes from the data, never from the page under test.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy.engine import Engine

from ioc.core import audit, clock
from ioc.core.db import make_sessionmaker
from ioc.packs.public_services.ingest import ingest_batch

pytestmark = pytest.mark.browser

VN = ZoneInfo("Asia/Ho_Chi_Minh")
SLOW = "so-xay-dung"
FAST = "so-tu-phap"


def _last_month() -> tuple[int, int]:
    today = clock.now().astimezone(VN).date()
    first = today.replace(day=1) - timedelta(days=1)
    return first.year, first.month


def _rows(year: int, month: int) -> tuple[list[dict[str, Any]], set[str]]:
    def t(day: int, hour: int = 9) -> str:
        return datetime(year, month, day, hour, 0, tzinfo=VN).isoformat()

    rows: list[dict[str, Any]] = []
    late: set[str] = set()
    for i in range(6):
        code = f"BT-{SLOW}-{i}"
        is_late = i < 3
        rows.append(
            {
                "id": code,
                "procedure_code": "1.009994",
                "procedure_name": "Cấp giấy phép xây dựng",
                "agency": SLOW,
                "area": "24133",
                "channel": "online",
                "received_at": t(3),
                "due_at": t(10),
                "finished_at": t(20) if is_late else t(6),
                "result": "electronic",
            }
        )
        if is_late:
            late.add(code)
    for i in range(3):
        rows.append(
            {
                "id": f"BT-{FAST}-{i}",
                "procedure_code": "2.000488",
                "procedure_name": "Cấp Phiếu lý lịch tư pháp",
                "agency": FAST,
                "area": "24121",
                "channel": "direct",
                "received_at": t(3),
                "due_at": t(15),
                "finished_at": t(7),
            }
        )
    return rows, late


@pytest.fixture(scope="module")
def ps_data(live_server: Any, engine: Engine) -> Iterator[tuple[str, set[str]]]:
    """Last month's dossiers; returns the month (YYYY-MM) and the slow agency's late ids."""
    year, month = _last_month()
    rows, late = _rows(year, month)
    factory = make_sessionmaker(engine)
    with factory() as session, session.begin():
        report = ingest_batch(session, audit.Actor.system("test"), dossiers=rows)
        assert report.ok, report.errors
    yield f"{year:04d}-{month:02d}", late


def test_leader_drills_from_on_time_rate_to_late_dossiers_and_exports(
    page: Any, watch: Any, sign_in: Any, ps_data: tuple[str, set[str]]
) -> None:
    month, late = ps_data
    sign_in(page, "/public-services")
    expect(page.locator("h1.page-title")).to_have_text("Giám sát dịch vụ công trực tuyến")
    page.select_option("#period", "month")
    page.fill("#month", month)
    page.click("#period-form button[type=submit]")
    page.wait_for_url(f"**month={month}**")
    row = page.locator(f"#agency-ranking tr[data-code='{SLOW}']")
    cell = row.locator("td[data-ind='2.1'] a")
    expect(cell).to_have_text("50,00%")  # 3 on time of 6
    # The faster agency ranks above the slower one.
    fast_rank = page.locator(f"#agency-ranking tr[data-code='{FAST}'] td").first.inner_text()
    slow_rank = row.locator("td").first.inner_text()
    assert int(fast_rank) < int(slow_rank)

    cell.click()
    page.wait_for_url("**/public-services/dossiers?**")
    expect(page.locator("#drill-banner")).to_contain_text("2.1")
    rows = page.locator("table.ps-dossiers tbody tr[data-code]")
    expect(rows).to_have_count(len(late))
    shown = set(rows.evaluate_all("els => els.map(e => e.dataset.code)"))
    assert shown == late
    outcomes = set(rows.evaluate_all("els => els.map(e => e.dataset.outcome)"))
    assert outcomes == {"late"}

    with page.expect_download() as info:
        page.click("#export-xlsx")
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(Path(download.path()).read_bytes())).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    header = next(i for i, r in enumerate(values) if r and r[0] == "Mã hồ sơ")
    exported = {r[0] for r in values[header + 1 :] if r and r[0]}
    assert exported == late
    watch.assert_clean()
