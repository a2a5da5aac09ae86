"""Writing entities: create, replace and upsert, one entity or a batch."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ioc.core import audit
from ioc.core.entities import EntityError, load_entities, upsert_entity
from ioc.core.models import Entity, Indicator, Series
from ioc.core.ownership import WriteScope
from ioc.core.registry import Registry
from ioc.core.series import SeriesInfo, SeriesResolver, write_observations
from ioc.engines import geo
from ioc.engines.ingestion.parse import RawRow
from ioc.engines.ingestion.service import audit_batch, load_lookups, rejected_rows
from ioc.engines.ingestion.validate import Lookups, validate_rows
from ioc.engines.ngsi_ld.entities.incoming import Incoming, parse_entity
from ioc.engines.ngsi_ld.entities.refs import Ref, _allocate_code, lookup_many
from ioc.engines.ngsi_ld.entities.terms import DEFAULT_TENANT, META, Mode, now_ts
from ioc.engines.ngsi_ld.models import NgsiAttrValue, NgsiEntity
from ioc.engines.ngsi_ld.problems import NgsiError, problem

# --------------------------------------------------------------------------- writing


@dataclass
class Change:
    """An entity a write created, changed or deleted (for subscriptions)."""

    id: str
    type: str
    attrs: list[str]
    deleted: bool = False


@dataclass
class BatchResult:
    """Outcome of a write: ids created, ids updated, per-entity errors (ProblemDetails)."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    stored: int = 0
    # Entities refused because they belong to another owner (the web layer audits them).
    denied: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)

    def fail(self, entity_id: Any, error: dict[str, Any]) -> None:
        """Record a failed entity."""
        self.errors.append(
            {"entityId": entity_id if isinstance(entity_id, str) else "", "error": error}
        )


class _DryResolver(SeriesResolver):
    """Validation without creating series (a refused entity must leave nothing behind)."""

    def get(self, indicator: Indicator, subject_kind: str, subject_code: str) -> SeriesInfo:
        return SeriesInfo(0, indicator.code, subject_kind, subject_code, False)


def write_entities(
    session: Session,
    docs: list[Any],
    registry: Registry,
    *,
    mode: Mode,
    offset: int,
    actor: audit.Actor | None = None,
    targets: Mapping[int, tuple[str, str]] | None = None,
    default_time: str | None = None,
    scope: WriteScope | None = None,
    may_manage: bool = True,
    tenant: str = DEFAULT_TENANT,
    must_exist: bool = False,
) -> BatchResult:
    """Create, replace or update (merge) entities in the caller's transaction.

    Each entity succeeds or fails as a whole: its measurements are validated (numbers, ranges,
    units, times) before anything is written. ``scope`` limits the entities the caller may
    write (default: all); without ``may_manage`` the caller sends measurements only and may
    neither create an entity nor change its name or location. ``must_exist``: an entity that
    does not exist is an error (batch update).
    """
    scope = scope or WriteScope.province()
    result = BatchResult()
    parsed = _parse_batch(docs, registry, result, targets, default_time, tenant)
    if not parsed:
        return result
    refs = lookup_many(session, registry, tenant, [p.id for p in parsed])
    now = now_ts()
    mapped: list[Incoming] = []
    taken: set[str] = set()
    seen: dict[str, int] = {}
    for inc in parsed:
        ref = refs.get(inc.id)
        exists = ref is not None and ref.exists
        if ref is not None and ref.type != inc.type:
            result.fail(
                inc.id,
                problem("BadRequestData", f"id: {inc.id} is an entity of type {ref.type}"),
            )
            continue
        if mode == "create" and (exists or inc.id in seen):
            result.fail(inc.id, problem("AlreadyExists", f"{inc.id} already exists"))
            continue
        if must_exist and not exists:
            result.fail(inc.id, problem("ResourceNotFound", f"no entity {inc.id}"))
            continue
        seen[inc.id] = inc.position
        if inc.info is None:
            made = _write_generic(session, inc, ref, mode, now, scope, may_manage, tenant, result)
            if made is not None:
                refs[inc.id] = Ref(inc.id, inc.type, made)  # the same id later in the batch
            continue
        try:
            inc.code = _station_code(session, inc, ref, seen, mapped, taken)
        except NgsiError as exc:
            result.fail(inc.id, exc.body())
            continue
        for measurement in inc.rows:
            measurement["entity"] = inc.code
        mapped.append(inc)
    if mapped:
        _write_mapped(
            session, mapped, refs, registry, mode, offset, actor, now, scope, may_manage, result
        )
    return result


