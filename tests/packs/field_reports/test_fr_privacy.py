"""Privacy: no personal data in any public serialization; identity for IOC staff, and for
the handling agency only when the reporter allows it."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fr_helpers import REPORTER, STAFF, Submit, png_bytes
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import audit
from ioc.core.models import Agency, AuditLog, User
from ioc.packs.field_reports import duplicates, privacy, public, service
from ioc.packs.field_reports.models import Photo, Report

CITIZEN = service.citizen_actor()
PRIVATE_KEYS = ("reporter", "phone", "email", "secret", "client", "share_identity", "note")


def personal_strings() -> list[str]:
    phone_digits = re.sub(r"\D", "", REPORTER["reporter_phone"])
    return [
        REPORTER["reporter_name"],
        REPORTER["reporter_name"].lower(),
        REPORTER["reporter_phone"],
        phone_digits,
        phone_digits[1:],  # without the leading 0
        REPORTER["reporter_email"],
        "Hoa",
    ]


def assert_no_personal_data(payload: Any) -> None:
    text = json.dumps(payload, ensure_ascii=False)
    for value in personal_strings():
        assert value not in text, value
    keys = re.findall(r'"([a-z_]+)":', text)
    for key in keys:
        assert not any(p in key for p in PRIVATE_KEYS), key


def every_kind_of_report(db: Session, fr: Submit) -> list[Report]:
    """Reports in every status, with texts that try to leak the reporter's details."""
    leaky = (
        "Ổ gà trước nhà chị Nguyễn Thị Hoa, gọi 0905.123.456 hoặc hoa.nguyen@example.vn; "
        "số khác +84 905 123 456"
    )
    out = []
    for status in service.STATUSES:
        sub = fr(description=leaky, address="Số 12 Lê Duẩn (nhà Nguyễn Thị Hoa)")
        r = sub.report
        service.add_note(db, STAFF, r, "Chị Hoa, SĐT 0905123456, gọi lại lúc 9h")
        if status == "info_requested":
            service.request_info(db, STAFF, r, "Chị Hoa cho biết thêm vị trí?")
        elif status == "rejected":
            service.reject(db, STAFF, r, "Trùng nội dung đã trả lời")
        elif status == "merged":
            service.merge_duplicate(db, STAFF, r, out[0])
        elif status != "received":
            service.assign(db, STAFF, r)
            if status == "in_progress":
                service.start_progress(db, STAFF, r)
            if status in ("answered", "published", "rated"):
                service.answer(db, STAFF, r, "Đã liên hệ chị Nguyễn Thị Hoa (0905123456), đã vá")
            if status in ("published", "rated"):
                service.publish(db, STAFF, r)
            if status == "rated":
                service.rate(
                    db,
                    CITIZEN,
                    r,
                    satisfied=True,
                    really_fixed=True,
                    secret=sub.secret,
                    comment="Cảm ơn, Hoa 0905123456",
                )
        out.append(r)
    hidden = fr(description=leaky).report
    service.hide(db, STAFF, hidden, "Thông tin cá nhân")
    out.append(hidden)
    return out


def test_no_personal_data_in_any_public_serialization(db: Session, fr: Submit) -> None:
    reports = every_kind_of_report(db, fr)
    for report in reports:
        for lang in ("vi", "en"):
            assert_no_personal_data(public.public_report(db, report, lang, timeline=True))
            assert_no_personal_data(public.public_timeline(db, report, lang))
    assert_no_personal_data(public.public_reports(db, limit=1000))
    assert_no_personal_data(public.public_reports(db, open_only=True))
    assert_no_personal_data(
        duplicates.nearby_open(db, "duong-hu-hong", reports[0].lat, reports[0].lon, limit=50)
    )
    # The description survives, masked rather than dropped.
    view = public.public_report(db, reports[0])
    assert view["description"].startswith("Ổ gà trước nhà chị [")
    assert view["address"] == "Số 12 Lê Duẩn (nhà […])"


def test_answer_is_public_only_once_published(db: Session, fr: Submit) -> None:
    r = fr().report
    service.assign(db, STAFF, r)
    service.answer(db, STAFF, r, "Đã vá ổ gà", resolution="fixed")
    view = public.public_report(db, r, timeline=True)
    assert view["answer"] is None and view["fixed"] is None
    assert "Đã vá ổ gà" not in json.dumps(view, ensure_ascii=False)
    service.publish(db, STAFF, r, text="Đơn vị đã vá ổ gà ngày 12/3")
    view = public.public_report(db, r)
    assert view["answer"] == "Đơn vị đã vá ổ gà ngày 12/3" and view["fixed"] is True


