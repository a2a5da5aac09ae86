"""NGSI-LD entities ↔ IOC entities and series.

An NGSI-LD entity of a type a pack maps (``AirQualityObserved`` → our ``AirQualityStation``)
is one :class:`~ioc.core.models.Entity` row: its code comes from the id
(``urn:ngsi-ld:AirQualityObserved:DL-BMT-01`` → ``DL-BMT-01``), ``name`` and ``location`` are
columns, other non-numeric attributes are kept as key-values in ``Entity.attributes`` (with their
NGSI-LD sub-attributes under the reserved key ``ngsi-ld``), and the mapped numeric attributes
(``pm25`` …) are observations ingested through the same path as ``POST /api/v1/observations``.
Reading an entity back renders the latest value of each series with its ``observedAt``, so data
sent through NGSI-LD shows on the station pages, and stations made elsewhere show here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from ioc.core import audit, clock
from ioc.core.entities import EntityError, load_entities, upsert_entity
from ioc.core.models import Entity, Indicator, Series
from ioc.core.ownership import WriteScope
from ioc.core.registry import NgsiType, Registry
from ioc.core.series import SeriesInfo, SeriesResolver, write_observations
from ioc.engines import geo
from ioc.engines.ingestion.parse import RawRow
from ioc.engines.ingestion.sdm import SdmError, entity_code, read_entity
from ioc.engines.ingestion.service import load_lookups
from ioc.engines.ingestion.validate import Lookups, validate_rows
from ioc.engines.ngsi_ld.context import compact
from ioc.engines.ngsi_ld.problems import NgsiError, bad_request, not_found, problem
from ioc.engines.ngsi_ld.query import parse_q

META = "ngsi-ld"  # reserved key of Entity.attributes: NGSI-LD id, type, sub-attributes
RESERVED = frozenset({"id", "type", "@context", "scope", "createdAt", "modifiedAt", "deletedAt"})
#: Attribute type → the member holding its value.
VALUE_FIELD = {
    "Property": "value",
    "GeoProperty": "value",
    "Relationship": "object",
    "LanguageProperty": "languageMap",
    "ListProperty": "valueList",
    "ListRelationship": "objectList",
    "VocabProperty": "vocab",
    "JsonProperty": "json",
}
UNIT_CODES = {
    "µg/m³": "GQ",
    "µg/m3": "GQ",
    "mg/m³": "GP",
    "mg/m3": "GP",
    "ppm": "59",
    "ppb": "61",
    "°C": "CEL",
    "%": "P1",
    "mg/L": "M1",
    "m/s": "MTS",
    "hPa": "A97",
    "mm": "MMT",
}
MAX_BATCH = 1000
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]+$")
_BAD_NAME = re.compile(r"[\s<>\"'=;()\[\]{}\\]")

Mode = Literal["create", "replace", "update"]


def iso(ts: int) -> str:
    """UNIX seconds as an NGSI-LD DateTime (UTC, ``Z``)."""
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def is_uri(value: Any) -> bool:
    """Whether ``value`` is an absolute URI, as NGSI-LD requires of ids and objects."""
    return isinstance(value, str) and bool(_URI.match(value))


# --------------------------------------------------------------------------- types


@dataclass(frozen=True)
class TypeInfo:
    """A mapped NGSI-LD type: its name, the pack that owns it and the mapping."""

    name: str
    pack: str
    mapping: NgsiType


def type_info(registry: Registry, name: str) -> TypeInfo | None:
    """The mapping of NGSI-LD type ``name`` (short name or full IRI of a served context)."""
    found = registry.ngsi_type(compact(name))
    if found is None:
        return None
    return TypeInfo(compact(name), found[0], found[1])


def all_types(registry: Registry) -> list[TypeInfo]:
    """Every mapped NGSI-LD type, in pack order."""
    return [TypeInfo(n, p.name, m) for p in registry.packs for n, m in p.ngsi_types.items()]


def type_for_entity(registry: Registry, entity: Entity) -> TypeInfo | None:
    """The NGSI-LD type an IOC entity is shown as (its stored type, else the first mapping)."""
    meta = (entity.attributes or {}).get(META) or {}
    stored = meta.get("type") if isinstance(meta, dict) else None
    candidates = [
        t
        for t in all_types(registry)
        if t.pack == entity.pack and t.mapping.entity_type == entity.type
    ]
    for t in candidates:
        if t.name == stored:
            return t
    return candidates[0] if candidates else None


def ngsi_id(entity: Entity, info: TypeInfo) -> str:
    """The NGSI-LD id of an IOC entity: the one it was created with, else the canonical URN."""
    meta = (entity.attributes or {}).get(META)
    if isinstance(meta, dict) and isinstance(meta.get("id"), str):
        return str(meta["id"])
    return f"urn:ngsi-ld:{info.name}:{entity.code}"


# --------------------------------------------------------------------------- reading input


@dataclass
class Incoming:
    """One entity (or fragment) of a request, reduced to what the IOC stores."""

    position: int
    id: str
    info: TypeInfo
    code: str
    name: str | None
    lat: float | None
    lon: float | None
    has_location: bool
    rows: list[dict[str, Any]] = field(default_factory=list)
    row_attrs: list[str] = field(default_factory=list)
    measured: set[str] = field(default_factory=set)
    extras: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, dict[str, Any]] = field(default_factory=dict)


def _split_attr(name: str, raw: Any) -> tuple[Any, dict[str, Any]]:
    """(key-values value, sub-attributes incl. a non-Property type) of one attribute."""
    if raw is None:
        raise bad_request(f"{name}: null is not a valid attribute value")
    if isinstance(raw, list) and raw and all(isinstance(i, dict) and "type" in i for i in raw):
        raise bad_request(f"{name}: multi-attribute instances (datasetId) are not supported")
    if not isinstance(raw, dict):
        return raw, {}
    kind = raw.get("type")
    if isinstance(kind, str) and kind in VALUE_FIELD:
        member = VALUE_FIELD[kind]
        if member not in raw or raw[member] is None:
            raise bad_request(f"{name}: a {kind} needs a non-null {member!r}")
        if kind == "Relationship" and not is_uri(raw[member]):
            raise bad_request(f"{name}: a Relationship object must be a URI")
        meta = {k: v for k, v in raw.items() if k != member}
        return raw[member], ({} if meta == {"type": "Property"} else meta)
    if "type" not in raw and "value" in raw:  # concise Property
        if raw["value"] is None:
            raise bad_request(f"{name}: null is not a valid attribute value")
        return raw["value"], {k: v for k, v in raw.items() if k != "value"}
    if "type" not in raw and "object" in raw:  # concise Relationship
        if not is_uri(raw["object"]):
            raise bad_request(f"{name}: a Relationship object must be a URI")
        rest = {k: v for k, v in raw.items() if k != "object"}
        return raw["object"], {"type": "Relationship", **rest}
    return raw, {}  # a JSON object value (key-values)


def parse_entity(
    doc: Any,
    registry: Registry,
    position: int = 0,
    *,
    target: tuple[str, TypeInfo] | None = None,
    default_time: str | None = None,
) -> Incoming:
    """Read one entity (or, with ``target``, an attribute fragment of that entity)."""
    if not isinstance(doc, dict):
        raise bad_request("an entity must be a JSON object")
    doc = {compact(k): v for k, v in doc.items() if k != "@context"}
    if target is not None:
        for key, expected in (("id", target[0]), ("type", target[1].name)):
            if key in doc and compact(str(doc[key])) != expected:
                raise bad_request(f"{key}: does not match the entity ({expected})")
        doc["id"], doc["type"] = target[0], target[1].name
    entity_id = doc.get("id")
    if not isinstance(entity_id, str) or not entity_id:
        raise bad_request("id: missing")
    if not is_uri(entity_id):
        raise bad_request(f"id: {entity_id!r} is not a URI")
    raw_type = doc.get("type")
    if isinstance(raw_type, list) and len(raw_type) == 1:
        raw_type = raw_type[0]
    if not isinstance(raw_type, str) or not raw_type:
        raise bad_request("type: missing (one type name)")
    info = target[1] if target is not None else type_info(registry, raw_type)
    if info is None:
        raise NgsiError(
            "OperationNotSupported",
            f"type: {raw_type} is not mapped onto an IOC entity type "
            f"(supported: {', '.join(t.name for t in all_types(registry))})",
        )
    doc["type"] = info.name
    mapping = info.mapping
    if default_time and mapping.time_attribute not in doc:
        doc[mapping.time_attribute] = default_time
    for attr in mapping.attributes:
        if attr in doc:
            raw = doc[attr]
            if isinstance(raw, list):
                raise bad_request(f"{attr}: multi-attribute instances are not supported")
            if isinstance(raw, dict) and raw.get("type", "Property") != "Property":
                raise bad_request(f"{attr}: must be a Property")
    try:
        sdm = read_entity(doc, mapping)
    except SdmError as exc:
        raise bad_request(str(exc)) from exc
    code = entity_code(entity_id, info.name)
    if len(code) > 64:
        raise bad_request("id: the part after the type may have at most 64 characters")
    out = Incoming(
        position=position,
        id=entity_id,
        info=info,
        code=code,
        name=sdm.name,
        lat=sdm.lat,
        lon=sdm.lon,
        has_location="location" in doc,
        rows=sdm.rows,
    )
    for row in sdm.rows:
        attr = next(a for a, ind in mapping.attributes.items() if ind == row["indicator"])
        out.row_attrs.append(attr)
        out.measured.add(attr)
    for key, raw in doc.items():
        if key in RESERVED or key in mapping.attributes or key == "location":
            continue
        if key == "name" and sdm.name is not None:
            continue
        if key == mapping.time_attribute and out.measured:
            continue  # shown from the series' latest times
        if not key or _BAD_NAME.search(key):
            raise bad_request(f"{key!r}: not a valid attribute name")
        flat, meta = _split_attr(key, raw)
        out.extras[key] = flat
        if meta:
            out.meta[key] = meta
    return out


# --------------------------------------------------------------------------- writing


@dataclass
class BatchResult:
    """Outcome of a write: ids created, ids updated, per-entity errors (ProblemDetails)."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    stored: int = 0
    # Entities refused because they belong to another owner (the web layer audits them).
    denied: list[str] = field(default_factory=list)

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
    targets: Mapping[int, tuple[str, TypeInfo]] | None = None,
    default_time: str | None = None,
    scope: WriteScope | None = None,
    may_manage: bool = True,
) -> BatchResult:
    """Create, replace or update (merge) entities in the caller's transaction.

    Each entity succeeds or fails as a whole: its measurements are validated (numbers, ranges,
    units, times) before anything is written. ``scope`` limits the entities the caller may
    write (default: all); without ``may_manage`` the caller sends measurements only and may
    neither create an entity nor change its name or location.
    """
    scope = scope or WriteScope.province()
    result = BatchResult()
    parsed: list[Incoming] = []
    for position, doc in enumerate(docs):
        try:
            target = targets.get(position) if targets else None
            parsed.append(
                parse_entity(doc, registry, position, target=target, default_time=default_time)
            )
        except NgsiError as exc:
            result.fail(doc.get("id") if isinstance(doc, dict) else None, exc.body())
    if not parsed:
        return result
    lookups = load_lookups(session, registry)
    lookups.entity_codes = lookups.entity_codes | {p.code for p in parsed}
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
    known = load_entities(session, [inc.code for inc in good])
    before = set(known)
    done: set[str] = set()
    locator: geo.Locator | None = None
    rows: list[RawRow] = []
    for inc in good:
        current = known.get(inc.code)
        refusal = _refusal(inc, current, mode, scope, may_manage)
        if refusal is not None:
            result.fail(inc.id, problem("about:blank", refusal, 403))
            result.denied.append(inc.id)
            continue
        if current is not None:
            current_info = type_for_entity(registry, current)
            if mode == "create" or current_info is None:
                result.fail(inc.id, problem("AlreadyExists", f"{inc.id} already exists"))
                continue
            if ngsi_id(current, current_info) != inc.id and META in (current.attributes or {}):
                result.fail(
                    inc.id,
                    problem(
                        "BadRequestData",
                        f"id: station code {inc.code} is already used by "
                        f"{ngsi_id(current, current_info)}",
                    ),
                )
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
        if current is None and not scope.everything:
            # A new entity belongs to the agency of the caller who created it.
            known[inc.code].agency_code = _sole_agency(scope)
        if lat is not None and lon is not None and (current is None or inc.has_location):
            # The commune of a placed entity is the commune of its point (none outside the
            # province), decided here like every other point entering the IOC.
            locator = locator or geo.current_locator(session)
            try:
                known[inc.code].area_code = locator.locate(lat, lon).code
            except geo.GeoError:
                known[inc.code].area_code = None
        if inc.code not in done:
            done.add(inc.code)
            (result.updated if inc.code in before else result.created).append(inc.id)
        base = len(rows)
        rows.extend(RawRow(base + i + 1, row) for i, row in enumerate(inc.rows))
    if rows:
        result.stored = _store(session, rows, lookups, offset, actor)
    return result


