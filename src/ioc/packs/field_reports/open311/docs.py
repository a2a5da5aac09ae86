"""The OpenAPI description of the Open311 routes (the handlers read ``request.query_params``
and the form themselves, so the parameters are declared here)."""

from __future__ import annotations

from typing import Any

from ioc.packs.field_reports.open311.params import AREA_CODE
from ioc.web.openapi_doc import ERROR_REF, INTEGER, TEXT, array, json_response, obj, one_of, query

_NULLABLE = {"type": ["string", "null"]}
ERRORS_DOC: dict[str, Any] = {
    "anyOf": [array(obj("code", "description", code=INTEGER, description=TEXT)), ERROR_REF]
}
SERVICE_DOC = obj(
    "service_code",
    "service_name",
    service_code=TEXT,
    service_name=TEXT,
    description=_NULLABLE,
    metadata={"type": "boolean"},
    type=TEXT,
    keywords=_NULLABLE,
    group=_NULLABLE,
)
REQUEST_DOC = obj(
    "service_request_id",
    "status",
    service_request_id=TEXT,
    status=one_of("open", "closed"),
    status_notes=_NULLABLE,
    service_name=_NULLABLE,
    service_code=_NULLABLE,
    description=_NULLABLE,
    agency_responsible=_NULLABLE,
    service_notice=_NULLABLE,
    requested_datetime=_NULLABLE,
    updated_datetime=_NULLABLE,
    expected_datetime=_NULLABLE,
    address=_NULLABLE,
    address_id=_NULLABLE,
    zipcode=_NULLABLE,
    lat={"type": ["number", "null"]},
    long={"type": ["number", "null"]},
    media_url=_NULLABLE,
)
UPDATE_DOC = obj(
    "update_id",
    "service_request_id",
    "status",
    update_id=TEXT,
    service_request_id=TEXT,
    status=TEXT,
    description=TEXT,
    updated_datetime=_NULLABLE,
    media_url=_NULLABLE,
    external_status_code=_NULLABLE,
)
CREATED_DOC = obj(
    "service_request_id",
    service_request_id=TEXT,
    service_notice=_NULLABLE,
    account_id=_NULLABLE,
    token=_NULLABLE,
)
DISCOVERY_DOC = obj(
    "changeset",
    "contact",
    "endpoints",
    changeset=TEXT,
    contact=TEXT,
    key_service=TEXT,
    endpoints=array(
        obj(
            "specification",
            "url",
            "formats",
            specification=TEXT,
            url=TEXT,
            changeset=TEXT,
            type=TEXT,
            formats=array(TEXT),
        )
    ),
    requirements={
        **obj(
            "anonymous_requests",
            "location",
            anonymous_requests=one_of("accepted", "email_or_phone"),
            location=one_of("lat_long_or_address", "lat_long"),
            note=TEXT,
        ),
        "description": "What a POST must carry here: IOC_FR_OPEN311_ALLOW_ANONYMOUS (a request "
        "without email or phone), IOC_FR_OPEN311_ALLOW_ADDRESS_ONLY (address_string without "
        "lat/long)",
    },
)
_COMMON = (
    query("jurisdiction_id", {**TEXT, "examples": ["daklak.gov.vn"]}, "optional"),
    query("lang", one_of("vi", "en"), "language of names and labels (default vi)"),
)
W3C_DATE = {**TEXT, "description": "W3C date-time, e.g. 2026-03-01T00:00:00+07:00"}
POST_FORM = obj(
    "api_key",
    "service_code",
    api_key=TEXT,
    jurisdiction_id=TEXT,
    service_code={**TEXT, "examples": ["duong-hu-hong"]},
    lat={**TEXT, "description": "WGS84 latitude (with long), e.g. 12.6676"},
    long={**TEXT, "description": "WGS84 longitude (with lat), e.g. 108.0379"},
    address_string=TEXT,
    address_id=TEXT,
    email=TEXT,
    device_id=TEXT,
    account_id=TEXT,
    first_name=TEXT,
    last_name=TEXT,
    phone=TEXT,
    description=TEXT,
    media_url=TEXT,
    **{f"attribute[{AREA_CODE}]": TEXT},
)


def route_doc(item: dict[str, Any], description: str, *params: dict[str, Any]) -> dict[str, Any]:
    """Route arguments declaring the JSON answer (XML too, see ``ioc.web.openapi_doc``), the
    Open311 errors and the query parameters a handler reads itself."""
    errors = json_response(ERRORS_DOC, "Open311 errors: [{code, description}]")
    return {
        "responses": {
            200: json_response(item, description),
            400: errors,
            404: {**errors, "description": "Unknown format, jurisdiction, service or request"},
        },
        "openapi_extra": {"parameters": [*_COMMON, *params]},
    }
