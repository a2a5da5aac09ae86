"""POST /api/v1/observations: what a station gateway or an agency's system relies on."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from helpers import sent_count
from ioc.core.models import ApiToken, AuditLog, Indicator, Series

URL = "/api/v1/observations"


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def obs(**kw: Any) -> dict[str, Any]:
    row = {
        "indicator": "pm25",
        "entity": "DL-TEST-01",
        "time": "2026-03-10T08:00:00+07:00",
        "value": 21.5,
    }
    row.update(kw)
    return {k: v for k, v in row.items() if v is not None}


def test_requires_a_token(client: TestClient, station: str) -> None:
    r = client.post(URL, json={"observations": [obs()]})
    assert r.status_code == 401
    r = client.post(URL, json={"observations": [obs()]}, headers=auth("ioc_deadbeef_nope"))
    assert r.status_code == 401


def test_json_batch_stored(
    client: TestClient, station: str, ingest_token: str, factory: sessionmaker[Session]
) -> None:
    rows = [obs(time=f"2026-03-10T{h:02d}:00:00+07:00", value=10 + h) for h in range(1, 6)]
    r = client.post(URL, json={"observations": rows}, headers=auth(ingest_token))
    assert r.status_code == 200, r.text
    assert r.json()["stored"] == 5 and r.json()["rejected"] == 0
    assert sent_count(factory) == 5


def test_csv_batch_with_units_converted(
    client: TestClient, station: str, ingest_token: str, factory: sessionmaker[Session]
) -> None:
    body = (
        "indicator,entity,time,value,unit\n"
        "no2,DL-TEST-01,2026-03-10T08:00:00+07:00,100,ppb\n"
        'co,DL-TEST-01,2026-03-10T08:00:00+07:00,"1,5",mg/m³\n'
    )
    r = client.post(
        URL, content=body.encode(), headers={**auth(ingest_token), "Content-Type": "text/csv"}
    )
    assert r.status_code == 200, r.text
    with factory() as s:
        values = s.execute(
            select(Series.latest_value)
            .join(Indicator, Indicator.id == Series.indicator_id)
            .where(Indicator.code.in_(["no2", "co"]))
        ).scalars()
        got = sorted(round(v, 1) for v in values)
    # 100 ppb NO2 × 46.0055 / 24.45 = 188.2 µg/m³; 1,5 mg/m³ CO (Vietnamese decimal comma) = 1500 µg/m³.
    assert got == [188.2, 1500.0]


def test_bad_rows_named_and_good_rows_kept(
    client: TestClient, station: str, ingest_token: str, factory: sessionmaker[Session]
) -> None:
    rows = [
        obs(),
        obs(indicator="pm99"),
        obs(time="2026-03-10T08:00:00"),  # no offset
        obs(value="nhiều"),
        obs(entity="KHONG-CO"),
        obs(value=-5),
        obs(time="2026-03-10T09:00:00+07:00", value=30),
        obs(quality="tốt"),
        obs(entity=None),
        obs(area="24133"),  # entity and area both
    ]
    r = client.post(URL, json={"observations": rows}, headers=auth(ingest_token))
    assert r.status_code == 422
    body = r.json()
    assert body["stored"] == 2 and body["mode"] == "partial"
    got = {(e["row"], e["field"], e["code"]) for e in body["errors"]}
    assert got == {
        (2, "indicator", "unknown_indicator"),
        (3, "time", "missing_offset"),
        (4, "value", "bad_number"),
        (5, "entity", "unknown_entity"),
        (6, "value", "out_of_range"),
        (8, "quality", "bad_quality"),
        (9, "entity", "required"),
        (10, "entity", "entity_and_area"),
    }
    assert all(e["message"] and e["message_en"] for e in body["errors"])
    assert sent_count(factory) == 2


def test_atomic_batch_stores_nothing_on_error(
    client: TestClient, station: str, ingest_token: str, factory: sessionmaker[Session]
) -> None:
    r = client.post(
        URL + "?atomic=true",
        json={"observations": [obs(), obs(value="x")]},
        headers=auth(ingest_token),
    )
    assert r.status_code == 422
    assert r.json()["stored"] == 0 and r.json()["mode"] == "atomic"
    assert sent_count(factory) == 0


def test_idempotency_key_stores_once(
    client: TestClient, station: str, ingest_token: str, factory: sessionmaker[Session]
) -> None:
    body = {"observations": [obs(value=1), obs(time="2026-03-10T09:00:00+07:00", value=2)]}
    headers = {**auth(ingest_token), "Idempotency-Key": "batch-2026-03-10-08"}
    first = client.post(URL, json=body, headers=headers)
    second = client.post(URL, json=body, headers=headers)
    assert first.status_code == second.status_code == 200
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert second.json() == first.json()
    assert sent_count(factory) == 2
    other = client.post(URL, json={"observations": [obs(value=3)]}, headers=headers)
    assert other.status_code == 409


def test_area_series(client: TestClient, ingest_token: str, factory: sessionmaker[Session]) -> None:
    r = client.post(
        URL,
        json={
            "observations": [
                {"indicator": "pm25", "area": "24133", "time": "2026-03-10T08:00:00Z", "value": 9}
            ]
        },
        headers=auth(ingest_token),
    )
    assert r.status_code == 200, r.text
    with factory() as s:
        series = s.execute(select(Series)).scalar_one()
        assert (series.subject_kind, series.subject_code) == ("area", "24133")


def test_derived_indicator_refused(client: TestClient, station: str, ingest_token: str) -> None:
    r = client.post(
        URL,
        json={"observations": [obs(indicator="vn_wqi", value=50)]},
        headers=auth(ingest_token),
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["code"] == "derived_indicator"


@pytest.mark.parametrize(
    ("content", "ctype", "status"),
    [
        (b"{not json", "application/json", 400),
        (b'{"observations": 5}', "application/json", 400),
        (b"[1, 2]", "application/json", 400),
        (b"", "application/json", 400),
        (b'{"observations": [1, "x", null, []]}', "application/json", 422),
        (b'{"observations": [{"value": {"a": 1}}]}', "application/json", 422),
        (
            b'{"observations": [{"indicator": ["pm25"], "entity": {}, "time": 5, "value": true}]}',
            "application/json",
            422,
        ),
        (
            b'{"observations": [{"indicator": "pm25", "entity": "DL-TEST-01", "time": "2026-03-10T08:00:00+07:00", "value": 1e999}]}',
            "application/json",
            422,  # the row is refused (not finite), not the whole batch
        ),
        (b"\xff\xfe\x00garbage", "text/csv", 400),
        (b"a,b,c\n1,2,3\n", "text/csv", 400),
        (
            b"indicator,entity,time,value\npm25,DL-TEST-01,2026-03-10T08:00:00+07:00,1,EXTRA\n",
            "text/csv",
            422,
        ),
        (b"<xml/>", "application/xml", 415),
    ],
)
def test_malformed_input_gets_4xx_never_500(
    client: TestClient, station: str, ingest_token: str, content: bytes, ctype: str, status: int
) -> None:
    r = client.post(URL, content=content, headers={**auth(ingest_token), "Content-Type": ctype})
    assert r.status_code == status, r.text
    assert r.json()


def test_batch_size_limit(
    client: TestClient, station: str, ingest_token: str, settings: Any
) -> None:
    rows = [obs()] * (settings.ingest_max_rows + 1)
    r = client.post(
        URL,
        content=orjson.dumps({"observations": rows}),
        headers={**auth(ingest_token), "Content-Type": "application/json"},
    )
    assert r.status_code == 413


def test_each_batch_is_audited_once_with_its_sender(
    client: TestClient, station: str, ingest_token: str, factory: sessionmaker[Session]
) -> None:
    rows = [obs(), obs(time="2026-03-10T09:00:00+07:00"), obs(value="x")]
    client.post(URL, json={"observations": rows}, headers=auth(ingest_token))
    with factory() as s:
        (entry,) = s.execute(
            select(AuditLog).where(AuditLog.action == "observations.ingest")
        ).scalars()
        token = s.execute(select(ApiToken)).scalar_one()
    assert entry.actor.startswith("gateway (token ")
    assert entry.detail == {"source": "api", "received": 3, "stored": 2, "rejected": 1}
    assert token.last_used_at is not None


def test_out_of_range_number_is_a_row_error_not_a_lost_batch(
    client: TestClient, station: str, ingest_token: str, factory: sessionmaker[Session]
) -> None:
    """``1e309`` is valid JSON but no double: only its row is refused, the others are kept."""
    body = (
        b'{"observations": ['
        b'{"indicator": "pm25", "entity": "DL-TEST-01", "time": "2026-03-01T08:00:00+07:00",'
        b' "value": 1e309},'
        b'{"indicator": "pm25", "entity": "DL-TEST-01", "time": "2026-03-01T09:00:00+07:00",'
        b' "value": 31.5},'
        b'{"indicator": "pm25", "entity": "DL-TEST-01", "time": "2026-03-01T10:00:00+07:00",'
        b' "value": 1' + b"0" * 400 + b"}]}"
    )
    r = client.post(
        "/api/v1/observations",
        content=body,
        headers={"Authorization": f"Bearer {ingest_token}", "Content-Type": "application/json"},
    )
    assert r.status_code == 422, r.text
    doc = r.json()
    assert doc["stored"] == 1
    assert [(e["row"], e["field"], e["code"]) for e in doc["errors"]] == [
        (1, "value", "not_finite"),
        (3, "value", "not_finite"),
    ]
    assert sent_count(factory) == 1


def test_duplicate_rows_in_a_batch_are_named(
    client: TestClient, station: str, ingest_token: str, factory: sessionmaker[Session]
) -> None:
    row = {"indicator": "pm25", "entity": "DL-TEST-01", "time": "2026-03-01T08:00:00+07:00"}
    r = client.post(
        "/api/v1/observations",
        json={"observations": [{**row, "value": 10}, {**row, "value": 12}, {**row, "value": 14}]},
        headers={"Authorization": f"Bearer {ingest_token}"},
    )
    assert r.status_code == 200, r.text
    doc = r.json()
    assert (doc["received"], doc["stored"], doc["rejected"], doc["duplicates"]) == (3, 1, 0, 2)
    assert [(w["row"], w["code"]) for w in doc["warnings"]] == [
        (1, "duplicate_in_batch"),
        (2, "duplicate_in_batch"),
    ]
    assert "3" in doc["warnings"][0]["message"]
    with factory() as s:
        assert (
            s.execute(
                select(Series.latest_value).join(Indicator).where(Indicator.code == "pm25")
            ).scalar_one()
            == 14
        )
