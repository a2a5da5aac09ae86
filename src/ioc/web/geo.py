"""Public geography API: the commune of a point, and the map layers for the front end.

* ``GET /api/v1/geo/commune?lat=…&lon=…`` → ``{"code", "name", "approximate"}`` (404 outside
  the province, 422 for a missing or out-of-range number);
* ``GET /api/v1/geo/communes.geojson`` — the commune boundaries, or the stand-in cells
  (``approximate: true``) until the province imports its own;
* ``GET /api/v1/geo/outline.geojson`` — the province outline (Open Development Vietnam,
  CC BY-SA 4.0);
* ``GET /api/v1/geo/basemap.geojson`` — the main roads with their ``class`` (© OpenStreetMap
  contributors, ODbL 1.0).

Each layer carries its ``attribution``; the shipped layers never change within a release and
are served with a long ``Cache-Control``, the commune layer with an ``ETag`` so a browser
revalidates it cheaply after an import.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Annotated, Any, Final

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from ioc.engines import geo
from ioc.engines.geo import layers
from ioc.web.api_models import CommuneOfPoint, model_response
from ioc.web.deps import DbSession, Public
from ioc.web.openapi_doc import ERROR_REF, FEATURE_COLLECTION, json_response

router = APIRouter(prefix="/api/v1/geo", tags=["geo"])


GEOJSON: Final = "application/geo+json"
# The shipped layers change only with a release (their URL does not): a day in caches.
LAYER_CACHE: Final = "public, max-age=86400"
# Commune boundaries change with an import: an hour, then a cheap revalidation by ETag.
COMMUNES_CACHE: Final = "public, max-age=3600"


@router.get(
    "/commune",
    summary="Xã/phường của một điểm / the commune of a point",
    responses={
        200: model_response(CommuneOfPoint, "The commune of the point"),
        404: json_response(ERROR_REF, "Ngoài địa bàn tỉnh / outside the province"),
    },
)
def commune_of_point(
    db: DbSession,
    _p: Public,
    lat: Annotated[float, Query(ge=-90, le=90, description="Vĩ độ WGS84 / latitude")],
    lon: Annotated[float, Query(ge=-180, le=180, description="Kinh độ WGS84 / longitude")],
) -> dict[str, Any]:
    """The commune/ward the point belongs to, decided by the server's boundaries (or stand-in
    cells, then ``approximate`` is true)."""
    try:
        placement = geo.locate(db, lat, lon)
    except geo.GeoError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    return {
        "code": placement.code,
        "name": placement.name,
        "approximate": placement.approximate,
    }


# The layers are answered as application/geo+json (or 304 when the client's copy is current).
LAYER_DOC: Final[dict[str, Any]] = {
    "response_class": Response,
    "responses": {
        200: json_response(FEATURE_COLLECTION, "GeoJSON FeatureCollection", GEOJSON),
        304: {"description": "Not modified (If-None-Match names the current ETag)"},
    },
}


@lru_cache(maxsize=16)
def _etag(data: bytes) -> str:
    return '"' + hashlib.sha256(data).hexdigest()[:32] + '"'


def _geojson(request: Request, data: bytes, cache: str) -> Response:
    etag = _etag(data)
    headers = {"Cache-Control": cache, "ETag": etag}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(data, media_type=GEOJSON, headers=headers)


@router.get("/communes.geojson", summary="Ranh giới xã/phường / commune boundaries", **LAYER_DOC)
def communes_layer(request: Request, db: DbSession, _p: Public) -> Response:
    """Every current commune as a Feature (``code``, ``name``, ``approximate``)."""
    return _geojson(request, geo.communes_geojson(db), COMMUNES_CACHE)


@router.get("/outline.geojson", summary="Địa phận tỉnh / province outline", **LAYER_DOC)
def outline_layer(request: Request, _p: Public) -> Response:
    """The province outline (Open Development Vietnam, CC BY-SA 4.0)."""
    return _geojson(request, layers.outline_bytes(), LAYER_CACHE)


@router.get("/basemap.geojson", summary="Đường chính / main roads", **LAYER_DOC)
def basemap_layer(request: Request, _p: Public) -> Response:
    """Main roads with ``class`` national/provincial/district (© OpenStreetMap contributors,
    ODbL 1.0)."""
    return _geojson(request, layers.basemap_bytes(), LAYER_CACHE)
