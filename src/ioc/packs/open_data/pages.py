"""Pages and JSON routes of the open-data pack.

Signed in: ``/data/catalogue`` (every dataset the caller may see, worst quality first, with
the owner to call; leaders also get a summary per agency), ``GET /api/v1/open-data/quality``
(the same as JSON), ``GET /api/v1/open-data/gov-report?period=`` (the Government reporting
export). Public: ``/open-data`` (public datasets, licences, downloads), ``/open-data/{code}``,
``/open-data/{code}.{csv|xlsx|geojson|json}``, ``/data/quality-badge?path=`` (the badges of
the datasets a page shows, an HTML fragment any page may load).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from ioc.core import clock
from ioc.core.auth import Permission
from ioc.engines.submissions.periods import PeriodError
from ioc.packs.open_data import catalogue, downloads, gov_export, licences, views
from ioc.packs.open_data.ckan import base_url
from ioc.web.deps import AppRegistry, DbSession, Principal, require
from ioc.web.templating import render

router = APIRouter(include_in_schema=False)
api = APIRouter(tags=["open-data"])

Viewer = Annotated[Principal, Depends(require(Permission.VIEW, page=True))]
ViewerApi = Annotated[Principal, Depends(require(Permission.VIEW))]
Public = Annotated[Principal, Depends(require(Permission.PUBLIC))]
Code = Annotated[str, Path(max_length=100, pattern=r"^[a-z0-9][a-z0-9_-]{1,99}$")]
Fmt = Annotated[str, Path(max_length=8)]


@router.get("/data/catalogue", response_class=HTMLResponse)
def catalogue_page(
    request: Request, principal: Viewer, db: DbSession, registry: AppRegistry
) -> Response:
    """Danh mục dữ liệu: every dataset the caller may see, worst quality first."""
    mode, agency, entries = views.visible(db, registry, principal)
    now = clock.now()
    items = views.rows(db, entries, now)
    owners = {r.entry.spec.owner_agency for r in items}
    return render(
        request,
        "open_data/catalogue.html",
        {
            "mode": mode,
            "agency": agency,
            "items": items,
            "summary": views.summary(items) if mode in ("leader", "ioc") else [],
            "contacts": views.contacts(db, owners) if mode in ("ioc", "leader") else {},
            "licence_title": licences.title,
        },
        principal=principal,
    )


@api.get("/api/v1/open-data/quality", summary="Quality figures of the datasets the caller sees")
def quality_api(principal: ViewerApi, db: DbSession, registry: AppRegistry) -> JSONResponse:
    """Sống, đủ, sạch, đúng (percent) of each dataset the caller may see, worst first; leaders
    and the IOC also get the summary per owner agency."""
    mode, _agency, entries = views.visible(db, registry, principal)
    items = views.rows(db, entries, clock.now())
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
            for s in views.summary(items)
        ]
    return JSONResponse(body)


@api.get("/api/v1/open-data/gov-report", summary="Government reporting export of one period")
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


@router.get("/open-data", response_class=HTMLResponse)
def public_list(
    request: Request,
    principal: Public,
    db: DbSession,
    registry: AppRegistry,
    org: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """Dữ liệu mở: the public datasets with licence, quality and downloads."""
    entries = [e for e in catalogue.entries(registry) if e.spec.public]
    if org:
        entries = [e for e in entries if e.spec.owner_agency == org]
    items = views.rows(db, entries, clock.now())
    items.sort(key=lambda r: r.entry.spec.title_vi)
    return render(
        request,
        "open_data/public.html",
        {
            "items": items,
            "formats": {r.entry.spec.code: downloads.formats_of(r.entry.spec) for r in items},
            "licence_title": licences.title,
            "licence_url": licences.url,
            "org": org,
        },
        principal=principal,
    )


@router.get("/open-data/organization/{code}")
def organization(code: Code, _p: Public) -> Response:
    """An owner agency (the DCAT publisher's address): its public datasets."""
    return RedirectResponse(f"/open-data?org={code}", status_code=303)


def _public_entry(registry: Any, code: str) -> catalogue.Entry:
    entry = catalogue.by_code(registry, code)
    if entry is None or not entry.spec.public:
        raise HTTPException(status_code=404, detail="Không có tập dữ liệu này / no such dataset")
    return entry


@router.get("/open-data/{code}.{fmt}")
def download(
    code: Code, fmt: Fmt, request: Request, _p: Public, db: DbSession, registry: AppRegistry
) -> Response:
    """A public dataset's rows in one format, with its licence (never personal data)."""
    entry = _public_entry(registry, code)
    if fmt not in downloads.FORMATS:
        raise HTTPException(status_code=404, detail=f"fmt: {', '.join(downloads.FORMATS)}")
    data = downloads.rows_for(entry.spec, db)
    if fmt not in downloads.formats_of(entry.spec, data):
        raise HTTPException(
            status_code=404, detail="fmt: tập dữ liệu không có vị trí / not located"
        )
    body = downloads.render(entry.spec, data, fmt, base_url(request))
    headers = {"Content-Disposition": f'attachment; filename="{code}.{fmt}"'}
    url = licences.url(entry.spec.licence)
    if url:
        headers["Link"] = f'<{url}>; rel="license"'
    return Response(body, media_type=downloads.FORMATS[fmt][1], headers=headers)


@router.get("/open-data/{code}", response_class=HTMLResponse)
def dataset_page(
    code: Code, request: Request, principal: Public, db: DbSession, registry: AppRegistry
) -> Response:
    """One public dataset: description, owner, licence, coverage, quality, downloads."""
    entry = _public_entry(registry, code)
    row = views.rows(db, [entry], clock.now())[0]
    return render(
        request,
        "open_data/dataset.html",
        {
            "r": row,
            "formats": downloads.formats_of(entry.spec),
            "licence_title": licences.title,
            "licence_url": licences.url,
            "ckan_url": f"/api/3/action/package_show?id={code}",
            "temporal": catalogue.temporal(entry, db),
        },
        principal=principal,
    )


@router.get("/data/quality-badge", response_class=HTMLResponse)
def quality_badge(
    request: Request,
    principal: Public,
    db: DbSession,
    registry: AppRegistry,
    path: Annotated[str, Query(max_length=300)],
) -> Response:
    """The quality badges of the datasets shown on the page at ``path`` (an HTML fragment for
    any page to load; anonymous callers only get public datasets)."""
    _mode, _agency, entries = views.visible(db, registry, principal)
    shown = [
        e
        for e in entries
        if e.spec.href and (path == e.spec.href or path.startswith(e.spec.href.rstrip("/") + "/"))
    ]
    items = views.rows(db, shown, clock.now())
    return render(request, "open_data/_badges.html", {"items": items}, principal=principal)
