"""What the health pages compute: the facilities' beds, visits and occupancy by month and by
commune, immunisation, and the surveillance figures of every disease on the overview (the
sector kit draws and exports them; the surveillance page is :mod:`ioc.packs.health.signals`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy.orm import Session

from ioc.core import figures, i18n
from ioc.engines.exports import Table
from ioc.engines.sector import maps
from ioc.engines.sector import overview as kit
from ioc.engines.sector.overview import Kpi, Overview, Page, SectorFigures
from ioc.engines.submissions.plan import Figure
from ioc.packs.health import geo, surveillance
from ioc.packs.health.facilities import SECTOR, Facility, facilities
from ioc.packs.health.signals import WEEKS_SHOWN, disease_name, iso, week_text
from ioc.packs.health.surveillance import DISEASES

MONTHS_SHOWN: Final = 24
HOSPITAL_KINDS: Final = ("hospital", "specialty_hospital", "medical_centre", "private")
FACILITY_FIGURES: Final = ("hl_outpatient_visits", "hl_inpatients", "hl_bed_occupancy")
VACCINATION_TARGET: Final = 95.0


@dataclass
class HealthOverview(Overview):
    """The sector overview with the outbreak alarms of the last complete week."""

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
        status="warn" if value is not None and value < VACCINATION_TARGET else "",
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
    return maps.place_markers(
        SECTOR,
        items,
        lambda f: kit.as_int(f.latest.get("hl_bed_occupancy")),
        lambda f: _facility_summary(f, lang),
    )


@dataclass
class _Months:
    """The monthly series of one page and the facilities' series by indicator."""

    months: list[int]
    visits: list[float | None]
    inpatients: list[float | None]
    occupancy: list[float | None]
    vaccination: list[float | None]
    ours: dict[str, dict[str, Any]]
    vaccination_by_commune: dict[str, Any]


def _monthly(
    session: Session, items: list[Facility], shown: list[geo.Commune], area: str, now_ts: int
) -> _Months:
    """Visits, in-patients and bed occupancy (bed-weighted) of the facilities; immunisation:
    the area's own submitted series (the plan table's), else the communes' weighted mean."""
    months = figures.last_months(now_ts, MONTHS_SHOWN)
    series = figures.series_of(session, FACILITY_FIGURES, "entity")
    codes = {f.code for f in items}
    ours = {k: kit.among(series, k, codes) for k in FACILITY_FIGURES}
    beds = {f.code: f.beds for f in items if f.beds}
    vacc_series = figures.series_of(session, ("hl_vaccination_coverage",), "area").get(
        "hl_vaccination_coverage", {}
    )
    weights = {c.code: float(c.population or 0) for c in shown}
    vacc_ours = {k: v for k, v in vacc_series.items() if k in weights}
    vaccination = (
        figures.month_weighted(session, {area: vacc_series[area]}, {area: 1.0}, months)
        if area in vacc_series
        else figures.month_weighted(session, vacc_ours, weights, months)
    )
    return _Months(
        months=months,
        visits=figures.month_sum(session, ours["hl_outpatient_visits"], months),
        inpatients=figures.month_sum(session, ours["hl_inpatients"], months),
        occupancy=figures.month_weighted(session, ours["hl_bed_occupancy"], beds, months),
        vaccination=vaccination,
        ours=ours,
        vaccination_by_commune=vacc_ours,
    )


