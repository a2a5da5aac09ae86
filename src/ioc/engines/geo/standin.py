"""Stand-in commune cells ("ranh giới gần đúng") for a province that has not imported its
commune boundaries: the Voronoi cell of each current commune's centre, clipped to the province
outline.

A point then belongs to the commune whose centre is nearest — the best guess the approximate
centres allow, and exactly the rule the IOC used before it had polygons. The cells are computed
in a local equirectangular frame (longitude scaled by the cosine of the outline's mean latitude)
so "nearest" is measured in metres rather than degrees, then mapped back to lon/lat and
intersected with the outline. The same centres always give the same cells.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import shapely
from shapely.geometry.base import BaseGeometry

__all__ = ["standin_cells"]


def standin_cells(
    centres: Sequence[tuple[str, float, float]], outline: BaseGeometry
) -> dict[str, BaseGeometry]:
    """``{code: cell}`` for ``(code, lat, lon)`` centres, each cell clipped to ``outline``.

    A commune whose cell falls wholly outside the outline is left out; two communes sharing
    one centre share its cell (the lower code keeps it, the other is left out)."""
    by_point: dict[tuple[float, float], str] = {}
    for code, lat, lon in sorted(centres):
        by_point.setdefault((float(lon), float(lat)), code)
    if not by_point:
        return {}
    codes = list(by_point.values())
    coords = list(by_point)
    if len(coords) == 1:
        return {codes[0]: outline} if not outline.is_empty else {}
    min_x, min_y, max_x, max_y = outline.bounds
    k = math.cos(math.radians((min_y + max_y) / 2))
    points = shapely.multipoints([(x * k, y) for x, y in coords])
    margin = max(max_x - min_x, max_y - min_y)
    xs = [p[0] for p in coords] + [min_x, max_x]
    ys = [p[1] for p in coords] + [min_y, max_y]
    extent = shapely.box(
        (min(xs) - margin) * k, min(ys) - margin, (max(xs) + margin) * k, max(ys) + margin
    )
    cells = shapely.get_parts(shapely.voronoi_polygons(points, extend_to=extent, ordered=True))
    out: dict[str, BaseGeometry] = {}
    for code, cell in zip(codes, cells, strict=True):
        lonlat = shapely.transform(cell, lambda c: c / [k, 1.0])
        clipped = shapely.intersection(lonlat, outline)
        polygonal = _polygonal(clipped)
        if polygonal is not None:
            out[code] = polygonal
    return out


def _polygonal(geom: BaseGeometry) -> BaseGeometry | None:
    """The polygon parts of an intersection result (drops stray lines and points)."""
    if geom.is_empty:
        return None
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return None
    return shapely.union_all(parts)
