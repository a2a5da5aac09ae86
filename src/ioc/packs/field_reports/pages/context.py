"""What every page of the pack shows: categories with their icons, communes, the map's
options, dates in the page language, and refused actions' messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from fastapi import Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import i18n
from ioc.packs.field_reports import routing
from ioc.packs.field_reports.errors import FieldReportError
from ioc.packs.field_reports.models import Category
from ioc.web.deps import request_language

# Towns drawn as labels on maps without tiles, so a citizen can find the place to tap.
# Approximate centres (WGS84) of the main towns of Đắk Lắk after the 2025 merger.
MAP_PLACES: tuple[dict[str, Any], ...] = (
    {"name": "Buôn Ma Thuột", "lat": 12.6670, "lon": 108.0380},
    {"name": "Buôn Hồ", "lat": 12.8700, "lon": 108.2700},
    {"name": "Tuy Hòa", "lat": 13.0880, "lon": 109.3000},
    {"name": "Sông Cầu", "lat": 13.4560, "lon": 109.2200},
    {"name": "Ea Kar", "lat": 12.8100, "lon": 108.4500},
    {"name": "Ea Drăng", "lat": 13.2000, "lon": 108.2300},
    {"name": "M'Đrắk", "lat": 12.7000, "lon": 108.7700},
    {"name": "Liên Sơn Lắk", "lat": 12.4000, "lon": 108.1700},
    {"name": "Củng Sơn", "lat": 13.0450, "lon": 108.9800},
)
MAP_CENTER = (12.95, 108.55)
# What the maps show first: the inhabited part of the province, west to east coast.
MAP_BOUNDS = ((12.15, 107.65), (13.6, 109.45))

# Small inline icons (24×24 SVG paths) of the packaged categories; others get the "khac" one.
CATEGORY_ICONS = {
    "duong-hu-hong": "M4 20 9 4h6l5 16M12 6v3m0 3v3m0 3v2",
    "ngap-ung": "M12 3s6 7 6 11a6 6 0 0 1-12 0c0-4 6-11 6-11zM3 21c2-1 4-1 6 0s4 1 6 0 4-1 6 0",
    "rac-thai": "M4 7h16M9 7V4h6v3M6 7l1 14h10l1-14M10 11v6m4-6v6",
    "chieu-sang": "M9 18h6M10 21h4M12 3a6 6 0 0 0-4 10.5c.7.7 1 1.5 1 2.5h6c0-1 .3-1.8 1-2.5"
    "A6 6 0 0 0 12 3z",
    "tieng-on": "M4 9v6h4l5 4V5L8 9H4zm12 0a4 4 0 0 1 0 6m2-9a8 8 0 0 1 0 12",
    "cay-xanh": "M12 22v-7m0 0-4-3m4 3 4-4M12 2a6 6 0 0 0-6 6 5 5 0 0 0 1 3 4 4 0 0 0 5 4 "
    "4 4 0 0 0 5-4 5 5 0 0 0 1-3 6 6 0 0 0-6-6z",
    "trat-tu-do-thi": "M3 21h18M5 21V10l7-5 7 5v11M9 21v-6h6v6",
    "o-nhiem": "M3 21V11l5 3V11l5 3V8l5 3v10H3zM18 6c0-2 2-2 2-4",
    "bien-bao-giao-thong": "M9 2h6a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2H9a2 2 0 0 1-2-2V4a2 2 0 0 1 "
    "2-2zm3 4v0m0 4v0m0 4v0M12 18v4",
    "khac": "M12 22a10 10 0 1 0 0-20 10 10 0 0 0 0 20zM8 12h.01M12 12h.01M16 12h.01",
}


def to_json(value: Any) -> str:
    """JSON for a ``<script type="application/json">`` block (``</`` escaped)."""
    return orjson.dumps(value).decode().replace("</", "<\\/")


def parse_iso(value: str | None) -> datetime | None:
    """An ISO 8601 string of the serializers back to an aware datetime (None stays None)."""
    return datetime.fromisoformat(value) if value else None


def error_text(exc: FieldReportError | Exception, lang: str) -> str:
    """The message of a refused action in the page language."""
    if lang == "en":
        return str(getattr(exc, "en", "") or exc)
    return str(exc)


def categories(session: Session, lang: str) -> list[dict[str, Any]]:
    """Active categories in their configured order, with the icon path and short help."""
    rows = session.execute(
        select(Category).where(Category.active.is_(True)).order_by(Category.position, Category.id)
    ).scalars()
    return [
        {
            "code": c.code,
            "name": c.name_en if lang == "en" else c.name_vi,
            "help": c.description,
            "icon": CATEGORY_ICONS.get(c.code, CATEGORY_ICONS["khac"]),
            "urgent": c.urgent_default,
        }
        for c in rows
    ]


def communes(session: Session) -> list[dict[str, str]]:
    """The province's current communes and wards, by name, with a diacritics-free search key."""
    return [
        {"code": area.code, "name": area.name, "folded": area.name_folded}
        for area in routing.communes(session)
    ]


def map_opts(request: Request) -> dict[str, Any]:
    """Options of the pack's Leaflet maps (tile server if configured, else offline labels)."""
    settings = request.app.state.settings
    return {
        "tileUrl": settings.map_tile_url,
        "tileAttribution": settings.map_tile_attribution,
        "center": list(MAP_CENTER),
        "bounds": [list(corner) for corner in MAP_BOUNDS],
        "places": list(MAP_PLACES),
    }


def base_context(request: Request) -> dict[str, Any]:
    """Helpers every page of the pack uses in its templates."""
    lang = request_language(request)

    def when(value: str | datetime | None, with_time: bool = True) -> str:
        moment = parse_iso(value) if isinstance(value, str) else value
        return "—" if moment is None else i18n.format_when(moment, lang, with_time)

    return {"when": when, "map_opts_json": to_json(map_opts(request))}
