"""NGSI-LD entity routes: batch operations, one entity, and its temporal evolution."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ioc.core.auth import Permission
from ioc.core.clock import fixed_offset_seconds
from ioc.core.registry import Registry
from ioc.engines.ngsi_ld import context as ctx
from ioc.engines.ngsi_ld import subscriptions as subs
from ioc.engines.ngsi_ld.entities import (
    MAX_BATCH,
    BatchResult,
    Mode,
    delete_entities,
    get_entity,
    query_entities,
    update_attrs,
)
from ioc.engines.ngsi_ld.problems import (
    NgsiError,
    bad_request,
    invalid_request,
)
from ioc.engines.ngsi_ld.temporal import parse_params, temporal_entity
from ioc.settings import Settings
from ioc.web.deps import (
    AppRegistry,
    AppSettings,
    DbSession,
    Ingestor,
    Principal,
    ViewerApi,
    write_scope,
)
from ioc.web.ngsi_ld.openapi import (
    ENTITIES_IN,
    ENTITY_IN,
    ENTITY_OUT,
    FRAGMENT_IN,
    IDS_IN,
    LD,
    LIST_PARAMS,
    PARTIAL_207,
    VIEW_PARAMS,
    with_geojson,
)
from ioc.web.ngsi_ld.protocol import (
    MAX_LIMIT,
    PROBLEMS,
    audit_denied,
    derive_after_write,
    feature,
    int_param,
    json_answer,
    list_param,
    load_json,
    problem_response,
    raise_first_error,
    read_entities_body,
    read_format,
    tenant_of,
    write_batch,
)
from ioc.web.openapi_doc import (
    TEXT,
    WHEN,
    array,
    json_body,
    json_response,
    one_of,
    query,
)

# --------------------------------------------------------------------------- entities

router = APIRouter()


def _batch_answer(result: BatchResult, *, created_status: bool) -> Response:
    """201 + created ids, 204, or 207 ``{success, errors}``."""
    if result.errors:
        body = {"success": result.created + result.updated, "errors": result.errors}
        return Response(orjson.dumps(body), 207, media_type=ctx.JSON)
    if created_status and result.created:
        return Response(orjson.dumps(result.created), 201, media_type=ctx.JSON)
    return Response(status_code=204)


def _options(request: Request) -> set[str]:
    """The members of the ``options`` query parameter (``""`` when it is absent or empty)."""
    return {o.strip() for o in request.query_params.get("options", "").split(",")}


def _create() -> Mode:
    """The write mode of the create operations (they take no options)."""
    return "create"


async def _write_body(
    request: Request,
    principal: Principal,
    db: Session,
    settings: Settings,
    registry: Registry,
    mode: Callable[[], Mode],
    *,
    array: bool = True,
    must_exist: bool = False,
) -> BatchResult:
    """Write the entities of the request body: tenant, Accept, content type and @context are
    checked first, then ``mode()`` reads the query's options (it may refuse them)."""
    tenant = tenant_of(request, settings)
    ctx.negotiate(request.headers.get("accept"), geo=False)
    docs = await read_entities_body(request, array=array)
    chosen = mode()
    offset = fixed_offset_seconds(settings.timezone)
    return await run_in_threadpool(
        write_batch, db, docs, registry, chosen, offset, principal, tenant, must_exist
    )


async def _batch_write(
    request: Request,
    principal: Principal,
    db: Session,
    settings: Settings,
    registry: Registry,
    mode: Callable[[], Mode],
    *,
    created: bool,
    must_exist: bool = False,
) -> Response:
    """A batch operation's answer (see ``_batch_answer``); VN_AQI brought up to date when
    measurements were stored."""
    try:
        result = await _write_body(
            request, principal, db, settings, registry, mode, must_exist=must_exist
        )
    except NgsiError as err:
        return problem_response(err, request)
    if result.stored:
        await derive_after_write(request, settings)
    return _batch_answer(result, created_status=created)


