"""Plan vs actual of the tourism figures Sở VHTTDL submits (the submissions engine's shared
table and chart, over this pack's indicators)."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any, Final

from sqlalchemy.orm import Session

from ioc.core.indicators import load_catalog
from ioc.engines.exports import Table
from ioc.engines.submissions import plan
from ioc.engines.submissions.catalog import Catalog, catalog_of
from ioc.engines.submissions.report import Row

PLAN: Final = (
    "tr_visitors_domestic",
    "tr_visitors_international",
    "tr_revenue",
    "tr_guest_nights",
    "tr_occupancy_avg",
)


@lru_cache(maxsize=1)
def catalog() -> Catalog:
    """This pack's submitted indicators."""
    return catalog_of(load_catalog("ioc.packs.tourism", "tourism"))


def rows(session: Session, area: str, now: datetime) -> list[Row]:
    """The plan rows of ``area``, read once for the key-figure tiles and the table."""
    return plan.plan_rows(session, catalog(), PLAN, area, now)


def figures(found: list[Row], lang: str) -> dict[str, plan.Figure]:
    """The latest figure of each row (what the tiles show and the table's latest column)."""
    return plan.latest_figures(found, lang)


def plan_vs_actual(
    session: Session, area: str, now: datetime, lang: str, found: list[Row] | None = None
) -> tuple[Table, dict[str, Any]]:
    """The plan-vs-actual table and its bar chart (actual as % of the yearly target)."""
    return plan.plan_vs_actual(session, catalog(), PLAN, area, now, lang, "tr", found)
