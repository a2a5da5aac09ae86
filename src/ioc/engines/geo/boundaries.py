"""Import of the province's commune boundaries (``ioc geo import communes FILE``).

The file is a GeoJSON FeatureCollection in WGS84 lon/lat, one feature per commune/ward keyed
by its 5-digit code in a property named ``code``, ``ma_xa``, ``ma`` or ``MA_XA``. The whole
file is refused on any error, each message naming the feature (``features[i]`` and its code):

* a code that is not a current commune/ward of the province, or that appears twice;
* a geometry that is not a valid Polygon/MultiPolygon (shapely's ``explain_validity``), or
  whose coordinates are not lon/lat degrees (a VN-2000 file in metres, swapped axes);
* two communes that overlap by more than ``IOC_GEO_OVERLAP_TOLERANCE`` of the smaller one.

Warnings do not stop the import: current communes without a boundary, the area of the province
outline no boundary covers (gaps), boundary area outside the outline. On success the previous
set is closed (``valid_to`` = the new ``valid_from``) and the new one becomes current; every
process picks it up at its next placement (see :func:`ioc.engines.geo.current_locator`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final, TypedDict

import orjson
import shapely
from shapely.errors import ShapelyError
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ioc.core import audit, clock
from ioc.core.communes import communes
from ioc.engines.geo.layers import outline
from ioc.engines.geo.locate import EARTH_RADIUS_M
from ioc.engines.geo.models import BBOX_COLUMNS, CommuneBoundary

__all__ = [
    "CODE_KEYS",
    "SOURCES",
    "BoundaryImportError",
    "ImportSummary",
    "Progress",
    "area_km2",
    "current_rows",
    "import_communes",
]

CODE_KEYS: Final = ("code", "ma_xa", "ma", "MA_XA")
SOURCES: Final = ("imported", "approximate")
MAX_PROBLEMS: Final = 200
_CODE = re.compile(r"^\d{5}$")
_KM2_PER_DEG2 = (EARTH_RADIUS_M * math.pi / 180 / 1000) ** 2
_WGS84_NAMES = ("4326", "CRS84", "WGS84", "WGS 84")
# Plausible lon/lat ranges around Vietnam: a file outside them is in another CRS or swapped.
_LON_VN = (100.0, 120.0)
_LAT_VN = (0.0, 30.0)

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: stage ``"check"`` per feature, ``"overlap"`` per pair of
neighbouring communes, ``"save"`` per stored row."""


