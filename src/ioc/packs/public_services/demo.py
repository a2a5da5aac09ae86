"""Demo dossiers: about a year of iGate records across the departments and the 102 communes.

Procedures are real Vietnamese administrative procedures (đăng ký kinh doanh, giấy phép xây
dựng, chứng thực, hộ tịch, đất đai …) with their usual time limits; the catalogue attributes
(online level, fees, payment integration) and every rate are invented for the demo. Three
departments and a few communes are visibly slower, so rankings spread and the early warning
has content. Rows are generated with the pack's own rules (``indices.classify``) and written
with bulk inserts, then the aggregates are rebuilt in SQL — fast enough for ``make demo``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from datetime import datetime, time, timedelta
from importlib import resources
from typing import Any, Final

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from ioc.core import audit, yaml_text
from ioc.core.calendar import load_calendar
from ioc.core.models import Agency, Area
from ioc.packs.public_services.indices import DossierFacts
from ioc.packs.public_services.ingest import derived_values, rebuild_stats
from ioc.packs.public_services.models import PsDossier, PsFeedback, PsProcedure
from ioc.packs.public_services.workdays import WorkdayMath

__all__ = ["DEMO_PROCEDURES", "DemoProcedure", "generate", "load_demo"]


@dataclass(frozen=True)
class DemoProcedure:
    """A procedure of the demo catalogue: who handles it and how it behaves."""

    code: str
    name: str
    field: str
    level: str  # province | commune
    agency: str | None  # department code; None for commune procedures
    limit: int  # working days
    online: str
    has_fee: bool
    payment: bool
    paper: bool
    weight: int  # relative volume


# The demo catalogue (``demo.yaml``): real procedures, invented attributes and volumes.
DEMO_PROCEDURES: Final[tuple[DemoProcedure, ...]] = tuple(
    DemoProcedure(**item)
    for item in yaml_text.load(
        resources.files("ioc.packs.public_services").joinpath("demo.yaml").read_text("utf-8")
    )["procedures"]
)

# Slower units: (late share of finished dossiers, share left open past the deadline).
SLOW_AGENCIES: Final = {
    "so-xay-dung": 0.22,
    "so-nong-nghiep-moi-truong": 0.30,
    "so-y-te": 0.15,
}
SLOW_COMMUNE_SHARE: Final = 0.06  # of communes, chosen by a fixed seed
DEMO_SEED: Final = 766
ACTOR = audit.Actor.system("demo")


@dataclass(frozen=True)
class Unit:
    """One agency that receives dossiers, with its communes and behaviour."""

    agency: str
    areas: tuple[str, ...]
    procedures: tuple[DemoProcedure, ...]
    monthly: float  # dossiers per month at scale 1
    late: float
    online: float
    e_result: float
    digitised: float


def _units(session: Session, rng: random.Random) -> list[Unit]:
    communes = sorted(
        session.execute(
            select(Area.code).where(Area.valid_to.is_(None), Area.level.in_(("commune", "ward")))
        ).scalars()
    )
    agencies = set(session.execute(select(Agency.code).where(Agency.valid_to.is_(None))).scalars())
    commune_procs = tuple(p for p in DEMO_PROCEDURES if p.level == "commune")
    units: list[Unit] = []
    by_dept: dict[str, list[DemoProcedure]] = {}
    for p in DEMO_PROCEDURES:
        if p.agency is not None and p.agency in agencies:
            by_dept.setdefault(p.agency, []).append(p)
    for dept, procs in sorted(by_dept.items()):
        late = SLOW_AGENCIES.get(dept, rng.uniform(0.005, 0.04))
        units.append(
            Unit(
                dept,
                tuple(communes),
                tuple(procs),
                40.0 * sum(p.weight for p in procs) / 4,
                late,
                rng.uniform(0.45, 0.85),
                rng.uniform(0.55, 0.9),
                rng.uniform(0.5, 0.85),
            )
        )
    slow = set(rng.sample(communes, max(1, int(len(communes) * SLOW_COMMUNE_SHARE))))
    for code in communes:
        agency = f"ubnd-{code}"
        if agency not in agencies:
            continue
        units.append(
            Unit(
                agency,
                (code,),
                commune_procs,
                rng.uniform(25, 60),
                rng.uniform(0.12, 0.25) if code in slow else rng.uniform(0.0, 0.035),
                rng.uniform(0.3, 0.7),
                rng.uniform(0.6, 0.95),
                rng.uniform(0.55, 0.9),
            )
        )
    return units


def _working_moment(rng: random.Random, day: datetime, math: WorkdayMath) -> datetime:
    minutes = rng.randint(7 * 60 + 30, 16 * 60 + 45)
    local = datetime.combine(day.date(), time(minutes // 60, minutes % 60), tzinfo=math.zone)
    return local


def generate(
    units: list[Unit],
    start: datetime,
    end: datetime,
    math: WorkdayMath,
    rng: random.Random,
    scale: float = 1.0,
    paper: dict[str, bool] | None = None,
) -> Iterator[dict[str, Any]]:
    """Dossier rows (input and derived columns) received between ``start`` and ``end``."""
    days: list[datetime] = []
    day = start.astimezone(math.zone).replace(hour=0, minute=0, second=0, microsecond=0)
    while day < end:
        if math.is_working(day.date()):
            days.append(day)
        day += timedelta(days=1)
    if not days:
        return
    seq = 0
    for unit in units:
        per_day = unit.monthly * scale / 21.0
        weights = [p.weight for p in unit.procedures]
        for day in days:
            n = _poisson(rng, per_day)
            for _ in range(n):
                seq += 1
                proc = rng.choices(unit.procedures, weights)[0]
                received = _working_moment(rng, day, math).astimezone(end.tzinfo)
                if received >= end:
                    continue
                yield _dossier(seq, unit, proc, received, end, math, rng, paper)


def _poisson(rng: random.Random, mean: float) -> int:
    # Normal approximation is fine for the demo's means (tens per day); small means exactly.
    if mean < 30:
        limit, k, p = pow(2.718281828459045, -mean), 0, 1.0
        while True:
            p *= rng.random()
            if p <= limit:
                return k
            k += 1
    return max(0, round(rng.gauss(mean, mean**0.5)))


# The facts of a dossier that are its stored input columns as they are.
_FACT_COLUMNS: Final = tuple(
    f.name
    for f in fields(DossierFacts)
    if f.name not in ("time_limit_days", "paper_result_procedure")
)


def _supplement_waits(
    proc: DemoProcedure, received: datetime, end: datetime, math: WorkdayMath, rng: random.Random
) -> tuple[int, list[tuple[datetime, datetime]], int, bool]:
    """Supplement requests: how many, their (asked, supplied) times, the working days waited
    before ``end`` and whether one is still open at ``end``."""
    supplements = 0
    s_days = 0
    s_open = False
    roll = rng.random()
    if roll < 0.015:
        supplements = 2
    elif roll < 0.09:
        supplements = 1
    waits: list[tuple[datetime, datetime]] = []
    cursor = received
    for _ in range(supplements):
        asked = math.add(cursor, rng.randint(0, max(1, proc.limit // 2)))
        supplied = math.add(asked, rng.randint(1, 6))
        waits.append((asked, supplied))
        cursor = supplied
    for asked, supplied in waits:
        if supplied > end:
            s_open = asked <= end
            break
        s_days += math.between(asked, supplied)
    return supplements, waits, s_days, s_open


def _finish_time(
    unit: Unit,
    received: datetime,
    effective: datetime,
    waits: list[tuple[datetime, datetime]],
    math: WorkdayMath,
    rng: random.Random,
) -> datetime:
    """When the dossier is (or will be) finished: late for the unit's late share."""
    if rng.random() < unit.late:
        finished = math.add(effective, rng.randint(1, 12)) + timedelta(minutes=rng.randint(0, 300))
    else:
        span = max(60.0, (effective - received).total_seconds())
        finished = received + timedelta(seconds=span * rng.uniform(0.15, 0.98))
    if waits and finished < waits[-1][1]:
        finished = waits[-1][1] + timedelta(hours=rng.randint(1, 30))
    return finished


