"""NGSI-LD terms the entities package shares: reserved names, value members, unit codes,
and the checks of an entity id.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Literal

from ioc.core import clock
from ioc.engines.ngsi_ld.models import MAX_ID_LENGTH
from ioc.engines.ngsi_ld.problems import bad_request

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
