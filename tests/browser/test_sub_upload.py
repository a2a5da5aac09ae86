"""Done-when flow of periodic submissions, in real Chromium: an agency user downloads the
template, fills it, uploads it, gets an error naming row and column, fixes it, uploads again,
and the leader's socio-economic page shows the new figure."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy.engine import Engine

from ioc.core import audit, auth
from ioc.core.db import make_sessionmaker
from ioc.engines.submissions.templates import COLUMNS, DATA_SHEET

pytestmark = pytest.mark.browser

STAFF = "ct.nhap.lieu"
PASSWORD = "mật-khẩu-sở-công-thương-26"
EXPORTS = 321.7  # triệu USD, shown on the leader's page as "321,7"
COL = {c.key: i + 1 for i, c in enumerate(COLUMNS)}


def _fill(path: Path, bad_row: int | None) -> tuple[bytes, int]:
    """Fill every value; ``bad_row`` gets text instead of a number. Returns the file and the
    row of the exports indicator."""
    book = load_workbook(path)
    ws = book[DATA_SHEET]
    exports_row = 0
    for row in range(2, ws.max_row + 1):
        code = ws.cell(row=row, column=COL["code"]).value
        value: Any = {
            "se_exports": EXPORTS,
            "se_imports": 55.0,
            "se_retail_sales": 14500.0,
            "se_iip": 108.4,
        }.get(code, 1.0)
        if code == "se_exports":
            exports_row = row
        ws.cell(row=row, column=COL["value"]).value = "ba trăm" if row == bad_row else value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), exports_row


def _sign_in(page: Any, server: Any, user: str, password: str, path: str) -> None:
    page.goto(server.url(f"/login?next={path}"))
    page.fill("#username", user)
    page.fill("#password", password)
    page.click("form.login-card button[type=submit]")
    page.wait_for_url(server.url(path))


def test_agency_uploads_fixes_and_leader_sees_the_figure(
    page: Any, watch: Any, live_server: Any, engine: Engine, tmp_path: Path
) -> None:
    factory = make_sessionmaker(engine)
    with factory() as s, s.begin():
        auth.create_user(
            s,
            audit.Actor.system("test"),
            username=STAFF,
            password=PASSWORD,
            full_name="Chuyên viên Sở Công Thương",
            role="agency_staff",
            agency_code="so-cong-thuong",
        )
    _sign_in(page, live_server, STAFF, PASSWORD, "/submissions")
    expect(page.locator("#my-agency")).to_contain_text("Sở Công Thương")

    with page.expect_download() as info:
        page.click("#download-template")
    template = tmp_path / info.value.suggested_filename
    info.value.save_as(template)
    assert template.name.startswith("mau-so-lieu-so-cong-thuong-")

    first, exports_row = _fill(template, bad_row=None)
    bad, _ = _fill(template, bad_row=exports_row)
    (tmp_path / "bad.xlsx").write_bytes(bad)
    page.set_input_files("#upload-file", str(tmp_path / "bad.xlsx"))
    page.click("#upload-form button[type=submit]")
    page.wait_for_url(re.compile(r"/submissions/\d+$"))
    error = page.locator("#errors tbody tr").first
    expect(error).to_contain_text(f"Dòng {exports_row}, cột Giá trị (H)")
    expect(error).to_contain_text("không phải là số")
    expect(page.locator("#submission-status")).to_contain_text("Bị từ chối")

    (tmp_path / "fixed.xlsx").write_bytes(first)
    page.click("text=Về trang nộp số liệu")
    page.set_input_files("#upload-file", str(tmp_path / "fixed.xlsx"))
    page.click("#upload-form button[type=submit]")
    page.wait_for_url(re.compile(r"/submissions/\d+$"))
    expect(page.locator("#submission-status")).to_contain_text("Đã tiếp nhận")
    expect(page.locator("#values")).to_contain_text("321,7")

    # The leader signs in on the same browser after the agency user has left.
    page.context.clear_cookies()
    _sign_in(page, live_server, live_server.username, live_server.password, "/socio-economic")
    card = page.locator('article[data-code="se_exports"]')
    expect(card.locator(".se-ytd")).to_have_text("321,7")
    expect(page.locator('#plan-table tr[data-code="se_exports"]')).to_contain_text("321,7")
    expect(page.locator("#plan-bars canvas, #trend-se_exports canvas").first).to_be_visible()
    watch.assert_clean()
