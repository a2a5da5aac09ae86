"""Indicator definitions on hand-built document sets (pure functions, no database), and the
SQL aggregates of the pages checked against them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from ioc.core import clock
from ioc.core.calendar import default_calendar
from ioc.packs.documents import queries
from ioc.packs.documents.indicators import (
    DeadlineError,
    DocFacts,
    Rate,
    compute,
    format_rate,
    is_overdue,
    parse_deadline,
)
from ioc.packs.documents.models import Document

VN = clock.local_zone()
AS_OF = datetime(2026, 3, 10, 12, 0, tzinfo=VN)
H = timedelta(hours=1)


def _in(deadline: datetime | None, processed: datetime | None = None) -> DocFacts:
    return DocFacts("incoming", deadline_at=deadline, processed_at=processed)


def _out(signed: bool, axis: bool) -> DocFacts:
    return DocFacts("outgoing", digitally_signed=signed, via_axis=axis)


HAND_SET = [
    _in(AS_OF - 48 * H, AS_OF - 50 * H),  # on time
    _in(AS_OF - 48 * H, AS_OF - 48 * H),  # on time: exactly at the deadline
    _in(AS_OF - 48 * H, AS_OF - 47 * H),  # late
    _in(AS_OF - H),  # overdue: deadline passed, not processed
    _in(AS_OF + 24 * H),  # pending: not due yet — not counted
    _in(AS_OF - 2 * H, AS_OF + H),  # processed only after as_of -> overdue at as_of
    _in(None, AS_OF - H),  # no deadline — never counted
    _out(signed=True, axis=True),
    _out(signed=True, axis=False),
    _out(signed=False, axis=False),
    _out(signed=True, axis=True),
]


def test_on_time_rate_counts_processed_and_overdue_documents_with_a_deadline() -> None:
    f = compute(HAND_SET, AS_OF)
    assert (f.incoming, f.outgoing, f.with_deadline) == (7, 4, 6)
    assert (f.on_time, f.late, f.overdue, f.pending) == (2, 1, 2, 1)
    assert f.on_time_rate == Rate(2, 5)
    assert f.on_time_rate.value == pytest.approx(40.0)


def test_signature_and_electronic_rates_are_over_outgoing_documents() -> None:
    f = compute(HAND_SET, AS_OF)
    assert f.signature_rate == Rate(3, 4)
    assert f.electronic_rate == Rate(2, 4)
    assert format_rate(f.signature_rate) == "75,0%"
    assert format_rate(f.electronic_rate, 0, "en") == "50%"


def test_zero_denominators_show_a_dash_not_zero() -> None:
    only_pending = compute([_in(AS_OF + H), _in(None)], AS_OF)
    assert only_pending.on_time_rate.value is None
    assert only_pending.signature_rate.value is None
    assert format_rate(only_pending.on_time_rate) == "—"
    assert format_rate(compute([], AS_OF).electronic_rate) == "—"


def test_is_overdue_respects_the_moment_of_evaluation() -> None:
    doc = _in(AS_OF - H, AS_OF + H)
    assert is_overdue(doc, AS_OF)
    assert not is_overdue(doc, AS_OF + 2 * H)  # processed (late) by then
    assert not is_overdue(_in(None), AS_OF)


def test_working_day_deadlines_skip_weekends_and_holidays() -> None:
    cal = default_calendar()
    # Monday 28/04/2025 09:00 + 5 working days: 30/4, 1/5 and the 2/5 swap day are off.
    start = datetime(2025, 4, 28, 9, 0, tzinfo=VN)
    due = parse_deadline("5 ngày làm việc", start, cal)
    assert due == datetime(2025, 5, 8, 9, 0, tzinfo=VN)
    # Friday 13/02/2026 before Tết (16–20/02 off): 23, 24, 25/02 -> Wednesday 25/02/2026.
    due = parse_deadline("3 ngày  Làm Việc", datetime(2026, 2, 13, 10, 0, tzinfo=VN), cal)
    assert due == datetime(2026, 2, 25, 10, 0, tzinfo=VN)
    # A receipt known only by its date: the deadline is the end of the last working day.
    whole = parse_deadline(
        "5 ngày làm việc", datetime(2025, 4, 28, tzinfo=VN), cal, whole_days=True
    )
    assert whole == datetime(2025, 5, 8, 23, 59, 59, tzinfo=VN)


def test_other_deadline_forms() -> None:
    cal = default_calendar()
    start = datetime(2026, 3, 6, 15, 0, tzinfo=VN)
    assert parse_deadline("10 ngày", start, cal) == start + timedelta(days=10)
    assert parse_deadline("15/03/2026", start, cal) == datetime(2026, 3, 15, 23, 59, 59, tzinfo=VN)
    assert parse_deadline("2026-03-15", start, cal) == datetime(2026, 3, 15, 23, 59, 59, tzinfo=VN)
    assert parse_deadline("2026-03-15T10:00:00+07:00", start, cal) == datetime(
        2026, 3, 15, 3, 0, tzinfo=UTC
    )
    assert parse_deadline("", start, cal) is None
    assert parse_deadline(None, start, cal) is None
    for bad in ("sớm nhất có thể", "32/13/2026", "2026-03-15T10:00:00"):
        with pytest.raises(DeadlineError):
            parse_deadline(bad, start, cal)


def test_sql_figures_match_the_pure_definitions(db: Session, frozen_now: datetime) -> None:
    from doc_helpers import agency_id

    sxd = agency_id(db, "so-xay-dung")
    as_of = clock.now()
    registered = as_of - timedelta(days=10)
    for n, doc in enumerate(HAND_SET):
        db.add(
            Document(
                external_id=f"T-{n}",
                direction=doc.direction,
                agency_id=sxd,
                registered_at=registered,
                deadline_at=None if doc.deadline_at is None else doc.deadline_at - AS_OF + as_of,
                processed_at=None if doc.processed_at is None else doc.processed_at - AS_OF + as_of,
                digitally_signed=doc.digitally_signed,
                via_axis=doc.via_axis,
                created_at=as_of,
                updated_at=as_of,
            )
        )
    db.flush()
    period = queries.Period(date(2026, 2, 1), date(2026, 3, 10))
    (row,) = queries.figures_by_agency(db, period, as_of)
    assert row.code == "so-xay-dung"
    assert row.figures == compute(HAND_SET, AS_OF)
    assert queries.total_figures(db, period, as_of) == compute(HAND_SET, AS_OF)
    # Outside the period: nothing.
    assert (
        queries.figures_by_agency(db, queries.Period(date(2025, 1, 1), date(2025, 2, 1)), as_of)
        == []
    )
