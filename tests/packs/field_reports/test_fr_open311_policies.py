"""Open311 requests without contacts or without a point (issue 14, point 11).

GeoReport v2 allows both: an anonymous request is tracked by its code alone, and an address
may stand for the location. Each is a setting; discovery says which policy applies.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from fr_helpers import Submit
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.packs.field_reports import routing, service
from ioc.packs.field_reports.models import Report, ReportEvent

BASE = "/open311/v2"


@pytest.fixture
def api(client: TestClient, fr_policy: service.Policy) -> TestClient:
    service.configure(fr_policy)
    return client


def post(api: TestClient, **fields: Any) -> Any:
    return api.post(f"{BASE}/requests.json", data=fields)


def _form(token: str, **changes: Any) -> dict[str, Any]:
    form = {
        "api_key": token,
        "service_code": "duong-hu-hong",
        "lat": "12.6745",
        "long": "108.0475",
        "description": "Ổ gà lớn giữa đường",
    }
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def test_anonymous_request_is_accepted_and_tracked_by_its_code(
    ingest_token: str, api: TestClient, fr: Submit, db: Session
) -> None:
    db.commit()
    r = post(api, **_form(ingest_token))
    assert r.status_code == 200, r.text
    code = r.json()[0]["service_request_id"]
    report = db.execute(select(Report).where(Report.code == code)).scalar_one()
    assert report.reporter_email is None and report.reporter_phone is None
    assert report.area_code == "24133"
    # Tracked by its code (the token of a realtime service), with no personal data.
    item = api.get(f"{BASE}/requests/{code}.json").json()[0]
    assert item["service_request_id"] == code and item["status"] == "open"
    assert "Người dùng ứng dụng" not in str(item)


def test_a_province_may_require_a_contact(
    ingest_token: str, api: TestClient, fr: Submit, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    db.commit()
    monkeypatch.setattr(api.app.state.settings, "fr_open311_allow_anonymous", False)  # type: ignore[attr-defined]
    r = post(api, **_form(ingest_token))
    assert r.status_code == 400
    assert r.json()[0]["description"].startswith("email")
    assert post(api, **_form(ingest_token, phone="0912345678")).status_code == 200
    discovery = api.get(f"{BASE}/discovery.json").json()
    assert discovery["requirements"]["anonymous_requests"] == "email_or_phone"


def test_address_without_a_commune_goes_to_the_ioc_for_triage(
    ingest_token: str, api: TestClient, fr: Submit, db: Session
) -> None:
    db.commit()
    form = _form(ingest_token, lat=None, long=None, address_string="Ngã ba chợ, thôn 3")
    r = post(api, **form)
    assert r.status_code == 200, r.text
    code = r.json()[0]["service_request_id"]
    report = db.execute(select(Report).where(Report.code == code)).scalar_one()
    # Filed under the province, not under a commune whose agency would receive it by mistake.
    assert report.area_code == routing.PROVINCE_CODE
    assert report.address == "Ngã ba chợ, thôn 3"
    notes = db.execute(select(ReportEvent.note).where(ReportEvent.report_id == report.id)).scalars()
    assert any(n and "không xác định được xã/phường" in n for n in notes)
    # An address that names a commune is filed there.
    named = post(
        api, **_form(ingest_token, lat=None, long=None, address_string="12 Y Jút, phường Tân Lập")
    )
    assert named.status_code == 200, named.text
    placed = db.execute(
        select(Report).where(Report.code == named.json()[0]["service_request_id"])
    ).scalar_one()
    assert placed.area_code != routing.PROVINCE_CODE


def test_a_province_may_require_a_point(
    ingest_token: str, api: TestClient, fr: Submit, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    db.commit()
    monkeypatch.setattr(api.app.state.settings, "fr_open311_allow_address_only", False)  # type: ignore[attr-defined]
    r = post(api, **_form(ingest_token, lat=None, long=None, address_string="phường Tân Lập"))
    assert r.status_code == 400 and r.json()[0]["description"].startswith("lat")
    discovery = api.get(f"{BASE}/discovery.json").json()
    assert discovery["requirements"]["location"] == "lat_long"
    xml = api.get(f"{BASE}/discovery.xml")
    assert xml.status_code == 200 and b"<location>lat_long</location>" in xml.content


def test_anonymous_report_is_tracked_by_its_token_without_personal_data(
    ingest_token: str, api: TestClient, fr: Submit, db: Session
) -> None:
    """A name may come without any contact: the report is tracked by its token, and neither the
    name nor anything else about the reporter appears in any Open311 answer (JSON or XML)."""
    db.commit()
    form = _form(ingest_token, first_name="Nguyễn Thị", last_name="Hoà", lat=None, long=None)
    form["address_string"] = "Số 7 ngõ Bích Câu, phường Tân Lập"
    r = post(api, **form)
    assert r.status_code == 200, r.text
    (created,) = r.json()
    code = created["service_request_id"]
    report = db.execute(select(Report).where(Report.code == code)).scalar_one()
    assert report.reporter_name == "Nguyễn Thị Hoà"  # kept for the IOC staff only
    assert report.reporter_email is None and report.reporter_phone is None
    token = api.get(f"{BASE}/tokens/{code}.json")
    assert token.status_code == 200
    assert token.json() == [{"service_request_id": code, "token": code}]
    answers = [
        r.text,
        token.text,
        api.get(f"{BASE}/tokens/{code}.xml").text,
        api.get(f"{BASE}/requests/{code}.json").text,
        api.get(f"{BASE}/requests/{code}.xml").text,
        api.get(f"{BASE}/requests.json", params={"service_request_id": code}).text,
        api.get(f"{BASE}/servicerequestupdates.json").text,
    ]
    (item,) = api.get(f"{BASE}/requests/{code}.json").json()
    assert item["service_request_id"] == code and item["status"] == "open"
    for text in answers:
        assert "Nguyễn" not in text and "Hoà" not in text
        assert "email" not in text and "phone" not in text
