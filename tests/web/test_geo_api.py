"""Public geography API: the commune of a point and the map layers."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


def test_commune_of_a_point(client: TestClient) -> None:
    r = client.get("/api/v1/geo/commune", params={"lat": 12.6756, "lon": 108.05})
    assert r.status_code == 200
    assert r.json() == {"code": "24133", "name": "Phường Buôn Ma Thuột", "approximate": True}


def test_a_point_outside_the_province_is_404_with_a_clear_message(client: TestClient) -> None:
    r = client.get("/api/v1/geo/commune", params={"lat": 15.2, "lon": 108.8})  # Quảng Ngãi
    assert r.status_code == 404
    detail = r.json()["detail"]
    assert "ngoài địa bàn tỉnh Đắk Lắk" in detail and "outside" in detail


@pytest.mark.parametrize(
    "params",
    [
        {"lon": "108.05"},
        {"lat": "12.6"},
        {"lat": "abc", "lon": "108.05"},
        {"lat": "95", "lon": "108.05"},
        {"lat": "12.6", "lon": "-181"},
        {"lat": "nan", "lon": "108.05"},
    ],
)
def test_bad_numbers_are_422(client: TestClient, params: dict[str, str]) -> None:
    r = client.get("/api/v1/geo/commune", params=params)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] in ("lat", "lon")


def test_communes_layer_is_the_stand_in_cells_with_a_validator(client: TestClient) -> None:
    r = client.get("/api/v1/geo/communes.geojson")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/geo+json"
    assert "max-age=" in r.headers["cache-control"]
    doc = r.json()
    assert doc["type"] == "FeatureCollection" and doc["approximate"] is True
    assert "gần đúng" in doc["note"] and "Open Development Vietnam" in doc["attribution"]
    assert len(doc["features"]) == 102
    first = doc["features"][0]
    assert set(first["properties"]) == {"code", "name", "approximate"}
    assert first["geometry"]["type"] in ("Polygon", "MultiPolygon")
    again = client.get("/api/v1/geo/communes.geojson", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and not again.content


def test_outline_and_roads_with_their_attribution(client: TestClient) -> None:
    outline = client.get("/api/v1/geo/outline.geojson")
    assert outline.status_code == 200
    assert outline.headers["cache-control"] == "public, max-age=86400"
    assert "Open Development Vietnam" in outline.json()["attribution"]
    roads = client.get("/api/v1/geo/basemap.geojson")
    assert roads.status_code == 200 and roads.headers["content-type"] == "application/geo+json"
    doc = roads.json()
    assert "OpenStreetMap" in doc["attribution"] and "ODbL" in doc["attribution"]
    assert {f["properties"]["class"] for f in doc["features"]} == {
        "national",
        "provincial",
        "district",
    }
