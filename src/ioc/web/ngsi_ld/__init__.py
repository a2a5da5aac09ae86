"""NGSI-LD API (ETSI GS CIM 009) under ``/ngsi-ld/v1``: the subset in
``ioc/engines/ngsi_ld/README.md``. Reads need the ``view`` permission, entity writes ``ingest``
(creating or deleting an entity also ``manage``), subscription writes ``manage``; the @context
documents are public. ``NGSILD-Tenant`` names a tenant of ``IOC_NGSI_LD_TENANTS`` (404
NonexistentTenant otherwise). Every error is a ProblemDetails document.
"""

from __future__ import annotations

from fastapi import APIRouter

from ioc.web.ngsi_ld import contexts, entities, subscriptions
from ioc.web.ngsi_ld.protocol import http_problem, problem_response, tenant_of

router = APIRouter(prefix="/ngsi-ld/v1", tags=["ngsi-ld"])
# The order of the OpenAPI document: entities (and temporal), subscriptions, contexts.
router.include_router(entities.router)
router.include_router(subscriptions.router)
router.include_router(contexts.router)

__all__ = ["http_problem", "problem_response", "router", "tenant_of"]
