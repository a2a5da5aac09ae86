"""What every NGSI-LD handler shares: permissions, ProblemDetails answers, the tenant, content
negotiation, query parameters, request bodies and the write transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ioc.core import ownership
from ioc.core.auth import Permission
from ioc.core.registry import Registry
from ioc.engines.ngsi_ld import context as ctx
from ioc.engines.ngsi_ld import subscriptions as subs
from ioc.engines.ngsi_ld.entities import (
    DEFAULT_TENANT,
    MAX_BATCH,
    BatchResult,
    Format,
    Mode,
    write_entities,
)
from ioc.engines.ngsi_ld.problems import (
    NgsiError,
    bad_request,
    for_status,
    invalid_request,
    problem_media_type,
)
from ioc.settings import Settings
from ioc.web.deps import (
    Principal,
    derive_after_commit,
    write_scope,
)

MAX_LIMIT = 1000
PROBLEMS: dict[int | str, dict[str, Any]] = {
    400: {"description": "BadRequestData / InvalidRequest (ProblemDetails)"},
    406: {"description": "Accept names no supported representation"},
    415: {"description": "Content-Type other than application/json or application/ld+json"},
}


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


def json_answer(
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


def load_json(body: bytes) -> Any:
    """The JSON document of a request body (400 InvalidRequest when empty or not JSON)."""
    if not body.strip():
        raise invalid_request("the request body is empty")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise invalid_request(f"the body is not valid JSON: {exc}") from exc


def int_param(params: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
    """An integer query parameter within ``lo``–``hi`` (``default`` when absent)."""
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


def list_param(params: Mapping[str, str], name: str) -> list[str] | None:
    """A comma-separated query parameter as a list (``None`` when absent, 400 when empty)."""
    raw = params.get(name)
    if raw is None:
        return None
    items = [x.strip() for x in raw.split(",") if x.strip()]
    if not items:
        raise bad_request(f"{name}: empty")
    return items


_OPTIONS = {"keyValues", "simplified", "concise", "normalized", "sysAttrs"}


def read_format(params: Mapping[str, str]) -> tuple[Format, bool]:
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


def feature(item: dict[str, Any], fmt: Format) -> dict[str, Any]:
    """One entity as a GeoJSON Feature (geometry = its location)."""
    location = item.get("location")
    geometry = (
        location.get("value") if isinstance(location, dict) and "value" in location else location
    )
    properties = {k: v for k, v in item.items() if k != "id"}
    return {"id": item["id"], "type": "Feature", "geometry": geometry, "properties": properties}


async def derive_after_write(request: Request, settings: Settings) -> None:
    """Bring VN_AQI up to date after a write, as ``POST /api/v1/observations`` does."""
    await run_in_threadpool(derive_after_commit, request)


def write_batch(
    db: Session,
    docs: list[Any],
    registry: Registry,
    mode: Mode,
    offset: int,
    principal: Principal,
    tenant: str = DEFAULT_TENANT,
    must_exist: bool = False,
) -> BatchResult:
    """Write entities for ``principal`` and commit; refused writes are audited and subscribers
    notified. A concurrent creation of the same id is 409 AlreadyExists."""
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
            audit_denied(db, principal, result.denied)
        subs.notify_changes(db, registry, tenant, result.changes)
        db.commit()
    except IntegrityError as exc:
        db.rollback()
        raise NgsiError(
            "AlreadyExists", "an entity of this batch was created concurrently; retry"
        ) from exc
    return result


def raise_first_error(result: BatchResult) -> None:
    """Raise the failure of a one-entity operation as its ProblemDetails error."""
    if result.errors:
        err = result.errors[0]["error"]
        raise NgsiError(err["type"].rsplit("/", 1)[-1], err["detail"], err["status"])


def audit_denied(db: Session, principal: Principal, entity_ids: list[str]) -> None:
    """Audit the entities a caller tried to write outside their scope."""
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


async def read_entities_body(request: Request, *, array: bool) -> list[Any]:
    """Check content type, Link and @context rules; return the entities of the body."""
    kind, _ = ctx.check_request(request.headers.get("content-type"), request.headers.get("link"))
    doc = load_json(await request.body())
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
