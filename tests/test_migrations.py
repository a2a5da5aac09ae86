"""Models and migrations agree, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Engine

from ioc.core.db import Base
from ioc.core.partitions import include_name
from ioc.models_all import import_all_models


def test_models_match_migrations(engine: Engine) -> None:
    import_all_models()
    with engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"compare_type": False, "include_name": include_name}
        )
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []


def test_sqlite_pragmas(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000


def test_rollup_keys_lead_with_the_series(engine: Engine) -> None:
    # Every rollup read is "one series, a range of buckets": the key must start with series_id.
    from sqlalchemy import inspect

    inspector = inspect(engine)
    for table in ("rollup_hour", "rollup_day", "rollup_month"):
        assert inspector.get_pk_constraint(table)["constrained_columns"] == ["series_id", "bucket"]
    assert inspector.get_pk_constraint("observations")["constrained_columns"] == ["series_id", "ts"]
