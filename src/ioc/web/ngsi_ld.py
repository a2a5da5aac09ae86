"""NGSI-LD API (ETSI GS CIM 009) under ``/ngsi-ld/v1``: the subset in
``ioc/engines/ngsi_ld/README.md``. Reads need the ``view`` permission, writes ``ingest``; the
@context documents are public. Every error is a ProblemDetails document."""

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
from ioc.engines.ngsi_ld.entities import (
    MAX_BATCH,
    BatchResult,
    Mode,
    get_entity,
    query_entities,
    update_attrs,
    write_entities,
)
from ioc.engines.ngsi_ld.problems import (
    PROBLEM_CONTENT_TYPE,
    NgsiError,
    bad_request,
    for_status,
    invalid_request,
    not_found,
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

router = APIRouter(prefix="/ngsi-ld/v1", tags=["ngsi-ld"])

Reader = Annotated[Principal, Depends(require(Permission.VIEW))]
Writer = Annotated[Principal, Depends(require(Permission.INGEST))]
Public = Annotated[Principal, Depends(require(Permission.PUBLIC))]

MAX_LIMIT = 1000
_PROBLEMS: dict[int | str, dict[str, Any]] = {
    400: {"description": "BadRequestData / InvalidRequest (ProblemDetails)"},
    406: {"description": "Accept names no supported representation"},
    415: {"description": "Content-Type other than application/json or application/ld+json"},
}


# --------------------------------------------------------------------------- helpers


def problem_response(err: NgsiError) -> Response:
    """A ProblemDetails response for ``err``."""
    return Response(orjson.dumps(err.body()), err.status, media_type=PROBLEM_CONTENT_TYPE)


def http_problem(status: int, detail: Any, headers: Mapping[str, str] | None = None) -> Response:
    """ProblemDetails for an HTTP error raised before a handler ran (401, 403, unknown path …);
    the application's error handler calls this for paths under ``/ngsi-ld/``."""
    body = for_status(status, detail if isinstance(detail, str) else str(detail))
    return Response(
        orjson.dumps(body), status, headers=dict(headers or {}), media_type=PROBLEM_CONTENT_TYPE
    )


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


def _key_values(params: Mapping[str, str]) -> bool:
    options = {o.strip() for o in params.get("options", "").split(",")}
    fmt = params.get("format")
    if fmt is not None and fmt not in ("normalized", "keyValues", "simplified"):
        raise bad_request("format: normalized, keyValues or simplified")
    return bool(options & {"keyValues", "simplified"}) or fmt in ("keyValues", "simplified")


def _feature(item: dict[str, Any], key_values: bool) -> dict[str, Any]:
    """One entity as a GeoJSON Feature (geometry = its location)."""
    location = item.get("location")
    geometry = location if key_values else (location or {}).get("value")
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
        )
        if result.denied:
            _audit_denied(db, principal, result.denied)
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


@router.post(
    "/entityOperations/upsert",
    summary="Batch upsert of entities (options=update merges)",
    status_code=201,
    responses={
        201: {"description": "Array of the ids created (others updated)"},
        204: {"description": "Every entity existed and was updated"},
        207: {"description": "{success: [ids], errors: [{entityId, error}]}"},
        **_PROBLEMS,
    },
)
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
        ctx.negotiate(request.headers.get("accept"), geo=False)
        docs = await _read_entities_body(request, array=True)
        options = {o.strip() for o in request.query_params.get("options", "").split(",")}
        if options - {"", "update", "replace"}:
            raise bad_request("options: update or replace")
        mode: Mode = "update" if "update" in options else "replace"
        offset = fixed_offset_seconds(settings.timezone)
        result = await run_in_threadpool(_write, db, docs, registry, mode, offset, principal)
    except NgsiError as err:
        return problem_response(err)
    if result.stored:
        await _derive_after_write(request, settings)
    if result.errors:
        body = {"success": result.created + result.updated, "errors": result.errors}
        return Response(orjson.dumps(body), 207, media_type=ctx.JSON)
    if result.created:
        return Response(orjson.dumps(result.created), 201, media_type=ctx.JSON)
    return Response(status_code=204)


@router.post(
    "/entities",
    summary="Create an entity",
    status_code=201,
    responses={201: {"description": "Created; Location names it"}, 409: {}, **_PROBLEMS},
)
async def create_entity(
    request: Request,
    principal: Writer,
    db: DbSession,
    settings: AppSettings,
    registry: AppRegistry,
) -> Response:
    """Create one entity; 409 AlreadyExists when its id (station code) is taken."""
    try:
        ctx.negotiate(request.headers.get("accept"), geo=False)
        docs = await _read_entities_body(request, array=False)
        offset = fixed_offset_seconds(settings.timezone)
        result = await run_in_threadpool(_write, db, docs, registry, "create", offset, principal)
        if result.errors:
            err = result.errors[0]["error"]
            raise NgsiError(err["type"].rsplit("/", 1)[-1], err["detail"], err["status"])
    except NgsiError as err:
        return problem_response(err)
    if result.stored:
        await _derive_after_write(request, settings)
    entity_id = result.created[0]
    location = f"/ngsi-ld/v1/entities/{quote(entity_id, safe=':')}"
    return Response(status_code=201, headers={"Location": location})


