"""Open311 GeoReport v2: discovery, services, requests (read and create), tokens, updates;
errors as the spec says; no personal data in any response; a third-party client
(PyPI ``georeport`` 0.3.1) reads our server in XML and JSON."""

from __future__ import annotations

import re
import socket
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from fr_helpers import BMT, REPORTER, STAFF, Submit, png_bytes
from georeport import GeoReport
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.packs.field_reports import service
from ioc.packs.field_reports.models import Photo, Report, ReportEvent

BASE = "/open311/v2"
CITIZEN = service.citizen_actor()


@pytest.fixture
def api(client: TestClient, fr_policy: service.Policy) -> TestClient:
    """The app's client with the pack writing photos to the test's folder (building the app
    applies the settings' policy, so the test policy is applied again)."""
    service.configure(fr_policy)
    return client


def xml_of(response: Any) -> ET.Element:
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(response.content)  # noqa: S314 - our own server's output


def published_report(db: Session, fr: Submit, **overrides: Any) -> Report:
    """A report answered, published, with a published photo."""
    r = fr(photos=[png_bytes()], **overrides).report
    service.assign(db, STAFF, r)
    service.answer(db, STAFF, r, "Đã vá ổ gà ngày 09/3")
    service.publish(db, STAFF, r)
    photo = db.execute(select(Photo).where(Photo.report_id == r.id)).scalar_one()
    service.publish_photo(db, STAFF, photo)
    return r


# --- discovery and services -------------------------------------------------------------------


