"""A sector's facilities or places as entities (schema.org / Smart Data Models types named in
the pack's ``sector.yaml``), and their latest figures.

``attributes.kind`` says which sort an entity is (a school's level, a facility's or a place's
kind); the commune is the one of the entity's point when it has one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict, TypeVar, Unpack

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import audit
from ioc.core.entities import EntityError, upsert_entity
from ioc.core.figures import entity_series
from ioc.core.models import Area, Entity, Indicator, Series
from ioc.engines import geo
from ioc.engines.sector.catalog import Sector


class PlaceFields(TypedDict):
    """What an entity of a sector is given when it is created or updated."""

    code: str
    name: str
    kind: str
    lat: float | None
    lon: float | None
    area_code: str
    agency_code: NotRequired[str | None]
    attributes: NotRequired[dict[str, Any] | None]


def upsert_place(
    sector: Sector, session: Session, actor: audit.Actor, type: str, **fields: Unpack[PlaceFields]
) -> Entity:
    """Create or update an entity of ``type`` in commune ``area_code`` — with a point, in the
    commune of the point (a point outside the province is refused)."""
    kinds = sector.types.get(type)
    if kinds is None:
        raise EntityError(f"type: loại không hợp lệ {type!r} / one of {', '.join(sector.types)}")
    kind = fields["kind"]
    if kind not in kinds:
        raise EntityError(
            f"kind: {sector.kind_label} không hợp lệ {kind!r} / one of {', '.join(kinds)}"
        )
    area_code = fields["area_code"]
    if session.execute(select(Area.id).where(Area.code == area_code)).first() is None:
        raise EntityError(f"area_code: không có xã/phường {area_code} / unknown commune")
    lat, lon = fields["lat"], fields["lon"]
    try:  # the point decides the commune; area_code stands when there is no point
        area_code = geo.commune_for_point(session, lat, lon, area_code) or area_code
    except geo.GeoError as exc:
        raise EntityError(f"lat/lon: {exc}") from exc
    entity, _ = upsert_entity(
        session,
        actor,
        code=fields["code"],
        type=type,
        pack=sector.name,
        name=fields["name"],
        lat=lat,
        lon=lon,
        attributes={**(fields.get("attributes") or {}), "kind": kind},
    )
    agency_code = fields.get("agency_code")
    if (entity.area_code, entity.agency_code) != (area_code, agency_code):
        entity.area_code, entity.agency_code = area_code, agency_code
        audit.record(
            session, actor, "entity.update", "entity", entity.id, area=area_code, agency=agency_code
        )
    return entity


@dataclass
class Place:
    """A facility or place with the newest value of each of its figures."""

    code: str
    name: str
    type: str
    kind: str
    lat: float | None
    lon: float | None
    area_code: str | None
    latest: dict[str, float]
    demo: bool

    def figure(self, code: str) -> float:
        """The latest value of figure ``code`` (0 when not reported)."""
        return self.latest.get(code, 0.0)


P = TypeVar("P", bound=Place)


def _latest(
    session: Session, codes: list[str], figures: tuple[str, ...]
) -> dict[str, dict[str, float]]:
    latest: dict[str, dict[str, float]] = {c: {} for c in codes}
    if not codes:
        return latest
    columns = (Series.subject_code, Indicator.code, Series.latest_value)
    rows = session.execute(
        entity_series(codes, figures, *columns).where(Series.latest_value.is_not(None))
    )
    for subject, indicator, value in rows:
        if value is not None:
            latest[subject][indicator] = float(value)
    return latest


def places(sector: Sector, session: Session, cls: type[P], area_code: str | None = None) -> list[P]:
    """Active entities of the sector's types (of one commune if given) with their latest
    figures, by name."""
    stmt = select(Entity).where(Entity.type.in_(list(sector.types)), Entity.active.is_(True))
    if area_code is not None:
        stmt = stmt.where(Entity.area_code == area_code)
    entities = list(session.execute(stmt.order_by(Entity.name_folded)).scalars())
    latest = _latest(session, [e.code for e in entities], sector.figures)
    return [
        cls(
            code=e.code,
            name=e.name,
            type=e.type,
            kind=str((e.attributes or {}).get("kind", sector.default_kind)),
            lat=e.lat,
            lon=e.lon,
            area_code=e.area_code,
            latest=latest[e.code],
            demo=bool((e.attributes or {}).get("demo", False)),
        )
        for e in entities
    ]


def first_place_exists(sector: Sector, session: Session) -> bool:
    """Whether the sector has any entity yet (the demo loads only into an empty sector)."""
    found = session.execute(select(Entity.id).where(Entity.type.in_(list(sector.types))))
    return found.first() is not None
