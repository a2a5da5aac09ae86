"""Where a report goes: its commune (from the point, on the server) and the responsible agency.

The commune of a report is the commune of its point (:func:`place`, through
:mod:`ioc.engines.geo`: imported boundaries, or stand-in cells until the province imports
them); a commune sent with the point is only checked to exist, never trusted over the point.

Routing rules map category × commune to an agency; either side may be "any" (NULL). The
responsible agency of a report of category C in commune A is, first match wins:

1. the rule (C, A);
2. the rule (C, any commune);
3. the rule (any category, A);
4. the category's ``default_agency_code``;
5. the commune's People's Committee (``ubnd-<commune code>``, generated for every commune).

Rules are edited by administrators through :func:`set_rule` / :func:`delete_rule` (audited).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import audit
from ioc.core.models import Agency, Area
from ioc.engines import geo
from ioc.packs.field_reports.errors import FieldReportError
from ioc.packs.field_reports.models import Category, RoutingRule

__all__ = [
    "PROVINCE_BOUNDS",
    "Route",
    "check_point",
    "commune",
    "communes",
    "delete_rule",
    "distance_m",
    "place",
    "resolve_area",
    "route",
    "set_rule",
]

PROVINCE_CODE = "66"
# Bounding box of Đắk Lắk after the 2025 merger with Phú Yên (lat_min, lon_min, lat_max,
# lon_max), with a margin; points outside are refused as "not in the province".
PROVINCE_BOUNDS = (11.9, 107.2, 13.9, 109.7)
COMMUNE_LEVELS = ("commune", "ward", "special_zone")


@dataclass(frozen=True)
class Route:
    """The agency a report goes to and why (``rule``, ``category_default`` or ``commune``)."""

    agency: Agency
    reason: str
    rule_id: int | None = None


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine, mean Earth radius)."""
    r = 6_371_008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def check_point(lat: float | None, lon: float | None) -> tuple[float, float]:
    """Validate a WGS84 point inside the province; returns it as floats."""
    if lat is None or lon is None:
        raise FieldReportError(
            "Vui lòng chọn vị trí trên bản đồ hoặc lấy vị trí từ điện thoại",
            "Pick a location on the map or use the phone's position",
            field="location",
        )
    try:
        lat_f, lon_f = float(lat), float(lon)
    except (TypeError, ValueError) as exc:
        raise FieldReportError(
            "Tọa độ không hợp lệ", "Invalid coordinates", field="location"
        ) from exc
    if not (math.isfinite(lat_f) and math.isfinite(lon_f)):
        raise FieldReportError("Tọa độ không hợp lệ", "Invalid coordinates", field="location")
    lat_min, lon_min, lat_max, lon_max = PROVINCE_BOUNDS
    if not (lat_min <= lat_f <= lat_max and lon_min <= lon_f <= lon_max):
        raise FieldReportError(
            "Vị trí nằm ngoài địa bàn tỉnh Đắk Lắk",
            "The location is outside Đắk Lắk province",
            field="location",
        )
    return lat_f, lon_f


def commune(session: Session, code: str) -> Area | None:
    """The current commune/ward ``code`` of the province, or None."""
    return session.execute(
        select(Area).where(
            Area.code == code,
            Area.parent_code == PROVINCE_CODE,
            Area.level.in_(COMMUNE_LEVELS),
            Area.valid_to.is_(None),
        )
    ).scalar_one_or_none()


def communes(session: Session) -> list[Area]:
    """The province's current communes and wards, by name (without diacritics)."""
    return list(
        session.execute(
            select(Area)
            .where(
                Area.parent_code == PROVINCE_CODE,
                Area.level.in_(COMMUNE_LEVELS),
                Area.valid_to.is_(None),
            )
            .order_by(Area.name_folded)
        ).scalars()
    )


def place(session: Session, lat: float, lon: float) -> str:
    """The commune of the point (lat, lon): the one whose boundary contains it, or the nearest
    within ``IOC_GEO_SNAP_METRES``. Raises FieldReportError (field ``location``) for a point
    outside the province."""
    try:
        return geo.locate(session, lat, lon).code
    except geo.GeoError as exc:
        raise FieldReportError(
            "Vị trí nằm ngoài địa bàn tỉnh Đắk Lắk", exc.en, field="location"
        ) from exc


