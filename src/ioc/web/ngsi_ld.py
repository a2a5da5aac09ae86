"""NGSI-LD API (ETSI GS CIM 009) under ``/ngsi-ld/v1``: the subset in
``ioc/engines/ngsi_ld/README.md``. Reads need the ``view`` permission, entity writes ``ingest``
(creating or deleting an entity also ``manage``), subscription writes ``manage``; the @context
documents are public. ``NGSILD-Tenant`` names a tenant of ``IOC_NGSI_LD_TENANTS`` (404
NonexistentTenant otherwise). Every error is a ProblemDetails document."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import quote

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ioc.core import ownership
from ioc.core.auth import Permission
from ioc.core.clock import fixed_offset_seconds
from ioc.core.registry import Registry
from ioc.engines.ngsi_ld import context as ctx
from ioc.engines.ngsi_ld import subscriptions as subs
from ioc.engines.ngsi_ld.entities import (
    DEFAULT_TENANT,
    MAX_BATCH,
    BatchResult,
    Format,
    Mode,
    delete_entities,
    get_entity,
    query_entities,
    update_attrs,
    write_entities,
)
from ioc.engines.ngsi_ld.models import NgsiSubscription
from ioc.engines.ngsi_ld.problems import (
    NgsiError,
    bad_request,
    for_status,
    invalid_request,
    not_found,
    problem_media_type,
)
from ioc.engines.ngsi_ld.temporal import parse_params, temporal_entity
from ioc.settings import Settings
from ioc.web.deps import (
    AppRegistry,
    AppSettings,
    DbSession,
    Principal,
    derive_after_commit,
    require,
    write_scope,
)
from ioc.web.openapi_doc import (
    ANY,
    INTEGER,
    TEXT,
    WHEN,
    array,
    json_body,
    json_response,
    obj,
    one_of,
    query,
)

router = APIRouter(prefix="/ngsi-ld/v1", tags=["ngsi-ld"])

Reader = Annotated[Principal, Depends(require(Permission.VIEW))]
Writer = Annotated[Principal, Depends(require(Permission.INGEST))]
Manager = Annotated[Principal, Depends(require(Permission.MANAGE))]
Public = Annotated[Principal, Depends(require(Permission.PUBLIC))]

MAX_LIMIT = 1000
_PROBLEMS: dict[int | str, dict[str, Any]] = {
    400: {"description": "BadRequestData / InvalidRequest (ProblemDetails)"},
    406: {"description": "Accept names no supported representation"},
    415: {"description": "Content-Type other than application/json or application/ld+json"},
}

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
_ENTITIES_IN = {**array(ENTITY_IN, min_items=1), "maxItems": MAX_BATCH}
_IDS_IN = {**array(_ENTITY_ID, min_items=1), "maxItems": MAX_BATCH}
_FRAGMENT_IN = {"type": "object", "additionalProperties": _ATTRIBUTE}
_SUBSCRIPTION_MEMBERS: dict[str, Any] = {
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
    **obj("notification", **_SUBSCRIPTION_MEMBERS),
}
SUBSCRIPTION_OUT: dict[str, Any] = {
    "title": "Subscription",
    **obj("id", "type", id=TEXT, type=TEXT),
}
_LIST = (
    query("limit", {"type": "integer", "minimum": 0, "maximum": MAX_LIMIT}, "default 20"),
    query("offset", {"type": "integer", "minimum": 0}),
    query("count", one_of("true", "false"), "true: NGSILD-Results-Count header"),
)
_VIEW = (
    query("attrs", TEXT, "comma-separated attribute names"),
    query(
        "options",
        TEXT,
        "comma-separated: keyValues, simplified, concise, normalized, sysAttrs",
    ),
    query("format", one_of("normalized", "keyValues", "simplified", "concise")),
)


def _with_geojson(response: dict[str, Any]) -> dict[str, Any]:
    """``response`` also offered as GeoJSON (``Accept: application/geo+json``)."""
    return {**response, "content": {**response["content"], "application/geo+json": {}}}


# --------------------------------------------------------------------------- helpers


def problem_response(err: NgsiError, request: Request | None = None) -> Response:
    """A ProblemDetails response for ``err``: ``application/json`` when the request accepts
    it (clause 5.5.3), ``application/problem+json`` otherwise."""
    accept = request.headers.get("accept") if request is not None else None
    return Response(orjson.dumps(err.body()), err.status, media_type=problem_media_type(accept))


def http_problem(
    status: int,
    detail: Any,
    headers: Mapping[str, str] | None = None,
    accept: str | None = None,
) -> Response:
    """ProblemDetails for an HTTP error raised before a handler ran (401, 403, unknown path …);
    the application's error handler calls this for paths under ``/ngsi-ld/``."""
    body = for_status(status, detail if isinstance(detail, str) else str(detail))
    return Response(
        orjson.dumps(body),
        status,
        headers=dict(headers or {}),
        media_type=problem_media_type(accept),
    )


