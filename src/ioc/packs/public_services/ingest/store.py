"""Storing valid rows: procedures into the catalogue, dossiers upserted by their iGate id
(stale and unchanged states skipped) with the ``ps_stats`` aggregates moved by the difference,
feedback upserted by its id."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from operator import itemgetter, sub
from typing import Any, Final, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from ioc.packs.public_services.indices import (
    COUNTER_FIELDS,
    Counters,
    DossierFacts,
    DossierRow,
    Vector,
    classify,
    contribution_vectors,
    sum_vectors,
)
from ioc.packs.public_services.ingest.report import IngestReport
from ioc.packs.public_services.ingest.rows import DossierIn, Lookups
from ioc.packs.public_services.models import PsDossier, PsFeedback, PsProcedure, PsStat
from ioc.packs.public_services.workdays import WorkdayMath

__all__ = [
    "COMPARED",
    "apply_deltas",
    "derived_values",
    "dialect_insert",
    "dossier_row",
    "store_dossiers",
    "store_feedback",
    "store_procedure",
]

CHUNK: Final = 500


def store_procedure(session: Session, values: dict[str, Any], lk: Lookups) -> None:
    """Add a procedure to the catalogue, or update the attributes the row declares."""
    existing = lk.procedures.get(values["code"])
    if existing is None:
        proc = PsProcedure(
            code=values["code"],
            name=values["name"],
            field=values["field"],
            level=values["level"],
            time_limit_days=values["time_limit_days"],
            online=values["online"],
            has_fee=values["has_fee"],
            payment_integrated=values["payment_integrated"],
            paper_result=values["paper_result"],
            active=True if values["active"] is None else values["active"],
            updated_at=lk.now,
        )
        session.add(proc)
        lk.procedures[proc.code] = proc
        return
    for key, value in values.items():
        if key != "code" and value is not None and getattr(existing, key) != value:
            setattr(existing, key, value)
            existing.updated_at = lk.now


def catalogue_new_procedures(session: Session, items: list[DossierIn], lk: Lookups) -> None:
    """A procedure first seen on a dossier joins the catalogue with its name only; its
    attributes (online level, fees …) stay undeclared until a "procedures" row says."""
    for item in items:
        code = item.values["procedure_code"]
        if code not in lk.procedures:
            store_procedure(
                session,
                {"code": code, "name": item.values["procedure_name"], "field": "",
                 "level": None, "time_limit_days": None, "online": None, "has_fee": None,
                 "payment_integrated": None, "paper_result": None, "active": None},
                lk,
            )  # fmt: skip


_row_values = itemgetter(*DossierRow._fields)


def dossier_row(values: Mapping[str, Any]) -> DossierRow:
    """The contribution-relevant columns of a stored (or about to be stored) dossier."""
    return DossierRow._make(_row_values(values))


def derived_values(facts: DossierFacts, math: WorkdayMath) -> dict[str, Any]:
    """The derived columns of a dossier (``indices.classify``; its fields are the columns)."""
    return classify(facts, math)._asdict()


StatKey = tuple[str, str, str, int]
Grouped = dict[StatKey, list[Vector]]
"""Count vectors filed under the ``ps_stats`` row they belong to."""

_owner_values = itemgetter("agency_code", "area_code", "procedure_code")


def _collect(groups: Grouped, values: Mapping[str, Any]) -> None:
    """File one dossier state's contributions under their ``ps_stats`` rows."""
    agency, area, proc = _owner_values(values)
    for month, counts in contribution_vectors(dossier_row(values)):
        key = (agency, area, proc, month)
        found = groups.get(key)
        if found is None:
            groups[key] = [counts]
        else:
            found.append(counts)


_ZERO: Final = sum_vectors(())


def _total(vectors: list[Vector] | None) -> Vector:
    """The sum of ``vectors`` (most rows of a batch get one: no new tuple then)."""
    if not vectors:
        return _ZERO
    return vectors[0] if len(vectors) == 1 else sum_vectors(vectors)


def _net(added: Grouped, removed: Grouped) -> dict[StatKey, Vector]:
    """Per touched ``ps_stats`` row: what the new states add minus what the old states
    contributed, one column-wise sum per row; rows whose net change is zero are left out
    (a dossier that moved within its row writes nothing). Keys are sorted so concurrent
    batches lock the rows they share in the same order."""
    out: dict[StatKey, Vector] = {}
    for key in sorted(added.keys() | removed.keys()):
        plus, minus = _total(added.get(key)), _total(removed.get(key))
        net = plus if minus is _ZERO else tuple(map(sub, plus, minus))
        if net != _ZERO:
            out[key] = net
    return out


COMPARED: Final = (
    "procedure_code",
    "procedure_name",
    "agency_code",
    "area_code",
    "channel",
    "status",
    "received_at",
    "due_at",
    "time_limit_days",
    "finished_at",
    "supplement_count",
    "supplement_days",
    "supplement_open",
    "result_kind",
    "fee_required",
    "paid_online",
    "digitised",
    "reused",
    "synced",
    "feedback",
    "rating",
    "counted",
    "recv_month",
    "fin_month",
    "effective_due_at",
    "on_time",
    "late_reason",
    "handling_days",
    "online_counted",
    "complaint",
    "is_open",
)


_compared = itemgetter(*COMPARED)
_EXISTING_CHUNK: Final = 2000


