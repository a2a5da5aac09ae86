"""The maps of a sector's pages (drawn by ``IOC.aqiMap``): markers of communes and of
facilities or places, colour classes, and the JSON a page embeds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final, TypeVar

import orjson

from ioc.engines.sector.catalog import Sector
from ioc.engines.sector.entities import Place

P = TypeVar("P", bound=Place)

# Town names drawn on the maps so they read without a tile server (display only).
MAP_PLACES: Final = (
    {"name": "Buôn Ma Thuột", "lat": 12.6300, "lon": 108.0400},
    {"name": "Buôn Hồ", "lat": 12.8700, "lon": 108.2700},
    {"name": "Ea Súp", "lat": 13.1900, "lon": 107.8200},
    {"name": "M'Drắk", "lat": 12.6600, "lon": 108.8000},
    {"name": "Tuy Hòa", "lat": 13.0400, "lon": 109.3200},
    {"name": "Sông Cầu", "lat": 13.5000, "lon": 109.2100},
)
# Fill and text colour of a commune without a figure ("không có số liệu", never drawn as 0).
NO_DATA_COLOR: Final = ("#C4CAD1", "#2B333D")


def to_json(value: Any) -> str:
    """JSON for a ``<script type="application/json">`` block ("</" escaped)."""
    return orjson.dumps(value).decode().replace("</", "<\\/")


def class_color(classes: Sequence[tuple[float, str, str]], value: float | None) -> tuple[str, str]:
    """Fill and text colour of the class ``value`` falls in (lower bounds, ascending)."""
    if value is None:
        return NO_DATA_COLOR
    chosen = classes[0]
    for cls in classes:
        if value >= cls[0]:
            chosen = cls
    return chosen[1], chosen[2]


def marker(
    code: str,
    name: str,
    at: tuple[float, float],
    value: float | None,
    colors: tuple[str, str],
    label: str,
    url: str | None,
    kind: str | None = None,
) -> dict[str, Any]:
    """One marker: ``value`` is the number drawn on it, ``label`` its popup line."""
    head: dict[str, Any] = {"code": code, "name": name}
    if kind is not None:
        head["kind"] = kind
    return {
        **head,
        "lat": at[0],
        "lon": at[1],
        "aqi": value,
        "color": colors[0],
        "text_color": colors[1],
        "category_label": label,
        "url": url,
    }


def place_markers(
    sector: Sector,
    items: Iterable[P],
    value: Callable[[P], float | None],
    label: Callable[[P], str],
    *,
    with_kind: bool = True,
) -> list[dict[str, Any]]:
    """Facilities or places with a point, coloured by kind, linking to their commune's page."""
    return [
        marker(
            p.code,
            p.name,
            (p.lat, p.lon),
            value(p),
            (sector.color(p.kind), "#FFFFFF"),
            label(p),
            sector.commune_url(p.area_code) if p.area_code else None,
            p.kind if with_kind else None,
        )
        for p in items
        if p.lat is not None and p.lon is not None
    ]


def map_json(
    settings: Any,
    label: str,
    stations: list[dict[str, Any]],
    *,
    places: bool = True,
    opts: dict[str, Any] | None = None,
    **layers: Any,
) -> str:
    """The JSON of one map: markers, the tile server of ``settings``, the figure's name
    (``label``), the town names unless ``places`` is off, further ``opts`` and layers."""
    data: dict[str, Any] = {
        "stations": stations,
        "opts": {
            "tileUrl": settings.map_tile_url,
            "tileAttribution": settings.map_tile_attribution,
            "aqiLabel": label,
            "radius": 11,
            **(opts or {}),
        },
    }
    if places:
        data["places"] = MAP_PLACES
    return to_json({**data, **layers})
