"""What the tourism pages compute: visits, guests and room occupancy of the places by month and
by commune, and the visitor arrivals, revenue and occupancy Sở VHTTDL submits (the sector kit
draws and exports them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy.orm import Session

from ioc.core import communes as geo
from ioc.core import figures, i18n
from ioc.engines.exports import Table
from ioc.engines.sector import maps
from ioc.engines.sector import overview as kit
from ioc.engines.sector.overview import Kpi, Overview, Page, SectorFigures
from ioc.engines.submissions.plan import Figure
from ioc.packs.tourism.places import ACCOMMODATION, DESTINATION, SECTOR, Place, places

MONTHS_SHOWN: Final = 24
PROVINCE_FIGURES: Final = (
    "tr_visitors_domestic",
    "tr_visitors_international",
    "tr_revenue",
    "tr_guest_nights",
    "tr_occupancy_avg",
)
PLACE_FIGURES: Final = ("tr_visits", "tr_guests", "tr_room_occupancy")


def place_markers(items: list[Place], lang: str) -> list[dict[str, Any]]:
    """Places for ``IOC.aqiMap``: coloured by kind, labelled with visits (thousands) or room
    occupancy (%)."""
    t = i18n.translate

    def value(p: Place) -> int | None:
        if p.type == DESTINATION:
            return kit.thousands(p.latest.get("tr_visits"))
        return kit.as_int(p.latest.get("tr_room_occupancy"))

    def label(p: Place) -> str:
        if p.type == DESTINATION:
            visits = i18n.format_number(p.latest.get("tr_visits"), lang)
            return t("tr.popup_destination", lang, visits=visits)
        return t(
            "tr.popup_accommodation",
            lang,
            rooms=i18n.format_number(p.rooms, lang),
            occupancy=i18n.format_number(p.latest.get("tr_room_occupancy"), lang, 1),
            guests=i18n.format_number(p.latest.get("tr_guests"), lang),
        )

    return maps.place_markers(SECTOR, items, value, label, with_kind=False)


@dataclass
class _Months:
    """The monthly series of one page: places' visits, guests and occupancy, the province's
    submitted arrivals and revenue."""

    months: list[int]
    visits: list[float | None]
    guests: list[float | None]
    occupancy: list[float | None]
    domestic: list[float | None]
    international: list[float | None]
    revenue: list[float | None]


def _province_month(
    session: Session, province: dict[str, dict[str, Any]], code: str, months: list[int]
) -> list[float | None]:
    found = province.get(code, {})
    ours = {geo.PROVINCE: found[geo.PROVINCE]} if geo.PROVINCE in found else {}
    if code == "tr_occupancy_avg":  # a rate: the month's value, not a sum
        return figures.month_weighted(session, ours, {geo.PROVINCE: 1.0}, months)
    return figures.month_sum(session, ours, months)


def _monthly(
    session: Session, items: list[Place], months: list[int], commune: str | None
) -> tuple[_Months, dict[str, Any]]:
    """The page's monthly series, and the places' series by indicator (for the commune
    table). The province's occupancy is the figure Sở VHTTDL submits (its plan row); a commune
    shows the rooms-weighted occupancy of its accommodation."""
    codes = {p.code for p in items}
    entity = figures.series_of(session, PLACE_FIGURES, "entity")
    ours = {k: kit.among(entity, k, codes) for k in PLACE_FIGURES}
    rooms = {p.code: p.rooms for p in items if p.rooms}
    province = figures.series_of(session, PROVINCE_FIGURES, "area")
    occupancy = (
        _province_month(session, province, "tr_occupancy_avg", months)
        if commune is None
        else figures.month_weighted(session, ours["tr_room_occupancy"], rooms, months)
    )
    found = _Months(
        months=months,
        visits=figures.month_sum(session, ours["tr_visits"], months),
        guests=figures.month_sum(session, ours["tr_guests"], months),
        occupancy=occupancy,
        domestic=_province_month(session, province, "tr_visitors_domestic", months),
        international=_province_month(session, province, "tr_visitors_international", months),
        revenue=_province_month(session, province, "tr_revenue", months),
    )
    return found, ours


def _kpis(
    items: list[Place], m: _Months, official: dict[str, Figure], commune: str | None, lang: str
) -> list[Kpi]:
    t = i18n.translate
    last_month = figures.month_text(m.months[-1])

    def submitted(code: str, label_key: str) -> Kpi:
        fig = official.get(code)
        if fig is None:
            return Kpi(t(label_key, lang), i18n.NO_VALUE)
        return Kpi(t(label_key, lang), fig.text(lang), fig.unit, note=fig.period, code=code)

    rooms = sum(p.rooms for p in items if p.rooms)
    kpis = [
        Kpi(
            t("tr.kpi.destinations", lang),
            i18n.format_number(sum(1 for p in items if p.type == DESTINATION), lang),
        ),
        Kpi(
            t("tr.kpi.accommodation", lang),
            i18n.format_number(sum(1 for p in items if p.type == ACCOMMODATION), lang),
            note=t("tr.kpi.rooms", lang, n=i18n.format_number(rooms, lang)),
        ),
    ]
    if commune is None:
        kpis.append(submitted("tr_occupancy_avg", "tr.kpi.occupancy"))
    else:
        occupancy = i18n.format_measure(m.occupancy[-1], lang, "%")
        kpis.append(Kpi(t("tr.kpi.occupancy_places", lang), occupancy, "%", note=last_month))
    visits = i18n.format_measure(m.visits[-1], lang, "lượt")
    kpis.append(Kpi(t("tr.kpi.visits", lang), visits, note=last_month))
    if commune is None:
        kpis += [
            submitted("tr_visitors_domestic", "tr.kpi.domestic"),
            submitted("tr_visitors_international", "tr.kpi.international"),
            submitted("tr_revenue", "tr.kpi.revenue"),
        ]
    return kpis


def _charts(m: _Months, commune: str | None, lang: str) -> dict[str, Any]:
    t = i18n.translate
    month_x = [figures.month_label(x) for x in m.months]

    def line(key: str, values: list[float | None]) -> dict[str, Any]:
        return {"name": t(key, lang), "data": list(zip(month_x, values, strict=True))}

    occupancy_key = "tr.fig.occupancy" if commune is None else "tr.kpi.occupancy_places"
    return {
        "arrivals": {
            "categories": [figures.month_name(x, lang) for x in m.months],
            "series": [
                {"name": t("tr.fig.domestic", lang), "data": m.domestic, "color": "#2E7D32"},
                {
                    "name": t("tr.fig.international", lang),
                    "data": m.international,
                    "color": "#E65100",
                },
            ],
            "yName": t("tr.unit.arrivals", lang),
            "stack": True,
        },
        "revenue": {
            "series": [line("tr.fig.revenue", m.revenue)],
            "yName": t("tr.unit.billion", lang),
            "decimals": 1,
            "dataZoom": False,
        },
        "places": {
            "series": [line("tr.fig.visits", m.visits), line("tr.fig.guests", m.guests)],
            "yName": t("tr.unit.arrivals", lang),
            "dataZoom": False,
        },
        "occupancy": {
            "series": [line(occupancy_key, m.occupancy)],
            "yName": "%",
            "decimals": 1,
            "dataZoom": False,
        },
    }


def _communes(
    session: Session,
    shown: list[geo.Commune],
    items: list[Place],
    ours: dict[str, Any],
    months: list[int],
    lang: str,
) -> tuple[Table, list[str], list[dict[str, Any]]]:
    """The commune table (places, rooms, visits and guests of the last complete month), its
    links and the commune map's markers (coloured by visits and guests)."""
    t = i18n.translate
    last = figures.monthly(
        session, [*ours["tr_visits"].values(), *ours["tr_guests"].values()], months[-1:]
    )
    month_total = {
        code: last.get(s.id, {}).get(months[-1], (0.0, 0.0))[0]
        for indicator in ("tr_visits", "tr_guests")
        for code, s in ours[indicator].items()
    }
    grouped = kit.by_commune(items)
    rows: list[list[Any]] = []
    markers: list[dict[str, Any]] = []
    for c in shown:
        mine = grouped.get(c.code, [])
        dest = [p for p in mine if p.type == DESTINATION]
        stays = [p for p in mine if p.type == ACCOMMODATION]
        v = sum(month_total.get(p.code, 0.0) for p in dest)
        g = sum(month_total.get(p.code, 0.0) for p in stays)
        rooms = kit.as_int(sum(p.rooms for p in mine))
        rows.append([c.code, c.name, len(dest), len(stays), rooms, kit.as_int(v), kit.as_int(g)])
        if c.lat is not None and c.lon is not None and mine:
            visits, guests = i18n.format_number(v, lang), i18n.format_number(g, lang)
            markers.append(
                maps.marker(
                    c.code,
                    c.name,
                    (c.lat, c.lon),
                    kit.thousands(v + g),
                    maps.class_color(SECTOR.classes, v + g),
                    t("tr.popup_commune", lang, visits=visits, guests=guests),
                    SECTOR.commune_url(c.code),
                )
            )
    month = figures.month_text(months[-1])
    columns = ["tr.col.code", "tr.col.commune", "tr.col.destinations", "tr.col.accommodation"]
    table = Table(
        title=t("tr.communes", lang),
        header=[t(k, lang) for k in (*columns, "tr.fig.rooms")]
        + [t(f"tr.col.{k}_month", lang, month=month) for k in ("visits", "guests")],
        rows=rows,
        notes=[t("tr.note_latest", lang)],
    )
    return table, [SECTOR.commune_url(c.code) for c in shown], markers


class TourismFigures(SectorFigures[Place]):
    """The tourism pages' figures: the province's submitted figures are the one source of the
    visitor, revenue and occupancy tiles and charts of the province page — so tiles, charts,
    the plan table and the overview tile show the same numbers. A commune page has no
    submitted occupancy: it shows the rooms-weighted occupancy of its accommodation, named as
    such."""

    sector = SECTOR

    def places(self, session: Session, commune: str | None) -> list[Place]:
        """The destinations and accommodation shown."""
        return places(session, commune)

    def build(self, page: Page[Place]) -> Overview:
        """Key figures, arrivals, revenue, visits and occupancy by month, the commune table and
        both maps."""
        months = figures.last_months(page.now_ts, MONTHS_SHOWN)
        monthly, ours = _monthly(page.session, page.items, months, page.commune)
        return self.assemble(
            page,
            _kpis(page.items, monthly, page.official, page.commune, page.lang),
            _charts(monthly, page.commune, page.lang),
            _communes(page.session, page.shown, page.items, ours, months, page.lang),
            place_markers(page.items, page.lang),
        )


FIGURES: Final = TourismFigures()
overview = FIGURES.overview
