"""The JSON API fuzz's parts (what it checks: test_fuzz_api_reads.py): the app as served, the
document restricted to some operations, and the calls as the admin or as anyone. The admin pass
is split into reading and writing operations (two test files) so that a parallel run can give
them to different workers."""

from __future__ import annotations

import itertools
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from ioc.core import auth
from ioc.core.auth import Permission
from ioc.web.openapi_doc import route_permissions

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


def api_schema(
    client: TestClient, served: Served, keep: Callable[[str, str], bool]
) -> schemathesis.BaseSchema:
    """The served document, with only the JSON API operations for which ``keep(METHOD, path)``
    holds, sent to ``served``."""
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
    schema = schemathesis.openapi.from_dict(doc, config=config)
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


def call_as_admin(case: schemathesis.Case, served: Served, credentials: dict[str, str]) -> None:
    """Send a generated request as the fuzz admin (API token where a token may call the
    operation, the session cookie otherwise) and check the answer."""
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


def call_as_anyone(case: schemathesis.Case, credentials: dict[str, str]) -> None:
    """Send a generated request without credentials and check the answer."""
    unique_idempotency_key(case)
    known_subjects(case, credentials["token"])
    case.call_and_validate(checks=CHECKS, timeout=TIMEOUT_S)
