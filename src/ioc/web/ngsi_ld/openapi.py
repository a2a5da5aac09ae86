"""OpenAPI schemas of the NGSI-LD bodies and parameters.

Handlers read their bodies and query strings themselves (content types, @context and Link
rules): the schemas below describe them in the OpenAPI document.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter
from fastapi.responses import Response

from ioc.engines.ngsi_ld.entities import (
    MAX_BATCH,
)
from ioc.web.ngsi_ld.protocol import MAX_LIMIT, PROBLEMS, route
from ioc.web.openapi_doc import (
    ANY,
    INTEGER,
    TEXT,
    WHEN,
    array,
    json_body,
    obj,
    one_of,
    query,
)

# --------------------------------------------------------------------------- OpenAPI
# Handlers read their bodies and query strings themselves (content types, @context and Link
# rules): the schemas below describe them in the OpenAPI document.

LD = ("application/json", "application/ld+json")
_ATTRIBUTE: dict[str, Any] = {
    "description": "Property, GeoProperty or Relationship (normalized), or a bare value",
    "anyOf": [
        obj(
            type=one_of("Property", "GeoProperty", "Relationship", "LanguageProperty"),
            value=ANY,
            object=TEXT,
            observedAt=WHEN,
            unitCode=TEXT,
        ),
        {"type": ["string", "number", "boolean", "array", "null"]},
    ],
}
_ENTITY_ID = {**TEXT, "examples": ["urn:ngsi-ld:AirQualityObserved:DL-BMT-01"]}
ENTITY_IN: dict[str, Any] = {
    "title": "EntityIn",
    **obj(
        "id",
        "type",
        id=_ENTITY_ID,
        type={**TEXT, "examples": ["AirQualityObserved"]},
        location=obj(
            type=one_of("GeoProperty"),
            value=obj(type=one_of("Point", "Polygon"), coordinates=array({})),
        ),
    ),
    "additionalProperties": _ATTRIBUTE,
}
ENTITY_OUT: dict[str, Any] = {
    "title": "Entity",
    **obj(
        "id",
        "type",
        id=TEXT,
        type={"anyOf": [TEXT, array(TEXT)]},
        **{"@context": ANY},
    ),
}
ENTITIES_IN = {**array(ENTITY_IN, min_items=1), "maxItems": MAX_BATCH}
IDS_IN = {**array(_ENTITY_ID, min_items=1), "maxItems": MAX_BATCH}
FRAGMENT_IN = {"type": "object", "additionalProperties": _ATTRIBUTE}
SUBSCRIPTION_MEMBERS: dict[str, Any] = {
    "id": TEXT,
    "type": one_of("Subscription"),
    "description": TEXT,
    "entities": array(obj(type=TEXT, id=TEXT, idPattern=TEXT)),
    "watchedAttributes": array(TEXT),
    "q": TEXT,
    "notification": obj(
        "endpoint",
        attributes=array(TEXT),
        format=one_of("normalized", "keyValues", "concise"),
        endpoint=obj("uri", uri={**TEXT, "examples": ["https://example.vn/notify"]}, accept=TEXT),
    ),
    "throttling": INTEGER,
    "expiresAt": WHEN,
    "isActive": {"type": "boolean"},
}
SUBSCRIPTION_IN: dict[str, Any] = {
    "title": "SubscriptionIn",
    **obj("notification", **SUBSCRIPTION_MEMBERS),
}
SUBSCRIPTION_OUT: dict[str, Any] = {
    "title": "Subscription",
    **obj("id", "type", id=TEXT, type=TEXT),
}
LIST_PARAMS = (
    query("limit", {"type": "integer", "minimum": 0, "maximum": MAX_LIMIT}, "default 20"),
    query("offset", {"type": "integer", "minimum": 0}),
    query("count", one_of("true", "false"), "true: NGSILD-Results-Count header"),
)
VIEW_PARAMS = (
    query("attrs", TEXT, "comma-separated attribute names"),
    query(
        "options",
        TEXT,
        "comma-separated: keyValues, simplified, concise, normalized, sysAttrs",
    ),
    query("format", one_of("normalized", "keyValues", "simplified", "concise")),
)


#: The 207 answer of a batch operation that failed for some entities.
PARTIAL_207: dict[str, Any] = {"description": "{success: [ids], errors: [{entityId, error}]}"}


def with_geojson(response: dict[str, Any]) -> dict[str, Any]:
    """``response`` also offered as GeoJSON (``Accept: application/geo+json``)."""
    return {**response, "content": {**response["content"], "application/geo+json": {}}}


_Handler = TypeVar("_Handler", bound=Callable[..., Any])


def creation_route(
    router: APIRouter, path: str, summary: str, body: dict[str, Any]
) -> Callable[[_Handler], _Handler]:
    """``POST path`` (and ``path/``): create one resource from a JSON body described by
    ``body``; 201 names it in ``Location``, 409 when it exists."""
    return route(
        router,
        "POST",
        path,
        slash=True,
        summary=summary,
        status_code=201,
        response_class=Response,
        responses={201: {"description": "Created; Location names it"}, 409: {}, **PROBLEMS},
        openapi_extra={"requestBody": json_body(body, *LD)},
    )


def deletion_route(router: APIRouter, path: str, summary: str) -> Callable[[_Handler], _Handler]:
    """``DELETE path``: 204, or 404 when there is no such resource."""
    return router.delete(
        path, summary=summary, status_code=204, responses={204: {}, 404: {}, **PROBLEMS}
    )