def _alarms(surv: dict[str, surveillance.Surveillance], lang: str) -> list[dict[str, Any]]:
    return [
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


def _kpis(
    items: list[Facility],
    population: int,
    m: _Months,
    surv: dict[str, surveillance.Surveillance],
    official: dict[str, Figure],
    lang: str,
) -> list[Kpi]:
    t = i18n.translate
    beds = sum(f.beds for f in items)
    doctors = sum(f.latest.get("hl_doctors", 0.0) for f in items)
    hospitals = [f for f in items if f.kind in HOSPITAL_KINDS]
    month = figures.month_text(m.months[-1])
    week = week_text(surv[DISEASES[0]].weeks[-1])
    alarms = sum(len(surv[d].alarms) for d in DISEASES)
    return [
        Kpi(
            t("hl.kpi.facilities", lang),
            i18n.format_number(len(items), lang),
            note=t("hl.kpi.hospitals", lang, n=len(hospitals)),
        ),
        _per_10k(
            official.get("hl_beds_per_10k"),
            t("hl.kpi.beds_per_10k", lang),
            t("hl.kpi.beds_per_10k_facilities", lang),
            _ratio(beds, population),
            lang,
            t("hl.kpi.beds_total", lang, n=i18n.format_number(beds, lang)),
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
            i18n.format_number(m.occupancy[-1], lang, 1),
            "%",
            note=month,
        ),
        Kpi(t("hl.kpi.visits", lang), i18n.format_number(m.visits[-1], lang), note=month),
        _vaccination(official.get("hl_vaccination_coverage"), m.vaccination[-1], month, lang),
        Kpi(
            t("hl.kpi.alarms", lang),
            i18n.format_number(alarms, lang),
            note=week,
            status="alarm" if alarms else "ok",
        ),
        *[
            Kpi(
                t("hl.kpi.cases_week", lang, disease=disease_name(d, lang)),
                i18n.format_number(surv[d].province[-1], lang),
                note=week,
            )
            for d in DISEASES
        ],
    ]


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


def _charts(
    session: Session,
    m: _Months,
    surv: dict[str, surveillance.Surveillance],
    now_ts: int,
    lang: str,
) -> dict[str, Any]:
    t = i18n.translate
    month_x = [figures.month_label(x) for x in m.months]
    weeks = surv[DISEASES[0]].weeks

    def line(key: str, values: list[float | None]) -> dict[str, Any]:
        return {"name": t(key, lang), "data": list(zip(month_x, values, strict=True))}

    return {
        "visits": {
            "series": [line("hl.fig.visits", m.visits), line("hl.fig.inpatients", m.inpatients)],
            "yName": t("hl.unit.visits", lang),
            "dataZoom": False,
        },
        "occupancy": {
            "series": [
                line("hl.fig.occupancy", m.occupancy),
                line("hl.fig.vaccination", m.vaccination),
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
        "compare": _year_on_year(session, m.ours["hl_outpatient_visits"], now_ts, lang),
    }


def _communes(
    session: Session,
    shown: list[geo.Commune],
    items: list[Facility],
    m: _Months,
    surv: dict[str, surveillance.Surveillance],
    lang: str,
) -> tuple[Table, list[str], list[dict[str, Any]]]:
    """The commune table and map: facilities, beds, visits of the last month, immunisation,
    cases of every disease and the incidence of dengue, the province's main notifiable
    disease (the map's colour)."""
    t = i18n.translate
    grouped = kit.by_commune(items)
    visits = m.ours["hl_outpatient_visits"]
    last = figures.monthly(session, visits.values(), m.months[-1:])
    visits_by_facility = {
        code: last.get(s.id, {}).get(m.months[-1], (None, None))[0] for code, s in visits.items()
    }
    vaccination = figures.latest_of(m.vaccination_by_commune)
    by_disease = {d: surveillance.by_commune(surv[d].rows) for d in DISEASES}
    rows: list[list[Any]] = []
    markers: list[dict[str, Any]] = []
    for c in shown:
        mine = grouped.get(c.code, [])
        month_total = [v for f in mine if (v := visits_by_facility.get(f.code)) is not None]
        dengue = by_disease["dengue"][c.code]
        alarm = any(by_disease[d][c.code].alarm for d in DISEASES)
        rows.append(
            [
                c.code,
                c.name,
                c.population,
                len(mine),
                kit.as_int(sum(f.beds for f in mine)),
                kit.as_int(sum(month_total)) if month_total else None,
                kit.rounded(vaccination.get(c.code)),
                *[kit.as_int(by_disease[d][c.code].cases_recent) for d in DISEASES],
                dengue.incidence,
                t("hl.alarm", lang) if alarm else "",
            ]
        )
        if c.lat is not None and c.lon is not None:
            value = dengue.incidence if dengue.reported else None
            cases = i18n.format_number(dengue.cases_recent, lang)
            markers.append(
                maps.marker(
                    c.code,
                    c.name,
                    (c.lat, c.lon),
                    value,
                    maps.class_color(SECTOR.classes, value),
                    t("hl.map_popup", lang, cases=cases),
                    SECTOR.commune_url(c.code),
                )
            )
    month = figures.month_text(m.months[-1])
    week = week_text(surv[DISEASES[0]].weeks[-1])
    columns = ("code", "commune", "population", "facilities")
    table = Table(
        title=t("hl.communes", lang),
        header=[
            *[t(f"hl.col.{k}", lang) for k in columns],
            t("hl.fig.beds", lang),
            t("hl.col.visits_month", lang, month=month),
            t("hl.fig.vaccination", lang) + " (%)",
            *[t("hl.col.cases_4w", lang, disease=disease_name(d, lang)) for d in DISEASES],
            t("hl.col.incidence", lang, disease=disease_name("dengue", lang)),
            t("hl.col.alarm", lang),
        ],
        rows=rows,
        notes=[t("hl.note_population", lang), t("hl.note_weeks", lang, week=week)],
    )
    return table, [SECTOR.commune_url(c.code) for c in shown], markers


class HealthFigures(SectorFigures[Facility]):
    """The health pages' figures: the area's submitted figures are the one source of the
    beds, physicians and immunisation tiles, so they show what the plan table shows. Beds and
    physicians per 10,000 are submitted for the province only: a commune page computes them
    from its facilities, named as such."""

    sector = SECTOR

    def communes(self, session: Session) -> list[Any]:
        """The communes with their population (incidence, beds per 10,000)."""
        return list(geo.communes(session))

    def places(self, session: Session, commune: str | None) -> list[Facility]:
        """The facilities shown."""
        return facilities(session, commune)

    def build(self, page: Page[Facility]) -> HealthOverview:
        """Key figures, visits, occupancy, immunisation and cases by month or week, the
        year-on-year visits, the commune table, both maps and the outbreak alarms."""
        session, shown, items, lang = page.session, page.shown, page.items, page.lang
        m = _monthly(session, items, shown, page.commune or geo.PROVINCE, page.now_ts)
        # Surveillance of every disease (EARS of the last complete week, 4-week incidence).
        surv = {
            d: surveillance.surveillance(session, d, shown, page.now_ts, WEEKS_SHOWN)
            for d in DISEASES
        }
        population = geo.province_population(shown)
        found = self.assemble(
            page,
            _kpis(items, population, m, surv, page.official, lang),
            _charts(session, m, surv, page.now_ts, lang),
            _communes(session, shown, items, m, surv, lang),
            facility_markers(items, lang),
        )
        return HealthOverview(
            **vars(found),
            alarms=_alarms(surv, lang),
            last_week=week_text(surv[DISEASES[0]].weeks[-1]),
            last_month=figures.month_text(m.months[-1]),
        )


FIGURES: Final = HealthFigures()
overview = FIGURES.overview
