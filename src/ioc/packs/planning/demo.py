"""Demo data of the planning pack: one zoning plan of central Buôn Ma Thuột (a 4 × 4 grid of
zones around Quảng trường 10/3, with an older plan it replaced) and the street lights, bins,
toilets and drains along two streets. Made through the same import as real files; nothing is
done when the pack already holds plans."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ioc.core import audit
from ioc.core.ownership import WriteScope
from ioc.packs.planning import service
from ioc.packs.planning.models import PlPlan

CENTRE = (12.6676, 108.0379)  # Quảng trường 10/3 (lat, lon)
STEP = 0.003  # about 330 m
LAND_USES = [
    ("Đất ở đô thị hiện trạng cải tạo", {"mat_do_xay_dung": 80, "tang_cao_toi_da": 5}),
    (
        "Đất thương mại, dịch vụ",
        {"mat_do_xay_dung": 60, "tang_cao_toi_da": 15, "he_so_su_dung_dat": 6},
    ),
    ("Đất cây xanh, quảng trường", {"mat_do_xay_dung": 5, "tang_cao_toi_da": 1}),
    ("Đất công trình công cộng", {"mat_do_xay_dung": 40, "tang_cao_toi_da": 7}),
]


def _square(x0: float, y0: float, x1: float, y1: float) -> dict[str, Any]:
    ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
    return {"type": "Polygon", "coordinates": [ring]}


def zones_geojson() -> str:
    """The demo plans as a GeoJSON FeatureCollection (the import format)."""
    lat0, lon0 = CENTRE[0] - 2 * STEP, CENTRE[1] - 2 * STEP
    features = []
    for row in range(4):
        for col in range(4):
            use, limits = LAND_USES[(row + col) % len(LAND_USES)]
            y0, x0 = lat0 + row * STEP, lon0 + col * STEP
            features.append(
                {
                    "type": "Feature",
                    "geometry": _square(x0, y0, x0 + STEP, y0 + STEP),
                    "properties": {
                        "ten_do_an": "Quy hoạch phân khu trung tâm thành phố Buôn Ma Thuột (mẫu)",
                        "so_quyet_dinh": "2468/QĐ-UBND",
                        "ngay_quyet_dinh": "2025-09-30",
                        "ma_khu": f"TT-{row + 1}{col + 1}",
                        "chuc_nang": use,
                        **limits,
                    },
                }
            )
    features.append(
        {
            "type": "Feature",
            "geometry": _square(lon0, lat0, lon0 + 4 * STEP, lat0 + 4 * STEP),
            "properties": {
                "ten_do_an": "Quy hoạch chung đô thị Buôn Ma Thuột 2010 (mẫu)",
                "so_quyet_dinh": "1357/QĐ-UBND",
                "ngay_quyet_dinh": "2010-06-15",
                "hieu_luc_den": "2025-09-29",
                "ma_khu": "KV-1",
                "chuc_nang": "Đất dân dụng",
            },
        }
    )
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)


def assets_geojson() -> str:
    """The demo assets: lights and bins every ~60 m along two streets, toilets, drains."""
    lat, lon = CENTRE
    features: list[dict[str, Any]] = []

    def point(code: str, kind: str, name: str, y: float, x: float, status: str = "working") -> None:
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [round(x, 6), round(y, 6)]},
                "properties": {"ma": code, "loai": kind, "ten": name, "trang_thai": status},
            }
        )

    def street(
        code: str,
        name: str,
        start: tuple[float, float],
        step: tuple[float, float],
        odd: dict[int, str],
        count: int,
        bins: bool = False,
    ) -> None:
        """``count`` street lights along ``name`` from ``start`` (lat, lon) a ``step`` apart,
        working but for ``odd`` (index → status); with ``bins``, a bin by every third light."""
        for i in range(count):
            y, x = start[0] + i * step[0], start[1] + i * step[1]
            light = f"Đèn chiếu sáng {name} số {i + 1}"
            point(f"DCS-{code}-{i + 1:02d}", "street_light", light, y, x, odd.get(i, "working"))
            if bins and i % 3 == 0:
                n = i // 3 + 1
                point(f"TR-{code}-{n:02d}", "bin", f"Thùng rác {name} {n}", y + 0.0002, x)

    ld_start, pct_start = (lat + 0.0004, lon - 0.0035), (lat - 0.003, lon + 0.0012)
    street("LD", "Lê Duẩn", ld_start, (0.0, 0.00055), {3: "broken", 8: "broken"}, 12, bins=True)
    street("PCT", "Phan Chu Trinh", pct_start, (0.00055, 0.0), {5: "maintenance"}, 10)
    point(
        "WC-QT-01",
        "public_toilet",
        "Nhà vệ sinh công cộng Quảng trường 10/3",
        lat - 0.0008,
        lon - 0.0009,
    )
    point(
        "WC-CV-01", "public_toilet", "Nhà vệ sinh công viên Lý Tự Trọng", lat + 0.0025, lon + 0.002
    )
    for code, name, coords in (
        (
            "TN-LD-01",
            "Cống dọc đường Lê Duẩn",
            [[lon - 0.0035, lat + 0.0002], [lon + 0.003, lat + 0.0002]],
        ),
        (
            "CN-PCT-01",
            "Ống cấp nước Phan Chu Trinh D200",
            [[lon + 0.0014, lat - 0.003], [lon + 0.0014, lat + 0.002]],
        ),
    ):
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": coords},
                "properties": {
                    "ma": code,
                    "loai": "drainage" if code.startswith("TN") else "water_supply",
                    "ten": name,
                },
            }
        )
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)


def load_demo(
    factory: sessionmaker[Session], *, end: datetime | None = None, **_options: Any
) -> int:
    """Import the demo plans and assets; returns the number of zones (0 when plans exist)."""
    with factory() as session, session.begin():
        if session.execute(select(func.count()).select_from(PlPlan)).scalar_one():
            return 0
        actor = audit.Actor.system("demo")
        scope = WriteScope.province()
        result = service.import_zones(session, actor, scope, zones_geojson(), "so-xay-dung")
        service.import_assets(session, actor, scope, assets_geojson(), "so-xay-dung")
        return result.zones
