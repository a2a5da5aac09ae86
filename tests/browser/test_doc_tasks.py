"""Directive tasks end to end in Chromium: an agency officer reports progress on a task of the
smart-city directive and marks it done with evidence; a leader then sees it on the overview."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.engine import Engine

from ioc.core import audit, auth, clock
from ioc.core.db import make_sessionmaker
from ioc.packs.documents.demo import load_demo
from ioc.packs.documents.models import Task

pytestmark = pytest.mark.browser

OFFICER = ("cb-skhcn", "mật-khẩu-cán-bộ-2026")
TITLE = "Mở rộng, triển khai thí điểm dịch vụ Giám sát hoạt động Y tế"
EVIDENCE = "https://vanban.example.vn/bao-cao/2-2-giam-sat-y-te.pdf"


@pytest.fixture(scope="module")
def directive(live_server: Any, engine: Engine) -> int:
    """The demo smart-city directive (tasks only) and an officer of Sở KH&CN; returns the id
    of the task on health monitoring."""
    factory = make_sessionmaker(engine)
    load_demo(factory, end=clock.now(), documents=False)
    with factory() as session, session.begin():
        auth.create_user(
            session,
            audit.Actor.system("test"),
            username=OFFICER[0],
            password=OFFICER[1],
            full_name="Chuyên viên Sở KH&CN",
            role="agency_staff",
            agency_code="so-khoa-hoc-cong-nghe",
        )
        task_id: int = session.execute(select(Task.id).where(Task.title == TITLE)).scalar_one()
    return task_id


def test_officer_reports_and_completes_then_leader_sees_it(
    page: Any, watch: Any, live_server: Any, directive: int, sign_in: Any, context: Any
) -> None:
    page.goto(live_server.url("/login?next=/documents/tasks"))
    page.fill("#username", OFFICER[0])
    page.fill("#password", OFFICER[1])
    page.click("form.login-card button[type=submit]")
    page.wait_for_url(live_server.url("/documents/tasks"))
    # Only the officer's own agency's tasks are listed.
    agencies = page.locator("#task-table tbody tr td:nth-child(3)").all_inner_texts()
    assert agencies and set(agencies) == {"Sở KH&CN"}
    page.click(f"#task-table a[href='/documents/tasks/{directive}']")
    expect(page.locator("#task-title")).to_contain_text(TITLE)
    expect(page.locator("#task-progress")).to_have_text("80%")

    page.fill("#percent", "90")
    page.fill("#note", "Đã kết nối dữ liệu khám chữa bệnh của 5 bệnh viện, đang đối soát số liệu")
    page.click("#send-progress")
    expect(page.locator("#done-flash")).to_be_visible()
    expect(page.locator("#task-progress")).to_have_text("90%")
    expect(page.locator("#timeline li").first).to_contain_text("đang đối soát số liệu")

    page.fill("#done_note", "Dịch vụ giám sát y tế vận hành trên IOC")
    page.fill("#done_link", EVIDENCE)
    page.click("#mark-done")
    expect(page.locator("#task-state")).to_contain_text("Hoàn thành")
    expect(page.locator("#task-progress")).to_have_text("100%")
    expect(page.locator(f"#timeline a[href='{EVIDENCE}']")).to_have_count(1)
    # Done: the officer has no more forms to fill.
    expect(page.locator("#progress-form")).to_have_count(0)
    watch.assert_clean()

    context.clear_cookies()
    sign_in(page, "/documents")
    row = page.locator(f"#board tr[data-task='{directive}']")
    expect(row).to_contain_text("Hoàn thành")
    expect(row.locator(".doc-progress")).to_have_attribute("aria-valuenow", "100")
    summary = page.locator("#board .doc-directive-sum").first.inner_text()
    assert re.search(r"Hoàn thành \d+/\d+", summary)
    watch.assert_clean()
