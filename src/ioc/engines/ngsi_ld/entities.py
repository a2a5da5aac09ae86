"""NGSI-LD entities ↔ IOC entities, series and generic entities.

An NGSI-LD entity **is its full id**. Every entity has a row in ``ngsi_entities`` (per tenant):

* an entity of a type a pack maps (``AirQualityObserved`` → our ``AirQualityStation``) is one
  :class:`~ioc.core.models.Entity` row (a station) that the ``ngsi_entities`` row names
  explicitly (``entity_code``). A new entity's station code is the last segment of its id when
  that code is free, else that segment shortened with a hash of the full id: two ids never share
  a station, whatever their last segments. ``name`` and ``location`` are columns, other
  non-numeric attributes are kept as key-values in ``Entity.attributes`` (with their NGSI-LD
  sub-attributes under the reserved key ``ngsi-ld``), and the mapped numeric attributes
  (``pm25`` …) are observations ingested through the same path as ``POST /api/v1/observations``;
* a station made elsewhere (pages, CSV, MQTT) that no row names is shown under its canonical id
  ``urn:ngsi-ld:<type>:<code>`` (an exact id, not a match on the last segment);
* any other entity (``Building``, ``Vehicle`` …, and every entity of a named tenant) is
  *generic*: its attributes are kept in normalized form on its row and the numeric values of
  its Properties in ``ngsi_attr_values`` (temporal queries).

Deleting an entity hides it (a station is deactivated); its history stays.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import and_, delete, exists, false, func, or_, select
from sqlalchemy.orm import Session

from ioc.core import audit, clock
from ioc.core.entities import EntityError, load_entities, upsert_entity
from ioc.core.models import Entity, Indicator, Series
from ioc.core.ownership import WriteScope
from ioc.core.registry import NgsiType, Registry
from ioc.core.series import SeriesInfo, SeriesResolver, write_observations
from ioc.engines import geo
from ioc.engines.ingestion.parse import RawRow
from ioc.engines.ingestion.sdm import SdmError, read_entity
from ioc.engines.ingestion.service import load_lookups
from ioc.engines.ingestion.validate import Lookups, validate_rows
from ioc.engines.ngsi_ld.context import compact
from ioc.engines.ngsi_ld.geometry import check_geometry
from ioc.engines.ngsi_ld.models import MAX_ID_LENGTH, NgsiAttrValue, NgsiEntity
from ioc.engines.ngsi_ld.problems import NgsiError, bad_request, not_found, problem
from ioc.engines.ngsi_ld.query import parse_q

META = "ngsi-ld"  # reserved key of Entity.attributes: NGSI-LD id, type, sub-attributes
DEFAULT_TENANT = ""
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
#: A mapped attribute whose Smart Data Model defines it as a fraction 0–1 (stored in %).
FRACTION = "fraction"
MAX_BATCH = 1000
#: Longest part of an id after ``urn:ngsi-ld:<type>:`` (the whole id: ``MAX_ID_LENGTH``).
MAX_SUFFIX = 256
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]+$")
_BAD_NAME = re.compile(r"[\s<>\"'=;()\[\]{}\\]")

Mode = Literal["create", "replace", "update"]
Format = Literal["normalized", "keyValues", "concise"]


def iso(ts: int) -> str:
    """UNIX seconds as an NGSI-LD DateTime (UTC, ``Z``)."""
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_ts() -> int:
    """Now, in UNIX seconds (the IOC clock)."""
    return int(clock.now().timestamp())


def is_uri(value: Any) -> bool:
    """Whether ``value`` is an absolute URI, as NGSI-LD requires of ids and objects."""
    return isinstance(value, str) and bool(_URI.match(value))


def check_id(entity_id: Any, name: str = "id") -> str:
    """An entity id as NGSI-LD allows it (a URI, at most 512 characters, the part after
    ``urn:ngsi-ld:<type>:`` at most 256); 400 BadRequestData otherwise."""
    if not isinstance(entity_id, str) or not entity_id:
        raise bad_request(f"{name}: missing")
    if not is_uri(entity_id):
        raise bad_request(f"{name}: {entity_id[:100]!r} is not a URI")
    if len(entity_id) > MAX_ID_LENGTH or len(id_suffix(entity_id)) > MAX_SUFFIX:
        raise bad_request(
            f"{name}: at most {MAX_ID_LENGTH} characters, the part after the type at most "
            f"{MAX_SUFFIX}"
        )
    return entity_id


def id_suffix(entity_id: str) -> str:
    """The last part of an id (``urn:ngsi-ld:T:abc`` → ``abc``): only a *proposal* for the
    station code of a new entity, never used to find an entity."""
    if entity_id.startswith("urn:ngsi-ld:"):
        return entity_id.split(":", 3)[-1]
    return entity_id


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


def canonical_id(entity: Entity, info: TypeInfo) -> str:
    """The id of a station that no ``ngsi_entities`` row names: ``urn:ngsi-ld:<type>:<code>``."""
    return f"urn:ngsi-ld:{info.name}:{entity.code}"


# --------------------------------------------------------------------------- ids → entities


@dataclass
class Ref:
    """What an NGSI-LD id stands for: its row, and its station for a mapped type."""

    id: str
    type: str
    row: NgsiEntity | None
    station: Entity | None = None
    info: TypeInfo | None = None  # None: a generic entity

    @property
    def generic(self) -> bool:
        """A generic entity (attributes on its row)."""
        return self.info is None

    @property
    def exists(self) -> bool:
        """Visible to queries (not deleted; a station that is active)."""
        if self.info is None:
            return self.row is not None and self.row.deleted_at is None
        if self.station is None or not self.station.active:
            return False
        return self.row is None or self.row.deleted_at is None


def lookup_many(
    session: Session, registry: Registry, tenant: str, ids: Iterable[str]
) -> dict[str, Ref]:
    """``{id: Ref}`` for the ids that have a row, or (default tenant) that are the canonical id
    of a station no row names. Three queries for a whole batch."""
    wanted = sorted(set(ids))
    out: dict[str, Ref] = {}
    rows: dict[str, NgsiEntity] = {}
    for start in range(0, len(wanted), 500):
        for row in session.execute(
            select(NgsiEntity).where(
                NgsiEntity.tenant == tenant, NgsiEntity.entity_id.in_(wanted[start : start + 500])
            )
        ).scalars():
            rows[row.entity_id] = row
    canonical: dict[str, tuple[str, TypeInfo]] = {}
    if tenant == DEFAULT_TENANT:
        infos = all_types(registry)
        for entity_id in wanted:
            if entity_id in rows:
                continue
            for info in infos:
                prefix = f"urn:ngsi-ld:{info.name}:"
                if entity_id.startswith(prefix) and 0 < len(entity_id) - len(prefix) <= 64:
                    canonical[entity_id] = (entity_id[len(prefix) :], info)
                    break
    codes = {r.entity_code for r in rows.values() if r.entity_code} | {
        c for c, _ in canonical.values()
    }
    stations = load_entities(session, codes)
    claimed = claimed_codes(session, [c for c, _ in canonical.values()])
    for entity_id, row in rows.items():
        if row.entity_code is None:
            out[entity_id] = Ref(entity_id, row.type, row)
            continue
        mapped = type_info(registry, row.type)
        if mapped is None:
            continue  # a type no pack maps any more
        out[entity_id] = Ref(entity_id, row.type, row, stations.get(row.entity_code), mapped)
    for entity_id, (code, info) in canonical.items():
        station = stations.get(code)
        if (
            station is None
            or code in claimed
            or station.type != info.mapping.entity_type
            or station.pack != info.pack
        ):
            continue
        out[entity_id] = Ref(entity_id, info.name, None, station, info)
    return out


def claimed_codes(session: Session, codes: Iterable[str]) -> set[str]:
    """The station codes among ``codes`` that an ``ngsi_entities`` row names."""
    wanted = sorted(set(codes))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        found.update(
            c
            for c in session.execute(
                select(NgsiEntity.entity_code).where(
                    NgsiEntity.entity_code.in_(wanted[start : start + 500])
                )
            ).scalars()
            if c is not None
        )
    return found


def lookup(session: Session, registry: Registry, tenant: str, entity_id: str) -> Ref | None:
    """The entity with id ``entity_id`` (deleted ones too), or None."""
    return lookup_many(session, registry, tenant, [entity_id]).get(entity_id)


def find(session: Session, registry: Registry, tenant: str, entity_id: str) -> Ref:
    """The existing entity with id ``entity_id``: 404 ResourceNotFound if none."""
    check_id(entity_id)
    ref = lookup(session, registry, tenant, entity_id)
    if ref is None or not ref.exists:
        raise not_found(f"no entity {entity_id}")
    return ref


def _allocate_code(session: Session, entity_id: str, taken: set[str]) -> str:
    """A free station code for the new entity ``entity_id``: its last segment when no station
    has it, else that segment shortened plus 8 characters of a hash of the full id."""
    suffix = id_suffix(entity_id).strip() or "ngsi"
    digest = hashlib.sha256(entity_id.encode()).hexdigest()
    candidates = [suffix] if len(suffix) <= 64 else []
    candidates += [f"{suffix[:55].rstrip()}-{digest[:8]}", f"{suffix[:47].rstrip()}-{digest[:16]}"]
    existing = load_entities(session, candidates)
    claimed = claimed_codes(session, candidates)
    for code in candidates:
        if code not in existing and code not in claimed and code not in taken:
            taken.add(code)
            return code
    raise NgsiError("AlreadyExists", f"{entity_id}: no free station code")


# --------------------------------------------------------------------------- reading input


@dataclass
class Incoming:
    """One entity (or fragment) of a request, reduced to what the IOC stores.

    ``info`` is None for a generic entity (``attrs`` holds its normalized attributes and
    ``values`` the numeric history to keep); else the mapped type, with the station fields."""

    position: int
    id: str
    type: str
    info: TypeInfo | None
    code: str = ""
    name: str | None = None
    lat: float | None = None
    lon: float | None = None
    has_location: bool = False
    geometry: dict[str, Any] | None = None  # a location that is not a Point
    rows: list[dict[str, Any]] = field(default_factory=list)
    row_attrs: list[str] = field(default_factory=list)
    measured: set[str] = field(default_factory=set)
    extras: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, dict[str, Any]] = field(default_factory=dict)
    attrs: dict[str, Any] = field(default_factory=dict)
    values: list[tuple[str, int, float]] = field(default_factory=list)

    @property
    def changed(self) -> list[str]:
        """The attribute names this request sets (for subscriptions' watchedAttributes)."""
        if self.info is None:
            return sorted(self.attrs)
        names = set(self.measured) | set(self.extras)
        if self.name is not None:
            names.add("name")
        if self.has_location:
            names.add("location")
        return sorted(names)


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


def _location(raw: Any) -> tuple[float, float, dict[str, Any]]:
    """(lat, lon, geometry) of a ``location`` (normalized, concise or key-values)."""
    value = raw
    if (
        isinstance(raw, dict)
        and "value" in raw
        and raw.get("type", "GeoProperty")
        in (
            "GeoProperty",
            "Property",
        )
    ):
        value = raw["value"]
    lat, lon = check_geometry(value)
    return lat, lon, dict(value)


def _read_head(doc: Any, target: tuple[str, str] | None) -> tuple[dict[str, Any], str, str]:
    """(document with short names, id, type) of one entity or fragment."""
    if not isinstance(doc, dict):
        raise bad_request("an entity must be a JSON object")
    doc = {compact(k): v for k, v in doc.items() if k != "@context"}
    if target is not None:
        for key, expected in (("id", target[0]), ("type", target[1])):
            if key in doc and compact(str(doc[key])) != expected:
                raise bad_request(f"{key}: does not match the entity ({expected})")
        doc["id"], doc["type"] = target
    entity_id = check_id(doc.get("id"))
    if "\x00" in entity_id:
        raise bad_request("id: contains a NUL character")
    raw_type = doc.get("type")
    if isinstance(raw_type, list) and len(raw_type) == 1:
        raw_type = raw_type[0]
    if not isinstance(raw_type, str) or not raw_type or len(raw_type) > 256:
        raise bad_request("type: missing (one type name)")
    if _BAD_NAME.search(raw_type) or "\x00" in raw_type:
        raise bad_request(f"type: {raw_type[:100]!r} is not a valid type name")
    doc["type"] = compact(raw_type)
    return doc, entity_id, compact(raw_type)


def parse_entity(
    doc: Any,
    registry: Registry,
    position: int = 0,
    *,
    tenant: str = DEFAULT_TENANT,
    target: tuple[str, str] | None = None,
    default_time: str | None = None,
) -> Incoming:
    """Read one entity (or, with ``target`` = (id, type), an attribute fragment of it)."""
    doc, entity_id, type_name = _read_head(doc, target)
    info = type_info(registry, type_name) if tenant == DEFAULT_TENANT else None
    if info is None:
        return _parse_generic(doc, entity_id, type_name, position, default_time)
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
    has_location = "location" in doc
    lat = lon = None
    geometry: dict[str, Any] | None = None
    if has_location:
        lat, lon, geometry = _location(doc.pop("location"))
        if geometry.get("type") == "Point":
            geometry = None
    try:
        sdm = read_entity(doc, mapping)
    except SdmError as exc:
        raise bad_request(str(exc)) from exc
    out = Incoming(
        position=position,
        id=entity_id,
        type=info.name,
        info=info,
        name=sdm.name,
        lat=lat,
        lon=lon,
        has_location=has_location,
        geometry=geometry,
        rows=sdm.rows,
    )
    for row in sdm.rows:
        attr = next(a for a, ind in mapping.attributes.items() if ind == row["indicator"])
        out.row_attrs.append(attr)
        out.measured.add(attr)
        if mapping.units.get(attr) == FRACTION and "unit" not in row:
            row["unit"] = FRACTION
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


def _parse_time(value: Any, where: str) -> int:
    if isinstance(value, dict) and "@value" in value:
        value = value["@value"]
    if not isinstance(value, str):
        raise bad_request(f"{where}: not a DateTime")
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise bad_request(f"{where}: not an ISO 8601 DateTime: {value[:40]!r}") from exc
    if dt.tzinfo is None:
        raise bad_request(f"{where}: needs a time zone (Z or +07:00)")
    return int(dt.timestamp())


def _normalize_generic(name: str, raw: Any) -> dict[str, Any]:
    """One attribute of a generic entity in normalized form (checked)."""
    if raw is None:
        raise bad_request(f"{name}: null is not a valid attribute value")
    if isinstance(raw, list) and raw and all(isinstance(i, dict) and "type" in i for i in raw):
        raise bad_request(f"{name}: multi-attribute instances (datasetId) are not supported")
    if isinstance(raw, dict):
        kind = raw.get("type")
        if isinstance(kind, str) and kind in VALUE_FIELD:
            member = VALUE_FIELD[kind]
            if member not in raw or raw[member] is None:
                raise bad_request(f"{name}: a {kind} needs a non-null {member!r}")
            if kind == "Relationship" and not is_uri(raw[member]):
                raise bad_request(f"{name}: a Relationship object must be a URI")
            out = dict(raw)
        elif "type" not in raw and "value" in raw:
            out = {"type": "Property", **raw}
        elif "type" not in raw and "object" in raw:
            out = {"type": "Relationship", **raw}
            if not is_uri(raw["object"]):
                raise bad_request(f"{name}: a Relationship object must be a URI")
        elif name == "location" and raw.get("type") in ("Point", "Polygon", "MultiPolygon"):
            out = {"type": "GeoProperty", "value": raw}
        else:
            out = {"type": "Property", "value": raw}
    else:
        out = {"type": "Property", "value": raw}
    if out["type"] == "Property" and name == "location" and _looks_geo(out.get("value")):
        out["type"] = "GeoProperty"
    if out["type"] == "GeoProperty":
        check_geometry(out.get("value"), name)
    value = out.get("value")
    if isinstance(value, float) and not math.isfinite(value):
        raise bad_request(f"{name}: not a finite number")
    if "observedAt" in out:
        _parse_time(out["observedAt"], f"{name}.observedAt")
    for sub, sub_raw in list(out.items()):
        if sub in ("type", "value", "object", "observedAt", "unitCode", "datasetId") or sub in (
            VALUE_FIELD.values()
        ):
            continue
        if not sub or _BAD_NAME.search(sub):
            raise bad_request(f"{name}.{sub!r}: not a valid sub-attribute name")
        out[sub] = _normalize_generic(f"{name}.{sub}", sub_raw)
    return out


def _looks_geo(value: Any) -> bool:
    return isinstance(value, dict) and value.get("type") in (
        "Point",
        "LineString",
        "Polygon",
        "MultiPoint",
        "MultiLineString",
        "MultiPolygon",
    )


def _parse_generic(
    doc: dict[str, Any],
    entity_id: str,
    type_name: str,
    position: int,
    default_time: str | None,
) -> Incoming:
    """A generic entity: attributes kept as they are (normalized), numeric values as history."""
    out = Incoming(position=position, id=entity_id, type=type_name, info=None)
    fallback = _parse_time(default_time, "time") if default_time else now_ts()
    for key, raw in doc.items():
        if key in RESERVED:
            continue
        if not key or _BAD_NAME.search(key) or len(key) > 256:
            raise bad_request(f"{key[:100]!r}: not a valid attribute name")
        attr = _normalize_generic(key, raw)
        out.attrs[key] = attr
        value = attr.get("value")
        if attr["type"] == "Property" and isinstance(value, int | float):
            if isinstance(value, bool):
                continue
            when = (
                _parse_time(attr["observedAt"], f"{key}.observedAt")
                if "observedAt" in attr
                else fallback
            )
            out.values.append((key, when, float(value)))
    return out


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
        if ref is not None and ref.station is not None:
            inc.code = ref.station.code
        elif ref is not None and ref.row is not None and ref.row.entity_code:
            inc.code = ref.row.entity_code
        elif inc.id in seen and any(p.id == inc.id and p.code for p in mapped):
            inc.code = next(p.code for p in mapped if p.id == inc.id and p.code)
        else:
            try:
                inc.code = _allocate_code(session, inc.id, taken)
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
        total = session.execute(
            select(func.count()).select_from(station_query.subquery())
        ).scalar_one()
        page = list(
            session.execute(
                station_query.order_by(Entity.code).offset(offset).limit(limit)
            ).scalars()
        )
        refs = _station_refs(session, page, registry)
        docs = normalized(session, registry, refs)
        items = [represent(docs[r.id], fmt, None, _sys(r, sys_attrs)) for r in refs]
        return Page(items, total if count else None)
    candidates: list[Ref] = []
    if ids:
        found = lookup_many(session, registry, tenant, ids)
        candidates = [
            r
            for i in dict.fromkeys(ids)
            if (r := found.get(i)) is not None and r.exists and (names is None or r.type in names)
        ]
    else:
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


@dataclass
class UpdateResult:
    """``PATCH /entities/{id}/attrs``: attributes updated and those not present."""

    updated: list[str]
    not_updated: list[dict[str, str]]
    changes: list[Change] = field(default_factory=list)


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
    tenant: str = DEFAULT_TENANT,
) -> UpdateResult:
    """Update the attributes of an entity that it already has; others are reported."""
    ref = find(session, registry, tenant, entity_id)
    if not isinstance(fragment, dict):
        raise bad_request("the body must be a JSON object of attributes")
    fragment = {compact(k): v for k, v in fragment.items() if k != "@context"}
    doc = normalized(session, registry, [ref])[ref.id]
    present = set(doc) - {"id", "type"}
    if (
        ref.info is not None
        and ref.station is not None
        and META not in (ref.station.attributes or {})
    ):
        present |= set(ref.info.mapping.attributes)
    apply: dict[str, Any] = {}
    updated: list[str] = []
    not_updated: list[dict[str, str]] = []
    for key, expected in (("id", entity_id), ("type", ref.type)):
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
    changes: list[Change] = []
    if updated:
        now = clock.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        result = write_entities(
            session,
            [apply],
            registry,
            mode="update",
            offset=offset,
            actor=actor,
            targets={0: (entity_id, ref.type)},
            default_time=now,
            scope=scope,
            may_manage=may_manage,
            tenant=tenant,
        )
        if result.errors:
            err = result.errors[0]["error"]
            raise NgsiError(err["type"].rsplit("/", 1)[-1], err["detail"], err["status"])
        changes = result.changes
    return UpdateResult(updated, not_updated, changes)


