"""Demo data of the health pack [demo]: real Đắk Lắk hospitals and medical centres at
approximately right positions (``demo.yaml``), a health station per commune, and plausible —
NOT official — monthly figures, immunisation coverage and weekly notifiable-disease cases per
commune, with a few outbreaks in the last complete week so the EARS rules have something to
find.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from sqlalchemy.orm import Session, sessionmaker

from ioc.core.audit import Actor
from ioc.engines.sector import demo as kit
from ioc.packs.health import geo
from ioc.packs.health.facilities import FACILITY_TYPE, SECTOR
from ioc.packs.health.surveillance import DISEASES, WEEK, indicator_code, week_start

MONTHS: Final = 24  # two years of monthly figures (year-on-year comparison) for a long demo
SHORT_MONTHS: Final = 13  # a short demo (under a year) keeps a year and the month before


@dataclass(frozen=True)
class DemoFacility(kit.DemoSite):
    """A facility of the demo (approximate position)."""

    beds: int
    doctors: int
    visits: int  # typical outpatient visits a month
    occupancy: float  # typical bed occupancy, %


_DATA: Final = kit.demo_data("ioc.packs.health")
# Real Đắk Lắk hospitals and medical centres (demo.yaml).
FACILITIES: Final = tuple(DemoFacility(*row) for row in _DATA["facilities"])
# Typical weekly incidence per 100,000 by month (1–12) of each disease.
SEASON: Final[dict[str, list[float]]] = _DATA["season"]
# Outbreaks in the last complete week (and a build-up the week before): commune, disease,
# cases in the week before, cases in the last week.
OUTBREAKS: Final = tuple(tuple(o) for o in _DATA["outbreaks"])
# Yearly targets [demo] by indicator: (last year, this year).
TARGETS: Final[dict[str, list[float]]] = _DATA["targets"]


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


def _month_of(ts: int, offset: int) -> int:
    return datetime.fromtimestamp(ts + offset, tz=UTC).month


def _owner(f: DemoFacility) -> dict[str, object]:
    return {"demo": True, "owner": "private" if f.kind == "private" else "public"}


def _generate(run: kit.DemoRun) -> int:
    """The demo facilities and their figures before the run's end, then the weekly cases."""
    rng = random.Random(6601)  # noqa: S311 - reproducible demo figures, not security
    end_ts, offset, hours, last_year = run.end_ts, run.offset, run.hours, run.last_year
    actor = Actor.system("demo")
    stored = 0
    with run.factory() as session, session.begin():
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
        kit.add_places(SECTOR, session, facilities, lambda _: FACILITY_TYPE, "so-y-te", _owner)
        writer = kit.DemoWriter(session, offset, "health")
        # Monthly facility figures, stamped on the first day of each month.
        months_list = kit.months_before(
            end_ts, offset, MONTHS if hours >= 24 * 365 else SHORT_MONTHS
        )
        for m in months_list:
            month = _month_of(m, offset)
            season = 1.0 + 0.08 * math.cos((month - 4) / 12 * 2 * math.pi)
            for f in facilities:
                visits = f.visits * season * rng.uniform(0.92, 1.08)
                writer.add("hl_beds", f.code, m, f.beds)
                writer.add("hl_doctors", f.code, m, f.doctors)
                writer.add("hl_outpatient_visits", f.code, m, round(visits))
                if f.kind != "health_station":
                    occupancy = f.occupancy * season * rng.uniform(0.95, 1.05)
                    writer.add("hl_bed_occupancy", f.code, m, round(occupancy, 1))
                    writer.add("hl_inpatients", f.code, m, round(visits * 0.11))
            weighted = weight = 0.0
            for c in communes:
                base = 93.0 + (c.population or 20000) % 5
                value = min(100.0, base + rng.uniform(-3.5, 3.0))
                writer.add("hl_vaccination_coverage", c.code, m, round(value, 1), kind="area")
                weighted += value * (c.population or 0)
                weight += c.population or 0
            # Province figures Sở Y tế submits (the submissions engine's values).
            if weight:
                vaccination = round(weighted / weight, 1)
                writer.add("hl_vaccination_coverage", geo.PROVINCE, m, vaccination, kind="area")
            age = (m - months_list[0]) / (months_list[-1] - months_list[0] or 1)
            insurance = round(92.0 + 2.3 * age, 1)
            writer.add("hl_insurance_coverage", geo.PROVINCE, m, insurance, kind="area")
        for year, beds, doctors in ((last_year - 1, 29.6, 10.2), (last_year, 31.4, 10.8)):
            jan = int(datetime(year, 1, 1, tzinfo=UTC).timestamp()) - offset
            writer.add("hl_beds_per_10k", geo.PROVINCE, jan, beds, kind="area")
            writer.add("hl_doctors_per_10k", geo.PROVINCE, jan, doctors, kind="area")
        stored += writer.flush()
        targets = {code: {last_year: v[0], last_year + 1: v[1]} for code, v in TARGETS.items()}
        source = "[demo] Kế hoạch phát triển kinh tế – xã hội"
        kit.set_targets(session, actor, targets, geo.PROVINCE, source)
    run.report(stored)
    stored += _weekly_cases(run.factory, rng, end_ts, hours, offset)
    run.report(stored)
    return stored


load_demo = kit.demo_loader(SECTOR, _generate)


def _weekly_cases(
    factory: sessionmaker[Session], rng: random.Random, end_ts: int, hours: int, offset: int
) -> int:
    """Weekly cases per commune for every complete week of the period (at least 26 weeks),
    with the outbreaks of the last weeks."""
    last = week_start(end_ts) - WEEK
    weeks = max(26, hours // (24 * 7))
    outbreak = {(c, d): (before, peak) for c, d, before, peak in OUTBREAKS}
    with factory() as session, session.begin():
        communes = geo.communes(session)
        writer = kit.DemoWriter(session, offset, "health")
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
                    writer.add(indicator_code(d), c.code, start, count, kind="area")
        return writer.flush()