def tenant_of(request: Request, settings: Settings) -> str:
    """The tenant of a request (``NGSILD-Tenant``; none = the default tenant); 404
    NonexistentTenant for a tenant that is not in ``IOC_NGSI_LD_TENANTS``. Tenants are never
    merged: a named tenant sees only its own entities and subscriptions."""
    raw = request.headers.get("ngsild-tenant")
    if raw is None or not raw.strip():
        return DEFAULT_TENANT
    name = raw.strip()
    known = {t.strip() for t in settings.ngsi_ld_tenants.split(",") if t.strip()}
    if name not in known:
        raise NgsiError("NonexistentTenant", f"tenant {name[:64]!r} does not exist", 404)
    return name


def _json(
    request: Request,
    data: Any,
    media: str,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """A JSON body in the negotiated representation (Link header or @context)."""
    out_headers = dict(headers or {})
    base = str(request.base_url)
    if media == ctx.JSON_LD:
        context = ctx.response_context(base)
        if isinstance(data, list):
            data = [{**item, "@context": context} for item in data]
        elif isinstance(data, dict):
            data = {**data, "@context": context}
    elif media == ctx.JSON:
        out_headers["Link"] = ctx.response_link(base)
    return Response(orjson.dumps(data), status, headers=out_headers, media_type=media)


def _load_json(body: bytes) -> Any:
    if not body.strip():
        raise invalid_request("the request body is empty")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise invalid_request(f"the body is not valid JSON: {exc}") from exc


def _int_param(params: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise bad_request(f"{name}: must be an integer") from exc
    if not lo <= value <= hi:
        raise bad_request(f"{name}: must be between {lo} and {hi}")
    return value


def _list_param(params: Mapping[str, str], name: str) -> list[str] | None:
    raw = params.get(name)
    if raw is None:
        return None
    items = [x.strip() for x in raw.split(",") if x.strip()]
    if not items:
        raise bad_request(f"{name}: empty")
    return items


_OPTIONS = {"keyValues", "simplified", "concise", "normalized", "sysAttrs"}


def _format(params: Mapping[str, str]) -> tuple[Format, bool]:
    """(representation, sysAttrs) from ``format`` and ``options``."""
    options = {o.strip() for o in params.get("options", "").split(",") if o.strip()}
    unknown = options - _OPTIONS
    if unknown:
        raise bad_request(f"options: {sorted(unknown)[0]} is not supported")
    fmt = params.get("format")
    if fmt is not None and fmt not in ("normalized", "keyValues", "simplified", "concise"):
        raise bad_request("format: normalized, concise, keyValues or simplified")
    if fmt is None:
        if options & {"keyValues", "simplified"}:
            fmt = "keyValues"
        elif "concise" in options:
            fmt = "concise"
    chosen: Format = (
        "keyValues"
        if fmt in ("keyValues", "simplified")
        else ("concise" if fmt == "concise" else "normalized")
    )
    return chosen, "sysAttrs" in options


def _feature(item: dict[str, Any], fmt: Format) -> dict[str, Any]:
    """One entity as a GeoJSON Feature (geometry = its location)."""
    location = item.get("location")
    geometry = (
        location.get("value") if isinstance(location, dict) and "value" in location else location
    )
    properties = {k: v for k, v in item.items() if k != "id"}
    return {"id": item["id"], "type": "Feature", "geometry": geometry, "properties": properties}


async def _derive_after_write(request: Request, settings: Settings) -> None:
    """Bring VN_AQI up to date after a write, as ``POST /api/v1/observations`` does."""
    await run_in_threadpool(derive_after_commit, request)


def _write(
    db: Session,
    docs: list[Any],
    registry: Registry,
    mode: Mode,
    offset: int,
    principal: Principal,
    tenant: str = DEFAULT_TENANT,
    must_exist: bool = False,
) -> BatchResult:
    try:
        result = write_entities(
            db,
            docs,
            registry,
            mode=mode,
            offset=offset,
            actor=principal.actor,
            scope=write_scope(db, principal),
            may_manage=principal.can(Permission.MANAGE),
            tenant=tenant,
            must_exist=must_exist,
        )
        if result.denied:
            _audit_denied(db, principal, result.denied)
        subs.notify_changes(db, registry, tenant, result.changes)
        db.commit()
    except IntegrityError as exc:
        db.rollback()
        raise NgsiError(
            "AlreadyExists", "an entity of this batch was created concurrently; retry"
        ) from exc
    return result


def _audit_denied(db: Session, principal: Principal, entity_ids: list[str]) -> None:
    ownership.record_denied(
        db,
        principal.actor,
        "ngsi-ld",
        ownership.NotYourData(
            "Ghi đối tượng NGSI-LD không thuộc quyền",
            "NGSI-LD entity write outside the caller's scope",
            owners=entity_ids,
        ),
    )


async def _read_entities_body(request: Request, *, array: bool) -> list[Any]:
    """Check content type, Link and @context rules; return the entities of the body."""
    kind, _ = ctx.check_request(request.headers.get("content-type"), request.headers.get("link"))
    doc = _load_json(await request.body())
    if array:
        if not isinstance(doc, list):
            raise invalid_request("the body must be a JSON array of entities")
        if not doc:
            raise bad_request("the array of entities is empty")
        if len(doc) > MAX_BATCH:
            raise bad_request(f"at most {MAX_BATCH} entities per request")
        docs = doc
    else:
        if not isinstance(doc, dict):
            raise invalid_request("the body must be a JSON object (one entity)")
        docs = [doc]
    ctx.check_body_context(kind, docs)
    return docs


# --------------------------------------------------------------------------- entities


def _batch_answer(result: BatchResult, *, created_status: bool) -> Response:
    """201 + created ids, 204, or 207 ``{success, errors}``."""
    if result.errors:
        body = {"success": result.created + result.updated, "errors": result.errors}
        return Response(orjson.dumps(body), 207, media_type=ctx.JSON)
    if created_status and result.created:
        return Response(orjson.dumps(result.created), 201, media_type=ctx.JSON)
    return Response(status_code=204)


@router.post(
    "/entityOperations/upsert",
    summary="Batch upsert of entities (options=update merges)",
    status_code=201,
    responses={
        201: json_response(array(TEXT), "Array of the ids created (others updated)"),
        204: {"description": "Every entity existed and was updated"},
        207: {"description": "{success: [ids], errors: [{entityId, error}]}"},
        **_PROBLEMS,
    },
    openapi_extra={
        "requestBody": json_body(_ENTITIES_IN, *LD),
        "parameters": [query("options", one_of("update", "replace"), "default: replace")],
    },
)
@router.post("/entityOperations/upsert/", include_in_schema=False)
async def batch_upsert(
    request: Request,
    principal: Writer,
    db: DbSession,
    settings: AppSettings,
    registry: AppRegistry,
) -> Response:
    """Create entities that do not exist; replace (default) or, with ``options=update``,
    update the attributes of those that do. Measurements become observations."""
    try:
        tenant = tenant_of(request, settings)
        ctx.negotiate(request.headers.get("accept"), geo=False)
        docs = await _read_entities_body(request, array=True)
        options = {o.strip() for o in request.query_params.get("options", "").split(",")}
        if options - {"", "update", "replace"}:
            raise bad_request("options: update or replace")
        mode: Mode = "update" if "update" in options else "replace"
        offset = fixed_offset_seconds(settings.timezone)
        result = await run_in_threadpool(
            _write, db, docs, registry, mode, offset, principal, tenant
        )
    except NgsiError as err:
        return problem_response(err, request)
    if result.stored:
        await _derive_after_write(request, settings)
    return _batch_answer(result, created_status=True)


@router.post(
    "/entityOperations/create",
    summary="Batch create of entities",
    status_code=201,
    responses={
        201: json_response(array(TEXT), "Array of the ids created"),
        207: {"description": "{success: [ids], errors: [{entityId, error}]}"},
        **_PROBLEMS,
    },
    openapi_extra={"requestBody": json_body(_ENTITIES_IN, *LD)},
)
@router.post("/entityOperations/create/", include_in_schema=False)
async def batch_create(
    request: Request,
    principal: Writer,
    db: DbSession,
    settings: AppSettings,
    registry: AppRegistry,
) -> Response:
    """Create entities; one that exists is an error of the 207 answer (AlreadyExists)."""
    try:
        tenant = tenant_of(request, settings)
        ctx.negotiate(request.headers.get("accept"), geo=False)
        docs = await _read_entities_body(request, array=True)
        offset = fixed_offset_seconds(settings.timezone)
        result = await run_in_threadpool(
            _write, db, docs, registry, "create", offset, principal, tenant
        )
    except NgsiError as err:
        return problem_response(err, request)
    if result.stored:
        await _derive_after_write(request, settings)
    return _batch_answer(result, created_status=True)


@router.post(
    "/entityOperations/update",
    summary="Batch update of entities (attributes merged)",
    status_code=204,
    responses={
        204: {"description": "Every entity was updated"},
        207: {"description": "{success: [ids], errors: [{entityId, error}]}"},
        **_PROBLEMS,
    },
    openapi_extra={
        "requestBody": json_body(_ENTITIES_IN, *LD),
        "parameters": [query("options", one_of("noOverwrite"))],
    },
)
@router.post("/entityOperations/update/", include_in_schema=False)
async def batch_update(
    request: Request,
    principal: Writer,
    db: DbSession,
    settings: AppSettings,
    registry: AppRegistry,
) -> Response:
    """Update the attributes of existing entities; one that does not exist is an error of the
    207 answer (ResourceNotFound)."""
    try:
        tenant = tenant_of(request, settings)
        ctx.negotiate(request.headers.get("accept"), geo=False)
        docs = await _read_entities_body(request, array=True)
        options = {o.strip() for o in request.query_params.get("options", "").split(",")}
        if options - {"", "noOverwrite"}:
            raise bad_request("options: noOverwrite only")
        offset = fixed_offset_seconds(settings.timezone)
        result = await run_in_threadpool(
            _write, db, docs, registry, "update", offset, principal, tenant, True
        )
    except NgsiError as err:
        return problem_response(err, request)
    if result.stored:
        await _derive_after_write(request, settings)
    return _batch_answer(result, created_status=False)


def _delete(
    db: Session, registry: Registry, ids: list[Any], principal: Principal, tenant: str
) -> BatchResult:
    result = delete_entities(
        db,
        registry,
        ids,
        actor=principal.actor,
        scope=write_scope(db, principal),
        may_manage=principal.can(Permission.MANAGE),
        tenant=tenant,
    )
    if result.denied:
        _audit_denied(db, principal, result.denied)
    subs.notify_changes(db, registry, tenant, result.changes)
    db.commit()
    return result


@router.post(
    "/entityOperations/delete",
    summary="Batch delete of entities (their history is kept)",
    status_code=204,
    responses={
        204: {"description": "Every entity was deleted"},
        207: {"description": "{success: [ids], errors: [{entityId, error}]}"},
        **_PROBLEMS,
    },
    openapi_extra={"requestBody": json_body(_IDS_IN, *LD)},
)
@router.post("/entityOperations/delete/", include_in_schema=False)
async def batch_delete(
    request: Request,
    principal: Writer,
    db: DbSession,
    settings: AppSettings,
    registry: AppRegistry,
) -> Response:
    """Delete entities by id (a JSON array of ids); their observations stay."""
    try:
        tenant = tenant_of(request, settings)
        ctx.negotiate(request.headers.get("accept"), geo=False)
        ctx.check_request(request.headers.get("content-type"), request.headers.get("link"))
        ids = _load_json(await request.body())
        if not isinstance(ids, list):
            raise invalid_request("the body must be a JSON array of entity ids")
        if not ids:
            raise bad_request("the array of entity ids is empty")
        if len(ids) > MAX_BATCH:
            raise bad_request(f"at most {MAX_BATCH} entities per request")
        result = await run_in_threadpool(_delete, db, registry, ids, principal, tenant)
    except NgsiError as err:
        return problem_response(err, request)
    return _batch_answer(result, created_status=False)


@router.post(
    "/entities",
    summary="Create an entity",
    status_code=201,
    response_class=Response,
    responses={201: {"description": "Created; Location names it"}, 409: {}, **_PROBLEMS},
    openapi_extra={"requestBody": json_body(ENTITY_IN, *LD)},
)
@router.post("/entities/", include_in_schema=False)
async def create_entity(
    request: Request,
    principal: Writer,
    db: DbSession,
    settings: AppSettings,
    registry: AppRegistry,
) -> Response:
    """Create one entity; 409 AlreadyExists when its id exists."""
    try:
        tenant = tenant_of(request, settings)
        ctx.negotiate(request.headers.get("accept"), geo=False)
        docs = await _read_entities_body(request, array=False)
        offset = fixed_offset_seconds(settings.timezone)
        result = await run_in_threadpool(
            _write, db, docs, registry, "create", offset, principal, tenant
        )
        if result.errors:
            err = result.errors[0]["error"]
            raise NgsiError(err["type"].rsplit("/", 1)[-1], err["detail"], err["status"])
    except NgsiError as err:
        return problem_response(err, request)
    if result.stored:
        await _derive_after_write(request, settings)
    entity_id = result.created[0]
    location = f"/ngsi-ld/v1/entities/{quote(entity_id, safe=':')}"
    return Response(status_code=201, headers={"Location": location})


@router.get(
    "/entities",
    summary="Query entities",
    responses={
        200: _with_geojson(
            json_response(array(ENTITY_OUT), "Entities (GeoJSON: a FeatureCollection)", *LD)
        ),
        **_PROBLEMS,
    },
    openapi_extra={
        "parameters": [
            query("type", TEXT, "comma-separated entity types"),
            query("id", TEXT, "comma-separated entity ids"),
            query("idPattern", TEXT, "regular expression on ids"),
            query("q", TEXT, "NGSI-LD query language, e.g. pm25>50"),
            *_VIEW,
            *_LIST,
        ]
    },
)
def list_entities(
    request: Request,
    principal: Reader,
    db: DbSession,
    settings: AppSettings,
    registry: AppRegistry,
) -> Response:
    """``type``, ``id``, ``idPattern``, ``q``, ``attrs``; ``limit`` (default 20, at most 1000),
    ``offset``, ``count=true`` (``NGSILD-Results-Count``); ``options=keyValues|concise|sysAttrs``
    / ``format=simplified|concise``."""
    params = request.query_params
    try:
        tenant = tenant_of(request, settings)
        media = ctx.negotiate(request.headers.get("accept"))
        limit = _int_param(params, "limit", 20, 0, MAX_LIMIT)
        offset = _int_param(params, "offset", 0, 0, 2**31)
        count = params.get("count", "false").lower() == "true"
        if limit == 0 and not count:
            raise bad_request("limit: 0 is only allowed with count=true")
        fmt, sys_attrs = _format(params)
        attrs = _list_param(params, "attrs")
        page = query_entities(
            db,
            registry,
            tenant=tenant,
            types=_list_param(params, "type"),
            ids=_list_param(params, "id"),
            id_pattern=params.get("idPattern"),
            q=params.get("q"),
            attrs=set(attrs) if attrs else None,
            limit=limit,
            offset=offset,
            count=count,
            fmt=fmt,
            sys_attrs=sys_attrs,
        )
    except NgsiError as err:
        return problem_response(err, request)
    headers = {"NGSILD-Results-Count": str(page.total)} if page.total is not None else {}
    if media == ctx.GEO_JSON:
        features = {
            "type": "FeatureCollection",
            "features": [_feature(i, fmt) for i in page.items],
        }
        return _json(request, features, media, headers=headers)
    return _json(request, page.items, media, headers=headers)


@router.get(
    "/entities/{entity_id}",
    summary="Retrieve an entity",
    responses={200: _with_geojson(json_response(ENTITY_OUT, "The entity", *LD)), **_PROBLEMS},
    openapi_extra={"parameters": list(_VIEW)},
)
def retrieve_entity(
    entity_id: str,
    request: Request,
    principal: Reader,
    db: DbSession,
    settings: AppSettings,
    registry: AppRegistry,
) -> Response:
    """The entity with the latest value of each measured attribute (404 ResourceNotFound)."""
    params = request.query_params
    try:
        tenant = tenant_of(request, settings)
        media = ctx.negotiate(request.headers.get("accept"))
        fmt, sys_attrs = _format(params)
        attrs = _list_param(params, "attrs")
        item = get_entity(
            db,
            registry,
            entity_id,
            tenant=tenant,
            fmt=fmt,
            attrs=set(attrs) if attrs else None,
            sys_attrs=sys_attrs,
        )
    except NgsiError as err:
        return problem_response(err, request)
    if media == ctx.GEO_JSON:
        return _json(request, _feature(item, fmt), media)
    return _json(request, item, media)


@router.delete(
    "/entities/{entity_id}",
    summary="Delete an entity (its history is kept)",
    status_code=204,
    responses={204: {}, 404: {}, **_PROBLEMS},
)
async def delete_entity(
    entity_id: str,
    request: Request,
    principal: Writer,
    db: DbSession,
    settings: AppSettings,
    registry: AppRegistry,
) -> Response:
    """Delete one entity: it leaves every query, a station is deactivated, its observations
    stay (the province's retention rules apply); creating the id again works."""
    try:
        tenant = tenant_of(request, settings)
        result = await run_in_threadpool(_delete, db, registry, [entity_id], principal, tenant)
        if result.errors:
            err = result.errors[0]["error"]
            raise NgsiError(err["type"].rsplit("/", 1)[-1], err["detail"], err["status"])
    except NgsiError as err:
        return problem_response(err, request)
    return Response(status_code=204)


@router.patch(
    "/entities/{entity_id}/attrs",
    summary="Update attributes of an entity",
    status_code=204,
    responses={204: {}, 207: {"description": "{updated, notUpdated}"}, 404: {}, **_PROBLEMS},
    openapi_extra={"requestBody": json_body(_FRAGMENT_IN, *LD, "application/merge-patch+json")},
)
async def patch_attrs(
    entity_id: str,
    request: Request,
    principal: Writer,
    db: DbSession,
    settings: AppSettings,
    registry: AppRegistry,
) -> Response:
    """Update the attributes the entity has (JSON, JSON-LD or merge-patch+json); attributes it
    does not have are listed in ``notUpdated`` (207)."""
    try:
        tenant = tenant_of(request, settings)
        ctx.negotiate(request.headers.get("accept"), geo=False)
        kind, _ = ctx.check_request(
            request.headers.get("content-type"), request.headers.get("link"), patch=True
        )
        fragment = _load_json(await request.body())
        if not isinstance(fragment, dict):
            raise invalid_request("the body must be a JSON object of attributes")
        ctx.check_body_context(kind, [fragment])
        offset = fixed_offset_seconds(settings.timezone)
        result = await run_in_threadpool(
            _patch, db, registry, entity_id, fragment, offset, principal, tenant
        )
    except NgsiError as err:
        return problem_response(err, request)
    if result.updated:
        await _derive_after_write(request, settings)
    if result.not_updated:
        body = {"updated": result.updated, "notUpdated": result.not_updated}
        return Response(orjson.dumps(body), 207, media_type=ctx.JSON)
    return Response(status_code=204)


def _patch(
    db: Session,
    registry: Registry,
    entity_id: str,
    fragment: dict[str, Any],
    offset: int,
    principal: Principal,
    tenant: str,
) -> Any:
    try:
        result = update_attrs(
            db,
            registry,
            entity_id,
            fragment,
            offset=offset,
            actor=principal.actor,
            scope=write_scope(db, principal),
            may_manage=principal.can(Permission.MANAGE),
            tenant=tenant,
        )
    except NgsiError as err:
        if err.status == 403:
            db.rollback()
            _audit_denied(db, principal, [entity_id])
            db.commit()
        raise
    subs.notify_changes(db, registry, tenant, result.changes)
    db.commit()
    return result


# --------------------------------------------------------------------------- temporal


@router.get(
    "/temporal/entities/{entity_id}",
    summary="Temporal evolution of an entity",
    responses={200: json_response(ENTITY_OUT, "The temporal entity", *LD), **_PROBLEMS},
    openapi_extra={
        "parameters": [
            query("timerel", one_of("before", "after", "between")),
            query("timeAt", WHEN),
            query("endTimeAt", WHEN, "with timerel=between"),
            query("timeproperty", TEXT, "default observedAt"),
            query("lastN", {"type": "integer", "minimum": 1}),
            query("attrs", TEXT, "comma-separated attribute names"),
            query("options", TEXT, "temporalValues, aggregatedValues, sysAttrs"),
            query("format", TEXT, "normalized, temporalValues or aggregatedValues"),
            query("aggrMethods", TEXT, "comma-separated: avg, min, max, sum, totalCount"),
            query("aggrPeriodDuration", one_of("PT1H", "P1D", "P1M", "PT0S")),
        ]
    },
)
def temporal(
    entity_id: str,
    request: Request,
    principal: Reader,
    db: DbSession,
    settings: AppSettings,
    registry: AppRegistry,
) -> Response:
    """Instances (``timerel``, ``timeAt``, ``endTimeAt``, ``lastN``; ``options=temporalValues``)
    or aggregations (``options=aggregatedValues``, ``aggrMethods`` avg/min/max/sum/totalCount,
    ``aggrPeriodDuration`` PT1H, P1D, P1M or PT0S)."""
    try:
        tenant = tenant_of(request, settings)
        media = ctx.negotiate(request.headers.get("accept"), geo=False)
        tq = parse_params(request.query_params)
        item = temporal_entity(
            db,
            registry,
            entity_id,
            tq,
            offset=fixed_offset_seconds(settings.timezone),
            tenant=tenant,
        )
    except NgsiError as err:
        return problem_response(err, request)
    return _json(request, item, media)


# --------------------------------------------------------------------------- subscriptions


def _caller_agency(db: Session, principal: Principal) -> str | None:
    scope = write_scope(db, principal)
    if scope.everything or len(scope.agencies) != 1:
        return None
    return next(iter(scope.agencies))


def _owned_subscription(
    db: Session, principal: Principal, tenant: str, sub_id: str
) -> NgsiSubscription:
    sub = subs.get_subscription(db, tenant, sub_id)
    scope = write_scope(db, principal)
    if not scope.everything and not scope.may_agency(sub.agency_code):
        raise NgsiError(
            "about:blank",
            "đăng ký thuộc đơn vị khác / the subscription belongs to another agency",
            403,
        )
    return sub


async def _read_object(request: Request, *, patch: bool = False) -> dict[str, Any]:
    kind, _ = ctx.check_request(
        request.headers.get("content-type"), request.headers.get("link"), patch=patch
    )
    doc = _load_json(await request.body())
    if not isinstance(doc, dict):
        raise invalid_request("the body must be a JSON object")
    ctx.check_body_context(kind, [doc])
    return doc


@router.post(
    "/subscriptions",
    summary="Create a subscription (HTTP notifications)",
    status_code=201,
    response_class=Response,
    responses={201: {"description": "Created; Location names it"}, 409: {}, **_PROBLEMS},
    openapi_extra={"requestBody": json_body(SUBSCRIPTION_IN, *LD)},
)
@router.post("/subscriptions/", include_in_schema=False)
async def create_subscription(
    request: Request,
    principal: Manager,
    db: DbSession,
    settings: AppSettings,
) -> Response:
    """``entities`` (type/id/idPattern), ``watchedAttributes``, ``q``,
    ``notification.endpoint.uri`` (http/https; internal addresses only when
    ``IOC_OUTBOUND_ALLOW`` lets them), ``notification.attributes``/``format``, ``throttling``,
    ``expiresAt``, ``isActive``."""
    try:
        tenant = tenant_of(request, settings)
        doc = await _read_object(request)

        def run() -> str:
            sub_id = subs.create_subscription(
                db,
                doc,
                tenant=tenant,
                actor=principal.actor,
                agency_code=_caller_agency(db, principal),
                allow=settings.outbound_allow,
            )
            db.commit()
            return sub_id

        sub_id = await run_in_threadpool(run)
    except NgsiError as err:
        return problem_response(err, request)
    except IntegrityError:
        db.rollback()
        return problem_response(NgsiError("AlreadyExists", "subscription exists"), request)
    location = f"/ngsi-ld/v1/subscriptions/{quote(sub_id, safe=':')}"
    return Response(status_code=201, headers={"Location": location})


@router.get(
    "/subscriptions",
    summary="List subscriptions",
    responses={200: json_response(array(SUBSCRIPTION_OUT), "Subscriptions", *LD), **_PROBLEMS},
    openapi_extra={"parameters": [query("options", TEXT, "sysAttrs"), *_LIST]},
)
@router.get("/subscriptions/", include_in_schema=False)
def list_subscriptions(
    request: Request, principal: Reader, db: DbSession, settings: AppSettings
) -> Response:
    """The tenant's subscriptions (``limit``, ``offset``, ``count=true``)."""
    params = request.query_params
    try:
        tenant = tenant_of(request, settings)
        media = ctx.negotiate(request.headers.get("accept"), geo=False)
        limit = _int_param(params, "limit", 20, 0, MAX_LIMIT)
        offset = _int_param(params, "offset", 0, 0, 2**31)
        _, sys_attrs = _format(params)
        page, total = subs.list_subscriptions(db, tenant, limit=limit, offset=offset)
    except NgsiError as err:
        return problem_response(err, request)
    headers = (
        {"NGSILD-Results-Count": str(total)}
        if params.get("count", "false").lower() == "true"
        else {}
    )
    items = [subs.render(s, sys_attrs=sys_attrs) for s in page]
    return _json(request, items, media, headers=headers)


@router.get(
    "/subscriptions/{sub_id}",
    summary="Retrieve a subscription",
    responses={200: json_response(SUBSCRIPTION_OUT, "The subscription", *LD), **_PROBLEMS},
    openapi_extra={"parameters": [query("options", TEXT, "sysAttrs")]},
)
def retrieve_subscription(
    sub_id: str, request: Request, principal: Reader, db: DbSession, settings: AppSettings
) -> Response:
    """One subscription with its notification status (404 ResourceNotFound)."""
    try:
        tenant = tenant_of(request, settings)
        media = ctx.negotiate(request.headers.get("accept"), geo=False)
        _, sys_attrs = _format(request.query_params)
        item = subs.render(subs.get_subscription(db, tenant, sub_id), sys_attrs=sys_attrs)
    except NgsiError as err:
        return problem_response(err, request)
    return _json(request, item, media)


@router.patch(
    "/subscriptions/{sub_id}",
    summary="Update a subscription",
    status_code=204,
    responses={204: {}, 404: {}, **_PROBLEMS},
    openapi_extra={
        "requestBody": json_body(obj(**_SUBSCRIPTION_MEMBERS), *LD, "application/merge-patch+json")
    },
)
async def patch_subscription(
    sub_id: str,
    request: Request,
    principal: Manager,
    db: DbSession,
    settings: AppSettings,
) -> Response:
    """Replace the members given (``isActive``, ``q``, ``notification`` …)."""
    try:
        tenant = tenant_of(request, settings)
        fragment = await _read_object(request, patch=True)

        def run() -> None:
            sub = _owned_subscription(db, principal, tenant, sub_id)
            subs.update_subscription(
                db, sub, fragment, actor=principal.actor, allow=settings.outbound_allow
            )
            db.commit()

        await run_in_threadpool(run)
    except NgsiError as err:
        return problem_response(err, request)
    return Response(status_code=204)


@router.delete(
    "/subscriptions/{sub_id}",
    summary="Delete a subscription",
    status_code=204,
    responses={204: {}, 404: {}, **_PROBLEMS},
)
async def delete_subscription(
    sub_id: str,
    request: Request,
    principal: Manager,
    db: DbSession,
    settings: AppSettings,
) -> Response:
    """Delete a subscription (no further notifications)."""
    try:
        tenant = tenant_of(request, settings)

        def run() -> None:
            sub = _owned_subscription(db, principal, tenant, sub_id)
            subs.delete_subscription(db, sub, actor=principal.actor)
            db.commit()

        await run_in_threadpool(run)
    except NgsiError as err:
        return problem_response(err, request)
    return Response(status_code=204)


# --------------------------------------------------------------------------- contexts


@router.get("/jsonldContexts", summary="@context documents served by the IOC")
def list_contexts(request: Request, principal: Public) -> Response:
    """URLs of the served @context documents (core context and Smart Data Models terms)."""
    base = str(request.base_url).rstrip("/")
    urls = [f"{base}/ngsi-ld/v1/jsonldContexts/{name}" for name in ctx.CONTEXT_FILES]
    return Response(orjson.dumps(urls), media_type=ctx.JSON)


@router.get("/jsonldContexts/{context_id:path}", summary="One @context document")
def get_context(context_id: str, request: Request, principal: Public) -> Response:
    """A served @context, by file name or by its URL (the core context's ETSI IRI too)."""
    name = context_id.rstrip("/").rsplit("/", 1)[-1]
    if name == "ngsi-ld-core-context.jsonld":
        name = ctx.CORE_CONTEXT_FILE
    document = ctx.context_document(name)
    if document is None:
        return problem_response(not_found(f"no @context {context_id}"), request)
    return Response(
        document,
        media_type=ctx.JSON_LD,
        headers={"Cache-Control": "public, max-age=86400"},
    )
