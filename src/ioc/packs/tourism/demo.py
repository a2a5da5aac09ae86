"""Demo data of the tourism pack [demo]: real destinations and accommodation of Đắk Lắk at
approximately right positions, and plausible — NOT official — monthly visits, guests, room
occupancy and the province figures Sở VHTTDL submits, with yearly targets.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ioc.core import communes as geo
from ioc.core.audit import Actor
from ioc.core.models import Entity, Indicator
from ioc.core.series import SeriesResolver, month_bucket, write_observations
from ioc.engines.geo import current_locator
from ioc.engines.submissions.targets import set_target
from ioc.packs.tourism.places import ACCOMMODATION, DESTINATION, TYPES, upsert_place


@dataclass(frozen=True)
class DemoPlace:
    """A destination (``size`` = visits a month) or accommodation (``size`` = rooms)."""

    code: str
    name: str
    type: str
    kind: str
    lat: float
    lon: float
    commune: str
    size: int


PLACES: Final = (
    DemoPlace("DL-HOLAK", "Hồ Lắk", DESTINATION, "nature", 12.4130, 108.1880, "24580", 18000),
    DemoPlace(
        "DL-DRAYNUR", "Thác Dray Nur", DESTINATION, "nature", 12.5400, 107.8920, "24559", 12000
    ),
    DemoPlace(
        "DL-BUONDON",
        "Khu du lịch Buôn Đôn",
        DESTINATION,
        "culture",
        12.8890,
        107.7810,
        "24235",
        15000,
    ),
    DemoPlace(
        "DL-YOKDON",
        "Vườn quốc gia Yok Đôn",
        DESTINATION,
        "nature",
        12.9120,
        107.7250,
        "24235",
        4000,
    ),
    DemoPlace(
        "DL-BTCAPHE",
        "Bảo tàng Thế giới Cà phê",
        DESTINATION,
        "culture",
        12.6950,
        108.0480,
        "24133",
        25000,
    ),
    DemoPlace(
        "DL-AKODHONG", "Buôn Ako Dhông", DESTINATION, "culture", 12.7050, 108.0510, "24133", 6000
    ),
    DemoPlace(
        "DL-GANHDADIA", "Gành Đá Đĩa", DESTINATION, "nature", 13.3560, 109.2950, "22120", 30000
    ),
    DemoPlace("DL-BAIXEP", "Bãi Xép", DESTINATION, "beach", 13.1550, 109.3060, "22045", 9000),
    DemoPlace(
        "DL-THAPNHAN", "Tháp Nhạn", DESTINATION, "culture", 13.0960, 109.3040, "22015", 14000
    ),
    DemoPlace(
        "DL-MUIDIEN",
        "Mũi Điện (Mũi Đại Lãnh)",
        DESTINATION,
        "nature",
        12.8920,
        109.4560,
        "22291",
        11000,
    ),
    DemoPlace("DL-DAMOLOAN", "Đầm Ô Loan", DESTINATION, "nature", 13.2750, 109.2600, "22147", 7000),
    DemoPlace(
        "DL-XUANDAI", "Vịnh Xuân Đài", DESTINATION, "beach", 13.4200, 109.2700, "22051", 10000
    ),
    DemoPlace(
        "LT-MUONGTHANH-BMT",
        "Khách sạn Mường Thanh Luxury Buôn Ma Thuột",
        ACCOMMODATION,
        "hotel",
        12.6760,
        108.0420,
        "24133",
        130,
    ),
    DemoPlace(
        "LT-SAIGONBANME",
        "Khách sạn Sài Gòn – Ban Mê",
        ACCOMMODATION,
        "hotel",
        12.6690,
        108.0410,
        "24154",
        110,
    ),
    DemoPlace(
        "LT-DAMSAN", "Khách sạn Đam San", ACCOMMODATION, "hotel", 12.6830, 108.0460, "24133", 80
    ),
    DemoPlace(
        "LT-LAKRESORT", "Lak Resort", ACCOMMODATION, "resort", 12.4150, 108.1840, "24580", 30
    ),
    DemoPlace(
        "LT-BUONDON-HS",
        "Homestay Buôn Đôn",
        ACCOMMODATION,
        "homestay",
        12.8880,
        107.7830,
        "24235",
        12,
    ),
    DemoPlace(
        "LT-SAIGONPY",
        "Khách sạn Sài Gòn – Phú Yên",
        ACCOMMODATION,
        "hotel",
        13.0950,
        109.3090,
        "22015",
        100,
    ),
    DemoPlace(
        "LT-CENDELUXE",
        "Khách sạn Cendeluxe Tuy Hòa",
        ACCOMMODATION,
        "hotel",
        13.0890,
        109.3200,
        "22240",
        200,
    ),
    DemoPlace(
        "LT-KAYA", "Khách sạn Kaya Tuy Hòa", ACCOMMODATION, "hotel", 13.0990, 109.3160, "22015", 110
    ),
    DemoPlace(
        "LT-STELIA", "Stelia Beach Resort", ACCOMMODATION, "resort", 13.0830, 109.3230, "22240", 90
    ),
    DemoPlace(
        "LT-GANHDADIA-HS",
        "Homestay Gành Đá Đĩa",
        ACCOMMODATION,
        "homestay",
        13.3520,
        109.2910,
        "22120",
        8,
    ),
)
# Seasonality by month (1–12): Tết and the Buôn Ma Thuột coffee festival (March) in the
# highlands, the beach summer on the coast.
HIGHLANDS: Final = (1.1, 1.35, 1.3, 1.0, 0.9, 0.85, 0.95, 0.9, 0.8, 0.8, 0.85, 1.05)
COAST: Final = (0.95, 1.3, 0.9, 0.9, 1.1, 1.45, 1.55, 1.4, 0.85, 0.6, 0.6, 0.8)
# Province figures a typical month [demo] and targets (last year, this year).
PROVINCE: Final = {
    "tr_visitors_domestic": (620_000.0, 7_600_000.0, 8_200_000.0),
    "tr_visitors_international": (19_000.0, 230_000.0, 250_000.0),
    "tr_revenue": (910.0, 11_000.0, 12_000.0),
    "tr_guest_nights": (500_000.0, 6_000_000.0, 6_500_000.0),
    "tr_occupancy_avg": (58.0, 60.0, 62.0),
}
MONTHS: Final = 25


def _months(end_ts: int, offset: int, count: int) -> list[int]:
    months = [month_bucket(end_ts, offset)]
    for _ in range(count):
        local = datetime.fromtimestamp(months[-1] + offset, tz=UTC)
        year, month = (local.year - 1, 12) if local.month == 1 else (local.year, local.month - 1)
        months.append(int(datetime(year, month, 1, tzinfo=UTC).timestamp()) - offset)
    return sorted(months[1:])


def load_demo(
    factory: sessionmaker[Session],
    *,
    end: datetime,
    hours: int = 24 * 365,
    offset: int = 7 * 3600,
    progress: Callable[[int], None] | None = None,
    **_: object,
) -> int:
    """Create the demo places and figures before ``end``; does nothing if the pack already has
    places. Returns the number of observations stored."""
    with factory() as session:
        if session.execute(select(Entity.id).where(Entity.type.in_(TYPES))).first():
            return 0
    rng = random.Random(6603)  # noqa: S311 - reproducible demo figures, not security
    end_ts = int(end.timestamp())
    actor = Actor.system("demo")
    with factory() as session, session.begin():
        # Each demo point stays inside its commune, whatever boundaries are loaded.
        locator = current_locator(session)
        for p in PLACES:
            lat, lon = locator.point_in(p.commune, p.lat, p.lon)
            upsert_place(
                session,
                actor,
                type=p.type,
                code=p.code,
                name=p.name,
                kind=p.kind,
                lat=lat,
                lon=lon,
                area_code=p.commune,
                agency_code="so-van-hoa-the-thao-du-lich",
                attributes={"demo": True},
            )
        writer = _Writer(session, offset)
        last_year = datetime.fromtimestamp(end_ts + offset, tz=UTC).year - 1
        for m in _months(end_ts, offset, MONTHS):
            local = datetime.fromtimestamp(m + offset, tz=UTC)
            growth = 1.0 + 0.08 * (local.year - last_year)  # tourism grows ~8 % a year
            for p in PLACES:
                # East of 109° E is the former Phú Yên coast.
                season = (COAST if p.lon > 109 else HIGHLANDS)[local.month - 1]
                noise = rng.uniform(0.9, 1.1)
                if p.type == DESTINATION:
                    writer.add("tr_visits", p.code, m, round(p.size * season * growth * noise))
                else:
                    occupancy = min(98.0, 52.0 * season * noise)
                    nights = p.size * 30 * occupancy / 100
                    writer.add("tr_rooms", p.code, m, p.size)
                    writer.add("tr_room_occupancy", p.code, m, round(occupancy, 1))
                    writer.add("tr_guests", p.code, m, round(nights / 1.8))
            season = (HIGHLANDS[local.month - 1] + 3 * COAST[local.month - 1]) / 4
            for code, (typical, _target_ly, _target) in PROVINCE.items():
                noise = rng.uniform(0.95, 1.05)
                if code == "tr_occupancy_avg":
                    value = round(min(95.0, typical * season * noise), 1)
                else:
                    value = round(
                        typical * season * growth * noise, 1 if code == "tr_revenue" else 0
                    )
                writer.add(code, geo.PROVINCE, m, value, kind="area")
        stored = writer.flush()
        indicators = {
            i.code: i
            for i in session.execute(
                select(Indicator).where(Indicator.code.in_(list(PROVINCE)))
            ).scalars()
        }
        for code, (_typical, target_ly, target) in PROVINCE.items():
            for year, value in ((last_year, target_ly), (last_year + 1, target)):
                set_target(
                    session,
                    actor,
                    indicator=indicators[code],
                    area_code=geo.PROVINCE,
                    year=year,
                    value=value,
                    source_document="[demo] Kế hoạch phát triển du lịch",
                )
    if progress is not None:
        progress(stored)
    return stored


class _Writer:
    """Collects demo observations and stores them in one batch."""

    def __init__(self, session: Session, offset: int) -> None:
        self.session = session
        self.offset = offset
        self.resolver = SeriesResolver(session)
        self.indicators = {
            i.code: i
            for i in session.execute(select(Indicator).where(Indicator.pack == "tourism")).scalars()
        }
        self.rows: list[tuple[int, int, float, int]] = []
        self.label_end: dict[int, bool] = {}

    def add(
        self, indicator: str, subject: str, ts: int, value: float, kind: str = "entity"
    ) -> None:
        info = self.resolver.get(self.indicators[indicator], kind, subject)
        self.rows.append((info.id, ts, float(value), 0))
        self.label_end[info.id] = info.label_end

    def flush(self) -> int:
        stored = write_observations(self.session, self.rows, self.label_end, self.offset).stored
        self.rows = []
        return stored
