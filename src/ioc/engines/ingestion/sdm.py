"""FIWARE Smart Data Models / NGSI-LD entities → ingestion rows.

Accepts the key-values shape (``"pm25": 12.3``) and the normalized shape
(``"pm25": {"type": "Property", "value": 12.3, "unitCode": "GQ", "observedAt": …}``), so the
same function serves MQTT payloads and the NGSI-LD API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ioc.core.registry import NgsiType

# UN/CEFACT common codes used by the Smart Data Models examples.
UNIT_CODES = {
    "GQ": "µg/m3",
    "GP": "mg/m3",
    "59": "ppm",
    "61": "ppb",
    "CEL": "°C",
    "P1": "%",
    "2N": "dB",
    "MMT": "mm",
    "MTS": "m/s",
    "A97": "hPa",
}


class SdmError(ValueError):
    """An entity that cannot be read; the message names the attribute."""


@dataclass
class SdmEntity:
    """An entity reduced to what the IOC stores: its code, place and ingestion rows."""

    id: str
    type: str
    code: str
    lat: float | None = None
    lon: float | None = None
    name: str | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)
    attributes: dict[str, Any] = field(default_factory=dict)


def entity_code(entity_id: str, type_name: str) -> str:
    """Our station code from an NGSI-LD id: ``urn:ngsi-ld:AirQualityObserved:DL-BMT-01`` →
    ``DL-BMT-01``; an id without the URN prefix is used as it is."""
    prefix = f"urn:ngsi-ld:{type_name}:"
    if entity_id.startswith(prefix):
        return entity_id[len(prefix) :]
    if entity_id.startswith("urn:ngsi-ld:"):
        return entity_id.split(":", 3)[-1]
    return entity_id


def _value(raw: Any, name: str) -> tuple[Any, str | None, str | None]:
    """(value, unit, observedAt) of a key-values or normalized attribute ``name``."""
    if isinstance(raw, dict):
        if "value" in raw:
            value = raw["value"]
        elif "@value" in raw:
            value = raw["@value"]
        else:
            value = raw.get("object")
        if isinstance(value, dict) and "@value" in value:
            value = value["@value"]
        unit = raw.get("unitCode")
        if unit is not None and not isinstance(unit, str):
            raise SdmError(f"{name}.unitCode: phải là chuỗi / must be a string")
        return value, UNIT_CODES.get(unit, unit) if unit else None, raw.get("observedAt")
    return raw, None, None


def _location(raw: Any) -> tuple[float | None, float | None]:
    value, _, _ = _value(raw, "location")
    if isinstance(value, dict) and value.get("type") == "Point":
        coords = value.get("coordinates")
        if (
            isinstance(coords, list)
            and len(coords) >= 2
            and all(isinstance(c, int | float) for c in coords[:2])
        ):
            return float(coords[1]), float(coords[0])  # GeoJSON is [lon, lat]
        raise SdmError("location: cần Point [kinh độ, vĩ độ] / needs Point [lon, lat]")
    if value is not None:
        raise SdmError("location: chỉ nhận GeoJSON Point / only GeoJSON Point")
    return None, None


def read_entity(entity: Any, mapping: NgsiType) -> SdmEntity:
    """Read one entity of a mapped type; raises :class:`SdmError` naming the bad attribute."""
    if not isinstance(entity, dict):
        raise SdmError("entity: phải là đối tượng JSON / must be a JSON object")
    entity_id = entity.get("id")
    type_name = entity.get("type")
    if not isinstance(entity_id, str) or not entity_id:
        raise SdmError("id: thiếu / missing")
    if not isinstance(type_name, str) or not type_name:
        raise SdmError("type: thiếu / missing")
    if "\x00" in entity_id:  # PostgreSQL cannot store it
        raise SdmError("id: chứa ký tự NUL (\\x00) / contains a NUL character")
    out = SdmEntity(id=entity_id, type=type_name, code=entity_code(entity_id, type_name))
    out.lat, out.lon = _location(entity.get("location"))
    name, _, _ = _value(entity.get("name"), "name")
    if isinstance(name, str) and "\x00" in name:
        raise SdmError("name: chứa ký tự NUL (\\x00) / contains a NUL character")
    out.name = name if isinstance(name, str) else None
    when_raw, _, _ = _value(entity.get(mapping.time_attribute), mapping.time_attribute)
    default_time = when_raw if isinstance(when_raw, str) else None
    for attr, indicator in mapping.attributes.items():
        if attr not in entity:
            continue
        value, unit, observed_at = _value(entity[attr], attr)
        when = observed_at or default_time
        if when is None:
            raise SdmError(f"{mapping.time_attribute}: thiếu thời điểm đo / missing time")
        row: dict[str, Any] = {
            "indicator": indicator,
            "entity": out.code,
            "time": when,
            "value": value,
        }
        unit = unit or mapping.units.get(attr)
        if unit:
            row["unit"] = unit
        out.rows.append(row)
    for key in ("batteryLevel", "deviceState", "reliability", "rssi"):
        if key in entity:
            out.attributes[key], _, _ = _value(entity[key], key)
    return out
