"""The CKAN Action API read by a third-party CKAN client (ckanapi 4.11 from PyPI, not written
by us) against the IOC served by uvicorn, and CKAN's envelope checked on the raw answers."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from fastapi.testclient import TestClient

ckanapi = pytest.importorskip("ckanapi", reason="ckanapi is a dev dependency")


@pytest.fixture
def live(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The application served by uvicorn on a free local port: its base URL."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(client.app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


def test_ckanapi_lists_shows_and_searches(live: str) -> None:
    ckan = ckanapi.RemoteCKAN(live, user_agent="ioc-test/1.0")
    names = ckan.action.package_list()
    assert "phan-anh-hien-truong" in names
    assert "moi-truong-chi-tieu" in names
    assert "van-ban-den-di" not in names  # internal datasets are not published
    assert names == sorted(names)

    pkg = ckan.action.package_show(id="moi-truong-chi-tieu")
    assert pkg["name"] == "moi-truong-chi-tieu"
    assert pkg["organization"]["name"] == "so-nong-nghiep-moi-truong"
    assert pkg["license_id"] == "CC-BY-4.0"
    formats = {r["format"] for r in pkg["resources"]}
    assert formats == {"CSV", "XLSX", "GeoJSON", "JSON"}
    # Addresses are the IOC's public URL (IOC_PUBLIC_URL), whatever host the client used.
    assert {r["url"].rsplit("/", 1)[-1] for r in pkg["resources"]} == {
        "moi-truong-chi-tieu.csv",
        "moi-truong-chi-tieu.xlsx",
        "moi-truong-chi-tieu.geojson",
        "moi-truong-chi-tieu.json",
    }
    extras = {e["key"]: e["value"] for e in pkg["extras"]}
    assert extras["frequency"] == "PT1H"
    assert "quality_song" in extras

    with pytest.raises(ckanapi.NotFound):
        ckan.action.package_show(id="khong-co-tap-nay")
    with pytest.raises(ckanapi.NotFound):
        ckan.action.package_show(id="van-ban-den-di")

    found = ckan.action.package_search(fq="organization:so-y-te")
    assert found["count"] >= 1
    assert {p["owner_org"] for p in found["results"]} == {"so-y-te"}
    tagged = ckan.action.package_search(fq="tags:phan-anh")
    assert [p["name"] for p in tagged["results"]] == ["phan-anh-hien-truong"]
    both = ckan.action.package_search(fq="+organization:trung-tam-ioc +tags:phan-anh")
    assert both["count"] == 1
    text = ckan.action.package_search(q="phản ánh")
    assert "phan-anh-hien-truong" in [p["name"] for p in text["results"]]
    folded = ckan.action.package_search(q="moi truong")  # diacritics ignored
    assert "moi-truong-chi-tieu" in [p["name"] for p in folded["results"]]
    everything = ckan.action.package_search(rows=1000)
    assert everything["count"] == len(names)
    page1 = ckan.action.package_search(rows=2, start=0)
    page2 = ckan.action.package_search(rows=2, start=2)
    assert len(page1["results"]) == 2
    assert page1["count"] == everything["count"]
    assert not {p["name"] for p in page1["results"]} & {p["name"] for p in page2["results"]}
    with pytest.raises(ckanapi.SearchQueryError):
        ckan.action.package_search(fq="maintainer_email:x")

    orgs = ckan.action.organization_list()
    assert "so-y-te" in orgs and "trung-tam-ioc" in orgs
    full = ckan.action.organization_list(all_fields=True)
    assert {o["name"]: o["package_count"] for o in full}["trung-tam-ioc"] >= 1
    org = ckan.action.organization_show(id="so-y-te", include_datasets=True)
    assert org["title"].startswith("Sở Y tế")
    assert {p["name"] for p in org["packages"]} >= {"y-te-chi-tieu"}
    with pytest.raises(ckanapi.NotFound):
        ckan.action.organization_show(id="khong-co")

    res = ckan.action.resource_show(id="phan-anh-hien-truong-geojson")
    assert res["format"] == "GeoJSON"
    assert res["package_id"] == "phan-anh-hien-truong"
    with pytest.raises(ckanapi.NotFound):
        ckan.action.resource_show(id="khong-co")


def test_ckanapi_on_the_versioned_path_with_get(live: str) -> None:
    ckan = ckanapi.RemoteCKAN(live, user_agent="ioc-test/1.0", get_only=True)
    ckan.base_url = "api/3/action/"
    assert "phan-anh-hien-truong" in ckan.action.package_list()
    found = ckan.action.package_search(fq="tags:phan-anh", rows=5)
    assert found["results"][0]["name"] == "phan-anh-hien-truong"


def test_envelope(client: TestClient) -> None:
    ok = client.get("/api/3/action/package_list")
    body = ok.json()
    assert ok.status_code == 200
    assert body["success"] is True
    assert body["help"].endswith("/api/3/action/help_show?name=package_list")
    assert isinstance(body["result"], list)
    missing = client.get("/api/3/action/package_show", params={"id": "khong-co"})
    assert missing.status_code == 404
    assert missing.json()["success"] is False
    assert missing.json()["error"]["__type"] == "Not Found Error"
    no_id = client.post("/api/3/action/package_show", json={})
    assert no_id.status_code == 409
    assert no_id.json()["error"]["__type"] == "Validation Error"
    bad_rows = client.get("/api/3/action/package_search", params={"rows": "nhiều"})
    assert bad_rows.status_code == 409
    assert "rows" in bad_rows.json()["error"]
    unknown = client.get("/api/3/action/package_create")
    assert unknown.status_code == 400
    assert unknown.json()["success"] is False
    broken = client.post(
        "/api/3/action/package_search",
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    assert broken.status_code == 400
