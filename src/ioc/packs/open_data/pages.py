"""Pages of the open-data pack (its JSON routes are in :mod:`api`).

Signed in: ``/data/catalogue`` (every dataset the caller may see, worst quality first, with
the owner to call; leaders also get a summary per agency). Public: ``/open-data`` (public
datasets, licences, downloads), ``/open-data/{code}``,
``/open-data/{code}.{csv|xlsx|geojson|json}``, ``/data/quality-badge?path=`` (the badges of
the datasets a page shows, an HTML fragment any page may load).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ioc.core import clock
from ioc.packs.open_data import catalogue, downloads, licences, queries
from ioc.packs.open_data.ckan import base_url
from ioc.web.deps import AppRegistry, DbSession, Public
from ioc.web.pagekit import PublicCall, ViewerCall
from ioc.web.templating import render

router = APIRouter(include_in_schema=False)

Code = Annotated[str, Path(max_length=100, pattern=r"^[a-z0-9][a-z0-9_-]{1,99}$")]
Fmt = Annotated[str, Path(max_length=8)]


@router.get("/data/catalogue", response_class=HTMLResponse)
def catalogue_page(call: ViewerCall, registry: AppRegistry) -> Response:
    """Danh mục dữ liệu: every dataset the caller may see, worst quality first."""
    request, db, principal = call
    mode, agency, entries = queries.visible(db, registry, principal)
    now = clock.now()
    items = queries.rows(db, entries, now)
    owners = {r.entry.spec.owner_agency for r in items}
    return render(
        request,
        "open_data/catalogue.html",
        {
            "mode": mode,
            "agency": agency,
            "items": items,
            "summary": queries.summary(items) if mode in ("leader", "ioc") else [],
            "contacts": queries.contacts(db, owners) if mode in ("ioc", "leader") else {},
            "licence_title": licences.title,
        },
        principal=principal,
    )


@router.get("/open-data", response_class=HTMLResponse)
def public_list(
    call: PublicCall, registry: AppRegistry, org: Annotated[str | None, Query(max_length=64)] = None
) -> Response:
    """Dữ liệu mở: the public datasets with licence, quality and downloads."""
    request, db, principal = call
    entries = [e for e in catalogue.entries(registry) if e.spec.public]
    if org:
        entries = [e for e in entries if e.spec.owner_agency == org]
    items = queries.rows(db, entries, clock.now())
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
def dataset_page(call: PublicCall, code: Code, registry: AppRegistry) -> Response:
    """One public dataset: description, owner, licence, coverage, quality, downloads."""
    request, db, principal = call
    entry = _public_entry(registry, code)
    row = queries.rows(db, [entry], clock.now())[0]
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
    call: PublicCall, registry: AppRegistry, path: Annotated[str, Query(max_length=300)]
) -> Response:
    """The quality badges of the datasets shown on the page at ``path`` (an HTML fragment for
    any page to load; anonymous callers only get public datasets)."""
    request, db, principal = call
    _mode, _agency, entries = queries.visible(db, registry, principal)
    shown = [
        e
        for e in entries
        if e.spec.href and (path == e.spec.href or path.startswith(e.spec.href.rstrip("/") + "/"))
    ]
    items = queries.rows(db, shown, clock.now())
    return render(request, "open_data/_badges.html", {"items": items}, principal=principal)
