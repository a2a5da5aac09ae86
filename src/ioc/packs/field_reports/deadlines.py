"""Due-soon and overdue lists per agency, and the ``overdue`` record source for alerting.

A report counts against whoever holds its current step:

* ``received`` (intake decision) and ``answered`` (publication): the intake agency (the IOC,
  ``IOC_FR_INTAKE_AGENCY``);
* ``assigned`` and ``in_progress`` (handling): the report's agency.

Reports waiting for the reporter (``info_requested``) and finished ones are never overdue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core.models import Agency
from ioc.core.registry import RecordSample
from ioc.engines.actions_kit import same_named
from ioc.packs.field_reports import service
from ioc.packs.field_reports.models import Category, Report

__all__ = ["DueItem", "due_soon", "overdue", "overdue_counts", "overdue_records"]

STAFF_STEPS = (service.RECEIVED, service.ASSIGNED, service.IN_PROGRESS, service.ANSWERED)
INTAKE_STEPS = (service.RECEIVED, service.ANSWERED)


@dataclass(frozen=True)
class DueItem:
    """One report's current step and its deadline (``hours`` left, negative when overdue)."""

    code: str
    status: str
    track: str
    agency_code: str
    area_code: str
    category_code: str
    due_at: datetime
    hours: float

    @property
    def overdue(self) -> bool:
        """True when the step's deadline has passed."""
        return self.hours < 0


def _items(
    session: Session, now: datetime, *, before: datetime, agency_code: str | None
) -> list[DueItem]:
    intake = service.policy().intake_agency
    rows = session.execute(
        select(Report, Category.code, Agency.code)
        .join(Category, Category.id == Report.category_id)
        .outerjoin(Agency, Agency.id == Report.agency_id)
        .where(
            Report.status.in_(STAFF_STEPS),
            Report.stage_due_at.is_not(None),
            Report.stage_due_at < before,
        )
        .order_by(Report.stage_due_at, Report.id)
    ).all()
    out = []
    for report, category_code, report_agency in rows:
        holder = intake if report.status in INTAKE_STEPS else (report_agency or intake)
        if agency_code is not None and holder != agency_code:
            continue
        assert report.stage_due_at is not None
        out.append(
            DueItem(
                **same_named(report, "code status track area_code"),
                agency_code=holder,
                category_code=category_code,
                due_at=report.stage_due_at,
                hours=round((report.stage_due_at - now).total_seconds() / 3600, 1),
            )
        )
    return out


def overdue(session: Session, now: datetime, agency_code: str | None = None) -> list[DueItem]:
    """Reports whose current step is past its deadline (most overdue first), optionally only
    those held by ``agency_code``."""
    return _items(session, now, before=now, agency_code=agency_code)


def due_soon(
    session: Session,
    now: datetime,
    agency_code: str | None = None,
    within_hours: float | None = None,
) -> list[DueItem]:
    """Reports whose current step is due within ``within_hours`` (default
    ``IOC_FR_DUE_SOON_HOURS``) and not yet overdue, soonest first."""
    hours = within_hours if within_hours is not None else service.policy().due_soon_hours
    items = _items(session, now, before=now + timedelta(hours=hours), agency_code=agency_code)
    return [item for item in items if not item.overdue]


def overdue_counts(session: Session, now: datetime) -> dict[str, int]:
    """Number of overdue reports per holding agency code."""
    counts: dict[str, int] = {}
    for item in overdue(session, now):
        counts[item.agency_code] = counts.get(item.agency_code, 0) + 1
    return counts


def overdue_records(session: Session, now: datetime) -> list[RecordSample]:
    """Record source ``field_reports.overdue``: one sample per overdue report, labelled
    report/agency/area/category, valued in hours overdue."""
    return [
        RecordSample(
            labels={
                "report": item.code,
                "agency": item.agency_code,
                "area": item.area_code,
                "category": item.category_code,
            },
            value=round(-item.hours, 1),
        )
        for item in overdue(session, now)
    ]
