"""The Open311 GeoReport v2 routes (``/open311/v2/…``), each in ``.xml`` and ``.json``; what
they compute is in ``params``, ``items`` and ``intake``."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ioc.core import clock
from ioc.packs.field_reports.open311.docs import (
    CREATED_DOC,
    DISCOVERY_DOC,
    ERRORS_DOC,
    POST_FORM,
    REQUEST_DOC,
    SERVICE_DOC,
    UPDATE_DOC,
    W3C_DATE,
    route_doc,
)
from ioc.packs.field_reports.open311.formats import FORMATS, error_response, render
from ioc.packs.field_reports.open311.intake import create_request, rate_limited
from ioc.packs.field_reports.open311.items import (
    active_categories,
    active_category,
    area_attribute,
    catalog_changeset,
    report_by_code,
    request_item,
    select_requests,
    select_updates,
    service_item,
)
from ioc.packs.field_reports.open311.params import (
    CONTACT,
    KEY_SERVICE,
    SPECIFICATION,
    Open311Error,
    base_url,
    check_jurisdiction,
    handle,
    lang_of,
)
from ioc.web.deps import DbSession, Public
from ioc.web.openapi_doc import TEXT, array, json_response, obj, one_of, query

router = APIRouter(prefix="/open311/v2", tags=["open311"])


@router.get(
    "/discovery.{fmt}",
    **route_doc(DISCOVERY_DOC, "Where and how to reach the endpoint, what a request must carry"),
)
def discovery(fmt: str, request: Request, db: DbSession, _p: Public) -> Response:
    """Service discovery: where the endpoint is and which formats it speaks."""

    settings = request.app.state.settings

    def build(f: str) -> Response:
        changeset = catalog_changeset(db)
        payload = {
            "changeset": changeset,
            "contact": CONTACT,
            "key_service": KEY_SERVICE,
            "endpoints": [
                {
                    "specification": SPECIFICATION,
                    "url": f"{base_url(request)}/open311/v2",
                    "changeset": changeset,
                    "type": "production",
                    "formats": ["text/xml", "application/json"],
                }
            ],
            # What a POST must carry here (GeoReport v2 leaves both to the jurisdiction).
            "requirements": {
                "anonymous_requests": (
                    "accepted" if settings.fr_open311_allow_anonymous else "email_or_phone"
                ),
                "location": (
                    "lat_long_or_address" if settings.fr_open311_allow_address_only else "lat_long"
                ),
                "note": (
                    "Ẩn danh: "
                    + (
                        "được nhận"
                        if settings.fr_open311_allow_anonymous
                        else "cần email hoặc phone"
                    )
                    + "; vị trí: "
                    + (
                        "lat/long hoặc address_string (xã/phường)"
                        if settings.fr_open311_allow_address_only
                        else "bắt buộc lat/long"
                    )
                ),
            },
        }
        return render(f, "discovery", payload)

    return handle(fmt, build)


@router.get("/services.{fmt}", **route_doc(array(SERVICE_DOC), "The services (categories)"))
def services(fmt: str, request: Request, db: DbSession, _p: Public) -> Response:
    """The service list: one service per active category of field reports."""

    def build(f: str) -> Response:
        params = request.query_params
        check_jurisdiction(params)
        lang = lang_of(params)
        return render(f, "services", [service_item(c, lang) for c in active_categories(db)])

    return handle(fmt, build)


@router.get(
    "/services/{service_code}.{fmt}",
    **route_doc(
        obj("service_code", "attributes", service_code=TEXT, attributes=array(obj())),
        "A service definition",
    ),
)
def service_definition(
    service_code: str, fmt: str, request: Request, db: DbSession, _p: Public
) -> Response:
    """A service definition: no category asks extra questions, so the list is empty."""

    def build(f: str) -> Response:
        check_jurisdiction(request.query_params)
        category = active_category(db, service_code)
        attributes = [area_attribute(db)]
        return render(
            f, "service_definition", {"service_code": category.code, "attributes": attributes}
        )

    return handle(fmt, build)


@router.get(
    "/requests.{fmt}",
    **route_doc(
        array(REQUEST_DOC),
        "Requests, newest first (default: the last 90 days)",
        query("service_request_id", TEXT, "comma-separated codes (the other filters ignored)"),
        query("service_code", TEXT, "comma-separated service codes"),
        query("status", TEXT, "open, closed or both comma-separated"),
        query("start_date", W3C_DATE),
        query("end_date", W3C_DATE),
        query("page", {"type": "integer", "minimum": 1}),
        query("page_size", {"type": "integer", "minimum": 1}),
    ),
)
def list_requests(fmt: str, request: Request, db: DbSession, _p: Public) -> Response:
    """Service requests: the public view of field reports, filtered."""

    def build(f: str) -> Response:
        params = request.query_params
        check_jurisdiction(params)
        lang, base = lang_of(params), base_url(request)
        reports = select_requests(db, params, clock.now())
        return render(f, "service_requests", [request_item(db, r, base, lang) for r in reports])

    return handle(fmt, build)


@router.get(
    "/requests/{service_request_id}.{fmt}",
    **route_doc(array(REQUEST_DOC, min_items=1), "The request (a one-item list, as the spec says)"),
)
def get_request(
    service_request_id: str, fmt: str, request: Request, db: DbSession, _p: Public
) -> Response:
    """One service request (a list of one, as the spec says)."""

    def build(f: str) -> Response:
        params = request.query_params
        check_jurisdiction(params)
        report = report_by_code(db, service_request_id)
        item = request_item(db, report, base_url(request), lang_of(params))
        return render(f, "service_requests", [item])

    return handle(fmt, build)


@router.get(
    "/tokens/{token}.{fmt}",
    **route_doc(
        array(obj("service_request_id", service_request_id=TEXT, token=TEXT)),
        "The request id behind a token",
    ),
)
def get_token(token: str, fmt: str, request: Request, db: DbSession, _p: Public) -> Response:
    """The id behind a token: services are realtime, so a token is the tracking code."""

    def build(f: str) -> Response:
        check_jurisdiction(request.query_params)
        report = report_by_code(db, token)
        return render(
            f, "service_requests", [{"service_request_id": report.code, "token": report.code}]
        )

    return handle(fmt, build)


@router.post(
    "/requests.{fmt}",
    responses={
        200: json_response(array(CREATED_DOC), "The request created"),
        400: json_response(ERRORS_DOC, "Open311 errors: [{code, description}]"),
        403: json_response(ERRORS_DOC, "api_key unknown or without the ingest scope"),
        429: json_response(ERRORS_DOC, "Too many requests (Retry-After)"),
    },
    openapi_extra={
        "parameters": [query("lang", one_of("vi", "en"))],
        "requestBody": {
            "required": True,
            "content": {"application/x-www-form-urlencoded": {"schema": POST_FORM}},
        },
    },
)
async def post_request(fmt: str, request: Request, db: DbSession, _p: Public) -> Response:
    """Create a service request (form-urlencoded body, ``api_key`` required)."""
    if fmt not in FORMATS:
        return error_response(fmt, 404, f"Định dạng không hỗ trợ “{fmt}” / unsupported format")
    try:
        form = await request.form()
    except Exception:  # a malformed body is the caller's error, never a 500
        return error_response(fmt, 400, "Nội dung gửi không đọc được / unreadable request body")
    # The spec puts every argument in the body; some clients send api_key or jurisdiction_id
    # in the query string, so those fill in what the body lacks.
    fields = dict(request.query_params)
    fields.update({key: value for key, value in form.items() if isinstance(value, str)})
    api_key = str(fields.get("api_key") or "").strip()
    wait = await run_in_threadpool(rate_limited, db, request, api_key)
    if wait is not None:
        refused = error_response(
            fmt,
            429,
            f"Quá nhiều yêu cầu, thử lại sau {wait} giây / too many requests, retry in {wait} s",
        )
        refused.headers["Retry-After"] = str(wait)
        return refused
    try:
        settings = request.app.state.settings
        item = await run_in_threadpool(
            partial(
                create_request,
                allow_anonymous=settings.fr_open311_allow_anonymous,
                allow_address_only=settings.fr_open311_allow_address_only,
            ),
            db,
            fields,
        )
    except Open311Error as exc:
        db.rollback()
        return error_response(fmt, exc.status_code, *exc.messages)
    return render(fmt, "service_requests", [item])


@router.get(
    "/servicerequestupdates.{fmt}",
    **route_doc(
        array(UPDATE_DOC),
        "Status changes and published answers (mySociety extension)",
        query("start_date", W3C_DATE),
        query("end_date", W3C_DATE),
    ),
)
def request_updates(fmt: str, request: Request, db: DbSession, _p: Public) -> Response:
    """mySociety's service request updates: status changes and published answers."""

    def build(f: str) -> Response:
        params = request.query_params
        check_jurisdiction(params)
        updates = select_updates(db, params, clock.now(), lang_of(params))
        return render(f, "service_requests_updates", updates)

    return handle(fmt, build)
