"""Demo data of the education pack [demo]: real upper-secondary schools of Đắk Lắk at
approximately right positions (``demo.yaml``), a primary and a lower-secondary school per
commune, and plausible — NOT official — pupils, teachers, attendance and exam results, plus the
province figures Sở GD&ĐT submits yearly with their targets.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from ioc.core import communes as geo
from ioc.core.audit import Actor
from ioc.engines.sector import demo as kit
from ioc.packs.education.schools import SCHOOL_TYPE, SECTOR


@dataclass(frozen=True)
class DemoSchool(kit.DemoSite):
    """A school of the demo (approximate position)."""

    pupils: int
    pass_rate: float = 0.0
    score: float = 0.0


_DATA: Final = kit.demo_data("ioc.packs.education")
# Real upper-secondary schools of Đắk Lắk (demo.yaml).
SCHOOLS: Final = tuple(DemoSchool(*row) for row in _DATA["schools"])
# Province figures Sở GD&ĐT submits for a school year ending in the given year [demo]:
# code -> (value two years ago, last year, target last year, target this year).
PROVINCE: Final[dict[str, list[float]]] = _DATA["province"]
MONTHS: Final = 25
SUMMER: Final = (6, 7, 8)  # no lessons, no attendance


def _generate(run: kit.DemoRun) -> int:
    """The demo schools and their figures before the run's end."""
    rng = random.Random(6602)  # noqa: S311 - reproducible demo figures, not security
    end_ts, offset, last_year = run.end_ts, run.offset, run.last_year
    actor = Actor.system("demo")
    with run.factory() as session, session.begin():
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
        kit.add_places(SECTOR, session, schools, lambda _: SCHOOL_TYPE, "so-giao-duc-dao-tao")
        writer = kit.DemoWriter(session, offset, "education")
        for m in kit.months_before(end_ts, offset, MONTHS):
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
        targets = {code: {last_year: v[2], last_year + 1: v[3]} for code, v in PROVINCE.items()}
        kit.set_targets(
            session, actor, targets, geo.PROVINCE, "[demo] Kế hoạch phát triển giáo dục"
        )
    run.report(stored)
    return stored


load_demo = kit.demo_loader(SECTOR, _generate)