@router.get("/entities", summary="Query entities", responses=_PROBLEMS)
def list_entities(
    request: Request, principal: Reader, db: DbSession, registry: AppRegistry
) -> Response:
    """``type``, ``id``, ``q``, ``attrs``; ``limit`` (default 20, at most 1000), ``offset``,
    ``count=true`` (``NGSILD-Results-Count``); ``options=keyValues`` / ``format=simplified``."""
    params = request.query_params
    try:
        media = ctx.negotiate(request.headers.get("accept"))
        limit = _int_param(params, "limit", 20, 0, MAX_LIMIT)
        offset = _int_param(params, "offset", 0, 0, 2**31)
        count = params.get("count", "false").lower() == "true"
        if limit == 0 and not count:
            raise bad_request("limit: 0 is only allowed with count=true")
        key_values = _key_values(params)
        attrs = _list_param(params, "attrs")
        page = query_entities(
            db,
            registry,
            types=_list_param(params, "type"),
            ids=_list_param(params, "id"),
            q=params.get("q"),
            attrs=set(attrs) if attrs else None,
            limit=limit,
            offset=offset,
            count=count,
            key_values=key_values,
        )
    except NgsiError as err:
        return problem_response(err)
    headers = {"NGSILD-Results-Count": str(page.total)} if page.total is not None else {}
    if media == ctx.GEO_JSON:
        features = {
            "type": "FeatureCollection",
            "features": [_feature(i, key_values) for i in page.items],
        }
        return _json(request, features, media, headers=headers)
    return _json(request, page.items, media, headers=headers)


@router.get("/entities/{entity_id}", summary="Retrieve an entity", responses=_PROBLEMS)
def retrieve_entity(
    entity_id: str, request: Request, principal: Reader, db: DbSession, registry: AppRegistry
) -> Response:
    """The entity with the latest value of each measured attribute (404 ResourceNotFound)."""
    params = request.query_params
    try:
        media = ctx.negotiate(request.headers.get("accept"))
        key_values = _key_values(params)
        attrs = _list_param(params, "attrs")
        item = get_entity(
            db, registry, entity_id, key_values=key_values, attrs=set(attrs) if attrs else None
        )
    except NgsiError as err:
        return problem_response(err)
    if media == ctx.GEO_JSON:
        return _json(request, _feature(item, key_values), media)
    return _json(request, item, media)


@router.patch(
    "/entities/{entity_id}/attrs",
    summary="Update attributes of an entity",
    status_code=204,
    responses={204: {}, 207: {"description": "{updated, notUpdated}"}, 404: {}, **_PROBLEMS},
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
            _patch, db, registry, entity_id, fragment, offset, principal
        )
    except NgsiError as err:
        return problem_response(err)
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
        )
    except NgsiError as err:
        if err.status == 403:
            db.rollback()
            _audit_denied(db, principal, [entity_id])
            db.commit()
        raise
    db.commit()
    return result


# --------------------------------------------------------------------------- temporal


@router.get(
    "/temporal/entities/{entity_id}", summary="Temporal evolution of an entity", responses=_PROBLEMS
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
        media = ctx.negotiate(request.headers.get("accept"), geo=False)
        tq = parse_params(request.query_params)
        item = temporal_entity(
            db, registry, entity_id, tq, offset=fixed_offset_seconds(settings.timezone)
        )
    except NgsiError as err:
        return problem_response(err)
    return _json(request, item, media)


# --------------------------------------------------------------------------- contexts


@router.get("/jsonldContexts", summary="@context documents served by the IOC")
def list_contexts(request: Request, principal: Public) -> Response:
    """URLs of the served @context documents (core context and Smart Data Models terms)."""
    base = str(request.base_url).rstrip("/")
    urls = [f"{base}/ngsi-ld/v1/jsonldContexts/{name}" for name in ctx.CONTEXT_FILES]
    return Response(orjson.dumps(urls), media_type=ctx.JSON)


@router.get("/jsonldContexts/{context_id:path}", summary="One @context document")
def get_context(context_id: str, principal: Public) -> Response:
    """A served @context, by file name or by its URL (the core context's ETSI IRI too)."""
    name = context_id.rstrip("/").rsplit("/", 1)[-1]
    if name == "ngsi-ld-core-context.jsonld":
        name = ctx.CORE_CONTEXT_FILE
    document = ctx.context_document(name)
    if document is None:
        return problem_response(not_found(f"no @context {context_id}"))
    return Response(
        document,
        media_type=ctx.JSON_LD,
        headers={"Cache-Control": "public, max-age=86400"},
    )
