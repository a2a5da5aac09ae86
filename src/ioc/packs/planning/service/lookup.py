"""What applies at a point: the commune, the zones in force, the assets nearby; names of
asset kinds and statuses; the reports linked to an asset."""

from __future__ import annotations

import json
import math
from datetime import date
from typing import Any

import shapely
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import clock
from ioc.core.models import Area
from ioc.engines.geo import locate
from ioc.packs.planning.models import PlAsset, PlAssetReport, PlPlan, PlZone
from ioc.packs.planning.service.features import KINDS, M_PER_DEG, NEARBY_M, STATUSES


def _local_m(geom: BaseGeometry, lat0: float, lon0: float) -> BaseGeometry:
    """``geom`` in metres east and north of (``lat0``, ``lon0``): accurate enough at 50 m."""
    scale = math.cos(math.radians(lat0)) * M_PER_DEG

    def project(coords: Any) -> Any:
        out = coords.copy()
        out[:, 0] = (coords[:, 0] - lon0) * scale
        out[:, 1] = (coords[:, 1] - lat0) * M_PER_DEG
        return out

    return shapely.transform(geom, project)


def zones_at(session: Session, lat: float, lon: float, on: date) -> list[tuple[PlZone, PlPlan]]:
    """Zones in force on ``on`` whose polygon holds the point (its border included)."""
    point = Point(lon, lat)
    rows = session.execute(
        select(PlZone, PlPlan)
        .join(PlPlan, PlPlan.id == PlZone.plan_id)
        .where(
            PlZone.min_lon <= lon,
            PlZone.max_lon >= lon,
            PlZone.min_lat <= lat,
            PlZone.max_lat >= lat,
            PlPlan.valid_from <= on,
            (PlPlan.valid_to.is_(None)) | (PlPlan.valid_to >= on),
        )
        .order_by(PlPlan.decision_date.desc(), PlZone.zone_code)
    ).all()
    out = []
    for zone, plan in rows:
        geom = shape(json.loads(zone.geometry))
        # covers(): a point on the border belongs to the zone (both zones sharing that border).
        if geom.covers(point) or geom.distance(point) < 1e-9:
            out.append((zone, plan))
    return out


def assets_near(
    session: Session, lat: float, lon: float, radius_m: float = NEARBY_M
) -> list[tuple[PlAsset, float]]:
    """Assets within ``radius_m`` metres of the point (a line by its nearest part), nearest
    first."""
    dlat = radius_m / M_PER_DEG
    dlon = radius_m / (M_PER_DEG * max(0.1, math.cos(math.radians(lat))))
    rows = session.execute(
        select(PlAsset).where(
            PlAsset.min_lon <= lon + dlon,
            PlAsset.max_lon >= lon - dlon,
            PlAsset.min_lat <= lat + dlat,
            PlAsset.max_lat >= lat - dlat,
        )
    ).scalars()
    origin = Point(0.0, 0.0)
    out = []
    for asset in rows:
        local = _local_m(shape(json.loads(asset.geometry)), lat, lon)
        distance = float(local.distance(origin))
        if distance <= radius_m:
            out.append((asset, distance))
    out.sort(key=lambda x: (x[1], x[0].code))
    return out


def commune_at(session: Session, lat: float, lon: float) -> dict[str, Any]:
    """The commune of the point (raises ``GeoError`` outside the province)."""
    placement = locate(session, lat, lon)
    area = session.execute(
        select(Area).where(Area.code == placement.code, Area.valid_to.is_(None))
    ).scalar_one_or_none()
    return {
        "code": placement.code,
        "name": area.name if area else placement.name,
        "approximate": placement.approximate,
    }


def kind_name(kind: str, lang: str) -> str:
    """The asset kind's name."""
    vi, en = KINDS.get(kind, (kind, kind))
    return en if lang == "en" else vi


def status_name(status: str, lang: str) -> str:
    """The asset status's name."""
    vi, en = STATUSES.get(status, (status, status))
    return en if lang == "en" else vi


def link_report(session: Session, asset: PlAsset, report_code: str) -> None:
    """Remember that report ``report_code`` is about ``asset``."""
    found = session.execute(
        select(PlAssetReport).where(
            PlAssetReport.asset_id == asset.id, PlAssetReport.report_code == report_code
        )
    ).scalar_one_or_none()
    if found is None:
        session.add(
            PlAssetReport(asset_id=asset.id, report_code=report_code, linked_at=clock.now())
        )
        session.flush()


def report_codes(session: Session, asset: PlAsset) -> list[str]:
    """Codes of the reports linked to ``asset``."""
    return list(
        session.execute(
            select(PlAssetReport.report_code)
            .where(PlAssetReport.asset_id == asset.id)
            .order_by(PlAssetReport.linked_at.desc())
        ).scalars()
    )
