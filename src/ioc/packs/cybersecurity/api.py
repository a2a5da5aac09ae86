"""JSON API of the cybersecurity pack.

* ``POST /api/v1/security/events`` (scope ``ingest``) — a batch of events from the SOC or an
  agency's device: ``{"events": [{time, source, agency, category, severity, message,
  src_ip?, dst_ip?, indicators?}]}`` (or a bare list). Valid events are stored; invalid ones
  are listed with their row (1-based) and field (422 when any is invalid).
* ``GET /api/v1/security/sites`` (view) — the website status board.
* ``GET /api/v1/security/agencies`` (view) — indicators per agency.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select

from ioc.core import audit, clock, ownership
from ioc.packs.cybersecurity import stats
from ioc.packs.cybersecurity.models import CySite
from ioc.packs.cybersecurity.parsers import SecurityEvent, normalise_json
from ioc.packs.cybersecurity.schemas import AgenciesAnswer, SitesAnswer
from ioc.packs.cybersecurity.store import store_events
from ioc.web.api_kit import batch_report, read_items, row_error
from ioc.web.api_models import BatchReport
from ioc.web.batch_doors import batch_door
from ioc.web.batches import refuse
from ioc.web.deps import DbSession, Ingestor, Principal, ViewerApi, forbid, write_scope

router = APIRouter(prefix="/api/v1/security", tags=["cybersecurity"])

MAX_EVENTS = 10000
MAX_BODY = 20 << 20


# Its summary, its answers and the body it reads itself: batch_doors.yaml.
@router.post("/events", **batch_door("ioc.packs.cybersecurity", "events", BatchReport))
async def post_events(request: Request, principal: Ingestor, db: DbSession) -> JSONResponse:
    """Store a batch of security events; invalid ones are listed by row and field."""
    body = await request.body()
    if len(body) > MAX_BODY:
        return refuse(413, "Nội dung quá lớn / body too large")
    items = read_items(
        body,
        "events",
        MAX_EVENTS,
        not_a_list='Cần {"events": [...]} hoặc một danh sách / expected {"events": [...]}',
        too_many=f"Tối đa {MAX_EVENTS} sự kiện một lần / at most {MAX_EVENTS} events",
    )
    if isinstance(items, JSONResponse):
        return items
    received = clock.now()
    good = []
    errors: list[dict[str, Any]] = []
    for number, item in enumerate(items, start=1):
        event, problems = normalise_json(item, received)
        if event is None:
            errors.extend(row_error(number, p.field, p.message, p.message_en) for p in problems)
        else:
            good.append(event)
    good = _owned_events(db, principal, good)
    stored = store_events(db, good, transport="http", received=received)
    rejected = len({e["row"] for e in errors})
    audit.record(
        db,
        principal.actor,
        "cy.events.ingest",
        "batch",
        None,
        received=len(items),
        stored=stored,
        rejected=rejected,
    )
    return batch_report(len(items), stored, rejected, errors[:1000])


def _owned_events(
    db: DbSession, principal: Principal, events: list[SecurityEvent]
) -> list[SecurityEvent]:
    """The events with their agency checked against the caller: an agency's sender may only
    report its own agency's events (an event naming no agency is charged to the sender's
    agency); a batch charging another agency is refused whole with 403 and audited."""
    scope = write_scope(db, principal)
    if scope.everything:
        return events
    sole = next(iter(scope.agencies)) if len(scope.agencies) == 1 else None
    out = [e if e.agency is not None else dataclasses.replace(e, agency=sole) for e in events]
    refused = sorted({str(e.agency) for e in out if not scope.may_agency(e.agency)})
    if refused:
        raise forbid(
            db,
            principal,
            "security.events",
            ownership.NotYourData(
                f"Không được gửi sự kiện cho đơn vị khác: {', '.join(refused[:20])}",
                f"you may not report events for another agency: {', '.join(refused[:20])}",
                owners=refused,
            ),
        )
    return out


@router.get(
    "/sites",
    summary="Tình trạng cổng thông tin / website status board",
    responses={200: {"model": SitesAnswer, "description": "Monitored sites, last probe"}},
)
def sites(principal: ViewerApi, db: DbSession) -> dict[str, Any]:
    """Every monitored site with its last probe."""
    out = []
    for s in db.execute(select(CySite).order_by(CySite.name)).scalars():
        out.append(
            {
                "code": s.code,
                "name": s.name,
                "url": s.url,
                "agency": s.agency_code,
                "state": s.state,
                "http_status": s.http_status,
                "response_ms": s.response_ms,
                "cert_not_after": s.cert_not_after.isoformat() if s.cert_not_after else None,
                "cert_error": s.cert_error,
                "similarity": s.similarity,
                "last_probe_at": s.last_probe_at.isoformat() if s.last_probe_at else None,
            }
        )
    return {"items": out}


@router.get(
    "/agencies",
    summary="Chỉ số ATTT theo cơ quan / indicators per agency",
    responses={200: {"model": AgenciesAnswer, "description": "Figures per agency"}},
)
def agencies(principal: ViewerApi, db: DbSession, days: int = 30) -> dict[str, Any]:
    """Open incidents, MTTR (h), events by severity and sites down per agency."""
    days = max(1, min(days, 366))
    rows = stats.agency_rows(db, clock.now(), days)
    return {
        "days": days,
        "items": [
            {
                "agency": r.code or None,
                "name": r.name,
                "open_incidents": r.open_incidents,
                "mttr_hours": None if r.mttr_hours is None else round(r.mttr_hours, 2),
                "events": r.events,
                "sites": r.sites,
                "sites_down": r.sites_down,
            }
            for r in rows
        ],
    }
