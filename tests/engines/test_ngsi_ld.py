"""NGSI-LD API (/ngsi-ld/v1): each endpoint, each error code, the content-type/@context rules,
data showing on the air-quality pages, temporal queries with hand-computed aggregates, and the
output validated against the Smart Data Models schema (reduced offline copy in sdm_schemas/)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ioc.core import audit, auth
from ioc.core.models import AuditLog, Entity

BASE = "/ngsi-ld/v1"
TYPE = "AirQualityObserved"
CORE = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"
LINK = f'<{CORE}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'
ERR = "https://uri.etsi.org/ngsi-ld/errors/"
SCHEMAS = Path(__file__).parent / "sdm_schemas"


def urn(code: str) -> str:
    return f"urn:ngsi-ld:{TYPE}:{code}"


@pytest.fixture
def token(factory: sessionmaker[Session], make_user) -> str:  # type: ignore[no-untyped-def]
    """A token with the ingest and view scopes."""
    make_user("ngsi-gw", role="operator")
    with factory() as session, session.begin():
        new = auth.create_api_token(
            session,
            audit.Actor.system("test"),
            owner_username="ngsi-gw",
            name="NGSI-LD",
            scopes=["ingest", "view", "manage"],
        )
    return new.secret


def h(token: str, content_type: str | None = "application/json", **extra: str) -> dict[str, str]:
    out = {"Authorization": f"Bearer {token}"}
    if content_type:
        out["Content-Type"] = content_type
    out.update(extra)
    return out


def entity(
    code: str,
    when: str = "2026-03-10T03:00:00Z",
    pm25: float = 20.0,
    *,
    normalized: bool = True,
    **extra: Any,
) -> dict[str, Any]:
    """An AirQualityObserved entity (normalized or key-values)."""
    if normalized:
        doc: dict[str, Any] = {
            "id": urn(code),
            "type": TYPE,
            "dateObserved": {"type": "Property", "value": {"@type": "DateTime", "@value": when}},
            "location": {
                "type": "GeoProperty",
                "value": {"type": "Point", "coordinates": [108.05, 12.68]},
            },
            "name": {"type": "Property", "value": f"Trạm {code}"},
            "pm25": {"type": "Property", "value": pm25, "unitCode": "GQ"},
        }
        for k, v in extra.items():
            doc[k] = v if isinstance(v, dict) else {"type": "Property", "value": v}
        return doc
    return {
        "id": urn(code),
        "type": TYPE,
        "dateObserved": when,
        "location": {"type": "Point", "coordinates": [108.05, 12.68]},
        "name": f"Trạm {code}",
        "pm25": pm25,
        **extra,
    }


def upsert(
    client: TestClient, token: str, docs: list[dict[str, Any]], options: str | None = "update"
) -> Any:
    params = {"options": options} if options else {}
    return client.post(
        f"{BASE}/entityOperations/upsert", content=json.dumps(docs), headers=h(token), params=params
    )


def is_problem(r: Any, status: int, kind: str | None = None) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["status"] == status and body["title"] and "detail" in body
    if kind is not None:
        assert body["type"] == ERR + kind
    assert r.headers["content-type"].startswith("application/problem+json")


# ----------------------------------------------------------------------------- contexts


def test_core_context_served_locally(client: TestClient) -> None:
    r = client.get(f"{BASE}/jsonldContexts/ngsi-ld-core-context-v1.8.jsonld")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/ld+json")
    ctx = r.json()["@context"]
    assert ctx["ngsi-ld"] == "https://uri.etsi.org/ngsi-ld/"
    for term in ("Property", "Relationship", "GeoProperty", "unitCode", "location", "datasetId"):
        iri = ctx[term]["@id"] if isinstance(ctx[term], dict) else ctx[term]
        assert iri.startswith("ngsi-ld:"), term
    assert ctx["observedAt"] == {"@id": "ngsi-ld:observedAt", "@type": "DateTime"}
    assert ctx["value"] == "ngsi-ld:hasValue" and ctx["object"]["@id"] == "ngsi-ld:hasObject"
    assert ctx["id"] == "@id" and ctx["type"] == "@type"
    # By the ETSI IRI (URL-encoded), and the Environment terms; the list; an unknown one.
    from urllib.parse import quote

    assert client.get(f"{BASE}/jsonldContexts/{quote(CORE, safe='')}").json()["@context"] == ctx
    env = client.get(f"{BASE}/jsonldContexts/sdm-environment-context.jsonld").json()["@context"]
    assert env["pm25"].endswith("/pm25") and "AirQualityObserved" in env
    assert len(client.get(f"{BASE}/jsonldContexts").json()) == 2
    is_problem(client.get(f"{BASE}/jsonldContexts/nope.jsonld"), 404, "ResourceNotFound")


# ----------------------------------------------------------------------------- create / retrieve


def test_create_retrieve_and_conflict(client: TestClient, token: str) -> None:
    doc = entity("DL-NGSI-01", refDevice={"type": "Relationship", "object": "urn:ngsi-ld:Device:1"})
    doc["airQualityLevel"] = {"type": "Property", "value": "moderate"}
    doc["pm10"] = {"type": "Property", "value": 40.5, "observedAt": "2026-03-10T02:00:00Z"}
    r = client.post(f"{BASE}/entities", content=json.dumps(doc), headers=h(token))
    assert r.status_code == 201, r.text
    assert r.headers["location"] == f"{BASE}/entities/{urn('DL-NGSI-01')}"

    r = client.get(r.headers["location"], headers=h(token, None))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    assert "json-ld#context" in r.headers["link"]
    got = r.json()
    assert got["id"] == urn("DL-NGSI-01") and got["type"] == TYPE
    assert got["pm25"] == {
        "type": "Property",
        "value": 20.0,
        "observedAt": "2026-03-10T03:00:00Z",
        "unitCode": "GQ",
    }
    assert got["pm10"]["observedAt"] == "2026-03-10T02:00:00Z"
    assert got["dateObserved"]["value"] == {"@type": "DateTime", "@value": "2026-03-10T03:00:00Z"}
    assert got["location"] == {
        "type": "GeoProperty",
        "value": {"type": "Point", "coordinates": [108.05, 12.68]},
    }
    assert got["name"]["value"] == "Trạm DL-NGSI-01"
    assert got["refDevice"] == {"type": "Relationship", "object": "urn:ngsi-ld:Device:1"}
    assert got["airQualityLevel"] == {"type": "Property", "value": "moderate"}

    kv = client.get(
        f"{BASE}/entities/{urn('DL-NGSI-01')}", params={"options": "keyValues"}, headers=h(token)
    ).json()
    assert kv["pm25"] == 20.0 and kv["refDevice"] == "urn:ngsi-ld:Device:1"
    assert (
        kv
        == client.get(
            f"{BASE}/entities/{urn('DL-NGSI-01')}",
            params={"format": "simplified"},
            headers=h(token),
        ).json()
    )

    # 409 AlreadyExists
    r = client.post(f"{BASE}/entities", content=json.dumps(doc), headers=h(token))
    is_problem(r, 409, "AlreadyExists")
    # 404 ResourceNotFound; 400 for an id that is not a URI
    is_problem(
        client.get(f"{BASE}/entities/{urn('NOPE')}", headers=h(token)), 404, "ResourceNotFound"
    )
    is_problem(client.get(f"{BASE}/entities/not-a-uri", headers=h(token)), 400, "BadRequestData")


def test_create_refuses_bad_entities(client: TestClient, token: str) -> None:
    def post(doc: Any) -> Any:
        return client.post(f"{BASE}/entities", content=json.dumps(doc), headers=h(token))

    is_problem(post({"type": TYPE}), 400, "BadRequestData")  # no id
    is_problem(post({**entity("X1"), "id": "no uri"}), 400, "BadRequestData")
    is_problem(post({**entity("X1"), "pm25": {"type": "Property", "value": "abc"}}), 400)
    is_problem(post({**entity("X1"), "pm25": {"type": "Property", "value": -5}}), 400)
    is_problem(post({**entity("X1"), "dateObserved": "yesterday"}), 400)
    is_problem(post({**entity("X1"), "location": {"type": "GeoProperty", "value": {}}}), 400)
    is_problem(post({**entity("X1"), "bad name": 1}), 400, "BadRequestData")
    is_problem(post({**entity("X1"), "pm25": [{"type": "Property", "value": 1}]}), 400)
    # a type no pack maps is stored as a generic entity (issue 14, point 10)
    assert post({"id": "urn:ngsi-ld:Car:1", "type": "Car"}).status_code == 201
    is_problem(post([entity("X1")]), 400, "InvalidRequest")
    # nothing was created by the refused requests
    assert client.get(f"{BASE}/entities/{urn('X1')}", headers=h(token)).status_code == 404


def test_key_values_create_and_full_iri_names(client: TestClient, token: str) -> None:
    doc = entity("DL-KV-01", normalized=False)
    doc["https://smart-data-models.github.io/data-models/terms.jsonld#/definitions/pm10"] = 33.0
    r = client.post(f"{BASE}/entities", content=json.dumps(doc), headers=h(token))
    assert r.status_code == 201, r.text
    got = client.get(f"{BASE}/entities/{urn('DL-KV-01')}?options=keyValues", headers=h(token))
    assert got.json()["pm10"] == 33.0 and got.json()["pm25"] == 20.0


# ----------------------------------------------------------------------------- content negotiation


def test_content_type_and_context_rules(client: TestClient, token: str) -> None:
    def post(doc: Any, content_type: str, **headers: str) -> Any:
        return client.post(
            f"{BASE}/entities", content=json.dumps(doc), headers=h(token, content_type, **headers)
        )

    # application/json + Link: accepted (the context is taken, never fetched)
    assert post(entity("CT-1"), "application/json", Link=LINK).status_code == 201
    # application/ld+json with @context in the body: accepted
    assert post({**entity("CT-2"), "@context": [CORE]}, "application/ld+json").status_code == 201
    # application/ld+json without @context: 400
    is_problem(post(entity("CT-3"), "application/ld+json"), 400, "BadRequestData")
    # application/ld+json and a Link header: 400
    is_problem(
        post({**entity("CT-3"), "@context": CORE}, "application/ld+json", Link=LINK),
        400,
        "BadRequestData",
    )
    # @context inside a plain JSON body: 400
    is_problem(
        post({**entity("CT-3"), "@context": CORE}, "application/json"), 400, "BadRequestData"
    )
    # any other content type: 415
    is_problem(post(entity("CT-3"), "text/plain"), 415)
    is_problem(post(entity("CT-3"), "application/xml"), 415)
    r = client.post(f"{BASE}/entities", content=json.dumps(entity("CT-3")), headers=h(token, None))
    is_problem(r, 415)
    # the batch endpoint follows the same rules, per entity of the array
    r = client.post(
        f"{BASE}/entityOperations/upsert",
        content=json.dumps([{**entity("CT-4"), "@context": CORE}, entity("CT-5")]),
        headers=h(token, "application/ld+json"),
    )
    is_problem(r, 400, "BadRequestData")
    r = client.post(
        f"{BASE}/entityOperations/upsert",
        content=json.dumps([entity("CT-4")]),
        headers=h(token, "text/csv"),
    )
    is_problem(r, 415)
    assert client.get(f"{BASE}/entities/{urn('CT-3')}", headers=h(token)).status_code == 404


def test_accept_header(client: TestClient, token: str) -> None:
    upsert(client, token, [entity("AC-1")])
    url = f"{BASE}/entities"
    params = {"type": TYPE}
    for accept in ("text/html", "application/xml", "text/plain, image/png"):
        is_problem(client.get(url, params=params, headers=h(token, None, Accept=accept)), 406)
    is_problem(client.get(f"{url}/{urn('AC-1')}", headers=h(token, None, Accept="text/csv")), 406)
    ok = client.get(url, params=params, headers=h(token, None, Accept="*/*"))
    assert ok.status_code == 200 and ok.headers["content-type"].startswith("application/json")
    ld = client.get(url, params=params, headers=h(token, None, Accept="application/ld+json"))
    assert ld.headers["content-type"].startswith("application/ld+json")
    assert CORE in ld.json()[0]["@context"] and "link" not in ld.headers
    geo = client.get(url, params=params, headers=h(token, None, Accept="application/geo+json"))
    assert geo.headers["content-type"].startswith("application/geo+json")
    fc = geo.json()
    assert fc["type"] == "FeatureCollection"
    assert fc["features"][0]["geometry"] == {"type": "Point", "coordinates": [108.05, 12.68]}
    assert fc["features"][0]["id"] == urn("AC-1")
    one = client.get(
        f"{url}/{urn('AC-1')}", headers=h(token, None, Accept="application/geo+json")
    ).json()
    assert one["type"] == "Feature" and one["properties"]["type"] == TYPE


# ----------------------------------------------------------------------------- batch upsert


def test_batch_upsert_created_updated_and_partial(
    client: TestClient, token: str, factory: sessionmaker[Session]
) -> None:
    docs = [entity(f"B-{i}", pm25=10.0 + i) for i in range(3)]
    r = upsert(client, token, docs)
    assert r.status_code == 201, r.text
    assert r.json() == [urn(f"B-{i}") for i in range(3)]
    # all exist: 204
    later = [entity(f"B-{i}", "2026-03-10T04:00:00Z", pm25=30.0) for i in range(3)]
    assert upsert(client, token, later).status_code == 204
    got = client.get(f"{BASE}/entities/{urn('B-1')}?options=keyValues", headers=h(token)).json()
    assert got["pm25"] == 30.0 and got["dateObserved"] == "2026-03-10T04:00:00Z"
    # partial failure: 207 with success and errors (ProblemDetails per entity)
    mixed = [
        entity("B-0", "2026-03-10T05:00:00Z"),
        entity("B-9"),
        {**entity("B-bad"), "pm25": {"type": "Property", "value": "nhiều"}},
        {
            "id": "urn:ngsi-ld:Car:1",
            "type": "Car",
            "location": {
                "type": "GeoProperty",
                "value": {"type": "Point", "coordinates": [500, 1]},
            },
        },
        {"type": TYPE},
        "not an object",
    ]
    r = upsert(client, token, mixed)
    assert r.status_code == 207, r.text
    body = r.json()
    assert body["success"] == [urn("B-9"), urn("B-0")] or set(body["success"]) == {
        urn("B-9"),
        urn("B-0"),
    }
    errors = {e["entityId"]: e["error"] for e in body["errors"]}
    assert len(body["errors"]) == 4
    assert errors[urn("B-bad")]["type"] == ERR + "BadRequestData"
    assert "pm25" in errors[urn("B-bad")]["detail"]
    assert errors["urn:ngsi-ld:Car:1"]["type"] == ERR + "BadRequestData"
    # the refused entity left nothing behind; the good ones were stored
    assert client.get(f"{BASE}/entities/{urn('B-bad')}", headers=h(token)).status_code == 404
    assert client.get(f"{BASE}/entities/{urn('B-9')}", headers=h(token)).status_code == 200
    with factory() as s:
        actions = [
            a.detail
            for a in s.execute(select(AuditLog)).scalars()
            if a.action == "observations.ingest"
        ]
        assert actions and all(a["source"] == "ngsi-ld" for a in actions)
        assert (
            s.execute(select(Entity).where(Entity.code == "B-9")).scalar_one().type
            == "AirQualityStation"
        )
    # bad bodies
    for body_bytes in (b"", b"{", b"{}", b"[]", b"42"):
        r = client.post(f"{BASE}/entityOperations/upsert", content=body_bytes, headers=h(token))
        is_problem(r, 400)
    is_problem(upsert(client, token, [entity("B-0")], options="nonsense"), 400)


def test_upsert_replace_versus_update(client: TestClient, token: str) -> None:
    first = entity("RU-1", airQualityLevel="good", reliability=0.9)
    first["pm10"] = {"type": "Property", "value": 50.0}
    assert upsert(client, token, [first]).status_code == 201
    # update: merges (pm10 and reliability stay, airQualityLevel changes)
    assert upsert(client, token, [entity("RU-1", airQualityLevel="moderate")]).status_code == 204
    got = client.get(f"{BASE}/entities/{urn('RU-1')}?options=keyValues", headers=h(token)).json()
    assert got["airQualityLevel"] == "moderate" and got["reliability"] == 0.9
    assert got["pm10"] == 50.0
    # replace (the default): the entity becomes exactly the new one
    assert upsert(client, token, [entity("RU-1")], options=None).status_code == 204
    got = client.get(f"{BASE}/entities/{urn('RU-1')}?options=keyValues", headers=h(token)).json()
    assert "airQualityLevel" not in got and "reliability" not in got and "pm10" not in got
    assert got["pm25"] == 20.0


# ----------------------------------------------------------------------------- same pages


def test_ngsi_data_shows_on_station_pages(
    client: TestClient, token: str, frozen_now: datetime
) -> None:
    # 12 hourly values ending at 12:00 local (05:00 UTC), constant PM2.5 20 → VN_AQI 40.
    end = datetime(2026, 3, 10, 5, 0, tzinfo=UTC)
    for k in range(12):
        when = (end - timedelta(hours=11 - k)).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert upsert(client, token, [entity("DL-NGSI-AQ", when, 20.0)]).status_code in (201, 204)
    r = client.get("/api/v1/environment/stations")
    (s,) = [x for x in r.json()["stations"] if x["code"] == "DL-NGSI-AQ"]
    assert s["name"] == "Trạm DL-NGSI-AQ" and (s["lat"], s["lon"]) == (12.68, 108.05)
    assert s["concentrations"]["pm25"]["value"] == 20.0
    assert s["current"] is True
    assert s["aqi"]["aqi"] == 40 and s["aqi"]["time"] == "2026-03-10T12:00:00+07:00"
    assert client.get("/environment/stations/DL-NGSI-AQ", headers=h(token, None)).status_code == 200


def test_station_made_elsewhere_is_an_ngsi_entity(
    client: TestClient, token: str, station: str
) -> None:
    r = client.post(
        "/api/v1/observations",
        json={
            "observations": [
                {
                    "indicator": "pm25",
                    "entity": station,
                    "time": "2026-03-10T08:00:00+07:00",
                    "value": 12,
                }
            ]
        },
        headers=h(token),
    )
    assert r.status_code == 200, r.text
    got = client.get(f"{BASE}/entities/{urn(station)}", headers=h(token)).json()
    assert got["pm25"]["value"] == 12.0 and got["pm25"]["observedAt"] == "2026-03-10T01:00:00Z"
    listed = client.get(f"{BASE}/entities", params={"type": TYPE}, headers=h(token)).json()
    assert [e["id"] for e in listed] == [urn(station)]


# ----------------------------------------------------------------------------- query


def test_query_type_q_and_pagination(client: TestClient, token: str) -> None:
    docs = [
        entity(f"Q-{i:02d}", pm25=float(i), airQualityLevel="good" if i < 10 else "poor")
        for i in range(25)
    ]
    assert upsert(client, token, docs).status_code == 201
    url = f"{BASE}/entities"

    def get(**params: Any) -> Any:
        return client.get(url, params=params, headers=h(token, None))

    first = get(type=TYPE)
    assert [e["id"] for e in first.json()] == [urn(f"Q-{i:02d}") for i in range(20)]  # default 20
    assert "ngsild-results-count" not in first.headers
    page = get(type=TYPE, limit=10, offset=20, count="true")
    assert [e["id"] for e in page.json()] == [urn(f"Q-{i:02d}") for i in range(20, 25)]
    assert page.headers["NGSILD-Results-Count"] == "25"
    only_count = get(type=TYPE, limit=0, count="true")
    assert only_count.json() == [] and only_count.headers["NGSILD-Results-Count"] == "25"
    over = get(type=TYPE, q="pm25>20", options="keyValues")
    assert [e["pm25"] for e in over.json()] == [21.0, 22.0, 23.0, 24.0]
    both = get(type=TYPE, q='pm25>=5;pm25<8;airQualityLevel=="good"', count="true")
    assert [e["id"] for e in both.json()] == [urn("Q-05"), urn("Q-06"), urn("Q-07")]
    assert both.headers["NGSILD-Results-Count"] == "3"
    assert len(get(type=TYPE, q="pm25==3").json()) == 1
    assert len(get(type=TYPE, q="pm25==3,4").json()) == 2
    assert len(get(type=TYPE, q="pm25==3..6").json()) == 4
    assert len(get(type=TYPE, q="pm25<2|pm25>23").json()) == 3
    assert len(get(type=TYPE, q='airQualityLevel=="poor"', limit=100).json()) == 15
    paged = get(type=TYPE, q="pm25>=10", limit=5, offset=10, count="true")
    assert [e["pm25"]["value"] for e in paged.json()] == [20.0, 21.0, 22.0, 23.0, 24.0]
    assert paged.headers["NGSILD-Results-Count"] == "15"
    assert get(type="Car").json() == []
    ids = get(id=f"{urn('Q-03')},{urn('Q-04')}", options="keyValues").json()
    assert [e["pm25"] for e in ids] == [3.0, 4.0]
    projected = get(type=TYPE, attrs="pm25", limit=1, options="keyValues").json()
    assert set(projected[0]) == {"id", "type", "pm25"}
    # errors
    is_problem(get(), 400, "BadRequestData")  # no type, id, q or attrs
    is_problem(get(type=TYPE, limit=1001), 400, "BadRequestData")
    is_problem(get(type=TYPE, limit="x"), 400, "BadRequestData")
    is_problem(get(type=TYPE, offset=-1), 400, "BadRequestData")
    is_problem(get(type=TYPE, q="pm25>"), 400, "BadRequestData")
    is_problem(get(type=TYPE, q="(pm25>1"), 400, "BadRequestData")
    is_problem(get(type=TYPE, q="pm25>abc"), 400, "BadRequestData")


# ----------------------------------------------------------------------------- PATCH attrs


def test_patch_attrs(client: TestClient, token: str) -> None:
    assert upsert(client, token, [entity("P-1", airQualityLevel="good")]).status_code == 201
    url = f"{BASE}/entities/{urn('P-1')}/attrs"
    fragment = {
        "pm25": {"type": "Property", "value": 55.5, "observedAt": "2026-03-10T06:00:00Z"},
        "airQualityLevel": {"type": "Property", "value": "poor"},
    }
    r = client.patch(url, content=json.dumps(fragment), headers=h(token))
    assert r.status_code == 204, r.text
    got = client.get(f"{BASE}/entities/{urn('P-1')}", headers=h(token)).json()
    assert got["pm25"]["value"] == 55.5 and got["pm25"]["observedAt"] == "2026-03-10T06:00:00Z"
    assert got["airQualityLevel"]["value"] == "poor"
    # merge-patch+json is accepted
    r = client.patch(
        url,
        content=json.dumps({"airQualityLevel": "moderate"}),
        headers=h(token, "application/merge-patch+json"),
    )
    assert r.status_code == 204, r.text
    # an attribute the entity does not have: 207 notUpdated
    r = client.patch(
        url, content=json.dumps({"airQualityLevel": "good", "o3": 3.0}), headers=h(token)
    )
    assert r.status_code == 207
    assert r.json()["updated"] == ["airQualityLevel"]
    assert r.json()["notUpdated"][0]["attributeName"] == "o3"
    # errors
    is_problem(
        client.patch(f"{BASE}/entities/{urn('NOPE')}/attrs", content=b"{}", headers=h(token)), 404
    )
    is_problem(client.patch(url, content=json.dumps(fragment), headers=h(token, "text/plain")), 415)
    is_problem(client.patch(url, content=b"[1]", headers=h(token)), 400, "InvalidRequest")
    is_problem(client.patch(url, content=b"{nope", headers=h(token)), 400, "InvalidRequest")
    bad = {"pm25": {"type": "Property", "value": "x", "observedAt": "2026-03-10T07:00:00Z"}}
    is_problem(client.patch(url, content=json.dumps(bad), headers=h(token)), 400, "BadRequestData")
    is_problem(client.patch(url, content=json.dumps({"id": urn("OTHER")}), headers=h(token)), 400)


# ----------------------------------------------------------------------------- temporal


def test_temporal_instances_and_aggregates(client: TestClient, token: str) -> None:
    # pm25 values are hour-ending (QĐ 1459): 01:10 and 01:40 → bucket 01:00–02:00, 02:20 → 02:00.
    points = [
        ("2026-03-10T01:10:00Z", 10.0),
        ("2026-03-10T01:40:00Z", 20.0),
        ("2026-03-10T02:20:00Z", 40.0),
        ("2026-03-11T03:00:00Z", 7.0),
    ]
    for when, v in points:
        upsert(client, token, [entity("T-1", when, v)])
    url = f"{BASE}/temporal/entities/{urn('T-1')}"

    def get(**params: Any) -> Any:
        r = client.get(url, params=params, headers=h(token, None))
        assert r.status_code == 200, r.text
        return r.json()

    every = get()
    assert every["id"] == urn("T-1") and every["type"] == TYPE
    assert [i["value"] for i in every["pm25"]] == [10.0, 20.0, 40.0, 7.0]
    assert every["pm25"][0] == {
        "type": "Property",
        "value": 10.0,
        "observedAt": "2026-03-10T01:10:00Z",
        "unitCode": "GQ",
    }
    between = get(
        timerel="between", timeAt="2026-03-10T01:40:00Z", endTimeAt="2026-03-10T02:20:00Z"
    )
    assert [i["value"] for i in between["pm25"]] == [20.0]  # start included, end excluded
    assert [i["value"] for i in get(timerel="before", timeAt="2026-03-10T02:00:00Z")["pm25"]] == [
        10.0,
        20.0,
    ]
    assert [i["value"] for i in get(timerel="after", timeAt="2026-03-10T02:20:00Z")["pm25"]] == [
        40.0,
        7.0,
    ]
    assert [i["value"] for i in get(lastN=2)["pm25"]] == [40.0, 7.0]
    values = get(options="temporalValues", lastN=1)
    assert values["pm25"] == {"type": "Property", "values": [[7.0, "2026-03-11T03:00:00Z"]]}

    methods = "avg,min,max,sum,totalCount"
    hourly = get(
        options="aggregatedValues",
        aggrMethods=methods,
        aggrPeriodDuration="PT1H",
        timerel="between",
        timeAt="2026-03-10T00:00:00Z",
        endTimeAt="2026-03-10T03:00:00Z",
    )["pm25"]
    h1, h2 = "2026-03-10T01:00:00Z", "2026-03-10T02:00:00Z"
    end = "2026-03-10T03:00:00Z"
    assert hourly["type"] == "Property"
    assert hourly["avg"] == [[15.0, h1, h2], [40.0, h2, end]]
    assert hourly["min"] == [[10.0, h1, h2], [40.0, h2, end]]
    assert hourly["max"] == [[20.0, h1, h2], [40.0, h2, end]]
    assert hourly["sum"] == [[30.0, h1, h2], [40.0, h2, end]]
    assert hourly["totalCount"] == [[2, h1, h2], [1, h2, end]]
    whole = get(
        options="aggregatedValues",
        aggrMethods="avg,totalCount,sum",
        aggrPeriodDuration="PT0S",
        timerel="before",
        timeAt="2026-03-11T00:00:00Z",
    )["pm25"]
    # PT0S over the whole range: (10 + 20 + 40) / 3; start = the first instance.
    assert whole["avg"] == [[pytest.approx(70 / 3), "2026-03-10T01:10:00Z", "2026-03-11T00:00:00Z"]]
    assert whole["totalCount"][0][0] == 3 and whole["sum"][0][0] == 70.0
    # Days are local (UTC+7): 10/03 local holds the first three, 11/03 local the last.
    daily = get(options="aggregatedValues", aggrMethods="max,totalCount", aggrPeriodDuration="P1D")
    assert daily["pm25"]["max"] == [
        [40.0, "2026-03-09T17:00:00Z", "2026-03-10T17:00:00Z"],
        [7.0, "2026-03-10T17:00:00Z", "2026-03-11T17:00:00Z"],
    ]
    monthly = get(format="aggregatedValues", aggrMethods="avg", aggrPeriodDuration="P1M")
    assert monthly["pm25"]["avg"] == [
        [pytest.approx(77 / 4), "2026-02-28T17:00:00Z", "2026-03-31T17:00:00Z"]
    ]
    assert get(attrs="pm10").keys() == {"id", "type"}

    def bad(status: int, **params: Any) -> None:
        is_problem(client.get(url, params=params, headers=h(token, None)), status)

    bad(400, timerel="between", timeAt="2026-03-10T00:00:00Z")  # no endTimeAt
    bad(400, timerel="during", timeAt="2026-03-10T00:00:00Z")
    bad(400, timerel="before")
    bad(400, timerel="before", timeAt="2026-03-10T00:00:00")  # no time zone
    bad(400, timerel="before", timeAt="tomorrow")
    bad(400, lastN="0")
    bad(400, options="aggregatedValues")  # no aggrMethods
    bad(400, options="aggregatedValues", aggrMethods="median")
    bad(422, options="aggregatedValues", aggrMethods="stddev")
    bad(400, options="aggregatedValues", aggrMethods="avg", aggrPeriodDuration="PT15M")
    bad(400, timeproperty="modifiedAt")
    is_problem(client.get(f"{BASE}/temporal/entities/{urn('NOPE')}", headers=h(token)), 404)
    is_problem(client.get(url, headers=h(token, None, Accept="text/html")), 406)


# ----------------------------------------------------------------------------- schema


def _validator() -> Draft202012Validator:
    resources = []
    for name in ("common-schema.json", "AirQualityObserved.schema.json"):
        doc = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
        resources.append((doc["$id"], Resource.from_contents(doc)))
    registry: Registry[Any] = Registry().with_resources(resources)
    schema = json.loads((SCHEMAS / "AirQualityObserved.schema.json").read_text(encoding="utf-8"))
    return Draft202012Validator(schema, registry=registry, format_checker=_format_checker())


_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def _format_checker() -> FormatChecker:
    """jsonschema's FormatChecker asserts ``date-time`` and ``uri`` only with optional packages
    (rfc3339-validator, rfc3987); check both here with the standard library instead."""
    checker = FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def date_time(value: object) -> bool:
        if not isinstance(value, str):
            return True
        if not _RFC3339.match(value):
            return False
        datetime.fromisoformat(value.replace("z", "Z"))
        return True

    @checker.checks("uri")
    def uri(value: object) -> bool:
        if not isinstance(value, str):
            return True
        parts = urlsplit(value)
        return bool(parts.scheme) and " " not in value

    return checker


def _flatten(doc: dict[str, Any]) -> dict[str, Any]:
    """Normalized NGSI-LD → key-values, as the domain notes §5 prescribe."""
    out: dict[str, Any] = {}
    for k, v in doc.items():
        if isinstance(v, dict) and v.get("type") in ("Property", "GeoProperty", "Relationship"):
            v = v.get("value", v.get("object"))
        if isinstance(v, dict) and "@value" in v:
            v = v["@value"]
        out[k] = v
    return out


def test_output_validates_against_smart_data_models_schema(client: TestClient, token: str) -> None:
    doc = entity("SDM-1", reliability=0.8, typeofLocation="outdoor")
    doc["o3"] = {"type": "Property", "value": 80.0}
    doc["co"] = {"type": "Property", "value": 1.2, "unitCode": "GP"}  # mg/m³ → µg/m³
    assert upsert(client, token, [doc]).status_code == 201
    validator = _validator()
    kv = client.get(f"{BASE}/entities/{urn('SDM-1')}?options=keyValues", headers=h(token)).json()
    assert kv["co"] == pytest.approx(1200.0)
    assert not list(validator.iter_errors(kv)), [e.message for e in validator.iter_errors(kv)]
    normalized = client.get(f"{BASE}/entities/{urn('SDM-1')}", headers=h(token)).json()
    validator.validate(_flatten(normalized))
    for item in client.get(
        f"{BASE}/entities?type={TYPE}&options=keyValues", headers=h(token)
    ).json():
        validator.validate(item)
    # the validator is strict: a missing dateObserved, a bad date-time or a negative pm25 fail
    assert not validator.is_valid({k: v for k, v in kv.items() if k != "dateObserved"})
    assert not validator.is_valid({**kv, "dateObserved": "2026-03-10 03:00"})
    assert not validator.is_valid({**kv, "pm25": -1})
    assert not validator.is_valid({**kv, "dateObserved": "2026-13-40T03:00:00Z"})
    assert not validator.is_valid({**kv, "refDevice": "not a uri"})


# ----------------------------------------------------------------------------- auth, robustness


def test_permissions_and_problem_details(
    client: TestClient, token: str, gateway_token: str, factory: sessionmaker[Session]
) -> None:
    url = f"{BASE}/entities"
    is_problem(client.get(url, params={"type": TYPE}), 401)
    is_problem(
        client.post(
            url, content=json.dumps(entity("A-1")), headers={"Content-Type": "application/json"}
        ),
        401,
    )
    # a gateway token (ingest + manage) may write but not read
    assert (
        client.post(url, content=json.dumps(entity("A-1")), headers=h(gateway_token)).status_code
        == 201
    )
    is_problem(client.get(url, params={"type": TYPE}, headers=h(gateway_token, None)), 403)
    with factory() as session, session.begin():
        viewer = auth.create_api_token(
            session, audit.Actor.system("test"), owner_username="ngsi-gw", name="v", scopes=["view"]
        )
    is_problem(client.post(url, content=json.dumps(entity("A-2")), headers=h(viewer.secret)), 403)
    assert client.get(url, params={"type": TYPE}, headers=h(viewer.secret, None)).status_code == 200
    is_problem(client.get(f"{BASE}/nothing-here", headers=h(token, None)), 404, "ResourceNotFound")


@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xfe",
        b"null",
        b'"text"',
        b"[null]",
        b"[[]]",
        b'[{"id": 5, "type": 7}]',
        b'[{"id": "urn:a:b", "type": ["A", "B"]}]',
        b'[{"id": "urn:ngsi-ld:AirQualityObserved:X", "type": "AirQualityObserved", "pm25": null}]',
        b'[{"id": "urn:ngsi-ld:AirQualityObserved:X", "type": "AirQualityObserved", "pm25": {}}]',
        b'[{"id": "urn:ngsi-ld:AirQualityObserved:X", "type": "AirQualityObserved", '
        b'"dateObserved": "2026-03-10T00:00:00Z", "pm25": {"type": "Property"}}]',
        b'[{"id": "urn:ngsi-ld:AirQualityObserved:X", "type": "AirQualityObserved", '
        b'"dateObserved": "2026-03-10T00:00:00Z", "pm25": 1e400}]',
        b'[{"id": "urn:ngsi-ld:AirQualityObserved:X", "type": "AirQualityObserved", '
        b'"dateObserved": {"@value": 5}, "pm25": 1, "location": {"type": "Point", '
        b'"coordinates": [500, 500]}}]',
        b'[{"id": "urn:ngsi-ld:AirQualityObserved:'
        + b"X" * 300
        + b'", "type": "AirQualityObserved"}]',
        b'[{"id": "urn:ngsi-ld:AirQualityObserved:X", "type": "AirQualityObserved", '
        b'"refDevice": {"type": "Relationship", "object": 5}}]',
    ],
)
def test_malformed_bodies_never_500(client: TestClient, token: str, body: bytes) -> None:
    r = client.post(f"{BASE}/entityOperations/upsert", content=body, headers=h(token))
    assert r.status_code in (400, 207), r.text
    r = client.post(f"{BASE}/entities", content=body, headers=h(token))
    assert 400 <= r.status_code < 500, r.text
