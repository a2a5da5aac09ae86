"""monthly partitions of observations and rollups on PostgreSQL (issue 19)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05

``observations`` (by ``ts``), ``rollup_hour`` and ``rollup_day`` (by ``bucket``) become
RANGE-partitioned tables with one partition per UTC month and a DEFAULT partition (see
``ioc.core.partitions``). The rows are copied over in the migration's transaction; the keys,
the foreign key to ``series`` and the names of both stay as they were. SQLite is unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ioc.core import clock
from ioc.core.partitions import PARTITIONED, ensure_month, maintain, month_of

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEY = {"observations": ("series_id", "ts")}


def _columns(table: str) -> tuple[str, str]:
    return _KEY.get(table, ("series_id", "bucket"))


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for table, column in PARTITIONED.items():
        old = f"{table}_unpartitioned"
        op.execute(f'ALTER TABLE "{table}" RENAME TO "{old}"')
        op.execute(f'ALTER TABLE "{old}" RENAME CONSTRAINT "pk_{table}" TO "pk_{old}"')
        op.execute(
            f'ALTER TABLE "{old}" RENAME CONSTRAINT "fk_{table}_series_id_series"'
            f' TO "fk_{old}_series_id_series"'
        )
        like = f'LIKE "{old}" INCLUDING DEFAULTS'
        op.execute(f'CREATE TABLE "{table}" ({like}) PARTITION BY RANGE ({column})')
        key = ", ".join(_columns(table))
        op.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "pk_{table}" PRIMARY KEY ({key})')
        op.execute(
            f'ALTER TABLE "{table}" ADD CONSTRAINT "fk_{table}_series_id_series"'
            " FOREIGN KEY (series_id) REFERENCES series (id)"
        )
        op.execute(f'CREATE TABLE "{table}_default" PARTITION OF "{table}" DEFAULT')
        span = f'SELECT min({column}), max({column}) FROM "{old}"'  # noqa: S608 - fixed names
        lo, hi = bind.execute(sa.text(span)).one()
        if lo is not None:
            year, month = month_of(int(lo))
            last = month_of(int(hi))
            while (year, month) <= last:
                ensure_month(bind, table, year, month)
                year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        op.execute(f'INSERT INTO "{table}" SELECT * FROM "{old}"')  # noqa: S608
        op.execute(f'DROP TABLE "{old}"')
    maintain(bind, clock.now(), ahead=3)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for table in PARTITIONED:
        old = f"{table}_partitioned"
        op.execute(f'ALTER TABLE "{table}" RENAME TO "{old}"')
        op.execute(f'ALTER TABLE "{old}" RENAME CONSTRAINT "pk_{table}" TO "pk_{old}"')
        op.execute(
            f'ALTER TABLE "{old}" RENAME CONSTRAINT "fk_{table}_series_id_series"'
            f' TO "fk_{old}_series_id_series"'
        )
        op.execute(f'CREATE TABLE "{table}" (LIKE "{old}" INCLUDING DEFAULTS)')
        key = ", ".join(_columns(table))
        op.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "pk_{table}" PRIMARY KEY ({key})')
        op.execute(
            f'ALTER TABLE "{table}" ADD CONSTRAINT "fk_{table}_series_id_series"'
            " FOREIGN KEY (series_id) REFERENCES series (id)"
        )
        op.execute(f'INSERT INTO "{table}" SELECT * FROM "{old}"')  # noqa: S608
        op.execute(f'DROP TABLE "{old}" CASCADE')