def _sole_agency(scope: WriteScope) -> str | None:
    return next(iter(scope.agencies)) if len(scope.agencies) == 1 else None


def _refusal(
    inc: Incoming, current: Entity | None, mode: Mode, scope: WriteScope, may_manage: bool
) -> str | None:
    """Why the caller may not write ``inc`` (``None`` when it may)."""
    if current is None:
        if not may_manage:
            return (
                f"{inc.id}: tạo đối tượng mới cần quyền manage / creating an entity needs the "
                "manage scope"
            )
        if not scope.everything and (scope.entities is not None or _sole_agency(scope) is None):
            return (
                f"{inc.id}: mã truy cập này không được tạo đối tượng mới / this token may not "
                "create entities"
            )
        return None
    if not scope.may_entity(current.code, current.agency_code, current.area_code):
        return f"{inc.id}: đối tượng thuộc đơn vị khác / the entity belongs to another agency"
    if may_manage:
        return None
    renamed = inc.name is not None and inc.name != current.name
    moved = inc.has_location and (inc.lat, inc.lon) != (current.lat, current.lon)
    if renamed or moved or (mode == "replace" and inc.name is None and current.name != inc.code):
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
    if actor is not None:
        audit.record(
            session,
            actor,
            "observations.ingest",
            "batch",
            None,
            source="ngsi-ld",
            received=len(rows),
            stored=written.stored,
            rejected=len({e.row for e in checked.errors}),
        )
    return written.stored


