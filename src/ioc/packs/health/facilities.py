"""Medical facilities (cơ sở y tế) as entities, and their latest figures.

``MedicalFacility`` follows the schema.org type of that name; ``attributes.kind`` says which
sort (hospital, regional medical centre, commune health station, private hospital).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import audit
from ioc.core.entities import EntityError, upsert_entity
from ioc.core.models import Area, Entity, Indicator, Series
from ioc.engines import geo

PACK: Final = "health"
FACILITY_TYPE: Final = "MedicalFacility"
KINDS: Final = ("hospital", "specialty_hospital", "medical_centre", "health_station", "private")
FIGURES: Final = (
    "hl_beds",
    "hl_doctors",
    "hl_bed_occupancy",
    "hl_outpatient_visits",
    "hl_inpatients",
)


def upsert_facility(
    session: Session,
    actor: audit.Actor,
    *,
    code: str,
    name: str,
    kind: str,
    lat: float | None,
    lon: float | None,
    area_code: str,
    agency_code: str | None = None,
    attributes: dict[str, Any] | None = None,
) -> Entity:
    """Thêm/cập nhật cơ sở y tế: create or update a facility in commune ``area_code`` — with a
    point, in the commune of the point (a point outside the province is refused)."""
    if kind not in KINDS:
        raise EntityError(f"kind: loại cơ sở không hợp lệ {kind!r} / one of {', '.join(KINDS)}")
    if session.execute(select(Area.id).where(Area.code == area_code)).first() is None:
        raise EntityError(f"area_code: không có xã/phường {area_code} / unknown commune")
    try:  # the point decides the commune; area_code stands when there is no point
        area_code = geo.commune_for_point(session, lat, lon, area_code) or area_code
    except geo.GeoError as exc:
        raise EntityError(f"lat/lon: {exc}") from exc
    entity, _ = upsert_entity(
        session,
        actor,
        code=code,
        type=FACILITY_TYPE,
        pack=PACK,
        name=name,
        lat=lat,
        lon=lon,
        attributes={**(attributes or {}), "kind": kind},
    )
    if (entity.area_code, entity.agency_code) != (area_code, agency_code):
        entity.area_code, entity.agency_code = area_code, agency_code
        audit.record(
            session, actor, "entity.update", "entity", entity.id, area=area_code, agency=agency_code
        )
    return entity


@dataclass
class Facility:
    """A facility with the newest value of each of its figures."""

    code: str
    name: str
    kind: str
    lat: float | None
    lon: float | None
    area_code: str | None
    latest: dict[str, float]
    demo: bool

    @property
    def beds(self) -> float:
        """Planned beds (0 when not reported)."""
        return self.latest.get("hl_beds", 0.0)


def facilities(session: Session, area_code: str | None = None) -> list[Facility]:
    """Active facilities (of one commune if given) with their latest figures, by name."""
    stmt = select(Entity).where(Entity.type == FACILITY_TYPE, Entity.active.is_(True))
    if area_code is not None:
        stmt = stmt.where(Entity.area_code == area_code)
    entities = list(session.execute(stmt.order_by(Entity.name_folded)).scalars())
    latest: dict[str, dict[str, float]] = {e.code: {} for e in entities}
    if entities:
        rows = session.execute(
            select(Series.subject_code, Indicator.code, Series.latest_value)
            .join(Indicator, Indicator.id == Series.indicator_id)
            .where(
                Series.subject_kind == "entity",
                Series.subject_code.in_(list(latest)),
                Indicator.code.in_(FIGURES),
                Series.latest_value.is_not(None),
            )
        )
        for subject, indicator, value in rows:
            if value is not None:
                latest[subject][indicator] = float(value)
    return [
        Facility(
            code=e.code,
            name=e.name,
            kind=str((e.attributes or {}).get("kind", "hospital")),
            lat=e.lat,
            lon=e.lon,
            area_code=e.area_code,
            latest=latest[e.code],
            demo=bool((e.attributes or {}).get("demo", False)),
        )
        for e in entities
    ]