def _status(
    finished: datetime, end: datetime, s_open: bool, rng: random.Random
) -> tuple[str, datetime | None]:
    """The status at ``end`` and the finished time if finished by then."""
    open_ = finished > end or s_open
    if rng.random() < 0.004:
        return "withdrawn", None
    if open_:
        return ("supplement" if s_open else "processing"), None
    return ("returned" if rng.random() < 0.8 else "finished"), finished


def _dossier(
    seq: int,
    unit: Unit,
    proc: DemoProcedure,
    received: datetime,
    end: datetime,
    math: WorkdayMath,
    rng: random.Random,
    paper: dict[str, bool] | None,
) -> dict[str, Any]:
    r = rng.random
    online_share = unit.online if proc.online != "none" else 0.0
    channel = "online" if r() < online_share else ("post" if r() < 0.04 else "direct")
    due: datetime | None = math.add(received, proc.limit)
    limit: int | None = None
    if r() < 0.02:  # iGate rows without a promised date: the procedure's limit applies
        due, limit = None, proc.limit
    supplements, waits, s_days, s_open = _supplement_waits(proc, received, end, math, rng)
    effective = math.add(due if due is not None else received, (limit or 0) + s_days)
    finished = _finish_time(unit, received, effective, waits, math, rng)
    status, finished_at = _status(finished, end, s_open, rng)
    result = None
    if finished_at is not None:
        result = "electronic" if r() < unit.e_result else "paper"
    fee = proc.has_fee
    paid = fee and ((channel == "online" and r() < 0.7) or r() < 0.08)
    dislike = r() < 0.012
    values: dict[str, Any] = {
        "code": f"H66.{received.year % 100:02d}{received.month:02d}{received.day:02d}-{seq:07d}",
        "procedure_code": proc.code,
        "procedure_name": proc.name,
        "agency_code": unit.agency,
        "area_code": rng.choice(unit.areas),
        "channel": channel,
        "status": status,
        "received_at": received,
        "due_at": due,
        "time_limit_days": limit,
        "finished_at": finished_at,
        "supplement_count": supplements if not s_open else len([w for w in waits if w[0] <= end]),
        "supplement_days": s_days,
        "supplement_open": s_open and finished_at is None,
        "result_kind": result,
        "fee_required": fee,
        "paid_online": paid,
        "digitised": r() < unit.digitised,
        "reused": r() < 0.35,
        "synced": r() < 0.97,
        "feedback": r() < 0.006,
        "rating": "dislike" if dislike else ("like" if r() < 0.2 else None),
        "source_updated_at": finished_at or received,
        "updated_at": end,
    }
    facts = DossierFacts(
        **{name: values[name] for name in _FACT_COLUMNS},
        time_limit_days=limit if limit is not None else proc.limit,
        paper_result_procedure=(paper or {}).get(proc.code, proc.paper),
    )
    values.update(derived_values(facts, math))
    return values


