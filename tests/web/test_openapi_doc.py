"""The OpenAPI document at /api/openapi.json describes the API so that a generated client works
(issue 14, point 13): how to authenticate, every request body, the real error body, Open311's
XML, the NGSI-LD query parameters and the main response schemas."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

JSON_API = ("/api/", "/ngsi-ld/", "/open311/")


@pytest.fixture
def doc(app: TestClient) -> dict[str, Any]:
    r = app.get("/api/openapi.json")
    assert r.status_code == 200
    data: dict[str, Any] = r.json()
    return data


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, item in doc["paths"].items()
        if path.startswith(JSON_API)
        for method, op in item.items()
    ]


def params(op: dict[str, Any], where: str = "query") -> set[str]:
    return {p["name"] for p in op.get("parameters", ()) if p["in"] == where}


def test_security_schemes_and_who_needs_them(doc: dict[str, Any]) -> None:
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearerToken"] == {**schemes["bearerToken"], "type": "http", "scheme": "bearer"}
    assert schemes["sessionCookie"]["in"] == "cookie"
    assert schemes["sessionCookie"]["name"] == "ioc_session"
    paths = doc["paths"]
    # A token can ingest observations; the cookie works too.
    assert paths["/api/v1/observations"]["post"]["security"] == [
        {"bearerToken": []},
        {"sessionCookie": []},
    ]
    assert {"bearerToken": []} in paths["/ngsi-ld/v1/entities"]["get"]["security"]
    # Public operations ask for nothing.
    assert "security" not in paths["/open311/v2/services.{fmt}"]["get"]
    assert "security" not in paths["/ngsi-ld/v1/jsonldContexts"]["get"]


def test_every_write_declares_its_body(doc: dict[str, Any]) -> None:
    writes = [(m, p, op) for m, p, op in operations(doc) if m in ("POST", "PUT", "PATCH")]
    assert len(writes) >= 10
    for method, path, op in writes:
        body = op.get("requestBody")
        assert body is not None, f"{method} {path}"
        for media, content in body["content"].items():
            assert content.get("schema"), f"{method} {path} {media}"
    paths = doc["paths"]
    observations = paths["/api/v1/observations"]["post"]["requestBody"]["content"]
    schema = observations["application/json"]["schema"]
    assert schema["required"] == ["observations"]
    assert set(schema["properties"]["observations"]["items"]["required"]) == {
        "indicator",
        "time",
        "value",
    }
    assert "text/csv" in observations
    upsert = paths["/ngsi-ld/v1/entityOperations/upsert"]["post"]["requestBody"]["content"]
    assert set(upsert) == {"application/json", "application/ld+json"}
    assert upsert["application/json"]["schema"]["items"]["required"] == ["id", "type"]
    patch = paths["/ngsi-ld/v1/entities/{entity_id}/attrs"]["patch"]["requestBody"]["content"]
    assert "application/merge-patch+json" in patch
    form = paths["/open311/v2/requests.{fmt}"]["post"]["requestBody"]["content"]
    schema = form["application/x-www-form-urlencoded"]["schema"]
    # Anonymous and address-only requests are allowed: only the key and the service are needed.
    assert schema["required"] == ["api_key", "service_code"]
    assert {"lat", "long", "address_string", "email", "phone"} <= set(schema["properties"])


def test_422_is_the_body_the_api_really_sends(
    app: TestClient, doc: dict[str, Any], ingest_token: str
) -> None:
    schemas = doc["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert "HTTPValidationError" not in str(doc)
    error = schemas["ErrorBody"]
    assert error["required"] == ["detail"]
    assert error["properties"]["errors"]["items"]["required"] == ["field", "message"]
    alerts = doc["paths"]["/api/v1/alerts"]["get"]["responses"]["422"]
    assert alerts["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorBody"
    }
    # And the body sent is that one.
    r = app.post(
        "/api/v1/observations",
        params={"atomic": "nhiều"},
        json={"observations": []},
        headers={"Authorization": f"Bearer {ingest_token}"},
    )
    assert r.status_code == 422
    body = r.json()
    assert isinstance(body["detail"], str)
    assert [e["field"] for e in body["errors"]] == ["atomic"]
    assert set(body["errors"][0]) == {"field", "message"}
    assert isinstance(body["errors"][0]["message"], str)


def test_open311_speaks_json_and_xml(doc: dict[str, Any]) -> None:
    for _method, path, op in operations(doc):
        if not path.startswith("/open311/"):
            continue
        ok = op["responses"]["200"]["content"]
        assert {"application/json", "application/xml", "text/xml"} <= set(ok), path
        assert ok["application/json"]["schema"], path
        fmt = next(p for p in op["parameters"] if p["name"] == "fmt")
        assert fmt["schema"]["enum"] == ["json", "xml"]
    listing = doc["paths"]["/open311/v2/requests.{fmt}"]["get"]
    assert {"service_request_id", "service_code", "status", "start_date", "end_date"} <= params(
        listing
    )
    item = listing["responses"]["200"]["content"]["application/json"]["schema"]["items"]
    assert {"service_request_id", "status", "lat", "long"} <= set(item["properties"])
    # No personal data in the answer's schema.
    assert not {"email", "phone", "first_name", "last_name"} & set(item["properties"])
    services = doc["paths"]["/open311/v2/services.{fmt}"]["get"]["responses"]["200"]
    assert "service_code" in services["content"]["application/json"]["schema"]["items"]["required"]


def test_ngsi_ld_query_parameters(doc: dict[str, Any]) -> None:
    paths = doc["paths"]
    query = params(paths["/ngsi-ld/v1/entities"]["get"])
    assert {
        "type",
        "id",
        "idPattern",
        "q",
        "attrs",
        "options",
        "format",
        "limit",
        "offset",
        "count",
    } <= query
    temporal = params(paths["/ngsi-ld/v1/temporal/entities/{entity_id}"]["get"])
    assert {
        "timerel",
        "timeAt",
        "endTimeAt",
        "lastN",
        "aggrMethods",
        "aggrPeriodDuration",
    } <= temporal
    assert {"attrs", "options", "format"} <= params(
        paths["/ngsi-ld/v1/entities/{entity_id}"]["get"]
    )
    entities = paths["/ngsi-ld/v1/entities"]["get"]["responses"]["200"]["content"]
    assert entities["application/json"]["schema"]["items"]["required"] == ["id", "type"]
    assert "application/geo+json" in entities
    tenant = next(
        p
        for p in paths["/ngsi-ld/v1/entities"]["get"]["parameters"]
        if p["name"] == "NGSILD-Tenant"
    )
    assert tenant["in"] == "header" and not tenant["required"]
    # A body-less 201 is not declared as JSON.
    assert "content" not in paths["/ngsi-ld/v1/entities"]["post"]["responses"]["201"]


def test_observation_answer_schema(doc: dict[str, Any]) -> None:
    answer = doc["paths"]["/api/v1/observations"]["post"]["responses"]["200"]
    schema = answer["content"]["application/json"]["schema"]
    assert {"received", "stored", "rejected", "errors"} <= set(schema["required"])


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    name = ref.removeprefix("#/components/schemas/")
    found: dict[str, Any] = doc["components"]["schemas"][name]
    return found


def _answer(doc: dict[str, Any], method: str, path: str, status: str = "200") -> dict[str, Any]:
    content = doc["paths"][path][method]["responses"][status]["content"]
    return _resolve(doc, content["application/json"]["schema"])


def test_main_answers_name_their_fields(doc: dict[str, Any]) -> None:
    """Generated clients get typed answers for the main JSON APIs, not ``{}``."""
    expected = {
        ("get", "/api/v1/alerts"): {"counts", "items"},
        ("post", "/api/v1/documents"): {"created", "updated", "unchanged", "rejected", "errors"},
        ("get", "/api/v1/documents/indicators"): {"from", "to", "as_of", "agencies"},
        ("get", "/api/v1/documents/tasks"): {"as_of", "tasks"},
        ("post", "/api/v1/public-services/dossiers"): {"received", "stored", "mode", "errors"},
        ("get", "/api/v1/public-services/scores"): {"period"},
        ("post", "/api/v1/security/events"): {"received", "stored", "rejected", "errors"},
        ("post", "/api/v1/traffic/incidents"): {"received", "stored", "rejected", "errors"},
        ("get", "/api/v1/environment/stations"): {"stations"},
        ("get", "/api/v1/environment/stations/{code}/aqi"): {"station", "from", "to", "items"},
        ("get", "/api/v1/security/sites"): {"items"},
        ("get", "/api/v1/traffic/cameras"): {"items"},
        ("get", "/api/v1/traffic/segments"): {"type", "features"},
        ("get", "/api/v1/geo/commune"): {"code", "name", "approximate"},
        ("get", "/api/v1/dead-letters"): {"total", "items"},
    }
    for (method, path), fields in expected.items():
        content = doc["paths"][path][method]["responses"]["200"]["content"]
        assert set(content["application/json"]["schema"]) == {"$ref"}, (method, path)
        schema = _answer(doc, method, path)
        assert fields <= set(schema["required"]), (method, path)
        assert schema.get("title"), (method, path)
    alert = _resolve(doc, _answer(doc, "get", "/api/v1/alerts")["properties"]["items"]["items"])
    assert {"id", "severity", "status", "starts_at", "url"} <= set(alert["required"])
    # A batch refused in part answers 422 with the same report (or the error body).
    refused = doc["paths"]["/api/v1/documents"]["post"]["responses"]["422"]
    assert refused["content"]["application/json"]["schema"]["anyOf"] == [
        {"$ref": "#/components/schemas/DocumentsReport"},
        {"$ref": "#/components/schemas/ErrorBody"},
    ]


def test_ngsi_ld_batch_answers_and_problems(doc: dict[str, Any]) -> None:
    paths = doc["paths"]
    upsert = paths["/ngsi-ld/v1/entityOperations/upsert"]["post"]["responses"]
    batch = upsert["207"]["content"]["application/json"]["schema"]
    assert batch["required"] == ["success", "errors"]
    assert batch["properties"]["errors"]["items"]["required"] == ["entityId", "error"]
    patch = paths["/ngsi-ld/v1/entities/{entity_id}/attrs"]["patch"]["responses"]["207"]
    assert "notUpdated" in patch["content"]["application/json"]["schema"]["required"]
    # Every NGSI-LD 4xx is described (ProblemDetails), none left without a body.
    for method, path, op in operations(doc):
        if path.startswith("/ngsi-ld/"):
            for status, response in op["responses"].items():
                if status.startswith("4"):
                    assert "application/json" in response.get("content", {}), (method, path)


def test_geojson_layers_are_declared_as_geojson(doc: dict[str, Any]) -> None:
    layer = doc["paths"]["/api/v1/geo/communes.geojson"]["get"]["responses"]
    assert set(layer["200"]["content"]) == {"application/geo+json"}
    schema = layer["200"]["content"]["application/geo+json"]["schema"]
    assert schema["required"] == ["type", "features"]
    assert "304" in layer
    entities = doc["paths"]["/ngsi-ld/v1/entities"]["get"]["responses"]["200"]["content"]
    assert entities["application/geo+json"]["schema"]["title"] == "FeatureCollection"
    one = doc["paths"]["/ngsi-ld/v1/entities/{entity_id}"]["get"]["responses"]["200"]["content"]
    assert one["application/geo+json"]["schema"]["title"] == "Feature"


def test_discovery_documents_what_a_request_must_carry(doc: dict[str, Any]) -> None:
    discovery = _answer(doc, "get", "/open311/v2/discovery.{fmt}")
    requirements = discovery["properties"]["requirements"]
    assert requirements["properties"]["anonymous_requests"]["enum"] == [
        "accepted",
        "email_or_phone",
    ]
    assert requirements["properties"]["location"]["enum"] == ["lat_long_or_address", "lat_long"]


def test_every_reference_resolves(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]

    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
            return found + [r for v in node.values() for r in refs(v)]
        if isinstance(node, list):
            return [r for v in node for r in refs(v)]
        return []

    for ref in refs(doc):
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.removeprefix("#/components/schemas/") in schemas, ref