class BoundaryImportError(ValueError):
    """The file was refused; ``problems`` lists every reason, each naming its feature."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems[:5]))
        self.problems = list(problems)


@dataclass
class ImportSummary:
    """What an import stored and what it warns about."""

    imported: int
    replaced: int
    valid_from: date
    source: str
    total_km2: float
    gap_km2: float
    gap_share: float
    outside_km2: float
    missing: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def area_km2(geom: BaseGeometry) -> float:
    """Approximate area in km² of a lon/lat geometry (degrees² scaled at its mid latitude)."""
    if geom.is_empty:
        return 0.0
    _, min_y, _, max_y = geom.bounds
    return float(geom.area) * _KM2_PER_DEG2 * math.cos(math.radians((min_y + max_y) / 2))


def current_rows(session: Session) -> list[CommuneBoundary]:
    """The current boundary set (``valid_to`` NULL), by code."""
    return list(
        session.execute(
            select(CommuneBoundary)
            .where(CommuneBoundary.valid_to.is_(None))
            .order_by(CommuneBoundary.code)
        ).scalars()
    )


@dataclass
class _Feature:
    index: int
    code: str | None
    geom: BaseGeometry | None

    @property
    def label(self) -> str:
        return f"features[{self.index}]" + (f" (mã/code {self.code})" if self.code else "")


def _parse(data: bytes | str) -> list[dict[str, Any]]:
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise BoundaryImportError([f"Tệp không phải JSON hợp lệ / not valid JSON: {exc}"]) from exc
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise BoundaryImportError(
            ["Tệp phải là GeoJSON FeatureCollection / the file must be a FeatureCollection"]
        )
    crs = doc.get("crs")
    if isinstance(crs, dict):
        name = str((crs.get("properties") or {}).get("name", ""))
        if name and not any(tag in name.upper() for tag in _WGS84_NAMES):
            raise BoundaryImportError(
                [
                    f"Hệ tọa độ {name} không được hỗ trợ: hãy chuyển sang WGS84 (EPSG:4326) / "
                    f"CRS {name} is not supported: convert to WGS84 lon/lat (EPSG:4326)"
                ]
            )
    features = doc.get("features")
    if not isinstance(features, list) or not features:
        raise BoundaryImportError(["Tệp không có đối tượng nào / the file has no features"])
    return features


def _code(props: dict[str, Any]) -> str | None:
    for key in CODE_KEYS:
        value = props.get(key)
        if value is None or value == "":
            continue
        if isinstance(value, bool):
            return str(value)
        if isinstance(value, int):
            return f"{value:05d}"
        if isinstance(value, float) and value.is_integer():
            return f"{int(value):05d}"
        return str(value).strip()
    return None


def _check_coordinates(geom: BaseGeometry) -> str | None:
    min_x, min_y, max_x, max_y = geom.bounds
    if _LON_VN[0] <= min_y <= max_y <= _LON_VN[1] and _LAT_VN[0] <= min_x <= max_x <= _LAT_VN[1]:
        return (
            "kinh độ và vĩ độ bị đảo / longitude and latitude are swapped "
            "(GeoJSON coordinates are [lon, lat])"
        )
    if not (
        _LON_VN[0] <= min_x <= max_x <= _LON_VN[1] and _LAT_VN[0] <= min_y <= max_y <= _LAT_VN[1]
    ):
        bounds = f"{min_x:.6g}, {min_y:.6g}, {max_x:.6g}, {max_y:.6g}"
        return (
            "tọa độ không phải độ kinh/vĩ WGS84 (tệp VN-2000 tính bằng mét?) / coordinates are "
            f"not WGS84 lon/lat degrees (bounds {bounds})"
        )
    return None


def _check_feature(index: int, raw: Any, known: set[str]) -> tuple[_Feature, list[str]]:
    if not isinstance(raw, dict) or raw.get("type") != "Feature":
        problem = f"features[{index}]: không phải Feature / not a Feature"
        return _Feature(index, None, None), [problem]
    props = raw.get("properties") or {}
    code = _code(props) if isinstance(props, dict) else None
    feature = _Feature(index, code, None)
    problems: list[str] = []
    if code is None:
        problems.append(
            f"{feature.label}: thiếu mã xã/phường (thuộc tính {', '.join(CODE_KEYS)}) / "
            f"no commune code property ({', '.join(CODE_KEYS)})"
        )
    elif not _CODE.match(code):
        problems.append(f"{feature.label}: mã phải gồm 5 chữ số / the code must be 5 digits")
    elif code not in known:
        problems.append(
            f"{feature.label}: không phải xã/phường hiện hành của tỉnh / not a current commune "
            "or ward of the province"
        )
    geometry = raw.get("geometry")
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        kind = geometry.get("type") if isinstance(geometry, dict) else None
        problems.append(
            f"{feature.label}: hình phải là Polygon hoặc MultiPolygon / the geometry must be a "
            f"Polygon or MultiPolygon (got {kind})"
        )
        return feature, problems
    try:
        geom = shapely.force_2d(shape(geometry))
    except (ValueError, TypeError, AttributeError, IndexError, KeyError, ShapelyError) as exc:
        problems.append(f"{feature.label}: tọa độ không đọc được / unreadable coordinates ({exc})")
        return feature, problems
    if geom.is_empty:
        problems.append(f"{feature.label}: hình rỗng / empty geometry")
        return feature, problems
    bad_coords = _check_coordinates(geom)
    if bad_coords is not None:
        problems.append(f"{feature.label}: {bad_coords}")
        return feature, problems
    if not geom.is_valid:
        why = explain_validity(geom)
        problems.append(f"{feature.label}: hình không hợp lệ / invalid geometry: {why}")
        return feature, problems
    feature.geom = geom
    return feature, problems


def _overlaps(
    features: Sequence[_Feature], tolerance: float, progress: Progress | None
) -> list[str]:
    geoms = [f.geom for f in features if f.geom is not None]
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    pairs = [(int(a), int(b)) for a, b in zip(left, right, strict=True) if a < b]
    problems: list[str] = []
    for done, (a, b) in enumerate(pairs, start=1):
        ga, gb = features[a].geom, features[b].geom
        assert ga is not None and gb is not None
        shared = shapely.intersection(ga, gb).area
        smaller = min(ga.area, gb.area)
        if smaller > 0 and shared > tolerance * smaller:
            km2 = area_km2(shapely.intersection(ga, gb))
            share = shared / smaller
            problems.append(
                f"{features[a].label} và/and {features[b].label}: chồng lấn {km2:.3f} km² "
                f"({share:.1%} diện tích xã nhỏ hơn, vượt ngưỡng {tolerance:.1%}) / "
                f"overlap of {km2:.3f} km², {share:.1%} of the smaller commune "
                f"(limit {tolerance:.1%})"
            )
        if progress is not None:
            progress("overlap", done, len(pairs))
    return problems


def _checked_features(
    raw: list[Any], known: set[str], overlap_tolerance: float, progress: Progress | None
) -> list[_Feature]:
    """The features of known communes, once every feature is checked (shape, code, one
    feature per code, overlaps); :class:`BoundaryImportError` lists the problems otherwise."""
    features: list[_Feature] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(raw):
        feature, found = _check_feature(index, item, known)
        problems.extend(found)
        if feature.code is not None and not found:
            if feature.code in seen:
                problems.append(
                    f"{feature.label}: mã đã có ở features[{seen[feature.code]}] / the code "
                    f"already appears at features[{seen[feature.code]}]"
                )
            else:
                seen[feature.code] = index
        features.append(feature)
        if progress is not None:
            progress("check", index + 1, len(raw))
    good = [f for f in features if f.geom is not None and f.code in known]
    if len(good) > 1:
        problems.extend(_overlaps(good, overlap_tolerance, progress))
    if problems:
        if len(problems) > MAX_PROBLEMS:
            more = len(problems) - MAX_PROBLEMS
            problems = [*problems[:MAX_PROBLEMS], f"… và {more} lỗi khác / and {more} more"]
        raise BoundaryImportError(problems)
    return good


def _summary(
    good: list[_Feature], current: dict[str, str], valid_from: date | None, source: str
) -> ImportSummary:
    """What an import will store: areas covered, gaps, parts outside the province, communes
    left without a boundary, and a warning for each of these."""
    known = set(current)
    union = shapely.union_all([f.geom for f in good])
    province = outline()
    gap = shapely.difference(province, union)
    outside = shapely.difference(union, province)
    province_km2 = area_km2(province)
    summary = ImportSummary(
        imported=len(good),
        replaced=0,
        valid_from=valid_from or clock.now().astimezone(clock.local_zone()).date(),
        source=source,
        total_km2=area_km2(union),
        gap_km2=area_km2(gap),
        gap_share=area_km2(gap) / province_km2 if province_km2 else 0.0,
        outside_km2=area_km2(outside),
        missing=sorted(known - {f.code for f in good if f.code}),
    )
    if summary.missing:
        summary.warnings.append(
            f"{len(summary.missing)} xã/phường chưa có ranh giới / communes without a boundary: "
            + ", ".join(f"{c} {current[c]}" for c in summary.missing[:20])
            + (" …" if len(summary.missing) > 20 else "")
        )
    if summary.gap_km2 >= 0.01:
        summary.warnings.append(
            f"Khoảng trống: {summary.gap_km2:,.2f} km² ({summary.gap_share:.2%}) của địa phận "
            f"tỉnh không thuộc ranh giới nào / gaps: {summary.gap_km2:,.2f} km² of the province "
            "outline is covered by no boundary"
        )
    if summary.outside_km2 >= 0.01:
        summary.warnings.append(
            f"{summary.outside_km2:,.2f} km² ranh giới nằm ngoài địa phận tỉnh (theo lớp Open "
            "Development Vietnam) / of the boundaries lie outside the province outline"
        )
    return summary


class ImportOptions(TypedDict, total=False):
    """The choices of an import besides the data (see :func:`import_communes`)."""

    valid_from: date | None
    source: str
    progress: Progress | None


def import_communes(
    session: Session,
    actor: audit.Actor,
    data: bytes | str,
    *,
    valid_from: date | None = None,
    source: str = "imported",
    overlap_tolerance: float = 0.005,
    progress: Progress | None = None,
) -> ImportSummary:
    """Validate ``data`` (GeoJSON text) and make it the current commune boundaries.

    Raises :class:`BoundaryImportError` listing every problem (nothing is stored then). The
    caller owns the transaction."""
    if source not in SOURCES:
        raise BoundaryImportError([f"source phải là / must be one of {', '.join(SOURCES)}"])
    raw = _parse(data)
    current = {c.code: c.name for c in communes(session)}
    known = set(current)
    good = _checked_features(raw, known, overlap_tolerance, progress)
    summary = _summary(good, current, valid_from, source)

    now = clock.now()
    closed = session.execute(
        update(CommuneBoundary)
        .where(CommuneBoundary.valid_to.is_(None))
        .values(valid_to=summary.valid_from)
        .execution_options(synchronize_session=False)
    )
    summary.replaced = int(getattr(closed, "rowcount", 0) or 0)
    for done, feature in enumerate(sorted(good, key=lambda f: f.code or ""), start=1):
        geom = feature.geom
        assert geom is not None and feature.code is not None
        session.add(
            CommuneBoundary(
                code=feature.code,
                geometry=shapely.to_geojson(geom),
                **dict(zip(BBOX_COLUMNS, geom.bounds, strict=True)),
                valid_from=summary.valid_from,
                valid_to=None,
                source=source,
                imported_at=now,
            )
        )
        if progress is not None:
            progress("save", done, len(good))
    session.flush()
    audit.record(
        session,
        actor,
        "geo.boundaries.import",
        "commune_boundaries",
        None,
        imported=summary.imported,
        replaced=summary.replaced,
        valid_from=summary.valid_from.isoformat(),
        source=source,
        missing=len(summary.missing),
        gap_km2=round(summary.gap_km2, 3),
    )
    return summary
