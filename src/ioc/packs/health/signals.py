"""What the disease surveillance page shows: the communes of one disease with their EARS
statistics of the last complete week, the map layer of EARS signals, and the weekly cases with
the C2 alarm threshold of each disease (from :mod:`ioc.packs.health.surveillance`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from sqlalchemy.orm import Session

from ioc.core import clock, i18n
from ioc.engines.exports import Table
from ioc.engines.sector import maps
from ioc.engines.sector.overview import as_int
from ioc.packs.health import geo, surveillance
from ioc.packs.health.facilities import SECTOR
from ioc.packs.health.surveillance import DISEASES, METHODS, WEEK

WEEKS_SHOWN: Final = 26
# Colours of the EARS map: how many of C1, C2, C3 are at or over their threshold.
EARS_SIGNAL_COLORS: Final = ("#E3F1DF", "#FDAE61", "#F46D43", "#A50026")


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


def _rows(current: surveillance.Surveillance, lang: str) -> tuple[list[list[Any]], list[str]]:
    """The table's rows, communes with an alarm first, then by C2; and their links."""
    t = i18n.translate
    ordered = sorted(
        current.rows, key=lambda r: (not r.alarm, -(r.stats.get("c2") or -99.0), r.name)
    )
    rows = [
        [
            r.code,
            r.name,
            r.population,
            as_int(r.last_week) if r.reported else None,
            as_int(r.cases_recent) if r.reported else None,
            r.incidence if r.reported else None,
            *[r.stats[m] for m in METHODS],
            *[t("hl.yes", lang) if r.breaches[m] else "" for m in METHODS],
            t("hl.alarm", lang) if r.alarm else "",
        ]
        for r in ordered
    ]
    return rows, [SECTOR.commune_url(r.code) for r in ordered]


def _markers(
    current: surveillance.Surveillance, communes: list[geo.Commune], lang: str
) -> list[dict[str, Any]]:
    """Communes coloured by incidence, with their cases and C2 statistic."""
    at = {c.code: c for c in communes}
    out = []
    for r in current.rows:
        commune = at[r.code]
        if commune.lat is None or commune.lon is None:
            continue
        value = r.incidence if r.reported else None
        label = i18n.translate(
            "hl.map_popup_ears",
            lang,
            cases=i18n.format_number(r.cases_recent, lang),
            c2=i18n.format_number(r.stats.get("c2"), lang, 2),
        )
        colors = maps.class_color(SECTOR.classes, value)
        out.append(
            maps.marker(
                r.code, r.name, (commune.lat, commune.lon), value, colors, label,
                SECTOR.commune_url(r.code),
            )
        )  # fmt: skip
    return out


def _table(current: surveillance.Surveillance, rows: list[list[Any]], lang: str) -> Table:
    t = i18n.translate
    params = current.params
    thresholds = [f"{m.upper()} ≥ {i18n.format_number(params[m].threshold, lang)}" for m in METHODS]
    enabled = ", ".join(m.upper() for m in METHODS if params[m].enabled) or "—"
    sigma = i18n.format_number(params["c2"].min_sigma, lang, 1)
    columns = ("code", "commune", "population", "cases_week", "cases_4w_short", "incidence_short")
    return Table(
        title=t("hl.surv.table_title", lang, disease=disease_name(current.disease, lang)),
        header=[
            *[t(f"hl.col.{k}", lang) for k in columns],
            "C1",
            "C2",
            "C3",
            *thresholds,
            t("hl.col.alarm", lang),
        ],
        rows=rows,
        notes=[
            t("hl.surv.note_week", lang, week=week_text(current.weeks[-1])),
            t("hl.surv.note_params", lang, sigma=sigma, enabled=enabled),
            t("hl.note_population", lang),
        ],
    )


def surveillance_page(session: Session, disease: str, now_ts: int, lang: str) -> dict[str, Any]:
    """The surveillance page of one disease: commune table with EARS, map, charts."""
    communes = geo.communes(session)
    surv = {
        d: surveillance.surveillance(session, d, communes, now_ts, WEEKS_SHOWN) for d in DISEASES
    }
    current = surv[disease]
    rows, links = _rows(current, lang)
    return {
        "choropleths": [ears_choropleth(surv[d], lang, active=d == disease) for d in DISEASES],
        "disease": disease,
        "diseases": DISEASES,
        "table": _table(current, rows, lang),
        "links": links,
        "markers": _markers(current, communes, lang),
        "charts": {
            d: disease_chart(surv[d].weeks, surv[d].province, surv[d].province_bound, lang)
            for d in DISEASES
        },
        "alarms": current.alarms,
        "c2_threshold": current.params["c2"].threshold,
        "week": week_text(current.weeks[-1]),
        "params": current.params,
    }


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
        values[r.code] = sum(1 for m in METHODS if r.breaches.get(m))
        stats = " · ".join(
            t("hl.ears_stat", lang, m=m.upper(), value=i18n.format_number(r.stats.get(m), lang, 2))
            for m in METHODS
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