def _new_state(
    inc: Incoming, current: Entity | None, mode: Mode
) -> tuple[str, float | None, float | None, dict[str, Any]]:
    """(name, lat, lon, attributes) after applying ``inc`` to ``current``."""
    meta_out: dict[str, Any] = {"id": inc.id, "type": inc.info.name}
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


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Latest:
    """The latest value of one attribute's series."""

    value: float
    ts: int
    unit: str


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


def render(
    entity: Entity,
    info: TypeInfo,
    latest: Mapping[str, Latest],
    *,
    key_values: bool = False,
    attrs: set[str] | None = None,
) -> dict[str, Any]:
    """The entity in NGSI-LD normalized form (default) or key-values (simplified)."""
    stored = dict(entity.attributes or {})
    meta_raw = stored.pop(META, None)
    meta = meta_raw if isinstance(meta_raw, dict) else {}
    sub: dict[str, Any] = meta.get("attrs") or {}
    measured = meta.get("measured")
    allowed = set(measured) if isinstance(measured, list) else None
    out: dict[str, Any] = {"id": ngsi_id(entity, info), "type": info.name}

    def want(name: str) -> bool:
        return attrs is None or name in attrs

    times: list[int] = []
    values: dict[str, Any] = {}
    for attr in info.mapping.attributes:
        item = latest.get(attr)
        if item is None or (allowed is not None and attr not in allowed):
            continue
        times.append(item.ts)
        if not want(attr):
            continue
        if key_values:
            values[attr] = item.value
        else:
            prop: dict[str, Any] = {
                "type": "Property",
                "value": item.value,
                "observedAt": iso(item.ts),
            }
            unit_code = UNIT_CODES.get(item.unit)
            if unit_code:
                prop["unitCode"] = unit_code
            values[attr] = prop
    time_attr = info.mapping.time_attribute
    if times and want(time_attr):
        when = iso(max(times))
        out[time_attr] = (
            when
            if key_values
            else {"type": "Property", "value": {"@type": "DateTime", "@value": when}}
        )
    if entity.lat is not None and entity.lon is not None and want("location"):
        point = {"type": "Point", "coordinates": [entity.lon, entity.lat]}
        out["location"] = point if key_values else {"type": "GeoProperty", "value": point}
    if want("name"):
        out["name"] = entity.name if key_values else {"type": "Property", "value": entity.name}
    out.update(values)
    for key, value in stored.items():
        if key in out or not want(key):
            continue
        if key_values:
            out[key] = value
            continue
        extra = dict(sub.get(key) or {})
        kind = extra.pop("type", "Property")
        out[key] = {"type": kind, VALUE_FIELD.get(kind, "value"): value, **extra}
    return out


