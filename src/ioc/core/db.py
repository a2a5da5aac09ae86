"""Database engine, sessions and the shared metadata (naming convention for Alembic)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

# The same constraint names on SQLite and PostgreSQL, so one migration history serves both.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every table (core, engines and packs)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


SYNCHRONOUS = ("NORMAL", "FULL")


def _sqlite_pragmas(dbapi_conn: Any, _record: ConnectionPoolEntry, synchronous: str) -> None:
    # WAL lets the web workers read while an ingestion batch writes; NORMAL is durable in WAL
    # mode against a killed process, not against power loss (the last transactions may be
    # lost); FULL (IOC_SQLITE_SYNCHRONOUS) syncs each commit. The busy timeout makes
    # concurrent writers wait instead of failing with "database is locked".
    if not isinstance(dbapi_conn, sqlite3.Connection):
        return
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA synchronous={synchronous}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    # Fewer, larger checkpoints: 10k-row ingestion batches otherwise checkpoint mid-batch.
    cur.execute("PRAGMA wal_autocheckpoint=20000")
    cur.execute("PRAGMA cache_size=-65536")
    cur.close()


def make_engine(url: str, *, echo: bool = False, synchronous: str | None = None) -> Engine:
    """Create an engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout, and
    ``PRAGMA synchronous`` = ``synchronous`` (default: ``IOC_SQLITE_SYNCHRONOUS``)."""
    # orjson reads JSON columns several times faster than the standard library (rules,
    # labels and annotations are read by the thousand in each alert evaluation cycle).
    kwargs: dict[str, Any] = {"echo": echo, "future": True, "json_deserializer": orjson.loads}
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 10}
        # Let SQLAlchemy manage transactions explicitly (BEGIN issued by the driver on first write
        # would otherwise hold no lock for reads and upgrade late, causing SQLITE_BUSY).
    else:
        kwargs["pool_pre_ping"] = True
        kwargs["pool_size"] = 10
        kwargs["max_overflow"] = 10
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):
        if synchronous is None:
            from ioc.settings import get_settings

            try:
                synchronous = get_settings().sqlite_synchronous
            except ValueError:  # settings refused (they say why when the app starts)
                synchronous = "NORMAL"
        mode = synchronous.upper()
        if mode not in SYNCHRONOUS:
            raise ValueError(f"IOC_SQLITE_SYNCHRONOUS: {synchronous!r} is not NORMAL or FULL")
        event.listen(engine, "connect", lambda conn, rec: _sqlite_pragmas(conn, rec, mode))
    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """A session factory bound to ``engine``; objects stay usable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False, future=True)


def database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` means "the database cannot serve now, retry later" (server down or
    restarting, connection lost, pool exhausted, disk full, SQLite busy) rather than a fault in
    the request or the code."""
    from sqlalchemy import exc as sa_exc

    if isinstance(exc, sa_exc.TimeoutError):
        return True
    if isinstance(exc, sa_exc.DBAPIError):
        return exc.connection_invalidated or isinstance(
            exc, sa_exc.OperationalError | sa_exc.InterfaceError
        )
    return False
