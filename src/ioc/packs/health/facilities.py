"""Medical facilities (cơ sở y tế) as entities, and their latest figures.

``MedicalFacility`` follows the schema.org type of that name; ``attributes.kind`` says which
sort (hospital, regional medical centre, commune health station, private hospital), as listed
with the figures in ``sector.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sqlalchemy.orm import Session

from ioc.engines.sector.catalog import load_sector
from ioc.engines.sector.entities import Place, places, upserter

SECTOR: Final = load_sector("ioc.packs.health")
FACILITY_TYPE: Final = "MedicalFacility"


# Thêm/cập nhật cơ sở y tế: in the commune of its point when it has one.
upsert_facility: Final = upserter(SECTOR, FACILITY_TYPE)


@dataclass
class Facility(Place):
    """A facility with the newest value of each of its figures."""

    @property
    def beds(self) -> float:
        """Planned beds (0 when not reported)."""
        return self.figure("hl_beds")


def facilities(session: Session, area_code: str | None = None) -> list[Facility]:
    """Active facilities (of one commune if given) with their latest figures, by name."""
    return places(SECTOR, session, Facility, area_code)
