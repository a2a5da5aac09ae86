"""“Is this yours?”: open reports of the same category near a point, before sending.

Candidates are open (not closed), visible (not hidden), not themselves merged, received in
the last ``duplicate_days`` days, within the category's radius (``duplicate_radius_m``) or
the default ``IOC_FR_DUPLICATE_RADIUS_M``. They are returned as public views (no personal
data) with the distance and age, nearest first.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import clock
from ioc.packs.field_reports import public, routing, service
from ioc.packs.field_reports.models import Report

__all__ = ["nearby_open"]


def nearby_open(
    session: Session,
    category_code: str,
    lat: float,
    lon: float,
    *,
    limit: int = 5,
    lang: str = "vi",
    now: datetime | None = None,
    radius_m: float | None = None,
    days: int | None = None,
) -> list[dict[str, Any]]:
    """Open reports of ``category_code`` within the radius of (lat, lon), nearest first; each
    is a public view plus ``distance_m`` and ``age_hours``. ``now``, ``radius_m`` and
    ``days`` stand in for the clock, the category's radius and the policy's days."""
    pol = service.policy()
    category = service.get_category(session, category_code)
    lat_f, lon_f = routing.check_point(lat, lon)
    now = now or clock.now()
    radius = float(radius_m or category.duplicate_radius_m or pol.duplicate_radius_m)
    since = now - timedelta(days=days or pol.duplicate_days)
    # Bounding box first (uses the index on category/closed/received), exact distance after.
    dlat = radius / 111_320.0
    dlon = radius / (111_320.0 * max(math.cos(math.radians(lat_f)), 0.01))
    rows = session.execute(
        select(Report).where(
            Report.category_id == category.id,
            Report.closed.is_(False),
            Report.hidden.is_(False),
            Report.merged_into_id.is_(None),
            Report.received_at >= since,
            Report.lat.between(lat_f - dlat, lat_f + dlat),
            Report.lon.between(lon_f - dlon, lon_f + dlon),
        )
    ).scalars()
    found: list[tuple[float, Report]] = []
    for report in rows:
        d = routing.distance_m(lat_f, lon_f, report.lat, report.lon)
        if d <= radius:
            found.append((d, report))
    found.sort(key=lambda item: (item[0], item[1].id))
    out = []
    for d, report in found[: max(1, limit)]:
        view = public.public_report(session, report, lang)
        view["distance_m"] = round(d)
        view["age_hours"] = round((now - report.received_at).total_seconds() / 3600, 1)
        out.append(view)
    return out
