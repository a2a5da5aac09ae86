"""Communes of the province for the education pages: name and map position.

Positions come from the ``areas`` table when it has them, otherwise from the pack's
``communes.yaml`` (approximate centroids).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Any

import yaml
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


@lru_cache(maxsize=1)
def _shipped() -> dict[str, dict[str, Any]]:
    raw: Any = yaml.safe_load(
        (files("ioc.packs.education") / "communes.yaml").read_text(encoding="utf-8")
    )
    return {str(c["code"]): c for c in raw.get("communes", [])}


def communes(session: Session) -> list[Commune]:
    """Every current commune/ward of the province, by name."""
    shipped = _shipped()
    rows = session.execute(
        select(Area.code, Area.name, Area.lat, Area.lon)
        .where(Area.valid_to.is_(None), Area.level.in_(("commune", "ward")))
        .order_by(Area.name_folded)
    )
    out = []
    for code, name, lat, lon in rows:
        extra = shipped.get(code, {})
        if lat is None or lon is None:
            lat, lon = extra.get("lat"), extra.get("lon")
        out.append(Commune(code, name, lat, lon))
    return out
