"""Cảnh báo sớm: dossiers due soon or overdue, per agency, and the alerting record sources.

A dossier is watched while it is open (not finished, not withdrawn) and its clock runs:

* **overdue** (quá hạn): its effective deadline (promised date + supplement waiting, see
  ``indices``) is before now;
* **due soon** (sắp đến hạn): the deadline is not passed and falls before now +
  ``IOC_PS_DUE_SOON_WD`` working days (calendar ``add_working_days``).

A dossier waiting for the citizen's supplement (``supplement_open``) has its clock stopped and
is neither; one without any deadline (no promised date, no time limit) cannot be either.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.core.calendar import load_calendar
from ioc.core.registry import RecordSample
from ioc.packs.public_services.config import policy
from ioc.packs.public_services.models import PsDossier
from ioc.packs.public_services.workdays import WorkdayMath

__all__ = [
    "due_soon_bound",
    "due_soon_condition",
    "due_soon_records",
    "overdue_condition",
    "overdue_records",
    "warning_counts",
]


def _running() -> list[Any]:
    d = PsDossier
    return [d.is_open.is_(True), d.supplement_open.is_(False), d.effective_due_at.is_not(None)]


def due_soon_bound(session: Session, now: datetime, days: int | None = None) -> datetime:
    """End of the due-soon window: now + N working days."""
    n = policy().due_soon_wd if days is None else days
    return WorkdayMath(load_calendar(session)).add(now, n)


def overdue_condition(now: datetime) -> list[Any]:
    """SQL conditions of an overdue dossier."""
    return [*_running(), PsDossier.effective_due_at < now]


def due_soon_condition(now: datetime, bound: datetime) -> list[Any]:
    """SQL conditions of a dossier due soon (not yet overdue)."""
    return [*_running(), PsDossier.effective_due_at >= now, PsDossier.effective_due_at < bound]


def warning_counts(
    session: Session, now: datetime, by: str = "agency_code"
) -> dict[str, tuple[int, int]]:
    """``{unit: (due soon, overdue)}`` for every unit with at least one of either."""
    column = getattr(PsDossier, by)
    bound = due_soon_bound(session, now)
    out: dict[str, list[int]] = {}
    for index, where in ((1, overdue_condition(now)), (0, due_soon_condition(now, bound))):
        for code, n in session.execute(select(column, func.count()).where(*where).group_by(column)):
            out.setdefault(code, [0, 0])[index] = int(n)
    return {k: (v[0], v[1]) for k, v in out.items()}


def overdue_records(session: Session, now: datetime) -> list[RecordSample]:
    """Record source ``public_services.overdue``: one sample per agency with overdue dossiers,
    valued in the number of them."""
    return [
        RecordSample(labels={"agency": code}, value=float(over))
        for code, (_soon, over) in sorted(warning_counts(session, now).items())
        if over
    ]


def due_soon_records(session: Session, now: datetime) -> list[RecordSample]:
    """Record source ``public_services.due_soon``: one sample per agency with dossiers due
    within ``IOC_PS_DUE_SOON_WD`` working days, valued in the number of them."""
    return [
        RecordSample(labels={"agency": code}, value=float(soon))
        for code, (soon, _over) in sorted(warning_counts(session, now).items())
        if soon
    ]
