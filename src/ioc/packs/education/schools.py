"""Schools (trường học) as entities, and their latest figures.

``School`` follows the schema.org / Smart Data Models type of that name; ``attributes.kind``
says the level (kindergarten, primary, lower or upper secondary, gifted upper secondary), as
listed with the figures in ``sector.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sqlalchemy.orm import Session

from ioc.engines.sector.catalog import load_sector
from ioc.engines.sector.entities import Place, places, upserter

SECTOR: Final = load_sector("ioc.packs.education")
SCHOOL_TYPE: Final = "School"


# Thêm/cập nhật trường học: in the commune of its point when it has one.
upsert_school: Final = upserter(SECTOR, SCHOOL_TYPE)


@dataclass
class School(Place):
    """A school with the newest value of each of its figures."""

    @property
    def pupils(self) -> float:
        """Pupils (0 when not reported)."""
        return self.figure("ed_pupils")

    @property
    def teachers(self) -> float:
        """Teachers (0 when not reported)."""
        return self.figure("ed_teachers")


def schools(session: Session, area_code: str | None = None) -> list[School]:
    """Active schools (of one commune if given) with their latest figures, by name."""
    return places(SECTOR, session, School, area_code)