def test_unpublished_photos_stay_private(db: Session, fr: Submit) -> None:
    r = fr(photos=[png_bytes()]).report
    photo = db.execute(select(Photo).where(Photo.report_id == r.id)).scalar_one()
    assert public.public_report(db, r)["photos"] == []
    assert public.public_photo(db, photo.id) is None
    service.publish_photo(db, STAFF, photo)
    assert [p["id"] for p in public.public_report(db, r)["photos"]] == [photo.id]
    assert public.public_photo(db, photo.id) is photo
    service.hide(db, STAFF, r, "Nội dung không phù hợp")
    assert public.public_photo(db, photo.id) is None


def agency_id(db: Session, code: str) -> int:
    return db.execute(select(Agency.id).where(Agency.code == code)).scalar_one()


def test_agency_sees_identity_only_with_the_share_flag(db: Session, fr: Submit) -> None:
    private_one = fr().report
    shared = fr(share_identity_with_agency=True).report
    for r in (private_one, shared):
        service.assign(db, STAFF, r)
    commune = privacy.Viewer("agency", agency_id(db, "ubnd-24133"))
    other = privacy.Viewer("agency", agency_id(db, "so-xay-dung"))
    ioc = privacy.Viewer("ioc", agency_id(db, "trung-tam-ioc"))
    leader = privacy.Viewer("oversight", agency_id(db, "ubnd-tinh"))

    hidden_view = privacy.staff_report(db, commune, private_one)
    assert hidden_view["reporter"] is None
    assert_no_personal_data(
        {k: v for k, v in hidden_view.items() if k not in ("timeline", "reporter")}
    )
    # Contacts typed into texts are masked for an agency that may not see the identity.
    service.add_note(db, STAFF, private_one, "Chị Hoa, SĐT 0905123456, gọi lại lúc 9h")
    masked = privacy.staff_report(db, commune, private_one)
    assert_no_personal_data([e["note"] for e in masked["timeline"]])
    assert "0905123456" in json.dumps(privacy.staff_report(db, ioc, private_one)["timeline"])
    shared_view = privacy.staff_report(db, commune, shared)
    assert shared_view["reporter"]["name"] == REPORTER["reporter_name"]
    assert privacy.staff_report(db, ioc, private_one)["reporter"]["phone"] == "0905123456"
    assert privacy.staff_report(db, leader, shared)["reporter"] is None
    with pytest.raises(PermissionError):
        privacy.staff_report(db, other, shared)
    # After a transfer the previous agency loses access; the new one sees no identity
    # unless shared.
    service.transfer(db, STAFF, shared, "so-xay-dung", "Đường tỉnh")
    assert not privacy.can_view(commune, shared)
    assert (
        privacy.staff_report(db, other, shared)["reporter"]["email"] == REPORTER["reporter_email"]
    )
    with pytest.raises(PermissionError):
        privacy.moderation_log(db, commune, shared)
    assert privacy.moderation_log(db, ioc, shared) == []


def test_viewer_for_user(db: Session) -> None:
    def user(role: str, agency: str | None) -> User:
        return User(
            username=f"u-{role}-{agency}",
            full_name="x",
            password_hash="x",
            role=role,
            agency_id=agency_id(db, agency) if agency else None,
        )

    assert privacy.viewer_for_user(db, user("operator", None)).kind == "ioc"
    assert privacy.viewer_for_user(db, user("admin", None)).kind == "ioc"
    assert privacy.viewer_for_user(db, user("agency_staff", "trung-tam-ioc")).kind == "ioc"
    assert privacy.viewer_for_user(db, user("agency_staff", "ubnd-24133")).kind == "agency"
    assert privacy.viewer_for_user(db, user("leader", "ubnd-tinh")).kind == "oversight"


def test_audit_rows_carry_no_identity(db: Session, fr: Submit) -> None:
    every_kind_of_report(db, fr)
    rows = db.execute(select(AuditLog.actor, AuditLog.detail)).all()
    assert rows
    text = json.dumps([list(r) for r in rows], ensure_ascii=False, default=str)
    for value in personal_strings():
        assert value not in text, value


def test_stored_actor_is_not_the_reporter(db: Session, fr: Submit) -> None:
    sub = fr()
    assert service.is_citizen(service.citizen_actor())
    assert not service.is_citizen(audit.Actor(None, "cli"))
    assert sub.report.reporter_name == REPORTER["reporter_name"]  # kept, privately
