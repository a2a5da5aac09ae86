"""Plan vs actual of a pack's submitted figures as a table and a bar chart (the submissions
engine's values, targets and progress arithmetic — nothing recomputed here).

Shared by every pack that shows plan vs actual; texts come from the pack's own catalog keys
``{prefix}.plan.*``, ``{prefix}.status.*`` and ``{prefix}.col.code``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from ioc.core import clock, i18n
from ioc.core.registry import Registry
from ioc.engines.exports import Table
from ioc.engines.submissions.catalog import catalog_from_registry
from ioc.engines.submissions.report import Row, progress_rows


def plan_rows(
    session: Session, registry: Registry, codes: Sequence[str], area: str, now: datetime
) -> list[Row]:
    """Progress of ``codes`` in ``area``: monthly/quarterly figures through the last complete
    month, yearly ones for the last complete year."""
    catalog = catalog_from_registry(registry)
    local = now.astimezone(clock.local_tz())
    last_month = local.replace(day=1) - timedelta(days=1)  # the last complete month
    offset = clock.fixed_offset_seconds()
    found: dict[tuple[str, str], Row] = {}
    monthly = [c for c in codes if (s := catalog.get(c)) is not None and s.frequency != "P1Y"]
    yearly = [c for c in codes if (s := catalog.get(c)) is not None and s.frequency == "P1Y"]
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
    return [found[(c, area)] for c in codes if (c, area) in found]


def plan_vs_actual(
    session: Session,
    registry: Registry,
    codes: Sequence[str],
    area: str,
    now: datetime,
    lang: str,
    prefix: str,
) -> tuple[Table, dict[str, Any]]:
    """The plan-vs-actual table and its bar chart (actual as % of the yearly target)."""

    def t(key: str) -> str:
        return i18n.translate(f"{prefix}.{key}", lang)

    table_rows: list[list[Any]] = []
    categories: list[str] = []
    bars: list[dict[str, Any]] = []
    for r in plan_rows(session, registry, codes, area, now):
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
                t(f"status.{p.status}"),
            ]
        )
        categories.append(name)
        bars.append({"value": _round(p.plan_pct), "color": p.color})
    columns = ("indicator", "unit", "period", "actual", "target", "pct", "last_year", "change")
    table = Table(
        title=t("plan.title"),
        header=[t("col.code"), *(t(f"plan.{c}") for c in columns), t("plan.status")],
        rows=table_rows,
        notes=[t("plan.note")],
    )
    chart = {
        "categories": categories,
        "series": [{"name": t("plan.pct"), "data": bars}],
        "yName": "%",
        "decimals": 1,
        "markLine": 100,
        "horizontal": True,
    }
    return table, chart


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
