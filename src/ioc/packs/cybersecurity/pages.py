"""Pages of the cybersecurity pack: ``/cybersecurity`` (events over time, top sources and
categories, agencies ranked by open incidents, website status board, recent serious events,
open incidents), incident detail with its handling actions, exports (CSV/XLSX)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Form, HTTPException
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import clock, i18n, ownership
from ioc.core.auth import Permission
from ioc.core.registry import Tile
from ioc.engines.exports import Table
from ioc.packs.cybersecurity import incidents, listener, probes, stats
from ioc.packs.cybersecurity.models import CyEvent, CyIncident, CySite
from ioc.packs.cybersecurity.parsers import CATEGORIES, SEVERITIES
from ioc.web import csrf
from ioc.web.csrf import CsrfField
from ioc.web.deps import Principal, forbid, write_scope
from ioc.web.pagekit import (
    EXPORT_FORMATS,
    AdminCall,
    HandlerCall,
    Posted,
    ViewerCall,
    form_fields,
    plain_error,
    table_file,
)
from ioc.web.templating import render

router = APIRouter(include_in_schema=False)

# One chart colour per severity, most severe first (the order of ``SEVERITIES``).
SEVERITY_COLORS = dict(
    zip(SEVERITIES, ("#B71C1C", "#E65100", "#F9A825", "#1565C0", "#78909C"), strict=True)
)
STATE_BADGES = {
    "up": "badge-ok",
    "slow": "badge-warn",
    "defaced": "badge-error",
    "down": "badge-error",
    "unknown": "badge-muted",
}
EXPORTS = ("agencies", "sites", "events")


def _json(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def overview_tile(session: Session, lang: str) -> Tile:
    """Tile: sites down / monitored, open incidents, critical events today."""
    now = clock.now()
    sites = list(session.execute(select(CySite.state).where(CySite.active)).scalars())
    down = sum(1 for s in sites if s in ("down", "defaced"))
    open_n = len(
        session.execute(
            select(CyIncident.id).where(CyIncident.status.in_(incidents.OPEN_STATUSES))
        ).all()
    )
    title = i18n.translate("cy.title", lang)
    if not sites and not open_n:
        return Tile("cybersecurity", title, "—", i18n.translate("cy.tile.none", lang), "none",
                    "/cybersecurity")  # fmt: skip
    rows = stats.agency_rows(session, now, days=1)
    critical = sum(r.events["critical"] for r in rows)
    status = "bad" if down or critical else ("warn" if open_n else "ok")
    return Tile(
        pack="cybersecurity",
        title=title,
        figure=f"{len(sites) - down}/{len(sites)}",
        caption=i18n.translate("cy.tile.sites_up", lang),
        status=status,
        href="/cybersecurity",
        lines=(
            i18n.translate("cy.tile.open_incidents", lang, n=open_n),
            i18n.translate("cy.tile.critical_today", lang, n=critical),
        ),
    )


# A failed probe's reason in words, from the kind of error it recorded ("timeout: …").
PROBE_ERRORS: Final = (
    ("timeout", "cy.probe.error.timeout"),
    ("ConnectionRefused", "cy.probe.error.refused"),
    ("gaierror", "cy.probe.error.dns"),
    ("SSL", "cy.probe.error.tls"),
    ("Certificate", "cy.probe.error.tls"),
    ("ProbeTarget", "cy.probe.error.target"),
    ("NotAllowed", "cy.probe.error.target"),
)


def probe_error_key(error: str | None) -> str:
    """Message key of a probe error's kind (the generic "could not connect" otherwise)."""
    kind = (error or "").split(":", 1)[0]
    for prefix, key in PROBE_ERRORS:
        if kind.startswith(prefix) or prefix in kind:
            return key
    return "cy.probe.error_generic"


def _sites(db: Session, now: Any) -> list[dict[str, Any]]:
    warn = now + timedelta(days=probes.current_config().cert_warn_days)
    out = []
    for s in db.execute(select(CySite).where(CySite.active).order_by(CySite.name)).scalars():
        days_left = (
            None if s.cert_not_after is None else (s.cert_not_after - now).total_seconds() / 86400
        )
        out.append(
            {
                "site": s,
                "error_key": probe_error_key(s.error),
                "badge": STATE_BADGES.get(s.state, "badge-muted"),
                "days_left": days_left,
                "cert_warn": s.cert_not_after is not None and s.cert_not_after < warn,
            }
        )
    return out