def _existing(session: Session, codes: list[str], lock: bool) -> dict[str, dict[str, Any]]:
    """The stored state of the dossiers among ``codes``, by code (rows zipped into dicts,
    cheaper than mapping each row; chunks of 2,000 codes stay under every driver's limit
    on bound parameters)."""
    names = ("id", "code", "source_updated_at", *COMPARED)
    cols = [getattr(PsDossier, k) for k in names]
    out: dict[str, dict[str, Any]] = {}
    for i in range(0, len(codes), _EXISTING_CHUNK):
        stmt = select(*cols).where(PsDossier.code.in_(codes[i : i + _EXISTING_CHUNK]))
        if lock:
            stmt = stmt.with_for_update()
        for row in session.connection().execute(stmt):
            out[row[1]] = dict(zip(names, row, strict=True))
    return out


def dialect_insert(session: Session) -> Any:
    """The database's INSERT with ``ON CONFLICT`` (PostgreSQL or SQLite)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


_STAT_COLUMNS: Final = ("agency_code", "area_code", "procedure_code", "month", *COUNTER_FIELDS)


def apply_deltas(session: Session, deltas: Mapping[StatKey, Counters]) -> None:
    """Add ``deltas`` to ``ps_stats`` (insert missing rows), one statement per chunk."""
    vectors = {key: _counts_of(c) for key, c in deltas.items() if not c.is_zero()}
    _upsert_stats(session, vectors)


def _counts_of(counters: Counters) -> Vector:
    return tuple(getattr(counters, name) for name in COUNTER_FIELDS)


def _upsert_stats(session: Session, deltas: Mapping[StatKey, Vector]) -> None:
    """Add count vectors to ``ps_stats`` rows (missing rows inserted), by chunks of 2,000."""
    rows = [dict(zip(_STAT_COLUMNS, key + counts, strict=True)) for key, counts in deltas.items()]
    if not rows:
        return
    table = cast(Table, PsStat.__table__)
    stmt = dialect_insert(session)(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=["agency_code", "area_code", "procedure_code", "month"],
        set_={name: table.c[name] + stmt.excluded[name] for name in COUNTER_FIELDS},
    )
    for i in range(0, len(rows), 2000):
        session.execute(stmt, rows[i : i + 2000])


_by_id = itemgetter("_id")


def _write_updates(session: Session, updates: list[dict[str, Any]]) -> None:
    """One executemany UPDATE per set of changed columns (Core, by primary key)."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in updates:
        groups[tuple(sorted(row))].append(row)
    table = cast(Table, PsDossier.__table__)
    for keys, rows in groups.items():
        rows.sort(key=_by_id)  # rowid order: neighbouring rows share pages
        stmt = (
            update(table)
            .where(table.c.id == bindparam("_id"))
            .values({k: bindparam(k) for k in keys if k != "_id"})
        )
        session.execute(stmt, rows)


def store_dossiers(
    session: Session, items: list[DossierIn], lk: Lookups, report: IngestReport
) -> None:
    """Upsert the batch's dossiers (the latest row of an id wins; a state older than the
    stored one is stale) and move the aggregates by the difference."""
    latest: dict[str, DossierIn] = {}
    for item in items:
        prev = latest.get(item.code)
        if (
            prev is not None
            and prev.source_updated_at is not None
            and item.source_updated_at is not None
            and item.source_updated_at < prev.source_updated_at
        ):
            report.stale += 1
            continue
        if prev is not None:
            report.unchanged += 1  # superseded by a later row of the same batch
        latest[item.code] = item
    lock = session.get_bind().dialect.name == "postgresql"
    existing = _existing(session, list(latest), lock)
    added: Grouped = {}
    removed: Grouped = {}
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for code, item in latest.items():
        new = item.values | derived_values(item.facts, lk.math)
        old = existing.get(code)
        if old is not None:
            if (
                item.source_updated_at is not None
                and old["source_updated_at"] is not None
                and item.source_updated_at < old["source_updated_at"]
            ):
                report.stale += 1
                continue
            before, after = _compared(old), _compared(new)
            if before == after:
                report.unchanged += 1
                continue
            _collect(removed, old)
            # Only the changed columns are written: fewer index entries to maintain.
            changed = {k: b for k, a, b in zip(COMPARED, before, after, strict=True) if a != b}
            updated_at = item.source_updated_at or old["source_updated_at"]
            if updated_at != old["source_updated_at"]:
                changed["source_updated_at"] = updated_at
            changed["updated_at"] = lk.now
            changed["_id"] = old["id"]
            updates.append(changed)
            new["source_updated_at"] = updated_at
        else:
            new["code"] = code
            new["source_updated_at"] = item.source_updated_at
            new["updated_at"] = lk.now
            inserts.append(new)
        _collect(added, new)
    for i in range(0, len(inserts), 5000):
        session.execute(insert(PsDossier), inserts[i : i + 5000])
    _write_updates(session, updates)
    _upsert_stats(session, _net(added, removed))
    report.inserted += len(inserts)
    report.updated += len(updates)


def store_feedback(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert new feedback rows, update known ones (by their id)."""
    by_code = {r["code"]: r for r in rows}
    codes = list(by_code)
    existing: dict[str, int] = {}
    for i in range(0, len(codes), CHUNK):
        for code, id_ in session.execute(
            select(PsFeedback.code, PsFeedback.id).where(PsFeedback.code.in_(codes[i : i + CHUNK]))
        ):
            existing[code] = id_
    new = [r for c, r in by_code.items() if c not in existing]
    old = [{**r, "id": existing[c]} for c, r in by_code.items() if c in existing]
    if new:
        session.execute(insert(PsFeedback), new)
    if old:
        session.execute(update(PsFeedback), old)
