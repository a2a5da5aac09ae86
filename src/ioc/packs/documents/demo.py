"""Demo data: a year of incoming/outgoing documents for the departments and the commune
People's Committees of Đắk Lắk, and the province's smart-city directive with its tasks.

Documents follow each agency's own profile (volume, on-time share, signature and axis rates),
so the ranking and charts differ from one agency to the next. The directive is the provincial
People's Committee's letter implementing the Ministry of Construction's Công văn 3909/BXD-PTĐT
(05/9/2022) on the Sở Xây dựng's proposal 3137/SXD-PTĐT (11/11/2022), signed by Vice-Chairman
Võ Văn Cảnh (text in ``/work/shared/seeds``). The source text carries neither its own number
nor its date: the demo shows the number as ``…/UBND-CN`` (its filing mark ``CN(V-3)``) and
the date as the end of November 2022 — both placeholders, not facts. Tasks given to the then
Sở Thông tin và Truyền thông go to Sở Khoa học và Công nghệ, which took over digital
transformation in 2025; those of the former Buôn Ma Thuột, Buôn Hồ and Ea Kar go to today's
phường/xã People's Committees. Deadlines are set around the demo's end so the board shows
realistic progress: some done, some due soon, some overdue.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from importlib import resources
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from ioc.core import audit, clock, yaml_text
from ioc.core.calendar import default_calendar
from ioc.core.models import Agency
from ioc.packs.documents import tasks
from ioc.packs.documents.models import Directive, Document, Task

__all__ = ["load_demo"]

DEPARTMENT_KINDS = ("department", "office", "inspectorate")
# Senders, subjects, types and deadline texts of the registers; the directive and its tasks.
_DATA: dict[str, Any] = yaml_text.load(
    resources.files("ioc.packs.documents").joinpath("demo.yaml").read_text("utf-8")
)
SENDERS: tuple[tuple[str, str], ...] = tuple(
    (name, sign) for name, sign in _DATA["documents"]["senders"]
)
SUBJECTS_IN: tuple[str, ...] = tuple(_DATA["documents"]["subjects_in"])
SUBJECTS_OUT: tuple[str, ...] = tuple(_DATA["documents"]["subjects_out"])
TYPES_IN: tuple[str, ...] = tuple(_DATA["documents"]["types_in"])
TYPES_OUT: tuple[str, ...] = tuple(_DATA["documents"]["types_out"])
DEADLINES: tuple[str, ...] = tuple(_DATA["documents"]["deadlines"])


def _abbrev(agency: Agency) -> str:
    if agency.kind == "commune_committee":
        return "UBND"
    words = [w for w in agency.short_name.replace("&", " ").split() if w[:1].isupper()]
    return "".join(w[0] for w in words)[:6].upper() or "CQ"


def _working_days(start: date, end: date) -> list[date]:
    calendar = default_calendar()
    days, day = [], start
    while day <= end:
        if calendar.is_working_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def _documents(
    agency: Agency, rng: random.Random, days: list[date], end: datetime, commune: bool
) -> list[dict[str, Any]]:
    calendar = default_calendar()
    zone = clock.local_zone()
    # The agency's profile: how much it handles and how well.
    rate_in = rng.uniform(0.15, 0.5) if commune else rng.uniform(1.5, 4.0)
    rate_out = rng.uniform(0.1, 0.3) if commune else rng.uniform(0.8, 2.5)
    on_time = rng.uniform(0.72, 0.99)
    signed_p = rng.uniform(0.7, 1.0)
    axis_p = rng.uniform(0.55, 0.99)
    stuck_p = rng.uniform(0.0, 0.03)
    abbrev = _abbrev(agency)
    rows: list[dict[str, Any]] = []
    seq = {"incoming": 0, "outgoing": 0}
    now = clock.now()
    for day in days:
        for direction, rate in (("incoming", rate_in), ("outgoing", rate_out)):
            count = int(rate) + (1 if rng.random() < rate - int(rate) else 0)
            for _ in range(count):
                minute = rng.randint(7 * 60 + 30, 17 * 60)
                at = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone)
                if at >= end:
                    continue
                seq[direction] += 1
                month = day.month
                if direction == "incoming":
                    sender, sign = rng.choice(SENDERS)
                    number = f"{rng.randint(100, 9999)}/{sign}"
                    summary = rng.choice(SUBJECTS_IN).format(m=month)
                    deadline_text = rng.choice(DEADLINES) if rng.random() < 0.6 else ""
                    deadline = (
                        calendar.add_working_days(at, int(deadline_text.split()[0]))
                        if deadline_text
                        else None
                    )
                    if deadline is None:
                        processed: datetime | None = at + timedelta(hours=rng.uniform(2, 96))
                    elif rng.random() < stuck_p:
                        processed = None
                    elif rng.random() < on_time:
                        processed = at + (deadline - at) * rng.uniform(0.1, 0.98)
                    else:
                        processed = deadline + timedelta(days=rng.uniform(0.5, 12))
                    if processed is not None and processed > end:
                        processed = None
                    signed = rng.random() < 0.9
                    axis = rng.random() < axis_p
                    counterpart = sender
                else:
                    number = f"{seq['outgoing']}/{abbrev}-VP"
                    summary = rng.choice(SUBJECTS_OUT).format(m=month)
                    deadline_text, deadline = "", None
                    processed = at
                    signed = rng.random() < signed_p
                    axis = signed and rng.random() < axis_p
                    counterpart = "UBND tỉnh; các sở, ngành liên quan"
                rows.append(
                    {
                        "external_id": f"DEMO-{agency.code}-{direction[:2]}-{seq[direction]}",
                        "source": "QLVB (demo)",
                        "direction": direction,
                        "agency_id": agency.id,
                        "number": number,
                        "doc_type": rng.choice(TYPES_IN if direction == "incoming" else TYPES_OUT),
                        "summary": summary,
                        "counterpart": counterpart,
                        "issued_on": day if direction == "outgoing" else day - timedelta(days=1),
                        "registered_at": at,
                        "deadline_at": deadline,
                        "deadline_text": deadline_text,
                        "processed_at": processed,
                        "digitally_signed": signed,
                        "via_axis": axis,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
    return rows


def _agencies(session: Session) -> tuple[list[Agency], list[Agency]]:
    rows = list(
        session.execute(
            select(Agency).where(Agency.valid_to.is_(None)).order_by(Agency.code)
        ).scalars()
    )
    return (
        [a for a in rows if a.kind in DEPARTMENT_KINDS],
        [a for a in rows if a.kind == "commune_committee"],
    )


def _office_time(end: datetime, days_before: int) -> datetime:
    """09:30 local, ``days_before`` days before ``end`` (never after ``end``)."""
    day = (end - timedelta(days=days_before)).astimezone(clock.local_zone()).date()
    return min(end, datetime.combine(day, time(9, 30), tzinfo=clock.local_zone()))


def _doer(session: Session, code: str) -> tasks.Doer:
    name = session.execute(select(Agency.short_name).where(Agency.code == code)).scalar_one()
    return tasks.Doer(audit.Actor(None, f"{name} (demo)"), "admin")


def _report_due(today: date, month_day: str) -> date:
    """This year's report deadline, or next year's when this one is more than 45 days past."""
    month, day = (int(part) for part in month_day.split("-"))
    due = date(today.year, month, day)
    return due if due >= today - timedelta(days=45) else date(today.year + 1, month, day)


def _follow_plan(
    session: Session,
    task: Task,
    plan: list[dict[str, Any]],
    end: datetime,
    today: date,
    ioc: tasks.Doer,
    agency: tasks.Doer,
) -> None:
    """A task's reports in order: progress and completion by its agency, extensions by the
    IOC."""
    for step in plan:
        at = _office_time(end, step["days_before_end"])
        if step["kind"] == "progress":
            tasks.post_progress(
                session, agency, task, percent=step["percent"], note=step["note"], at=at
            )
        elif step["kind"] == "extend":
            new_due = today + timedelta(days=step["new_due"])
            tasks.extend_deadline(
                session, ioc, task, new_due_on=new_due, reason=step["reason"], at=at
            )
        else:
            evidence = tasks.Evidence(link=step["link"])
            tasks.mark_done(session, agency, task, note=step["note"], evidence=evidence, at=at)


def _directive(session: Session, end: datetime) -> int:
    """The smart-city directive and its tasks (``demo.yaml``) at realistic progress around
    ``end``."""
    spec = _DATA["directive"]
    today = end.astimezone(clock.local_zone()).date()
    ioc = tasks.Doer(audit.Actor(None, spec["by"]), "admin")
    directive = tasks.create_directive(
        session,
        ioc,
        number=spec["number"],
        issued_on=date.fromisoformat(spec["issued_on"]),
        issuer=spec["issuer"],
        signer=spec["signer"],
        summary=spec["summary"],
        at=_office_time(end, spec["created_days_before_end"]),
    )
    assigned = _office_time(end, spec["assigned_days_before_end"])
    report_due = _report_due(today, spec["report_due"])
    for item in spec["tasks"]:
        if "due_after_report" in item:
            due = report_due + timedelta(days=item["due_after_report"])
        else:
            due = today + timedelta(days=item["due"])
        task = tasks.assign_task(
            session,
            ioc,
            directive,
            agency_code=item["agency"],
            title=item["title"].replace("{year}", str(report_due.year)),
            due_on=due,
            ref=item["ref"],
            coordinating=item["coordinating"],
            at=assigned,
        )
        agency = _doer(session, item["agency"])
        _follow_plan(session, task, item["plan"], end, today, ioc, agency)
    return len(spec["tasks"])


def load_demo(
    factory: sessionmaker[Session],
    *,
    end: datetime,
    hours: int = 0,
    offset: int = 0,
    progress: Callable[[int], Any] | None = None,
    days: int = 365,
    documents: bool = True,
    **_: Any,
) -> int:
    """Create the demo (idempotent: nothing happens when documents or directives exist);
    returns the number of documents and tasks created. ``documents=False`` makes only the
    directive (fast, for browser tests)."""
    with factory() as session, session.begin():
        if session.execute(select(func.count()).select_from(Directive)).scalar_one():
            return 0
        if session.execute(select(func.count()).select_from(Document)).scalar_one():
            return 0
        created = _directive(session, end)
        if not documents:
            return created
        departments, communes = _agencies(session)
        local_end = end.astimezone(clock.local_zone()).date()
        work_days = _working_days(local_end - timedelta(days=days), local_end)
        rng = random.Random(20221125)  # noqa: S311 - demo data, not secrets
        for agency in departments + communes:
            rows = _documents(agency, rng, work_days, end, agency.kind == "commune_committee")
            for start in range(0, len(rows), 2000):
                session.execute(insert(Document), rows[start : start + 2000])
            created += len(rows)
            if progress is not None:
                progress(len(rows))
        audit.record(
            session, audit.Actor.system("demo"), "doc.demo", "doc_documents", None, created=created
        )
        return created
