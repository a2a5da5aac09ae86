"""Fuzz every operation of the JSON API from its OpenAPI document: no input makes it answer 5xx.

Schemathesis generates requests from ``/api/openapi.json`` (valid and invalid ones: huge
numbers, NUL bytes, odd Unicode, wrong types, boundary values, unexpected methods) and sends
them through the ASGI app in-process. Two passes: an admin's API token holding every token
scope (operations needing more than a token can hold get the admin's session cookie), and
anonymous callers on the public operations. Bounded and seeded, so CI repeats the same run.

Several handlers read their input themselves (a raw JSON/CSV/form body, ``request.query_params``)
and the document does not describe it yet; :func:`declare_inputs` adds those inputs to the
document the fuzz uses, so the generated requests reach the code behind them.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi as schemathesis_asgi
from sqlalchemy.orm import Session, sessionmaker

from ioc.core import audit, auth
from ioc.core.auth import Permission
from ioc.engines.ngsi_ld.context import CORE_CONTEXT_URL
from ioc.packs.field_reports import service as field_reports

pytestmark = pytest.mark.slow

# Generated requests per operation and pass, on top of Schemathesis' boundary-value
# ("coverage") cases: a few thousand requests in all, about a minute on two cores.
MAX_EXAMPLES = 40
SEED = 20260310
JSON_API = r"^/(api|ngsi-ld|open311)/"
ADMIN = "fuzz-admin"
STATION = "DL-TEST-01"
AREA = "24133"
AGENCY = "so-nong-nghiep-moi-truong"
URN = f"urn:ngsi-ld:AirQualityObserved:{STATION}"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


# --------------------------------------------------------------------------- the app


def route_permissions(app: FastAPI) -> dict[tuple[str, str], Permission]:
    """``(METHOD, path)`` of each documented operation -> the permission its route requires."""
    out: dict[tuple[str, str], Permission] = {}
    for route in iter_route_contexts(app.routes):
        dependant = getattr(route, "dependant", None)
        if dependant is None or not getattr(route, "include_in_schema", False):
            continue
        for dep in dependant.dependencies:
            permission = getattr(dep.call, "permission", None)
            if isinstance(permission, Permission):
                for method in route.methods or ():
                    out[(method, str(route.path_format))] = permission
    return out


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


# --------------------------------------------------------------------------- the document

ANY: dict[str, Any] = {}
TEXT = {"type": "string", "examples": ["\x00", "x" * 5000]}
# An instant with a UTC offset, from year 0000 to 9999 (some days do not exist): with the
# formats' own values, enough to reach the date arithmetic behind each time field.
INSTANT = {
    "type": "string",
    "pattern": r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](Z|[+-](0[0-9]|1[0-4]):[0-5][0-9])$",
}
WHEN = {
    "examples": ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "1969-12-31T23:00:00Z"],
    "anyOf": [
        INSTANT,
        {"type": "string", "format": "date-time"},
        {"type": "string", "format": "date"},
    ],
}
NUMBER = {"type": "number"}
INTEGER = {"type": "integer", "examples": [0, -1, 2**31, 2**63, 10**30]}
POINT = {"type": "array", "items": NUMBER, "minItems": 2, "maxItems": 2}


def known(*values: Any) -> dict[str, Any]:
    """One of ``values``, so valid requests get past the lookups (invalid ones, which
    Schemathesis also generates, carry anything else)."""
    return {"enum": list(values)}


def obj(*required: str, **properties: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        out["required"] = list(required)
    return out


def batch(key: str, item: dict[str, Any]) -> dict[str, Any]:
    return obj(key, **{key: {"type": "array", "items": item, "minItems": 1, "maxItems": 4}})


def json_body(schema: dict[str, Any], *media: str) -> dict[str, Any]:
    """A required body of ``schema`` in each media type (JSON by default); as JSON-LD, each
    object carries ``@context``."""
    content = {}
    for m in media or ("application/json",):
        if m == "application/ld+json":
            content[m] = {"schema": with_context(schema)}
        else:
            content[m] = {"schema": schema}
    return {"required": True, "content": content}


def with_context(schema: dict[str, Any]) -> dict[str, Any]:
    if schema.get("type") == "array":
        return {**schema, "items": with_context(schema["items"])}
    properties = {**schema["properties"], "@context": known(CORE_CONTEXT_URL)}
    return {
        **schema,
        "properties": properties,
        "required": [*schema.get("required", ()), "@context"],
    }


PROPERTY = obj(
    type=known("Property"), value=NUMBER, observedAt=WHEN, unitCode=known("GQ", "GP", "59")
)
GEO = obj(type=known("GeoProperty"), value=obj(type=known("Point"), coordinates=POINT))
ENTITY = obj(
    "id",
    "type",
    id=known(URN),
    type=known("AirQualityObserved"),
    name=obj(type=known("Property"), value=TEXT),
    location=GEO,
    pm25=PROPERTY,
    pm10=PROPERTY,
    dateObserved=obj(type=known("Property"), value=WHEN),
)
LD = ("application/json", "application/ld+json")


def declare_inputs(doc: dict[str, Any], token: str) -> None:
    """Describe in ``doc`` what handlers read without declaring it (bodies, query strings)."""
    paths = doc["paths"]

    def op(method: str, path: str) -> dict[str, Any]:
        operation: dict[str, Any] = paths[path][method]
        return operation

    def params(method: str, path: str, where: str = "query", **schemas: Any) -> None:
        listed = op(method, path).setdefault("parameters", [])
        for name, schema in schemas.items():
            name = name.replace("__", "-").rstrip("_")
            for p in listed:
                if p["name"] == name and p["in"] == where:
                    p["schema"] = schema
                    break
            else:
                listed.append({"name": name, "in": where, "required": False, "schema": schema})

    op("post", "/api/v1/observations")["requestBody"] = json_body(
        batch(
            "observations",
            obj(
                "indicator",
                "entity",
                "time",
                "value",
                indicator=known("pm25", "pm10", "co", "vn_aqi_hour", "w_ph"),
                entity=known(STATION),
                time=WHEN,
                value=NUMBER,
                quality=known("good", "suspect", "bad", 0, 1, 2),
            ),
        )
    )
    op("post", "/api/v1/documents")["requestBody"] = json_body(
        batch(
            "documents",
            obj(
                "id",
                "direction",
                "agency",
                "received_at",
                id=TEXT,
                direction=known("incoming", "outgoing"),
                agency=known(AGENCY),
                number=TEXT,
                type=TEXT,
                summary=TEXT,
                counterpart=TEXT,
                issued_on=WHEN,
                received_at=WHEN,
                issued_at=WHEN,
                deadline=WHEN,
                processed_at=WHEN,
                signed=ANY,
                via_axis=ANY,
                source=TEXT,
            ),
        )
    )
    params("get", "/api/v1/documents/indicators", from_=WHEN, to=WHEN)
    dossier = obj(
        "id",
        "procedure_code",
        "agency",
        "received_at",
        id=TEXT,
        procedure_code=TEXT,
        procedure_name=TEXT,
        agency=known(AGENCY),
        area=known(AREA),
        channel=known("online", "direct", "post"),
        received_at=WHEN,
        due_at=WHEN,
        time_limit_days=INTEGER,
        supplements={
            "type": "array",
            "items": obj(requested_at=WHEN, supplied_at=WHEN),
            "maxItems": 3,
        },
        supplement_count=INTEGER,
        supplement_days=INTEGER,
        finished_at=WHEN,
        result=known("electronic", "paper"),
        rating=known("like", "dislike"),
        status=known("received", "processing", "finished", "returned"),
        updated_at=WHEN,
    )
    procedure = obj(
        "code",
        "name",
        code=TEXT,
        name=TEXT,
        level=known("province", "commune"),
        time_limit_days=INTEGER,
    )
    feedback = obj(
        "id",
        "agency",
        "received_at",
        id=TEXT,
        agency=known(AGENCY),
        area=known(AREA),
        received_at=WHEN,
        handled_at=WHEN,
    )
    op("post", "/api/v1/public-services/dossiers")["requestBody"] = json_body(
        obj(
            dossiers={"type": "array", "items": dossier, "maxItems": 4},
            procedures={"type": "array", "items": procedure, "maxItems": 2},
            feedback={"type": "array", "items": feedback, "maxItems": 2},
        )
    )
    params(
        "get",
        "/api/v1/public-services/scores",
        period=known("month", "quarter", "year", "range"),
        month=WHEN,
        quarter=TEXT,
        year=INTEGER,
        from_=WHEN,
        to=WHEN,
    )
    op("post", "/api/v1/security/events")["requestBody"] = json_body(
        batch(
            "events",
            obj(
                "time",
                "message",
                time=WHEN,
                source=TEXT,
                host=TEXT,
                agency=known(AGENCY),
                category=known("malware", "intrusion", "phishing"),
                severity=known("low", "medium", "high", "critical", 5),
                message=TEXT,
                indicators=ANY,
                src_ip=known("10.0.0.1", "2001:db8::1"),
                dst_ip=TEXT,
            ),
        )
    )
    op("post", "/api/v1/traffic/incidents")["requestBody"] = json_body(
        batch(
            "incidents",
            obj(
                "kind",
                "time",
                kind=known("accident", "violation", "congestion"),
                category=TEXT,
                time=WHEN,
                lat=known(12.6676),
                lon=known(108.0379),
                area=known(AREA),
                place=TEXT,
                count=INTEGER,
                injured=INTEGER,
                dead=INTEGER,
                camera=TEXT,
                segment=TEXT,
                description=TEXT,
            ),
        )
    )
    params("get", "/api/v1/environment/stations/{code}/aqi", "path", code=known(STATION))
    params("get", "/api/v1/environment/stations/{code}/aqi", from_=WHEN, to=WHEN)

    # NGSI-LD
    op("post", "/ngsi-ld/v1/entities")["requestBody"] = json_body(ENTITY, *LD)
    op("post", "/ngsi-ld/v1/entityOperations/upsert")["requestBody"] = json_body(
        {"type": "array", "items": ENTITY, "maxItems": 3}, *LD
    )
    params("post", "/ngsi-ld/v1/entityOperations/upsert", options=known("update", "replace"))
    op("patch", "/ngsi-ld/v1/entities/{entity_id}/attrs")["requestBody"] = json_body(
        obj(
            name=obj(type=known("Property"), value=TEXT), location=GEO, pm25=PROPERTY, pm10=PROPERTY
        ),
        *LD,
        "application/merge-patch+json",
    )
    for method, path in (
        ("get", "/ngsi-ld/v1/entities/{entity_id}"),
        ("patch", "/ngsi-ld/v1/entities/{entity_id}/attrs"),
        ("get", "/ngsi-ld/v1/temporal/entities/{entity_id}"),
    ):
        params(method, path, "path", entity_id=known(URN))
    views = {"options": known("keyValues", "simplified"), "format": TEXT, "attrs": TEXT}
    params("get", "/ngsi-ld/v1/entities/{entity_id}", **views)
    params(
        "get",
        "/ngsi-ld/v1/entities",
        type=known("AirQualityObserved"),
        id=known(URN),
        q=TEXT,
        limit=INTEGER,
        offset=INTEGER,
        count=known("true", "false"),
        **views,
    )
    params(
        "get",
        "/ngsi-ld/v1/temporal/entities/{entity_id}",
        timerel=known("before", "after", "between"),
        timeAt=WHEN,
        endTimeAt=WHEN,
        lastN=INTEGER,
        options=known("temporalValues", "aggregatedValues"),
        aggrMethods=known("avg", "min,max", "totalCount"),
        aggrPeriodDuration=known("PT1H", "P1D", "P1M", "PT0S"),
        attrs=TEXT,
    )

    # Open311
    for path, item in paths.items():
        if path.startswith("/open311/"):
            for method in item:
                params(method, path, "path", fmt=known("json", "xml"))
                params(method, path, lang=known("vi", "en"))
    params(
        "get",
        "/open311/v2/requests.{fmt}",
        service_request_id=TEXT,
        service_code=known("duong-hu-hong"),
        status=known("open", "closed"),
        start_date=WHEN,
        end_date=WHEN,
        page=INTEGER,
        page_size=INTEGER,
    )
    params("get", "/open311/v2/servicerequestupdates.{fmt}", start_date=WHEN, end_date=WHEN)
    op("post", "/open311/v2/requests.{fmt}")["requestBody"] = {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": obj(
                    "api_key",
                    "service_code",
                    "email",
                    api_key=known(token),
                    service_code=known("duong-hu-hong"),
                    lat=known("12.6676"),
                    long=known("108.0379"),
                    address_string=TEXT,
                    address_id=TEXT,
                    email=known("dan@example.vn"),
                    phone=TEXT,
                    description=TEXT,
                    first_name=TEXT,
                    last_name=TEXT,
                    media_url=TEXT,
                    **{"attribute[area_code]": known(AREA)},
                )
            }
        },
    }


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


def _schema(
    client: TestClient, token: str, keep: Callable[[str, str], bool]
) -> schemathesis.BaseSchema:
    """The document with the inputs handlers read themselves, and only the JSON API operations
    for which ``keep(METHOD, path)`` holds."""
    doc = client.get("/api/openapi.json").json()
    declare_inputs(doc, token)
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
    schema = _schema(app, credentials["token"], lambda method, path: True)
    schema.app = served
    return schema


@pytest.fixture
def public_schema(
    app: TestClient, served: Served, credentials: dict[str, str]
) -> schemathesis.BaseSchema:
    schema = _schema(
        app,
        credentials["token"],
        lambda method, path: served.permissions[(method, path)] is Permission.PUBLIC,
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
    operation = case.operation
    permission = served.permissions[(operation.method.upper(), operation.path)]
    if permission is Permission.PUBLIC or permission.value in auth.TOKEN_SCOPES:
        case.call_and_validate(
            headers={"Authorization": f"Bearer {credentials['token']}"},
            checks=[not_a_server_error],
        )
    else:
        case.call_and_validate(
            cookies={"ioc_session": credentials["cookie"]}, checks=[not_a_server_error]
        )


@schemathesis.pytest.from_fixture("public_schema").parametrize()
@SETTINGS
def test_no_server_error_for_anyone(case: schemathesis.Case) -> None:
    unique_idempotency_key(case)
    case.call_and_validate(checks=[not_a_server_error])
