"""Reading entities back: the latest values, the three representations, queries."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, exists, false, func, or_, select
from sqlalchemy.orm import Session

from ioc.core.models import Entity, Indicator, Series
from ioc.core.registry import Registry
from ioc.engines.ngsi_ld.context import compact
from ioc.engines.ngsi_ld.entities.mapped_types import (
    TypeInfo,
    all_types,
    canonical_id,
    type_for_entity,
    type_info,
)
from ioc.engines.ngsi_ld.entities.refs import Ref, find, lookup_many
from ioc.engines.ngsi_ld.entities.terms import (
    DEFAULT_TENANT,
    FRACTION,
    META,
    UNIT_CODES,
    VALUE_FIELD,
    Format,
    iso,
)
from ioc.engines.ngsi_ld.models import NgsiEntity
from ioc.engines.ngsi_ld.problems import bad_request
from ioc.engines.ngsi_ld.query import parse_q

# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Latest:
    """The latest value of one attribute's series."""

    value: float
    ts: int
    unit: str


def shown_value(info: TypeInfo, attr: str, value: float) -> float:
    """A stored value as its Smart Data Model defines it (a fraction 0–1 kept in % → 0.35)."""
    if info.mapping.units.get(attr) == FRACTION:
        return round(value / 100, 12)
    return value


def shown_unit_code(info: TypeInfo, attr: str, unit: str) -> str | None:
    """The ``unitCode`` of a mapped attribute (none for a fraction)."""
    if info.mapping.units.get(attr) == FRACTION:
        return None
    return UNIT_CODES.get(unit)


def load_latest(
    session: Session, entities: Iterable[Entity], registry: Registry
) -> dict[str, dict[str, Latest]]:
    """``{entity code: {attribute: Latest}}`` for the mapped attributes of ``entities``."""
    by_code: dict[str, TypeInfo] = {}
    indicators: set[str] = set()
    for e in entities:
        info = type_for_entity(registry, e)
        if info is not None:
            by_code[e.code] = info
            indicators.update(info.mapping.attributes.values())
    out: dict[str, dict[str, Latest]] = {code: {} for code in by_code}
    codes = sorted(by_code)
    for start in range(0, len(codes), 500):
        rows = session.execute(
            select(
                Series.subject_code,
                Indicator.code,
                Indicator.unit,
                Series.latest_value,
                Series.latest_ts,
            )
            .join(Indicator, Indicator.id == Series.indicator_id)
            .where(
                Series.subject_kind == "entity",
                Series.subject_code.in_(codes[start : start + 500]),
                Indicator.code.in_(sorted(indicators)),
                Series.latest_ts.is_not(None),
            )
        ).all()
        for code, indicator, unit, value, ts in rows:
            for attr, ind in by_code[code].mapping.attributes.items():
                if ind == indicator and value is not None and ts is not None:
                    out[code][attr] = Latest(float(value), int(ts), unit)
    return out


def render_station(
    entity: Entity,
    info: TypeInfo,
    latest: Mapping[str, Latest],
    *,
    entity_id: str,
    type_name: str,
    row: NgsiEntity | None = None,
) -> dict[str, Any]:
    """A station as an NGSI-LD entity, normalized."""
    stored = dict(entity.attributes or {})
    meta_raw = stored.pop(META, None)
    meta = meta_raw if isinstance(meta_raw, dict) else {}
    sub: dict[str, Any] = meta.get("attrs") or {}
    measured = meta.get("measured")
    allowed = set(measured) if isinstance(measured, list) else None
    out: dict[str, Any] = {"id": entity_id, "type": type_name}
    times: list[int] = []
    values: dict[str, Any] = {}
    for attr in info.mapping.attributes:
        item = latest.get(attr)
        if item is None or (allowed is not None and attr not in allowed):
            continue
        times.append(item.ts)
        prop: dict[str, Any] = {
            "type": "Property",
            "value": shown_value(info, attr, item.value),
            "observedAt": iso(item.ts),
        }
        unit_code = shown_unit_code(info, attr, item.unit)
        if unit_code:
            prop["unitCode"] = unit_code
        values[attr] = prop
    if times:
        when = iso(max(times))
        out[info.mapping.time_attribute] = {
            "type": "Property",
            "value": {"@type": "DateTime", "@value": when},
        }
    if row is not None and row.geometry:
        out["location"] = {"type": "GeoProperty", "value": row.geometry}
    elif entity.lat is not None and entity.lon is not None:
        point = {"type": "Point", "coordinates": [entity.lon, entity.lat]}
        out["location"] = {"type": "GeoProperty", "value": point}
    out["name"] = {"type": "Property", "value": entity.name}
    out.update(values)
    for key, value in stored.items():
        if key in out:
            continue
        extra = dict(sub.get(key) or {})
        kind = extra.pop("type", "Property")
        out[key] = {"type": kind, VALUE_FIELD.get(kind, "value"): value, **extra}
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, dict) and "@value" in value and set(value) <= {"@value", "@type"}:
        return value["@value"]
    return value


