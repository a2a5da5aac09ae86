"""The field reports as a dataset of the open-data catalogue (``PackManifest.datasets``).

Rows are the public fields only (the same ones the public map shows): code, category, masked
description, status, commune, rounded point, dates and the handling agency — never the
reporter's name, phone, e-mail or secret. Hidden reports and merged duplicates are left out.

Quality over 30 days: newest report received; đủ = reports with category, commune, point and
description ÷ reports; đúng = reports whose dates are consistent (closed, answered and due
after received) and whose point lies in Vietnam ÷ reports; sạch = Open311/intake dead letters
against reports taken.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core.models import Agency
from ioc.core.registry import DatasetRows, DatasetSpec
from ioc.engines.dataset_quality import Records, record_datasets
from ioc.packs.field_reports.models import Category, Report
from ioc.packs.field_reports.public import COORD_DECIMALS, mask_contacts

ROW_LIMIT = 50000


def _rows(session: Session) -> DatasetRows:
    stmt = (
        select(Report, Category.code, Category.name_vi, Agency.code)
        .join(Category, Category.id == Report.category_id)
        .outerjoin(Agency, Agency.id == Report.agency_id)
        .where(Report.hidden.is_(False), Report.merged_into_id.is_(None))
        .order_by(Report.received_at.desc())
        .limit(ROW_LIMIT)
    )
    out = []
    for r, cat_code, cat_name, agency in session.execute(stmt):
        private = [r.reporter_name, r.reporter_phone, r.reporter_email]
        out.append(
            (
                r.code,
                cat_code,
                cat_name,
                mask_contacts(r.description, private),
                r.status,
                r.area_code,
                round(r.lat, COORD_DECIMALS),
                round(r.lon, COORD_DECIMALS),
                r.received_at,
                r.closed_at if r.closed else None,
                r.fixed if r.closed else None,
                agency,
            )
        )
    return DatasetRows(
        columns=(
            "code",
            "category",
            "category_name",
            "description",
            "status",
            "area_code",
            "lat",
            "lon",
            "received_at",
            "closed_at",
            "fixed",
            "agency_code",
        ),
        rows=out,
        lat_column="lat",
        lon_column="lon",
    )


def _consistent(r: Report) -> bool:
    later = [r.closed_at, r.answered_at, r.due_at, r.assigned_at]
    if any(t is not None and t < r.received_at for t in later):
        return False
    return 8.0 <= r.lat <= 24.0 and 102.0 <= r.lon <= 110.0


def _complete(r: Report) -> bool:
    return bool(r.category_id and r.area_code and r.description.strip())


def datasets() -> list[DatasetSpec]:
    """The field-report dataset (``datasets.yaml``)."""
    reports = Records(Report, _complete, _consistent, _rows)
    return record_datasets("ioc.packs.field_reports", {"phan-anh-hien-truong": reports})
