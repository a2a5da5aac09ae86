"""Helpers of the field-reports tests (constants and builders)."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime

from PIL import Image
from sqlalchemy.orm import Session

from ioc.core import audit, clock
from ioc.packs.field_reports import service
from ioc.packs.field_reports.models import Report

BMT = "24133"  # Phường Buôn Ma Thuột
TAN_LAP = "24121"  # Phường Tân Lập
# A point well inside phường Buôn Ma Thuột's stand-in cell (the commune of a report is the
# commune of its point; the shipped approximate centres put Quảng trường 10/3 itself,
# 12.6676, 108.0379, in the cell of Phường Thành Nhất).
BMT_POINT = (12.6745, 108.0475)
STAFF = audit.Actor(None, "test-staff")
REPORTER = {
    "reporter_name": "Nguyễn Thị Hoa",
    "reporter_phone": "0905 123 456",
    "reporter_email": "hoa.nguyen@example.vn",
}

Submit = Callable[..., service.Submission]


def png_bytes(
    size: tuple[int, int] = (40, 30), color: tuple[int, int, int] = (30, 120, 200)
) -> bytes:
    """A small real PNG."""
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def at_local(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> datetime:
    """An aware UTC datetime from a local (UTC+7) wall time."""
    return datetime(y, m, d, hh, mm, tzinfo=clock.local_zone()).astimezone(UTC)


def reload(db: Session, report: Report) -> Report:
    """The report re-read from the database."""
    db.flush()
    db.expire(report)
    return report