def find_entity(session: Session, registry: Registry, entity_id: str) -> tuple[Entity, TypeInfo]:
    """The IOC entity shown with NGSI-LD id ``entity_id`` (404 ResourceNotFound if none)."""
    if not is_uri(entity_id):
        raise bad_request(f"id: {entity_id!r} is not a URI")
    code = entity_code(entity_id, "")
    entity = session.execute(
        select(Entity).where(Entity.code == code, Entity.active)
    ).scalar_one_or_none()
    info = type_for_entity(registry, entity) if entity is not None else None
    if entity is None or info is None or ngsi_id(entity, info) != entity_id:
        raise not_found(f"no entity {entity_id}")
    return entity, info


def get_entity(
    session: Session,
    registry: Registry,
    entity_id: str,
    *,
    key_values: bool = False,
    attrs: set[str] | None = None,
) -> dict[str, Any]:
    """``GET /entities/{id}``."""
    entity, info = find_entity(session, registry, entity_id)
    latest = load_latest(session, [entity], registry).get(entity.code, {})
    return render(entity, info, latest, key_values=key_values, attrs=attrs)


@dataclass
class Page:
    """One page of a query and, when asked, the number of matches."""

    items: list[dict[str, Any]]
    total: int | None


def query_entities(
    session: Session,
    registry: Registry,
    *,
    types: list[str] | None = None,
    ids: list[str] | None = None,
    q: str | None = None,
    attrs: set[str] | None = None,
    limit: int = 20,
    offset: int = 0,
    count: bool = False,
    key_values: bool = False,
) -> Page:
    """``GET /entities``: filter by type, id, q and attrs; page with limit and offset."""
    if not (types or ids or q or attrs):
        raise bad_request("give at least one of type, id, q or attrs")
    predicate = parse_q(q) if q else None
    if types:
        infos = [i for t in types if (i := type_info(registry, t)) is not None]
    else:
        infos = all_types(registry)
    if not infos:
        return Page([], 0 if count else None)
    cond = or_(*(and_(Entity.type == i.mapping.entity_type, Entity.pack == i.pack) for i in infos))
    query = select(Entity).where(cond, Entity.active)
    if ids:
        query = query.where(Entity.code.in_(sorted({entity_code(i, "") for i in ids})))
    names = {i.name for i in infos}
    if predicate is None and attrs is None and not ids and len(infos) == 1:
        total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        page = list(
            session.execute(query.order_by(Entity.code).offset(offset).limit(limit)).scalars()
        )
        latest = load_latest(session, page, registry)
        items = [render(e, infos[0], latest.get(e.code, {}), key_values=key_values) for e in page]
        return Page(items, total if count else None)
    candidates = list(session.execute(query.order_by(Entity.code)).scalars())
    latest = load_latest(session, candidates, registry)
    matches: list[tuple[Entity, TypeInfo]] = []
    for e in candidates:
        info = type_for_entity(registry, e)
        if info is None or info.name not in names:
            continue
        if ids and ngsi_id(e, info) not in ids:
            continue
        if predicate is not None or attrs is not None:
            doc = render(e, info, latest.get(e.code, {}), key_values=True)
            if predicate is not None and not predicate(doc):
                continue
            if attrs is not None and not (attrs & set(doc)):
                continue
        matches.append((e, info))
    items = [
        render(e, info, latest.get(e.code, {}), key_values=key_values, attrs=attrs)
        for e, info in matches[offset : offset + limit]
    ]
    return Page(items, len(matches) if count else None)


