"""Staff pages: the inbox by tab and filter, one report's page, every action through a form."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from fr_helpers import REPORTER, STAFF, Submit, png_bytes
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from helpers import csrf, login
from ioc.core import audit, auth, clock
from ioc.core.models import AuditLog
from ioc.packs.field_reports import service
from ioc.packs.field_reports.models import Photo, Report, ReportEvent

PASSWORD = "mật-khẩu-đủ-dài-123"


def sign_in(
    client: TestClient,
    factory: sessionmaker[Session],
    username: str,
    role: str,
    agency: str | None = None,
) -> None:
    with factory() as s, s.begin():
        auth.create_user(
            s,
            audit.Actor.system("test"),
            username=username,
            password=PASSWORD,
            full_name=f"Cán bộ {username}",
            role=role,
            agency_code=agency,
        )
    assert login(client, username, PASSWORD).status_code == 303  # type: ignore[attr-defined]


def act(client: TestClient, code: str, action: str, **data: str):  # type: ignore[no-untyped-def]
    token = csrf(client, "/field-reports")
    return client.post(
        f"/field-reports/{code}/act/{action}",
        data={"csrf_token": token, **data},
        follow_redirects=False,
    )


def fresh(db: Session, code: str) -> Report:
    db.expire_all()
    return service.get_report(db, code)


def test_anonymous_is_sent_to_login(client: TestClient) -> None:
    for path in ("/field-reports", "/field-reports/PA-2026-000001"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")


def test_inbox_tabs_counts_and_filters(
    client: TestClient, db: Session, fr: Submit, factory: sessionmaker[Session]
) -> None:
    new = fr().report
    rubbish = fr(category_code="rac-thai").report
    working = fr().report
    service.assign(db, STAFF, working)
    answered = fr().report
    service.assign(db, STAFF, answered)
    service.answer(db, STAFF, answered, "Đã vá")
    db.commit()
    sign_in(client, factory, "op", "operator", "trung-tam-ioc")
    r = client.get("/field-reports")
    assert r.status_code == 200
    assert 'href="/field-reports"' in r.text  # the menu entry
    tab = re.search(r'data-tab="new">\s*Mới tiếp nhận\s*<span class="fr-count">(\d+)<', r.text)
    assert tab and tab.group(1) == "2"
    assert new.code in r.text and rubbish.code in r.text and working.code not in r.text
    progress = client.get("/field-reports?tab=progress")
    assert working.code in progress.text and new.code not in progress.text
    assert answered.code in client.get("/field-reports?tab=to_publish").text
    only = client.get("/field-reports?tab=new&category=rac-thai")
    assert rubbish.code in only.text and new.code not in only.text
    by_agency = client.get("/field-reports?tab=progress&agency=ubnd-24133")
    assert working.code in by_agency.text
    assert working.code not in client.get("/field-reports?tab=progress&agency=so-xay-dung").text
    assert client.get("/field-reports?tab=khong-co").status_code == 200  # falls back to "new"


def test_due_dates_are_coloured_and_overdue_tab(
    client: TestClient, db: Session, fr: Submit, factory: sessionmaker[Session]
) -> None:
    late = fr().report
    db.commit()
    sign_in(client, factory, "op", "operator", "trung-tam-ioc")
    row = re.search(rf'data-code="{late.code}".*?</tr>', client.get("/field-reports").text, re.S)
    assert row and "fr-due-ok" in row.group(0)
    clock.set_now(late.stage_due_at + timedelta(hours=1))  # type: ignore[operator]
    login(client, "op", PASSWORD)  # the session of two working days ago has expired
    r = client.get("/field-reports?tab=overdue")
    assert re.search(
        r'data-tab="overdue">\s*Quá hạn\s*<span class="fr-count fr-count-alarm">1<', r.text
    )
    row = re.search(rf'data-code="{late.code}".*?</tr>', r.text, re.S)
    assert row and "fr-due-late" in row.group(0)
    clock.set_now(late.stage_due_at - timedelta(hours=2))  # type: ignore[operator]
    login(client, "op", PASSWORD)
    r = client.get("/field-reports?tab=due_soon")
    row = re.search(rf'data-code="{late.code}".*?</tr>', r.text, re.S)
    assert row and "fr-due-soon" in row.group(0)


def test_full_workflow_through_the_forms(
    client: TestClient, db: Session, fr: Submit, factory: sessionmaker[Session]
) -> None:
    report = fr(photos=[png_bytes()]).report
    service.save_template(
        db,
        STAFF,
        code="xong",
        title="Đã khắc phục",
        text="Phản ánh {code} đã được {agency} khắc phục.",
        status="answered",
    )
    db.commit()
    code = report.code
    sign_in(client, factory, "op", "operator", "trung-tam-ioc")
    page = client.get(f"/field-reports/{code}")
    assert page.status_code == 200
    # IOC staff see the reporter; only the actions of "received" are offered.
    assert REPORTER["reporter_name"] in page.text and REPORTER["reporter_email"] in page.text
    for action in ("assign", "reject", "request_info", "merge", "note", "hide"):
        assert f'/act/{action}"' in page.text, action
    for action in ("start", "answer", "publish", "transfer", "unhide", "reopen"):
        assert f'/act/{action}"' not in page.text, action
    assert "Đơn vị theo quy tắc: Ủy ban nhân dân phường Buôn Ma Thuột" in page.text

    r = act(client, code, "assign")
    assert r.status_code == 303 and r.headers["location"] == f"/field-reports/{code}?done=assign"
    assert fresh(db, code).status == "assigned"
    assert "Đã chuyển đơn vị xử lý." in client.get(r.headers["location"]).text
    assert act(client, code, "start", note="Đã cử tổ sửa chữa").status_code == 303
    page = client.get(f"/field-reports/{code}")
    assert (
        "Phản ánh " + code + " đã được Ủy ban nhân dân phường Buôn Ma Thuột khắc phục." in page.text
    )
    assert act(client, code, "answer", text="Đã vá ổ gà.", resolution="fixed").status_code == 303
    assert fresh(db, code).status == "answered"
    photo = db.execute(select(Photo).where(Photo.report_id == report.id)).scalar_one()
    assert act(client, code, "photo_publish", photo=str(photo.id)).status_code == 303
    assert act(client, code, "publish", text="Đã vá ổ gà ngày 10/3.").status_code == 303
    done = fresh(db, code)
    assert done.status == "published" and done.public_answer == "Đã vá ổ gà ngày 10/3."
    public = client.get(f"/phan-anh/tra-cuu?ma={code}")
    assert (
        "Đã vá ổ gà ngày 10/3." in public.text
        and f"/field-reports/photos/{photo.id}" in public.text
    )
    with factory() as s:
        actions = set(s.execute(select(AuditLog.action).where(AuditLog.actor == "op")).scalars())
    assert {"fr.assign", "fr.start_progress", "fr.answer", "fr.publish"} <= actions


def test_illegal_action_shows_the_back_end_error(
    client: TestClient, db: Session, fr: Submit, factory: sessionmaker[Session]
) -> None:
    code = fr().report.code
    db.commit()
    sign_in(client, factory, "op", "operator", "trung-tam-ioc")
    r = act(client, code, "publish")
    assert r.status_code == 422 and "Không thể công khai phản ánh" in r.text
    r = act(client, code, "reject", reason="  ")
    assert r.status_code == 422 and "Vui lòng nhập lý do từ chối" in r.text
    r = act(client, code, "transfer", agency="so-xay-dung", reason="x")
    assert r.status_code == 422 and "Không thể chuyển đơn vị khác" in r.text
    r = act(client, code, "merge", into="PA-2026-999999")
    assert r.status_code == 422 and "Không tìm thấy phản ánh" in r.text
    r = act(client, code, "photo_redact", photo="1", boxes="1,2,3")
    assert r.status_code == 422
    assert act(client, code, "fly").status_code == 404
    assert fresh(db, code).status == "received"


def test_csrf_is_checked_on_every_action(
    client: TestClient, db: Session, fr: Submit, factory: sessionmaker[Session]
) -> None:
    code = fr().report.code
    db.commit()
    sign_in(client, factory, "op", "operator", "trung-tam-ioc")
    client.get(f"/field-reports/{code}")
    r = client.post(f"/field-reports/{code}/act/assign", data={"csrf_token": "forged"})
    assert r.status_code == 400 and "Phiên làm việc đã hết hạn" in r.text
    assert fresh(db, code).status == "received"


def test_agency_staff_see_their_reports_without_identity(
    client: TestClient, db: Session, fr: Submit, factory: sessionmaker[Session]
) -> None:
    mine = fr(description="Ổ gà, gọi 0905 123 456").report
    shared = fr(share_identity_with_agency=True).report
    other = fr().report
    for r in (mine, shared):
        service.assign(db, STAFF, r)
    service.assign(db, STAFF, other, "so-xay-dung")
    db.commit()
    sign_in(client, factory, "phuong", "agency_staff", "ubnd-24133")
    inbox = client.get("/field-reports?tab=progress")
    assert mine.code in inbox.text and shared.code in inbox.text and other.code not in inbox.text
    assert 'name="agency"' not in inbox.text  # no agency filter for one agency
    page = client.get(f"/field-reports/{mine.code}")
    assert page.status_code == 200
    assert REPORTER["reporter_name"] not in page.text and "0905 123 456" not in page.text
    assert "Danh tính người phản ánh được bảo mật" in page.text
    assert '/act/start"' in page.text and '/act/answer"' in page.text
    assert '/act/transfer"' not in page.text and '/act/hide"' not in page.text
    assert REPORTER["reporter_name"] in client.get(f"/field-reports/{shared.code}").text
    assert client.get(f"/field-reports/{other.code}").status_code == 403
    assert act(client, other.code, "start").status_code == 403
    assert act(client, mine.code, "hide", reason="x").status_code == 403
    assert act(client, mine.code, "start").status_code == 303
    assert fresh(db, mine.code).status == "in_progress"


def test_oversight_reads_only(
    client: TestClient, db: Session, fr: Submit, factory: sessionmaker[Session]
) -> None:
    code = fr().report.code
    db.commit()
    sign_in(client, factory, "lanhdao", "leader")
    page = client.get(f"/field-reports/{code}")
    assert page.status_code == 200 and "/act/" not in page.text
    assert REPORTER["reporter_name"] not in page.text
    assert act(client, code, "assign").status_code == 403
    assert fresh(db, code).status == "received"


def test_notes_moderation_and_merge(
    client: TestClient, db: Session, fr: Submit, factory: sessionmaker[Session]
) -> None:
    original = fr().report
    dup = fr(description="Ổ gà lớn, phản ánh lại").report
    db.commit()
    sign_in(client, factory, "op", "operator", "trung-tam-ioc")
    page = client.get(f"/field-reports/{dup.code}")
    assert f'name="into" value="{original.code}"' in page.text  # the nearby candidate
    assert act(client, dup.code, "note", text="Gọi lại lúc 9h").status_code == 303
    staff_page = client.get(f"/field-reports/{dup.code}")
    assert "Gọi lại lúc 9h" in staff_page.text and "nội bộ" in staff_page.text
    assert "Gọi lại lúc 9h" not in client.get(f"/phan-anh/tra-cuu?ma={dup.code}").text
    assert act(client, dup.code, "hide", reason="Nội dung trùng lặp").status_code == 303
    assert "đã được ẩn" in client.get(f"/phan-anh/tra-cuu?ma={dup.code}").text
    page = client.get(f"/field-reports/{dup.code}")
    assert '/act/unhide"' in page.text and '/act/hide"' not in page.text
    assert "Nhật ký kiểm duyệt" in page.text
    assert act(client, dup.code, "unhide").status_code == 303
    assert act(client, dup.code, "merge", into=original.code).status_code == 303
    assert fresh(db, dup.code).merged_into_id == original.id
    assert dup.code in client.get(f"/field-reports/{original.code}").text


def test_photo_redaction_from_the_page(
    client: TestClient, db: Session, fr: Submit, factory: sessionmaker[Session]
) -> None:
    report = fr(photos=[png_bytes(size=(60, 40), color=(250, 250, 250))]).report
    db.commit()
    photo = db.execute(select(Photo).where(Photo.report_id == report.id)).scalar_one()
    sign_in(client, factory, "op", "operator", "trung-tam-ioc")
    bad = act(client, report.code, "photo_redact", photo=str(photo.id), boxes="a,b")
    assert bad.status_code == 422 and "4 số x1,y1,x2,y2" in bad.text
    ok = act(client, report.code, "photo_redact", photo=str(photo.id), boxes="0,0,30,20\n")
    assert ok.status_code == 303
    db.expire_all()
    assert db.get(Photo, photo.id).redacted  # type: ignore[union-attr]
    kinds = db.execute(select(ReportEvent.kind).where(ReportEvent.report_id == report.id)).scalars()
    assert "photo_redact" in set(kinds)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_pages_render_in_both_languages(
    client: TestClient, db: Session, fr: Submit, factory: sessionmaker[Session], lang: str
) -> None:
    code = fr().report.code
    db.commit()
    sign_in(client, factory, "op", "operator", "trung-tam-ioc")
    inbox = client.get(f"/field-reports?lang={lang}")
    assert ("Mới tiếp nhận" if lang == "vi" else "New") in inbox.text
    page = client.get(f"/field-reports/{code}?lang={lang}")
    assert page.status_code == 200
    assert ("Chuyển đơn vị xử lý" if lang == "vi" else "Assign to an agency") in page.text


def test_the_inbox_opens_on_overdue_work_first(
    client: TestClient, db: Session, fr: Submit, factory: sessionmaker[Session]
) -> None:
    """Seven overdue reports, none new: the inbox opens on "Quá hạn (7)", not on
    "Mới tiếp nhận (0)"; an explicit tab is still kept."""
    late = []
    for _ in range(7):
        report = fr().report
        service.assign(db, STAFF, report, "ubnd-24133")
        late.append(report)
    db.commit()
    clock.set_now(late[0].stage_due_at + timedelta(hours=1))  # type: ignore[operator]
    sign_in(client, factory, "can.bo.xa", "agency_staff", "ubnd-24133")
    r = client.get("/field-reports")
    assert re.search(r'data-tab="new">\s*Mới tiếp nhận\s*<span class="fr-count">0<', r.text)
    active = re.search(r'class="[^"]*\bactive\b[^"]*"[^>]*data-tab="(\w+)"', r.text) or re.search(
        r'data-tab="(\w+)"[^>]*aria-current="page"', r.text
    )
    assert active and active.group(1) == "overdue", r.text[:3000]
    assert all(report.code in r.text for report in late)
    assert late[0].code not in client.get("/field-reports?tab=new").text
