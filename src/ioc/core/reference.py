"""Load the shipped reference data (administrative units, agencies) into the database."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import i18n
from ioc.core.admin_data import load_agencies, load_areas
from ioc.core.models import Agency, Area


def sync_areas(session: Session) -> int:
    """Insert or update every administrative unit (current and legacy); returns rows written."""
    existing = {(a.code, a.valid_from): a for a in session.execute(select(Area)).scalars()}
    written = 0
    for rec in load_areas():
        values = {
            "name": rec.name,
            "short_name": rec.short_name,
            "name_folded": i18n.fold(rec.name),
            "level": rec.level,
            "parent_code": rec.parent_code,
            "valid_to": rec.valid_to,
            "replaced_by": rec.replaced_by,
            "legacy_sources": list(rec.legacy_sources),
            "successors": list(rec.successors),
            "lat": rec.lat,
            "lon": rec.lon,
        }
        row = existing.get((rec.code, rec.valid_from))
        if row is None:
            session.add(Area(code=rec.code, valid_from=rec.valid_from, **values))
            written += 1
        else:
            written += _update(row, values)
    session.flush()
    return written


def sync_agencies(session: Session) -> int:
    """Insert or update every agency from the shipped data; returns rows written."""
    existing = {a.code: a for a in session.execute(select(Agency)).scalars()}
    written = 0
    for rec in load_agencies():
        values = {
            "name": rec.name,
            "short_name": rec.short_name,
            "kind": rec.kind,
            "parent_code": rec.parent_code,
            "area_code": rec.area_code,
            "valid_from": rec.valid_from,
            "valid_to": rec.valid_to,
            "successor_code": rec.successor,
        }
        row = existing.get(rec.code)
        if row is None:
            session.add(Agency(code=rec.code, **values))
            written += 1
        else:
            written += _update(row, values)
    session.flush()
    return written


def _update(row: object, values: Mapping[str, object]) -> int:
    """Set changed attributes; 1 when anything changed, else 0."""
    changed = {k: v for k, v in values.items() if getattr(row, k) != v}
    for key, value in changed.items():
        setattr(row, key, value)
    return 1 if changed else 0