def _parse_batch(
    docs: list[Any],
    registry: Registry,
    result: BatchResult,
    targets: Mapping[int, tuple[str, str]] | None,
    default_time: str | None,
    tenant: str,
) -> list[Incoming]:
    """The entities of a batch that parse; each one that does not is a failure in ``result``."""
    parsed: list[Incoming] = []
    for position, doc in enumerate(docs):
        try:
            target = targets.get(position) if targets else None
            parsed.append(
                parse_entity(
                    doc,
                    registry,
                    position,
                    tenant=tenant,
                    target=target,
                    default_time=default_time,
                )
            )
        except NgsiError as exc:
            result.fail(doc.get("id") if isinstance(doc, dict) else None, exc.body())
    return parsed


def _station_code(
    session: Session,
    inc: Incoming,
    ref: Ref | None,
    seen: Mapping[str, int],
    mapped: list[Incoming],
    taken: set[str],
) -> str:
    """The station code of a mapped entity: the one its row names, the one given to the same
    id earlier in the batch, else a new one (NgsiError when none can be allocated)."""
    if ref is not None and ref.station is not None:
        return ref.station.code
    if ref is not None and ref.row is not None and ref.row.entity_code:
        return ref.row.entity_code
    if inc.id in seen and any(p.id == inc.id and p.code for p in mapped):
        return next(p.code for p in mapped if p.id == inc.id and p.code)
    return _allocate_code(session, inc.id, taken)


def _write_mapped(
    session: Session,
    parsed: list[Incoming],
    refs: Mapping[str, Ref],
    registry: Registry,
    mode: Mode,
    offset: int,
    actor: audit.Actor | None,
    now: int,
    scope: WriteScope,
    may_manage: bool,
    result: BatchResult,
) -> None:
    lookups = load_lookups(session, registry)
    lookups.entity_codes = lookups.entity_codes | {p.code for p in parsed}
    good = _valid_measurements(session, parsed, lookups, result)
    known = load_entities(session, [inc.code for inc in good])
    done: set[str] = set()
    made: dict[str, NgsiEntity] = {}
    locator: geo.Locator | None = None
    rows: list[RawRow] = []
    for inc in good:
        assert inc.info is not None
        ref = refs.get(inc.id)
        exists = inc.id in done or (ref is not None and ref.exists)
        station = known.get(inc.code)
        current = station if exists else None
        refusal = _refusal(inc, station, exists, mode, scope, may_manage)
        if refusal is not None:
            result.fail(inc.id, problem("about:blank", refusal, 403))
            result.denied.append(inc.id)
            continue
        name, lat, lon, attributes = _new_state(inc, current, mode)
        try:
            upsert_entity(
                session,
                actor or audit.Actor.system("ngsi-ld"),
                code=inc.code,
                type=inc.info.mapping.entity_type,
                pack=inc.info.pack,
                name=name,
                lat=lat,
                lon=lon,
                attributes=attributes,
                known=known,
            )
        except EntityError as exc:
            result.fail(inc.id, problem("BadRequestData", str(exc)))
            continue
        entity = known[inc.code]
        if station is None and not scope.everything:
            # A new entity belongs to the agency of the caller who created it.
            entity.agency_code = _sole_agency(scope)
        if lat is not None and lon is not None and (current is None or inc.has_location):
            # The commune of a placed entity is the commune of its point (none outside the
            # province), decided here like every other point entering the IOC.
            locator = locator or geo.current_locator(session)
            try:
                entity.area_code = locator.locate(lat, lon).code
            except geo.GeoError:
                entity.area_code = None
        ngsi_row = _mapped_row(session, inc, ref, made, exists, now)
        ngsi_row.deleted_at = None
        ngsi_row.modified_at = now
        if inc.has_location or current is None or mode == "replace":
            ngsi_row.geometry = inc.geometry
        if inc.id not in done:
            done.add(inc.id)
            (result.updated if exists else result.created).append(inc.id)
        result.changes.append(Change(inc.id, inc.type, inc.changed))
        base = len(rows)
        rows.extend(RawRow(base + i + 1, r) for i, r in enumerate(inc.rows))
    session.flush()
    if rows:
        result.stored = _store(session, rows, lookups, offset, actor)


