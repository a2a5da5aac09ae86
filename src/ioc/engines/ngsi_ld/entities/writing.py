"""Writing entities: create, replace and upsert, one entity or a batch."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, inspect, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ioc.core import audit
from ioc.core.entities import EntityError, load_entities, upsert_entity
from ioc.core.models import Entity
from ioc.core.ownership import WriteScope
from ioc.core.registry import Registry
from ioc.engines import geo
from ioc.engines.ngsi_ld.entities.incoming import Incoming, parse_entity
from ioc.engines.ngsi_ld.entities.mapped_types import TypeInfo
from ioc.engines.ngsi_ld.entities.measured import (
    batch_lookups,
    check_readings,
    convert_units,
    store_readings,
)
from ioc.engines.ngsi_ld.entities.refs import CodeAllocator, Ref, lookup_many
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
    seen: set[str] = set()
    codes: dict[str, str] = {}  # station code given to a new id earlier in the batch
    new_ids = [p.id for p in parsed if p.info is not None and _known_code(refs.get(p.id)) is None]
    allocator = CodeAllocator(session, new_ids) if new_ids else None
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
        seen.add(inc.id)
        if inc.info is None:
            made = _write_generic(session, inc, ref, mode, now, scope, may_manage, tenant, result)
            if made is not None:
                refs[inc.id] = Ref(inc.id, inc.type, made)  # the same id later in the batch
            continue
        code = _known_code(ref) or codes.get(inc.id)
        if code is None:
            assert allocator is not None
            try:
                code = codes[inc.id] = allocator.allocate(inc.id)
            except NgsiError as exc:
                result.fail(inc.id, exc.body())
                continue
        inc.code = code
        for measurement in inc.rows:
            measurement["entity"] = code
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
    types: dict[str, TypeInfo | None] = {}
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
                    types=types,
                )
            )
        except NgsiError as exc:
            result.fail(doc.get("id") if isinstance(doc, dict) else None, exc.body())
    return parsed


def _known_code(ref: Ref | None) -> str | None:
    """The station code of an id that has one: its station's, else the one its row names."""
    if ref is not None and ref.station is not None:
        return ref.station.code
    if ref is not None and ref.row is not None and ref.row.entity_code:
        return ref.row.entity_code
    return None


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
    """Write the stations of ``parsed`` and store their readings as one set (see
    :mod:`ioc.engines.ngsi_ld.entities.measured`)."""
    lookups = batch_lookups(session, registry, parsed)
    convert_units(parsed, lookups)
    checked = check_readings(session, parsed, lookups)
    good = [inc for inc in parsed if inc.position not in checked.bad]
    for inc in parsed:
        if inc.position in checked.bad:
            result.fail(inc.id, problem("BadRequestData", "; ".join(checked.bad[inc.position])))
    known = _stations(session, refs, good)
    communes = _communes(session, good)
    done: set[str] = set()
    made: dict[str, NgsiEntity] = {}
    written: set[int] = set()
    touched: list[NgsiEntity] = []
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
            entity, _ = upsert_entity(
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
        if station is None and not scope.everything:
            # A new entity belongs to the agency of the caller who created it.
            entity.agency_code = _sole_agency(scope)
        if lat is not None and lon is not None and (current is None or inc.has_location):
            # The commune of a placed entity is the commune of its point (none outside the
            # province), decided here like every other point entering the IOC.
            area = communes.get((lat, lon))
            if entity.area_code != area:  # an equal value would still dirty the object
                entity.area_code = area
        ngsi_row = _mapped_row(session, inc, ref, made, exists, now)
        _revive(ngsi_row, inc, placed=inc.has_location or current is None or mode == "replace")
        touched.append(ngsi_row)
        if inc.id not in done:
            done.add(inc.id)
            (result.updated if exists else result.created).append(inc.id)
        result.changes.append(Change(inc.id, inc.type, inc.changed))
        written.add(inc.position)
    _touch(session, touched, now)
    session.flush()
    result.stored = store_readings(session, checked, written, offset, actor)


def _revive(row: NgsiEntity, inc: Incoming, *, placed: bool) -> None:
    """The entity row of a written entity: not deleted, and with the geometry sent when its
    place is (re)set. Only changed values are assigned (an equal one would still dirty the
    object, and :func:`_touch` updates clean rows in one statement)."""
    if row.deleted_at is not None:
        row.deleted_at = None
    if placed and row.geometry != inc.geometry:
        row.geometry = inc.geometry


def _touch(session: Session, rows: list[NgsiEntity], now: int) -> None:
    """Set ``modified_at`` of ``rows`` to ``now``: one UPDATE for the stored rows that have no
    other change (rather than one dirty ORM object each for the flush to inspect and write),
    the attribute itself for the others."""
    clean: dict[int, NgsiEntity] = {}
    for row in rows:
        if row.modified_at == now:
            continue
        state = inspect(row)
        if state.persistent and not state.modified:
            clean[row.id] = row
        else:
            row.modified_at = now
    ids = sorted(clean)
    for start in range(0, len(ids), 500):
        session.execute(
            update(NgsiEntity)
            .where(NgsiEntity.id.in_(ids[start : start + 500]))
            .values(modified_at=now)
            .execution_options(synchronize_session=False)
        )
    for row in clean.values():
        # The row now holds ``now`` in the database: record it as loaded, not as a change.
        set_committed_value(row, "modified_at", now)


def _stations(
    session: Session, refs: Mapping[str, Ref], parsed: list[Incoming]
) -> dict[str, Entity]:
    """``{code: station}`` of the stations ``parsed`` name: those :func:`lookup_many` read,
    and (one query) any other code that exists."""
    known = {r.station.code: r.station for r in refs.values() if r.station is not None}
    missing = {inc.code for inc in parsed} - known.keys()
    if missing:
        known.update(load_entities(session, missing))
    return known


def _communes(session: Session, parsed: list[Incoming]) -> dict[tuple[float, float], str | None]:
    """The commune of every point sent in ``parsed`` (None outside the province), placed in
    one vectorised call rather than one per entity."""
    points = list(
        dict.fromkeys(
            (inc.lat, inc.lon) for inc in parsed if inc.lat is not None and inc.lon is not None
        )
    )
    if not points:
        return {}
    locator = geo.current_locator(session)
    found = locator.locate_many([p[0] for p in points], [p[1] for p in points])
    return {
        p: (locator.codes[k] if k >= 0 else None)
        for p, k in zip(points, found.index.tolist(), strict=True)
    }


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
