"""outbox leases and operations (issue 19)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The notification outbox: a claim is one delivery run's token (its short lease is renewed
    # while it sends), and a failing message is retried until ``give_up_at`` (first failure +
    # IOC_NOTIFY_RETRY_HOURS) instead of a fixed number of attempts.
    with op.batch_alter_table("notify_outbox") as batch:
        batch.add_column(sa.Column("claim_token", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("give_up_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notify_outbox") as batch:
        batch.drop_column("give_up_at")
        batch.drop_column("claim_token")
