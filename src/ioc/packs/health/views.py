"""What the health pages show: key figures, trends, commune and facility tables, map markers.

Tables are built once as :class:`ioc.engines.exports.Table` so the page and its XLSX/CSV export
show the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import orjson
from sqlalchemy.orm import Session

from ioc.core import clock, figures, i18n
from ioc.engines.exports import Table
from ioc.engines.submissions.plan import Figure
from ioc.packs.health import geo, surveillance
from ioc.packs.health.facilities import Facility, facilities
from ioc.packs.health.surveillance import DISEASES, WEEK

MONTHS_SHOWN: Final = 24
WEEKS_SHOWN: Final = 26
HOSPITAL_KINDS: Final = ("hospital", "specialty_hospital", "medical_centre", "private")

# Incidence per 100,000 over 4 weeks: sequential orange-red classes (ColorBrewer OrRd).
INCIDENCE_CLASSES: Final = (
    (0.0, "#F7F7F7", "#1B2430"),
    (1.0, "#FDD49E", "#1B2430"),
    (10.0, "#FC8D59", "#1B2430"),
    (25.0, "#D7301F", "#FFFFFF"),
    (50.0, "#7F0000", "#FFFFFF"),
)
# Town names drawn on the maps so they read without a tile server (display only).
MAP_PLACES: Final = (
    {"name": "Buôn Ma Thuột", "lat": 12.6300, "lon": 108.0400},
    {"name": "Buôn Hồ", "lat": 12.8700, "lon": 108.2700},
    {"name": "Ea Súp", "lat": 13.1900, "lon": 107.8200},
    {"name": "M'Drắk", "lat": 12.6600, "lon": 108.8000},
    {"name": "Tuy Hòa", "lat": 13.0400, "lon": 109.3200},
    {"name": "Sông Cầu", "lat": 13.5000, "lon": 109.2100},
)
NO_DATA_COLOR: Final = ("#C4CAD1", "#2B333D")
KIND_COLORS: Final = {
    "hospital": "#1565C0",
    "specialty_hospital": "#6A1B9A",
    "medical_centre": "#00838F",
    "health_station": "#2E7D32",
    "private": "#E65100",
}


def to_json(value: Any) -> str:
    """JSON for a ``<script type="application/json">`` block ("</" escaped)."""
    return orjson.dumps(value).decode().replace("</", "<\\/")


def incidence_color(value: float | None) -> tuple[str, str]:
    """Fill and text colour of an incidence class."""
    if value is None:
        return NO_DATA_COLOR
    chosen = INCIDENCE_CLASSES[0]
    for cls in INCIDENCE_CLASSES:
        if value >= cls[0]:
            chosen = cls
    return chosen[1], chosen[2]


def disease_name(disease: str, lang: str) -> str:
    """Display name of a disease."""
    return i18n.translate(f"hl.disease.{disease}", lang)


def iso(ts: int) -> str:
    """ISO 8601 local time of an instant (chart x values)."""
    return datetime.fromtimestamp(ts, tz=clock.local_tz()).isoformat()


def week_text(start: int) -> str:
    """``02/03–08/03/2026`` for the week starting ``start``."""
    tz = clock.local_tz()
    a = datetime.fromtimestamp(start, tz=tz)
    b = datetime.fromtimestamp(start + WEEK - 1, tz=tz)
    return f"{a:%d/%m}–{b:%d/%m/%Y}"


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
    facilities: Table
    facility_links: list[str]
    commune_markers: list[dict[str, Any]]
    facility_markers: list[dict[str, Any]]
    alarms: list[dict[str, Any]] = field(default_factory=list)
    last_week: str = ""
    last_month: str = ""


def _ratio(part: float, population: int) -> float | None:
    return round(part / population * 10_000, 1) if population else None


def _per_10k(
    fig: Figure | None,
    label: str,
    label_facilities: str,
    computed: float | None,
    lang: str,
    note: str = "",
) -> Kpi:
    """Beds or physicians per 10,000: the submitted figure (what the plan table shows) when
    the area has one, else the figure computed from the facilities, labelled as such."""
    if fig is not None:
        return Kpi(label, fig.text(lang), note=fig.period, code=fig.code)
    return Kpi(label_facilities, i18n.format_number(computed, lang, 1), note=note)


def _vaccination(fig: Figure | None, computed: float | None, month: str, lang: str) -> Kpi:
    """Full immunisation: the area's submitted figure (the plan table's), else the communes'
    population-weighted figure of the last month."""
    value = fig.value if fig is not None else computed
    return Kpi(
        i18n.translate("hl.kpi.vaccination", lang),
        fig.text(lang) if fig is not None else i18n.format_measure(computed, lang, "%"),
        "%",
        note=fig.period if fig is not None else month,
        status="warn" if value is not None and value < 95 else "",
        code="hl_vaccination_coverage",
    )


def _facility_summary(f: Facility, lang: str) -> str:
    t = i18n.translate
    parts = []
    for code, key, decimals, unit in (
        ("hl_beds", "hl.fig.beds", 0, ""),
        ("hl_bed_occupancy", "hl.fig.occupancy", 1, " %"),
        ("hl_outpatient_visits", "hl.fig.visits", 0, ""),
    ):
        if code in f.latest:
            parts.append(
                f"{t(key, lang)}: {i18n.format_number(f.latest[code], lang, decimals)}{unit}"
            )
    return " · ".join(parts)


def facility_markers(items: list[Facility], lang: str) -> list[dict[str, Any]]:
    """Facilities for ``IOC.aqiMap``: coloured by kind, labelled with bed occupancy."""
    out = []
    for f in items:
        if f.lat is None or f.lon is None:
            continue
        occupancy = f.latest.get("hl_bed_occupancy")
        out.append(
            {
                "code": f.code,
                "name": f.name,
                "kind": f.kind,
                "lat": f.lat,
                "lon": f.lon,
                "aqi": round(occupancy) if occupancy is not None else None,
                "color": KIND_COLORS.get(f.kind, "#5B6777"),
                "text_color": "#FFFFFF",
                "category_label": _facility_summary(f, lang),
                "url": f"/health/communes/{f.area_code}" if f.area_code else None,
            }
        )
    return out


def facility_table(items: list[Facility], names: dict[str, str], lang: str) -> Table:
    """Facilities with their latest figures (the page's table and its export)."""
    t = i18n.translate
    return Table(
        title=t("hl.facilities", lang),
        header=[
            t("hl.col.code", lang),
            t("hl.col.facility", lang),
            t("hl.col.kind", lang),
            t("hl.col.commune", lang),
            t("hl.fig.beds", lang),
            t("hl.fig.doctors", lang),
            t("hl.fig.occupancy", lang) + " (%)",
            t("hl.fig.visits", lang),
            t("hl.fig.inpatients", lang),
            t("hl.col.source", lang),
        ],
        rows=[
            [
                f.code,
                f.name,
                t(f"hl.kind.{f.kind}", lang),
                names.get(f.area_code or "", f.area_code or ""),
                _int(f.latest.get("hl_beds")),
                _int(f.latest.get("hl_doctors")),
                _round(f.latest.get("hl_bed_occupancy")),
                _int(f.latest.get("hl_outpatient_visits")),
                _int(f.latest.get("hl_inpatients")),
                "demo" if f.demo else "",
            ]
            for f in items
        ],
        notes=[t("hl.note_latest", lang)],
    )


def _int(value: float | None) -> int | None:
    return None if value is None else round(value)


def _round(value: float | None, decimals: int = 1) -> float | None:
    return None if value is None else round(value, decimals)


def overview(
    session: Session,
    now_ts: int,
    lang: str,
    commune: str | None = None,
    official: dict[str, Figure] | None = None,
) -> Overview:
    """The province page (or, with ``commune``, that commune's page).

    ``official``: the area's submitted figures (:func:`ioc.packs.health.plan.figures`, read
    once with the plan table) — the one source of the beds, physicians and immunisation tiles,
    so they show what the plan table shows. Beds and physicians per 10,000 are submitted for
    the province only: a commune page computes them from its facilities, named as such."""
    t = i18n.translate
    all_communes = geo.communes(session)
    names = {c.code: c.name for c in all_communes}
    shown = [c for c in all_communes if commune is None or c.code == commune]
    population = geo.province_population(shown)
    items = facilities(session, commune)
    months = figures.last_months(now_ts, MONTHS_SHOWN)
    fac_series = figures.series_of(
        session, ("hl_outpatient_visits", "hl_inpatients", "hl_bed_occupancy"), "entity"
    )
    codes = {f.code for f in items}
    beds = {f.code: f.beds for f in items if f.beds}

    def ours(indicator: str) -> dict[str, Any]:
        return {k: v for k, v in fac_series.get(indicator, {}).items() if k in codes}

    visits = figures.month_sum(session, ours("hl_outpatient_visits"), months)
    inpatients = figures.month_sum(session, ours("hl_inpatients"), months)
    occupancy = figures.month_weighted(session, ours("hl_bed_occupancy"), beds, months)
    vacc_series = figures.series_of(session, ("hl_vaccination_coverage",), "area").get(
        "hl_vaccination_coverage", {}
    )
    weights = {c.code: float(c.population or 0) for c in shown}
    vacc_ours = {k: v for k, v in vacc_series.items() if k in weights}
    # The area's own submitted series (the plan table's), else the communes' weighted mean.
    area_code = commune or geo.PROVINCE
    vaccination = (
        figures.month_weighted(
            session, {area_code: vacc_series[area_code]}, {area_code: 1.0}, months
        )
        if area_code in vacc_series
        else figures.month_weighted(session, vacc_ours, weights, months)
    )
    official = official or {}

    # Surveillance of every disease (EARS of the last complete week, 4-week incidence).
    surv = {d: surveillance.surveillance(session, d, shown, now_ts, WEEKS_SHOWN) for d in DISEASES}
    weeks = surv[DISEASES[0]].weeks
    total_beds = sum(f.beds for f in items)
    doctors = sum(f.latest.get("hl_doctors", 0.0) for f in items)
    hospitals = [f for f in items if f.kind in HOSPITAL_KINDS]
    last_month_text = figures.month_text(months[-1])
    alarms = [
        {
            "disease": disease_name(d, lang),
            "disease_key": d,
            "commune": r.name,
            "code": r.code,
            "cases": int(r.last_week),
            "c2": r.stats.get("c2"),
            "c2_threshold": surv[d].params["c2"].threshold,
        }
        for d in DISEASES
        for r in surv[d].alarms
    ]
    kpis = [
        Kpi(
            t("hl.kpi.facilities", lang),
            i18n.format_number(len(items), lang),
            note=t("hl.kpi.hospitals", lang, n=len(hospitals)),
        ),
        _per_10k(
            official.get("hl_beds_per_10k"),
            t("hl.kpi.beds_per_10k", lang),
            t("hl.kpi.beds_per_10k_facilities", lang),
            _ratio(total_beds, population),
            lang,
            t("hl.kpi.beds_total", lang, n=i18n.format_number(total_beds, lang)),
        ),
        _per_10k(
            official.get("hl_doctors_per_10k"),
            t("hl.kpi.doctors_per_10k", lang),
            t("hl.kpi.doctors_per_10k_facilities", lang),
            _ratio(doctors, population),
            lang,
        ),
        Kpi(
            t("hl.kpi.occupancy", lang),
            i18n.format_number(occupancy[-1], lang, 1),
            "%",
            note=last_month_text,
        ),
        Kpi(
            t("hl.kpi.visits", lang),
            i18n.format_number(visits[-1], lang),
            note=last_month_text,
        ),
        _vaccination(
            official.get("hl_vaccination_coverage"), vaccination[-1], last_month_text, lang
        ),
        Kpi(
            t("hl.kpi.alarms", lang),
            i18n.format_number(len(alarms), lang),
            note=week_text(weeks[-1]),
            status="alarm" if alarms else "ok",
        ),
    ]
    for d in DISEASES:
        kpis.append(
            Kpi(
                t("hl.kpi.cases_week", lang, disease=disease_name(d, lang)),
                i18n.format_number(surv[d].province[-1], lang),
                note=week_text(weeks[-1]),
            )
        )
    month_x = [figures.month_label(m) for m in months]
    charts: dict[str, Any] = {
        "visits": {
            "series": [
                {"name": t("hl.fig.visits", lang), "data": list(zip(month_x, visits, strict=True))},
                {
                    "name": t("hl.fig.inpatients", lang),
                    "data": list(zip(month_x, inpatients, strict=True)),
                },
            ],
            "yName": t("hl.unit.visits", lang),
            "dataZoom": False,
        },
        "occupancy": {
            "series": [
                {
                    "name": t("hl.fig.occupancy", lang),
                    "data": list(zip(month_x, occupancy, strict=True)),
                },
                {
                    "name": t("hl.fig.vaccination", lang),
                    "data": list(zip(month_x, vaccination, strict=True)),
                },
            ],
            "yName": "%",
            "decimals": 1,
            "dataZoom": False,
            "markLines": [{"value": 95, "label": t("hl.vaccination_target", lang), "unit": "%"}],
        },
        "cases": {
            "series": [
                {
                    "name": disease_name(d, lang),
                    "data": [[iso(w), v] for w, v in zip(weeks, surv[d].province, strict=True)],
                }
                for d in DISEASES
            ],
            "yName": t("hl.unit.cases", lang),
            "dataZoom": False,
        },
        "compare": _year_on_year(session, ours("hl_outpatient_visits"), now_ts, lang),
    }
    # Commune table and map (incidence of dengue, the province's main notifiable disease).
    fac_by_commune: dict[str, list[Facility]] = {}
    for f in items:
        fac_by_commune.setdefault(f.area_code or "", []).append(f)
    month_visits = figures.monthly(session, ours("hl_outpatient_visits").values(), months[-1:])
    visits_by_fac = {
        code: month_visits.get(s.id, {}).get(months[-1], (None, None))[0]
        for code, s in ours("hl_outpatient_visits").items()
    }
    vacc_latest = figures.latest_of(vacc_ours)
    by_disease = {d: surveillance.by_commune(surv[d].rows) for d in DISEASES}
    dengue = by_disease["dengue"]
    rows: list[list[Any]] = []
    links: list[str] = []
    markers: list[dict[str, Any]] = []
    for c in shown:
        mine = fac_by_commune.get(c.code, [])
        month_total = [v for f in mine if (v := visits_by_fac.get(f.code)) is not None]
        d_row = dengue[c.code]
        rows.append(
            [
                c.code,
                c.name,
                c.population,
                len(mine),
                _int(sum(f.beds for f in mine)),
                _int(sum(month_total)) if month_total else None,
                _round(vacc_latest.get(c.code)),
                *[_int(by_disease[d][c.code].cases_recent) for d in DISEASES],
                d_row.incidence,
                t("hl.alarm", lang) if any(by_disease[d][c.code].alarm for d in DISEASES) else "",
            ]
        )
        links.append(f"/health/communes/{c.code}")
        if c.lat is not None and c.lon is not None:
            fill, text = incidence_color(d_row.incidence if d_row.reported else None)
            markers.append(
                {
                    "code": c.code,
                    "name": c.name,
                    "lat": c.lat,
                    "lon": c.lon,
                    "aqi": d_row.incidence if d_row.reported else None,
                    "color": fill,
                    "text_color": text,
                    "category_label": t(
                        "hl.map_popup", lang, cases=i18n.format_number(d_row.cases_recent, lang)
                    ),
                    "url": f"/health/communes/{c.code}",
                }
            )
    commune_table = Table(
        title=t("hl.communes", lang),
        header=[
            t("hl.col.code", lang),
            t("hl.col.commune", lang),
            t("hl.col.population", lang),
            t("hl.col.facilities", lang),
            t("hl.fig.beds", lang),
            t("hl.col.visits_month", lang, month=last_month_text),
            t("hl.fig.vaccination", lang) + " (%)",
            *[t("hl.col.cases_4w", lang, disease=disease_name(d, lang)) for d in DISEASES],
            t("hl.col.incidence", lang, disease=disease_name("dengue", lang)),
            t("hl.col.alarm", lang),
        ],
        rows=rows,
        notes=[t("hl.note_population", lang), t("hl.note_weeks", lang, week=week_text(weeks[-1]))],
    )
    return Overview(
        kpis=kpis,
        charts=charts,
        communes=commune_table,
        commune_links=links,
        facilities=facility_table(items, names, lang),
        facility_links=[f"/health/communes/{f.area_code}" for f in items],
        commune_markers=markers,
        facility_markers=facility_markers(items, lang),
        alarms=alarms,
        last_week=week_text(weeks[-1]),
        last_month=last_month_text,
    )


def _year_on_year(
    session: Session, series: dict[str, Any], now_ts: int, lang: str
) -> dict[str, Any]:
    """Monthly visits of the last 12 months against the same months a year earlier."""
    t = i18n.translate
    months = figures.last_months(now_ts, 24)
    totals = figures.month_sum(session, series, months)
    this_year, last_year = totals[12:], totals[:12]
    return {
        "categories": [figures.month_name(m, lang) for m in months[12:]],
        "series": [
            {"name": t("hl.same_period", lang), "data": last_year, "color": "#9AA3AD"},
            {"name": t("hl.actual", lang), "data": this_year, "color": "#1565C0"},
        ],
        "yName": t("hl.unit.visits", lang),
    }


def surveillance_page(session: Session, disease: str, now_ts: int, lang: str) -> dict[str, Any]:
    """The surveillance page of one disease: commune table with EARS, map, charts."""
    t = i18n.translate
    communes = geo.communes(session)
    surv = {
        d: surveillance.surveillance(session, d, communes, now_ts, WEEKS_SHOWN) for d in DISEASES
    }
    current = surv[disease]
    params = current.params
    rows: list[list[Any]] = []
    links: list[str] = []
    markers: list[dict[str, Any]] = []
    ordered = sorted(
        current.rows, key=lambda r: (not r.alarm, -(r.stats.get("c2") or -99.0), r.name)
    )
    for r in ordered:
        rows.append(
            [
                r.code,
                r.name,
                r.population,
                _int(r.last_week) if r.reported else None,
                _int(r.cases_recent) if r.reported else None,
                r.incidence if r.reported else None,
                *[r.stats[m] for m in surveillance.METHODS],
                *[t("hl.yes", lang) if r.breaches[m] else "" for m in surveillance.METHODS],
                t("hl.alarm", lang) if r.alarm else "",
            ]
        )
        links.append(f"/health/communes/{r.code}")
    for r in current.rows:
        commune = next(c for c in communes if c.code == r.code)
        if commune.lat is None or commune.lon is None:
            continue
        fill, text = incidence_color(r.incidence if r.reported else None)
        markers.append(
            {
                "code": r.code,
                "name": r.name,
                "lat": commune.lat,
                "lon": commune.lon,
                "aqi": r.incidence if r.reported else None,
                "color": fill,
                "text_color": text,
                "category_label": t(
                    "hl.map_popup_ears",
                    lang,
                    cases=i18n.format_number(r.cases_recent, lang),
                    c2=i18n.format_number(r.stats.get("c2"), lang, 2),
                ),
                "url": f"/health/communes/{r.code}",
            }
        )
    table = Table(
        title=t("hl.surv.table_title", lang, disease=disease_name(disease, lang)),
        header=[
            t("hl.col.code", lang),
            t("hl.col.commune", lang),
            t("hl.col.population", lang),
            t("hl.col.cases_week", lang),
            t("hl.col.cases_4w_short", lang),
            t("hl.col.incidence_short", lang),
            "C1",
            "C2",
            "C3",
            *[
                f"{m.upper()} ≥ {i18n.format_number(params[m].threshold, lang)}"
                for m in surveillance.METHODS
            ],
            t("hl.col.alarm", lang),
        ],
        rows=rows,
        notes=[
            t("hl.surv.note_week", lang, week=week_text(current.weeks[-1])),
            t(
                "hl.surv.note_params",
                lang,
                sigma=i18n.format_number(params["c2"].min_sigma, lang, 1),
                enabled=", ".join(m.upper() for m in surveillance.METHODS if params[m].enabled)
                or "—",
            ),
            t("hl.note_population", lang),
        ],
    )
    charts = {
        d: disease_chart(surv[d].weeks, surv[d].province, surv[d].province_bound, lang)
        for d in DISEASES
    }
    return {
        "choropleths": [ears_choropleth(surv[d], lang, active=d == disease) for d in DISEASES],
        "disease": disease,
        "diseases": DISEASES,
        "table": table,
        "links": links,
        "markers": markers,
        "charts": charts,
        "alarms": current.alarms,
        "c2_threshold": params["c2"].threshold,
        "week": week_text(current.weeks[-1]),
        "params": params,
    }


# Colours of the EARS map: how many of C1, C2, C3 are at or over their threshold.
EARS_SIGNAL_COLORS: Final = ("#E3F1DF", "#FDAE61", "#F46D43", "#A50026")


def ears_choropleth(surv: surveillance.Surveillance, lang: str, active: bool) -> dict[str, Any]:
    """The map's layer "EARS signals" of one disease: per commune, how many of the EARS
    methods breach their threshold in the last complete week — from the rows of
    :func:`surveillance.surveillance` (the commune table's); ``None`` for a commune that
    reports no case series (drawn "không có số liệu", never as 0)."""
    t = i18n.translate
    values: dict[str, int | None] = {}
    notes: dict[str, str] = {}
    for r in surv.rows:
        if not r.reported:
            values[r.code] = None
            continue
        values[r.code] = sum(1 for m in surveillance.METHODS if r.breaches.get(m))
        stats = " · ".join(
            t("hl.ears_stat", lang, m=m.upper(), value=i18n.format_number(r.stats.get(m), lang, 2))
            for m in surveillance.METHODS
        )
        alarm = f" — {t('hl.alarm', lang)}" if r.alarm else ""
        notes[r.code] = f"{stats}{alarm}"
    name = disease_name(surv.disease, lang)
    return {
        "name": t("map.ears.layer", lang, disease=name),
        "title": t("map.ears.title", lang, disease=name, week=week_text(surv.weeks[-1])),
        "values": values,
        "notes": notes,
        "classes": [
            {"max": n, "color": color, "label": t(f"map.ears.n{n}", lang)}
            for n, color in enumerate(EARS_SIGNAL_COLORS)
        ],
        "active": active,
        "decimals": 0,
    }


def disease_chart(
    weeks: list[int], counts: list[float], bounds: list[float | None], lang: str
) -> dict[str, Any]:
    """Weekly counts with the C2 alarm threshold line (the count at which C2 reaches it)."""
    t = i18n.translate
    return {
        "series": [
            {
                "name": t("hl.chart.cases", lang),
                "data": [[iso(w), v] for w, v in zip(weeks, counts, strict=True)],
                "color": "#1565C0",
            },
            {
                "name": t("hl.chart.c2_bound", lang),
                "data": [[iso(w), b] for w, b in zip(weeks, bounds, strict=True)],
                "color": "#C62828",
            },
        ],
        "yName": t("hl.unit.cases", lang),
        "decimals": 1,
        "dataZoom": False,
    }


def commune_charts(session: Session, code: str, now_ts: int, lang: str) -> dict[str, Any]:
    """A commune's weekly cases per disease with each disease's C2 threshold line."""
    weeks, counts, params = surveillance.commune_weekly(session, code, now_ts, WEEKS_SHOWN)
    return {
        d: disease_chart(weeks, counts[d], surveillance.c2_bounds(counts[d], params[d]), lang)
        for d in DISEASES
    }
