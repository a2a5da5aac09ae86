"""In Chromium: an agency fills and submits its report, Sở Xây dựng returns it with a comment,
the agency fixes and resubmits, Sở Xây dựng accepts and downloads the consolidated report."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.engine import Engine

from ioc.core import audit, auth
from ioc.core.db import make_sessionmaker
from ioc.core.models import Agency
from ioc.packs.reporting import service
from ioc.packs.reporting.models import Submission

pytestmark = pytest.mark.browser

PASSWORD = "mật-khẩu-báo-cáo-2026"
AGENCY_USER, DEPT_USER = "rp-syt", "rp-sxd"


@pytest.fixture(scope="module")
def campaign(live_server: Any, engine: Engine) -> tuple[int, int]:
    """A 2027 campaign for Sở Y tế and Sở KH&CN, users of Sở Y tế and Sở Xây dựng."""
    factory = make_sessionmaker(engine)
    actor = audit.Actor.system("test")
    with factory() as s, s.begin():
        for username, code in ((AGENCY_USER, "so-y-te"), (DEPT_USER, "so-xay-dung")):
            auth.create_user(
                s,
                actor,
                username=username,
                password=PASSWORD,
                full_name=f"Cán bộ {code}",
                role="agency_staff",
                agency_code=code,
            )
        c = service.create_campaign(
            s,
            service.Doer(actor, "admin", None),
            year=2027,
            agency_codes=["so-y-te", "so-khoa-hoc-cong-nghe"],
            deadline=date(2027, 10, 29),
        )
        syt = s.execute(select(Agency.id).where(Agency.code == "so-y-te")).scalar_one()
        sub = s.execute(
            select(Submission.id).where(Submission.campaign_id == c.id, Submission.agency_id == syt)
        ).scalar_one()
        return c.id, sub


def _login(page: Any, live_server: Any, user: str, next_path: str) -> None:
    page.context.clear_cookies()
    page.goto(live_server.url(f"/login?next={next_path}"))
    page.fill("#username", user)
    page.fill("#password", PASSWORD)
    page.click("form.login-card button[type=submit]")
    # The landing page's HTML is enough (the checks that follow wait for what they read); its
    # "load" event waits for every chart and image, which took over 10 s on a loaded machine.
    page.wait_for_url(live_server.url(next_path), wait_until="domcontentloaded")


def test_submit_return_fix_accept_consolidate(
    page: Any, watch: Any, live_server: Any, campaign: tuple[int, int], tmp_path: Any
) -> None:
    campaign_id, sub_id = campaign
    _login(page, live_server, AGENCY_USER, "/reporting")
    page.click(f"#mine a[href='/reporting/submissions/{sub_id}']")
    page.fill("textarea[name='s.general.text']", "Đã triển khai hồ sơ sức khỏe điện tử.")
    page.fill("input[name='s.indicators.0.value']", "4")
    page.fill("input[name='s.tasks.0.task']", "Kết nối dữ liệu y tế với IOC")
    page.fill("input[name='s.tasks.0.progress']", "70")
    page.set_input_files(
        "#file",
        files=[{"name": "minh-chung.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4"}],
    )
    page.click("#btn-save")
    expect(page.locator(".flash-ok")).to_contain_text("Đã lưu nháp")
    expect(page.locator("#files")).to_contain_text("minh-chung.pdf")
    page.click("#btn-submit")
    expect(page.locator("#rp-state")).to_contain_text("Đã gửi")

    _login(page, live_server, DEPT_USER, f"/reporting/campaigns/{campaign_id}")
    expect(page.locator("tr[data-agency='so-y-te']")).to_have_attribute("data-state", "submitted")
    page.click("tr[data-agency='so-y-te'] a")
    page.fill("#comment", "Đề nghị bổ sung số hệ thống kết nối IOC (CT02).")
    page.click("#btn-return")
    page.wait_for_url(live_server.url(f"/reporting/campaigns/{campaign_id}"))
    expect(page.locator("tr[data-agency='so-y-te']")).to_have_attribute("data-state", "returned")

    _login(page, live_server, AGENCY_USER, f"/reporting/submissions/{sub_id}")
    expect(page.locator("#review-comment")).to_contain_text("bổ sung số hệ thống")
    # What was saved is still there; the agency adds the missing figure and resubmits.
    expect(page.locator("input[name='s.indicators.0.value']")).to_have_value("4")
    page.fill("input[name='s.indicators.1.value']", "2")
    page.click("#btn-submit")
    expect(page.locator("#rp-state")).to_contain_text("Đã gửi")

    _login(page, live_server, DEPT_USER, f"/reporting/submissions/{sub_id}")
    page.click("#btn-accept")
    page.wait_for_url(live_server.url(f"/reporting/campaigns/{campaign_id}"))
    expect(page.locator("tr[data-agency='so-y-te']")).to_have_attribute("data-state", "accepted")
    page.fill("#number", "0124")
    page.fill("#signer", "Trương Công Thái")
    page.click("#consolidate button[type=submit]")
    with page.expect_download() as info:
        page.click("#dl-docx")
    doc = Document(io.BytesIO(Path(info.value.path()).read_bytes()))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Đã triển khai hồ sơ sức khỏe điện tử." in text
    assert doc.tables[0].cell(1, 0).paragraphs[0].text == "Số: 0124/BC-UBND"
    with page.expect_download() as info:
        page.click("#dl-xlsx")
    assert Path(info.value.path()).read_bytes()[:2] == b"PK"
    page.screenshot(path=str(tmp_path / "rp-campaign.png"), full_page=True)
    watch.assert_clean()
