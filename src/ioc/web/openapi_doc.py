"""The OpenAPI document served at ``/api/openapi.json``, so that a generated client works.

FastAPI builds the document from the routes; :func:`install` post-processes it once:

* ``components.securitySchemes``: an API token sent as ``Authorization: Bearer <token>``
  (``bearerToken``) and the session cookie of a signed-in user (``sessionCookie``). Each
  operation that needs more than the public permission lists what it accepts (``security``):
  the token for the permissions a token can hold (``view``, ``ingest``, ``manage``), the
  cookie for every permission.
* 422 is the body the application's validation handler really sends, ``{detail, errors:
  [{field, message}]}`` (``ErrorBody``), not FastAPI's ``HTTPValidationError``; under
  ``/ngsi-ld/`` it may also be a ProblemDetails document.
* Open311 answers are declared in JSON and in XML (``application/xml``, ``text/xml``), and
  the ``{fmt}`` of their paths as ``json`` or ``xml``.
* NGSI-LD operations take the optional ``NGSILD-Tenant`` header (``IOC_NGSI_LD_TENANTS``);
  their 207 answers carry ``BatchOperationResult`` (``UpdateResult`` for a PATCH of
  attributes), every 4xx a ProblemDetails document, and ``application/geo+json`` a GeoJSON
  Feature or FeatureCollection (declared here so that ``ioc.web.ngsi_ld`` stays as it is).

Routes that read their body themselves (a raw JSON batch, JSON-LD, a form) declare it with
``openapi_extra={"requestBody": json_body(...)}``: the helpers below build those schemas.
Routes that build their JSON answer themselves declare it with a pydantic model
(``responses={200: {"model": …}}``, see ``ioc.web.api_models`` and each pack's ``schemas``).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel

from ioc.core import auth
from ioc.core.auth import Permission

BEARER = "bearerToken"
COOKIE = "sessionCookie"

# --------------------------------------------------------------------------- schema helpers

TEXT: dict[str, Any] = {"type": "string"}
NUMBER: dict[str, Any] = {"type": "number"}
INTEGER: dict[str, Any] = {"type": "integer"}
ANY: dict[str, Any] = {}
# An instant with its UTC offset (ISO 8601), or a date where the field allows one.
WHEN: dict[str, Any] = {
    "type": "string",
    "description": "ISO 8601, e.g. 2026-03-09T08:00:00+07:00",
    "examples": ["2026-03-09T08:00:00+07:00"],
}


def one_of(*values: Any) -> dict[str, Any]:
    """One of ``values`` (an enumeration the server checks)."""
    return {"enum": list(values)}


def obj(*required: str, **properties: Any) -> dict[str, Any]:
    """An object with ``properties``, the ``required`` ones listed."""
    out: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        out["required"] = list(required)
    return out


def array(item: dict[str, Any], *, min_items: int = 0) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "array", "items": item}
    if min_items:
        out["minItems"] = min_items
    return out


ERROR_BODY: dict[str, Any] = {
    "title": "ErrorBody",
    "description": "Lỗi / error: ``detail`` says what is wrong; ``errors`` names each field.",
    **obj("detail", detail=TEXT, errors=array(obj("field", "message", field=TEXT, message=TEXT))),
}
PROBLEM_DETAILS: dict[str, Any] = {
    "title": "ProblemDetails",
    "type": "object",
    "description": "RFC 7807 / NGSI-LD clause 5.5.3 error document.",
    "required": ["type"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "detail": {"type": "string"},
        "status": {"type": "integer"},
    },
}
ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}
TENANT: dict[str, Any] = {
    "name": "NGSILD-Tenant",
    "in": "header",
    "required": False,
    "description": "Tenant (one of IOC_NGSI_LD_TENANTS); absent: the default tenant. An "
    "unknown tenant is answered 404 NonexistentTenant.",
    "schema": {"type": "string"},
}
PROBLEM_REF = {"$ref": "#/components/schemas/ProblemDetails"}


def _outcome(title: str, done: str, failed: str, failure: dict[str, Any]) -> dict[str, Any]:
    """An NGSI-LD 207 answer (``title``): the ids the operation went through for (``done``)
    and what it failed for (``failed``, each a ``failure``)."""
    return {"title": title, **obj(done, failed, **{done: array(TEXT), failed: array(failure)})}


# NGSI-LD 207 answers: a batch operation's outcome, a PATCH's attributes not updated.
BATCH_RESULT = _outcome(
    "BatchOperationResult",
    "success",
    "errors",
    obj("entityId", "error", entityId=TEXT, error=PROBLEM_REF),
)
PATCH_RESULT = _outcome(
    "UpdateResult",
    "updated",
    "notUpdated",
    obj("attributeName", "reason", attributeName=TEXT, reason=TEXT),
)

# GeoJSON (RFC 7946), served as application/geo+json.
FEATURE: dict[str, Any] = {
    "title": "Feature",
    "type": "object",
    "required": ["type", "geometry", "properties"],
    "properties": {
        "type": {"const": "Feature"},
        "id": {"type": ["string", "integer"]},
        "geometry": {"type": ["object", "null"]},
        "properties": {"type": ["object", "null"]},
    },
}
FEATURE_COLLECTION: dict[str, Any] = {
    "title": "FeatureCollection",
    "type": "object",
    "required": ["type", "features"],
    "properties": {
        "type": {"const": "FeatureCollection"},
        "features": {"type": "array", "items": FEATURE},
    },
}


def batch(key: str, item: dict[str, Any]) -> dict[str, Any]:
    """``{key: [item, …]}``, at least one item."""
    return obj(key, **{key: array(item, min_items=1)})


def json_body(schema: dict[str, Any], *media: str) -> dict[str, Any]:
    """A required request body of ``schema`` in each media type (JSON by default)."""
    return {
        "required": True,
        "content": {m: {"schema": schema} for m in (media or ("application/json",))},
    }


def json_response(schema: dict[str, Any], description: str, *media: str) -> dict[str, Any]:
    """A ``responses`` entry whose body is ``schema`` in each media type (JSON by default)."""
    return {
        "description": description,
        "content": {m: {"schema": schema} for m in (media or ("application/json",))},
    }


def batch_responses(
    report: type[BaseModel] | dict[str, Any],
    *,
    stored: str,
    invalid: str,
    too_large: str,
    unreadable: str = "Body unreadable",
    forbidden: str | None = None,
    idempotent: bool = False,
    more: dict[int, dict[str, Any]] | None = None,
) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of a JSON batch door: 200 every row stored (``report``), 400 body
    unreadable, 403 a row of another owner (``forbidden``), 409 an ``Idempotency-Key`` reused
    with another body (``idempotent``), 413 too many rows, 422 some rows invalid (``report``
    listing them, or an error body); ``more`` adds door-specific answers. ``report`` is a
    pydantic model or a JSON schema."""
    if isinstance(report, dict):
        ok: dict[str, Any] = json_response(report, stored)
        listed = report
    else:
        ok = {"model": report, "description": stored}
        listed = {"$ref": f"#/components/schemas/{report.__name__}"}
    out: dict[int, dict[str, Any]] = {200: ok, 400: json_response(ERROR_REF, unreadable)}
    if forbidden is not None:
        out[403] = json_response(ERROR_REF, forbidden)
    if idempotent:
        out[409] = json_response(ERROR_REF, "Idempotency-Key reused with a different body")
    out[413] = json_response(ERROR_REF, too_large)
    out[422] = json_response({"anyOf": [listed, ERROR_REF]}, invalid)
    out.update(more or {})
    return {code: out[code] for code in sorted(out)}


