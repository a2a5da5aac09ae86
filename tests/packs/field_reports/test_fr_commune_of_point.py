"""The commune of a field report is the commune of its point, decided on the server: a
commune sent alongside (by the form's script, or an Open311 app) cannot move the report."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from fr_helpers import BMT, REPORTER, Submit
from sqlalchemy import select
from sqlalchemy.orm import Session

from helpers import csrf
from ioc.packs.field_reports import service
from ioc.packs.field_reports.errors import FieldReportError
from ioc.packs.field_reports.models import Report

CU_YANG = "24406"  # Xã Cư Yang, some 50 km from Buôn Ma Thuột
IN_BMT = (12.6756, 108.0500)  # inside phường Buôn Ma Thuột (its stand-in cell)


def only_report(db: Session) -> Report:
    db.expire_all()
    return db.execute(select(Report)).scalar_one()


def test_the_public_form_files_the_report_under_the_commune_of_the_pin(
    client: TestClient, db: Session, fr: Submit
) -> None:
    db.commit()
    token = csrf(client, "/phan-anh/gui")
    r = client.post(
        "/phan-anh/gui",
        data={
            "csrf_token": token,
            "category": "duong-hu-hong",
            "description": "Ổ gà sâu giữa đường",
            "lat": str(IN_BMT[0]),
            "lon": str(IN_BMT[1]),
            "area": CU_YANG,  # what a stale or tampered script sends
            "address": "Đường Lê Duẩn",
            **REPORTER,
        },
    )
    assert r.status_code == 200, r.text
    report = only_report(db)
    assert report.area_code == BMT
    assert (report.lat, report.lon) == IN_BMT


def test_a_pin_outside_the_province_is_refused_on_the_form(
    client: TestClient, db: Session, fr: Submit
) -> None:
    db.commit()
    token = csrf(client, "/phan-anh/gui")
    r = client.post(
        "/phan-anh/gui",
        data={
            "csrf_token": token,
            "category": "duong-hu-hong",
            "description": "Ổ gà",
            # Inside the province's bounding box, 5 km off the coast of Tuy Hòa.
            "lat": "13.09",
            "lon": "109.40",
            "area": "22015",
            **REPORTER,
        },
    )
    assert r.status_code == 422
    assert "ngoài địa bàn tỉnh" in r.text
    assert db.execute(select(Report)).first() is None


def test_open311_post_is_filed_under_the_commune_of_lat_long(
    ingest_token: str, client: TestClient, fr_policy: service.Policy, fr: Submit, db: Session
) -> None:
    service.configure(fr_policy)
    db.commit()
    r = client.post(
        "/open311/v2/requests.json",
        data={
            "api_key": ingest_token,
            "service_code": "duong-hu-hong",
            "lat": str(IN_BMT[0]),
            "long": str(IN_BMT[1]),
            "attribute[area_code]": CU_YANG,
            "description": "Ổ gà sâu",
            "email": "dan@example.vn",
        },
    )
    assert r.status_code == 200, r.text
    assert only_report(db).area_code == BMT
    # Outside the province: 400 naming lat.
    far = client.post(
        "/open311/v2/requests.json",
        data={
            "api_key": ingest_token,
            "service_code": "duong-hu-hong",
            "lat": "13.09",
            "long": "109.40",
            "description": "Ổ gà",
            "email": "dan@example.vn",
        },
    )
    assert far.status_code == 400
    assert "lat" in far.json()[0]["description"]


def test_without_a_point_the_named_commune_stays(
    ingest_token: str, client: TestClient, fr_policy: service.Policy, fr: Submit, db: Session
) -> None:
    service.configure(fr_policy)
    db.commit()
    r = client.post(
        "/open311/v2/requests.json",
        data={
            "api_key": ingest_token,
            "service_code": "duong-hu-hong",
            "attribute[area_code]": CU_YANG,
            "description": "Ổ gà",
            "email": "dan@example.vn",
        },
    )
    assert r.status_code == 200, r.text
    assert only_report(db).area_code == CU_YANG


def test_service_places_the_point_and_still_checks_the_code(fr: Submit) -> None:
    assert fr(lat=IN_BMT[0], lon=IN_BMT[1], area_code=CU_YANG).report.area_code == BMT
    with pytest.raises(FieldReportError) as caught:
        fr(area_code="99999")
    assert caught.value.field == "area"
