"""Odd input the API fuzz found answering 500: each is now a 4xx naming the field."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from ioc.core import audit, auth

URN = "urn:ngsi-ld:AirQualityObserved:DL-TEST-01"
FAR = "9999-12-31T23:59:59-14:00"  # a month later is year 10000
EARLY = "0001-01-01T00:00:00+14:00"  # before year 1 in UTC


@pytest.fixture
def headers(factory: sessionmaker[Session], make_user, station: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    make_user("odd-admin", role="admin")
    with factory() as session, session.begin():
        token = auth.create_api_token(
            session,
            audit.Actor.system("test"),
            owner_username="odd-admin",
            name="odd",
            scopes=sorted(auth.TOKEN_SCOPES),
        )
    return {"Authorization": f"Bearer {token.secret}"}


def obs(time: str) -> dict[str, Any]:
    return {
        "observations": [{"indicator": "pm25", "entity": "DL-TEST-01", "time": time, "value": 1}]
    }


@pytest.mark.parametrize(
    ("url", "status", "field"),
    [
        (
            "/api/v1/environment/stations/DL-TEST-01/aqi?from=" + FAR.replace("+", "%2B"),
            422,
            "from",
        ),
        ("/api/v1/environment/stations/DL-TEST-01/aqi?to=1969-12-31", 422, "to"),
        ("/open311/v2/requests.json?end_date=0001-01-07", 400, "end_date"),
        ("/open311/v2/servicerequestupdates.json?start_date=0001-01-01", 400, "start_date"),
        (f"/open311/v2/requests.json?page={10**30}", 400, "page"),
        ("/ngsi-ld/v1/entities?id=urn:a%00b", 400, "id"),
        ("/api/v1/environment/stations/DL%00/aqi", 400, "path"),
    ],
)
def test_odd_query(
    client: TestClient, headers: dict[str, str], url: str, status: int, field: str
) -> None:
    r = client.get(url, headers=headers)
    assert r.status_code == status, r.text
    assert field in r.text


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/v1/observations", obs(FAR), "time"),
        ("/api/v1/observations", obs("1969-12-31T23:00:00Z"), "time"),
        (
            "/api/v1/documents",
            {
                "documents": [
                    {
                        "id": "a",
                        "direction": "incoming",
                        "agency": "so-nong-nghiep-moi-truong",
                        "received_at": FAR,
                    }
                ]
            },
            "received_at",
        ),
        (
            "/api/v1/documents",
            {
                "documents": [
                    {
                        "id": "a\x00",
                        "direction": "incoming",
                        "agency": "so-nong-nghiep-moi-truong",
                        "received_at": "2026-03-01",
                    }
                ]
            },
            "id",
        ),
        (
            "/api/v1/public-services/dossiers",
            {
                "feedback": [
                    {"id": "f", "agency": "so-nong-nghiep-moi-truong", "received_at": EARLY}
                ]
            },
            "received_at",
        ),
        (
            "/api/v1/public-services/dossiers",
            {"procedures": [{"code": "p", "name": "P\x00"}]},
            "name",
        ),
        ("/api/v1/security/events", {"events": [{"message": "m", "time": FAR}]}, "time"),
        ("/api/v1/security/events", {"events": [{"message": "m\x00"}]}, "message"),
        (
            "/api/v1/traffic/incidents",
            {
                "incidents": [
                    {
                        "kind": "accident",
                        "category": "collision",
                        "time": "2026-03-01T00:00:00Z",
                        "area": "24133",
                        "description": "d\x00",
                    }
                ]
            },
            "description",
        ),
        (
            "/api/v1/traffic/incidents",
            {
                "incidents": [
                    {
                        "kind": "accident",
                        "category": "collision",
                        "time": "2026-03-01T00:00:00Z",
                        "area": "24133",
                        "camera": ["x"] * 30,
                    }
                ]
            },
            "camera",
        ),
        ("/ngsi-ld/v1/entities", {"id": URN + "\x00", "type": "AirQualityObserved"}, "id"),
        (
            "/ngsi-ld/v1/entities",
            {
                "id": URN,
                "type": "AirQualityObserved",
                "name": {"type": "Property", "value": "a\x00"},
            },
            "name",
        ),
        (
            "/ngsi-ld/v1/entities",
            {
                "id": URN,
                "type": "AirQualityObserved",
                "pm25": {
                    "type": "Property",
                    "value": 1,
                    "observedAt": "2026-03-01T00:00:00Z",
                    "unitCode": [None],
                },
            },
            "unitCode",
        ),
    ],
)
def test_odd_body(
    client: TestClient, headers: dict[str, str], url: str, body: Any, field: str
) -> None:
    r = client.post(url, json=body, headers=headers)
    assert 400 <= r.status_code < 500, r.text
    assert field in r.text


def test_long_idempotency_key_is_refused(client: TestClient, headers: dict[str, str]) -> None:
    # Stored with a "ps:" prefix in a 200-character column.
    r = client.post(
        "/api/v1/public-services/dossiers",
        json={"dossiers": []},
        headers={**headers, "Idempotency-Key": "k" * 200},
    )
    assert r.status_code == 422 and "idempotency-key" in r.text


def test_open311_form_field_with_nul(client: TestClient, headers: dict[str, str]) -> None:
    token = headers["Authorization"].removeprefix("Bearer ")
    r = client.post(
        "/open311/v2/requests.json",
        data={"api_key": token, "service_code": "d\x00", "email": "a@b.vn"},
    )
    assert r.status_code == 400 and "service_code" in r.text
