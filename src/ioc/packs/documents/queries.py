"""Read side of documents: per-agency figures (SQL aggregates with exactly the definitions of
:mod:`ioc.packs.documents.indicators`), filtered document lists, overdue documents, the
record source for alerting.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import Session

from ioc.core import clock
from ioc.core.models import Agency
from ioc.core.registry import RecordSample
from ioc.packs.documents.indicators import DocFigures
from ioc.packs.documents.models import Document

__all__ = [
    "DOC_STATES",
    "AgencyFigures",
    "DocFilter",
    "Period",
    "document_query",
    "figures_by_agency",
    "in_group",
    "overdue_document_records",
    "sum_figures",
    "total_figures",
]

# Filter of the document list by handling state at "now" (definitions in indicators.py).
DOC_STATES = ("all", "overdue", "late", "on_time", "pending", "no_deadline", "processed")
GROUPS = ("departments", "communes", "all")


@dataclass(frozen=True)
class Period:
    """Documents registered from ``start`` (inclusive) to ``end`` (inclusive), local dates."""

    start: date
    end: date

    def bounds(self) -> tuple[datetime, datetime]:
        """The period as aware instants ``[lo, hi)``."""
        zone = clock.local_zone()
        lo = datetime.combine(self.start, time(0, 0), tzinfo=zone)
        hi = datetime.combine(self.end + timedelta(days=1), time(0, 0), tzinfo=zone)
        return lo, hi

    @classmethod
    def default(cls, today: date) -> Period:
        """The last twelve months up to ``today``."""
        start = date(today.year - 1, today.month, 1)
        if start.month == 12:
            start = date(start.year + 1, 1, 1)
        else:
            start = date(start.year, start.month + 1, 1)
        return cls(start, today)


@dataclass(frozen=True)
class AgencyFigures:
    """One agency's figures."""

    agency_id: int
    code: str
    name: str
    kind: str
    figures: DocFigures


def _counts(now: datetime) -> list[Any]:
    processed = and_(Document.processed_at.is_not(None), Document.processed_at <= now)
    has_deadline = Document.deadline_at.is_not(None)

    def n(cond: Any) -> Any:
        return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

    return [
        n(Document.direction == "incoming"),
        n(Document.direction == "outgoing"),
        n(has_deadline),
        n(and_(has_deadline, processed, Document.processed_at <= Document.deadline_at)),
        n(and_(has_deadline, processed, Document.processed_at > Document.deadline_at)),
        n(and_(has_deadline, ~processed, Document.deadline_at < now)),
        n(and_(has_deadline, ~processed, Document.deadline_at >= now)),
        n(and_(Document.direction == "outgoing", Document.digitally_signed.is_(True))),
        n(and_(Document.direction == "outgoing", Document.via_axis.is_(True))),
    ]


def _figures(row: Any) -> DocFigures:
    values = [int(v or 0) for v in row]
    return DocFigures(*values)


def _group_filter(stmt: Select[Any], group: str) -> Select[Any]:
    if group == "communes":
        return stmt.where(Agency.kind == "commune_committee")
    if group == "departments":
        return stmt.where(Agency.kind != "commune_committee")
    return stmt


def figures_by_agency(
    session: Session, period: Period, now: datetime, group: str = "all"
) -> list[AgencyFigures]:
    """Figures of every agency with documents registered in ``period``, at ``now``."""
    lo, hi = period.bounds()
    stmt = (
        select(Agency.id, Agency.code, Agency.short_name, Agency.kind, *_counts(now))
        .join(Document, Document.agency_id == Agency.id)
        .where(Document.registered_at >= lo, Document.registered_at < hi)
        .group_by(Agency.id, Agency.code, Agency.short_name, Agency.kind)
    )
    stmt = _group_filter(stmt, group)
    return [
        AgencyFigures(row[0], row[1], row[2], row[3], _figures(row[4:]))
        for row in session.execute(stmt).all()
    ]


def total_figures(
    session: Session,
    period: Period | None,
    now: datetime,
    agency_id: int | None = None,
    group: str = "all",
) -> DocFigures:
    """Figures of all documents of ``period`` (all time when None), optionally one agency."""
    stmt = select(*_counts(now)).select_from(Document).join(Agency, Agency.id == Document.agency_id)
    if period is not None:
        lo, hi = period.bounds()
        stmt = stmt.where(Document.registered_at >= lo, Document.registered_at < hi)
    if agency_id is not None:
        stmt = stmt.where(Document.agency_id == agency_id)
    stmt = _group_filter(stmt, group)
    return _figures(session.execute(stmt).one())


