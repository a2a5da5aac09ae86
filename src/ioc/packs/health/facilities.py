"""Medical facilities (cơ sở y tế) as entities, and their latest figures.

``MedicalFacility`` follows the schema.org type of that name; ``attributes.kind`` says which
sort (hospital, regional medical centre, commune health station, private hospital), as listed
with the figures in ``sector.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from ioc.engines.sector.catalog import load_sector
from ioc.engines.sector.entities import Place
from ioc.engines.sector.facilities import FigureOf, Register

#: The health sector, as ``sector.yaml`` declares it.
SECTOR: Final = load_sector("ioc.packs.health")


@dataclass
class Facility(Place):
    """A facility with the newest value of each of its figures."""

    beds = FigureOf("hl_beds", "Planned beds (0 when not reported).")


#: The facilities: add or update one (in the commune of its point when it has one), list them.
FACILITIES: Final = Register(SECTOR, "MedicalFacility", Facility)
FACILITY_TYPE: Final = FACILITIES.entity_type
upsert_facility: Final = FACILITIES.upsert
facilities: Final = FACILITIES.places
