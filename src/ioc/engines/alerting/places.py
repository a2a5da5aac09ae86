"""Where open alerts and incidents happen: the points of the province maps (overview, wall).

An open alert is placed at its entity — the ``station`` or ``subject`` label naming an entity
that has a position — else at the centre of its commune (``area_code``; the approximate
centroid every current commune carries), else it has no place. The maps count both: every
alert with a place is drawn, the others are counted ("12 cảnh báo chưa có vị trí") so a map
never says "nothing here" while alerts are open. An incident has no entity: it is placed at the
centre of its commune.

Read-only, like :mod:`ioc.engines.alerting.queries` (whose rows it takes).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core.models import Area, Entity
from ioc.engines.actions_kit import same_named
from ioc.engines.alerting.models import Incident
from ioc.engines.alerting.queries import SEVERITY_RANK, AlertRow, area_names

__all__ = ["ENTITY_LABELS", "MapPoint", "MapPoints", "alert_points"]

# Labels that name the entity an alert is about, most specific first.
ENTITY_LABELS = ("station", "subject")

How = Literal["entity", "commune"]


@dataclass(frozen=True)
class MapPoint:
    """An alert or an incident at its place."""

    kind: Literal["alert", "incident"]
    id: int
    title: str
    severity: str
    lat: float
    lon: float
    how: How  # placed at its entity, or at the centre of its commune
    place: str  # the entity's or the commune's name
    area_name: str | None
    url: str
    code: str | None = None  # an incident's code (SC-2026-0001)


@dataclass(frozen=True)
class MapPoints:
    """The open alerts and incidents with a place, and how many have none."""

    alerts: list[MapPoint] = field(default_factory=list)
    incidents: list[MapPoint] = field(default_factory=list)
    unplaced_alerts: int = 0
    unplaced_incidents: int = 0

    @property
    def total_alerts(self) -> int:
        """Every open alert given, placed or not."""
        return len(self.alerts) + self.unplaced_alerts

    def as_json(self) -> dict[str, Any]:
        """What the maps read (``/wall/data``, the overview's JSON block)."""
        return {
            "alerts": [_point_json(p) for p in self.alerts],
            "incidents": [_point_json(p) for p in self.incidents],
            "placed": len(self.alerts),
            "unplaced": self.unplaced_alerts,
            "total": self.total_alerts,
            "unplaced_incidents": self.unplaced_incidents,
        }


def _point_json(p: MapPoint) -> dict[str, Any]:
    """The fields of a point the maps read, in this order."""
    return same_named(p, "id code title severity lat lon how place url")


def _entities(session: Session, codes: set[str]) -> dict[str, tuple[float, float, str]]:
    if not codes:
        return {}
    rows = session.execute(
        select(Entity.code, Entity.lat, Entity.lon, Entity.name).where(
            Entity.code.in_(codes), Entity.lat.is_not(None), Entity.lon.is_not(None)
        )
    ).all()
    return {
        code: (lat, lon, name)
        for code, lat, lon, name in rows
        if lat is not None and lon is not None
    }


def _entity_codes(row: AlertRow) -> list[str]:
    """The entity codes an alert names, most specific first."""
    codes = [row.labels.get(key) for key in ENTITY_LABELS]
    return [c for c in [row.station, *codes] if c]


def _centres(session: Session, codes: Iterable[str | None]) -> dict[str, tuple[float, float]]:
    wanted = {c for c in codes if c}
    if not wanted:
        return {}
    rows = session.execute(
        select(Area.code, Area.lat, Area.lon).where(
            Area.code.in_(wanted),
            Area.valid_to.is_(None),
            Area.lat.is_not(None),
            Area.lon.is_not(None),
        )
    ).all()
    return {code: (lat, lon) for code, lat, lon in rows if lat is not None and lon is not None}


def _order(points: list[MapPoint]) -> list[MapPoint]:
    # Worst last, so they are drawn on top.
    return sorted(points, key=lambda p: (-SEVERITY_RANK.get(p.severity, 9), p.id))


def alert_points(
    session: Session, alerts: list[AlertRow], with_incidents: bool = True
) -> MapPoints:
    """Place every alert of ``alerts`` (the open alerts, from ``queries.open_alerts``) and,
    with ``with_incidents``, every open incident; count those without a place."""
    entities = _entities(session, {c for row in alerts for c in _entity_codes(row)})
    incidents: list[Incident] = []
    if with_incidents:
        incidents = list(
            session.execute(select(Incident).where(Incident.status == "open")).scalars()
        )
    centres = _centres(session, [r.area_code for r in alerts] + [i.area_code for i in incidents])
    names = area_names(session, [i.area_code for i in incidents])

    placed: list[MapPoint] = []
    unplaced = 0
    for row in alerts:
        entity = next((entities[c] for c in _entity_codes(row) if c in entities), None)
        how: How
        if entity is not None:
            lat, lon, place = entity
            how = "entity"
        elif row.area_code and row.area_code in centres:
            lat, lon = centres[row.area_code]
            place = row.area_name or row.area_code
            how = "commune"
        else:
            unplaced += 1
            continue
        placed.append(
            MapPoint(
                kind="alert",
                id=row.id,
                title=row.summary or row.title,
                severity=row.severity,
                lat=lat,
                lon=lon,
                how=how,
                place=place,
                area_name=row.area_name,
                url=f"/alerts/{row.id}",
            )
        )

    incident_points: list[MapPoint] = []
    incident_unplaced = 0
    for inc in incidents:
        if not inc.area_code or inc.area_code not in centres:
            incident_unplaced += 1
            continue
        lat, lon = centres[inc.area_code]
        name = names.get(inc.area_code, inc.area_code)
        incident_points.append(
            MapPoint(
                kind="incident",
                id=inc.id,
                title=inc.title,
                severity=inc.severity,
                lat=lat,
                lon=lon,
                how="commune",
                place=name,
                area_name=name,
                url=f"/alerts/incidents/{inc.id}",
                code=inc.code,
            )
        )
    return MapPoints(
        alerts=_order(placed),
        incidents=_order(incident_points),
        unplaced_alerts=unplaced,
        unplaced_incidents=incident_unplaced,
    )
