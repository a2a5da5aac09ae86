"""Planning zones and assets: imports validated feature by feature (errors name the feature),
"what applies here?" on hand-made polygons (borders included, plans by validity), assets
within 50 m, and a citizen's report of a broken street light linked to the asset."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from helpers import csrf, login
from ioc.core import audit
from ioc.core.ownership import WriteScope
from ioc.packs.planning import service
from planning_helpers import A, B, P, assets, collection, good_zones, square, zone


@pytest.fixture
def loaded(db: Session, frozen_now: datetime) -> None:
    actor = audit.Actor.system("test")
    service.import_zones(db, actor, WriteScope.province(), good_zones(), "so-xay-dung")
    service.import_assets(db, actor, WriteScope.province(), assets(), "so-xay-dung")
    db.commit()


def test_zone_import_errors_name_each_feature(db: Session) -> None:
    bad = collection(
        zone("A1", A),
        zone("A2", A, mat_do_xay_dung=140),  # density above 100 %
        zone("A3", {"type": "Point", "coordinates": [108.04, 12.67]}),
        zone("A4", square(105.0, 21.0, 105.1, 21.1)),  # Hà Nội, not the province
        zone("A1", B),  # repeats feature 1's code in the same plan
        {"type": "Feature", "geometry": A, "properties": {"ma_khu": "A6"}},  # nothing else
        zone("A7", A, ngay_quyet_dinh="31/02/2025"),
        zone(
            "A8",
            {
                "type": "Polygon",
                "coordinates": [
                    [
                        [108.04, 12.67],
                        [108.05, 12.68],
                        [108.05, 12.67],
                        [108.04, 12.68],
                        [108.04, 12.67],
                    ]
                ],
            },
        ),
    )
    with pytest.raises(service.PlanningImportError) as caught:
        service.import_zones(db, audit.Actor.system("t"), WriteScope.province(), bad, "so-xay-dung")
    errors = {(e.feature, e.field) for e in caught.value.errors}
    assert (2, "mat_do_xay_dung") in errors
    assert (3, "geometry") in errors
    assert (4, "geometry") in errors
    assert (5, "ma_khu") in errors
    assert {(6, "ten_do_an"), (6, "so_quyet_dinh"), (6, "chuc_nang")} <= errors
    assert (7, "ngay_quyet_dinh") in errors
    assert (8, "geometry") in errors  # self-intersecting
    assert not any(e.feature == 1 for e in caught.value.errors)
    codes = {e.feature: e.code for e in caught.value.errors}
    assert codes[2] == "A2"
    assert "Self-intersection" in next(e.vi for e in caught.value.errors if e.feature == 8)


def test_not_a_feature_collection(db: Session) -> None:
    with pytest.raises(service.PlanningImportError) as caught:
        service.import_zones(db, audit.Actor.system("t"), WriteScope.province(), "{", "so-xay-dung")
    assert caught.value.errors[0].field == "file"


@pytest.mark.usefixtures("loaded")
def test_point_lookup_inside_on_border_and_outside(db: Session, frozen_now: datetime) -> None:
    today = frozen_now.date()
    inside = service.zones_at(db, P[0], P[1], today)
    assert [(z.zone_code, z.land_use) for z, _ in inside] == [("A1", "Đất ở đô thị")]
    assert inside[0][0].limits == {"density": 80.0, "max_floors": 7}
    border = service.zones_at(db, 12.675, 108.050, today)  # the edge A and B share
    assert sorted(z.zone_code for z, _ in border) == ["A1", "B1"]
    corner = service.zones_at(db, 12.670, 108.040, today)  # A's south-west corner
    assert [z.zone_code for z, _ in corner] == ["A1"]
    assert service.zones_at(db, 12.675, 108.0399, today) == []  # just west of A
    # The old plan covered A until 2024: it answers for a date then, not today.
    then = service.zones_at(db, P[0], P[1], datetime(2020, 1, 1).date())  # noqa: DTZ001
    assert [(z.zone_code, p.decision_number) for z, p in then] == [("OLD", "99/QĐ-UBND")]


@pytest.mark.usefixtures("loaded")
def test_assets_within_50_m(db: Session) -> None:
    near = service.assets_near(db, P[0], P[1])
    assert [(a.code, round(d)) for a, d in near] == [("DCS-001", 30), ("TN-010", 40)]


@pytest.mark.usefixtures("loaded")
def test_lookup_api(client: TestClient) -> None:
    resp = client.get("/api/v1/planning/lookup", params={"lat": P[0], "lon": P[1]})
    assert resp.status_code == 200
    body = resp.json()
    assert body["commune"]["code"]
    assert [z["zone_code"] for z in body["zones"]] == ["A1"]
    assert body["zones"][0]["plan"]["decision_number"] == "1234/QĐ-UBND"
    assert [a["code"] for a in body["assets"]] == ["DCS-001", "TN-010"]
    assert body["assets"][0]["status_name"] == "Hư hỏng"
    outside = client.get("/api/v1/planning/lookup", params={"lat": 21.03, "lon": 105.85})
    assert outside.status_code == 422
    assert "lat" in outside.json()["detail"]
    assert client.get("/api/v1/planning/lookup", params={"lat": "x", "lon": 1}).status_code == 422
    layers = client.get("/api/v1/planning/zones.geojson").json()
    assert sorted(f["properties"]["zone_code"] for f in layers["features"]) == ["A1", "B1"]
    assets_layer = client.get("/api/v1/planning/assets.geojson").json()
    assert {f["geometry"]["type"] for f in assets_layer["features"]} == {"Point", "LineString"}


def test_import_api_errors_and_ownership(
    client: TestClient,
    make_user,
    frozen_now: datetime,  # type: ignore[no-untyped-def]
) -> None:
    password = make_user("xd-staff", role="agency_staff", agency="so-xay-dung")
    login(client, "xd-staff", password)
    client.headers.update({"X-CSRF-Token": csrf(client), "content-type": "application/json"})
    bad = client.post(
        "/api/v1/planning/zones/import",
        content=collection(zone("A1", A), zone("A2", A, tang_cao_toi_da=2.5)),
    )
    assert bad.status_code == 422
    errors = bad.json()["detail"]["errors"]
    assert errors == [
        {
            "feature": 2,
            "code": "A2",
            "field": "tang_cao_toi_da",
            "error": errors[0]["error"],
        }
    ]
    ok = client.post("/api/v1/planning/zones/import", content=good_zones())
    assert ok.status_code == 200
    assert ok.json() == {"plans": ["1234/QĐ-UBND", "99/QĐ-UBND"], "zones": 3}
    # Assets of another agency are refused, naming the feature.
    other = json.loads(assets())
    other["features"][0]["properties"]["don_vi_quan_ly"] = "so-y-te"
    refused = client.post("/api/v1/planning/assets/import", content=json.dumps(other))
    assert refused.status_code == 422
    assert refused.json()["detail"]["errors"][0]["feature"] == 1
    assert refused.json()["detail"]["errors"][0]["field"] == "don_vi_quan_ly"
    # A plan for another agency is refused outright.
    assert (
        client.post(
            "/api/v1/planning/zones/import", params={"agency": "so-y-te"}, content=good_zones()
        ).status_code
        == 403
    )


def test_anonymous_cannot_import(client: TestClient) -> None:
    resp = client.post(
        "/api/v1/planning/zones/import",
        content=good_zones(),
        headers={"content-type": "application/json"},
    )
    assert resp.status_code == 401


@pytest.mark.usefixtures("loaded")
def test_citizen_reports_broken_light_linked_to_asset(
    client: TestClient, db: Session, tmp_path: Any, frozen_now: datetime
) -> None:
    from ioc.packs.field_reports import service as fr

    fr.sync_categories(db)
    db.commit()
    before = fr.policy()
    fr.configure(fr.Policy(data_dir=tmp_path, rate_limit_per_hour=50))
    try:
        page = client.get("/public/quy-hoach")
        assert page.status_code == 200
        token = page.text.split('"csrf": "')[1].split('"')[0]
        body = {
            "description": "Đèn không sáng ba đêm nay",
            "reporter_name": "Phạm Văn Dũng",
            "reporter_phone": "0905 111 222",
        }
        refused = client.post("/api/v1/planning/assets/DCS-001/reports", json=body)
        assert refused.status_code == 403  # no CSRF token
        sent = client.post(
            "/api/v1/planning/assets/DCS-001/reports", json=body, headers={"X-CSRF-Token": token}
        )
        assert sent.status_code == 201, sent.text
        code = sent.json()["code"]
        assert sent.json()["category"] == "chieu-sang"
        detail = client.get("/api/v1/planning/assets/DCS-001").json()
        assert [r["code"] for r in detail["open_reports"]] == [code]
        report = detail["open_reports"][0]
        assert "Đèn Lê Duẩn 1" in report["description"]
        assert "Phạm Văn Dũng" not in json.dumps(detail, ensure_ascii=False)
        assert "0905 111 222" not in json.dumps(detail, ensure_ascii=False)
        missing = client.post(
            "/api/v1/planning/assets/DCS-001/reports",
            json={"description": "x", "reporter_name": ""},
            headers={"X-CSRF-Token": token},
        )
        assert missing.status_code == 422
        assert missing.json()["detail"]["field"]
        assert client.get("/api/v1/planning/assets/KHONG-CO").status_code == 404
    finally:
        fr.configure(before)


def test_demo_plans_and_assets(factory: sessionmaker[Session], frozen_now: datetime) -> None:
    from ioc.packs.planning.demo import CENTRE, load_demo

    assert load_demo(factory) == 17
    assert load_demo(factory) == 0  # once
    with factory() as db:
        zones = service.zones_at(db, CENTRE[0] + 0.0001, CENTRE[1] + 0.0001, frozen_now.date())
        assert [p.decision_number for _, p in zones] == ["2468/QĐ-UBND"]  # the 2010 plan expired
        near = service.assets_near(db, CENTRE[0] + 0.0004, CENTRE[1])
        assert any(a.kind == "street_light" for a, _ in near)


def test_manage_page_import_form(client: TestClient, make_user, frozen_now: datetime) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/planning", follow_redirects=False).status_code in (302, 303)
    password = make_user("xd-form", role="agency_staff", agency="so-xay-dung")
    login(client, "xd-form", password)
    page = client.get("/planning")
    assert page.status_code == 200
    token = csrf(client, "/planning")
    bad = collection(zone("A1", A), zone("A2", A, mat_do_xay_dung="cao"))
    refused = client.post(
        "/planning/import",
        data={"what": "zones", "agency": "so-xay-dung", "csrf_token": token},
        files={"file": ("khu.geojson", bad.encode(), "application/geo+json")},
    )
    assert refused.status_code == 422
    assert 'id="import-errors"' in refused.text
    assert "mat_do_xay_dung" in refused.text
    ok = client.post(
        "/planning/import",
        data={"what": "zones", "agency": "so-xay-dung", "csrf_token": token},
        files={"file": ("khu.geojson", good_zones().encode(), "application/geo+json")},
    )
    assert ok.status_code == 200
    assert "1234/QĐ-UBND" in ok.text
    no_csrf = client.post(
        "/planning/import",
        data={"what": "assets", "agency": "so-xay-dung"},
        files={"file": ("ts.geojson", assets().encode(), "application/geo+json")},
    )
    assert no_csrf.status_code == 403
    other = client.post(
        "/planning/import",
        data={"what": "zones", "agency": "so-y-te", "csrf_token": token},
        files={"file": ("khu.geojson", good_zones().encode(), "application/geo+json")},
    )
    assert other.status_code == 403


def test_cli_import(
    tmp_path: Any, db_url: str, factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from ioc.cli import app
    from ioc.settings import get_settings

    monkeypatch.setenv("IOC_DATABASE_URL", db_url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        bad = tmp_path / "bad.geojson"
        bad.write_text(collection(zone("A1", A), zone("A2", A, chuc_nang="")), encoding="utf-8")
        refused = runner.invoke(app, ["planning", "zones", str(bad)])
        assert refused.exit_code == 1
        assert "đối tượng 2 (A2), chuc_nang" in refused.output
        good = tmp_path / "khu.geojson"
        good.write_text(good_zones(), encoding="utf-8")
        ok = runner.invoke(app, ["planning", "zones", str(good)])
        assert ok.exit_code == 0, ok.output
        assert "Đã nhập 3 khu" in ok.output
        things = tmp_path / "ts.geojson"
        things.write_text(assets(), encoding="utf-8")
        assert runner.invoke(app, ["planning", "assets", str(things)]).exit_code == 0
    finally:
        get_settings.cache_clear()
    with factory() as db:
        assert [a.code for a, _ in service.assets_near(db, P[0], P[1])] == ["DCS-001", "TN-010"]
