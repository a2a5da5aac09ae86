"""Geography: the province's commune boundaries and the one point → commune function.

Every point that enters the IOC (a field report, a station, a facility, a camera, an incident,
an NGSI-LD entity) is placed in its commune here, on the server:

* :func:`locate` ``(session, lat, lon) -> Placement`` — inside a polygon, that commune; outside
  every polygon but within ``IOC_GEO_SNAP_METRES`` of one, the nearest; beyond,
  :class:`GeoError`. :func:`locate_many` is the vectorised form.
* :func:`commune_for_point` — what a write path uses: the commune of the point when there is a
  point (a different commune sent alongside is ignored), the given commune when there is none.

The polygons are the boundaries the province imported (``ioc geo import communes``, table
``commune_boundaries``) or, until then, stand-in cells: Voronoi cells of the current communes'
approximate centres clipped to the province outline, answered as ``approximate``
("ranh giới gần đúng").

It lives in ``engines`` (not ``core``) because its users are packs, the web layer, the CLI and
the NGSI-LD engine, while nothing in ``core`` needs it: ``core.entities`` stores what its
callers decide. It depends only on ``core`` (areas, database, audit) and on the shipped layers.

The locator is built once per process and database, and rebuilt when the current boundary set
changes: an import in this process drops it at once (:func:`invalidate`), and every placement
compares a cheap fingerprint of the table (row count, newest id and import time) so an import
made by another process (the CLI) is seen at the next placement.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Final, Unpack

import orjson
import shapely
from numpy.typing import ArrayLike
from shapely.geometry.base import BaseGeometry
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.core import audit
from ioc.core.communes import communes
from ioc.core.models import Area
from ioc.engines.geo import boundaries
from ioc.engines.geo.boundaries import BoundaryImportError, ImportSummary
from ioc.engines.geo.layers import outline
from ioc.engines.geo.locate import (
    GeoError,
    Locator,
    Placement,
    Placements,
    check_lat_lon,
)
from ioc.engines.geo.models import CommuneBoundary
from ioc.engines.geo.standin import standin_cells
from ioc.settings import Settings, get_settings

__all__ = [
    "APPROXIMATE_LABEL",
    "BoundaryImportError",
    "GeoError",
    "ImportSummary",
    "Locator",
    "Placement",
    "Placements",
    "commune_for_point",
    "communes_geojson",
    "configure",
    "current_locator",
    "import_boundaries",
    "invalidate",
    "locate",
    "locate_many",
]

APPROXIMATE_LABEL: Final = "ranh giới gần đúng"
APPROXIMATE_NOTE: Final = (
    "Ranh giới gần đúng: ô Voronoi quanh tâm gần đúng của xã/phường, cắt theo địa phận tỉnh; "
    "không phải ranh giới chính thức / approximate boundaries: Voronoi cells of approximate "
    "commune centres clipped to the province outline, not official boundaries"
)


@dataclass
class _Config:
    snap_m: float
    overlap_tolerance: float


_configured: _Config | None = None
_lock = threading.Lock()
_cache: dict[str, tuple[tuple[Any, ...], Locator]] = {}


def configure(settings: Settings | None) -> None:
    """Use ``settings``' ``IOC_GEO_*`` values (None: the process settings, read at first use);
    drops the cached locators."""
    global _configured
    _configured = (
        None
        if settings is None
        else _Config(float(settings.geo_snap_metres), float(settings.geo_overlap_tolerance))
    )
    invalidate()


def _config() -> _Config:
    global _configured
    if _configured is None:
        settings = get_settings()
        _configured = _Config(
            float(settings.geo_snap_metres), float(settings.geo_overlap_tolerance)
        )
    return _configured


def snap_metres() -> float:
    """The snap distance in metres (``IOC_GEO_SNAP_METRES``)."""
    return _config().snap_m


def overlap_tolerance() -> float:
    """The overlap tolerance, a fraction of the smaller commune (``IOC_GEO_OVERLAP_TOLERANCE``)."""
    return _config().overlap_tolerance


def invalidate() -> None:
    """Forget every cached locator of this process (after an import)."""
    with _lock:
        _cache.clear()


def _database_key(session: Session) -> str:
    return session.get_bind().engine.url.render_as_string(hide_password=True)


# The fingerprint's statements, built once: the check runs before every placement, and going
# through the connection rather than the ORM session halves its cost (no ORM result wrapping).
_BOUNDARY_STAMP = select(
    func.count(CommuneBoundary.id),
    func.max(CommuneBoundary.id),
    func.max(CommuneBoundary.imported_at),
).where(CommuneBoundary.valid_to.is_(None))
_CENTRES = (
    select(Area.code, Area.lat, Area.lon)
    .where(Area.valid_to.is_(None), Area.level.in_(("commune", "ward")))
    .order_by(Area.code)
)


def _fingerprint(session: Session) -> tuple[Any, ...]:
    """What the locator was built from: the boundary set's (count, newest id, import time),
    or, without boundaries, every current commune centre (code, lat, lon)."""
    connection = session.connection()
    count, newest, stamp = connection.execute(_BOUNDARY_STAMP).one()
    if count:
        return ("imported", count, newest, str(stamp), snap_metres())
    centres = tuple(tuple(row) for row in connection.execute(_CENTRES))
    return ("standin", hash(centres), snap_metres())


def current_locator(session: Session) -> Locator:
    """The locator of the session's database: imported boundaries, else stand-in cells."""
    key = _database_key(session)
    stamp = _fingerprint(session)
    with _lock:
        cached = _cache.get(key)
        if cached is not None and cached[0] == stamp:
            return cached[1]
    locator = _build(session)
    with _lock:
        _cache[key] = (stamp, locator)
    return locator


