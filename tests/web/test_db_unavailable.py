"""When the database cannot write (disk full, server restarting), a sender is told to retry
later (503 + Retry-After), never "internal error"; readiness fails while liveness holds.

The fault is injected at the driver: every INSERT/UPDATE raises the error the driver raises
when the disk is full, so the application's own error path is what is tested.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine

from ioc.core.db import database_unavailable


@pytest.fixture
def disk_full(engine: Engine) -> Iterator[None]:
    def refuse(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE")):
            if engine.dialect.name == "postgresql":
                raise psycopg.errors.DiskFull("could not extend file: No space left on device")
            raise sqlite3.OperationalError("database or disk is full")

    event.listen(engine, "before_cursor_execute", refuse)
    yield
    event.remove(engine, "before_cursor_execute", refuse)


def test_ready_when_the_database_writes(client: TestClient) -> None:
    r = client.get("/readyz")
    assert r.status_code == 200, r.text
    assert r.json()["database_write"] == "ok" and r.json()["migrations"] == "ok"


def test_disk_full_means_retry_later(
    client: TestClient, station: str, ingest_token: str, disk_full: None
) -> None:
    rows = {
        "observations": [
            {
                "indicator": "pm25",
                "entity": station,
                "time": "2026-03-01T08:00:00+07:00",
                "value": 1,
            }
        ]
    }
    r = client.post(
        "/api/v1/observations", json=rows, headers={"Authorization": f"Bearer {ingest_token}"}
    )
    assert r.status_code == 503, r.text
    assert r.headers["Retry-After"] == "30"
    assert "retry later" in r.json()["detail"] and "Traceback" not in r.text
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["database_write"] == "error"
    assert client.get("/healthz").status_code == 200  # alive: the process answers


def test_which_errors_mean_unavailable() -> None:
    from sqlalchemy import exc

    assert database_unavailable(exc.OperationalError("x", {}, sqlite3.OperationalError("busy")))
    assert database_unavailable(exc.TimeoutError("pool exhausted"))
    assert not database_unavailable(exc.IntegrityError("x", {}, sqlite3.IntegrityError("dup")))
    assert not database_unavailable(ValueError("bug"))
