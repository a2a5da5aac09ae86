"""Planning zones and infrastructure assets as datasets of the open-data catalogue."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.core.registry import DatasetQuality, DatasetRows, DatasetSpec, load_datasets
from ioc.packs.planning.models import PlAsset, PlPlan, PlZone


def _zone_rows(session: Session) -> DatasetRows:
    rows = session.execute(
        select(PlZone, PlPlan).join(PlPlan, PlPlan.id == PlZone.plan_id).order_by(PlPlan.id)
    ).all()
    return DatasetRows(
        columns=(
            "plan_name",
            "decision_number",
            "decision_date",
            "valid_from",
            "valid_to",
            "zone_code",
            "land_use",
            "limits",
            "geometry",
        ),
        rows=[
            (
                p.name,
                p.decision_number,
                p.decision_date,
                p.valid_from,
                p.valid_to,
                z.zone_code,
                z.land_use,
                json.dumps(z.limits, ensure_ascii=False),
                json.loads(z.geometry),
            )
            for z, p in rows
        ],
        geometry_column="geometry",
    )


def _asset_rows(session: Session) -> DatasetRows:
    assets = session.execute(select(PlAsset).order_by(PlAsset.code)).scalars()
    return DatasetRows(
        columns=("code", "kind", "name", "agency_code", "status", "area_code", "geometry"),
        rows=[
            (a.code, a.kind, a.name, a.agency_code, a.status, a.area_code, json.loads(a.geometry))
            for a in assets
        ],
        geometry_column="geometry",
    )


def _zone_quality(session: Session, now: datetime) -> DatasetQuality:
    zones = list(session.execute(select(PlZone)).scalars())
    latest = session.execute(select(func.max(PlPlan.imported_at))).scalar_one_or_none()
    with_limits = sum(1 for z in zones if z.limits)
    return DatasetQuality(
        latest=latest,
        expected=len(zones) or None,
        present=with_limits if zones else None,
        checked=len(zones),
        passed=len(zones),  # every stored zone passed the import's checks
    )


def _asset_quality(session: Session, now: datetime) -> DatasetQuality:
    assets = list(session.execute(select(PlAsset)).scalars())
    latest = session.execute(select(func.max(PlAsset.updated_at))).scalar_one_or_none()
    return DatasetQuality(
        latest=latest,
        expected=len(assets) or None,
        present=sum(1 for a in assets if a.area_code) if assets else None,
        checked=len(assets),
        # Every stored asset passed the import's checks (a broken light is a fact, not an error).
        passed=len(assets),
    )


def datasets() -> list[DatasetSpec]:
    """Planning zones and infrastructure assets (``datasets.yaml``)."""
    return load_datasets(
        "ioc.packs.planning",
        {
            "quy-hoach-phan-khu": (_zone_rows, _zone_quality),
            "ha-tang-do-thi": (_asset_rows, _asset_quality),
        },
    )
