"""NGSI-LD subscription routes (HTTP notifications)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ioc.engines.ngsi_ld import context as ctx
from ioc.engines.ngsi_ld import subscriptions as subs
from ioc.engines.ngsi_ld.models import NgsiSubscription
from ioc.engines.ngsi_ld.problems import (
    NgsiError,
    invalid_request,
)
from ioc.web.deps import (
    AppSettings,
    DbSession,
    Manager,
    Principal,
    ViewerApi,
    write_scope,
)
from ioc.web.ngsi_ld.openapi import (
    LD,
    LIST_PARAMS,
    SUBSCRIPTION_IN,
    SUBSCRIPTION_MEMBERS,
    SUBSCRIPTION_OUT,
)
from ioc.web.ngsi_ld.protocol import (
    MAX_LIMIT,
    PROBLEMS,
    int_param,
    json_answer,
    load_json,
    problem_response,
    read_format,
    tenant_of,
)
from ioc.web.openapi_doc import (
    TEXT,
    array,
    json_body,
    json_response,
    obj,
    query,
)

# --------------------------------------------------------------------------- subscriptions

router = APIRouter()


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


async def _change_owned(
    db: Session,
    principal: Principal,
    tenant: str,
    sub_id: str,
    change: Callable[[NgsiSubscription], object],
) -> None:
    """Apply ``change`` to a subscription the caller's agency owns, and commit (in a worker
    thread: the database calls block)."""

    def run() -> None:
        sub = _owned_subscription(db, principal, tenant, sub_id)
        change(sub)
        db.commit()

    await run_in_threadpool(run)


async def _read_object(request: Request, *, patch: bool = False) -> dict[str, Any]:
    kind, _ = ctx.check_request(
        request.headers.get("content-type"), request.headers.get("link"), patch=patch
    )
    doc = load_json(await request.body())
    if not isinstance(doc, dict):
        raise invalid_request("the body must be a JSON object")
    ctx.check_body_context(kind, [doc])
    return doc


@router.post(
    "/subscriptions",
    summary="Create a subscription (HTTP notifications)",
    status_code=201,
    response_class=Response,
    responses={201: {"description": "Created; Location names it"}, 409: {}, **PROBLEMS},
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
    responses={200: json_response(array(SUBSCRIPTION_OUT), "Subscriptions", *LD), **PROBLEMS},
    openapi_extra={"parameters": [query("options", TEXT, "sysAttrs"), *LIST_PARAMS]},
)
@router.get("/subscriptions/", include_in_schema=False)
def list_subscriptions(
    request: Request, principal: ViewerApi, db: DbSession, settings: AppSettings
) -> Response:
    """The tenant's subscriptions (``limit``, ``offset``, ``count=true``)."""
    params = request.query_params
    try:
        tenant = tenant_of(request, settings)
        media = ctx.negotiate(request.headers.get("accept"), geo=False)
        limit = int_param(params, "limit", 20, 0, MAX_LIMIT)
        offset = int_param(params, "offset", 0, 0, 2**31)
        _, sys_attrs = read_format(params)
        page, total = subs.list_subscriptions(db, tenant, limit=limit, offset=offset)
    except NgsiError as err:
        return problem_response(err, request)
    headers = (
        {"NGSILD-Results-Count": str(total)}
        if params.get("count", "false").lower() == "true"
        else {}
    )
    items = [subs.render(s, sys_attrs=sys_attrs) for s in page]
    return json_answer(request, items, media, headers=headers)


@router.get(
    "/subscriptions/{sub_id}",
    summary="Retrieve a subscription",
    responses={200: json_response(SUBSCRIPTION_OUT, "The subscription", *LD), **PROBLEMS},
    openapi_extra={"parameters": [query("options", TEXT, "sysAttrs")]},
)
def retrieve_subscription(
    sub_id: str, request: Request, principal: ViewerApi, db: DbSession, settings: AppSettings
) -> Response:
    """One subscription with its notification status (404 ResourceNotFound)."""
    try:
        tenant = tenant_of(request, settings)
        media = ctx.negotiate(request.headers.get("accept"), geo=False)
        _, sys_attrs = read_format(request.query_params)
        item = subs.render(subs.get_subscription(db, tenant, sub_id), sys_attrs=sys_attrs)
    except NgsiError as err:
        return problem_response(err, request)
    return json_answer(request, item, media)


@router.patch(
    "/subscriptions/{sub_id}",
    summary="Update a subscription",
    status_code=204,
    responses={204: {}, 404: {}, **PROBLEMS},
    openapi_extra={
        "requestBody": json_body(obj(**SUBSCRIPTION_MEMBERS), *LD, "application/merge-patch+json")
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
        await _change_owned(
            db,
            principal,
            tenant,
            sub_id,
            lambda sub: subs.update_subscription(
                db, sub, fragment, actor=principal.actor, allow=settings.outbound_allow
            ),
        )
    except NgsiError as err:
        return problem_response(err, request)
    return Response(status_code=204)


@router.delete(
    "/subscriptions/{sub_id}",
    summary="Delete a subscription",
    status_code=204,
    responses={204: {}, 404: {}, **PROBLEMS},
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
        await _change_owned(
            db,
            principal,
            tenant,
            sub_id,
            lambda sub: subs.delete_subscription(db, sub, actor=principal.actor),
        )
    except NgsiError as err:
        return problem_response(err, request)
    return Response(status_code=204)
