"""VN_AQI has one home, env_aqi (issue 17 item 4)

The derived series ``vn_aqi_hour`` / ``vn_aqi_day`` duplicated ``env_aqi``: their observations,
rollups, series and indicator rows go. Alert rules that read ``vn_aqi_hour`` with a threshold
become record rules over the environment pack's record source ``environment.aqi_hour`` (the
same test on each station's newest hourly index, kept where an administrator edited it).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-10
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CODES = ("vn_aqi_hour", "vn_aqi_day")
SOURCE = "environment.aqi_hour"

# Tables that hold a series id, children first; then the tables that hold an indicator id.
SERIES_TABLES = ("observations", "rollup_hour", "rollup_day", "rollup_month")
INDICATOR_TABLES = ("sub_targets", "sub_value_history")


def upgrade() -> None:
    conn = op.get_bind()
    indicators = sa.table("indicators", sa.column("id", sa.Integer), sa.column("code", sa.String))
    series = sa.table("series", sa.column("id", sa.Integer), sa.column("indicator_id", sa.Integer))
    indicator_ids = list(
        conn.execute(sa.select(indicators.c.id).where(indicators.c.code.in_(CODES))).scalars()
    )
    if indicator_ids:
        series_ids = sa.select(series.c.id).where(series.c.indicator_id.in_(indicator_ids))
        for name in SERIES_TABLES:
            table = sa.table(name, sa.column("series_id", sa.Integer))
            conn.execute(sa.delete(table).where(table.c.series_id.in_(series_ids)))
        conn.execute(sa.delete(series).where(series.c.indicator_id.in_(indicator_ids)))
        for name in INDICATOR_TABLES:
            table = sa.table(name, sa.column("indicator_id", sa.Integer))
            conn.execute(sa.delete(table).where(table.c.indicator_id.in_(indicator_ids)))
        conn.execute(sa.delete(indicators).where(indicators.c.id.in_(indicator_ids)))
    _rules_to_record_source(conn)


def _rules_to_record_source(conn: Any) -> None:
    """Threshold rules on the latest ``vn_aqi_hour`` read the record source instead (same op
    and threshold; the source applies the former 2-hour ``max_age_s``)."""
    rules = sa.table(
        "alert_rules",
        sa.column("id", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("query", sa.JSON),
        sa.column("params", sa.JSON),
    )
    rows = conn.execute(
        sa.select(rules.c.id, rules.c.query, rules.c.params).where(rules.c.kind == "threshold")
    ).all()
    for rule_id, query, params in rows:
        if not isinstance(query, dict) or query.get("indicator") != "vn_aqi_hour":
            continue
        params = params if isinstance(params, dict) else {}
        if params.get("window_s"):
            continue  # a windowed rule has no record equivalent; its health will say "nodata"
        conn.execute(
            sa.update(rules)
            .where(rules.c.id == rule_id)
            .values(
                kind="record",
                query={"source": SOURCE},
                params={k: params[k] for k in ("op", "threshold") if k in params},
            )
        )


def downgrade() -> None:
    # The removed series are not rebuilt: the older version's start-up recreates the indicators
    # and its derive engine writes the series again as new data arrives. Rules stay record rules
    # (the older version evaluates them as long as the record source exists).
    pass
