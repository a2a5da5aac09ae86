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

from ioc.engines.ngsi_ld.entities.incoming import Incoming, parse_entity
from ioc.engines.ngsi_ld.entities.mapped_types import (
    TypeInfo,
    all_types,
    canonical_id,
    type_for_entity,
    type_info,
)
from ioc.engines.ngsi_ld.entities.reading import (
    Latest,
    Page,
    get_entity,
    load_latest,
    normalized,
    query_entities,
    render_station,
    represent,
    shown_unit_code,
    shown_value,
)
from ioc.engines.ngsi_ld.entities.refs import Ref, claimed_codes, find, lookup, lookup_many
from ioc.engines.ngsi_ld.entities.terms import (
    DEFAULT_TENANT,
    FRACTION,
    MAX_BATCH,
    MAX_SUFFIX,
    META,
    RESERVED,
    UNIT_CODES,
    VALUE_FIELD,
    Format,
    Mode,
    check_id,
    id_suffix,
    is_uri,
    iso,
    now_ts,
)
from ioc.engines.ngsi_ld.entities.updates import UpdateResult, delete_entities, update_attrs
from ioc.engines.ngsi_ld.entities.writing import BatchResult, Change, write_entities

__all__ = [
    "DEFAULT_TENANT",
    "FRACTION",
    "MAX_BATCH",
    "MAX_SUFFIX",
    "META",
    "RESERVED",
    "UNIT_CODES",
    "VALUE_FIELD",
    "BatchResult",
    "Change",
    "Format",
    "Incoming",
    "Latest",
    "Mode",
    "Page",
    "Ref",
    "TypeInfo",
    "UpdateResult",
    "all_types",
    "canonical_id",
    "check_id",
    "claimed_codes",
    "delete_entities",
    "find",
    "get_entity",
    "id_suffix",
    "is_uri",
    "iso",
    "load_latest",
    "lookup",
    "lookup_many",
    "normalized",
    "now_ts",
    "parse_entity",
    "query_entities",
    "render_station",
    "represent",
    "shown_unit_code",
    "shown_value",
    "type_for_entity",
    "type_info",
    "update_attrs",
    "write_entities",
]