def resolve_area(session: Session, lat: float, lon: float) -> str | None:
    """The commune of the point (see :func:`place`), or None outside the province."""
    try:
        return geo.locate(session, lat, lon).code
    except geo.GeoError:
        return None


def _agency(session: Session, code: str) -> Agency | None:
    return session.execute(select(Agency).where(Agency.code == code)).scalar_one_or_none()


def route(session: Session, category: Category, area_code: str) -> Route:
    """The responsible agency for ``category`` in commune ``area_code`` (rules in the module
    docstring). Raises FieldReportError when nothing matches (no rule and no commune
    committee): the IOC then assigns by hand."""
    rules = session.execute(
        select(RoutingRule).where(
            (RoutingRule.category_id == category.id) | RoutingRule.category_id.is_(None),
            (RoutingRule.area_code == area_code) | RoutingRule.area_code.is_(None),
        )
    ).scalars()
    by_key = {(r.category_id is not None, r.area_code is not None): r for r in rules}
    for key in ((True, True), (True, False), (False, True)):
        rule = by_key.get(key)
        if rule is not None:
            agency = session.get(Agency, rule.agency_id)
            if agency is not None:
                return Route(agency=agency, reason="rule", rule_id=rule.id)
    if category.default_agency_code:
        agency = _agency(session, category.default_agency_code)
        if agency is not None:
            return Route(agency=agency, reason="category_default")
    agency = _agency(session, f"ubnd-{area_code}")
    if agency is not None:
        return Route(agency=agency, reason="commune")
    raise FieldReportError(
        "Không xác định được đơn vị xử lý; hãy chọn đơn vị",
        "No responsible agency found; choose one",
        field="agency",
    )


def set_rule(
    session: Session,
    actor: audit.Actor,
    *,
    category_code: str | None,
    area_code: str | None,
    agency_code: str,
) -> RoutingRule:
    """Đặt quy tắc chuyển xử lý: create or replace the rule for (category, commune); None on
    either side means "any"."""
    category_id = None
    if category_code:
        category_id = session.execute(
            select(Category.id).where(Category.code == category_code)
        ).scalar_one_or_none()
        if category_id is None:
            raise FieldReportError(
                f"Không có lĩnh vực mã {category_code}",
                f"Unknown category {category_code}",
                field="category",
            )
    if area_code and commune(session, area_code) is None:
        raise FieldReportError(
            f"Không có xã/phường mã {area_code}", f"Unknown commune {area_code}", field="area"
        )
    agency = _agency(session, agency_code)
    if agency is None:
        raise FieldReportError(
            f"Không có đơn vị mã {agency_code}", f"Unknown agency {agency_code}", field="agency"
        )
    if category_id is None and not area_code:
        raise FieldReportError(
            "Quy tắc phải gắn với một lĩnh vực hoặc một xã/phường",
            "A rule needs a category or a commune",
            field="category",
        )
    rule = session.execute(
        select(RoutingRule).where(
            RoutingRule.category_id.is_(None)
            if category_id is None
            else RoutingRule.category_id == category_id,
            RoutingRule.area_code.is_(None)
            if not area_code
            else RoutingRule.area_code == area_code,
        )
    ).scalar_one_or_none()
    before = None
    if rule is None:
        rule = RoutingRule(category_id=category_id, area_code=area_code or None)
        session.add(rule)
    else:
        before = rule.agency_id
    rule.agency_id = agency.id
    audit.record_edit(
        session,
        actor,
        rule,
        "fr.routing.set",
        "fr_routing_rule",
        category=category_code,
        area=area_code,
        agency=agency_code,
        previous_agency_id=before,
    )
    return rule


def delete_rule(session: Session, actor: audit.Actor, rule_id: int) -> None:
    """Xóa quy tắc chuyển xử lý."""
    rule = session.get(RoutingRule, rule_id)
    if rule is None:
        raise FieldReportError(f"Không có quy tắc số {rule_id}", f"No rule {rule_id}", field="rule")
    detail = {"category_id": rule.category_id, "area": rule.area_code, "agency_id": rule.agency_id}
    session.delete(rule)
    session.flush()
    audit.record(session, actor, "fr.routing.delete", "fr_routing_rule", rule_id, **detail)
