"""Published public warnings (CAP 1.2) as a dataset of the open-data catalogue.

Rows: identifier, type, hazard, severity, urgency, certainty, headline and description (vi/en),
effective and expiry times and the communes covered — what the public CAP feed already says;
drafts and discarded drafts are left out. Quality over 30 days: newest publication; đủ =
warnings with a Vietnamese description and at least one commune ÷ warnings; đúng = warnings
that expire after they take effect ÷ warnings.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.core.registry import DatasetQuality, DatasetRows, DatasetSpec, load_datasets
from ioc.engines.dataset_quality import WINDOW
from ioc.packs.warnings.models import PUBLISHED, WrWarning, WrWarningArea


def _areas(session: Session, ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    if ids:
        for wid, code in session.execute(
            select(WrWarningArea.warning_id, WrWarningArea.area_code).where(
                WrWarningArea.warning_id.in_(ids)
            )
        ):
            out.setdefault(wid, []).append(code)
    return out


def _rows(session: Session) -> DatasetRows:
    warnings = list(
        session.execute(
            select(WrWarning)
            .where(WrWarning.state == PUBLISHED)
            .order_by(WrWarning.effective_at.desc())
        ).scalars()
    )
    areas = _areas(session, [w.id for w in warnings])
    return DatasetRows(
        columns=(
            "identifier",
            "msg_type",
            "hazard",
            "severity",
            "urgency",
            "certainty",
            "headline_vi",
            "headline_en",
            "description_vi",
            "effective_at",
            "expires_at",
            "area_codes",
        ),
        rows=[
            (
                w.identifier,
                w.msg_type,
                w.hazard,
                w.severity,
                w.urgency,
                w.certainty,
                w.headline_vi,
                w.headline_en,
                w.description_vi,
                w.effective_at,
                w.expires_at,
                " ".join(sorted(areas.get(w.id, []))),
            )
            for w in warnings
        ],
    )


def _quality(session: Session, now: datetime) -> DatasetQuality:
    latest = session.execute(
        select(func.max(WrWarning.approved_at)).where(WrWarning.state == PUBLISHED)
    ).scalar_one_or_none()
    recent = list(
        session.execute(
            select(WrWarning).where(
                WrWarning.state == PUBLISHED, WrWarning.effective_at >= now - WINDOW
            )
        ).scalars()
    )
    areas = _areas(session, [w.id for w in recent])
    return DatasetQuality(
        latest=latest,
        expected=len(recent) or None,
        present=sum(1 for w in recent if w.description_vi.strip() and areas.get(w.id))
        if recent
        else None,
        accepted=len(recent),
        checked=len(recent),
        passed=sum(1 for w in recent if w.expires_at > w.effective_at),
    )


def datasets() -> list[DatasetSpec]:
    """The published-warnings dataset (``datasets.yaml``)."""
    return load_datasets("ioc.packs.warnings", {"canh-bao-cong-cong": (_rows, _quality)})