def _build(session: Session) -> Locator:
    current = communes(session)
    names = {c.code: c.name for c in current}
    rows = session.execute(
        select(CommuneBoundary.code, CommuneBoundary.geometry, CommuneBoundary.source)
        .where(CommuneBoundary.valid_to.is_(None))
        .order_by(CommuneBoundary.code)
    ).all()
    if rows:
        cells: dict[str, BaseGeometry] = {
            code: shapely.from_geojson(text) for code, text, _ in rows
        }
        approximate = any(source != "imported" for _, _, source in rows)
        return Locator(
            cells,
            names,
            approximate=approximate,
            snap_m=snap_metres(),
            source="approximate" if approximate else "imported",
        )
    centres = [(c.code, c.lat, c.lon) for c in current if c.lat is not None and c.lon is not None]
    return Locator(
        standin_cells(centres, outline()),
        names,
        approximate=True,
        snap_m=snap_metres(),
        source="standin",
    )


def locate(session: Session, lat: float, lon: float) -> Placement:
    """The commune of (lat, lon) — see :mod:`ioc.engines.geo.locate` for the rules. Raises
    :class:`GeoError` for an invalid point or one outside the province."""
    lat_f, lon_f = check_lat_lon(lat, lon)
    return current_locator(session).locate(lat_f, lon_f)


def locate_many(session: Session, lats: ArrayLike, lons: ArrayLike) -> Placements:
    """Vectorised :func:`locate`: index -1 marks points outside the province."""
    return current_locator(session).locate_many(lats, lons)


def commune_for_point(
    session: Session, lat: float | None, lon: float | None, given: str | None = None
) -> str | None:
    """The commune a record with this point belongs to.

    With a point, the point decides (``given`` is ignored when it differs) and a point outside
    the province raises :class:`GeoError`; without one, ``given`` is kept (the caller checks
    that it is a real commune)."""
    if lat is None or lon is None:
        return given
    return locate(session, lat, lon).code


def communes_geojson(session: Session) -> bytes:
    """The current commune polygons as GeoJSON bytes (``code``, ``name``, ``approximate``),
    with the attribution of what they were made from; cached with the locator."""
    locator = current_locator(session)
    cached = locator.outputs.get("communes.geojson")
    if cached is not None:
        return cached
    doc = locator.feature_collection()
    if locator.approximate:
        doc["approximate"] = True
        doc["note"] = APPROXIMATE_NOTE
        doc["attribution"] = (
            "Ranh giới gần đúng dựng từ địa phận tỉnh của Open Development Vietnam (CC BY-SA 4.0)"
            if locator.source == "standin"
            else "Ranh giới gần đúng do tỉnh cung cấp / approximate boundaries from the province"
        )
    else:
        doc["approximate"] = False
        doc["attribution"] = "Ranh giới xã/phường do UBND tỉnh Đắk Lắk cung cấp"
    data = orjson.dumps(doc)
    locator.outputs["communes.geojson"] = data
    return data


def import_boundaries(
    session: Session,
    actor: audit.Actor,
    data: bytes | str,
    **options: Unpack[boundaries.ImportOptions],
) -> ImportSummary:
    """Validate a GeoJSON FeatureCollection of commune boundaries and make it the current set
    (see :mod:`ioc.engines.geo.boundaries`); raises :class:`BoundaryImportError` listing every
    problem. The caller commits. This process's locator is dropped at once, the others see the
    new set at their next placement."""
    summary = boundaries.import_communes(
        session, actor, data, overlap_tolerance=overlap_tolerance(), **options
    )
    invalidate()
    return summary
