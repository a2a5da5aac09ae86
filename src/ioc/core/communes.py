"""Current communes/wards of the province with their map position (from the ``areas`` table,
whose current communes carry the approximate centroids of
``ioc/data/commune_centroids_66.yaml``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core.models import Area

PROVINCE = "66"


@dataclass(frozen=True)
class Commune:
    """A current commune or ward."""

    code: str
    name: str
    lat: float | None
    lon: float | None


def communes(session: Session) -> list[Commune]:
    """Every current commune/ward of the province, by name."""
    rows = session.execute(
        select(Area.code, Area.name, Area.lat, Area.lon)
        .where(Area.valid_to.is_(None), Area.level.in_(("commune", "ward")))
        .order_by(Area.name_folded)
    )
    return [Commune(code, name, lat, lon) for code, name, lat, lon in rows]
