"""Quality inputs of a dataset of records (field reports, dossiers, documents, incidents …) for
the open-data catalogue: the one recipe the packs' ``datasets.py`` share.

Over the last :data:`WINDOW` (the catalogue's 30 days), from the records whose time column
falls in it: ``latest`` is the newest time of all records; đủ = records ``complete`` says are
filled in ÷ records; đúng = records ``consistent`` says hold together ÷ records; sạch = the dead
letters of the dataset's sources against the records taken. Each pack keeps its own rules
(which fields must be filled, which dates must follow which); only the counting is shared.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from ioc.core.models import DeadLetter
from ioc.core.registry import (
    DatasetQuality,
    DatasetQualityFn,
    DatasetRowsFn,
    DatasetSpec,
    load_datasets,
)

__all__ = ["WINDOW", "Records", "record_datasets", "records_quality"]

#: The span the catalogue judges a dataset of records over.
WINDOW = timedelta(days=30)

Record = TypeVar("Record")


def records_quality(
    model: type[Record],
    time_column: InstrumentedAttribute[Any],
    *,
    complete: Callable[[Record], object],
    consistent: Callable[[Record], object],
    dead_letter_sources: tuple[str, ...],
) -> Callable[[Session, datetime], DatasetQuality]:
    """A dataset's ``quality`` (``DatasetSpec.quality``): the quality inputs at ``now`` of the
    ``model`` records whose ``time_column`` is within :data:`WINDOW` before it.

    ``complete`` and ``consistent`` judge one record (a truthy answer counts it);
    ``dead_letter_sources`` are the ``DeadLetter.source`` values of the doors the records
    arrive through (Open311, iGate, syslog …), counted as refused over the same window.
    """

    def quality(session: Session, now: datetime) -> DatasetQuality:
        since = now - WINDOW
        latest = session.execute(select(func.max(time_column))).scalar_one_or_none()
        recent: list[Record] = list(
            session.execute(select(model).where(time_column >= since)).scalars()
        )
        refused = session.execute(
            select(func.count())
            .select_from(DeadLetter)
            .where(DeadLetter.received_at >= since, DeadLetter.source.in_(dead_letter_sources))
        ).scalar_one()
        return DatasetQuality(
            latest=latest,
            expected=len(recent) or None,
            present=sum(1 for r in recent if complete(r)) if recent else None,
            refused=int(refused),
            accepted=len(recent),
            checked=len(recent),
            passed=sum(1 for r in recent if consistent(r)),
        )

    return quality


@dataclass(frozen=True)
class Records:
    """The code side of a dataset of records: its table, the rules judging one record (see
    :func:`records_quality`) and the dataset's rows (None: none to download)."""

    model: type[Any]
    complete: Callable[[Any], object]
    consistent: Callable[[Any], object]
    rows: DatasetRowsFn | None = None


def record_datasets(
    package: str,
    records: dict[str, Records],
    hooks: dict[str, tuple[DatasetRowsFn | None, DatasetQualityFn | None]] | None = None,
) -> list[DatasetSpec]:
    """The datasets the pack ``package`` declares in its ``datasets.yaml``
    (:func:`~ioc.core.registry.load_datasets`, ``hooks`` as there): each dataset of
    ``records`` (by code) measured by :func:`records_quality` over the time column and the
    dead-letter sources its ``records:`` block names (``time``, ``dead_letter_sources``)."""

    def quality(code: str, block: dict[str, Any]) -> DatasetQualityFn:
        r = records[code]
        return records_quality(
            r.model,
            getattr(r.model, block["time"]),
            complete=r.complete,
            consistent=r.consistent,
            dead_letter_sources=tuple(block["dead_letter_sources"]),
        )

    own = {code: (r.rows, None) for code, r in records.items()}
    return load_datasets(package, own | (hooks or {}), records=quality)
