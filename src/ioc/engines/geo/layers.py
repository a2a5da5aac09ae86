"""The geographic layers shipped as package data (``ioc/data/geo/``, see its SOURCES.md).

* the province outline (Open Development Vietnam, CC BY-SA 4.0): clips the stand-in commune
  cells and measures the gaps of an imported boundary set;
* the main roads (© OpenStreetMap contributors, ODbL 1.0): the base map of offline maps.

Each file is read once per process; the bytes are served as they are (they carry their
``attribution`` member).
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Final

import orjson
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

DATA_PACKAGE: Final = "ioc.data"
OUTLINE_FILE: Final = "daklak_province_outline_odv.geojson"
BASEMAP_FILE: Final = "daklak_basemap.geojson"

OUTLINE_ATTRIBUTION: Final = "Open Development Vietnam – Địa phận tỉnh, CC BY-SA 4.0"
ROADS_ATTRIBUTION: Final = "© OpenStreetMap contributors (ODbL 1.0)"
ROADS_ATTRIBUTION_URL: Final = "https://www.openstreetmap.org/copyright"


def _read(name: str) -> bytes:
    return (files(DATA_PACKAGE) / "geo" / name).read_bytes()


@cache
def outline_bytes() -> bytes:
    """The province outline file as shipped (a FeatureCollection of one MultiPolygon)."""
    return _read(OUTLINE_FILE)


@cache
def basemap_bytes() -> bytes:
    """The main-roads file as shipped (MultiLineStrings with ``class``, ``ref``, ``name``)."""
    return _read(BASEMAP_FILE)


@cache
def outline() -> BaseGeometry:
    """The province outline as one prepared (Multi)Polygon in WGS84 lon/lat."""
    data = orjson.loads(outline_bytes())
    parts = [shape(f["geometry"]) for f in data["features"]]
    geom = parts[0] if len(parts) == 1 else shapely.union_all(parts)
    shapely.prepare(geom)
    return geom
