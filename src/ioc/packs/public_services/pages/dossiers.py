"""The dossier list (filters, drill-down from a score, pages), its export and one dossier."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import clock
from ioc.core.models import Agency, Area
from ioc.packs.public_services import listing, scores
from ioc.packs.public_services.config import policy
from ioc.packs.public_services.indices import CHANNELS, STATUSES
from ioc.packs.public_services.models import PsDossier, PsProcedure
from ioc.packs.public_services.pages.context import period_form, safe_stem, today
from ioc.web.pagekit import (
    EXPORT_FORMATS,
    ViewerCall,
    invalid_parameters,
    page,
    table_file,
)
from ioc.web.templating import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _options(db: Session) -> dict[str, list[tuple[str, str]]]:
    agencies = db.execute(
        select(Agency.code, Agency.short_name)
        .where(Agency.valid_to.is_(None))
        .order_by(Agency.kind, Agency.short_name)
    )
    areas = db.execute(
        select(Area.code, Area.name)
        .where(Area.valid_to.is_(None), Area.level.in_(("commune", "ward")))
        .order_by(Area.name)
    )
    procs = db.execute(select(PsProcedure.code, PsProcedure.name).order_by(PsProcedure.name))
    return {
        "agencies": list(agencies),
        "areas": list(areas),
        "procedures": [(c, n) for c, n in procs],
    }


def _filter_or_error(request: Request) -> tuple[listing.DossierFilter, listing.FilterError | None]:
    try:
        return listing.parse_filter(request.query_params, today()), None
    except listing.FilterError as exc:
        return listing.DossierFilter(), exc


@router.get("/public-services/dossiers", response_class=HTMLResponse)
def dossiers_page(call: ViewerCall) -> Response:
    """Danh sách hồ sơ: filters, drill-down from a score, pagination, exports."""
    request, db, _principal = call
    lang = call.lang
    f, error = _filter_or_error(request)
    now = clock.now()
    try:
        page_no = max(1, int(request.query_params.get("page") or 1))
    except ValueError:
        page_no = 1
    rows, total = listing.page(db, f, now, (page_no - 1) * listing.PAGE_SIZE)
    query = urlencode(f.params())
    context = {
        "f": f,
        "error": error,
        "rows": rows,
        "total": total,
        "page_no": page_no,
        "pages": max(1, (total + listing.PAGE_SIZE - 1) // listing.PAGE_SIZE),
        "query": query,
        "options": _options(db),
        "agency_names": scores.names(db, "agency_code"),
        "area_names": scores.names(db, "area_code"),
        "now": now,
        "outcome_key": listing.outcome_key,
        "period_label": f.period.label(lang) if f.period else None,
        "form": period_form(f.period or scores.parse_period({}, today())),
        "statuses": STATUSES,
        "channels": CHANNELS,
        "outcomes": listing.OUTCOMES,
        "warns": listing.WARNS,
        "drill": f.indicator,
    }
    return page(call, "public_services/dossiers.html", context, refused=error)


@router.get("/public-services/dossiers/export")
def dossiers_export(call: ViewerCall, format: str = "xlsx") -> Response:
    """Tải danh sách hồ sơ đang lọc (XLSX hoặc CSV)."""
    if format not in EXPORT_FORMATS:
        return invalid_parameters("format: csv | xlsx")
    f, error = _filter_or_error(call.request)
    if error is not None:
        return invalid_parameters(f"{error.field}: {error.message} / {error.en}")
    table = listing.export_table(call.db, f, clock.now(), call.lang, policy().export_max_rows)
    stem = "ho-so-" + "-".join(v for k, v in f.params().items() if k != "period") or "ho-so"
    return table_file(table, format, safe_stem(stem))


@router.get("/public-services/dossiers/{code}", response_class=HTMLResponse)
def dossier_page(call: ViewerCall, code: str) -> Response:
    """Chi tiết hồ sơ: the stored state, the deadline after deduction and the verdict."""
    request, db, principal = call
    d = db.execute(select(PsDossier).where(PsDossier.code == code)).scalar_one_or_none()
    if d is None:
        raise HTTPException(404)
    context = {
        "d": d,
        "now": clock.now(),
        "outcome_key": listing.outcome_key,
        "agency_names": scores.names(db, "agency_code"),
        "area_names": scores.names(db, "area_code"),
    }
    return render(request, "public_services/dossier.html", context, principal=principal)