@router.get("/cybersecurity")
def index(call: ViewerCall, agency: str | None = None) -> Response:
    """Giám sát ATTT mạng: the overview, optionally for one agency (drill-down)."""
    request, db, principal = call
    lang = call.lang
    now = clock.now()
    agency = agency or None
    buckets, series = stats.events_over_time(db, now, 24 * 7, agency)
    chart = {
        "series": [
            {
                "name": i18n.translate(f"cy.sev.{s}", lang),
                "color": SEVERITY_COLORS[s],
                "data": [[b * 1000, series[s][i]] for i, b in enumerate(buckets)],
            }
            for s in SEVERITIES
        ],
        "yName": i18n.translate("cy.events_per_hour", lang),
        "decimals": 0,
    }
    cats = stats.top_categories(db, now, 7)
    cat_chart = {
        "data": [
            {"name": i18n.translate(f"cy.cat.{c}", lang), "value": n, "color": "#1565C0"}
            for c, n in cats[:12]
        ],
        "seriesName": i18n.translate("cy.events", lang),
    }
    rows = stats.agency_rows(db, now, 30)
    event_stmt = select(CyEvent).where(CyEvent.severity_rank <= 1)
    if agency:
        event_stmt = event_stmt.where(CyEvent.agency_code == agency)
    recent = list(db.execute(event_stmt.order_by(CyEvent.ts.desc()).limit(30)).scalars())
    open_stmt = select(CyIncident).where(CyIncident.status.in_(incidents.OPEN_STATUSES))
    if agency:
        open_stmt = open_stmt.where(CyIncident.agency_code == agency)
    open_list = list(db.execute(open_stmt.order_by(CyIncident.opened_at.desc())).scalars())
    names = stats.agency_names(db)
    return render(
        request,
        "cybersecurity/index.html",
        {
            "agency": agency,
            "agency_name": names.get(agency or "", agency),
            "names": names,
            "rows": rows,
            "sites": _sites(db, now),
            "sources": stats.top_sources(db, now, 7),
            "cats": cats,
            "recent": recent,
            "open_list": open_list,
            "severities": SEVERITIES,
            "categories": CATEGORIES,
            "sev_colors": SEVERITY_COLORS,
            "chart_json": _json(chart),
            "cat_json": _json(cat_chart),
            "done": request.query_params.get("done"),
            "can_handle": principal.can(Permission.HANDLE_ALERTS),
            # A probe's error text tells which internal ports answer: administrators only.
            "show_probe_errors": principal.can(Permission.ADMIN),
            # The syslog intake's counters, the kernel's UDP drops first: administrators.
            "intake": (
                listener.intake_status(request.app.state.settings)
                if principal.can(Permission.ADMIN)
                else None
            ),
        },
        principal=principal,
    )


def _table(db: Session, which: str, lang: str) -> Table:
    now = clock.now()

    def tr(key: str) -> str:
        return i18n.translate(key, lang)

    if which == "agencies":
        table = Table(
            tr("cy.agencies"),
            [tr("cy.col.agency"), tr("cy.col.open_incidents"), tr("cy.col.mttr"),
             *[tr(f"cy.sev.{s}") for s in SEVERITIES], tr("cy.col.sites"), tr("cy.col.sites_down")],
        )  # fmt: skip
        for r in stats.agency_rows(db, now, 30):
            table.rows.append(
                [r.name, r.open_incidents,
                 None if r.mttr_hours is None else round(r.mttr_hours, 1),
                 *[r.events[s] for s in SEVERITIES], r.sites, r.sites_down]
            )  # fmt: skip
        return table
    if which == "sites":
        table = Table(
            tr("cy.sites"),
            ["URL", tr("cy.col.name"), tr("cy.col.state"), "HTTP", "ms", tr("cy.col.cert_until"),
             tr("cy.col.similarity")],
        )  # fmt: skip
        for item in _sites(db, now):
            s = item["site"]
            table.rows.append(
                [s.url, s.name, s.state, s.http_status, s.response_ms,
                 s.cert_not_after.astimezone(clock.local_zone()) if s.cert_not_after else None,
                 s.similarity]
            )  # fmt: skip
        return table
    table = Table(
        tr("cy.events"),
        [tr("cy.col.time"), tr("cy.col.host"), tr("cy.col.agency"), tr("cy.col.category"),
         tr("cy.col.severity"), "IP", tr("cy.col.message")],
    )  # fmt: skip
    for e in db.execute(
        select(CyEvent).where(CyEvent.ts >= now - timedelta(days=7)).order_by(CyEvent.ts.desc())
        .limit(50000)
    ).scalars():  # fmt: skip
        table.rows.append(
            [e.ts.astimezone(clock.local_zone()), e.host, e.agency_code, e.category, e.severity,
             e.src_ip, e.message]
        )  # fmt: skip
    return table


@router.get("/cybersecurity/export")
def export(call: ViewerCall, table: str = "agencies", format: str = "xlsx") -> Response:
    """Tải bảng: agencies | sites | events (7 days) as XLSX or CSV."""
    if table not in EXPORTS or format not in EXPORT_FORMATS:
        return plain_error(
            "Tham số không hợp lệ / invalid parameters: table = agencies | sites | events, "
            "format = csv | xlsx"
        )
    return table_file(_table(call.db, table, call.lang), format, f"attt-{table}")


def _incident(db: Session, incident_id: int) -> CyIncident:
    incident = db.get(CyIncident, incident_id)
    if incident is None:
        raise HTTPException(404, "Không có sự cố này / no such incident")
    return incident


