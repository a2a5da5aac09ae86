"""Citizen pages: send a report, follow it, rate it, the public list — and no personal data."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from fr_helpers import BMT, BMT_POINT, REPORTER, STAFF, Submit, png_bytes
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from helpers import csrf
from ioc.packs.field_reports import service
from ioc.packs.field_reports.models import Photo, Report

PHONE_DIGITS = re.sub(r"\D", "", REPORTER["reporter_phone"])
PERSONAL = (
    REPORTER["reporter_name"],
    REPORTER["reporter_phone"],
    PHONE_DIGITS,
    "0905.123.456",
    REPORTER["reporter_email"],
)
LEAKY = "Ổ gà trước nhà chị Nguyễn Thị Hoa, gọi 0905.123.456 hoặc hoa.nguyen@example.vn"


def assert_private(html: str) -> None:
    for value in PERSONAL:
        assert value not in html, value


def form_data(token: str, **overrides: str) -> dict[str, str]:
    data = {
        "csrf_token": token,
        "category": "duong-hu-hong",
        "description": "Ổ gà sâu giữa đường Lê Duẩn",
        "lat": str(BMT_POINT[0]),
        "lon": str(BMT_POINT[1]),
        "area": BMT,
        "address": "Trước số 25 Lê Duẩn",
        **REPORTER,
    }
    data.update(overrides)
    return data


def report_count(db: Session) -> int:
    db.expire_all()
    return db.execute(select(func.count(Report.id))).scalar_one()


def send(client: TestClient, photos: list[bytes] | None = None, **overrides: str):  # type: ignore[no-untyped-def]
    token = csrf(client, "/phan-anh/gui")
    files = [("photos", (f"anh{i}.png", p, "image/png")) for i, p in enumerate(photos or [])]
    return client.post("/phan-anh/gui", data=form_data(token, **overrides), files=files or None)


def test_landing_needs_no_login_and_offers_the_ways_in(
    client: TestClient, db: Session, fr: Submit
) -> None:
    db.commit()
    r = client.get("/phan-anh")
    assert r.status_code == 200
    assert 'href="/phan-anh/gui"' in r.text and 'action="/phan-anh/tra-cuu"' in r.text
    assert 'href="/phan-anh/danh-sach"' in r.text
    assert "Hư hỏng đường, ổ gà" in r.text  # categories with their icons
    # The public menu of every page links here.
    assert 'href="/phan-anh"' in client.get("/public/air").text


def test_send_form_has_every_field(client: TestClient, db: Session, fr: Submit) -> None:
    db.commit()
    r = client.get("/phan-anh/gui?linh_vuc=ngap-ung")
    assert r.status_code == 200
    html = r.text
    assert 'name="csrf_token"' in html and 'enctype="multipart/form-data"' in html
    assert re.search(r'value="ngap-ung"\s+checked', html)
    for name in ("description", "photos", "lat", "lon", "area", "reporter_name", "share_identity"):
        assert f'name="{name}"' in html, name
    assert "Dùng vị trí của tôi" in html and 'data-fr-map="pick"' in html
    assert "Phường Buôn Ma Thuột" in html  # the commune list
    assert "Thông tin cá nhân của bạn được bảo mật" in html


def test_send_report_shows_code_and_secret_once(
    client: TestClient, db: Session, fr: Submit
) -> None:
    db.commit()
    r = send(client, photos=[png_bytes(), png_bytes(color=(200, 30, 30))])
    assert r.status_code == 200, r.text
    code = re.search(r'id="fr-code">(PA-2026-\d{6})<', r.text)
    secret = re.search(r'id="fr-secret">([^<]+)<', r.text)
    assert code and secret
    assert "chỉ hiển thị một lần" in r.text
    assert_private(r.text)
    db.expire_all()
    report = service.get_report(db, code.group(1))
    assert report.reporter_name == REPORTER["reporter_name"] and report.area_code == BMT
    assert report.client_hash is not None  # the rate limit saw the client
    assert service.verify_secret(report, secret.group(1))
    photos = db.execute(select(Photo).where(Photo.report_id == report.id)).scalars().all()
    assert len(photos) == 2 and not any(p.published for p in photos)


def test_send_without_csrf_is_refused_and_keeps_the_input(
    client: TestClient, db: Session, fr: Submit
) -> None:
    db.commit()
    client.get("/phan-anh/gui")
    r = client.post("/phan-anh/gui", data=form_data("forged"))
    assert r.status_code == 400
    assert "Phiên làm việc đã hết hạn" in r.text
    assert "Ổ gà sâu giữa đường Lê Duẩn" in r.text
    assert report_count(db) == 0


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"category": ""}, "category", "Vui lòng chọn lĩnh vực phản ánh"),
        ({"description": "  "}, "description", "Vui lòng nhập nội dung phản ánh"),
        ({"lat": "", "lon": ""}, "location", "Vui lòng chọn vị trí trên bản đồ"),
        ({"lat": "abc"}, "location", "Tọa độ không hợp lệ"),
        ({"lat": "10.0", "lon": "106.7"}, "location", "nằm ngoài địa bàn tỉnh Đắk Lắk"),
        ({"reporter_name": ""}, "reporter_name", "Vui lòng nhập họ tên"),
        ({"reporter_phone": "12ab", "reporter_email": ""}, "reporter_phone", "Số điện thoại"),
        ({"reporter_email": "khong-phai-email"}, "reporter_email", "Email không hợp lệ"),
    ],
)
def test_validation_errors_name_the_field_and_keep_input(
    client: TestClient,
    db: Session,
    fr: Submit,
    overrides: dict[str, str],
    field: str,
    message: str,
) -> None:
    db.commit()
    r = send(client, **overrides)
    assert r.status_code == 422
    assert f'id="err-{field}"' in r.text
    error = re.search(rf'id="err-{field}" role="alert">([^<]+)<', r.text)
    assert error and message in error.group(1)
    assert 'href="#fld-' in r.text  # the summary links to the field
    if field != "description":
        assert "Ổ gà sâu giữa đường Lê Duẩn" in r.text
    assert report_count(db) == 0


def test_every_empty_required_field_is_reported_at_once(
    client: TestClient, db: Session, fr: Submit
) -> None:
    db.commit()
    token = csrf(client, "/phan-anh/gui")
    r = client.post("/phan-anh/gui", data={"csrf_token": token, "address": "Chợ Ea Kar"})
    assert r.status_code == 422
    for field in ("category", "description", "location", "reporter_name", "reporter_phone"):
        assert f'id="err-{field}"' in r.text, field
    assert 'value="Chợ Ea Kar"' in r.text
    assert report_count(db) == 0


def test_bad_and_oversized_photos_are_reported_next_to_the_field(
    client: TestClient, db: Session, fr: Submit, fr_policy: service.Policy
) -> None:
    db.commit()
    r = send(client, photos=[b"%PDF-1.4 this is no image"])
    assert r.status_code == 422
    assert re.search(r'id="err-photos" role="alert">Tệp không phải là ảnh hợp lệ', r.text)
    service.configure(service.with_policy(photo_max_bytes=2000))
    big = png_bytes(size=(400, 400), color=(1, 2, 3)) + b"\0" * 3000
    r = send(client, photos=[big])
    assert r.status_code == 422
    assert re.search(r'id="err-photos" role="alert">Ảnh “anh0.png” quá lớn', r.text)
    service.configure(service.with_policy(photo_max_count=1, photo_max_bytes=8_000_000))
    r = send(client, photos=[png_bytes(), png_bytes()])
    assert "Tối đa 1 ảnh" in r.text
    assert report_count(db) == 0


def test_rate_limit_per_client(
    client: TestClient, db: Session, fr: Submit, fr_policy: service.Policy
) -> None:
    db.commit()
    service.configure(service.with_policy(rate_limit_per_hour=1))
    assert send(client).status_code == 200
    r = send(client)
    assert r.status_code == 429 and "quá nhiều phản ánh" in r.text
    assert int(r.headers["retry-after"]) > 0
    assert report_count(db) == 1


def test_is_this_yours_lists_nearby_open_reports(
    client: TestClient, db: Session, fr: Submit
) -> None:
    existing = fr(description=LEAKY).report
    db.commit()
    lat, lon = BMT_POINT[0] + 0.0001, BMT_POINT[1]
    r = client.get(f"/phan-anh/gui/trung-lap?category=duong-hu-hong&lat={lat}&lon={lon}")
    assert r.status_code == 200
    assert "Có phải phản ánh này của bạn?" in r.text and existing.code in r.text
    assert f'href="/phan-anh/tra-cuu?ma={existing.code}"' in r.text
    assert_private(r.text)
    other = client.get(f"/phan-anh/gui/trung-lap?category=rac-thai&lat={lat}&lon={lon}")
    assert existing.code not in other.text
    far = client.get("/phan-anh/gui/trung-lap?category=duong-hu-hong&lat=13.0&lon=109.3")
    assert existing.code not in far.text
    bad = client.get("/phan-anh/gui/trung-lap?category=duong-hu-hong&lat=x&lon=1")
    assert bad.status_code == 200 and existing.code not in bad.text


def test_tracking_page_shows_status_timeline_and_answer(
    client: TestClient, db: Session, fr: Submit
) -> None:
    sub = fr(description=LEAKY, photos=[png_bytes()])
    report = sub.report
    service.assign(db, STAFF, report)
    service.add_note(db, STAFF, report, "Ghi chú nội bộ: gọi chị Hoa 0905123456")
    service.answer(db, STAFF, report, "Đã vá ổ gà, liên hệ 0905123456")
    db.commit()
    r = client.get(f"/phan-anh/tra-cuu?ma={report.code.lower()}")
    assert r.status_code == 200
    assert report.code in r.text and "Đã trả lời, chờ công khai" in r.text
    assert "Đã vá ổ gà" not in r.text  # not public before publication
    assert "Ghi chú nội bộ" not in r.text
    assert "/field-reports/photos/" not in r.text  # the photo is not published
    service.publish(db, STAFF, report)
    photo = db.execute(select(Photo).where(Photo.report_id == report.id)).scalar_one()
    service.publish_photo(db, STAFF, photo)
    db.commit()
    r = client.get(f"/phan-anh/tra-cuu?ma={report.code}")
    assert "Đã vá ổ gà" in r.text and "Công khai kết quả xử lý" in r.text
    assert f"/field-reports/photos/{photo.id}" in r.text
    assert 'action="/phan-anh/tra-cuu/' + report.code + '/danh-gia"' in r.text
    assert_private(r.text)


def test_unknown_code_is_a_friendly_404(client: TestClient, db: Session, fr: Submit) -> None:
    db.commit()
    r = client.get("/phan-anh/tra-cuu?ma=PA-2026-999999")
    assert r.status_code == 404 and "Không tìm thấy phản ánh" in r.text
    assert client.get("/phan-anh/tra-cuu").status_code == 200


def test_hidden_report_shows_only_code_and_status(
    client: TestClient, db: Session, fr: Submit
) -> None:
    report = fr(description=LEAKY).report
    service.hide(db, STAFF, report, "Nội dung không phù hợp")
    db.commit()
    r = client.get(f"/phan-anh/tra-cuu?ma={report.code}")
    assert r.status_code == 200 and "đã được ẩn" in r.text
    assert "Ổ gà" not in r.text
    assert report.code not in client.get("/phan-anh/danh-sach").text


def published(db: Session, fr: Submit) -> service.Submission:
    sub = fr()
    service.assign(db, STAFF, sub.report)
    service.answer(db, STAFF, sub.report, "Đã vá xong ổ gà")
    service.publish(db, STAFF, sub.report)
    db.commit()
    return sub


def test_reporter_rates_with_the_secret(client: TestClient, db: Session, fr: Submit) -> None:
    sub = published(db, fr)
    path = f"/phan-anh/tra-cuu?ma={sub.report.code}"
    action = f"/phan-anh/tra-cuu/{sub.report.code}/danh-gia"
    token = csrf(client, path)
    wrong = client.post(
        action,
        data={"csrf_token": token, "secret": "sai", "satisfied": "yes", "really_fixed": "no"},
    )
    assert wrong.status_code == 422 and "Mã bí mật của phản ánh không đúng" in wrong.text
    missing = client.post(
        action, data={"csrf_token": token, "secret": sub.secret, "really_fixed": "no"}
    )
    assert missing.status_code == 422 and "hài lòng hoặc không hài lòng" in missing.text
    forged = client.post(
        action,
        data={"csrf_token": "x", "secret": sub.secret, "satisfied": "yes", "really_fixed": "no"},
    )
    assert forged.status_code == 400
    ok = client.post(
        action,
        data={"csrf_token": token, "secret": sub.secret, "satisfied": "yes", "really_fixed": "no"},
        follow_redirects=False,
    )
    assert ok.status_code == 303 and ok.headers["location"].endswith("done=rated")
    db.expire_all()
    report = service.get_report(db, sub.report.code)
    assert report.status == "rated" and report.rating_satisfied is True
    assert report.rating_fixed is False and report.fixed is True  # agency's word kept apart
    page = client.get(ok.headers["location"])
    assert "Cảm ơn bạn đã đánh giá" in page.text and "Chưa khắc phục" in page.text


def test_reporter_reopens_and_supplies_information(
    client: TestClient, db: Session, fr: Submit
) -> None:
    sub = published(db, fr)
    code = sub.report.code
    token = csrf(client, f"/phan-anh/tra-cuu?ma={code}")
    r = client.post(
        f"/phan-anh/tra-cuu/{code}/mo-lai",
        data={"csrf_token": token, "secret": sub.secret, "reason": "Ổ gà lại xuất hiện"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    db.expire_all()
    report = service.get_report(db, code)
    assert report.status == "assigned" and report.reopen_count == 1
    service.request_info(db, STAFF, report, "Ổ gà ở làn nào?")
    db.commit()
    page = client.get(f"/phan-anh/tra-cuu?ma={code}")
    assert "Ổ gà ở làn nào?" in page.text and "/bo-sung" in page.text
    empty = client.post(
        f"/phan-anh/tra-cuu/{code}/bo-sung",
        data={"csrf_token": token, "secret": sub.secret, "text": ""},
    )
    assert empty.status_code == 422 and "Vui lòng nhập thông tin bổ sung" in empty.text
    r = client.post(
        f"/phan-anh/tra-cuu/{code}/bo-sung",
        data={"csrf_token": token, "secret": sub.secret, "text": "Làn bên phải"},
        files=[("photos", ("a.png", png_bytes(), "image/png"))],
        follow_redirects=False,
    )
    assert r.status_code == 303
    db.expire_all()
    assert service.get_report(db, code).status == "assigned"


def test_public_list_filters_pages_and_maps(client: TestClient, db: Session, fr: Submit) -> None:
    for i in range(21):
        fr(description=f"Ổ gà số {i}")
    rubbish = fr(category_code="rac-thai", description="Rác tồn đọng " + LEAKY).report
    done = published(db, fr).report
    r = client.get("/phan-anh/danh-sach")
    assert r.status_code == 200
    assert r.text.count('class="fr-card"') == 20 and "trang=2" in r.text
    assert 'data-fr-map="reports"' in r.text and done.code in r.text
    assert_private(r.text)
    page2 = client.get("/phan-anh/danh-sach?trang=2")
    assert page2.text.count('class="fr-card"') == 3
    only = client.get("/phan-anh/danh-sach?linh_vuc=rac-thai")
    assert only.text.count('class="fr-card"') == 1 and rubbish.code in only.text
    answered = client.get("/phan-anh/danh-sach?trang_thai=published")
    assert answered.text.count('class="fr-card"') == 1 and "Đã vá xong ổ gà" in answered.text
    assert client.get("/phan-anh/danh-sach?xa=24121").text.count('class="fr-card"') == 0
    assert client.get("/phan-anh/danh-sach?trang=0").status_code == 422
    landing = client.get("/phan-anh")
    assert "Kết quả xử lý mới công khai" in landing.text and "Đã vá xong ổ gà" in landing.text


def test_public_pages_in_english(client: TestClient, db: Session, fr: Submit) -> None:
    code = fr().report.code
    db.commit()
    assert "Seen a pothole" in client.get("/phan-anh?lang=en").text
    assert "Kind of problem" in client.get("/phan-anh/gui").text  # remembered by cookie
    assert "Received" in client.get(f"/phan-anh/tra-cuu?ma={code}").text


def test_no_personal_data_on_any_public_page(client: TestClient, db: Session, fr: Submit) -> None:
    from test_fr_privacy import every_kind_of_report

    reports = every_kind_of_report(db, fr)
    db.commit()
    pages = ["/phan-anh", "/phan-anh/danh-sach", "/phan-anh/danh-sach?trang_thai=rated"]
    pages += [f"/phan-anh/tra-cuu?ma={r.code}" for r in reports]
    lat, lon = reports[0].lat, reports[0].lon
    pages.append(f"/phan-anh/gui/trung-lap?category=duong-hu-hong&lat={lat}&lon={lon}")
    for path in pages:
        r = client.get(path)
        assert r.status_code == 200, path
        assert_private(r.text)
        assert "gọi lại lúc 9h" not in r.text  # internal notes