def sum_figures(items: list[DocFigures]) -> DocFigures:
    """Counts of several sets added up (rates follow from the sums, never averaged)."""
    names = [f.name for f in dataclasses.fields(DocFigures)]
    return DocFigures(*(sum(getattr(item, n) for item in items) for n in names))


def in_group(kind: str, group: str) -> bool:
    """Whether an agency of ``kind`` belongs to ``group`` (departments | communes | all)."""
    if group == "communes":
        return kind == "commune_committee"
    if group == "departments":
        return kind != "commune_committee"
    return True


def ranking(rows: list[AgencyFigures]) -> list[AgencyFigures]:
    """Best first: on-time rate (agencies without one last), then fewer overdue, then
    signature and electronic sending rates."""

    def key(a: AgencyFigures) -> tuple[Any, ...]:
        f = a.figures
        rate = f.on_time_rate.value
        return (
            rate is None,
            -(rate or 0.0),
            f.overdue,
            -(f.signature_rate.value or 0.0),
            -(f.electronic_rate.value or 0.0),
            a.name,
        )

    return sorted(rows, key=key)


@dataclass(frozen=True)
class DocFilter:
    """Filters of the document list."""

    agency_id: int | None = None
    direction: str = ""  # "" | incoming | outgoing
    state: str = "all"
    period: Period | None = None
    q: str = ""


def document_query(flt: DocFilter, now: datetime) -> Select[Document, str, str]:
    """Documents with their agency code and name, newest first, as the filters say."""
    stmt = select(Document, Agency.code, Agency.short_name).join(
        Agency, Agency.id == Document.agency_id
    )
    if flt.agency_id is not None:
        stmt = stmt.where(Document.agency_id == flt.agency_id)
    if flt.direction in ("incoming", "outgoing"):
        stmt = stmt.where(Document.direction == flt.direction)
    if flt.period is not None:
        lo, hi = flt.period.bounds()
        stmt = stmt.where(Document.registered_at >= lo, Document.registered_at < hi)
    if flt.q:
        like = f"%{flt.q.lower()}%"
        stmt = stmt.where(
            or_(func.lower(Document.number).like(like), func.lower(Document.summary).like(like))
        )
    processed = and_(Document.processed_at.is_not(None), Document.processed_at <= now)
    has_deadline = Document.deadline_at.is_not(None)
    conditions = {
        "overdue": and_(has_deadline, ~processed, Document.deadline_at < now),
        "late": and_(has_deadline, processed, Document.processed_at > Document.deadline_at),
        "on_time": and_(has_deadline, processed, Document.processed_at <= Document.deadline_at),
        "pending": and_(has_deadline, ~processed, Document.deadline_at >= now),
        "no_deadline": Document.deadline_at.is_(None),
        "processed": processed,
    }
    if flt.state in conditions:
        stmt = stmt.where(conditions[flt.state])
    order = Document.deadline_at.asc() if flt.state == "overdue" else Document.registered_at.desc()
    return stmt.order_by(order, Document.id.desc())


def doc_state(doc: Document, now: datetime) -> str:
    """``on_time`` | ``late`` | ``overdue`` | ``pending`` | ``processed`` | ``open``."""
    done = doc.processed_at if doc.processed_at and doc.processed_at <= now else None
    if doc.deadline_at is None:
        return "processed" if done else "open"
    if done is not None:
        return "on_time" if done <= doc.deadline_at else "late"
    return "overdue" if doc.deadline_at < now else "pending"


def overdue_document_records(session: Session, now: datetime) -> list[RecordSample]:
    """Record source ``documents.overdue_documents``: one sample per agency that has overdue
    documents (all periods), labelled with the agency code, valued in the number overdue."""
    processed = and_(Document.processed_at.is_not(None), Document.processed_at <= now)
    rows = session.execute(
        select(Agency.code, func.count())
        .join(Document, Document.agency_id == Agency.id)
        .where(Document.deadline_at.is_not(None), Document.deadline_at < now, ~processed)
        .group_by(Agency.code)
        .order_by(Agency.code)
    ).all()
    return [RecordSample(labels={"agency": code}, value=float(n)) for code, n in rows]
