"""Rate limits of the citizens' doors behind a reverse proxy: the public form counts per
citizen (the client named by a trusted proxy), Open311 POST per API key and per client address;
a refusal is 429 with Retry-After."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from fr_helpers import BMT, Submit
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from test_fr_pages_public import form_data

from helpers import csrf
from ioc.app import create_app
from ioc.packs.field_reports import service
from ioc.packs.field_reports.models import Report
from ioc.settings import Settings

PROXY = "10.0.0.7"


@pytest.fixture
def behind_proxy(
    settings: Settings, engine: Engine, fr_policy: service.Policy
) -> Iterator[TestClient]:
    """The app behind a trusted nginx at 10.0.0.7 (every connection comes from it)."""
    served = settings.model_copy(
        update={
            "trusted_proxies": [PROXY],
            "fr_open311_rate_per_key": 3,
            "fr_open311_rate_per_address": 2,
        }
    )
    client = TestClient(
        create_app(served, engine), raise_server_exceptions=False, client=(PROXY, 40000)
    )
    service.configure(fr_policy)  # building the app applied the settings' policy
    yield client


def send_as(client: TestClient, citizen: str) -> object:
    """The public form sent by ``citizen`` through the proxy."""
    token = csrf(client, "/phan-anh/gui")
    return client.post(
        "/phan-anh/gui",
        data=form_data(token),
        headers={"X-Forwarded-For": f"203.0.113.99, {citizen}"},
    )


def reports(db: Session) -> int:
    db.expire_all()
    return db.execute(select(func.count(Report.id))).scalar_one()


def test_the_form_limit_counts_per_citizen_not_per_proxy(
    behind_proxy: TestClient, db: Session, fr: Submit
) -> None:
    db.commit()
    service.configure(service.with_policy(rate_limit_per_hour=1))
    assert send_as(behind_proxy, "198.51.100.1").status_code == 200  # type: ignore[attr-defined]
    # Another citizen behind the same proxy has a bucket of their own …
    assert send_as(behind_proxy, "198.51.100.2").status_code == 200  # type: ignore[attr-defined]
    # … and the first one, again within the hour, is told to wait.
    again = send_as(behind_proxy, "198.51.100.1")
    assert again.status_code == 429  # type: ignore[attr-defined]
    assert "quá nhiều phản ánh" in again.text  # type: ignore[attr-defined]
    assert 0 < int(again.headers["retry-after"]) <= 3600  # type: ignore[attr-defined]
    assert reports(db) == 2


def test_a_spoofed_forwarded_for_does_not_escape_the_limit(
    behind_proxy: TestClient, db: Session, fr: Submit
) -> None:
    """The client writes what it likes on the left of X-Forwarded-For; the proxy appends the
    real address on the right, and only that one counts."""
    db.commit()
    service.configure(service.with_policy(rate_limit_per_hour=1))
    token = csrf(behind_proxy, "/phan-anh/gui")
    for fake in ("1.1.1.1", "2.2.2.2"):
        r = behind_proxy.post(
            "/phan-anh/gui",
            data=form_data(token),
            headers={"X-Forwarded-For": f"{fake}, 198.51.100.9"},
        )
    assert r.status_code == 429
    assert reports(db) == 1


def test_forwarded_for_from_an_untrusted_peer_is_ignored(
    client: TestClient, db: Session, fr: Submit, fr_policy: service.Policy
) -> None:
    db.commit()
    service.configure(service.with_policy(rate_limit_per_hour=1))
    token = csrf(client, "/phan-anh/gui")
    codes = [
        client.post(
            "/phan-anh/gui", data=form_data(token), headers={"X-Forwarded-For": citizen}
        ).status_code
        for citizen in ("198.51.100.1", "198.51.100.2")
    ]
    assert codes == [200, 429]  # no trusted proxy: both are the same (direct) client


def open311(client: TestClient, api_key: str, citizen: str) -> object:
    return client.post(
        "/open311/v2/requests.json",
        data={
            "api_key": api_key,
            "service_code": "duong-hu-hong",
            "lat": "12.6745",
            "long": "108.0475",
            "description": "Ổ gà",
            "email": "a@example.vn",
            "attribute[area_code]": BMT,
        },
        headers={"X-Forwarded-For": citizen},
    )


def test_open311_posts_are_limited_per_address(
    ingest_token: str, behind_proxy: TestClient, db: Session, fr: Submit
) -> None:
    db.commit()
    codes = [
        open311(behind_proxy, ingest_token, "198.51.100.1").status_code  # type: ignore[attr-defined]
        for _ in range(3)
    ]
    assert codes == [200, 200, 429]
    refused = open311(behind_proxy, ingest_token, "198.51.100.1")
    assert refused.status_code == 429  # type: ignore[attr-defined]
    assert refused.headers["retry-after"] == "60"  # type: ignore[attr-defined]  # frozen clock
    (error,) = refused.json()  # type: ignore[attr-defined]
    assert error["code"] == 429 and "Quá nhiều" in error["description"]
    # Failed calls count too: a flood of bad requests is a flood.
    assert open311(behind_proxy, "ioc_abcd_sai", "198.51.100.5").status_code == 403  # type: ignore[attr-defined]
    assert open311(behind_proxy, "ioc_abcd_sai", "198.51.100.5").status_code == 403  # type: ignore[attr-defined]
    assert open311(behind_proxy, "ioc_abcd_sai", "198.51.100.5").status_code == 429  # type: ignore[attr-defined]
    assert reports(db) == 2


def test_open311_posts_are_limited_per_api_key(
    ingest_token: str, behind_proxy: TestClient, db: Session, fr: Submit
) -> None:
    db.commit()
    codes = [
        open311(behind_proxy, ingest_token, f"198.51.100.{n}").status_code  # type: ignore[attr-defined]
        for n in range(1, 6)
    ]
    assert codes == [200, 200, 200, 429, 429]  # three per minute for one key, any address
    assert reports(db) == 3


def test_open311_flood_is_cut_with_default_settings(
    ingest_token: str, api: TestClient, db: Session, fr: Submit
) -> None:
    """The review sent 100 POSTs in 0.8 s and all were accepted."""
    db.commit()
    codes = [open311(api, ingest_token, "x").status_code for _ in range(100)]  # type: ignore[attr-defined]
    assert 429 in codes
    assert reports(db) <= 30


@pytest.fixture
def api(client: TestClient, fr_policy: service.Policy) -> TestClient:
    service.configure(fr_policy)
    return client
