"""Campaign workflow: creation, draft, submit, return, resubmit, accept, late marking."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from rp_helpers import SKHCN, SXD, SYT, agency_id, doer, filled
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ioc.core import clock
from ioc.core.models import AuditLog
from ioc.packs.reporting import service
from ioc.packs.reporting.models import Campaign, Submission, SubmissionEvent


def _sub(session: Session, campaign: Campaign, code: str) -> Submission:
    return session.execute(
        select(Submission).where(
            Submission.campaign_id == campaign.id, Submission.agency_id == agency_id(session, code)
        )
    ).scalar_one()


def test_default_campaign_has_31_october_and_departments(db: Session, frozen_now: datetime) -> None:
    c = service.create_campaign(db, doer(db, SXD), year=2026)
    assert c.deadline == date(2026, 10, 31)
    assert c.title == "Báo cáo kết quả thực hiện nhiệm vụ đô thị thông minh năm 2026"
    codes = service.default_agency_codes(db, date(2026, 3, 10))
    assert SYT in codes and SXD in codes and "ubnd-tinh" not in codes
    assert len(service.board(db, c, date(2026, 3, 10))) == len(codes)


def test_only_reviewer_creates(db: Session, frozen_now: datetime) -> None:
    with pytest.raises(service.ReportingError):
        service.create_campaign(db, doer(db, SYT), year=2026)
    with pytest.raises(service.ReportingError) as err:
        service.create_campaign(db, doer(db, SXD), year=2026, agency_codes=["khong-co"])
    assert err.value.field == "agencies"


def test_full_cycle_with_return_and_audit(db: Session, frozen_now: datetime) -> None:
    c = service.create_campaign(db, doer(db, SXD), year=2026, agency_codes=[SYT, SKHCN])
    sub = _sub(db, c, SYT)
    staff = doer(db, SYT)
    service.save_draft(db, staff, sub, filled())
    assert sub.status == "draft"
    # Another agency cannot touch it; the agency cannot review its own report.
    with pytest.raises(service.ReportingError):
        service.save_draft(db, doer(db, SKHCN), sub, filled())
    service.submit(db, staff, sub, None)
    assert sub.status == "submitted" and not sub.late
    with pytest.raises(service.ReportingError):
        service.accept(db, staff, sub)
    with pytest.raises(service.ReportingError) as err:
        service.return_submission(db, doer(db, SXD), sub, "  ")
    assert err.value.field == "comment"
    service.return_submission(db, doer(db, SXD), sub, "Bổ sung số liệu kinh phí")
    assert sub.status == "returned" and sub.review_comment == "Bổ sung số liệu kinh phí"
    service.save_draft(db, staff, sub, filled())
    assert sub.status == "returned"  # still waiting for the resubmission
    service.submit(db, staff, sub, None)
    service.accept(db, doer(db, SXD), sub)
    assert sub.status == "accepted" and sub.accepted_at is not None
    with pytest.raises(service.ReportingError):
        service.save_draft(db, staff, sub, filled())
    service.reopen(db, doer(db, SXD), sub, "Sai số liệu CT03")
    assert sub.status == "returned"
    db.flush()
    actions = [
        e.action for e in db.execute(select(SubmissionEvent).order_by(SubmissionEvent.id)).scalars()
    ]
    assert actions == ["save", "submit", "return", "save", "submit", "accept", "reopen"]
    audits = set(db.execute(select(AuditLog.action)).scalars())
    assert {"rp.campaign.create", "rp.submission.return", "rp.submission.accept"} <= audits


def test_late_submission_is_marked_late(db: Session) -> None:
    clock.set_now(datetime(2026, 10, 20, 3, 0, tzinfo=UTC))
    try:
        c = service.create_campaign(db, doer(db, SXD), year=2026, agency_codes=[SYT, SKHCN])
        on_time, late = _sub(db, c, SYT), _sub(db, c, SKHCN)
        # 31/10 23:30 local is still on time; 01/11 00:10 local is late.
        clock.set_now(datetime(2026, 10, 31, 16, 30, tzinfo=UTC))
        service.submit(db, doer(db, SYT), on_time, filled())
        assert service.board_state(late, c, date(2026, 10, 31)) == "not_started"
        clock.set_now(datetime(2026, 10, 31, 17, 10, tzinfo=UTC))
        assert service.board_state(late, c, date(2026, 11, 1)) == "late"
        service.submit(db, doer(db, SKHCN), late, filled())
        assert not on_time.late and late.late
        rows = {r["agency"].code: r for r in service.board(db, c, date(2026, 11, 1))}
        assert rows[SKHCN]["late"] and rows[SKHCN]["state"] == "submitted"
        assert not rows[SYT]["late"]
        # A resubmission after a return keeps the first submission's timeliness.
        service.return_submission(db, doer(db, SXD), on_time, "Bổ sung")
        service.submit(db, doer(db, SYT), on_time, None)
        assert not on_time.late
    finally:
        clock.set_now(None)


def test_form_parsing_names_the_bad_field(db: Session, frozen_now: datetime) -> None:
    c = service.create_campaign(db, doer(db, SXD), year=2026, agency_codes=[SYT])
    form = {
        "s.general.text": "Nội dung",
        "s.indicators.2.value": "85,5",
        "s.indicators.3.value": "1.234",
        "s.tasks.count": "2",
        "s.tasks.0.task": "Việc A",
        "s.tasks.0.progress": "40",
    }
    data = service.parse_form(c, form)
    values = [r["value"] for r in data["indicators"]["rows"]]
    assert values[2] == 85.5 and values[3] == 1234.0
    assert data["tasks"]["rows"] == [{"task": "Việc A", "progress": 40.0, "status": "", "note": ""}]
    with pytest.raises(service.ReportingError) as err:
        service.parse_form(c, {**form, "s.funding.1.planned": "một trăm"})
    assert err.value.field == "s.funding.1.planned"
    assert "Kinh phí thực hiện" in err.value.message and "dòng 2" in err.value.message
    with pytest.raises(service.ReportingError) as err:
        service.parse_form(c, {**form, "s.tasks.0.progress": "140"})
    assert "0 đến 100" in err.value.message


def test_empty_report_cannot_be_submitted(db: Session, frozen_now: datetime) -> None:
    c = service.create_campaign(db, doer(db, SXD), year=2026, agency_codes=[SYT])
    with pytest.raises(service.ReportingError):
        service.submit(db, doer(db, SYT), _sub(db, c, SYT), service.parse_form(c, {}))


def test_prefill_from_series(factory: sessionmaker[Session], frozen_now: datetime) -> None:
    from ioc.core.models import Indicator, Series

    with factory() as s, s.begin():
        ind = s.execute(
            select(Indicator).where(Indicator.code == "se_public_invest_rate")
        ).scalar_one_or_none()
        if ind is None:
            pytest.skip("socio-economic indicators not synced in this database")
        s.add(
            Series(
                indicator_id=ind.id,
                subject_kind="area",
                subject_code="66",
                latest_ts=1,
                latest_value=47.256,
            )
        )
    with factory() as s, s.begin():
        c = service.create_campaign(s, doer(s, SXD), year=2026, agency_codes=[SYT])
        rows = service.prefill(s, c, SYT)["indicators"]["rows"]
        by_code = {r["code"]: r for r in rows}
        assert by_code["CT05"]["value"] == 47.26 and by_code["CT05"]["note"] == "Số liệu IOC"
        assert by_code["CT01"]["value"] is None
