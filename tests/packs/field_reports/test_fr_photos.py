"""Photo checks: only real JPEG/PNG/WebP, a size limit, metadata (EXIF/GPS) stripped,
redaction and moderation before publication."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest
from fr_helpers import STAFF, Submit, png_bytes
from PIL import Image
from PIL.ExifTags import GPS, Base
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.packs.field_reports import photos, public, service
from ioc.packs.field_reports.models import ModerationEntry, Photo
from ioc.packs.field_reports.service import FieldReportError

GPS_IFD = 0x8825


def jpeg_with_gps(size: tuple[int, int] = (64, 48), orientation: int | None = None) -> bytes:
    image = Image.new("RGB", size, (200, 40, 40))
    exif = image.getexif()
    exif[Base.Make] = "CameraMaker"
    exif[Base.Artist] = "Nguyễn Thị Hoa"
    if orientation:
        exif[Base.Orientation] = orientation
    exif[GPS_IFD] = {
        GPS.GPSLatitudeRef: "N",
        GPS.GPSLatitude: (12.0, 40.0, 3.36),
        GPS.GPSLongitudeRef: "E",
        GPS.GPSLongitude: (108.0, 2.0, 16.44),
    }
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    data = out.getvalue()
    # The fixture really carries a GPS position.
    assert dict(Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD))[GPS.GPSLatitudeRef] == "N"
    return data


def stored(db: Session, root: Path, report_id: int) -> list[tuple[Photo, bytes]]:
    rows = db.execute(select(Photo).where(Photo.report_id == report_id).order_by(Photo.id))
    return [(p, (root / p.path).read_bytes()) for p in rows.scalars()]


def test_gps_and_exif_are_removed(db: Session, fr: Submit, fr_policy: service.Policy) -> None:
    r = fr(photos=[jpeg_with_gps()]).report
    ((photo, data),) = stored(db, fr_policy.data_dir, r.id)
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG" and (photo.width, photo.height) == (64, 48)
    assert dict(image.getexif()) == {}
    assert "exif" not in image.info
    assert b"Exif" not in data and b"CameraMaker" not in data
    assert photo.content_type == "image/jpeg" and len(photo.sha256) == 64
    assert photo.path.startswith("field_reports/photos/") and not photo.published


def test_orientation_is_applied_before_stripping(fr_policy: service.Policy) -> None:
    result = photos.process(jpeg_with_gps((64, 48), orientation=6), max_bytes=10**6)
    assert (result.width, result.height) == (48, 64)


def test_png_and_webp_are_accepted(fr_policy: service.Policy) -> None:
    png = photos.process(png_bytes(), max_bytes=10**6)
    assert (png.format, png.content_type, png.width, png.height) == ("PNG", "image/png", 40, 30)
    out = io.BytesIO()
    image = Image.new("RGB", (20, 20), (0, 200, 0))
    exif = image.getexif()
    exif[GPS_IFD] = {GPS.GPSLatitudeRef: "N", GPS.GPSLatitude: (12.0, 40.0, 3.0)}
    image.save(out, "WEBP", exif=exif)
    webp = photos.process(out.getvalue(), max_bytes=10**6)
    assert webp.format == "WEBP" and b"Exif" not in webp.data
    assert dict(Image.open(io.BytesIO(webp.data)).getexif()) == {}


@pytest.mark.parametrize(
    "data",
    [
        b"Day la tep van ban, khong phai anh\n",  # a text file named .jpg
        b"\xff\xd8\xff\xe0" + b"\x00" * 64,  # a JPEG header and nothing else
        b"",
    ],
)
def test_fake_images_are_refused(db: Session, fr: Submit, data: bytes) -> None:
    with pytest.raises(FieldReportError) as error:
        fr(photos=[data])
    assert error.value.field == "photos"


def test_truncated_and_foreign_formats_are_refused(fr_policy: service.Policy) -> None:
    whole = jpeg_with_gps((200, 200))
    with pytest.raises(photos.PhotoError, match="không phải là ảnh hợp lệ"):
        photos.process(whole[: len(whole) // 2], max_bytes=10**6)
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, "GIF")
    with pytest.raises(photos.PhotoError, match="JPEG, PNG hoặc WebP"):
        photos.process(gif.getvalue(), max_bytes=10**6)


def test_size_limit(db: Session, fr: Submit, fr_policy: service.Policy) -> None:
    service.configure(service.with_policy(photo_max_bytes=2048))
    big = png_bytes((400, 400))
    noisy = Image.frombytes("RGB", (200, 200), random.Random(1).randbytes(200 * 200 * 3))
    out = io.BytesIO()
    noisy.save(out, "PNG")
    assert len(out.getvalue()) > 2048
    with pytest.raises(FieldReportError, match="quá lớn") as error:
        fr(photos=[out.getvalue()])
    assert error.value.field == "photos"
    assert len(big) < 2048  # a small file passes
    fr(photos=[big])


def test_photo_count_limit(db: Session, fr: Submit) -> None:
    with pytest.raises(FieldReportError, match="Tối đa 5 ảnh"):
        fr(photos=[png_bytes()] * 6)
    r = fr(photos=[png_bytes()] * 5).report
    with pytest.raises(FieldReportError, match="Tối đa 5 ảnh"):
        service.add_photo(db, STAFF, r, png_bytes())


def test_large_photos_are_scaled_down(fr_policy: service.Policy) -> None:
    result = photos.process(png_bytes((3000, 1000)), max_bytes=10**7, max_side=1500)
    assert (result.width, result.height) == (1500, 500)


def test_redaction_then_publication(db: Session, fr: Submit, fr_policy: service.Policy) -> None:
    r = fr(photos=[png_bytes((40, 30), (255, 255, 255))]).report
    photo = db.execute(select(Photo).where(Photo.report_id == r.id)).scalar_one()
    original = photo.path
    service.redact_photo(db, STAFF, photo, [(0, 0, 10, 10)], reason="Biển số xe")
    assert photo.redacted and photo.path != original and photo.original_path == original
    image = Image.open(fr_policy.data_dir / photo.path).convert("RGB")
    assert image.getpixel((5, 5)) == (0, 0, 0)
    assert image.getpixel((20, 20)) == (255, 255, 255)
    assert Image.open(fr_policy.data_dir / original).convert("RGB").getpixel((5, 5)) == (
        255,
        255,
        255,
    )
    with pytest.raises(FieldReportError) as outside:
        service.redact_photo(db, STAFF, photo, [(100, 100, 200, 200)])
    assert outside.value.field == "boxes"
    assert public.public_report(db, r)["photos"] == []
    service.publish_photo(db, STAFF, photo)
    assert public.public_report(db, r)["photos"][0]["redacted"] is True
    actions = (
        db.execute(select(ModerationEntry.action).where(ModerationEntry.report_id == r.id))
        .scalars()
        .all()
    )
    assert actions == ["photo_redact", "photo_publish"]
