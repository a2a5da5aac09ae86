"""The Government reporting export: one JSON per period keyed by indicator code, with unit,
period, value and the official code taken from the mapping data."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from od_helpers import operator_client, series, write
from sqlalchemy.orm import Session, sessionmaker

from ioc.core import clock
from ioc.packs.open_data import gov_export


def _month_start(year: int, month: int) -> int:
    return int(datetime(year, month, 1, tzinfo=UTC).timestamp()) - clock.fixed_offset_seconds()


def test_export_per_period(
    factory: sessionmaker[Session],
    client: TestClient,
    make_user,
    frozen_now: datetime,  # type: ignore[no-untyped-def]
) -> None:
    with factory() as db, db.begin():
        s = series(db, "se_budget_revenue", "area", "66")
        write(
            db,
            s,
            [
                (_month_start(2026, 1), 1200.0, 0),
                (_month_start(2026, 2), 900.5, 0),
                (_month_start(2026, 3), 50.0, 0),
            ],
            end=False,
        )
    operator_client(client, make_user)
    resp = client.get("/api/v1/open-data/gov-report", params={"period": "2026-02"})
    assert resp.status_code == 200
    doc = resp.json()
    assert doc["schema"] == gov_export.SCHEMA
    assert doc["period"] == {
        "key": "2026-02",
        "kind": "month",
        "start": "2026-02-01",
        "end": "2026-02-28",
        "label_vi": "Tháng 02/2026",
    }
    entry = doc["indicators"]["se_budget_revenue"]
    assert entry["value"] == 900.5
    assert entry["unit"] == "tỷ đồng"
    assert entry["period"] == "2026-02"
    assert entry["official_code"] == gov_export.mapping()["se_budget_revenue"]["official_code"]
    # A mapped indicator without a value is listed, not silently dropped.
    assert doc["indicators"]["se_exports"]["value"] is None
    # Yearly indicators are not part of a month's export.
    assert all(v["frequency"] != "P1Y" for v in doc["indicators"].values())
    quarter = client.get("/api/v1/open-data/gov-report", params={"period": "2026-Q1"}).json()
    assert quarter["period"]["kind"] == "quarter"
    q_value = quarter["indicators"]["se_budget_revenue"]["value"]
    aggregation = quarter["indicators"]["se_budget_revenue"]["aggregation"]
    assert q_value == (1200.0 + 900.5 + 50.0 if aggregation == "sum" else 50.0)


def test_bad_period_and_anonymous(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    assert (
        client.get("/api/v1/open-data/gov-report", params={"period": "2026-02"}).status_code == 401
    )
    operator_client(client, make_user)
    bad = client.get("/api/v1/open-data/gov-report", params={"period": "2026-13"})
    assert bad.status_code == 422
    assert "period" in bad.text
