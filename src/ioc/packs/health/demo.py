"""Demo data of the health pack [demo]: real Đắk Lắk hospitals and medical centres at
approximately right positions, a health station per commune, and plausible — NOT official —
monthly figures, immunisation coverage and weekly notifiable-disease cases per commune, with a
few outbreaks in the last complete week so the EARS rules have something to find.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ioc.core.audit import Actor
from ioc.core.models import Entity, Indicator
from ioc.core.series import SeriesResolver, month_bucket, write_observations
from ioc.engines.geo import current_locator
from ioc.engines.submissions.targets import set_target
from ioc.packs.health import geo
from ioc.packs.health.facilities import FACILITY_TYPE, upsert_facility
from ioc.packs.health.surveillance import DISEASES, WEEK, indicator_code, week_start

MONTHS: Final = 24  # two years of monthly figures (year-on-year comparison) for a long demo
SHORT_MONTHS: Final = 13  # a short demo (under a year) keeps a year and the month before


@dataclass(frozen=True)
class DemoFacility:
    """A facility of the demo (approximate position)."""

    code: str
    name: str
    kind: str
    lat: float
    lon: float
    commune: str
    beds: int
    doctors: int
    visits: int  # typical outpatient visits a month
    occupancy: float  # typical bed occupancy, %


FACILITIES: Final = (
    DemoFacility(
        "BV-DKVTN",
        "Bệnh viện Đa khoa vùng Tây Nguyên",
        "hospital",
        12.6863,
        108.0533,
        "24133",
        1400,
        420,
        52000,
        104.0,
    ),
    DemoFacility(
        "BV-DKPY",
        "Bệnh viện Đa khoa tỉnh Phú Yên",
        "hospital",
        13.0955,
        109.3000,
        "22015",
        1020,
        265,
        36000,
        98.0,
    ),
    DemoFacility(
        "BV-SNPY",
        "Bệnh viện Sản – Nhi tỉnh Phú Yên",
        "specialty_hospital",
        13.0843,
        109.3108,
        "22240",
        400,
        90,
        11000,
        92.0,
    ),
    DemoFacility(
        "BV-MAT-DL",
        "Bệnh viện Mắt Đắk Lắk",
        "specialty_hospital",
        12.6930,
        108.0610,
        "24163",
        150,
        35,
        9000,
        81.0,
    ),
    DemoFacility(
        "BV-YHCT-DL",
        "Bệnh viện Y học cổ truyền Đắk Lắk",
        "specialty_hospital",
        12.6790,
        108.0420,
        "24121",
        200,
        45,
        6500,
        86.0,
    ),
    DemoFacility(
        "BV-THIENHANH",
        "Bệnh viện Đa khoa Thiện Hạnh",
        "private",
        12.6705,
        108.0490,
        "24154",
        300,
        110,
        21000,
        88.0,
    ),
    DemoFacility(
        "BV-DHYD-BMT",
        "Bệnh viện Đại học Y Dược Buôn Ma Thuột",
        "private",
        12.7060,
        108.0580,
        "24163",
        500,
        150,
        24000,
        79.0,
    ),
    DemoFacility(
        "TTYT-BUONHO",
        "Trung tâm Y tế khu vực Buôn Hồ",
        "medical_centre",
        12.9105,
        108.2705,
        "24305",
        200,
        48,
        10500,
        90.0,
    ),
    DemoFacility(
        "TTYT-EAHLEO",
        "Trung tâm Y tế khu vực Ea H'leo",
        "medical_centre",
        13.1960,
        108.1850,
        "24181",
        220,
        45,
        11000,
        93.0,
    ),
    DemoFacility(
        "TTYT-KRONGPAC",
        "Trung tâm Y tế khu vực Krông Pắc",
        "medical_centre",
        12.7090,
        108.3050,
        "24490",
        250,
        52,
        12500,
        95.0,
    ),
    DemoFacility(
        "TTYT-EAKAR",
        "Trung tâm Y tế khu vực Ea Kar",
        "medical_centre",
        12.8110,
        108.4570,
        "24373",
        220,
        46,
        11500,
        91.0,
    ),
    DemoFacility(
        "TTYT-MDRAK",
        "Trung tâm Y tế khu vực M'Drắk",
        "medical_centre",
        12.7390,
        108.7720,
        "24412",
        150,
        30,
        7000,
        84.0,
    ),
    DemoFacility(
        "TTYT-LAK",
        "Trung tâm Y tế khu vực Lắk",
        "medical_centre",
        12.4150,
        108.1800,
        "24580",
        120,
        26,
        6000,
        82.0,
    ),
    DemoFacility(
        "TTYT-EASUP",
        "Trung tâm Y tế khu vực Ea Súp",
        "medical_centre",
        13.0740,
        107.9320,
        "24211",
        130,
        24,
        5500,
        80.0,
    ),
    DemoFacility(
        "TTYT-SONGCAU",
        "Trung tâm Y tế khu vực Sông Cầu",
        "medical_centre",
        13.4520,
        109.2180,
        "22051",
        200,
        44,
        9500,
        89.0,
    ),
    DemoFacility(
        "TTYT-SONGHINH",
        "Trung tâm Y tế khu vực Sông Hinh",
        "medical_centre",
        12.9790,
        108.9340,
        "22207",
        150,
        30,
        6500,
        83.0,
    ),
    DemoFacility(
        "TTYT-TUYAN",
        "Trung tâm Y tế khu vực Tuy An",
        "medical_centre",
        13.2860,
        109.2080,
        "22153",
        170,
        36,
        8000,
        87.0,
    ),
)

# Typical weekly incidence per 100,000 by month (1–12), shaped on the region's seasons: dengue
# peaks in the rainy season (July–October), hand-foot-mouth in spring and autumn, influenza in
# the cool months; measles is rare.
SEASON: Final = {
    "dengue": (0.6, 0.4, 0.3, 0.3, 0.6, 1.5, 3.5, 5.5, 6.0, 4.5, 2.0, 1.0),
    "hfmd": (0.8, 1.0, 1.8, 2.2, 2.0, 1.2, 0.8, 0.9, 1.8, 2.4, 1.8, 1.0),
    "measles": (0.05, 0.05, 0.05, 0.05, 0.04, 0.03, 0.02, 0.02, 0.02, 0.03, 0.04, 0.05),
    "influenza": (3.0, 2.6, 1.8, 1.2, 1.0, 1.4, 1.6, 1.4, 1.2, 1.4, 2.0, 2.8),
}
# Outbreaks in the last complete week (and a build-up the week before): commune, disease,
# cases in the week before, cases in the last week.
OUTBREAKS: Final = (
    ("24169", "dengue", 4, 16),  # Phường Ea Kao, Buôn Ma Thuột
    ("22015", "hfmd", 3, 13),  # Phường Tuy Hòa
    ("24211", "measles", 1, 5),  # Xã Ea Súp
)


def _poisson(rng: random.Random, lam: float) -> int:
    # Knuth's method: fine for the small means of weekly commune counts.
    if lam <= 0:
        return 0
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _months(end_ts: int, offset: int, count: int) -> list[int]:
    months = [month_bucket(end_ts, offset)]
    for _ in range(count):
        local = datetime.fromtimestamp(months[-1] + offset, tz=UTC)
        year, month = (local.year - 1, 12) if local.month == 1 else (local.year, local.month - 1)
        months.append(int(datetime(year, month, 1, tzinfo=UTC).timestamp()) - offset)
    return sorted(months[1:])


def _month_of(ts: int, offset: int) -> int:
    return datetime.fromtimestamp(ts + offset, tz=UTC).month


def load_demo(
    factory: sessionmaker[Session],
    *,
    end: datetime,
    hours: int = 24 * 365,
    offset: int = 7 * 3600,
    progress: Callable[[int], None] | None = None,
    **_: object,
) -> int:
    """Create the demo facilities and figures before ``end``; does nothing if the pack already
    has facilities. Returns the number of observations stored."""
    with factory() as session:
        if session.execute(select(Entity.id).where(Entity.type == FACILITY_TYPE)).first():
            return 0
    rng = random.Random(6601)  # noqa: S311 - reproducible demo figures, not security
    end_ts = int(end.timestamp())
    actor = Actor.system("demo")
    stored = 0
    with factory() as session, session.begin():
        communes = geo.communes(session)
        facilities = list(FACILITIES)
        for c in communes:
            if c.lat is None or c.lon is None:
                continue
            size = (c.population or 20000) / 20000
            facilities.append(
                DemoFacility(
                    f"TYT-{c.code}",
                    f"Trạm Y tế {c.name[0].lower()}{c.name[1:]}",
                    "health_station",
                    round(c.lat + rng.uniform(-0.006, 0.006), 5),
                    round(c.lon + rng.uniform(-0.006, 0.006), 5),
                    c.code,
                    rng.choice((5, 5, 7, 10)),
                    rng.choice((1, 1, 2)),
                    int(700 * size + rng.randint(0, 400)),
                    0.0,
                )
            )
        # Each demo point stays inside its commune, whatever boundaries are loaded.
        locator = current_locator(session)
        for f in facilities:
            lat, lon = locator.point_in(f.commune, f.lat, f.lon)
            upsert_facility(
                session,
                actor,
                code=f.code,
                name=f.name,
                kind=f.kind,
                lat=lat,
                lon=lon,
                area_code=f.commune,
                agency_code="so-y-te",
                attributes={"demo": True, "owner": "private" if f.kind == "private" else "public"},
            )
        writer = _Writer(session, offset)
        # Monthly facility figures, stamped on the first day of each month.
        months_list = _months(end_ts, offset, MONTHS if hours >= 24 * 365 else SHORT_MONTHS)
        for m in months_list:
            month = _month_of(m, offset)
            season = 1.0 + 0.08 * math.cos((month - 4) / 12 * 2 * math.pi)
            for f in facilities:
                visits = f.visits * season * rng.uniform(0.92, 1.08)
                writer.add("hl_beds", "entity", f.code, m, f.beds)
                writer.add("hl_doctors", "entity", f.code, m, f.doctors)
                writer.add("hl_outpatient_visits", "entity", f.code, m, round(visits))
                if f.kind != "health_station":
                    occupancy = f.occupancy * season * rng.uniform(0.95, 1.05)
                    writer.add("hl_bed_occupancy", "entity", f.code, m, round(occupancy, 1))
                    writer.add("hl_inpatients", "entity", f.code, m, round(visits * 0.11))
            weighted = weight = 0.0
            for c in communes:
                base = 93.0 + (c.population or 20000) % 5
                value = min(100.0, base + rng.uniform(-3.5, 3.0))
                writer.add("hl_vaccination_coverage", "area", c.code, m, round(value, 1))
                weighted += value * (c.population or 0)
                weight += c.population or 0
            # Province figures Sở Y tế submits (the submissions engine's values).
            if weight:
                writer.add(
                    "hl_vaccination_coverage", "area", geo.PROVINCE, m, round(weighted / weight, 1)
                )
            age = (m - months_list[0]) / (months_list[-1] - months_list[0] or 1)
            writer.add("hl_insurance_coverage", "area", geo.PROVINCE, m, round(92.0 + 2.3 * age, 1))
        last_year = datetime.fromtimestamp(end_ts + offset, tz=UTC).year - 1
        for year, beds, doctors in ((last_year - 1, 29.6, 10.2), (last_year, 31.4, 10.8)):
            jan = int(datetime(year, 1, 1, tzinfo=UTC).timestamp()) - offset
            writer.add("hl_beds_per_10k", "area", geo.PROVINCE, jan, beds)
            writer.add("hl_doctors_per_10k", "area", geo.PROVINCE, jan, doctors)
        stored += writer.flush()
        _targets(session, actor, last_year)
    if progress is not None:
        progress(stored)
    # Weekly cases per commune for every complete week of the period (at least 26 weeks).
    last = week_start(end_ts) - WEEK
    weeks = max(26, hours // (24 * 7))
    outbreak = {(c, d): (before, peak) for c, d, before, peak in OUTBREAKS}
    with factory() as session, session.begin():
        communes = geo.communes(session)
        writer = _Writer(session, offset)
        for i in range(weeks):
            start = last - (weeks - 1 - i) * WEEK
            month = _month_of(start + 3 * 86400, offset)
            for c in communes:
                for d in DISEASES:
                    lam = SEASON[d][month - 1] * (c.population or 20000) / 100_000
                    count = _poisson(rng, lam)
                    special = outbreak.get((c.code, d))
                    if special is not None and i >= weeks - 2:
                        count = special[1] if i == weeks - 1 else special[0]
                    writer.add(indicator_code(d), "area", c.code, start, count)
        stored += writer.flush()
    if progress is not None:
        progress(stored)
    return stored


# Yearly targets [demo] by indicator: (last year, this year).
TARGETS: Final = {
    "hl_insurance_coverage": (94.0, 95.0),
    "hl_vaccination_coverage": (95.0, 95.0),
    "hl_beds_per_10k": (32.0, 33.0),
    "hl_doctors_per_10k": (11.0, 11.5),
}


def _targets(session: Session, actor: Actor, last_year: int) -> None:
    indicators = {
        i.code: i
        for i in session.execute(
            select(Indicator).where(Indicator.code.in_(list(TARGETS)))
        ).scalars()
    }
    for code, values in TARGETS.items():
        for year, value in zip((last_year, last_year + 1), values, strict=True):
            set_target(
                session,
                actor,
                indicator=indicators[code],
                area_code=geo.PROVINCE,
                year=year,
                value=value,
                source_document="[demo] Kế hoạch phát triển kinh tế – xã hội",
            )


class _Writer:
    """Collects demo observations and stores them in one batch."""

    def __init__(self, session: Session, offset: int) -> None:
        self.session = session
        self.offset = offset
        self.resolver = SeriesResolver(session)
        self.indicators = {
            i.code: i
            for i in session.execute(select(Indicator).where(Indicator.pack == "health")).scalars()
        }
        self.rows: list[tuple[int, int, float, int]] = []
        self.label_end: dict[int, bool] = {}

    def add(self, indicator: str, kind: str, subject: str, ts: int, value: float) -> None:
        info = self.resolver.get(self.indicators[indicator], kind, subject)
        self.rows.append((info.id, ts, float(value), 0))
        self.label_end[info.id] = info.label_end

    def flush(self) -> int:
        stored = write_observations(self.session, self.rows, self.label_end, self.offset).stored
        self.rows = []
        return stored