@router.get("/cybersecurity/incidents/{incident_id}")
def incident_page(call: ViewerCall, incident_id: int) -> Response:
    """Sự cố: details, linked events, handling steps and the actions."""
    request, db, principal = call
    incident = _incident(db, incident_id)
    events = list(
        db.execute(
            select(CyEvent).where(CyEvent.incident_id == incident_id).order_by(CyEvent.ts.desc())
            .limit(200)
        ).scalars()
    )  # fmt: skip
    return render(
        request,
        "cybersecurity/incident.html",
        {
            "incident": incident,
            "steps": incidents.steps(db, incident_id),
            "events": events,
            "names": stats.agency_names(db),
            "transitions": sorted(incidents.TRANSITIONS.get(incident.status, ())),
            "hours": incidents.resolve_hours(incident),
            "error": request.query_params.get("error"),
            "can_handle": principal.can(Permission.HANDLE_ALERTS)
            and write_scope(db, principal).may_owner(incident.agency_code),
        },
        principal=principal,
    )


def _back(path: str, **params: str) -> RedirectResponse:
    from urllib.parse import urlencode

    return RedirectResponse(f"{path}?{urlencode(params)}" if params else path, status_code=303)


def _check_owner(db: Session, principal: Principal, agency_code: str | None, door: str) -> None:
    """Agency staff handle only their own agency's incidents (an incident charged to no agency
    is the operations centre's); operators and admins handle every agency's."""
    scope = write_scope(db, principal)
    if not scope.may_owner(agency_code):
        raise forbid(
            db,
            principal,
            door,
            ownership.NotYourData(
                "Bạn chỉ được xử lý sự cố của đơn vị mình",
                "you may only handle your own agency's incidents",
                owners=[agency_code or "(none)"],
            ),
        )


# The form that opens an incident by hand (one opened from an event names only the event).
IncidentForm = Annotated[
    Posted,
    Depends(
        form_fields(
            title=300, agency=64, category=(32, "other"), severity=(16, "medium"), description=4000
        )
    ),
]


@router.post("/cybersecurity/incidents")
def new_incident(
    call: HandlerCall, form: IncidentForm, event_id: Annotated[int | None, Form()] = None
) -> Response:
    """Mở sự cố: from an event (``event_id``) or by hand."""
    request, db, principal = call
    if not csrf.valid(request, form.csrf_token):
        return _back("/cybersecurity", done="csrf")
    agency = form["agency"]
    try:
        if event_id is not None:
            event = db.get(CyEvent, event_id)
            if event is None:
                raise HTTPException(404, "Không có sự kiện này / no such event")
            _check_owner(db, principal, event.agency_code, "security.incident.open")
            incident = incidents.open_from_event(db, principal.actor, event)
        else:
            _check_owner(db, principal, agency or None, "security.incident.open")
            incident = incidents.open_incident(
                db,
                principal.actor,
                title=form["title"],
                agency_code=agency or None,
                category=form["category"],
                severity=form["severity"],
                description=form["description"],
            )
    except incidents.IncidentError as exc:
        return _back("/cybersecurity", done="error", field=exc.field)
    db.commit()
    return _back(f"/cybersecurity/incidents/{incident.id}")


# The form of an incident's handling actions.
ActionForm = Annotated[Posted, Depends(form_fields(text=4000, status=16))]


@router.post("/cybersecurity/incidents/{incident_id}/{action}")
def incident_action(call: HandlerCall, incident_id: int, action: str, form: ActionForm) -> Response:
    """note | status | close | reopen — one audited action each."""
    request, db, principal = call
    text, status = form["text"], form["status"]
    path = f"/cybersecurity/incidents/{incident_id}"
    if not csrf.valid(request, form.csrf_token):
        return _back(path, error="csrf")
    incident = _incident(db, incident_id)
    if action not in ("note", "status", "close", "reopen"):
        raise HTTPException(404, "Không có thao tác này / no such action")
    _check_owner(db, principal, incident.agency_code, f"security.incident.{action}")
    try:
        if action == "note":
            incidents.add_note(db, principal.actor, incident, text)
        elif action == "status":
            incidents.change_status(db, principal.actor, incident, status, text)
        elif action == "close":
            incidents.close_incident(db, principal.actor, incident, text)
        elif action == "reopen":
            incidents.reopen_incident(db, principal.actor, incident, text)
        else:
            raise HTTPException(404, "Không có thao tác này / no such action")
    except incidents.IncidentError as exc:
        db.rollback()
        return _back(path, error=str(exc))
    db.commit()
    return _back(path)


@router.post("/cybersecurity/sites/{site_id}/rebaseline")
def rebaseline(call: AdminCall, site_id: int, csrf_token: CsrfField = "") -> Response:
    """Chấp nhận giao diện hiện tại làm bản gốc (after a legitimate redesign)."""
    request, db, principal = call
    if not csrf.valid(request, csrf_token):
        return _back("/cybersecurity", done="csrf")
    site = db.get(CySite, site_id)
    if site is None:
        raise HTTPException(404, "Không có trang này / no such site")
    probes.accept_baseline(db, site, principal.actor)
    db.commit()
    return _back("/cybersecurity", done="rebaseline")
