"""Point → commune: hand-made polygons (inside, shared border, holes, offshore) and the
stand-in cells the IOC uses until the province imports its boundaries."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from sqlalchemy.orm import Session

from ioc.engines import geo
from ioc.engines.geo.layers import outline
from ioc.engines.geo.locate import GeoError, Locator

M_PER_DEG = 6_371_008.8 * math.pi / 180

# A: a 0.1° square with two 0.02° holes; C fills the first hole, the second stays empty.
# B: the square east of A (they share the meridian 108.1).
HOLE_FILLED = shapely.box(108.04, 12.04, 108.06, 12.06)
HOLE_EMPTY = shapely.box(108.01, 12.01, 108.03, 12.03)
A = shapely.Polygon(
    shapely.box(108.0, 12.0, 108.1, 12.1).exterior.coords,
    [HOLE_FILLED.exterior.coords, HOLE_EMPTY.exterior.coords],
)
B = shapely.box(108.1, 12.0, 108.2, 12.1)
CELLS = {"10002": B, "10003": HOLE_FILLED, "10001": A}
NAMES = {"10001": "Xã A", "10002": "Xã B", "10003": "Xã C"}


def east(lat: float, lon: float, metres: float) -> float:
    """The longitude ``metres`` east of (lat, lon)."""
    return lon + metres / (M_PER_DEG * math.cos(math.radians(lat)))


@pytest.fixture(scope="module")
def locator() -> Locator:
    return Locator(CELLS, NAMES, snap_m=500)


def test_inside_a_polygon(locator: Locator) -> None:
    found = locator.locate(12.08, 108.08)
    assert (found.code, found.name, found.distance_m, found.approximate) == (
        "10001",
        "Xã A",
        0.0,
        False,
    )
    assert not found.snapped
    assert locator.locate(12.05, 108.15).code == "10002"


def test_a_shared_border_has_one_answer_whatever_the_order(locator: Locator) -> None:
    # On the meridian both polygons contain the point: the lower code wins, in any order.
    assert locator.locate(12.05, 108.1).code == "10001"
    reversed_order = Locator(dict(reversed(list(CELLS.items()))), NAMES)
    assert reversed_order.locate(12.05, 108.1).code == "10001"
    # A corner shared by A and B too; the edge of the filled hole belongs to A (lower code).
    assert locator.locate(12.1, 108.1).code == "10001"
    assert locator.locate(12.05, 108.04).code == "10001"


def test_holes_are_respected(locator: Locator) -> None:
    # In a hole filled by another commune: that commune.
    assert locator.locate(12.05, 108.05).code == "10003"
    # In the middle of an empty hole (1.1 km from its ring): nobody's.
    with pytest.raises(GeoError):
        locator.locate(12.02, 108.02)
    # Just inside the empty hole, 55 m from the ring: snapped to the polygon around it.
    near = locator.locate(12.02, east(12.02, 108.01, 55))
    assert near.code == "10001" and near.snapped
    assert near.distance_m == pytest.approx(55, abs=0.5)


def test_70_m_offshore_is_snapped_with_its_distance(locator: Locator) -> None:
    found = locator.locate(12.05, east(12.05, 108.2, 70))
    assert found.code == "10002" and found.snapped
    assert found.distance_m == pytest.approx(70, abs=0.5)


def test_5_km_offshore_is_outside_with_a_bilingual_message(locator: Locator) -> None:
    with pytest.raises(GeoError) as caught:
        locator.locate(12.05, east(12.05, 108.2, 5000))
    assert "ngoài địa bàn tỉnh" in caught.value.message
    assert "outside" in caught.value.en and "500 m" in str(caught.value)


def test_snap_distance_is_a_setting() -> None:
    strict = Locator(CELLS, NAMES, snap_m=50)
    with pytest.raises(GeoError):
        strict.locate(12.05, east(12.05, 108.2, 70))
    assert Locator(CELLS, NAMES, snap_m=0).locate(12.05, 108.15).code == "10002"


@pytest.mark.parametrize("bad", [(float("nan"), 108.0), (12.0, float("inf")), (91.0, 108.0)])
def test_invalid_numbers_are_a_geo_error(locator: Locator, bad: tuple[float, float]) -> None:
    with pytest.raises(GeoError):
        locator.locate(*bad)


def test_locate_many_agrees_with_locate(locator: Locator) -> None:
    rng = np.random.default_rng(7)
    lats = rng.uniform(11.98, 12.12, 2000)
    lons = rng.uniform(107.98, 108.22, 2000)
    many = locator.locate_many(lats, lons)
    for i in range(0, 2000, 7):
        try:
            one = locator.locate(float(lats[i]), float(lons[i]))
        except GeoError:
            assert many.code(i) is None and math.isnan(many.distance_m[i])
        else:
            assert many.code(i) == one.code
            assert round(float(many.distance_m[i]), 1) == one.distance_m
    assert 0 < many.placed < 2000


# --- stand-in cells (no boundaries imported) ------------------------------------------------


def test_stand_in_cells_place_a_commune_centre_in_its_own_commune(db: Session) -> None:
    found = geo.locate(db, 12.6756, 108.05)  # the approximate centre of phường Buôn Ma Thuột
    assert found.code == "24133" and found.name == "Phường Buôn Ma Thuột"
    assert found.approximate and found.distance_m == 0.0
    assert geo.locate(db, 13.0925, 109.3125).code == "22015"  # Phường Tuy Hòa


def test_stand_in_cells_cover_the_province_without_overlap(db: Session) -> None:
    locator = geo.current_locator(db)
    assert locator.source == "standin" and locator.approximate
    assert len(locator.codes) == 102
    cells = list(locator.cells.values())
    union = shapely.union_all(cells)
    assert shapely.symmetric_difference(union, outline()).area < 1e-9
    assert sum(c.area for c in cells) == pytest.approx(union.area, rel=1e-9)
    # Deterministic: the same centres give the same cells.
    geo.invalidate()
    again = geo.current_locator(db)
    assert again is not locator
    assert all(again.cells[c].equals(locator.cells[c]) for c in locator.codes)


def _coast(lat: float) -> float:
    """Easternmost longitude of the province outline on the parallel ``lat``."""
    line = shapely.LineString([(107.0, lat), (110.5, lat)])
    return float(shapely.intersection(outline(), line).bounds[2])


def test_stand_in_cells_offshore(db: Session) -> None:
    lat = 13.09  # Tuy Hòa's beach
    coast = _coast(lat)
    lon = east(lat, coast, 70)
    near = geo.locate(db, lat, lon)
    assert near.code == "22015" and near.snapped and near.approximate
    # 70 m east of the coast; the coast runs NNE there, so the shore is nearer than 70 m: the
    # distance is the one measured on a local metric projection of the outline.
    k = math.cos(math.radians(lat)) * M_PER_DEG
    local = shapely.transform(outline(), lambda c: (c - [lon, lat]) * [k, M_PER_DEG])
    expected = local.distance(shapely.Point(0, 0))
    assert 20 < expected <= 70
    assert near.distance_m == pytest.approx(expected, abs=0.5)
    with pytest.raises(GeoError):
        geo.locate(db, lat, east(lat, coast, 5000))


def test_commune_for_point_prefers_the_point(db: Session) -> None:
    assert geo.commune_for_point(db, 12.6756, 108.05, "24406") == "24133"
    assert geo.commune_for_point(db, None, None, "24406") == "24406"
    with pytest.raises(GeoError):
        geo.commune_for_point(db, 15.2, 108.8, "24133")  # Quảng Ngãi


def test_stand_in_locator_is_reused_until_a_commune_centre_moves(db: Session) -> None:
    from sqlalchemy import update

    from ioc.core.models import Area

    first = geo.current_locator(db)
    assert geo.current_locator(db) is first  # nothing changed: the cached cells are reused
    db.execute(update(Area).where(Area.code == "24133").values(lat=12.70))
    rebuilt = geo.current_locator(db)
    assert rebuilt is not first
    assert rebuilt.cells["24133"] != first.cells["24133"]
