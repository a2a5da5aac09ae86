"""dataset catalogue, planning and assets (issue 21)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05

The open-data catalogue computes its figures from existing tables and needs none. The planning
pack: ``pl_plans`` (approved plans and their validity), ``pl_zones`` (zones with land use,
limits and GeoJSON geometry), ``pl_assets`` (infrastructure assets, points or lines, owner and
status) and ``pl_asset_reports`` (field reports linked to an asset, by report code).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pl_assets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("agency_code", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("area_code", sa.String(length=16), nullable=True),
        sa.Column("geometry", sa.Text(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("min_lon", sa.Float(), nullable=False),
        sa.Column("min_lat", sa.Float(), nullable=False),
        sa.Column("max_lon", sa.Float(), nullable=False),
        sa.Column("max_lat", sa.Float(), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pl_assets")),
        sa.UniqueConstraint("code", name=op.f("uq_pl_assets_code")),
    )
    op.create_index(op.f("ix_pl_assets_agency_code"), "pl_assets", ["agency_code"], unique=False)
    op.create_index(
        "ix_pl_assets_bbox", "pl_assets", ["min_lon", "min_lat", "max_lon", "max_lat"], unique=False
    )
    op.create_index(op.f("ix_pl_assets_kind"), "pl_assets", ["kind"], unique=False)
    op.create_table(
        "pl_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("decision_number", sa.String(length=100), nullable=False),
        sa.Column("decision_date", sa.Date(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("agency_code", sa.String(length=64), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pl_plans")),
        sa.UniqueConstraint("code", name=op.f("uq_pl_plans_code")),
    )
    op.create_table(
        "pl_asset_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("report_code", sa.String(length=32), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["pl_assets.id"],
            name=op.f("fk_pl_asset_reports_asset_id_pl_assets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pl_asset_reports")),
        sa.UniqueConstraint(
            "asset_id", "report_code", name=op.f("uq_pl_asset_reports_asset_id_report_code")
        ),
    )
    op.create_index(
        op.f("ix_pl_asset_reports_asset_id"), "pl_asset_reports", ["asset_id"], unique=False
    )
    op.create_index(
        op.f("ix_pl_asset_reports_report_code"), "pl_asset_reports", ["report_code"], unique=False
    )
    op.create_table(
        "pl_zones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("zone_code", sa.String(length=64), nullable=False),
        sa.Column("land_use", sa.String(length=200), nullable=False),
        sa.Column("limits", sa.JSON(), nullable=False),
        sa.Column("geometry", sa.Text(), nullable=False),
        sa.Column("min_lon", sa.Float(), nullable=False),
        sa.Column("min_lat", sa.Float(), nullable=False),
        sa.Column("max_lon", sa.Float(), nullable=False),
        sa.Column("max_lat", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["pl_plans.id"],
            name=op.f("fk_pl_zones_plan_id_pl_plans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pl_zones")),
        sa.UniqueConstraint("plan_id", "zone_code", name=op.f("uq_pl_zones_plan_id_zone_code")),
    )
    op.create_index(
        "ix_pl_zones_bbox", "pl_zones", ["min_lon", "min_lat", "max_lon", "max_lat"], unique=False
    )
    op.create_index(op.f("ix_pl_zones_plan_id"), "pl_zones", ["plan_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_pl_zones_plan_id"), table_name="pl_zones")
    op.drop_index("ix_pl_zones_bbox", table_name="pl_zones")
    op.drop_table("pl_zones")
    op.drop_index(op.f("ix_pl_asset_reports_report_code"), table_name="pl_asset_reports")
    op.drop_index(op.f("ix_pl_asset_reports_asset_id"), table_name="pl_asset_reports")
    op.drop_table("pl_asset_reports")
    op.drop_table("pl_plans")
    op.drop_index(op.f("ix_pl_assets_kind"), table_name="pl_assets")
    op.drop_index("ix_pl_assets_bbox", table_name="pl_assets")
    op.drop_index(op.f("ix_pl_assets_agency_code"), table_name="pl_assets")
    op.drop_table("pl_assets")
