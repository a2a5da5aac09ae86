"""The alerts console as operators, agency staff and leaders meet it: the live list and its
filters, the alert and incident pages, the handling forms and who may use them."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alert_console_helpers import PASSWORD, add_alert, add_sop, make_person
from helpers import csrf, login
from ioc.core.audit import Actor
from ioc.engines.alerting import actions
from ioc.engines.alerting.models import Alert, AlertEvent, Incident, IncidentStep

pytestmark = pytest.mark.usefixtures("frozen_now")

SignIn = Callable[..., TestClient]


@pytest.fixture
def sign_in(client: TestClient, factory: sessionmaker[Session]) -> SignIn:
    """``sign_in("operator")`` creates a user of that role (and agency) and logs in."""

    def do(
        role: str = "operator", agency: str | None = None, name: str | None = None
    ) -> TestClient:
        username = name or f"u.{role}"
        make_person(factory, username, role, agency)
        r = login(client, username, PASSWORD)
        assert r.status_code == 303  # type: ignore[attr-defined]
        return client

    return do


def arrange(factory: sessionmaker[Session], **kwargs: object) -> int:
    """Commit one alert; returns its id."""
    with factory() as s, s.begin():
        return add_alert(s, **kwargs).id  # type: ignore[arg-type]


def row_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr class="alert-row[^"]*" data-id="(\d+)"', html)]


# ------------------------------------------------------------------ console and filters


def test_console_needs_sign_in(client: TestClient) -> None:
    r = client.get("/alerts", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/alerts"
    assert client.get("/api/v1/alerts").status_code == 401
    assert client.get("/alerts/partials/list", follow_redirects=False).status_code == 303


def test_console_lists_open_alerts_worst_first_with_names(
    sign_in: SignIn, factory: sessionmaker[Session]
) -> None:
    warning = arrange(factory, severity="warning", summary="Nhiệt độ cao tại trạm")
    critical = arrange(factory, severity="critical", summary="Bụi mịn PM2.5 rất cao")
    closed = arrange(factory, severity="critical", summary="Đã đóng rồi")
    with factory() as s, s.begin():
        actions.close_alert(s, Actor.system(), closed, reason="Xong")
    client = sign_in("leader")
    page = client.get("/alerts")
    assert page.status_code == 200
    html = page.text
    assert row_ids(html) == [critical, warning]
    assert "Bụi mịn PM2.5 rất cao" in html and "Đã đóng rồi" not in html
    assert "Phường Buôn Ma Thuột" in html  # the area's name, not only its code
    assert "25 phút trước" in html and "10/03/2026 11:35" in html
    assert 'class="sev-badge sev-critical">Khẩn cấp<' in html
    counts = dict(
        re.findall(r'data-severity="(\w+)"[^>]*>\s*<span class="sev-count-n">(\d+)', html)
    )
    assert counts == {"critical": "1", "high": "0", "warning": "1", "info": "0"}
    # Auto-refresh: the fragment endpoint is polled every few seconds.
    assert 'hx-get="/alerts/partials/list"' in html and 'hx-trigger="every 5s"' in html
    assert '<a href="/alerts" aria-current="page">Cảnh báo</a>' in html


def test_console_filters(sign_in: SignIn, factory: sessionmaker[Session]) -> None:
    bmt = arrange(factory, severity="high", area_code="24133", agency_code="so-y-te")
    eakar = arrange(factory, severity="warning", area_code="24373", agency_code=None)
    other_pack = arrange(factory, severity="info", pack="field_reports", area_code=None)
    client = sign_in("operator")
    assert row_ids(client.get("/alerts?severity=warning").text) == [eakar]
    assert row_ids(client.get("/alerts?pack=field_reports").text) == [other_pack]
    # The commune by its name, typed with or without diacritics, or by its code.
    for area in ("Xã Ea Kar", "ea kar", "24373"):
        assert row_ids(client.get("/alerts", params={"area": area}).text) == [eakar]
    page = client.get("/alerts", params={"area": "buon ma thuot"})
    assert row_ids(page.text) == [bmt]
    assert 'value="Phường Buôn Ma Thuột"' in page.text  # the field shows the name found
    assert row_ids(client.get("/alerts?agency=so-y-te").text) == [bmt]
    with factory() as s, s.begin():
        actions.acknowledge(s, Actor.system(), eakar)
    assert row_ids(client.get("/alerts?status=acknowledged").text) == [eakar]
    assert row_ids(client.get("/alerts?status=new&severity=high").text) == [bmt]


def test_bad_filters_are_explained_not_500(sign_in: SignIn, factory: sessionmaker[Session]) -> None:
    alert = arrange(factory)
    client = sign_in("operator")
    page = client.get("/alerts?severity=extreme&area=Không có xã này&agency=so-ma")
    assert page.status_code == 400
    assert "Mức độ không hợp lệ: extreme" in page.text
    assert "Không tìm thấy một xã/phường duy nhất khớp «Không có xã này»" in page.text
    assert "Không có đơn vị mã «so-ma»" in page.text
    assert row_ids(page.text) == [alert]  # the bad filters are dropped, the list still shows
    api = client.get("/api/v1/alerts?severity=extreme")
    assert api.status_code == 422 and "Mức độ không hợp lệ" in api.json()["detail"]


def test_fragment_endpoint(sign_in: SignIn, factory: sessionmaker[Session]) -> None:
    client = sign_in("leader")
    assert "Không có cảnh báo nào đang mở." in client.get("/alerts/partials/list").text
    high = arrange(factory, severity="high", summary="Mực nước sông vượt báo động 2")
    info = arrange(factory, severity="info")
    fragment = client.get("/alerts/partials/list")
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and "<table" in fragment.text
    assert row_ids(fragment.text) == [high, info]
    assert "Mực nước sông vượt báo động 2" in fragment.text
    assert row_ids(client.get("/alerts/partials/list?severity=info").text) == [info]


def test_api_lists_open_alerts(sign_in: SignIn, factory: sessionmaker[Session]) -> None:
    alert = arrange(factory, severity="critical", station="DL-TEST-01", value=201.0)
    client = sign_in("leader")
    body = client.get("/api/v1/alerts").json()
    assert body["counts"] == {"critical": 1, "high": 0, "warning": 0, "info": 0}
    (item,) = body["items"]
    assert item["id"] == alert and item["area_name"] == "Phường Buôn Ma Thuột"
    assert item["station"] == "DL-TEST-01" and item["value"] == 201.0
    assert item["starts_at"] == "2026-03-10T04:35:00+00:00" and item["status"] == "new"


def test_text_from_alerts_is_escaped(sign_in: SignIn, factory: sessionmaker[Session]) -> None:
    alert = arrange(factory, summary="<script>alert(1)</script>")
    client = sign_in("operator")
    for path in ("/alerts", f"/alerts/{alert}"):
        html = client.get(path).text
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# ------------------------------------------------------------------ alert page and actions


def test_alert_page_shows_labels_timeline_and_forms(
    sign_in: SignIn, factory: sessionmaker[Session]
) -> None:
    alert = arrange(factory, station="DL-TEST-01", summary="VN_AQI 172 tại trạm Quảng trường")
    client = sign_in("operator")
    page = client.get(f"/alerts/{alert}")
    assert page.status_code == 200
    html = page.text
    assert "VN_AQI 172 tại trạm Quảng trường" in html
    assert "Mô tả: VN_AQI 172 tại trạm Quảng trường" in html
    # Labels by name (an unknown station keeps its code as the value).
    assert '<tr data-label="station"><th scope="row">Trạm</th><td>DL-TEST-01</td></tr>' in html
    assert "Phát sinh cảnh báo" in html  # the fired event on the timeline
    for form in ("acknowledge", "escalate", "assign", "comment", "close"):
        assert f'id="form-{form}"' in html
    assert client.get("/alerts/999999").status_code == 404
    assert client.get("/alerts/khong-phai-so").status_code == 404


def test_leader_sees_but_cannot_act(sign_in: SignIn, factory: sessionmaker[Session]) -> None:
    alert = arrange(factory)
    client = sign_in("leader")
    page = client.get(f"/alerts/{alert}")
    assert 'id="view-only"' in page.text and 'id="form-acknowledge"' not in page.text
    token = csrf(client, f"/alerts/{alert}")
    r = client.post(f"/alerts/{alert}/acknowledge", data={"csrf_token": token})
    assert r.status_code == 403
    with factory() as s:
        assert s.get(Alert, alert).status == "new"  # type: ignore[union-attr]


def test_acknowledge_comment_and_close_through_forms(
    sign_in: SignIn, factory: sessionmaker[Session]
) -> None:
    alert = arrange(factory)
    client = sign_in("operator")
    token = csrf(client, f"/alerts/{alert}")
    r = client.post(f"/alerts/{alert}/acknowledge", data={"csrf_token": "forged"})
    assert r.status_code == 400
    r = client.post(
        f"/alerts/{alert}/acknowledge",
        data={"csrf_token": token, "note": "Đang liên hệ trạm"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == f"/alerts/{alert}?done=acknowledged"
    page = client.get(r.headers["location"]).text
    assert "Đã tiếp nhận cảnh báo." in page and "Đang liên hệ trạm" in page
    # Illegal transition: a clear message, status 409, nothing changed.
    r = client.post(f"/alerts/{alert}/acknowledge", data={"csrf_token": token})
    assert r.status_code == 409 and "đã được u.operator tiếp nhận" in r.text
    r = client.post(f"/alerts/{alert}/comment", data={"csrf_token": token, "body": "Đã cử người"})
    assert r.status_code == 200 and "Đã thêm ghi chú." in r.text
    r = client.post(f"/alerts/{alert}/close", data={"csrf_token": token, "reason": ""})
    assert r.status_code == 409 and "Cần nhập lý do đóng" in r.text
    r = client.post(
        f"/alerts/{alert}/close", data={"csrf_token": token, "reason": "Trạm báo sai số"}
    )
    assert r.status_code == 200 and "Đã đóng cảnh báo." in r.text
    assert 'id="form-reopen"' in r.text  # still firing: it may be reopened
    with factory() as s:
        kinds = list(
            s.execute(
                select(AlertEvent.kind).where(AlertEvent.alert_id == alert).order_by(AlertEvent.id)
            ).scalars()
        )
    assert kinds == ["fired", "acknowledged", "commented", "closed"]
    r = client.post(f"/alerts/{alert}/reopen", data={"csrf_token": token, "reason": "Nhầm"})
    assert r.status_code == 200 and "Đã mở lại cảnh báo." in r.text


def test_assign_through_form(sign_in: SignIn, factory: sessionmaker[Session]) -> None:
    alert = arrange(factory)
    client = sign_in("operator")
    page = client.get(f"/alerts/{alert}").text
    assert '<option value="so-y-te"' in page and "Sở, ngành" in page
    token = csrf(client, f"/alerts/{alert}")
    r = client.post(f"/alerts/{alert}/assign", data={"csrf_token": token, "agency": "so-y-te"})
    assert r.status_code == 200 and "Đã giao xử lý." in r.text
    assert "Sở Y tế" in client.get("/alerts").text
    r = client.post(f"/alerts/{alert}/assign", data={"csrf_token": token, "agency": "khong-co"})
    assert r.status_code == 409 and "Không có đơn vị mã «khong-co»" in r.text


def test_agency_staff_only_on_their_agency(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    mine = arrange(factory, summary="Cảnh báo của Sở Y tế")
    other = arrange(factory, summary="Cảnh báo của đơn vị khác")
    make_person(factory, "nv.yte", "agency_staff", "so-y-te")
    with factory() as s, s.begin():
        actions.assign(s, Actor.system(), mine, agency_code="so-y-te")
    login(client, "nv.yte", PASSWORD)
    assert 'id="form-acknowledge"' in client.get(f"/alerts/{mine}").text
    assert 'id="view-only"' in client.get(f"/alerts/{other}").text
    token = csrf(client, f"/alerts/{mine}")
    r = client.post(f"/alerts/{other}/acknowledge", data={"csrf_token": token})
    assert r.status_code == 403 and "đơn vị của mình" in r.text
    r = client.post(f"/alerts/{mine}/acknowledge", data={"csrf_token": token})
    assert r.status_code == 200 and "Đã tiếp nhận cảnh báo." in r.text


# ------------------------------------------------------------------ incidents


def test_incident_sop_flow(sign_in: SignIn, factory: sessionmaker[Session]) -> None:
    with factory() as s, s.begin():
        add_sop(s, "env.aqi", ["Kiểm tra thiết bị trạm", "Thông báo UBND phường", "Khuyến cáo"])
        alert = add_alert(s, sop_key="env.aqi", severity="critical").id
    client = sign_in("operator")
    token = csrf(client, f"/alerts/{alert}")
    r = client.post(
        f"/alerts/{alert}/escalate",
        data={"csrf_token": token, "title": "Ô nhiễm bụi mịn khu trung tâm"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    with factory() as s:
        incident = s.execute(select(Incident)).scalar_one()
        steps = list(
            s.execute(
                select(IncidentStep)
                .where(IncidentStep.incident_id == incident.id)
                .order_by(IncidentStep.position)
            ).scalars()
        )
    assert r.headers["location"] == f"/alerts/incidents/{incident.id}?done=escalated"
    page = client.get(r.headers["location"]).text
    assert "SC-2026-0001" in page and "Ô nhiễm bụi mịn khu trung tâm" in page
    assert "Kiểm tra thiết bị trạm" in page and "0/3 bước" in page
    r = client.post(
        f"/alerts/incidents/{incident.id}/steps/{steps[0].id}/done",
        data={"csrf_token": token, "note": "Thiết bị bình thường"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = client.get(r.headers["location"]).text
    assert "1/3 bước" in page and "Thiết bị bình thường" in page
    # A step of another incident through this incident's URL is not found.
    r = client.post(
        f"/alerts/incidents/{incident.id + 1}/steps/{steps[1].id}/done",
        data={"csrf_token": token},
    )
    assert r.status_code == 404
    r = client.post(
        f"/alerts/incidents/{incident.id}/steps/{steps[0].id}/reopen",
        data={"csrf_token": token, "note": ""},
    )
    assert r.status_code == 409 and "Cần nhập lý do làm lại bước" in r.text
    # The escalated alert shows its incident and sends closing to it.
    alert_page = client.get(f"/alerts/{alert}").text
    assert 'id="incident-link"' in alert_page and 'id="form-close"' not in alert_page
    assert "Còn 2 bước chưa hoàn thành." in client.get(f"/alerts/incidents/{incident.id}").text
    r = client.post(
        f"/alerts/incidents/{incident.id}/close",
        data={"csrf_token": token, "reason": "Chỉ số đã về mức trung bình"},
    )
    assert r.status_code == 200 and "Đã đóng sự cố" in r.text
    assert 'id="form-close-incident"' not in r.text
    with factory() as s:
        assert s.get(Alert, alert).status == "closed"  # type: ignore[union-attr]
    listing = client.get("/alerts/incidents?status=closed").text
    assert "SC-2026-0001" in listing and "1/3 bước" in listing
    assert "SC-2026-0001" not in client.get("/alerts/incidents").text
    history = client.get("/alerts/history").text
    assert "Chỉ số đã về mức trung bình" in history


def test_leader_cannot_tick_steps(sign_in: SignIn, factory: sessionmaker[Session]) -> None:
    with factory() as s, s.begin():
        incident = actions.escalate(s, Actor.system(), add_alert(s).id)
        step = s.execute(
            select(IncidentStep.id).where(IncidentStep.incident_id == incident.id).limit(1)
        ).scalar_one()
    client = sign_in("leader")
    page = client.get(f"/alerts/incidents/{incident.id}").text
    assert "Xác minh thông tin cảnh báo" in page and "/steps/" not in page
    token = csrf(client, "/login")
    r = client.post(
        f"/alerts/incidents/{incident.id}/steps/{step}/done", data={"csrf_token": token}
    )
    assert r.status_code == 403


# ------------------------------------------------------------------ history


def test_history_pages_and_filters(sign_in: SignIn, factory: sessionmaker[Session]) -> None:
    with factory() as s, s.begin():
        ids = [add_alert(s, severity="info" if i % 2 else "high").id for i in range(52)]
        for alert_id in ids:
            actions.close_alert(s, Actor.system(), alert_id, reason=f"Lý do {alert_id}")
        arrange_open = add_alert(s).id
    client = sign_in("leader")
    first = client.get("/alerts/history")
    assert first.status_code == 200
    assert "52 cảnh báo đã đóng" in first.text and "Trang 1/2" in first.text
    assert f'/alerts/{arrange_open}"' not in first.text
    second = client.get("/alerts/history?page=2").text
    assert "Trang 2/2" in second and second.count("Lý do ") == 2
    infos = client.get("/alerts/history?severity=info").text
    assert "26 cảnh báo đã đóng" in infos
    assert "0 cảnh báo đã đóng" in client.get("/alerts/history?from=2026-03-11").text
    assert "52 cảnh báo đã đóng" in client.get("/alerts/history?from=2026-03-10&to=2026-03-10").text
    bad = client.get("/alerts/history?from=10/03/2026&page=abc")
    assert bad.status_code == 400 and "ngày không hợp lệ «10/03/2026»" in bad.text
