"""Pages as users meet them: overview figures and ranking, drill-down, the task update form,
agency scoping, exports, bad input, the demo and the overview tile."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta

from doc_helpers import BMT, SKHCN, SXD, agency_id
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from helpers import csrf, login
from ioc.core import clock
from ioc.packs.documents import tasks
from ioc.packs.documents.demo import load_demo
from ioc.packs.documents.models import Directive, Document, Task


def add_docs(factory: sessionmaker[Session]) -> None:
    """Sở Xây dựng: 3 incoming with deadlines (2 on time, 1 overdue), 2 outgoing (1 signed,
    both via axis? no: 1). UBND phường Buôn Ma Thuột: 1 incoming on time, 1 outgoing signed."""
    now = clock.now()
    with factory() as s, s.begin():
        sxd, bmt = agency_id(s, SXD), agency_id(s, BMT)

        def add(
            ext: str,
            agency: int,
            direction: str,
            deadline: float | None,
            processed: float | None,
            signed: bool = False,
            axis: bool = False,
        ) -> None:
            s.add(
                Document(
                    external_id=ext,
                    direction=direction,
                    agency_id=agency,
                    number=ext,
                    summary=f"Văn bản {ext}",
                    registered_at=now - timedelta(days=10),
                    deadline_at=None if deadline is None else now + timedelta(days=deadline),
                    processed_at=None if processed is None else now + timedelta(days=processed),
                    digitally_signed=signed,
                    via_axis=axis,
                    created_at=now,
                    updated_at=now,
                )
            )

        add("SXD-1", sxd, "incoming", -5, -6)
        add("SXD-2", sxd, "incoming", -5, -7)
        add("SXD-3", sxd, "incoming", -2, None)
        add("SXD-4", sxd, "outgoing", None, None, signed=True, axis=True)
        add("SXD-5", sxd, "outgoing", None, None)
        add("BMT-1", bmt, "incoming", -1, -3)
        add("BMT-2", bmt, "outgoing", None, None, signed=True, axis=False)


def cells(page: str, row_attr: str) -> str:
    match = re.search(rf'<tr data-agency="{row_attr}">(.*?)</tr>', page, re.S)
    assert match, f"no ranking row for {row_attr}"
    return re.sub(r"\s+", " ", match.group(1))


def test_overview_figures_ranking_and_drill_down(
    client: TestClient, make_user, factory: sessionmaker[Session], directive_tasks: dict[str, int]
) -> None:  # type: ignore[no-untyped-def]
    add_docs(factory)
    login(client, "ld", make_user("ld", role="leader"))
    page = client.get("/documents?group=all").text
    kpi = re.search(r'id="kpi-on-time">([^<]*)<', page)
    assert kpi and kpi.group(1) == "75,0%"  # 3 on time of 4 (one overdue)
    assert re.search(r'id="kpi-signature">([^<]*)<', page).group(1) == "66,7%"  # type: ignore[union-attr]
    assert re.search(r'id="kpi-electronic">([^<]*)<', page).group(1) == "33,3%"  # type: ignore[union-attr]
    # Ranking: BMT (100 % on time) before Sở Xây dựng (66,7 %, one overdue).
    order = re.findall(r'<tr data-agency="([^"]+)">', page)
    assert order == [BMT, SXD]
    sxd_row = cells(page, SXD)
    assert "66,7%" in sxd_row and "50,0%" in sxd_row
    overdue_link = re.search(
        r'href="(/documents/list\?agency=so-xay-dung&amp;state=overdue[^"]*)"', page
    )
    assert overdue_link
    listing = client.get(overdue_link.group(1).replace("&amp;", "&")).text
    assert re.findall(r'<tr data-id="([^"]+)"', listing) == ["SXD-3"]
    # Departments only by default.
    assert re.findall(r'<tr data-agency="([^"]+)">', client.get("/documents").text) == [SXD]
    # The task board lists the directive with its three tasks; SKHCN is due soon.
    assert "125/UBND-CN" in page
    board = page[page.index('id="board"') :]
    assert len(re.findall(r'data-task="\d+"', board)) == 3
    due_soon = page[page.index('id="due-soon-tasks"') : page.index('id="board"')]
    assert "Tập huấn sử dụng dịch vụ đô thị thông minh" in due_soon


def test_agency_user_posts_progress_and_marks_done_through_the_form(
    client: TestClient, agency_user, factory: sessionmaker[Session], directive_tasks: dict[str, int]
) -> None:  # type: ignore[no-untyped-def]
    login(client, "cb-sxd", agency_user("cb-sxd", SXD))
    task_id = directive_tasks[SXD]
    url = f"/documents/tasks/{task_id}"
    page = client.get(url).text
    assert 'id="progress-form"' in page and 'id="extend-form"' not in page
    token = csrf(client, url)
    # Bad percent: the form comes back with the reason, nothing stored.
    r = client.post(
        f"{url}/progress",
        data={"csrf_token": token, "percent": "abc", "note": "x"},
        follow_redirects=False,
    )
    assert r.status_code == 400 and "Tiến độ phải là số phần trăm" in r.text
    r = client.post(
        f"{url}/progress",
        data={"csrf_token": token, "percent": "45", "note": "Đã tổng hợp 5/10 địa phương"},
        files={
            "evidence_file": ("bang-tong-hop.xlsx", b"PK\x03\x04data", "application/octet-stream")
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    page = client.get(r.headers["location"]).text
    assert 'id="done-flash"' in page and "45%" in page
    evidence = re.search(r'href="(/documents/evidence/\d+)">bang-tong-hop.xlsx<', page)
    assert evidence
    assert client.get(evidence.group(1)).content == b"PK\x03\x04data"
    # Done needs evidence.
    r = client.post(f"{url}/done", data={"csrf_token": token, "note": "xong"})
    assert r.status_code == 400 and "Cần minh chứng" in r.text
    r = client.post(
        f"{url}/done",
        data={"csrf_token": token, "evidence_link": "https://vanban.example.vn/bc-950.pdf"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    with factory() as s:
        task = s.get(Task, task_id)
        assert task is not None and (task.status, task.progress) == ("done", 100)
    # Without the CSRF token nothing happens.
    r = client.post(f"{url}/reopen", data={"reason": "x"})
    assert r.status_code == 403


def test_agency_staff_see_only_their_agency(
    client: TestClient, agency_user, factory: sessionmaker[Session], directive_tasks: dict[str, int]
) -> None:  # type: ignore[no-untyped-def]
    add_docs(factory)
    login(client, "cb-bmt", agency_user("cb-bmt", BMT))
    assert client.get(f"/documents/tasks/{directive_tasks[SXD]}").status_code == 404
    tasks_page = client.get("/documents/tasks").text
    assert re.findall(r'data-task="(\d+)"', tasks_page) == [str(directive_tasks[BMT])]
    listing = client.get("/documents/list?agency=so-xay-dung").text
    assert sorted(re.findall(r'<tr data-id="([^"]+)"', listing)) == ["BMT-1", "BMT-2"]
    api = client.get("/api/v1/documents/tasks").json()
    assert [t["agency"] for t in api["tasks"]] == [BMT]
    # Posting on another agency's task is refused.
    token = csrf(client, "/documents/tasks")
    r = client.post(
        f"/documents/tasks/{directive_tasks[SXD]}/progress",
        data={"csrf_token": token, "percent": "10", "note": "x"},
    )
    assert r.status_code == 404


def test_leader_extends_a_deadline_and_creates_a_directive(
    client: TestClient, make_user, factory: sessionmaker[Session], directive_tasks: dict[str, int]
) -> None:  # type: ignore[no-untyped-def]
    login(client, "ld", make_user("ld", role="leader"))
    url = f"/documents/tasks/{directive_tasks[SKHCN]}"
    page = client.get(url).text
    assert 'id="extend-form"' in page and 'id="progress-form"' not in page
    token = csrf(client, url)
    r = client.post(
        f"{url}/extend", data={"csrf_token": token, "new_due_on": "2026-13-01", "reason": "x"}
    )
    assert r.status_code == 400 and "new_due_on" in r.text
    r = client.post(
        f"{url}/extend",
        data={"csrf_token": token, "new_due_on": "2026-04-30", "reason": "Chờ kinh phí"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = client.get(url).text
    assert "Hạn từ 13/03/2026 thành 30/04/2026" in page
    r = client.post(
        "/documents/directives",
        data={
            "csrf_token": token,
            "number": "",
            "issued_on": "2026-03-01",
            "issuer": "UBND tỉnh",
            "summary": "x",
        },
    )
    assert r.status_code == 400 and "Thiếu số ký hiệu" in r.text
    r = client.post(
        "/documents/directives",
        data={
            "csrf_token": token,
            "number": "88/KH-UBND",
            "issued_on": "2026-03-05",
            "issuer": "UBND tỉnh Đắk Lắk",
            "summary": "Kế hoạch chuyển đổi số năm 2026",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    r = client.post(
        r.headers["location"].split("?")[0] + "/tasks",
        data={
            "csrf_token": token,
            "agency": BMT,
            "ref": "1",
            "title": "Số hóa hồ sơ",
            "due_on": "2026-06-30",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    with factory() as s:
        assert s.execute(select(func.count()).select_from(Directive)).scalar_one() == 2


def test_every_table_exports_to_xlsx(
    client: TestClient, make_user, factory: sessionmaker[Session], directive_tasks: dict[str, int]
) -> None:  # type: ignore[no-untyped-def]
    add_docs(factory)
    login(client, "op", make_user("op", role="operator"))
    r = client.get("/documents/export/ranking?format=xlsx&group=all")
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert sheet is not None
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    header_at = next(i for i, row in enumerate(rows) if row[0] == "Hạng")
    data = rows[header_at + 1 :]
    assert [(row[0], row[1]) for row in data] == [(1, BMT), (2, SXD)]
    assert data[1][9] == 66.7 and data[1][10] == 50.0
    for path in (
        "/documents/export/documents?state=overdue",
        f"/documents/export/tasks?directive={directive_tasks['directive']}",
        f"/documents/export/timeline?directive={directive_tasks['directive']}",
    ):
        r = client.get(path)
        assert r.status_code == 200, path
        assert load_workbook(io.BytesIO(r.content)).active is not None
    csv = client.get("/documents/export/documents?format=csv&state=overdue").content.decode(
        "utf-8-sig"
    )
    assert "SXD-3" in csv and "SXD-1" not in csv
    assert client.get("/documents/export/nothing").status_code == 404
    assert client.get("/documents/export/ranking?format=pdf").status_code == 400


def test_bad_query_parameters_give_named_errors(
    client: TestClient, make_user, frozen_now: datetime
) -> None:  # type: ignore[no-untyped-def]
    login(client, "ld", make_user("ld", role="leader"))
    r = client.get("/documents?from=2026-99-01")
    assert r.status_code == 400 and "ngày không hợp lệ" in r.text
    r = client.get("/documents/list?state=weird")
    assert r.status_code == 400 and "(state)" in r.text
    r = client.get("/documents/export/ranking?from=2026-03-10&to=2026-01-01")
    assert r.status_code == 400 and "to:" in r.text
    assert client.get("/documents/list?agency=khong-co").status_code == 404
    assert client.get("/documents/tasks/999999").status_code == 404
    api = client.get("/api/v1/documents/indicators?from=bad")
    assert api.status_code == 422


def test_demo_loads_once_and_the_pages_show_it(
    client: TestClient,
    make_user,
    factory: sessionmaker[Session],
    frozen_now: datetime,
    doc_policy: tasks.Policy,
) -> None:  # type: ignore[no-untyped-def]
    created = load_demo(factory, end=clock.now(), hours=72, offset=7 * 3600, days=20)
    assert created > 100
    assert load_demo(factory, end=clock.now(), hours=72, offset=7 * 3600, days=20) == 0
    with factory() as s:
        rows = tasks.task_rows(s, clock.now())
        states = {r.state for r in rows}
        assert {"done", "overdue", "due_soon", "in_progress"} <= states
        agencies = {r.agency_code for r in rows}
        assert {"so-xay-dung", "so-khoa-hoc-cong-nghe", "ubnd-24133"} <= agencies
    login(client, "ld", make_user("ld", role="leader"))
    page = client.get("/documents").text
    assert "…/UBND-CN" in page and "Giám sát hệ thống quản lý văn bản và điều hành" in page
    api = client.get("/api/v1/documents/indicators?group=communes").json()
    assert len(api["agencies"]) > 50
    assert all(a["on_time_rate"] is None or 0 <= a["on_time_rate"] <= 100 for a in api["agencies"])
    overview = client.get("/").text
    tile = re.search(r'href="/documents"[^>]*data-pack="documents">(.*?)</a>', overview, re.S)
    assert tile and "Nhiệm vụ quá hạn" in tile.group(1)
