"""MQTT decoder ``traffic`` and unit conversion of the traffic pack.

The decoder reads Smart Data Models ``TrafficFlowObserved`` entities (key-values or
normalized; one, a list, or an NGSI notification ``{"data": [...]}``) the SDM way, where
counts by vehicle class are separate entities with a ``vehicleType``: an entity with
``vehicleType`` ``motorcycle`` and ``intensity`` 120 is 120 motorcycles of its sensor. The
sensor is the id's last part (``urn:ngsi-ld:TrafficFlowObserved:BMT-NTT-01`` → ``BMT-NTT-01``),
or ``refDevice`` when several observations of one sensor carry their own ids.
"""

from __future__ import annotations

from typing import Any

import orjson

from ioc.engines.ingestion.sdm import entity_code

CLASS_INDICATORS = {
    "motorcycle": "st_count_motorcycle",
    "motorbike": "st_count_motorcycle",
    "moped": "st_count_motorcycle",
    "car": "st_count_car",
    "van": "st_count_car",
    "lorry": "st_count_truck",
    "truck": "st_count_truck",
    "trailer": "st_count_truck",
    "bus": "st_count_bus",
    "minibus": "st_count_bus",
    "coach": "st_count_bus",
}
TOTALS = {
    "intensity": "st_intensity",
    "averageVehicleSpeed": "st_speed",
    "occupancy": "st_occupancy",
}


def _value(raw: Any) -> Any:
    if isinstance(raw, dict):
        inner = raw.get("value", raw.get("object", raw.get("@value")))
        if isinstance(inner, dict) and "@value" in inner:
            return inner["@value"]
        return inner
    return raw


def _sensor(entity: dict[str, Any]) -> str:
    ref = _value(entity.get("refDevice"))
    if isinstance(ref, str) and ref:
        return entity_code(ref, "Device")
    entity_id = entity.get("id")
    if not isinstance(entity_id, str) or not entity_id:
        raise ValueError("id: thiếu / missing")
    return entity_code(entity_id, "TrafficFlowObserved")


def decode_traffic(_topic: str, payload: bytes) -> list[dict[str, Any]]:
    """``TrafficFlowObserved`` entities → ingestion rows (raises ``ValueError`` with the reason)."""
    try:
        doc = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"JSON không hợp lệ / invalid JSON: {exc}") from exc
    if isinstance(doc, dict) and "type" not in doc and isinstance(doc.get("data"), list):
        doc = doc["data"]
    entities = doc if isinstance(doc, list) else [doc]
    rows: list[dict[str, Any]] = []
    for entity in entities:
        if not isinstance(entity, dict):
            raise ValueError("mỗi thực thể phải là đối tượng JSON / entity must be an object")
        if entity.get("type") != "TrafficFlowObserved":
            got = str(entity.get("type"))[:60]
            raise ValueError(
                f"type phải là TrafficFlowObserved / must be TrafficFlowObserved: {got}"
            )
        sensor = _sensor(entity)
        when = _value(entity.get("dateObservedTo")) or _value(entity.get("dateObserved"))
        if not isinstance(when, str):
            raise ValueError(f"{sensor}: dateObserved: thiếu thời điểm / missing time")
        vehicle = _value(entity.get("vehicleType"))
        for attr, indicator in TOTALS.items():
            if attr not in entity:
                continue
            if attr == "intensity" and vehicle:
                code = CLASS_INDICATORS.get(str(vehicle).lower())
                if code is None:
                    raise ValueError(
                        f"{sensor}: vehicleType không hỗ trợ / unsupported: {str(vehicle)[:40]}"
                    )
                indicator = code
            row: dict[str, Any] = {
                "indicator": indicator,
                "entity": sensor,
                "time": when,
                "value": _value(entity[attr]),
            }
            if attr == "occupancy":
                row["unit"] = "fraction"
            rows.append(row)
    return rows


def convert(indicator: str, value: float, unit: str) -> float:
    """Unit conversion for the pack's indicators: occupancy ``fraction`` → %, speed m/s and
    mph → km/h; anything else is refused with ``ValueError``."""
    u = unit.strip().lower()
    if indicator == "st_occupancy":
        if u in ("fraction", "1", "c62"):
            return value * 100
        if u in ("%", "p1", "percent"):
            return value
    if indicator == "st_speed":
        if u in ("km/h", "kmh", "kmq"):
            return value
        if u in ("m/s", "mts"):
            return value * 3.6
        if u in ("mph", "hm"):
            return value * 1.609344
    raise ValueError(f"{unit} → {indicator}")
