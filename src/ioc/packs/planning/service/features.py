"""What planning imports share: the asset kinds and statuses, the zone limits, the errors
that name a feature, and reading a GeoJSON file feature by feature."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

NEARBY_M = 50.0
M_PER_DEG = 111_320.0
# The province's bounding box (Đắk Lắk after the 2025 merger), with a small margin.
BOUNDS = (107.4, 12.1, 109.6, 13.8)  # min lon, min lat, max lon, max lat
MAX_FEATURES = 20000


def _code_list(
    rows: tuple[tuple[str, str, str, str], ...],
) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """A code list given as ``(code, alias, Vietnamese, English)`` rows: the names of each
    code, and the code of each alias (the Vietnamese slug a file may use instead)."""
    names = {code: (vi, en) for code, _alias, vi, en in rows}
    aliases = {alias: code for code, alias, _vi, _en in rows}
    return names, aliases


KINDS, KIND_ALIASES = _code_list(
    (
        ("street_light", "den-chieu-sang", "Đèn chiếu sáng công cộng", "Street light"),
        ("drainage", "thoat-nuoc", "Cống, mương thoát nước", "Drainage"),
        ("water_supply", "cap-nuoc", "Đường ống cấp nước", "Water supply main"),
        ("public_toilet", "nha-ve-sinh", "Nhà vệ sinh công cộng", "Public toilet"),
        ("bin", "thung-rac", "Thùng rác công cộng", "Public waste bin"),
        ("traffic_sign", "bien-bao", "Biển báo giao thông", "Traffic sign"),
        ("tree", "cay-xanh", "Cây xanh đô thị", "Street tree"),
    )
)
STATUSES, STATUS_ALIASES = _code_list(
    (
        ("working", "hoat-dong", "Đang hoạt động", "Working"),
        ("broken", "hu-hong", "Hư hỏng", "Broken"),
        ("maintenance", "bao-tri", "Đang bảo trì", "Under maintenance"),
        ("retired", "ngung-su-dung", "Ngừng sử dụng", "Retired"),
    )
)
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


def read_features(data: bytes | str) -> list[Any]:
    """The features of a GeoJSON FeatureCollection; raises :class:`PlanningImportError` for
    a file that is not one, is empty or is too large."""
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


def first_prop(props: dict[str, Any], names: tuple[str, ...]) -> Any:
    """The first of ``names`` given a non-empty value in ``props``, else None."""
    for n in names:
        if props.get(n) not in (None, ""):
            return props[n]
    return None


def parse_date(value: Any) -> date | None:
    """A date written ``YYYY-MM-DD`` or ``dd/mm/yyyy``, else None."""
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    return None


def check_geometry(
    n: int, code: str | None, raw: Any, kinds: tuple[str, ...], errors: list[FeatureError]
) -> BaseGeometry | None:
    """Feature ``n``'s geometry if it is one of ``kinds``, valid and inside the province, else
    None with the reason added to ``errors``."""
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


def feature_properties(n: int, raw: Any, errors: list[FeatureError]) -> dict[str, Any] | None:
    """The properties of feature ``n``, or None (its error added to ``errors``) when it is not
    a GeoJSON Feature with properties."""
    if not isinstance(raw, dict) or raw.get("type") != "Feature":
        errors.append(FeatureError(n, None, "type", "Không phải một Feature", "not a Feature"))
        return None
    props = raw.get("properties") or {}
    if not isinstance(props, dict):
        errors.append(FeatureError(n, None, "properties", "Thiếu thuộc tính", "no properties"))
        return None
    return props
