"""rate limits and login lock (throttle_hits, login_locks)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Counted events of the rate limits and failed logins: in the database, so that several
    # web processes count together.
    op.create_table(
        "throttle_hits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_throttle_hits")),
    )
    op.create_index(op.f("ix_throttle_hits_at"), "throttle_hits", ["at"], unique=False)
    op.create_index(
        "ix_throttle_hits_bucket_subject_at",
        "throttle_hits",
        ["bucket", "subject", "at"],
        unique=False,
    )
    op.create_table(
        "login_locks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("unlocked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unlocked_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_locks")),
    )
    op.create_index("ix_login_locks_kind_subject", "login_locks", ["kind", "subject"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_login_locks_kind_subject", table_name="login_locks")
    op.drop_table("login_locks")
    op.drop_index("ix_throttle_hits_bucket_subject_at", table_name="throttle_hits")
    op.drop_index(op.f("ix_throttle_hits_at"), table_name="throttle_hits")
    op.drop_table("throttle_hits")
