"""Plan vs actual of a pack's submitted figures as a table and a bar chart (the submissions
engine's values, targets and progress arithmetic — nothing recomputed here).

Shared by every pack that shows plan vs actual; texts come from the pack's own catalog keys
``{prefix}.plan.*`` and ``{prefix}.status.*``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from ioc.core import clock, i18n
from ioc.core.registry import Registry
from ioc.engines.exports import Table
from ioc.engines.submissions.catalog import Catalog, catalog_from_registry
from ioc.engines.submissions.report import Row, progress_rows


@dataclass(frozen=True)
class Figure:
    """A submitted figure as every place shows it — a pack's key-figure tile, the plan table's
    "latest period" column, the overview tile: one indicator in one area, the latest period
    with a value and that value."""

    code: str
    name: str
    unit: str
    period: str
    value: float | None

    def text(self, lang: str) -> str:
        """The value with its unit's decimals (:func:`ioc.core.i18n.format_measure`)."""
        return i18n.format_measure(self.value, lang, self.unit)


def figure_of(row: Row, lang: str) -> Figure:
    """The latest figure of a plan row (the one function tiles and tables read it with)."""
    spec = row.spec
    latest = row.latest
    return Figure(
        code=spec.code,
        name=spec.name_vi if lang == "vi" else spec.name_en,
        unit=spec.unit,
        period=latest[0].label(lang) if latest else str(row.year),
        value=latest[1] if latest else None,
    )


def latest_figures(rows: Sequence[Row], lang: str) -> dict[str, Figure]:
    """:func:`figure_of` of every row, by indicator code."""
    return {r.spec.code: figure_of(r, lang) for r in rows}


def plan_rows(
    session: Session,
    source: Registry | Catalog,
    codes: Sequence[str],
    area: str,
    now: datetime,
) -> list[Row]:
    """Progress of ``codes`` in ``area``: monthly/quarterly figures through the last complete
    month, yearly ones for the last complete year (``source``: the registry, or a pack's own
    catalog)."""
    catalog = source if isinstance(source, Catalog) else catalog_from_registry(source)
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
    source: Registry | Catalog,
    codes: Sequence[str],
    area: str,
    now: datetime,
    lang: str,
    prefix: str,
    rows: Sequence[Row] | None = None,
) -> tuple[Table, dict[str, Any]]:
    """The plan-vs-actual table and its bar chart (actual as % of the yearly target).

    ``rows`` (from :func:`plan_rows`) lets a page read the figures once for its key-figure
    tiles and this table. Values follow their indicator's unit (counts without decimals); the
    "latest period" column — shown when a figure is not yearly — is :func:`figure_of`, the
    figure the tiles show. Indicators are named, never shown by code.
    """

    def t(key: str) -> str:
        return i18n.translate(f"{prefix}.{key}", lang)

    found = list(rows) if rows is not None else plan_rows(session, source, codes, area, now)
    with_latest = any(r.spec.frequency != "P1Y" for r in found)
    table_rows: list[list[Any]] = []
    categories: list[str] = []
    bars: list[dict[str, Any]] = []
    for r in found:
        p = r.progress
        fig = figure_of(r, lang)
        unit = r.spec.unit
        latest = [i18n.quantity(fig.value, unit)] if with_latest else []
        table_rows.append(
            [
                fig.name,
                unit,
                fig.period,
                *latest,
                i18n.quantity(p.ytd, unit),
                i18n.quantity(p.target, unit),
                _round(p.plan_pct),
                i18n.quantity(p.last_year_ytd, unit),
                _round(p.change_pct),
                t(f"status.{p.status}"),
            ]
        )
        categories.append(fig.name)
        bars.append({"value": _round(p.plan_pct), "color": p.color})
    columns = (
        "indicator",
        "unit",
        "period",
        *(["latest"] if with_latest else []),
        "actual",
        "target",
        "pct",
        "last_year",
        "change",
    )
    table = Table(
        title=t("plan.title"),
        header=[*(t(f"plan.{c}") for c in columns), t("plan.status")],
        rows=table_rows,
        notes=[t("plan.note")],
    )
    chart = {
        "categories": categories,
        "series": [{"name": t("plan.pct"), "data": bars}],
        "yName": "%",
        "decimals": 1,
        "markLine": 100,
        "markLineLabel": i18n.translate("sub.plan.line", lang),
        "horizontal": True,
    }
    return table, chart


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
