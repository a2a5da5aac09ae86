"""NGSI-LD subscription routes (HTTP notifications)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from ioc.engines.ngsi_ld import subscriptions as subs
from ioc.engines.ngsi_ld.models import NgsiSubscription
from ioc.engines.ngsi_ld.problems import (
    NgsiError,
)
from ioc.web.deps import write_scope
from ioc.web.ngsi_ld.openapi import (
    LD,
    LIST_PARAMS,
    SUBSCRIPTION_IN,
    SUBSCRIPTION_MEMBERS,
    SUBSCRIPTION_OUT,
    creation_route,
    deletion_route,
)
from ioc.web.ngsi_ld.protocol import (
    PROBLEMS,
    NgsiCall,
    Reader,
    SubscriptionManager,
    created,
    paging,
    read_format,
    read_object,
    route,
    wants_count,
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


def _caller_agency(call: NgsiCall) -> str | None:
    scope = write_scope(call.db, call.principal)
    if scope.everything or len(scope.agencies) != 1:
        return None
    return next(iter(scope.agencies))


def _owned_subscription(call: NgsiCall, tenant: str, sub_id: str) -> NgsiSubscription:
    sub = subs.get_subscription(call.db, tenant, sub_id)
    scope = write_scope(call.db, call.principal)
    if not scope.everything and not scope.may_agency(sub.agency_code):
        raise NgsiError(
            "about:blank",
            "đăng ký thuộc đơn vị khác / the subscription belongs to another agency",
            403,
        )
    return sub


async def _change_owned(
    call: NgsiCall,
    sub_id: str,
    change: Callable[[NgsiSubscription, dict[str, Any]], object],
    *,
    patch: bool = False,
) -> Response:
    """Apply ``change`` to a subscription of the request's tenant that the caller's agency
    owns, with the merge-patch body when ``patch`` (else ``{}``), and commit (in a worker
    thread: the database calls block); 204, or the problem."""

    def run() -> None:
        sub = _owned_subscription(call, tenant, sub_id)
        change(sub, fragment)
        call.db.commit()

    try:
        tenant = call.tenant()
        fragment = await read_object(call.request, patch=True) if patch else {}
        await run_in_threadpool(run)
    except NgsiError as err:
        return call.problem(err)
    return Response(status_code=204)


@creation_route(
    router, "/subscriptions", "Create a subscription (HTTP notifications)", SUBSCRIPTION_IN
)
async def create_subscription(call: SubscriptionManager) -> Response:
    """``entities`` (type/id/idPattern), ``watchedAttributes``, ``q``,
    ``notification.endpoint.uri`` (http/https; internal addresses only when
    ``IOC_OUTBOUND_ALLOW`` lets them), ``notification.attributes``/``format``, ``throttling``,
    ``expiresAt``, ``isActive``."""
    db = call.db
    try:
        tenant = call.tenant()
        doc = await read_object(call.request)

        def run() -> str:
            sub_id = subs.create_subscription(
                db,
                doc,
                tenant=tenant,
                actor=call.principal.actor,
                agency_code=_caller_agency(call),
                allow=call.settings.outbound_allow,
            )
            db.commit()
            return sub_id

        sub_id = await run_in_threadpool(run)
    except NgsiError as err:
        return call.problem(err)
    except IntegrityError:
        db.rollback()
        return call.problem(NgsiError("AlreadyExists", "subscription exists"))
    return created("/subscriptions", sub_id)


@route(
    router,
    "GET",
    "/subscriptions",
    slash=True,
    summary="List subscriptions",
    responses={200: json_response(array(SUBSCRIPTION_OUT), "Subscriptions", *LD), **PROBLEMS},
    openapi_extra={"parameters": [query("options", TEXT, "sysAttrs"), *LIST_PARAMS]},
)
def list_subscriptions(call: Reader) -> Response:
    """The tenant's subscriptions (``limit``, ``offset``, ``count=true``)."""
    params = call.params
    try:
        tenant = call.tenant()
        media = call.negotiate(geo=False)
        limit, offset = paging(params)
        _, sys_attrs = read_format(params)
        page, total = subs.list_subscriptions(call.db, tenant, limit=limit, offset=offset)
    except NgsiError as err:
        return call.problem(err)
    headers = {"NGSILD-Results-Count": str(total)} if wants_count(params) else {}
    items = [subs.render(s, sys_attrs=sys_attrs) for s in page]
    return call.answer(items, media, headers=headers)


@router.get(
    "/subscriptions/{sub_id}",
    summary="Retrieve a subscription",
    responses={200: json_response(SUBSCRIPTION_OUT, "The subscription", *LD), **PROBLEMS},
    openapi_extra={"parameters": [query("options", TEXT, "sysAttrs")]},
)
def retrieve_subscription(sub_id: str, call: Reader) -> Response:
    """One subscription with its notification status (404 ResourceNotFound)."""
    try:
        tenant = call.tenant()
        media = call.negotiate(geo=False)
        _, sys_attrs = read_format(call.params)
        item = subs.render(subs.get_subscription(call.db, tenant, sub_id), sys_attrs=sys_attrs)
    except NgsiError as err:
        return call.problem(err)
    return call.answer(item, media)


@router.patch(
    "/subscriptions/{sub_id}",
    summary="Update a subscription",
    status_code=204,
    responses={204: {}, 404: {}, **PROBLEMS},
    openapi_extra={
        "requestBody": json_body(obj(**SUBSCRIPTION_MEMBERS), *LD, "application/merge-patch+json")
    },
)
async def patch_subscription(sub_id: str, call: SubscriptionManager) -> Response:
    """Replace the members given (``isActive``, ``q``, ``notification`` …)."""
    return await _change_owned(
        call,
        sub_id,
        lambda sub, fragment: subs.update_subscription(
            call.db, sub, fragment, actor=call.principal.actor, allow=call.settings.outbound_allow
        ),
        patch=True,
    )


@deletion_route(router, "/subscriptions/{sub_id}", "Delete a subscription")
async def delete_subscription(sub_id: str, call: SubscriptionManager) -> Response:
    """Delete a subscription (no further notifications)."""
    return await _change_owned(
        call,
        sub_id,
        lambda sub, _: subs.delete_subscription(call.db, sub, actor=call.principal.actor),
    )
