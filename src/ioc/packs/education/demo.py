"""Demo data of the education pack [demo]: real upper-secondary schools of Đắk Lắk at
approximately right positions, a primary and a lower-secondary school per commune, and
plausible — NOT official — pupils, teachers, attendance and exam results, plus the province
figures Sở GD&ĐT submits yearly with their targets.
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
from ioc.packs.education.schools import SCHOOL_TYPE, upsert_school


@dataclass(frozen=True)
class DemoSchool:
    """A school of the demo (approximate position)."""

    code: str
    name: str
    kind: str
    lat: float
    lon: float
    commune: str
    pupils: int
    pass_rate: float = 0.0
    score: float = 0.0


SCHOOLS: Final = (
    DemoSchool(
        "THPT-CNGUYENDU",
        "Trường THPT Chuyên Nguyễn Du",
        "gifted",
        12.6958,
        108.0482,
        "24133",
        1050,
        100.0,
        8.1,
    ),
    DemoSchool(
        "THPT-BMT",
        "Trường THPT Buôn Ma Thuột",
        "upper_secondary",
        12.6722,
        108.0445,
        "24154",
        1900,
        99.6,
        7.1,
    ),
    DemoSchool(
        "THPT-CHUVANAN-BMT",
        "Trường THPT Chu Văn An",
        "upper_secondary",
        12.6835,
        108.0262,
        "24121",
        1750,
        99.4,
        6.9,
    ),
    DemoSchool(
        "THPT-LEQUYDON-BMT",
        "Trường THPT Lê Quý Đôn",
        "upper_secondary",
        12.6580,
        108.0560,
        "24169",
        1600,
        99.1,
        6.7,
    ),
    DemoSchool(
        "THPT-HUYNHTHUCKHANG",
        "Trường THPT Huỳnh Thúc Kháng",
        "upper_secondary",
        12.9150,
        108.2710,
        "24305",
        1500,
        98.8,
        6.5,
    ),
    DemoSchool(
        "THPT-NGOGIATU",
        "Trường THPT Ngô Gia Tự",
        "upper_secondary",
        12.8090,
        108.4520,
        "24373",
        1550,
        98.5,
        6.4,
    ),
    DemoSchool(
        "THPT-EAHLEO",
        "Trường THPT Ea H'leo",
        "upper_secondary",
        13.1980,
        108.1830,
        "24181",
        1400,
        97.9,
        6.2,
    ),
    DemoSchool(
        "THPT-EASUP",
        "Trường THPT Ea Súp",
        "upper_secondary",
        13.0760,
        107.9350,
        "24211",
        1100,
        96.8,
        5.9,
    ),
    DemoSchool(
        "THPT-LAK",
        "Trường THPT Lắk",
        "upper_secondary",
        12.4170,
        108.1820,
        "24580",
        1000,
        97.2,
        6.0,
    ),
    DemoSchool(
        "THPT-MDRAK",
        "Trường THPT M'Drắk",
        "upper_secondary",
        12.7410,
        108.7750,
        "24412",
        1050,
        97.0,
        6.0,
    ),
    DemoSchool(
        "THPT-KRONGANA",
        "Trường THPT Krông Ana",
        "upper_secondary",
        12.4990,
        108.0360,
        "24538",
        1350,
        98.4,
        6.4,
    ),
    DemoSchool(
        "THPT-CLVC",
        "Trường THPT Chuyên Lương Văn Chánh",
        "gifted",
        13.0880,
        109.3050,
        "22240",
        1000,
        100.0,
        8.0,
    ),
    DemoSchool(
        "THPT-NGUYENHUE-TH",
        "Trường THPT Nguyễn Huệ",
        "upper_secondary",
        13.0995,
        109.3095,
        "22015",
        1650,
        99.3,
        6.9,
    ),
    DemoSchool(
        "THPT-NGUYENTRAI-TH",
        "Trường THPT Nguyễn Trãi",
        "upper_secondary",
        13.0700,
        109.2950,
        "22045",
        1450,
        98.9,
        6.6,
    ),
    DemoSchool(
        "THPT-PHANDINHPHUNG",
        "Trường THPT Phan Đình Phùng",
        "upper_secondary",
        13.4500,
        109.2150,
        "22051",
        1300,
        98.2,
        6.3,
    ),
)
# Province figures Sở GD&ĐT submits for a school year ending in the given year [demo]:
# code -> (value two years ago, last year, target last year, target this year).
PROVINCE: Final = {
    "ed_enrolment_primary": (99.5, 99.6, 99.5, 99.7),
    "ed_enrolment_lower_secondary": (93.8, 94.6, 95.0, 95.5),
    "ed_graduation_rate": (98.4, 98.9, 98.5, 99.0),
    "ed_dropout_rate": (0.42, 0.35, 0.40, 0.30),
    "ed_standard_schools": (58.0, 61.5, 62.0, 65.0),
}
MONTHS: Final = 25
SUMMER: Final = (6, 7, 8)  # no lessons, no attendance


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
    """Create the demo schools and figures before ``end``; does nothing if the pack already has
    schools. Returns the number of observations stored."""
    with factory() as session:
        if session.execute(select(Entity.id).where(Entity.type == SCHOOL_TYPE)).first():
            return 0
    rng = random.Random(6602)  # noqa: S311 - reproducible demo figures, not security
    end_ts = int(end.timestamp())
    actor = Actor.system("demo")
    with factory() as session, session.begin():
        schools = list(SCHOOLS)
        for c in geo.communes(session):
            if c.lat is None or c.lon is None:
                continue
            short = c.name.split(" ", 1)[1]
            for prefix, kind, lo, hi, code in (
                ("Trường Tiểu học", "primary", 700, 1900, "TH"),
                ("Trường THCS", "lower_secondary", 600, 1600, "THCS"),
            ):
                schools.append(
                    DemoSchool(
                        f"{code}-{c.code}",
                        f"{prefix} {short}",
                        kind,
                        round(c.lat + rng.uniform(-0.008, 0.008), 5),
                        round(c.lon + rng.uniform(-0.008, 0.008), 5),
                        c.code,
                        rng.randint(lo, hi),
                    )
                )
        # Each demo point stays inside its commune, whatever boundaries are loaded.
        locator = current_locator(session)
        for s in schools:
            lat, lon = locator.point_in(s.commune, s.lat, s.lon)
            upsert_school(
                session,
                actor,
                code=s.code,
                name=s.name,
                kind=s.kind,
                lat=lat,
                lon=lon,
                area_code=s.commune,
                agency_code="so-giao-duc-dao-tao",
                attributes={"demo": True},
            )
        writer = _Writer(session, offset)
        last_year = datetime.fromtimestamp(end_ts + offset, tz=UTC).year - 1
        for m in _months(end_ts, offset, MONTHS):
            local = datetime.fromtimestamp(m + offset, tz=UTC)
            school_year = local.year if local.month >= 9 else local.year - 1
            growth = 1.0 + 0.015 * (school_year - last_year)
            for s in schools:
                pupils = round(s.pupils * growth)
                per_class = 38 if s.kind in ("upper_secondary", "gifted") else 33
                per_teacher = {"primary": 21.0, "lower_secondary": 18.5}.get(s.kind, 17.0)
                writer.add("ed_pupils", s.code, m, pupils)
                writer.add("ed_classes", s.code, m, max(1, round(pupils / per_class)))
                writer.add("ed_teachers", s.code, m, max(1, round(pupils / per_teacher)))
                if local.month not in SUMMER:
                    # Attendance dips around Tết (January/February) and in the rainy season.
                    dip = {1: 1.2, 2: 1.8, 10: 0.8, 11: 0.9}.get(local.month, 0.0)
                    rate = 97.5 - dip - rng.uniform(0.0, 1.6)
                    writer.add("ed_attendance", s.code, m, round(rate, 1))
        # Exam results of the last two school years (July), upper-secondary schools only.
        for year in (last_year - 1, last_year):
            july = int(datetime(year, 7, 1, tzinfo=UTC).timestamp()) - offset
            for s in schools:
                if s.pass_rate:
                    drift = 0.0 if year == last_year else -0.4
                    rate = min(100.0, s.pass_rate + drift)
                    writer.add("ed_exam_pass_rate", s.code, july, round(rate, 1))
                    writer.add("ed_exam_avg_score", s.code, july, round(s.score + drift / 4, 2))
            jan = int(datetime(year, 1, 1, tzinfo=UTC).timestamp()) - offset
            for code, values in PROVINCE.items():
                value = values[0] if year == last_year - 1 else values[1]
                writer.add(code, geo.PROVINCE, jan, value, kind="area")
        stored = writer.flush()
        indicators = {
            i.code: i
            for i in session.execute(
                select(Indicator).where(Indicator.code.in_(list(PROVINCE)))
            ).scalars()
        }
        for code, values in PROVINCE.items():
            for year, target in ((last_year, values[2]), (last_year + 1, values[3])):
                set_target(
                    session,
                    actor,
                    indicator=indicators[code],
                    area_code=geo.PROVINCE,
                    year=year,
                    value=target,
                    source_document="[demo] Kế hoạch phát triển giáo dục",
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
            for i in session.execute(
                select(Indicator).where(Indicator.pack == "education")
            ).scalars()
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
