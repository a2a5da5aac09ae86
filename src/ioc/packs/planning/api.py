"""JSON routes of the planning pack.

* ``POST /api/v1/planning/zones/import`` and ``/assets/import`` (``manage``): a GeoJSON
  FeatureCollection as the body; 422 with one error per bad feature (number, code, field).
* ``GET /api/v1/planning/lookup?lat=&lon=`` (public): "what applies here?" — the commune, the
  zones in force and their land use and limits, the assets within 50 m.
* ``GET /api/v1/planning/zones.geojson`` and ``/assets.geojson`` (public): the map layers.
* ``GET /api/v1/planning/assets/{code}`` (public): an asset with its open field reports.
* ``POST /api/v1/planning/assets/{code}/reports`` (public, CSRF token in ``X-CSRF-Token``): a
  citizen reports a problem with the asset; the report is a field report linked to it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import clock
from ioc.core.audit import Actor
from ioc.core.models import Agency
from ioc.core.ownership import NotYourData, WriteScope
from ioc.core.registry import Registry
from ioc.engines.geo.locate import GeoError, check_lat_lon
from ioc.packs.planning import service
from ioc.packs.planning.models import PlAsset, PlPlan, PlZone
from ioc.web import csrf
from ioc.web.deps import (
    AppRegistry,
    DbSession,
    Manager,
    Principal,
    Public,
    forbid,
    request_language,
    write_scope,
)
from ioc.web.openapi_doc import ERROR_REF, array, json_body, json_response, obj, one_of
from ioc.web.proxies import client_address

router = APIRouter(prefix="/api/v1/planning", tags=["planning"])
AssetCode = Annotated[str, Path(max_length=64)]
MAX_BODY = 20 * 1024 * 1024
DEFAULT_AGENCY = "so-xay-dung"
STRING: dict[str, Any] = {"type": "string"}
FEATURE_ERROR = obj(
    "feature",
    "field",
    "error",
    feature={"type": "integer"},
    code={"type": ["string", "null"]},
    field=STRING,
    error=STRING,
)
IMPORT_DOC: dict[str, Any] = {
    "openapi_extra": {
        "requestBody": json_body(
            obj(
                "type",
                "features",
                type=one_of("FeatureCollection"),
                features=array({"type": "object"}),
            )
        )
    },
    "responses": {
        422: json_response(
            {
                "anyOf": [
                    ERROR_REF,
                    obj(
                        "detail",
                        detail=obj(
                            "message", "errors", message=STRING, errors=array(FEATURE_ERROR)
                        ),
                    ),
                ]
            },
            "Tệp bị từ chối, mỗi lỗi nêu đối tượng và trường / file refused, one error per feature",
        ),
        413: json_response(ERROR_REF, "Tệp quá lớn / file too large"),
    },
}
REPORT_DOC: dict[str, Any] = {
    "responses": {
        422: json_response(
            {
                "anyOf": [
                    ERROR_REF,
                    obj("detail", detail=obj("field", "error", field=STRING, error=STRING)),
                ]
            },
            "Phản ánh không hợp lệ, nêu trường sai / invalid report, naming the field",
        ),
    },
}


async def _body(request: Request) -> bytes:
    data = await request.body()
    if len(data) > MAX_BODY:
        raise HTTPException(status_code=413, detail="Tệp quá lớn (tối đa 20 MB) / file too large")
    return data


def _agency_of(db: Session, principal: Principal, given: str | None) -> str:
    if given:
        if db.execute(select(Agency.id).where(Agency.code == given)).first() is None:
            raise HTTPException(status_code=422, detail=f"agency: không có đơn vị {given}")
        return given
    user = principal.user
    agency = db.get(Agency, user.agency_id) if user and user.agency_id else None
    return agency.code if agency else DEFAULT_AGENCY


def _refused(err: service.PlanningImportError) -> JSONResponse:
    return JSONResponse(
        {
            "detail": {
                "message": str(err),
                "errors": [e.as_dict() for e in err.errors],
            }
        },
        status_code=422,
    )


# An import action of the service: (session, actor, scope, GeoJSON, owner agency) → result.
Importer = Callable[[Session, Actor, WriteScope, bytes, str], service.ImportResult]


async def _import(
    request: Request,
    principal: Principal,
    db: Session,
    agency: str | None,
    run: Importer,
    door: str,
) -> service.ImportResult | Response:
    """Read the body and run the import for the owner agency; the 422 answer naming each bad
    feature when the file is refused (nothing stored), 403 when the caller may not write."""
    data = await _body(request)
    owner = _agency_of(db, principal, agency)
    scope = write_scope(db, principal)
    try:
        result = run(db, principal.actor, scope, data, owner)
    except service.PlanningImportError as err:
        db.rollback()
        return _refused(err)
    except NotYourData as err:
        raise forbid(db, principal, door, err) from None
    db.commit()
    return result


# What an import route answers of a stored file (its docstring describes the route).
ImportAnswer = Callable[[service.ImportResult], dict[str, Any]]


def _import_door(path: str, summary: str, run: Importer) -> Callable[[ImportAnswer], ImportAnswer]:
    """Add the import route ``path`` (``manage``, named ``import_<what>``): the body is a
    GeoJSON file that ``run`` imports for the owner agency (``agency``, else the caller's);
    the decorated function gives the answer to a stored file."""
    what = path.split("/")[1]

    def add(answer: ImportAnswer) -> ImportAnswer:
        async def import_features(
            request: Request,
            principal: Manager,
            db: DbSession,
            agency: Annotated[str | None, Query(max_length=64)] = None,
        ) -> Response:
            result = await _import(request, principal, db, agency, run, f"planning.{what}")
            if isinstance(result, Response):
                return result
            return JSONResponse(answer(result))

        import_features.__doc__ = answer.__doc__
        router.post(path, name=f"import_{what}", summary=summary, **IMPORT_DOC)(import_features)
        return answer

    return add


@_import_door("/zones/import", "Import planning zones (GeoJSON)", service.import_zones)
def _zones_imported(result: service.ImportResult) -> dict[str, Any]:
    """Zones of one or more plans; the whole file is refused when a feature is bad."""
    return {"plans": result.plans, "zones": result.zones}


@_import_door("/assets/import", "Import infrastructure assets (GeoJSON)", service.import_assets)
def _assets_imported(result: service.ImportResult) -> dict[str, Any]:
    """Points and lines with owner and status; the whole file is refused when a feature is bad."""
    return {"assets": result.assets}


def _zone(zone: PlZone, plan: PlPlan) -> dict[str, Any]:
    return {
        "zone_code": zone.zone_code,
        "land_use": zone.land_use,
        "limits": zone.limits,
        "plan": {
            "name": plan.name,
            "decision_number": plan.decision_number,
            "decision_date": plan.decision_date.isoformat(),
            "valid_from": plan.valid_from.isoformat(),
            "valid_to": plan.valid_to.isoformat() if plan.valid_to else None,
        },
    }


def _asset(asset: PlAsset, lang: str, distance: float | None = None) -> dict[str, Any]:
    out = {
        "code": asset.code,
        "kind": asset.kind,
        "kind_name": service.kind_name(asset.kind, lang),
        "name": asset.name,
        "status": asset.status,
        "status_name": service.status_name(asset.status, lang),
        "agency_code": asset.agency_code,
        "area_code": asset.area_code,
        "lat": round(asset.lat, 6),
        "lon": round(asset.lon, 6),
        "geometry": json.loads(asset.geometry),
    }
    if distance is not None:
        out["distance_m"] = round(distance, 1)
    return out


@router.get("/lookup", summary="What applies here? (commune, zones, assets within 50 m)")
def lookup(
    request: Request,
    _p: Public,
    db: DbSession,
    lat: Annotated[float, Query(ge=-90, le=90)],
    lon: Annotated[float, Query(ge=-180, le=180)],
    on: Annotated[date | None, Query(description="date the plans must be in force")] = None,
) -> JSONResponse:
    """The commune of the point, the planning zones in force there (border included) with
    their land use and limits, and the infrastructure assets within 50 m, nearest first."""
    lang = request_language(request)
    day = on or clock.now().astimezone(clock.local_zone()).date()
    try:
        check_lat_lon(lat, lon)
        commune = service.commune_at(db, lat, lon)
    except GeoError as err:
        raise HTTPException(status_code=422, detail=f"lat, lon: {err.message} / {err.en}") from None
    agencies = {a.code: a.name for a in db.execute(select(Agency)).scalars()}
    assets = []
    for asset, distance in service.assets_near(db, lat, lon):
        item = _asset(asset, lang, distance)
        item["agency_name"] = agencies.get(asset.agency_code, asset.agency_code)
        assets.append(item)
    return JSONResponse(
        {
            "lat": lat,
            "lon": lon,
            "date": day.isoformat(),
            "commune": commune,
            "zones": [_zone(z, p) for z, p in service.zones_at(db, lat, lon, day)],
            "assets": assets,
            "radius_m": service.NEARBY_M,
        }
    )


@router.get("/zones.geojson", summary="Planning zones in force (GeoJSON)")
def zones_geojson(
    _p: Public,
    db: DbSession,
    on: Annotated[date | None, Query()] = None,
) -> Response:
    """The zones of the plans in force on ``on`` (today by default)."""
    day = on or clock.now().astimezone(clock.local_zone()).date()
    rows = db.execute(
        select(PlZone, PlPlan)
        .join(PlPlan, PlPlan.id == PlZone.plan_id)
        .where(PlPlan.valid_from <= day, (PlPlan.valid_to.is_(None)) | (PlPlan.valid_to >= day))
        .order_by(PlPlan.id, PlZone.zone_code)
    ).all()
    doc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": json.loads(z.geometry), "properties": _zone(z, p)}
            for z, p in rows
        ],
    }
    return Response(json.dumps(doc, ensure_ascii=False), media_type="application/geo+json")


@router.get("/assets.geojson", summary="Infrastructure assets (GeoJSON)")
def assets_geojson(request: Request, _p: Public, db: DbSession) -> Response:
    """Every asset as a point or line with kind, status and owner."""
    lang = request_language(request)
    assets = db.execute(select(PlAsset).order_by(PlAsset.kind, PlAsset.code)).scalars()
    features = []
    for a in assets:
        props = _asset(a, lang)
        geometry = props.pop("geometry")
        features.append({"type": "Feature", "geometry": geometry, "properties": props})
    doc = {"type": "FeatureCollection", "features": features}
    return Response(json.dumps(doc, ensure_ascii=False), media_type="application/geo+json")


def _hooks(registry: Registry) -> dict[str, Any]:
    for pack in registry.packs:
        if "asset_report_submit" in pack.extra:
            return pack.extra
    return {}


def _get_asset(db: Session, code: str) -> PlAsset:
    asset = db.execute(select(PlAsset).where(PlAsset.code == code)).scalar_one_or_none()
    if asset is None:
        raise HTTPException(status_code=404, detail="Không có tài sản này / no such asset")
    return asset


@router.get("/assets/{code}", summary="One asset with its open field reports")
def asset_detail(
    code: AssetCode, request: Request, _p: Public, db: DbSession, registry: AppRegistry
) -> JSONResponse:
    """The asset, and the public view of the field reports about it that are still open."""
    lang = request_language(request)
    asset = _get_asset(db, code)
    status_fn = _hooks(registry).get("asset_report_status")
    reports = status_fn(db, service.report_codes(db, asset), lang) if status_fn else []
    body = _asset(asset, lang)
    body["open_reports"] = [r for r in reports if not r.get("closed")]
    body["closed_reports"] = len(reports) - len(body["open_reports"])
    return JSONResponse(body)


class AssetReportIn(BaseModel):
    """A citizen's report about an asset."""

    description: str = Field(default="", max_length=4000)
    reporter_name: str = Field(max_length=200)
    reporter_phone: str = Field(default="", max_length=32)
    reporter_email: str = Field(default="", max_length=200)


@router.post(
    "/assets/{code}/reports",
    summary="Report a problem with an asset",
    status_code=201,
    **REPORT_DOC,
)
def report_asset(
    code: AssetCode,
    body: AssetReportIn,
    request: Request,
    _p: Public,
    db: DbSession,
    registry: AppRegistry,
) -> JSONResponse:
    """File a field report about the asset (same checks as the public report form) and link
    it; answers the tracking code and the one-time secret."""
    if not csrf.valid(request, request.headers.get("x-csrf-token")):
        raise HTTPException(
            status_code=403, detail="Phiên biểu mẫu đã hết hạn / CSRF token invalid"
        )
    asset = _get_asset(db, code)
    hooks = _hooks(registry)
    submit = hooks.get("asset_report_submit")
    if submit is None:
        raise HTTPException(
            status_code=503, detail="Chưa bật phản ánh hiện trường / no field reports"
        )
    try:
        report_code, secret, category = submit(
            db,
            asset_kind=asset.kind,
            asset_name=f"{asset.name} ({asset.code})",
            description=body.description,
            lat=asset.lat,
            lon=asset.lon,
            reporter_name=body.reporter_name,
            reporter_phone=body.reporter_phone,
            reporter_email=body.reporter_email,
            client_key=client_address(request),
            lang=request_language(request),
        )
    except ValueError as err:
        db.rollback()
        field = getattr(err, "field", None) or "description"
        en = getattr(err, "en", "")
        retry = getattr(err, "retry_after", None)
        status = 429 if retry else 422
        headers = {"Retry-After": str(retry)} if retry else None
        return JSONResponse(
            {"detail": {"field": field, "error": f"{err} / {en}" if en else str(err)}},
            status_code=status,
            headers=headers,
        )
    service.link_report(db, asset, report_code)
    db.commit()
    return JSONResponse(
        {
            "code": report_code,
            "secret": secret,
            "category": category,
            "asset": asset.code,
            "tracking_url": f"/phan-anh/tra-cuu?ma={report_code}",
        },
        status_code=201,
    )
