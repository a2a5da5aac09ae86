"""Ingest one batch of observations: validate, store, report (Tiếp nhận dữ liệu quan trắc)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import audit, clock, metrics, partitions
from ioc.core.models import Area, Entity, IdempotencyRecord, Indicator
from ioc.core.registry import Registry, UnitConverter
from ioc.core.series import SeriesResolver, write_observations
from ioc.engines.ingestion.parse import RawRow, gc_paused
from ioc.engines.ingestion.validate import Lookups, RowError, validate_rows


def rejected_rows(errors: Iterable[RowError]) -> int:
    """How many rows ``errors`` refuse (a row with several errors counts once)."""
    return len({e.row for e in errors})


@dataclass
class IngestReport:
    """What happened to a batch. ``stored`` rows are committed; ``errors`` rows are not."""

    received: int
    stored: int
    atomic: bool
    errors: list[RowError] = field(default_factory=list)
    # Rows stored but replaced by a later row of the same batch (same series and time).
    warnings: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every row was valid."""
        return not self.errors

    @property
    def rejected(self) -> int:
        """How many rows were refused."""
        return rejected_rows(self.errors)

    def as_dict(self) -> dict[str, Any]:
        """The JSON body returned to the sender."""
        return {
            "received": self.received,
            "stored": self.stored,
            "rejected": self.rejected,
            "mode": "atomic" if self.atomic else "partial",
            "errors": [e.as_dict() for e in self.errors[:1000]],
            "errors_truncated": len(self.errors) > 1000,
            "duplicates": len(self.warnings),
            "warnings": [w.as_dict() for w in self.warnings[:1000]],
        }


# What validation reads of the catalog, as plain rows (no ORM objects): every indicator column,
# the active entities' codes and the area codes.
_INDICATOR_ROWS = select(*Indicator.__table__.columns).order_by(Indicator.id)
_ENTITY_CODES = select(Entity.code).where(Entity.active)
_AREA_CODES = select(Area.code)


@dataclass(frozen=True)
class _Catalog:
    """The catalog rows a :class:`Lookups` was built from, and what was built from them."""

    registry: Registry
    indicator_rows: Sequence[Any]
    entity_codes: set[str]
    area_codes: set[str]
    indicators: dict[str, Indicator]
    converters: dict[str, UnitConverter]


# The catalog of the last batch. Each batch still reads the rows (an indicator edited, an
# entity added or deactivated, by any process, is seen by the next batch); only when they equal
# these are the indicator objects and code sets reused instead of built again.
_last_catalog: _Catalog | None = None


def _catalog(session: Session, registry: Registry) -> _Catalog:
    """The catalog as it is in ``session``'s database now."""
    global _last_catalog
    indicator_rows = session.execute(_INDICATOR_ROWS).all()
    entity_codes = set(session.execute(_ENTITY_CODES).scalars())
    area_codes = set(session.execute(_AREA_CODES).scalars())
    last = _last_catalog
    if (
        last is not None
        and last.registry is registry
        and last.indicator_rows == indicator_rows
        and last.entity_codes == entity_codes
        and last.area_codes == area_codes
    ):
        return last
    # Transient copies, bound to no session: a batch's commit or rollback never expires them.
    indicators = {row.code: Indicator(**row._asdict()) for row in indicator_rows}
    converters = {p.name: p.unit_converter for p in registry.packs if p.unit_converter is not None}
    built = _Catalog(registry, indicator_rows, entity_codes, area_codes, indicators, converters)
    _last_catalog = built  # one assignment: concurrent batches see the old or the new whole
    return built


def load_lookups(session: Session, registry: Registry) -> Lookups:
    """Indicators, entity codes, area codes and unit converters for validating a batch."""
    catalog = _catalog(session, registry)
    # Retention drops raw partitions, on a partitioned PostgreSQL database only (ioc db
    # partition); elsewhere every reading is kept, so none is refused for its age.
    postgres = session.get_bind().dialect.name == "postgresql"
    earliest = partitions.ingest_horizon(clock.now()) if postgres else None
    if earliest is not None and not partitions.is_partitioned(session.connection()):
        earliest = None
    return Lookups(
        catalog.indicators,
        catalog.entity_codes,
        catalog.area_codes,
        catalog.converters,
        earliest,
    )


def ingest(
    session: Session,
    rows: list[RawRow],
    *,
    registry: Registry,
    offset: int,
    atomic: bool = False,
    lookups: Lookups | None = None,
    actor: audit.Actor | None = None,
    source: str = "api",
) -> IngestReport:
    """Validate and store ``rows`` in the caller's transaction.

    Partial mode (default) stores every valid row and lists the bad ones; atomic mode stores
    nothing when any row is bad. The caller commits.
    """
    lookups = lookups or load_lookups(session, registry)
    with gc_paused():
        return _ingest(session, rows, lookups, offset, atomic, actor, source)


def _ingest(
    session: Session,
    rows: list[RawRow],
    lookups: Lookups,
    offset: int,
    atomic: bool,
    actor: audit.Actor | None,
    source: str,
) -> IngestReport:
    checked = validate_rows(rows, lookups, SeriesResolver(session))
    report = IngestReport(
        received=len(rows),
        stored=0,
        atomic=atomic,
        errors=checked.errors,
        warnings=checked.duplicates(),
    )
    if atomic and checked.errors:
        metrics.ingested(source, rejected=report.rejected)
        return report
    result = write_observations(session, checked.rows, checked.label_end, offset)
    report.stored = result.stored
    metrics.ingested(source, stored=report.stored, rejected=report.rejected)
    audit_batch(
        session,
        actor,
        source,
        received=report.received,
        stored=report.stored,
        rejected=report.rejected,
    )
    return report


def audit_batch(
    session: Session,
    actor: audit.Actor | None,
    source: str,
    *,
    received: int,
    stored: int,
    rejected: int,
) -> None:
    """One audit row per batch (not per value): who sent how much, through which door
    (``source``); nothing without an actor."""
    if actor is None:
        return
    audit.record(
        session,
        actor,
        "observations.ingest",
        "batch",
        None,
        source=source,
        received=received,
        stored=stored,
        rejected=rejected,
    )


def body_hash(body: bytes) -> str:
    """SHA-256 of a request body, to tell a retry from a different request under the same key."""
    return hashlib.sha256(body).hexdigest()


def find_idempotent(session: Session, token_id: int, key: str) -> IdempotencyRecord | None:
    """A previously processed request with this key from this token."""
    return session.execute(
        select(IdempotencyRecord).where(
            IdempotencyRecord.token_id == token_id, IdempotencyRecord.key == key
        )
    ).scalar_one_or_none()


def remember_idempotent(
    session: Session,
    token_id: int,
    key: str,
    request_hash: str,
    status_code: int,
    response: dict[str, Any],
) -> None:
    """Store the response of a processed request in the same transaction as its data."""
    session.add(
        IdempotencyRecord(
            token_id=token_id,
            key=key,
            request_hash=request_hash,
            status_code=status_code,
            response=response,
            created_at=clock.now(),
        )
    )
