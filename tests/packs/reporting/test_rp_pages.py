"""Pages: an agency fills and submits in the browser form, the Department returns and accepts,
downloads; errors name the field; other agencies are refused; demo data loads."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from docx import Document
from fastapi.testclient import TestClient
from rp_helpers import PASSWORD, SKHCN, SXD, SYT, doer, make_staff
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from helpers import csrf, login
from ioc.packs.reporting import service
from ioc.packs.reporting.demo import load_demo
from ioc.packs.reporting.models import Attachment, Campaign, Submission


def _client(app: TestClient, user: str) -> TestClient:
    app.cookies.clear()
    assert login(app, user, PASSWORD).status_code in (302, 303)  # type: ignore[attr-defined]
    return app


def test_submit_return_resubmit_accept_via_pages(
    app: TestClient, factory: sessionmaker[Session], frozen_now: datetime
) -> None:
    make_staff(factory, "sxd", SXD)
    make_staff(factory, "syt", SYT)
    make_staff(factory, "skhcn", SKHCN)
    c = _client(app, "sxd")
    token = csrf(c, "/reporting")
    r = c.post(
        "/reporting/campaigns",
        data={"csrf_token": token, "year": "2026", "cycle": "annual"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    bad = c.post("/reporting/campaigns", data={"csrf_token": token, "year": "hai"})
    assert bad.status_code == 400 and "Năm phải là số" in bad.text
    with factory() as s:
        camp = s.execute(select(Campaign)).scalar_one()
        sub_id = s.execute(
            select(Submission.id).where(Submission.agency_id == doer(s, SYT).agency_id)
        ).scalar_one()
    c = _client(app, "syt")
    page = c.get(f"/reporting/submissions/{sub_id}")
    assert page.status_code == 200 and "Các chỉ tiêu chủ yếu" in page.text
    token = csrf(c, f"/reporting/submissions/{sub_id}")
    form = {
        "csrf_token": token,
        "action": "save",
        "s.general.text": "Kết quả năm 2026",
        "s.indicators.0.value": "abc",
    }
    r = c.post(f"/reporting/submissions/{sub_id}", data=form)
    assert r.status_code == 400 and "không phải là số" in r.text and "Kết quả năm 2026" in r.text
    form["s.indicators.0.value"] = "12"
    form["action"] = "submit"
    r = c.post(
        f"/reporting/submissions/{sub_id}",
        data=form,
        files={"file": ("minh-chung.pdf", b"%PDF-1.4 demo", "application/pdf")},
        follow_redirects=False,
    )
    assert r.status_code == 303
    # Another agency cannot open or act on it.
    c = _client(app, "skhcn")
    assert c.get(f"/reporting/submissions/{sub_id}").status_code == 403
    c = _client(app, "sxd")
    token = csrf(c, f"/reporting/submissions/{sub_id}")
    r = c.post(
        f"/reporting/submissions/{sub_id}",
        data={"csrf_token": token, "action": "return", "comment": ""},
    )
    assert r.status_code == 400 and "Nhập ý kiến" in r.text
    r = c.post(
        f"/reporting/submissions/{sub_id}",
        data={"csrf_token": token, "action": "return", "comment": "Bổ sung CT02"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    c = _client(app, "syt")
    page = c.get(f"/reporting/submissions/{sub_id}")
    assert "Bổ sung CT02" in page.text and "minh-chung.pdf" in page.text
    token = csrf(c, f"/reporting/submissions/{sub_id}")
    form = {
        "csrf_token": token,
        "action": "submit",
        "s.general.text": "Kết quả năm 2026",
        "s.indicators.0.value": "12",
        "s.indicators.1.value": "3",
    }
    assert (
        c.post(f"/reporting/submissions/{sub_id}", data=form, follow_redirects=False).status_code
        == 303
    )
    c = _client(app, "sxd")
    token = csrf(c, f"/reporting/submissions/{sub_id}")
    r = c.post(
        f"/reporting/submissions/{sub_id}",
        data={"csrf_token": token, "action": "accept"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    board = c.get(f"/reporting/campaigns/{camp.id}")
    assert f'data-agency="{SYT}" data-state="accepted"' in board.text
    docx = c.get(f"/reporting/campaigns/{camp.id}/report.docx")
    assert docx.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(docx.content)).paragraphs)
    assert "Kết quả năm 2026" in text
    assert c.get(f"/reporting/campaigns/{camp.id}/annex.xlsx").content[:2] == b"PK"
    with factory() as s:
        att = s.execute(select(Attachment)).scalar_one()
        assert att.data == b"%PDF-1.4 demo"
    assert c.get(f"/reporting/files/{att.id}").content == b"%PDF-1.4 demo"
    # Agency staff cannot download the consolidated report.
    c = _client(app, "syt")
    assert c.get(f"/reporting/campaigns/{camp.id}/report.docx").status_code == 403


def test_maturity_page_levels_and_change(
    app: TestClient, factory: sessionmaker[Session], frozen_now: datetime
) -> None:
    make_staff(factory, "sxd", SXD)
    c = _client(app, "sxd")
    for year, score in ((2025, "2"), (2026, "3")):
        token = csrf(c, f"/reporting/maturity?year={year}")
        data = {"csrf_token": token, "year": str(year)}
        data.update({f"score.G{i:02d}": score for i in range(1, 18)})
        assert c.post("/reporting/maturity", data=data, follow_redirects=False).status_code == 303
    page = c.get("/reporting/maturity")
    assert "3 — Xác lập" in page.text and "2 — Đang phát triển" in page.text and "+1" in page.text
    token = csrf(c, "/reporting/maturity?year=2026")
    bad = c.post(
        "/reporting/maturity", data={"csrf_token": token, "year": "2026", "score.G03": "9"}
    )
    assert bad.status_code == 400 and "Năng lượng" in bad.text


def test_demo_loads_once(factory: sessionmaker[Session], app: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    end = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
    assert load_demo(factory, end=end, hours=24, offset=0) > 10
    assert load_demo(factory, end=end, hours=24, offset=0) == 0
    with factory() as s:
        camps = {c.year: c for c in s.execute(select(Campaign)).scalars()}
        states = {
            sub.status
            for sub in s.execute(
                select(Submission).where(Submission.campaign_id == camps[2026].id)
            ).scalars()
        }
        assert states == {"not_started", "draft", "submitted", "returned", "accepted"}
        assert {
            sub.status
            for sub in s.execute(
                select(Submission).where(Submission.campaign_id == camps[2025].id)
            ).scalars()
        } == {"accepted"}
        assert service.counts(service.board(s, camps[2026], end.date()))["late"] > 0
    make_user("op", role="operator")
    app.cookies.clear()
    login(app, "op", "mật-khẩu-đủ-dài-123")
    assert app.get("/reporting").status_code == 200
    assert app.get(f"/reporting/campaigns/{camps[2026].id}").status_code == 200
