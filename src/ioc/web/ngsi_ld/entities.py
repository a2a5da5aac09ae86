"""NGSI-LD entity routes: batch operations, one entity, and its temporal evolution."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import orjson
from fastapi import APIRouter
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ioc.core.clock import fixed_offset_seconds
from ioc.engines.ngsi_ld import context as ctx
from ioc.engines.ngsi_ld import subscriptions as subs
from ioc.engines.ngsi_ld.entities import (
    BatchResult,
    Format,
    Mode,
    delete_entities,
    get_entity,
    query_entities,
    update_attrs,
)
from ioc.engines.ngsi_ld.problems import (
    NgsiError,
    bad_request,
)
from ioc.engines.ngsi_ld.temporal import parse_params, temporal_entity
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
    creation_route,
    deletion_route,
    with_geojson,
)
from ioc.web.ngsi_ld.protocol import (
    PROBLEMS,
    NgsiCall,
    Reader,
    Writer,
    audit_denied,
    batch_of,
    commit_batch,
    created,
    feature,
    list_param,
    load_json,
    paging,
    raise_first_error,
    read_entities_body,
    read_object,
    route,
    view_params,
    wants_count,
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
_Handler = TypeVar("_Handler", bound=Callable[..., Any])


def _batch_answer(result: BatchResult, *, created_status: bool) -> Response:
    """201 + created ids, 204, or 207 ``{success, errors}``."""
    if result.errors:
        body = {"success": result.created + result.updated, "errors": result.errors}
        return Response(orjson.dumps(body), 207, media_type=ctx.JSON)
    if created_status and result.created:
        return Response(orjson.dumps(result.created), 201, media_type=ctx.JSON)
    return Response(status_code=204)


def _options(call: NgsiCall) -> set[str]:
    """The members of the ``options`` query parameter (``""`` when it is absent or empty)."""
    return {o.strip() for o in call.params.get("options", "").split(",")}


def _create() -> Mode:
    """The write mode of the create operations (they take no options)."""
    return "create"


async def _write_body(
    call: NgsiCall,
    mode: Callable[[], Mode],
    *,
    array: bool = True,
    must_exist: bool = False,
) -> BatchResult:
    """Write the entities of the request body: tenant, Accept, content type and @context are
    checked first, then ``mode()`` reads the query's options (it may refuse them)."""
    tenant = call.tenant()
    call.negotiate(geo=False)
    docs = await read_entities_body(call.request, array=array)
    chosen = mode()
    return await run_in_threadpool(write_batch, call, docs, chosen, tenant, must_exist)


async def _batch_write(
    call: NgsiCall,
    mode: Callable[[], Mode],
    *,
    created: bool,
    must_exist: bool = False,
) -> Response:
    """A batch operation's answer (see ``_batch_answer``); the commit of stored measurements
    wakes the VN_AQI derivation (``ioc.core.series``)."""
    try:
        result = await _write_body(call, mode, must_exist=must_exist)
    except NgsiError as err:
        return call.problem(err)
    return _batch_answer(result, created_status=created)


def _batch_route(
    operation: str,
    summary: str,
    answers: dict[int | str, dict[str, Any]],
    *,
    body: dict[str, Any] = ENTITIES_IN,
    options: dict[str, Any] | None = None,
) -> Callable[[_Handler], _Handler]:
    """``POST /entityOperations/{operation}`` (and with a trailing ``/``): its first answer
    is the status code; any may be 207 (some entities failed)."""
    extra: dict[str, Any] = {"requestBody": json_body(body, *LD)}
    if options is not None:
        extra["parameters"] = [options]
    return route(
        router,
        "POST",
        f"/entityOperations/{operation}",
        slash=True,
        summary=summary,
        status_code=int(next(iter(answers))),
        responses={**answers, 207: PARTIAL_207, **PROBLEMS},
        openapi_extra=extra,
    )


