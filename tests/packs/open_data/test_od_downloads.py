"""Open downloads: every format carries the licence, and no format carries personal data —
tested with field reports full of names, phone numbers and e-mail addresses."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session, sessionmaker

from ioc.packs.field_reports import service

PEOPLE = [
    ("Nguyễn Thị Hoa", "0905 123 456", "hoa.nguyen@example.vn"),
    ("Trần Văn Bình", "+84 912 345 678", "binh.tran@mail.example.com"),
    ("Lê Minh Châu", "0262.3852.852", "chau@example.org"),
]
SECRETS = [
    "Nguyễn Thị Hoa",
    "0905 123 456",
    "0905123456",
    "hoa.nguyen@example.vn",
    "Trần Văn Bình",
    "912 345 678",
    "binh.tran@mail.example.com",
    "Lê Minh Châu",
    "0262.3852.852",
    "chau@example.org",
    "0987654321",
    "other.person@example.net",
]


@pytest.fixture
def reports(
    factory: sessionmaker[Session], tmp_path: Path, frozen_now: datetime
) -> Iterator[list[str]]:
    before = service.policy()
    service.configure(service.Policy(data_dir=tmp_path, rate_limit_per_hour=100))
    codes = []
    with factory() as db, db.begin():
        service.sync_categories(db)
        db.flush()
        for name, phone, email in PEOPLE:
            sub = service.submit_report(
                db,
                service.citizen_actor(),
                category_code="duong-hu-hong",
                description=(
                    f"Tôi là {name}, ổ gà lớn trước nhà, gọi {phone} hoặc 0987654321, "
                    f"thư {email} hay other.person@example.net"
                ),
                lat=12.6745,
                lon=108.0475,
                area_code="24133",
                address=f"Nhà {name}, đường Lê Duẩn",
                reporter_name=name,
                reporter_phone=phone,
                reporter_email=email,
            )
            codes.append(sub.report.code)
    yield codes
    service.configure(before)


def _no_secrets(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, secret


def test_csv_has_reports_without_contacts(client: TestClient, reports: list[str]) -> None:
    resp = client.get("/open-data/phan-anh-hien-truong.csv")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/csv")
    assert 'rel="license"' in resp.headers["link"]
    text = resp.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sorted(r["code"] for r in rows) == sorted(reports)
    assert all("ổ gà lớn" in r["description"] for r in rows)
    assert not {"reporter_name", "reporter_phone", "reporter_email"} & set(rows[0])
    _no_secrets(text)


def test_geojson_has_points_and_licence_without_contacts(
    client: TestClient, reports: list[str]
) -> None:
    resp = client.get("/open-data/phan-anh-hien-truong.geojson")
    assert resp.status_code == 200
    doc = resp.json()
    assert doc["type"] == "FeatureCollection"
    assert doc["license"]["id"] == "CC-BY-4.0"
    assert doc["license"]["url"].startswith("https://creativecommons.org/")
    assert len(doc["features"]) == len(reports)
    feature = doc["features"][0]
    assert feature["geometry"]["type"] == "Point"
    assert feature["geometry"]["coordinates"] == [108.0475, 12.6745]
    _no_secrets(resp.text)
    _no_secrets(json.dumps(doc, ensure_ascii=False))


def test_json_and_xlsx_without_contacts(client: TestClient, reports: list[str]) -> None:
    resp = client.get("/open-data/phan-anh-hien-truong.json")
    assert resp.status_code == 200
    doc = resp.json()
    assert doc["license"]["id"] == "CC-BY-4.0"
    assert len(doc["records"]) == len(reports)
    _no_secrets(json.dumps(doc, ensure_ascii=False))
    resp = client.get("/open-data/phan-anh-hien-truong.xlsx")
    assert resp.status_code == 200
    sheet = load_workbook(io.BytesIO(resp.content)).active
    assert sheet is not None
    cells = " ".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row if c)
    assert "Giấy phép" in cells  # the licence is written under the title
    _no_secrets(cells)


def test_internal_dataset_and_unknown_format_are_not_downloadable(client: TestClient) -> None:
    assert client.get("/open-data/van-ban-den-di.csv").status_code == 404
    assert client.get("/open-data/van-ban-den-di").status_code == 404
    assert client.get("/open-data/khong-co.csv").status_code == 404
    assert client.get("/open-data/phan-anh-hien-truong.exe").status_code == 404
    # Monthly counts of dossiers are not located: no GeoJSON.
    assert client.get("/open-data/ho-so-thu-tuc-hanh-chinh.geojson").status_code == 404
    assert client.get("/open-data/ho-so-thu-tuc-hanh-chinh.csv").status_code == 200


def test_public_pages_list_downloads(client: TestClient, reports: list[str]) -> None:
    page = client.get("/open-data")
    assert page.status_code == 200
    assert "phan-anh-hien-truong.geojson" in page.text
    assert "van-ban-den-di" not in page.text  # internal
    one = client.get("/open-data/phan-anh-hien-truong")
    assert one.status_code == 200
    assert "Creative Commons" in one.text
    _no_secrets(page.text + one.text)
