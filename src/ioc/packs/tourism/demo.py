"""Demo data of the tourism pack [demo]: real destinations and accommodation of Đắk Lắk at
approximately right positions (``demo.yaml``), and plausible — NOT official — monthly visits,
guests, room occupancy and the province figures Sở VHTTDL submits, with yearly targets.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from ioc.core import communes as geo
from ioc.core.audit import Actor
from ioc.engines.sector import demo as kit
from ioc.packs.tourism.places import DESTINATION, SECTOR


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


_DATA: Final = kit.demo_data("ioc.packs.tourism")
# Real destinations and accommodation of Đắk Lắk (demo.yaml).
PLACES: Final = tuple(DemoPlace(*row) for row in _DATA["places"])
# Seasonality by month (1–12) in the highlands and on the coast.
HIGHLANDS: Final[list[float]] = _DATA["highlands"]
COAST: Final[list[float]] = _DATA["coast"]
# Province figures a typical month [demo] and targets (last year, this year).
PROVINCE: Final[dict[str, list[float]]] = _DATA["province"]
MONTHS: Final = 25


def _generate(run: kit.DemoRun) -> int:
    """The demo places and their figures before the run's end."""
    rng = random.Random(6603)  # noqa: S311 - reproducible demo figures, not security
    end_ts, offset, last_year = run.end_ts, run.offset, run.last_year
    actor = Actor.system("demo")
    with run.factory() as session, session.begin():
        agency = "so-van-hoa-the-thao-du-lich"
        kit.add_places(SECTOR, session, PLACES, lambda p: str(p.type), agency)
        writer = kit.DemoWriter(session, offset, "tourism")
        for m in kit.months_before(end_ts, offset, MONTHS):
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
        targets = {code: {last_year: v[1], last_year + 1: v[2]} for code, v in PROVINCE.items()}
        kit.set_targets(session, actor, targets, geo.PROVINCE, "[demo] Kế hoạch phát triển du lịch")
    run.report(stored)
    return stored


load_demo = kit.demo_loader(SECTOR, _generate)
