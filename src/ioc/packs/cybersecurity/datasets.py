"""Cybersecurity incidents as an (internal) dataset of the open-data catalogue: listed with
its quality, never downloadable (incidents describe weaknesses of agencies' systems).

Quality over 30 days: newest incident opened; đủ = incidents with an agency and a category ÷
incidents; đúng = incidents closed no earlier than opened, and closed ones with a cause ÷
incidents; sạch = syslog/SOC dead letters against incidents taken.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.core.models import DeadLetter
from ioc.core.registry import DatasetQuality, DatasetSpec
from ioc.packs.cybersecurity.models import CyIncident

WINDOW = timedelta(days=30)


def _ok(i: CyIncident) -> bool:
    if i.closed_at is None:
        return i.status != "closed"
    return i.closed_at >= i.opened_at and bool((i.cause or "").strip())


def _quality(session: Session, now: datetime) -> DatasetQuality:
    since = now - WINDOW
    latest = session.execute(select(func.max(CyIncident.opened_at))).scalar_one_or_none()
    recent = list(
        session.execute(select(CyIncident).where(CyIncident.opened_at >= since)).scalars()
    )
    refused = session.execute(
        select(func.count())
        .select_from(DeadLetter)
        .where(DeadLetter.received_at >= since, DeadLetter.source.in_(("syslog", "soc")))
    ).scalar_one()
    return DatasetQuality(
        latest=latest,
        expected=len(recent) or None,
        present=sum(1 for i in recent if i.agency_code and i.category) if recent else None,
        refused=int(refused),
        accepted=len(recent),
        checked=len(recent),
        passed=sum(1 for i in recent if _ok(i)),
    )


def datasets() -> list[DatasetSpec]:
    """The incidents dataset."""
    return [
        DatasetSpec(
            code="su-co-an-toan-thong-tin",
            pack="cybersecurity",
            title_vi="Sự cố an toàn thông tin mạng",
            title_en="Cybersecurity incidents",
            description_vi=(
                "Sự cố an toàn thông tin của các cơ quan: loại, mức độ, xử lý, nguyên nhân."
            ),
            description_en=(
                "Agencies' cybersecurity incidents: category, severity, handling, cause."
            ),
            owner_agency="so-khoa-hoc-cong-nghe",
            frequency="irregular",
            public=False,
            licence="internal",
            temporal_start=date(2025, 7, 1),
            tags=("an-toan-thong-tin",),
            href="/cybersecurity",
            quality=_quality,
        )
    ]
