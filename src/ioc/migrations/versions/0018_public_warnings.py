"""CAP public warnings (issue 20): warnings (CAP messages), their communes, e-mail
subscriptions per commune.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wr_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("area_code", sa.String(length=16), nullable=False),
        sa.Column("lang", sa.String(length=2), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unsubscribed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wr_subscriptions")),
        sa.UniqueConstraint("email", "area_code", name=op.f("uq_wr_subscriptions_email_area_code")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_wr_subscriptions_token_hash")),
    )
    op.create_index(
        op.f("ix_wr_subscriptions_area_code"), "wr_subscriptions", ["area_code"], unique=False
    )
    op.create_table(
        "wr_warnings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("identifier", sa.String(length=120), nullable=False),
        sa.Column("msg_type", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("references_id", sa.Integer(), nullable=True),
        sa.Column("superseded_by_id", sa.Integer(), nullable=True),
        sa.Column("hazard", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("urgency", sa.String(length=16), nullable=False),
        sa.Column("certainty", sa.String(length=16), nullable=False),
        sa.Column("headline_vi", sa.String(length=300), nullable=False),
        sa.Column("headline_en", sa.String(length=300), nullable=False),
        sa.Column("description_vi", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("instruction_vi", sa.Text(), nullable=False),
        sa.Column("instruction_en", sa.Text(), nullable=False),
        sa.Column("effective_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_kind", sa.String(length=16), nullable=False),
        sa.Column("source_alert_id", sa.Integer(), nullable=True),
        sa.Column("source_incident_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("authors", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.String(length=200), nullable=True),
        sa.Column("approved_by_user_id", sa.Integer(), nullable=True),
        sa.Column("broadcast_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["references_id"],
            ["wr_warnings.id"],
            name=op.f("fk_wr_warnings_references_id_wr_warnings"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wr_warnings")),
        sa.UniqueConstraint("identifier", name=op.f("uq_wr_warnings_identifier")),
    )
    op.create_index(
        op.f("ix_wr_warnings_source_alert_id"), "wr_warnings", ["source_alert_id"], unique=False
    )
    op.create_index(
        "ix_wr_warnings_state_expires", "wr_warnings", ["state", "expires_at"], unique=False
    )
    op.create_table(
        "wr_warning_areas",
        sa.Column("warning_id", sa.Integer(), nullable=False),
        sa.Column("area_code", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["warning_id"],
            ["wr_warnings.id"],
            name=op.f("fk_wr_warning_areas_warning_id_wr_warnings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("warning_id", "area_code", name=op.f("pk_wr_warning_areas")),
    )
    op.create_index(
        op.f("ix_wr_warning_areas_area_code"), "wr_warning_areas", ["area_code"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_wr_warning_areas_area_code"), table_name="wr_warning_areas")
    op.drop_table("wr_warning_areas")
    op.drop_index("ix_wr_warnings_state_expires", table_name="wr_warnings")
    op.drop_index(op.f("ix_wr_warnings_source_alert_id"), table_name="wr_warnings")
    op.drop_table("wr_warnings")
    op.drop_index(op.f("ix_wr_subscriptions_area_code"), table_name="wr_subscriptions")
    op.drop_table("wr_subscriptions")