def test_discovery_in_both_formats(api: TestClient, fr: Submit, db: Session) -> None:
    db.commit()
    data = api.get(f"{BASE}/discovery.json").json()
    assert set(data) == {"changeset", "contact", "key_service", "endpoints", "requirements"}
    assert data["requirements"]["anonymous_requests"] == "accepted"
    assert data["requirements"]["location"] == "lat_long_or_address"
    (endpoint,) = data["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2") and endpoint["type"] == "production"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00", data["changeset"])

    root = xml_of(api.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    formats = [f.text for f in root.findall("endpoints/endpoint/formats/format")]
    assert formats == ["text/xml", "application/json"]


def test_services_list_and_definition(api: TestClient, fr: Submit, db: Session) -> None:
    db.commit()
    services = api.get(f"{BASE}/services.json").json()
    by_code = {s["service_code"]: s for s in services}
    pothole = by_code["duong-hu-hong"]
    assert pothole == {
        "service_code": "duong-hu-hong",
        "service_name": "Hư hỏng đường, ổ gà",
        "description": "Ổ gà, sụt lún, nứt vỡ mặt đường, vỉa hè, cầu cống hư hỏng",
        "metadata": True,
        "type": "realtime",
        "keywords": "road damage, potholes",
        "group": "ha-tang",
    }
    assert all(isinstance(s["service_code"], str) for s in services)

    root = xml_of(api.get(f"{BASE}/services.xml"))
    assert root.tag == "services"
    codes = [s.findtext("service_code") for s in root.findall("service")]
    assert codes == [s["service_code"] for s in services]
    first = root.find("service")
    assert first is not None and first.findtext("metadata") == "true"

    definition = api.get(f"{BASE}/services/ngap-ung.json").json()
    assert definition["service_code"] == "ngap-ung"
    (area,) = definition["attributes"]
    assert {k: v for k, v in area.items() if k not in ("values", "description")} == {
        "variable": True,
        "code": "area_code",
        "datatype": "singlevaluelist",
        "required": False,
        "datatype_description": "Mã xã/phường (đơn vị hành chính) / commune code",
        "order": 1,
    }
    assert len(area["values"]) == 102
    assert {"key": "24133", "name": "Phường Buôn Ma Thuột"} in area["values"]
    root = xml_of(api.get(f"{BASE}/services/ngap-ung.xml"))
    assert root.tag == "service_definition"
    keys = [v.findtext("key") for v in root.findall("attributes/attribute/values/value")]
    assert len(keys) == 102 and "24121" in keys


def test_errors_follow_the_spec(api: TestClient, fr: Submit, db: Session) -> None:
    db.commit()
    r = api.get(f"{BASE}/services/khong-co.json")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/json; charset=utf-8"
    (error,) = r.json()
    assert error["code"] == 404 and "khong-co" in error["description"]

    r = api.get(f"{BASE}/services/khong-co.xml")
    assert r.status_code == 404
    root = xml_of(r)
    assert root.tag == "errors" and root.findtext("error/code") == "404"

    # Single jurisdiction: optional, an empty one is like none, a wrong one is unknown.
    assert api.get(f"{BASE}/services.json?jurisdiction_id=daklak.gov.vn").status_code == 200
    assert api.get(f"{BASE}/services.json?jurisdiction_id=").status_code == 200
    r = api.get(f"{BASE}/services.xml?jurisdiction_id=chicago.gov")
    assert r.status_code == 404 and xml_of(r).findtext("error/code") == "404"

    # An unknown format answers in XML, the required format.
    r = api.get(f"{BASE}/services.csv")
    assert r.status_code == 404 and xml_of(r).tag == "errors"


# --- reading requests -------------------------------------------------------------------------


def test_request_fields(api: TestClient, fr: Submit, db: Session) -> None:
    r = published_report(db, fr)
    open_one = fr(description="Cống thoát nước bị tắc", category_code="ngap-ung").report
    service.assign(db, STAFF, open_one)
    db.commit()

    (item,) = api.get(f"{BASE}/requests/{r.code}.json").json()
    photo_id = db.execute(select(Photo.id).where(Photo.report_id == r.id)).scalar_one()
    assert item["service_request_id"] == r.code
    assert item["status"] == "closed"
    assert item["status_notes"] == "Đã vá ổ gà ngày 09/3"
    assert item["service_code"] == "duong-hu-hong"
    assert item["service_name"] == "Hư hỏng đường, ổ gà"
    assert item["agency_responsible"] == "Ủy ban nhân dân phường Buôn Ma Thuột"
    assert item["requested_datetime"] == "2026-03-10T12:00:00+07:00"
    assert item["updated_datetime"] == "2026-03-10T12:00:00+07:00"  # the closing time
    assert item["expected_datetime"] is None  # no deadline once closed
    assert item["lat"] == 12.6745 and item["long"] == 108.0475
    assert item["media_url"].endswith(f"/field-reports/photos/{photo_id}")
    assert item["address"] == "Đường Lê Duẩn, phường Buôn Ma Thuột"

    (item,) = api.get(f"{BASE}/requests/{open_one.code.lower()}.json").json()
    assert item["status"] == "open" and item["status_notes"] == "Đã chuyển đơn vị xử lý"
    # expected_datetime is the handling deadline (hạn xử lý), in Vietnam time.
    due_local = datetime.fromisoformat(item["expected_datetime"])
    assert due_local == open_one.due_at and item["expected_datetime"].endswith("+07:00")
    assert item["media_url"] is None

    root = xml_of(api.get(f"{BASE}/requests/{r.code}.xml"))
    assert root.tag == "service_requests"
    (req,) = root.findall("request")
    assert req.findtext("service_request_id") == r.code and req.findtext("status") == "closed"
    assert req.findtext("expected_datetime") == "" and req.findtext("lat") == "12.6745"

    r404 = api.get(f"{BASE}/requests/PA-2026-999999.json")
    assert r404.status_code == 404 and r404.json()[0]["code"] == 404


def test_request_filters(api: TestClient, fr: Submit, db: Session, frozen_now: datetime) -> None:
    old = fr(at=frozen_now - timedelta(days=100)).report
    week = fr(at=frozen_now - timedelta(days=7), category_code="rac-thai").report
    today = fr().report
    service.reject(db, STAFF, today, "Không thuộc phạm vi")
    db.commit()

    def codes(query: str) -> list[str]:
        response = api.get(f"{BASE}/requests.json?{query}")
        assert response.status_code == 200, response.text
        return [i["service_request_id"] for i in response.json()]

    # Default: the last 90 days, newest first.
    assert codes("") == [today.code, week.code]
    assert codes("status=open") == [week.code]
    assert codes("status=closed") == [today.code]
    assert codes("status=open,closed") == [today.code, week.code]
    assert codes("service_code=rac-thai") == [week.code]
    assert codes("service_code=rac-thai,duong-hu-hong") == [today.code, week.code]
    # Empty parameters behave like absent ones.
    assert codes("status=&service_code=&start_date=&end_date=") == [today.code, week.code]
    assert codes("start_date=2025-11-15T00:00:00%2B07:00&end_date=2026-02-01T00:00:00Z") == [
        old.code
    ]
    assert codes("start_date=2026-03-09") == [today.code]
    # The id list overrides every other filter.
    assert codes(f"service_request_id={old.code},{today.code}&status=open") == [
        today.code,
        old.code,
    ]
    assert codes("page_size=1&page=2") == [week.code]

    r = api.get(f"{BASE}/requests.json?start_date=2025-01-01T00:00:00Z&end_date=2026-01-01")
    assert r.status_code == 400 and "90" in r.json()[0]["description"]
    r = api.get(f"{BASE}/requests.xml?start_date=hôm-qua")
    assert r.status_code == 400 and "start_date" in (xml_of(r).findtext("error/description") or "")
    r = api.get(f"{BASE}/requests.json?status=pending")
    assert r.status_code == 400 and r.json()[0]["description"].startswith("status")


def test_hidden_reports_show_only_code_and_status(api: TestClient, fr: Submit, db: Session) -> None:
    r = fr().report
    service.hide(db, STAFF, r, "Nội dung xúc phạm")
    db.commit()
    assert api.get(f"{BASE}/requests.json").json() == []
    (item,) = api.get(f"{BASE}/requests/{r.code}.json").json()
    assert item["service_request_id"] == r.code and item["status"] == "open"
    assert item["description"] is None and item["lat"] is None


def test_token_lookup(api: TestClient, fr: Submit, db: Session) -> None:
    r = fr().report
    db.commit()
    assert api.get(f"{BASE}/tokens/{r.code}.json").json() == [
        {"service_request_id": r.code, "token": r.code}
    ]
    assert api.get(f"{BASE}/tokens/nope.xml").status_code == 404


def test_service_request_updates(api: TestClient, fr: Submit, db: Session) -> None:
    r = published_report(db, fr)
    service.add_note(db, STAFF, r, "Ghi chú nội bộ, không công khai")
    db.commit()
    updates = api.get(f"{BASE}/servicerequestupdates.json").json()
    assert [(u["service_request_id"], u["status"], u["external_status_code"]) for u in updates] == [
        (r.code, "open", "received"),
        (r.code, "open", "assigned"),
        (r.code, "fixed", "published"),
    ]
    assert updates[1]["description"] == "Chuyển đơn vị xử lý: Ủy ban nhân dân phường Buôn Ma Thuột"
    assert updates[2]["description"].endswith("Đã vá ổ gà ngày 09/3")
    assert all(u["updated_datetime"].endswith("+07:00") for u in updates)
    events = db.execute(
        select(ReportEvent.id).where(ReportEvent.public.is_(True)).order_by(ReportEvent.id)
    ).scalars()
    assert [u["update_id"] for u in updates] == [str(i) for i in events]
    body = api.get(f"{BASE}/servicerequestupdates.xml").text
    assert "nội bộ" not in body and body.count("<request_update>") == 3


# --- creating requests ------------------------------------------------------------------------


def post(api: TestClient, fmt: str = "json", **fields: Any) -> Any:
    return api.post(f"{BASE}/requests.{fmt}", data=fields)


def test_post_needs_a_valid_api_key(api: TestClient, fr: Submit, db: Session) -> None:
    db.commit()
    form = {"service_code": "duong-hu-hong", "lat": "12.6745", "long": "108.0475"}
    r = post(api, "xml", **form)
    assert r.status_code == 403 and xml_of(r).findtext("error/code") == "403"
    r = post(api, api_key="ioc_abcd_sai", **form)
    assert r.status_code == 403 and "api_key" in r.json()[0]["description"]
    r = api.post(f"{BASE}/requests.json?api_key=", data=form)
    assert r.status_code == 403
    assert db.execute(select(Report)).first() is None


def test_post_creates_a_report(ingest_token: str, api: TestClient, fr: Submit, db: Session) -> None:
    db.commit()
    r = post(
        api,
        api_key=ingest_token,
        service_code="duong-hu-hong",
        lat="12.6745",
        long="108.0475",
        address_string="Đường Lê Duẩn",
        description="Ổ gà sâu trước cổng trường",
        **{"attribute[area_code]": BMT},
        first_name="Nguyễn Thị",
        last_name="Hoa",
        email="hoa.nguyen@example.vn",
        phone="0905 123 456",
        media_url="https://anh.example.vn/o-ga.jpg",
        device_id="",
    )
    assert r.status_code == 200, r.text
    (item,) = r.json()
    assert set(item) == {"service_request_id", "service_notice", "account_id"}
    assert "token" not in item
    db.expire_all()
    report = db.execute(select(Report)).scalar_one()
    assert item["service_request_id"] == report.code
    assert report.channel == "open311" and report.area_code == BMT
    assert (report.reporter_name, report.reporter_email, report.reporter_phone) == (
        "Nguyễn Thị Hoa",
        "hoa.nguyen@example.vn",
        "0905123456",
    )
    # media_url is kept for the IOC staff only, as an internal note.
    notes = db.execute(
        select(ReportEvent.note, ReportEvent.public).where(ReportEvent.kind == "note")
    ).one()
    assert "https://anh.example.vn/o-ga.jpg" in (notes[0] or "") and notes[1] is False

    # The same in XML without a point: a commune named in the address (without diacritics)
    # is the commune and its reference point the location; the API key may come in the query
    # string.
    r = api.post(
        f"{BASE}/requests.xml?api_key={ingest_token}",
        data={
            "service_code": "rac-thai",
            "address_string": "So 5 Nguyen Tat Thanh, phuong Tan Lap, Dak Lak",
            "description": "Rác tồn đọng nhiều ngày",
            "phone": "0905123457",
        },
    )
    assert r.status_code == 200, r.text
    code = xml_of(r).findtext("request/service_request_id")
    created = db.execute(select(Report).where(Report.code == code)).scalar_one()
    assert created.area_code == "24121" and created.reporter_name.endswith("(Open311)")


def test_post_input_errors(ingest_token: str, api: TestClient, fr: Submit, db: Session) -> None:
    db.commit()
    good = {
        "api_key": ingest_token,
        "service_code": "duong-hu-hong",
        "lat": "12.6745",
        "long": "108.0475",
        "description": "Ổ gà",
        "email": "a@example.vn",
        "attribute[area_code]": BMT,
    }

    def error(status: int, **changes: Any) -> str:
        form = {k: v for k, v in {**good, **changes}.items() if v is not None}
        r = post(api, **form)
        assert r.status_code == status, r.text
        (err,) = r.json()
        assert err["code"] == status
        return str(err["description"])

    assert error(400, service_code=None).startswith("service_code")
    assert "khong-co" in error(404, service_code="khong-co")
    assert error(400, long=None).startswith("long")
    assert error(400, lat="mười hai").startswith("lat")
    assert "ngoài địa bàn" in error(400, lat="21.0", long="105.8")
    assert error(400, lat=None, long=None, **{"attribute[area_code]": None}).startswith("lat")
    no_area = {"attribute[area_code]": None}
    assert error(400, lat="", long="", address_id="123", **no_area).startswith("address_id")
    assert error(400, **{"attribute[area_code]": "99999"}).startswith("attribute[area_code]")
    assert error(400, email="không-phải-email").startswith("email")
    assert error(400, description="").startswith("description")
    assert error(400, description="x" * 4001).startswith("description")
    assert error(400, media_url="javascript:alert(1)").startswith("media_url")
    assert db.execute(select(Report)).first() is None


# --- privacy ----------------------------------------------------------------------------------


def personal_strings() -> list[str]:
    digits = re.sub(r"\D", "", REPORTER["reporter_phone"])
    return [
        REPORTER["reporter_name"],
        "Hoa",
        REPORTER["reporter_email"],
        REPORTER["reporter_phone"],
        digits,
        digits[1:],
    ]


def test_no_personal_data_in_any_response(
    ingest_token: str, api: TestClient, fr: Submit, db: Session
) -> None:
    db.commit()
    r = post(
        api,
        api_key=ingest_token,
        service_code="duong-hu-hong",
        lat="12.6745",
        long="108.0475",
        address_string="Phường Buôn Ma Thuột",
        description="Ổ gà lớn, gọi tôi 0905 123 456 hoặc hoa.nguyen@example.vn",
        first_name="Nguyễn Thị",
        last_name="Hoa",
        email=REPORTER["reporter_email"],
        phone=REPORTER["reporter_phone"],
    )
    assert r.status_code == 200
    code = r.json()[0]["service_request_id"]
    db.expire_all()
    report = db.execute(select(Report).where(Report.code == code)).scalar_one()
    service.assign(db, STAFF, report)
    service.answer(db, STAFF, report, "Đã liên hệ chị Nguyễn Thị Hoa (0905123456), đã vá xong")
    service.publish(db, STAFF, report)
    db.commit()

    paths = [
        "discovery",
        "services",
        "services/duong-hu-hong",
        "requests",
        f"requests/{code}",
        f"tokens/{code}",
        "servicerequestupdates",
        f"requests?service_request_id={code}",
    ]
    seen = 0
    for path in paths:
        for fmt in ("json", "xml"):
            url = f"{BASE}/{path.replace('?', f'.{fmt}?', 1) if '?' in path else path + '.' + fmt}"
            body = api.get(url).text
            assert code in body or path.startswith(("discovery", "services")), url
            for value in personal_strings():
                assert value not in body, (url, value)
            seen += 1
    assert seen == 16


# --- a third-party client ---------------------------------------------------------------------


@pytest.fixture
def live_base(api: TestClient, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The same application served by uvicorn on a free local port (for clients that open
    their own HTTP connections)."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(api.app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}{BASE}"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


def test_georeport_client_reads_both_formats(live_base: str, fr: Submit, db: Session) -> None:
    first = published_report(db, fr)
    second = fr(category_code="rac-thai", description="Rác tồn đọng ở chợ").report
    db.commit()
    for fmt in ("json", "xml"):
        client = GeoReport(live_base, jurisdiction="daklak.gov.vn", output_format=fmt)
        services = client.get_service_list()
        assert isinstance(services, list) and len(services) >= 9
        pothole = next(s for s in services if s["service_code"] == "duong-hu-hong")
        assert pothole["service_name"] == "Hư hỏng đường, ổ gà"
        assert pothole["type"] == "realtime"
        definition = client.get_service_definition("duong-hu-hong")
        assert definition["service_code"] == "duong-hu-hong"
        attributes = definition["attributes"]
        area = attributes[0] if fmt == "json" else attributes["attribute"]
        assert area["code"] == "area_code"

        requests = client.get_service_requests()
        assert [r["service_request_id"] for r in requests] == [second.code, first.code]
        assert [r["status"] for r in requests] == ["open", "closed"]
        only_closed = client.get_service_requests(status="closed")
        # xmltodict gives a dict for one element; JSON is always an array.
        if fmt == "xml":
            assert only_closed["service_request_id"] == first.code
        else:
            assert [r["service_request_id"] for r in only_closed] == [first.code]

        one = client.get_service_request(first.code)
        assert one["service_request_id"] == first.code
        assert one["status_notes"] == "Đã vá ổ gà ngày 09/3"
        assert one["requested_datetime"] == "2026-03-10T12:00:00+07:00"
        assert str(one["lat"]) == "12.6745"


def test_times_are_whole_seconds(api: TestClient, fr: Submit, db: Session) -> None:
    """Clocks carry microseconds; Open311 times must not (``…27.677429+07:00`` was seen)."""
    from datetime import UTC

    from ioc.core import clock

    clock.set_now(datetime(2026, 3, 10, 5, 0, 27, 677429, tzinfo=UTC))
    report = fr().report
    service.assign(db, STAFF, report)
    db.commit()
    (item,) = api.get(f"{BASE}/requests/{report.code}.json").json()
    stamps = [item[k] for k in ("requested_datetime", "updated_datetime", "expected_datetime")]
    for stamp in stamps:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00", stamp), stamp
    assert item["requested_datetime"] == "2026-03-10T12:00:27+07:00"


def test_discovery_url_follows_the_port_unless_a_public_url_is_set() -> None:
    from ioc.settings import Settings

    assert Settings(port=8123).public_url == "http://127.0.0.1:8123"
    assert Settings(host="0.0.0.0", port=9000).public_url == "http://127.0.0.1:9000"  # noqa: S104
    assert Settings(public_url="https://ioc.example.vn").public_url == "https://ioc.example.vn"
