"""GeoJSON geometries of NGSI-LD ``GeoProperty`` values (RFC 7946): checked, and reduced to one
point (the station's lat/lon, the commune it lies in) when the geometry is not a Point."""

from __future__ import annotations

import math
from typing import Any

from ioc.engines.ngsi_ld.problems import bad_request

GEOMETRY_TYPES = (
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
)
#: Nesting depth of ``coordinates`` per geometry type (0 = one position).
_DEPTH = {
    "Point": 0,
    "MultiPoint": 1,
    "LineString": 1,
    "MultiLineString": 2,
    "Polygon": 2,
    "MultiPolygon": 3,
}
MAX_POSITIONS = 100_000


def _position(value: Any, where: str) -> tuple[float, float]:
    if (
        not isinstance(value, list)
        or len(value) not in (2, 3)
        or not all(isinstance(c, int | float) and not isinstance(c, bool) for c in value)
        or not all(math.isfinite(c) for c in value)
    ):
        raise bad_request(f"{where}: a position is [longitude, latitude]")
    lon, lat = float(value[0]), float(value[1])
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise bad_request(f"{where}: position {value} out of range")
    return lon, lat


def _positions(value: Any, depth: int, where: str, out: list[tuple[float, float]]) -> None:
    if depth == 0:
        out.append(_position(value, where))
        if len(out) > MAX_POSITIONS:
            raise bad_request(f"{where}: at most {MAX_POSITIONS} positions")
        return
    if not isinstance(value, list) or not value:
        raise bad_request(f"{where}: coordinates must be a non-empty array")
    for item in value:
        _positions(item, depth - 1, where, out)


def check_geometry(value: Any, where: str = "location") -> tuple[float, float]:
    """Check a GeoJSON geometry; return its representative ``(lat, lon)`` (the Point itself,
    else the centre of its bounding box)."""
    if not isinstance(value, dict) or value.get("type") not in GEOMETRY_TYPES:
        raise bad_request(f"{where}: needs a GeoJSON geometry ({', '.join(GEOMETRY_TYPES)})")
    kind = str(value["type"])
    coords: Any = value.get("coordinates")
    points: list[tuple[float, float]] = []
    _positions(coords, _DEPTH[kind], where, points)
    if kind in ("Polygon", "MultiPolygon"):
        rings = [coords] if kind == "Polygon" else coords
        for polygon in rings:
            for ring in polygon:
                if len(ring) < 4 or ring[0][:2] != ring[-1][:2]:
                    raise bad_request(f"{where}: a polygon ring has ≥ 4 positions, first = last")
    if kind in ("LineString",) and len(coords) < 2:
        raise bad_request(f"{where}: a LineString has at least 2 positions")
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    return (min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2


__all__ = ["GEOMETRY_TYPES", "check_geometry"]
