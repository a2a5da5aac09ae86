"""What the education pages compute: pupils per teacher, attendance and exam results of the
schools, by month, by level and by commune (the sector kit draws and exports them).
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy.orm import Session

from ioc.core import communes as geo
from ioc.core import figures, i18n
from ioc.engines.exports import Table
from ioc.engines.sector import maps
from ioc.engines.sector import overview as kit
from ioc.engines.sector.overview import Kpi, Overview, Page, SectorFigures
from ioc.engines.submissions.plan import Figure
from ioc.packs.education.schools import SECTOR, School, schools

MONTHS_SHOWN: Final = 24
UPPER: Final = ("upper_secondary", "gifted")  # the schools whose exam results are shown
ATTENDANCE_TARGET: Final = 95.0


def ratio(pupils: float, teachers: float) -> float | None:
    """Pupils per teacher (ISO 37120), ``None`` without teachers."""
    return round(pupils / teachers, 1) if teachers else None


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

    def value(s: School) -> int | None:
        return kit.as_int(ratio(s.pupils, s.teachers))

    def label(s: School) -> str:
        return i18n.translate(
            "ed.popup",
            lang,
            pupils=i18n.format_number(s.pupils, lang),
            teachers=i18n.format_number(s.teachers, lang),
            attendance=i18n.format_number(s.latest.get("ed_attendance"), lang, 1),
        )

    return maps.place_markers(SECTOR, items, value, label)


def _kpis(
    items: list[School], attendance: list[float | None], official: dict[str, Figure], lang: str
) -> list[Kpi]:
    t = i18n.translate
    pupils = sum(s.pupils for s in items)
    teachers = sum(s.teachers for s in items)
    upper = [s for s in items if s.kind in UPPER]
    last = next((v for v in reversed(attendance) if v is not None), None)
    return [
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
            i18n.format_number(last, lang, 1),
            "%",
            status="warn" if last is not None and last < ATTENDANCE_TARGET else "",
        ),
        _pass_rate(official.get("ed_graduation_rate"), upper, lang),
    ]


def _pupils_by_level(
    session: Session, items: list[School], pupils: dict[str, Any], months: list[int]
) -> dict[str, list[float]]:
    """Pupils of each level a year ago and in the last month (levels with pupils only)."""
    by_level: dict[str, list[float]] = {lv: [0.0, 0.0] for lv in SECTOR.kinds}
    found = figures.monthly(session, pupils.values(), months)
    level_of = {s.code: s.kind for s in items}
    for code, ser in pupils.items():
        values = found.get(ser.id, {})
        for i, m in enumerate((months[-13], months[-1])):
            if m in values:
                by_level[level_of[code]][i] += values[m][1]
    return {lv: v for lv, v in by_level.items() if any(v)}


def _charts(
    session: Session,
    items: list[School],
    series: dict[str, dict[str, Any]],
    months: list[int],
    attendance: list[float | None],
    lang: str,
) -> dict[str, Any]:
    t = i18n.translate
    codes = {s.code for s in items}
    month_x = [figures.month_label(m) for m in months]
    pupils_month = figures.month_sum(session, kit.among(series, "ed_pupils", codes), months)
    levels = _pupils_by_level(session, items, kit.among(series, "ed_pupils", codes), months)
    upper = [s for s in items if s.kind in UPPER]
    return {
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
                    "name": figures.month_name(months[at], lang),
                    "data": [round(v[i]) for v in levels.values()],
                    "color": color,
                }
                for i, (at, color) in enumerate(((-13, "#9AA3AD"), (-1, "#1565C0")))
            ],
            "yName": t("ed.unit.pupils", lang),
        },
        "exam": {
            "categories": [s.name.replace("Trường ", "") for s in upper],
            "series": [
                {
                    "name": t("ed.fig.pass_rate", lang),
                    "data": [kit.rounded(s.latest.get("ed_exam_pass_rate")) for s in upper],
                    "color": "#2E7D32",
                }
            ],
            "yName": "%",
            "decimals": 1,
            "horizontal": True,
        },
    }


def _communes(
    shown: list[geo.Commune], items: list[School], lang: str
) -> tuple[Table, list[str], list[dict[str, Any]]]:
    """The commune table (schools, pupils, teachers, ratio, attendance), its links and the
    commune map's markers (coloured by pupils per teacher)."""
    t = i18n.translate
    grouped = kit.by_commune(items)
    rows: list[list[Any]] = []
    markers: list[dict[str, Any]] = []
    for c in shown:
        mine = grouped.get(c.code, [])
        p = sum(s.pupils for s in mine)
        tc = sum(s.teachers for s in mine)
        r = ratio(p, tc)
        rows.append(
            [
                c.code,
                c.name,
                len(mine),
                kit.as_int(p),
                kit.as_int(tc),
                r,
                _weighted(mine, "ed_attendance"),
            ]
        )
        if c.lat is not None and c.lon is not None:
            label = t(
                "ed.popup_commune", lang, schools=len(mine), pupils=i18n.format_number(p, lang)
            )
            markers.append(
                maps.marker(
                    c.code,
                    c.name,
                    (c.lat, c.lon),
                    kit.as_int(r),
                    maps.class_color(SECTOR.classes, r),
                    label,
                    SECTOR.commune_url(c.code),
                )
            )
    header = ["ed.col.code", "ed.col.commune", "ed.col.schools", "ed.fig.pupils"]
    header += ["ed.fig.teachers", "ed.fig.ratio"]
    table = Table(
        title=t("ed.communes", lang),
        header=[t(k, lang) for k in header] + [t("ed.fig.attendance", lang) + " (%)"],
        rows=rows,
        notes=[t("ed.note_latest", lang)],
    )
    return table, [SECTOR.commune_url(c.code) for c in shown], markers


class EducationFigures(SectorFigures[School]):
    """The education pages' figures: the graduation tile shows the province's submitted rate,
    as the plan table does; a commune page (no submitted rate) shows its schools' pass rate,
    named as such."""

    sector = SECTOR

    def places(self, session: Session, commune: str | None) -> list[School]:
        """The schools shown."""
        return schools(session, commune)

    def build(self, page: Page[School]) -> Overview:
        """Key figures, attendance and pupils by month, pupils by level, exam results, the
        commune table and both maps."""
        items, lang = page.items, page.lang
        months = figures.last_months(page.now_ts, MONTHS_SHOWN)
        series = figures.series_of(page.session, ("ed_attendance", "ed_pupils"), "entity")
        weights = {s.code: s.pupils for s in items}
        ours = kit.among(series, "ed_attendance", set(weights))
        attendance = figures.month_weighted(page.session, ours, weights, months)
        return self.assemble(
            page,
            _kpis(items, attendance, page.official, lang),
            _charts(page.session, items, series, months, attendance, lang),
            _communes(page.shown, items, lang),
            school_markers(items, lang),
            {"ratio": lambda s: ratio(s.pupils, s.teachers)},
        )


FIGURES: Final = EducationFigures()
overview = FIGURES.overview
