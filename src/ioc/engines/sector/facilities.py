"""The register of a sector whose entities are all of one type (the schools of education, the
medical facilities of health): the class of its places, the figures they read, and the two
actions on them — create or update one, list them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, Unpack, overload

from sqlalchemy.orm import Session

from ioc.core import audit
from ioc.core.models import Entity
from ioc.engines.sector.catalog import Sector
from ioc.engines.sector.entities import P, Place, PlaceFields, places, upsert_place

__all__ = ["FigureOf", "Register"]


class FigureOf:
    """A place's attribute giving the newest value of one figure (0 when not reported), as in
    ``beds = FigureOf("hl_beds", "Planned beds.")``."""

    def __init__(self, code: str, doc: str) -> None:
        self.code = code
        self.__doc__ = doc

    @overload
    def __get__(self, place: None, owner: type[Any]) -> FigureOf: ...
    @overload
    def __get__(self, place: Place, owner: type[Any]) -> float: ...
    def __get__(self, place: Place | None, owner: type[Any]) -> FigureOf | float:
        """The figure of ``place`` (the descriptor itself when read on the class)."""
        return self if place is None else place.figure(self.code)


@dataclass(frozen=True)
class Register(Generic[P]):
    """The entities of type ``entity_type`` of ``sector``, read as ``place`` objects."""

    sector: Sector
    entity_type: str
    place: type[P]

    def upsert(self, session: Session, actor: audit.Actor, **fields: Unpack[PlaceFields]) -> Entity:
        """Thêm/cập nhật: create or update one in commune ``area_code`` — with a point, in the
        commune of the point (a point outside the province is refused)."""
        return upsert_place(self.sector, session, actor, self.entity_type, **fields)

    def places(self, session: Session, area_code: str | None = None) -> list[P]:
        """The active ones (of one commune if given) with their latest figures, by name."""
        return places(self.sector, session, self.place, area_code)
