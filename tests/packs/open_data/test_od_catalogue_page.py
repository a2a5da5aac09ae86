"""The catalogue page and quality API: the IOC sees every dataset worst first with the owner to
call, an agency only its own, a leader the summary per agency; badges for a page's data."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from od_helpers import operator_client, series, station, write
from sqlalchemy.orm import Session, sessionmaker


def _stale_environment(factory: sessionmaker[Session], now: datetime) -> None:
    with factory() as db, db.begin():
        station(db, "OD-P")
        s = series(db, "pm25", "entity", "OD-P")
        ts = int((now - timedelta(days=5)).timestamp())
        write(db, s, [(ts - k * 3600, 10.0, 0) for k in range(3)])


def test_ioc_sees_all_worst_first_with_owner(
    client: TestClient,
    factory: sessionmaker[Session],
    make_user,
    frozen_now: datetime,  # type: ignore[no-untyped-def]
) -> None:
    _stale_environment(factory, frozen_now)
    make_user("chi-nnmt", role="agency_staff", agency="so-nong-nghiep-moi-truong")
    operator_client(client, make_user)
    page = client.get("/data/catalogue")
    assert page.status_code == 200
    assert "Danh mục dữ liệu và chất lượng" in page.text
    assert 'data-code="van-ban-den-di"' in page.text  # internal datasets too
    assert "Sở Nông nghiệp và Môi trường" in page.text
    assert "Người dùng chi-nnmt" in page.text  # the owner's staff to call
    data = client.get("/api/v1/open-data/quality").json()
    assert data["scope"] == "ioc"
    scores = [
        min(
            v
            for k, v in d["quality"].items()
            if k in ("song", "du", "sach", "dung") and v is not None
        )
        if any(d["quality"][k] is not None for k in ("song", "du", "sach", "dung"))
        else 100.0
        for d in data["datasets"]
    ]
    assert scores == sorted(scores)  # worst first
    env = next(d for d in data["datasets"] if d["code"] == "moi-truong-chi-tieu")
    assert env["quality"]["level"] == "bad"  # five days old for an hourly series
    assert env["owner_agency"] == "so-nong-nghiep-moi-truong"
    assert {a["code"] for a in data["agencies"]} >= {"so-nong-nghiep-moi-truong", "trung-tam-ioc"}
    # Every kind of data the IOC holds is in the catalogue.
    assert {d["code"] for d in data["datasets"]} >= {
        "moi-truong-chi-tieu",
        "moi-truong-dia-diem",
        "y-te-chi-tieu",
        "giao-duc-chi-tieu",
        "du-lich-chi-tieu",
        "kinh-te-xa-hoi-chi-tieu",
        "giao-thong-chi-tieu",
        "ranh-gioi-xa-phuong",
        "phan-anh-hien-truong",
        "ho-so-thu-tuc-hanh-chinh",
        "van-ban-den-di",
        "nhiem-vu-duoc-giao",
        "canh-bao-cong-cong",
        "su-co-an-toan-thong-tin",
        "quy-hoach-phan-khu",
        "ha-tang-do-thi",
    }


def test_agency_sees_only_its_own(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    operator_client(client, make_user, role="agency_staff", agency="so-y-te", name="od-yte")
    data = client.get("/api/v1/open-data/quality").json()
    assert data["scope"] == "agency"
    assert data["datasets"]
    assert {d["owner_agency"] for d in data["datasets"]} == {"so-y-te"}
    assert "agencies" not in data
    page = client.get("/data/catalogue")
    assert page.status_code == 200
    assert 'data-code="y-te-chi-tieu"' in page.text
    assert 'data-code="moi-truong-chi-tieu"' not in page.text
    assert 'id="agency-summary"' not in page.text


def test_leader_sees_summary_per_agency(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    operator_client(client, make_user, role="leader", name="od-leader")
    page = client.get("/data/catalogue")
    assert page.status_code == 200
    assert 'id="agency-summary"' in page.text
    assert "Tổng hợp theo cơ quan chủ quản" in page.text
    data = client.get("/api/v1/open-data/quality").json()
    assert data["scope"] == "leader"
    assert data["agencies"]


def test_anonymous_is_sent_to_login_and_badges(client: TestClient) -> None:
    page = client.get("/data/catalogue", follow_redirects=False)
    assert page.status_code in (302, 303)
    assert client.get("/api/v1/open-data/quality").status_code == 401
    badges = client.get("/data/quality-badge", params={"path": "/field-reports"})
    assert badges.status_code == 200
    assert "Phản ánh hiện trường" in badges.text
    assert 'data-figure="song"' in badges.text
    internal = client.get("/data/quality-badge", params={"path": "/documents"})
    assert "Văn bản" not in internal.text  # internal datasets only for signed-in staff


def test_english(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    operator_client(client, make_user)
    page = client.get("/data/catalogue", params={"lang": "en"})
    assert "Data catalogue and quality" in page.text
    assert "Field reports" in page.text


def test_pages_that_show_a_dataset_load_its_badges(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    operator_client(client, make_user)
    page = client.get("/field-reports")
    assert 'hx-get="/data/quality-badge?path=/field-reports"' in page.text
    badges = client.get("/data/quality-badge", params={"path": "/field-reports"})
    assert 'data-figure="dung"' in badges.text
    # An indicator catalog's page carries the badges of the pack's datasets too.
    air = client.get("/data/quality-badge", params={"path": "/environment"})
    assert "Quan trắc môi trường" in air.text
    # The planning map places its badges under its title, not twice.
    public_map = client.get("/public/quy-hoach")
    assert public_map.text.count("/data/quality-badge?path=") == 1
