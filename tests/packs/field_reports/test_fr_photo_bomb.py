"""Decompression bombs: a small PNG that claims 30000×30000 pixels is refused with a clear 4xx
message (not a 500), and the pixel limit is a setting."""

from __future__ import annotations

import re
import struct
import zlib

import pytest
from fastapi.testclient import TestClient
from fr_helpers import BMT, BMT_POINT, REPORTER, Submit, png_bytes
from sqlalchemy.orm import Session

from helpers import csrf
from ioc.packs.field_reports import photos, service
from ioc.settings import Settings


def _chunk(kind: bytes, body: bytes) -> bytes:
    return (
        struct.pack(">I", len(body))
        + kind
        + body
        + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    )


def bomb_png(side: int = 30_000) -> bytes:
    """A 1-bit greyscale PNG of ``side``×``side`` white pixels (~100 KB for 30000)."""
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    packer = zlib.compressobj(9)
    row = b"\0" + b"\xff" * ((side + 7) // 8)
    parts = [packer.compress(row) for _ in range(side)]
    parts.append(packer.flush())
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", b"".join(parts))
        + _chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def bomb() -> bytes:
    data = bomb_png()
    assert len(data) < 200_000
    return data


def test_process_refuses_a_bomb_with_a_clear_message(bomb: bytes) -> None:
    with pytest.raises(photos.PhotoError, match="quá lớn") as error:
        photos.process(bomb, max_bytes=10**7)
    assert "pixels" in error.value.en


def test_max_pixels_is_a_setting(fr_policy: service.Policy) -> None:
    assert Settings().fr_photo_max_pixels == 50_000_000
    pol = service.policy_from_settings(Settings(fr_photo_max_pixels=10_000))
    assert pol.photo_max_pixels == 10_000
    service.configure(service.with_policy(photo_max_pixels=10_000))
    with pytest.raises(service.FieldReportError) as error:
        service._process_photos([png_bytes((200, 100))], 0, service.policy())
    assert error.value.field == "photos"
    # 40×30 = 1200 pixels fits under 10,000.
    assert service._process_photos([png_bytes((40, 30))], 0, service.policy())


def test_public_form_answers_4xx_for_a_bomb(
    client: TestClient, db: Session, fr: Submit, fr_policy: service.Policy, bomb: bytes
) -> None:
    db.commit()
    token = csrf(client, "/phan-anh/gui")
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
    r = client.post("/phan-anh/gui", data=data, files=[("photos", ("bomb.png", bomb, "image/png"))])
    assert 400 <= r.status_code < 500, r.status_code
    assert re.search(r'id="err-photos" role="alert">[^<]*quá lớn', r.text)
