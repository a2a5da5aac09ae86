"""Builders shared by the public-services tests: dossier rows as iGate would send them."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import audit
from ioc.packs.public_services.indices import COUNTER_FIELDS
from ioc.packs.public_services.ingest import IngestReport, ingest_batch, rebuild_stats
from ioc.packs.public_services.models import PsStat

VN = ZoneInfo("Asia/Ho_Chi_Minh")
ACTOR = audit.Actor.system("test")
AGENCY = "so-xay-dung"
OTHER = "so-tu-phap"
COMMUNE = "24133"  # Phường Buôn Ma Thuột
COMMUNE_2 = "24121"  # Phường Tân Lập
PROC = "1.009994"


def iso(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> str:
    """A local time as iGate sends it (ISO 8601 with +07:00)."""
    return datetime(y, m, d, hh, mm, tzinfo=VN).isoformat()


def dossier(code: str, **kw: Any) -> dict[str, Any]:
    """A valid dossier row; keyword arguments override fields."""
    row: dict[str, Any] = {
        "id": code,
        "procedure_code": PROC,
        "procedure_name": "Cấp giấy phép xây dựng",
        "agency": AGENCY,
        "area": COMMUNE,
        "channel": "online",
        "received_at": iso(2026, 3, 2),
        "due_at": iso(2026, 3, 6, 16, 0),
        "synced": True,
    }
    row.update(kw)
    return {k: v for k, v in row.items() if v is not None}


def ingest(db: Session, dossiers: list[dict[str, Any]], **kw: Any) -> IngestReport:
    """Ingest and commit a batch."""
    report = ingest_batch(db, ACTOR, dossiers=dossiers, **kw)
    db.commit()
    return report


def stats_snapshot(db: Session) -> dict[tuple[str, str, str, int], tuple[int, ...]]:
    """``ps_stats`` as a dict (zero rows dropped), for comparing incremental with rebuilt."""
    out = {}
    for row in db.execute(select(PsStat)).scalars():
        values = tuple(getattr(row, f) for f in COUNTER_FIELDS)
        if any(values):
            out[(row.agency_code, row.area_code, row.procedure_code, row.month)] = values
    return out


def rebuilt_snapshot(db: Session) -> dict[tuple[str, str, str, int], tuple[int, ...]]:
    """Rebuild the aggregates from the dossiers (in a rolled-back savepoint) and snapshot."""
    nested = db.begin_nested()
    rebuild_stats(db)
    snap = stats_snapshot(db)
    nested.rollback()
    return snap
