"""Communes of the province for the health pages: name, map position and population.

Positions come from the ``areas`` table when it has them, otherwise from the pack's
``communes.yaml`` (approximate centroids). Population there is [demo] data (illustrative, not
official statistics) used for incidence per 100,000 and beds per 10,000 people.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Any

from sqlalchemy.orm import Session

from ioc.core import communes as core
from ioc.core import yaml_text
from ioc.core.communes import PROVINCE

__all__ = ["PROVINCE", "Commune", "communes", "province_population"]


@dataclass(frozen=True)
class Commune(core.Commune):
    """A current commune or ward with its population ([demo] figures)."""

    population: int | None = None


@lru_cache(maxsize=1)
def _shipped() -> dict[str, dict[str, Any]]:
    raw: Any = yaml_text.load(
        (files("ioc.packs.health") / "communes.yaml").read_text(encoding="utf-8")
    )
    return {str(c["code"]): c for c in raw.get("communes", [])}


def communes(session: Session) -> list[Commune]:
    """Every current commune/ward of the province, by name."""
    shipped = _shipped()
    out = []
    for c in core.communes(session):
        extra = shipped.get(c.code, {})
        lat, lon = c.lat, c.lon
        if lat is None or lon is None:
            lat, lon = extra.get("lat"), extra.get("lon")
        population = extra.get("population")
        out.append(Commune(c.code, c.name, lat, lon, int(population) if population else None))
    return out


def province_population(items: list[Commune]) -> int:
    """Sum of the communes' populations (0 when none is known)."""
    return sum(c.population or 0 for c in items)