@_batch_route(
    "upsert",
    "Batch upsert of entities (options=update merges)",
    {
        201: json_response(array(TEXT), "Array of the ids created (others updated)"),
        204: {"description": "Every entity existed and was updated"},
    },
    options=query("options", one_of("update", "replace"), "default: replace"),
)
async def batch_upsert(call: Writer) -> Response:
    """Create entities that do not exist; replace (default) or, with ``options=update``,
    update the attributes of those that do. Measurements become observations."""

    def mode() -> Mode:
        options = _options(call)
        if options - {"", "update", "replace"}:
            raise bad_request("options: update or replace")
        return "update" if "update" in options else "replace"

    return await _batch_write(call, mode, created=True)


@_batch_route(
    "create",
    "Batch create of entities",
    {201: json_response(array(TEXT), "Array of the ids created")},
)
async def batch_create(call: Writer) -> Response:
    """Create entities; one that exists is an error of the 207 answer (AlreadyExists)."""
    return await _batch_write(call, _create, created=True)


@_batch_route(
    "update",
    "Batch update of entities (attributes merged)",
    {204: {"description": "Every entity was updated"}},
    options=query("options", one_of("noOverwrite")),
)
async def batch_update(call: Writer) -> Response:
    """Update the attributes of existing entities; one that does not exist is an error of the
    207 answer (ResourceNotFound)."""

    def mode() -> Mode:
        if _options(call) - {"", "noOverwrite"}:
            raise bad_request("options: noOverwrite only")
        return "update"

    return await _batch_write(call, mode, created=False, must_exist=True)


def _delete(call: NgsiCall, ids: list[Any], tenant: str) -> BatchResult:
    """Delete the entities ``ids`` for the caller and commit (see :func:`commit_batch`)."""
    result = delete_entities(call.db, call.registry, ids, **call.rights(tenant))
    commit_batch(call, tenant, result)
    return result


@_batch_route(
    "delete",
    "Batch delete of entities (their history is kept)",
    {204: {"description": "Every entity was deleted"}},
    body=IDS_IN,
)
async def batch_delete(call: Writer) -> Response:
    """Delete entities by id (a JSON array of ids); their observations stay."""
    request = call.request
    try:
        tenant = call.tenant()
        call.negotiate(geo=False)
        ctx.check_request(request.headers.get("content-type"), request.headers.get("link"))
        ids = batch_of(load_json(await request.body()), "entity ids")
        result = await run_in_threadpool(_delete, call, ids, tenant)
    except NgsiError as err:
        return call.problem(err)
    return _batch_answer(result, created_status=False)


@creation_route(router, "/entities", "Create an entity", ENTITY_IN)
async def create_entity(call: Writer) -> Response:
    """Create one entity; 409 AlreadyExists when its id exists."""
    try:
        result = await _write_body(call, _create, array=False)
        raise_first_error(result)
    except NgsiError as err:
        return call.problem(err)
    return created("/entities", result.created[0])


def _entities_answer(
    call: NgsiCall,
    data: Any,
    media: str,
    fmt: Format,
    headers: dict[str, str] | None = None,
) -> Response:
    """An entity (a dict) or a list of entities in ``media``: as GeoJSON, a Feature or a
    FeatureCollection."""
    if media == ctx.GEO_JSON:
        if isinstance(data, list):
            data = {"type": "FeatureCollection", "features": [feature(i, fmt) for i in data]}
        else:
            data = feature(data, fmt)
    return call.answer(data, media, headers=headers)


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
def list_entities(call: Reader) -> Response:
    """``type``, ``id``, ``idPattern``, ``q``, ``attrs``; ``limit`` (default 20, at most 1000),
    ``offset``, ``count=true`` (``NGSILD-Results-Count``); ``options=keyValues|concise|sysAttrs``
    / ``format=simplified|concise``."""
    params = call.params
    try:
        tenant = call.tenant()
        media = call.negotiate()
        limit, offset = paging(params)
        count = wants_count(params)
        if limit == 0 and not count:
            raise bad_request("limit: 0 is only allowed with count=true")
        view = view_params(params)
        page = query_entities(
            call.db,
            call.registry,
            tenant=tenant,
            types=list_param(params, "type"),
            ids=list_param(params, "id"),
            id_pattern=params.get("idPattern"),
            q=params.get("q"),
            limit=limit,
            offset=offset,
            count=count,
            **view._asdict(),
        )
    except NgsiError as err:
        return call.problem(err)
    headers = {"NGSILD-Results-Count": str(page.total)} if page.total is not None else {}
    return _entities_answer(call, page.items, media, view.fmt, headers)


