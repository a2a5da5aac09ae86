"""Documents in, retried: a batch sent again with the same ``Idempotency-Key`` (a retry after a
lost answer) gets the first answer back and writes nothing; the same key with another body is
refused, and the key is the documents door's own."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from test_doc_ingest import count, doc

from ioc.core.models import AuditLog


def post(client: TestClient, token: str, docs: list[Any], key: str, **params: str) -> Any:
    return client.post(
        "/api/v1/documents",
        json={"documents": docs},
        params=params,
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
    )


def audits(factory: sessionmaker[Session]) -> int:
    with factory() as s:
        return s.execute(select(func.count()).select_from(AuditLog)).scalar_one()


def test_a_retry_with_the_same_key_gets_the_first_answer_and_writes_nothing(
    client: TestClient, ingest_token: str, factory: sessionmaker[Session], frozen_now: datetime
) -> None:
    batch = [doc(), doc(id="QLVB-SXD-2026-0002", number="12/SXD")]
    first = post(client, ingest_token, batch, "lo-2026-03-10-01")
    assert first.status_code == 200, first.text
    assert first.json()["created"] == 2
    assert "Idempotent-Replayed" not in first.headers
    stored, audited = count(factory), audits(factory)

    again = post(client, ingest_token, batch, "lo-2026-03-10-01")
    # The first answer (2 created), not that of a new run (2 unchanged).
    assert again.status_code == 200 and again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count(factory) == stored == 2 and audits(factory) == audited

    # The same key with another body is refused and stores nothing.
    other = post(client, ingest_token, [doc(id="QLVB-SXD-2026-0003")], "lo-2026-03-10-01")
    assert other.status_code == 409
    assert count(factory) == 2 and audits(factory) == audited


def test_a_refused_atomic_batch_is_replayed_too_and_keys_are_per_door(
    client: TestClient, ingest_token: str, factory: sessionmaker[Session], frozen_now: datetime
) -> None:
    bad = [doc(), doc(id="QLVB-SXD-2026-0002", direction="sideways")]
    first = post(client, ingest_token, bad, "lo-atomic", atomic="true")
    assert first.status_code == 422 and count(factory) == 0
    again = post(client, ingest_token, bad, "lo-atomic", atomic="true")
    assert again.status_code == 422 and again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true" and count(factory) == 0
    # The same key on the observations door is another key: no documents answer comes back.
    r = client.post(
        "/api/v1/observations",
        json={"observations": []},
        headers={"Authorization": f"Bearer {ingest_token}", "Idempotency-Key": "lo-atomic"},
    )
    assert "Idempotent-Replayed" not in r.headers
