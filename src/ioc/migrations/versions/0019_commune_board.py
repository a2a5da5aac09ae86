"""commune scorecard snapshots (issue 20)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05

The daily board of the 102 communes/wards: ``cb_board_days`` (one row per stored day, with the
indicator columns as they were) and ``cb_board_rows`` (one row per commune and day).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cb_board_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("overall", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cb_board_days")),
        sa.UniqueConstraint("day", name=op.f("uq_cb_board_days_day")),
    )
    op.create_table(
        "cb_board_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("area_code", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("color", sa.String(length=8), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("colors", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cb_board_rows")),
        sa.UniqueConstraint("day", "area_code", name=op.f("uq_cb_board_rows_day_area_code")),
    )
    op.create_index(
        "ix_cb_board_rows_area_day", "cb_board_rows", ["area_code", "day"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_cb_board_rows_area_day", table_name="cb_board_rows")
    op.drop_table("cb_board_rows")
    op.drop_table("cb_board_days")