@router.get(
    "/entities/{entity_id}",
    summary="Retrieve an entity",
    responses={200: with_geojson(json_response(ENTITY_OUT, "The entity", *LD)), **PROBLEMS},
    openapi_extra={"parameters": list(VIEW_PARAMS)},
)
def retrieve_entity(entity_id: str, call: Reader) -> Response:
    """The entity with the latest value of each measured attribute (404 ResourceNotFound)."""
    try:
        tenant = call.tenant()
        media = call.negotiate()
        view = view_params(call.params)
        item = get_entity(call.db, call.registry, entity_id, tenant=tenant, **view._asdict())
    except NgsiError as err:
        return call.problem(err)
    return _entities_answer(call, item, media, view.fmt)


@deletion_route(router, "/entities/{entity_id}", "Delete an entity (its history is kept)")
async def delete_entity(entity_id: str, call: Writer) -> Response:
    """Delete one entity: it leaves every query, a station is deactivated, its observations
    stay (the province's retention rules apply); creating the id again works."""
    try:
        tenant = call.tenant()
        result = await run_in_threadpool(_delete, call, [entity_id], tenant)
        raise_first_error(result)
    except NgsiError as err:
        return call.problem(err)
    return Response(status_code=204)


@router.patch(
    "/entities/{entity_id}/attrs",
    summary="Update attributes of an entity",
    status_code=204,
    responses={204: {}, 207: {"description": "{updated, notUpdated}"}, 404: {}, **PROBLEMS},
    openapi_extra={"requestBody": json_body(FRAGMENT_IN, *LD, "application/merge-patch+json")},
)
async def patch_attrs(entity_id: str, call: Writer) -> Response:
    """Update the attributes the entity has (JSON, JSON-LD or merge-patch+json); attributes it
    does not have are listed in ``notUpdated`` (207)."""
    try:
        tenant = call.tenant()
        call.negotiate(geo=False)
        fragment = await read_object(call.request, patch=True, what="a JSON object of attributes")
        result = await run_in_threadpool(_patch, call, entity_id, fragment, tenant)
    except NgsiError as err:
        return call.problem(err)
    if result.not_updated:
        body = {"updated": result.updated, "notUpdated": result.not_updated}
        return Response(orjson.dumps(body), 207, media_type=ctx.JSON)
    return Response(status_code=204)


def _patch(call: NgsiCall, entity_id: str, fragment: dict[str, Any], tenant: str) -> Any:
    """Update the attributes of one entity for the caller and commit; a refusal for being
    outside the caller's scope is audited."""
    db = call.db
    try:
        result = update_attrs(
            db,
            call.registry,
            entity_id,
            fragment,
            offset=fixed_offset_seconds(call.settings.timezone),
            **call.rights(tenant),
        )
    except NgsiError as err:
        if err.status == 403:
            db.rollback()
            audit_denied(db, call.principal, [entity_id])
            db.commit()
        raise
    subs.notify_changes(db, call.registry, tenant, result.changes)
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
def temporal(entity_id: str, call: Reader) -> Response:
    """Instances (``timerel``, ``timeAt``, ``endTimeAt``, ``lastN``; ``options=temporalValues``)
    or aggregations (``options=aggregatedValues``, ``aggrMethods`` avg/min/max/sum/totalCount,
    ``aggrPeriodDuration`` PT1H, P1D, P1M or PT0S)."""
    try:
        tenant = call.tenant()
        media = call.negotiate(geo=False)
        tq = parse_params(call.params)
        item = temporal_entity(
            call.db,
            call.registry,
            entity_id,
            tq,
            offset=fixed_offset_seconds(call.settings.timezone),
            tenant=tenant,
        )
    except NgsiError as err:
        return call.problem(err)
    return call.answer(item, media)
