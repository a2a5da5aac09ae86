"""Citizen contacts in staff views: every staff list, page, export, tile and alert shows the
texts citizens wrote with phone numbers and e-mail addresses masked — for the handling agency
and for leaders — unless the reporter agreed to share their contacts with the agency (IOC
staff see the identity anyway). One masking function does it: ``privacy.staff_text``."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from fr_helpers import REPORTER, STAFF, Submit
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from helpers import login
from ioc import background
from ioc.app import load_registry
from ioc.core import audit, auth, clock
from ioc.engines.alerting.evaluate import evaluate_due
from ioc.engines.alerting.models import Alert, AlertRule
from ioc.packs.field_reports import privacy, public, service
from ioc.packs.field_reports.models import Report

PASSWORD = "mật-khẩu-đủ-dài-123"
AGENCY = "ubnd-24133"  # where routing sends a pothole in phường Buôn Ma Thuột

PHONES = ["0912 345 678", "0912.345.678", "+84 912345678", "(+84) 913 111 222", "0262-3852-852"]
EMAILS = ["an.tran@example.com", "hoa_nguyen+fr@mail.daklak.gov.vn"]
LEAKY = (
    "Ổ gà lớn trước nhà, gọi anh An 0912 345 678 hoặc 0912.345.678, máy bàn 0262-3852-852, "
    "Zalo +84 912345678, (+84) 913 111 222; e-mail an.tran@example.com, "
    "hoa_nguyen+fr@mail.daklak.gov.vn"
)
ADDRESS = "Hẻm 25 Lê Duẩn, hỏi cô Lan 0912.345.678"
COMMENT = "Bổ sung: cần liên hệ 0912 345 678 hoặc an.tran@example.com"
SECRETS = [*PHONES, *EMAILS, REPORTER["reporter_phone"], REPORTER["reporter_email"]]
DIGITS = {re.sub(r"\D", "", p)[-9:] for p in [*PHONES, REPORTER["reporter_phone"]]}


def assert_masked(text: str, where: str) -> None:
    for value in SECRETS:
        assert value not in text, f"{value!r} in {where}"
    # Also after removing separators (a JSON or HTML rendering may reformat a number).
    squeezed = re.sub(r"[\s.\-()+]", "", text)
    for digits in DIGITS:
        assert digits not in squeezed, f"{digits} in {where}"
    assert "@example.com" not in text and "@mail.daklak" not in text, where


def test_staff_text_is_the_one_masking_function(db: Session, fr: Submit) -> None:
    report = fr(description=LEAKY, address=ADDRESS).report
    for phone in PHONES:
        assert (public.mask_contacts(f"gọi {phone} nhé") or "") == f"gọi {public.MASK} nhé"
    agency = privacy.Viewer("agency", report.agency_id)
    leader = privacy.Viewer("oversight")
    ioc = privacy.Viewer("ioc")
    assert_masked(privacy.staff_text(leader, report, LEAKY) or "", "leader")
    assert_masked(privacy.staff_text(agency, report, LEAKY) or "", "agency")
    assert privacy.staff_text(ioc, report, LEAKY) == LEAKY
    assert privacy.staff_text(leader, report, None) is None


@pytest.fixture
def reports(db: Session, fr: Submit) -> dict[str, Report]:
    """Reports in every inbox tab, with contacts in description, address and a citizen's
    supplement; the assigned one is overdue at the returned ``late`` time."""
    new = fr(description=LEAKY, address=ADDRESS).report
    working_sub = fr(description=LEAKY, address=ADDRESS)
    working = working_sub.report
    service.assign(db, STAFF, working)
    service.request_info(db, STAFF, working, "Xin vị trí chính xác")
    service.provide_info(db, service.citizen_actor(), working, COMMENT, secret=working_sub.secret)
    answered = fr(description=LEAKY, address=ADDRESS).report
    service.assign(db, STAFF, answered)
    service.answer(db, STAFF, answered, "Đã vá ổ gà")
    rejected = fr(description=LEAKY, address=ADDRESS).report
    service.reject(db, STAFF, rejected, "Trùng nội dung")
    db.commit()
    return {"new": new, "working": working, "answered": answered, "rejected": rejected}


def _user(factory: sessionmaker[Session], name: str, role: str, agency: str | None) -> None:
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


def _staff_paths(reports: dict[str, Report]) -> list[str]:
    paths = ["/field-reports"]
    for tab in ("new", "progress", "due_soon", "overdue", "to_publish", "closed"):
        paths.append(f"/field-reports?tab={tab}")
        paths.append(f"/field-reports?tab={tab}&category=duong-hu-hong&area=24133")
        paths.append(f"/field-reports?tab={tab}&agency={AGENCY}")
    paths += [f"/field-reports/{r.code}" for r in reports.values()]
    paths += ["/field-reports/stats", "/", "/alerts", "/alerts/partials/list", "/api/v1/alerts"]
    paths += [f"/field-reports/stats/export?format=csv&by={by}" for by in ("category", "area")]
    return paths


@pytest.mark.parametrize(("role", "agency"), [("agency_staff", AGENCY), ("leader", None)])
def test_no_contact_in_any_staff_view(
    client: TestClient,
    factory: sessionmaker[Session],
    reports: dict[str, Report],
    role: str,
    agency: str | None,
) -> None:
    working = reports["working"]
    assert working.stage_due_at is not None
    late = working.stage_due_at + timedelta(hours=3)
    clock.set_now(late)
    registry = load_registry()
    with factory() as s, s.begin():
        background.sync_rules(s, registry)
        evaluate_due(s, late, registry, force=True)
    with factory() as s:
        alerts = (
            s.execute(
                select(Alert)
                .join(AlertRule, AlertRule.id == Alert.rule_id)
                .where(AlertRule.uid == "field_reports.overdue")
            )
            .scalars()
            .all()
        )
        assert alerts, "the overdue report raises the alert"
        for alert in alerts:
            assert_masked(repr(alert.annotations) + repr(alert.labels), "alert")
        alert_ids = [a.id for a in alerts]
    _user(factory, "xem", role, agency)
    assert login(client, "xem", PASSWORD).status_code == 303  # type: ignore[attr-defined]
    seen = 0
    for path in [*_staff_paths(reports), *(f"/alerts/{i}" for i in alert_ids)]:
        r = client.get(path)
        assert r.status_code in (200, 403, 404), (path, r.status_code)
        if r.status_code == 200:
            seen += 1
            assert_masked(r.text, path)
    assert seen > 10
    inbox = client.get("/field-reports?tab=progress").text
    assert working.code in inbox and "Ổ gà lớn trước nhà" in inbox
    for by in ("category", "area", "agency"):
        r = client.get(f"/field-reports/stats/export?format=xlsx&by={by}")
        assert r.status_code == 200
        book = load_workbook(io.BytesIO(r.content))
        cells = " ".join(
            str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row
        )
        assert_masked(cells, f"stats xlsx {by}")


def test_shared_contacts_stay_visible_to_the_handling_agency(
    client: TestClient, db: Session, fr: Submit, factory: sessionmaker[Session]
) -> None:
    shared = fr(description=LEAKY, share_identity_with_agency=True).report
    service.assign(db, STAFF, shared)
    db.commit()
    _user(factory, "xa", "agency_staff", AGENCY)
    assert login(client, "xa", PASSWORD).status_code == 303  # type: ignore[attr-defined]
    inbox = client.get("/field-reports?tab=progress").text
    assert shared.code in inbox and "0912 345 678" in inbox
    assert "0912 345 678" in client.get(f"/field-reports/{shared.code}").text
