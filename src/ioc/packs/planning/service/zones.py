"""Import of planning zones: the plans (by decision number) and their zones with land use
and building limits; a plan imported again has its zones replaced."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ioc.core import audit, clock
from ioc.core.ownership import WriteScope
from ioc.engines.actions_kit import same_named
from ioc.packs.planning.models import PlPlan, PlZone
from ioc.packs.planning.service.features import (
    LIMITS,
    FeatureError,
    ImportResult,
    PlanningImportError,
    check_geometry,
    feature_properties,
    first_prop,
    parse_date,
    read_features,
)


@dataclass
class _Zone:
    plan_key: str
    plan: dict[str, Any]
    zone_code: str
    land_use: str
    limits: dict[str, float]
    geom: BaseGeometry


# Required zone properties: key → (property names, Vietnamese label, English label).
_REQUIRED: dict[str, tuple[tuple[str, ...], str, str]] = {
    "zone_code": (("ma_khu", "zone_code"), "mã khu", "zone code"),
    "plan_name": (("ten_do_an", "plan_name"), "tên đồ án", "plan name"),
    "decision_number": (
        ("so_quyet_dinh", "decision_number"),
        "số quyết định",
        "decision number",
    ),
    "decision_date": (("ngay_quyet_dinh", "decision_date"), "ngày quyết định", "decision date"),
    "land_use": (("chuc_nang", "land_use"), "chức năng sử dụng đất", "land use"),
}
_DATES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("decision_date", ("ngay_quyet_dinh", "decision_date")),
    ("valid_from", ("hieu_luc_tu", "valid_from")),
    ("valid_to", ("hieu_luc_den", "valid_to")),
)


def _zone_dates(
    n: int, code: str | None, props: dict[str, Any], errors: list[FeatureError]
) -> dict[str, date | None]:
    """The decision date and the validity of a zone's plan (None when absent); an unreadable
    date, or a validity ending before it starts, is added to ``errors``."""
    dates: dict[str, date | None] = {}
    for key, names in _DATES:
        value = first_prop(props, names)
        if value is None:
            dates[key] = None
            continue
        parsed = parse_date(value)
        if parsed is None:
            errors.append(
                FeatureError(
                    n,
                    code,
                    names[0],
                    f"Ngày không hợp lệ: {str(value)[:40]}",
                    "invalid date (YYYY-MM-DD or dd/mm/yyyy)",
                )
            )
        dates[key] = parsed
    start = dates["valid_from"] or dates["decision_date"]
    if start and dates["valid_to"] and dates["valid_to"] < start:
        errors.append(
            FeatureError(
                n,
                code,
                "hieu_luc_den",
                "Hết hiệu lực trước khi có hiệu lực",
                "valid_to before valid_from",
            )
        )
    return dates


def _zone_limits(
    n: int, code: str | None, props: dict[str, Any], errors: list[FeatureError]
) -> dict[str, float]:
    """The zone's building limits (:data:`LIMITS`) given; a value out of its range is added
    to ``errors``."""
    limits: dict[str, float] = {}
    for limit, (limit_names, low, high, integer) in LIMITS.items():
        value = first_prop(props, limit_names)
        if value is None:
            continue
        try:
            number = float(str(value).replace(",", "."))
        except ValueError:
            number = math.nan
        if (
            not math.isfinite(number)
            or number < low
            or (high is not None and number > high)
            or (integer and not number.is_integer())
        ):
            bound = f"{low:g}–{high:g}" if high is not None else f"≥ {low:g}"
            errors.append(
                FeatureError(
                    n,
                    code,
                    limit_names[0],
                    f"Giá trị phải là số {bound}: {str(value)[:40]}",
                    f"must be a number {bound}",
                )
            )
            continue
        limits[limit] = int(number) if integer else number
    return limits


def _check_zone(n: int, raw: Any, errors: list[FeatureError]) -> _Zone | None:
    """Feature ``n`` as a zone of its plan, or None with its problems added to ``errors``."""
    props = feature_properties(n, raw, errors)
    if props is None:
        return None
    before = len(errors)
    code = first_prop(props, ("ma_khu", "zone_code"))
    code = str(code).strip()[:64] if code is not None else None
    values: dict[str, Any] = {}
    for key, (names, vi, en) in _REQUIRED.items():
        value = first_prop(props, names)
        if value is None:
            errors.append(FeatureError(n, code, names[0], f"Thiếu {vi}", f"missing {en}"))
        values[key] = value
    dates = _zone_dates(n, code, props, errors)
    start = dates["valid_from"] or dates["decision_date"]
    limits = _zone_limits(n, code, props, errors)
    geom = check_geometry(n, code, raw.get("geometry"), ("Polygon", "MultiPolygon"), errors)
    if len(errors) > before or geom is None or code is None:
        return None
    decision = str(values["decision_number"]).strip()[:100]
    plan = {
        "name": str(values["plan_name"]).strip()[:500],
        "decision_number": decision,
        "decision_date": dates["decision_date"],
        "valid_from": start,
        "valid_to": dates["valid_to"],
    }
    return _Zone(decision.lower(), plan, code, str(values["land_use"]).strip()[:200], limits, geom)


def _checked_zones(
    feats: list[Any], errors: list[FeatureError]
) -> tuple[list[_Zone], dict[str, dict[str, Any]]]:
    """The zones of the file and their plans by key; a zone code repeated within a plan, or
    one decision number with two different plans, is added to ``errors``."""
    zones: list[_Zone] = []
    seen: dict[tuple[str, str], int] = {}
    plans: dict[str, dict[str, Any]] = {}
    for n, raw in enumerate(feats, start=1):
        zone = _check_zone(n, raw, errors)
        if zone is None:
            continue
        pair = (zone.plan_key, zone.zone_code)
        if pair in seen:
            errors.append(
                FeatureError(
                    n,
                    zone.zone_code,
                    "ma_khu",
                    f"Mã khu trùng với đối tượng {seen[pair]}",
                    f"zone code repeats feature {seen[pair]}",
                )
            )
            continue
        seen[pair] = n
        known = plans.setdefault(zone.plan_key, zone.plan)
        if known != zone.plan:
            errors.append(
                FeatureError(
                    n,
                    zone.zone_code,
                    "so_quyet_dinh",
                    "Cùng số quyết định nhưng tên, ngày hoặc hiệu lực khác",
                    "same decision number with another name, date or validity",
                )
            )
            continue
        zones.append(zone)
    return zones, plans


def import_zones(
    session: Session,
    actor: audit.Actor,
    scope: WriteScope,
    data: bytes | str,
    agency_code: str,
) -> ImportResult:
    """Validate every feature, then store the plans and their zones (a plan imported again has
    its zones replaced). Raises :class:`PlanningImportError` naming each bad feature, or
    ``NotYourData`` when the caller may not write for ``agency_code``."""
    scope.check_owner(agency_code, what="quy hoạch")
    feats = read_features(data)
    errors: list[FeatureError] = []
    zones, plans = _checked_zones(feats, errors)
    if errors:
        raise PlanningImportError(errors)
    now = clock.now()
    result = ImportResult()
    for key, info in plans.items():
        plan_zones = [z for z in zones if z.plan_key == key]
        _store_plan(session, actor, scope, key, info, plan_zones, agency_code, now)
        result.zones += len(plan_zones)
        result.plans.append(info["decision_number"])
    session.flush()
    return result


def _store_plan(
    session: Session,
    actor: audit.Actor,
    scope: WriteScope,
    key: str,
    info: dict[str, Any],
    zones: list[_Zone],
    agency_code: str,
    now: datetime,
) -> None:
    """Store one plan and its zones (replacing the zones of a plan imported before)."""
    plan = session.execute(select(PlPlan).where(PlPlan.code == key)).scalar_one_or_none()
    if plan is not None:
        scope.check_owner(plan.agency_code, what="quy hoạch")
        session.execute(delete(PlZone).where(PlZone.plan_id == plan.id))
    else:
        plan = PlPlan(code=key)
        session.add(plan)
    plan.name = info["name"]
    plan.decision_number = info["decision_number"]
    plan.decision_date = info["decision_date"]
    plan.valid_from = info["valid_from"]
    plan.valid_to = info["valid_to"]
    plan.agency_code = agency_code
    plan.imported_at = now
    plan.imported_by = actor.label
    session.flush()
    for z in zones:
        minx, miny, maxx, maxy = z.geom.bounds
        session.add(
            PlZone(
                plan_id=plan.id,
                **same_named(z, "zone_code land_use limits"),
                geometry=json.dumps(shapely.geometry.mapping(z.geom)),
                min_lon=minx,
                min_lat=miny,
                max_lon=maxx,
                max_lat=maxy,
            )
        )
    audit.record(
        session,
        actor,
        "planning.import_zones",
        "pl_plan",
        str(plan.id),
        decision=info["decision_number"],
        zones=len(zones),
    )
