"""NGSI-LD, issue 14: an entity is its full id, units as the Smart Data Models define them,
tenants, delete and batch create/update/delete, subscriptions with notifications through the
outbox, concise/sysAttrs/GeoJSON geometries/long ids/error media types, generic entities."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from ioc.app import create_app
from ioc.core import audit, auth, clock
from ioc.core.models import Entity
from ioc.engines.alerting.notify import deliver_due
from ioc.engines.alerting.notify.models import Outbox
from ioc.settings import Settings

BASE = "/ngsi-ld/v1"
ERR = "https://uri.etsi.org/ngsi-ld/errors/"
AQ = "AirQualityObserved"
WHEN = "2026-03-10T03:00:00Z"


@pytest.fixture
def token(factory: sessionmaker[Session], make_user) -> str:  # type: ignore[no-untyped-def]
    """A token with the ingest, view and manage scopes."""
    make_user("ngsi-gw14", role="operator")
    with factory() as session, session.begin():
        new = auth.create_api_token(
            session,
            audit.Actor.system("test"),
            owner_username="ngsi-gw14",
            name="NGSI-LD 14",
            scopes=["ingest", "view", "manage"],
        )
    return new.secret


def h(token: str, content_type: str | None = "application/json", **extra: str) -> dict[str, str]:
    out = {"Authorization": f"Bearer {token}"}
    if content_type:
        out["Content-Type"] = content_type
    out.update({k.replace("_", "-"): v for k, v in extra.items()})
    return out


def aq(entity_id: str, pm25: float = 20.0, when: str = WHEN, **extra: Any) -> dict[str, Any]:
    return {
        "id": entity_id,
        "type": AQ,
        "dateObserved": when,
        "location": {"type": "Point", "coordinates": [108.05, 12.68]},
        "pm25": pm25,
        **extra,
    }


def post(client: TestClient, token: str, path: str, body: Any, **headers: str) -> Any:
    return client.post(f"{BASE}{path}", content=json.dumps(body), headers=h(token, **headers))


def get(client: TestClient, token: str, path: str, **params: Any) -> Any:
    return client.get(f"{BASE}{path}", params=params, headers=h(token, None))


def is_problem(r: Any, status: int, kind: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json()
    assert body["status"] == status and body["title"] and "detail" in body
    if kind is not None:
        assert body["type"] == ERR + kind
    return body


# ----------------------------------------------------------------------------- 1. full ids


def test_an_entity_is_its_full_id(client: TestClient, token: str) -> None:
    original = "urn:ngsi-ld:AirQualityObserved:DL-BMT-01"
    impostor = "urn:ngsi-ld:Sensor:DL-BMT-01"
    assert post(client, token, "/entities", aq(original, 11.0)).status_code == 201
    # An upsert under another id with the same last segment creates a second entity.
    r = post(client, token, "/entityOperations/upsert", [aq(impostor, 99.0)])
    assert r.status_code == 201, r.text
    assert r.json() == [impostor]
    first = get(client, token, f"/entities/{original}", options="keyValues").json()
    second = get(client, token, f"/entities/{impostor}", options="keyValues").json()
    assert (first["id"], first["pm25"]) == (original, 11.0)
    assert (second["id"], second["pm25"], second["type"]) == (impostor, 99.0, AQ)
    # The original is still itself: re-creating it is a conflict, updating it works.
    r = post(client, token, "/entities", aq(original))
    is_problem(r, 409, "AlreadyExists")
    listed = get(client, token, "/entities", type=AQ, options="keyValues").json()
    assert sorted((e["id"], e["pm25"]) for e in listed) == [(original, 11.0), (impostor, 99.0)]
    # Water and air entities with the same last segment are two entities.
    water = {
        "id": "urn:ngsi-ld:WaterQualityObserved:X",
        "type": "WaterQualityObserved",
        "dateObserved": WHEN,
        "pH": 7.1,
    }
    assert post(client, token, "/entities", aq("urn:ngsi-ld:AirQualityObserved:X")).status_code == (
        201
    )
    assert post(client, token, "/entities", water).status_code == 201
    w = get(client, token, "/entities/urn:ngsi-ld:WaterQualityObserved:X", options="keyValues")
    a = get(client, token, "/entities/urn:ngsi-ld:AirQualityObserved:X", options="keyValues")
    assert w.json()["pH"] == 7.1 and "pm25" not in w.json()
    assert a.json()["pm25"] == 20.0 and "pH" not in a.json()
    # A mapped type under a non-canonical id is never found by its last segment.
    is_problem(
        get(client, token, "/entities/urn:ngsi-ld:AirQualityObserved:Nope"), 404, "ResourceNotFound"
    )


def test_station_made_elsewhere_keeps_its_canonical_id(
    client: TestClient, token: str, station: str
) -> None:
    canonical = f"urn:ngsi-ld:{AQ}:{station}"
    assert get(client, token, f"/entities/{canonical}").status_code == 200
    # The same code under another type or prefix is a new entity with a station of its own.
    other = f"urn:ngsi-ld:Device:{station}"
    assert post(client, token, "/entities", aq(other, 5.0)).status_code == 201
    assert get(client, token, f"/entities/{canonical}").json()["id"] == canonical
    assert get(client, token, f"/entities/{other}", options="keyValues").json()["pm25"] == 5.0
    assert post(client, token, "/entityOperations/upsert", [aq(canonical, 7.0)]).status_code == 204
    assert get(client, token, f"/entities/{canonical}", options="keyValues").json()["pm25"] == 7.0


def _entities_row(code: str, attributes: dict[str, Any]) -> dict[str, Any]:
    return {
        "code": code,
        "type": "AirQualityStation",
        "pack": "environment",
        "name": code,
        "name_folded": code.lower(),
        "lat": None,
        "lon": None,
        "area_code": None,
        "agency_code": None,
        "attributes": json.dumps(attributes),
        "active": True,
    }


def _migrate_existing_stations(url: str) -> list[tuple[str, str, str | None]]:
    from sqlalchemy import create_engine, text

    from ioc.core.migrate import upgrade

    eng = create_engine(url)
    try:
        upgrade(eng, "0016")
        with eng.begin() as conn:
            for row in (
                _entities_row("OLD-1", {"ngsi-ld": {"id": "urn:ngsi-ld:Sensor:OLD-1", "type": AQ}}),
                _entities_row("OLD-2", {}),
            ):
                conn.execute(
                    text(
                        "INSERT INTO entities (code, type, pack, name, name_folded, lat, lon, "
                        "area_code, agency_code, attributes, active) VALUES (:code, :type, "
                        ":pack, :name, :name_folded, :lat, :lon, :area_code, :agency_code, "
                        ":attributes, :active)"
                    ),
                    row,
                )
        upgrade(eng, "0017")
        with eng.connect() as conn:
            rows = conn.execute(
                text("SELECT entity_id, type, entity_code FROM ngsi_entities ORDER BY entity_id")
            ).all()
        return [(r[0], r[1], r[2]) for r in rows]
    finally:
        eng.dispose()


EXPECTED_BACKFILL = [
    (f"urn:ngsi-ld:{AQ}:OLD-2", AQ, "OLD-2"),
    ("urn:ngsi-ld:Sensor:OLD-1", AQ, "OLD-1"),
]


def test_migration_derives_the_id_of_existing_stations(tmp_path: Any) -> None:
    assert _migrate_existing_stations(f"sqlite:///{tmp_path / 'm.db'}") == EXPECTED_BACKFILL


def test_migration_on_postgresql() -> None:
    import uuid

    from sqlalchemy import create_engine, text

    admin_url = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    name = f"ioc_m17_{uuid.uuid4().hex[:8]}"
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # no server on this machine
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    try:
        url = admin_url.rsplit("/", 1)[0] + f"/{name}"
        assert _migrate_existing_stations(url) == EXPECTED_BACKFILL
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# ----------------------------------------------------------------------------- 5. units


def test_fractions_come_back_as_sent(client: TestClient, token: str) -> None:
    flow = {
        "id": "urn:ngsi-ld:TrafficFlowObserved:TF-1",
        "type": "TrafficFlowObserved",
        "dateObserved": WHEN,
        "occupancy": 0.35,
        "intensity": 120,
    }
    weather = {
        "id": "urn:ngsi-ld:WeatherObserved:WX-1",
        "type": "WeatherObserved",
        "dateObserved": WHEN,
        "relativeHumidity": {"type": "Property", "value": 0.8},
        "temperature": 27.5,
    }
    r = post(client, token, "/entityOperations/upsert", [flow, weather])
    assert r.status_code == 201, r.text
    got = get(client, token, f"/entities/{flow['id']}").json()
    assert got["occupancy"]["value"] == 0.35 and "unitCode" not in got["occupancy"]
    assert got["intensity"]["value"] == 120.0
    hum = get(client, token, f"/entities/{weather['id']}").json()["relativeHumidity"]
    assert hum["value"] == 0.8 and "unitCode" not in hum
    assert get(client, token, f"/entities/{weather['id']}", options="keyValues").json()[
        "temperature"
    ] == (27.5)
    # q works on the values as shown; the temporal API shows them the same way.
    found = get(client, token, "/entities", type="WeatherObserved", q="relativeHumidity>0.5")
    assert [e["id"] for e in found.json()] == [weather["id"]]
    temporal = get(client, token, f"/temporal/entities/{flow['id']}", attrs="occupancy").json()
    assert [i["value"] for i in temporal["occupancy"]] == [0.35]
    aggr = get(
        client,
        token,
        f"/temporal/entities/{weather['id']}",
        options="aggregatedValues",
        aggrMethods="avg,totalCount",
        attrs="relativeHumidity",
    ).json()["relativeHumidity"]
    assert aggr["avg"][0][0] == pytest.approx(0.8) and aggr["totalCount"][0][0] == 1
    # A percentage with its unit code is stored the same and shown as the fraction.
    flow2 = {**flow, "occupancy": {"type": "Property", "value": 42, "unitCode": "P1"}}
    flow2["dateObserved"] = "2026-03-10T04:00:00Z"
    assert post(client, token, "/entityOperations/upsert", [flow2]).status_code == 204
    got = get(client, token, f"/entities/{flow['id']}", options="keyValues").json()
    assert got["occupancy"] == pytest.approx(0.42)


# ----------------------------------------------------------------------------- 6. tenants


@pytest.fixture
def tenant_client(settings: Settings, engine: Engine, factory: sessionmaker[Session]) -> TestClient:
    """The application with one named tenant, ``thuy-loi``."""
    configured = settings.model_copy(update={"ngsi_ld_tenants": "thuy-loi"})
    return TestClient(create_app(configured, engine), raise_server_exceptions=False)


def test_unknown_tenant_is_404_and_tenants_never_merge(
    tenant_client: TestClient, token: str
) -> None:
    client = tenant_client
    main_id = "urn:ngsi-ld:AirQualityObserved:T-MAIN"
    assert post(client, token, "/entities", aq(main_id)).status_code == 201
    # default tenant: no header, or an empty one
    assert get(client, token, f"/entities/{main_id}").status_code == 200
    for path in (f"/entities/{main_id}", "/entities?type=AirQualityObserved", "/subscriptions"):
        r = client.get(f"{BASE}{path}", headers=h(token, None, NGSILD_Tenant="khong-co"))
        body = is_problem(r, 404, "NonexistentTenant")
        assert "khong-co" in body["detail"]
    r = post(client, token, "/entities", aq(main_id), NGSILD_Tenant="khong-co")
    is_problem(r, 404, "NonexistentTenant")
    # a known tenant sees none of the default tenant's data, and the reverse
    tenant = {"NGSILD_Tenant": "thuy-loi"}
    r = client.get(f"{BASE}/entities/{main_id}", headers=h(token, None, **tenant))
    is_problem(r, 404, "ResourceNotFound")
    listed = client.get(f"{BASE}/entities", params={"type": AQ}, headers=h(token, None, **tenant))
    assert listed.status_code == 200 and listed.json() == []
    r = post(client, token, "/entities", aq(main_id, 77.0), **tenant)
    assert r.status_code == 201, r.text
    mine = client.get(
        f"{BASE}/entities/{main_id}",
        params={"options": "keyValues"},
        headers=h(token, None, **tenant),
    )
    assert mine.json()["pm25"] == 77.0
    assert get(client, token, f"/entities/{main_id}", options="keyValues").json()["pm25"] == 20.0


# ----------------------------------------------------------------------------- 7. delete, batch ops


def test_delete_keeps_history_and_allows_recreating(
    client: TestClient, token: str, factory: sessionmaker[Session]
) -> None:
    eid = "urn:ngsi-ld:AirQualityObserved:DEL-1"
    assert post(client, token, "/entities", aq(eid, 10.0)).status_code == 201
    assert post(client, token, "/entityOperations/upsert", [aq(eid, 12.0, "2026-03-10T04:00:00Z")])
    r = client.delete(f"{BASE}/entities/{eid}", headers=h(token, None))
    assert r.status_code == 204, r.text
    is_problem(get(client, token, f"/entities/{eid}"), 404, "ResourceNotFound")
    assert get(client, token, "/entities", type=AQ).json() == []
    is_problem(get(client, token, f"/temporal/entities/{eid}"), 404, "ResourceNotFound")
    is_problem(client.delete(f"{BASE}/entities/{eid}", headers=h(token, None)), 404)
    with factory() as s:
        station = s.execute(select(Entity).where(Entity.code == "DEL-1")).scalar_one()
        assert station.active is False
    # re-created: the history is still there
    assert (
        post(client, token, "/entities", aq(eid, 14.0, "2026-03-10T05:00:00Z")).status_code == 201
    )
    values = get(client, token, f"/temporal/entities/{eid}", options="temporalValues").json()
    assert [v[0] for v in values["pm25"]["values"]] == [10.0, 12.0, 14.0]


def test_batch_create_update_delete(client: TestClient, token: str) -> None:
    ids = [f"urn:ngsi-ld:AirQualityObserved:BC-{i}" for i in range(3)]
    r = post(client, token, "/entityOperations/create", [aq(i) for i in ids])
    assert r.status_code == 201 and r.json() == ids
    r = post(client, token, "/entityOperations/create", [aq(ids[0]), aq(ids[0] + "x")])
    assert r.status_code == 207
    body = r.json()
    assert body["success"] == [ids[0] + "x"]
    assert body["errors"][0]["entityId"] == ids[0]
    assert body["errors"][0]["error"]["type"] == ERR + "AlreadyExists"
    # update: merges; unknown ids are per-entity errors
    update = [{"id": ids[1], "type": AQ, "airQualityLevel": "good"}]
    assert post(client, token, "/entityOperations/update", update).status_code == 204
    got = get(client, token, f"/entities/{ids[1]}", options="keyValues").json()
    assert got["airQualityLevel"] == "good" and got["pm25"] == 20.0
    missing = "urn:ngsi-ld:AirQualityObserved:BC-none"
    r = post(
        client, token, "/entityOperations/update", [{**update[0]}, {"id": missing, "type": AQ}]
    )
    assert r.status_code == 207
    assert r.json()["errors"][0]["error"]["type"] == ERR + "ResourceNotFound"
    # delete
    r = post(client, token, "/entityOperations/delete", [ids[0], ids[1]])
    assert r.status_code == 204, r.text
    r = post(client, token, "/entityOperations/delete", [ids[2], missing, 5])
    assert r.status_code == 207
    assert r.json()["success"] == [ids[2]]
    assert {e["entityId"] for e in r.json()["errors"]} == {missing, ""}
    listed = get(client, token, "/entities", type=AQ).json()
    assert [e["id"] for e in listed] == [ids[0] + "x"]
    is_problem(post(client, token, "/entityOperations/delete", {"id": ids[0]}), 400)


# ----------------------------------------------------------------------------- 8. subscriptions


class _Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, dict[str, Any]]]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length))
        type(self).received.append((self.headers.get("Content-Type", ""), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[str, dict[str, Any]]]]]:
    """A local HTTP server that records what it is sent; (URL, received)."""
    received: list[tuple[str, dict[str, Any]]] = []
    handler = type("Receiver", (_Receiver,), {"received": received})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/notify", received
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


def _deliver(factory: sessionmaker[Session], settings: Settings) -> int:
    return deliver_due(factory, clock.now() + timedelta(seconds=1), settings).sent


def test_subscription_notifies_through_the_outbox(
    client: TestClient,
    token: str,
    factory: sessionmaker[Session],
    settings: Settings,
    receiver: tuple[str, list[tuple[str, dict[str, Any]]]],
) -> None:
    url, received = receiver
    sub = {
        "type": "Subscription",
        "entities": [{"type": AQ}],
        "watchedAttributes": ["pm25"],
        "q": "pm25>50",
        "notification": {
            "endpoint": {"uri": url, "accept": "application/json"},
            "attributes": ["pm25"],
        },
    }
    r = post(client, token, "/subscriptions", sub)
    assert r.status_code == 201, r.text
    location = r.headers["location"]
    sub_id = location.rsplit("/", 1)[-1]
    assert sub_id.startswith("urn:ngsi-ld:Subscription:")
    # not matching q, then not watched: nothing queued
    eid = "urn:ngsi-ld:AirQualityObserved:SUB-1"
    assert post(client, token, "/entities", aq(eid, 20.0)).status_code == 201
    patch = {"airQualityLevel": "poor"}
    assert post(client, token, "/entityOperations/upsert", [aq(eid, 20.0)]).status_code == 204
    r = client.patch(f"{BASE}/entities/{eid}/attrs", content=json.dumps(patch), headers=h(token))
    assert r.status_code in (204, 207)
    assert _deliver(factory, settings) == 0 and received == []
    # matching: one notification, delivered by the outbox job to the real server
    r = post(client, token, "/entityOperations/upsert", [aq(eid, 80.0, "2026-03-10T04:00:00Z")])
    assert r.status_code == 204
    with factory() as s:
        rows = list(s.execute(select(Outbox)).scalars())
        assert len(rows) == 1 and rows[0].kind == "webhook"
    assert _deliver(factory, settings) == 1
    assert len(received) == 1
    content_type, note = received[0]
    assert content_type.startswith("application/json")
    assert note["type"] == "Notification" and note["subscriptionId"] == sub_id
    assert note["id"].startswith("urn:ngsi-ld:Notification:") and note["notifiedAt"].endswith("Z")
    assert note["data"] == [
        {
            "id": eid,
            "type": AQ,
            "pm25": {
                "type": "Property",
                "value": 80.0,
                "observedAt": "2026-03-10T04:00:00Z",
                "unitCode": "GQ",
            },
        }
    ]
    # GET one and the list show the delivery count; PATCH pauses it; DELETE removes it
    one = client.get(location, headers=h(token, None)).json()
    assert one["id"] == sub_id and one["notification"]["timesSent"] == 1
    assert one["isActive"] is True and one["q"] == "pm25>50"
    assert [s["id"] for s in get(client, token, "/subscriptions").json()] == [sub_id]
    r = client.patch(location, content=json.dumps({"isActive": False}), headers=h(token))
    assert r.status_code == 204, r.text
    post(client, token, "/entityOperations/upsert", [aq(eid, 90.0, "2026-03-10T05:00:00Z")])
    assert _deliver(factory, settings) == 0
    assert client.get(location, headers=h(token, None)).json()["status"] == "paused"
    assert client.delete(location, headers=h(token, None)).status_code == 204
    is_problem(client.get(location, headers=h(token, None)), 404, "ResourceNotFound")
    assert len(received) == 1


def test_subscription_throttling_expiry_and_keyvalues(
    client: TestClient,
    token: str,
    factory: sessionmaker[Session],
    settings: Settings,
    receiver: tuple[str, list[tuple[str, dict[str, Any]]]],
) -> None:
    url, received = receiver
    sub = {
        "id": "urn:ngsi-ld:Subscription:thr",
        "type": "Subscription",
        "entities": [{"idPattern": "urn:ngsi-ld:Building:.*"}],
        "notification": {"endpoint": {"uri": url}, "format": "keyValues"},
        "throttling": 3600,
    }
    r = post(client, token, "/subscriptions", sub)
    assert r.status_code == 201, r.text
    assert r.headers["location"].endswith("urn:ngsi-ld:Subscription:thr")
    is_problem(post(client, token, "/subscriptions", sub), 409, "AlreadyExists")
    b = {"id": "urn:ngsi-ld:Building:1", "type": "Building", "floors": 3}
    assert post(client, token, "/entities", b).status_code == 201
    assert post(client, token, "/entityOperations/upsert", [{**b, "floors": 4}]).status_code == 204
    assert _deliver(factory, settings) == 1  # the second change fell in the throttling window
    assert received[0][1]["data"] == [{"id": b["id"], "type": "Building", "floors": 3}]
    # an expired subscription sends nothing
    past = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    later = {**sub, "id": "urn:ngsi-ld:Subscription:old", "expiresAt": past}
    is_problem(post(client, token, "/subscriptions", later), 400, "BadRequestData")


def test_subscription_refuses_bad_and_internal_targets(client: TestClient, token: str) -> None:
    def sub(uri: str, **extra: Any) -> dict[str, Any]:
        return {"entities": [{"type": AQ}], "notification": {"endpoint": {"uri": uri}}, **extra}

    for uri in ("ftp://example.org/x", "not a url", "http://169.254.169.254/latest"):
        body = is_problem(post(client, token, "/subscriptions", sub(uri)), 400, "BadRequestData")
        assert "uri" in body["detail"]
    is_problem(post(client, token, "/subscriptions", sub("http://127.0.0.1:9/", q="pm25>")), 400)
    is_problem(
        post(
            client,
            token,
            "/subscriptions",
            {"notification": {"endpoint": {"uri": "http://127.0.0.1:9/"}}},
        ),
        400,
    )
    is_problem(
        post(client, token, "/subscriptions", sub("http://127.0.0.1:9/", timeInterval=10)),
        422,
        "OperationNotSupported",
    )
    is_problem(get(client, token, "/subscriptions/urn:ngsi-ld:Subscription:none"), 404)


# ----------------------------------------------------------------------------- 9. representations


def test_concise_sysattrs_geometries_long_ids_and_error_media(
    client: TestClient, token: str
) -> None:
    polygon = {
        "type": "Polygon",
        "coordinates": [
            [[108.0, 12.6], [108.1, 12.6], [108.1, 12.7], [108.0, 12.7], [108.0, 12.6]]
        ],
    }
    eid = "urn:ngsi-ld:AirQualityObserved:POLY-1"
    doc = aq(eid, 15.0, location={"type": "GeoProperty", "value": polygon})
    doc["airQualityLevel"] = {"type": "Property", "value": "good", "source": {"value": "model"}}
    r = post(client, token, "/entities", doc)
    assert r.status_code == 201, r.text
    got = get(client, token, f"/entities/{eid}").json()
    assert got["location"] == {"type": "GeoProperty", "value": polygon}
    concise = get(client, token, f"/entities/{eid}", format="concise").json()
    assert concise["location"] == {"value": polygon}
    assert concise["name"] == "POLY-1"
    assert concise["pm25"] == {"value": 15.0, "observedAt": WHEN, "unitCode": "GQ"}
    assert get(client, token, f"/entities/{eid}", options="concise").json() == concise
    sys = get(client, token, f"/entities/{eid}", options="sysAttrs").json()
    assert sys["createdAt"].endswith("Z") and sys["modifiedAt"] >= sys["createdAt"]
    assert "createdAt" not in got
    # A concise body is accepted as input, and a LineString / MultiPolygon too.
    line = {"type": "LineString", "coordinates": [[108.0, 12.6], [108.1, 12.7]]}
    road = {"id": "urn:ngsi-ld:Road:QL14", "type": "Road", "location": {"value": line}}
    assert post(client, token, "/entities", road).status_code == 201
    assert get(client, token, f"/entities/{road['id']}").json()["location"]["value"] == line
    multi = {"type": "MultiPolygon", "coordinates": [polygon["coordinates"]]}
    area = {"id": "urn:ngsi-ld:Park:1", "type": "Park", "location": multi}
    assert post(client, token, "/entities", area).status_code == 201
    features = client.get(
        f"{BASE}/entities",
        params={"type": "Park"},
        headers=h(token, None, Accept="application/geo+json"),
    ).json()
    assert features["features"][0]["geometry"] == multi
    bad_ring = {"type": "Polygon", "coordinates": [[[108.0, 12.6], [108.1, 12.6]]]}
    is_problem(
        post(client, token, "/entities", {**area, "id": "urn:x:y", "location": bad_ring}), 400
    )
    # ids: a 200-character suffix works; beyond 256 is 400 BadRequestData
    long_id = f"urn:ngsi-ld:AirQualityObserved:{'L' * 200}"
    assert post(client, token, "/entities", aq(long_id)).status_code == 201
    assert get(client, token, f"/entities/{long_id}").json()["id"] == long_id
    too_long = f"urn:ngsi-ld:AirQualityObserved:{'L' * 257}"
    is_problem(post(client, token, "/entities", aq(too_long)), 400, "BadRequestData")
    # errors: application/json when the request accepts it, problem+json otherwise
    missing = f"{BASE}/entities/urn:ngsi-ld:AirQualityObserved:none"
    plain = client.get(missing, headers=h(token, None, Accept="application/json"))
    assert plain.status_code == 404 and plain.headers["content-type"] == "application/json"
    assert plain.json()["type"] == ERR + "ResourceNotFound"
    problem = client.get(missing, headers=h(token, None, Accept="application/ld+json"))
    assert problem.headers["content-type"] == "application/problem+json"
    unauth = client.get(missing, headers={"Accept": "application/json"})
    assert unauth.status_code == 401 and unauth.headers["content-type"] == "application/json"


# ----------------------------------------------------------------------------- 10. generic types


def test_generic_entities_query_and_temporal(
    client: TestClient, token: str, factory: sessionmaker[Session]
) -> None:
    docs = [
        {
            "id": f"urn:ngsi-ld:OffStreetParking:P{i}",
            "type": "OffStreetParking",
            "name": {"type": "Property", "value": f"Bãi đỗ {i}"},
            "availableSpotNumber": {
                "type": "Property",
                "value": 10 * i,
                "observedAt": "2026-03-10T01:00:00Z",
            },
            "refParkingSite": {"type": "Relationship", "object": "urn:ngsi-ld:ParkingSite:1"},
            "location": {
                "type": "GeoProperty",
                "value": {"type": "Point", "coordinates": [108.0, 12.7]},
            },
        }
        for i in range(1, 4)
    ]
    docs.append({"id": "urn:ngsi-ld:Vehicle:51A-12345", "type": "Vehicle", "speed": 40})
    r = post(client, token, "/entityOperations/upsert", docs)
    assert r.status_code == 201, r.text
    got = get(client, token, "/entities/urn:ngsi-ld:OffStreetParking:P2").json()
    assert got["refParkingSite"] == {"type": "Relationship", "object": "urn:ngsi-ld:ParkingSite:1"}
    assert got["availableSpotNumber"]["value"] == 20
    found = get(client, token, "/entities", type="OffStreetParking", q="availableSpotNumber>=20")
    assert [e["id"] for e in found.json()] == [
        "urn:ngsi-ld:OffStreetParking:P2",
        "urn:ngsi-ld:OffStreetParking:P3",
    ]
    projected = get(client, token, "/entities", type="Vehicle", attrs="speed", options="keyValues")
    assert projected.json() == [
        {"id": "urn:ngsi-ld:Vehicle:51A-12345", "type": "Vehicle", "speed": 40}
    ]
    both = get(client, token, "/entities", type="Vehicle,AirQualityObserved", count="true")
    assert both.headers["NGSILD-Results-Count"] == "1"
    # history: three more readings of P1 through PATCH and upsert with observedAt
    p1 = "urn:ngsi-ld:OffStreetParking:P1"
    for hour, spots in ((2, 12), (3, 14)):
        frag = {
            "availableSpotNumber": {
                "type": "Property",
                "value": spots,
                "observedAt": f"2026-03-10T0{hour}:00:00Z",
            }
        }
        r = client.patch(f"{BASE}/entities/{p1}/attrs", content=json.dumps(frag), headers=h(token))
        assert r.status_code == 204, r.text
    temporal = get(client, token, f"/temporal/entities/{p1}", options="temporalValues").json()
    assert temporal["availableSpotNumber"]["values"] == [
        [10.0, "2026-03-10T01:00:00Z"],
        [12.0, "2026-03-10T02:00:00Z"],
        [14.0, "2026-03-10T03:00:00Z"],
    ]
    last = get(client, token, f"/temporal/entities/{p1}", lastN=1).json()
    assert [i["value"] for i in last["availableSpotNumber"]] == [14.0]
    aggr = get(
        client,
        token,
        f"/temporal/entities/{p1}",
        options="aggregatedValues",
        aggrMethods="avg,max,totalCount",
        aggrPeriodDuration="PT1H",
        timerel="between",
        timeAt="2026-03-10T02:00:00Z",
        endTimeAt="2026-03-10T04:00:00Z",
    ).json()["availableSpotNumber"]
    assert aggr["avg"] == [
        [12.0, "2026-03-10T02:00:00Z", "2026-03-10T03:00:00Z"],
        [14.0, "2026-03-10T03:00:00Z", "2026-03-10T04:00:00Z"],
    ]
    whole = get(
        client, token, f"/temporal/entities/{p1}", options="aggregatedValues", aggrMethods="avg,sum"
    ).json()["availableSpotNumber"]
    assert whole["avg"][0][0] == pytest.approx(12.0) and whole["sum"][0][0] == 36.0
    # generic entities are not stations; deleting one keeps its values
    from ioc.engines.ngsi_ld.models import NgsiAttrValue, NgsiEntity

    with factory() as s:
        assert s.execute(select(Entity).where(Entity.code == "P1")).scalar_one_or_none() is None
    assert client.delete(f"{BASE}/entities/{p1}", headers=h(token, None)).status_code == 204
    is_problem(get(client, token, f"/entities/{p1}"), 404, "ResourceNotFound")
    with factory() as s:
        row = s.execute(select(NgsiEntity).where(NgsiEntity.entity_id == p1)).scalar_one()
        kept = s.execute(select(NgsiAttrValue).where(NgsiAttrValue.entity_ref == row.id)).all()
        assert len(kept) == 3


# ----------------------------------------------------------------------------- owners


def test_new_write_doors_check_the_owner(
    client: TestClient,
    factory: sessionmaker[Session],
    make_user,  # type: ignore[no-untyped-def]
    receiver: tuple[str, list[tuple[str, dict[str, Any]]]],
) -> None:
    """A commune clerk (agency B) cannot delete or update agency A's station, nor change or
    delete A's subscription, through any of the new doors; B's own objects pass."""
    from ioc.core.models import AuditLog
    from ioc.packs.environment import service as env_service

    agency_a, agency_b = "so-nong-nghiep-moi-truong", "ubnd-24121"
    with factory() as s, s.begin():
        for code, agency, area, (lat, lon) in (
            ("OWN-A", agency_a, "24133", (12.6756, 108.05)),
            ("OWN-B", agency_b, "24121", (12.678, 108.028)),
        ):
            env_service.upsert_station(
                s,
                audit.Actor.system("test"),
                code=code,
                name=code,
                lat=lat,
                lon=lon,
                area_code=area,
                agency_code=agency,
            )
    tokens = {}
    for user, agency in (("nv.a", agency_a), ("nv.b", agency_b)):
        make_user(user, role="agency_staff", agency=agency)
        with factory() as s, s.begin():
            tokens[user] = auth.create_api_token(
                s,
                audit.Actor.system("test"),
                owner_username=user,
                name="t",
                scopes=["ingest", "view", "manage"],
            ).secret
    a_id, b_id = f"urn:ngsi-ld:{AQ}:OWN-A", f"urn:ngsi-ld:{AQ}:OWN-B"
    b = tokens["nv.b"]
    is_problem(client.delete(f"{BASE}/entities/{a_id}", headers=h(b, None)), 403)
    r = post(client, b, "/entityOperations/delete", [a_id])
    assert r.status_code == 207 and r.json()["errors"][0]["error"]["status"] == 403
    r = post(
        client, b, "/entityOperations/update", [{"id": a_id, "type": AQ, "airQualityLevel": "x"}]
    )
    assert r.status_code == 207 and r.json()["errors"][0]["error"]["status"] == 403
    assert get(client, tokens["nv.a"], f"/entities/{a_id}").status_code == 200
    # A's subscription
    url, _ = receiver
    sub = {"entities": [{"type": AQ}], "notification": {"endpoint": {"uri": url}}}
    location = post(client, tokens["nv.a"], "/subscriptions", sub).headers["location"]
    r = client.patch(location, content=json.dumps({"isActive": False}), headers=h(b))
    is_problem(r, 403)
    is_problem(client.delete(location, headers=h(b, None)), 403)
    assert client.get(location, headers=h(b, None)).json()["isActive"] is True
    with factory() as s:
        denied = s.execute(select(AuditLog).where(AuditLog.action == "access.denied")).all()
        assert len(denied) >= 3
    # B's own station and subscription pass
    assert client.delete(f"{BASE}/entities/{b_id}", headers=h(b, None)).status_code == 204
    own = post(client, b, "/subscriptions", sub).headers["location"]
    assert client.delete(own, headers=h(b, None)).status_code == 204
    assert client.delete(location, headers=h(tokens["nv.a"], None)).status_code == 204


def test_the_same_new_id_twice_in_one_batch(client: TestClient, token: str) -> None:
    air = "urn:ngsi-ld:AirQualityObserved:TWICE"
    building = "urn:ngsi-ld:Building:TWICE"
    docs = [
        aq(air, 10.0),
        aq(air, 11.0, "2026-03-10T04:00:00Z"),
        {"id": building, "type": "Building", "floors": 2},
        {"id": building, "type": "Building", "floors": 3},
    ]
    r = post(
        client,
        token,
        "/entityOperations/upsert",
        docs,
    )
    assert r.status_code == 201, r.text
    assert sorted(r.json()) == sorted([air, building])
    assert get(client, token, f"/entities/{air}", options="keyValues").json()["pm25"] == 11.0
    assert get(client, token, f"/entities/{building}", options="keyValues").json()["floors"] == 3
