"""Stage deadlines from the calendar and the category, across Tết 2026 and a make-up
Saturday, the urgent track, due-soon/overdue lists per agency and the overdue record source."""

from __future__ import annotations

from datetime import date, timedelta

from fr_helpers import STAFF, Submit, at_local
from sqlalchemy.orm import Session

from ioc.core import clock
from ioc.core.calendar import add_calendar_day
from ioc.packs.field_reports import deadlines, service


def test_normal_track_deadlines_across_tet_2026(db: Session, fr: Submit) -> None:
    # Friday 13/02/2026 10:00, the last working day before Tết (16–20/2).
    sub = fr(at=at_local(2026, 2, 13, 10))
    r = sub.report
    assert r.track == "normal"
    # Intake (2 WD): Mon 23/2, Tue 24/2.
    assert r.stage_due_at == at_local(2026, 2, 24, 10)
    # Information request (5 WD): 23–27/2.
    assert r.info_request_due_at == at_local(2026, 2, 27, 10)
    # Handling (15 WD): 23–27/2, 2–6/3, 9–13/3.
    assert r.due_at == at_local(2026, 3, 13, 10)
    service.assign(db, STAFF, r, at=at_local(2026, 2, 23, 8))
    assert r.stage_due_at == r.due_at  # assignment keeps the clock from receipt
    service.answer(db, STAFF, r, "Đã vá", at=at_local(2026, 3, 12, 16))
    # Publication (2 WD): Fri 13/3, Mon 16/3.
    assert r.stage_due_at == at_local(2026, 3, 16, 16)


def test_deadlines_across_the_make_up_saturday(db: Session, fr: Submit) -> None:
    # Thursday 20/8/2026 10:00: intake 2 WD -> Fri 21/8, Sat 22/8 (worked, make-up day).
    r = fr(at=at_local(2026, 8, 20, 10)).report
    assert r.stage_due_at == at_local(2026, 8, 22, 10)
    # Answered Friday 28/8 15:00; publication 2 WD skips 29–30/8, 31/8 (swap), 1–2/9.
    service.assign(db, STAFF, r, at=at_local(2026, 8, 21, 9))
    service.answer(db, STAFF, r, "Đã vá", at=at_local(2026, 8, 28, 15))
    assert r.stage_due_at == at_local(2026, 9, 4, 15)


def test_transfer_and_supplement_restart_the_handling_clock(db: Session, fr: Submit) -> None:
    r = fr().report  # Tue 10/3/2026 12:00
    service.assign(db, STAFF, r)
    service.transfer(db, STAFF, r, "so-xay-dung", "Đường tỉnh", at=at_local(2026, 3, 16, 9))
    # 15 WD from Mon 16/3 09:00: 17–20/3, 23–27/3, 30/3–3/4, 6/4.
    assert r.due_at == at_local(2026, 4, 6, 9)


def test_urgent_track_counts_calendar_hours(db: Session, fr: Submit) -> None:
    # Flooding is urgent by default: 12 h, on Tết eve too; intake within 2 h.
    start = at_local(2026, 2, 16, 20)
    r = fr(
        category_code="ngap-ung", description="Ngập sâu 50 cm đường Phan Bội Châu", at=start
    ).report
    assert r.track == "urgent"
    assert r.due_at == start + timedelta(hours=12)
    assert r.stage_due_at == start + timedelta(hours=2)
    # Any category can be sent on the urgent track (its urgent_hours: 24 by default).
    other = fr(urgent=True, at=start).report
    assert other.track == "urgent" and other.due_at == start + timedelta(hours=24)
    # And an urgent-by-default category can be sent as normal.
    assert fr(category_code="ngap-ung", urgent=False).report.track == "normal"


def test_category_deadlines_are_configurable(db: Session, fr: Submit) -> None:
    service.update_category(db, STAFF, "chieu-sang", handle_days=3, reject_days=1)
    r = fr(category_code="chieu-sang", description="Đèn đường không sáng").report
    assert r.due_at == at_local(2026, 3, 13, 12)  # Tue 10/3 12:00 + 3 WD
    assert r.stage_due_at == at_local(2026, 3, 11, 12)


def test_admin_closure_moves_deadlines(db: Session, fr: Submit) -> None:
    add_calendar_day(db, STAFF, date(2026, 3, 11), "off", "Nghỉ tránh bão")
    r = fr().report  # Tue 10/3 12:00, 2 WD: (11/3 off) 12/3, 13/3
    assert r.stage_due_at == at_local(2026, 3, 13, 12)


def test_overdue_and_due_soon_per_agency(db: Session, fr: Submit) -> None:
    received = fr(at=at_local(2026, 3, 2, 9)).report  # intake due Wed 4/3 09:00
    assigned = fr(at=at_local(2026, 3, 2, 9)).report
    service.assign(db, STAFF, assigned, "so-xay-dung", at=at_local(2026, 3, 3, 9))
    assigned.due_at = assigned.stage_due_at = at_local(2026, 3, 10, 6)  # six hours ago
    waiting = fr(at=at_local(2026, 3, 2, 9)).report
    service.request_info(db, STAFF, waiting, "Vị trí?", at=at_local(2026, 3, 2, 10))
    waiting.stage_due_at = at_local(2026, 3, 3, 10)  # the reporter is late: not the staff's
    soon = fr(at=at_local(2026, 3, 6, 13)).report  # intake due Tue 10/3 13:00 (in 1 h)
    fine = fr().report  # due in 2 WD
    db.flush()
    now = clock.now()

    late = deadlines.overdue(db, now)
    assert [i.code for i in late] == [received.code, assigned.code]
    assert {i.code: i.agency_code for i in late} == {
        received.code: "trung-tam-ioc",
        assigned.code: "so-xay-dung",
    }
    assert [i.code for i in deadlines.overdue(db, now, "so-xay-dung")] == [assigned.code]
    assert deadlines.overdue_counts(db, now) == {"trung-tam-ioc": 1, "so-xay-dung": 1}
    assert [i.code for i in deadlines.due_soon(db, now)] == [soon.code]
    assert deadlines.due_soon(db, now, "so-xay-dung") == []
    assert fine.code not in [i.code for i in deadlines.due_soon(db, now, within_hours=24)]

    samples = deadlines.overdue_records(db, now)
    by_report = {s.labels["report"]: s for s in samples}
    assert by_report[assigned.code].labels == {
        "report": assigned.code,
        "agency": "so-xay-dung",
        "area": "24133",
        "category": "duong-hu-hong",
    }
    assert by_report[assigned.code].value == 6.0
    # Intake due Wed 4/3 09:00 -> 6 days 3 hours late at Tue 10/3 12:00.
    assert by_report[received.code].value == 147.0

    # Answering ends the agency's lateness; the publish step is then the IOC's.
    service.answer(db, STAFF, assigned, "Đã vá")
    assert [i.code for i in deadlines.overdue(db, now, "so-xay-dung")] == []


def test_record_source_is_registered(db: Session, fr: Submit) -> None:
    from ioc.app import load_registry

    late = fr(at=at_local(2026, 3, 2, 9)).report
    source = load_registry().record_source("field_reports.overdue")
    assert source is not None
    samples = source(db, clock.now())
    assert [s.labels["report"] for s in samples] == [late.code]
