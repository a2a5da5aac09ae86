"""Photo serving: the public sees published photos only (the redacted version), staff see
the photos of reports they may open, IOC staff the originals; anything else is a 404 that
never reveals whether the photo exists."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from fr_helpers import STAFF, Submit, png_bytes
from sqlalchemy import select
from sqlalchemy.orm import Session

from helpers import login
from ioc.core import audit, auth
from ioc.packs.field_reports import service
from ioc.packs.field_reports.models import Photo, Report

PASSWORD = "mật-khẩu-đủ-dài-123"


@pytest.fixture
def web(client: TestClient, fr_policy: service.Policy) -> TestClient:
    """The app's client with the pack's photos under the test's folder."""
    service.configure(fr_policy)
    return client


def user(db: Session, username: str, role: str, agency_code: str | None = None) -> str:
    auth.create_user(
        db,
        audit.Actor.system("test"),
        username=username,
        password=PASSWORD,
        full_name=f"Cán bộ {username}",
        role=role,
        agency_code=agency_code,
    )
    return username


def photo_of(db: Session, report: Report) -> Photo:
    return db.execute(select(Photo).where(Photo.report_id == report.id)).scalar_one()


def test_public_gets_published_photos_only(
    web: TestClient, fr: Submit, db: Session, fr_policy: service.Policy
) -> None:
    report = fr(photos=[png_bytes()]).report
    photo = photo_of(db, report)
    pid = photo.id
    db.commit()

    hidden_answer = web.get(f"/field-reports/photos/{pid}")
    missing = web.get(f"/field-reports/photos/{pid + 1000}")
    assert hidden_answer.status_code == missing.status_code == 404
    assert hidden_answer.content == missing.content  # nothing tells one from the other
    assert web.get("/field-reports/photos/abc").status_code == 404

    service.publish_photo(db, STAFF, photo_of(db, report))
    db.commit()
    r = web.get(f"/field-reports/photos/{pid}")
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/png"
    assert r.headers["cache-control"] == "public, max-age=60"
    assert r.content == (fr_policy.data_dir / photo_of(db, report).path).read_bytes()
    # Originals are for IOC staff only.
    assert web.get(f"/field-reports/photos/{pid}?original=1").status_code == 404

    service.hide(db, STAFF, db.get(Report, report.id), "Nội dung vi phạm")  # type: ignore[arg-type]
    db.commit()
    assert web.get(f"/field-reports/photos/{pid}").status_code == 404


def test_redacted_photo_and_original(
    web: TestClient, fr: Submit, db: Session, fr_policy: service.Policy
) -> None:
    report = fr(photos=[png_bytes((60, 40))]).report
    photo = photo_of(db, report)
    original = (fr_policy.data_dir / photo.original_path).read_bytes()
    service.redact_photo(db, STAFF, photo, [(0, 0, 20, 20)])
    service.publish_photo(db, STAFF, photo)
    pid, redacted_path = photo.id, photo.path
    user(db, "truc-ban", "operator")
    user(db, "lanh-dao", "leader")
    db.commit()
    redacted = (fr_policy.data_dir / redacted_path).read_bytes()
    assert redacted != original

    assert web.get(f"/field-reports/photos/{pid}").content == redacted

    login(web, "lanh-dao", PASSWORD)
    assert web.get(f"/field-reports/photos/{pid}").content == redacted
    assert web.get(f"/field-reports/photos/{pid}?original=1").status_code == 404

    login(web, "truc-ban", PASSWORD)
    r = web.get(f"/field-reports/photos/{pid}?original=1")
    assert r.status_code == 200 and r.content == original
    assert r.headers["cache-control"] == "private, no-store"
    assert r.headers["content-type"] == "image/png"


def test_staff_see_unpublished_photos_of_reports_they_may_open(
    web: TestClient, fr: Submit, db: Session
) -> None:
    report = fr(photos=[png_bytes()]).report
    service.assign(db, STAFF, report)  # to the ward's People's Committee
    pid = photo_of(db, report).id
    user(db, "phuong-bmt", "agency_staff", "ubnd-24133")
    user(db, "phuong-khac", "agency_staff", "ubnd-24121")
    user(db, "truc-ban", "operator")
    db.commit()

    login(web, "phuong-khac", PASSWORD)
    assert web.get(f"/field-reports/photos/{pid}").status_code == 404

    login(web, "phuong-bmt", PASSWORD)
    r = web.get(f"/field-reports/photos/{pid}")
    assert r.status_code == 200 and r.headers["cache-control"] == "private, no-store"
    assert web.get(f"/field-reports/photos/{pid}?original=1").status_code == 404

    login(web, "truc-ban", PASSWORD)
    assert web.get(f"/field-reports/photos/{pid}").status_code == 200
    assert web.get(f"/field-reports/photos/{pid}?original=1").status_code == 200


def test_missing_file_is_a_404(
    web: TestClient, fr: Submit, db: Session, fr_policy: service.Policy
) -> None:
    report = fr(photos=[png_bytes()]).report
    photo = photo_of(db, report)
    service.publish_photo(db, STAFF, photo)
    pid = photo.id
    db.commit()
    Path(fr_policy.data_dir / photo.path).unlink()
    assert web.get(f"/field-reports/photos/{pid}").status_code == 404
