"""Photos received with a report or added later: size and count checks, then storage."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ioc.engines.actions_kit import same_named
from ioc.packs.field_reports import photos as photo_files
from ioc.packs.field_reports.errors import FieldReportError
from ioc.packs.field_reports.models import Photo, Report
from ioc.packs.field_reports.service.configuration import Policy


def check_photo_count(count: int, pol: Policy) -> None:
    """Refuse more than ``photo_max_count`` photos on one report."""
    if count > pol.photo_max_count:
        raise FieldReportError(
            f"Tối đa {pol.photo_max_count} ảnh cho một phản ánh",
            f"At most {pol.photo_max_count} photos per report",
            field="photos",
        )


def process_photos(data: Sequence[bytes], existing: int, pol: Policy) -> list[Any]:
    """The photos checked (count, size, content) and cleaned of metadata, not yet stored."""
    check_photo_count(existing + len(data), pol)
    out = []
    for blob in data:
        try:
            out.append(
                photo_files.process(
                    blob,
                    max_bytes=pol.photo_max_bytes,
                    max_side=pol.photo_max_side,
                    max_pixels=pol.photo_max_pixels,
                )
            )
        except photo_files.PhotoError as exc:
            raise FieldReportError(str(exc), exc.en, field="photos") from exc
    return out


def attach_photos(
    session: Session, report: Report, processed: list[Any], now: datetime, pol: Policy, source: str
) -> list[Photo]:
    """Store the processed photos and their ``fr_photos`` rows."""
    rows = []
    for item in processed:
        stored = photo_files.store(item, pol.data_dir)
        row = Photo(
            report_id=report.id,
            path=stored.path,
            original_path=stored.path,
            **same_named(item, "sha256 content_type width height"),
            size_bytes=len(item.data),
            redacted=False,
            published=False,
            source=source,
            uploaded_at=now,
        )
        session.add(row)
        rows.append(row)
    session.flush()
    return rows