@router.post(
    "/entityOperations/upsert",
    summary="Batch upsert of entities (options=update merges)",
    status_code=201,
    responses={
        201: json_response(array(TEXT), "Array of the ids created (others updated)"),
        204: {"description": "Every entity existed and was updated"},
        207: PARTIAL_207,
        **PROBLEMS,
    },
    openapi_extra={
        "requestBody": json_body(ENTITIES_IN, *LD),
        "parameters": [query("options", one_of("update", "replace"), "default: replace")],
    },
)
@router.post("/entityOperations/upsert/", include_in_schema=False)
async def batch_upsert(
    request: Request,
    principal: Ingestor,
    db: DbSession,
    settings: AppSettings,
    registry: AppRegistry,
) -> Response:
    """Create entities that do not exist; replace (default) or, with ``options=update``,
    update the attributes of those that do. Measurements become observations."""

    def mode() -> Mode:
        options = _options(request)
        if options - {"", "update", "replace"}:
            raise bad_request("options: update or replace")
        return "update" if "update" in options else "replace"

    return await _batch_write(request, principal, db, settings, registry, mode, created=True)


@router.post(
    "/entityOperations/create",
    summary="Batch create of entities",
    status_code=201,
    responses={
        201: json_response(array(TEXT), "Array of the ids created"),
        207: PARTIAL_207,
        **PROBLEMS,
    },
    openapi_extra={"requestBody": json_body(ENTITIES_IN, *LD)},
)
@router.post("/entityOperations/create/", include_in_schema=False)
async def batch_create(
    request: Request,
    principal: Ingestor,
    db: DbSession,
    settings: AppSettings,
    registry: AppRegistry,
) -> Response:
    """Create entities; one that exists is an error of the 207 answer (AlreadyExists)."""
    return await _batch_write(request, principal, db, settings, registry, _create, created=True)


@router.post(
    "/entityOperations/update",
    summary="Batch update of entities (attributes merged)",
    status_code=204,
    responses={
        204: {"description": "Every entity was updated"},
        207: PARTIAL_207,
        **PROBLEMS,
    },
    openapi_extra={
        "requestBody": json_body(ENTITIES_IN, *LD),
        "parameters": [query("options", one_of("noOverwrite"))],
    },
)
@router.post("/entityOperations/update/", include_in_schema=False)
async def batch_update(
    request: Request,
    principal: Ingestor,
    db: DbSession,
    settings: AppSettings,
    registry: AppRegistry,
) -> Response:
    """Update the attributes of existing entities; one that does not exist is an error of the
    207 answer (ResourceNotFound)."""

    def mode() -> Mode:
        if _options(request) - {"", "noOverwrite"}:
            raise bad_request("options: noOverwrite only")
        return "update"

    return await _batch_write(
        request, principal, db, settings, registry, mode, created=False, must_exist=True
    )


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
        audit_denied(db, principal, result.denied)
    subs.notify_changes(db, registry, tenant, result.changes)
    db.commit()
    return result


@router.post(
    "/entityOperations/delete",
    summary="Batch delete of entities (their history is kept)",
    status_code=204,
    responses={
        204: {"description": "Every entity was deleted"},
        207: PARTIAL_207,
        **PROBLEMS,
    },
    openapi_extra={"requestBody": json_body(IDS_IN, *LD)},
)
@router.post("/entityOperations/delete/", include_in_schema=False)
async def batch_delete(
    request: Request,
    principal: Ingestor,
    db: DbSession,
    settings: AppSettings,
    registry: AppRegistry,
) -> Response:
    """Delete entities by id (a JSON array of ids); their observations stay."""
    try:
        tenant = tenant_of(request, settings)
        ctx.negotiate(request.headers.get("accept"), geo=False)
        ctx.check_request(request.headers.get("content-type"), request.headers.get("link"))
        ids = load_json(await request.body())
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
    responses={201: {"description": "Created; Location names it"}, 409: {}, **PROBLEMS},
    openapi_extra={"requestBody": json_body(ENTITY_IN, *LD)},
)
@router.post("/entities/", include_in_schema=False)
async def create_entity(
    request: Request,
    principal: Ingestor,
    db: DbSession,
    settings: AppSettings,
    registry: AppRegistry,
) -> Response:
    """Create one entity; 409 AlreadyExists when its id exists."""
    try:
        result = await _write_body(request, principal, db, settings, registry, _create, array=False)
        raise_first_error(result)
    except NgsiError as err:
        return problem_response(err, request)
    if result.stored:
        await derive_after_write(request, settings)
    entity_id = result.created[0]
    location = f"/ngsi-ld/v1/entities/{quote(entity_id, safe=':')}"
    return Response(status_code=201, headers={"Location": location})


