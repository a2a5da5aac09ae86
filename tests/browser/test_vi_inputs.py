"""Date, month and file inputs read Vietnamese on an English browser (issue 16, point 7).

The browser runs with ``locale="en-US"`` (an English Windows): native inputs would show
mm/dd/yyyy, "December 2026" and "Choose File". In Vietnamese mode the page shows dd/mm/yyyy,
"Tháng 12/2026" and "Chọn tệp", and the server still receives ISO values. In English mode the
native inputs are left alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy.engine import Engine

from ioc.core import audit, auth
from ioc.core.db import make_sessionmaker

pytestmark = pytest.mark.browser

CLERK_PASSWORD = "văn-thư-nhập-văn-bản-2026"


@pytest.fixture
def en_page(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(
        viewport={"width": 1440, "height": 900}, locale="en-US", timezone_id="Asia/Ho_Chi_Minh"
    )
    ctx.set_default_timeout(10_000)
    yield ctx.new_page()
    ctx.close()


def _sign_in(page: Any, server: Any, path: str) -> None:
    page.goto(server.url("/login?next=/documents"))
    page.fill("#username", server.username)
    page.fill("#password", server.password)
    page.click("form.login-card button[type=submit]")
    page.wait_for_url(server.url("/documents"))
    page.goto(server.url(path))


def test_date_inputs_read_and_send_vietnamese_dates(en_page: Any, live_server: Any) -> None:
    page = en_page
    _sign_in(page, live_server, "/documents/list?from=2026-11-03&to=2026-12-05")
    box = page.locator("#from")
    assert box.get_attribute("type") == "text"
    assert box.input_value() == "03/11/2026"
    assert box.get_attribute("placeholder") == "nn/tt/nnnn"
    # What people type in Vietnam: day first.
    box.fill("05/12/2026")
    page.locator("#to").fill("31/12/2026")
    assert page.evaluate("document.querySelector('#from').checkValidity()")
    box.press("Enter")
    page.wait_for_url("**/documents/list?*")
    sent = parse_qs(urlsplit(page.url).query)
    assert sent["from"] == ["2026-12-05"]
    assert sent["to"] == ["2026-12-31"]
    assert page.locator("#from").input_value() == "05/12/2026"

    # An impossible date is refused in Vietnamese before it is sent.
    page.locator("#from").fill("31/02/2026")
    message = page.evaluate(
        "(() => { const i = document.querySelector('#from'); i.checkValidity();"
        " return i.validationMessage; })()"
    )
    assert "ngày/tháng/năm" in message


def test_month_inputs_show_thang(en_page: Any, live_server: Any) -> None:
    page = en_page
    _sign_in(page, live_server, "/public-services/dossiers")
    month = page.locator("#month")
    assert month.get_attribute("type") == "text"
    hidden = page.locator("input[type=hidden][name=month]")
    year, mm = hidden.input_value().split("-")
    assert month.input_value() == f"Tháng {mm}/{year}"
    month.fill("12/2026")
    month.dispatch_event("change")
    assert hidden.input_value() == "2026-12"
    assert month.input_value() == "Tháng 12/2026"


def test_file_input_says_chon_tep_and_names_the_file(
    en_page: Any, live_server: Any, engine: Engine, tmp_path: Path
) -> None:
    page = en_page
    with make_sessionmaker(engine)() as s, s.begin():
        auth.create_user(
            s,
            audit.Actor.system("test"),
            username="vp.nhap.van.ban",
            password=CLERK_PASSWORD,
            full_name="Văn thư Văn phòng UBND",
            role="admin",
        )
    page.goto(live_server.url("/login?next=/documents/import"))
    page.fill("#username", "vp.nhap.van.ban")
    page.fill("#password", CLERK_PASSWORD)
    page.click("form.login-card button[type=submit]")
    page.wait_for_url(live_server.url("/documents/import"))
    assert "/documents/import" in page.url, page.url
    button = page.locator("label.vi-file-button[for=file]")
    assert button.inner_text() == "Chọn tệp"
    names = page.locator(".vi-file-names")
    assert names.inner_text() == "Chưa chọn tệp nào"
    sample = tmp_path / "van-ban-thang-12.csv"
    sample.write_text("so_ky_hieu\n", encoding="utf-8")
    page.set_input_files("#file", str(sample))
    assert names.inner_text() == "van-ban-thang-12.csv"
    # The native control ("Choose File") is not what the user sees.
    assert page.locator("#file").evaluate("e => getComputedStyle(e).opacity") == "0"


def test_english_mode_keeps_native_inputs(en_page: Any, live_server: Any) -> None:
    page = en_page
    _sign_in(page, live_server, "/documents/list")
    page.goto(live_server.url("/documents/list?lang=en"))
    assert page.locator("#from").get_attribute("type") == "date"
