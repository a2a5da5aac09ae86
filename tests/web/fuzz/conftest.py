"""Fixtures of the JSON API fuzz: the fuzz admin's credentials, the app with a station that has
readings, and the API document per pass."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from fuzz_kit import ADMIN, Served, api_schema
from schemathesis.python import asgi as schemathesis_asgi
from sqlalchemy.orm import Session, sessionmaker

from ioc.core import audit, auth
from ioc.core.auth import Permission
from ioc.packs.field_reports import service as field_reports

# --------------------------------------------------------------------------- fixtures


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    # Schemathesis 4.32 renames the test node per operation through ``_nodeid``, which
    # pytest 9 no longer has: give it one to read and write (the real node id is unchanged).
    request.node._nodeid = request.node.nodeid


@pytest.fixture
def credentials(factory: sessionmaker[Session], make_user) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """An admin's API token with every token scope, and the same admin's session cookie."""
    password = make_user(ADMIN, role="admin")
    with factory() as session, session.begin():
        token = auth.create_api_token(
            session,
            audit.Actor.system("test"),
            owner_username=ADMIN,
            name="Fuzz",
            scopes=sorted(auth.TOKEN_SCOPES),
        )
        login = auth.login(session, username=ADMIN, password=password, session_hours=8)
        assert login is not None
        field_reports.sync_categories(session)
    return {"token": token.secret, "cookie": login.cookie}


@pytest.fixture
def served(
    request: pytest.FixtureRequest, app: TestClient, station: str, credentials: dict[str, str]
) -> Iterator[Served]:
    """The app, with a station that has a day of PM2.5 readings."""
    rows = [
        {"indicator": "pm25", "entity": station, "time": f"2026-03-09T{h:02d}:00:00+07:00"}
        | {"value": 10 + h}
        for h in range(24)
    ]
    headers = {"Authorization": f"Bearer {credentials['token']}"}
    r = app.post("/api/v1/observations", json={"observations": rows}, headers=headers)
    assert r.status_code == 200, r.text
    asgi_app = app.app
    assert isinstance(asgi_app, FastAPI)
    wrapper = Served(asgi_app)
    yield wrapper
    schemathesis_asgi.shutdown_lifespans()
    request.node.user_properties.append(("fuzz_requests", wrapper.requests))


@pytest.fixture
def admin_read_schema(
    app: TestClient, served: Served, credentials: dict[str, str]
) -> schemathesis.BaseSchema:
    """The reading operations (GET), for the admin pass."""
    return api_schema(app, served, lambda method, path: method == "GET")


@pytest.fixture
def admin_write_schema(
    app: TestClient, served: Served, credentials: dict[str, str]
) -> schemathesis.BaseSchema:
    """The writing operations (POST, PATCH, PUT, DELETE), for the admin pass."""
    return api_schema(app, served, lambda method, path: method != "GET")


@pytest.fixture
def public_schema(
    app: TestClient, served: Served, credentials: dict[str, str]
) -> schemathesis.BaseSchema:
    return api_schema(
        app, served, lambda method, path: served.permissions[(method, path)] is Permission.PUBLIC
    )
