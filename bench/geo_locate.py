"""Point → commune benchmark (``run_geo``): how fast the server places points in communes.

A fresh SQLite database gets the reference data (no commune boundaries imported), so the
locator is built from the stand-in cells (Voronoi cells of the 102 approximate commune centres
clipped to the province outline, about 2,500 vertices). Then 100,000 random points, uniform in
the bounding box of the province outline (seeded), are placed with one vectorised
``locate_many`` call: inside a cell, snapped within ``IOC_GEO_SNAP_METRES`` (500 m), or outside
(about half the box is another province or the sea). Best of three. Aim: ≥ 50,000 points/s.

Also: the time to build the stand-in cells and the locator, and the cost of one
``geo.locate(session, lat, lon)`` call as a write path pays it (the database fingerprint check
included).

Keys written (all prefixed ``geo_``): ``points``, ``points_per_s``, ``ratio_to_aim``,
``placed_share``, ``snapped``, ``build_ms``, ``locate_one_us``.

Standalone: ``.venv/bin/python bench/geo_locate.py [--quick]``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from ioc.app import prepare
from ioc.core.db import make_engine
from ioc.engines import geo
from ioc.engines.geo.layers import outline
from ioc.settings import Settings

AIM_POINTS_PER_S = 50_000


def run_geo(tmp: Path, results: dict[str, Any], quick: bool) -> None:
    """Measure point → commune placement; write ``geo_*`` keys."""
    n = 100_000
    db = tmp / "geo.db"
    settings = Settings(env="test", database_url=f"sqlite:///{db}", scheduler="off")
    engine = make_engine(settings.database_url)
    factory = prepare(settings, engine)
    try:
        with factory() as session:
            geo.invalidate()
            t0 = time.perf_counter()
            locator = geo.current_locator(session)
            build = time.perf_counter() - t0
            min_lon, min_lat, max_lon, max_lat = outline().bounds
            rng = np.random.default_rng(66)
            lats = rng.uniform(min_lat, max_lat, n)
            lons = rng.uniform(min_lon, max_lon, n)
            best = float("inf")
            for _ in range(1 if quick else 3):
                t0 = time.perf_counter()
                found = locator.locate_many(lats, lons)
                best = min(best, time.perf_counter() - t0)
            calls = 200 if quick else 2000
            t0 = time.perf_counter()
            for i in range(calls):
                with contextlib.suppress(geo.GeoError):
                    geo.locate(session, float(lats[i]), float(lons[i]))
            one = (time.perf_counter() - t0) / calls
    finally:
        engine.dispose()
    rate = n / best
    results["geo_points"] = n
    results["geo_points_per_s"] = round(rate)
    results["geo_ratio_to_aim"] = round(rate / AIM_POINTS_PER_S, 2)
    results["geo_placed_share"] = round(found.placed / n, 3)
    results["geo_snapped"] = int(np.count_nonzero(found.distance_m > 0))
    results["geo_build_ms"] = round(build * 1000, 1)
    results["geo_locate_one_us"] = round(one * 1e6)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as d:
        run_geo(Path(d), out, args.quick)
    print(json.dumps(out, indent=2))