@router.get(
    "/entities",
    summary="Query entities",
    responses={
        200: with_geojson(
            json_response(array(ENTITY_OUT), "Entities (GeoJSON: a FeatureCollection)", *LD)
        ),
        **PROBLEMS,
    },
    openapi_extra={
        "parameters": [
            query("type", TEXT, "comma-separated entity types"),
            query("id", TEXT, "comma-separated entity ids"),
            query("idPattern", TEXT, "regular expression on ids"),
            query("q", TEXT, "NGSI-LD query language, e.g. pm25>50"),
            *VIEW_PARAMS,
            *LIST_PARAMS,
        ]
    },
)
def list_entities(
    request: Request,
    principal: ViewerApi,
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
        limit = int_param(params, "limit", 20, 0, MAX_LIMIT)
        offset = int_param(params, "offset", 0, 0, 2**31)
        count = params.get("count", "false").lower() == "true"
        if limit == 0 and not count:
            raise bad_request("limit: 0 is only allowed with count=true")
        fmt, sys_attrs = read_format(params)
        attrs = list_param(params, "attrs")
        page = query_entities(
            db,
            registry,
            tenant=tenant,
            types=list_param(params, "type"),
            ids=list_param(params, "id"),
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
            "features": [feature(i, fmt) for i in page.items],
        }
        return json_answer(request, features, media, headers=headers)
    return json_answer(request, page.items, media, headers=headers)


@router.get(
    "/entities/{entity_id}",
    summary="Retrieve an entity",
    responses={200: with_geojson(json_response(ENTITY_OUT, "The entity", *LD)), **PROBLEMS},
    openapi_extra={"parameters": list(VIEW_PARAMS)},
)
def retrieve_entity(
    entity_id: str,
    request: Request,
    principal: ViewerApi,
    db: DbSession,
    settings: AppSettings,
    registry: AppRegistry,
) -> Response:
    """The entity with the latest value of each measured attribute (404 ResourceNotFound)."""
    params = request.query_params
    try:
        tenant = tenant_of(request, settings)
        media = ctx.negotiate(request.headers.get("accept"))
        fmt, sys_attrs = read_format(params)
        attrs = list_param(params, "attrs")
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
        return json_answer(request, feature(item, fmt), media)
    return json_answer(request, item, media)


@router.delete(
    "/entities/{entity_id}",
    summary="Delete an entity (its history is kept)",
    status_code=204,
    responses={204: {}, 404: {}, **PROBLEMS},
)
async def delete_entity(
    entity_id: str,
    request: Request,
    principal: Ingestor,
    db: DbSession,
    settings: AppSettings,
    registry: AppRegistry,
) -> Response:
    """Delete one entity: it leaves every query, a station is deactivated, its observations
    stay (the province's retention rules apply); creating the id again works."""
    try:
        tenant = tenant_of(request, settings)
        result = await run_in_threadpool(_delete, db, registry, [entity_id], principal, tenant)
        raise_first_error(result)
    except NgsiError as err:
        return problem_response(err, request)
    return Response(status_code=204)


@router.patch(
    "/entities/{entity_id}/attrs",
    summary="Update attributes of an entity",
    status_code=204,
    responses={204: {}, 207: {"description": "{updated, notUpdated}"}, 404: {}, **PROBLEMS},
    openapi_extra={"requestBody": json_body(FRAGMENT_IN, *LD, "application/merge-patch+json")},
)
async def patch_attrs(
    entity_id: str,
    request: Request,
    principal: Ingestor,
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
        fragment = load_json(await request.body())
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
        await derive_after_write(request, settings)
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
            audit_denied(db, principal, [entity_id])
            db.commit()
        raise
    subs.notify_changes(db, registry, tenant, result.changes)
    db.commit()
    return result


# --------------------------------------------------------------------------- temporal


@router.get(
    "/temporal/entities/{entity_id}",
    summary="Temporal evolution of an entity",
    responses={200: json_response(ENTITY_OUT, "The temporal entity", *LD), **PROBLEMS},
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
    principal: ViewerApi,
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
    return json_answer(request, item, media)
