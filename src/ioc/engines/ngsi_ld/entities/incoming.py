"""Reading an NGSI-LD entity from a request body: mapped attributes and generic ones."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ioc.core.registry import Registry
from ioc.engines.ingestion.sdm import SdmError, read_entity
from ioc.engines.ngsi_ld.context import compact
from ioc.engines.ngsi_ld.entities.mapped_types import TypeInfo, type_info
from ioc.engines.ngsi_ld.entities.terms import (
    _BAD_NAME,
    DEFAULT_TENANT,
    FRACTION,
    RESERVED,
    VALUE_FIELD,
    check_id,
    is_uri,
    now_ts,
)
from ioc.engines.ngsi_ld.geometry import check_geometry
from ioc.engines.ngsi_ld.problems import bad_request

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


def _value_member(name: str, raw: dict[str, Any], kind: str) -> str:
    """The member (``value``, ``object`` …) holding the value of attribute ``name`` of type
    ``kind``, once it is known to be there, non-null, and a URI for a Relationship."""
    member = VALUE_FIELD[kind]
    if member not in raw or raw[member] is None:
        raise bad_request(f"{name}: a {kind} needs a non-null {member!r}")
    if kind == "Relationship" and not is_uri(raw[member]):
        raise bad_request(f"{name}: a Relationship object must be a URI")
    return member


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
        member = _value_member(name, raw, kind)
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
    types: dict[str, TypeInfo | None] | None = None,
) -> Incoming:
    """Read one entity (or, with ``target`` = (id, type), an attribute fragment of it).

    ``types`` caches the mapping of each type name across the entities of a batch."""
    doc, entity_id, type_name = _read_head(doc, target)
    info: TypeInfo | None = None
    if tenant == DEFAULT_TENANT:
        if types is None:
            info = type_info(registry, type_name)
        elif type_name in types:
            info = types[type_name]
        else:
            info = types[type_name] = type_info(registry, type_name)
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
    by_indicator = info.by_indicator
    for row in sdm.rows:
        attr = by_indicator[row["indicator"]]
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
            _value_member(name, raw, kind)
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