def represent(
    doc: Mapping[str, Any],
    fmt: Format = "normalized",
    attrs: set[str] | None = None,
    sys_attrs: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """A normalized entity in the representation asked (normalized, keyValues, concise), with
    only ``attrs`` and, given ``sys_attrs`` = (created, modified), ``createdAt``/``modifiedAt``."""
    out: dict[str, Any] = {"id": doc["id"], "type": doc["type"]}
    if sys_attrs is not None:
        out["createdAt"], out["modifiedAt"] = iso(sys_attrs[0]), iso(sys_attrs[1])
    for key, attr in doc.items():
        if key in ("id", "type") or (attrs is not None and key not in attrs):
            continue
        if not isinstance(attr, dict) or attr.get("type") not in VALUE_FIELD:
            out[key] = attr
            continue
        kind = str(attr["type"])
        member = VALUE_FIELD[kind]
        if fmt == "keyValues":
            out[key] = _plain(attr.get(member))
        elif fmt == "concise":
            rest = {k: v for k, v in attr.items() if k != "type"}
            if (
                kind == "Property"
                and set(rest) == {"value"}
                and not isinstance(rest["value"], dict)
            ):
                out[key] = rest["value"]
            elif kind in ("Property", "GeoProperty", "Relationship", "LanguageProperty"):
                out[key] = rest
            else:
                out[key] = attr
        else:
            out[key] = attr
    return out


def normalized(session: Session, registry: Registry, refs: list[Ref]) -> dict[str, dict[str, Any]]:
    """``{id: normalized entity}`` of existing entities (latest values in one query)."""
    stations = [r.station for r in refs if r.station is not None]
    latest = load_latest(session, stations, registry) if stations else {}
    out: dict[str, dict[str, Any]] = {}
    for ref in refs:
        if ref.info is None:
            assert ref.row is not None
            out[ref.id] = {"id": ref.id, "type": ref.type, **(ref.row.attrs or {})}
        elif ref.station is not None:
            out[ref.id] = render_station(
                ref.station,
                ref.info,
                latest.get(ref.station.code, {}),
                entity_id=ref.id,
                type_name=ref.type,
                row=ref.row,
            )
    return out


def _sys(ref: Ref, sys_attrs: bool) -> tuple[int, int] | None:
    if not sys_attrs or ref.row is None:
        return None
    return ref.row.created_at, ref.row.modified_at


def get_entity(
    session: Session,
    registry: Registry,
    entity_id: str,
    *,
    tenant: str = DEFAULT_TENANT,
    fmt: Format = "normalized",
    attrs: set[str] | None = None,
    sys_attrs: bool = False,
) -> dict[str, Any]:
    """``GET /entities/{id}``."""
    ref = find(session, registry, tenant, entity_id)
    doc = normalized(session, registry, [ref])[ref.id]
    return represent(doc, fmt, attrs, _sys(ref, sys_attrs))


@dataclass
class Page:
    """One page of a query and, when asked, the number of matches."""

    items: list[dict[str, Any]]
    total: int | None


def _station_refs(session: Session, stations: list[Entity], registry: Registry) -> list[Ref]:
    """Refs of stations (their row's id, else the canonical id); deleted ones left out."""
    rows: dict[str, NgsiEntity] = {}
    codes = [s.code for s in stations]
    for start in range(0, len(codes), 500):
        for row in session.execute(
            select(NgsiEntity).where(
                NgsiEntity.tenant == DEFAULT_TENANT,
                NgsiEntity.entity_code.in_(codes[start : start + 500]),
            )
        ).scalars():
            rows[str(row.entity_code)] = row
    out: list[Ref] = []
    for station in stations:
        claim = rows.get(station.code)
        if claim is not None:
            mapped = type_info(registry, claim.type)
            if mapped is None or claim.deleted_at is not None:
                continue
            out.append(Ref(claim.entity_id, claim.type, claim, station, mapped))
            continue
        info = type_for_entity(registry, station)
        if info is not None:
            out.append(Ref(canonical_id(station, info), info.name, None, station, info))
    return out


def _typed_candidates(
    session: Session,
    registry: Registry,
    tenant: str,
    infos: list[TypeInfo],
    generic_names: list[str] | None,
    station_query: Select[Entity],
) -> list[Ref]:
    """The entities a query by type may match: the stations of the mapped types ``infos``,
    then the generic entities of ``generic_names`` (all generic ones when ``None``)."""
    candidates: list[Ref] = []
    if infos:
        stations = list(session.execute(station_query.order_by(Entity.code)).scalars())
        candidates.extend(
            r
            for r in _station_refs(session, stations, registry)
            if r.type in {i.name for i in infos}
        )
    if generic_names is None or generic_names:
        query = select(NgsiEntity).where(
            NgsiEntity.tenant == tenant,
            NgsiEntity.entity_code.is_(None),
            NgsiEntity.deleted_at.is_(None),
        )
        if generic_names is not None:
            query = query.where(NgsiEntity.type.in_(generic_names))
        for row in session.execute(query.order_by(NgsiEntity.entity_id)).scalars():
            candidates.append(Ref(row.entity_id, row.type, row))
    return candidates


def _station_page(
    session: Session,
    registry: Registry,
    station_query: Select[Entity],
    limit: int,
    offset: int,
    count: bool,
    fmt: Format,
    sys_attrs: bool,
) -> Page:
    """One page of the stations of one mapped type, paged in the database (the common query:
    by type alone, no filter)."""
    total = session.execute(select(func.count()).select_from(station_query.subquery())).scalar_one()
    page = list(
        session.execute(station_query.order_by(Entity.code).offset(offset).limit(limit)).scalars()
    )
    refs = _station_refs(session, page, registry)
    docs = normalized(session, registry, refs)
    items = [represent(docs[r.id], fmt, None, _sys(r, sys_attrs)) for r in refs]
    return Page(items, total if count else None)


def query_entities(
    session: Session,
    registry: Registry,
    *,
    tenant: str = DEFAULT_TENANT,
    types: list[str] | None = None,
    ids: list[str] | None = None,
    id_pattern: str | None = None,
    q: str | None = None,
    attrs: set[str] | None = None,
    limit: int = 20,
    offset: int = 0,
    count: bool = False,
    fmt: Format = "normalized",
    sys_attrs: bool = False,
) -> Page:
    """``GET /entities``: filter by type, id, idPattern, q and attrs; page with limit/offset."""
    if not (types or ids or q or attrs or id_pattern):
        raise bad_request("give at least one of type, id, idPattern, q or attrs")
    predicate = parse_q(q) if q else None
    pattern: re.Pattern[str] | None = None
    if id_pattern:
        try:
            pattern = re.compile(id_pattern)
        except re.error as exc:
            raise bad_request(f"idPattern: {exc}") from exc
    names = [compact(t) for t in types] if types else None
    if tenant == DEFAULT_TENANT:
        infos = [i for i in all_types(registry) if names is None or i.name in names]
    else:
        infos = []
    generic_names = None if names is None else [n for n in names if type_info(registry, n) is None]
    if tenant != DEFAULT_TENANT:
        generic_names = names
    cond = or_(
        false(), *(and_(Entity.type == i.mapping.entity_type, Entity.pack == i.pack) for i in infos)
    )
    deleted = exists().where(
        NgsiEntity.entity_code == Entity.code, NgsiEntity.deleted_at.is_not(None)
    )
    station_query = select(Entity).where(cond, Entity.active, ~deleted)
    simple = predicate is None and attrs is None and not ids and pattern is None
    if simple and len(infos) == 1 and generic_names == []:
        return _station_page(session, registry, station_query, limit, offset, count, fmt, sys_attrs)
    if ids:
        found = lookup_many(session, registry, tenant, ids)
        candidates = [
            r
            for i in dict.fromkeys(ids)
            if (r := found.get(i)) is not None and r.exists and (names is None or r.type in names)
        ]
    else:
        candidates = _typed_candidates(
            session, registry, tenant, infos, generic_names, station_query
        )
    if pattern is not None:
        candidates = [r for r in candidates if pattern.fullmatch(r.id)]
    docs = normalized(session, registry, candidates)
    matches: list[Ref] = []
    for ref in candidates:
        doc = docs.get(ref.id)
        if doc is None:
            continue
        if predicate is not None or attrs is not None:
            flat = represent(doc, "keyValues")
            if predicate is not None and not predicate(flat):
                continue
            if attrs is not None and not (attrs & set(flat)):
                continue
        matches.append(ref)
    items = [
        represent(docs[r.id], fmt, attrs, _sys(r, sys_attrs))
        for r in matches[offset : offset + limit]
    ]
    return Page(items, len(matches) if count else None)
