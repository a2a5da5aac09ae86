"""Guide pages, the first-login tour, page-view counting and adoption statistics."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import openpyxl
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from helpers import csrf, login
from ioc.core import audit, auth, clock
from ioc.core.models import AuditLog, User
from ioc.engines.submissions.models import SubSubmission
from ioc.packs.guides.models import GdPageView, GdTourState
from ioc.packs.guides.public import adoption_summary, record_view

PASSWORD = "mật-khẩu-đủ-dài-123"


def _user(
    factory: sessionmaker[Session], username: str, role: str, agency: str | None = None
) -> int:
    with factory() as session, session.begin():
        user = auth.create_user(
            session,
            audit.Actor.system("test"),
            username=username,
            password=PASSWORD,
            full_name=f"Người dùng {username}",
            role=role,
            agency_code=agency,
        )
        return user.id


def test_index_shows_citizen_guides_to_everyone_and_staff_guides_after_login(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    anonymous = client.get("/guides")
    assert anonymous.status_code == 200
    assert "Gửi phản ánh hiện trường" in anonymous.text
    assert "Bảng điều hành cảnh báo" not in anonymous.text
    assert "Đăng nhập để xem hướng dẫn dành cho cán bộ" in anonymous.text
    r = client.get("/guides/canh-bao", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")

    _user(factory, "truc.ca", "operator")
    login(client, "truc.ca", PASSWORD)
    signed_in = client.get("/guides")
    assert "Bảng điều hành cảnh báo" in signed_in.text
    assert "/guides/quy-tac-canh-bao" not in signed_in.text  # administrators only
    assert client.get("/guides/quy-tac-canh-bao").status_code == 403
    found = client.get("/guides", params={"q": "nop so lieu"})
    assert "Nộp số liệu hàng tháng" in found.text and "Màn hình tường" not in found.text
    none = client.get("/guides", params={"q": "zzz"})
    assert "Không có hướng dẫn nào khớp" in none.text
    assert client.get("/guides/khong-co").status_code == 404
    assert client.get("/guides/practice").status_code == 200
    assert client.get("/guides/static/..%2Fpages.py").status_code == 404


def test_first_login_tour_shows_until_dismissed_once_with_audit(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    assert client.get("/guides/tour").text == ""  # nobody signed in: nothing
    user_id = _user(factory, "lanh.dao", "leader")
    login(client, "lanh.dao", PASSWORD)
    overview = client.get("/")
    assert 'hx-get="/guides/tour"' in overview.text
    tour = client.get("/guides/tour")
    assert "Chào mừng" in tour.text and 'href="/guides"' in tour.text
    assert tour.text.count("<li>") == 5
    r = client.post(
        "/guides/tour/dismiss",
        data={"csrf_token": "sai"},
        follow_redirects=False,
    )
    assert r.status_code == 400
    token = csrf(client, "/guides")
    for _ in range(2):
        r = client.post(
            "/guides/tour/dismiss",
            data={"csrf_token": token, "next": "/"},
            follow_redirects=False,
        )
        assert r.status_code == 303 and r.headers["location"] == "/"
    assert client.get("/guides/tour").text == ""
    with factory() as s:
        assert s.get(GdTourState, user_id) is not None
        n = s.execute(select(func.count()).where(AuditLog.action == "gd.tour.dismiss")).scalar_one()
    assert n == 1


def test_record_view_counts_pages_per_day_and_role_and_skips_assets(
    factory: sessionmaker[Session], frozen_now: datetime
) -> None:
    with factory() as s, s.begin():
        assert record_view(s, "/alerts/12", "operator")
        assert record_view(s, "/alerts", "operator")
        assert record_view(s, "/", None)
        assert not record_view(s, "/static/ioc.css", "operator")
        assert not record_view(s, "/api/v1/observations", "operator")
    with factory() as s:
        rows = {(v.prefix, v.role): v.count for v in s.execute(select(GdPageView)).scalars()}
    assert rows == {("alerts", "operator"): 2, ("/", "anonymous"): 1}


def _fr_submit(session: Session, area: str, at: datetime) -> None:
    session.add(
        AuditLog(
            at=at,
            actor="anonymous",
            action="fr.submit",
            object_type="fr_report",
            object_id=f"PA-{area}-{at.timestamp()}",
            detail={"area": area, "category": "giao-thong"},
        )
    )


def _submission(session: Session, agency: str, period: str, decided: datetime) -> None:
    session.add(
        SubSubmission(
            agency_code=agency,
            period=period,
            file_name="so-lieu.xlsx",
            uploaded_by="test",
            uploaded_at=decided,
            status="accepted",
            decided_at=decided,
        )
    )


def test_adoption_figures_page_export_and_yearly_summary(
    client: TestClient, factory: sessionmaker[Session], frozen_now: datetime
) -> None:
    leader = _user(factory, "ld.tinh", "leader")
    _user(factory, "cb.skhcn", "agency_staff", "so-khoa-hoc-cong-nghe")
    _user(factory, "cb.skhcn2", "agency_staff", "so-khoa-hoc-cong-nghe")
    now = clock.now()
    with factory() as s, s.begin():
        staff = s.execute(select(User).where(User.username == "cb.skhcn")).scalar_one()
        staff.last_login_at = now - timedelta(days=3)
        for _ in range(3):
            _fr_submit(s, "24133", now - timedelta(days=2))
        _fr_submit(s, "24133", now - timedelta(days=200))  # outside 30 days, inside the year
        # February 2026: deadline = 5th working day of March (6 March, Tết is in February).
        _submission(s, "so-khoa-hoc-cong-nghe", "2026-02", datetime(2026, 3, 3, 3, tzinfo=UTC))
        _submission(s, "so-y-te", "2026-02", datetime(2026, 3, 9, 3, tzinfo=UTC))
        record_view(s, "/alerts", "operator")

    with factory() as s:
        year = adoption_summary(s, 2026)
    assert year["reports_total"] == 3  # the 200-day-old report is in 2025
    assert year["reports_by_commune"][0]["code"] == "24133"
    assert year["submissions"] == {"on_time": 1, "late": 1, "on_time_pct": 50.0}
    assert {"prefix": "alerts", "views": 1} in year["pages"]
    skhcn = next(a for a in year["agencies"] if a["code"] == "so-khoa-hoc-cong-nghe")
    assert skhcn["users"] == 2 and skhcn["active"] == 1

    login(client, "cb.skhcn", PASSWORD)
    assert client.get("/guides/adoption").status_code == 403  # agency staff: not for them
    client.cookies.clear()
    login(client, "ld.tinh", PASSWORD)
    page = client.get("/guides/adoption")
    assert page.status_code == 200
    assert "Người dùng hoạt động theo cơ quan" in page.text
    assert 'data-area="24133"' in page.text
    assert "1 đúng hạn, 1 trễ hạn" in page.text
    export = client.get("/guides/adoption/export", params={"table": "communes"})
    assert export.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    assert sheet is not None
    values = [c for row in sheet.iter_rows(values_only=True) for c in row]
    assert "24133" in values and 3 in values
    assert client.get("/guides/adoption/export", params={"table": "x"}).status_code == 422
    assert leader > 0


def test_page_views_are_counted_by_the_app(client, make_user, factory) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select as _select

    from helpers import login as _login
    from ioc.packs.guides.models import GdPageView

    _login(client, "xem.trang", make_user("xem.trang", role="leader"))
    assert client.get("/guides").status_code == 200
    assert client.get("/guides").status_code == 200
    client.get("/api/v1/alerts")  # JSON: not a page view
    assert client.app.state.page_views.flush() == 3  # login page, then /guides twice
    with factory() as s:
        rows = {(r.prefix, r.role): r.count for r in s.execute(_select(GdPageView)).scalars()}
    assert rows.get(("guides", "leader")) == 2
