"""Schools (trường học) as entities, and their latest figures.

``School`` follows the schema.org / Smart Data Models type of that name; ``attributes.kind``
says the level (kindergarten, primary, lower or upper secondary, gifted upper secondary), as
listed with the figures in ``sector.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from ioc.engines.sector.catalog import load_sector
from ioc.engines.sector.entities import Place
from ioc.engines.sector.facilities import FigureOf, Register

#: The education sector, as ``sector.yaml`` declares it.
SECTOR: Final = load_sector("ioc.packs.education")


@dataclass
class School(Place):
    """A school with the newest value of each of its figures."""

    pupils = FigureOf("ed_pupils", "Pupils (0 when not reported).")
    teachers = FigureOf("ed_teachers", "Teachers (0 when not reported).")


#: The schools: add or update one (in the commune of its point when it has one), list them.
SCHOOLS: Final = Register(SECTOR, "School", School)
SCHOOL_TYPE: Final = SCHOOLS.entity_type
upsert_school: Final = SCHOOLS.upsert
schools: Final = SCHOOLS.places
