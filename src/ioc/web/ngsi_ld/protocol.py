"""What every NGSI-LD handler shares: permissions, ProblemDetails answers, the tenant, content
negotiation, query parameters, request bodies and the write transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, NamedTuple, TypeVar
from urllib.parse import quote

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ioc.core import ownership
from ioc.core.auth import Permission
from ioc.core.clock import fixed_offset_seconds
from ioc.core.registry import Registry
from ioc.engines.ingestion.parse import gc_paused
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
    AppRegistry,
    AppSettings,
    DbSession,
    Principal,
    require,
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


@dataclass(frozen=True)
class NgsiCall:
    """One NGSI-LD request with its caller, the session, the settings and the registry."""

    request: Request
    principal: Principal
    db: Session
    settings: Settings
    registry: Registry

    @property
    def params(self) -> Mapping[str, str]:
        """The query parameters."""
        return self.request.query_params

    def tenant(self) -> str:
        """The request's tenant (see :func:`tenant_of`)."""
        return tenant_of(self.request, self.settings)

    def negotiate(self, *, geo: bool = True) -> str:
        """The media type to answer in (406 when ``Accept`` names none served; GeoJSON only
        where ``geo``)."""
        return ctx.negotiate(self.request.headers.get("accept"), geo=geo)

    def problem(self, err: NgsiError) -> Response:
        """``err`` as ProblemDetails (see :func:`problem_response`)."""
        return problem_response(err, self.request)

    def answer(self, data: Any, media: str, headers: dict[str, str] | None = None) -> Response:
        """A 200 JSON body in ``media`` (see :func:`json_answer`)."""
        return json_answer(self.request, data, media, headers=headers)

    def rights(self, tenant: str) -> dict[str, Any]:
        """The keyword arguments every entity write takes: who writes, for whom, in which
        tenant."""
        return {
            "actor": self.principal.actor,
            "scope": write_scope(self.db, self.principal),
            "may_manage": self.principal.can(Permission.MANAGE),
            "tenant": tenant,
        }


def _call_for(permission: Permission) -> Callable[..., NgsiCall]:
    """A dependency that admits callers holding ``permission`` and gives their
    :class:`NgsiCall`."""
    guard = Depends(require(permission))

    def dependency(
        request: Request,
        db: DbSession,
        settings: AppSettings,
        registry: AppRegistry,
        principal: Principal = guard,
    ) -> NgsiCall:
        return NgsiCall(request, principal, db, settings, registry)

    return dependency


# Who may call a handler: readers (``view``), entity writers (``ingest``), subscription
# managers (``manage``).
Reader = Annotated[NgsiCall, Depends(_call_for(Permission.VIEW))]
Writer = Annotated[NgsiCall, Depends(_call_for(Permission.INGEST))]
SubscriptionManager = Annotated[NgsiCall, Depends(_call_for(Permission.MANAGE))]

_Handler = TypeVar("_Handler", bound=Callable[..., Any])


def route(
    router: APIRouter, method: str, path: str, *, slash: bool = False, **doc: Any
) -> Callable[[_Handler], _Handler]:
    """Register a handler for ``method`` at ``path`` (documented by ``doc``) and, with
    ``slash``, at ``path/`` too (left out of the OpenAPI document)."""

    def register(handler: _Handler) -> _Handler:
        if slash:
            router.api_route(path + "/", methods=[method], include_in_schema=False)(handler)
        router.api_route(path, methods=[method], **doc)(handler)
        return handler

    return register


def paging(params: Mapping[str, str]) -> tuple[int, int]:
    """``limit`` (default 20, at most ``MAX_LIMIT``) and ``offset`` of a list."""
    return (
        int_param(params, "limit", 20, 0, MAX_LIMIT),
        int_param(params, "offset", 0, 0, 2**31),
    )


def wants_count(params: Mapping[str, str]) -> bool:
    """Whether ``count=true`` asks for the ``NGSILD-Results-Count`` header."""
    return params.get("count", "false").lower() == "true"


class View(NamedTuple):
    """How a read shows entities: the representation, with system attributes or not, and the
    attributes to keep (``None``: all). ``_asdict()`` gives the keyword arguments of a read."""

    fmt: Format
    sys_attrs: bool
    attrs: set[str] | None


def view_params(params: Mapping[str, str]) -> View:
    """The :class:`View` of ``format``, ``options`` and ``attrs``."""
    fmt, sys_attrs = read_format(params)
    attrs = list_param(params, "attrs")
    return View(fmt, sys_attrs, set(attrs) if attrs else None)


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


def write_batch(
    call: NgsiCall, docs: list[Any], mode: Mode, tenant: str, must_exist: bool = False
) -> BatchResult:
    """Write entities for the caller and commit (see :func:`commit_batch`). A concurrent
    creation of the same id is 409 AlreadyExists."""
    try:
        # A batch allocates many short-lived objects and makes no reference cycles: the cyclic
        # collector would only walk the whole heap again (as for the ingestion API).
        with gc_paused():
            result = write_entities(
                call.db,
                docs,
                call.registry,
                mode=mode,
                offset=fixed_offset_seconds(call.settings.timezone),
                must_exist=must_exist,
                **call.rights(tenant),
            )
            commit_batch(call, tenant, result)
    except IntegrityError as exc:
        call.db.rollback()
        raise NgsiError(
            "AlreadyExists", "an entity of this batch was created concurrently; retry"
        ) from exc
    return result


def commit_batch(call: NgsiCall, tenant: str, result: BatchResult) -> None:
    """Audit the writes of ``result`` refused for being outside the caller's scope, notify the
    subscribers of its changes, and commit."""
    if result.denied:
        audit_denied(call.db, call.principal, result.denied)
    subs.notify_changes(call.db, call.registry, tenant, result.changes)
    call.db.commit()


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


def batch_of(doc: Any, items: str) -> list[Any]:
    """``doc`` as a batch: a JSON array of 1 to ``MAX_BATCH`` ``items`` (400 otherwise)."""
    if not isinstance(doc, list):
        raise invalid_request(f"the body must be a JSON array of {items}")
    if not doc:
        raise bad_request(f"the array of {items} is empty")
    if len(doc) > MAX_BATCH:
        raise bad_request(f"at most {MAX_BATCH} entities per request")
    return doc


def created(path: str, resource_id: str) -> Response:
    """201 with the ``Location`` of the resource created under ``/ngsi-ld/v1{path}/``."""
    location = f"/ngsi-ld/v1{path}/{quote(resource_id, safe=':')}"
    return Response(status_code=201, headers={"Location": location})


async def read_object(
    request: Request, *, patch: bool = False, what: str = "a JSON object"
) -> dict[str, Any]:
    """Check content type (merge-patch too when ``patch``), Link and @context rules; return
    the body, which must be ``what``: a JSON object."""
    kind, _ = ctx.check_request(
        request.headers.get("content-type"), request.headers.get("link"), patch=patch
    )
    doc = load_json(await request.body())
    if not isinstance(doc, dict):
        raise invalid_request(f"the body must be {what}")
    ctx.check_body_context(kind, [doc])
    return doc


async def read_entities_body(request: Request, *, array: bool) -> list[Any]:
    """Check content type, Link and @context rules; return the entities of the body."""
    kind, _ = ctx.check_request(request.headers.get("content-type"), request.headers.get("link"))
    doc = load_json(await request.body())
    if array:
        docs = batch_of(doc, "entities")
    else:
        if not isinstance(doc, dict):
            raise invalid_request("the body must be a JSON object (one entity)")
        docs = [doc]
    ctx.check_body_context(kind, docs)
    return docs
