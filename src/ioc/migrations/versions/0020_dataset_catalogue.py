"""dataset catalogue, planning and assets (issue 21)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Placeholder in the chain: filled by the work it is named after (or left empty).
    pass


def downgrade() -> None:
    pass
