"""Recomputing from the stored dossiers: the ``ps_stats`` aggregates in SQL, and every
dossier's derived columns after a calendar or catalogue change."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Integer, Table, case, delete, func, insert, literal, select, update
from sqlalchemy.orm import Session

from ioc.packs.public_services.indices import COUNTER_FIELDS, FINISHED_FIELDS, RECEIVED_FIELDS
from ioc.packs.public_services.ingest.rows import facts_of, workday_math
from ioc.packs.public_services.ingest.store import COMPARED, derived_values, dialect_insert
from ioc.packs.public_services.models import PsDossier, PsProcedure, PsStat
from ioc.packs.public_services.workdays import WorkdayMath

__all__ = ["rebuild_stats", "rederive_all"]


def _flag(condition: Any) -> Any:
    return case((condition, 1), else_=0)


def rebuild_stats(session: Session) -> int:
    """Recompute ``ps_stats`` from the dossiers' stored columns; returns the number of rows.

    Two grouped INSERT…SELECTs inside the database (received-based sums by received month,
    then finished-based sums by finished month, merged on conflict) — no row leaves SQL.
    The incremental path (:func:`apply_deltas`) must always agree with it.
    """
    d = PsDossier
    table = cast(Table, PsStat.__table__)
    session.execute(delete(table))
    keys = (d.agency_code, d.area_code, d.procedure_code)
    key_cols = ["agency_code", "area_code", "procedure_code", "month"]
    received = (
        select(
            *keys,
            d.recv_month,
            func.count(),
            func.sum(_flag(d.channel == "online")),
            func.sum(_flag(d.online_counted.is_(True))),
            func.sum(_flag(d.synced.is_not(None))),
            func.sum(_flag(d.synced.is_(True))),
            func.sum(_flag(d.fee_required.is_(True))),
            func.sum(_flag((d.fee_required.is_(True)) & (d.paid_online.is_(True)))),
            func.sum(_flag(d.reused.is_(True))),
            *[literal(0, Integer) for _ in FINISHED_FIELDS],
        )
        .where(d.counted.is_(True))
        .group_by(*keys, d.recv_month)
    )
    session.execute(insert(table).from_select(key_cols + list(COUNTER_FIELDS), received))
    finished = (
        select(
            *keys,
            d.fin_month,
            *[literal(0, Integer) for _ in RECEIVED_FIELDS],
            func.count(),
            func.sum(_flag(d.on_time.is_(True))),
            func.sum(_flag(d.on_time.is_(False))),
            func.sum(_flag(d.late_reason == "supplements")),
            func.sum(_flag(d.on_time.is_(None))),
            func.sum(_flag(d.result_kind == "electronic")),
            func.sum(_flag((d.digitised.is_(True)) & (d.result_kind == "electronic"))),
            func.sum(_flag(d.complaint.is_(True))),
            func.coalesce(func.sum(d.handling_days), 0),
            func.sum(_flag(d.handling_days.is_not(None))),
        )
        .where(d.counted.is_(True), d.fin_month.is_not(None))
        .group_by(*keys, d.fin_month)
    )
    stmt = dialect_insert(session)(table).from_select(key_cols + list(COUNTER_FIELDS), finished)
    stmt = stmt.on_conflict_do_update(
        index_elements=key_cols,
        set_={name: stmt.excluded[name] for name in FINISHED_FIELDS},
    )
    session.execute(stmt)
    return int(session.execute(select(func.count()).select_from(table)).scalar_one())


def rederive_all(session: Session, math: WorkdayMath | None = None) -> int:
    """Recompute every dossier's derived columns (after a calendar or catalogue change), then
    rebuild the aggregates; returns the number of dossiers whose verdict changed."""
    math = math or workday_math(session)
    procs = {p.code: p for p in session.execute(select(PsProcedure)).scalars()}
    changed: list[dict[str, Any]] = []
    cols = [PsDossier.id] + [getattr(PsDossier, k) for k in COMPARED]
    for row in session.execute(select(*cols)).mappings():
        proc = procs.get(row["procedure_code"])
        facts = facts_of(row, proc)
        new = derived_values(facts, math)
        if any(row[k] != v for k, v in new.items()):
            changed.append({"id": row["id"], **new})
    for i in range(0, len(changed), 5000):
        session.execute(update(PsDossier), changed[i : i + 5000])
    rebuild_stats(session)
    return len(changed)
