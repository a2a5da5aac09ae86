"""What the education pages show: key figures, trends, commune and school tables, map markers.

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
from ioc.packs.education.schools import School, schools

MONTHS_SHOWN: Final = 24
LEVELS: Final = ("kindergarten", "primary", "lower_secondary", "upper_secondary", "gifted")
# Pupils per teacher: light to dark purple (ColorBrewer Purples); a crowded class is darker.
RATIO_CLASSES: Final = (
    (0.0, "#F2F0F7", "#1B2430"),
    (15.0, "#CBC9E2", "#1B2430"),
    (20.0, "#9E9AC8", "#1B2430"),
    (25.0, "#756BB1", "#FFFFFF"),
    (30.0, "#54278F", "#FFFFFF"),
)
NO_DATA_COLOR: Final = ("#C4CAD1", "#2B333D")
LEVEL_COLORS: Final = {
    "kindergarten": "#F9A825",
    "primary": "#2E7D32",
    "lower_secondary": "#00838F",
    "upper_secondary": "#1565C0",
    "gifted": "#C62828",
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


def ratio_color(value: float | None) -> tuple[str, str]:
    """Fill and text colour of a pupils-per-teacher class."""
    if value is None:
        return NO_DATA_COLOR
    chosen = RATIO_CLASSES[0]
    for cls in RATIO_CLASSES:
        if value >= cls[0]:
            chosen = cls
    return chosen[1], chosen[2]


def ratio(pupils: float, teachers: float) -> float | None:
    """Pupils per teacher (ISO 37120), ``None`` without teachers."""
    return round(pupils / teachers, 1) if teachers else None


@dataclass
class Kpi:
    """A key figure."""

    label: str
    value: str
    unit: str = ""
    note: str = ""
    status: str = ""


@dataclass
class Overview:
    """Everything the province page (or one commune's page) shows."""

    kpis: list[Kpi]
    charts: dict[str, Any]
    communes: Table
    commune_links: list[str]
    schools: Table
    school_links: list[str]
    commune_markers: list[dict[str, Any]]
    school_markers: list[dict[str, Any]]


def _int(value: float | None) -> int | None:
    return None if value is None else round(value)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _weighted(items: list[School], code: str) -> float | None:
    num = den = 0.0
    for s in items:
        if code in s.latest and s.pupils:
            num += s.latest[code] * s.pupils
            den += s.pupils
    return round(num / den, 1) if den else None


def _pass_rate(fig: Figure | None, upper: list[School], lang: str) -> Kpi:
    """Upper-secondary graduation: the submitted province rate (the plan table's), else the
    pupil-weighted pass rate of the schools shown."""
    if fig is not None:
        return Kpi(i18n.translate("ed.kpi.pass_rate", lang), fig.text(lang), "%", note=fig.period)
    return Kpi(
        i18n.translate("ed.kpi.pass_rate_schools", lang),
        i18n.format_measure(_weighted(upper, "ed_exam_pass_rate"), lang, "%"),
        "%",
    )


def school_markers(items: list[School], lang: str) -> list[dict[str, Any]]:
    """Schools for ``IOC.aqiMap``: coloured by level, labelled with pupils per teacher."""
    t = i18n.translate
    out = []
    for s in items:
        if s.lat is None or s.lon is None:
            continue
        r = ratio(s.pupils, s.teachers)
        out.append(
            {
                "code": s.code,
                "name": s.name,
                "kind": s.kind,
                "lat": s.lat,
                "lon": s.lon,
                "aqi": round(r) if r is not None else None,
                "color": LEVEL_COLORS.get(s.kind, "#5B6777"),
                "text_color": "#FFFFFF",
                "category_label": t(
                    "ed.popup",
                    lang,
                    pupils=i18n.format_number(s.pupils, lang),
                    teachers=i18n.format_number(s.teachers, lang),
                    attendance=i18n.format_number(s.latest.get("ed_attendance"), lang, 1),
                ),
                "url": f"/education/communes/{s.area_code}" if s.area_code else None,
            }
        )
    return out


def school_table(items: list[School], names: dict[str, str], lang: str) -> Table:
    """Schools with their latest figures (the page's table and its export)."""
    t = i18n.translate
    return Table(
        title=t("ed.schools", lang),
        header=[
            t("ed.col.code", lang),
            t("ed.col.school", lang),
            t("ed.col.level", lang),
            t("ed.col.commune", lang),
            t("ed.fig.pupils", lang),
            t("ed.fig.teachers", lang),
            t("ed.fig.classes", lang),
            t("ed.fig.ratio", lang),
            t("ed.fig.attendance", lang) + " (%)",
            t("ed.fig.pass_rate", lang) + " (%)",
            t("ed.fig.avg_score", lang),
            t("ed.col.source", lang),
        ],
        rows=[
            [
                s.code,
                s.name,
                t(f"ed.level.{s.kind}", lang),
                names.get(s.area_code or "", s.area_code or ""),
                _int(s.latest.get("ed_pupils")),
                _int(s.latest.get("ed_teachers")),
                _int(s.latest.get("ed_classes")),
                ratio(s.pupils, s.teachers),
                _round(s.latest.get("ed_attendance")),
                _round(s.latest.get("ed_exam_pass_rate")),
                s.latest.get("ed_exam_avg_score"),
                "demo" if s.demo else "",
            ]
            for s in items
        ],
        notes=[t("ed.note_latest", lang)],
    )


def overview(
    session: Session,
    now_ts: int,
    lang: str,
    commune: str | None = None,
    official: dict[str, Figure] | None = None,
) -> Overview:
    """The province page (or, with ``commune``, that commune's page).

    ``official``: the area's submitted figures (:func:`ioc.packs.education.plan.figures`,
    read once with the plan table): the graduation tile shows the province's submitted rate,
    as the plan table does; a commune page (no submitted rate) shows its schools' pass rate,
    named as such."""
    t = i18n.translate
    all_communes = geo.communes(session)
    names = {c.code: c.name for c in all_communes}
    shown = [c for c in all_communes if commune is None or c.code == commune]
    items = schools(session, commune)
    codes = {s.code for s in items}
    months = figures.last_months(now_ts, MONTHS_SHOWN)
    series = figures.series_of(session, ("ed_attendance", "ed_pupils"), "entity")

    def ours(indicator: str) -> dict[str, Any]:
        return {k: v for k, v in series.get(indicator, {}).items() if k in codes}

    weights = {s.code: s.pupils for s in items}
    attendance = figures.month_weighted(session, ours("ed_attendance"), weights, months)
    pupils_month = figures.month_sum(session, ours("ed_pupils"), months)
    pupils = sum(s.pupils for s in items)
    teachers = sum(s.teachers for s in items)
    upper = [s for s in items if s.kind in ("upper_secondary", "gifted")]
    last_att = next((v for v in reversed(attendance) if v is not None), None)
    kpis = [
        Kpi(
            t("ed.kpi.schools", lang),
            i18n.format_number(len(items), lang),
            note=t("ed.kpi.upper", lang, n=len(upper)),
        ),
        Kpi(t("ed.kpi.pupils", lang), i18n.format_number(pupils, lang)),
        Kpi(t("ed.kpi.teachers", lang), i18n.format_number(teachers, lang)),
        Kpi(t("ed.kpi.ratio", lang), i18n.format_number(ratio(pupils, teachers), lang, 1)),
        Kpi(
            t("ed.kpi.attendance", lang),
            i18n.format_number(last_att, lang, 1),
            "%",
            status="warn" if last_att is not None and last_att < 95 else "",
        ),
        _pass_rate((official or {}).get("ed_graduation_rate"), upper, lang),
    ]
    month_x = [figures.month_label(m) for m in months]
    by_level: dict[str, list[float]] = {lv: [0.0, 0.0] for lv in LEVELS}
    pupil_data = figures.monthly(session, ours("ed_pupils").values(), months)
    level_of = {s.code: s.kind for s in items}
    for code, ser in ours("ed_pupils").items():
        found = pupil_data.get(ser.id, {})
        for i, m in enumerate((months[-13], months[-1])):
            if m in found:
                by_level[level_of[code]][i] += found[m][1]
    levels = [lv for lv in LEVELS if any(by_level[lv])]
    charts: dict[str, Any] = {
        "attendance": {
            "series": [
                {
                    "name": t("ed.fig.attendance", lang),
                    "data": list(zip(month_x, attendance, strict=True)),
                }
            ],
            "yName": "%",
            "yMin": 80,
            "decimals": 1,
            "dataZoom": False,
            "markLines": [{"value": 95, "label": t("ed.attendance_target", lang), "unit": "%"}],
        },
        "pupils": {
            "series": [
                {
                    "name": t("ed.fig.pupils", lang),
                    "data": list(zip(month_x, pupils_month, strict=True)),
                }
            ],
            "yName": t("ed.unit.pupils", lang),
            "dataZoom": False,
        },
        "levels": {
            "categories": [t(f"ed.level.{lv}", lang) for lv in levels],
            "series": [
                {
                    "name": figures.month_name(months[-13], lang),
                    "data": [round(by_level[lv][0]) for lv in levels],
                    "color": "#9AA3AD",
                },
                {
                    "name": figures.month_name(months[-1], lang),
                    "data": [round(by_level[lv][1]) for lv in levels],
                    "color": "#1565C0",
                },
            ],
            "yName": t("ed.unit.pupils", lang),
        },
        "exam": {
            "categories": [s.name.replace("Trường ", "") for s in upper],
            "series": [
                {
                    "name": t("ed.fig.pass_rate", lang),
                    "data": [_round(s.latest.get("ed_exam_pass_rate")) for s in upper],
                    "color": "#2E7D32",
                }
            ],
            "yName": "%",
            "decimals": 1,
            "horizontal": True,
        },
    }
    by_commune: dict[str, list[School]] = {}
    for s in items:
        by_commune.setdefault(s.area_code or "", []).append(s)
    rows: list[list[Any]] = []
    links: list[str] = []
    markers: list[dict[str, Any]] = []
    for c in shown:
        mine = by_commune.get(c.code, [])
        p = sum(s.pupils for s in mine)
        tc = sum(s.teachers for s in mine)
        r = ratio(p, tc)
        rows.append(
            [
                c.code,
                c.name,
                len(mine),
                _int(p),
                _int(tc),
                r,
                _weighted(mine, "ed_attendance"),
            ]
        )
        links.append(f"/education/communes/{c.code}")
        if c.lat is not None and c.lon is not None:
            fill, text = ratio_color(r)
            markers.append(
                {
                    "code": c.code,
                    "name": c.name,
                    "lat": c.lat,
                    "lon": c.lon,
                    "aqi": round(r) if r is not None else None,
                    "color": fill,
                    "text_color": text,
                    "category_label": t(
                        "ed.popup_commune",
                        lang,
                        schools=len(mine),
                        pupils=i18n.format_number(p, lang),
                    ),
                    "url": f"/education/communes/{c.code}",
                }
            )
    table = Table(
        title=t("ed.communes", lang),
        header=[
            t("ed.col.code", lang),
            t("ed.col.commune", lang),
            t("ed.col.schools", lang),
            t("ed.fig.pupils", lang),
            t("ed.fig.teachers", lang),
            t("ed.fig.ratio", lang),
            t("ed.fig.attendance", lang) + " (%)",
        ],
        rows=rows,
        notes=[t("ed.note_latest", lang)],
    )
    return Overview(
        kpis=kpis,
        charts=charts,
        communes=table,
        commune_links=links,
        schools=school_table(items, names, lang),
        school_links=[f"/education/communes/{s.area_code}" for s in items],
        commune_markers=markers,
        school_markers=school_markers(items, lang),
    )
