"""Point → commune: one answer for every place a point enters the IOC.

:class:`Locator` holds one polygon per commune (imported boundaries or stand-in cells) in a
shapely ``STRtree``, prepared for fast point-in-polygon tests:

* a point inside (or on the edge of) a polygon belongs to that commune; on a border shared by
  two communes, and in a sliver where two imported polygons overlap, the lower commune code
  wins, so the answer never depends on the order of the data;
* holes are respected: a point in a hole belongs to the polygon that fills the hole, if any;
* a point outside every polygon but at most ``snap_m`` metres from the nearest one (just
  offshore, in a gap between imported polygons, in an unfilled hole) belongs to the nearest;
* anything farther raises :class:`GeoError` ("outside the province").

Distances are metres on a local equirectangular projection around the point (under 0.1 %
error at the province's size), computed to the nearest point of the polygon.

:meth:`Locator.locate_many` does the same for arrays of points, vectorised (the bench places
100,000 random points); :meth:`Locator.locate` is the one-point case of it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

__all__ = ["EARTH_RADIUS_M", "GeoError", "Locator", "Placement", "Placements"]

EARTH_RADIUS_M = 6_371_008.8
_M_PER_DEG = EARTH_RADIUS_M * math.pi / 180
_NONE = np.iinfo(np.int64).max


class GeoError(ValueError):
    """A point the IOC cannot place in a commune; ``message`` in Vietnamese, ``en`` in
    English (``str()`` gives both)."""

    def __init__(self, message: str, en: str) -> None:
        super().__init__(f"{message} / {en}")
        self.message = message
        self.en = en


@dataclass(frozen=True)
class Placement:
    """The commune a point belongs to.

    ``approximate`` is true when the boundaries are approximate (stand-in cells, or a set
    imported as approximate); ``distance_m`` is 0 inside a polygon, else the distance in metres
    to the commune it was snapped to."""

    code: str
    name: str
    approximate: bool
    distance_m: float = 0.0

    @property
    def snapped(self) -> bool:
        """True when the point lies outside the polygon and was placed by proximity."""
        return self.distance_m > 0


@dataclass(frozen=True)
class Placements:
    """Results of :meth:`Locator.locate_many`: per point, the index into ``codes`` (-1 when
    the point is outside the province) and the distance in metres (0 inside, NaN outside)."""

    index: NDArray[np.int64]
    distance_m: NDArray[np.float64]
    codes: tuple[str, ...]

    def code(self, i: int) -> str | None:
        """The commune code of point ``i`` (None when outside)."""
        k = int(self.index[i])
        return None if k < 0 else self.codes[k]

    @property
    def placed(self) -> int:
        """How many points were placed in a commune."""
        return int(np.count_nonzero(self.index >= 0))


def outside_error(snap_m: float) -> GeoError:
    """The error for a point farther than ``snap_m`` from every commune."""
    return GeoError(
        f"Vị trí nằm ngoài địa bàn tỉnh Đắk Lắk (cách mọi xã/phường hơn {snap_m:g} m)",
        f"The point is outside Đắk Lắk province (more than {snap_m:g} m from every commune)",
    )


def check_lat_lon(lat: object, lon: object) -> tuple[float, float]:
    """Finite WGS84 numbers or a :class:`GeoError`."""
    try:
        lat_f, lon_f = float(lat), float(lon)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise GeoError("Tọa độ không hợp lệ", "Invalid coordinates") from exc
    if not (math.isfinite(lat_f) and math.isfinite(lon_f)):
        raise GeoError("Tọa độ không hợp lệ", "Invalid coordinates")
    if not (-90 <= lat_f <= 90 and -180 <= lon_f <= 180):
        raise GeoError(
            "Tọa độ ngoài phạm vi (vĩ độ −90…90, kinh độ −180…180)",
            "Coordinates out of range (lat −90…90, lon −180…180)",
        )
    return lat_f, lon_f


@dataclass
class Locator:
    """Commune polygons ready for point queries (build once, query from many threads).

    ``cells`` maps commune code to a Polygon/MultiPolygon in WGS84 lon/lat; ``names`` gives the
    commune names (the code when missing)."""

    cells: Mapping[str, BaseGeometry]
    names: Mapping[str, str] = field(default_factory=dict)
    approximate: bool = False
    snap_m: float = 500.0
    source: str = "imported"
    codes: tuple[str, ...] = field(init=False)
    _geoms: NDArray[Any] = field(init=False, repr=False)
    _tree: shapely.STRtree = field(init=False, repr=False)
    _zone: BaseGeometry | None = field(init=False, repr=False)
    _snap_deg: float = field(init=False, repr=False)
    # Serialised outputs built from this locator (GeoJSON of the polygons …), per process.
    outputs: dict[str, bytes] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.codes = tuple(sorted(self.cells))
        self._geoms = np.array([self.cells[c] for c in self.codes], dtype=object)
        shapely.prepare(self._geoms)
        self._tree = shapely.STRtree(self._geoms)
        self._zone = None
        self._snap_deg = 0.0
        if self.codes and self.snap_m > 0:
            # In degrees, wide enough everywhere in the province: a degree of longitude is
            # shortest at the highest latitude. Only a filter: metres decide.
            top = max(abs(g.bounds[1]) for g in self._geoms)
            top = max(top, max(abs(g.bounds[3]) for g in self._geoms))
            self._snap_deg = self.snap_m / (_M_PER_DEG * math.cos(math.radians(min(top, 89.0))))
            self._snap_deg *= 1.01
            zone = shapely.buffer(shapely.union_all(self._geoms), self._snap_deg, quad_segs=4)
            shapely.prepare(zone)
            self._zone = zone

    # -- queries ----------------------------------------------------------------------------

    def locate(self, lat: float, lon: float) -> Placement:
        """The commune of one point; raises :class:`GeoError` outside the province."""
        lat_f, lon_f = check_lat_lon(lat, lon)
        found = self.locate_many([lat_f], [lon_f])
        k = int(found.index[0])
        if k < 0:
            raise outside_error(self.snap_m)
        code = self.codes[k]
        return Placement(
            code=code,
            name=self.names.get(code, code),
            approximate=self.approximate,
            distance_m=round(float(found.distance_m[0]), 1),
        )

    def locate_many(self, lats: ArrayLike, lons: ArrayLike) -> Placements:
        """Vectorised :meth:`locate` (no exception: index -1 marks points outside)."""
        y = np.asarray(lats, dtype=np.float64).ravel()
        x = np.asarray(lons, dtype=np.float64).ravel()
        if x.shape != y.shape:
            raise ValueError("lats and lons must have the same length")
        n = x.size
        index = np.full(n, -1, dtype=np.int64)
        dist = np.full(n, np.nan, dtype=np.float64)
        if n == 0 or not self.codes:
            return Placements(index, dist, self.codes)
        finite = np.isfinite(x) & np.isfinite(y)
        pts: NDArray[np.object_] = np.asarray(
            shapely.points(np.where(finite, x, 0.0), np.where(finite, y, 0.0)), dtype=object
        )
        pts[~finite] = None
        # 1. Inside or on the edge: bounding-box candidates from the tree, then one prepared
        #    point-in-polygon test per candidate pair; the lowest code wins ties.
        pi, gi = self._tree.query(pts)
        if pi.size:
            hit = shapely.intersects_xy(self._geoms[gi], x[pi], y[pi])
            best = np.full(n, _NONE, dtype=np.int64)
            np.minimum.at(best, pi[hit], gi[hit])
            inside = best != _NONE
            index[inside] = best[inside]
            dist[inside] = 0.0
        # 2. Outside: within the snap distance of a polygon? A prepared test against the
        #    buffered union rejects far points at once; the rest are measured in metres.
        if self._zone is None:
            return Placements(index, dist, self.codes)
        rest = np.flatnonzero((index < 0) & finite)
        if rest.size == 0:
            return Placements(index, dist, self.codes)
        rest = rest[shapely.intersects_xy(self._zone, x[rest], y[rest])]
        if rest.size == 0:
            return Placements(index, dist, self.codes)
        qi, qg = self._tree.query(pts[rest], predicate="dwithin", distance=self._snap_deg)
        if qi.size == 0:
            return Placements(index, dist, self.codes)
        point_ids = rest[qi]
        lines = shapely.shortest_line(pts[point_ids], self._geoms[qg])
        ends = shapely.get_coordinates(lines).reshape(-1, 2, 2)
        metres = equirectangular_m(ends[:, 0, 1], ends[:, 0, 0], ends[:, 1, 1], ends[:, 1, 0])
        near = metres <= self.snap_m
        point_ids, qg, metres = point_ids[near], qg[near], metres[near]
        if point_ids.size == 0:
            return Placements(index, dist, self.codes)
        # Nearest first; equal distances (a point facing a shared border) → lowest code.
        order = np.lexsort((qg, metres, point_ids))
        point_ids, qg, metres = point_ids[order], qg[order], metres[order]
        first = np.ones(point_ids.size, dtype=bool)
        first[1:] = point_ids[1:] != point_ids[:-1]
        index[point_ids[first]] = qg[first]
        dist[point_ids[first]] = metres[first]
        return Placements(index, dist, self.codes)

    def point_in(self, code: str, lat: float, lon: float) -> tuple[float, float]:
        """(lat, lon) itself when it lies inside commune ``code``; otherwise the first point on
        the way from it to a point inside the commune's polygon that does. For generated data
        (the demo) that must stay in its commune whatever boundaries are loaded; a commune
        without a polygon leaves the point as it is."""
        cell = self.cells.get(code)
        if cell is None:
            return lat, lon
        target = cell.point_on_surface()
        for t in (0.0, 0.25, 0.5, 0.75):
            cand_lat = round(lat + t * (target.y - lat), 5)
            cand_lon = round(lon + t * (target.x - lon), 5)
            found = self.locate_many([cand_lat], [cand_lon])
            if found.code(0) == code and found.distance_m[0] == 0:
                return cand_lat, cand_lon
        return float(target.y), float(target.x)

    # -- output -----------------------------------------------------------------------------

    def feature_collection(self) -> dict[str, Any]:
        """The polygons as a GeoJSON FeatureCollection (``code``, ``name``, ``approximate``)."""
        features = [
            {
                "type": "Feature",
                "id": code,
                "properties": {
                    "code": code,
                    "name": self.names.get(code, code),
                    "approximate": self.approximate,
                },
                "geometry": mapping(_rounded(self.cells[code])),
            }
            for code in self.codes
        ]
        return {"type": "FeatureCollection", "features": features}


def _rounded(geom: BaseGeometry) -> BaseGeometry:
    """Coordinates to 6 decimals (about 0.1 m) for output: smaller files, same shapes."""
    return shapely.transform(geom, lambda c: np.round(c, 6))


def equirectangular_m(
    lat1: NDArray[np.float64],
    lon1: NDArray[np.float64],
    lat2: NDArray[np.float64],
    lon2: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Distances in metres from (lat1, lon1) to (lat2, lon2), projected around the first."""
    dx = (lon2 - lon1) * np.cos(np.radians(lat1)) * _M_PER_DEG
    dy = (lat2 - lat1) * _M_PER_DEG
    out: NDArray[np.float64] = np.hypot(dx, dy)
    return out