def _valid_measurements(
    session: Session, parsed: list[Incoming], lookups: Lookups, result: BatchResult
) -> list[Incoming]:
    """The entities whose measurements all pass the ingestion checks (numbers, ranges, units,
    times); each other one is a failure in ``result`` naming its bad attributes."""
    raw_rows: list[RawRow] = []
    owner: dict[int, tuple[Incoming, str]] = {}
    for inc in parsed:
        for row, attr in zip(inc.rows, inc.row_attrs, strict=True):
            number = len(raw_rows) + 1
            raw_rows.append(RawRow(number, row))
            owner[number] = (inc, attr)
    bad: dict[int, list[str]] = {}
    if raw_rows:
        checked = validate_rows(raw_rows, lookups, _DryResolver(session))
        for err in checked.errors:
            inc, attr = owner[err.row]
            where = attr if err.field in ("value", "indicator", "entity") else f"{attr}.{err.field}"
            bad.setdefault(inc.position, []).append(f"{where}: {err.message_en}")
    good: list[Incoming] = []
    for inc in parsed:
        if inc.position in bad:
            result.fail(inc.id, problem("BadRequestData", "; ".join(bad[inc.position])))
        else:
            good.append(inc)
    return good


def _mapped_row(
    session: Session,
    inc: Incoming,
    ref: Ref | None,
    made: dict[str, NgsiEntity],
    exists: bool,
    now: int,
) -> NgsiEntity:
    """The ``ngsi_entities`` row of a mapped entity, added when it has none yet."""
    # lookup_many read every row of the batch's ids; a row made earlier in this batch
    # (the same id twice) is in ``made``.
    ngsi_row = ref.row if ref is not None else made.get(inc.id)
    if ngsi_row is None:
        ngsi_row = NgsiEntity(
            tenant=DEFAULT_TENANT,
            entity_id=inc.id,
            type=inc.type,
            entity_code=inc.code,
            attrs={},
            created_at=now,
            modified_at=now,
        )
        session.add(ngsi_row)
        made[inc.id] = ngsi_row
        if ref is not None:
            ref.row = ngsi_row
    elif not exists:
        ngsi_row.created_at = now
    return ngsi_row


def _write_generic(
    session: Session,
    inc: Incoming,
    ref: Ref | None,
    mode: Mode,
    now: int,
    scope: WriteScope,
    may_manage: bool,
    tenant: str,
    result: BatchResult,
) -> NgsiEntity | None:
    """Create, replace or merge a generic entity and keep its numeric values (its row, or None
    when refused)."""
    row = ref.row if ref is not None else None
    exists = ref is not None and ref.exists
    refusal = _generic_refusal(inc.id, row if exists else None, scope, may_manage)
    if refusal is not None:
        result.fail(inc.id, problem("about:blank", refusal, 403))
        result.denied.append(inc.id)
        return None
    if row is None:
        row = NgsiEntity(
            tenant=tenant,
            entity_id=inc.id,
            type=inc.type,
            entity_code=None,
            attrs=dict(inc.attrs),
            agency_code=None if scope.everything else _sole_agency(scope),
            created_at=now,
            modified_at=now,
        )
        session.add(row)
        session.flush()
    else:
        if not exists:
            row.created_at = now
            row.attrs = dict(inc.attrs)
        elif mode == "update":
            row.attrs = {**(row.attrs or {}), **inc.attrs}
        else:
            row.attrs = dict(inc.attrs)
        row.deleted_at = None
        row.modified_at = now
    values = {(attr, ts): value for attr, ts, value in inc.values}
    if values:
        for attr, ts in values:
            session.execute(
                delete(NgsiAttrValue).where(
                    NgsiAttrValue.entity_ref == row.id,
                    NgsiAttrValue.attr == attr,
                    NgsiAttrValue.ts == ts,
                )
            )
        session.add_all(
            NgsiAttrValue(entity_ref=row.id, attr=attr, ts=ts, value=value)
            for (attr, ts), value in values.items()
        )
        session.flush()
        result.stored += len(values)
    if inc.id not in result.created and inc.id not in result.updated:
        (result.updated if exists else result.created).append(inc.id)
    result.changes.append(Change(inc.id, inc.type, inc.changed))
    return row


def _generic_refusal(
    entity_id: str, row: NgsiEntity | None, scope: WriteScope, may_manage: bool
) -> str | None:
    """Why the caller may not write the generic entity (``None`` when it may)."""
    if scope.everything:
        return None
    if row is None:
        if not may_manage or scope.entities is not None or _sole_agency(scope) is None:
            return (
                f"{entity_id}: mã truy cập này không được tạo đối tượng mới / this token may not "
                "create entities"
            )
        return None
    if scope.entities is not None or not scope.may_agency(row.agency_code):
        return f"{entity_id}: đối tượng thuộc đơn vị khác / the entity belongs to another agency"
    return None


def _sole_agency(scope: WriteScope) -> str | None:
    return next(iter(scope.agencies)) if len(scope.agencies) == 1 else None