@dataclass
class UpdateResult:
    """``PATCH /entities/{id}/attrs``: attributes updated and those not present."""

    updated: list[str]
    not_updated: list[dict[str, str]]


def update_attrs(
    session: Session,
    registry: Registry,
    entity_id: str,
    fragment: Any,
    *,
    offset: int,
    actor: audit.Actor | None = None,
    scope: WriteScope | None = None,
    may_manage: bool = True,
) -> UpdateResult:
    """Update the attributes of an entity that it already has; others are reported."""
    entity, info = find_entity(session, registry, entity_id)
    if not isinstance(fragment, dict):
        raise bad_request("the body must be a JSON object of attributes")
    fragment = {compact(k): v for k, v in fragment.items() if k != "@context"}
    latest = load_latest(session, [entity], registry).get(entity.code, {})
    present = set(render(entity, info, latest, key_values=True)) - {"id", "type"}
    present |= set(info.mapping.attributes) if META not in (entity.attributes or {}) else set()
    apply: dict[str, Any] = {}
    updated: list[str] = []
    not_updated: list[dict[str, str]] = []
    for key, expected in (("id", entity_id), ("type", info.name)):
        if key in fragment and compact(str(fragment[key])) != expected:
            raise bad_request(f"{key}: does not match the entity ({expected})")
    for key, value in fragment.items():
        if key in ("id", "type"):
            continue
        if key in present:
            apply[key] = value
            updated.append(key)
        else:
            not_updated.append({"attributeName": key, "reason": "the entity has no such attribute"})
    if updated:
        now = clock.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        result = write_entities(
            session,
            [apply],
            registry,
            mode="update",
            offset=offset,
            actor=actor,
            targets={0: (entity_id, info)},
            default_time=now,
            scope=scope,
            may_manage=may_manage,
        )
        if result.errors:
            err = result.errors[0]["error"]
            raise NgsiError(err["type"].rsplit("/", 1)[-1], err["detail"], err["status"])
    return UpdateResult(updated, not_updated)


__all__ = [
    "MAX_BATCH",
    "BatchResult",
    "Page",
    "TypeInfo",
    "UpdateResult",
    "find_entity",
    "get_entity",
    "iso",
    "load_latest",
    "query_entities",
    "render",
    "update_attrs",
    "write_entities",
]
