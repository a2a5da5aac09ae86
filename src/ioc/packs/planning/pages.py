"""Pages of the planning pack: the public map "Quy hoạch và hạ tầng" (``/public/quy-hoach``):
zones and assets as toggles on the shared map, a click answers "what applies here?" and an
asset can be reported broken from there; and ``/planning`` (``manage``): what is loaded and
the GeoJSON import form, a refused file listing each bad feature."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ioc.core.models import Agency
from ioc.core.ownership import NotYourData
from ioc.packs.planning import service
from ioc.packs.planning.models import PlAsset, PlPlan, PlZone
from ioc.web import csrf
from ioc.web.deps import (
    forbid,
    write_scope,
)
from ioc.web.pagekit import Call, ManagerCall, PublicCall
from ioc.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/public/quy-hoach", response_class=HTMLResponse)
def public_map(call: PublicCall) -> Response:
    """Bản đồ quy hoạch và hạ tầng: click a point to see what applies there."""
    request, principal, lang = call.request, call.principal, call.lang
    settings = request.app.state.settings
    return render(
        request,
        "planning/map.html",
        {
            "kinds": [(k, service.kind_name(k, lang)) for k in service.KINDS],
            "radius": int(service.NEARBY_M),
            "tile_url": getattr(settings, "map_tile_url", "") or "",
            "tile_attribution": getattr(settings, "map_tile_attribution", "") or "",
        },
        principal=principal,
    )


MAX_UPLOAD = 20 * 1024 * 1024


def _summary(db: Session) -> dict[str, Any]:
    plans = list(db.execute(select(PlPlan).order_by(PlPlan.decision_date.desc())).scalars())
    counts = dict(db.execute(select(PlZone.plan_id, func.count()).group_by(PlZone.plan_id)).all())
    kinds = dict(db.execute(select(PlAsset.kind, func.count()).group_by(PlAsset.kind)).all())
    broken = db.execute(
        select(func.count()).select_from(PlAsset).where(PlAsset.status == "broken")
    ).scalar_one()
    return {"plans": plans, "zone_counts": counts, "kinds": kinds, "broken": broken}


def _manage_page(
    call: Call,
    *,
    result: dict[str, Any] | None = None,
    errors: list[service.FeatureError] | None = None,
    message: str = "",
    status_code: int = 200,
) -> Response:
    """What is loaded and the import form, with the outcome of an import (``result``), the
    features a refused file holds (``errors``) or why the form was refused (``message``)."""
    request, db, principal = call
    lang = call.lang
    scope = write_scope(db, principal)
    agencies = [
        (a.code, a.name)
        for a in db.execute(select(Agency).order_by(Agency.name)).scalars()
        if scope.may_agency(a.code) and a.kind != "commune_committee"
    ]
    return render(
        request,
        "planning/manage.html",
        {
            **_summary(db),
            "kind_name": lambda k: service.kind_name(k, lang),
            "agencies": agencies,
            "result": result,
            "errors": errors or [],
            "message": message,
        },
        principal=principal,
        status_code=status_code,
    )


@router.get("/planning", response_class=HTMLResponse)
def manage_page(call: ManagerCall) -> Response:
    """Quản lý quy hoạch, hạ tầng: what is loaded, and the GeoJSON import form."""
    return _manage_page(call)


@router.post("/planning/import", response_class=HTMLResponse)
async def manage_import(
    call: ManagerCall,
    what: Annotated[str, Form(max_length=10)],
    file: Annotated[UploadFile, File()],
    agency: Annotated[str, Form(max_length=64)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Import a GeoJSON file of zones or assets; a refused file lists each bad feature."""
    if not csrf.valid(call.request, csrf_token):
        return _manage_page(call, message="csrf", status_code=403)
    if what not in ("zones", "assets"):
        return _manage_page(call, message="what", status_code=422)
    data = await file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        return _manage_page(call, message="too_big", status_code=413)
    return await run_in_threadpool(_import, call, what, data, agency)


def _import(call: Call, what: str, data: bytes, agency: str) -> Response:
    """Import ``data`` (zones or assets, ``what``) for ``agency`` (the caller's own, or the
    Sở Xây dựng, when empty) and show the outcome."""
    _request, db, principal = call
    scope = write_scope(db, principal)
    user_agency = (
        db.get(Agency, principal.user.agency_id)
        if principal.user and principal.user.agency_id
        else None
    )
    owner = agency or (user_agency.code if user_agency else "so-xay-dung")
    try:
        if what == "zones":
            found = service.import_zones(db, principal.actor, scope, data, owner)
        else:
            found = service.import_assets(db, principal.actor, scope, data, owner)
    except service.PlanningImportError as err:
        db.rollback()
        return _manage_page(call, errors=err.errors, status_code=422)
    except NotYourData as err:
        raise forbid(db, principal, "planning.import", err) from None
    db.commit()
    result = {"what": what, "plans": found.plans, "zones": found.zones, "assets": found.assets}
    return _manage_page(call, result=result)
