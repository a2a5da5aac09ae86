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

Modules: ``api`` (the routes), ``params`` (request parameters and refusals), ``items`` (what
is answered), ``intake`` (POST), ``formats`` (XML and JSON), ``docs`` (the OpenAPI description).
"""

from __future__ import annotations

from fastapi import APIRouter

from ioc.packs.field_reports.open311.api import router
from ioc.packs.field_reports.open311.params import JURISDICTION_ID

__all__ = ["JURISDICTION_ID", "api_router", "router"]


def api_router() -> APIRouter:
    """Every machine API of the pack (Open311 GeoReport v2, JSON and XML)."""
    out = APIRouter()
    out.include_router(router)
    return out
