"""NGSI-LD engine: the subset of ETSI GS CIM 009 the IOC serves (see README.md).

No FastAPI here: the web layer (``ioc.web.ngsi_ld``) does HTTP; this package maps NGSI-LD
entities onto IOC entities and series, renders them back, and answers temporal queries.
"""

from ioc.engines.ngsi_ld.entities import (
    DEFAULT_TENANT,
    MAX_BATCH,
    BatchResult,
    Page,
    UpdateResult,
    delete_entities,
    get_entity,
    query_entities,
    update_attrs,
    write_entities,
)
from ioc.engines.ngsi_ld.problems import NgsiError, problem
from ioc.engines.ngsi_ld.temporal import TemporalQuery, parse_params, temporal_entity

__all__ = [
    "DEFAULT_TENANT",
    "MAX_BATCH",
    "BatchResult",
    "NgsiError",
    "Page",
    "TemporalQuery",
    "UpdateResult",
    "delete_entities",
    "get_entity",
    "parse_params",
    "problem",
    "query_entities",
    "temporal_entity",
    "update_attrs",
    "write_entities",
]
