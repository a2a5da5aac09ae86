"""The one action that stores a batch (API, import page, demo): owner check, validation row
by row, storage and one audit row, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import audit
from ioc.core.ownership import NotYourData, WriteScope
from ioc.engines.actions_kit import chunks, refuse_foreign, same_named
from ioc.engines.ingestion.parse import gc_paused
from ioc.packs.public_services.ingest import rows
from ioc.packs.public_services.ingest.fields import Invalid, get, id_of
from ioc.packs.public_services.ingest.report import IngestReport, RowProblem
from ioc.packs.public_services.ingest.store import (
    CHUNK,
    catalogue_new_procedures,
    store_dossiers,
    store_feedback,
    store_procedure,
)
from ioc.packs.public_services.models import PsDossier
from ioc.packs.public_services.workdays import WorkdayMath

__all__ = ["check_owners", "ingest_batch"]

T = TypeVar("T")


def check_owners(
    session: Session,
    scope: WriteScope,
    *,
    procedures: Sequence[Any] = (),
    dossiers: Sequence[Any] = (),
    feedback: Sequence[Any] = (),
) -> None:
    """Raise :class:`NotYourData` when the batch touches data the caller does not own: a
    dossier or feedback row naming another agency (or, for commune staff, another commune),
    an existing dossier of another owner (a row may not take it over), or the procedure
    catalogue, which every agency's scores depend on and only province-wide callers change."""
    if scope.everything:
        return
    if procedures:
        raise NotYourData(
            "Chỉ Trung tâm IOC được cập nhật danh mục thủ tục",
            "only the province's operations centre may change the procedure catalogue",
            owners=["procedures"],
        )
    refused: set[str] = set()
    codes: list[str] = []
    for row in [*dossiers, *feedback]:
        if not isinstance(row, Mapping):
            continue  # reported by validation
        agency = get(row, "agency", "agency_code")
        area = get(row, "area", "area_code", "commune")
        if not scope.may_owner(
            None if agency is None else str(agency), None if area is None else str(area)
        ):
            refused.add(str(agency or area or id_of(row)))
    for row in dossiers:
        code = id_of(row) if isinstance(row, Mapping) else None
        if code:
            codes.append(code)
    for chunk in chunks(codes, CHUNK):
        found = session.execute(
            select(PsDossier.code, PsDossier.agency_code, PsDossier.area_code).where(
                PsDossier.code.in_(chunk)
            )
        )
        for code, agency, area in found:
            if not scope.may_owner(agency, area or None):
                refused.add(f"{code} ({agency})")
    refuse_foreign(refused, "hồ sơ", "dossiers")


def _validated(
    section: str,
    items: Sequence[Any],
    parse: Callable[[Mapping[str, Any], rows.Lookups], T],
    lk: rows.Lookups,
    report: IngestReport,
    numbers: Sequence[int] | None = None,
) -> list[T]:
    """The valid rows of one section; each invalid one is reported with its number (as the
    user sees it, or 1, 2, … within the section) and id."""
    valid: list[T] = []
    for i, row in enumerate(items):
        number = numbers[i] if numbers is not None else i + 1
        report.received[section] += 1
        try:
            if not isinstance(row, Mapping):
                raise Invalid("", "mỗi dòng phải là đối tượng JSON", "each row must be an object")
            valid.append(parse(row, lk))
        except Invalid as exc:
            report.errors.append(
                RowProblem(section, number, id_of(row), exc.field, exc.message, exc.en)
            )
    return valid


def ingest_batch(
    session: Session,
    actor: audit.Actor,
    *,
    procedures: Sequence[Mapping[str, Any]] = (),
    dossiers: Sequence[Mapping[str, Any]] = (),
    feedback: Sequence[Mapping[str, Any]] = (),
    atomic: bool = False,
    row_numbers: Sequence[int] | None = None,
    source: str = "api",
    math: WorkdayMath | None = None,
    scope: WriteScope | None = None,
) -> IngestReport:
    """Validate and store one batch (procedures first, then dossiers, then feedback).

    ``row_numbers`` gives each dossier's number as the user sees it (spreadsheet rows);
    by default rows are numbered from 1 within their section. ``scope`` (default: every
    owner) is checked first: a batch touching another owner's data raises
    :class:`NotYourData` and stores nothing.
    """
    if scope is not None:
        check_owners(session, scope, procedures=procedures, dossiers=dossiers, feedback=feedback)
    report = IngestReport(atomic=atomic)
    lk = rows.lookups(session, math)
    # Atomic batches run in a savepoint: procedures are stored before the dossiers that name
    # them are validated, and all of it goes if any row is invalid.
    savepoint = session.begin_nested() if atomic else None
    procs = _validated("procedures", procedures, rows.procedure, lk, report)
    for values in procs:
        store_procedure(session, values, lk)
    report.procedures = len(procs)
    session.flush()
    with gc_paused():
        items = _validated("dossiers", dossiers, rows.dossier, lk, report, row_numbers)
        fb_rows = _validated("feedback", feedback, rows.feedback, lk, report)
    if savepoint is not None and report.errors:
        savepoint.rollback()
        report.procedures = 0
        return report
    catalogue_new_procedures(session, items, lk)
    with gc_paused():
        store_dossiers(session, items, lk, report)
    if fb_rows:
        store_feedback(session, fb_rows)
        report.feedback = len(fb_rows)
    session.flush()
    audit.record(
        session,
        actor,
        "ps.ingest",
        "ps_batch",
        None,
        source=source,
        **same_named(report, "inserted updated unchanged stale"),
        rejected=len(report.errors),
        **same_named(report, "procedures feedback"),
    )
    if savepoint is not None:
        savepoint.commit()
    return report
