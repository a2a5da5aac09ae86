"""Plan vs actual of the tourism figures Sở VHTTDL submits (the submissions engine's shared
table and chart, over this pack's indicators)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from sqlalchemy.orm import Session

from ioc.core.registry import Registry
from ioc.engines.exports import Table
from ioc.engines.submissions import plan

PLAN: Final = (
    "tr_visitors_domestic",
    "tr_visitors_international",
    "tr_revenue",
    "tr_guest_nights",
    "tr_occupancy_avg",
)


def plan_vs_actual(
    session: Session, registry: Registry, area: str, now: datetime, lang: str
) -> tuple[Table, dict[str, Any]]:
    """The plan-vs-actual table and its bar chart (actual as % of the yearly target)."""
    return plan.plan_vs_actual(session, registry, PLAN, area, now, lang, "tr")
