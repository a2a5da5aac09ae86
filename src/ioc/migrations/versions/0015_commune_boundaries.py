"""commune boundaries (ioc geo import communes)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "commune_boundaries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("geometry", sa.Text(), nullable=False),
        sa.Column("min_lon", sa.Float(), nullable=False),
        sa.Column("min_lat", sa.Float(), nullable=False),
        sa.Column("max_lon", sa.Float(), nullable=False),
        sa.Column("max_lat", sa.Float(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commune_boundaries")),
    )
    op.create_index(
        op.f("ix_commune_boundaries_code"), "commune_boundaries", ["code"], unique=False
    )
    op.create_index(
        "ix_commune_boundaries_bbox",
        "commune_boundaries",
        ["min_lon", "min_lat", "max_lon", "max_lat"],
        unique=False,
    )
    op.create_index(
        "ix_commune_boundaries_current", "commune_boundaries", ["valid_to", "code"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_commune_boundaries_current", table_name="commune_boundaries")
    op.drop_index("ix_commune_boundaries_bbox", table_name="commune_boundaries")
    op.drop_index(op.f("ix_commune_boundaries_code"), table_name="commune_boundaries")
    op.drop_table("commune_boundaries")