def procedure_rows(now: datetime) -> list[dict[str, Any]]:
    """The demo catalogue as ``ps_procedures`` rows."""
    return [
        {
            "code": p.code,
            "name": p.name,
            "field": p.field,
            "level": p.level,
            "time_limit_days": p.limit,
            "online": p.online,
            "has_fee": p.has_fee,
            "payment_integrated": p.payment if p.has_fee else None,
            "paper_result": p.paper,
            "active": True,
            "updated_at": now,
        }
        for p in DEMO_PROCEDURES
    ]


def _feedback(
    units: list[Unit], start: datetime, end: datetime, math: WorkdayMath, rng: random.Random
) -> list[dict[str, Any]]:
    out = []
    span = (end - start).total_seconds()
    n = 0
    for unit in units:
        for _ in range(_poisson(rng, 2 + 30 * unit.late)):
            n += 1
            received = start + timedelta(seconds=rng.uniform(0, span))
            due = math.add(received, 15)
            handled: datetime | None = received + timedelta(days=rng.uniform(1, 30))
            if handled is not None and handled > end:
                handled = None
            local = received.astimezone(math.zone)
            out.append(
                {
                    "code": f"PAKN-{n:05d}",
                    "dossier_code": None,
                    "agency_code": unit.agency,
                    "area_code": rng.choice(unit.areas),
                    "received_at": received,
                    "handled_at": handled,
                    "due_at": due,
                    "disliked": rng.random() < 0.15,
                    "recomplained": rng.random() < 0.05,
                    "recv_month": local.year * 100 + local.month,
                    "updated_at": end,
                }
            )
    return out


def load_demo(
    factory: sessionmaker[Session],
    *,
    end: datetime,
    hours: int,
    offset: int = 0,
    progress: Callable[[int], None] | None = None,
    scale: float = 1.0,
    **_: Any,
) -> int:
    """Fill the pack's tables with demo dossiers received in the ``hours`` before ``end``
    (idempotent: nothing happens when dossiers exist); returns the number of dossiers."""
    with factory() as session, session.begin():
        if session.execute(select(func.count()).select_from(PsDossier)).scalar_one():
            return 0
        rng = random.Random(DEMO_SEED)  # noqa: S311 - demo data, not security
        math = WorkdayMath(load_calendar(session))
        existing = set(session.execute(select(PsProcedure.code)).scalars())
        rows = [r for r in procedure_rows(end) if r["code"] not in existing]
        if rows:
            session.execute(insert(PsProcedure), rows)
        units = _units(session, rng)
        start = end - timedelta(hours=hours)
        total = 0
        batch: list[dict[str, Any]] = []
        for row in generate(units, start, end, math, rng, scale):
            batch.append(row)
            if len(batch) >= 20_000:
                session.execute(insert(PsDossier), batch)
                total += len(batch)
                batch = []
                if progress is not None:
                    progress(total)
        if batch:
            session.execute(insert(PsDossier), batch)
            total += len(batch)
        fb = _feedback(units, start, end, math, rng)
        if fb:
            session.execute(insert(PsFeedback), fb)
        rebuild_stats(session)
        audit.record(session, ACTOR, "ps.demo", "ps_batch", None, dossiers=total, feedback=len(fb))
    if progress is not None:
        progress(total)
    return total
