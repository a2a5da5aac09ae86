"""JSON routes of the open-data pack (signed in): ``GET /api/v1/open-data/quality`` (the
quality of every dataset the caller may see, as the catalogue page shows it) and
``GET /api/v1/open-data/gov-report?period=`` (the Government reporting export)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import JSONResponse

from ioc.core import clock
from ioc.engines.submissions.periods import PeriodError
from ioc.packs.open_data import gov_export, queries
from ioc.web.deps import AppRegistry, DbSession, ViewerApi

router = APIRouter(tags=["open-data"])


@router.get("/api/v1/open-data/quality", summary="Quality figures of the datasets the caller sees")
def quality_api(principal: ViewerApi, db: DbSession, registry: AppRegistry) -> JSONResponse:
    """Sống, đủ, sạch, đúng (percent) of each dataset the caller may see, worst first; leaders
    and the IOC also get the summary per owner agency."""
    mode, _agency, entries = queries.visible(db, registry, principal)
    items = queries.rows(db, entries, clock.now())
    body: dict[str, Any] = {
        "scope": mode,
        "datasets": [
            {
                "code": r.entry.spec.code,
                "title": r.entry.spec.title_vi,
                "owner_agency": r.entry.spec.owner_agency,
                "owner_name": r.owner_name,
                "frequency": r.entry.spec.frequency,
                "public": r.entry.spec.public,
                "quality": r.figures.as_dict(),
            }
            for r in items
        ],
    }
    if mode in ("leader", "ioc"):
        body["agencies"] = [
            {
                **s,
                "means": {
                    k: None if v is None else round(100 * v, 1) for k, v in s["means"].items()
                },
            }
            for s in queries.summary(items)
        ]
    return JSONResponse(body)


@router.get("/api/v1/open-data/gov-report", summary="Government reporting export of one period")
def gov_report(
    principal: ViewerApi,
    db: DbSession,
    registry: AppRegistry,
    period: Annotated[str, Query(max_length=10, description="YYYY-MM, YYYY-Qn or YYYY")],
) -> JSONResponse:
    """The province's indicator values of ``period``, keyed by indicator code, with units and
    the official codes (docs/open_data.md)."""
    try:
        doc = gov_export.export(db, registry, period)
    except PeriodError as exc:
        raise HTTPException(status_code=422, detail=f"period: {exc}") from None
    name = f"bao-cao-chinh-phu-{doc['period']['key']}.json"
    return JSONResponse(doc, headers={"Content-Disposition": f'inline; filename="{name}"'})
