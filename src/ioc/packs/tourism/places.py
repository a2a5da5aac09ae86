"""Tourist destinations and accommodation as entities, and their latest figures.

``TouristDestination`` and ``Accommodation`` follow the schema.org / Smart Data Models types of
those names; ``attributes.kind`` says which sort (nature, culture, beach; hotel, resort,
homestay), as listed with the figures in ``sector.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Unpack

from sqlalchemy.orm import Session

from ioc.core import audit
from ioc.core.models import Entity
from ioc.engines.sector import entities
from ioc.engines.sector.catalog import load_sector
from ioc.engines.sector.entities import PlaceFields
from ioc.engines.sector.facilities import FigureOf

SECTOR: Final = load_sector("ioc.packs.tourism")
DESTINATION: Final = "TouristDestination"
ACCOMMODATION: Final = "Accommodation"
TYPES: Final = (DESTINATION, ACCOMMODATION)


def upsert_place(
    session: Session, actor: audit.Actor, *, type: str, **fields: Unpack[PlaceFields]
) -> Entity:
    """Thêm/cập nhật điểm du lịch, cơ sở lưu trú: create or update a place of ``type`` in
    commune ``area_code`` — with a point, in the commune of the point (a point outside the
    province is refused)."""
    return entities.upsert_place(SECTOR, session, actor, type, **fields)


@dataclass
class Place(entities.Place):
    """A destination or accommodation with the newest value of each of its figures."""

    rooms = FigureOf("tr_rooms", "Rooms (0 when not reported or not an accommodation).")


def places(session: Session, area_code: str | None = None) -> list[Place]:
    """Active destinations and accommodation (of one commune if given) with their latest
    figures, by name."""
    return entities.places(SECTOR, session, Place, area_code)