def delete_entities(
    session: Session,
    registry: Registry,
    entity_ids: list[Any],
    *,
    actor: audit.Actor | None = None,
    scope: WriteScope | None = None,
    may_manage: bool = True,
    tenant: str = DEFAULT_TENANT,
) -> BatchResult:
    """Delete entities: they leave every query; a station is deactivated; history is kept (the
    province's retention rules apply to it), and creating the same id again works."""
    scope = scope or WriteScope.province()
    result = BatchResult()
    valid: list[str] = []
    for raw in entity_ids:
        try:
            valid.append(check_id(raw))
        except NgsiError as exc:
            result.fail(raw, exc.body())
    refs = lookup_many(session, registry, tenant, valid)
    now = now_ts()
    who = actor or audit.Actor.system("ngsi-ld")
    for entity_id in dict.fromkeys(valid):
        ref = refs.get(entity_id)
        if ref is None or not ref.exists:
            result.fail(entity_id, problem("ResourceNotFound", f"no entity {entity_id}"))
            continue
        if ref.info is None:
            assert ref.row is not None
            refusal = _generic_refusal(entity_id, ref.row, scope, may_manage)
        else:
            assert ref.station is not None
            refusal = None
            if not scope.may_entity(
                ref.station.code, ref.station.agency_code, ref.station.area_code
            ):
                refusal = (
                    f"{entity_id}: đối tượng thuộc đơn vị khác / the entity belongs to another "
                    "agency"
                )
        if refusal is None and not may_manage:
            refusal = (
                f"{entity_id}: xoá đối tượng cần quyền manage / deleting needs the manage scope"
            )
        if refusal is not None:
            result.fail(entity_id, problem("about:blank", refusal, 403))
            result.denied.append(entity_id)
            continue
        row = ref.row
        if row is None:
            assert ref.station is not None
            row = NgsiEntity(
                tenant=tenant,
                entity_id=entity_id,
                type=ref.type,
                entity_code=ref.station.code,
                attrs={},
                created_at=now,
                modified_at=now,
            )
            session.add(row)
        row.deleted_at = now
        row.modified_at = now
        if ref.station is not None:
            ref.station.active = False
            audit.record(
                session,
                who,
                "entity.delete",
                "entity",
                ref.station.id,
                code=ref.station.code,
                ngsi_id=entity_id,
            )
        else:
            audit.record(session, who, "ngsi.entity_delete", "ngsi_entity", row.id, id=entity_id)
        result.updated.append(entity_id)
        result.changes.append(Change(entity_id, ref.type, [], deleted=True))
    session.flush()
    return result


__all__ = [
    "DEFAULT_TENANT",
    "MAX_BATCH",
    "BatchResult",
    "Change",
    "Page",
    "Ref",
    "TypeInfo",
    "UpdateResult",
    "check_id",
    "delete_entities",
    "find",
    "get_entity",
    "iso",
    "load_latest",
    "lookup",
    "lookup_many",
    "normalized",
    "query_entities",
    "represent",
    "update_attrs",
    "write_entities",
]
