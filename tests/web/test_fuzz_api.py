"""Fuzz every operation of the JSON API from its OpenAPI document: no input makes it answer 5xx,
and every documented answer matches its schema.

Schemathesis generates requests from ``/api/openapi.json`` as served (request bodies, query
strings and headers included: valid and invalid ones, huge numbers, NUL bytes, odd Unicode,
wrong types, boundary values) and sends them through the ASGI app in-process. Two passes: an
admin's API token holding every token scope (operations needing more than a token can hold get
the admin's session cookie, as their ``security`` says), and anonymous callers on the public
operations. Each answer must not be a 5xx and, when its status is documented, must match the
documented schema (``response_schema_conformance``). Bounded and seeded, so CI repeats the
same run.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi as schemathesis_asgi
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlalchemy.orm import Session, sessionmaker

from ioc.core import audit, auth
from ioc.core.auth import Permission
from ioc.packs.field_reports import service as field_reports
from ioc.web.openapi_doc import route_permissions

pytestmark = pytest.mark.slow

# Generated requests per operation and pass, on top of Schemathesis' boundary-value
# ("coverage") cases: a few thousand requests in all, about a minute on two cores.
MAX_EXAMPLES = 40
SEED = 20260310
JSON_API = r"^/(api|ngsi-ld|open311)/"
ADMIN = "fuzz-admin"
STATION = "DL-TEST-01"
URN = f"urn:ngsi-ld:AirQualityObserved:{STATION}"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


# --------------------------------------------------------------------------- the app


class Served:
    """The app as a server runs it, minus the lifespan: like the ``app`` fixture's test client,
    no background thread starts (derivations run in the request). The exception Starlette
    re-raises after sending a 500 (for servers to log) is swallowed as a server would, so the
    fuzz reports the 500 with the request that caused it; the app has logged the traceback."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.permissions = route_permissions(app)
        self.requests = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        self.requests += 1
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception:
            if not started:
                raise


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


def _schema(client: TestClient, keep: Callable[[str, str], bool]) -> schemathesis.BaseSchema:
    """The served document, with only the JSON API operations for which ``keep(METHOD, path)``
    holds."""
    doc = client.get("/api/openapi.json").json()
    for path, item in list(doc["paths"].items()):
        for method in list(item):
            if not re.match(JSON_API, path) or not keep(method.upper(), path):
                del item[method]
        if not item:
            del doc["paths"][path]
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
        }
    )
    return schemathesis.openapi.from_dict(doc, config=config)


@pytest.fixture
def admin_schema(
    app: TestClient, served: Served, credentials: dict[str, str]
) -> schemathesis.BaseSchema:
    schema = _schema(app, lambda method, path: True)
    schema.app = served
    return schema


@pytest.fixture
def public_schema(
    app: TestClient, served: Served, credentials: dict[str, str]
) -> schemathesis.BaseSchema:
    schema = _schema(
        app, lambda method, path: served.permissions[(method, path)] is Permission.PUBLIC
    )
    schema.app = served
    return schema


# --------------------------------------------------------------------------- the fuzz

_sent = itertools.count()


def unique_idempotency_key(case: schemathesis.Case) -> None:
    """A key already used with another body is answered 409 before the body is read: give each
    generated key a unique suffix so the generated bodies are read."""
    for name, value in (case.headers or {}).items():
        if name.lower() == "idempotency-key" and isinstance(value, str):
            suffix = f"~{next(_sent)}"
            # Same length when appending would cross the 200-character limit.
            keep = len(value) if len(value) + len(suffix) <= 200 else len(value) - len(suffix)
            case.headers[name] = value[: max(keep, 0)] + suffix


def known_subjects(case: schemathesis.Case, token: str) -> None:
    """Every other valid request names what exists (the fuzz's API token as an Open311
    ``api_key``, the test station, its NGSI-LD id) instead of generated strings, so that the
    code past the lookups is reached too. Invalid requests are sent as generated."""
    meta = case.meta
    if meta is None or meta.generation.mode.is_negative or next(_sent) % 2:
        return
    body = case.body
    if isinstance(body, dict) and isinstance(body.get("api_key"), str):
        body["api_key"] = token
    items: list[Any] = []
    if isinstance(body, dict):
        items = [body, *body.get("observations", ())]
    elif isinstance(body, list):
        items = body
    for item in items:
        if isinstance(item, dict):
            if isinstance(item.get("entity"), str):
                item["entity"] = STATION
            if isinstance(item.get("id"), str) and item["id"].startswith("urn:"):
                item["id"] = URN
    if case.path_parameters and "entity_id" in case.path_parameters:
        case.path_parameters["entity_id"] = URN
    for name in list(case.headers or {}):
        if name.lower() == "ngsild-tenant":  # the default tenant
            del case.headers[name]


CHECKS = [not_a_server_error, response_schema_conformance]
# Seconds a fuzzed call may take: a slow answer on a loaded 2-core CI machine is not a failure
# (the bench measures speed); the default 10 s made heavy pages flaky.
TIMEOUT_S = 60

SETTINGS = hypothesis_settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@schemathesis.pytest.from_fixture("admin_schema").parametrize()
@SETTINGS
def test_no_server_error_for_an_admin(
    case: schemathesis.Case, served: Served, credentials: dict[str, str]
) -> None:
    unique_idempotency_key(case)
    known_subjects(case, credentials["token"])
    operation = case.operation
    permission = served.permissions[(operation.method.upper(), operation.path)]
    if permission is Permission.PUBLIC or permission.value in auth.TOKEN_SCOPES:
        case.call_and_validate(
            headers={"Authorization": f"Bearer {credentials['token']}"},
            checks=CHECKS,
            timeout=TIMEOUT_S,
        )
    else:
        case.call_and_validate(
            cookies={"ioc_session": credentials["cookie"]}, checks=CHECKS, timeout=TIMEOUT_S
        )


@schemathesis.pytest.from_fixture("public_schema").parametrize()
@SETTINGS
def test_no_server_error_for_anyone(case: schemathesis.Case, credentials: dict[str, str]) -> None:
    unique_idempotency_key(case)
    known_subjects(case, credentials["token"])
    case.call_and_validate(checks=CHECKS, timeout=TIMEOUT_S)
