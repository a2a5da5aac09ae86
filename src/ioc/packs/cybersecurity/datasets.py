"""Cybersecurity incidents as an (internal) dataset of the open-data catalogue: listed with
its quality, never downloadable (incidents describe weaknesses of agencies' systems).

Quality over 30 days: newest incident opened; đủ = incidents with an agency and a category ÷
incidents; đúng = incidents closed no earlier than opened, and closed ones with a cause ÷
incidents; sạch = syslog/SOC dead letters against incidents taken.
"""

from __future__ import annotations

from ioc.core.registry import DatasetSpec
from ioc.engines.dataset_quality import Records, record_datasets
from ioc.packs.cybersecurity.models import CyIncident


def _ok(i: CyIncident) -> bool:
    if i.closed_at is None:
        return i.status != "closed"
    return i.closed_at >= i.opened_at and bool((i.cause or "").strip())


def _complete(i: CyIncident) -> bool:
    return bool(i.agency_code and i.category)


def datasets() -> list[DatasetSpec]:
    """The incidents dataset (``datasets.yaml``)."""
    incidents = Records(CyIncident, _complete, _ok)
    return record_datasets("ioc.packs.cybersecurity", {"su-co-an-toan-thong-tin": incidents})
