"""Rollup tables: WITHOUT ROWID on SQLite, no foreign key to series (both databases)

Every ingestion batch inserts about one rollup row per observation. On SQLite a rowid table
keeps its primary key in a second b-tree, so each rollup insert wrote two b-trees and each
range read of one series looked every row up twice; WITHOUT ROWID keeps the row in the key's
b-tree. Each insert also checked its foreign key to ``series`` (on PostgreSQL about a sixth of
the write time), although the write path finds or creates every series before it writes and
nothing deletes a series while rollups of it are left (migration 0022 deletes the rollups
first). SQLite: the three tables are rebuilt (rows copied) without rowid and without the
foreign key. PostgreSQL: the foreign keys are dropped, from partitioned tables too (``ioc db
partition`` no longer adds them back).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-11
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("rollup_hour", "rollup_day", "rollup_month")


def _fk(table: str) -> str:
    return f"fk_{table}_series_id_series"


def _columns() -> list[sa.Column[object]]:
    return [
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("vmin", sa.Float(), nullable=False),
        sa.Column("vmax", sa.Float(), nullable=False),
        sa.Column("last_ts", sa.BigInteger(), nullable=False),
        sa.Column("last_value", sa.Float(), nullable=False),
    ]


def _rebuild_sqlite(table: str, *, with_rowid: bool) -> None:
    """Copy ``table`` into a new table of the same columns and key, with or without rowid (and
    with the foreign key only when with rowid: the layout before this revision)."""
    new = f"{table}_0023"
    constraints: list[sa.Constraint] = [
        sa.PrimaryKeyConstraint("series_id", "bucket", name=f"pk_{table}")
    ]
    if with_rowid:
        constraints.append(sa.ForeignKeyConstraint(["series_id"], ["series.id"], name=_fk(table)))
    op.create_table(new, *_columns(), *constraints, sqlite_with_rowid=with_rowid)
    # Rows in key order: the new b-tree is filled by appends.
    names = ", ".join(c.name for c in _columns())  # by name: never by column position
    op.execute(
        f'INSERT INTO "{new}" ({names}) SELECT {names} FROM "{table}" '  # noqa: S608 - fixed names
        "ORDER BY series_id, bucket"
    )
    op.drop_table(table)
    op.rename_table(new, table)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in TABLES:
            _rebuild_sqlite(table, with_rowid=False)
        return
    for table in TABLES:
        op.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT IF EXISTS "{_fk(table)}"')


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in TABLES:
            _rebuild_sqlite(table, with_rowid=True)
        return
    for table in TABLES:
        op.create_foreign_key(_fk(table), table, "series", ["series_id"], ["id"])
