"""The submission pages as agency staff, leaders and admins use them: download the template,
upload, see row/column errors, fix and upload again, history, targets."""

from __future__ import annotations

import io
import re
from datetime import datetime

from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from sub_helpers import fill

from helpers import csrf, login
from ioc.core import audit, auth
from ioc.engines.submissions.models import SubSubmission, SubTarget

PASSWORD = "mật-khẩu-đủ-dài-123"


def _user(factory: sessionmaker[Session], name: str, role: str, agency: str | None = None) -> None:
    with factory() as s, s.begin():
        auth.create_user(
            s,
            audit.Actor.system("test"),
            username=name,
            password=PASSWORD,
            full_name=f"Cán bộ {name}",
            role=role,
            agency_code=agency,
        )


def _upload(client: TestClient, data: bytes, period: str = "2026-02", agency: str = "") -> object:
    return client.post(
        "/submissions/upload",
        data={"csrf_token": csrf(client, "/submissions"), "period": period, "agency": agency},
        files={"file": ("bieu-mau.xlsx", data, "application/octet-stream")},
        follow_redirects=False,
    )


def test_agency_staff_download_upload_fix_and_upload_again(
    client: TestClient, factory: sessionmaker[Session], frozen_now: datetime
) -> None:
    _user(factory, "ct.staff", "agency_staff", "so-cong-thuong")
    login(client, "ct.staff", PASSWORD)
    page = client.get("/submissions")
    assert page.status_code == 200
    assert "Tháng 02/2026" in page.text and 'id="upload-form"' in page.text
    # Staff see their own agency's line only.
    assert 'data-agency="so-cong-thuong"' in page.text
    assert 'data-agency="so-tai-chinh"' not in page.text
    template = client.get("/submissions/template?period=2026-02")
    assert template.status_code == 200
    assert "mau-so-lieu-so-cong-thuong-2026-02.xlsx" in template.headers["content-disposition"]

    bad = fill(template.content, lambda c, a, r: "12,5 tỷ" if r == 3 else 150.0)
    r = _upload(client, bad)
    assert r.status_code == 303  # type: ignore[attr-defined]
    detail = client.get(r.headers["location"])  # type: ignore[attr-defined]
    assert "Bị từ chối" in detail.text
    assert "Dòng 3, cột Giá trị (H)" in detail.text and "không phải là số" in detail.text

    good = fill(template.content, lambda c, a, r: 150.0)
    r = _upload(client, good)
    detail = client.get(r.headers["location"])  # type: ignore[attr-defined]
    assert "Đã tiếp nhận" in detail.text
    board = client.get("/submissions?period=2026-02")
    assert re.search(r'data-agency="so-cong-thuong" data-status="submitted', board.text)
    history = client.get("/submissions/history?indicator=se_exports")
    assert "se_exports" in history.text and "ct.staff" in history.text
    export = client.get("/submissions/history?format=xlsx")
    assert export.status_code == 200 and export.content.startswith(b"PK")


def test_staff_cannot_submit_or_read_for_another_agency(
    client: TestClient, factory: sessionmaker[Session], frozen_now: datetime
) -> None:
    _user(factory, "ct.staff2", "agency_staff", "so-cong-thuong")
    _user(factory, "stc.staff", "agency_staff", "so-tai-chinh")
    login(client, "stc.staff", PASSWORD)
    template = client.get("/submissions/template?period=2026-02")
    r = _upload(client, fill(template.content, lambda c, a, r: 1.0))
    sub_url = r.headers["location"]  # type: ignore[attr-defined]
    assert (
        client.get("/submissions/template?period=2026-02&agency=so-cong-thuong").status_code == 403
    )
    client.cookies.clear()
    login(client, "ct.staff2", PASSWORD)
    assert client.get(sub_url).status_code == 403
    r = _upload(client, template.content, agency="so-tai-chinh")
    assert r.headers["location"].endswith("done=forbidden")  # type: ignore[attr-defined]
    with factory() as s:
        assert s.execute(select(SubSubmission.agency_code)).scalars().all() == ["so-tai-chinh"]


def test_leader_sees_the_whole_board_but_cannot_upload(
    client: TestClient, factory: sessionmaker[Session], frozen_now: datetime
) -> None:
    _user(factory, "lanh.dao.sub", "leader")
    login(client, "lanh.dao.sub", PASSWORD)
    page = client.get("/submissions?period=2026-02")
    assert 'data-agency="so-tai-chinh"' in page.text and 'data-status="overdue"' in page.text
    assert 'id="upload-form"' not in page.text
    assert client.get("/submissions/template?period=2026-02").status_code == 403
    export = client.get("/submissions/board.xlsx?period=2026-02")
    assert export.status_code == 200 and export.content.startswith(b"PK")
    assert client.get("/submissions/targets").status_code == 403
    assert client.get("/submissions?period=2026-99").status_code == 404


def test_admin_sets_and_imports_targets(
    client: TestClient, factory: sessionmaker[Session], frozen_now: datetime
) -> None:
    _user(factory, "quan.tri.sub", "admin")
    login(client, "quan.tri.sub", PASSWORD)
    page = client.get("/submissions/targets?year=2026")
    assert page.status_code == 200 and "se_budget_revenue" in page.text
    token = csrf(client, "/submissions/targets")
    r = client.post(
        "/submissions/targets",
        data={
            "csrf_token": token,
            "code": "se_budget_revenue",
            "area": "66",
            "year": "2026",
            "value": "18.500",
            "source": "NQ 01/NQ-HĐND (thử)",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    bad = client.post(
        "/submissions/targets",
        data={
            "csrf_token": token,
            "code": "se_budget_revenue",
            "area": "66",
            "year": "2026",
            "value": "nhiều",
        },
    )
    assert bad.status_code == 400 and "không phải là số" in bad.text

    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.append(["Mã chỉ tiêu", "Mã địa bàn", "Năm", "Kế hoạch", "Văn bản"])
    ws.append(["se_exports", "66", 2026, 3000, "NQ thử"])
    ws.append(["se_cpi", "66", 2026, "bốn"])
    buf = io.BytesIO()
    book.save(buf)
    files = {"file": ("ke-hoach.xlsx", buf.getvalue(), "application/octet-stream")}
    rejected = client.post(
        "/submissions/targets/import", data={"csrf_token": token, "year": "2026"}, files=files
    )
    assert rejected.status_code == 400 and "Dòng 3, cột Kế hoạch" in rejected.text
    with factory() as s:
        assert [t.value for t in s.execute(select(SubTarget)).scalars()] == [18500.0]
    ws.delete_rows(3)
    buf = io.BytesIO()
    book.save(buf)
    files = {"file": ("ke-hoach.xlsx", buf.getvalue(), "application/octet-stream")}
    ok = client.post(
        "/submissions/targets/import",
        data={"csrf_token": token, "year": "2026"},
        files=files,
        follow_redirects=False,
    )
    assert ok.status_code == 303
    exported = client.get("/submissions/targets.xlsx?year=2026")
    assert exported.status_code == 200
    from openpyxl import load_workbook

    rows = list(load_workbook(io.BytesIO(exported.content)).active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert rows[0][:4] == ("Mã chỉ tiêu", "Mã địa bàn", "Năm", "Kế hoạch")
    assert ("se_exports", "66", 2026, 3000) in [r[:4] for r in rows]
