"""Hand-made planning zones and assets for the planning tests (importable: tests/ is on
sys.path): two adjacent squares A and B in phường Buôn Ma Thuột, an expired plan over A, a
broken street light 30 m east of P, another 60 m east, and a drain 40 m north."""

from __future__ import annotations

import json
from typing import Any

M_LON = 1 / 108_607.0  # degrees of longitude per metre at 12.675° N
M_LAT = 1 / 111_320.0


def square(x0: float, y0: float, x1: float, y1: float) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def zone(code: str, geometry: dict[str, Any], **props: Any) -> dict[str, Any]:
    base = {
        "ten_do_an": "Quy hoạch phân khu trung tâm Buôn Ma Thuột",
        "so_quyet_dinh": "1234/QĐ-UBND",
        "ngay_quyet_dinh": "2025-08-15",
        "ma_khu": code,
        "chuc_nang": "Đất ở đô thị",
        "mat_do_xay_dung": 80,
        "tang_cao_toi_da": 7,
    }
    base.update(props)
    return {"type": "Feature", "geometry": geometry, "properties": base}


def collection(*features: dict[str, Any]) -> str:
    return json.dumps({"type": "FeatureCollection", "features": list(features)})


A = square(108.040, 12.670, 108.050, 12.680)
B = square(108.050, 12.670, 108.060, 12.680)
P = (12.675, 108.045)  # inside A


def good_zones() -> str:
    return collection(
        zone("A1", A),
        zone("B1", B, chuc_nang="Đất cây xanh công cộng", mat_do_xay_dung=5),
        zone(
            "OLD",
            A,
            ten_do_an="Quy hoạch chung cũ",
            so_quyet_dinh="99/QĐ-UBND",
            ngay_quyet_dinh="15/03/2010",
            hieu_luc_den="2024-12-31",
            chuc_nang="Đất hỗn hợp",
        ),
    )


def assets() -> str:
    lat, lon = P
    return json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [lon + 30 * M_LON, lat]},
                    "properties": {
                        "ma": "DCS-001",
                        "loai": "street_light",
                        "ten": "Đèn Lê Duẩn 1",
                        "trang_thai": "broken",
                        "don_vi_quan_ly": "so-xay-dung",
                    },
                },
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [lon + 60 * M_LON, lat]},
                    "properties": {
                        "ma": "DCS-002",
                        "loai": "den-chieu-sang",
                        "ten": "Đèn Lê Duẩn 2",
                        "don_vi_quan_ly": "so-xay-dung",
                    },
                },
                {
                    "type": "Feature",
                    "geometry": {
                        "type": "LineString",
                        "coordinates": [
                            [lon - 0.001, lat + 40 * M_LAT],
                            [lon + 0.001, lat + 40 * M_LAT],
                        ],
                    },
                    "properties": {
                        "ma": "TN-010",
                        "loai": "drainage",
                        "ten": "Cống dọc Lê Duẩn",
                        "trang_thai": "hoat-dong",
                        "don_vi_quan_ly": "so-xay-dung",
                    },
                },
            ],
        }
    )
