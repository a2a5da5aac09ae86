"""Models and migrations agree, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

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


ROLLUPS = ("rollup_hour", "rollup_day", "rollup_month")


def test_rollups_without_rowid_and_foreign_key(engine: Engine) -> None:
    # Migration 0023: SQLite keeps rollup rows in their key's b-tree; neither database checks a
    # foreign key per rollup row.
    from sqlalchemy import inspect

    inspector = inspect(engine)
    for table in ROLLUPS:
        assert inspector.get_foreign_keys(table) == []
    assert [fk["referred_table"] for fk in inspector.get_foreign_keys("observations")] == ["series"]
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        for table in ROLLUPS:
            sql = conn.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
            ).scalar_one()
            assert sql.rstrip().endswith("WITHOUT ROWID")


def test_migration_0023_keeps_rollup_rows(tmp_path: Path) -> None:
    # The SQLite rebuild copies every rollup row, and its downgrade brings rowid and key back.
    from sqlalchemy import inspect, text

    from ioc.core.db import make_engine
    from ioc.core.migrate import alembic_config, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0022")
    rows = [
        (sid, b * 3600, 1, 2.5 * b, 0.5, 9.5, b * 3600 + 60, 1.25)
        for sid in (1, 2)
        for b in (3, 1, 2)
    ]
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO indicators (id, code, pack, name_vi, name_en, unit, aggregation, "
                "frequency, direction, time_label, derived, description) VALUES (1, 'pm25', "
                "'environment', 'x', 'x', '1', 'mean', 'PT1H', 'none', 'end', false, '')"
            )
        )
        for sid in (1, 2):
            conn.execute(
                text(
                    "INSERT INTO series (id, indicator_id, subject_kind, subject_code) "
                    "VALUES (:i, 1, 'entity', :c)"
                ),
                {"i": sid, "c": f"DL-{sid}"},
            )
        for table in ROLLUPS:
            conn.exec_driver_sql(
                f"INSERT INTO {table} VALUES (?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
                rows,
            )

    def stored() -> dict[str, list[tuple[object, ...]]]:
        with engine.connect() as conn:
            return {
                t: [tuple(r) for r in conn.exec_driver_sql(f"SELECT * FROM {t}")]  # noqa: S608
                for t in ROLLUPS
            }

    expected = {t: sorted(rows) for t in ROLLUPS}
    upgrade(engine, "0023")
    assert stored() == expected
    assert all(inspect(engine).get_foreign_keys(t) == [] for t in ROLLUPS)

    from alembic import command

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0022")
    assert {t: sorted(v) for t, v in stored().items()} == expected
    inspector = inspect(engine)
    for table in ROLLUPS:
        assert [fk["referred_table"] for fk in inspector.get_foreign_keys(table)] == ["series"]
    with engine.connect() as conn:
        sql = conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'rollup_hour'"
        ).scalar_one()
    assert "WITHOUT ROWID" not in sql
    engine.dispose()
