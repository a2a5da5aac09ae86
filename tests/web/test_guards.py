"""Cross-site request forgery on the JSON APIs: a signed-in browser's cookie must not let another
site write through ``/api/`` or ``/ngsi-ld/``.

JSON routes take JSON only (415 otherwise: a cross-site page can send ``text/plain`` without a
preflight), and a write authenticated by the session cookie needs a same-origin ``Origin`` (or
``Sec-Fetch-Site: same-origin``) or the CSRF token in ``X-CSRF-Token`` (403 otherwise). Machine
callers with ``Authorization: Bearer`` are not affected.
"""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from helpers import csrf, login
from ioc.core.models import AuditLog

# The JSON write doors the review found open to a cookie + text/plain + foreign Origin.
DOORS: dict[str, dict[str, list[object]]] = {
    "/api/v1/public-services/dossiers": {"dossiers": []},
    "/api/v1/security/events": {"events": []},
    "/api/v1/traffic/incidents": {"incidents": []},
    "/api/v1/documents": {"documents": []},
    "/api/v1/observations": {"observations": []},
}
FOREIGN = "https://evil.example"
SAME = "http://testserver"  # the TestClient's own origin


@pytest.fixture
def signed_in(client: TestClient, make_user) -> TestClient:  # type: ignore[no-untyped-def]
    password = make_user("quan.tri", role="admin")
    assert login(client, "quan.tri", password).status_code == 303  # type: ignore[attr-defined]
    return client


@pytest.mark.parametrize("path", list(DOORS))
def test_cookie_with_text_plain_is_refused_415(signed_in: TestClient, path: str) -> None:
    r = signed_in.post(
        path,
        content=json.dumps(DOORS[path]),
        headers={"Content-Type": "text/plain", "Origin": FOREIGN},
    )
    assert r.status_code == 415, r.text
    detail = r.json()["detail"]
    assert "application/json" in detail and "Không hỗ trợ" in detail  # bilingual, says what to use


@pytest.mark.parametrize("ctype", ["application/x-www-form-urlencoded", "multipart/form-data"])
def test_form_encodings_are_not_json_either(signed_in: TestClient, ctype: str) -> None:
    r = signed_in.post(
        "/api/v1/security/events", content=b"events=1", headers={"Content-Type": ctype}
    )
    assert r.status_code == 415


@pytest.mark.parametrize("path", list(DOORS))
def test_cookie_with_json_from_a_foreign_origin_is_refused_403(
    signed_in: TestClient, path: str
) -> None:
    r = signed_in.post(path, json=DOORS[path], headers={"Origin": FOREIGN})
    assert r.status_code == 403, r.text
    assert "CSRF" in r.json()["detail"]


def test_cookie_write_without_origin_or_token_is_refused(signed_in: TestClient) -> None:
    r = signed_in.post("/api/v1/security/events", json={"events": []})
    assert r.status_code == 403
    r = signed_in.post("/api/v1/security/events", json={"events": []}, headers={"Origin": "null"})
    assert r.status_code == 403
    r = signed_in.post(
        "/api/v1/security/events",
        json={"events": []},
        headers={"Sec-Fetch-Site": "cross-site", "Origin": FOREIGN},
    )
    assert r.status_code == 403


def test_a_refused_cross_site_write_is_audited(
    signed_in: TestClient, factory: sessionmaker[Session]
) -> None:
    signed_in.post("/api/v1/documents", json={"documents": []}, headers={"Origin": FOREIGN})
    with factory() as s:
        rows = s.execute(select(AuditLog).where(AuditLog.action == "access.denied")).scalars()
        denied = [(row.actor, row.detail.get("path")) for row in rows]
    assert ("quan.tri", "/api/v1/documents") in denied


@pytest.mark.parametrize("path", list(DOORS))
def test_cookie_with_json_from_the_same_origin_is_allowed(signed_in: TestClient, path: str) -> None:
    r = signed_in.post(path, json=DOORS[path], headers={"Origin": SAME})
    assert r.status_code not in (401, 403, 415), r.text


def test_same_origin_by_fetch_metadata_or_csrf_header(signed_in: TestClient) -> None:
    r = signed_in.post(
        "/api/v1/security/events", json={"events": []}, headers={"Sec-Fetch-Site": "same-origin"}
    )
    assert r.status_code == 200, r.text
    token = csrf(signed_in, "/login")
    r = signed_in.post(
        "/api/v1/security/events", json={"events": []}, headers={"X-CSRF-Token": token}
    )
    assert r.status_code == 200, r.text
    r = signed_in.post(
        "/api/v1/security/events", json={"events": []}, headers={"X-CSRF-Token": "forged.token"}
    )
    assert r.status_code == 403


def test_same_origin_through_the_public_url(client: TestClient, make_user, settings) -> None:  # type: ignore[no-untyped-def]
    """Behind a proxy the Host header may be the upstream's; the public address still counts."""
    password = make_user("quan.tri2", role="admin")
    login(client, "quan.tri2", password)
    origin = settings.public_url.rstrip("/")
    r = client.post("/api/v1/security/events", json={"events": []}, headers={"Origin": origin})
    assert r.status_code == 200, r.text


def test_bearer_tokens_are_unaffected(client: TestClient, ingest_token: str) -> None:
    auth = {"Authorization": f"Bearer {ingest_token}"}
    r = client.post(
        "/api/v1/security/events", json={"events": []}, headers={**auth, "Origin": FOREIGN}
    )
    assert r.status_code == 200, r.text
    csv = "indicator,entity,time,value\n"
    r = client.post(
        "/api/v1/observations", content=csv, headers={**auth, "Content-Type": "text/csv"}
    )
    assert r.status_code not in (403, 415), r.text
    # The content rule holds for tokens too: text/plain is no JSON.
    r = client.post(
        "/api/v1/security/events",
        content=b'{"events": []}',
        headers={**auth, "Content-Type": "text/plain"},
    )
    assert r.status_code == 415


def test_ngsi_ld_takes_json_ld_and_answers_problems(signed_in: TestClient) -> None:
    doc = {"id": "urn:ngsi-ld:AirQualityObserved:X", "type": "AirQualityObserved"}
    r = signed_in.post(
        "/ngsi-ld/v1/entities",
        content=json.dumps(doc),
        headers={"Content-Type": "text/plain", "Origin": FOREIGN},
    )
    assert r.status_code == 415 and r.headers["content-type"] == "application/problem+json"
    r = signed_in.post(
        "/ngsi-ld/v1/entities",
        content=json.dumps(doc),
        headers={"Content-Type": "application/json", "Origin": FOREIGN},
    )
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    r = signed_in.post(
        "/ngsi-ld/v1/entities",
        content=json.dumps(
            {**doc, "@context": "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld"}
        ),
        headers={"Content-Type": "application/ld+json", "Origin": SAME},
    )
    assert r.status_code not in (403, 415), r.text


def test_reads_and_pages_are_not_affected(signed_in: TestClient) -> None:
    r = signed_in.get("/api/v1/environment/stations", headers={"Origin": FOREIGN})
    assert r.status_code == 200
    # Page forms keep their own CSRF field (checked by each form), not this rule.
    token = csrf(signed_in, "/")
    r = signed_in.post(
        "/logout", data={"csrf_token": token}, headers={"Origin": SAME}, follow_redirects=False
    )
    assert r.status_code == 303
