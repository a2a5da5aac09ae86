"""A third-party NGSI-LD client (ngsildclient 0.5.2, Orange) against the IOC served by uvicorn:
its create / upsert / query / delete / subscribe scenario, with the notification delivered by
the outbox job to a real local HTTP server."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from ioc.core import audit, auth, clock
from ioc.engines.alerting.notify import deliver_due
from ioc.settings import Settings

ngsildclient = pytest.importorskip("ngsildclient", reason="ngsildclient is a dev dependency")
requests = pytest.importorskip("requests")


@pytest.fixture
def secret(factory: sessionmaker[Session], make_user) -> str:  # type: ignore[no-untyped-def]
    make_user("ngsild-client", role="operator")
    with factory() as session, session.begin():
        new = auth.create_api_token(
            session,
            audit.Actor.system("test"),
            owner_username="ngsild-client",
            name="ngsildclient",
            scopes=["ingest", "view", "manage"],
        )
    return new.secret


@pytest.fixture
def live(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, int]]:
    """The application served by uvicorn on a free local port: (host, port)."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(client.app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    yield "127.0.0.1", port
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture
def inbox() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A local HTTP server receiving notifications: (URL, bodies received)."""
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/ngsi", received
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


def test_ngsildclient_scenario(
    live: tuple[str, int],
    secret: str,
    inbox: tuple[str, list[dict[str, Any]]],
    factory: sessionmaker[Session],
    settings: Settings,
) -> None:
    from ngsildclient import Client, Entity, SubscriptionBuilder

    class Bearer(requests.auth.AuthBase):  # type: ignore[misc]
        def __call__(self, r: Any) -> Any:
            r.headers["Authorization"] = f"Bearer {secret}"
            return r

    host, port = live
    url, received = inbox
    with Client(hostname=host, port=port, custom_auth=Bearer()) as client:
        # subscribe first: air stations whose pm25 exceeds 50
        subscription = (
            SubscriptionBuilder(url)
            .name("pm25 cao")
            .select_type("AirQualityObserved")
            .watch(["pm25"])
            .query("pm25>50")
            .notif(["pm25"])
            .build()
        )
        sub_id = client.subscriptions.create(subscription)
        assert sub_id.startswith("urn:ngsi-ld:Subscription:")
        assert [s["id"] for s in client.subscriptions.list()] == [sub_id]

        # create
        station = Entity("AirQualityObserved", "DL-NGC-01")
        station.obs("2026-03-10T03:00:00Z")
        station.loc(12.68, 108.05)
        station.prop("name", "Trạm ngsildclient")
        station.prop("pm25", 20.0, unitcode="GQ")
        assert client.create(station)
        got = client.get("urn:ngsi-ld:AirQualityObserved:DL-NGC-01")
        assert got["pm25"]["value"] == 20.0
        assert got["location"]["value"]["coordinates"] == [108.05, 12.68]

        # upsert (batch): one new entity (generic type), one update crossing the threshold
        building = Entity("Building", "DL-NGC-B1")
        building.prop("floorsAboveGround", 5)
        later = Entity("AirQualityObserved", "DL-NGC-01")
        later.obs("2026-03-10T04:00:00Z")
        later.prop("pm25", 75.0, unitcode="GQ")
        result = client.upsert([building, later])
        assert result.ok, result
        assert client.get("urn:ngsi-ld:Building:DL-NGC-B1")["floorsAboveGround"]["value"] == 5

        # query
        found = client.query(type="AirQualityObserved", q="pm25>50")
        assert [e.id for e in found] == ["urn:ngsi-ld:AirQualityObserved:DL-NGC-01"]
        assert client.count(type="Building") == 1

        # the notification, through the outbox, to the local server
        assert deliver_due(factory, clock.now() + timedelta(seconds=1), settings).sent == 1
        assert len(received) == 1
        note = received[0]
        assert note["type"] == "Notification" and note["subscriptionId"] == sub_id
        assert [d["id"] for d in note["data"]] == ["urn:ngsi-ld:AirQualityObserved:DL-NGC-01"]
        assert note["data"][0]["pm25"]["value"] == 75.0

        # delete (one, then a batch); the subscription too
        assert client.delete(station)
        assert not client.exists("urn:ngsi-ld:AirQualityObserved:DL-NGC-01")
        assert client.delete([building]).ok
        assert client.count(type="Building") == 0
        assert client.subscriptions.exists(sub_id)
        assert client.subscriptions.delete("pm25 cao")  # by name: lists, then DELETEs by id
        assert not client.subscriptions.exists(sub_id)
        assert client.subscriptions.list() == []
