"""Public-service dossiers as a dataset of the open-data catalogue (``PackManifest.datasets``).

Published as the monthly counts per agency × commune × procedure (``ps_stats``): received,
online, finished, on time, late …; a dossier's own code and facts stay inside the IOC.

Quality over 30 days, from the dossiers updated in the window: newest update from iGate; đủ =
dossiers with procedure, agency, commune and (when the procedure has a time limit) a due date
÷ dossiers; đúng = dossiers whose dates are consistent (due and finished after received) ÷
dossiers; sạch = iGate dead letters against dossiers taken.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core.registry import DatasetRows, DatasetSpec
from ioc.engines.dataset_quality import Records, record_datasets
from ioc.packs.public_services.models import PsDossier, PsStat

COLUMNS = (
    "agency_code",
    "area_code",
    "procedure_code",
    "month",
    "received",
    "online",
    "finished",
    "on_time",
    "late",
    "digitised",
    "e_result",
)


def _rows(session: Session) -> DatasetRows:
    stats = session.execute(
        select(PsStat).order_by(PsStat.month, PsStat.agency_code, PsStat.procedure_code)
    ).scalars()
    rows = [
        (
            s.agency_code,
            s.area_code,
            s.procedure_code,
            f"{s.month // 100:04d}-{s.month % 100:02d}",
            s.received,
            s.online,
            s.finished,
            s.on_time,
            s.late,
            s.digitised,
            s.e_result,
        )
        for s in stats
    ]
    return DatasetRows(columns=COLUMNS, rows=rows)


def _consistent(d: PsDossier) -> bool:
    return all(t is None or t >= d.received_at for t in (d.due_at, d.finished_at))


def _complete(d: PsDossier) -> bool:
    return bool(
        d.procedure_code
        and d.agency_code
        and d.area_code
        and (d.due_at is not None or not d.time_limit_days)
    )


def datasets() -> list[DatasetSpec]:
    """The public-service dossier dataset (``datasets.yaml``)."""
    dossiers = Records(PsDossier, _complete, _consistent, _rows)
    return record_datasets("ioc.packs.public_services", {"ho-so-thu-tuc-hanh-chinh": dossiers})
