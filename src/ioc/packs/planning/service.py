"""Planning zones and infrastructure assets: GeoJSON import validated feature by feature, and
"what applies here?" for a point (commune, zones in force and their land use and limits,
assets within 50 m).

Zone features (properties in Vietnamese or English): ``ten_do_an``/``plan_name``,
``so_quyet_dinh``/``decision_number``, ``ngay_quyet_dinh``/``decision_date`` (ISO or
dd/mm/yyyy), optional ``hieu_luc_tu``/``valid_from`` (default: the decision date) and
``hieu_luc_den``/``valid_to``, ``ma_khu``/``zone_code``, ``chuc_nang``/``land_use`` and the
limits ``mat_do_xay_dung``/``density`` (%), ``chieu_cao_toi_da``/``max_height`` (m),
``tang_cao_toi_da``/``max_floors``, ``he_so_su_dung_dat``/``far``,
``dien_tich_lo_toi_thieu``/``min_lot`` (m²). Geometry: Polygon or MultiPolygon in the province.
Several plans may come in one file (grouped by decision number); importing a plan again
replaces its zones.

Asset features: ``ma``/``code``, ``loai``/``kind`` (:data:`KINDS`), ``ten``/``name``,
``don_vi_quan_ly``/``agency`` (agency code; default the importer's agency),
``trang_thai``/``status`` (:data:`STATUSES`); geometry Point or LineString in the province.

An import is atomic: any bad feature refuses the whole file, every error naming the feature
(its number and code) and the field.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import shapely
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ioc.core import audit, clock
from ioc.core.models import Agency, Area
from ioc.core.ownership import WriteScope
from ioc.engines.geo import locate
from ioc.engines.geo.locate import GeoError
from ioc.packs.planning.models import PlAsset, PlAssetReport, PlPlan, PlZone

NEARBY_M = 50.0
M_PER_DEG = 111_320.0
# The province's bounding box (Đắk Lắk after the 2025 merger), with a small margin.
BOUNDS = (107.4, 12.1, 109.6, 13.8)  # min lon, min lat, max lon, max lat
MAX_FEATURES = 20000

KINDS: dict[str, tuple[str, str]] = {
    "street_light": ("Đèn chiếu sáng công cộng", "Street light"),
    "drainage": ("Cống, mương thoát nước", "Drainage"),
    "water_supply": ("Đường ống cấp nước", "Water supply main"),
    "public_toilet": ("Nhà vệ sinh công cộng", "Public toilet"),
    "bin": ("Thùng rác công cộng", "Public waste bin"),
    "traffic_sign": ("Biển báo giao thông", "Traffic sign"),
    "tree": ("Cây xanh đô thị", "Street tree"),
}
KIND_ALIASES = {
    "den-chieu-sang": "street_light",
    "thoat-nuoc": "drainage",
    "cap-nuoc": "water_supply",
    "nha-ve-sinh": "public_toilet",
    "thung-rac": "bin",
    "bien-bao": "traffic_sign",
    "cay-xanh": "tree",
}
STATUSES: dict[str, tuple[str, str]] = {
    "working": ("Đang hoạt động", "Working"),
    "broken": ("Hư hỏng", "Broken"),
    "maintenance": ("Đang bảo trì", "Under maintenance"),
    "retired": ("Ngừng sử dụng", "Retired"),
}
STATUS_ALIASES = {
    "hoat-dong": "working",
    "hu-hong": "broken",
    "bao-tri": "maintenance",
    "ngung-su-dung": "retired",
}
LIMITS: dict[str, tuple[tuple[str, ...], float, float | None, bool]] = {
    # name: (property names, minimum, maximum, integer)
    "density": (("mat_do_xay_dung", "density"), 0.0, 100.0, False),
    "max_height": (("chieu_cao_toi_da", "max_height"), 0.0, 1000.0, False),
    "max_floors": (("tang_cao_toi_da", "max_floors"), 0.0, 200.0, True),
    "far": (("he_so_su_dung_dat", "far"), 0.0, 100.0, False),
    "min_lot": (("dien_tich_lo_toi_thieu", "min_lot"), 0.0, None, False),
}


@dataclass(frozen=True)
class FeatureError:
    """One problem of one feature: its number (1-based), code if known, field, message."""

    feature: int
    code: str | None
    field: str
    vi: str
    en: str

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "feature": self.feature,
            "code": self.code,
            "field": self.field,
            "error": f"{self.vi} / {self.en}",
        }


class PlanningImportError(ValueError):
    """A file refused: ``errors`` name each bad feature (or feature 0 for the file itself)."""

    def __init__(self, errors: list[FeatureError]) -> None:
        first = errors[0]
        super().__init__(
            f"Tệp bị từ chối: {len(errors)} lỗi, đầu tiên ở đối tượng {first.feature}"
            f" ({first.field}): {first.vi}"
        )
        self.errors = errors


@dataclass
class ImportResult:
    """What an import stored."""

    plans: list[str] = field(default_factory=list)
    zones: int = 0
    assets: int = 0


# --------------------------------------------------------------------------- reading
def _features(data: bytes | str) -> list[Any]:
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise PlanningImportError(
            [FeatureError(0, None, "file", "Tệp không phải JSON hợp lệ", "not valid JSON")]
        ) from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise PlanningImportError(
            [
                FeatureError(
                    0,
                    None,
                    "type",
                    "Cần một FeatureCollection GeoJSON",
                    "expected a FeatureCollection",
                )
            ]
        )
    feats = doc.get("features")
    if not isinstance(feats, list) or not feats:
        raise PlanningImportError(
            [FeatureError(0, None, "features", "Tệp không có đối tượng nào", "no features")]
        )
    if len(feats) > MAX_FEATURES:
        raise PlanningImportError(
            [
                FeatureError(
                    0,
                    None,
                    "features",
                    f"Quá {MAX_FEATURES} đối tượng",
                    f"more than {MAX_FEATURES} features",
                )
            ]
        )
    return feats


def _prop(props: dict[str, Any], names: tuple[str, ...]) -> Any:
    for n in names:
        if props.get(n) not in (None, ""):
            return props[n]
    return None


def _date(value: Any) -> date | None:
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    return None


def _geometry(
    n: int, code: str | None, raw: Any, kinds: tuple[str, ...], errors: list[FeatureError]
) -> BaseGeometry | None:
    if not isinstance(raw, dict) or raw.get("type") not in kinds:
        errors.append(
            FeatureError(
                n,
                code,
                "geometry",
                f"Hình phải là {' hoặc '.join(kinds)}",
                f"geometry must be {' or '.join(kinds)}",
            )
        )
        return None
    try:
        geom = shape(raw)
    except (ValueError, TypeError, AttributeError, IndexError):
        errors.append(
            FeatureError(n, code, "geometry", "Tọa độ không đọc được", "unreadable coordinates")
        )
        return None
    if geom.is_empty or not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        errors.append(
            FeatureError(
                n, code, "geometry", f"Hình không hợp lệ ({reason})", f"invalid geometry ({reason})"
            )
        )
        return None
    minx, miny, maxx, maxy = geom.bounds
    if minx < BOUNDS[0] or miny < BOUNDS[1] or maxx > BOUNDS[2] or maxy > BOUNDS[3]:
        errors.append(
            FeatureError(
                n,
                code,
                "geometry",
                "Hình nằm ngoài tỉnh Đắk Lắk (tọa độ phải là kinh độ, vĩ độ WGS84)",
                "geometry outside the province (coordinates must be WGS84 lon, lat)",
            )
        )
        return None
    return geom


# --------------------------------------------------------------------------- zones
@dataclass
class _Zone:
    plan_key: str
    plan: dict[str, Any]
    zone_code: str
    land_use: str
    limits: dict[str, float]
    geom: BaseGeometry


def _check_zone(n: int, raw: Any, errors: list[FeatureError]) -> _Zone | None:
    if not isinstance(raw, dict) or raw.get("type") != "Feature":
        errors.append(FeatureError(n, None, "type", "Không phải một Feature", "not a Feature"))
        return None
    props = raw.get("properties") or {}
    if not isinstance(props, dict):
        errors.append(FeatureError(n, None, "properties", "Thiếu thuộc tính", "no properties"))
        return None
    before = len(errors)
    code = _prop(props, ("ma_khu", "zone_code"))
    code = str(code).strip()[:64] if code is not None else None
    required = {
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
    values: dict[str, Any] = {}
    for key, (names, vi, en) in required.items():
        value = _prop(props, names)
        if value is None:
            errors.append(FeatureError(n, code, names[0], f"Thiếu {vi}", f"missing {en}"))
        values[key] = value
    dates: dict[str, date | None] = {}
    for key, names in (
        ("decision_date", ("ngay_quyet_dinh", "decision_date")),
        ("valid_from", ("hieu_luc_tu", "valid_from")),
        ("valid_to", ("hieu_luc_den", "valid_to")),
    ):
        value = _prop(props, names)
        if value is None:
            dates[key] = None
            continue
        parsed = _date(value)
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
    limits: dict[str, float] = {}
    for limit, (limit_names, low, high, integer) in LIMITS.items():
        value = _prop(props, limit_names)
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
    geom = _geometry(n, code, raw.get("geometry"), ("Polygon", "MultiPolygon"), errors)
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
    feats = _features(data)
    errors: list[FeatureError] = []
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
    if errors:
        raise PlanningImportError(errors)
    now = clock.now()
    result = ImportResult()
    for key, info in plans.items():
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
        for z in (z for z in zones if z.plan_key == key):
            minx, miny, maxx, maxy = z.geom.bounds
            session.add(
                PlZone(
                    plan_id=plan.id,
                    zone_code=z.zone_code,
                    land_use=z.land_use,
                    limits=z.limits,
                    geometry=json.dumps(shapely.geometry.mapping(z.geom)),
                    min_lon=minx,
                    min_lat=miny,
                    max_lon=maxx,
                    max_lat=maxy,
                )
            )
            result.zones += 1
        result.plans.append(info["decision_number"])
        audit.record(
            session,
            actor,
            "planning.import_zones",
            "pl_plan",
            str(plan.id),
            decision=info["decision_number"],
            zones=sum(1 for z in zones if z.plan_key == key),
        )
    session.flush()
    return result


# --------------------------------------------------------------------------- assets
def import_assets(
    session: Session,
    actor: audit.Actor,
    scope: WriteScope,
    data: bytes | str,
    default_agency: str | None,
) -> ImportResult:
    """Validate every feature, then insert or update the assets (by code). Each asset's owner
    agency must be one the caller writes for; its commune is placed from its point."""
    feats = _features(data)
    agencies = set(session.execute(select(Agency.code)).scalars())
    errors: list[FeatureError] = []
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for n, raw in enumerate(feats, start=1):
        if not isinstance(raw, dict) or raw.get("type") != "Feature":
            errors.append(FeatureError(n, None, "type", "Không phải một Feature", "not a Feature"))
            continue
        props = raw.get("properties") or {}
        if not isinstance(props, dict):
            errors.append(FeatureError(n, None, "properties", "Thiếu thuộc tính", "no properties"))
            continue
        before = len(errors)
        code_raw = _prop(props, ("ma", "code"))
        code = str(code_raw).strip()[:64] if code_raw is not None else None
        if not code:
            errors.append(FeatureError(n, None, "ma", "Thiếu mã tài sản", "missing asset code"))
        elif code in seen:
            errors.append(
                FeatureError(
                    n,
                    code,
                    "ma",
                    f"Mã trùng với đối tượng {seen[code]}",
                    f"code repeats feature {seen[code]}",
                )
            )
        kind_raw = str(_prop(props, ("loai", "kind")) or "").strip()
        kind = KIND_ALIASES.get(kind_raw, kind_raw)
        if kind not in KINDS:
            errors.append(
                FeatureError(
                    n,
                    code,
                    "loai",
                    f"Loại tài sản không hợp lệ: {kind_raw[:40] or '(trống)'}",
                    f"kind must be one of {', '.join(KINDS)}",
                )
            )
        status_raw = str(_prop(props, ("trang_thai", "status")) or "working").strip()
        status = STATUS_ALIASES.get(status_raw, status_raw)
        if status not in STATUSES:
            errors.append(
                FeatureError(
                    n,
                    code,
                    "trang_thai",
                    f"Trạng thái không hợp lệ: {status_raw[:40]}",
                    f"status must be one of {', '.join(STATUSES)}",
                )
            )
        agency = str(_prop(props, ("don_vi_quan_ly", "agency")) or default_agency or "").strip()
        if agency not in agencies:
            errors.append(
                FeatureError(
                    n,
                    code,
                    "don_vi_quan_ly",
                    f"Đơn vị quản lý không có: {agency[:64] or '(trống)'}",
                    "unknown owner agency",
                )
            )
        elif not scope.may_agency(agency):
            errors.append(
                FeatureError(
                    n,
                    code,
                    "don_vi_quan_ly",
                    f"Không được ghi tài sản của đơn vị khác: {agency}",
                    "you may not write assets of another agency",
                )
            )
        geom = _geometry(n, code, raw.get("geometry"), ("Point", "LineString"), errors)
        area: str | None = None
        anchor: Point | None = None
        if geom is not None:
            anchor = geom if isinstance(geom, Point) else geom.interpolate(0.5, normalized=True)
            try:
                area = locate(session, anchor.y, anchor.x).code
            except GeoError as exc:
                errors.append(FeatureError(n, code, "geometry", exc.message, exc.en))
        if len(errors) > before or geom is None or anchor is None or not code:
            continue
        seen[code] = n
        name = str(_prop(props, ("ten", "name")) or f"{KINDS[kind][0]} {code}").strip()[:300]
        extra = {
            k: v
            for k, v in props.items()
            if k
            not in {
                "ma",
                "code",
                "loai",
                "kind",
                "ten",
                "name",
                "don_vi_quan_ly",
                "agency",
                "trang_thai",
                "status",
            }
            and isinstance(v, str | int | float | bool)
        }
        rows.append(
            {
                "code": code,
                "kind": kind,
                "name": name,
                "agency_code": agency,
                "status": status,
                "area_code": area,
                "geom": geom,
                "lat": anchor.y,
                "lon": anchor.x,
                "attributes": extra,
            }
        )
    if errors:
        raise PlanningImportError(errors)
    existing = {
        a.code: a
        for a in session.execute(
            select(PlAsset).where(PlAsset.code.in_([r["code"] for r in rows]))
        ).scalars()
    }
    stale = [
        FeatureError(
            seen[c], c, "ma", f"Tài sản {c} thuộc đơn vị khác", "asset owned by another agency"
        )
        for c, a in existing.items()
        if not scope.may_agency(a.agency_code)
    ]
    if stale:
        raise PlanningImportError(stale)
    now = clock.now()
    for r in rows:
        asset = existing.get(r["code"])
        if asset is None:
            asset = PlAsset(code=r["code"])
            session.add(asset)
        geom = r.pop("geom")
        minx, miny, maxx, maxy = geom.bounds
        for key, value in r.items():
            setattr(asset, key, value)
        asset.geometry = json.dumps(shapely.geometry.mapping(geom))
        asset.min_lon, asset.min_lat, asset.max_lon, asset.max_lat = minx, miny, maxx, maxy
        asset.updated_at = now
        asset.updated_by = actor.label
    audit.record(session, actor, "planning.import_assets", "pl_asset", None, assets=len(rows))
    session.flush()
    return ImportResult(assets=len(rows))


# --------------------------------------------------------------------------- lookup
def _local_m(geom: BaseGeometry, lat0: float, lon0: float) -> BaseGeometry:
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
