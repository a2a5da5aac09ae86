"""Plan vs actual of the tourism figures Sở VHTTDL submits (through the submissions engine's
values, targets and progress arithmetic — nothing recomputed here)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy.orm import Session

from ioc.core import clock, i18n
from ioc.core.registry import Registry
from ioc.engines.exports import Table
from ioc.engines.submissions.catalog import catalog_from_registry
from ioc.engines.submissions.report import Row, progress_rows

PLAN: Final = (
    "tr_visitors_domestic",
    "tr_visitors_international",
    "tr_revenue",
    "tr_guest_nights",
    "tr_occupancy_avg",
)


def _rows(session: Session, registry: Registry, area: str, now: datetime) -> list[Row]:
    catalog = catalog_from_registry(registry)
    local = now.astimezone(clock.local_tz())
    last_month = local.replace(day=1) - timedelta(days=1)  # the last complete month
    offset = clock.fixed_offset_seconds()
    found: dict[tuple[str, str], Row] = {}
    monthly = [c for c in PLAN if (s := catalog.get(c)) is not None and s.frequency != "P1Y"]
    yearly = [c for c in PLAN if (s := catalog.get(c)) is not None and s.frequency == "P1Y"]
    found.update(
        progress_rows(
            session,
            catalog,
            monthly,
            [area],
            last_month.year,
            through_month=last_month.month,
            offset=offset,
        )
    )
    # A yearly figure is known once the year is over: show the last complete year.
    found.update(progress_rows(session, catalog, yearly, [area], local.year - 1, offset=offset))
    return [found[(c, area)] for c in PLAN if (c, area) in found]


def plan_vs_actual(
    session: Session, registry: Registry, area: str, now: datetime, lang: str
) -> tuple[Table, dict[str, Any]]:
    """The plan-vs-actual table and its bar chart (actual as % of the yearly target)."""
    t = i18n.translate
    rows = _rows(session, registry, area, now)
    table_rows: list[list[Any]] = []
    categories: list[str] = []
    bars: list[dict[str, Any]] = []
    for r in rows:
        p = r.progress
        name = r.spec.name_vi if lang == "vi" else r.spec.name_en
        period = r.latest[0].label(lang) if r.latest else str(r.year)
        table_rows.append(
            [
                r.spec.code,
                name,
                r.spec.unit,
                period,
                _round(p.ytd),
                _round(p.target),
                _round(p.plan_pct),
                _round(p.last_year_ytd),
                _round(p.change_pct),
                t(f"tr.status.{p.status}", lang),
            ]
        )
        categories.append(name)
        bars.append({"value": _round(p.plan_pct), "color": p.color})
    table = Table(
        title=t("tr.plan.title", lang),
        header=[
            t("tr.col.code", lang),
            t("tr.plan.indicator", lang),
            t("tr.plan.unit", lang),
            t("tr.plan.period", lang),
            t("tr.plan.actual", lang),
            t("tr.plan.target", lang),
            t("tr.plan.pct", lang),
            t("tr.plan.last_year", lang),
            t("tr.plan.change", lang),
            t("tr.plan.status", lang),
        ],
        rows=table_rows,
        notes=[t("tr.plan.note", lang)],
    )
    chart = {
        "categories": categories,
        "series": [{"name": t("tr.plan.pct", lang), "data": bars}],
        "yName": "%",
        "decimals": 1,
        "markLine": 100,
        "horizontal": True,
    }
    return table, chart


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
