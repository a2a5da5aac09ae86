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

Modules: ``features`` (kinds, statuses, limits, errors, reading the GeoJSON), ``zones``,
``assets`` (the two imports), ``lookup`` (what applies at a point).
"""

from ioc.packs.planning.service.assets import import_assets
from ioc.packs.planning.service.features import (
    BOUNDS,
    KIND_ALIASES,
    KINDS,
    LIMITS,
    MAX_FEATURES,
    NEARBY_M,
    STATUS_ALIASES,
    STATUSES,
    FeatureError,
    ImportResult,
    PlanningImportError,
)
from ioc.packs.planning.service.lookup import (
    assets_near,
    commune_at,
    kind_name,
    link_report,
    report_codes,
    status_name,
    zones_at,
)
from ioc.packs.planning.service.zones import import_zones

__all__ = [
    "BOUNDS",
    "KINDS",
    "KIND_ALIASES",
    "LIMITS",
    "MAX_FEATURES",
    "NEARBY_M",
    "STATUSES",
    "STATUS_ALIASES",
    "FeatureError",
    "ImportResult",
    "PlanningImportError",
    "assets_near",
    "commune_at",
    "import_assets",
    "import_zones",
    "kind_name",
    "link_report",
    "report_codes",
    "status_name",
    "zones_at",
]
