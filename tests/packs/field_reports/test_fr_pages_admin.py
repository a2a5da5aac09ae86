"""Admin pages: routing rules and the working-day calendar's adjusted days."""

from __future__ import annotations

import re
from datetime import date

from fastapi.testclient import TestClient
from fr_helpers import BMT, STAFF, Submit
from sqlalchemy import select
from sqlalchemy.orm import Session

from helpers import csrf, login
from ioc.core import calendar
from ioc.core.models import Agency
from ioc.packs.field_reports import service
from ioc.packs.field_reports.models import RoutingRule

ROUTING = "/field-reports/admin/routing"
CALENDAR = "/field-reports/admin/calendar"


def admin(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    password = make_user("quantri", role="admin")
    login(client, "quantri", password)


def test_admin_pages_are_for_administrators(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    for path in (ROUTING, CALENDAR):
        assert client.get(path, follow_redirects=False).status_code == 303
    password = make_user("vanhanh", role="operator")
    login(client, "vanhanh", password)
    for path in (ROUTING, CALENDAR):
        assert client.get(path).status_code == 403
    token = csrf(client, "/field-reports")
    r = client.post(ROUTING, data={"csrf_token": token, "category": "rac-thai", "agency": "x"})
    assert r.status_code == 403


def test_add_replace_and_remove_a_routing_rule(
    client: TestClient, db: Session, fr: Submit, make_user
) -> None:  # type: ignore[no-untyped-def]
    db.commit()
    admin(client, make_user)
    page = client.get(ROUTING)
    assert page.status_code == 200 and "Chưa có quy tắc nào" in page.text
    token = csrf(client, ROUTING)
    data = {"csrf_token": token, "category": "ngap-ung", "area": BMT, "agency": "so-xay-dung"}
    r = client.post(ROUTING, data=data, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(r.headers["location"])
    assert "Đã lưu." in page.text and "Ngập úng, thoát nước" in page.text
    assert "Sở Xây dựng tỉnh Đắk Lắk" in page.text
    # Same category and commune: the agency is replaced, no second rule.
    client.post(ROUTING, data={**data, "agency": "so-nong-nghiep-moi-truong"})
    db.expire_all()
    rules = db.execute(select(RoutingRule)).scalars().all()
    assert len(rules) == 1
    rule_id = rules[0].id
    agency = db.get(Agency, rules[0].agency_id)
    assert agency is not None and agency.code == "so-nong-nghiep-moi-truong"
    # New reports follow it.
    report = fr(category_code="ngap-ung").report
    service.assign(db, STAFF, report)
    assert report.agency_id == rules[0].agency_id
    db.rollback()
    r = client.post(
        f"{ROUTING}/{rule_id}/delete", data={"csrf_token": token}, follow_redirects=False
    )
    assert r.status_code == 303
    db.expire_all()
    assert db.execute(select(RoutingRule)).first() is None
    missing = client.post(f"{ROUTING}/{rule_id}/delete", data={"csrf_token": token})
    assert missing.status_code == 404 and "Không có quy tắc" in missing.text


def test_routing_rule_errors_name_the_field(
    client: TestClient, db: Session, fr: Submit, make_user
) -> None:  # type: ignore[no-untyped-def]
    db.commit()
    admin(client, make_user)
    token = csrf(client, ROUTING)
    r = client.post(ROUTING, data={"csrf_token": token, "agency": "so-xay-dung"})
    assert r.status_code == 422 and "phải gắn với một lĩnh vực hoặc một xã/phường" in r.text
    r = client.post(ROUTING, data={"csrf_token": token, "category": "rac-thai", "agency": "khong"})
    assert r.status_code == 422
    assert re.search(r'<p class="error">Không có đơn vị mã khong</p>', r.text)
    r = client.post(ROUTING, data={"csrf_token": "forged", "category": "rac-thai", "agency": "x"})
    assert r.status_code == 400
    db.expire_all()
    assert db.execute(select(RoutingRule)).first() is None


def test_calendar_days_and_preview(client: TestClient, db: Session, make_user, frozen_now) -> None:  # type: ignore[no-untyped-def]
    admin(client, make_user)
    page = client.get(CALENDAR)
    assert page.status_code == 200
    # 60 days from Tuesday 10/03/2026; 11/03 is an ordinary working day, 14/03 a Saturday.
    assert page.text.count('class="fr-cal-day') - page.text.count("is-blank") == 60
    assert 'data-day="2026-03-11" data-working="yes"' in page.text
    assert 'data-day="2026-03-14" data-working="no"' in page.text
    # Giỗ Tổ Hùng Vương (10/3 âm lịch) falls on 26/04/2026, a Sunday: off either way.
    token = csrf(client, CALENDAR)
    data = {"csrf_token": token, "day": "2026-03-11", "kind": "off", "name": "Nghỉ do bão"}
    r = client.post(CALENDAR, data=data, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(CALENDAR)
    assert 'data-day="2026-03-11" data-working="no"' in page.text and "Nghỉ do bão" in page.text
    assert calendar.load_calendar(db).is_working_day(date(2026, 3, 11)) is False
    again = client.post(CALENDAR, data=data)
    assert again.status_code == 422 and "đã được điều chỉnh" in again.text
    bad = client.post(CALENDAR, data={**data, "day": "11/03/2026"})
    assert bad.status_code == 422 and "Ngày không hợp lệ" in bad.text
    noname = client.post(CALENDAR, data={**data, "day": "2026-03-12", "name": ""})
    assert noname.status_code == 422 and "Tên ngày điều chỉnh bắt buộc" in noname.text
    work = client.post(
        CALENDAR,
        data={**data, "day": "2026-03-14", "kind": "work", "name": "Làm bù"},
        follow_redirects=False,
    )
    assert work.status_code == 303
    assert 'data-day="2026-03-14" data-working="yes"' in client.get(CALENDAR).text
    r = client.post(
        f"{CALENDAR}/2026-03-11/delete", data={"csrf_token": token}, follow_redirects=False
    )
    assert r.status_code == 303
    db.expire_all()
    assert calendar.load_calendar(db).is_working_day(date(2026, 3, 11)) is True
    assert (
        client.post(f"{CALENDAR}/2026-03-11/delete", data={"csrf_token": token}).status_code == 404
    )
    forged = client.post(f"{CALENDAR}/2026-03-14/delete", data={"csrf_token": "x"})
    assert forged.status_code == 400
