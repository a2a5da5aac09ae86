"""What the tourism pages show: key figures, trends, commune and place tables, map markers.

Tables are built once as :class:`ioc.engines.exports.Table` so the page and its XLSX/CSV export
show the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import orjson
from sqlalchemy.orm import Session

from ioc.core import communes as geo
from ioc.core import figures, i18n
from ioc.engines.exports import Table
from ioc.engines.submissions.plan import Figure
from ioc.packs.tourism.places import ACCOMMODATION, DESTINATION, Place, places

MONTHS_SHOWN: Final = 24
PROVINCE_FIGURES: Final = (
    "tr_visitors_domestic",
    "tr_visitors_international",
    "tr_revenue",
    "tr_guest_nights",
    "tr_occupancy_avg",
)
# Visits and guests a month per commune: light to dark green (ColorBrewer Greens).
VISIT_CLASSES: Final = (
    (0.0, "#F7FCF5", "#1B2430"),
    (1000.0, "#C7E9C0", "#1B2430"),
    (5000.0, "#74C476", "#1B2430"),
    (20000.0, "#238B45", "#FFFFFF"),
    (50000.0, "#00441B", "#FFFFFF"),
)
NO_DATA_COLOR: Final = ("#C4CAD1", "#2B333D")
KIND_COLORS: Final = {
    "nature": "#2E7D32",
    "culture": "#6A1B9A",
    "beach": "#0277BD",
    "hotel": "#E65100",
    "resort": "#AD1457",
    "homestay": "#8D6E63",
}
MAP_PLACES: Final = (
    {"name": "Buôn Ma Thuột", "lat": 12.6300, "lon": 108.0400},
    {"name": "Buôn Hồ", "lat": 12.8700, "lon": 108.2700},
    {"name": "Ea Súp", "lat": 13.1900, "lon": 107.8200},
    {"name": "M'Drắk", "lat": 12.6600, "lon": 108.8000},
    {"name": "Tuy Hòa", "lat": 13.0400, "lon": 109.3200},
    {"name": "Sông Cầu", "lat": 13.5000, "lon": 109.2100},
)


def to_json(value: Any) -> str:
    """JSON for a ``<script type="application/json">`` block ("</" escaped)."""
    return orjson.dumps(value).decode().replace("</", "<\\/")


def visit_color(value: float | None) -> tuple[str, str]:
    """Fill and text colour of a visits class."""
    if value is None:
        return NO_DATA_COLOR
    chosen = VISIT_CLASSES[0]
    for cls in VISIT_CLASSES:
        if value >= cls[0]:
            chosen = cls
    return chosen[1], chosen[2]


@dataclass
class Kpi:
    """A key figure (``code``: the catalog indicator it shows, when it is one)."""

    label: str
    value: str
    unit: str = ""
    note: str = ""
    status: str = ""
    code: str = ""


@dataclass
class Overview:
    """Everything the province page (or one commune's page) shows."""

    kpis: list[Kpi]
    charts: dict[str, Any]
    communes: Table
    commune_links: list[str]
    places: Table
    place_links: list[str]
    commune_markers: list[dict[str, Any]]
    place_markers: list[dict[str, Any]]


def _int(value: float | None) -> int | None:
    return None if value is None else round(value)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _thousands(value: float | None) -> int | None:
    return None if value is None else round(value / 1000)


def place_markers(items: list[Place], lang: str) -> list[dict[str, Any]]:
    """Places for ``IOC.aqiMap``: coloured by kind, labelled with visits (thousands) or room
    occupancy (%)."""
    t = i18n.translate
    out = []
    for p in items:
        if p.lat is None or p.lon is None:
            continue
        if p.type == DESTINATION:
            value = _thousands(p.latest.get("tr_visits"))
            text = t(
                "tr.popup_destination",
                lang,
                visits=i18n.format_number(p.latest.get("tr_visits"), lang),
            )
        else:
            value = _int(p.latest.get("tr_room_occupancy"))
            text = t(
                "tr.popup_accommodation",
                lang,
                rooms=i18n.format_number(p.rooms, lang),
                occupancy=i18n.format_number(p.latest.get("tr_room_occupancy"), lang, 1),
                guests=i18n.format_number(p.latest.get("tr_guests"), lang),
            )
        out.append(
            {
                "code": p.code,
                "name": p.name,
                "lat": p.lat,
                "lon": p.lon,
                "aqi": value,
                "color": KIND_COLORS.get(p.kind, "#5B6777"),
                "text_color": "#FFFFFF",
                "category_label": text,
                "url": f"/tourism/communes/{p.area_code}" if p.area_code else None,
            }
        )
    return out


def place_table(items: list[Place], names: dict[str, str], lang: str) -> Table:
    """Destinations and accommodation with their latest figures (page table and export)."""
    t = i18n.translate
    return Table(
        title=t("tr.places", lang),
        header=[
            t("tr.col.code", lang),
            t("tr.col.place", lang),
            t("tr.col.kind", lang),
            t("tr.col.commune", lang),
            t("tr.fig.visits", lang),
            t("tr.fig.rooms", lang),
            t("tr.fig.occupancy", lang) + " (%)",
            t("tr.fig.guests", lang),
            t("tr.col.source", lang),
        ],
        rows=[
            [
                p.code,
                p.name,
                t(f"tr.kind.{p.kind}", lang),
                names.get(p.area_code or "", p.area_code or ""),
                _int(p.latest.get("tr_visits")),
                _int(p.latest.get("tr_rooms")),
                _round(p.latest.get("tr_room_occupancy")),
                _int(p.latest.get("tr_guests")),
                "demo" if p.demo else "",
            ]
            for p in items
        ],
        notes=[t("tr.note_latest", lang)],
    )


def overview(
    session: Session,
    now_ts: int,
    lang: str,
    commune: str | None = None,
    official: dict[str, Figure] | None = None,
) -> Overview:
    """The province page (or, with ``commune``, that commune's page).

    ``official``: the province's submitted figures (:func:`ioc.packs.tourism.plan.figures`,
    read once with the plan table), the one source of the visitor, revenue and occupancy
    tiles and charts of the province page — so tiles, charts, the plan table and the overview
    tile show the same numbers. A commune page has no submitted occupancy: it shows the
    rooms-weighted occupancy of its accommodation, named as such."""
    t = i18n.translate
    all_communes = geo.communes(session)
    names = {c.code: c.name for c in all_communes}
    shown = [c for c in all_communes if commune is None or c.code == commune]
    items = places(session, commune)
    codes = {p.code for p in items}
    months = figures.last_months(now_ts, MONTHS_SHOWN)
    month_x = [figures.month_label(m) for m in months]
    last_month = figures.month_text(months[-1])
    entity = figures.series_of(session, ("tr_visits", "tr_guests", "tr_room_occupancy"), "entity")

    def ours(indicator: str) -> dict[str, Any]:
        return {k: v for k, v in entity.get(indicator, {}).items() if k in codes}

    rooms = {p.code: p.rooms for p in items if p.rooms}
    visits = figures.month_sum(session, ours("tr_visits"), months)
    guests = figures.month_sum(session, ours("tr_guests"), months)
    occupancy = figures.month_weighted(session, ours("tr_room_occupancy"), rooms, months)
    province = figures.series_of(session, PROVINCE_FIGURES, "area")

    def province_sum(code: str) -> list[float | None]:
        found = province.get(code, {})
        return figures.month_sum(
            session, {geo.PROVINCE: found[geo.PROVINCE]} if geo.PROVINCE in found else {}, months
        )

    domestic = province_sum("tr_visitors_domestic")
    international = province_sum("tr_visitors_international")
    revenue = province_sum("tr_revenue")
    destinations = [p for p in items if p.type == DESTINATION]
    stays = [p for p in items if p.type == ACCOMMODATION]
    official = official or {}

    def submitted(code: str, label_key: str) -> Kpi:
        fig = official.get(code)
        if fig is None:
            return Kpi(t(label_key, lang), i18n.NO_VALUE)
        return Kpi(t(label_key, lang), fig.text(lang), fig.unit, note=fig.period, code=code)

    kpis = [
        Kpi(
            t("tr.kpi.destinations", lang),
            i18n.format_number(len(destinations), lang),
        ),
        Kpi(
            t("tr.kpi.accommodation", lang),
            i18n.format_number(len(stays), lang),
            note=t("tr.kpi.rooms", lang, n=i18n.format_number(sum(rooms.values()), lang)),
        ),
    ]
    if commune is None:
        # The province's occupancy is the figure Sở VHTTDL submits (its plan row), by month.
        found = province.get("tr_occupancy_avg", {})
        occupancy = figures.month_weighted(
            session,
            {geo.PROVINCE: found[geo.PROVINCE]} if geo.PROVINCE in found else {},
            {geo.PROVINCE: 1.0},
            months,
        )
        kpis.append(submitted("tr_occupancy_avg", "tr.kpi.occupancy"))
    else:
        kpis.append(
            Kpi(
                t("tr.kpi.occupancy_places", lang),
                i18n.format_measure(occupancy[-1], lang, "%"),
                "%",
                note=last_month,
            )
        )
    kpis.append(
        Kpi(
            t("tr.kpi.visits", lang), i18n.format_measure(visits[-1], lang, "lượt"), note=last_month
        )
    )
    if commune is None:
        kpis += [
            submitted("tr_visitors_domestic", "tr.kpi.domestic"),
            submitted("tr_visitors_international", "tr.kpi.international"),
            submitted("tr_revenue", "tr.kpi.revenue"),
        ]
    charts: dict[str, Any] = {
        "arrivals": {
            "categories": [figures.month_name(m, lang) for m in months],
            "series": [
                {"name": t("tr.fig.domestic", lang), "data": domestic, "color": "#2E7D32"},
                {
                    "name": t("tr.fig.international", lang),
                    "data": international,
                    "color": "#E65100",
                },
            ],
            "yName": t("tr.unit.arrivals", lang),
            "stack": True,
        },
        "revenue": {
            "series": [
                {
                    "name": t("tr.fig.revenue", lang),
                    "data": list(zip(month_x, revenue, strict=True)),
                }
            ],
            "yName": t("tr.unit.billion", lang),
            "decimals": 1,
            "dataZoom": False,
        },
        "places": {
            "series": [
                {"name": t("tr.fig.visits", lang), "data": list(zip(month_x, visits, strict=True))},
                {"name": t("tr.fig.guests", lang), "data": list(zip(month_x, guests, strict=True))},
            ],
            "yName": t("tr.unit.arrivals", lang),
            "dataZoom": False,
        },
        "occupancy": {
            "series": [
                {
                    "name": t(
                        "tr.fig.occupancy" if commune is None else "tr.kpi.occupancy_places", lang
                    ),
                    "data": list(zip(month_x, occupancy, strict=True)),
                }
            ],
            "yName": "%",
            "decimals": 1,
            "dataZoom": False,
        },
    }
    # Visits and guests of the last complete month per commune.
    last = figures.monthly(
        session, [*ours("tr_visits").values(), *ours("tr_guests").values()], months[-1:]
    )
    month_total = {
        code: last.get(s.id, {}).get(months[-1], (0.0, 0.0))[0]
        for indicator in ("tr_visits", "tr_guests")
        for code, s in ours(indicator).items()
    }
    by_commune: dict[str, list[Place]] = {}
    for p in items:
        by_commune.setdefault(p.area_code or "", []).append(p)
    rows: list[list[Any]] = []
    links: list[str] = []
    markers: list[dict[str, Any]] = []
    for c in shown:
        mine = by_commune.get(c.code, [])
        v = sum(month_total.get(p.code, 0.0) for p in mine if p.type == DESTINATION)
        g = sum(month_total.get(p.code, 0.0) for p in mine if p.type == ACCOMMODATION)
        rows.append(
            [
                c.code,
                c.name,
                sum(1 for p in mine if p.type == DESTINATION),
                sum(1 for p in mine if p.type == ACCOMMODATION),
                _int(sum(p.rooms for p in mine)),
                _int(v),
                _int(g),
            ]
        )
        links.append(f"/tourism/communes/{c.code}")
        if c.lat is not None and c.lon is not None and mine:
            fill, text = visit_color(v + g)
            markers.append(
                {
                    "code": c.code,
                    "name": c.name,
                    "lat": c.lat,
                    "lon": c.lon,
                    "aqi": _thousands(v + g),
                    "color": fill,
                    "text_color": text,
                    "category_label": t(
                        "tr.popup_commune",
                        lang,
                        visits=i18n.format_number(v, lang),
                        guests=i18n.format_number(g, lang),
                    ),
                    "url": f"/tourism/communes/{c.code}",
                }
            )
    table = Table(
        title=t("tr.communes", lang),
        header=[
            t("tr.col.code", lang),
            t("tr.col.commune", lang),
            t("tr.col.destinations", lang),
            t("tr.col.accommodation", lang),
            t("tr.fig.rooms", lang),
            t("tr.col.visits_month", lang, month=last_month),
            t("tr.col.guests_month", lang, month=last_month),
        ],
        rows=rows,
        notes=[t("tr.note_latest", lang)],
    )
    return Overview(
        kpis=kpis,
        charts=charts,
        communes=table,
        commune_links=links,
        places=place_table(items, names, lang),
        place_links=[f"/tourism/communes/{p.area_code}" for p in items],
        commune_markers=markers,
        place_markers=place_markers(items, lang),
    )
