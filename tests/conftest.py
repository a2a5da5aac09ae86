"""Shared fixtures: a migrated database (SQLite or PostgreSQL), the app, users and tokens.

``IOC_TEST_DATABASE=postgres`` runs the suite against the local PostgreSQL server (a fresh
database per test worker, dropped afterwards). Under ``CI=true`` a missing server fails the run
instead of skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from argon2 import PasswordHasher, profiles
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from ioc.app import boot, create_app, prepare
from ioc.core import audit, auth, clock
from ioc.core.db import Base, make_engine, make_sessionmaker
from ioc.models_all import import_all_models
from ioc.settings import Settings

PG_ADMIN_URL = os.environ.get(
    "IOC_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() == "true"

# Passwords are hashed with argon2id at the cheapest cost in tests: the library's recommended
# cost (about 0.1 s a hash on this machine, 64 MiB) paid at every user created and every sign-in
# was a large share of the suite's time. Hashes still start with $argon2id$ and carry their own
# parameters, so every check is the production code path.
auth._hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)
auth._DUMMY_HASH = auth._hasher.hash("not-a-real-password-used-for-timing")

# Reference tables loaded once per test database (every other table is emptied after each test).
REFERENCE_TABLES = frozenset({"areas", "agencies", "indicators", "alembic_version"})


def mutable_tables() -> list[str]:
    """Tables a test may fill, children before parents (so foreign keys never block a delete)."""
    import_all_models()
    return [
        table.name
        for table in reversed(Base.metadata.sorted_tables)
        if table.name not in REFERENCE_TABLES
    ]


def backend() -> str:
    """Which database the suite runs on."""
    return os.environ.get("IOC_TEST_DATABASE", "sqlite")


def _pg_database(worker: str) -> Iterator[str]:
    name = f"ioc_test_{worker}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        if IN_CI:
            raise
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# The suite's longest files (measured with --durations), started first: a parallel run then
# ends with short files on both workers instead of one worker finishing a long one alone.
LONGEST_FIRST = (
    "tests/web/fuzz/test_fuzz_api_writes.py",
    "tests/web/fuzz/test_fuzz_api_reads.py",
    "tests/web/test_no_developer_text_staff.py",
    "tests/web/test_no_developer_text.py",
    "tests/browser/test_maps.py",
    "tests/browser/test_charts.py",
    "tests/browser/test_wall_fit.py",
    "tests/browser/test_csp.py",
    "tests/browser/test_stored_xss.py",
    "tests/ops/test_backup.py",
    "tests/engines/test_mqtt.py",
)


def _start_rank(item: pytest.Item) -> int:
    path = item.nodeid.split("::", 1)[0]
    return LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Start the longest files first; on the PostgreSQL run, keep only the tests that use the
    test database.

    A test that never asks for ``db_url`` (directly or through ``engine``, ``factory``, ``app``
    …) runs the same code on both runs: formulas, parsers, templates, SQLite-only tools. It ran
    on the SQLite run already, so running it again on PostgreSQL would test nothing new.
    """
    items.sort(key=_start_rank)  # stable: every other test keeps its order
    if backend() != "postgres":
        return
    kept, dropped = [], []
    for item in items:
        (kept if "db_url" in getattr(item, "fixturenames", ()) else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session")
def db_url(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[str]:
    """URL of this worker's test database, migrated once."""
    if backend() == "postgres":
        yield from _pg_database(worker_id)
    else:
        path: Path = tmp_path_factory.mktemp("db") / "ioc-test.db"
        yield f"sqlite:///{path}"


@pytest.fixture(scope="session")
def settings(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings for tests (test env, the worker's database)."""
    return Settings(
        env="test",
        database_url=db_url,
        secret_key="test-secret-not-for-production",
        data_dir=tmp_path_factory.mktemp("data"),
        # Tests drive periodic jobs themselves (a scheduler thread would race them).
        scheduler="off",
        tile_cache_seconds=0,  # tests read figures right after changing them
        # Webhook and website-probe tests talk to local servers on 127.0.0.1 (internal
        # addresses are refused otherwise; tests of the refusal use their own allow-list).
        outbound_allow=["127.0.0.1"],
    )


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Iterator[Engine]:
    """The migrated engine with reference data and indicator catalogs loaded."""
    eng = make_engine(settings.database_url)
    prepare(settings, eng)
    # Every test starts from reference data only (prepare also loads e.g. default alert rules).
    _empty_mutable_tables(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def factory(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """A session factory; every mutable table is emptied after the test."""
    yield make_sessionmaker(engine)
    _empty_mutable_tables(engine)


# Per engine: the mutable tables its migrations created, in delete order (read once: the
# catalog query cost more than the deletes on PostgreSQL).
_PRESENT: dict[Engine, list[str]] = {}


def _empty_mutable_tables(engine: Engine) -> None:
    # Only tables the migrations created (a model whose migration is missing is reported by
    # tests/test_migrations.py, not here).
    tables = _PRESENT.get(engine)
    if tables is None:
        present = set(inspect(engine).get_table_names())
        tables = _PRESENT[engine] = [t for t in mutable_tables() if t in present]
    deletes = [f"DELETE FROM {table}" for table in tables]  # noqa: S608 - fixed table names
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # One round trip: psycopg sends a parameterless script as one simple query.
            conn.exec_driver_sql("; ".join(deletes))
        else:
            for delete in deletes:
                conn.exec_driver_sql(delete)


@pytest.fixture
def db(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session for arranging and checking data (commit to make it visible to the app)."""
    with factory() as session:
        yield session


@pytest.fixture
def frozen_now() -> Iterator[datetime]:
    """Freeze the clock at 2026-03-10 12:00 +07:00 (05:00 UTC)."""
    at = datetime(2026, 3, 10, 5, 0, tzinfo=UTC)
    clock.set_now(at)
    yield at
    clock.set_now(None)


# The application of each (settings, engine), built once per test worker: building its routes
# costs more than most tests (FastAPI analyses every endpoint's dependencies), and nothing a
# request does stays in it except the two tallies reset below.
_APPS: dict[tuple[int, int], FastAPI] = {}


@pytest.fixture
def app(settings: Settings, engine: Engine, factory: sessionmaker[Session]) -> TestClient:
    """A test client of the full application (its own client: no cookie carries over)."""
    key = (id(settings), id(engine))
    built = _APPS.get(key)
    if built is None:
        built = _APPS[key] = create_app(settings, engine)
    else:
        # What create_app's boot sets for the packs (a test may have booted other settings).
        boot(settings)
        built.state.csp_reports.clear()
        built.state.page_views.discard()
    return TestClient(built, raise_server_exceptions=False)


client = app


@pytest.fixture
def make_user(factory: sessionmaker[Session]):  # type: ignore[no-untyped-def]
    """Create a user: ``make_user("ana", role="operator", agency=None) -> password``."""

    def make(
        username: str,
        role: str = "operator",
        password: str = "mật-khẩu-đủ-dài-123",
        agency: str | None = None,
    ) -> str:
        with factory() as session, session.begin():
            auth.create_user(
                session,
                audit.Actor.system("test"),
                username=username,
                password=password,
                full_name=f"Người dùng {username}",
                role=role,
                agency_code=agency,
            )
        return password

    return make


@pytest.fixture
def ingest_token(factory: sessionmaker[Session], make_user) -> str:  # type: ignore[no-untyped-def]
    """Secret of an API token with the ``ingest`` scope (owned by an operator)."""
    make_user("gateway", role="operator")
    with factory() as session, session.begin():
        new = auth.create_api_token(
            session,
            audit.Actor.system("test"),
            owner_username="gateway",
            name="Trạm thử",
            scopes=["ingest"],
        )
    return new.secret


@pytest.fixture
def gateway_token(factory: sessionmaker[Session], make_user) -> str:  # type: ignore[no-untyped-def]
    """Secret of a gateway's token that also registers devices (``ingest`` and ``manage``)."""
    make_user("registrar", role="operator")
    with factory() as session, session.begin():
        new = auth.create_api_token(
            session,
            audit.Actor.system("test"),
            owner_username="registrar",
            name="Cổng kết nối",
            scopes=["ingest", "manage"],
        )
    return new.secret


@pytest.fixture
def station(factory: sessionmaker[Session]) -> str:
    """One air station in phường Buôn Ma Thuột; returns its code."""
    from ioc.packs.environment import service

    with factory() as session, session.begin():
        service.upsert_station(
            session,
            audit.Actor.system("test"),
            code="DL-TEST-01",
            name="Trạm thử nghiệm Quảng trường 10/3",
            # Inside phường Buôn Ma Thuột's stand-in cell (a station's commune is the commune of
            # its point; the approximate centres put the square itself in Phường Thành Nhất).
            lat=12.6745,
            lon=108.0475,
            area_code="24133",
            agency_code="so-nong-nghiep-moi-truong",
        )
    return "DL-TEST-01"