def _refusal(
    inc: Incoming,
    station: Entity | None,
    exists: bool,
    mode: Mode,
    scope: WriteScope,
    may_manage: bool,
) -> str | None:
    """Why the caller may not write ``inc`` (``None`` when it may)."""
    if station is not None and not scope.may_entity(
        station.code, station.agency_code, station.area_code
    ):
        return f"{inc.id}: đối tượng thuộc đơn vị khác / the entity belongs to another agency"
    if not exists or station is None:
        if not may_manage:
            return (
                f"{inc.id}: tạo đối tượng mới cần quyền manage / creating an entity needs the "
                "manage scope"
            )
        if station is None and (
            not scope.everything and (scope.entities is not None or _sole_agency(scope) is None)
        ):
            return (
                f"{inc.id}: mã truy cập này không được tạo đối tượng mới / this token may not "
                "create entities"
            )
        return None
    if may_manage:
        return None
    renamed = inc.name is not None and inc.name != station.name
    moved = inc.has_location and (inc.lat, inc.lon) != (station.lat, station.lon)
    if renamed or moved or (mode == "replace" and inc.name is None and station.name != inc.code):
        return (
            f"{inc.id}: đổi tên, vị trí của đối tượng cần quyền manage / changing an entity's "
            "name or location needs the manage scope"
        )
    return None


class _BulkResolver(SeriesResolver):
    """A series resolver that loads the series of every subject of a batch in one query.

    ``SeriesResolver`` asks the database once per (indicator, subject); a batch of 100 entities
    with 6 measurements each is 600 series, which made those queries the largest cost of a batch.
    """

    def __init__(self, session: Session, codes: Iterable[str]) -> None:
        super().__init__(session)
        self._known: dict[tuple[int, str], int] = {}
        wanted = sorted(set(codes))
        for start in range(0, len(wanted), 500):
            found = session.execute(
                select(Series.id, Series.indicator_id, Series.subject_code).where(
                    Series.subject_kind == "entity",
                    Series.subject_code.in_(wanted[start : start + 500]),
                )
            )
            for sid, indicator_id, code in found:
                self._known[(indicator_id, code)] = sid

    def get(self, indicator: Indicator, subject_kind: str, subject_code: str) -> SeriesInfo:
        sid = self._known.get((indicator.id, subject_code)) if subject_kind == "entity" else None
        if sid is None:
            return super().get(indicator, subject_kind, subject_code)
        return SeriesInfo(
            sid, indicator.code, subject_kind, subject_code, indicator.time_label == "end"
        )


def _store(
    session: Session,
    rows: list[RawRow],
    lookups: Lookups,
    offset: int,
    actor: audit.Actor | None,
) -> int:
    """What :func:`ioc.engines.ingestion.service.ingest` does (validate, write the series store
    with its rollups and listeners, one audit row per batch with ``source="ngsi-ld"``), with
    the series of the batch resolved in bulk. Rows were validated before, so none is refused."""
    codes = {str(r.data["entity"]) for r in rows}
    checked = validate_rows(rows, lookups, _BulkResolver(session, codes))
    written = write_observations(session, checked.rows, checked.label_end, offset)
    rejected = rejected_rows(checked.errors)
    audit_batch(
        session, actor, "ngsi-ld", received=len(rows), stored=written.stored, rejected=rejected
    )
    return written.stored


def _new_state(
    inc: Incoming, current: Entity | None, mode: Mode
) -> tuple[str, float | None, float | None, dict[str, Any]]:
    """(name, lat, lon, attributes) after applying ``inc`` to ``current``."""
    meta_out: dict[str, Any] = {"id": inc.id, "type": inc.type}
    if current is None or mode in ("create", "replace"):
        flat = dict(inc.extras)
        sub = dict(inc.meta)
        measured: list[str] | None = sorted(inc.measured)
        name = inc.name or inc.code
        lat, lon = inc.lat, inc.lon
    else:
        flat = dict(current.attributes or {})
        old_meta = flat.pop(META, None)
        old = old_meta if isinstance(old_meta, dict) else {}
        sub = dict(old.get("attrs") or {})
        for key, value in inc.extras.items():
            flat[key] = value
            if key in inc.meta:
                sub[key] = inc.meta[key]
            else:
                sub.pop(key, None)
        previous = old.get("measured")
        measured = None if old_meta is None else sorted(set(previous or ()) | inc.measured)
        name = inc.name if inc.name is not None else current.name
        lat, lon = (inc.lat, inc.lon) if inc.has_location else (current.lat, current.lon)
    if sub:
        meta_out["attrs"] = sub
    if measured is not None:
        meta_out["measured"] = measured
    return name, lat, lon, {**flat, META: meta_out}
