"""Open311 GeoReport v2 server at ``/open311/v2/`` (``shared/domain/open311.md``).

Endpoints, each in ``.xml`` (required by the spec) and ``.json``:

* ``discovery``, ``services``, ``services/{service_code}`` (every category has
  ``metadata=true`` and one optional question, ``area_code``: the commune/ward, a
  ``singlevaluelist`` of the province's 102 communes — see *Location*);
* ``requests`` GET (filters ``service_request_id`` — overrides the others —, ``service_code``,
  ``start_date``/``end_date`` on ``requested_datetime`` spanning at most 90 days, default
  the last 90 days, ``status`` open|closed; at most 1000 per page, paging extension
  ``page``/``page_size``) and POST (creates a report through ``service.submit_report``);
* ``requests/{service_request_id}``, ``tokens/{token}``; hidden reports are left out of lists
  and show only their id and status when asked by id; merged duplicates stay (closed, with
  the report they were merged into in ``status_notes``);
* mySociety's ``servicerequestupdates`` (public timeline steps, same date rules).

Choices (documented for integrators):

* **Jurisdiction**: one jurisdiction, ``daklak.gov.vn``; ``jurisdiction_id`` is optional, an
  unknown one gives 404.
* **Ids**: ``service_request_id`` is the tracking code (``PA-2026-000123``); services are
  ``realtime``, so POST returns the id and never a token. ``tokens/{token}`` accepts a
  tracking code and answers with the same value as id and token.
* **Writing needs an API key** (the spec makes ``api_key`` required; missing or wrong gives
  403): an IOC API token (``ioc_…``) with the ``ingest`` scope, of an active user whose role may
  ingest. Such apps relay many citizens, so the per-client hourly limit of the web form does
  not apply; the token owner is the audit actor, the channel is ``open311``. POSTs are limited
  per minute per ``api_key`` and per client address (``IOC_FR_OPEN311_RATE_PER_KEY``,
  ``IOC_FR_OPEN311_RATE_PER_ADDRESS``): over either, 429 with ``Retry-After``.
* **Reporter's contacts**: ``first_name``/``last_name``, ``email`` and ``phone`` are stored as
  the reporter's private identity (IOC staff only) and never appear in any response. All are
  optional, as in GeoReport v2 (an anonymous report is tracked by its code alone); a province
  that needs a contact sets ``IOC_FR_OPEN311_ALLOW_ANONYMOUS=false`` and then ``email`` or
  ``phone`` is required (400). Without a name the report is filed as "Người dùng ứng dụng
  (Open311)". ``discovery`` says which policy applies.
* **Location**: ``lat`` + ``long`` (WGS84, inside the province) are needed, since a report is
  a point on the map. The commune (which decides the handling agency) is the commune of the
  point, decided by the server (commune boundaries, or stand-in cells until the province has
  imported them): an ``attribute[area_code]`` that names another commune is ignored (an
  unknown code is still a 400); a point outside the province gives 400 naming ``lat``.
  Without a point (allowed unless ``IOC_FR_OPEN311_ALLOW_ADDRESS_ONLY=false``), the commune
  from ``attribute[area_code]``, else from a commune/ward named in ``address_string``
  (compared without diacritics), is kept and its reference point stands for the location; an
  address that names no commune is filed under the province (code 66) with an internal note,
  for the IOC to place at intake. ``address_id`` is not supported.
* **media_url** is not fetched (no server-side requests to arbitrary URLs) and not
  republished (photos are public only after moderation): it is kept as an internal note for
  the IOC staff. Published photos appear as ``media_url`` of a request.
* ``status_notes`` is the published answer, the rejection reason, the duplicate's target or
  the Vietnamese label of the detailed status; ``agency_responsible`` the handling agency;
  ``expected_datetime`` the handling deadline (hạn xử lý) while the request is open. Times are
  ISO 8601 in ``+07:00``.
* Every request item is built from ``public.public_report`` / ``public.public_timeline``, the
  pack's only public serializers: no personal data can leave through this API.
* ``lang=en`` (an extension) gives English service names and status labels; Vietnamese is
  the default.
* Errors are ``errors/error*`` (``code`` = HTTP status, bilingual ``description`` naming the
  field) in the requested format: 404 unknown resource, 403 API key, 429 too many POSTs, 400
  anything else.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ioc.core import audit, auth, clock, i18n, throttle
from ioc.core.auth import Permission
from ioc.core.models import Area
from ioc.packs.field_reports import public, routing, service
from ioc.packs.field_reports.errors import FieldReportError
from ioc.packs.field_reports.models import Category, Report, ReportEvent
from ioc.packs.field_reports.open311_xml import FORMATS, error_response, render
from ioc.web.deps import DbSession, Principal, require
from ioc.web.openapi_doc import (
    ERROR_REF,
    INTEGER,
    TEXT,
    array,
    json_response,
    obj,
    one_of,
    query,
)
from ioc.web.proxies import client_address

__all__ = ["JURISDICTION_ID", "router"]

router = APIRouter(prefix="/open311/v2", tags=["open311"])

Public = Annotated[Principal, Depends(require(Permission.PUBLIC))]

JURISDICTION_ID = "daklak.gov.vn"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
MAX_DAYS = 90
MAX_RESULTS = 1000
MAX_PAGE = 1_000_000
ANONYMOUS_NAME = "Người dùng ứng dụng (Open311)"
AREA_CODE = "area_code"
AREA_FIELD = f"attribute[{AREA_CODE}]"
MAX_URL = 1000
CONTACT = "Trung tâm Giám sát, điều hành đô thị thông minh (IOC) tỉnh Đắk Lắk — đường dây nóng 1022"
KEY_SERVICE = (
    "Liên hệ quản trị viên IOC để được cấp mã truy cập API (phạm vi ingest) / "
    "ask the IOC administrator for an API token with the ingest scope"
)

# --- the OpenAPI description (handlers read ``request.query_params`` and the form) --------

_NULLABLE = {"type": ["string", "null"]}
_ERRORS_DOC: dict[str, Any] = {
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
_W3C = {**TEXT, "description": "W3C date-time, e.g. 2026-03-01T00:00:00+07:00"}
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


def _doc(item: dict[str, Any], description: str, *params: dict[str, Any]) -> dict[str, Any]:
    """Route arguments declaring the JSON answer (XML too, see ``ioc.web.openapi_doc``), the
    Open311 errors and the query parameters a handler reads itself."""
    errors = json_response(_ERRORS_DOC, "Open311 errors: [{code, description}]")
    return {
        "responses": {
            200: json_response(item, description),
            400: errors,
            404: {**errors, "description": "Unknown format, jurisdiction, service or request"},
        },
        "openapi_extra": {"parameters": [*_COMMON, *params]},
    }


# Our detailed status -> the mySociety / FixMyStreet update state (published and rated
# reports take their state from the resolution, see _update_state).
_UPDATE_STATE = {
    service.RECEIVED: "open",
    service.ASSIGNED: "open",
    service.INFO_REQUESTED: "investigating",
    service.IN_PROGRESS: "in_progress",
    service.ANSWERED: "closed",
    service.REJECTED: "closed",
    service.MERGED: "duplicate",
}
_RESOLUTION_STATE = {
    "fixed": "fixed",
    "scheduled": "action_scheduled",
    "explained": "no_further_action",
    "referred": "internal_referral",
}


class Open311Error(Exception):
    """A refused Open311 call: HTTP status and bilingual messages."""

    def __init__(self, status_code: int, *messages: str) -> None:
        super().__init__(messages[0] if messages else "")
        self.status_code = status_code
        self.messages = messages


def _not_found(what_vi: str, what_en: str, value: str) -> Open311Error:
    return Open311Error(404, f"Không tìm thấy {what_vi} “{value}” / unknown {what_en} {value}")


def _bad(field: str, vi: str, en: str) -> Open311Error:
    return Open311Error(400, f"{field}: {vi} / {en}")


def _fmt(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Open311Error(
            404, f"Định dạng không hỗ trợ “{fmt}”, dùng .xml hoặc .json / use .xml or .json"
        )
    return fmt


def _param(params: Mapping[str, Any], name: str) -> str | None:
    """A parameter, with an empty one treated exactly like an absent one (spec §1)."""
    value = params.get(name)
    if value is None:
        return None
    text = str(value).strip()
    if "\x00" in text:  # in a form body (the URL is checked for every route)
        raise _bad(name, "chứa ký tự NUL (\\x00)", "contains a NUL character")
    return text or None


def _check_jurisdiction(params: Mapping[str, Any]) -> None:
    given = _param(params, "jurisdiction_id")
    if given is not None and given.lower() != JURISDICTION_ID:
        raise _not_found("đơn vị quản lý (jurisdiction_id)", "jurisdiction_id", given)


def _handle(fmt: str, build: Callable[[str], Response]) -> Response:
    try:
        return build(_fmt(fmt))
    except Open311Error as exc:
        return error_response(fmt, exc.status_code, *exc.messages)


def _lang(params: Mapping[str, Any]) -> str:
    return i18n.normalize_lang(_param(params, "lang") or "vi")


def _base_url(request: Request) -> str:
    return str(request.app.state.settings.public_url).rstrip("/")


# --- discovery and services ------------------------------------------------------------------


def _changeset(session: Session) -> str:
    latest = session.execute(select(func.max(Category.updated_at))).scalar_one_or_none()
    stamp = latest or datetime(2026, 1, 1, tzinfo=UTC)
    return stamp.astimezone(clock.local_zone()).isoformat(timespec="seconds")


@router.get(
    "/discovery.{fmt}",
    **_doc(DISCOVERY_DOC, "Where and how to reach the endpoint, what a request must carry"),
)
def discovery(fmt: str, request: Request, db: DbSession, _p: Public) -> Response:
    """Service discovery: where the endpoint is and which formats it speaks."""

    settings = request.app.state.settings

    def build(f: str) -> Response:
        changeset = _changeset(db)
        payload = {
            "changeset": changeset,
            "contact": CONTACT,
            "key_service": KEY_SERVICE,
            "endpoints": [
                {
                    "specification": SPECIFICATION,
                    "url": f"{_base_url(request)}/open311/v2",
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

    return _handle(fmt, build)


def _categories(session: Session) -> list[Category]:
    return list(
        session.execute(
            select(Category)
            .where(Category.active.is_(True))
            .order_by(Category.position, Category.code)
        ).scalars()
    )


def _service(category: Category, lang: str) -> dict[str, Any]:
    keywords = [k.strip().lower() for k in category.name_en.split(",") if k.strip()]
    return {
        "service_code": category.code,
        "service_name": category.name_en if lang == "en" else category.name_vi,
        "description": category.description or None,
        "metadata": True,
        "type": "realtime",
        "keywords": ", ".join(keywords) or None,
        "group": category.group_code or None,
    }


@router.get("/services.{fmt}", **_doc(array(SERVICE_DOC), "The services (categories)"))
def services(fmt: str, request: Request, db: DbSession, _p: Public) -> Response:
    """The service list: one service per active category of field reports."""

    def build(f: str) -> Response:
        params = request.query_params
        _check_jurisdiction(params)
        lang = _lang(params)
        return render(f, "services", [_service(c, lang) for c in _categories(db)])

    return _handle(fmt, build)


def _active_category(session: Session, code: str) -> Category:
    category = session.execute(
        select(Category).where(Category.code == code, Category.active.is_(True))
    ).scalar_one_or_none()
    if category is None:
        raise _not_found("lĩnh vực (service_code)", "service_code", code)
    return category


def _area_attribute(session: Session) -> dict[str, Any]:
    """The one question every service asks: the commune/ward (xã/phường) of the problem."""
    return {
        "variable": True,
        "code": AREA_CODE,
        "datatype": "singlevaluelist",
        "required": False,
        "datatype_description": "Mã xã/phường (đơn vị hành chính) / commune code",
        "order": 1,
        "description": "Xã/phường nơi xảy ra sự việc (không bắt buộc nếu địa chỉ "
        "address_string có tên xã/phường) / commune or ward of the problem",
        "values": [{"key": a.code, "name": a.name} for a in _communes(session)],
    }


@router.get(
    "/services/{service_code}.{fmt}",
    **_doc(
        obj("service_code", "attributes", service_code=TEXT, attributes=array(obj())),
        "A service definition",
    ),
)
def service_definition(
    service_code: str, fmt: str, request: Request, db: DbSession, _p: Public
) -> Response:
    """A service definition: no category asks extra questions, so the list is empty."""

    def build(f: str) -> Response:
        _check_jurisdiction(request.query_params)
        category = _active_category(db, service_code)
        attributes = [_area_attribute(db)]
        return render(
            f, "service_definition", {"service_code": category.code, "attributes": attributes}
        )

    return _handle(fmt, build)


# --- request items ---------------------------------------------------------------------------


def _status_notes(data: dict[str, Any]) -> str | None:
    if data.get("answer"):
        return str(data["answer"])
    if data.get("reject_reason"):
        return str(data["reject_reason"])
    if data.get("merged_into"):
        return f"Đã gộp vào phản ánh {data['merged_into']}"
    return str(data["status_label"]) if data.get("status_label") else None


def _media_url(base: str, data: dict[str, Any]) -> str | None:
    photos = data.get("photos") or []
    return f"{base}/field-reports/photos/{photos[0]['id']}" if photos else None


def _request_item(session: Session, report: Report, base: str, lang: str) -> dict[str, Any]:
    """One request as Open311 shows it, built only from the public serializer."""
    data = public.public_report(session, report, lang)
    is_closed = data["status"] in service.CLOSED_STATUSES
    item: dict[str, Any] = {
        "service_request_id": data["code"],
        "status": "closed" if is_closed else "open",
        "status_notes": _status_notes(data),
        "service_name": None,
        "service_code": None,
        "description": None,
        "agency_responsible": None,
        "service_notice": None,
        "requested_datetime": None,
        "updated_datetime": None,
        "expected_datetime": None,
        "address": None,
        "address_id": None,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }
    if data.get("hidden"):
        # A hidden report shows only its code and status (as on the public tracking page).
        return item
    agency = data.get("agency") or {}
    item.update(
        {
            "service_name": data["category"]["name"],
            "service_code": data["category"]["code"],
            "description": data["description"],
            "agency_responsible": agency.get("name"),
            "requested_datetime": data["received_at"],
            "updated_datetime": (data.get("closed_at") if is_closed else None)
            or data["updated_at"],
            "expected_datetime": data["expected_at"],
            "address": data["address"] or None,
            "lat": data["lat"],
            "long": data["lon"],
            "media_url": _media_url(base, data),
        }
    )
    return item


# --- GET requests ----------------------------------------------------------------------------


def parse_w3c(value: str, field: str) -> datetime:
    """A W3C date-time (``2026-03-01T08:00:00+07:00``, ``…Z``) or date; a value without a zone
    is read as Vietnam time."""
    text = value.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            parsed = datetime.combine(date.fromisoformat(text), time(0), clock.local_zone())
        else:
            parsed = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError as exc:
        raise _bad(
            field,
            "ngày giờ không hợp lệ, dùng dạng 2026-03-01T00:00:00+07:00",
            "invalid date-time, use e.g. 2026-03-01T00:00:00+07:00",
        ) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=clock.local_zone())
    if not clock.accepted(parsed):
        raise _bad(
            field,
            f"ngoài khoảng cho phép {clock.RANGE_TEXT}",
            f"out of the accepted range {clock.RANGE_TEXT}",
        )
    return parsed.astimezone(UTC)


def date_range(params: Mapping[str, Any], now: datetime) -> tuple[datetime, datetime]:
    """The ``start_date``/``end_date`` window (default: the last 90 days; at most 90 days)."""
    start_raw, end_raw = _param(params, "start_date"), _param(params, "end_date")
    start = parse_w3c(start_raw, "start_date") if start_raw else None
    end = parse_w3c(end_raw, "end_date") if end_raw else None
    span = timedelta(days=MAX_DAYS)
    if start is None and end is None:
        end = now
    if start is None:
        assert end is not None
        start = end - span
    if end is None:
        end = start + span
    if end < start:
        raise _bad(
            "end_date",
            "phải sau start_date",
            "must not be before start_date",
        )
    if end - start > span:
        raise _bad(
            "end_date",
            f"khoảng thời gian tối đa {MAX_DAYS} ngày",
            f"the range may span at most {MAX_DAYS} days",
        )
    return start, end


def _list(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _paging(params: Mapping[str, Any]) -> tuple[int, int]:
    out = []
    for name, default, top in (("page", 1, None), ("page_size", MAX_RESULTS, MAX_RESULTS)):
        raw = _param(params, name)
        try:
            value = int(raw) if raw is not None else default
        except ValueError as exc:
            raise _bad(name, "phải là số nguyên dương", "must be a positive integer") from exc
        if value < 1:
            raise _bad(name, "phải là số nguyên dương", "must be a positive integer")
        if top is None and value > MAX_PAGE:  # the row offset must fit a database integer
            raise _bad(name, f"tối đa {MAX_PAGE}", f"at most {MAX_PAGE}")
        out.append(min(value, top) if top else value)
    return out[0], out[1]


def select_requests(session: Session, params: Mapping[str, Any], now: datetime) -> list[Report]:
    """The reports a ``GET requests`` query asks for (newest first)."""
    page, page_size = _paging(params)
    ids = [i.upper() for i in _list(_param(params, "service_request_id"))]
    query = select(Report)
    if ids:
        # The id list overrides every other filter (spec §3.4); hidden reports still answer
        # with their code and status, as on the tracking page.
        query = query.where(Report.code.in_(ids[:MAX_RESULTS]))
    else:
        start, end = date_range(params, now)
        query = query.where(
            Report.hidden.is_(False), Report.received_at >= start, Report.received_at <= end
        )
        codes = _list(_param(params, "service_code"))
        if codes:
            query = query.join(Category, Category.id == Report.category_id).where(
                Category.code.in_(codes)
            )
        statuses = {s.lower() for s in _list(_param(params, "status"))}
        if statuses - {"open", "closed"}:
            raise _bad("status", "chỉ nhận open hoặc closed", "must be open and/or closed")
        if statuses == {"open"}:
            query = query.where(Report.closed.is_(False))
        elif statuses == {"closed"}:
            query = query.where(Report.closed.is_(True))
    query = query.order_by(Report.received_at.desc(), Report.id.desc())
    return list(session.execute(query.limit(page_size).offset((page - 1) * page_size)).scalars())


@router.get(
    "/requests.{fmt}",
    **_doc(
        array(REQUEST_DOC),
        "Requests, newest first (default: the last 90 days)",
        query("service_request_id", TEXT, "comma-separated codes (the other filters ignored)"),
        query("service_code", TEXT, "comma-separated service codes"),
        query("status", TEXT, "open, closed or both comma-separated"),
        query("start_date", _W3C),
        query("end_date", _W3C),
        query("page", {"type": "integer", "minimum": 1}),
        query("page_size", {"type": "integer", "minimum": 1}),
    ),
)
def list_requests(fmt: str, request: Request, db: DbSession, _p: Public) -> Response:
    """Service requests: the public view of field reports, filtered."""

    def build(f: str) -> Response:
        params = request.query_params
        _check_jurisdiction(params)
        lang, base = _lang(params), _base_url(request)
        reports = select_requests(db, params, clock.now())
        return render(f, "service_requests", [_request_item(db, r, base, lang) for r in reports])

    return _handle(fmt, build)


def _report_by_code(session: Session, code: str) -> Report:
    report = session.execute(
        select(Report).where(Report.code == code.strip().upper())
    ).scalar_one_or_none()
    if report is None:
        raise _not_found("phản ánh (service_request_id)", "service_request_id", code)
    return report


@router.get(
    "/requests/{service_request_id}.{fmt}",
    **_doc(array(REQUEST_DOC, min_items=1), "The request (a one-item list, as the spec says)"),
)
def get_request(
    service_request_id: str, fmt: str, request: Request, db: DbSession, _p: Public
) -> Response:
    """One service request (a list of one, as the spec says)."""

    def build(f: str) -> Response:
        params = request.query_params
        _check_jurisdiction(params)
        report = _report_by_code(db, service_request_id)
        item = _request_item(db, report, _base_url(request), _lang(params))
        return render(f, "service_requests", [item])

    return _handle(fmt, build)


@router.get(
    "/tokens/{token}.{fmt}",
    **_doc(
        array(obj("service_request_id", service_request_id=TEXT, token=TEXT)),
        "The request id behind a token",
    ),
)
def get_token(token: str, fmt: str, request: Request, db: DbSession, _p: Public) -> Response:
    """The id behind a token: services are realtime, so a token is the tracking code."""

    def build(f: str) -> Response:
        _check_jurisdiction(request.query_params)
        report = _report_by_code(db, token)
        return render(
            f, "service_requests", [{"service_request_id": report.code, "token": report.code}]
        )

    return _handle(fmt, build)


# --- POST requests ---------------------------------------------------------------------------


def _token_actor(session: Session, api_key: str | None) -> audit.Actor:
    found = auth.token_user(session, api_key) if api_key else None
    if (
        found is None
        or Permission.INGEST.value not in found[1].scopes
        or not auth.has_permission(found[0].role, Permission.INGEST)
    ):
        raise Open311Error(
            403,
            "api_key: thiếu hoặc không hợp lệ (cần mã truy cập API phạm vi ingest) / "
            "missing or invalid API key (an IOC API token with the ingest scope)",
        )
    user, token = found
    return audit.Actor(user.id, f"{user.username} (token {token.prefix})")


def commune_from_address(session: Session, address: str) -> Area | None:
    """The current commune of the province named in ``address`` (compared without
    diacritics; a full name first, then the longest), or None."""

    def words(text: str) -> str:
        return " ".join(re.sub(r"[^\w']+", " ", i18n.fold(text)).split())

    folded = f" {words(address)} "
    best: tuple[tuple[bool, int], Area] | None = None
    for area in _communes(session):
        # A full name ("phường Tân Lập") beats a bare one ("Tân Lập", maybe a street name).
        for full, name in ((True, words(area.name)), (False, words(area.short_name))):
            score = (full, len(name))
            if name and f" {name} " in folded and (best is None or score > best[0]):
                best = (score, area)
    return best[1] if best else None


def _communes(session: Session) -> list[Area]:
    return list(
        session.execute(
            select(Area)
            .where(
                Area.parent_code == routing.PROVINCE_CODE,
                Area.level.in_(routing.COMMUNE_LEVELS),
                Area.valid_to.is_(None),
            )
            .order_by(Area.name_folded)
        ).scalars()
    )


def _float(value: str, field: str) -> float:
    try:
        return float(value)
    except ValueError as exc:
        raise _bad(field, "phải là số (WGS84)", "must be a number (WGS84)") from exc


# Where a report whose address names no commune is shown until the IOC places it: the
# reference point of the provincial capital's ward (Phường Buôn Ma Thuột), filed under the
# province's own code so that no commune's agency receives it by mistake.
SEAT_AREA = "24133"
UNPLACED_NOTE = (
    "Ứng dụng chỉ gửi địa chỉ, không xác định được xã/phường: IOC xác định vị trí và đơn vị "
    "xử lý khi tiếp nhận. Địa chỉ: {address}"
)


def _location(
    session: Session, form: Mapping[str, Any], *, address_only: bool = True
) -> dict[str, Any]:
    """Point, commune and address of a POST. With a point, ``submit_report`` places it in its
    commune; without one (when ``address_only`` allows it), the commune from
    ``attribute[area_code]``, else from a commune named in ``address_string``, is kept and its
    reference point stands for the location; an address that names no commune is filed under
    the province for the IOC to place (``unplaced``)."""
    lat_raw, lon_raw = _param(form, "lat"), _param(form, "long")
    address = _param(form, "address_string") or ""
    area: Area | None = None
    chosen = _param(form, AREA_FIELD)
    if chosen is not None:
        area = routing.commune(session, chosen)
        if area is None:
            raise _bad(AREA_FIELD, "không phải mã xã/phường của tỉnh", "unknown commune code")
    elif address:
        area = commune_from_address(session, address)
    out: dict[str, Any] = {"address": address, "area_code": area.code if area else None}
    if lat_raw is not None or lon_raw is not None:
        if lat_raw is None or lon_raw is None:
            raise _bad(
                "lat" if lat_raw is None else "long",
                "cần gửi cả lat và long",
                "send both lat and long",
            )
        return {**out, "lat": _float(lat_raw, "lat"), "lon": _float(lon_raw, "long")}
    if not address_only:
        raise _bad(
            "lat",
            "cần vị trí: lat và long (tỉnh không nhận phản ánh chỉ có địa chỉ)",
            "a location is required: lat and long (address-only requests are not accepted)",
        )
    if area is not None and area.lat is not None and area.lon is not None:
        # No point given: the commune's reference point stands for it, and the commune stays.
        return {**out, "lat": area.lat, "lon": area.lon, "point_from_area": True}
    if area is None and address.strip():
        seat = routing.commune(session, SEAT_AREA)
        if seat is not None and seat.lat is not None and seat.lon is not None:
            return {
                **out,
                "area_code": routing.PROVINCE_CODE,
                "lat": seat.lat,
                "lon": seat.lon,
                "point_from_area": True,
                "unplaced": True,
            }
    if _param(form, "address_id") is not None:
        raise _bad(
            "address_id",
            "không được hỗ trợ; hãy gửi lat và long",
            "is not supported; send lat and long",
        )
    raise _bad(
        "lat",
        "cần vị trí: lat và long (kèm xã/phường)",
        "a location is required: lat and long (with the commune)",
    )


def _media_note(form: Mapping[str, Any]) -> str | None:
    url = _param(form, "media_url")
    if url is None:
        return None
    if len(url) > MAX_URL or not re.match(r"^https?://[^\s]+$", url, re.IGNORECASE):
        raise _bad("media_url", "phải là địa chỉ http(s)", "must be an http(s) URL")
    return f"Ảnh/tệp do ứng dụng gửi kèm (chưa kiểm duyệt, chưa tải về): {url}"


def create_request(
    session: Session,
    form: Mapping[str, Any],
    *,
    allow_anonymous: bool = True,
    allow_address_only: bool = True,
) -> dict[str, Any]:
    """POST requests: validate, then submit the report; returns the response item.
    ``allow_anonymous`` and ``allow_address_only`` are the province's settings
    (``IOC_FR_OPEN311_ALLOW_ANONYMOUS``, ``IOC_FR_OPEN311_ALLOW_ADDRESS_ONLY``)."""
    _check_jurisdiction(form)
    actor = _token_actor(session, _param(form, "api_key"))
    code = _param(form, "service_code")
    if code is None:
        raise _bad("service_code", "bắt buộc", "is required")
    category = _active_category(session, code)
    location = _location(session, form, address_only=allow_address_only)
    unplaced = bool(location.pop("unplaced", False))
    note = _media_note(form)
    name = " ".join(p for p in (_param(form, "first_name"), _param(form, "last_name")) if p)
    email, phone = _param(form, "email"), _param(form, "phone")
    if email is None and phone is None and not allow_anonymous:
        raise _bad(
            "email",
            "cần email hoặc phone để cơ quan liên hệ khi cần",
            "an email or a phone number is required",
        )
    try:
        submission = service.submit_report(
            session,
            actor,
            category_code=category.code,
            description=_param(form, "description") or "",
            reporter_name=name or ANONYMOUS_NAME,
            reporter_phone=phone,
            reporter_email=email,
            channel="open311",
            anonymous=allow_anonymous,
            **location,
        )
        if note:
            service.add_note(session, actor, submission.report, note)
        if unplaced:
            service.add_note(
                session, actor, submission.report, UNPLACED_NOTE.format(address=location["address"])
            )
    except FieldReportError as exc:
        field = {
            "reporter_phone": "phone",
            "reporter_email": "email",
            "location": "lat",
            "area": AREA_FIELD,
        }.get(exc.field or "", exc.field or "request")
        raise _bad(field, exc.message, exc.en) from exc
    report = submission.report
    due = i18n.format_datetime(report.due_at, "vi") if report.due_at else "—"
    return {
        "service_request_id": report.code,
        "service_notice": f"Đã tiếp nhận phản ánh {report.code}; hạn xử lý dự kiến {due}",
        "account_id": None,
    }


def rate_limited(session: Session, request: Request, api_key: str | None) -> int | None:
    """Count this POST against ``IOC_FR_OPEN311_RATE_PER_KEY`` (per ``api_key``) and
    ``IOC_FR_OPEN311_RATE_PER_ADDRESS`` (per client address), per minute and in the database
    (every web process counts together; a refused or failed call counts too). ``None`` when
    admitted, else the seconds to wait. Apps relay many citizens, so these limits are higher
    than the web form's. Commits ``session``: the count stays whatever the request's outcome."""
    settings = request.app.state.settings
    window = timedelta(minutes=1)
    checks = [("open311.key", api_key or "", settings.fr_open311_rate_per_key)]
    address = client_address(request)
    if address:
        checks.append(("open311.address", address, settings.fr_open311_rate_per_address))
    waits = [
        throttle.hit(session, bucket, subject, limit=limit, window=window)
        for bucket, subject, limit in checks
    ]
    session.commit()
    refused = [w for w in waits if w is not None]
    return max(refused) if refused else None


@router.post(
    "/requests.{fmt}",
    responses={
        200: json_response(array(CREATED_DOC), "The request created"),
        400: json_response(_ERRORS_DOC, "Open311 errors: [{code, description}]"),
        403: json_response(_ERRORS_DOC, "api_key unknown or without the ingest scope"),
        429: json_response(_ERRORS_DOC, "Too many requests (Retry-After)"),
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


# --- service request updates (mySociety extension) --------------------------------------------


def _update_state(status: str | None, resolution: str | None) -> str:
    if status in (service.PUBLISHED, service.RATED):
        return _RESOLUTION_STATE.get(resolution or "", "closed")
    return _UPDATE_STATE.get(status or "", "open")


def select_updates(
    session: Session, params: Mapping[str, Any], now: datetime, lang: str
) -> list[dict[str, Any]]:
    """Public timeline steps in the ``start_date``/``end_date`` window, oldest first."""
    start, end = date_range(params, now)
    rows = session.execute(
        select(ReportEvent.id, ReportEvent.report_id)
        .join(Report, Report.id == ReportEvent.report_id)
        .where(
            ReportEvent.public.is_(True),
            Report.hidden.is_(False),
            ReportEvent.at >= start,
            ReportEvent.at <= end,
        )
        .order_by(ReportEvent.at, ReportEvent.id)
        .limit(MAX_RESULTS)
    ).all()
    wanted = {event_id for event_id, _ in rows}
    by_report: dict[int, list[dict[str, Any]]] = {}
    out: dict[int, dict[str, Any]] = {}
    for _event_id, report_id in rows:
        if report_id in by_report:
            continue
        report = session.get(Report, report_id)
        assert report is not None
        data = public.public_report(session, report, lang, timeline=True)
        by_report[report_id] = data.get("timeline", [])
        for step in by_report[report_id]:
            if step["id"] not in wanted:
                continue
            text = step["text"]
            out[step["id"]] = {
                "update_id": str(step["id"]),
                "service_request_id": data["code"],
                "status": _update_state(step["status"], data.get("resolution")),
                "description": f"{step['label']}: {text}" if text else step["label"],
                "updated_datetime": step["at"],
                "media_url": None,
                "external_status_code": step["status"],
            }
    return [out[event_id] for event_id, _ in rows if event_id in out]


@router.get(
    "/servicerequestupdates.{fmt}",
    **_doc(
        array(UPDATE_DOC),
        "Status changes and published answers (mySociety extension)",
        query("start_date", _W3C),
        query("end_date", _W3C),
    ),
)
def request_updates(fmt: str, request: Request, db: DbSession, _p: Public) -> Response:
    """mySociety's service request updates: status changes and published answers."""

    def build(f: str) -> Response:
        params = request.query_params
        _check_jurisdiction(params)
        updates = select_updates(db, params, clock.now(), _lang(params))
        return render(f, "service_requests_updates", updates)

    return _handle(fmt, build)