def query(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    """An optional query parameter (for routes that read ``request.query_params``)."""
    out: dict[str, Any] = {"name": name, "in": "query", "required": False, "schema": schema}
    if description:
        out["description"] = description
    return out


def date_range(first: str, last: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``from`` and ``to`` query parameters of a range of local dates; ``first`` and
    ``last`` say when each applies or what it defaults to."""
    return (
        query("from", WHEN, f"first local date ({first})"),
        query("to", WHEN, f"last local date ({last})"),
    )


def answer_doc(model: type[BaseModel], description: str, *params: dict[str, Any]) -> dict[str, Any]:
    """The route arguments (``responses``, ``openapi_extra``) of a route that answers ``model``
    as JSON and reads the query parameters ``params`` (see :func:`query`) itself."""
    out: dict[str, Any] = {"responses": {200: {"model": model, "description": description}}}
    if params:
        out["openapi_extra"] = {"parameters": list(params)}
    return out


# --------------------------------------------------------------------------- the document


def install(app: FastAPI) -> None:
    """Serve the post-processed document (built once, on the first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
                servers=app.servers,
            )
            describe(doc, app)
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def route_permissions(app: FastAPI) -> dict[tuple[str, str], Permission]:
    """``(METHOD, path)`` of each documented operation -> the permission its route requires."""
    out: dict[tuple[str, str], Permission] = {}
    for route in iter_route_contexts(app.routes):
        dependant = getattr(route, "dependant", None)
        if dependant is None or not getattr(route, "include_in_schema", False):
            continue
        for permission in _required(dependant):
            for method in route.methods or ():
                out[(method, str(route.path_format))] = permission
    return out


def _required(dependant: Any) -> list[Permission]:
    """The permissions ``require(...)`` checks anywhere in a dependency tree (a route may name
    the guard itself or a bundle that depends on it)."""
    found: list[Permission] = []
    for dep in dependant.dependencies:
        permission = getattr(dep.call, "permission", None)
        if isinstance(permission, Permission):
            found.append(permission)
        found.extend(_required(dep))
    return found


def describe(doc: dict[str, Any], app: FastAPI) -> None:
    """Post-process FastAPI's document in place (see the module's docstring)."""
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    schemas["ErrorBody"] = ERROR_BODY
    schemas["ProblemDetails"] = PROBLEM_DETAILS
    components["securitySchemes"] = {
        BEARER: {
            "type": "http",
            "scheme": "bearer",
            "description": "Mã truy cập API (tạo ở trang Tài khoản) / API token: "
            "``Authorization: Bearer <token>``; holds the scopes view, ingest, manage.",
        },
        COOKIE: {
            "type": "apiKey",
            "in": "cookie",
            "name": "ioc_session",
            "description": "Phiên đăng nhập / session of a signed-in user (writes must come "
            "from the IOC's own origin).",
        },
    }
    permissions = route_permissions(app)
    for path, item in doc.get("paths", {}).items():
        api = path.startswith(("/api/", "/ngsi-ld/"))
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            permission = permissions.get((method.upper(), path))
            if permission is not None and permission is not Permission.PUBLIC:
                accepted: list[dict[str, list[str]]] = []
                if permission.value in auth.TOKEN_SCOPES:
                    accepted.append({BEARER: []})
                accepted.append({COOKIE: []})
                operation["security"] = accepted
            if permission is not None and permission is not Permission.PUBLIC and api:
                operation["responses"].setdefault(
                    "401", json_response(ERROR_REF, "Cần đăng nhập / authentication required")
                )
                operation["responses"].setdefault(
                    "403", json_response(ERROR_REF, "Không đủ quyền / permission denied")
                )
                if path.startswith("/ngsi-ld/"):
                    for status in ("401", "403"):
                        operation["responses"][status] = _ngsi_error(
                            operation["responses"][status]["description"], problem_only=True
                        )
            _errors(path, operation)
            _models_only(operation)
            if path.startswith("/ngsi-ld/"):
                _ngsi_answers(operation)
            if path.startswith("/ngsi-ld/") and "jsonldContexts" not in path:
                operation.setdefault("parameters", []).append(TENANT)
            if path.startswith("/open311/"):
                _xml(operation)
                for parameter in operation.get("parameters", ()):
                    if parameter["name"] == "fmt" and parameter["in"] == "path":
                        parameter["schema"] = {"type": "string", "enum": ["json", "xml"]}


def _ngsi_error(description: str, *, problem_only: bool = False) -> dict[str, Any]:
    schema = PROBLEM_REF if problem_only else {"anyOf": [ERROR_REF, PROBLEM_REF]}
    return json_response(schema, description, "application/json", "application/problem+json")


# What FastAPI writes for a route returning ``dict[str, Any]`` (kept as the route's response
# model, so the answer is serialised as before).
_ANY_OBJECT = frozenset({"type", "additionalProperties", "title"})


def _models_only(operation: dict[str, Any]) -> None:
    """Where a route declares its answer's model (``responses={200: {"model": …}}``) and FastAPI
    also wrote the generic ``dict[str, Any]`` schema of its return type, keep the model."""
    for response in operation["responses"].values():
        for content in response.get("content", {}).values():
            schema = content.get("schema")
            if (
                isinstance(schema, dict)
                and "$ref" in schema
                and set(schema) <= {"$ref", *_ANY_OBJECT}
            ):
                content["schema"] = {"$ref": schema["$ref"]}


def _ngsi_answers(operation: dict[str, Any]) -> None:
    """NGSI-LD: a 207 carries the batch's outcome (or, for a PATCH of attributes, the
    attributes not updated); a 4xx is a ProblemDetails document (clause 5.5.3)."""
    for status, response in operation["responses"].items():
        geojson = response.get("content", {}).get("application/geo+json")
        if geojson is not None and not geojson.get("schema"):
            # GET /entities answers a FeatureCollection, GET /entities/{id} one Feature.
            one = any(p.get("name") == "entity_id" for p in operation.get("parameters", ()))
            geojson["schema"] = FEATURE if one else FEATURE_COLLECTION
        if "content" in response:
            continue
        description = response.get("description") or ""
        if status == "207":
            schema = PATCH_RESULT if "notUpdated" in description else BATCH_RESULT
            response["content"] = {"application/json": {"schema": schema}}
        elif str(status).startswith("4"):
            operation["responses"][status] = _ngsi_error(description or "ProblemDetails")


def _errors(path: str, operation: dict[str, Any]) -> None:
    """422 as the validation handler sends it (and, under /ngsi-ld/, ProblemDetails)."""
    responses: dict[str, Any] = operation["responses"]
    current = responses.get("422")
    if current is None:
        return
    content = current.get("content")
    refers_to_fastapi = content is None or "HTTPValidationError" in str(content)
    if not refers_to_fastapi:
        return
    description = current.get("description") or "Tham số không hợp lệ / invalid parameters"
    if description == "Validation Error":
        description = "Tham số không hợp lệ / invalid parameters"
    if path.startswith("/ngsi-ld/"):
        responses["422"] = _ngsi_error(description)
    elif content is None:
        # The route describes its own 422 (e.g. rows refused): keep it, without a schema.
        return
    else:
        responses["422"] = json_response(ERROR_REF, description)


def _xml(operation: dict[str, Any]) -> None:
    """Open311 speaks JSON and XML (``.xml``): declare both for every documented answer."""
    for status, response in operation["responses"].items():
        if not str(status).startswith(("2", "4")):
            continue
        content = response.setdefault("content", {})
        if "application/json" not in content:
            continue
        content.setdefault("application/xml", {})
        content.setdefault("text/xml", {})
