"""Every workflow transition, legal and illegal, with its effects, timeline and audit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from fr_helpers import STAFF, Submit, reload
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import audit
from ioc.core.models import Agency, AuditLog
from ioc.packs.field_reports import public, service
from ioc.packs.field_reports.models import ModerationEntry, Report, ReportEvent
from ioc.packs.field_reports.service import FieldReportError

CITIZEN = service.citizen_actor()


def in_status(db: Session, fr: Submit, status: str) -> service.Submission:
    """A fresh report brought to ``status`` through the actions."""
    sub = fr()
    r = sub.report
    if status == "received":
        return sub
    if status == "info_requested":
        service.request_info(db, STAFF, r, "Xin cho biết số nhà gần nhất")
    elif status == "rejected":
        service.reject(db, STAFF, r, "Nội dung không thuộc phạm vi phản ánh hiện trường")
    elif status == "merged":
        other = fr(description="Đường Lê Duẩn có ổ gà sâu").report
        service.merge_duplicate(db, STAFF, r, other)
    else:
        service.assign(db, STAFF, r)
        if status == "in_progress":
            service.start_progress(db, STAFF, r)
        if status in ("answered", "published", "rated"):
            service.answer(db, STAFF, r, "Đã vá ổ gà ngày 12/3")
        if status in ("published", "rated"):
            service.publish(db, STAFF, r)
        if status == "rated":
            service.rate(db, CITIZEN, r, satisfied=True, really_fixed=True, secret=sub.secret)
    assert r.status == status
    return sub


Call = Callable[[Session, Submit, service.Submission], Any]

CALLS: dict[str, Call] = {
    "reject": lambda db, fr, s: service.reject(db, STAFF, s.report, "Không đúng phạm vi"),
    "assign": lambda db, fr, s: service.assign(db, STAFF, s.report),
    "request_info": lambda db, fr, s: service.request_info(db, STAFF, s.report, "Vị trí cụ thể?"),
    "provide_info": lambda db, fr, s: service.provide_info(
        db, CITIZEN, s.report, "Trước nhà số 12", secret=s.secret
    ),
    "transfer": lambda db, fr, s: service.transfer(
        db, STAFF, s.report, "so-xay-dung", "Đường do tỉnh quản lý"
    ),
    "start_progress": lambda db, fr, s: service.start_progress(db, STAFF, s.report),
    "answer": lambda db, fr, s: service.answer(db, STAFF, s.report, "Đã khắc phục"),
    "publish": lambda db, fr, s: service.publish(db, STAFF, s.report),
    "rate": lambda db, fr, s: service.rate(
        db, CITIZEN, s.report, satisfied=False, really_fixed=False, secret=s.secret
    ),
    "reopen": lambda db, fr, s: service.reopen(db, STAFF, s.report, "Ổ gà xuất hiện lại"),
    "merge_duplicate": lambda db, fr, s: service.merge_duplicate(
        db, STAFF, s.report, fr(description="Phản ánh gốc").report
    ),
}

EXPECTED_TO = {
    "reject": "rejected",
    "assign": "assigned",
    "request_info": "info_requested",
    "provide_info": "received",  # asked from "received" in in_status()
    "transfer": "assigned",
    "start_progress": "in_progress",
    "answer": "answered",
    "publish": "published",
    "rate": "rated",
    "reopen": "assigned",
    "merge_duplicate": "merged",
}

LEGAL = sorted((a, s) for a, froms in service.ACTIONS.items() for s in froms)
ILLEGAL = sorted(
    (a, s) for a, froms in service.ACTIONS.items() for s in service.STATUSES if s not in froms
)


def test_every_action_has_a_call() -> None:
    assert set(CALLS) == set(service.ACTIONS)
    assert len(LEGAL) + len(ILLEGAL) == len(service.ACTIONS) * len(service.STATUSES)


@pytest.mark.parametrize(("action", "status"), LEGAL)
def test_legal_transition(db: Session, fr: Submit, action: str, status: str) -> None:
    sub = in_status(db, fr, status)
    report = sub.report
    CALLS[action](db, fr, sub)
    report = reload(db, report)
    expected = EXPECTED_TO[action]
    if action == "reopen" and status == "rejected":
        expected = "received"  # never assigned: back to intake
    if action == "request_info":
        assert report.info_return_status == status
    assert report.status == expected
    last = (
        db.execute(
            select(ReportEvent)
            .where(ReportEvent.report_id == report.id, ReportEvent.status_from == status)
            .order_by(ReportEvent.id.desc())
        )
        .scalars()
        .first()
    )
    assert last is not None and last.status_to == expected
    audits = (
        db.execute(
            select(AuditLog.action).where(
                AuditLog.object_type == "fr_report", AuditLog.object_id == report.code
            )
        )
        .scalars()
        .all()
    )
    assert f"fr.{action}" in audits


@pytest.mark.parametrize(("action", "status"), ILLEGAL)
def test_illegal_transition_is_refused(db: Session, fr: Submit, action: str, status: str) -> None:
    sub = in_status(db, fr, status)
    events_before = db.execute(
        select(ReportEvent.id).where(ReportEvent.report_id == sub.report.id)
    ).all()
    with pytest.raises(FieldReportError, match="Không thể") as error:
        CALLS[action](db, fr, sub)
    assert sub.report.code in str(error.value)
    assert error.value.en.startswith("Cannot")
    assert reload(db, sub.report).status == status
    events_after = db.execute(
        select(ReportEvent.id).where(ReportEvent.report_id == sub.report.id)
    ).all()
    assert events_after == events_before


def test_full_path_and_tracking_code(db: Session, fr: Submit, frozen_now: datetime) -> None:
    sub = fr()
    r = sub.report
    assert r.code == f"PA-2026-{r.id:06d}"
    # Short and unambiguous (8 characters, no O/0, I/l/1), kept only as a hash.
    assert len(sub.secret) == 9 and sub.secret[4] == "-"
    assert sub.secret.replace("-", "") not in r.citizen_secret_hash
    assert service.get_report(db, r.code.lower()) is r
    service.assign(db, STAFF, r)
    agency = db.get(Agency, r.agency_id)
    assert agency is not None and agency.code == "ubnd-24133"
    service.start_progress(db, STAFF, r)
    service.answer(db, STAFF, r, "Đã vá ổ gà", resolution="fixed")
    assert r.closed and r.fixed and r.answered_at == frozen_now
    service.publish(db, STAFF, r)
    service.rate(db, CITIZEN, r, satisfied=True, really_fixed=True, secret=sub.secret)
    assert (r.rating_satisfied, r.rating_fixed) == (True, True)
    kinds = (
        db.execute(
            select(ReportEvent.kind).where(ReportEvent.report_id == r.id).order_by(ReportEvent.id)
        )
        .scalars()
        .all()
    )
    assert kinds == ["submitted", "assign", "start_progress", "answer", "publish", "rate"]


def test_closed_and_fixed_are_different_facts(db: Session, fr: Submit) -> None:
    sub = in_status(db, fr, "assigned")
    r = sub.report
    service.answer(db, STAFF, r, "Sẽ thảm lại mặt đường trong quý II", resolution="scheduled")
    assert r.closed is True and r.fixed is False
    service.publish(db, STAFF, r)
    service.rate(db, CITIZEN, r, satisfied=False, really_fixed=False, secret=sub.secret)
    assert r.closed is True and r.fixed is False and r.rating_fixed is False

    other = in_status(db, fr, "published")
    service.rate(db, CITIZEN, other.report, satisfied=True, really_fixed=False, secret=other.secret)
    # The reporter's verdict sits next to the agency's claim, never over it.
    assert other.report.fixed is True and other.report.rating_fixed is False
    with pytest.raises(FieldReportError, match="Kết quả xử lý"):
        service.answer(db, STAFF, in_status(db, fr, "assigned").report, "x", resolution="done")


def test_reopen_returns_to_the_agency_with_a_new_deadline(db: Session, fr: Submit) -> None:
    sub = in_status(db, fr, "rated")
    r = sub.report
    agency_id = r.agency_id
    old_due = r.due_at
    service.reopen(db, CITIZEN, r, "Sau mưa ổ gà lại xuất hiện", secret=sub.secret)
    assert r.status == "assigned" and r.agency_id == agency_id
    assert r.closed is False and r.fixed is False and r.rating_satisfied is None
    assert r.reopen_count == 1 and r.due_at is not None and old_due is not None
    assert r.due_at >= old_due and r.stage_due_at == r.due_at
    with pytest.raises(FieldReportError, match="Mã bí mật"):
        service.reopen(db, CITIZEN, in_status(db, fr, "published").report, "x", secret="sai")


def test_citizen_actions_need_the_secret(db: Session, fr: Submit, staff_actor: audit.Actor) -> None:
    sub = in_status(db, fr, "info_requested")
    with pytest.raises(FieldReportError, match="Mã bí mật") as wrong:
        service.provide_info(db, CITIZEN, sub.report, "Trước nhà số 12", secret="đoán-mò")
    assert wrong.value.field == "secret"
    with pytest.raises(FieldReportError, match="Cần mã bí mật"):
        service.provide_info(db, CITIZEN, sub.report, "Trước nhà số 12")
    # An operator taking the reporter's call on the hotline may act for them.
    service.provide_info(db, staff_actor, sub.report, "Khách gọi 1022: trước nhà số 12")
    assert sub.report.status == "received"


def test_information_round_trip_restores_the_step_and_restarts_the_clock(
    db: Session, fr: Submit
) -> None:
    sub = in_status(db, fr, "in_progress")
    r = sub.report
    service.request_info(db, STAFF, r, "Ảnh chụp gần hơn?")
    assert r.status == "info_requested" and r.info_request_text == "Ảnh chụp gần hơn?"
    public_view = public.public_report(db, r)
    assert public_view["info_request"] == "Ảnh chụp gần hơn?"
    service.provide_info(
        db, CITIZEN, r, "Đã gửi thêm ảnh", secret=sub.secret, at=r.received_at.replace(day=20)
    )
    assert r.status == "in_progress" and r.info_return_status is None
    assert r.due_at is not None and r.due_at.day != 31  # restarted from 20/3


def test_transfer(db: Session, fr: Submit) -> None:
    sub = in_status(db, fr, "in_progress")
    r = sub.report
    with pytest.raises(FieldReportError, match="chính đơn vị này"):
        service.transfer(db, STAFF, r, "ubnd-24133", "nhầm")
    with pytest.raises(FieldReportError) as unknown:
        service.transfer(db, STAFF, r, "khong-ton-tai", "nhầm")
    assert unknown.value.field == "agency"
    service.transfer(db, STAFF, r, "so-xay-dung", "Quốc lộ 14 do Sở Xây dựng quản lý")
    assert r.status == "assigned"
    event = db.execute(
        select(ReportEvent).where(ReportEvent.report_id == r.id, ReportEvent.kind == "transfer")
    ).scalar_one()
    assert event.data == {"agency": "so-xay-dung", "from_agency": "ubnd-24133"}


def test_merge_back_links_and_chains(db: Session, fr: Submit) -> None:
    original = fr(description="Ổ gà trước chợ").report
    first = fr(description="Ổ gà trước chợ, lần 2").report
    second = fr(description="Ổ gà trước chợ, lần 3").report
    service.merge_duplicate(db, STAFF, first, original)
    service.merge_duplicate(db, STAFF, second, first)  # follows the chain to the original
    assert second.merged_into_id == original.id
    assert first.closed and first.resolution == "duplicate" and not first.fixed
    view = public.public_report(db, original, timeline=True)
    assert view["duplicates"] == [first.code, second.code]
    assert [e["text"] for e in view["timeline"] if e["kind"] == "merged_from"] == [
        first.code,
        second.code,
    ]
    assert public.public_report(db, first)["merged_into"] == original.code
    with pytest.raises(FieldReportError, match="chính nó"):
        service.merge_duplicate(db, STAFF, original, original)
    listed = [v["code"] for v in public.public_reports(db)]
    assert original.code in listed and first.code not in listed


def test_notes_are_internal(db: Session, fr: Submit) -> None:
    r = fr().report
    service.add_note(db, STAFF, r, "Đã gọi tổ dân phố 5 xác minh")
    event = db.execute(
        select(ReportEvent).where(ReportEvent.report_id == r.id, ReportEvent.kind == "note")
    ).scalar_one()
    assert event.public is False and event.note == "Đã gọi tổ dân phố 5 xác minh"
    with pytest.raises(FieldReportError) as empty:
        service.add_note(db, STAFF, r, "   ")
    assert empty.value.field == "text"


def test_hide_unhide_and_edit_text(db: Session, fr: Submit) -> None:
    r = fr(description="Nội dung có lời lẽ xúc phạm cán bộ").report
    service.hide(db, STAFF, r, "Lời lẽ xúc phạm")
    view = public.public_report(db, r)
    assert view == {
        "code": r.code,
        "status": "received",
        "status_label": "Đã tiếp nhận",
        "hidden": True,
    }
    assert r.code not in [v["code"] for v in public.public_reports(db)]
    with pytest.raises(FieldReportError, match="đã bị ẩn"):
        service.hide(db, STAFF, r, "lần nữa")
    service.edit_text(db, STAFF, r, description="Ổ gà trên đường", reason="Bỏ lời lẽ xúc phạm")
    service.unhide(db, STAFF, r)
    assert public.public_report(db, r)["description"] == "Ổ gà trên đường"
    log = db.execute(
        select(ModerationEntry.action, ModerationEntry.before)
        .where(ModerationEntry.report_id == r.id)
        .order_by(ModerationEntry.id)
    ).all()
    assert [a for a, _ in log] == ["hide", "edit_text", "unhide"]
    assert "xúc phạm cán bộ" in (log[1][1] or "")
    # The workflow goes on while hidden.
    service.assign(db, STAFF, r)


def test_submission_input_errors(db: Session, fr: Submit) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"lat": None}, "location"),
        ({"lat": 21.03, "lon": 105.85}, "location"),  # Hà Nội
        ({"lat": "abc"}, "location"),
        ({"category_code": "khong-co"}, "category"),
        ({"description": "  "}, "description"),
        ({"description": "x" * 4001}, "description"),
        ({"reporter_name": ""}, "reporter_name"),
        ({"reporter_phone": None, "reporter_email": None}, "reporter_phone"),
        ({"reporter_phone": "12ab"}, "reporter_phone"),
        ({"reporter_email": "không-phải-email"}, "reporter_email"),
        ({"area_code": "99999"}, "area"),
        ({"channel": "fax"}, "channel"),
    ]
    for overrides, field in cases:
        with pytest.raises(FieldReportError) as error:
            fr(**overrides)
        assert error.value.field == field, overrides
        assert str(error.value) and error.value.en
    assert db.execute(select(Report.id)).first() is None


def test_commune_taken_from_the_point_when_not_chosen(db: Session, fr: Submit) -> None:
    # A point next to the shipped (approximate) centre of phường Buôn Ma Thuột.
    from ioc.core.admin_data import commune_centroids

    lat, lon = commune_centroids()["24133"]
    report = fr(area_code=None, lat=lat + 0.001, lon=lon).report
    assert report.area_code == "24133"


def test_public_form_rate_limit(db: Session, fr: Submit) -> None:
    for _ in range(5):
        fr(client_key="203.0.113.7")
    with pytest.raises(FieldReportError, match="quá nhiều") as error:
        fr(client_key="203.0.113.7")
    assert error.value.field == "rate_limit"
    fr(client_key="203.0.113.8")  # another client is not affected
    stored = db.execute(select(Report.client_hash)).scalars().all()
    assert "203.0.113.7" not in "".join(h or "" for h in stored)


def test_templates(db: Session, fr: Submit) -> None:
    r = in_status(db, fr, "assigned").report
    service.save_template(
        db,
        STAFF,
        code="da-va",
        title="Đã vá ổ gà",
        text="Phản ánh {code} ({category}) tại {address} đã được {agency} khắc phục.",
        status="answered",
        category_code="duong-hu-hong",
    )
    text = service.render_template(db, "da-va", r)
    assert text == (
        f"Phản ánh {r.code} (Hư hỏng đường, ổ gà) tại Đường Lê Duẩn, phường Buôn Ma Thuột "
        "đã được Ủy ban nhân dân phường Buôn Ma Thuột khắc phục."
    )
    with pytest.raises(FieldReportError):
        service.save_template(db, STAFF, code="x", title="x", text="x", status="bogus")
    with pytest.raises(FieldReportError):
        service.render_template(db, "khong-co", r)


def test_categories_sync_is_idempotent_and_keeps_edits(db: Session, fr: Submit) -> None:
    service.update_category(db, STAFF, "rac-thai", handle_days=7, name_vi="Rác thải")
    assert service.sync_categories(db) == 0
    assert service.get_category(db, "rac-thai").handle_days == 7
    with pytest.raises(FieldReportError):
        service.update_category(db, STAFF, "rac-thai", handle_days=-1)
    with pytest.raises(FieldReportError):
        service.update_category(db, STAFF, "rac-thai", id=99)
    service.update_category(db, STAFF, "rac-thai", active=False)
    with pytest.raises(FieldReportError) as inactive:
        fr(category_code="rac-thai")
    assert inactive.value.field == "category"
